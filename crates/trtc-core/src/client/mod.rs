//! The room client, sans IO: everything the SDK decides about a room, with no socket, peer
//! connection, timer or clock of its own.
//!
//! The glue (the browser SDK in `src/`, or the native load client `trtc-loadgen`) feeds
//! [`Input`]s to [`RoomClient::handle`] with the time in milliseconds, then takes
//! [`Effect`]s from [`RoomClient::poll`] until it returns `None`, carries each out, and calls
//! `handle(Input::Timer, now)` at [`RoomClient::next_wake`]. Inputs are API calls (enter, exit,
//! switch role, what is captured, which remote videos to render, remote audio mutes), socket
//! and peer-connection happenings, server messages, the answer to an applied offer, statistics
//! and the timer. Effects are: open/close a connection (socket + peer connection), send a
//! message, apply an offer, put local tracks on the upstream slots, play/stop a remote track,
//! collect statistics, emit an event, settle a pending API call.
//!
//! It owns: the join outcome, the pending `enterRoom` call, offer serialisation (one offer is
//! applied at a time, the rest wait in order), heartbeats and the silent-server check, the
//! reconnect backoff, the reconcile window after a reconnect (users and streams that are not
//! confirmed again within it are reported gone; those that are, flicker nothing), publish state
//! (`PUBLISH_STATE_CHANGED`), the subscription choice (autoReceive × mute × render intent),
//! remote user and stream bookkeeping, and the statistics tracker.
//!
//! Invariants:
//! - inputs about a connection that is no longer the room's (an old attempt, a closed socket)
//!   change nothing;
//! - every `enterRoom` gets exactly one [`Effect::Settle`];
//! - leaving the room (exit, kick, give-up) drops the room's effects not yet taken, except
//!   settlements, so an app handler that calls `exitRoom()` sees no event of the room after it;
//! - a remote user is entered before any of its streams is available, and its streams become
//!   unavailable before it exits (see [`crate::room_client`]); no event repeats a state;
//! - time only comes in through `handle`; nothing here reads a clock.

mod custom;
mod lifecycle;
mod media;
mod sei;

pub use custom::{check_message as check_custom_message, CustomRefused};
pub use lifecycle::repeat_enter;
pub use sei::{check_sei, SeiSend};

use std::collections::VecDeque;

use crate::error::RtcErrorInfo;
use crate::quality::{LinkState, Stat, Tracker};
use crate::reconnect::Reconnect;
use crate::room::EnterRoomConfig;
use crate::room_client::{RemoteStreams, RemoteUsers};
use crate::vec_map::VecMap;
use trtc_proto::{ClientMsg, MediaKind, Role, ServerMsg, TrackSlot};

/// Names one connection attempt (a socket and its peer connection).
pub type ConnId = u64;
/// Names one pending API call, settled by [`Effect::Settle`].
pub type OpId = u64;

/// How long `enterRoom` (and each reconnect attempt) waits for the server's answer.
pub const JOIN_TIMEOUT_MS: f64 = 10_000.0;
/// After a reconnection, how long users and streams missing from the room may take to come back
/// before they are reported gone.
pub const RECONCILE_WINDOW_MS: f64 = 15_000.0;
/// extraCode of the `ERROR` event when reconnection gives up.
pub const REJOIN_FAILED: i32 = 5502;
/// extraCode of the `ERROR` event when no media path to the server works (`FIREWALL_RESTRICTION`).
pub const FIREWALL_RESTRICTION: i32 = 5501;
/// How long the media connection of a joined room may take to connect.
pub const MEDIA_CONNECT_TIMEOUT_MS: f64 = 10_000.0;
/// Attempts (joins whose media never connected) before a room whose media never worked gives up
/// with [`FIREWALL_RESTRICTION`]: with [`MEDIA_CONNECT_TIMEOUT_MS`], about 20 s from `enterRoom`.
pub const MEDIA_ATTEMPTS: u32 = 2;
/// Redirects to another node of a cluster followed in a row by one `enterRoom` or one reconnect
/// attempt (`trtc_proto::ServerMsg::Redirect`); one more is not followed.
pub const MAX_REDIRECTS: u8 = 3;

