//! The room registry: who is in which room and what they publish. No IO: each call takes a
//! client's message (and the time) and returns [`Effect`]s — messages to send, sockets to
//! close, and commands for the media plane — which the hub ([`crate::hub`]) carries out.
//!
//! Invariants:
//! - a client is in at most one room, as the user its userSig proved;
//! - a room exists while it has members; a live room whose last leaver was an audience lingers
//!   for the configured time first ([`Registry::tick`] removes it); numeric and string room ids of one app are
//!   separate namespaces, and apps never share rooms;
//! - a userId is in a room at most once: a second entry kicks the first (`reason: "kick"`);
//! - a refused message changes nothing and is answered with [`ServerMsg::Error`] or
//!   [`ServerMsg::JoinFailed`];
//! - admin actions ([`Registry::remove_users`], [`Registry::dismiss`]) are all or nothing: an
//!   unknown room or any unknown user refuses the whole request with an [`AdminError`] and
//!   changes nothing. A removed client gets [`ServerMsg::Kicked`] (`banned` / `room_disband`),
//!   its media peer is removed and its connection closed; those who stay see it exit with
//!   [`ExitReason::Kicked`].
//! - a join never makes an app hold more rooms, or a room more members, or one userId of an app
//!   more memberships, than the caps set with [`Registry::set_limits`] (see [`crate::limits`]);
//!   nor does one userId open rooms faster than its cap; a refused join changes nothing. A
//!   lingering empty live room makes way for a new room when the app is at its cap;
//! - the admin identifier never enters a room;
//! - a member has an SFU peer ([`MediaCmd::AddPeer`]) only from when it first needs one: it
//!   publishes, it is given a slot for a stream, it subscribes or is subscribed to;
//! - nothing a client sent is echoed back longer than [`ECHO_CHARS`] characters (a message
//!   made by another library, which may quote it, at most [`MESSAGE_CHARS`]).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use trtc_proto::{
    code, kick_reason, ClientMsg, Join, MediaKind, RemoteUser, Role, RoomId, Scene, ServerMsg,
    PROTOCOL_VERSION,
};

mod admin;
mod auth;
mod live;
pub mod preconnect;
mod timeouts;

pub use admin::AdminError;
pub use auth::{Apps, Auth};

/// One WebSocket connection, numbered by the hub from 1 (never reused); also the SFU's peer id.
pub type ClientId = u64;

/// `(sdkAppId, room)`.
pub type RoomKey = (u64, RoomId);

/// Commands for the media plane (the SFU).
#[derive(Debug, Clone, PartialEq)]
pub enum MediaCmd {
    /// A client joined: give it a peer connection (the SFU offers once it has a slot: a stream
    /// it publishes or one it may receive).
    AddPeer {
        /// The client.
        peer: ClientId,
    },
    // (Sent when the member first needs a peer, not at join: see the module docs.)
    /// A client left or its connection dropped: its peer connection goes.
    RemovePeer {
        /// The client.
        peer: ClientId,
    },
    /// What a client publishes from now on (the SFU renegotiates to receive it).
    SetPublish {
        /// The client.
        peer: ClientId,
        /// Whether it sends audio.
        audio: bool,
        /// Whether it sends video.
        video: bool,
        /// Whether it sends a shared screen (the sub stream).
        sub_video: bool,
        /// Whether it sends the shared screen's system audio.
        sub_audio: bool,
    },
    /// Give `subscriber` a send slot for `source`'s `kind` (no forwarding until subscribed).
    AddSource {
        /// Who receives.
        subscriber: ClientId,
        /// Whose stream.
        source: ClientId,
        /// Which stream.
        kind: MediaKind,
    },
    /// Take away the slot of [`MediaCmd::AddSource`] (the source stopped publishing or left).
    RemoveSource {
        /// Who received.
        subscriber: ClientId,
        /// Whose stream.
        source: ClientId,
        /// Which stream.
        kind: MediaKind,
    },
    /// Start or stop forwarding `source`'s `kind` to `subscriber` (its slot exists).
    Subscribe {
        /// Who receives.
        subscriber: ClientId,
        /// Whose stream.
        source: ClientId,
        /// Which stream.
        kind: MediaKind,
        /// Forward (`true`) or stop.
        on: bool,
    },
    /// Whether a client's video carries a small layer too (sent before the `SetPublish` it
    /// goes with, so the video slot is negotiated with simulcast from the start).
    SetSmall {
        /// The client.
        peer: ClientId,
        /// Small layer or not.
        small: bool,
    },
    /// Which layer of `source`'s video `subscriber` wants (the SFU gives the big one when there
    /// is no small one).
    SetLayer {
        /// Who receives.
        subscriber: ClientId,
        /// Whose video.
        source: ClientId,
        /// The small layer (`true`) or the big one.
        small: bool,
    },
    /// A client's SDP answer to the SFU's outstanding offer.
    Answer {
        /// The client.
        peer: ClientId,
        /// The answer.
        sdp: String,
    },
}

/// What the registry decided, for the hub to carry out in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Send this message to this client.
    Send(ClientId, ServerMsg),
    /// Close the client's connection after the messages sent before.
    Close(ClientId),
    /// A command for the SFU.
    Media(MediaCmd),
}

/// Why a member left, as `REMOTE_USER_EXIT.reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitReason {
    /// It left (`exitRoom`, a closed connection).
    Normal = 0,
    /// It was silent, or its connection dropped, for longer than the client timeout.
    Timeout = 1,
    /// It was removed: the admin API, or the same userId entering again.
    Kicked = 2,
    /// It switched to audience (live scene).
    RoleChange = 3,
}

