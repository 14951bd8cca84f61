//! Signalling messages between the trtc-wasm SDK and `trtc-server`: JSON text frames over one
//! WebSocket per client (`/trtc/ws`), tagged by `type`, field names in camelCase.
//!
//! What this crate owns: the message types of both directions, the protocol version, the size
//! limit, and decoding that never panics and says what was wrong.
//!
//! The conversation:
//! 1. The client sends [`ClientMsg::Join`] first (with [`PROTOCOL_VERSION`]); the server answers
//!    [`ServerMsg::Joined`] (the users already there and what they publish) or
//!    [`ServerMsg::JoinFailed`].
//! 2. Media: one peer connection per client, to the server. The server makes every offer
//!    ([`ServerMsg::Offer`], naming which user and kind each `mid` carries); the client answers
//!    with [`ClientMsg::Answer`]. Only one offer is outstanding at a time.
//! 3. The client says what it sends ([`ClientMsg::Publish`]), mutes ([`ClientMsg::Mute`]) and
//!    which remote streams it wants forwarded ([`ClientMsg::Subscribe`]); the server tells
//!    everyone about users and streams ([`ServerMsg::UserEnter`], [`ServerMsg::UserExit`],
//!    [`ServerMsg::MediaState`]).
//! 4. A malformed, unknown or oversized message gets [`ServerMsg::Error`] and changes nothing.
//!
//! Also here, because both sides must agree on them: the room-id rules ([`room_id`]), the
//! error codes ([`code`]) and kick reasons ([`kick_reason`]), and — for the SDK, which has no
//! serde_json in the browser — a JSON encoding of its own ([`ClientMsg::to_json`],
//! [`ServerMsg::from_tree`]) that `tests/light.rs` holds to the serde encoding's text.
//!
//! Invariants: the wire format is stable within a [`PROTOCOL_VERSION`] (`tests/` pins it);
//! decoding never panics on any input and refuses a frame over [`MAX_MESSAGE_BYTES`] before
//! parsing it; this crate does no IO.

#![warn(missing_docs)]

use serde::{Deserialize, Serialize};

mod light;
pub mod room_id;
pub use light::{format_f64, json_array, json_f64, push_json_str, JsonTree, ObjectWriter};

/// Bumped on any incompatible change.
pub const PROTOCOL_VERSION: u32 = 1;
/// The largest text frame either side accepts.
///
/// SDP is the big message: an answer grows by ~5 KB per remote user, so the first limit, 64 KiB,
/// cut off rooms of 15 (the 15th user's answer was refused). 1 MiB holds rooms of ~200.
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;
/// The WebSocket path, relative to the server's origin.
pub const WS_PATH: &str = "/trtc/ws";

/// A kind of media stream: `"audio"` or `"video"` (the main stream: microphone and camera), or
/// `"sub-video"` / `"sub-audio"` (the sub stream: a shared screen and the system audio that came
/// with it). A publisher has at most one stream of each kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MediaKind {
    /// The microphone's stream.
    Audio,
    /// The camera's stream (streamType `main`).
    Video,
    /// The shared screen (streamType `sub`).
    SubVideo,
    /// The system audio captured with the shared screen.
    SubAudio,
}

impl MediaKind {
    /// Every kind, main stream first.
    pub const ALL: [MediaKind; 4] = [
        MediaKind::Audio,
        MediaKind::Video,
        MediaKind::SubVideo,
        MediaKind::SubAudio,
    ];

    /// Whether it is a video stream (main or sub).
    pub fn is_video(self) -> bool {
        matches!(self, MediaKind::Video | MediaKind::SubVideo)
    }

    /// Whether it belongs to the sub stream (screen sharing).
    pub fn is_sub(self) -> bool {
        matches!(self, MediaKind::SubVideo | MediaKind::SubAudio)
    }