/// What the local user captures, as the room should see it (before the role is applied).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LocalMedia {
    /// The microphone runs and `publish` is on.
    pub audio: bool,
    /// The camera runs and `publish` is on.
    pub video: bool,
    /// `updateLocalAudio({mute: true})`.
    pub audio_muted: bool,
    /// `updateLocalVideo({mute: true})`.
    pub video_muted: bool,
    /// A shared screen runs as the sub stream and `publish` is on.
    pub screen: bool,
    /// The shared screen came with system audio (published with it).
    pub screen_audio: bool,
}

/// Why the room is being left from this side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCause {
    /// `exitRoom()`.
    Api,
    /// The page is closing (`pagehide`).
    PageHide,
    /// `destroy()`: a pending `enterRoom` rejects as destroyed.
    Destroy,
}

/// `muteRemoteAudio` and friends: one user or everyone (`'*'`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One remote user.
    User(String),
    /// Every remote user (`'*'`).
    All,
}

/// Something that happened, for [`RoomClient::handle`].
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// `enterRoom(config)` (already validated). `url` is the signalling WebSocket URL,
    /// `session` a random name for this entry, `give_up_ms` how long to try reconnecting.
    Enter {
        /// Settled when the join succeeds or fails.
        op: OpId,
        /// The parsed parameters.
        config: EnterRoomConfig,
        /// The signalling URL.
        url: String,
        /// Names this entry so that a re-join after a drop resumes it.
        session: String,
        /// `TRTC.create({reconnectTimeout})`.
        give_up_ms: f64,
    },
    /// Leave the room (no-op when not in one). `op`, when given, is settled once left.
    Exit {
        /// The `exitRoom()` call to settle.
        op: Option<OpId>,
        /// Why.
        cause: ExitCause,
    },
    /// `switchRole(role, {privateMapKey})`: settled when the server answers (refused: the
    /// role and the key stay as they were).
    SwitchRole {
        /// The call to settle.
        op: OpId,
        /// The role asked for.
        role: Role,
        /// `option.privateMapKey`: the rights of the new role; kept (for later joins) once the
        /// server accepted it.
        private_map_key: Option<String>,
    },
    /// Local capture or its publish/mute flags changed (or a track was replaced).
    Local(LocalMedia),
    /// `startLocalVideo` / `updateLocalVideo` `option.small`: the camera is published with a
    /// small stream too (`true`) or not.
    LocalSmall(bool),
    /// `startRemoteVideo` / `updateRemoteVideo` `option.small`: receive the user's small
    /// stream (`true`) or its big one (the camera's). Sent before `RemoteVideo` so the
    /// subscription starts on the wanted stream.
    RemoteSmall {
        /// Whose video.
        user_id: String,
        /// The small stream.
        small: bool,
    },
    /// `startRemoteVideo` (`true`) or `stopRemoteVideo` (`false`) for a user's stream.
    RemoteVideo {
        /// The remote user.
        user_id: String,
        /// [`MediaKind::Video`] (streamType `main`) or [`MediaKind::SubVideo`] (`sub`).
        kind: MediaKind,
        /// Render (and receive) it, or stop.
        on: bool,
    },
    /// `startRemoteVideo` after its [`Input::RemoteVideo`]: settle `op` once the server has
    /// taken the subscription (its answer to a ping sent now comes after any refusal), or
    /// refuse it with the server's [`ServerMsg::SubscribeRefused`].
    AwaitSubscription {
        /// The call to settle.
        op: OpId,
        /// Whose stream.
        user_id: String,
        /// [`MediaKind::Video`] or [`MediaKind::SubVideo`].
        kind: MediaKind,
    },
    /// `muteRemoteAudio(target, mute)`.
    MuteRemoteAudio {
        /// Who.
        target: Target,
        /// Mute or unmute.
        mute: bool,
    },
    /// The socket of `conn` opened.
    SocketOpened(ConnId),
    /// The socket of `conn` closed (or could not be made; `error` then says why).
    SocketClosed {
        /// Which connection.
        conn: ConnId,
        /// Set when the socket could not be created at all (a bad URL).
        error: Option<String>,
    },
    /// A message from the server on `conn`.
    Message(ConnId, ServerMsg),
    /// The peer connection of `conn` failed (ICE or DTLS).
    MediaFailed(ConnId),
    /// The peer connection of `conn` connected (ICE and DTLS are up).
    MediaConnected(ConnId),
    /// An [`Effect::ApplyOffer`] finished: the local answer, or why it failed.
    OfferApplied {
        /// Which connection.
        conn: ConnId,
        /// The answer's SDP, or the error.
        answer: Result<String, String>,
    },
    /// An [`Effect::CollectStats`] finished.
    Stats {
        /// Which connection.
        conn: ConnId,
        /// The report's entries.
        stats: Vec<Stat>,
        /// The peer connection's state.
        link: LinkState,
        /// `(mid, track id)` of the receiving transceivers.
        track_ids: Vec<(String, String)>,
    },
    /// The time asked for by [`RoomClient::next_wake`] (or any time: nothing is due early).
    Timer,
}

