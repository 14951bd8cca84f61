//! `callExperimentalAPI(name, options)` (reference §4.10): the options of each API, checked with
//! the validator, and the PCM framing behind `AUDIO_FRAME` (resampled to the asked rate, mixed
//! to the asked channel count, cut into 40 ms frames).
//!
//! Invariants: a parse either returns a whole [`Call`] or an error and nothing else happens;
//! an [`AudioFramer`] never holds more than one frame of output plus one input block.

use crate::error::{extra, RtcErrorInfo};
use crate::validate::{validate, Lit, Rule, Ty};
use crate::value::Value;

/// The function name in errors.
pub const FN: &str = "callExperimentalAPI";

/// Every name trtc-sdk-v5 knows.
pub const NAMES: &[&str] = &[
    "enableAudioFrameEvent",
    "resumeRemotePlayer",
    "pauseRemotePlayer",
    "requestPictureInPicture",
    "requestFullScreen",
    "switchPlaybackQuality",
    "preconnect",
];

/// `AUDIO_FRAME` sample rates.
pub const SAMPLE_RATES: &[Lit] = &[
    Lit::Num(8000.0),
    Lit::Num(16000.0),
    Lit::Num(32000.0),
    Lit::Num(44100.0),
    Lit::Num(48000.0),
];

/// One `AUDIO_FRAME` lasts this long.
pub const FRAME_MS: u32 = 40;

/// The most input samples per channel taken from one processing block (more is cut).
pub const MAX_BLOCK: usize = 16384;

const AUDIO_FRAME: Rule = Rule {
    key: "options",
    required: true,
    types: &[Ty::Object],
    properties: &[
        Rule {
            key: "enable",
            required: true,
            types: &[Ty::Boolean],
            ..Rule::DEFAULT
        },
        Rule {
            key: "userId",
            required: true,
            types: &[Ty::String],
            ..Rule::DEFAULT
        },
        Rule {
            key: "sampleRate",
            types: &[Ty::Number],
            values: SAMPLE_RATES,
            ..Rule::DEFAULT
        },
        Rule {
            key: "channelCount",
            types: &[Ty::Number],
            values: &[Lit::Num(1.0), Lit::Num(2.0)],
            ..Rule::DEFAULT
        },
    ],
    ..Rule::DEFAULT
};

const PLAYER: Rule = Rule {
    key: "options",
    required: true,
    types: &[Ty::Object],
    properties: &[
        Rule {
            key: "userId",
            required: true,
            types: &[Ty::String],
            ..Rule::DEFAULT
        },
        Rule {
            key: "streamType",
            types: &[Ty::String],
            values: &[Lit::Str("main"), Lit::Str("sub")],
            ..Rule::DEFAULT
        },
    ],
    ..Rule::DEFAULT
};

const ENABLE: Rule = Rule {
    key: "options",
    required: true,
    types: &[Ty::Object],
    properties: &[Rule {
        key: "enable",
        required: true,
        types: &[Ty::Boolean],
        ..Rule::DEFAULT
    }],
    ..Rule::DEFAULT
};

/// `preconnect({enable: true, ...})`: the user as `enterRoom` names it (the room is optional:
/// the server keeps the connection for the user, and the room is `enterRoom`'s).
const PRECONNECT: Rule = Rule {
    key: "options",
    required: true,
    types: &[Ty::Object],
    properties: &[
        Rule {
            key: "sdkAppId",
            required: true,
            types: &[Ty::Number],
            allow_empty: false,
            ..Rule::DEFAULT
        },
        Rule {
            key: "userId",
            required: true,
            types: &[Ty::String],
            allow_empty: false,
            ..Rule::DEFAULT
        },
        Rule {
            key: "userSig",
            required: true,
            types: &[Ty::String],
            allow_empty: false,
            ..Rule::DEFAULT
        },
        Rule {
            key: "roomId",
            types: &[Ty::Number],
            ..Rule::DEFAULT
        },
        Rule {
            key: "strRoomId",
            types: &[Ty::String],
            ..Rule::DEFAULT
        },
        crate::room::PROXY,
    ],
    ..Rule::DEFAULT
};

