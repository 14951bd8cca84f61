//! Relay to a CDN, TRTC's `StartPublishCdnStream` / `UpdatePublishCdnStream` /
//! `StopPublishCdnStream`: the requests' shapes and their checks (no IO). A relay is a task
//! like a mixed recording whose output goes to RTMP servers instead of a file
//! ([`super::output::Target::Rtmp`]).

use serde::Deserialize;
use serde_json::Value;

use super::output::{
    check_cdn_url, AudioParamsIn, MixLayoutIn, MixSpec, MixTranscodeIn, VideoParamsIn, MAX_CDN_URLS,
};
use super::params::{room_of, CreateReq, Invalid, StreamType, SubscribeLists};

fn invalid(code: &'static str, message: impl Into<String>) -> Invalid {
    Invalid {
        code,
        message: message.into(),
    }
}

/// `AgentParams`: who joins the room to relay it.
#[derive(Debug, Clone, Deserialize)]
pub struct AgentIn {
    /// Its userId.
    #[serde(rename = "UserId")]
    pub user_id: String,
    /// Its userSig (checked against the app's key).
    #[serde(rename = "UserSig", default)]
    pub user_sig: String,
    /// Seconds without a publisher before the relay stops.
    #[serde(rename = "MaxIdleTime")]
    pub max_idle_time: Option<i64>,
}

/// `AudioEncode` (bit rate in kbit/s, as TRTC's relay API has it).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AudioEncodeIn {
    /// Hz.
    #[serde(rename = "SampleRate")]
    pub sample_rate: Option<i64>,
    /// 1 or 2.
    #[serde(rename = "Channel")]
    pub channel: Option<i64>,
    /// kbit/s.
    #[serde(rename = "BitRate")]
    pub bitrate: Option<i64>,
}

/// `AudioParams` of a relay.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct McuAudioIn {
    /// The encoding.
    #[serde(rename = "AudioEncode")]
    pub encode: Option<AudioEncodeIn>,
}

/// `VideoEncode` (bit rate in kbit/s).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VideoEncodeIn {
    /// Canvas width.
    #[serde(rename = "Width")]
    pub width: Option<i64>,
    /// Canvas height.
    #[serde(rename = "Height")]
    pub height: Option<i64>,
    /// Frames a second.
    #[serde(rename = "Fps")]
    pub fps: Option<i64>,
    /// kbit/s.
    #[serde(rename = "BitRate")]
    pub bitrate: Option<i64>,
    /// Seconds between keyframes.
    #[serde(rename = "Gop")]
    pub gop: Option<i64>,
}

/// `UserInfo` in a `UserMediaStream`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserInfoIn {
    /// The user.
    #[serde(rename = "UserId", default)]
    pub user_id: String,
}

/// `UserMediaStream`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserMediaStreamIn {
    /// Whose.
    #[serde(rename = "UserInfo", default)]
    pub user_info: UserInfoIn,
}

/// `MaxVideoUser` / `SingleSubscribeParams`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserStreamIn {
    /// The stream.
    #[serde(rename = "UserMediaStream", default)]
    pub stream: UserMediaStreamIn,
}

/// `LayoutParams` of a relay.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LayoutIn {
    /// 1 float, 2 screen share, 3 grid, 4 custom (refused).
    #[serde(rename = "MixLayoutMode")]
    pub mode: Option<i64>,
    /// Who is shown large.
    #[serde(rename = "MaxVideoUser")]
    pub max_video_user: Option<UserStreamIn>,
}

/// `VideoParams` of a relay.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct McuVideoIn {
    /// The encoding.
    #[serde(rename = "VideoEncode")]
    pub encode: Option<VideoEncodeIn>,
    /// The layout.
    #[serde(rename = "LayoutParams")]
    pub layout: Option<LayoutIn>,
}

/// One of `PublishCdnParams`.
#[derive(Debug, Clone, Deserialize)]
pub struct CdnIn {
    /// `rtmp://…` or `rtmps://…`.
    #[serde(rename = "PublishCdnUrl")]
    pub url: String,
    /// Accepted, not used.
    #[serde(rename = "IsTencentCdn")]
    pub is_tencent_cdn: Option<i64>,
}

/// `StartPublishCdnStream` as given.
#[derive(Debug, Clone, Deserialize)]
pub struct StartIn {
    /// The app.
    #[serde(rename = "SdkAppId")]
    pub sdk_app_id: u64,
    /// The room.
    #[serde(rename = "RoomId")]
    pub room_id: Value,
    /// 0: strRoomId, 1 (default): numeric.
    #[serde(rename = "RoomIdType")]
    pub room_id_type: Option<i64>,
    /// The relaying member.
    #[serde(rename = "AgentParams")]
    pub agent: AgentIn,
    /// 1: mix the room; 0: one user's stream (`SingleSubscribeParams`).
    #[serde(rename = "WithTranscoding")]
    pub with_transcoding: i64,
    /// The audio encoding.
    #[serde(rename = "AudioParams")]
    pub audio: Option<McuAudioIn>,
    /// The video encoding and layout.
    #[serde(rename = "VideoParams")]
    pub video: Option<McuVideoIn>,
    /// The user relayed without mixing.
    #[serde(rename = "SingleSubscribeParams")]
    pub single: Option<UserStreamIn>,
    /// Where to push.
    #[serde(rename = "PublishCdnParams", default)]
    pub cdn: Vec<CdnIn>,
}