/// `CONNECTION_STATE_CHANGED` states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnState {
    /// Not in a room.
    Disconnected,
    /// Entering, or reconnecting.
    Connecting,
    /// In the room.
    Connected,
}

impl ConnState {
    /// The name trtc-sdk-v5 uses.
    pub fn name(self) -> &'static str {
        match self {
            ConnState::Disconnected => "DISCONNECTED",
            ConnState::Connecting => "CONNECTING",
            ConnState::Connected => "CONNECTED",
        }
    }
}

/// `PUBLISH_STATE_CHANGED` states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishState {
    /// Not published.
    Stopped,
    /// Asked for; the server has not negotiated it yet.
    Starting,
    /// Negotiated: the server receives it.
    Started,
}

impl PublishState {
    /// The name trtc-sdk-v5 uses.
    pub fn name(self) -> &'static str {
        match self {
            PublishState::Stopped => "stopped",
            PublishState::Starting => "starting",
            PublishState::Started => "started",
        }
    }
}

/// An event for the app, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// `CONNECTION_STATE_CHANGED`.
    ConnectionState {
        /// Before.
        prev: ConnState,
        /// Now.
        state: ConnState,
        /// Set while reconnecting (`isReconnecting: true`).
        reconnecting: bool,
    },
    /// `REMOTE_USER_ENTER`.
    UserEnter(String),
    /// `REMOTE_USER_EXIT` (`reason` 0 normal, 1 timeout, 2 kicked, 3 role change).
    UserExit {
        /// Who.
        user_id: String,
        /// Why.
        reason: u8,
    },
    /// `REMOTE_{AUDIO,VIDEO}_{AVAILABLE,UNAVAILABLE}` (video: streamType `main`; sub-video:
    /// streamType `sub`). The system audio of a shared screen has no event of its own.
    Available {
        /// Whose.
        user_id: String,
        /// Which.
        kind: MediaKind,
        /// Available or not.
        available: bool,
    },
    /// `PUBLISH_STATE_CHANGED`.
    PublishState {
        /// Which local stream.
        kind: MediaKind,
        /// Now.
        state: PublishState,
        /// Before.
        prev: PublishState,
        /// `api-call` when the app stopped it, `error` when the server refused it.
        reason: Option<&'static str>,
        /// With `error`: why.
        error: Option<RtcErrorInfo>,
    },
    /// `KICKED_OUT` with `kick`, `banned` or `room_disband`.
    Kicked(String),
    /// `ERROR` (reconnection gave up: 5502).
    Error(RtcErrorInfo),
    /// `NETWORK_QUALITY`.
    NetworkQuality(crate::quality::NetworkQuality),
    /// `STATISTICS`.
    Statistics(Box<crate::quality::Statistics>),
    /// `CUSTOM_MESSAGE`.
    Custom {
        /// The sender.
        user_id: String,
        /// 1..=10.
        cmd_id: u8,
        /// The sender's count of custom messages in the room.
        seq: u64,
        /// The payload.
        data: Vec<u8>,
    },
}