const QUALITY_LEVEL: Rule = Rule {
    key: "streamList",
    types: &[Ty::Object],
    properties: &[
        Rule {
            key: "name",
            required: true,
            types: &[Ty::String],
            allow_empty: false,
            ..Rule::DEFAULT
        },
        Rule {
            key: "userId",
            required: true,
            types: &[Ty::String],
            allow_empty: false,
            ..Rule::DEFAULT
        },
        Rule {
            key: "streamType",
            types: &[Ty::String],
            values: &[Lit::Str("main"), Lit::Str("sub")],
            ..Rule::DEFAULT
        },
        Rule {
            key: "bitrate",
            required: true,
            types: &[Ty::Number],
            not_negative: true,
            ..Rule::DEFAULT
        },
    ],
    ..Rule::DEFAULT
};

const SWITCH_QUALITY: Rule = Rule {
    key: "options",
    required: true,
    types: &[Ty::Object],
    properties: &[
        Rule {
            key: "quality",
            types: &[Ty::String],
            ..Rule::DEFAULT
        },
        Rule {
            key: "streamList",
            types: &[Ty::Array],
            array_item: Some(&QUALITY_LEVEL),
            ..Rule::DEFAULT
        },
        Rule {
            key: "onSwitched",
            types: &[Ty::Function],
            ..Rule::DEFAULT
        },
    ],
    ..Rule::DEFAULT
};

/// One level of `switchPlaybackQuality`'s `streamList`: a remote stream carrying the same
/// content at one quality.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityLevel {
    /// `name` (e.g. `'720p'`).
    pub name: String,
    /// Whose stream.
    pub user_id: String,
    /// `streamType: 'sub'`.
    pub sub: bool,
    /// `bitrate` (kbps).
    pub bitrate: f64,
}

/// `switchPlaybackQuality`: the level to play (`quality`) in place of the level of the cached
/// list that plays now (`playing`), after `list` (when given) replaced the cache. `Ok(None)`:
/// nothing to switch (no `quality`, or it already plays); `Ok(Some((from, to)))` otherwise.
/// `'auto'` (switching by measured bandwidth) is not available: `ENV_NOT_SUPPORTED`.
pub fn plan_switch(
    cache: &mut Vec<QualityLevel>,
    quality: Option<&str>,
    list: Option<Vec<QualityLevel>>,
    playing: impl Fn(&QualityLevel) -> bool,
) -> Result<Option<(QualityLevel, QualityLevel)>, RtcErrorInfo> {
    const Q: &str = "callExperimentalAPI('switchPlaybackQuality')";
    if let Some(list) = list {
        *cache = list;
    }
    let Some(quality) = quality else {
        return Ok(None);
    };
    if quality == "auto" {
        return Err(RtcErrorInfo::new(
            crate::error::ErrorCode::EnvNotSupported,
            None,
            FN,
            &[Q, " with quality 'auto' is not available in trtc-wasm (no switching by measured bandwidth): pass the name of a level."].concat(),
        ));
    }
    let Some(to) = cache.iter().find(|l| l.name == quality) else {
        return Err(RtcErrorInfo::invalid_parameter(
            extra::RANGE,
            FN,
            &[
                "'quality' names no level of 'streamList' when calling ",
                Q,
                ".",
            ]
            .concat(),
        ));
    };
    let Some(from) = cache.iter().find(|l| playing(l)) else {
        return Err(RtcErrorInfo::new(
            crate::error::ErrorCode::InvalidOperation,
            None,
            FN,
            &[
                Q,
                " needs one of the levels playing: call startRemoteVideo() for one first.",
            ]
            .concat(),
        ));
    };
    Ok((from != to).then(|| (from.clone(), to.clone())))
}

/// Whose audio `enableAudioFrameEvent` is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudioSource {
    /// `''`: the local microphone.
    Local,
    /// `'*'`: every remote user.
    AllRemote,
    /// One remote user.
    Remote(String),
}

