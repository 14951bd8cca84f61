//! The pure parts of recording: the requests' shapes and their checks, which kinds of whose
//! streams a task records, file names, the SDP handed to the engine, and where a video stream
//! may start (a keyframe). No IO.

use serde::Deserialize;
use serde_json::Value;
use trtc_loadgen::user::{TapCodec, TapFormat};
use trtc_proto::{room_id, RoomId};

use super::output::{MixLayoutIn, MixSpec, MixTranscodeIn};

/// Most userIds in one allow or deny list (TRTC's limit).
pub const MAX_LIST_IDS: usize = 32;
/// Longest userId in a list or as the recorder's `UserId`, in bytes.
pub const MAX_USER_ID_BYTES: usize = 64;
/// The most bytes of a userId that go into a file name (as hex).
pub const NAME_USER_BYTES: usize = 48;
/// The most bytes of a strRoomId that go into a file name (as hex).
pub const NAME_ROOM_BYTES: usize = 24;
/// `MaxIdleTime` when the request gives none (seconds).
pub const DEFAULT_MAX_IDLE_SECS: u64 = 30;
/// The longest `MaxIdleTime` (seconds; TRTC's limit).
pub const MAX_IDLE_SECS: u64 = 86_400;
/// Longest `TaskId` accepted in a request (ours are 32 hex characters).
pub const MAX_TASK_ID_CHARS: usize = 64;

/// A refused request: the error code and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// `Error.Code`.
    pub code: &'static str,
    /// `Error.Message`.
    pub message: String,
}

fn invalid(code: &'static str, message: impl Into<String>) -> Invalid {
    Invalid {
        code,
        message: message.into(),
    }
}

/// `SubscribeStreamUserIds`: allow (`Subscribe…`) and deny (`UnSubscribe…`) lists per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct SubscribeLists {
    /// Only these users' audio is recorded (when given).
    #[serde(rename = "SubscribeAudioUserIds", default)]
    pub audio_allow: Option<Vec<String>>,
    /// These users' audio is not recorded.
    #[serde(rename = "UnSubscribeAudioUserIds", default)]
    pub audio_deny: Option<Vec<String>>,
    /// Only these users' video is recorded (when given).
    #[serde(rename = "SubscribeVideoUserIds", default)]
    pub video_allow: Option<Vec<String>>,
    /// These users' video is not recorded.
    #[serde(rename = "UnSubscribeVideoUserIds", default)]
    pub video_deny: Option<Vec<String>>,
}