/// How loud a log line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// Worth knowing.
    Info,
    /// Something went wrong and was handled.
    Warn,
}

/// Something for the glue to do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Open the signalling socket to `url` and create the peer connection for `conn`. Report
    /// [`Input::SocketOpened`] / [`Input::SocketClosed`] / [`Input::Message`] /
    /// [`Input::MediaFailed`] for it.
    Connect {
        /// The new connection's name.
        conn: ConnId,
        /// The signalling URL.
        url: String,
        /// The peer connection's ICE servers and transport policy.
        ice: crate::room::IceConfig,
    },
    /// Replace `conn`'s ICE servers (the server issued TURN relays; the app configured none).
    /// Comes before the first offer, so the media connection gathers through them.
    SetIce {
        /// Which connection.
        conn: ConnId,
        /// The ICE servers and transport policy to use.
        ice: crate::room::IceConfig,
    },
    /// Close `conn`'s socket and peer connection and drop what it received (remote tracks,
    /// audio elements, video views). `reconnecting`: close the socket with
    /// [`trtc_proto::CLOSE_RECONNECTING`] so that the server keeps the session.
    Disconnect {
        /// Which connection.
        conn: ConnId,
        /// A close in order to reconnect.
        reconnecting: bool,
    },
    /// Send a message on `conn` (dropped if its socket is not open).
    Send {
        /// Which connection.
        conn: ConnId,
        /// The message.
        msg: ClientMsg,
    },
    /// Apply the server's offer to `conn`'s peer connection: upstream slots send the local
    /// tracks, the others receive; then report [`Input::OfferApplied`] with the answer.
    ApplyOffer {
        /// Which connection.
        conn: ConnId,
        /// The offer's SDP.
        sdp: String,
        /// What each mid carries.
        slots: Vec<TrackSlot>,
    },
    /// Put the current local tracks on `conn`'s upstream slots.
    RefreshSenders {
        /// Which connection.
        conn: ConnId,
    },
    /// Play `user_id`'s received audio track of `kind` (microphone or system audio).
    PlayAudio {
        /// Which connection received it.
        conn: ConnId,
        /// Whose.
        user_id: String,
        /// [`MediaKind::Audio`] or [`MediaKind::SubAudio`].
        kind: MediaKind,
    },
    /// Stop playing `user_id`'s audio of `kind` (its track went away).
    StopAudio {
        /// Whose.
        user_id: String,
        /// [`MediaKind::Audio`] or [`MediaKind::SubAudio`].
        kind: MediaKind,
    },
    /// Render `user_id`'s received video of `kind` into the views the app gave.
    ShowVideo {
        /// Which connection received it.
        conn: ConnId,
        /// Whose.
        user_id: String,
        /// [`MediaKind::Video`] (main) or [`MediaKind::SubVideo`] (sub).
        kind: MediaKind,
    },
    /// Remove `user_id`'s video views of `kind` (the views the app gave are kept for a new
    /// track).
    HideVideo {
        /// Whose.
        user_id: String,
        /// [`MediaKind::Video`] (main) or [`MediaKind::SubVideo`] (sub).
        kind: MediaKind,
    },
    /// `user_id` left: drop everything of theirs, the app's views included.
    ForgetUser {
        /// Who.
        user_id: String,
    },
    /// Run `getStats()` on `conn`'s peer connection and report [`Input::Stats`] (skip it if
    /// one is still running).
    CollectStats {
        /// Which connection.
        conn: ConnId,
    },
    /// Emit an event to the app.
    Emit(Event),
    /// Settle a pending API call.
    Settle {
        /// Which call.
        op: OpId,
        /// Resolve, or reject with this error.
        result: Result<(), RtcErrorInfo>,
    },
    /// A line for the log.
    Log(LogLevel, String),
}

