//! `enterRoom` parameters: validation in trtc-sdk-v5's order (reference §4.1, §10) and the
//! typed configuration the room client uses.

use crate::error::{extra, RtcErrorInfo};
use crate::validate::{validate, Lit, Rule, Ty};
use crate::value::Value;

// The room-id rules are shared with the server: defined once, in trtc-proto.
pub use trtc_proto::room_id::{valid_str_room_id, ROOM_ID_MAX, STR_ROOM_ID_MAX_LEN};

const ENTER_ROOM_PROPS: &[Rule] = &[
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
        key: "scene",
        types: &[Ty::String],
        values: &[Lit::Str("rtc"), Lit::Str("live")],
        ..Rule::DEFAULT
    },
    Rule {
        key: "role",
        types: &[Ty::String],
        values: &[Lit::Str("anchor"), Lit::Str("audience")],
        ..Rule::DEFAULT
    },
    Rule {
        key: "roomId",
        types: &[Ty::String, Ty::Number],
        ..Rule::DEFAULT
    },
    Rule {
        key: "strRoomId",
        types: &[Ty::String],
        ..Rule::DEFAULT
    },
    Rule {
        key: "proxy",
        types: &[Ty::String, Ty::Object],
        ..Rule::DEFAULT
    },
    Rule {
        key: "enableAutoPlayDialog",
        types: &[Ty::Boolean],
        ..Rule::DEFAULT
    },
    Rule {
        key: "autoReceiveAudio",
        types: &[Ty::Boolean],
        ..Rule::DEFAULT
    },
    Rule {
        key: "autoReceiveVideo",
        types: &[Ty::Boolean],
        ..Rule::DEFAULT
    },
    Rule {
        key: "userDefineRecordId",
        types: &[Ty::String],
        ..Rule::DEFAULT
    },
    Rule {
        key: "latencyLevel",
        types: &[Ty::Number],
        ..Rule::DEFAULT
    },
    Rule {
        key: "playoutDelay",
        types: &[Ty::Object],
        ..Rule::DEFAULT
    },
    Rule {
        key: "quickStart",
        types: &[Ty::Object],
        ..Rule::DEFAULT
    },
    Rule {
        key: "privateMapKey",
        types: &[Ty::String],
        ..Rule::DEFAULT
    },
    Rule {
        key: "businessInfo",
        types: &[Ty::String],
        ..Rule::DEFAULT
    },
];

/// `enterRoom(params)`: the params object itself is required.
pub const ENTER_ROOM: Rule = Rule {
    key: "params",
    required: true,
    types: &[Ty::Object],
    properties: ENTER_ROOM_PROPS,
    ..Rule::DEFAULT
};

/// Which room, as the app named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomRef {
    /// `roomId`: an integer in 1..=[`ROOM_ID_MAX`].
    Num(u32),
    /// `strRoomId`: 1..=[`STR_ROOM_ID_MAX_LEN`] characters that pass [`valid_str_room_id`].
    Str(String),
}

/// `scene`: what kind of room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scene {
    /// `'rtc'` (the default): a call; everyone may publish and the role does not apply.
    Rtc,
    /// `'live'`: a live stream; only anchors publish, audiences watch.
    Live,
}

/// `role`: whether the user may publish; meaningful only in [`Scene::Live`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `'anchor'` (the default): may publish.
    Anchor,
    /// `'audience'`: watches only (in the live scene).
    Audience,
}