#[derive(Debug, Clone)]
struct Member {
    room: RoomKey,
    user_id: String,
    /// The SDK session that joined (see `Join::session`).
    session: Option<String>,
    /// Unix seconds of the last message; a member silent for the timeout is removed.
    last_seen: u64,
    /// Set when the connection dropped without a leave: the member stays for the timeout,
    /// waiting for its session to come back.
    detached: bool,
    /// Live scene (else rtc).
    live: bool,
    /// Has uplink and is seen by others: always in rtc, the anchors in live.
    anchor: bool,
    /// What it publishes, per kind (indexed as [`MediaKind::ALL`]).
    publish: [bool; 4],
    /// What it muted, per kind.
    muted: [bool; 4],
    /// Custom messages sent so far (the `seq` of the last).
    custom_seq: u64,
    /// The unix second of the custom-message rate window, and the messages and bytes in it.
    custom_window: (u64, u32, usize),
    /// It has an SFU peer ([`MediaCmd::AddPeer`] was sent, no `RemovePeer` since).
    peer: bool,
    /// The privilege bits of its privateMapKey; `None`: it gave none (no limits).
    privileges: Option<u32>,
}

impl Member {
    fn publishes(&self, kind: MediaKind) -> bool {
        self.publish[kind_index(kind)]
    }
    fn available(&self, kind: MediaKind) -> bool {
        self.publishes(kind) && !self.muted[kind_index(kind)]
    }
    fn as_remote(&self) -> RemoteUser {
        RemoteUser {
            user_id: self.user_id.clone(),
            audio: self.available(MediaKind::Audio),
            video: self.available(MediaKind::Video),
            sub_video: self.available(MediaKind::SubVideo),
            sub_audio: self.available(MediaKind::SubAudio),
        }
    }
}

/// `kind`'s place in [`MediaKind::ALL`].
fn kind_index(kind: MediaKind) -> usize {
    match kind {
        MediaKind::Audio => 0,
        MediaKind::Video => 1,
        MediaKind::SubVideo => 2,
        MediaKind::SubAudio => 3,
    }
}

const KINDS: [MediaKind; 4] = MediaKind::ALL;

/// How long a silent or dropped client stays by default (TRTC's heartbeat timeout).
pub const DEFAULT_CLIENT_TIMEOUT_SECS: u64 = 90;

/// How long an emptied live room lingers by default (seconds).
pub const DEFAULT_LIVE_LINGER_SECS: u64 = 30;

/// The most characters of a client's input a reply quotes.
pub const ECHO_CHARS: usize = 80;

/// The most characters of a reply made from another library's message (which may quote the
/// input: serde's, the userSig check's, the SDP parser's).
pub const MESSAGE_CHARS: usize = 600;

/// The longest `session` a join may carry (the SDK's are 32 characters).
pub const MAX_SESSION_CHARS: usize = 128;

/// `s` cut to `max` characters, marked with `…` when cut.
pub fn clip(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some((at, _)) => Cow::Owned(format!("{}…", &s[..at])),
    }
}

/// `roomId 8` or `strRoomId "abc"`, as a user writes it (an invalid id clipped).
fn describe(room: &RoomId) -> String {
    match room {
        RoomId::Num(n) => format!("roomId {n}"),
        RoomId::Str(s) => format!("strRoomId {:?}", clip(s, ECHO_CHARS)),
    }
}

/// What one userId of one app may still do: its memberships, and its budget for opening rooms
/// (a token bucket of [`Limits::room_creations_per_user_per_min`] a minute).
///
/// [`Limits::room_creations_per_user_per_min`]: crate::limits::Limits::room_creations_per_user_per_min
#[derive(Debug, Clone)]
struct UserUse {
    rooms: usize,
    creations: crate::limits::TokenBucket,
}

/// The rooms: who is in which, as whom, publishing what (module docs). `A` checks the userSig
/// of a join.
pub struct Registry<A: Auth> {
    auth: A,
    members: HashMap<ClientId, Member>,
    /// Members of each room in joining order.
    rooms: BTreeMap<RoomKey, Vec<ClientId>>,
    /// How long an emptied live room lingers when its last leaver was an audience.
    live_linger_secs: u64,
    /// Empty live rooms and when they go (unix seconds).
    lingering: HashMap<RoomKey, u64>,
    /// A member silent (or detached) this long is removed, others see it exit with reason 1.
    client_timeout_secs: u64,
    /// Rooms one app may hold; 0: unlimited.
    max_rooms_per_app: usize,
    /// Members one room may hold; 0: unlimited.
    max_users_per_room: usize,
    /// Memberships one userId of an app may have at once; 0: unlimited.
    max_rooms_per_user: usize,
    /// Rooms one userId of an app may open a minute; 0: unlimited.
    room_creations_per_user_per_min: u32,
    /// Per (sdkAppId, userId): memberships and room-opening budget.
    users: HashMap<(u64, String), UserUse>,
    /// This userId never enters a room (the admin API's identifier).
    admin_identifier: Option<String>,
    /// TURN relays whose credentials each joining client is issued.
    turn: Option<Turn>,
    /// Every join must carry a valid privateMapKey (`--require-private-map-key`).
    require_private_map_key: bool,
    /// Connections whose userSig a `preconnect` proved, kept for their `join`.
    preconnects: preconnect::Preconnects,
}

/// TURN relays (coturn with `use-auth-secret`) for which the server issues time-limited
/// credentials to each client that joins: `--turn-url` and `--turn-secret`.
#[derive(Debug, Clone)]
pub struct Turn {
    /// `turn:`/`turns:` URLs, as `RTCIceServer.urls` takes them.
    pub urls: Vec<String>,
    /// coturn's `static-auth-secret`.
    pub secret: String,
    /// How long the credentials are valid.
    pub ttl_secs: u64,
}