impl Effect {
    /// Whether the effect survives leaving the room (settlements and closing connections).
    fn survives_leave(&self) -> bool {
        matches!(self, Effect::Settle { .. } | Effect::Disconnect { .. })
    }
}

/// One connection (socket + peer connection) and what was negotiated on it.
#[derive(Debug)]
struct Link {
    conn: ConnId,
    /// The socket opened and `join` was sent.
    opened: bool,
    /// When the server last sent anything.
    last_heard: f64,
    next_ping: f64,
    ping_seq: u64,
    next_stats: f64,
    stats_taken: u32,
    /// What the server was last told (per kind of [`MediaKind::ALL`]).
    sent_publish: [bool; 4],
    /// Whether the server was told the video carries a small stream.
    sent_small: bool,
    sent_mute: (bool, bool),
    /// Offers waiting to be applied, in order; `applying` holds the slots of the one being
    /// applied now.
    offers: VecDeque<(String, Vec<TrackSlot>)>,
    applying: Option<Vec<TrackSlot>>,
    /// Upstream kinds negotiated by the last applied offer.
    upstream: Vec<MediaKind>,
    /// The mids of the sub stream's upstream slots (the shared screen and its audio): their
    /// statistics are the screen's, not the camera's or the microphone's.
    sub_mids: Vec<String>,
    /// The peer connection connected.
    media_connected: bool,
    /// When the media connection must have connected (once joined).
    media_deadline: f64,
    /// Received tracks: (user, kind) → mid.
    tracks: VecMap<(String, MediaKind), String>,
    playing_audio: Vec<(String, MediaKind)>,
    shown_video: Vec<(String, MediaKind)>,
    /// NETWORK_QUALITY / STATISTICS: the previous snapshot of this connection.
    tracker: Tracker,
}

impl Link {
    // Made in three places (enter, a reconnect attempt, a redirect): one copy in the wasm.
    #[inline(never)]
    fn new(conn: ConnId, now: f64) -> Link {
        Link {
            conn,
            opened: false,
            last_heard: now,
            next_ping: f64::INFINITY,
            ping_seq: 0,
            next_stats: f64::INFINITY,
            stats_taken: 0,
            sent_publish: [false; 4],
            sent_small: false,
            sent_mute: (false, false),
            offers: VecDeque::new(),
            applying: None,
            upstream: Vec::new(),
            sub_mids: Vec::new(),
            media_connected: false,
            media_deadline: f64::INFINITY,
            tracks: VecMap::new(),
            playing_audio: Vec::new(),
            shown_video: Vec::new(),
            tracker: Tracker::default(),
        }
    }
}

/// Where the room is.
#[derive(Debug)]
enum Phase {
    /// `enterRoom` waits for the server's answer until `deadline`.
    Entering { op: OpId, link: Link, deadline: f64 },
    /// In the room.
    Joined { link: Link },
    /// The connection was lost: an attempt is in flight (until its deadline) or the next one
    /// starts at `next_attempt`.
    Reconnecting {
        policy: Reconnect,
        attempt: Option<(Link, f64)>,
        next_attempt: f64,
        next_down_report: f64,
    },
}

/// What a reconnection has not seen again yet.
#[derive(Debug, Default)]
struct Reconcile {
    deadline: f64,
    users: Vec<String>,
    streams: Vec<(String, MediaKind)>,
}

/// A `switchRole` call waiting for the server's answer.
#[derive(Debug)]
struct RoleSwitch {
    op: OpId,
    role: Role,
    private_map_key: Option<String>,
    /// The connection it was sent on (sent again on a new one after a reconnection).
    sent_on: Option<ConnId>,
}

