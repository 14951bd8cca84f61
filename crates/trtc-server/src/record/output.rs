//! The pure parts of a mixed output: the encoding and layout a request asks for (TRTC's
//! `MixTranscodeParams` and `MixLayoutParams`), checked, and the command lines of the engines
//! that mix: one decoder per user and kind (RTP in, raw pictures or PCM out on its stdout), and
//! one encoder (raw canvas on its stdin, mixed PCM over loopback TCP, H.264 + AAC out). No IO.

use std::ffi::OsString;
use std::path::Path;

use serde::Deserialize;

use super::layout::LayoutMode;
use super::params::{valid_user_id, Invalid, MAX_USER_ID_BYTES};

/// The mix's PCM: 48 kHz, 2 channels, 16-bit.
pub const PCM_RATE: u32 = 48_000;
/// Channels of the mix's PCM.
pub const PCM_CHANNELS: u32 = 2;
/// One audio chunk of the mix: 20 ms.
pub const CHUNK_MS: u32 = 20;
/// Samples (all channels) in one chunk.
pub const CHUNK_SAMPLES: usize = (PCM_RATE / 1000 * CHUNK_MS * PCM_CHANNELS) as usize;

/// Bounds of the video a mix is encoded to.
pub const MIN_SIDE: u32 = 16;
/// The largest width or height.
pub const MAX_SIDE: u32 = 1920;
/// The most frames a second.
pub const MAX_FPS: u32 = 30;
/// Video bitrate bounds (bits a second).
pub const VIDEO_BITRATE: std::ops::RangeInclusive<u32> = 64_000..=8_000_000;
/// Audio bitrate bounds (bits a second).
pub const AUDIO_BITRATE: std::ops::RangeInclusive<u32> = 16_000..=320_000;
/// The longest GOP (seconds).
pub const MAX_GOP_SECS: u32 = 10;

fn invalid(code: &'static str, message: impl Into<String>) -> Invalid {
    Invalid {
        code,
        message: message.into(),
    }
}

/// What a mix is encoded to and how it is laid out, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MixSpec {
    /// Canvas width (even).
    pub width: u32,
    /// Canvas height (even).
    pub height: u32,
    /// Frames a second.
    pub fps: u32,
    /// Video bitrate (bits a second).
    pub video_bitrate: u32,
    /// Seconds between keyframes.
    pub gop_secs: u32,
    /// Output sample rate.
    pub sample_rate: u32,
    /// Output channels.
    pub channels: u32,
    /// Audio bitrate (bits a second).
    pub audio_bitrate: u32,
    /// The layout.
    pub layout: LayoutMode,
    /// Who is shown large (float, screen share); the first user when absent or not there.
    pub big_user: Option<String>,
}

impl Default for MixSpec {
    /// TRTC's defaults for a mixed recording: 360×640 at 15 fps, 500 kbit/s, a GOP of 10 s;
    /// 48 kHz stereo AAC at 64 kbit/s; the grid.
    fn default() -> Self {
        MixSpec {
            width: 360,
            height: 640,
            fps: 15,
            video_bitrate: 500_000,
            gop_secs: 10,
            sample_rate: 48_000,
            channels: 2,
            audio_bitrate: 64_000,
            layout: LayoutMode::Grid,
            big_user: None,
        }
    }
}

/// `VideoParams` as given (TRTC's names).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VideoParamsIn {
    /// Canvas width.
    #[serde(rename = "Width")]
    pub width: Option<i64>,
    /// Canvas height.
    #[serde(rename = "Height")]
    pub height: Option<i64>,
    /// Frames a second.
    #[serde(rename = "Fps")]
    pub fps: Option<i64>,
    /// Bits a second.
    #[serde(rename = "BitRate", alias = "Bitrate")]
    pub bitrate: Option<i64>,
    /// Seconds between keyframes.
    #[serde(rename = "Gop")]
    pub gop: Option<i64>,
}

/// `AudioParams` as given.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AudioParamsIn {
    /// 48000, 44100, 32000 or 16000.
    #[serde(rename = "SampleRate")]
    pub sample_rate: Option<i64>,
    /// 1 or 2.
    #[serde(rename = "Channel")]
    pub channel: Option<i64>,
    /// Bits a second.
    #[serde(rename = "BitRate", alias = "Bitrate")]
    pub bitrate: Option<i64>,
}