impl Turn {
    /// The relays with credentials for `user_id`, valid until `now_unix + ttl_secs`.
    pub fn servers(&self, user_id: &str, now_unix: u64) -> Vec<trtc_proto::IceServer> {
        let (username, credential) =
            trtc_usersig::turn_credential(&self.secret, user_id, now_unix + self.ttl_secs);
        vec![trtc_proto::IceServer {
            urls: self.urls.clone(),
            username,
            credential,
        }]
    }
}

/// A full bucket of room openings for one user: `per_min` a minute, all of them at once.
fn creation_bucket(per_min: u32, now_ms: u64) -> crate::limits::TokenBucket {
    crate::limits::TokenBucket::per_minute(per_min, now_ms)
}

fn error(client: ClientId, code: i64, message: impl Into<String>) -> Vec<Effect> {
    vec![Effect::Send(
        client,
        ServerMsg::Error {
            code,
            message: message.into(),
        },
    )]
}

impl<A: Auth> Registry<A> {
    /// No rooms; joins checked with `auth`; the default timeouts and caps.
    pub fn new(auth: A) -> Self {
        Registry {
            auth,
            members: HashMap::new(),
            rooms: BTreeMap::new(),
            live_linger_secs: DEFAULT_LIVE_LINGER_SECS,
            lingering: HashMap::new(),
            client_timeout_secs: DEFAULT_CLIENT_TIMEOUT_SECS,
            max_rooms_per_app: crate::limits::DEFAULT_MAX_ROOMS_PER_APP,
            max_users_per_room: crate::limits::DEFAULT_MAX_USERS_PER_ROOM,
            max_rooms_per_user: crate::limits::DEFAULT_MAX_ROOMS_PER_USER,
            room_creations_per_user_per_min: crate::limits::DEFAULT_ROOM_CREATIONS_PER_USER_PER_MIN,
            users: HashMap::new(),
            admin_identifier: None,
            turn: None,
            require_private_map_key: false,
            preconnects: preconnect::Preconnects::default(),
        }
    }

    /// How long a preconnected connection is kept for its `join` (0: `preconnect` is refused).
    pub fn set_preconnect_keep(&mut self, secs: u64) {
        self.preconnects.keep_secs = secs;
    }

    /// How long `client`'s connection is kept for a `join`, from when it opened, when a
    /// `preconnect` proved its user; `None` otherwise.
    pub fn preconnect_keep(&self, client: ClientId) -> Option<u64> {
        self.preconnects
            .contains(client)
            .then_some(self.preconnects.keep_secs)
    }

    /// Sets every cap the registry checks at join ([`crate::limits::Limits`]); members already
    /// in rooms stay.
    pub fn set_limits(&mut self, limits: &crate::limits::Limits) {
        self.set_room_limits(limits.max_rooms_per_app, limits.max_users_per_room);
        self.max_rooms_per_user = limits.max_rooms_per_user;
        self.room_creations_per_user_per_min = limits.room_creations_per_user_per_min;
    }

    /// The userId that may never enter a room (the admin API's identifier); `None`: any may.
    pub fn set_admin_identifier(&mut self, admin: Option<String>) {
        self.admin_identifier = admin;
    }

    /// Issues credentials for these TURN relays to each client that joins (a
    /// [`ServerMsg::IceServers`] right after [`ServerMsg::Joined`]).
    pub fn with_turn(mut self, turn: Turn) -> Self {
        self.set_turn(Some(turn));
        self
    }

    /// Refuses joins without a valid privateMapKey for the room (code [`code::PRIVILEGE`]).
    pub fn set_require_private_map_key(&mut self, on: bool) {
        self.require_private_map_key = on;
    }

    /// [`Registry::with_turn`] on a registry in use (`None`: issue none).
    pub fn set_turn(&mut self, turn: Option<Turn>) {
        self.turn = turn;
    }

    /// Sets the most rooms one app may hold and the most members one room may hold (0:
    /// unlimited). Joins beyond them fail with [`code::TOO_MANY_ROOMS`] / [`code::ROOM_FULL`].
    pub fn with_room_limits(mut self, max_rooms_per_app: usize, max_users_per_room: usize) -> Self {
        self.set_room_limits(max_rooms_per_app, max_users_per_room);
        self
    }

    /// [`Registry::with_room_limits`] on a registry in use: members already in rooms stay.
    pub fn set_room_limits(&mut self, max_rooms_per_app: usize, max_users_per_room: usize) {
        self.max_rooms_per_app = max_rooms_per_app;
        self.max_users_per_room = max_users_per_room;
    }

    /// Sets how long a silent or dropped client stays before it is removed (0: a dropped
    /// connection is a leave, and silence never removes anyone).
    pub fn with_client_timeout(mut self, secs: u64) -> Self {
        self.set_client_timeout(secs);
        self
    }

    /// [`Registry::with_client_timeout`] on a registry in use.
    pub fn set_client_timeout(&mut self, secs: u64) {
        self.client_timeout_secs = secs;
    }

    /// Sets how long an emptied live room lingers (its last leaver was an audience).
    pub fn with_live_linger(mut self, secs: u64) -> Self {
        self.set_live_linger(secs);
        self
    }

    /// [`Registry::with_live_linger`] on a registry in use.
    pub fn set_live_linger(&mut self, secs: u64) {
        self.live_linger_secs = secs;
    }

    /// Replaces the userSig check of later joins; members already in rooms stay.
    pub fn set_auth(&mut self, auth: A) {
        self.auth = auth;
    }

    /// How many rooms `sdk_app_id` holds (lingering empty live rooms included).
    fn room_count(&self, sdk_app_id: u64) -> usize {
        self.rooms
            .range((sdk_app_id, RoomId::Num(0))..)
            .take_while(|((app, _), _)| *app == sdk_app_id)
            .count()
    }

