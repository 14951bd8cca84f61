//! A virtual world for the room client: SDK clients ([`RoomClient`]) talk to the server's real
//! room [`Registry`] (with real userSig checks) through simulated sockets, on a virtual clock.
//! The media plane is a small stand-in that makes the server's offers (slots for each
//! publisher and subscription), and a peer connection "applies" an offer at once.
//!
//! Faults: a socket drop (the server sees a broken connection), a network that stops carrying
//! anything (both ways, sockets look open), a server restart (every socket closes, the
//! registry starts empty), and a server that is down for a while.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};

use trtc_core::client::{ConnId, Effect, Event, ExitCause, Input, LocalMedia, OpId, RoomClient};
use trtc_core::error::RtcErrorInfo;
use trtc_core::room::{EnterRoomConfig, IceConfig, Role, RoomRef, Scene};
use trtc_proto::{ClientMsg, MediaKind, RoomId, ServerMsg, TrackSlot};
use trtc_server::room::{Apps, ClientId, Effect as ServerEffect, MediaCmd, Registry};

pub const APP: u64 = 1_400_000_001;
pub const KEY: &str = "a test key for the room client";
/// Unix time at the world's start.
pub const EPOCH_UNIX: u64 = 1_790_000_000;
/// The server's client timeout in these tests (seconds).
pub const CLIENT_TIMEOUT_S: u64 = 90;