impl AudioSource {
    /// The source for a `userId` option.
    pub fn of(user_id: &str) -> AudioSource {
        match user_id {
            "" => AudioSource::Local,
            "*" => AudioSource::AllRemote,
            u => AudioSource::Remote(u.to_string()),
        }
    }

    /// Whether a remote user's audio (`Some(user)`) or the microphone (`None`) is covered.
    pub fn covers(&self, user: Option<&str>) -> bool {
        match (self, user) {
            (AudioSource::Local, None) => true,
            (AudioSource::AllRemote, Some(_)) => true,
            (AudioSource::Remote(u), Some(v)) => u == v,
            _ => false,
        }
    }
}

/// A checked experimental call.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    /// `enableAudioFrameEvent`.
    AudioFrame {
        /// On or off.
        enable: bool,
        /// Whose audio.
        source: AudioSource,
        /// Output rate (Hz).
        sample_rate: u32,
        /// 1 or 2.
        channels: usize,
    },
    /// `pauseRemotePlayer` (`pause`) / `resumeRemotePlayer`.
    Player {
        /// Pause or resume.
        pause: bool,
        /// A user or `'*'`.
        user_id: String,
        /// `None`: audio and video.
        stream_type: Option<String>,
    },
    /// `requestPictureInPicture`.
    PictureInPicture {
        /// Enter or leave.
        enable: bool,
    },
    /// `requestFullScreen`.
    FullScreen {
        /// Enter or leave.
        enable: bool,
    },
    /// `switchPlaybackQuality`.
    SwitchQuality {
        /// The level to play; `None`: only cache `list`.
        quality: Option<String>,
        /// `streamList`, when given.
        list: Option<Vec<QualityLevel>>,
    },
    /// `preconnect`: open the signalling connection and prove the user now (`Some`), or close
    /// it (`None`).
    Preconnect(Option<Preconnect>),
}

/// `preconnect({enable: true, ...})`: who the connection is for, and where it goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Preconnect {
    /// `sdkAppId`.
    pub sdk_app_id: f64,
    /// `userId`.
    pub user_id: String,
    /// `userSig`.
    pub user_sig: String,
    /// `proxy` (as `enterRoom` takes it; ours, not the reference's): the server's URL; `None`:
    /// the instance's `proxy`, else the page's origin.
    pub websocket_proxy: Option<String>,
}

impl Preconnect {
    /// Whether `enterRoom` as `user_id` of `sdk_app_id` through `url` may take over the
    /// connection opened to `own_url`: the same server and the same user (the join carries
    /// its own userSig and room, which the server checks as usual).
    pub fn serves(&self, own_url: &str, url: &str, sdk_app_id: f64, user_id: &str) -> bool {
        own_url == url && self.sdk_app_id == sdk_app_id && self.user_id == user_id
    }
}

/// What a preconnection's signalling socket told it before `enterRoom`: kept for `Ok(keep_ms)`,
/// refused with the server's code and message (an `RtcError` of `SERVER_ERROR`), or `None`
/// for anything else (ignored).
pub fn preconnect_answer(msg: &trtc_proto::ServerMsg) -> Option<Result<u64, RtcErrorInfo>> {
    use trtc_proto::ServerMsg;
    match msg {
        ServerMsg::Preconnected { keep_ms } => Some(Ok(*keep_ms)),
        ServerMsg::Error { code, message } | ServerMsg::JoinFailed { code, message } => {
            Some(Err(RtcErrorInfo::new(
                crate::error::ErrorCode::ServerError,
                i32::try_from(*code).ok(),
                FN,
                // The server clips what it echoes.
                &format!("callExperimentalAPI('preconnect') failed: {message}"),
            )))
        }
        _ => None,
    }
}