/// One entered (or entering) room.
#[derive(Debug)]
struct Room {
    config: EnterRoomConfig,
    /// The signalling URL joined at now: `entry_url`, or where a cluster redirected to.
    url: String,
    /// The signalling URL `enterRoom` was given (reconnections start there again).
    entry_url: String,
    /// Redirects followed since the last join or the start of this attempt.
    redirects: u8,
    session: String,
    give_up_ms: f64,
    /// The role the server holds us in (a switch changes it once the server answers).
    role: Role,
    /// `switchRole` calls the server has not answered, in the order sent.
    role_switches: VecDeque<RoleSwitch>,
    /// Streams the server refused to forward (the privateMapKey lacks the right): not asked
    /// again until a new key is accepted (`switchRole` with a privateMapKey).
    refused: VecMap<(String, MediaKind), RtcErrorInfo>,
    /// `startRemoteVideo` calls waiting for the server: (op, user, kind, the connection and
    /// the seq of the ping sent after the subscription).
    sub_waits: Vec<(OpId, String, MediaKind, ConnId, u64)>,
    phase: Phase,
    users: RemoteUsers,
    /// `startRemoteVideo` (true) / `stopRemoteVideo` (false) per user and stream (main or
    /// sub); absent: autoReceiveVideo.
    render: VecMap<(String, MediaKind), bool>,
    /// `option.small` of `startRemoteVideo` / `updateRemoteVideo` per user (the camera's
    /// stream); absent: big.
    small: VecMap<String, bool>,
    /// Local kinds whose publishing has started (PUBLISH_STATE_CHANGED `started`).
    published: Vec<MediaKind>,
    /// Local kinds asked for and not started yet (PUBLISH_STATE_CHANGED `starting`).
    starting: Vec<MediaKind>,
    reconcile: Option<Reconcile>,
    /// The media connection has connected at least once in this room.
    media_ever: bool,
    /// Joins in a row whose media never connected.
    media_failures: u32,
    /// Since when the media has been down (the first failure since it last connected).
    media_down_since: Option<f64>,
    /// The server offered ICE candidates over TCP (RFC 6544), so TCP was tried too.
    offered_tcp: bool,
    /// The server issued TURN relays (the app configured none) and they were used.
    server_turn: bool,
}

/// The room client of one SDK instance. See the module docs.
#[derive(Debug, Default)]
pub struct RoomClient {
    next_conn: ConnId,
    out: VecDeque<Effect>,
    local: LocalMedia,
    /// `startLocalVideo`'s `option.small`: the camera is published with a small stream too.
    local_small: bool,
    /// `muteRemoteAudio` intents: for `'*'`, and per user.
    mute_all: Option<bool>,
    mute: VecMap<String, bool>,
    room: Option<Room>,
    custom_rate: custom::Rate,
    sei_rate: custom::Rate,
}

impl RoomClient {
    /// A client in no room.
    pub fn new() -> RoomClient {
        RoomClient::default()
    }

    /// The next effect to carry out, in order.
    pub fn poll(&mut self) -> Option<Effect> {
        self.out.pop_front()
    }

    /// When the client next needs `handle(Input::Timer, …)`; `None` when nothing is timed.
    pub fn next_wake(&self) -> Option<f64> {
        let room = self.room.as_ref()?;
        let mut t = room
            .reconcile
            .as_ref()
            .map_or(f64::INFINITY, |r| r.deadline);
        match &room.phase {
            Phase::Entering { deadline, .. } => t = t.min(*deadline),
            Phase::Joined { link } => {
                t = t
                    .min(link.next_ping)
                    .min(link.next_stats)
                    .min(link.media_deadline)
            }
            Phase::Reconnecting {
                attempt,
                next_attempt,
                next_down_report,
                ..
            } => {
                t = t.min(*next_down_report);
                t = match attempt {
                    Some((_, deadline)) => t.min(*deadline),
                    None => t.min(*next_attempt),
                };
            }
        }
        t.is_finite().then_some(t)
    }