/// `MixTranscodeParams` as given.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MixTranscodeIn {
    /// The video.
    #[serde(rename = "VideoParams")]
    pub video: Option<VideoParamsIn>,
    /// The audio.
    #[serde(rename = "AudioParams")]
    pub audio: Option<AudioParamsIn>,
}

/// `MixLayoutParams` as given.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MixLayoutIn {
    /// 1 float, 2 screen share, 3 grid (the default), 4 custom (not done).
    #[serde(rename = "MixLayoutMode")]
    pub mode: Option<i64>,
    /// Who is shown large.
    #[serde(rename = "MaxResolutionUserId")]
    pub max_resolution_user_id: Option<String>,
}

fn ranged(name: &str, v: Option<i64>, default: u32, lo: u32, hi: u32) -> Result<u32, Invalid> {
    match v {
        None | Some(0) => Ok(default),
        Some(v) if (i64::from(lo)..=i64::from(hi)).contains(&v) => Ok(v as u32),
        Some(v) => Err(invalid(
            "InvalidParameter.MixTranscodeParams",
            format!("{name} {v} is not {lo} to {hi}"),
        )),
    }
}

impl MixSpec {
    /// The spec of a request's transcoding and layout parameters (TRTC's defaults for what is
    /// not given; 0 also means the default, as in TRTC).
    pub fn of(t: Option<&MixTranscodeIn>, l: Option<&MixLayoutIn>) -> Result<MixSpec, Invalid> {
        let d = MixSpec::default();
        let v = t.and_then(|t| t.video.clone()).unwrap_or_default();
        let a = t.and_then(|t| t.audio.clone()).unwrap_or_default();
        let width = ranged("VideoParams.Width", v.width, d.width, MIN_SIDE, MAX_SIDE)?;
        let height = ranged("VideoParams.Height", v.height, d.height, MIN_SIDE, MAX_SIDE)?;
        if width % 2 != 0 || height % 2 != 0 {
            return Err(invalid(
                "InvalidParameter.MixTranscodeParams",
                format!("VideoParams {width}x{height}: width and height must be even"),
            ));
        }
        let fps = ranged("VideoParams.Fps", v.fps, d.fps, 1, MAX_FPS)?;
        let video_bitrate = ranged(
            "VideoParams.BitRate",
            v.bitrate,
            d.video_bitrate,
            *VIDEO_BITRATE.start(),
            *VIDEO_BITRATE.end(),
        )?;
        let gop_secs = ranged("VideoParams.Gop", v.gop, d.gop_secs, 1, MAX_GOP_SECS)?;
        let sample_rate = match a.sample_rate {
            None | Some(0) => d.sample_rate,
            Some(r @ (48_000 | 44_100 | 32_000 | 16_000)) => r as u32,
            Some(r) => {
                return Err(invalid(
                    "InvalidParameter.MixTranscodeParams",
                    format!("AudioParams.SampleRate {r} is not 48000, 44100, 32000 or 16000"),
                ))
            }
        };
        let channels = ranged("AudioParams.Channel", a.channel, d.channels, 1, 2)?;
        let audio_bitrate = ranged(
            "AudioParams.BitRate",
            a.bitrate,
            d.audio_bitrate,
            *AUDIO_BITRATE.start(),
            *AUDIO_BITRATE.end(),
        )?;
        let l = l.cloned().unwrap_or_default();
        let layout = match l.mode {
            None | Some(0) | Some(3) => LayoutMode::Grid,
            Some(1) => LayoutMode::Float,
            Some(2) => LayoutMode::ScreenShare,
            Some(4) => {
                return Err(invalid(
                    "UnsupportedOperation.MixLayoutMode",
                    "MixLayoutMode 4 (custom) is not supported by this server; use 1 (float), 2 (screen share) or 3 (grid)",
                ))
            }
            Some(m) => {
                return Err(invalid(
                    "InvalidParameter.MixLayoutMode",
                    format!("MixLayoutMode {m} is not 1 (float), 2 (screen share), 3 (grid) or 4 (custom)"),
                ))
            }
        };
        let big_user = match l.max_resolution_user_id {
            None => None,
            Some(u) if u.is_empty() => None,
            Some(u) if valid_user_id(&u) => Some(u),
            Some(u) => {
                return Err(invalid(
                    "InvalidParameter.MaxResolutionUserId",
                    format!(
                        "MaxResolutionUserId {:?} is not a userId (1 to {MAX_USER_ID_BYTES} bytes)",
                        crate::room::clip(&u, crate::room::ECHO_CHARS)
                    ),
                ))
            }
        };
        Ok(MixSpec {
            width,
            height,
            fps,
            video_bitrate,
            gop_secs,
            sample_rate,
            channels,
            audio_bitrate,
            layout,
            big_user,
        })
    }
}

