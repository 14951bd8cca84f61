//! The SDK's light codec (`ClientMsg::to_json`, `ServerMsg::from_tree`) against the serde
//! encoding the server uses: same text out, same values in, same refusals.
#![cfg(feature = "json")]

use serde_json::Value;
use trtc_proto::*;

struct Tree(Value);

impl JsonTree for Tree {
    fn member(&self, key: &str) -> Option<Self> {
        self.0.as_object()?.get(key).cloned().map(Tree)
    }
    fn string(&self) -> Option<String> {
        self.0.as_str().map(str::to_string)
    }
    fn number(&self) -> Option<f64> {
        self.0.as_f64()
    }
    fn boolean(&self) -> Option<bool> {
        self.0.as_bool()
    }
    fn is_null(&self) -> bool {
        self.0.is_null()
    }
    fn elements(&self) -> Option<Vec<Self>> {
        Some(self.0.as_array()?.iter().cloned().map(Tree).collect())
    }
}

fn light_decode(text: &str) -> Result<ServerMsg, DecodeError> {
    ServerMsg::check_size(text.len())?;
    let v: Value = serde_json::from_str(text).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    ServerMsg::from_tree(&Tree(v))
}

/// Strings that need every kind of escape.
const AWKWARD: &str = "a\"b\\c\nd\re\tf\u{8}g\u{c}h\u{1}i\u{1f}j\u{7f}k/é😀";

fn client_samples() -> Vec<ClientMsg> {
    let join = |room, scene, role, session: Option<&str>| {
        ClientMsg::Join(Join {
            version: PROTOCOL_VERSION,
            sdk_app_id: 1_400_000_001,
            user_id: AWKWARD.into(),
            user_sig: "eJyrVgrxCdZLLSrKL0pVslIy".into(),
            room,
            scene,
            role,
            session: session.map(str::to_string),
            private_map_key: session.map(|s| format!("pmk-{s}")),
        })
    };
    vec![
        ClientMsg::Preconnect {
            version: PROTOCOL_VERSION,
            sdk_app_id: 1_400_000_001,
            user_id: AWKWARD.into(),
            user_sig: "eJyrVgrxCdZLLSrKL0pVslIy".into(),
        },
        join(RoomId::Num(1), Scene::Rtc, Role::Anchor, None),
        join(
            RoomId::Num(4_294_967_294),
            Scene::Live,
            Role::Audience,
            Some("0a1b"),
        ),
        join(
            RoomId::Str(AWKWARD.into()),
            Scene::Live,
            Role::Anchor,
            Some(AWKWARD),
        ),
        ClientMsg::Publish {
            audio: true,
            video: false,
            sub_video: false,
            sub_audio: false,
            small: false,
        },
        ClientMsg::Publish {
            audio: false,
            video: true,
            sub_video: true,
            sub_audio: true,
            small: true,
        },
        ClientMsg::Subscribe {
            user_id: "bob".into(),
            kind: MediaKind::SubVideo,
            on: true,
            small: false,
        },
        ClientMsg::Mute {
            kind: MediaKind::SubAudio,
            muted: true,
        },
        ClientMsg::Mute {
            kind: MediaKind::Audio,
            muted: true,
        },
        ClientMsg::Mute {
            kind: MediaKind::Video,
            muted: false,
        },
        ClientMsg::Subscribe {
            user_id: "bob".into(),
            kind: MediaKind::Video,
            on: true,
            small: true,
        },
        ClientMsg::Subscribe {
            user_id: AWKWARD.into(),
            kind: MediaKind::Audio,
            on: false,
            small: false,
        },
        ClientMsg::Answer {
            sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n".into(),
        },
        ClientMsg::Leave,
        ClientMsg::SwitchRole {
            role: Role::Audience,
            private_map_key: None,
        },
        ClientMsg::SwitchRole {
            role: Role::Anchor,
            private_map_key: Some(AWKWARD.into()),
        },
        ClientMsg::Custom {
            cmd_id: 1,
            data: "aGk=".into(),
        },
        ClientMsg::Custom {
            cmd_id: 10,
            data: String::new(),
        },
        ClientMsg::Ping { seq: 0 },
        ClientMsg::Ping {
            seq: u64::from(u32::MAX) + 7,
        },
    ]
}

