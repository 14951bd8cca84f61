//! The SDK's side of the wire without a JSON library: [`ClientMsg::to_json`] writes the text the
//! serde encoding writes, and [`ServerMsg::from_tree`] reads a server message out of any parsed
//! JSON value that implements [`JsonTree`] (the browser's `JSON.parse` result in the SDK,
//! `serde_json::Value` in the tests). The server keeps using serde; the tests in
//! `tests/light.rs` hold both encodings to the same text and values, so they cannot drift.
//!
//! Why: serde's derive for internally tagged enums, run over `JsValue`, was ~60 KB of the SDK's
//! wasm; this is a few KB.

use crate::{ClientMsg, DecodeError, MediaKind, RemoteUser, Role, RoomId, Scene, ServerMsg};
use crate::{IceServer, TrackSlot, MAX_MESSAGE_BYTES};

/// Read access to a parsed JSON value.
pub trait JsonTree: Sized {
    /// The member `key` of an object; `None` when absent (or when `self` is not an object).
    fn member(&self, key: &str) -> Option<Self>;
    /// The value as a string; `None` when it is not one.
    fn string(&self) -> Option<String>;
    /// The value as a number; `None` when it is not one.
    fn number(&self) -> Option<f64>;
    /// The value as a boolean; `None` when it is not one.
    fn boolean(&self) -> Option<bool>;
    /// Whether the value is `null`.
    fn is_null(&self) -> bool;
    /// The elements of an array; `None` when `self` is not an array.
    fn elements(&self) -> Option<Vec<Self>>;
}

fn bad(why: impl Into<String>) -> DecodeError {
    DecodeError::Malformed(why.into())
}

fn req<T: JsonTree>(v: &T, key: &str) -> Result<T, DecodeError> {
    v.member(key)
        .ok_or_else(|| bad(format!("missing field `{key}`")))
}

fn string<T: JsonTree>(v: &T, key: &str) -> Result<String, DecodeError> {
    req(v, key)?
        .string()
        .ok_or_else(|| bad(format!("`{key}` is not a string")))
}

fn boolean<T: JsonTree>(v: &T, key: &str) -> Result<bool, DecodeError> {
    req(v, key)?
        .boolean()
        .ok_or_else(|| bad(format!("`{key}` is not a boolean")))
}

/// An integer field within `min..=max` (JSON numbers are f64 in the browser).
/// A boolean field that may be absent (then `false`), as `#[serde(default)]` reads it.
fn opt_boolean<T: JsonTree>(v: &T, key: &str) -> Result<bool, DecodeError> {
    match v.member(key) {
        None => Ok(false),
        Some(_) => boolean(v, key),
    }
}

fn integer<T: JsonTree>(v: &T, key: &str, min: f64, max: f64) -> Result<f64, DecodeError> {
    match req(v, key)?.number() {
        Some(n) if n.fract() == 0.0 && n >= min && n <= max => Ok(n),
        _ => Err(bad(format!("`{key}` is not an integer in range"))),
    }
}

fn kind<T: JsonTree>(v: &T) -> Result<MediaKind, DecodeError> {
    let name = string(v, "kind")?;
    MediaKind::from_name(&name).ok_or_else(|| bad(format!("unknown kind `{name}`")))
}

fn array<T: JsonTree>(v: &T, key: &str) -> Result<Vec<T>, DecodeError> {
    req(v, key)?
        .elements()
        .ok_or_else(|| bad(format!("`{key}` is not an array")))
}