/// Checks `options` for experimental API `name`.
pub fn parse(name: &str, options: &Value) -> Result<Call, RtcErrorInfo> {
    let Some(known) = NAMES.iter().find(|n| **n == name) else {
        return Err(RtcErrorInfo::invalid_parameter(
            extra::RANGE,
            FN,
            &format!("experimental api {name} does not exist."),
        ));
    };
    let enable = || options.get("enable").as_bool().unwrap_or(false);
    match name {
        "enableAudioFrameEvent" => {
            validate(&AUDIO_FRAME, options, FN)?;
            Ok(Call::AudioFrame {
                enable: enable(),
                source: AudioSource::of(options.get("userId").as_str().unwrap_or_default()),
                sample_rate: options.get("sampleRate").as_f64().unwrap_or(48000.0) as u32,
                channels: options.get("channelCount").as_f64().unwrap_or(1.0) as usize,
            })
        }
        "pauseRemotePlayer" | "resumeRemotePlayer" => {
            validate(&PLAYER, options, FN)?;
            Ok(Call::Player {
                pause: name == "pauseRemotePlayer",
                user_id: options
                    .get("userId")
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                stream_type: options.get("streamType").as_str().map(str::to_string),
            })
        }
        "requestPictureInPicture" => {
            validate(&ENABLE, options, FN)?;
            Ok(Call::PictureInPicture { enable: enable() })
        }
        "requestFullScreen" => {
            validate(&ENABLE, options, FN)?;
            Ok(Call::FullScreen { enable: enable() })
        }
        "switchPlaybackQuality" => {
            validate(&SWITCH_QUALITY, options, FN)?;
            let list = match options.get("streamList") {
                Value::Array(items) => Some(
                    items
                        .iter()
                        .map(|l| QualityLevel {
                            name: l.get("name").as_str().unwrap_or_default().to_string(),
                            user_id: l.get("userId").as_str().unwrap_or_default().to_string(),
                            sub: l.get("streamType").as_str() == Some("sub"),
                            bitrate: l.get("bitrate").as_f64().unwrap_or_default(),
                        })
                        .collect(),
                ),
                _ => None,
            };
            Ok(Call::SwitchQuality {
                quality: options.get("quality").as_str().map(str::to_string),
                list,
            })
        }
        "preconnect" => {
            validate(&ENABLE, options, FN)?;
            if !enable() {
                return Ok(Call::Preconnect(None));
            }
            validate(&PRECONNECT, options, FN)?;
            let proxy = options.get("proxy");
            let websocket_proxy = match proxy {
                Value::String(s) if !s.is_empty() => Some(s.clone()),
                Value::Object(_) => proxy.get("websocketProxy").as_str().map(str::to_string),
                _ => None,
            };
            let text = |key| options.get(key).as_str().unwrap_or_default().to_string();
            Ok(Call::Preconnect(Some(Preconnect {
                sdk_app_id: options.get("sdkAppId").as_f64().unwrap_or_default(),
                user_id: text("userId"),
                user_sig: text("userSig"),
                websocket_proxy,
            })))
        }
        _ => Err(RtcErrorInfo::invalid_parameter(
            extra::RANGE,
            FN,
            &format!("experimental api {known} does not exist."),
        )),
    }
}

/// Turns blocks of float PCM at the capture rate into 40 ms frames at the asked rate and
/// channel count: linear interpolation across blocks, one channel as the mean of the input's,
/// two as the input's first two (a mono input is doubled).
#[derive(Debug, Clone)]
pub struct AudioFramer {
    out_rate: u32,
    channels: usize,
    frame_len: usize,
    /// The last mixed input sample of the previous block, per output channel.
    prev: Vec<f32>,
    /// Where the next output sample lies, in input samples from the start of the next block
    /// (-1 is `prev`).
    t: f64,
    /// Output samples not yet framed, per channel (less than one frame between pushes).
    pending: Vec<Vec<f32>>,
}