    /// The rooms and their users (for diagnostics and the admin API).
    pub fn rooms(&self) -> Vec<(RoomKey, Vec<String>)> {
        self.rooms
            .iter()
            .map(|(k, ids)| {
                (
                    k.clone(),
                    ids.iter()
                        .map(|c| self.members[c].user_id.clone())
                        .collect(),
                )
            })
            .collect()
    }

    /// Whether a join's userSig checks out at `now_unix` (before the join is routed to the node
    /// that hosts its room: `crate::cluster`).
    pub fn authenticates(&self, join: &Join, now_unix: u64) -> bool {
        self.auth
            .check(join.sdk_app_id, &join.user_id, &join.user_sig, now_unix)
            .is_ok()
    }

    /// Every member of a room leaves it (its node no longer owns it: `crate::cluster`). The
    /// clients it had, to close, and the effects (media peers removed; messages to the others,
    /// who are being closed too).
    pub fn close_room(&mut self, key: &RoomKey, now_unix: u64) -> (Vec<ClientId>, Vec<Effect>) {
        let clients = self.rooms.get(key).cloned().unwrap_or_default();
        let mut fx = Vec::new();
        for &c in &clients {
            fx.extend(self.leave(c, ExitReason::Normal, now_unix));
        }
        (clients, fx)
    }

    /// The rooms of one app and their users (joining order), rooms in [`RoomId`] order.
    pub fn rooms_of(&self, sdk_app_id: u64) -> Vec<(RoomId, Vec<String>)> {
        self.rooms()
            .into_iter()
            .filter(|((app, _), _)| *app == sdk_app_id)
            .map(|((_, room), users)| (room, users))
            .collect()
    }

    /// The room's members with uplink (anchors) and what each publishes ([`MediaKind::ALL`]
    /// order), in joining order; `None` when there is no such room. Audiences, who are not
    /// seen (a recorder among them), are left out.
    pub fn publishers(&self, key: &RoomKey) -> Option<Vec<(String, [bool; 4])>> {
        let ids = self.rooms.get(key)?;
        Some(
            ids.iter()
                .map(|c| &self.members[c])
                .filter(|m| m.anchor)
                .map(|m| (m.user_id.clone(), m.publish))
                .collect(),
        )
    }

    /// The userId a joined client authenticated as.
    pub fn user_id_of(&self, client: ClientId) -> Option<String> {
        self.members.get(&client).map(|m| m.user_id.clone())
    }

    /// The room `client` is in (a detached member's too).
    pub fn room_of(&self, client: ClientId) -> Option<&RoomKey> {
        self.members.get(&client).map(|m| &m.room)
    }

    /// Whether `client` is in a room (a detached member too).
    pub fn is_joined(&self, client: ClientId) -> bool {
        self.members.contains_key(&client)
    }

    fn others(&self, client: ClientId) -> Vec<ClientId> {
        match self.members.get(&client) {
            Some(m) => self.rooms[&m.room]
                .iter()
                .copied()
                .filter(|c| *c != client)
                .collect(),
            None => Vec::new(),
        }
    }

    /// Handles one message from `client`.
    pub fn handle(&mut self, client: ClientId, msg: ClientMsg, now_unix: u64) -> Vec<Effect> {
        self.touch(client, now_unix);
        match msg {
            ClientMsg::Join(join) => self.join(client, join, now_unix),
            ClientMsg::Preconnect {
                version,
                sdk_app_id,
                user_id,
                user_sig,
            } => self.preconnect(client, version, sdk_app_id, &user_id, &user_sig, now_unix),
            ClientMsg::Ping { seq } => vec![Effect::Send(client, ServerMsg::Pong { seq })],
            _ if !self.is_joined(client) => error(client, code::NOT_JOINED, "join a room first"),
            ClientMsg::Publish {
                audio,
                video,
                sub_video,
                sub_audio,
                small,
            } => self.publish(client, [audio, video, sub_video, sub_audio], small),
            ClientMsg::SwitchRole {
                role,
                private_map_key,
            } => {
                if let Some(key) = private_map_key.filter(|k| !k.is_empty()) {
                    let m = &self.members[&client];
                    let ((app, room), user) = (&m.room, &m.user_id);
                    match self.private_map_rights(*app, user, room, Some(&key), false, now_unix) {
                        Ok(p) => self.members.get_mut(&client).expect("joined").privileges = p,
                        Err(message) => {
                            return vec![Effect::Send(
                                client,
                                ServerMsg::RoleRefused {
                                    code: code::PRIVILEGE,
                                    message,
                                },
                            )]
                        }
                    }
                }
                self.switch_role(client, role)
            }
            ClientMsg::Mute { kind, muted } => self.mute(client, kind, muted),
            ClientMsg::Subscribe {
                user_id,
                kind,
                on,
                small,
            } => self.subscribe(client, &user_id, kind, on, small),
            ClientMsg::Answer { sdp } => {
                vec![Effect::Media(MediaCmd::Answer { peer: client, sdp })]
            }
            ClientMsg::Custom { cmd_id, data } => self.custom(client, cmd_id, data, now_unix),
            ClientMsg::Leave => {
                let mut fx = self.leave(client, ExitReason::Normal, now_unix);
                fx.push(Effect::Close(client));
                fx
            }
        }
    }

    /// The clients currently in rooms as `user_id` (for diagnostics and dev tools).
    pub fn clients_of(&self, user_id: &str) -> Vec<ClientId> {
        let mut v: Vec<ClientId> = self
            .members
            .iter()
            .filter(|(_, m)| m.user_id == user_id && !m.detached)
            .map(|(c, _)| *c)
            .collect();
        v.sort_unstable();
        v
    }