    /// Its name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
            MediaKind::SubVideo => "sub-video",
            MediaKind::SubAudio => "sub-audio",
        }
    }

    /// The kind named `name` on the wire.
    pub fn from_name(name: &str) -> Option<MediaKind> {
        MediaKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// TRTC's application scene, chosen at `enterRoom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scene {
    /// A call: everyone is an anchor (may publish and is seen by the others).
    #[default]
    Rtc,
    /// Live streaming: anchors publish, audiences only watch and are not seen.
    Live,
}

/// A user's role in the live scene ([`Scene::Live`]); in an rtc room everyone is an anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// May publish; the others see it enter and exit.
    #[default]
    Anchor,
    /// Receives only; invisible to the others.
    Audience,
}

/// Which room: numeric `roomId` and string `strRoomId` are separate namespaces. Which ids
/// exist: [`room_id`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RoomId {
    /// `roomId`: 1 to 4294967294 (`{"num": 8}` on the wire).
    Num(u32),
    /// `strRoomId`: 1 to 64 characters of a fixed set (`{"str": "abc"}` on the wire).
    Str(String),
}

/// The first message of a connection: enter a room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Join {
    /// [`PROTOCOL_VERSION`] of the client.
    pub version: u32,
    /// The application; the server checks the userSig with this app's secret key.
    pub sdk_app_id: u64,
    /// Who enters; the userSig must be signed for this userId.
    pub user_id: String,
    /// The TLS-sig v2 userSig proving the userId (`trtc-usersig`).
    pub user_sig: String,
    /// The room to enter.
    pub room: RoomId,
    /// The scene (default rtc).
    #[serde(default)]
    pub scene: Scene,
    /// The role in the live scene (default anchor).
    #[serde(default)]
    pub role: Role,
    /// Names one `enterRoom` of one SDK instance. A join with the session of a member still in
    /// the room (its connection dropped) resumes it silently: the others see no exit and no enter.
    #[serde(default)]
    pub session: Option<String>,
    /// The `privateMapKey` the app passed: the room and rights it grants are checked by a
    /// server that enforces them.
    #[serde(default)]
    pub private_map_key: Option<String>,
}

/// Client → server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "kebab-case",
    rename_all_fields = "camelCase"
)]
pub enum ClientMsg {
    /// Enter a room (the first message; a second is refused).
    Join(Join),
    /// `callExperimentalAPI('preconnect')`: proves the user before `enterRoom`, so that the
    /// server keeps this connection open for a later `join` ([`ServerMsg::Preconnected`] says
    /// how long) instead of closing it after its usual join timeout. Only before `join`.
    Preconnect {
        /// [`PROTOCOL_VERSION`] of the client.
        version: u32,
        /// The application.
        sdk_app_id: u64,
        /// The user the `join` will be for.
        user_id: String,
        /// Its userSig, checked as a `join`'s is.
        user_sig: String,
    },
    /// What the client sends from now on; the server renegotiates to receive it.
    Publish {
        /// Whether it sends audio.
        audio: bool,
        /// Whether it sends video.
        video: bool,
        /// Whether it sends a shared screen (the sub stream); absent: no.
        #[serde(default)]
        sub_video: bool,
        /// Whether it sends the system audio of a shared screen; absent: no.
        #[serde(default)]
        sub_audio: bool,
        /// Whether its video carries a small layer too (`option.small`: simulcast, rids `h`
        /// and `l`). Absent (old clients): `false`; written only when `true`.
        #[serde(default, skip_serializing_if = "is_false")]
        small: bool,
    },
    /// A published stream muted or unmuted (others see it unavailable/available).
    Mute {
        /// Which stream.
        kind: MediaKind,
        /// Muted (`true`) or unmuted.
        muted: bool,
    },
    /// Forward (or stop forwarding) a remote user's stream to this client.
    Subscribe {
        /// Whose stream.
        user_id: String,
        /// Which of its streams.
        kind: MediaKind,
        /// Forward (`true`) or stop.
        on: bool,
        /// Video: the small layer (`startRemoteVideo`'s `option.small`) instead of the big one;
        /// the big one is sent when the user publishes no small one. Absent (old clients):
        /// `false`; written only when `true`.
        #[serde(default, skip_serializing_if = "is_false")]
        small: bool,
    },
    /// The answer to the outstanding [`ServerMsg::Offer`].
    Answer {
        /// The SDP answer.
        sdp: String,
    },
    /// Leave the room (`exitRoom`); the server closes the connection.
    Leave,
    /// Live scene: become an anchor (may publish, seen by others) or an audience.
    SwitchRole {
        /// The new role.
        role: Role,
        /// `switchRole`'s `option.privateMapKey`: a new key for the rights of the new role.
        #[serde(default)]
        private_map_key: Option<String>,
    },
    /// `sendCustomMessage`: relay `data` to everyone else in the room, in order.
    Custom {
        /// 1..=10.
        cmd_id: u8,
        /// 1..=[`MAX_CUSTOM_BYTES`] bytes, base64 ([`b64`]).
        data: String,
    },
    /// A heartbeat; answered with [`ServerMsg::Pong`] of the same `seq`.
    Ping {
        /// Echoed in the answer.
        seq: u64,
    },
}