impl ServerMsg {
    /// A server message from a parsed JSON value, with the serde decoding's rules: unknown
    /// members are ignored, a missing or mistyped one is an error.
    pub fn from_tree<T: JsonTree>(v: &T) -> Result<ServerMsg, DecodeError> {
        let ty = string(v, "type")?;
        let user_id = || string(v, "userId");
        let code = || integer(v, "code", i64::MIN as f64, i64::MAX as f64).map(|n| n as i64);
        let seq = || integer(v, "seq", 0.0, u64::MAX as f64).map(|n| n as u64);
        Ok(match ty.as_str() {
            "joined" => ServerMsg::Joined {
                user_id: user_id()?,
                users: array(v, "users")?
                    .iter()
                    .map(|u| {
                        Ok(RemoteUser {
                            user_id: string(u, "userId")?,
                            audio: boolean(u, "audio")?,
                            video: boolean(u, "video")?,
                            sub_video: opt_boolean(u, "subVideo")?,
                            sub_audio: opt_boolean(u, "subAudio")?,
                        })
                    })
                    .collect::<Result<_, DecodeError>>()?,
            },
            "join-failed" => ServerMsg::JoinFailed {
                code: code()?,
                message: string(v, "message")?,
            },
            "user-enter" => ServerMsg::UserEnter {
                user_id: user_id()?,
            },
            "user-exit" => ServerMsg::UserExit {
                user_id: user_id()?,
                reason: integer(v, "reason", 0.0, 255.0)? as u8,
            },
            "media-state" => ServerMsg::MediaState {
                user_id: user_id()?,
                kind: kind(v)?,
                available: boolean(v, "available")?,
            },
            "offer" => ServerMsg::Offer {
                sdp: string(v, "sdp")?,
                slots: array(v, "slots")?
                    .iter()
                    .map(|s| {
                        Ok(TrackSlot {
                            mid: string(s, "mid")?,
                            user_id: match s.member("userId") {
                                Some(u) if !u.is_null() => Some(
                                    u.string().ok_or_else(|| bad("`userId` is not a string"))?,
                                ),
                                _ => None,
                            },
                            kind: kind(s)?,
                        })
                    })
                    .collect::<Result<_, DecodeError>>()?,
            },
            "kicked" => ServerMsg::Kicked {
                reason: string(v, "reason")?,
            },
            "error" => ServerMsg::Error {
                code: code()?,
                message: string(v, "message")?,
            },
            "custom" => ServerMsg::Custom {
                user_id: user_id()?,
                cmd_id: integer(v, "cmdId", 0.0, 255.0)? as u8,
                seq: seq()?,
                data: string(v, "data")?,
            },
            "ice-servers" => {
                let mut servers = Vec::new();
                for s in array(v, "servers")?.iter().take(crate::MAX_ICE_SERVERS) {
                    let mut urls = Vec::new();
                    for u in array(s, "urls")?.iter().take(crate::MAX_ICE_SERVERS) {
                        urls.push(u.string().ok_or_else(|| bad("`urls` has a non-string"))?);
                    }
                    servers.push(IceServer {
                        urls,
                        username: string(s, "username")?,
                        credential: string(s, "credential")?,
                    });
                }
                ServerMsg::IceServers { servers }
            }
            "redirect" => ServerMsg::Redirect {
                url: string(v, "url")?,
            },
            "pong" => ServerMsg::Pong { seq: seq()? },
            "publish-refused" => ServerMsg::PublishRefused {
                code: code()?,
                message: string(v, "message")?,
            },
            "role-switched" => ServerMsg::RoleSwitched {
                role: match string(v, "role")?.as_str() {
                    "anchor" => Role::Anchor,
                    "audience" => Role::Audience,
                    other => return Err(bad(format!("unknown role `{other}`"))),
                },
            },
            "role-refused" => ServerMsg::RoleRefused {
                code: code()?,
                message: string(v, "message")?,
            },
            "subscribe-refused" => ServerMsg::SubscribeRefused {
                user_id: user_id()?,
                kind: kind(v)?,
                code: code()?,
                message: string(v, "message")?,
            },
            "preconnected" => ServerMsg::Preconnected {
                keep_ms: integer(v, "keepMs", 0.0, u64::MAX as f64)? as u64,
            },
            other => return Err(bad(format!("unknown message type `{other}`"))),
        })
    }