    /// Whether `user_sig` proves `user_id` of `sdk_app_id`, a user that may enter rooms (not
    /// empty, not the admin identifier); the code and message of the refusal otherwise.
    fn prove(
        &self,
        sdk_app_id: u64,
        user_id: &str,
        user_sig: &str,
        now_unix: u64,
    ) -> Result<(), (i64, String)> {
        if user_id.trim().is_empty() {
            return Err((code::BAD_MESSAGE, "userId is empty".into()));
        }
        if self.admin_identifier.as_deref() == Some(user_id) {
            return Err((
                code::RESERVED_USER_ID,
                format!(
                    "'{}' is the admin identifier: it manages rooms through the admin API and cannot enter one",
                    clip(user_id, ECHO_CHARS)
                ),
            ));
        }
        self.auth
            .check(sdk_app_id, user_id, user_sig, now_unix)
            .map_err(|(code, message)| (code, clip(&message, MESSAGE_CHARS).into_owned()))
    }

    /// `preconnect`: the userSig is checked as a join's; when it holds, the connection is kept
    /// for its `join` ([`preconnect::Preconnects`]); when not, the client is told why and the
    /// connection closed.
    fn preconnect(
        &mut self,
        client: ClientId,
        version: u32,
        sdk_app_id: u64,
        user_id: &str,
        user_sig: &str,
        now_unix: u64,
    ) -> Vec<Effect> {
        if self.is_joined(client) {
            return error(
                client,
                code::ALREADY_JOINED,
                "preconnect comes before join: this connection has joined a room already",
            );
        }
        let refuse = |code: i64, message: String| {
            vec![
                Effect::Send(client, ServerMsg::Error { code, message }),
                Effect::Close(client),
            ]
        };
        if self.preconnects.keep_secs == 0 {
            return refuse(
                code::BAD_MESSAGE,
                "this server keeps no preconnected connections (--preconnect-keep 0): enterRoom connects by itself".into(),
            );
        }
        if version != PROTOCOL_VERSION {
            return refuse(
                code::VERSION_MISMATCH,
                format!("the SDK speaks protocol {version}, this server {PROTOCOL_VERSION}: use matching versions"),
            );
        }
        if let Err((code, message)) = self.prove(sdk_app_id, user_id, user_sig, now_unix) {
            return refuse(code, message);
        }
        let mut fx = vec![Effect::Send(
            client,
            ServerMsg::Preconnected {
                keep_ms: self.preconnects.keep_secs.saturating_mul(1000),
            },
        )];
        if let Some(old) = self
            .preconnects
            .add(client, (sdk_app_id, user_id.to_string()))
        {
            fx.push(Effect::Send(
                old,
                ServerMsg::Error {
                    code: code::JOIN_TIMEOUT,
                    message: format!(
                        "a newer preconnect of this user replaced this connection (at most {} are kept): closing it",
                        preconnect::MAX_PER_USER
                    ),
                },
            ));
            fx.push(Effect::Close(old));
        }
        fx
    }