/// For `skip_serializing_if`: fields that are written only when set.
fn is_false(b: &bool) -> bool {
    !*b
}

/// A user already in the room, and what they publish.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteUser {
    /// Its userId.
    pub user_id: String,
    /// Whether its audio is available (published and not muted).
    pub audio: bool,
    /// Whether its video is available (published and not muted).
    pub video: bool,
    /// Whether its shared screen (the sub stream) is available; absent: no.
    #[serde(default)]
    pub sub_video: bool,
    /// Whether the system audio of its shared screen is available; absent: no.
    #[serde(default)]
    pub sub_audio: bool,
}

/// What one `mid` of an offer carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackSlot {
    /// The `mid` of the m-line in the offer's SDP.
    pub mid: String,
    /// The remote user whose media this sends to the client; `None` for the client's own
    /// upstream (a slot the client sends on).
    pub user_id: Option<String>,
    /// Audio or video.
    pub kind: MediaKind,
}

/// Server → client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "kebab-case",
    rename_all_fields = "camelCase"
)]
pub enum ServerMsg {
    /// The join succeeded.
    Joined {
        /// The userId this connection is (the userSig's).
        user_id: String,
        /// The users already in the room whom this client sees (anchors), in joining order.
        users: Vec<RemoteUser>,
    },
    /// The join was refused; nothing changed.
    JoinFailed {
        /// TRTC's server code (e.g. -100018 for a userSig check failure) or one of [`code`].
        code: i64,
        /// What was wrong and what to do.
        message: String,
    },
    /// A user became visible in the room (entered, or switched to anchor).
    UserEnter {
        /// Who.
        user_id: String,
    },
    /// A user left the room (or switched to audience).
    UserExit {
        /// Who.
        user_id: String,
        /// 0 normal, 1 timeout, 2 kicked, 3 role change.
        reason: u8,
    },
    /// A remote stream became available or unavailable (published, unpublished, muted).
    MediaState {
        /// Whose stream.
        user_id: String,
        /// Which stream.
        kind: MediaKind,
        /// Whether it can be subscribed to now.
        available: bool,
    },
    /// The server's SDP offer for this client's one peer connection; answer with
    /// [`ClientMsg::Answer`].
    Offer {
        /// The SDP offer.
        sdp: String,
        /// What each `mid` carries.
        slots: Vec<TrackSlot>,
    },
    /// This client was removed from the room; the server closes the connection.
    Kicked {
        /// `kick` (the same userId entered elsewhere), `banned` (removed by the admin API) or
        /// `room_disband` (the room was dismissed): [`kick_reason`].
        reason: String,
    },
    /// A message was refused; nothing changed.
    Error {
        /// One of [`code`].
        code: i64,
        /// What was wrong and what to do.
        message: String,
    },
    /// Another user's custom message (`CUSTOM_MESSAGE`).
    Custom {
        /// Who sent it.
        user_id: String,
        /// Its `cmdId` (1..=10).
        cmd_id: u8,
        /// The sender's count of custom messages in this room, from 1.
        seq: u64,
        /// The payload, base64 ([`b64`]).
        data: String,
    },
    /// Sent right after [`ServerMsg::Joined`] by a server that issues TURN credentials: relays
    /// the client may use for its media connection when the app configured none of its own.
    IceServers {
        /// The relays, with time-limited credentials.
        servers: Vec<IceServer>,
    },
    /// The answer to a `join` on a server that does not host the room (one node of a
    /// cluster): join again at `url`, the WebSocket URL of the node that does. The server
    /// closes the connection. A client follows only a `ws://` or `wss://` URL of at most
    /// [`MAX_REDIRECT_URL`] bytes ([`valid_redirect_url`]), and a few times in a row.
    Redirect {
        /// The signalling WebSocket URL of the node that hosts the room.
        url: String,
    },
    /// The answer to [`ClientMsg::Ping`].
    Pong {
        /// The ping's `seq`.
        seq: u64,
    },
    /// A [`ClientMsg::Publish`] was refused (its privateMapKey lacks a right it needs); nothing
    /// changed: the server keeps what it received before.
    PublishRefused {
        /// [`code::PRIVILEGE`].
        code: i64,
        /// Which right is missing and what to do.
        message: String,
    },
    /// The answer to a [`ClientMsg::SwitchRole`] carried out (or asking for the role held
    /// already): the role held now. Answers come in the order the switches were sent.
    RoleSwitched {
        /// The role now.
        role: Role,
    },
    /// A [`ClientMsg::SwitchRole`] was refused (its privateMapKey lacks the right or is for
    /// another room, or the room is not live); nothing changed: the role and the rights stay.
    RoleRefused {
        /// [`code::PRIVILEGE`], or the key check's code.
        code: i64,
        /// Why, and what to do.
        message: String,
    },
    /// A [`ClientMsg::Subscribe`] turning a stream on was refused (the privateMapKey lacks the
    /// right to receive it); nothing is forwarded.
    SubscribeRefused {
        /// Whose stream.
        user_id: String,
        /// Which.
        kind: MediaKind,
        /// [`code::PRIVILEGE`].
        code: i64,
        /// Which right is missing and what to do.
        message: String,
    },
    /// The answer to [`ClientMsg::Preconnect`]: the userSig holds, and the connection is kept
    /// for a `join` for `keep_ms` from when it opened (then closed with
    /// [`code::JOIN_TIMEOUT`]). A refusal is a [`ServerMsg::Error`] with the userSig check's
    /// code, and the server closes the connection.
    Preconnected {
        /// How long the server keeps the connection for a `join`, from when it opened.
        keep_ms: u64,
    },
}