fn server_samples() -> Vec<ServerMsg> {
    vec![
        ServerMsg::Joined {
            user_id: "alice".into(),
            users: vec![],
        },
        ServerMsg::Joined {
            user_id: AWKWARD.into(),
            users: vec![
                RemoteUser {
                    user_id: "bob".into(),
                    audio: true,
                    video: false,
                    sub_video: true,
                    sub_audio: false,
                },
                RemoteUser {
                    user_id: AWKWARD.into(),
                    audio: false,
                    video: true,
                    sub_video: false,
                    sub_audio: true,
                },
            ],
        },
        ServerMsg::JoinFailed {
            code: code::USER_SIG_INVALID,
            message: AWKWARD.into(),
        },
        ServerMsg::UserEnter {
            user_id: "carol".into(),
        },
        ServerMsg::UserExit {
            user_id: "carol".into(),
            reason: 0,
        },
        ServerMsg::UserExit {
            user_id: "carol".into(),
            reason: 255,
        },
        ServerMsg::MediaState {
            user_id: "dan".into(),
            kind: MediaKind::Audio,
            available: true,
        },
        ServerMsg::MediaState {
            user_id: "dan".into(),
            kind: MediaKind::Video,
            available: false,
        },
        ServerMsg::MediaState {
            user_id: "dan".into(),
            kind: MediaKind::SubVideo,
            available: true,
        },
        ServerMsg::MediaState {
            user_id: "dan".into(),
            kind: MediaKind::SubAudio,
            available: false,
        },
        ServerMsg::Offer {
            sdp: "v=0\r\n".into(),
            slots: vec![
                TrackSlot {
                    mid: "0".into(),
                    user_id: None,
                    kind: MediaKind::Audio,
                },
                TrackSlot {
                    mid: "1".into(),
                    user_id: Some("eve".into()),
                    kind: MediaKind::Video,
                },
            ],
        },
        ServerMsg::Offer {
            sdp: String::new(),
            slots: vec![],
        },
        ServerMsg::Kicked {
            reason: kick_reason::ROOM_DISBAND.into(),
        },
        ServerMsg::Error {
            code: code::BAD_MESSAGE,
            message: "nope".into(),
        },
        ServerMsg::Error {
            code: 0,
            message: String::new(),
        },
        ServerMsg::Custom {
            user_id: AWKWARD.into(),
            cmd_id: 3,
            seq: 1 << 40,
            data: "AAEC/w==".into(),
        },
        ServerMsg::IceServers { servers: vec![] },
        ServerMsg::IceServers {
            servers: vec![
                IceServer {
                    urls: vec![
                        "turn:127.0.0.1:3478".into(),
                        "turn:127.0.0.1:3478?transport=tcp".into(),
                    ],
                    username: "1700000000:alice".into(),
                    credential: "aGVsbG8=".into(),
                },
                IceServer {
                    urls: vec![],
                    username: String::new(),
                    credential: String::new(),
                },
            ],
        },
        ServerMsg::Pong { seq: 0 },
        ServerMsg::Pong { seq: 1 << 52 },
        ServerMsg::Preconnected { keep_ms: 60_000 },
        ServerMsg::PublishRefused {
            code: code::PRIVILEGE,
            message: AWKWARD.into(),
        },
        ServerMsg::Preconnected { keep_ms: 0 },
        ServerMsg::RoleSwitched { role: Role::Anchor },
        ServerMsg::RoleSwitched {
            role: Role::Audience,
        },
        ServerMsg::RoleRefused {
            code: code::PRIVILEGE,
            message: AWKWARD.into(),
        },
        ServerMsg::SubscribeRefused {
            user_id: AWKWARD.into(),
            kind: MediaKind::SubVideo,
            code: code::PRIVILEGE,
            message: "no".into(),
        },
        ServerMsg::Redirect {
            url: "ws://127.0.0.1:8081/trtc/ws".into(),
        },
    ]
}