/// `UpdatePublishCdnStream` as given (what is not given stays as it was).
#[derive(Debug, Clone, Deserialize)]
pub struct UpdateIn {
    /// The app.
    #[serde(rename = "SdkAppId")]
    pub sdk_app_id: u64,
    /// The relay.
    #[serde(rename = "TaskId")]
    pub task_id: String,
    /// TRTC's ordering of updates: accepted (updates are applied in the order they come).
    #[serde(rename = "SequenceNumber")]
    pub sequence_number: Option<i64>,
    /// New audio encoding.
    #[serde(rename = "AudioParams")]
    pub audio: Option<McuAudioIn>,
    /// New video encoding and layout.
    #[serde(rename = "VideoParams")]
    pub video: Option<McuVideoIn>,
    /// New push URLs.
    #[serde(rename = "PublishCdnParams")]
    pub cdn: Option<Vec<CdnIn>>,
}

/// The push URLs, checked.
pub fn urls(cdn: &[CdnIn]) -> Result<Vec<String>, Invalid> {
    if cdn.is_empty() || cdn.len() > MAX_CDN_URLS {
        return Err(invalid(
            "InvalidParameter.PublishCdnParams",
            format!(
                "PublishCdnParams has {} URLs: give 1 to {MAX_CDN_URLS}",
                cdn.len()
            ),
        ));
    }
    for c in cdn {
        check_cdn_url(&c.url)?;
    }
    Ok(cdn.iter().map(|c| c.url.clone()).collect())
}

/// kbit/s as TRTC's relay API gives them, in bit/s (out of range stays out of range).
fn kbps(v: Option<i64>) -> Option<i64> {
    v.map(|k| k.saturating_mul(1000))
}

/// The mix of a relay's `AudioParams` and `VideoParams` (TRTC's mixing defaults for what is
/// not given).
pub fn spec(audio: Option<&McuAudioIn>, video: Option<&McuVideoIn>) -> Result<MixSpec, Invalid> {
    let a = audio.and_then(|a| a.encode.clone()).unwrap_or_default();
    let v = video.and_then(|v| v.encode.clone()).unwrap_or_default();
    let l = video.and_then(|v| v.layout.clone()).unwrap_or_default();
    let transcode = MixTranscodeIn {
        video: Some(VideoParamsIn {
            width: v.width,
            height: v.height,
            fps: v.fps,
            bitrate: kbps(v.bitrate),
            gop: v.gop,
        }),
        audio: Some(AudioParamsIn {
            sample_rate: a.sample_rate,
            channel: a.channel,
            bitrate: kbps(a.bitrate),
        }),
    };
    let layout = MixLayoutIn {
        mode: l.mode,
        max_resolution_user_id: l.max_video_user.map(|u| u.stream.user_info.user_id),
    };
    MixSpec::of(Some(&transcode), Some(&layout))
}