    /// [`ServerMsg::from_tree`] for a frame of `len` bytes: oversized frames are refused first.
    pub fn check_size(len: usize) -> Result<(), DecodeError> {
        if len > MAX_MESSAGE_BYTES {
            Err(DecodeError::TooLarge(len))
        } else {
            Ok(())
        }
    }
}

/// Appends `s` as a JSON string literal, escaped as serde_json escapes it.
pub fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 15] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A finite number as JS prints it, for the values the SDK writes: integers below 2^53 exactly,
/// other numbers as the shortest decimal of up to 22 places that reads back as the same f64
/// (`0.1`, `33.25`, `1.5e-7` as `0.00000015`). Without the standard float formatter, which is
/// ~20 KB of wasm. Magnitudes from 2^53 up are rounded to an integer (from 1e19 up written as
/// `1.5e+21` with up to 16 digits), and fractions that need
/// more than 22 places (below ~1e-6 with all 17 digits) to 22 places.
/// Not finite: `NaN`, `Infinity`, `-Infinity`.
pub fn format_f64(n: f64) -> String {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if n.is_nan() {
        return "NaN".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let sign = if n < 0.0 { "-" } else { "" };
    let a = n.abs();
    if a.fract() != 0.0 && a < EXACT {
        let mut scale = 1.0f64;
        for places in 1..=22usize {
            scale *= 10.0;
            let m = (a * scale).round();
            // 10^places is exact up to 10^22 and `m` is an integer below 2^64, so when m/10^p
            // is `a` the digits of `m` read back as `a`.
            if m < 1.8e19 && (m / scale == a || places == 22) {
                let mut digits = (m as u64).to_string();
                while digits.len() <= places {
                    digits.insert(0, '0');
                }
                let point = digits.len() - places;
                let (int, frac) = digits.split_at(point);
                let frac = frac.trim_end_matches('0');
                return format!("{sign}{int}.{frac}");
            }
        }
    }
    let r = a.round();
    if r == 0.0 {
        return "0".into();
    }
    if r < 1e19 {
        return format!("{sign}{}", r as u64);
    }
    // Huge: 16 significant digits in JS's exponent form (`1e+21`, `1.5e+300`).
    let (mut x, mut exp) = (r, 0i32);
    while x >= 1e16 {
        x /= 10.0;
        exp += 1;
    }
    let digits = (x.round() as u64).to_string();
    exp += digits.len() as i32 - 1;
    let (first, rest) = digits.split_at(1);
    let rest = rest.trim_end_matches('0');
    let point = if rest.is_empty() { "" } else { "." };
    format!("{sign}{first}{point}{rest}e+{exp}")
}

/// A number as a JSON value: [`format_f64`], and `null` for NaN and infinities (as
/// `JSON.stringify` writes them).
pub fn json_f64(n: f64) -> String {
    if n.is_finite() {
        format_f64(n)
    } else {
        "null".into()
    }
}

/// A JSON array of values that are JSON text already.
pub fn json_array<I: IntoIterator<Item = String>>(items: I) -> String {
    let mut out = String::from("[");
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&item);
    }
    out.push(']');
    out
}

/// A small JSON object writer: `{"a":1,"b":"x"}` in the order the fields are added.
pub struct ObjectWriter {
    out: String,
    empty: bool,
}

impl Default for ObjectWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl ObjectWriter {
    /// An empty object.
    pub fn new() -> Self {
        ObjectWriter {
            out: String::from("{"),
            empty: true,
        }
    }

    fn key(&mut self, key: &str) -> &mut String {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        push_json_str(&mut self.out, key);
        self.out.push(':');
        &mut self.out
    }

    /// Adds a string member.
    pub fn str(&mut self, key: &str, value: &str) -> &mut Self {
        push_json_str(self.key(key), value);
        self
    }