/// The longest URL a [`ServerMsg::Redirect`] may carry.
pub const MAX_REDIRECT_URL: usize = 256;

/// Whether `url` is one a client follows in a [`ServerMsg::Redirect`]: `ws://` or `wss://`, a
/// host, at most [`MAX_REDIRECT_URL`] bytes, no whitespace, control characters, quotes, `\\`
/// or userinfo (`@`).
pub fn valid_redirect_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("ws://")
        .or_else(|| url.strip_prefix("wss://"))
        .unwrap_or("");
    url.len() <= MAX_REDIRECT_URL
        && !rest.is_empty()
        && !rest.starts_with(['/', ':'])
        && rest
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"@\"'\\<>`".contains(&b))
}

/// One ICE server as `RTCIceServer` takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IceServer {
    /// `turn:`/`turns:`/`stun:` URLs.
    pub urls: Vec<String>,
    /// The TURN username (empty for none).
    pub username: String,
    /// The TURN password (empty for none).
    pub credential: String,
}

/// The largest custom message payload (`sendCustomMessage`'s `data`), in bytes.
pub const MAX_CUSTOM_BYTES: usize = 1000;
/// The custom messages one user may send per second (trtc-sdk-v5's limit).
pub const CUSTOM_PER_SEC: u32 = 30;
/// The custom message bytes one user may send per second (trtc-sdk-v5's limit).
pub const CUSTOM_BYTES_PER_SEC: usize = 8000;