#[test]
fn client_messages_are_written_exactly_as_serde_writes_them() {
    for msg in client_samples() {
        let light = msg.to_json();
        assert_eq!(light, msg.encode(), "{msg:?}");
        assert_eq!(ClientMsg::decode(&light).unwrap(), msg);
    }
}

#[test]
fn server_messages_are_read_exactly_as_serde_reads_them() {
    for msg in server_samples() {
        let text = msg.encode();
        assert_eq!(light_decode(&text).unwrap(), msg, "{text}");
    }
    // Unknown members are ignored, by both; a missing optional userId is None.
    let text = r#"{"type":"offer","extra":[1,2],"sdp":"x","slots":[{"mid":"0","kind":"audio","more":{}}]}"#;
    assert_eq!(
        light_decode(text).unwrap(),
        ServerMsg::decode(text).unwrap()
    );
    // A server from before screen sharing sends users without the sub-stream fields.
    let text =
        r#"{"type":"joined","userId":"a","users":[{"userId":"b","audio":true,"video":false}]}"#;
    assert_eq!(
        light_decode(text).unwrap(),
        ServerMsg::decode(text).unwrap()
    );
}

#[test]
fn what_serde_refuses_the_light_decoder_refuses() {
    let rows = [
        "null",
        "[]",
        "{}",
        r#"{"type":7}"#,
        r#"{"type":"nope"}"#,
        r#"{"type":"pong"}"#,
        r#"{"type":"pong","seq":-1}"#,
        r#"{"type":"pong","seq":1.5}"#,
        r#"{"type":"pong","seq":"1"}"#,
        r#"{"type":"preconnected"}"#,
        r#"{"type":"publish-refused","code":-100006}"#,
        r#"{"type":"role-switched"}"#,
        r#"{"type":"role-switched","role":"king"}"#,
        r#"{"type":"role-switched","role":1}"#,
        r#"{"type":"role-refused","code":-100006}"#,
        r#"{"type":"subscribe-refused","userId":"a","kind":"smell","code":-1,"message":"m"}"#,
        r#"{"type":"subscribe-refused","kind":"video","code":-1,"message":"m"}"#,
        r#"{"type":"preconnected","keepMs":-5}"#,
        r#"{"type":"preconnected","keepMs":"60000"}"#,
        r#"{"type":"user-exit","userId":"a","reason":256}"#,
        r#"{"type":"user-exit","userId":null,"reason":1}"#,
        r#"{"type":"media-state","userId":"a","kind":"smell","available":true}"#,
        r#"{"type":"media-state","userId":"a","kind":"audio","available":1}"#,
        r#"{"type":"joined","userId":"a","users":{}}"#,
        r#"{"type":"joined","userId":"a","users":[{"userId":"b","audio":true}]}"#,
        r#"{"type":"joined","userId":"a","users":[{"userId":"b","audio":true,"video":true,"subVideo":1}]}"#,
        r#"{"type":"joined","userId":"a","users":[{"userId":"b","audio":true,"video":true,"subAudio":null}]}"#,
        r#"{"type":"media-state","userId":"a","kind":"sub_video","available":true}"#,
        r#"{"type":"offer","sdp":"x","slots":[{"mid":"0","userId":5,"kind":"audio"}]}"#,
        r#"{"type":"join-failed","code":"x","message":"m"}"#,
        r#"{"type":"kicked"}"#,
        r#"{"type":"ice-servers"}"#,
        r#"{"type":"custom","userId":"a","cmdId":256,"seq":1,"data":""}"#,
        r#"{"type":"custom","userId":"a","cmdId":1,"seq":1}"#,
        r#"{"type":"custom","userId":"a","cmdId":1,"seq":1,"data":5}"#,
        r#"{"type":"ice-servers","servers":[{"urls":"turn:x","username":"","credential":""}]}"#,
        r#"{"type":"ice-servers","servers":[{"urls":[1],"username":"","credential":""}]}"#,
        r#"{"type":"ice-servers","servers":[{"urls":[],"credential":""}]}"#,
    ];
    for text in rows {
        assert!(ServerMsg::decode(text).is_err(), "serde accepts {text}");
        let e = light_decode(text).unwrap_err();
        assert_eq!(e.code(), code::BAD_MESSAGE, "{text}");
    }
    let big = format!(
        r#"{{"type":"kicked","reason":"{}"}}"#,
        "k".repeat(MAX_MESSAGE_BYTES)
    );
    assert_eq!(
        light_decode(&big).unwrap_err(),
        DecodeError::TooLarge(big.len())
    );
}