/// The `enterRoom` parameters the room client uses, after validation; the defaults of omitted
/// members are applied.
#[derive(Debug, Clone, PartialEq)]
pub struct EnterRoomConfig {
    /// As given; trtc-sdk-v5 does not reject negative or fractional ids (the server does).
    pub sdk_app_id: f64,
    /// The user's id in the room (not empty; the recommended charset is not enforced).
    pub user_id: String,
    /// The signature that proves the app granted `user_id` access (not empty; checked by the
    /// server).
    pub user_sig: String,
    /// The room, by number or by string.
    pub room: RoomRef,
    /// `scene` (default `rtc`).
    pub scene: Scene,
    /// `role` (default `anchor`).
    pub role: Role,
    /// `autoReceiveAudio` (default true): subscribe to and play remote audio as it becomes
    /// available.
    pub auto_receive_audio: bool,
    /// `autoReceiveVideo` (default false): subscribe to remote video as it becomes available
    /// (rendering still needs `startRemoteVideo`).
    pub auto_receive_video: bool,
    /// `enableAutoPlayDialog` (default true): show the SDK's dialog when the browser blocks
    /// autoplay.
    pub enable_autoplay_dialog: bool,
    /// `proxy` as a string or `proxy.websocketProxy`.
    pub websocket_proxy: Option<String>,
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Undefined | Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => *n != 0.0 && !n.is_nan(),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

/// Validates the property rules only (step 1); the caller checks "already joined" (step 2)
/// before [`parse_room`] (steps 3–5), as trtc-sdk-v5 does.
pub fn validate_params(v: &Value) -> Result<(), RtcErrorInfo> {
    validate(&ENTER_ROOM, v, "enterRoom")
}

/// Steps 3–5: the room id. `roomId` wins when both are given.
pub fn parse_room(v: &Value) -> Result<RoomRef, RtcErrorInfo> {
    const F: &str = "enterRoom";
    let room_id = v.get("roomId");
    if truthy(room_id) {
        return match room_id {
            Value::String(_) => Err(RtcErrorInfo::invalid_parameter(
                extra::INVALID_ROOM_ID_INTEGER_STRING,
                F,
                "'EnterRoomConfig' roomId must be a number, not a string: pass roomId: Number(id), or use strRoomId for string room ids.",
            )),
            Value::Number(n) if n.is_finite() && n.fract() == 0.0 && *n >= 1.0 && *n <= ROOM_ID_MAX => {
                Ok(RoomRef::Num(*n as u32))
            }
            _ => Err(RtcErrorInfo::invalid_parameter(
                extra::INVALID_ROOM_ID_INTEGER,
                F,
                &format!(
                    "'EnterRoomConfig' must be an integer between [1, 4294967294], received roomId: {}.",
                    room_id.display()
                ),
            )),
        };
    }
    let str_room_id = v.get("strRoomId");
    if truthy(str_room_id) {
        let s = str_room_id.as_str().unwrap_or_default();
        return if valid_str_room_id(s) {
            Ok(RoomRef::Str(s.to_string()))
        } else {
            Err(RtcErrorInfo::invalid_parameter(
                extra::INVALID_ROOM_ID_STRING,
                F,
                &format!(
                    "'EnterRoomConfig' strRoomId must be 1 to 64 characters of letters, digits, spaces and !#$%&()+-:;<=.>?@[]^_{{}}|~, received: {s}."
                ),
            ))
        };
    }
    Err(RtcErrorInfo::invalid_parameter(
        extra::INVALID_ROOM_ID_REQUIRED,
        F,
        "'EnterRoomConfig' needs a roomId (an integer 1..4294967294) or a non-empty strRoomId when calling enterRoom().",
    ))
}

/// Parses validated params into the room client's configuration.
pub fn parse(v: &Value) -> Result<EnterRoomConfig, RtcErrorInfo> {
    let room = parse_room(v)?;
    let proxy = v.get("proxy");
    let websocket_proxy = match proxy {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(_) => proxy.get("websocketProxy").as_str().map(str::to_string),
        _ => None,
    };
    Ok(EnterRoomConfig {
        sdk_app_id: v.get("sdkAppId").as_f64().unwrap_or(0.0),
        user_id: v.get("userId").as_str().unwrap_or_default().to_string(),
        user_sig: v.get("userSig").as_str().unwrap_or_default().to_string(),
        room,
        scene: if v.get("scene").as_str() == Some("live") {
            Scene::Live
        } else {
            Scene::Rtc
        },
        role: if v.get("role").as_str() == Some("audience") {
            Role::Audience
        } else {
            Role::Anchor
        },
        auto_receive_audio: v.get("autoReceiveAudio").as_bool().unwrap_or(true),
        auto_receive_video: v.get("autoReceiveVideo").as_bool().unwrap_or(false),
        enable_autoplay_dialog: v.get("enableAutoPlayDialog").as_bool().unwrap_or(true),
        websocket_proxy,
    })
}

/// The WebSocket URL: the proxy when given (an `http(s)://` base becomes `ws(s)://`; a bare base
/// gets the signalling path), otherwise the page's own origin.
pub fn websocket_url(proxy: Option<&str>, page_origin: &str, path: &str) -> String {
    let base = proxy.unwrap_or(page_origin).trim_end_matches('/');
    let base = if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base.to_string()
    };
    // A proxy that already names a path is used as is.
    let after_scheme = base.split_once("://").map(|(_, r)| r).unwrap_or(&base);
    if after_scheme.contains('/') {
        base
    } else {
        format!("{base}{path}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(props: &[(&str, Value)]) -> Value {
        Value::Object(
            props
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }
    fn base(extra: &[(&str, Value)]) -> Value {
        let mut p = vec![
            ("sdkAppId", Value::Number(1400000001.0)),
            ("userId", Value::String("alice".into())),
            ("userSig", Value::String("sig".into())),
        ];
        p.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
        p.extend_from_slice(extra);
        obj(&p)
    }
    fn n(x: f64) -> Value {
        Value::Number(x)
    }
    fn s(x: &str) -> Value {
        Value::String(x.into())
    }

    #[test]
    fn property_rules() {
        let rows: Vec<(Value, Option<i32>)> = vec![
            (Value::Undefined, Some(5001)),
            (base(&[]), None),
            (obj(&[("userId", s("a")), ("userSig", s("s"))]), Some(5001)),
            (base(&[("sdkAppId", n(0.0))]), Some(5003)),
            (base(&[("sdkAppId", n(f64::NAN))]), Some(5003)),
            (base(&[("sdkAppId", s("1400"))]), Some(5002)),
            (base(&[("userId", s("   "))]), Some(5003)),
            (base(&[("userSig", s(""))]), Some(5003)),
            (base(&[("scene", s("meeting"))]), Some(5005)),
            (base(&[("role", s("host"))]), Some(5005)),
            (base(&[("roomId", Value::Bool(true))]), Some(5002)),
            (base(&[("proxy", n(1.0))]), Some(5002)),
            (base(&[("sdkAppId", n(-5.0))]), None),
            (base(&[("sdkAppId", n(1.5))]), None),
        ];
        for (i, (v, want)) in rows.into_iter().enumerate() {
            assert_eq!(
                validate_params(&v).err().and_then(|e| e.extra_code),
                want,
                "row {i}"
            );
        }
    }

    #[test]
    fn room_ids() {
        type Row<'a> = (Vec<(&'a str, Value)>, Result<RoomRef, i32>);
        let rows: Vec<Row> = vec![
            (vec![("roomId", n(8.0))], Ok(RoomRef::Num(8))),
            (
                vec![("roomId", n(4294967294.0))],
                Ok(RoomRef::Num(4294967294)),
            ),
            (vec![("roomId", n(4294967295.0))], Err(5013)),
            (vec![("roomId", n(1.5))], Err(5013)),
            (vec![("roomId", n(-1.0))], Err(5013)),
            (vec![("roomId", n(1e21))], Err(5013)),
            (vec![("roomId", s("123"))], Err(5016)),
            (vec![("roomId", n(0.0))], Err(5015)),
            (vec![("roomId", n(f64::NAN))], Err(5015)),
            (vec![("strRoomId", s(""))], Err(5015)),
            (vec![], Err(5015)),
            (
                vec![("strRoomId", s("room 1!"))],
                Ok(RoomRef::Str("room 1!".into())),
            ),
            (
                vec![("strRoomId", s("tab\there"))],
                Ok(RoomRef::Str("tab\there".into())),
            ),
            (vec![("strRoomId", s("café"))], Err(5012)),
            (vec![("strRoomId", s("a/b"))], Err(5012)),
            (
                vec![("strRoomId", s(&"x".repeat(64)))],
                Ok(RoomRef::Str("x".repeat(64))),
            ),
            (vec![("strRoomId", s(&"x".repeat(65)))], Err(5012)),
            // roomId wins when both are given; strRoomId is then not checked.
            (
                vec![("roomId", n(5.0)), ("strRoomId", s("café"))],
                Ok(RoomRef::Num(5)),
            ),
        ];
        for (i, (props, want)) in rows.into_iter().enumerate() {
            let got = parse_room(&base(&props)).map_err(|e| e.extra_code.unwrap());
            assert_eq!(got, want, "row {i}");
        }
        let e = parse_room(&base(&[("roomId", n(0.5))])).unwrap_err();
        assert!(e
            .message
            .starts_with("'EnterRoomConfig' must be an integer between [1, 4294967294]"));
    }

