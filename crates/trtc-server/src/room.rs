//! The room registry: who is in which room and what they publish. No IO: each call takes a
//! client's message (and the time) and returns [`Effect`]s — messages to send, sockets to
//! close, and commands for the media plane — which the signalling layer carries out.
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
//! - a join never makes an app hold more rooms, or a room more members, than the caps set with
//!   [`Registry::with_room_limits`] (see [`crate::limits`]); a refused join changes nothing.

use std::collections::{BTreeMap, HashMap};

use trtc_proto::{
    code, kick_reason, ClientMsg, Join, MediaKind, RemoteUser, Role, RoomId, Scene, ServerMsg,
    PROTOCOL_VERSION,
};

pub type ClientId = u64;

/// `(sdkAppId, room)`.
pub type RoomKey = (u64, RoomId);

/// Commands for the media plane (the SFU).
#[derive(Debug, Clone, PartialEq)]
pub enum MediaCmd {
    AddPeer {
        peer: ClientId,
    },
    RemovePeer {
        peer: ClientId,
    },
    SetPublish {
        peer: ClientId,
        audio: bool,
        video: bool,
    },
    /// Give `subscriber` a send slot for `source`'s `kind` (no forwarding until subscribed).
    AddSource {
        subscriber: ClientId,
        source: ClientId,
        kind: MediaKind,
    },
    RemoveSource {
        subscriber: ClientId,
        source: ClientId,
        kind: MediaKind,
    },
    Subscribe {
        subscriber: ClientId,
        source: ClientId,
        kind: MediaKind,
        on: bool,
    },
    Answer {
        peer: ClientId,
        sdp: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Send(ClientId, ServerMsg),
    /// Close the client's connection after the messages sent before.
    Close(ClientId),
    Media(MediaCmd),
}

/// Why a member left, as `REMOTE_USER_EXIT.reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitReason {
    Normal = 0,
    Timeout = 1,
    Kicked = 2,
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
    audio: bool,
    video: bool,
    audio_muted: bool,
    video_muted: bool,
}

impl Member {
    fn publishes(&self, kind: MediaKind) -> bool {
        match kind {
            MediaKind::Audio => self.audio,
            MediaKind::Video => self.video,
        }
    }
    fn available(&self, kind: MediaKind) -> bool {
        match kind {
            MediaKind::Audio => self.audio && !self.audio_muted,
            MediaKind::Video => self.video && !self.video_muted,
        }
    }
    fn as_remote(&self) -> RemoteUser {
        RemoteUser {
            user_id: self.user_id.clone(),
            audio: self.available(MediaKind::Audio),
            video: self.available(MediaKind::Video),
        }
    }
}

const KINDS: [MediaKind; 2] = [MediaKind::Audio, MediaKind::Video];

/// How long a silent or dropped client stays by default (TRTC's heartbeat timeout).
pub const DEFAULT_CLIENT_TIMEOUT_SECS: u64 = 90;

/// How long an emptied live room lingers by default (seconds).
pub const DEFAULT_LIVE_LINGER_SECS: u64 = 30;

/// Checks a join's userSig; returns the TRTC code and a message when it fails.
pub trait Auth {
    fn check(
        &self,
        sdk_app_id: u64,
        user_id: &str,
        user_sig: &str,
        now_unix: u64,
    ) -> Result<(), (i64, String)>;
}

/// Secrets by sdkAppId, checked with TLS-sig v2.
#[derive(Debug, Clone, Default)]
pub struct Apps {
    keys: HashMap<u64, String>,
}

impl Apps {
    pub fn new(apps: impl IntoIterator<Item = (u64, String)>) -> Self {
        Apps {
            keys: apps.into_iter().collect(),
        }
    }
    pub fn key(&self, sdk_app_id: u64) -> Option<&str> {
        self.keys.get(&sdk_app_id).map(String::as_str)
    }
    pub fn ids(&self) -> Vec<u64> {
        let mut ids: Vec<_> = self.keys.keys().copied().collect();
        ids.sort_unstable();
        ids
    }
}

impl Auth for Apps {
    fn check(
        &self,
        sdk_app_id: u64,
        user_id: &str,
        user_sig: &str,
        now_unix: u64,
    ) -> Result<(), (i64, String)> {
        let Some(key) = self.key(sdk_app_id) else {
            return Err((
                code::UNKNOWN_APP,
                format!("sdkAppId {sdk_app_id} is not configured on this server (start it with --app {sdk_app_id}:<secret key>)"),
            ));
        };
        trtc_usersig::verify(user_sig, sdk_app_id, key, user_id, now_unix)
            .map(|_| ())
            .map_err(|e| (e.code() as i64, format!("userSig check failed: {e}")))
    }
}

/// Why an admin action was refused. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminError {
    /// The app has no such room (no one is in it).
    NoSuchRoom { sdk_app_id: u64, room: RoomId },
    /// These users are not in the room (in the order asked).
    NoSuchUsers { room: RoomId, user_ids: Vec<String> },
    /// The request names no user.
    NoUsers,
}

/// `roomId 8` or `strRoomId "abc"`, as a user writes it.
fn describe(room: &RoomId) -> String {
    match room {
        RoomId::Num(n) => format!("roomId {n}"),
        RoomId::Str(s) => format!("strRoomId {s:?}"),
    }
}

impl std::fmt::Display for AdminError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AdminError::NoSuchRoom { sdk_app_id, room } => write!(
                f,
                "sdkAppId {sdk_app_id} has no room with {} (a room exists while someone is in it; numeric and string room ids are separate)",
                describe(room)
            ),
            AdminError::NoSuchUsers { room, user_ids } => write!(
                f,
                "not in {}: {}; no one was removed",
                describe(room),
                user_ids
                    .iter()
                    .map(|u| format!("{u:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            AdminError::NoUsers => write!(f, "UserIds is empty: name at least one user to remove"),
        }
    }
}