    fn join(&mut self, client: ClientId, join: Join, now_unix: u64) -> Vec<Effect> {
        let fail = |code: i64, message: String| {
            vec![Effect::Send(
                client,
                ServerMsg::JoinFailed { code, message },
            )]
        };
        if self.is_joined(client) {
            return error(
                client,
                code::ALREADY_JOINED,
                "this connection has joined a room already; exit it first",
            );
        }
        if join.version != PROTOCOL_VERSION {
            return fail(
                code::VERSION_MISMATCH,
                format!("the SDK speaks protocol {}, this server {PROTOCOL_VERSION}: use matching versions", join.version),
            );
        }
        if !join.room.is_valid() {
            return fail(
                code::BAD_ROOM,
                format!(
                    "invalid room id: {} (a roomId is 1 to 4294967294; a strRoomId 1 to 64 letters, digits, spaces and !#$%&()+-:;<=.>?@[]^_{{}}|~,)",
                    describe(&join.room),
                ),
            );
        }
        if join
            .session
            .as_ref()
            .is_some_and(|s| s.chars().count() > MAX_SESSION_CHARS)
        {
            return fail(
                code::BAD_MESSAGE,
                format!("session is longer than {MAX_SESSION_CHARS} characters"),
            );
        }
        if let Err((code, message)) =
            self.prove(join.sdk_app_id, &join.user_id, &join.user_sig, now_unix)
        {
            return fail(code, message);
        }
        let key: RoomKey = (join.sdk_app_id, join.room.clone());
        let privileges = match self.private_map_rights(
            join.sdk_app_id,
            &join.user_id,
            &join.room,
            join.private_map_key.as_deref(),
            !self.rooms.contains_key(&key),
            now_unix,
        ) {
            Ok(p) => p,
            Err(message) => return fail(code::PRIVILEGE, message),
        };
        let mut fx = Vec::new();
        // The same userId entering again: the earlier client is kicked out.
        let earlier: Vec<ClientId> = self
            .rooms
            .get(&key)
            .map(|ids| {
                ids.iter()
                    .copied()
                    .filter(|c| self.members[c].user_id == join.user_id)
                    .collect()
            })
            .unwrap_or_default();
        // Caps, before anything changes. The same userId's earlier clients (kicked or resumed
        // below) give their places to this one.
        let members_after = self.rooms.get(&key).map_or(0, Vec::len) - earlier.len() + 1;
        if self.max_users_per_room > 0 && members_after > self.max_users_per_room {
            return fail(
                code::ROOM_FULL,
                format!(
                    "{} is full: it holds {} users, the most this server allows in one room; enter another room (or raise the server's --max-users-per-room)",
                    describe(&join.room),
                    self.max_users_per_room
                ),
            );
        }
        let user_key = (join.sdk_app_id, join.user_id.clone());
        // The same userId's earlier clients in this room (kicked or resumed below) give their
        // membership to this one.
        let memberships_after = self
            .users
            .get(&user_key)
            .map_or(0, |u| u.rooms)
            .saturating_sub(earlier.len())
            + 1;
        if self.max_rooms_per_user > 0 && memberships_after > self.max_rooms_per_user {
            return fail(
                code::TOO_MANY_ROOMS,
                format!(
                    "userId '{}' is in {} rooms, the most this server allows one user at once; exit one first (or raise the server's --max-rooms-per-user)",
                    clip(&join.user_id, ECHO_CHARS),
                    self.max_rooms_per_user
                ),
            );
        }
        let opens = !self.rooms.contains_key(&key);
        if opens && self.room_creations_per_user_per_min > 0 {
            let rate = self.room_creations_per_user_per_min;
            let now_ms = now_unix * 1000;
            let bucket = self
                .users
                .get(&user_key)
                .map(|u| u.creations.clone())
                .unwrap_or_else(|| creation_bucket(rate, now_ms));
            if bucket.clone().tokens(now_ms) == 0 {
                return fail(
                    code::TOO_MANY_ROOMS,
                    format!(
                        "userId '{}' opened {rate} rooms in the last minute, the most this server allows one user; enter an existing room or wait a little (or raise the server's --room-creations-per-user-per-min)",
                        clip(&join.user_id, ECHO_CHARS),
                    ),
                );
            }
        }
        // A lingering empty live room makes way for a new one.
        let mut make_way = None;
        if self.max_rooms_per_app > 0
            && opens
            && self.room_count(join.sdk_app_id) >= self.max_rooms_per_app
        {
            make_way = self
                .lingering
                .iter()
                .filter(|((app, _), _)| *app == join.sdk_app_id)
                .min_by(|a, b| a.1.cmp(b.1).then_with(|| a.0.cmp(b.0)))
                .map(|(k, _)| k.clone());
        }
        if self.max_rooms_per_app > 0
            && opens
            && make_way.is_none()
            && self.room_count(join.sdk_app_id) >= self.max_rooms_per_app
        {
            return fail(
                code::TOO_MANY_ROOMS,
                format!(
                    "sdkAppId {} has {} rooms, the most this server allows per app, so {} cannot be opened; enter an existing room or try again when one has closed (or raise the server's --max-rooms-per-app)",
                    join.sdk_app_id,
                    self.max_rooms_per_app,
                    describe(&join.room)
                ),
            );
        }
        // Nothing is refused from here on.
        if let Some(old) = make_way {
            self.lingering.remove(&old);
            if self.rooms.get(&old).is_some_and(Vec::is_empty) {
                self.rooms.remove(&old);
            }
        }
        if opens && self.room_creations_per_user_per_min > 0 {
            let rate = self.room_creations_per_user_per_min;
            let now_ms = now_unix * 1000;
            let entry = self
                .users
                .entry(user_key.clone())
                .or_insert_with(|| UserUse {
                    rooms: 0,
                    creations: creation_bucket(rate, now_ms),
                });
            entry.creations.take(now_ms);
        }
        // The same SDK session coming back (its connection dropped): resume silently.
        let resumed: Vec<ClientId> = earlier
            .iter()
            .copied()
            .filter(|c| join.session.is_some() && self.members[c].session == join.session)
            .collect();
        for old in &resumed {
            let was_attached = !self.members[old].detached;
            if self.members[old].peer {
                fx.push(Effect::Media(MediaCmd::RemovePeer { peer: *old }));
            }
            self.drop_silently(*old);
            if was_attached {
                fx.push(Effect::Close(*old));
            }
        }
        let resuming = !resumed.is_empty();
        let earlier: Vec<ClientId> = earlier
            .into_iter()
            .filter(|c| !resumed.contains(c))
            .collect();
        fx.extend(self.kick(&earlier, kick_reason::KICK));
        let live = join.scene == Scene::Live;
        let anchor = !live || join.role == Role::Anchor;
        self.lingering.remove(&key);
        let existing = self.rooms.get(&key).cloned().unwrap_or_default();
        // Only users with uplink are seen (audiences are invisible, as in TRTC's live scene).
        let users = existing
            .iter()
            .filter(|c| self.members[c].anchor)
            .map(|c| self.members[c].as_remote())
            .collect();
        fx.push(Effect::Send(
            client,
            ServerMsg::Joined {
                user_id: join.user_id.clone(),
                users,
            },
        ));
        if let Some(turn) = &self.turn {
            fx.push(Effect::Send(
                client,
                ServerMsg::IceServers {
                    servers: turn.servers(&join.user_id, now_unix),
                },
            ));
        }
        // A peer only once there is something to receive (or send: see `publish`).
        let peer = existing
            .iter()
            .any(|c| self.members[c].publish.iter().any(|p| *p));
        if peer {
            fx.push(Effect::Media(MediaCmd::AddPeer { peer: client }));
        }
        for other in &existing {
            if anchor && !resuming {
                fx.push(Effect::Send(
                    *other,
                    ServerMsg::UserEnter {
                        user_id: join.user_id.clone(),
                    },
                ));
            }
            let m = &self.members[other];
            for kind in KINDS {
                if m.publishes(kind) {
                    fx.push(Effect::Media(MediaCmd::AddSource {
                        subscriber: client,
                        source: *other,
                        kind,
                    }));
                }
            }
        }
        self.preconnects.remove(client);
        self.members.insert(
            client,
            Member {
                room: key.clone(),
                user_id: join.user_id,
                session: join.session,
                last_seen: now_unix,
                detached: false,
                live,
                anchor,
                publish: [false; 4],
                muted: [false; 4],
                custom_seq: 0,
                custom_window: (0, 0, 0),
                peer,
                privileges,
            },
        );
        self.rooms.entry(key).or_default().push(client);
        self.users
            .entry(user_key)
            .or_insert_with(|| UserUse {
                rooms: 0,
                creations: creation_bucket(self.room_creations_per_user_per_min, now_unix * 1000),
            })
            .rooms += 1;
        fx
    }