fn os(v: &[&str]) -> Vec<OsString> {
    v.iter().map(Into::into).collect()
}

/// The start of every engine's command line: quiet, no console, RTP from loopback only.
fn rtp_input(sdp: &Path) -> Vec<OsString> {
    let mut v = os(&[
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "warning",
        "-protocol_whitelist",
        "file,udp,rtp",
        "-localaddr",
        "127.0.0.1",
        "-buffer_size",
        "1048576",
        "-fflags",
        "nobuffer",
        "-i",
    ]);
    v.push(sdp.into());
    v
}

/// A user's video decoder: RTP described by `sdp` in, I420 pictures of the canvas's size
/// (aspect kept, black bars) out on stdout, one per picture received.
pub fn video_decoder_args(sdp: &Path, width: u32, height: u32) -> Vec<OsString> {
    let mut v = rtp_input(sdp);
    let filter = format!(
        "scale={width}:{height}:force_original_aspect_ratio=decrease,pad={width}:{height}:-1:-1:color=black,format=yuv420p"
    );
    v.extend(os(&["-an", "-vf"]));
    v.push(filter.into());
    v.extend(os(&[
        "-fps_mode",
        "passthrough",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "yuv420p",
        "pipe:1",
    ]));
    v
}

/// A user's audio decoder: RTP described by `sdp` in, 48 kHz stereo 16-bit PCM out on stdout.
pub fn audio_decoder_args(sdp: &Path) -> Vec<OsString> {
    let mut v = rtp_input(sdp);
    v.extend(os(&[
        "-vn", "-ac", "2", "-ar", "48000", "-f", "s16le", "pipe:1",
    ]));
    v
}

/// Most push URLs of one relay.
pub const MAX_CDN_URLS: usize = 4;
/// Longest push URL (bytes).
pub const MAX_CDN_URL_BYTES: usize = 512;

/// A push URL as a relay takes it: `rtmp://` or `rtmps://`, a host, at most
/// [`MAX_CDN_URL_BYTES`], printable ASCII without spaces, quotes, backslashes, `|`, `[` or `]`
/// (FFmpeg's `tee` muxer gives those a meaning).
pub fn check_cdn_url(url: &str) -> Result<(), Invalid> {
    let rest = url
        .strip_prefix("rtmp://")
        .or_else(|| url.strip_prefix("rtmps://"));
    let host = rest.map(|r| r.split('/').next().unwrap_or_default());
    let ok = url.len() <= MAX_CDN_URL_BYTES
        && host.is_some_and(|h| !h.is_empty())
        && url
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"|[]\\'\"".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "InvalidParameter.PublishCdnUrl",
            format!(
                "PublishCdnUrl {:?} is not an rtmp:// or rtmps:// URL with a host (at most {MAX_CDN_URL_BYTES} bytes, printable, no spaces, quotes, backslashes, '|', '[' or ']')",
                crate::room::clip(url, crate::room::ECHO_CHARS)
            ),
        ))
    }
}

/// Where a mix goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A Matroska file.
    File(std::path::PathBuf),
    /// RTMP servers (FLV), checked by [`check_cdn_url`].
    Rtmp(Vec<String>),
}