impl std::error::Error for AdminError {}

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
        }
    }

    /// Sets the most rooms one app may hold and the most members one room may hold (0:
    /// unlimited). Joins beyond them fail with [`code::TOO_MANY_ROOMS`] / [`code::ROOM_FULL`].
    pub fn with_room_limits(mut self, max_rooms_per_app: usize, max_users_per_room: usize) -> Self {
        self.max_rooms_per_app = max_rooms_per_app;
        self.max_users_per_room = max_users_per_room;
        self
    }

    /// How many rooms `sdk_app_id` holds (lingering empty live rooms included).
    fn room_count(&self, sdk_app_id: u64) -> usize {
        self.rooms
            .range((sdk_app_id, RoomId::Num(0))..)
            .take_while(|((app, _), _)| *app == sdk_app_id)
            .count()
    }

    /// Sets how long a silent or dropped client stays before it is removed.
    pub fn with_client_timeout(mut self, secs: u64) -> Self {
        self.client_timeout_secs = secs;
        self
    }

    /// Records that `client` is alive (any message).
    fn touch(&mut self, client: ClientId, now_unix: u64) {
        if let Some(m) = self.members.get_mut(&client) {
            m.last_seen = m.last_seen.max(now_unix);
        }
    }

    /// The connection of `client` dropped without a leave: it stays in the room (its media
    /// peer is gone) until its session comes back or the timeout passes.
    pub fn detached(&mut self, client: ClientId, now_unix: u64) -> Vec<Effect> {
        let Some(m) = self.members.get_mut(&client) else {
            return Vec::new();
        };
        if m.session.is_none() || self.client_timeout_secs == 0 {
            return self.leave(client, ExitReason::Normal, now_unix);
        }
        m.detached = true;
        m.last_seen = m.last_seen.min(now_unix);
        vec![Effect::Media(MediaCmd::RemovePeer { peer: client })]
    }

    /// Sets how long an emptied live room lingers (its last leaver was an audience).
    pub fn with_live_linger(mut self, secs: u64) -> Self {
        self.live_linger_secs = secs;
        self
    }

    /// Removes members silent (or detached) past the timeout — the others see them exit with
    /// reason 1 — and lingering live rooms whose time is up.
    pub fn tick(&mut self, now_unix: u64) -> Vec<Effect> {
        let mut fx = Vec::new();
        if self.client_timeout_secs > 0 {
            let mut late: Vec<ClientId> = self
                .members
                .iter()
                .filter(|(_, m)| now_unix >= m.last_seen + self.client_timeout_secs)
                .map(|(c, _)| *c)
                .collect();
            late.sort_unstable();
            for c in late {
                fx.extend(self.leave(c, ExitReason::Timeout, now_unix));
                fx.push(Effect::Close(c));
            }
        }
        self.tick_rooms(now_unix);
        fx
    }

    fn tick_rooms(&mut self, now_unix: u64) {
        let due: Vec<RoomKey> = self
            .lingering
            .iter()
            .filter(|(_, deadline)| now_unix >= **deadline)
            .map(|(k, _)| k.clone())
            .collect();
        for key in due {
            self.lingering.remove(&key);
            if self.rooms.get(&key).is_some_and(Vec::is_empty) {
                self.rooms.remove(&key);
            }
        }
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

    /// The rooms of one app and their users (joining order), rooms in [`RoomId`] order.
    pub fn rooms_of(&self, sdk_app_id: u64) -> Vec<(RoomId, Vec<String>)> {
        self.rooms()
            .into_iter()
            .filter(|((app, _), _)| *app == sdk_app_id)
            .map(|((_, room), users)| (room, users))
            .collect()
    }

    /// Admin: removes users from a room (TRTC's `RemoveUser`). Each gets
    /// [`ServerMsg::Kicked`] `banned` and its connection is closed; the others see
    /// [`ServerMsg::UserExit`] with reason [`ExitReason::Kicked`]. All or nothing: an unknown
    /// room or user refuses the whole request. Repeated userIds count once.
    pub fn remove_users(
        &mut self,
        sdk_app_id: u64,
        room: &RoomId,
        user_ids: &[String],
    ) -> Result<Vec<Effect>, AdminError> {
        if user_ids.is_empty() {
            return Err(AdminError::NoUsers);
        }
        let key: RoomKey = (sdk_app_id, room.clone());
        let Some(ids) = self.rooms.get(&key) else {
            return Err(AdminError::NoSuchRoom {
                sdk_app_id,
                room: room.clone(),
            });
        };
        let mut clients = Vec::new();
        let mut missing: Vec<String> = Vec::new();
        for (i, user) in user_ids.iter().enumerate() {
            if user_ids[..i].contains(user) {
                continue;
            }
            let found: Vec<ClientId> = ids
                .iter()
                .copied()
                .filter(|c| self.members[c].user_id == *user)
                .collect();
            if found.is_empty() {
                missing.push(user.clone());
            }
            clients.extend(found);
        }
        if !missing.is_empty() {
            return Err(AdminError::NoSuchUsers {
                room: room.clone(),
                user_ids: missing,
            });
        }
        Ok(self.kick(&clients, kick_reason::BANNED))
    }

    /// Admin: dismisses a room (TRTC's `DismissRoom`): every member gets [`ServerMsg::Kicked`]
    /// `room_disband` and its connection is closed; the room is gone.
    pub fn dismiss(&mut self, sdk_app_id: u64, room: &RoomId) -> Result<Vec<Effect>, AdminError> {
        let key: RoomKey = (sdk_app_id, room.clone());
        let Some(ids) = self.rooms.get(&key).cloned() else {
            return Err(AdminError::NoSuchRoom {
                sdk_app_id,
                room: room.clone(),
            });
        };
        Ok(self.kick(&ids, kick_reason::ROOM_DISBAND))
    }

    /// Removes clients from their rooms: each is told [`ServerMsg::Kicked`] with `reason`, its
    /// peer removed and its connection closed; the members who stay see each one exit (reason
    /// [`ExitReason::Kicked`]), and are not told about one another's removal twice.
    fn kick(&mut self, clients: &[ClientId], reason: &str) -> Vec<Effect> {
        let mut fx = Vec::new();
        let mut gone = Vec::new();
        for &c in clients {
            let Some(m) = self.members.remove(&c) else {
                continue;
            };
            fx.push(Effect::Send(
                c,
                ServerMsg::Kicked {
                    reason: reason.to_string(),
                },
            ));
            fx.push(Effect::Media(MediaCmd::RemovePeer { peer: c }));
            fx.push(Effect::Close(c));
            if let Some(ids) = self.rooms.get_mut(&m.room) {
                ids.retain(|x| *x != c);
            }
            gone.push(m);
        }
        for m in gone.iter().filter(|m| m.anchor) {
            for other in self.rooms.get(&m.room).into_iter().flatten() {
                fx.push(Effect::Send(
                    *other,
                    ServerMsg::UserExit {
                        user_id: m.user_id.clone(),
                        reason: ExitReason::Kicked as u8,
                    },
                ));
            }
        }
        for m in &gone {
            if self.rooms.get(&m.room).is_some_and(Vec::is_empty) {
                self.rooms.remove(&m.room);
            }
        }
        fx
    }

    /// The userId a joined client authenticated as.
    pub fn user_id_of(&self, client: ClientId) -> Option<String> {
        self.members.get(&client).map(|m| m.user_id.clone())
    }

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
            ClientMsg::Ping { seq } => vec![Effect::Send(client, ServerMsg::Pong { seq })],
            _ if !self.is_joined(client) => error(client, code::NOT_JOINED, "join a room first"),
            ClientMsg::Publish { audio, video } => self.publish(client, audio, video),
            ClientMsg::SwitchRole { role } => self.switch_role(client, role),
            ClientMsg::Mute { kind, muted } => self.mute(client, kind, muted),
            ClientMsg::Subscribe { user_id, kind, on } => {
                self.subscribe(client, &user_id, kind, on)
            }
            ClientMsg::Answer { sdp } => {
                vec![Effect::Media(MediaCmd::Answer { peer: client, sdp })]
            }
            ClientMsg::Leave => {
                let mut fx = self.leave(client, ExitReason::Normal, now_unix);
                fx.push(Effect::Close(client));
                fx
            }
        }
    }

    /// The client's connection is gone.
    pub fn disconnected(&mut self, client: ClientId, now_unix: u64) -> Vec<Effect> {
        if self.members.get(&client).is_some_and(|m| m.detached) {
            // Already waiting for its session to come back (or the timeout).
            return Vec::new();
        }
        self.leave(client, ExitReason::Normal, now_unix)
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
            return fail(code::BAD_ROOM, format!("invalid room id {:?}", join.room));
        }
        if join.user_id.trim().is_empty() {
            return fail(code::BAD_MESSAGE, "userId is empty".into());
        }
        if let Err((code, message)) =
            self.auth
                .check(join.sdk_app_id, &join.user_id, &join.user_sig, now_unix)
        {
            return fail(code, message);
        }
        let key: RoomKey = (join.sdk_app_id, join.room.clone());
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
        if self.max_rooms_per_app > 0
            && !self.rooms.contains_key(&key)
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
        // The same SDK session coming back (its connection dropped): resume silently.
        let resumed: Vec<ClientId> = earlier
            .iter()
            .copied()
            .filter(|c| join.session.is_some() && self.members[c].session == join.session)
            .collect();
        for old in &resumed {
            let was_attached = !self.members[old].detached;
            self.drop_silently(*old);
            fx.push(Effect::Media(MediaCmd::RemovePeer { peer: *old }));
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
        fx.push(Effect::Media(MediaCmd::AddPeer { peer: client }));
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
                audio: false,
                video: false,
                audio_muted: false,
                video_muted: false,
            },
        );
        self.rooms.entry(key).or_default().push(client);
        fx
    }

    /// Forgets a member without telling anyone (its session resumed on a new connection).
    fn drop_silently(&mut self, client: ClientId) {
        if let Some(m) = self.members.remove(&client) {
            if let Some(ids) = self.rooms.get_mut(&m.room) {
                ids.retain(|c| *c != client);
            }
        }
    }

    fn leave(&mut self, client: ClientId, reason: ExitReason, now_unix: u64) -> Vec<Effect> {
        let Some(m) = self.members.remove(&client) else {
            return Vec::new();
        };
        let mut fx = vec![Effect::Media(MediaCmd::RemovePeer { peer: client })];
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

    /// Live scene: to anchor, the user becomes visible (others see it enter) and may publish;
    /// to audience, what it published is withdrawn, then others see it exit (reason 3).
    fn switch_role(&mut self, client: ClientId, role: Role) -> Vec<Effect> {
        let m = &self.members[&client];
        if !m.live {
            return error(
                client,
                code::BAD_MESSAGE,
                "switchRole works in the live scene only; this client entered an rtc room",
            );
        }
        let to_anchor = role == Role::Anchor;
        if m.anchor == to_anchor {
            return Vec::new();
        }
        let others = self.others(client);
        let user_id = m.user_id.clone();
        let mut fx = Vec::new();
        if to_anchor {
            self.members.get_mut(&client).expect("joined").anchor = true;
            for o in &others {
                fx.push(Effect::Send(
                    *o,
                    ServerMsg::UserEnter {
                        user_id: user_id.clone(),
                    },
                ));
            }
        } else {
            fx.extend(self.publish(client, false, false));
            self.members.get_mut(&client).expect("joined").anchor = false;
            for o in &others {
                fx.push(Effect::Send(
                    *o,
                    ServerMsg::UserExit {
                        user_id: user_id.clone(),
                        reason: ExitReason::RoleChange as u8,
                    },
                ));
            }
        }
        fx
    }

    fn publish(&mut self, client: ClientId, audio: bool, video: bool) -> Vec<Effect> {
        if !self.members[&client].anchor && (audio || video) {
            return error(
                client,
                code::ROLE_AUDIENCE,
                "an audience cannot publish: switchRole('anchor') first",
            );
        }
        let others = self.others(client);
        let m = self.members.get_mut(&client).expect("joined");
        let before = m.clone();
        m.audio = audio;
        m.video = video;
        let after = m.clone();
        let mut fx = vec![Effect::Media(MediaCmd::SetPublish {
            peer: client,
            audio,
            video,
        })];
        for kind in KINDS {
            let (was, now) = (before.publishes(kind), after.publishes(kind));
            for other in &others {
                if !was && now {
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

    fn mute(&mut self, client: ClientId, kind: MediaKind, muted: bool) -> Vec<Effect> {
        let others = self.others(client);
        let m = self.members.get_mut(&client).expect("joined");
        let before = m.clone();
        match kind {
            MediaKind::Audio => m.audio_muted = muted,
            MediaKind::Video => m.video_muted = muted,
        }
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
    ) -> Vec<Effect> {
        let source = self
            .others(client)
            .into_iter()
            .find(|c| self.members[c].user_id == user_id);
        match source {
            Some(source) => vec![Effect::Media(MediaCmd::Subscribe {
                subscriber: client,
                source,
                kind,
                on,
            })],
            None => error(
                client,
                code::NO_SUCH_USER,
                format!("user '{user_id}' is not in this room"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Accepts a userSig equal to "ok:<userId>".
    struct FakeAuth;
    impl Auth for FakeAuth {
        fn check(&self, _app: u64, user: &str, sig: &str, _now: u64) -> Result<(), (i64, String)> {
            if sig == format!("ok:{user}") {
                Ok(())
            } else {
                Err((code::USER_SIG_INVALID, "bad".into()))
            }
        }
    }

    fn join(user: &str, room: RoomId) -> ClientMsg {
        ClientMsg::Join(Join {
            version: PROTOCOL_VERSION,
            sdk_app_id: 1,
            user_id: user.into(),
            user_sig: format!("ok:{user}"),
            room,
            scene: Default::default(),
            role: Default::default(),
            session: None,
        })
    }

    fn sent(fx: &[Effect], to: ClientId) -> Vec<ServerMsg> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::Send(c, m) if *c == to => Some(m.clone()),
                _ => None,
            })
            .collect()
    }

    fn media(fx: &[Effect]) -> Vec<MediaCmd> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::Media(m) => Some(m.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn lifecycle_enter_publish_leave() {
        let mut r = Registry::new(FakeAuth);
        let fx = r.handle(1, join("alice", RoomId::Num(8)), 0);
        assert_eq!(
            sent(&fx, 1),
            vec![ServerMsg::Joined {
                user_id: "alice".into(),
                users: vec![]
            }]
        );
        assert_eq!(media(&fx), vec![MediaCmd::AddPeer { peer: 1 }]);
        let fx = r.handle(
            1,
            ClientMsg::Publish {
                audio: true,
                video: true,
            },
            0,
        );
        assert_eq!(
            media(&fx),
            vec![MediaCmd::SetPublish {
                peer: 1,
                audio: true,
                video: true
            }]
        );
        let fx = r.handle(2, join("bob", RoomId::Num(8)), 0);
        assert_eq!(
            sent(&fx, 2),
            vec![ServerMsg::Joined {
                user_id: "bob".into(),
                users: vec![RemoteUser {
                    user_id: "alice".into(),
                    audio: true,
                    video: true
                }]
            }]
        );
        assert_eq!(
            sent(&fx, 1),
            vec![ServerMsg::UserEnter {
                user_id: "bob".into()
            }]
        );
        assert_eq!(
            media(&fx),
            vec![
                MediaCmd::AddPeer { peer: 2 },
                MediaCmd::AddSource {
                    subscriber: 2,
                    source: 1,
                    kind: MediaKind::Audio
                },
                MediaCmd::AddSource {
                    subscriber: 2,
                    source: 1,
                    kind: MediaKind::Video
                },
            ]
        );
        // Bob publishes audio: Alice gets a slot and an availability notice.
        let fx = r.handle(
            2,
            ClientMsg::Publish {
                audio: true,
                video: false,
            },
            0,
        );
        assert!(media(&fx).contains(&MediaCmd::AddSource {
            subscriber: 1,
            source: 2,
            kind: MediaKind::Audio
        }));
        assert_eq!(
            sent(&fx, 1),
            vec![ServerMsg::MediaState {
                user_id: "bob".into(),
                kind: MediaKind::Audio,
                available: true
            }]
        );
        // Mute round trip.
        let fx = r.handle(
            1,
            ClientMsg::Mute {
                kind: MediaKind::Video,
                muted: true,
            },
            0,
        );
        assert_eq!(
            sent(&fx, 2),
            vec![ServerMsg::MediaState {
                user_id: "alice".into(),
                kind: MediaKind::Video,
                available: false
            }]
        );
        let fx = r.handle(
            1,
            ClientMsg::Mute {
                kind: MediaKind::Video,
                muted: true,
            },
            0,
        );
        assert!(fx.is_empty(), "no change, no message");
        // Subscribe by userId.
        let fx = r.handle(
            2,
            ClientMsg::Subscribe {
                user_id: "alice".into(),
                kind: MediaKind::Video,
                on: true,
            },
            0,
        );
        assert_eq!(
            media(&fx),
            vec![MediaCmd::Subscribe {
                subscriber: 2,
                source: 1,
                kind: MediaKind::Video,
                on: true
            }]
        );
        // Alice leaves; the room stays with Bob; Bob leaves; the room is gone.
        let fx = r.handle(1, ClientMsg::Leave, 0);
        assert_eq!(
            sent(&fx, 2),
            vec![ServerMsg::UserExit {
                user_id: "alice".into(),
                reason: 0
            }]
        );
        assert!(fx.contains(&Effect::Close(1)));
        assert_eq!(r.rooms().len(), 1);
        r.disconnected(2, 0);
        assert!(r.rooms().is_empty());
    }

    #[test]
    fn rooms_are_separate_namespaces() {
        let mut r = Registry::new(FakeAuth);
        r.handle(1, join("a", RoomId::Num(123)), 0);
        let fx = r.handle(2, join("b", RoomId::Str("123".into())), 0);
        assert!(
            sent(&fx, 1).is_empty(),
            "no cross-talk between roomId 123 and strRoomId '123'"
        );
        let fx = r.handle(3, join("c", RoomId::Num(124)), 0);
        assert!(sent(&fx, 1).is_empty());
        assert_eq!(r.rooms().len(), 3);
        let fx = r.handle(
            2,
            ClientMsg::Subscribe {
                user_id: "a".into(),
                kind: MediaKind::Audio,
                on: true,
            },
            0,
        );
        assert_eq!(
            sent(&fx, 2)[0],
            ServerMsg::Error {
                code: code::NO_SUCH_USER,
                message: "user 'a' is not in this room".into()
            }
        );
    }

    #[test]
    fn same_user_again_kicks_the_earlier_client() {
        let mut r = Registry::new(FakeAuth);
        r.handle(1, join("a", RoomId::Num(1)), 0);
        r.handle(2, join("b", RoomId::Num(1)), 0);
        let fx = r.handle(3, join("a", RoomId::Num(1)), 0);
        assert_eq!(
            sent(&fx, 1),
            vec![ServerMsg::Kicked {
                reason: "kick".into()
            }]
        );
        assert!(fx.contains(&Effect::Close(1)));
        assert_eq!(
            sent(&fx, 2),
            vec![
                ServerMsg::UserExit {
                    user_id: "a".into(),
                    reason: 2
                },
                ServerMsg::UserEnter {
                    user_id: "a".into()
                }
            ]
        );
        assert_eq!(r.rooms()[0].1, vec!["b".to_string(), "a".to_string()]);
    }

    #[test]
    fn refused_messages_change_nothing() {
        let mut r = Registry::new(FakeAuth);
        let rows: Vec<(ClientMsg, i64)> = vec![
            (
                ClientMsg::Publish {
                    audio: true,
                    video: true,
                },
                code::NOT_JOINED,
            ),
            (ClientMsg::Leave, code::NOT_JOINED),
        ];
        for (msg, want) in rows {
            let fx = r.handle(1, msg, 0);
            assert!(matches!(&sent(&fx, 1)[0], ServerMsg::Error { code, .. } if *code == want));
        }
        let mut bad = join("a", RoomId::Num(1));
        if let ClientMsg::Join(j) = &mut bad {
            j.user_sig = "forged".into();
        }
        let fx = r.handle(1, bad, 0);
        assert!(
            matches!(&sent(&fx, 1)[0], ServerMsg::JoinFailed { code, .. } if *code == code::USER_SIG_INVALID)
        );
        for room in [
            RoomId::Num(0),
            RoomId::Str("café".into()),
            RoomId::Str(String::new()),
        ] {
            let fx = r.handle(1, join("a", room), 0);
            assert!(
                matches!(&sent(&fx, 1)[0], ServerMsg::JoinFailed { code, .. } if *code == code::BAD_ROOM)
            );
        }
        let mut old = join("a", RoomId::Num(1));
        if let ClientMsg::Join(j) = &mut old {
            j.version = 99;
        }
        let fx = r.handle(1, old, 0);
        assert!(
            matches!(&sent(&fx, 1)[0], ServerMsg::JoinFailed { code, .. } if *code == code::VERSION_MISMATCH)
        );
        assert!(r.rooms().is_empty() && !r.is_joined(1));
        r.handle(1, join("a", RoomId::Num(1)), 0);
        let fx = r.handle(1, join("a", RoomId::Num(2)), 0);
        assert!(
            matches!(&sent(&fx, 1)[0], ServerMsg::Error { code, .. } if *code == code::ALREADY_JOINED)
        );
        assert_eq!(r.rooms().len(), 1);
    }

    /// `(client, user, room)` joined in this order, all in app 1.
    fn populated(rows: &[(ClientId, &str, RoomId)]) -> Registry<FakeAuth> {
        let mut r = Registry::new(FakeAuth);
        for (c, user, room) in rows {
            let fx = r.handle(*c, join(user, room.clone()), 0);
            assert!(matches!(sent(&fx, *c)[0], ServerMsg::Joined { .. }));
        }
        r
    }

    fn kicked(reason: &str) -> ServerMsg {
        ServerMsg::Kicked {
            reason: reason.into(),
        }
    }

    fn exit(user: &str) -> ServerMsg {
        ServerMsg::UserExit {
            user_id: user.into(),
            reason: ExitReason::Kicked as u8,
        }
    }

    fn closed(fx: &[Effect]) -> Vec<ClientId> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::Close(c) => Some(*c),
                _ => None,
            })
            .collect()
    }

    /// The standard scene: room 8 with a, b, c (clients 1–3); strRoomId "8" with d (4);
    /// room 9 with e (5); app 2 is empty.
    fn scene() -> Registry<FakeAuth> {
        populated(&[
            (1, "a", RoomId::Num(8)),
            (2, "b", RoomId::Num(8)),
            (3, "c", RoomId::Num(8)),
            (4, "d", RoomId::Str("8".into())),
            (5, "e", RoomId::Num(9)),
        ])
    }

    #[test]
    fn admin_remove_users_table() {
        struct Row {
            what: &'static str,
            room: RoomId,
            users: &'static [&'static str],
            /// Clients removed, in order.
            removed: &'static [ClientId],
            /// What each client that stays is sent.
            told: &'static [(ClientId, &'static [&'static str])],
            /// Users of room 8 afterwards.
            left: &'static [&'static str],
        }
        let rows = [
            Row {
                what: "one user",
                room: RoomId::Num(8),
                users: &["b"],
                removed: &[2],
                told: &[(1, &["b"]), (3, &["b"]), (4, &[]), (5, &[])],
                left: &["a", "c"],
            },
            Row {
                what: "two users, one named twice: the removed are not told about each other",
                room: RoomId::Num(8),
                users: &["c", "a", "c"],
                removed: &[3, 1],
                told: &[(2, &["c", "a"]), (4, &[]), (5, &[])],
                left: &["b"],
            },
            Row {
                what: "everyone: the room is gone",
                room: RoomId::Num(8),
                users: &["a", "b", "c"],
                removed: &[1, 2, 3],
                told: &[(4, &[]), (5, &[])],
                left: &[],
            },
            Row {
                what: "by strRoomId",
                room: RoomId::Str("8".into()),
                users: &["d"],
                removed: &[4],
                told: &[(1, &[]), (2, &[]), (3, &[]), (5, &[])],
                left: &["a", "b", "c"],
            },
        ];
        for row in rows {
            let mut r = scene();
            let users: Vec<String> = row.users.iter().map(|u| u.to_string()).collect();
            let fx = r.remove_users(1, &row.room, &users).expect(row.what);
            for c in row.removed {
                assert_eq!(sent(&fx, *c), vec![kicked("banned")], "{}: {c}", row.what);
                assert!(!r.is_joined(*c), "{}", row.what);
            }
            assert_eq!(closed(&fx), row.removed, "{}", row.what);
            let peers: Vec<MediaCmd> = row
                .removed
                .iter()
                .map(|&peer| MediaCmd::RemovePeer { peer })
                .collect();
            assert_eq!(media(&fx), peers, "{}", row.what);
            for (c, exits) in row.told {
                let want: Vec<ServerMsg> = exits.iter().map(|u| exit(u)).collect();
                assert_eq!(sent(&fx, *c), want, "{}: told {c}", row.what);
            }
            let room8 = r
                .rooms_of(1)
                .into_iter()
                .find(|(k, _)| *k == RoomId::Num(8));
            let left: Vec<String> = room8.map(|(_, u)| u).unwrap_or_default();
            assert_eq!(left, row.left, "{}", row.what);
            // The removed can enter again.
            for c in row.removed {
                let fx = r.handle(*c, join(&format!("again{c}"), RoomId::Num(8)), 0);
                assert!(matches!(sent(&fx, *c)[0], ServerMsg::Joined { .. }));
            }
        }
    }

    #[test]
    fn admin_dismiss_table() {
        let rows: [(RoomId, &[ClientId], usize); 3] = [
            (RoomId::Num(8), &[1, 2, 3], 2),
            (RoomId::Str("8".into()), &[4], 2),
            (RoomId::Num(9), &[5], 2),
        ];
        for (room, members, rooms_after) in rows {
            let mut r = scene();
            let fx = r.dismiss(1, &room).expect("dismiss");
            for c in 1..=5 {
                let want = if members.contains(&c) {
                    vec![kicked("room_disband")]
                } else {
                    vec![]
                };
                assert_eq!(sent(&fx, c), want, "{room:?}: client {c}");
            }
            assert_eq!(closed(&fx), members, "{room:?}");
            assert_eq!(media(&fx).len(), members.len(), "{room:?}: peers removed");
            assert!(
                r.rooms_of(1).iter().all(|(k, _)| *k != room),
                "{room:?} gone"
            );
            assert_eq!(r.rooms().len(), rooms_after);
        }
    }

    #[test]
    fn admin_refusals_change_nothing() {
        let rows: Vec<(&str, u64, RoomId, Vec<&str>, AdminError)> = vec![
            (
                "unknown room",
                1,
                RoomId::Num(10),
                vec!["a"],
                AdminError::NoSuchRoom {
                    sdk_app_id: 1,
                    room: RoomId::Num(10),
                },
            ),
            (
                "another app's room",
                2,
                RoomId::Num(8),
                vec!["a"],
                AdminError::NoSuchRoom {
                    sdk_app_id: 2,
                    room: RoomId::Num(8),
                },
            ),
            (
                "numeric id given for a string room",
                1,
                RoomId::Str("9".into()),
                vec!["e"],
                AdminError::NoSuchRoom {
                    sdk_app_id: 1,
                    room: RoomId::Str("9".into()),
                },
            ),
            (
                "one known, two unknown users",
                1,
                RoomId::Num(8),
                vec!["a", "zed", "e"],
                AdminError::NoSuchUsers {
                    room: RoomId::Num(8),
                    user_ids: vec!["zed".into(), "e".into()],
                },
            ),
            ("no users", 1, RoomId::Num(8), vec![], AdminError::NoUsers),
        ];
        for (what, app, room, users, want) in rows {
            let mut r = scene();
            let before = r.rooms();
            let users: Vec<String> = users.iter().map(|u| u.to_string()).collect();
            assert_eq!(
                r.remove_users(app, &room, &users),
                Err(want.clone()),
                "{what}"
            );
            assert!(!want.to_string().is_empty());
            if !matches!(want, AdminError::NoUsers | AdminError::NoSuchUsers { .. }) {
                assert!(r.dismiss(app, &room).is_err(), "{what}: dismiss");
            }
            assert_eq!(r.rooms(), before, "{what}: unchanged");
        }
        assert_eq!(
            AdminError::NoSuchUsers {
                room: RoomId::Str("x".into()),
                user_ids: vec!["zed".into()]
            }
            .to_string(),
            r#"not in strRoomId "x": "zed"; no one was removed"#
        );
    }

    #[test]
    fn rooms_of_one_app() {
        let mut r = scene();
        let mut other = join("z", RoomId::Num(8));
        if let ClientMsg::Join(j) = &mut other {
            j.sdk_app_id = 2;
        }
        r.handle(6, other, 0);
        assert_eq!(
            r.rooms_of(1),
            vec![
                (RoomId::Num(8), vec!["a".into(), "b".into(), "c".into()]),
                (RoomId::Num(9), vec!["e".into()]),
                (RoomId::Str("8".into()), vec!["d".into()]),
            ]
        );
        assert_eq!(r.rooms_of(2), vec![(RoomId::Num(8), vec!["z".into()])]);
        assert!(r.rooms_of(3).is_empty());
    }

    #[test]
    fn real_usersig_check() {
        let apps = Apps::new([(1400000001, "secret".to_string())]);
        let now = 1_800_000_000;
        let sig = trtc_usersig::sign(1400000001, "secret", "alice", 3600, now);
        assert!(apps.check(1400000001, "alice", &sig, now + 10).is_ok());
        let rows = [
            (
                1400000001,
                "bob",
                sig.clone(),
                now,
                trtc_usersig::code::WRONG_USER as i64,
            ),
            (1400000002, "alice", sig.clone(), now, code::UNKNOWN_APP),
            (
                1400000001,
                "alice",
                sig.clone(),
                now + 7200,
                trtc_usersig::code::EXPIRED as i64,
            ),
            (
                1400000001,
                "alice",
                "garbage".to_string(),
                now,
                code::USER_SIG_INVALID,
            ),
        ];
        for (app, user, s, t, want) in rows {
            let (got, msg) = apps.check(app, user, &s, t).unwrap_err();
            assert_eq!(got, want, "{msg}");
        }
    }

    fn live_join(user: &str, room: u32, role: Role) -> ClientMsg {
        ClientMsg::Join(Join {
            version: PROTOCOL_VERSION,
            sdk_app_id: 1,
            user_id: user.into(),
            user_sig: format!("ok:{user}"),
            room: RoomId::Num(room),
            scene: Scene::Live,
            role,
            session: None,
        })
    }

    #[test]
    fn live_audiences_are_invisible_and_cannot_publish() {
        let mut r = Registry::new(FakeAuth);
        r.handle(1, live_join("anchor", 9, Role::Anchor), 0);
        r.handle(
            1,
            ClientMsg::Publish {
                audio: true,
                video: true,
            },
            0,
        );
        let fx = r.handle(2, live_join("fan", 9, Role::Audience), 0);
        assert!(
            sent(&fx, 1).is_empty(),
            "the anchor is not told about an audience"
        );
        assert_eq!(
            sent(&fx, 2),
            vec![ServerMsg::Joined {
                user_id: "fan".into(),
                users: vec![RemoteUser {
                    user_id: "anchor".into(),
                    audio: true,
                    video: true
                }]
            }]
        );
        assert!(media(&fx).contains(&MediaCmd::AddSource {
            subscriber: 2,
            source: 1,
            kind: MediaKind::Video
        }));
        let fx = r.handle(
            2,
            ClientMsg::Publish {
                audio: true,
                video: false,
            },
            0,
        );
        assert!(
            matches!(&sent(&fx, 2)[0], ServerMsg::Error { code, .. } if *code == code::ROLE_AUDIENCE)
        );
        assert!(media(&fx).is_empty(), "no uplink for an audience");
        // A second audience does not see the first.
        let fx = r.handle(3, live_join("fan2", 9, Role::Audience), 0);
        assert!(matches!(&sent(&fx, 3)[0], ServerMsg::Joined { users, .. } if users.len() == 1));
        assert!(sent(&fx, 2).is_empty());
        // Leaving: nobody is told about an audience.
        let fx = r.handle(3, ClientMsg::Leave, 0);
        assert!(sent(&fx, 1).is_empty() && sent(&fx, 2).is_empty());
    }

    #[test]
    fn switch_role_both_ways() {
        let mut r = Registry::new(FakeAuth);
        r.handle(1, live_join("anchor", 9, Role::Anchor), 0);
        r.handle(2, live_join("fan", 9, Role::Audience), 0);
        let fx = r.handle(2, ClientMsg::SwitchRole { role: Role::Anchor }, 0);
        assert_eq!(
            sent(&fx, 1),
            vec![ServerMsg::UserEnter {
                user_id: "fan".into()
            }]
        );
        let fx = r.handle(
            2,
            ClientMsg::Publish {
                audio: false,
                video: true,
            },
            0,
        );
        assert_eq!(
            sent(&fx, 1),
            vec![ServerMsg::MediaState {
                user_id: "fan".into(),
                kind: MediaKind::Video,
                available: true
            }]
        );
        assert!(media(&fx).contains(&MediaCmd::SetPublish {
            peer: 2,
            audio: false,
            video: true
        }));
        let fx = r.handle(
            2,
            ClientMsg::SwitchRole {
                role: Role::Audience,
            },
            0,
        );
        assert_eq!(
            sent(&fx, 1),
            vec![
                ServerMsg::MediaState {
                    user_id: "fan".into(),
                    kind: MediaKind::Video,
                    available: false
                },
                ServerMsg::UserExit {
                    user_id: "fan".into(),
                    reason: 3
                },
            ]
        );
        assert!(media(&fx).contains(&MediaCmd::SetPublish {
            peer: 2,
            audio: false,
            video: false
        }));
        // Same role again: nothing. In an rtc room: refused.
        assert!(r
            .handle(
                2,
                ClientMsg::SwitchRole {
                    role: Role::Audience
                },
                0
            )
            .is_empty());
        r.handle(5, join("rtc-user", RoomId::Num(10)), 0);
        let fx = r.handle(
            5,
            ClientMsg::SwitchRole {
                role: Role::Audience,
            },
            0,
        );
        assert!(matches!(&sent(&fx, 5)[0], ServerMsg::Error { .. }));
    }

    #[test]
    fn live_room_lingers_after_its_last_audience_leaves() {
        let mut r = Registry::new(FakeAuth).with_live_linger(30);
        r.handle(1, live_join("anchor", 9, Role::Anchor), 100);
        r.handle(2, live_join("fan", 9, Role::Audience), 100);
        r.handle(1, ClientMsg::Leave, 100);
        r.handle(2, ClientMsg::Leave, 110);
        assert_eq!(r.rooms().len(), 1, "lingers, empty");
        r.tick(139);
        assert_eq!(r.rooms().len(), 1);
        r.tick(140);
        assert!(r.rooms().is_empty(), "gone after 30 s");
        // Entering again cancels the removal.
        r.handle(3, live_join("fan", 9, Role::Audience), 200);
        r.handle(3, ClientMsg::Leave, 200);
        r.handle(4, live_join("anchor", 9, Role::Anchor), 210);
        r.tick(231);
        assert_eq!(r.rooms().len(), 1, "someone is in it");
        // An rtc room, or a live room whose last leaver is an anchor, goes at once.
        r.handle(4, ClientMsg::Leave, 240);
        assert!(r.rooms().is_empty());
    }

    fn session_join(user: &str, room: u32, session: &str) -> ClientMsg {
        ClientMsg::Join(Join {
            version: PROTOCOL_VERSION,
            sdk_app_id: 1,
            user_id: user.into(),
            user_sig: format!("ok:{user}"),
            room: RoomId::Num(room),
            scene: Scene::Rtc,
            role: Role::Anchor,
            session: Some(session.into()),
        })
    }

    #[test]
    fn a_dropped_session_resumes_silently() {
        let mut r = Registry::new(FakeAuth).with_client_timeout(10);
        r.handle(1, session_join("a", 5, "s1"), 100);
        r.handle(
            1,
            ClientMsg::Publish {
                audio: true,
                video: true,
            },
            100,
        );
        r.handle(2, session_join("b", 5, "s2"), 100);
        let fx = r.detached(1, 101);
        assert_eq!(media(&fx), vec![MediaCmd::RemovePeer { peer: 1 }]);
        assert!(sent(&fx, 2).is_empty(), "b sees nothing while a reconnects");
        // a comes back on connection 3 with the same session: no exit, no enter for b.
        let fx = r.handle(3, session_join("a", 5, "s1"), 104);
        assert!(sent(&fx, 2).is_empty());
        assert!(matches!(&sent(&fx, 3)[0], ServerMsg::Joined { users, .. } if users.len() == 1));
        assert!(media(&fx).contains(&MediaCmd::AddPeer { peer: 3 }));
        // It republishes: b gets slots for the new connection again.
        let fx = r.handle(
            3,
            ClientMsg::Publish {
                audio: true,
                video: true,
            },
            104,
        );
        assert!(media(&fx).contains(&MediaCmd::AddSource {
            subscriber: 2,
            source: 3,
            kind: MediaKind::Video
        }));
        assert_eq!(r.rooms()[0].1, vec!["b".to_string(), "a".to_string()]);
        // Another session with the same userId still kicks.
        let fx = r.handle(4, session_join("a", 5, "other-device"), 105);
        assert_eq!(
            sent(&fx, 3),
            vec![ServerMsg::Kicked {
                reason: "kick".into()
            }]
        );
    }

    #[test]
    fn silent_or_dropped_clients_time_out_with_reason_1() {
        let mut r = Registry::new(FakeAuth).with_client_timeout(10);
        r.handle(1, session_join("a", 5, "s1"), 100);
        r.handle(2, session_join("b", 5, "s2"), 100);
        r.handle(3, session_join("c", 5, "s3"), 100);
        r.detached(1, 102);
        r.handle(2, ClientMsg::Ping { seq: 1 }, 108);
        let fx = r.tick(110);
        // a (dropped) and c (silent) are out; b pinged at 108 and stays.
        assert_eq!(
            sent(&fx, 2),
            vec![
                ServerMsg::UserExit {
                    user_id: "a".into(),
                    reason: 1
                },
                ServerMsg::UserExit {
                    user_id: "c".into(),
                    reason: 1
                },
            ]
        );
        assert!(fx.contains(&Effect::Close(3)));
        assert_eq!(r.rooms()[0].1, vec!["b".to_string()]);
        assert!(r.tick(117).is_empty());
        assert_eq!(
            r.tick(118),
            vec![
                Effect::Media(MediaCmd::RemovePeer { peer: 2 }),
                Effect::Close(2)
            ],
            "b times out too (no one left to tell)"
        );
        assert!(r.rooms().is_empty());
    }

    fn join_failed_code(fx: &[Effect], client: ClientId) -> Option<i64> {
        match &sent(fx, client)[..] {
            [ServerMsg::JoinFailed { code, message }] => {
                assert!(message.contains("--max-"), "says which cap: {message}");
                Some(*code)
            }
            _ => None,
        }
    }

    #[test]
    fn a_full_room_refuses_a_new_user_and_changes_nothing() {
        let mut r = Registry::new(FakeAuth).with_room_limits(0, 2);
        r.handle(1, session_join("a", 8, "sa"), 0);
        r.handle(2, session_join("b", 8, "sb"), 0);
        let before = r.rooms();
        let fx = r.handle(3, session_join("c", 8, "sc"), 0);
        assert_eq!(join_failed_code(&fx, 3), Some(code::ROOM_FULL));
        assert_eq!(fx.len(), 1, "no one else is told anything: {fx:?}");
        assert_eq!(r.rooms(), before);
        assert!(!r.is_joined(3));
        // Taking over a place needs none: the same userId from another device (kicks the
        // first), the same session after a drop (resumes).
        let fx = r.handle(4, session_join("a", 8, "other-device"), 0);
        assert!(matches!(sent(&fx, 4)[..], [ServerMsg::Joined { .. }]));
        r.detached(2, 1);
        let fx = r.handle(5, session_join("b", 8, "sb"), 2);
        assert!(matches!(sent(&fx, 5)[..], [ServerMsg::Joined { .. }]));
        assert_eq!(r.rooms()[0].1, vec!["a".to_string(), "b".to_string()]);
        // A dropped member keeps its place until it times out or comes back.
        r.detached(5, 3);
        let fx = r.handle(6, session_join("c", 8, "sc"), 3);
        assert_eq!(join_failed_code(&fx, 6), Some(code::ROOM_FULL));
        // Another room is not affected; once someone leaves, there is room again.
        let fx = r.handle(7, session_join("c", 9, "sc"), 3);
        assert!(matches!(sent(&fx, 7)[..], [ServerMsg::Joined { .. }]));
        r.handle(4, ClientMsg::Leave, 4);
        let fx = r.handle(8, session_join("d", 8, "sd"), 4);
        assert!(matches!(sent(&fx, 8)[..], [ServerMsg::Joined { .. }]));
    }

    #[test]
    fn an_app_at_its_room_cap_cannot_open_another() {
        let mut r = Registry::new(FakeAuth)
            .with_room_limits(2, 0)
            .with_live_linger(30);
        r.handle(1, join("a", RoomId::Num(8)), 0);
        r.handle(2, live_join("fan", 9, Role::Audience), 0);
        let before = r.rooms();
        for (client, room) in [(3, RoomId::Num(10)), (4, RoomId::Str("8".into()))] {
            let fx = r.handle(client, join("b", room.clone()), 0);
            assert_eq!(
                join_failed_code(&fx, client),
                Some(code::TOO_MANY_ROOMS),
                "{room:?}"
            );
            assert_eq!(fx.len(), 1);
            assert_eq!(r.rooms(), before);
        }
        // Existing rooms still take users; another app has its own count.
        let fx = r.handle(5, join("b", RoomId::Num(8)), 0);
        assert!(matches!(sent(&fx, 5)[..], [ServerMsg::Joined { .. }]));
        let mut other = join("z", RoomId::Num(10));
        if let ClientMsg::Join(j) = &mut other {
            j.sdk_app_id = 2;
        }
        let fx = r.handle(6, other, 0);
        assert!(matches!(sent(&fx, 6)[..], [ServerMsg::Joined { .. }]));
        // A lingering empty live room is still a room, until it goes.
        r.handle(2, ClientMsg::Leave, 0);
        let fx = r.handle(7, join("c", RoomId::Num(10)), 10);
        assert_eq!(join_failed_code(&fx, 7), Some(code::TOO_MANY_ROOMS));
        r.tick(30);
        let fx = r.handle(7, join("c", RoomId::Num(10)), 30);
        assert!(matches!(sent(&fx, 7)[..], [ServerMsg::Joined { .. }]));
    }

    #[test]
    fn zero_caps_mean_unlimited() {
        let mut r = Registry::new(FakeAuth).with_room_limits(0, 0);
        for c in 0..300u64 {
            let fx = r.handle(
                c,
                join(&format!("u{c}"), RoomId::Num(1 + (c % 150) as u32)),
                0,
            );
            assert!(matches!(sent(&fx, c)[..], [ServerMsg::Joined { .. }]));
        }
        assert_eq!(r.rooms().len(), 150);
    }

    #[test]
    fn without_a_session_a_drop_is_a_leave() {
        let mut r = Registry::new(FakeAuth);
        r.handle(1, join("a", RoomId::Num(5)), 0);
        r.handle(2, join("b", RoomId::Num(5)), 0);
        let fx = r.detached(1, 1);
        assert_eq!(
            sent(&fx, 2),
            vec![ServerMsg::UserExit {
                user_id: "a".into(),
                reason: 0
            }]
        );
    }
}