impl AudioFramer {
    /// A framer for `out_rate` Hz and `channels` (1 or 2).
    pub fn new(out_rate: u32, channels: usize) -> AudioFramer {
        let channels = channels.clamp(1, 2);
        let frame_len = (out_rate as usize * FRAME_MS as usize / 1000).max(1);
        AudioFramer {
            out_rate,
            channels,
            frame_len,
            prev: vec![0.0; channels],
            t: 0.0,
            pending: vec![Vec::with_capacity(frame_len); channels],
        }
    }

    /// Samples per channel in one frame.
    pub fn frame_len(&self) -> usize {
        self.frame_len
    }

    /// The output rate.
    pub fn sample_rate(&self) -> u32 {
        self.out_rate
    }

    /// The output channel count.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Takes one block (one slice per input channel, `in_rate` Hz) and returns the whole
    /// frames it completes, each as one `Vec` per output channel. A block longer than
    /// [`MAX_BLOCK`] is cut; an empty block or a bad rate gives nothing.
    pub fn push(&mut self, input: &[&[f32]], in_rate: f64) -> Vec<Vec<Vec<f32>>> {
        let n = input
            .iter()
            .map(|c| c.len())
            .min()
            .unwrap_or(0)
            .min(MAX_BLOCK);
        if n == 0 || !(in_rate.is_finite() && in_rate >= 1000.0) {
            return Vec::new();
        }
        let mixed: Vec<Vec<f32>> = (0..self.channels)
            .map(|ch| mix(input, ch, self.channels, n))
            .collect();
        let step = in_rate / self.out_rate as f64;
        let last = (n - 1) as f64;
        let mut frames = Vec::new();
        while self.t <= last {
            let i = self.t.floor();
            let frac = (self.t - i) as f32;
            for (ch, x) in mixed.iter().enumerate() {
                let a = if i < 0.0 {
                    self.prev[ch]
                } else {
                    x[i as usize]
                };
                let b = x[(i + 1.0).max(0.0).min(last) as usize];
                self.pending[ch].push(a + (b - a) * frac);
            }
            if self.pending[0].len() == self.frame_len {
                frames.push(
                    self.pending
                        .iter_mut()
                        .map(|p| std::mem::replace(p, Vec::with_capacity(self.frame_len)))
                        .collect(),
                );
            }
            self.t += step;
        }
        self.t -= n as f64;
        for (ch, x) in mixed.iter().enumerate() {
            self.prev[ch] = x[n - 1];
        }
        frames
    }
}

