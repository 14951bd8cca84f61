//! `enterRoom` parameters: validation in trtc-sdk-v5's order (reference §4.1, §10) and the
//! typed configuration the room client uses.

use crate::error::{extra, RtcErrorInfo};
use crate::validate::{validate, Lit, Rule, Ty};
use crate::value::Value;
pub use trtc_proto::IceServer;

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
    PROXY,
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

const TURN_SERVER_PROPS: &[Rule] = &[
    Rule {
        key: "url",
        required: true,
        types: &[Ty::String],
        allow_empty: false,
        ..Rule::DEFAULT
    },
    Rule {
        key: "username",
        types: &[Ty::String],
        ..Rule::DEFAULT
    },
    Rule {
        key: "credential",
        types: &[Ty::String],
        ..Rule::DEFAULT
    },
    Rule {
        key: "credentialType",
        types: &[Ty::String],
        values: &[Lit::Str("password")],
        ..Rule::DEFAULT
    },
];

const TURN_SERVER: Rule = Rule {
    key: "turnServer",
    types: &[Ty::Object],
    properties: TURN_SERVER_PROPS,
    ..Rule::DEFAULT
};

/// `proxy.iceTransportPolicy` (also read from `TRTC.create`'s options).
pub const ICE_TRANSPORT_POLICY: Rule = Rule {
    key: "iceTransportPolicy",
    types: &[Ty::String],
    values: &[Lit::Str("all"), Lit::Str("relay")],
    ..Rule::DEFAULT
};

const PROXY_PROPS: &[Rule] = &[
    Rule {
        key: "websocketProxy",
        types: &[Ty::String],
        ..Rule::DEFAULT
    },
    Rule {
        key: "turnServer",
        types: &[Ty::Object, Ty::Array],
        properties: TURN_SERVER_PROPS,
        array_item: Some(&TURN_SERVER),
        ..Rule::DEFAULT
    },
    ICE_TRANSPORT_POLICY,
];

/// `proxy`: a WebSocket proxy URL, or a `ProxyServer` object (checked by the same rule in
/// `enterRoom` and for `TRTC.create`'s `proxy`).
pub const PROXY: Rule = Rule {
    key: "proxy",
    types: &[Ty::String, Ty::Object],
    properties: PROXY_PROPS,
    ..Rule::DEFAULT
};

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
    /// `proxy.turnServer` and `proxy.iceTransportPolicy`.
    pub ice: IceConfig,
    /// `privateMapKey` (also `switchRole`'s and `switchRoom`'s): sent to the server, which checks
    /// the room and rights it grants when it enforces them.
    pub private_map_key: Option<String>,
    /// `useVp8` (read by trtc-sdk-v5's runtime, not in its typings): the camera prefers VP8 to
    /// H.264 ([`crate::encoding::preferred_codecs`]).
    pub use_vp8: bool,
}

/// How the media connection may reach the server: the app's TURN relays and whether only
/// relayed paths may be used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IceConfig {
    /// `proxy.turnServer`, as `RTCIceServer`s (URLs with their scheme).
    pub servers: Vec<IceServer>,
    /// `proxy.iceTransportPolicy === 'relay'`.
    pub relay_only: bool,
}

/// The longest TURN URL taken.
pub const MAX_TURN_URL_LEN: usize = 512;

/// A `TurnServer.url` as `RTCIceServer.urls` takes it: the reference's bare `host:port` (with an
/// optional `?transport=udp|tcp`) gets the `turn:` scheme; `turn:`, `turns:`, `stun:` and
/// `stuns:` URLs are kept. `None` when it cannot be a TURN URL.
pub fn turn_url(url: &str) -> Option<String> {
    let url = url.trim();
    let b = url.as_bytes();
    if b.is_empty()
        || b.len() > MAX_TURN_URL_LEN
        || b.iter().any(|&c| c <= b' ' || c == b'/' || c == 0x7f)
    {
        return None;
    }
    // The scheme: up to the first ':' when it is one of these, case-insensitively.
    let scheme = ["turn:", "turns:", "stun:", "stuns:"]
        .into_iter()
        .find(|p| b.len() >= p.len() && b[..p.len()].eq_ignore_ascii_case(p.as_bytes()));
    let rest = &url[scheme.map_or(0, str::len)..];
    let (host_port, query) = rest.split_once('?').unwrap_or((rest, ""));
    let q = query.as_bytes();
    if host_port.is_empty()
        || host_port.starts_with(':')
        || !(q.is_empty()
            || q.eq_ignore_ascii_case(b"transport=udp")
            || q.eq_ignore_ascii_case(b"transport=tcp"))
    {
        return None;
    }
    Some(match scheme {
        Some(_) => url.to_string(),
        None => ["turn:", url].concat(),
    })
}