/// Standard base64 (with padding) for custom message payloads: small enough for the SDK's wasm.
pub mod b64 {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    /// `bytes` as base64.
    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    /// The bytes of a padded base64 string; `None` when it is not one.
    pub fn decode(s: &str) -> Option<Vec<u8>> {
        let s = s.as_bytes();
        if s.len() % 4 != 0 {
            return None;
        }
        let mut out = Vec::with_capacity(s.len() / 4 * 3);
        for (ci, chunk) in s.chunks(4).enumerate() {
            let last = ci == s.len() / 4 - 1;
            let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
            if pad > 2 || (pad > 0 && !last) {
                return None;
            }
            let mut n = 0u32;
            for (i, &c) in chunk[..4 - pad].iter().enumerate() {
                let v = ALPHABET.iter().position(|&a| a == c)? as u32;
                n |= v << (18 - 6 * i);
            }
            for i in 0..3 - pad {
                out.push((n >> (16 - 8 * i)) as u8);
            }
        }
        Some(out)
    }
}

/// At most this many ICE servers are taken from one message or one configuration.
pub const MAX_ICE_SERVERS: usize = 8;

/// The `reason` values of [`ServerMsg::Kicked`] (TRTC's `KICKED_OUT` reasons).
pub mod kick_reason {
    /// The same userId entered the room from another client.
    pub const KICK: &str = "kick";
    /// An admin removed the user (admin API `RemoveUser`).
    pub const BANNED: &str = "banned";
    /// An admin dismissed the room (admin API `DismissRoom`).
    pub const ROOM_DISBAND: &str = "room_disband";
}

/// The WebSocket close code a client sends when it closes its socket to reconnect (its media
/// connection failed, or the server went silent): the server keeps its session for the client
/// timeout, as for a connection that broke, instead of taking the close as leaving the room.
pub const CLOSE_RECONNECTING: u16 = 4001;

/// Server error codes carried by [`ServerMsg::Error`] and [`ServerMsg::JoinFailed`].
pub mod code {
    /// The userSig did not verify (TRTC's code for a userSig check failure).
    pub const USER_SIG_INVALID: i64 = -100018;
    /// The message could not be parsed or is not allowed now.
    pub const BAD_MESSAGE: i64 = -1001;
    /// The message is larger than [`crate::MAX_MESSAGE_BYTES`].
    pub const TOO_LARGE: i64 = -1002;
    /// The client speaks another protocol version.
    pub const VERSION_MISMATCH: i64 = -1003;
    /// The sdkAppId is not configured on this server.
    pub const UNKNOWN_APP: i64 = -1004;
    /// The room id is invalid.
    pub const BAD_ROOM: i64 = -1005;
    /// A message that needs a joined room came before `join`.
    pub const NOT_JOINED: i64 = -1006;
    /// `join` on a connection that has joined already.
    pub const ALREADY_JOINED: i64 = -1007;
    /// The user named in the message is not in the room.
    pub const NO_SUCH_USER: i64 = -1008;
    /// An audience (live scene) tried to publish.
    pub const ROLE_AUDIENCE: i64 = -1009;
    /// `join` refused: the room has as many users as the server allows per room.
    pub const ROOM_FULL: i64 = -1010;
    /// `join` refused: it would open a new room, and the app has as many rooms as the server
    /// allows per app.
    pub const TOO_MANY_ROOMS: i64 = -1011;
    /// The client sends messages faster than the server allows; the message was dropped. A
    /// client that keeps it up is disconnected (the last message before the close says so).
    pub const RATE_LIMITED: i64 = -1012;
    /// The server's side of this client's media connection is gone (ICE went silent past its
    /// grace time, or DTLS failed). The client should connect again (it resumes its session).
    pub const MEDIA_LOST: i64 = -1013;
    /// `join` refused: the userId is reserved (the server's admin identifier, which manages
    /// rooms through the admin API and never enters one).
    pub const RESERVED_USER_ID: i64 = -1014;
    /// The connection did not join a room in time after it opened; the server closes it.
    pub const JOIN_TIMEOUT: i64 = -1015;
    /// The server cannot tell which node of its cluster hosts the room now (its Redis is out
    /// of reach); the connection is closed: try again.
    pub const CLUSTER_UNAVAILABLE: i64 = -1016;
    /// A privateMapKey check failed (TRTC's code for it): missing where the server requires one,
    /// invalid, for another room, or without the right the action needs.
    pub const PRIVILEGE: i64 = -100006;
}