    /// Takes a member out of the registry's books (`members` and its userId's count); the
    /// caller takes it out of its room.
    fn remove_member(&mut self, client: ClientId) -> Option<Member> {
        let m = self.members.remove(&client)?;
        let user_key = (m.room.0, m.user_id.clone());
        if let Some(u) = self.users.get_mut(&user_key) {
            u.rooms = u.rooms.saturating_sub(1);
        }
        Some(m)
    }

    /// Gives `client` an SFU peer if it has none yet.
    fn ensure_peer(&mut self, client: ClientId, fx: &mut Vec<Effect>) {
        if let Some(m) = self.members.get_mut(&client) {
            if !m.peer {
                m.peer = true;
                fx.push(Effect::Media(MediaCmd::AddPeer { peer: client }));
            }
        }
    }

    /// Forgets a member without telling anyone (its session resumed on a new connection).
    fn drop_silently(&mut self, client: ClientId) {
        if let Some(m) = self.remove_member(client) {
            if let Some(ids) = self.rooms.get_mut(&m.room) {
                ids.retain(|c| *c != client);
            }
        }
    }

    fn leave(&mut self, client: ClientId, reason: ExitReason, now_unix: u64) -> Vec<Effect> {
        let Some(m) = self.remove_member(client) else {
            return Vec::new();
        };
        let mut fx = Vec::new();
        if m.peer {
            fx.push(Effect::Media(MediaCmd::RemovePeer { peer: client }));
        }
        if let Some(ids) = self.rooms.get_mut(&m.room) {
            ids.retain(|c| *c != client);
            for other in ids.iter().filter(|_| m.anchor) {
                fx.push(Effect::Send(
                    *other,
                    ServerMsg::UserExit {
                        user_id: m.user_id.clone(),
                        reason: reason as u8,
                    },
                ));
            }
            if ids.is_empty() {
                if m.live && !m.anchor && self.live_linger_secs > 0 {
                    self.lingering
                        .insert(m.room.clone(), now_unix + self.live_linger_secs);
                } else {
                    self.rooms.remove(&m.room);
                }
            }
        }
        fx
    }

    /// The rights a join's privateMapKey grants (`None`: no key, no limits), or why the join is
    /// refused: a key required but missing, invalid, for another room, or without the right to
    /// enter (or to create the room, when `creates` it).
    fn private_map_rights(
        &self,
        sdk_app_id: u64,
        user_id: &str,
        room: &RoomId,
        key: Option<&str>,
        creates: bool,
        now_unix: u64,
    ) -> Result<Option<u32>, String> {
        let Some(key) = key.filter(|k| !k.is_empty()) else {
            return if self.require_private_map_key {
                Err("this server requires a privateMapKey: pass enterRoom({privateMapKey}) made with tls-sig-api-v2's genPrivateMapKey (or ...WithStringRoomID) for this room".into())
            } else {
                Ok(None)
            };
        };
        let map = self
            .auth
            .private_map(sdk_app_id, user_id, key, now_unix)
            .map_err(|m| clip(&m, MESSAGE_CHARS).into_owned())?;
        let same_room = match (&map.room, room) {
            (auth::PrivateRoom::Num(a), RoomId::Num(b)) => a == b,
            (auth::PrivateRoom::Str(a), RoomId::Str(b)) => a == b,
            _ => false,
        };
        if !same_room {
            let named = match &map.room {
                auth::PrivateRoom::Num(n) => format!("roomId {n}"),
                auth::PrivateRoom::Str(s) => format!("strRoomId '{}'", clip(s, ECHO_CHARS)),
            };
            return Err(format!(
                "the privateMapKey is for {named}, not for {}: make one for this room",
                describe(room)
            ));
        }
        for (needed, bit) in [
            (true, auth::privilege::ENTER),
            (creates, auth::privilege::CREATE),
        ] {
            if needed && !map.allows(bit) {
                return Err(missing_right(bit));
            }
        }
        Ok(Some(map.privileges))
    }

    /// What `client` publishes from now on, per kind of [`MediaKind::ALL`]; `small`: its
    /// camera video carries a small layer too (the screen has none).
    pub(crate) fn publish(
        &mut self,
        client: ClientId,
        kinds: [bool; 4],
        small: bool,
    ) -> Vec<Effect> {
        let [audio, video, sub_video, sub_audio] = kinds;
        let any = kinds.iter().any(|k| *k);
        if let Some(p) = self.members[&client].privileges {
            for (wanted, bit) in [
                (audio || sub_audio, auth::privilege::SEND_AUDIO),
                (video || sub_video, auth::privilege::SEND_VIDEO),
            ] {
                if wanted && p & bit == 0 {
                    return vec![Effect::Send(
                        client,
                        ServerMsg::PublishRefused {
                            code: code::PRIVILEGE,
                            message: missing_right(bit),
                        },
                    )];
                }
            }
        }
        if !self.members[&client].anchor && any {
            return error(
                client,
                code::ROLE_AUDIENCE,
                "an audience cannot publish: switchRole('anchor') first",
            );
        }
        let others = self.others(client);
        let mut fx = Vec::new();
        if any {
            self.ensure_peer(client, &mut fx);
        }
        let m = self.members.get_mut(&client).expect("joined");
        let before = m.clone();
        m.publish = kinds;
        let after = m.clone();
        if after.peer {
            fx.push(Effect::Media(MediaCmd::SetSmall {
                peer: client,
                small: small && video,
            }));
            fx.push(Effect::Media(MediaCmd::SetPublish {
                peer: client,
                audio,
                video,
                sub_video,
                sub_audio,
            }));
        }
        for kind in KINDS {
            let (was, now) = (before.publishes(kind), after.publishes(kind));
            for other in &others {
                if !was && now {
                    self.ensure_peer(*other, &mut fx);
                    fx.push(Effect::Media(MediaCmd::AddSource {
                        subscriber: *other,
                        source: client,
                        kind,
                    }));
                } else if was && !now {
                    fx.push(Effect::Media(MediaCmd::RemoveSource {
                        subscriber: *other,
                        source: client,
                        kind,
                    }));
                }
            }
            fx.extend(Self::availability(&before, &after, kind, &others));
        }
        fx
    }