/// The ICE part of a validated `proxy` (an object; a string proxy has none). `create_policy` is
/// `TRTC.create`'s `iceTransportPolicy`, used when the proxy names none.
pub fn parse_ice(
    proxy: &Value,
    create_policy: Option<&str>,
    f: &str,
) -> Result<IceConfig, RtcErrorInfo> {
    let items: Vec<&Value> = match proxy.get("turnServer") {
        Value::Array(a) => a.iter().collect(),
        v @ Value::Object(_) => vec![v],
        _ => vec![],
    };
    if items.len() > trtc_proto::MAX_ICE_SERVERS {
        return Err(RtcErrorInfo::invalid_parameter(
            extra::MAX,
            f,
            "'turnServer' can have at most 8 entries.",
        ));
    }
    let mut servers = Vec::with_capacity(items.len());
    for t in items {
        let raw = t.get("url").as_str().unwrap_or_default();
        let Some(url) = turn_url(raw) else {
            return Err(RtcErrorInfo::invalid_parameter(
                extra::RANGE,
                f,
                "'turnServer.url' must be like 'host:3478', 'turn:host:3478?transport=tcp' or 'turns:host:443?transport=tcp'.",
            ));
        };
        let username = t.get("username").as_str().unwrap_or_default().to_string();
        let credential = t.get("credential").as_str().unwrap_or_default().to_string();
        if url.starts_with("turn") && (username.is_empty() || credential.is_empty()) {
            let key = if username.is_empty() {
                "username"
            } else {
                "credential"
            };
            return Err(RtcErrorInfo::invalid_parameter(
                extra::REQUIRED,
                f,
                &format!("'{key}' is a required param of a TURN turnServer ({url}) when calling {f}(), received: undefined. A TURN relay needs a username and a credential."),
            ));
        }
        servers.push(IceServer {
            urls: vec![url],
            username,
            credential,
        });
    }
    let policy = proxy.get("iceTransportPolicy").as_str().or(create_policy);
    Ok(IceConfig {
        servers,
        relay_only: policy == Some("relay"),
    })
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

const SWITCH_ROOM_PROPS: &[Rule] = &[
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
    Rule {
        key: "privateMapKey",
        types: &[Ty::String],
        ..Rule::DEFAULT
    },
];

/// `switchRoom(params)` (reference §4.1 `SwitchRoomConfig`).
pub const SWITCH_ROOM: Rule = Rule {
    key: "params",
    required: true,
    types: &[Ty::Object],
    properties: SWITCH_ROOM_PROPS,
    ..Rule::DEFAULT
};

/// `switchRoom(params)` from the room `current` (`None`: not in a room): the new room's
/// config, or the reference's refusal — the property rules, 5101 when not in a room, the room
/// id rules, 5019 when the id type differs from the current room's, 5020 when it is the same
/// room.
pub fn switch_room(
    current: Option<&EnterRoomConfig>,
    params: &Value,
) -> Result<EnterRoomConfig, RtcErrorInfo> {
    const F: &str = "switchRoom";
    validate(&SWITCH_ROOM, params, F)?;
    let Some(current) = current else {
        return Err(RtcErrorInfo::new(
            crate::error::ErrorCode::InvalidOperation,
            Some(extra::NOT_JOINED),
            F,
            "switchRoom() needs a room to switch from: call enterRoom() first.",
        ));
    };
    let room = parse_room(params).map_err(|mut e| {
        e.function_name = F.into();
        e.message = crate::text::replace(&e.message, "enterRoom()", "switchRoom()");
        e
    })?;
    let same_type = matches!(
        (&current.room, &room),
        (RoomRef::Num(_), RoomRef::Num(_)) | (RoomRef::Str(_), RoomRef::Str(_))
    );
    if !same_type {
        return Err(RtcErrorInfo::invalid_parameter(
            extra::INVALID_ROOM_ID_TYPE_MISMATCH,
            F,
            "switchRoom() must name the new room the way the current one was entered: roomId for a roomId room, strRoomId for a strRoomId room.",
        ));
    }
    if room == current.room {
        return Err(RtcErrorInfo::invalid_parameter(
            extra::INVALID_ROOM_ID_DUPLICATE,
            F,
            "switchRoom() was given the room you are in; name another room.",
        ));
    }
    Ok(EnterRoomConfig {
        room,
        user_sig: params
            .get("userSig")
            .as_str()
            .unwrap_or_default()
            .to_string(),
        // A key is for one room: the old room's does not carry over.
        private_map_key: params.get("privateMapKey").as_str().map(str::to_string),
        ..current.clone()
    })
}

/// `TRTC.create`'s `proxy` and `iceTransportPolicy`: checked with the rules `enterRoom` uses,
/// then its ICE part.
pub fn create_ice(options: &Value) -> Result<IceConfig, RtcErrorInfo> {
    const F: &str = "enterRoom";
    let proxy = options.get("proxy");
    validate(&PROXY, proxy, F)?;
    let policy = options.get("iceTransportPolicy");
    validate(&ICE_TRANSPORT_POLICY, policy, F)?;
    parse_ice(proxy, policy.as_str(), F)
}

/// `enterRoom`'s ICE configuration over `TRTC.create`'s: the room's TURN servers when it names
/// any, else the instance's; the room's `iceTransportPolicy` when given, else the instance's.
pub fn merge_ice(params: &Value, room: &mut IceConfig, instance: IceConfig) {
    if room.servers.is_empty() {
        room.servers = instance.servers;
    }
    if params.get("proxy").get("iceTransportPolicy").is_undefined() {
        room.relay_only = instance.relay_only;
    }
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
    let ice = parse_ice(proxy, None, "enterRoom")?;
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
        ice,
        private_map_key: v.get("privateMapKey").as_str().map(str::to_string),
        use_vp8: v.get("useVp8").as_bool().unwrap_or(false),
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
    let after_scheme = crate::text::split_once(&base, "://")
        .map(|(_, r)| r)
        .unwrap_or(&base);
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
        assert!(!c.use_vp8);
        assert!(
            parse(&base(&[("roomId", n(1.0)), ("useVp8", Value::Bool(true))]))
                .unwrap()
                .use_vp8
        );
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

    fn turn(props: &[(&str, Value)]) -> Value {
        obj(props)
    }
    fn with_proxy(proxy: Value) -> Value {
        base(&[("roomId", n(1.0)), ("proxy", proxy)])
    }
    /// validate_params then parse, as enterRoom does: the extra code of the first failure.
    fn enter(v: &Value) -> Result<EnterRoomConfig, i32> {
        validate_params(v)
            .and_then(|_| parse(v))
            .map_err(|e| e.extra_code.unwrap_or(0))
    }

    #[test]
    fn turn_urls_in_the_references_forms() {
        let rows = [
            ("14.3.3.3:3478", Some("turn:14.3.3.3:3478")),
            ("turn:14.3.3.3:3478", Some("turn:14.3.3.3:3478")),
            ("TURN:relay.example:3478", Some("TURN:relay.example:3478")),
            (
                "relay.example:443?transport=tcp",
                Some("turn:relay.example:443?transport=tcp"),
            ),
            (
                "turns:relay.example:443?transport=tcp",
                Some("turns:relay.example:443?transport=tcp"),
            ),
            (
                "turn:[::1]:3478?transport=udp",
                Some("turn:[::1]:3478?transport=udp"),
            ),
            ("stun:stun.example:3478", Some("stun:stun.example:3478")),
            ("  relay.example:3478 ", Some("turn:relay.example:3478")),
            ("", None),
            ("turn:", None),
            ("turn::3478", None),
            ("https://relay.example", None),
            ("relay.example:3478?transport=sctp", None),
            ("relay example:3478", None),
            ("turn:relay.example/x", None),
        ];
        for (url, want) in rows {
            assert_eq!(turn_url(url).as_deref(), want, "{url}");
        }
        assert_eq!(turn_url(&"a".repeat(MAX_TURN_URL_LEN + 1)), None);
    }

    #[test]
    fn turn_server_and_policy() {
        let one = turn(&[
            ("url", s("127.0.0.1:3478")),
            ("username", s("u")),
            ("credential", s("p")),
            ("credentialType", s("password")),
        ]);
        let c = enter(&with_proxy(obj(&[("turnServer", one.clone())]))).unwrap();
        assert_eq!(
            c.ice,
            IceConfig {
                servers: vec![IceServer {
                    urls: vec!["turn:127.0.0.1:3478".into()],
                    username: "u".into(),
                    credential: "p".into(),
                }],
                relay_only: false,
            }
        );
        let two = Value::Array(vec![
            one.clone(),
            turn(&[
                ("url", s("turns:relay.example:443?transport=tcp")),
                ("username", s("u2")),
                ("credential", s("p2")),
            ]),
        ]);
        let c = enter(&with_proxy(obj(&[
            ("turnServer", two),
            ("iceTransportPolicy", s("relay")),
        ])))
        .unwrap();
        assert_eq!(c.ice.servers.len(), 2);
        assert_eq!(
            c.ice.servers[1].urls,
            ["turns:relay.example:443?transport=tcp"]
        );
        assert!(c.ice.relay_only);
        // A string proxy or none: no relays, every path.
        assert_eq!(
            enter(&base(&[("roomId", n(1.0))])).unwrap().ice,
            IceConfig::default()
        );
        assert_eq!(
            enter(&with_proxy(s("wss://x"))).unwrap().ice,
            IceConfig::default()
        );
    }

    #[test]
    fn bad_turn_configuration_is_refused_with_the_5000_codes() {
        let good = || {
            vec![
                ("url", s("127.0.0.1:3478")),
                ("username", s("u")),
                ("credential", s("p")),
            ]
        };
        let without = |k: &str| {
            let mut g = good();
            g.retain(|(key, _)| *key != k);
            turn(&g)
        };
        let with = |k: &'static str, v: Value| {
            let mut g = good();
            g.retain(|(key, _)| *key != k);
            g.push((k, v));
            turn(&g)
        };
        let rows: Vec<(Value, i32)> = vec![
            (obj(&[("turnServer", s("127.0.0.1:3478"))]), 5002),
            (obj(&[("turnServer", n(1.0))]), 5002),
            (obj(&[("turnServer", without("url"))]), 5001),
            (obj(&[("turnServer", with("url", n(3478.0)))]), 5002),
            (obj(&[("turnServer", with("url", s("  ")))]), 5003),
            (
                obj(&[("turnServer", with("url", s("http://relay:3478")))]),
                5005,
            ),
            (obj(&[("turnServer", with("username", n(1.0)))]), 5002),
            (
                obj(&[("turnServer", with("credentialType", s("oauth")))]),
                5005,
            ),
            (obj(&[("turnServer", without("username"))]), 5001),
            (obj(&[("turnServer", without("credential"))]), 5001),
            (
                obj(&[("turnServer", Value::Array(vec![good_turn(), n(1.0)]))]),
                5002,
            ),
            (
                obj(&[("turnServer", Value::Array(vec![without("url")]))]),
                5001,
            ),
            (
                obj(&[("turnServer", Value::Array(vec![good_turn(); 9]))]),
                5008,
            ),
            (obj(&[("iceTransportPolicy", s("relay-only"))]), 5005),
            (obj(&[("iceTransportPolicy", Value::Bool(true))]), 5002),
            (obj(&[("websocketProxy", n(1.0))]), 5002),
        ];
        for (proxy, code) in rows {
            let shown = format!("{proxy:?}");
            assert_eq!(enter(&with_proxy(proxy)).unwrap_err(), code, "{shown}");
        }
        // A STUN server needs no credentials.
        let stun = obj(&[("turnServer", turn(&[("url", s("stun:stun.example:3478"))]))]);
        assert_eq!(enter(&with_proxy(stun)).unwrap().ice.servers.len(), 1);
    }

    fn good_turn() -> Value {
        obj(&[
            ("url", s("127.0.0.1:3478")),
            ("username", s("u")),
            ("credential", s("p")),
        ])
    }

    #[test]
    fn the_rooms_ice_over_the_instances() {
        let instance = create_ice(&obj(&[
            ("proxy", obj(&[("turnServer", good_turn())])),
            ("iceTransportPolicy", s("relay")),
        ]))
        .unwrap();
        assert_eq!(instance.servers.len(), 1);
        assert!(instance.relay_only);
        // proxy.iceTransportPolicy wins over the top-level one.
        let i2 = create_ice(&obj(&[
            ("proxy", obj(&[("iceTransportPolicy", s("all"))])),
            ("iceTransportPolicy", s("relay")),
        ]))
        .unwrap();
        assert!(!i2.relay_only);
        // A room without its own takes the instance's.
        let params = base(&[("roomId", n(1.0))]);
        let mut room = parse(&params).unwrap().ice;
        merge_ice(&params, &mut room, instance.clone());
        assert_eq!(room, instance);
        // A room with its own relays and policy keeps them.
        let params = with_proxy(obj(&[
            (
                "turnServer",
                turn(&[
                    ("url", s("turn:other:3478")),
                    ("username", s("a")),
                    ("credential", s("b")),
                ]),
            ),
            ("iceTransportPolicy", s("all")),
        ]));
        let mut room = parse(&params).unwrap().ice;
        merge_ice(&params, &mut room, instance);
        assert_eq!(room.servers[0].urls, ["turn:other:3478"]);
        assert!(!room.relay_only);
        // The instance's options are checked with the same rules.
        let bad = create_ice(&obj(&[("iceTransportPolicy", s("none"))])).unwrap_err();
        assert_eq!(bad.extra_code, Some(5005));
        let bad = create_ice(&obj(&[("proxy", obj(&[("turnServer", n(1.0))]))])).unwrap_err();
        assert_eq!(bad.extra_code, Some(5002));
    }

    #[test]
    fn switch_room_checks_in_the_references_order() {
        let current = parse(&base(&[("roomId", n(8.0))])).unwrap();
        let str_current = parse(&base(&[("strRoomId", s("lobby"))])).unwrap();
        let p = |props: &[(&str, Value)]| obj(props);
        let code = |cur: Option<&EnterRoomConfig>, v: Value| {
            switch_room(cur, &v)
                .err()
                .map(|e| (e.extra_code.unwrap_or(0), e.function_name))
        };
        let f = || "switchRoom".to_string();
        assert_eq!(code(Some(&current), Value::Undefined), Some((5001, f())));
        assert_eq!(
            code(Some(&current), p(&[("roomId", n(9.0))])),
            Some((5001, f()))
        );
        assert_eq!(
            code(
                Some(&current),
                p(&[("userSig", s("x")), ("roomId", s("9"))])
            ),
            Some((5002, f()))
        );
        // Not in a room: 5101, after the property rules.
        assert_eq!(
            code(None, p(&[("userSig", s("x")), ("roomId", n(9.0))])),
            Some((5101, f()))
        );
        assert_eq!(code(None, p(&[("roomId", n(9.0))])), Some((5001, f())));
        assert_eq!(
            code(
                Some(&current),
                p(&[("userSig", s("x")), ("roomId", n(1.5))])
            ),
            Some((5013, f()))
        );
        assert_eq!(
            code(Some(&current), p(&[("userSig", s("x"))])),
            Some((5015, f()))
        );
        assert_eq!(
            code(
                Some(&current),
                p(&[("userSig", s("x")), ("strRoomId", s("other"))])
            ),
            Some((5019, f()))
        );
        assert_eq!(
            code(
                Some(&str_current),
                p(&[("userSig", s("x")), ("roomId", n(9.0))])
            ),
            Some((5019, f()))
        );
        assert_eq!(
            code(
                Some(&current),
                p(&[("userSig", s("x")), ("roomId", n(8.0))])
            ),
            Some((5020, f()))
        );
        assert_eq!(
            code(
                Some(&str_current),
                p(&[("userSig", s("x")), ("strRoomId", s("lobby"))])
            ),
            Some((5020, f()))
        );
        let next = switch_room(
            Some(&current),
            &p(&[("userSig", s("sig2")), ("roomId", n(9.0))]),
        )
        .unwrap();
        assert_eq!(next.room, RoomRef::Num(9));
        assert_eq!(next.user_sig, "sig2");
        assert_eq!(
            next.user_id, current.user_id,
            "the rest is the current room's"
        );
        let e = switch_room(
            Some(&current),
            &p(&[("userSig", s("x")), ("roomId", n(0.5))]),
        )
        .unwrap_err();
        assert!(
            e.message.contains("switchRoom()") || !e.message.contains("enterRoom()"),
            "{}",
            e.message
        );
    }
}