    /// Adds a string member, or `null` for `None`.
    pub fn opt_str(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.str(key, v),
            None => self.raw(key, "null"),
        }
    }

    /// Adds a boolean member.
    pub fn bool(&mut self, key: &str, value: bool) -> &mut Self {
        self.raw(key, if value { "true" } else { "false" })
    }

    /// Adds an integer member.
    pub fn uint(&mut self, key: &str, value: u64) -> &mut Self {
        let s = value.to_string();
        self.raw(key, &s)
    }

    /// Adds a number member ([`json_f64`]).
    pub fn num(&mut self, key: &str, value: f64) -> &mut Self {
        let s = json_f64(value);
        self.raw(key, &s)
    }

    /// A value that is JSON text already (a nested object, array, number or literal).
    pub fn raw(&mut self, key: &str, json: &str) -> &mut Self {
        self.key(key).push_str(json);
        self
    }

    /// The object's text. It takes the writer's buffer: use a new writer for another object.
    pub fn finish(&mut self) -> String {
        let mut out = std::mem::take(&mut self.out);
        out.push('}');
        out
    }
}

fn kind_str(k: MediaKind) -> &'static str {
    k.name()
}

fn role_str(r: Role) -> &'static str {
    match r {
        Role::Anchor => "anchor",
        Role::Audience => "audience",
    }
}

impl ClientMsg {
    /// The message as JSON text, exactly as the serde encoding writes it.
    pub fn to_json(&self) -> String {
        let mut w = ObjectWriter::new();
        match self {
            ClientMsg::Join(j) => {
                let mut room = ObjectWriter::new();
                match &j.room {
                    RoomId::Num(n) => room.uint("num", u64::from(*n)),
                    RoomId::Str(s) => room.str("str", s),
                };
                w.str("type", "join")
                    .uint("version", u64::from(j.version))
                    .uint("sdkAppId", j.sdk_app_id)
                    .str("userId", &j.user_id)
                    .str("userSig", &j.user_sig)
                    .raw("room", &room.finish())
                    .str(
                        "scene",
                        match j.scene {
                            Scene::Rtc => "rtc",
                            Scene::Live => "live",
                        },
                    )
                    .str("role", role_str(j.role))
                    .opt_str("session", j.session.as_deref())
                    .opt_str("privateMapKey", j.private_map_key.as_deref());
            }
            ClientMsg::Publish {
                audio,
                video,
                sub_video,
                sub_audio,
                small,
            } => {
                w.str("type", "publish")
                    .bool("audio", *audio)
                    .bool("video", *video)
                    .bool("subVideo", *sub_video)
                    .bool("subAudio", *sub_audio);
                if *small {
                    w.bool("small", true);
                }
            }
            ClientMsg::Mute { kind, muted } => {
                w.str("type", "mute")
                    .str("kind", kind_str(*kind))
                    .bool("muted", *muted);
            }
            ClientMsg::Subscribe {
                user_id,
                kind,
                on,
                small,
            } => {
                w.str("type", "subscribe")
                    .str("userId", user_id)
                    .str("kind", kind_str(*kind))
                    .bool("on", *on);
                if *small {
                    w.bool("small", true);
                }
            }
            ClientMsg::Answer { sdp } => {
                w.str("type", "answer").str("sdp", sdp);
            }
            ClientMsg::Leave => {
                w.str("type", "leave");
            }
            ClientMsg::SwitchRole {
                role,
                private_map_key,
            } => {
                w.str("type", "switch-role")
                    .str("role", role_str(*role))
                    .opt_str("privateMapKey", private_map_key.as_deref());
            }
            ClientMsg::Custom { cmd_id, data } => {
                w.str("type", "custom")
                    .uint("cmdId", *cmd_id as u64)
                    .str("data", data);
            }
            ClientMsg::Ping { seq } => {
                w.str("type", "ping").uint("seq", *seq);
            }
            ClientMsg::Preconnect {
                version,
                sdk_app_id,
                user_id,
                user_sig,
            } => {
                w.str("type", "preconnect")
                    .uint("version", u64::from(*version))
                    .uint("sdkAppId", *sdk_app_id)
                    .str("userId", user_id)
                    .str("userSig", user_sig);
            }
        }
        w.finish()
    }
}