/// Why a frame could not be decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum DecodeError {
    /// The frame is this many bytes, over [`MAX_MESSAGE_BYTES`]; it was not parsed.
    TooLarge(usize),
    /// Not a message of this protocol: why.
    Malformed(String),
}

impl DecodeError {
    /// The error code to answer with: [`code::TOO_LARGE`] or [`code::BAD_MESSAGE`].
    pub fn code(&self) -> i64 {
        match self {
            DecodeError::TooLarge(_) => code::TOO_LARGE,
            DecodeError::Malformed(_) => code::BAD_MESSAGE,
        }
    }
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::TooLarge(n) => {
                write!(
                    f,
                    "message of {n} bytes is over the limit of {MAX_MESSAGE_BYTES} bytes"
                )
            }
            DecodeError::Malformed(why) => write!(f, "malformed message: {why}"),
        }
    }
}

#[cfg(feature = "json")]
fn decode<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, DecodeError> {
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(DecodeError::TooLarge(text.len()));
    }
    serde_json::from_str(text).map_err(|e| DecodeError::Malformed(e.to_string()))
}

#[cfg(feature = "json")]
impl ClientMsg {
    /// Reads a client message from a text frame; never panics.
    pub fn decode(text: &str) -> Result<Self, DecodeError> {
        decode(text)
    }
    /// The message as a text frame.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("messages always serialise")
    }
}

#[cfg(feature = "json")]
impl ServerMsg {
    /// Reads a server message from a text frame; never panics.
    pub fn decode(text: &str) -> Result<Self, DecodeError> {
        decode(text)
    }
    /// The message as a text frame.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("messages always serialise")
    }
}

#[cfg(all(test, feature = "json"))]
mod tests {
    use super::*;