impl StartIn {
    /// Checks every field: the task to start (a mix pushed to the URLs).
    pub fn check(self) -> Result<CreateReq, Invalid> {
        let room = room_of(&self.room_id, self.room_id_type)?;
        let urls = urls(&self.cdn)?;
        let mix = spec(self.audio.as_ref(), self.video.as_ref())?;
        let lists = match self.with_transcoding {
            1 => SubscribeLists::default(),
            0 => {
                let user = self
                    .single
                    .map(|s| s.stream.user_info.user_id)
                    .unwrap_or_default();
                if !super::params::valid_user_id(&user) {
                    return Err(invalid(
                        "InvalidParameter.SingleSubscribeParams",
                        "WithTranscoding 0 relays one user: give SingleSubscribeParams.UserMediaStream.UserInfo.UserId",
                    ));
                }
                SubscribeLists {
                    audio_allow: Some(vec![user.clone()]),
                    audio_deny: None,
                    video_allow: Some(vec![user]),
                    video_deny: None,
                }
            }
            w => {
                return Err(invalid(
                    "InvalidParameter.WithTranscoding",
                    format!("WithTranscoding {w} is neither 0 (one user) nor 1 (the mix)"),
                ))
            }
        };
        // The agent's fields are checked as a recorder's.
        let as_recording = super::params::CreateIn {
            sdk_app_id: self.sdk_app_id,
            room_id: self.room_id,
            room_id_type: self.room_id_type,
            user_id: self.agent.user_id,
            user_sig: self.agent.user_sig,
            record_params: super::params::RecordParamsIn {
                record_mode: Some(2),
                max_idle_time: self.agent.max_idle_time,
                stream_type: None,
                subscribe: Some(lists),
                output_format: None,
            },
            storage_params: None,
            mix_transcode: None,
            mix_layout: None,
        };
        let mut req = as_recording.check()?;
        req.room = room;
        req.mix = Some(mix);
        req.stream_type = StreamType::AudioVideo;
        req.cdn = Some(urls);
        Ok(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::layout::LayoutMode;
    use serde_json::json;

    fn start(v: Value) -> Result<CreateReq, Invalid> {
        serde_json::from_value::<StartIn>(v)
            .map_err(|e| invalid("InvalidParameter", e.to_string()))?
            .check()
    }

    fn base() -> Value {
        json!({"SdkAppId": 1400000001, "RoomId": "8", "AgentParams": {"UserId": "relay", "UserSig": "sig"},
               "WithTranscoding": 1,
               "AudioParams": {"AudioEncode": {"SampleRate": 48000, "Channel": 2, "BitRate": 64}},
               "VideoParams": {"VideoEncode": {"Width": 640, "Height": 360, "Fps": 15, "BitRate": 800, "Gop": 2},
                               "LayoutParams": {"MixLayoutMode": 1, "MaxVideoUser": {"UserMediaStream": {"UserInfo": {"UserId": "bob"}}}}},
               "PublishCdnParams": [{"PublishCdnUrl": "rtmp://127.0.0.1:1935/live/x", "IsTencentCdn": 0}]})
    }

    #[test]
    fn a_relay_is_a_mix_pushed() {
        let r = start(base()).unwrap();
        assert_eq!(r.user_id, "relay");
        assert_eq!(
            r.cdn,
            Some(vec!["rtmp://127.0.0.1:1935/live/x".to_string()])
        );
        let m = r.mix.unwrap();
        assert_eq!(
            (m.width, m.height, m.fps, m.video_bitrate, m.gop_secs),
            (640, 360, 15, 800_000, 2)
        );
        assert_eq!(m.audio_bitrate, 64_000);
        assert_eq!(m.layout, LayoutMode::Float);
        assert_eq!(m.big_user.as_deref(), Some("bob"));
        assert_eq!(r.lists, SubscribeLists::default());
        let mut single = base();
        single["WithTranscoding"] = json!(0);
        single["SingleSubscribeParams"] =
            json!({"UserMediaStream": {"UserInfo": {"UserId": "alice"}}});
        let r = start(single).unwrap();
        assert!(r.lists.allows("alice", true) && r.lists.allows("alice", false));
        assert!(!r.lists.allows("bob", true) && !r.lists.allows("bob", false));
    }

    #[test]
    fn bad_relays_are_named() {
        let code = |f: &dyn Fn(&mut Value)| {
            let mut b = base();
            f(&mut b);
            start(b).unwrap_err().code
        };
        assert_eq!(
            code(&|b| b["PublishCdnParams"] = json!([])),
            "InvalidParameter.PublishCdnParams"
        );
        let five: Vec<Value> = (0..5)
            .map(|i| json!({"PublishCdnUrl": format!("rtmp://h/l/{i}")}))
            .collect();
        assert_eq!(
            code(&|b| b["PublishCdnParams"] = json!(five)),
            "InvalidParameter.PublishCdnParams"
        );
        assert_eq!(
            code(&|b| b["PublishCdnParams"][0]["PublishCdnUrl"] = json!("http://h/x")),
            "InvalidParameter.PublishCdnUrl"
        );
        assert_eq!(
            code(&|b| b["WithTranscoding"] = json!(2)),
            "InvalidParameter.WithTranscoding"
        );
        assert_eq!(
            code(&|b| b["WithTranscoding"] = json!(0)),
            "InvalidParameter.SingleSubscribeParams"
        );
        assert_eq!(
            code(&|b| b["VideoParams"]["VideoEncode"]["BitRate"] = json!(100_000)),
            "InvalidParameter.MixTranscodeParams"
        );
        assert_eq!(
            code(&|b| b["VideoParams"]["LayoutParams"]["MixLayoutMode"] = json!(4)),
            "UnsupportedOperation.MixLayoutMode"
        );
        assert_eq!(
            code(&|b| b["RoomId"] = json!("x")),
            "InvalidParameter.RoomId"
        );
        assert_eq!(
            code(&|b| b["AgentParams"]["UserId"] = json!("")),
            "InvalidParameter.UserId"
        );
        assert_eq!(
            code(&|b| b["AgentParams"]["UserSig"] = json!("")),
            "InvalidParameter.UserSig"
        );
        assert_eq!(
            code(&|b| b["AgentParams"]["MaxIdleTime"] = json!(-5)),
            "InvalidParameter.MaxIdleTime"
        );
    }
}