    #[test]
    fn defaults_and_proxy() {
        let c = parse(&base(&[("roomId", n(1.0))])).unwrap();
        assert_eq!((c.scene, c.role), (Scene::Rtc, Role::Anchor));
        assert!(c.auto_receive_audio && !c.auto_receive_video && c.enable_autoplay_dialog);
        assert_eq!(c.websocket_proxy, None);
        let c = parse(&base(&[
            ("roomId", n(1.0)),
            ("proxy", s("wss://sig.example/trtc/ws")),
        ]))
        .unwrap();
        assert_eq!(
            c.websocket_proxy.as_deref(),
            Some("wss://sig.example/trtc/ws")
        );
        let c = parse(&base(&[
            ("roomId", n(1.0)),
            (
                "proxy",
                obj(&[("websocketProxy", s("ws://127.0.0.1:9000"))]),
            ),
        ]))
        .unwrap();
        assert_eq!(c.websocket_proxy.as_deref(), Some("ws://127.0.0.1:9000"));
    }

    #[test]
    fn websocket_urls() {
        let rows = [
            (None, "http://127.0.0.1:8080", "ws://127.0.0.1:8080/trtc/ws"),
            (None, "https://app.example", "wss://app.example/trtc/ws"),
            (
                Some("ws://10.0.0.1:9000"),
                "https://app.example",
                "ws://10.0.0.1:9000/trtc/ws",
            ),
            (
                Some("wss://sig.example/custom/path"),
                "https://app.example",
                "wss://sig.example/custom/path",
            ),
            (
                Some("https://sig.example/"),
                "http://x",
                "wss://sig.example/trtc/ws",
            ),
        ];
        for (proxy, origin, want) in rows {
            assert_eq!(websocket_url(proxy, origin, "/trtc/ws"), want);
        }
    }
}