    #[test]
    fn wire_format_is_stable() {
        let rows: Vec<(ClientMsg, &str)> = vec![
            (
                ClientMsg::Join(Join {
                    version: 1,
                    sdk_app_id: 1400000001,
                    user_id: "alice".into(),
                    user_sig: "sig".into(),
                    room: RoomId::Num(8),
                    scene: Scene::Rtc,
                    role: Role::Anchor,
                    session: None,
                    private_map_key: None,
                }),
                r#"{"type":"join","version":1,"sdkAppId":1400000001,"userId":"alice","userSig":"sig","room":{"num":8},"scene":"rtc","role":"anchor","session":null,"privateMapKey":null}"#,
            ),
            (
                ClientMsg::Subscribe {
                    user_id: "bob".into(),
                    kind: MediaKind::Video,
                    on: true,
                    small: false,
                },
                r#"{"type":"subscribe","userId":"bob","kind":"video","on":true}"#,
            ),
            (
                ClientMsg::Subscribe {
                    user_id: "bob".into(),
                    kind: MediaKind::Video,
                    on: true,
                    small: true,
                },
                r#"{"type":"subscribe","userId":"bob","kind":"video","on":true,"small":true}"#,
            ),
            (
                ClientMsg::Publish {
                    audio: true,
                    video: true,
                    sub_video: false,
                    sub_audio: false,
                    small: false,
                },
                r#"{"type":"publish","audio":true,"video":true,"subVideo":false,"subAudio":false}"#,
            ),
            (
                ClientMsg::Publish {
                    audio: false,
                    video: true,
                    sub_video: false,
                    sub_audio: false,
                    small: true,
                },
                r#"{"type":"publish","audio":false,"video":true,"subVideo":false,"subAudio":false,"small":true}"#,
            ),
            (ClientMsg::Leave, r#"{"type":"leave"}"#),
            (
                ClientMsg::Publish {
                    audio: true,
                    video: false,
                    sub_video: true,
                    sub_audio: true,
                    small: false,
                },
                r#"{"type":"publish","audio":true,"video":false,"subVideo":true,"subAudio":true}"#,
            ),
            (
                ClientMsg::Subscribe {
                    user_id: "bob".into(),
                    kind: MediaKind::SubVideo,
                    on: true,
                    small: false,
                },
                r#"{"type":"subscribe","userId":"bob","kind":"sub-video","on":true}"#,
            ),
        ];
        // Older clients send no sub-stream fields: the same as not sharing.
        assert_eq!(
            ClientMsg::decode(r#"{"type":"publish","audio":true,"video":true}"#).unwrap(),
            ClientMsg::Publish {
                audio: true,
                video: true,
                sub_video: false,
                sub_audio: false,
                small: false,
            }
        );
        for k in MediaKind::ALL {
            assert_eq!(MediaKind::from_name(k.name()), Some(k));
            let json = format!("\"{}\"", k.name());
            assert_eq!(serde_json::to_string(&k).unwrap(), json);
        }
        for (msg, json) in rows {
            assert_eq!(msg.encode(), json);
            assert_eq!(ClientMsg::decode(json).unwrap(), msg);
        }
        let s = ServerMsg::Offer {
            sdp: "v=0".into(),
            slots: vec![TrackSlot {
                mid: "0".into(),
                user_id: None,
                kind: MediaKind::Audio,
            }],
        };
        assert_eq!(
            s.encode(),
            r#"{"type":"offer","sdp":"v=0","slots":[{"mid":"0","userId":null,"kind":"audio"}]}"#
        );
        assert_eq!(ServerMsg::decode(&s.encode()).unwrap(), s);
        let j = r#"{"type":"join","version":1,"sdkAppId":1,"userId":"u","userSig":"s","room":{"str":"abc"}}"#;
        match ClientMsg::decode(j).unwrap() {
            ClientMsg::Join(j) => {
                assert_eq!(j.room, RoomId::Str("abc".into()));
                assert_eq!((j.scene, j.role), (Scene::Rtc, Role::Anchor));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let rows = [
            "",
            "{",
            "null",
            "[]",
            r#"{"type":"nope"}"#,
            r#"{"type":"mute","kind":"smell","muted":true}"#,
            r#"{"type":"subscribe","userId":"b","kind":"subvideo","on":true}"#,
            r#"{"type":"join","version":1}"#,
            r#"{"type":"join","version":1,"sdkAppId":-5,"userId":"u","userSig":"s","room":{"num":1}}"#,
            r#"{"type":"join","version":1,"sdkAppId":1,"userId":"u","userSig":"s","room":{"num":4294967296}}"#,
        ];
        for r in rows {
            let e = ClientMsg::decode(r).unwrap_err();
            assert_eq!(e.code(), code::BAD_MESSAGE, "{r}");
        }
        let big = format!(
            r#"{{"type":"answer","sdp":"{}"}}"#,
            "a".repeat(MAX_MESSAGE_BYTES)
        );
        assert_eq!(
            ClientMsg::decode(&big).unwrap_err(),
            DecodeError::TooLarge(big.len())
        );
    }
}