#[test]
fn numbers_are_written_as_js_writes_them() {
    let rows: [(f64, &str); 18] = [
        (0.0, "0"),
        (-0.0, "0"),
        (3.0, "3"),
        (-42.0, "-42"),
        (1.5, "1.5"),
        (0.1, "0.1"),
        (-33.25, "-33.25"),
        (0.123456789, "0.123456789"),
        (1.0 / 3.0, "0.3333333333333333"),
        (1.5e-7, "0.00000015"),
        (123456.789, "123456.789"),
        (9_007_199_254_740_991.0, "9007199254740991"),
        (1e21, "1e+21"),
        (-1.5e300, "-1.5e+300"),
        (1.2345e-9, "0.0000000012345"),
        (f64::NAN, "NaN"),
        (f64::INFINITY, "Infinity"),
        (f64::NEG_INFINITY, "-Infinity"),
    ];
    for (n, text) in rows {
        assert_eq!(format_f64(n), text, "{n:?}");
    }
    assert_eq!(json_f64(f64::NAN), "null");
    // Every written fraction reads back as the same number.
    let mut x = 0.000_123_f64;
    while x < 1e6 {
        let back: f64 = format_f64(x).parse().unwrap();
        assert_eq!(back, x);
        x = x * 1.37 + 0.011;
    }
}

#[test]
fn object_writer_writes_json() {
    let mut w = ObjectWriter::new();
    w.str("a", AWKWARD)
        .num("b", 0.25)
        .num("c", f64::NAN)
        .bool("d", true)
        .uint("e", 7)
        .opt_str("f", None)
        .raw("g", &json_array(["1".to_string(), "{}".to_string()]));
    let text = w.finish();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"a": AWKWARD, "b": 0.25, "c": null, "d": true, "e": 7, "f": null, "g": [1, {}]})
    );
    assert_eq!(ObjectWriter::new().finish(), "{}");
    assert_eq!(json_array(Vec::new()), "[]");
}

#[test]
fn base64_round_trips_and_matches_the_standard_alphabet() {
    // RFC 4648's test vectors.
    for (raw, enc) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(b64::encode(raw.as_bytes()), enc);
        assert_eq!(b64::decode(enc).unwrap(), raw.as_bytes());
    }
    let all: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
    for n in 0..all.len() {
        assert_eq!(b64::decode(&b64::encode(&all[..n])).unwrap(), &all[..n]);
    }
    assert_eq!(b64::encode(&[0xfb, 0xff]), "+/8=");
    for bad in ["A", "AB=", "A===", "Zg==Zg==", "Zm9v!A==", "Zg=a", "===="] {
        assert_eq!(b64::decode(bad), None, "{bad}");
    }
}

#[test]
fn redirect_urls() {
    use trtc_proto::{valid_redirect_url, MAX_REDIRECT_URL};
    for ok in [
        "ws://127.0.0.1:8081/trtc/ws",
        "wss://node2.example.com/trtc/ws",
        "ws://[::1]:9/trtc/ws",
    ] {
        assert!(valid_redirect_url(ok), "{ok}");
    }
    let long = format!("ws://{}", "a".repeat(MAX_REDIRECT_URL));
    for bad in [
        "",
        "http://h/trtc/ws",
        "javascript:alert(1)",
        "ws://",
        "ws:///x",
        "ws://:80/x",
        "ws://u@h/x",
        "ws://h /x",
        "ws://h\n/x",
        "ws://h\"/x",
        "WS://h/x",
        long.as_str(),
    ] {
        assert!(!valid_redirect_url(bad), "{bad:?}");
    }
}