/// What one SDK instance saw.
pub struct Sim {
    pub user_id: String,
    pub client: RoomClient,
    pub events: Vec<Event>,
    pub settled: Vec<(OpId, Result<(), RtcErrorInfo>)>,
    /// Media effects, in order: ("play"|"stop"|"show"|"hide"|"forget", user).
    pub media: Vec<(&'static str, String)>,
    /// Messages this client sent, in order.
    pub sent: Vec<ClientMsg>,
    /// When it asked for a connection (ms).
    pub connects: Vec<f64>,
    /// The SDP of every offer it applied.
    pub offers: Vec<String>,
    /// Connections whose socket is open: conn → the server's client id.
    sockets: HashMap<ConnId, ClientId>,
    /// Connections asked for while the network was blocked: they never open.
    pub blocked: bool,
    /// Its media cannot get through (UDP blocked): the peer connection never connects.
    pub media_blocked: bool,
    /// The ICE configuration of each connection opened, and each one set later (SetIce).
    pub ice: Vec<(&'static str, IceConfig)>,
    next_op: OpId,
}

impl Sim {
    /// Events after `mark` (an index into `events`).
    pub fn events_since(&self, mark: usize) -> &[Event] {
        &self.events[mark..]
    }

    /// The result of one settled call.
    pub fn result(&self, op: OpId) -> Option<&Result<(), RtcErrorInfo>> {
        self.settled.iter().find(|(o, _)| *o == op).map(|(_, r)| r)
    }
}

/// The stand-in media plane: per peer, the slots of its next offer.
#[derive(Default)]
struct Media {
    peers: HashMap<ClientId, Peer>,
}

impl World {
    /// The layer commands the server gave its media plane, in order: `SetSmall` and
    /// `SetLayer`.
    pub fn layer_commands(&self) -> &[MediaCmd] {
        &self.layer_cmds
    }
}

#[derive(Default)]
struct Peer {
    next_mid: u32,
    /// (mid, source, kind); source `None` is the peer's own upstream.
    slots: Vec<(String, Option<ClientId>, MediaKind)>,
    outstanding: bool,
    dirty: bool,
    pub subscribed: Vec<(ClientId, MediaKind)>,
}

impl Peer {
    fn add(&mut self, source: Option<ClientId>, kind: MediaKind) {
        if !self.slots.iter().any(|s| s.1 == source && s.2 == kind) {
            self.next_mid += 1;
            self.slots.push((self.next_mid.to_string(), source, kind));
            self.dirty = true;
        }
    }
    fn remove(&mut self, source: Option<ClientId>, kind: MediaKind) {
        let before = self.slots.len();
        self.slots.retain(|s| !(s.1 == source && s.2 == kind));
        self.dirty |= before != self.slots.len();
    }
}

pub struct World {
    /// The SDP of the media plane's offers (`" tcp "` in it: TCP candidates offered).
    pub offer_sdp: String,
    /// Milliseconds since the start.
    pub now: f64,
    pub registry: Registry<Apps>,
    media: Media,
    layer_cmds: Vec<MediaCmd>,
    pub sims: Vec<Sim>,
    /// Server client id → (sim, conn).
    routes: HashMap<ClientId, (usize, ConnId)>,
    next_client: ClientId,
    /// The server refuses connections (it is down).
    pub server_down: bool,
    next_tick: f64,
}

fn registry() -> Registry<Apps> {
    Registry::new(Apps::new([(APP, KEY.to_string())])).with_client_timeout(CLIENT_TIMEOUT_S)
}

pub fn config(user: &str, room: u32) -> EnterRoomConfig {
    EnterRoomConfig {
        sdk_app_id: APP as f64,
        user_id: user.into(),
        user_sig: trtc_usersig::sign(APP, KEY, user, 86_400, EPOCH_UNIX),
        room: RoomRef::Num(room),
        scene: Scene::Rtc,
        role: Role::Anchor,
        auto_receive_audio: true,
        auto_receive_video: false,
        enable_autoplay_dialog: true,
        websocket_proxy: None,
        ice: Default::default(),
        private_map_key: None,
        use_vp8: false,
    }
}

pub fn live_config(user: &str, room: u32, role: Role) -> EnterRoomConfig {
    EnterRoomConfig {
        scene: Scene::Live,
        role,
        ..config(user, room)
    }
}

pub const PUBLISHING: LocalMedia = LocalMedia {
    audio: true,
    video: true,
    audio_muted: false,
    video_muted: false,
    screen: false,
    screen_audio: false,
};

/// Camera, microphone and a shared screen with system audio.
pub const SHARING: LocalMedia = LocalMedia {
    screen: true,
    screen_audio: true,
    ..PUBLISHING
};

impl World {
    pub fn new() -> World {
        World {
            offer_sdp: "offer".into(),
            now: 0.0,
            registry: registry(),
            media: Media::default(),
            layer_cmds: Vec::new(),
            sims: Vec::new(),
            routes: HashMap::new(),
            next_client: 1,
            server_down: false,
            next_tick: 1000.0,
        }
    }

    fn now_unix(&self) -> u64 {
        EPOCH_UNIX + (self.now / 1000.0) as u64
    }

    /// A new SDK instance for `user`; its index.
    pub fn add(&mut self, user: &str) -> usize {
        self.sims.push(Sim {
            user_id: user.into(),
            client: RoomClient::new(),
            events: Vec::new(),
            settled: Vec::new(),
            media: Vec::new(),
            sent: Vec::new(),
            connects: Vec::new(),
            offers: Vec::new(),
            sockets: HashMap::new(),
            blocked: false,
            media_blocked: false,
            ice: Vec::new(),
            next_op: 0,
        });
        self.sims.len() - 1
    }

    /// Feeds one input to a client and carries out everything that follows.
    pub fn input(&mut self, sim: usize, input: Input) {
        let now = self.now;
        self.sims[sim].client.handle(input, now);
        self.settle_all();
    }

    /// `sendCustomMessage` (after its parameter checks) from `sim`.
    pub fn send_custom(
        &mut self,
        sim: usize,
        cmd_id: u8,
        data: &[u8],
    ) -> Result<(), trtc_core::client::CustomRefused> {
        let now = self.now;
        let r = self.sims[sim].client.send_custom(cmd_id, data, now);
        self.settle_all();
        r
    }

    /// `enterRoom(config)`; returns the call's id.
    pub fn enter(&mut self, sim: usize, config: EnterRoomConfig) -> OpId {
        let op = self.op(sim);
        self.input(
            sim,
            Input::Enter {
                op,
                config,
                url: "ws://server/trtc/ws".into(),
                session: format!("session-{sim}-{op}"),
                give_up_ms: 60_000.0,
            },
        );
        op
    }

    /// `enterRoom` that must succeed.
    pub fn join(&mut self, sim: usize, room: u32) {
        let user = self.sims[sim].user_id.clone();
        self.join_with(sim, config(&user, room));
    }

    pub fn join_with(&mut self, sim: usize, config: EnterRoomConfig) {
        let user = self.sims[sim].user_id.clone();
        let op = self.enter(sim, config);
        assert_eq!(self.sims[sim].result(op), Some(&Ok(())), "{user} joins");
    }

    pub fn exit(&mut self, sim: usize) -> OpId {
        let op = self.op(sim);
        self.input(
            sim,
            Input::Exit {
                op: Some(op),
                cause: ExitCause::Api,
            },
        );
        op
    }

    /// `switchRole(role, {privateMapKey})`; returns the call's id.
    pub fn switch_role(
        &mut self,
        sim: usize,
        role: trtc_proto::Role,
        private_map_key: Option<String>,
    ) -> OpId {
        let op = self.op(sim);
        self.input(
            sim,
            Input::SwitchRole {
                op,
                role,
                private_map_key,
            },
        );
        op
    }

    pub fn publish(&mut self, sim: usize, local: LocalMedia) {
        self.input(sim, Input::Local(local));
    }

    /// A new call id for `sim`, for inputs the helpers do not make.
    pub fn op_for(&mut self, sim: usize) -> OpId {
        self.op(sim)
    }

    fn op(&mut self, sim: usize) -> OpId {
        self.sims[sim].next_op += 1;
        self.sims[sim].next_op
    }

    /// Carries out every effect until nothing moves.
    fn settle_all(&mut self) {
        loop {
            let mut moved = false;
            for i in 0..self.sims.len() {
                while let Some(e) = self.sims[i].client.poll() {
                    moved = true;
                    self.carry_out(i, e);
                }
            }
            if !moved {
                break;
            }
        }
    }

    fn carry_out(&mut self, sim: usize, e: Effect) {
        let now = self.now;
        match e {
            Effect::Connect { conn, ice, .. } => {
                self.sims[sim].connects.push(now);
                self.sims[sim].ice.push(("connect", ice));
                if self.sims[sim].blocked {
                    return; // never opens; the client times the attempt out
                }
                if self.server_down {
                    self.sims[sim]
                        .client
                        .handle(Input::SocketClosed { conn, error: None }, now);
                    return;
                }
                let id = self.next_client;
                self.next_client += 1;
                self.routes.insert(id, (sim, conn));
                self.sims[sim].sockets.insert(conn, id);
                self.sims[sim].client.handle(Input::SocketOpened(conn), now);
            }
            Effect::Disconnect { conn, reconnecting } => {
                let Some(id) = self.sims[sim].sockets.remove(&conn) else {
                    return;
                };
                self.routes.remove(&id);
                if self.sims[sim].blocked {
                    return; // the close never arrives: the server times the client out
                }
                let unix = self.now_unix();
                let fx = if reconnecting {
                    self.registry.detached(id, unix)
                } else {
                    self.registry.disconnected(id, unix)
                };
                self.server_effects(fx);
            }
            Effect::Send { conn, msg } => {
                self.sims[sim].sent.push(msg.clone());
                let Some(&id) = self.sims[sim].sockets.get(&conn) else {
                    return;
                };
                if self.sims[sim].blocked {
                    return;
                }
                let unix = self.now_unix();
                let fx = self.registry.handle(id, msg, unix);
                self.server_effects(fx);
            }
            Effect::ApplyOffer { conn, sdp, .. } => {
                self.sims[sim].offers.push(sdp);
                self.sims[sim].client.handle(
                    Input::OfferApplied {
                        conn,
                        answer: Ok("answer".into()),
                    },
                    now,
                );
                if !self.sims[sim].media_blocked && !self.sims[sim].blocked {
                    self.sims[sim]
                        .client
                        .handle(Input::MediaConnected(conn), now);
                }
            }
            Effect::PlayAudio { user_id, kind, .. } => {
                let what = if kind.is_sub() { "play-sub" } else { "play" };
                self.sims[sim].media.push((what, user_id))
            }
            Effect::StopAudio { user_id, kind } => {
                let what = if kind.is_sub() { "stop-sub" } else { "stop" };
                self.sims[sim].media.push((what, user_id))
            }
            Effect::ShowVideo { user_id, kind, .. } => {
                let what = if kind.is_sub() { "show-sub" } else { "show" };
                self.sims[sim].media.push((what, user_id))
            }
            Effect::HideVideo { user_id, kind } => {
                let what = if kind.is_sub() { "hide-sub" } else { "hide" };
                self.sims[sim].media.push((what, user_id))
            }
            Effect::ForgetUser { user_id } => self.sims[sim].media.push(("forget", user_id)),
            Effect::RefreshSenders { .. } | Effect::CollectStats { .. } | Effect::Log(..) => {}
            Effect::SetIce { ice, .. } => self.sims[sim].ice.push(("set", ice)),
            Effect::Emit(ev) => self.sims[sim].events.push(ev),
            Effect::Settle { op, result } => self.sims[sim].settled.push((op, result)),
        }
    }

    /// Delivers a server message to the client behind `id` (if its socket is up).
    fn deliver(&mut self, id: ClientId, msg: ServerMsg) {
        let Some(&(sim, conn)) = self.routes.get(&id) else {
            return;
        };
        if self.sims[sim].blocked {
            return;
        }
        let now = self.now;
        self.sims[sim].client.handle(Input::Message(conn, msg), now);
    }

    fn server_effects(&mut self, fx: Vec<ServerEffect>) {
        for e in fx {
            match e {
                ServerEffect::Send(id, msg) => self.deliver(id, msg),
                ServerEffect::Close(id) => {
                    if let Some((sim, conn)) = self.routes.remove(&id) {
                        self.sims[sim].sockets.remove(&conn);
                        let now = self.now;
                        self.sims[sim]
                            .client
                            .handle(Input::SocketClosed { conn, error: None }, now);
                    }
                    let unix = self.now_unix();
                    let more = self.registry.disconnected(id, unix);
                    self.server_effects(more);
                }
                ServerEffect::Media(cmd) => self.media_command(cmd),
            }
        }
    }

    fn media_command(&mut self, cmd: MediaCmd) {
        let touched = match cmd {
            MediaCmd::AddPeer { peer } => {
                self.media.peers.insert(peer, Peer::default());
                peer
            }
            MediaCmd::RemovePeer { peer } => {
                self.media.peers.remove(&peer);
                return;
            }
            cmd @ (MediaCmd::SetSmall { .. } | MediaCmd::SetLayer { .. }) => {
                self.layer_cmds.push(cmd);
                return;
            }
            MediaCmd::SetPublish {
                peer,
                audio,
                video,
                sub_video,
                sub_audio,
            } => {
                let p = self.media.peers.entry(peer).or_default();
                for (kind, on) in MediaKind::ALL
                    .into_iter()
                    .zip([audio, video, sub_video, sub_audio])
                {
                    if on {
                        p.add(None, kind);
                    } else {
                        p.remove(None, kind);
                    }
                }
                peer
            }
            MediaCmd::AddSource {
                subscriber,
                source,
                kind,
            } => {
                self.media
                    .peers
                    .entry(subscriber)
                    .or_default()
                    .add(Some(source), kind);
                subscriber
            }
            MediaCmd::RemoveSource {
                subscriber,
                source,
                kind,
            } => {
                self.media
                    .peers
                    .entry(subscriber)
                    .or_default()
                    .remove(Some(source), kind);
                subscriber
            }
            MediaCmd::Subscribe {
                subscriber,
                source,
                kind,
                on,
            } => {
                let p = self.media.peers.entry(subscriber).or_default();
                p.subscribed.retain(|s| *s != (source, kind));
                if on {
                    p.subscribed.push((source, kind));
                }
                return;
            }
            MediaCmd::Answer { peer, .. } => {
                if let Some(p) = self.media.peers.get_mut(&peer) {
                    p.outstanding = false;
                }
                peer
            }
        };
        self.negotiate(touched);
    }

    /// Sends `peer` an offer of its current slots, unless one is outstanding.
    fn negotiate(&mut self, peer: ClientId) {
        let Some(p) = self.media.peers.get_mut(&peer) else {
            return;
        };
        if p.outstanding || !p.dirty {
            return;
        }
        p.outstanding = true;
        p.dirty = false;
        let slots: Vec<TrackSlot> = p
            .slots
            .iter()
            .filter_map(|(mid, source, kind)| {
                let user_id = match source {
                    None => None,
                    Some(s) => Some(self.registry.user_id_of(*s)?),
                };
                Some(TrackSlot {
                    mid: mid.clone(),
                    user_id,
                    kind: *kind,
                })
            })
            .collect();
        self.deliver(
            peer,
            ServerMsg::Offer {
                sdp: self.offer_sdp.clone(),
                slots,
            },
        );
    }

    /// Whether `subscriber`'s media plane forwards `source_user`'s `kind` to it.
    pub fn forwards(&self, subscriber: usize, source_user: &str, kind: MediaKind) -> bool {
        let Some(&sub_id) = self.sims[subscriber].sockets.values().next() else {
            return false;
        };
        let Some(p) = self.media.peers.get(&sub_id) else {
            return false;
        };
        p.subscribed.iter().any(|(src, k)| {
            *k == kind && self.registry.user_id_of(*src).as_deref() == Some(source_user)
        })
    }

    /// Moves the clock forward by `ms`, firing every client timer and the server's tick on time.
    pub fn advance(&mut self, ms: f64) {
        let end = self.now + ms;
        loop {
            let next_client = self
                .sims
                .iter()
                .filter_map(|s| s.client.next_wake())
                .fold(f64::INFINITY, f64::min);
            let next = next_client.min(self.next_tick);
            if next > end {
                break;
            }
            self.now = self.now.max(next);
            if self.now >= self.next_tick {
                self.next_tick = self.now + 1000.0;
                let unix = self.now_unix();
                let fx = self.registry.tick(unix);
                self.server_effects(fx);
            }
            let now = self.now;
            for i in 0..self.sims.len() {
                if self.sims[i].client.next_wake().is_some_and(|t| t <= now) {
                    self.sims[i].client.handle(Input::Timer, now);
                }
            }
            self.settle_all();
        }
        self.now = end;
    }

    // ---- faults ----

    /// The sim's socket breaks: the server sees a dropped connection, the client a close.
    pub fn drop_socket(&mut self, sim: usize) {
        let conns: Vec<(ConnId, ClientId)> = self.sims[sim].sockets.drain().collect();
        let unix = self.now_unix();
        for (conn, id) in conns {
            self.routes.remove(&id);
            let fx = self.registry.detached(id, unix);
            self.server_effects(fx);
            let now = self.now;
            self.sims[sim]
                .client
                .handle(Input::SocketClosed { conn, error: None }, now);
        }
        self.settle_all();
    }

    /// The sim's network stops carrying anything, both ways (or starts again).
    pub fn block(&mut self, sim: usize, blocked: bool) {
        self.sims[sim].blocked = blocked;
    }

    /// The server restarts: every socket closes, and it comes back with an empty registry
    /// after `down_ms`, during which connections are refused.
    pub fn restart_server(&mut self, down_ms: f64) {
        self.server_down = true;
        self.registry = registry();
        self.media = Media::default();
        let routes: Vec<(ClientId, (usize, ConnId))> = self.routes.drain().collect();
        for (_, (sim, conn)) in routes {
            self.sims[sim].sockets.remove(&conn);
            let now = self.now;
            self.sims[sim]
                .client
                .handle(Input::SocketClosed { conn, error: None }, now);
        }
        self.settle_all();
        self.advance(down_ms);
        self.server_down = false;
    }

    /// Carries out server effects from outside (the admin API).
    pub fn admin(&mut self, fx: Vec<ServerEffect>) {
        self.server_effects(fx);
        self.settle_all();
    }
}

/// The room of `room` in the app (for the admin API).
pub fn room_id(room: u32) -> RoomId {
    RoomId::Num(room)
}

/// Remote user events as short strings, for comparing sequences.
pub fn brief(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            Event::ConnectionState {
                prev,
                state,
                reconnecting,
            } => format!(
                "state {}->{}{}",
                prev.name(),
                state.name(),
                if *reconnecting { " (reconnecting)" } else { "" }
            ),
            Event::UserEnter(u) => format!("enter {u}"),
            Event::UserExit { user_id, reason } => format!("exit {user_id} {reason}"),
            Event::Available {
                user_id,
                kind,
                available,
            } => format!(
                "{} {} {user_id}",
                kind.name(),
                if *available { "on" } else { "off" }
            ),
            Event::PublishState {
                kind,
                state,
                prev,
                reason,
                error,
            } => format!(
                "publish {} {}->{}{}{}",
                kind.name(),
                prev.name(),
                state.name(),
                reason.map(|r| format!(" ({r})")).unwrap_or_default(),
                error
                    .as_ref()
                    .map(|e| format!(" {:?}", e.extra_code))
                    .unwrap_or_default()
            ),
            Event::Kicked(r) => format!("kicked {r}"),
            Event::Error(e) => format!("error {:?}", e.extra_code),
            Event::NetworkQuality(_) => "quality".into(),
            Event::Custom {
                user_id,
                cmd_id,
                seq,
                ..
            } => format!("custom {user_id} {cmd_id} #{seq}"),
            Event::Statistics(_) => "statistics".into(),
        })
        .collect()
}

/// [`brief`] without the periodic quality/statistics events.
pub fn brief_room(events: &[Event]) -> Vec<String> {
    brief(events)
        .into_iter()
        .filter(|s| s != "quality" && s != "statistics")
        .collect()
}

/// Counts by kind, to check nothing repeats.
pub fn tally(events: &[String]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for e in events {
        *m.entry(e.clone()).or_insert(0) += 1;
    }
    m
}