/// The encoder: the canvas (I420, `spec`'s size and rate) on stdin, the mixed PCM from
/// `tcp://127.0.0.1:audio_port` (the server listens), H.264 + AAC into `target`.
pub fn encoder_args(spec: &MixSpec, audio_port: u16, target: &Target) -> Vec<OsString> {
    let mut v = os(&["-hide_banner", "-nostdin", "-loglevel", "warning"]);
    let size = format!("{}x{}", spec.width, spec.height);
    let fps = spec.fps.to_string();
    // Both inputs say what they are: no probing (FFmpeg probes one input after the other
    // before reading any, and 5 s of audio to probe would hold the video back meanwhile).
    let no_probe = ["-probesize", "32", "-analyzeduration", "0"];
    v.extend(os(&no_probe));
    v.extend(os(&[
        "-f",
        "rawvideo",
        "-pix_fmt",
        "yuv420p",
        "-video_size",
        &size,
    ]));
    v.extend(os(&[
        "-framerate",
        &fps,
        "-thread_queue_size",
        "64",
        "-i",
        "pipe:0",
    ]));
    let audio_in = format!("tcp://127.0.0.1:{audio_port}");
    v.extend(os(&no_probe));
    v.extend(os(&[
        "-f",
        "s16le",
        "-ar",
        "48000",
        "-ac",
        "2",
        "-thread_queue_size",
        "256",
    ]));
    v.extend(os(&["-protocol_whitelist", "tcp", "-i", &audio_in]));
    let vb = spec.video_bitrate.to_string();
    let buf = (u64::from(spec.video_bitrate) * 2).to_string();
    let gop = (spec.fps * spec.gop_secs).to_string();
    v.extend(os(&[
        "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "veryfast",
    ]));
    v.extend(os(&[
        "-tune",
        "zerolatency",
        "-pix_fmt",
        "yuv420p",
        "-b:v",
        &vb,
        "-maxrate",
        &vb,
    ]));
    v.extend(os(&["-bufsize", &buf, "-g", &gop, "-keyint_min", &gop]));
    let ab = spec.audio_bitrate.to_string();
    let ar = spec.sample_rate.to_string();
    let ac = spec.channels.to_string();
    v.extend(os(&["-c:a", "aac", "-b:a", &ab, "-ar", &ar, "-ac", &ac]));
    match target {
        Target::File(out) => {
            v.extend(os(&["-f", "matroska", "-y"]));
            v.push(out.into());
        }
        Target::Rtmp(urls) if urls.len() == 1 => {
            v.extend(os(&["-f", "flv"]));
            v.push(urls[0].clone().into());
        }
        Target::Rtmp(urls) => {
            // One encoding, several pushes; one that fails leaves the others going.
            let tee: Vec<String> = urls
                .iter()
                .map(|u| format!("[f=flv:onfail=ignore]{u}"))
                .collect();
            v.extend(os(&["-flags", "+global_header", "-f", "tee"]));
            v.push(tee.join("|").into());
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn spec(t: Value, l: Value) -> Result<MixSpec, Invalid> {
        let t: MixTranscodeIn = serde_json::from_value(t).unwrap();
        let l: MixLayoutIn = serde_json::from_value(l).unwrap();
        MixSpec::of(Some(&t), Some(&l))
    }

    #[test]
    fn defaults_and_values() {
        assert_eq!(MixSpec::of(None, None).unwrap(), MixSpec::default());
        let s = spec(
            json!({"VideoParams": {"Width": 640, "Height": 360, "Fps": 20, "BitRate": 800000, "Gop": 2},
                   "AudioParams": {"SampleRate": 44100, "Channel": 1, "BitRate": 32000}}),
            json!({"MixLayoutMode": 1, "MaxResolutionUserId": "bob"}),
        )
        .unwrap();
        assert_eq!(
            (s.width, s.height, s.fps, s.video_bitrate, s.gop_secs),
            (640, 360, 20, 800_000, 2)
        );
        assert_eq!(
            (s.sample_rate, s.channels, s.audio_bitrate),
            (44_100, 1, 32_000)
        );
        assert_eq!(s.layout, LayoutMode::Float);
        assert_eq!(s.big_user.as_deref(), Some("bob"));
        assert_eq!(
            spec(json!({}), json!({"MixLayoutMode": 2})).unwrap().layout,
            LayoutMode::ScreenShare
        );
        assert_eq!(
            spec(json!({}), json!({"MixLayoutMode": 0})).unwrap().layout,
            LayoutMode::Grid
        );
    }

    #[test]
    fn bad_values_are_named() {
        let code = |t: Value, l: Value| spec(t, l).unwrap_err().code;
        let video = |k: &str, v: Value| json!({"VideoParams": {k: v}});
        for (k, v) in [
            ("Width", json!(4000)),
            ("Width", json!(-2)),
            ("Width", json!(641)),
            ("Height", json!(8)),
            ("Fps", json!(61)),
            ("BitRate", json!(10)),
            ("Gop", json!(11)),
        ] {
            assert_eq!(
                code(video(k, v.clone()), json!({})),
                "InvalidParameter.MixTranscodeParams",
                "{k} {v}"
            );
        }
        let audio = |k: &str, v: Value| json!({"AudioParams": {k: v}});
        for (k, v) in [
            ("SampleRate", json!(8000)),
            ("Channel", json!(3)),
            ("BitRate", json!(1_000_000)),
        ] {
            assert_eq!(
                code(audio(k, v.clone()), json!({})),
                "InvalidParameter.MixTranscodeParams",
                "{k} {v}"
            );
        }
        assert_eq!(
            code(json!({}), json!({"MixLayoutMode": 4})),
            "UnsupportedOperation.MixLayoutMode"
        );
        assert_eq!(
            code(json!({}), json!({"MixLayoutMode": 9})),
            "InvalidParameter.MixLayoutMode"
        );
        assert_eq!(
            code(json!({}), json!({"MaxResolutionUserId": "a\u{0}b"})),
            "InvalidParameter.MaxResolutionUserId"
        );
        // Wrong types are refused by the JSON reading.
        assert!(
            serde_json::from_value::<MixTranscodeIn>(json!({"VideoParams": {"Width": "640"}}))
                .is_err()
        );
    }

    #[test]
    fn command_lines() {
        let s = MixSpec {
            width: 640,
            height: 360,
            ..MixSpec::default()
        };
        let strings = |v: Vec<OsString>| -> Vec<String> {
            v.iter().map(|a| a.to_string_lossy().into_owned()).collect()
        };
        let one = strings(encoder_args(
            &s,
            1,
            &Target::Rtmp(vec!["rtmp://h/live/x".into()]),
        ));
        assert_eq!(&one[one.len() - 3..], ["-f", "flv", "rtmp://h/live/x"]);
        let two = strings(encoder_args(
            &s,
            1,
            &Target::Rtmp(vec!["rtmp://a/l/x".into(), "rtmps://b:1935/l/y?k=v".into()]),
        ));
        assert_eq!(
            &two[two.len() - 3..],
            [
                "-f",
                "tee",
                "[f=flv:onfail=ignore]rtmp://a/l/x|[f=flv:onfail=ignore]rtmps://b:1935/l/y?k=v"
            ]
        );
        assert!(two.contains(&"+global_header".to_string()));
        let e: Vec<String> = encoder_args(&s, 40000, &Target::File("/r/t/m.mkv".into()))
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let at = |x: &str| e.iter().position(|y| y == x).unwrap();
        assert_eq!(e[at("-video_size") + 1], "640x360");
        assert_eq!(e[at("-framerate") + 1], "15");
        assert!(e.contains(&"tcp://127.0.0.1:40000".to_string()));
        assert_eq!(e[at("-c:v") + 1], "libx264");
        assert_eq!(e[at("-g") + 1], "150");
        assert_eq!(e[at("-b:v") + 1], "500000");
        assert_eq!(e.last().unwrap(), "/r/t/m.mkv");
        let d: Vec<String> = video_decoder_args(Path::new("/r/t/v.sdp"), 640, 360)
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            d[d.iter().position(|y| y == "-localaddr").unwrap() + 1],
            "127.0.0.1"
        );
        assert!(d.iter().any(|a| a.starts_with("scale=640:360")));
        assert_eq!(d.last().unwrap(), "pipe:1");
        assert_eq!(
            audio_decoder_args(Path::new("/a.sdp")).last().unwrap(),
            "pipe:1"
        );
        assert_eq!(CHUNK_SAMPLES, 1920);
    }

    #[test]
    fn push_urls() {
        for good in [
            "rtmp://127.0.0.1:1935/live/x",
            "rtmps://cdn.example.com/app/key?txSecret=ab&t=1",
        ] {
            assert_eq!(check_cdn_url(good), Ok(()), "{good}");
        }
        let long = format!("rtmp://h/{}", "a".repeat(MAX_CDN_URL_BYTES));
        for bad in [
            "",
            "http://h/x",
            "rtmp://",
            "rtmp:///x",
            "file:///etc/passwd",
            "rtmp://h/a b",
            "rtmp://h/x|file:/tmp/y",
            "rtmp://h/[x]",
            "rtmp://h/x'",
            "rtmp://h/\\x",
            "rtmp://h/é",
            "rtmp://h/x\n",
            "-f",
            long.as_str(),
        ] {
            assert_eq!(
                check_cdn_url(bad).unwrap_err().code,
                "InvalidParameter.PublishCdnUrl",
                "{bad:?}"
            );
        }
    }
}