impl SubscribeLists {
    /// Checks the lists' sizes and userIds.
    pub fn check(&self) -> Result<(), Invalid> {
        let lists = [
            ("SubscribeAudioUserIds", &self.audio_allow),
            ("UnSubscribeAudioUserIds", &self.audio_deny),
            ("SubscribeVideoUserIds", &self.video_allow),
            ("UnSubscribeVideoUserIds", &self.video_deny),
        ];
        for (name, list) in lists {
            let Some(ids) = list else { continue };
            if ids.len() > MAX_LIST_IDS {
                return Err(invalid(
                    "InvalidParameter.SubscribeStreamUserIds",
                    format!("{name} has {} userIds; at most {MAX_LIST_IDS}", ids.len()),
                ));
            }
            if let Some(bad) = ids.iter().find(|id| !valid_user_id(id)) {
                return Err(invalid(
                    "InvalidParameter.SubscribeStreamUserIds",
                    format!(
                        "{name}: {:?} is not a userId (1 to {MAX_USER_ID_BYTES} bytes, no control characters)",
                        crate::room::clip(bad, crate::room::ECHO_CHARS)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Whether `user`'s `audio` (or video) is recorded by these lists: on an allow list when
    /// there is one, and not on the deny list.
    pub fn allows(&self, user: &str, audio: bool) -> bool {
        let (allow, deny) = if audio {
            (&self.audio_allow, &self.audio_deny)
        } else {
            (&self.video_allow, &self.video_deny)
        };
        let listed =
            |l: &Option<Vec<String>>| l.as_ref().is_some_and(|ids| ids.iter().any(|i| i == user));
        allow.as_ref().is_none_or(|_| listed(allow)) && !listed(deny)
    }
}

/// A userId as the lists and the recorder's `UserId` take it.
pub fn valid_user_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_USER_ID_BYTES
        && !id.chars().any(char::is_control)
        && !id.trim().is_empty()
}

/// `RecordParams.StreamType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamType {
    /// 0: audio and video.
    AudioVideo,
    /// 1: audio only.
    Audio,
    /// 2: video only.
    Video,
}

impl StreamType {
    /// Whether audio (or video) is recorded.
    pub fn records(self, audio: bool) -> bool {
        match self {
            StreamType::AudioVideo => true,
            StreamType::Audio => audio,
            StreamType::Video => !audio,
        }
    }
}

/// The `RecordParams` of a request as given.
#[derive(Debug, Clone, Deserialize)]
pub struct RecordParamsIn {
    /// 1: single stream; 2: mixed.
    #[serde(rename = "RecordMode")]
    pub record_mode: Option<i64>,
    /// Seconds without any publisher in the room before the task stops.
    #[serde(rename = "MaxIdleTime")]
    pub max_idle_time: Option<i64>,
    /// 0, 1 or 2 ([`StreamType`]).
    #[serde(rename = "StreamType")]
    pub stream_type: Option<i64>,
    /// Allow and deny lists.
    #[serde(rename = "SubscribeStreamUserIds")]
    pub subscribe: Option<SubscribeLists>,
    /// TRTC's output format choice (0 HLS, 1 HLS+MP4, …): every file here is Matroska.
    #[serde(rename = "OutputFormat")]
    pub output_format: Option<i64>,
}

/// `CreateCloudRecording` as given.
#[derive(Debug, Clone, Deserialize)]
pub struct CreateIn {
    /// The app.
    #[serde(rename = "SdkAppId")]
    pub sdk_app_id: u64,
    /// The room: a string (TRTC's type) or a number.
    #[serde(rename = "RoomId")]
    pub room_id: Value,
    /// 0: a strRoomId; 1 (the default): a numeric roomId.
    #[serde(rename = "RoomIdType")]
    pub room_id_type: Option<i64>,
    /// The recorder's userId in the room.
    #[serde(rename = "UserId")]
    pub user_id: String,
    /// The recorder's userSig (checked against the app's key).
    #[serde(rename = "UserSig")]
    pub user_sig: String,
    /// What to record.
    #[serde(rename = "RecordParams")]
    pub record_params: RecordParamsIn,
    /// TRTC's cloud storage: accepted and unused (files go to the server's `--record-dir`).
    #[serde(rename = "StorageParams")]
    pub storage_params: Option<Value>,
    /// The mixed file's encoding (`RecordMode` 2).
    #[serde(rename = "MixTranscodeParams")]
    pub mix_transcode: Option<MixTranscodeIn>,
    /// The mixed file's layout (`RecordMode` 2).
    #[serde(rename = "MixLayoutParams")]
    pub mix_layout: Option<MixLayoutIn>,
}

/// A checked `CreateCloudRecording`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateReq {
    /// The app.
    pub sdk_app_id: u64,
    /// The room.
    pub room: RoomId,
    /// The recorder's userId.
    pub user_id: String,
    /// The recorder's userSig (not yet verified).
    pub user_sig: String,
    /// Seconds without a publisher before the task stops.
    pub max_idle_secs: u64,
    /// Which kinds.
    pub stream_type: StreamType,
    /// Whose streams.
    pub lists: SubscribeLists,
    /// `RecordMode` 2: one mixed file, encoded and laid out so.
    pub mix: Option<MixSpec>,
    /// A relay (`StartPublishCdnStream`): the mix goes to these URLs, not to a file.
    pub cdn: Option<Vec<String>>,
}

/// The room of a request: `RoomId` read as `RoomIdType` says.
pub fn room_of(room_id: &Value, room_id_type: Option<i64>) -> Result<RoomId, Invalid> {
    let text = match room_id {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => {
            return Err(invalid(
                "InvalidParameter.RoomId",
                "RoomId must be a string (or a number)",
            ))
        }
    };
    match room_id_type.unwrap_or(1) {
        1 => match text.parse::<u32>() {
            Ok(n) if room_id::valid_num_room_id(n) => Ok(RoomId::Num(n)),
            _ => Err(invalid(
                "InvalidParameter.RoomId",
                format!(
                    "RoomId {:?} is not a roomId (1 to {}); for a strRoomId set RoomIdType 0",
                    crate::room::clip(&text, crate::room::ECHO_CHARS),
                    room_id::NUM_ROOM_ID_MAX
                ),
            )),
        },
        0 if room_id::valid_str_room_id(&text) => Ok(RoomId::Str(text)),
        0 => Err(invalid(
            "InvalidParameter.RoomId",
            format!(
                "RoomId {:?} is not a strRoomId (1 to {} characters)",
                crate::room::clip(&text, crate::room::ECHO_CHARS),
                room_id::STR_ROOM_ID_MAX_LEN
            ),
        )),
        other => Err(invalid(
            "InvalidParameter.RoomIdType",
            format!("RoomIdType {other} is neither 0 (strRoomId) nor 1 (roomId)"),
        )),
    }
}

impl CreateIn {
    /// Checks every field; the first problem found.
    pub fn check(self) -> Result<CreateReq, Invalid> {
        let room = room_of(&self.room_id, self.room_id_type)?;
        if !valid_user_id(&self.user_id) {
            return Err(invalid(
                "InvalidParameter.UserId",
                format!(
                    "UserId {:?} is not a userId (1 to {MAX_USER_ID_BYTES} bytes): the recorder enters the room as it",
                    crate::room::clip(&self.user_id, crate::room::ECHO_CHARS)
                ),
            ));
        }
        if self.user_sig.is_empty() {
            return Err(invalid(
                "InvalidParameter.UserSig",
                "UserSig is empty: sign one for the recorder's UserId with the app's secret key",
            ));
        }
        let p = self.record_params;
        let mix =
            match p.record_mode {
                Some(1) => None,
                Some(2) => Some(MixSpec::of(
                    self.mix_transcode.as_ref(),
                    self.mix_layout.as_ref(),
                )?),
                Some(m) => {
                    return Err(invalid(
                        "InvalidParameter.RecordMode",
                        format!("RecordMode {m} is neither 1 (single stream) nor 2 (mixed)"),
                    ))
                }
                None => return Err(invalid(
                    "MissingParameter.RecordMode",
                    "RecordParams.RecordMode is required (1: a file per user, 2: one mixed file)",
                )),
            };
        let stream_type = match p.stream_type.unwrap_or(0) {
            0 => StreamType::AudioVideo,
            1 => StreamType::Audio,
            2 => StreamType::Video,
            t => {
                return Err(invalid(
                    "InvalidParameter.StreamType",
                    format!("StreamType {t} is not 0 (audio and video), 1 (audio) or 2 (video)"),
                ))
            }
        };
        let max_idle_secs = match p.max_idle_time {
            None | Some(0) => DEFAULT_MAX_IDLE_SECS,
            Some(s) if (1..=MAX_IDLE_SECS as i64).contains(&s) => s as u64,
            Some(s) => {
                return Err(invalid(
                    "InvalidParameter.MaxIdleTime",
                    format!("MaxIdleTime {s} is not 1 to {MAX_IDLE_SECS} seconds"),
                ))
            }
        };
        if mix.is_some() && stream_type != StreamType::AudioVideo {
            return Err(invalid(
                "UnsupportedOperation.StreamType",
                "a mixed recording (RecordMode 2) has audio and video: StreamType 0",
            ));
        }
        let lists = p.subscribe.unwrap_or_default();
        lists.check()?;
        Ok(CreateReq {
            sdk_app_id: self.sdk_app_id,
            room,
            user_id: self.user_id,
            user_sig: self.user_sig,
            max_idle_secs,
            stream_type,
            lists,
            mix,
            cdn: None,
        })
    }
}

/// A `TaskId` as a request gives it: the id's own characters only (ours are hex).
pub fn check_task_id(id: &str) -> Result<(), Invalid> {
    if id.is_empty()
        || id.chars().count() > MAX_TASK_ID_CHARS
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(invalid(
            "InvalidParameter.TaskId",
            format!(
                "TaskId {:?} is not a task id (as CreateCloudRecording returned it)",
                crate::room::clip(id, crate::room::ECHO_CHARS)
            ),
        ));
    }
    Ok(())
}

/// Lower-case hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The file of one user's recording in a task's directory, relative to it:
/// `<sdkAppId>_<room>__UserId_s_<hex of the userId>__UserId_e_main_<index>.mkv`, where a
/// numeric room is its digits and a strRoomId is `s` and its hex. Only hex digits, digits and
/// fixed text: no name made from user input can reach outside the directory. The userId's first
/// [`NAME_USER_BYTES`] bytes and the strRoomId's first [`NAME_ROOM_BYTES`] go in, so a name
/// stays under 255 bytes; the index (the task's file count) keeps names unique all the same.
pub fn file_name(sdk_app_id: u64, room: &RoomId, user_id: &str, index: usize) -> String {
    let room = room_name(room);
    let user = &user_id.as_bytes()[..user_id.len().min(NAME_USER_BYTES)];
    format!(
        "{sdk_app_id}_{room}__UserId_s_{}__UserId_e_main_{index}.mkv",
        hex(user)
    )
}

fn room_name(room: &RoomId) -> String {
    match room {
        RoomId::Num(n) => n.to_string(),
        RoomId::Str(s) => format!("s{}", hex(&s.as_bytes()[..s.len().min(NAME_ROOM_BYTES)])),
    }
}

/// The file of a mixed recording in a task's directory: `<sdkAppId>_<room>__mix_<index>.mkv`
/// (the room as in [`file_name`]; the index is the task's file count).
pub fn mix_file_name(sdk_app_id: u64, room: &RoomId, index: usize) -> String {
    format!("{sdk_app_id}_{}__mix_{index}.mkv", room_name(room))
}

/// The SDP that tells the engine (FFmpeg's `sdp` demuxer) what arrives on which loopback port:
/// one `m=` line per stream, plain RTP (`RTP/AVP`), the payload type the packets carry.
/// `audio`/`video`: the format and the RTP port (RTCP would be the next port).
pub fn engine_sdp(audio: Option<(TapFormat, u16)>, video: Option<(TapFormat, u16)>) -> String {
    let mut s = String::from(
        "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=trtc-wasm recording\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n",
    );
    for (media, stream) in [("audio", audio), ("video", video)] {
        let Some((f, port)) = stream else { continue };
        let pt = f.pt;
        s.push_str(&format!("m={media} {port} RTP/AVP {pt}\r\n"));
        match f.codec {
            TapCodec::Opus => s.push_str(&format!(
                "a=rtpmap:{pt} opus/{}/{}\r\n",
                f.clock_rate,
                f.channels.max(2)
            )),
            TapCodec::H264 => s.push_str(&format!(
                "a=rtpmap:{pt} H264/{}\r\na=fmtp:{pt} packetization-mode=1\r\n",
                f.clock_rate
            )),
            TapCodec::Vp8 => s.push_str(&format!("a=rtpmap:{pt} VP8/{}\r\n", f.clock_rate)),
        }
        s.push_str("a=recvonly\r\n");
    }
    s
}

/// Whether an RTP payload of `codec` starts a keyframe (where a recording's video may begin):
/// H.264 an IDR slice or a parameter set (alone, first in a STAP-A, or the start of an FU-A);
/// VP8 the first packet of a key frame. Audio: always.
pub fn starts_keyframe(codec: TapCodec, payload: &[u8]) -> bool {
    match codec {
        TapCodec::Opus => true,
        TapCodec::Vp8 => {
            trtc_loadgen::media::vp8_payload_info(payload).is_some_and(|(start, key)| start && key)
        }
        TapCodec::H264 => {
            let Some(&first) = payload.first() else {
                return false;
            };
            let key_nal = |t: u8| matches!(t, 5 | 7 | 8);
            match first & 0x1f {
                // STAP-A: a 2-byte size, then the first NAL's header.
                24 => payload.get(3).is_some_and(|h| key_nal(h & 0x1f)),
                // FU-A: the start bit and the type in the FU header.
                28 => payload
                    .get(1)
                    .is_some_and(|h| h & 0x80 != 0 && key_nal(h & 0x1f)),
                t => key_nal(t),
            }
        }
    }
}

/// The payload of a plain RTP packet made by [`trtc_loadgen::user::plain_rtp`] (12-byte
/// header).
pub fn rtp_payload(rtp: &[u8]) -> &[u8] {
    rtp.get(12..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn create(v: Value) -> Result<CreateReq, Invalid> {
        serde_json::from_value::<CreateIn>(v)
            .map_err(|e| invalid("InvalidParameter", e.to_string()))?
            .check()
    }

    fn base() -> Value {
        json!({"SdkAppId": 1400000001, "RoomId": "8", "UserId": "rec", "UserSig": "sig",
               "RecordParams": {"RecordMode": 1}})
    }

    fn with(path: &[&str], v: Value) -> Value {
        let mut b = base();
        let mut at = &mut b;
        for p in &path[..path.len() - 1] {
            at = at.get_mut(*p).unwrap();
        }
        at[path[path.len() - 1]] = v;
        b
    }

    #[test]
    fn defaults_of_a_minimal_request() {
        let r = create(base()).unwrap();
        assert_eq!(r.room, RoomId::Num(8));
        assert_eq!(r.max_idle_secs, 30);
        assert_eq!(r.stream_type, StreamType::AudioVideo);
        assert_eq!(r.lists, SubscribeLists::default());
        assert_eq!(r.mix, None, "RecordMode 1: a file per user");
        let mut b = with(&["RecordParams", "RecordMode"], json!(2));
        b["MixTranscodeParams"] = json!({"VideoParams": {"Width": 640, "Height": 360}});
        b["MixLayoutParams"] = json!({"MixLayoutMode": 2});
        let m = create(b).unwrap().mix.unwrap();
        assert_eq!((m.width, m.height, m.fps), (640, 360, 15));
        assert_eq!(m.layout, crate::record::layout::LayoutMode::ScreenShare);
        let r = create(with(&["RoomId"], json!(9))).unwrap();
        assert_eq!(r.room, RoomId::Num(9));
        let mut b = with(&["RoomId"], json!("class a"));
        b["RoomIdType"] = json!(0);
        assert_eq!(create(b).unwrap().room, RoomId::Str("class a".into()));
    }

    #[test]
    fn bad_fields_are_named() {
        let code = |v| create(v).unwrap_err().code;
        assert_eq!(
            code(with(&["RoomId"], json!("abc"))),
            "InvalidParameter.RoomId"
        );
        assert_eq!(code(with(&["RoomId"], json!(0))), "InvalidParameter.RoomId");
        assert_eq!(
            code(with(&["RoomId"], json!([1]))),
            "InvalidParameter.RoomId"
        );
        assert_eq!(
            code(with(&["RoomIdType"], json!(3))),
            "InvalidParameter.RoomIdType"
        );
        let mut b = with(&["RoomId"], json!("../x"));
        b["RoomIdType"] = json!(0);
        assert_eq!(code(b), "InvalidParameter.RoomId");
        assert_eq!(
            code(with(&["UserId"], json!(""))),
            "InvalidParameter.UserId"
        );
        assert_eq!(
            code(with(&["UserId"], json!("a\nb"))),
            "InvalidParameter.UserId"
        );
        assert_eq!(
            code(with(&["UserId"], json!("x".repeat(65)))),
            "InvalidParameter.UserId"
        );
        assert_eq!(
            code(with(&["UserSig"], json!(""))),
            "InvalidParameter.UserSig"
        );
        let rp = |k: &str, v: Value| with(&["RecordParams", k], v);
        let mixed = |k: &str, v: Value| {
            let mut b = rp("RecordMode", json!(2));
            b[k] = v;
            b
        };
        assert_eq!(
            code(mixed(
                "MixTranscodeParams",
                json!({"VideoParams": {"Width": 99999}})
            )),
            "InvalidParameter.MixTranscodeParams"
        );
        assert_eq!(
            code(mixed("MixLayoutParams", json!({"MixLayoutMode": 4}))),
            "UnsupportedOperation.MixLayoutMode"
        );
        let mut b = mixed("MixLayoutParams", json!({}));
        b["RecordParams"]["StreamType"] = json!(1);
        assert_eq!(code(b), "UnsupportedOperation.StreamType");
        assert_eq!(
            code(rp("RecordMode", json!(3))),
            "InvalidParameter.RecordMode"
        );
        assert_eq!(
            code(with(&["RecordParams"], json!({}))),
            "MissingParameter.RecordMode"
        );
        assert_eq!(
            code(rp("StreamType", json!(3))),
            "InvalidParameter.StreamType"
        );
        assert_eq!(
            code(rp("MaxIdleTime", json!(-1))),
            "InvalidParameter.MaxIdleTime"
        );
        assert_eq!(
            code(rp("MaxIdleTime", json!(86_401))),
            "InvalidParameter.MaxIdleTime"
        );
        let many: Vec<String> = (0..33).map(|i| format!("u{i}")).collect();
        assert_eq!(
            code(rp(
                "SubscribeStreamUserIds",
                json!({"SubscribeAudioUserIds": many})
            )),
            "InvalidParameter.SubscribeStreamUserIds"
        );
        assert_eq!(
            code(rp(
                "SubscribeStreamUserIds",
                json!({"UnSubscribeVideoUserIds": [""]})
            )),
            "InvalidParameter.SubscribeStreamUserIds"
        );
        let r = create(rp("MaxIdleTime", json!(5))).unwrap();
        assert_eq!(r.max_idle_secs, 5);
        let r = create(rp("StreamType", json!(1))).unwrap();
        assert!(r.stream_type.records(true) && !r.stream_type.records(false));
    }

    #[test]
    fn allow_and_deny_lists() {
        let l = SubscribeLists {
            audio_allow: Some(vec!["a".into(), "b".into()]),
            audio_deny: Some(vec!["b".into()]),
            video_allow: None,
            video_deny: Some(vec!["c".into()]),
        };
        assert!(l.allows("a", true));
        assert!(!l.allows("b", true), "deny wins");
        assert!(!l.allows("c", true), "not on the allow list");
        assert!(l.allows("a", false) && l.allows("b", false));
        assert!(!l.allows("c", false));
        assert!(SubscribeLists::default().allows("anyone", true));
    }

    #[test]
    fn task_ids() {
        assert!(check_task_id("0123abcdef").is_ok());
        for bad in ["", "../etc", "a/b", "a b", &"x".repeat(65)] {
            assert_eq!(
                check_task_id(bad).unwrap_err().code,
                "InvalidParameter.TaskId",
                "{bad}"
            );
        }
    }

    #[test]
    fn file_names_are_safe() {
        assert_eq!(
            file_name(1400000001, &RoomId::Num(8), "alice", 0),
            "1400000001_8__UserId_s_616c696365__UserId_e_main_0.mkv"
        );
        let evil = file_name(1, &RoomId::Str("../..".into()), "../../etc/passwd\0", 3);
        assert!(!evil.contains('/') && !evil.contains(".."), "{evil}");
        assert!(evil
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.'));
        let long = file_name(
            u64::MAX,
            &RoomId::Str("x".repeat(64)),
            &"é".repeat(200),
            usize::MAX,
        );
        assert!(long.len() < 255, "{}", long.len());
        assert_eq!(mix_file_name(7, &RoomId::Num(8), 2), "7_8__mix_2.mkv");
        assert_eq!(
            mix_file_name(7, &RoomId::Str("../a".into()), 0),
            "7_s2e2e2f61__mix_0.mkv"
        );
    }

    #[test]
    fn sdp_for_the_engine() {
        let opus = TapFormat {
            codec: TapCodec::Opus,
            pt: 111,
            clock_rate: 48_000,
            channels: 2,
        };
        let h264 = TapFormat {
            codec: TapCodec::H264,
            pt: 102,
            clock_rate: 90_000,
            channels: 1,
        };
        let sdp = engine_sdp(Some((opus, 40000)), Some((h264, 40002)));
        assert_eq!(
            sdp,
            "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=trtc-wasm recording\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=audio 40000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\na=recvonly\r\n\
             m=video 40002 RTP/AVP 102\r\na=rtpmap:102 H264/90000\r\na=fmtp:102 packetization-mode=1\r\na=recvonly\r\n"
        );
        let vp8 = TapFormat {
            codec: TapCodec::Vp8,
            pt: 96,
            ..h264
        };
        let sdp = engine_sdp(None, Some((vp8, 50000)));
        assert!(sdp.contains("m=video 50000 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n"));
        assert!(!sdp.contains("m=audio"));
    }

    #[test]
    fn keyframe_starts() {
        use TapCodec::*;
        assert!(starts_keyframe(H264, &[0x65, 0]), "IDR slice");
        assert!(starts_keyframe(H264, &[0x67, 0]), "SPS");
        assert!(!starts_keyframe(H264, &[0x41, 0]), "non-IDR slice");
        assert!(
            starts_keyframe(H264, &[0x78, 0, 10, 0x67]),
            "STAP-A with an SPS"
        );
        assert!(!starts_keyframe(H264, &[0x78, 0, 10, 0x41]));
        assert!(starts_keyframe(H264, &[0x7c, 0x85]), "FU-A start of an IDR");
        assert!(!starts_keyframe(H264, &[0x7c, 0x05]), "FU-A middle");
        assert!(
            !starts_keyframe(H264, &[0x7c, 0x81]),
            "FU-A start of a delta"
        );
        assert!(!starts_keyframe(H264, &[]));
        assert!(starts_keyframe(Opus, &[]));
        // VP8: descriptor S bit with partition 0, then a key frame (P bit clear).
        assert!(starts_keyframe(Vp8, &[0x10, 0x00]));
        assert!(!starts_keyframe(Vp8, &[0x10, 0x01]));
        assert_eq!(rtp_payload(&[0; 14]), &[0, 0]);
        assert_eq!(rtp_payload(&[0; 3]), &[] as &[u8]);
    }
}