    /// `sendCustomMessage`: checked as the SDK checks it (an SDK that does not is refused the
    /// same way), then relayed to everyone else in the room with the sender's next `seq`.
    fn custom(&mut self, client: ClientId, cmd_id: u8, data: String, now_unix: u64) -> Vec<Effect> {
        let others = self.others(client);
        let m = self.members.get_mut(&client).expect("joined");
        if m.live && !m.anchor {
            return error(
                client,
                code::ROLE_AUDIENCE,
                "an audience cannot send custom messages",
            );
        }
        if !(1..=10).contains(&cmd_id) {
            return error(client, code::BAD_MESSAGE, "cmdId must be 1..10");
        }
        let len = match trtc_proto::b64::decode(&data) {
            Some(bytes) if (1..=trtc_proto::MAX_CUSTOM_BYTES).contains(&bytes.len()) => bytes.len(),
            _ => {
                return error(
                    client,
                    code::BAD_MESSAGE,
                    "data must be base64 of 1..1000 bytes",
                )
            }
        };
        let (second, calls, bytes) = &mut m.custom_window;
        if *second != now_unix {
            *second = now_unix;
            *calls = 0;
            *bytes = 0;
        }
        if *calls >= trtc_proto::CUSTOM_PER_SEC || *bytes + len > trtc_proto::CUSTOM_BYTES_PER_SEC {
            return error(
                client,
                code::RATE_LIMITED,
                "custom messages are limited to 30 and 8000 bytes per second; this one was dropped",
            );
        }
        *calls += 1;
        *bytes += len;
        m.custom_seq += 1;
        let msg = ServerMsg::Custom {
            user_id: m.user_id.clone(),
            cmd_id,
            seq: m.custom_seq,
            data,
        };
        others
            .iter()
            .map(|o| Effect::Send(*o, msg.clone()))
            .collect()
    }

    fn mute(&mut self, client: ClientId, kind: MediaKind, muted: bool) -> Vec<Effect> {
        let others = self.others(client);
        let m = self.members.get_mut(&client).expect("joined");
        let before = m.clone();
        m.muted[kind_index(kind)] = muted;
        let after = m.clone();
        Self::availability(&before, &after, kind, &others)
    }

    fn availability(
        before: &Member,
        after: &Member,
        kind: MediaKind,
        others: &[ClientId],
    ) -> Vec<Effect> {
        let (was, now) = (before.available(kind), after.available(kind));
        if was == now {
            return Vec::new();
        }
        others
            .iter()
            .map(|o| {
                Effect::Send(
                    *o,
                    ServerMsg::MediaState {
                        user_id: after.user_id.clone(),
                        kind,
                        available: now,
                    },
                )
            })
            .collect()
    }

    fn subscribe(
        &mut self,
        client: ClientId,
        user_id: &str,
        kind: MediaKind,
        on: bool,
        small: bool,
    ) -> Vec<Effect> {
        let source = self
            .others(client)
            .into_iter()
            .find(|c| self.members[c].user_id == user_id);
        if let (Some(p), true, Some(_)) = (self.members[&client].privileges, on, source) {
            let bit = if kind.is_video() {
                auth::privilege::RECV_VIDEO
            } else {
                auth::privilege::RECV_AUDIO
            };
            if p & bit == 0 {
                return vec![Effect::Send(
                    client,
                    ServerMsg::SubscribeRefused {
                        // The member's id: the room bounds it.
                        user_id: user_id.to_string(),
                        kind,
                        code: code::PRIVILEGE,
                        message: missing_right(bit),
                    },
                )];
            }
        }
        match source {
            Some(source) => {
                let mut fx = Vec::new();
                self.ensure_peer(client, &mut fx);
                self.ensure_peer(source, &mut fx);
                if kind == MediaKind::Video {
                    // The layer first: forwarding then starts on the wanted one.
                    fx.push(Effect::Media(MediaCmd::SetLayer {
                        subscriber: client,
                        source,
                        small,
                    }));
                }
                fx.push(Effect::Media(MediaCmd::Subscribe {
                    subscriber: client,
                    source,
                    kind,
                    on,
                }));
                fx
            }
            None => error(
                client,
                code::NO_SUCH_USER,
                format!("user '{}' is not in this room", clip(user_id, ECHO_CHARS)),
            ),
        }
    }
}

/// The refusal message for an action whose privateMapKey right is missing.
fn missing_right(bit: u32) -> String {
    format!(
        "not allowed to {}: the privateMapKey lacks that right (privilege bit {bit}); make one whose privilegeMap includes it",
        auth::privilege::name(bit)
    )
}