    /// Takes an input at `now` (milliseconds on any monotonic clock).
    pub fn handle(&mut self, input: Input, now: f64) {
        match input {
            Input::Enter {
                op,
                config,
                url,
                session,
                give_up_ms,
            } => self.enter(op, config, url, session, give_up_ms, now),
            Input::Exit { op, cause } => self.exit(op, cause),
            Input::AwaitSubscription { op, user_id, kind } => {
                self.await_subscription(op, user_id, kind)
            }
            Input::SwitchRole {
                op,
                role,
                private_map_key,
            } => self.switch_role(op, role, private_map_key),
            Input::Local(local) => {
                self.local = local;
                self.sync_publish();
            }
            Input::LocalSmall(small) => {
                self.local_small = small;
                self.sync_publish();
            }
            Input::RemoteSmall { user_id, small } => self.remote_small(user_id, small),
            Input::RemoteVideo { user_id, kind, on } => self.remote_video(user_id, kind, on),
            Input::MuteRemoteAudio { target, mute } => self.mute_remote_audio(target, mute),
            Input::SocketOpened(conn) => self.socket_opened(conn),
            Input::SocketClosed { conn, error } => self.socket_closed(conn, error, now),
            Input::Message(conn, msg) => self.message(conn, msg, now),
            Input::MediaFailed(conn) => {
                if self.joined_conn() == Some(conn) {
                    self.log_warn("the media connection failed");
                    self.media_lost(now);
                }
            }
            Input::MediaConnected(conn) => self.media_connected(conn),
            Input::OfferApplied { conn, answer } => self.offer_applied(conn, answer, now),
            Input::Stats {
                conn,
                stats,
                link,
                track_ids,
            } => self.stats(conn, &stats, link, &track_ids),
            Input::Timer => self.timer(now),
        }
    }

    // ---- queries for the glue ----

    /// Whether a room is entered or being entered (`enterRoom` again is a repeat call).
    pub fn in_room(&self) -> bool {
        self.room.is_some()
    }

    /// Whether the room is joined (not entering, not reconnecting).
    pub fn is_joined(&self) -> bool {
        self.joined_conn().is_some()
    }

    /// The room's configuration, while in one.
    pub fn config(&self) -> Option<&EnterRoomConfig> {
        self.room.as_ref().map(|r| &r.config)
    }

    /// The role in the room, while in one.
    pub fn role(&self) -> Option<Role> {
        self.room.as_ref().map(|r| r.role)
    }

    /// What a remote user publishes, if it is in the room.
    pub fn remote(&self, user_id: &str) -> Option<RemoteStreams> {
        self.room.as_ref().and_then(|r| r.users.get(user_id))
    }

    /// Remote users in the room, in the order they entered.
    pub fn remote_users(&self) -> Vec<String> {
        self.room
            .as_ref()
            .map(|r| r.users.ids())
            .unwrap_or_default()
    }

    /// Whether the app muted `user_id`'s audio (`muteRemoteAudio`).
    pub fn audio_muted(&self, user_id: &str) -> bool {
        self.mute
            .get(user_id)
            .copied()
            .or(self.mute_all)
            .unwrap_or(false)
    }

    /// The connection whose media is current (joined), if any.
    pub fn joined_conn(&self) -> Option<ConnId> {
        match self.room.as_ref().map(|r| &r.phase) {
            Some(Phase::Joined { link }) => Some(link.conn),
            _ => None,
        }
    }

    // ---- helpers shared by the submodules ----

    fn push(&mut self, e: Effect) {
        self.out.push_back(e);
    }

    fn emit(&mut self, e: Event) {
        self.push(Effect::Emit(e));
    }

    fn log_info(&mut self, s: impl Into<String>) {
        self.push(Effect::Log(LogLevel::Info, s.into()));
    }

    fn log_warn(&mut self, s: impl Into<String>) {
        self.push(Effect::Log(LogLevel::Warn, s.into()));
    }

    fn new_conn(&mut self) -> ConnId {
        self.next_conn += 1;
        self.next_conn
    }

    /// The joined link, mutably.
    fn link_mut(phase: &mut Phase) -> Option<&mut Link> {
        match phase {
            Phase::Joined { link } => Some(link),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