/// Output channel `ch` of `out` from the input channels' first `n` samples.
fn mix(input: &[&[f32]], ch: usize, out: usize, n: usize) -> Vec<f32> {
    if out == 2 {
        let src = input[ch.min(input.len() - 1)];
        return src[..n].to_vec();
    }
    let k = input.len() as f32;
    (0..n)
        .map(|i| input.iter().map(|c| c[i]).sum::<f32>() / k)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn sine(rate: f64, hz: f64, n: usize, from: usize) -> Vec<f32> {
        (from..from + n)
            .map(|i| (2.0 * std::f64::consts::PI * hz * i as f64 / rate).sin() as f32 * 0.5)
            .collect()
    }

    #[test]
    fn unknown_name_rejects_5000_series_5005() {
        let e = parse("nope", &Value::Undefined).unwrap_err();
        assert_eq!(e.extra_code, Some(extra::RANGE));
        assert!(e
            .message
            .starts_with("experimental api nope does not exist."));
    }

    #[test]
    fn audio_frame_options_defaults_and_bad_input() {
        let ok = parse(
            "enableAudioFrameEvent",
            &obj(&[
                ("enable", Value::Bool(true)),
                ("userId", Value::String("".into())),
            ]),
        )
        .unwrap();
        assert_eq!(
            ok,
            Call::AudioFrame {
                enable: true,
                source: AudioSource::Local,
                sample_rate: 48000,
                channels: 1
            }
        );
        let missing = parse(
            "enableAudioFrameEvent",
            &obj(&[("enable", Value::Bool(true))]),
        );
        assert_eq!(missing.unwrap_err().extra_code, Some(extra::REQUIRED));
        let rate = parse(
            "enableAudioFrameEvent",
            &obj(&[
                ("enable", Value::Bool(true)),
                ("userId", Value::String("*".into())),
                ("sampleRate", Value::Number(22050.0)),
            ]),
        );
        assert_eq!(rate.unwrap_err().extra_code, Some(extra::RANGE));
        let ch = parse(
            "enableAudioFrameEvent",
            &obj(&[
                ("enable", Value::Bool(true)),
                ("userId", Value::String("*".into())),
                ("channelCount", Value::Number(3.0)),
            ]),
        );
        assert_eq!(ch.unwrap_err().extra_code, Some(extra::RANGE));
        let ty = parse(
            "enableAudioFrameEvent",
            &obj(&[
                ("enable", Value::String("yes".into())),
                ("userId", Value::String("".into())),
            ]),
        );
        assert_eq!(ty.unwrap_err().extra_code, Some(extra::TYPE));
        assert_eq!(
            parse("enableAudioFrameEvent", &Value::Undefined)
                .unwrap_err()
                .extra_code,
            Some(extra::REQUIRED)
        );
    }

    #[test]
    fn player_and_enable_options() {
        assert_eq!(
            parse(
                "pauseRemotePlayer",
                &obj(&[("userId", Value::String("*".into()))])
            )
            .unwrap(),
            Call::Player {
                pause: true,
                user_id: "*".into(),
                stream_type: None
            }
        );
        let bad = parse(
            "resumeRemotePlayer",
            &obj(&[
                ("userId", Value::String("a".into())),
                ("streamType", Value::String("big".into())),
            ]),
        );
        assert_eq!(bad.unwrap_err().extra_code, Some(extra::RANGE));
        assert_eq!(
            parse("requestFullScreen", &obj(&[]))
                .unwrap_err()
                .extra_code,
            Some(extra::REQUIRED)
        );
        assert_eq!(
            parse(
                "requestPictureInPicture",
                &obj(&[("enable", Value::Bool(false))])
            )
            .unwrap(),
            Call::PictureInPicture { enable: false }
        );
    }

    #[test]
    fn preconnect_options() {
        let on = |extra: &[(&str, Value)]| {
            let mut props = vec![
                ("enable", Value::Bool(true)),
                ("sdkAppId", Value::Number(1400000001.0)),
                ("userId", Value::String("alice".into())),
                ("userSig", Value::String("sig".into())),
            ];
            for (k, v) in extra {
                props.retain(|(key, _)| key != k);
                props.push((k, v.clone()));
            }
            obj(&props)
        };
        let want = Preconnect {
            sdk_app_id: 1400000001.0,
            user_id: "alice".into(),
            user_sig: "sig".into(),
            websocket_proxy: None,
        };
        assert_eq!(
            parse("preconnect", &on(&[])).unwrap(),
            Call::Preconnect(Some(want.clone()))
        );
        assert_eq!(
            parse(
                "preconnect",
                &on(&[
                    ("roomId", Value::Number(8.0)),
                    ("proxy", Value::String("ws://127.0.0.1:9".into()))
                ])
            )
            .unwrap(),
            Call::Preconnect(Some(Preconnect {
                websocket_proxy: Some("ws://127.0.0.1:9".into()),
                ..want.clone()
            }))
        );
        assert_eq!(
            parse("preconnect", &obj(&[("enable", Value::Bool(false))])).unwrap(),
            Call::Preconnect(None)
        );
        // What is wrong is named, and nothing is returned.
        let code = |v: &Value| parse("preconnect", v).unwrap_err().extra_code;
        assert_eq!(code(&Value::Undefined), Some(extra::REQUIRED));
        assert_eq!(code(&obj(&[])), Some(extra::REQUIRED));
        assert_eq!(
            code(&obj(&[("enable", Value::String("yes".into()))])),
            Some(extra::TYPE)
        );
        assert_eq!(
            code(&obj(&[("enable", Value::Bool(true))])),
            Some(extra::REQUIRED)
        );
        assert_eq!(
            code(&on(&[("userSig", Value::String(String::new()))])),
            Some(extra::EMPTY)
        );
        assert_eq!(
            code(&on(&[("sdkAppId", Value::String("1".into()))])),
            Some(extra::TYPE)
        );
        assert_eq!(
            code(&on(&[("roomId", Value::String("8".into()))])),
            Some(extra::TYPE)
        );
        // Taken over by enterRoom: the same server and user only.
        assert!(want.serves("ws://a/trtc/ws", "ws://a/trtc/ws", 1400000001.0, "alice"));
        assert!(!want.serves("ws://a/trtc/ws", "ws://b/trtc/ws", 1400000001.0, "alice"));
        assert!(!want.serves("ws://a/trtc/ws", "ws://a/trtc/ws", 1400000002.0, "alice"));
        assert!(!want.serves("ws://a/trtc/ws", "ws://a/trtc/ws", 1400000001.0, "bob"));
    }

    #[test]
    fn preconnect_answers() {
        use trtc_proto::ServerMsg;
        assert_eq!(
            preconnect_answer(&ServerMsg::Preconnected { keep_ms: 60_000 }),
            Some(Ok(60_000))
        );
        let err = preconnect_answer(&ServerMsg::Error {
            code: 70013,
            message: "userSig was issued for alice".into(),
        })
        .unwrap()
        .unwrap_err();
        assert_eq!(err.code, crate::error::ErrorCode::ServerError);
        assert_eq!(err.extra_code, Some(70013));
        assert!(err
            .message
            .contains("preconnect') failed: userSig was issued for alice"));
        // A code beyond i32 keeps the error, without an extraCode.
        let err = preconnect_answer(&ServerMsg::Error {
            code: i64::MAX,
            message: "m".into(),
        })
        .unwrap()
        .unwrap_err();
        assert_eq!(err.extra_code, None);
        assert_eq!(preconnect_answer(&ServerMsg::Pong { seq: 1 }), None);
    }

    fn level(name: &str, user: &str) -> Value {
        obj(&[
            ("name", Value::String(name.into())),
            ("userId", Value::String(user.into())),
            ("bitrate", Value::Number(500.0)),
        ])
    }

    #[test]
    fn switch_playback_quality_checks_its_options_and_plans_the_switch() {
        let list = Value::Array(vec![level("hd", "a"), level("sd", "b")]);
        let bad = [
            (Value::Undefined, extra::REQUIRED),
            (obj(&[("quality", Value::Number(1.0))]), extra::TYPE),
            (obj(&[("streamList", Value::Bool(true))]), extra::TYPE),
            (
                obj(&[("streamList", Value::Array(vec![obj(&[])]))]),
                extra::REQUIRED,
            ),
            (
                obj(&[("streamList", Value::Array(vec![level("", "a")]))]),
                extra::EMPTY,
            ),
            (obj(&[("onSwitched", Value::Number(1.0))]), extra::TYPE),
        ];
        for (v, code) in bad {
            let e = parse("switchPlaybackQuality", &v).unwrap_err();
            assert_eq!(e.extra_code, Some(code), "{v:?}");
        }
        let Call::SwitchQuality { quality, list } = parse(
            "switchPlaybackQuality",
            &obj(&[
                ("quality", Value::String("sd".into())),
                ("streamList", list),
            ]),
        )
        .unwrap() else {
            panic!()
        };
        let list = list.unwrap();
        assert_eq!(
            (list[1].name.as_str(), list[1].user_id.as_str(), list[1].sub),
            ("sd", "b", false)
        );
        let mut cache = Vec::new();
        let a_plays = |l: &QualityLevel| l.user_id == "a";
        // Only caching; then the switch from what plays to the named level.
        assert_eq!(
            plan_switch(&mut cache, None, Some(list.clone()), a_plays),
            Ok(None)
        );
        assert_eq!(
            plan_switch(&mut cache, quality.as_deref(), None, a_plays),
            Ok(Some((list[0].clone(), list[1].clone())))
        );
        assert_eq!(
            plan_switch(&mut cache, Some("hd"), None, a_plays),
            Ok(None),
            "already plays"
        );
        let e = plan_switch(&mut cache, Some("4k"), None, a_plays).unwrap_err();
        assert_eq!(e.extra_code, Some(extra::RANGE));
        let e = plan_switch(&mut cache, Some("auto"), None, a_plays).unwrap_err();
        assert_eq!(e.code, crate::error::ErrorCode::EnvNotSupported);
        let e = plan_switch(&mut cache, Some("sd"), None, |_| false).unwrap_err();
        assert_eq!(e.code, crate::error::ErrorCode::InvalidOperation);
    }

    #[test]
    fn sources_cover_the_right_users() {
        assert!(AudioSource::of("").covers(None));
        assert!(!AudioSource::of("").covers(Some("a")));
        assert!(AudioSource::of("*").covers(Some("a")));
        assert!(!AudioSource::of("*").covers(None));
        assert!(AudioSource::of("a").covers(Some("a")));
        assert!(!AudioSource::of("a").covers(Some("b")));
    }

    #[test]
    fn frames_are_40_ms_at_the_asked_rate() {
        for (rate, len) in [(8000, 320), (16000, 640), (44100, 1764), (48000, 1920)] {
            let mut f = AudioFramer::new(rate, 1);
            assert_eq!(f.frame_len(), len);
            // One second of 48 kHz input in 128-sample blocks (as an audio worklet gets).
            let mut frames = 0;
            for b in 0..375 {
                let block = sine(48000.0, 440.0, 128, b * 128);
                for fr in f.push(&[&block], 48000.0) {
                    assert_eq!(fr.len(), 1);
                    assert_eq!(fr[0].len(), len);
                    frames += 1;
                }
            }
            assert_eq!(frames, 25, "{rate} Hz: one second is 25 frames");
        }
    }

    #[test]
    fn resampling_keeps_the_tone() {
        let mut f = AudioFramer::new(16000, 1);
        let input = sine(48000.0, 1000.0, 4096 * 4, 0);
        let mut out = Vec::new();
        for block in input.chunks(4096) {
            for fr in f.push(&[block], 48000.0) {
                out.extend_from_slice(&fr[0]);
            }
        }
        // Compare with the same tone sampled at 16 kHz.
        let want = sine(16000.0, 1000.0, out.len(), 0);
        let worst = out
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 0.02, "worst error {worst}");
    }

    #[test]
    fn channels_are_mixed_or_doubled() {
        let left = vec![1.0f32; 1920];
        let right = vec![0.0f32; 1920];
        let mut mono = AudioFramer::new(48000, 1);
        let fr = mono.push(&[&left, &right], 48000.0);
        assert!(fr[0][0].iter().all(|s| (*s - 0.5).abs() < 1e-6));
        let mut stereo = AudioFramer::new(48000, 2);
        let fr = stereo.push(&[&left, &right], 48000.0);
        assert_eq!(fr[0].len(), 2);
        assert!(fr[0][0].iter().all(|s| *s == 1.0));
        assert!(fr[0][1].iter().all(|s| *s == 0.0));
        let mut doubled = AudioFramer::new(48000, 2);
        let fr = doubled.push(&[&left], 48000.0);
        assert!(fr[0][1].iter().all(|s| *s == 1.0));
    }

    #[test]
    fn hostile_blocks_are_bounded() {
        let mut f = AudioFramer::new(48000, 1);
        let huge = vec![0.1f32; MAX_BLOCK * 10];
        let frames = f.push(&[&huge], 48000.0);
        assert_eq!(frames.len(), MAX_BLOCK / 1920);
        assert!(f.pending[0].len() < f.frame_len());
        assert!(f.push(&[&huge], f64::NAN).is_empty());
        assert!(f.push(&[&huge], 0.0).is_empty());
        assert!(f.push(&[], 48000.0).is_empty());
    }
}
