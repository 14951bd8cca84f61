//! The room client: `enterRoom`/`exitRoom` over the signalling WebSocket, the one peer connection
//! to the server's SFU, remote users' streams, remote video views and remote audio playback.
//!
//! Decisions about remote users come from `trtc_core::room_client`; this module carries them out.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use trtc_core::config::FillMode;
use trtc_core::error::{extra, ErrorCode, RtcErrorInfo};
use trtc_core::room::EnterRoomConfig;
use trtc_core::room_client::{RemoteUsers, RoomEvent};
use trtc_core::tables::event;
use trtc_core::vec_map::VecMap;
use trtc_proto::{ClientMsg, MediaKind, ServerMsg, TrackSlot};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    HtmlAudioElement, HtmlElement, MediaStream, MediaStreamTrack, RtcPeerConnection,
    RtcRtpTransceiver, RtcRtpTransceiverDirection, WebSocket,
};

use crate::error::{Failure, Result};
use crate::listener::Listener;
use crate::trtc::Inner;
use crate::value::{get, object};
use crate::view::{VideoView, ViewEvents};

/// How long `enterRoom` waits for the server.
pub const JOIN_TIMEOUT_MS: u32 = 10_000;
/// After a reconnection, how long users missing from the room may take to come back before
/// they are reported gone.
pub const RECONNECT_GRACE_MS: u32 = 15_000;
/// extraCode of the ERROR event when reconnection gives up.
const REJOIN_FAILED: i32 = 5502;

fn kind_name(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Audio => "audio",
        MediaKind::Video => "video",
    }
}

/// A remote video the app asked to render.
pub struct RemoteVideo {
    pub containers: Vec<HtmlElement>,
    pub fill: FillMode,
    pub mirror: bool,
    pub views: Vec<VideoView>,
}

/// A remote user's audio playback.
pub struct RemoteAudio {
    pub element: HtmlAudioElement,
    track: MediaStreamTrack,
    /// For AUDIO_VOLUME (the element keeps Chrome pulling the remote audio).
    pub meter: Option<crate::audio::LevelMeter>,
    /// Plays the track when its volume is above 100 (the element then stays muted).
    amplifier: RefCell<Option<crate::audio::Amplifier>>,
    muted: Cell<bool>,
    _listeners: Vec<Listener>,
}

impl RemoteAudio {
    /// `muteRemoteAudio` as the app set it.
    pub fn muted(&self) -> bool {
        self.muted.get()
    }

    /// Applies `setRemoteAudioVolume` (0..; above 100 amplifies) and `muteRemoteAudio`. Up to
    /// 100 the element plays at volume/100; above, the element is muted and Web Audio plays the
    /// track with a gain of volume/100.
    pub fn apply(&self, volume: f64, muted: bool) {
        self.muted.set(muted);
        let volume = if volume.is_finite() {
            volume.max(0.0)
        } else {
            100.0
        };
        if volume <= 100.0 {
            self.amplifier.borrow_mut().take();
            self.element.set_volume(volume / 100.0);
            self.element.set_muted(muted);
            return;
        }
        let gain = if muted { 0.0 } else { volume / 100.0 };
        let mut amp = self.amplifier.borrow_mut();
        match amp.as_ref() {
            Some(a) => a.set_gain(gain),
            None => match crate::audio::Amplifier::new(&self.track, gain) {
                Ok(a) => *amp = Some(a),
                Err(e) => {
                    crate::log::warn(&format!(
                        "setRemoteAudioVolume: cannot amplify, playing at 100: {e:?}"
                    ));
                    self.element.set_volume(1.0);
                    self.element.set_muted(muted);
                    return;
                }
            },
        }
        self.element.set_volume(1.0);
        self.element.set_muted(true);
    }
}

impl Drop for RemoteAudio {
    fn drop(&mut self) {
        let _ = self.element.pause();
        self.element.set_src_object(None);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnState {
    Connecting,
    Joined,
    /// The connection was lost; a successor is being set up.
    Reconnecting,
    Closed,
}

/// One entered (or entering) room.
pub struct RoomConn {
    pub config: EnterRoomConfig,
    pub state: Cell<ConnState>,
    /// Live scene: an audience has no uplink. Always anchor in the rtc scene.
    pub role: Cell<trtc_proto::Role>,
    /// Sends a ping every `HEARTBEAT_INTERVAL_MS` while joined (the server drops silent clients),
    /// and gives up on a server that has been silent too long.
    heartbeat: RefCell<Option<gloo_timers::callback::Interval>>,
    /// `performance.now()` when the server last sent anything.
    last_heard: Cell<f64>,
    /// Names this enterRoom for the server, so a re-join after a dropped connection resumes it.
    session: String,
    /// After a reconnection: users not seen again yet, and the timer that reports them gone.
    unconfirmed: RefCell<Vec<String>>,
    reconcile: RefCell<Option<gloo_timers::callback::Timeout>>,
    ws: WebSocket,
    pub pc: RtcPeerConnection,
    listeners: RefCell<Vec<Listener>>,
    pub remote: RefCell<RemoteUsers>,
    slots: RefCell<VecMap<String, TrackSlot>>,
    /// Remote tracks by (userId, kind), with the transceiver that receives them.
    pub tracks: RefCell<VecMap<(String, MediaKind), (MediaStreamTrack, RtcRtpTransceiver)>>,
    pub videos: RefCell<VecMap<String, RemoteVideo>>,
    pub audios: RefCell<VecMap<String, RemoteAudio>>,
    offers: RefCell<VecDeque<(String, Vec<TrackSlot>)>>,
    offer_busy: Cell<bool>,
    /// Settles `enterRoom`'s wait: called with the server's first answer.
    join_ticket: RefCell<Option<js_sys::Function>>,
    /// Kinds the server has negotiated an upstream slot for (PUBLISH_STATE_CHANGED started).
    published_started: RefCell<Vec<MediaKind>>,
    last_publish: Cell<(bool, bool)>,
    last_mute: Cell<(bool, bool)>,
    /// Room messages that arrived before `enterRoom` finished: applied once it has, so the
    /// app's handlers (e.g. `startRemoteVideo` on REMOTE_VIDEO_AVAILABLE) see a joined room.
    pending: RefCell<Vec<ServerMsg>>,
    /// NETWORK_QUALITY / STATISTICS collection, from the join until the room closes.
    pub stats: RefCell<Option<crate::stats::StatsLoop>>,
}

impl RoomConn {
    pub fn send(&self, msg: &ClientMsg) {
        if self.ws.ready_state() == WebSocket::OPEN {
            match encode(msg) {
                Some(text) => {
                    let _ = self.ws.send_with_str(&text);
                }
                None => crate::log::error("a message could not be encoded"),
            }
        }
    }

    pub fn is_joined(&self) -> bool {
        self.state.get() == ConnState::Joined
    }

    /// Releases the socket, the peer connection, timers and remote elements, keeping what the
    /// room client knows (remote users, videos the app asked for) for a successor.
    fn teardown(&self) {
        self.listeners.borrow_mut().clear();
        let stats = self.stats.borrow_mut().take();
        drop(stats);
        let beat = self.heartbeat.borrow_mut().take();
        drop(beat);
        // Not a leave: the server keeps the session for the coming re-join.
        let _ = self
            .ws
            .close_with_code_and_reason(trtc_proto::CLOSE_RECONNECTING, "reconnecting");
        self.pc.close();
        let views: Vec<VideoView> = self
            .videos
            .borrow_mut()
            .values_mut()
            .flat_map(|v| std::mem::take(&mut v.views))
            .collect();
        drop(views);
        let audios: Vec<_> = self.audios.borrow_mut().drain().collect();
        drop(audios);
        self.tracks.borrow_mut().clear();
        self.slots.borrow_mut().clear();
    }

    /// Closes the socket and the peer connection and drops every remote element.
    pub fn close(&self) {
        if self.state.replace(ConnState::Closed) == ConnState::Closed {
            return;
        }
        self.listeners.borrow_mut().clear();
        let stats = self.stats.borrow_mut().take();
        drop(stats);
        let beat = self.heartbeat.borrow_mut().take();
        drop(beat);
        let reconcile = self.reconcile.borrow_mut().take();
        drop(reconcile);
        let _ = self.ws.close();
        self.pc.close();
        let videos: Vec<_> = self.videos.borrow_mut().drain().collect();
        drop(videos);
        let audios: Vec<_> = self.audios.borrow_mut().drain().collect();
        drop(audios);
        self.tracks.borrow_mut().clear();
        self.remote.borrow_mut().clear();
        if let Some(t) = self.join_ticket.borrow_mut().take() {
            let _ = t.call1(&JsValue::UNDEFINED, &JsValue::from_str("closed"));
        }
    }

    fn track_of(&self, user_id: &str, kind: MediaKind) -> Option<MediaStreamTrack> {
        self.tracks
            .borrow()
            .get(&(user_id.to_string(), kind))
            .map(|(t, _)| Clone::clone(t))
    }
}

/// A client message as JSON text (the light writer; no JSON library in the wasm).
fn encode(msg: &ClientMsg) -> Option<String> {
    Some(msg.to_json())
}

/// A parsed JSON value from the browser's `JSON.parse`, read by the shared decoder.
struct JsTree(JsValue);

impl trtc_proto::JsonTree for JsTree {
    fn member(&self, key: &str) -> Option<Self> {
        if !self.0.is_object() {
            return None;
        }
        let v = get(&self.0, key);
        (!v.is_undefined()).then_some(JsTree(v))
    }
    fn string(&self) -> Option<String> {
        self.0.as_string()
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
        if !js_sys::Array::is_array(&self.0) {
            return None;
        }
        let arr: &js_sys::Array = self.0.unchecked_ref();
        Some(arr.iter().map(JsTree).collect())
    }
}

/// A server message from JSON text; refuses oversized or malformed frames.
fn decode(text: &str) -> std::result::Result<ServerMsg, String> {
    ServerMsg::check_size(text.len()).map_err(|e| e.to_string())?;
    let value = js_sys::JSON::parse(text).map_err(|_| "not JSON".to_string())?;
    ServerMsg::from_tree(&JsTree(value)).map_err(|e| e.to_string())
}

/// A random id for one enterRoom (not a secret: the userSig authenticates).
fn new_session_id() -> String {
    (0..4)
        .map(|_| format!("{:08x}", (js_sys::Math::random() * 4_294_967_296.0) as u32))
        .collect()
}

fn now_ms() -> f64 {
    window().performance().map(|p| p.now()).unwrap_or(0.0)
}

/// Pings the server every `HEARTBEAT_INTERVAL_MS` while the connection lives; a server silent
/// for longer than `SERVER_SILENCE_LIMIT_MS` (it answers every ping) means the connection is
/// lost even if the socket looks open.
fn start_heartbeat(inner: &Rc<Inner>, conn: &Rc<RoomConn>) {
    let weak = Rc::downgrade(conn);
    let weak_inner = Rc::downgrade(inner);
    let mut seq = 0u64;
    conn.last_heard.set(now_ms());
    let beat = gloo_timers::callback::Interval::new(
        trtc_core::reconnect::HEARTBEAT_INTERVAL_MS,
        move || {
            let (Some(conn), Some(inner)) = (weak.upgrade(), weak_inner.upgrade()) else {
                return;
            };
            if trtc_core::reconnect::server_silent(now_ms(), conn.last_heard.get()) {
                crate::log::warn("no word from the server for too long; reconnecting");
                on_connection_lost(&inner, &conn);
                return;
            }
            seq += 1;
            conn.send(&ClientMsg::Ping { seq });
        },
    );
    *conn.heartbeat.borrow_mut() = Some(beat);
}

fn window() -> web_sys::Window {
    crate::devices::window()
}

/// Opens the connection and joins; resolves once the server accepted the join.
/// A new connection for `config`: the socket starts opening, the peer connection exists.
fn open_conn(
    config: &EnterRoomConfig,
    session: String,
    role: trtc_proto::Role,
) -> std::result::Result<(Rc<RoomConn>, String), Failure> {
    const F: &str = "enterRoom";
    let origin = window().location().origin().unwrap_or_default();
    let url = trtc_core::room::websocket_url(
        config.websocket_proxy.as_deref(),
        &origin,
        trtc_proto::WS_PATH,
    );
    let ws = WebSocket::new(&url).map_err(|e| {
        Failure::with_origin(
            RtcErrorInfo::invalid_parameter(
                extra::TYPE,
                F,
                &format!("the signalling URL '{url}' is not a valid WebSocket URL; check 'proxy'"),
            ),
            e,
        )
    })?;
    let pc = RtcPeerConnection::new_with_configuration(
        object(&[
            ("bundlePolicy", "max-bundle".into()),
            ("rtcpMuxPolicy", "require".into()),
        ])
        .unchecked_ref(),
    )
    .map_err(|e| Failure::unknown(F, e))?;
    let conn = Rc::new(RoomConn {
        config: config.clone(),
        state: Cell::new(ConnState::Connecting),
        heartbeat: RefCell::new(None),
        last_heard: Cell::new(0.0),
        session,
        role: Cell::new(role),
        ws,
        pc,
        listeners: RefCell::new(Vec::new()),
        remote: RefCell::new(RemoteUsers::new()),
        slots: RefCell::new(VecMap::new()),
        tracks: RefCell::new(VecMap::new()),
        videos: RefCell::new(VecMap::new()),
        audios: RefCell::new(VecMap::new()),
        offers: RefCell::new(VecDeque::new()),
        offer_busy: Cell::new(false),
        join_ticket: RefCell::new(None),
        published_started: RefCell::new(Vec::new()),
        last_publish: Cell::new((false, false)),
        last_mute: Cell::new((false, false)),
        pending: RefCell::new(Vec::new()),
        stats: RefCell::new(None),
        unconfirmed: RefCell::new(Vec::new()),
        reconcile: RefCell::new(None),
    });
    Ok((conn, url))
}

/// Waits for the server's answer to the join: `joined`, `timeout`, `closed` (the socket
/// closed first) or `failed:<code>:<message>`.
async fn await_join(inner: &Rc<Inner>, conn: &Rc<RoomConn>) -> String {
    let mut resolve = None;
    let joined = js_sys::Promise::new(&mut |res, _| resolve = Some(res));
    *conn.join_ticket.borrow_mut() = resolve;
    install_listeners(inner, conn);
    let timeout = js_sys::Promise::new(&mut |res, _| {
        let res = Clone::clone(&res);
        // A one-shot callback that frees itself once it has run (within JOIN_TIMEOUT_MS).
        let fire = wasm_bindgen::closure::Closure::once_into_js(move || {
            let _ = res.call1(&JsValue::UNDEFINED, &JsValue::from_str("timeout"));
        });
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(
            fire.unchecked_ref(),
            JOIN_TIMEOUT_MS as i32,
        );
    });
    JsFuture::from(js_sys::Promise::race(&js_sys::Array::of2(
        &joined, &timeout,
    )))
    .await
    .ok()
    .and_then(|v| v.as_string())
    .unwrap_or_default()
}

/// The joined connection goes live: heartbeat, statistics, publishing, queued room messages.
fn finish_join(inner: &Rc<Inner>, conn: &Rc<RoomConn>, reconnected: bool) {
    conn.state.set(ConnState::Joined);
    start_heartbeat(inner, conn);
    let stats = crate::stats::start(inner, conn);
    *conn.stats.borrow_mut() = Some(stats);
    inner.connection_state("CONNECTING", "CONNECTED");
    sync_publish(inner);
    let pending: Vec<ServerMsg> = conn.pending.borrow_mut().drain(..).collect();
    for msg in pending {
        if reconnected {
            if let ServerMsg::Joined { users, .. } = &msg {
                // Users we knew who are not back (yet): they get a grace period to return.
                let present: Vec<&str> = users.iter().map(|u| u.user_id.as_str()).collect();
                let missing: Vec<String> = conn
                    .remote
                    .borrow()
                    .ids()
                    .into_iter()
                    .filter(|u| !present.contains(&u.as_str()))
                    .collect();
                schedule_reconcile(inner, conn, missing);
            }
        }
        on_message(inner, conn, msg);
    }
}

/// Opens the connection and joins; resolves once the server accepted the join.
pub async fn enter(inner: Rc<Inner>, config: EnterRoomConfig) -> Result<()> {
    const F: &str = "enterRoom";
    let role = if config.scene == trtc_core::room::Scene::Live
        && config.role == trtc_core::room::Role::Audience
    {
        trtc_proto::Role::Audience
    } else {
        trtc_proto::Role::Anchor
    };
    let (conn, url) = open_conn(&config, new_session_id(), role)?;
    *inner.room.borrow_mut() = Some(conn.clone());
    inner.connection_state("DISCONNECTED", "CONNECTING");
    let outcome = await_join(&inner, &conn).await;
    let still_ours = inner
        .room
        .borrow()
        .as_ref()
        .map(|c| Rc::ptr_eq(c, &conn))
        .unwrap_or(false);
    let fail = |info: RtcErrorInfo| -> Result<()> {
        conn.close();
        if still_ours {
            inner.room.borrow_mut().take();
            inner.connection_state("CONNECTING", "DISCONNECTED");
        }
        Err(info.into())
    };
    if inner.destroyed.get() {
        return fail(RtcErrorInfo::destroyed(F));
    }
    if !still_ours {
        conn.close();
        return Err(RtcErrorInfo::abort(F, "exitRoom was called").into());
    }
    match outcome.as_str() {
        "joined" => {}
        "timeout" => {
            return fail(RtcErrorInfo::new(
                ErrorCode::OperationFailed,
                None,
                F,
                &format!("enterRoom() failed: no answer from the signalling server at {url} within {} s. Check that trtc-server runs there and 'proxy' points to it.", JOIN_TIMEOUT_MS / 1000),
            ))
        }
        "closed" | "" => {
            return fail(RtcErrorInfo::new(
                ErrorCode::OperationFailed,
                None,
                F,
                &format!("enterRoom() failed: cannot reach the signalling server at {url}. Check that trtc-server runs there and 'proxy' points to it."),
            ))
        }
        other => {
            let (code, message) = parse_failure(other);
            return fail(RtcErrorInfo::new(
                ErrorCode::ServerError,
                Some(code),
                F,
                &format!("enterRoom() failed: {message}"),
            ));
        }
    }
    finish_join(&inner, &conn, false);
    Ok(())
}

/// "failed:<code>:<message>" → (code, message).
fn parse_failure(outcome: &str) -> (i32, String) {
    let mut parts = outcome.splitn(3, ':');
    let _ = parts.next();
    let code: i32 = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
    let message = parts
        .next()
        .unwrap_or("the server refused to join")
        .to_string();
    (code, message)
}

/// After a reconnection: users still missing when the grace period ends have left (reason 1).
fn schedule_reconcile(inner: &Rc<Inner>, conn: &Rc<RoomConn>, missing: Vec<String>) {
    if missing.is_empty() {
        return;
    }
    *conn.unconfirmed.borrow_mut() = missing;
    let (wi, wc) = (Rc::downgrade(inner), Rc::downgrade(conn));
    let timer = gloo_timers::callback::Timeout::new(RECONNECT_GRACE_MS, move || {
        let (Some(inner), Some(conn)) = (wi.upgrade(), wc.upgrade()) else {
            return;
        };
        let gone: Vec<String> = conn.unconfirmed.borrow_mut().drain(..).collect();
        for user_id in gone {
            on_message(&inner, &conn, ServerMsg::UserExit { user_id, reason: 1 });
        }
    });
    *conn.reconcile.borrow_mut() = Some(timer);
}

/// The signalling socket or the media connection was lost while in the room: reconnect in
/// the background (others see no exit if it is back within the server's timeout).
fn on_connection_lost(inner: &Rc<Inner>, conn: &Rc<RoomConn>) {
    if conn.state.get() != ConnState::Joined {
        return;
    }
    conn.state.set(ConnState::Reconnecting);
    conn.teardown();
    crate::log::warn("lost the connection to the server; reconnecting");
    inner.emit(
        event::CONNECTION_STATE_CHANGED,
        &object(&[
            ("prevState", "CONNECTED".into()),
            ("state", "CONNECTING".into()),
            ("isReconnecting", JsValue::TRUE),
        ]),
    );
    let (inner, old) = (inner.clone(), conn.clone());
    wasm_bindgen_futures::spawn_local(async move { reconnect(inner, old).await });
}

async fn reconnect(inner: Rc<Inner>, old: Rc<RoomConn>) {
    let now = || window().performance().map(|p| p.now()).unwrap_or(0.0);
    let mut policy = trtc_core::reconnect::Reconnect::new(now(), inner.reconnect_give_up_ms());
    // NETWORK_QUALITY goes on every 2 s while the connection is down: 6 (disconnected) both
    // ways. Dropped when this ends (back in the room, given up, or left).
    let report_down = {
        let weak = Rc::downgrade(&inner);
        move || {
            if let Some(inner) = weak.upgrade() {
                let payload = trtc_core::quality::NetworkQuality::disconnected().to_json();
                inner.emit(event::NETWORK_QUALITY, &crate::stats::to_js(&payload));
            }
        }
    };
    report_down();
    let _down = gloo_timers::callback::Interval::new(trtc_core::quality::INTERVAL_MS, report_down);
    let ours = |inner: &Rc<Inner>| {
        !inner.destroyed.get()
            && inner
                .room
                .borrow()
                .as_ref()
                .is_some_and(|c| Rc::ptr_eq(c, &old))
    };
    loop {
        let Some(delay) = policy.next_delay(now()) else {
            give_up(
                &inner,
                &old,
                "the server could not be reached again in time",
            );
            return;
        };
        gloo_timers::future::TimeoutFuture::new(delay as u32).await;
        if !ours(&inner) {
            return;
        }
        let Ok((next, _url)) = open_conn(&old.config, old.session.clone(), old.role.get()) else {
            continue;
        };
        // Carry over what the app asked for: remote users, videos to render, publishing state.
        std::mem::swap(
            &mut *next.remote.borrow_mut(),
            &mut *old.remote.borrow_mut(),
        );
        for (user, v) in old.videos.borrow_mut().drain() {
            next.videos.borrow_mut().insert(user, v);
        }
        *next.published_started.borrow_mut() = old.published_started.borrow().clone();
        let outcome = await_join(&inner, &next).await;
        if !ours(&inner) {
            next.close();
            return;
        }
        match outcome.as_str() {
            "joined" => {
                *inner.room.borrow_mut() = Some(next.clone());
                old.close();
                crate::log::info(&format!(
                    "reconnected after {} attempt(s)",
                    policy.attempts()
                ));
                finish_join(&inner, &next, true);
                return;
            }
            o if o.starts_with("failed:") => {
                // The server refuses this user now (e.g. the userSig expired): no point retrying.
                let (code, message) = parse_failure(o);
                next.close();
                give_up(
                    &inner,
                    &old,
                    &format!("the server refused to rejoin ({code}): {message}"),
                );
                return;
            }
            _ => {
                // Hand the room state back for the next attempt.
                std::mem::swap(
                    &mut *next.remote.borrow_mut(),
                    &mut *old.remote.borrow_mut(),
                );
                for (user, v) in next.videos.borrow_mut().drain() {
                    old.videos.borrow_mut().insert(user, v);
                }
                next.close();
            }
        }
    }
}

/// Reconnection failed for good: an ERROR event, then the room is left.
fn give_up(inner: &Rc<Inner>, conn: &Rc<RoomConn>, why: &str) {
    let err = RtcErrorInfo::new(
        ErrorCode::OperationFailed,
        Some(REJOIN_FAILED),
        "",
        &format!("Lost the connection to the room and could not rejoin: {why}. Call enterRoom() again when the network is back."),
    );
    leave_locally(inner, conn);
    inner.connection_state("CONNECTING", "DISCONNECTED");
    inner.emit(event::ERROR, &Failure::from(err).to_js());
}

fn install_listeners(inner: &Rc<Inner>, conn: &Rc<RoomConn>) {
    let weak_inner: Weak<Inner> = Rc::downgrade(inner);
    let weak_conn: Weak<RoomConn> = Rc::downgrade(conn);
    let mut listeners = Vec::new();
    let (wi, wc) = (weak_inner.clone(), weak_conn.clone());
    listeners.push(Listener::new(&conn.ws, "open", move |_| {
        let (Some(_inner), Some(conn)) = (wi.upgrade(), wc.upgrade()) else {
            return;
        };
        let c = &conn.config;
        let room = match &c.room {
            trtc_core::room::RoomRef::Num(n) => trtc_proto::RoomId::Num(*n),
            trtc_core::room::RoomRef::Str(s) => trtc_proto::RoomId::Str(s.clone()),
        };
        conn.send(&ClientMsg::Join(trtc_proto::Join {
            version: trtc_proto::PROTOCOL_VERSION,
            sdk_app_id: if c.sdk_app_id.is_finite() && c.sdk_app_id > 0.0 {
                c.sdk_app_id as u64
            } else {
                0
            },
            user_id: c.user_id.clone(),
            user_sig: c.user_sig.clone(),
            room,
            scene: match c.scene {
                trtc_core::room::Scene::Rtc => trtc_proto::Scene::Rtc,
                trtc_core::room::Scene::Live => trtc_proto::Scene::Live,
            },
            role: conn.role.get(),
            session: Some(conn.session.clone()),
        }));
        crate::log::info(&format!(
            "signalling connected; joining as '{}'",
            inner_user(&conn)
        ));
    }));
    let (wi, wc) = (weak_inner.clone(), weak_conn.clone());
    listeners.push(Listener::new(&conn.ws, "message", move |ev| {
        let (Some(inner), Some(conn)) = (wi.upgrade(), wc.upgrade()) else {
            return;
        };
        let Some(text) = get(&ev, "data").as_string() else {
            return;
        };
        match decode(&text) {
            Ok(msg) => on_message(&inner, &conn, msg),
            Err(e) => crate::log::warn(&format!("ignored a server message: {e}")),
        }
    }));
    let (wi, wc) = (weak_inner.clone(), weak_conn.clone());
    listeners.push(Listener::new(&conn.ws, "close", move |_| {
        let (Some(inner), Some(conn)) = (wi.upgrade(), wc.upgrade()) else {
            return;
        };
        on_socket_closed(&inner, &conn);
    }));
    // A closing tab leaves the room at once, as exitRoom() does: without it the server could
    // only tell a closed tab from a broken network by the client timeout.
    let (wi, wc) = (weak_inner.clone(), weak_conn.clone());
    listeners.push(Listener::new(&window(), "pagehide", move |_| {
        let (Some(inner), Some(conn)) = (wi.upgrade(), wc.upgrade()) else {
            return;
        };
        let ours = inner
            .room
            .borrow()
            .as_ref()
            .is_some_and(|c| Rc::ptr_eq(c, &conn));
        if ours {
            crate::log::info("the page is closing: leaving the room");
            exit(&inner);
        }
    }));
    let (wi, wc) = (weak_inner, weak_conn);
    listeners.push(Listener::new(
        &conn.pc,
        "connectionstatechange",
        move |_| {
            let (Some(inner), Some(conn)) = (wi.upgrade(), wc.upgrade()) else {
                return;
            };
            let state = conn.pc.connection_state();
            crate::log::info(&format!("media connection: {state:?}"));
            // ICE or DTLS failed: start over on a new connection.
            if state == web_sys::RtcPeerConnectionState::Failed {
                on_connection_lost(&inner, &conn);
            }
        },
    ));
    *conn.listeners.borrow_mut() = listeners;
}

fn inner_user(conn: &RoomConn) -> &str {
    &conn.config.user_id
}

fn on_socket_closed(inner: &Rc<Inner>, conn: &Rc<RoomConn>) {
    if let Some(t) = conn.join_ticket.borrow_mut().take() {
        let _ = t.call1(&JsValue::UNDEFINED, &JsValue::from_str("closed"));
        return;
    }
    if conn.state.get() != ConnState::Joined {
        return;
    }
    on_connection_lost(inner, conn);
}

fn on_message(inner: &Rc<Inner>, conn: &Rc<RoomConn>, msg: ServerMsg) {
    conn.last_heard.set(now_ms());
    let entering = conn.state.get() == ConnState::Connecting;
    match &msg {
        ServerMsg::Error { code, message } if *code == trtc_proto::code::MEDIA_LOST => {
            crate::log::warn(&format!("the server lost our media connection: {message}"));
            on_connection_lost(inner, conn);
            return;
        }
        ServerMsg::Joined { .. } if entering => {
            if let Some(t) = conn.join_ticket.borrow_mut().take() {
                let _ = t.call1(&JsValue::UNDEFINED, &JsValue::from_str("joined"));
            }
            conn.pending.borrow_mut().push(msg);
            return;
        }
        ServerMsg::JoinFailed { code, message } => {
            if let Some(t) = conn.join_ticket.borrow_mut().take() {
                let _ = t.call1(
                    &JsValue::UNDEFINED,
                    &JsValue::from_str(&format!("failed:{code}:{message}")),
                );
            }
            return;
        }
        ServerMsg::Offer { sdp, slots } => {
            conn.offers
                .borrow_mut()
                .push_back((sdp.clone(), slots.clone()));
            if !conn.offer_busy.replace(true) {
                let (inner, conn) = (inner.clone(), conn.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    loop {
                        let next = conn.offers.borrow_mut().pop_front();
                        let Some((sdp, slots)) = next else { break };
                        if conn.state.get() == ConnState::Closed {
                            break;
                        }
                        if let Err(e) = handle_offer(&inner, &conn, &sdp, slots).await {
                            crate::log::error(&format!("negotiation failed: {e:?}"));
                        }
                    }
                    conn.offer_busy.set(false);
                });
            }
            return;
        }
        ServerMsg::Kicked { reason } => {
            leave_locally(inner, conn);
            inner.connection_state("CONNECTED", "DISCONNECTED");
            inner.emit(
                event::KICKED_OUT,
                &object(&[("reason", JsValue::from_str(reason))]),
            );
            return;
        }
        ServerMsg::Error { code, message } => {
            crate::log::warn(&format!("the server refused a message ({code}): {message}"));
            return;
        }
        _ if entering => {
            conn.pending.borrow_mut().push(msg);
            return;
        }
        _ => {}
    }
    // What to receive: audio by itself (unless muted), video when auto or asked to render.
    // Sent again after a reconnection, when the room tells us the streams are there.
    let wanted: Vec<(String, MediaKind)> = match &msg {
        ServerMsg::Joined { users, .. } => users
            .iter()
            .flat_map(|u| {
                let mut v = Vec::new();
                if u.audio {
                    v.push((u.user_id.clone(), MediaKind::Audio));
                }
                if u.video {
                    v.push((u.user_id.clone(), MediaKind::Video));
                }
                v
            })
            .collect(),
        ServerMsg::MediaState {
            user_id,
            kind,
            available: true,
        } => vec![(user_id.clone(), *kind)],
        _ => Vec::new(),
    };
    if let ServerMsg::UserEnter { user_id } | ServerMsg::MediaState { user_id, .. } = &msg {
        conn.unconfirmed.borrow_mut().retain(|u| u != user_id);
    }
    if let ServerMsg::Joined { users, .. } = &msg {
        conn.unconfirmed
            .borrow_mut()
            .retain(|u| !users.iter().any(|x| &x.user_id == u));
    }
    for (user_id, kind) in wanted {
        let want = match kind {
            MediaKind::Audio => {
                conn.config.auto_receive_audio && !inner.remote_audio_muted(&user_id)
            }
            MediaKind::Video => {
                conn.config.auto_receive_video || conn.videos.borrow().contains_key(&user_id)
            }
        };
        if want {
            conn.send(&ClientMsg::Subscribe {
                user_id: user_id.clone(),
                kind,
                on: true,
            });
            if kind == MediaKind::Audio {
                attach_audio(inner, conn, &user_id);
            }
        }
    }
    let events = conn.remote.borrow_mut().apply(&msg);
    for e in events {
        on_room_event(inner, conn, e);
    }
}

fn on_room_event(inner: &Rc<Inner>, conn: &Rc<RoomConn>, e: RoomEvent) {
    match e {
        RoomEvent::UserEnter(user_id) => {
            inner.emit(
                event::REMOTE_USER_ENTER,
                &object(&[("userId", JsValue::from_str(&user_id))]),
            );
        }
        RoomEvent::UserExit { user_id, reason } => {
            let video = conn.videos.borrow_mut().remove(&user_id);
            drop(video);
            let audio = conn.audios.borrow_mut().remove(&user_id);
            drop(audio);
            conn.tracks.borrow_mut().retain(|(u, _), _| u != &user_id);
            inner.emit(
                event::REMOTE_USER_EXIT,
                &object(&[
                    ("userId", JsValue::from_str(&user_id)),
                    ("reason", reason.into()),
                ]),
            );
        }
        RoomEvent::Available {
            user_id,
            kind,
            available,
        } => {
            let name = match (kind, available) {
                (MediaKind::Audio, true) => event::REMOTE_AUDIO_AVAILABLE,
                (MediaKind::Audio, false) => event::REMOTE_AUDIO_UNAVAILABLE,
                (MediaKind::Video, true) => event::REMOTE_VIDEO_AVAILABLE,
                (MediaKind::Video, false) => event::REMOTE_VIDEO_UNAVAILABLE,
            };
            let payload = match kind {
                MediaKind::Audio => object(&[("userId", JsValue::from_str(&user_id))]),
                MediaKind::Video => object(&[
                    ("userId", JsValue::from_str(&user_id)),
                    ("streamType", "main".into()),
                ]),
            };
            inner.emit(name, &payload);
        }
    }
}

/// Leaves without telling the server (it told us, or it is gone).
pub fn leave_locally(inner: &Rc<Inner>, conn: &Rc<RoomConn>) {
    let published: Vec<MediaKind> = conn.published_started.borrow_mut().drain(..).collect();
    conn.close();
    let ours = inner
        .room
        .borrow()
        .as_ref()
        .map(|c| Rc::ptr_eq(c, conn))
        .unwrap_or(false);
    if ours {
        inner.room.borrow_mut().take();
    }
    for kind in published {
        inner.publish_state(kind_name(kind), "stopped", "started", Some("api-call"));
    }
}

/// `exitRoom()`: tells the server, closes everything; local capture keeps running.
pub fn exit(inner: &Rc<Inner>) {
    let conn = inner.room.borrow().clone();
    if let Some(conn) = conn {
        let was_joined = conn.is_joined();
        conn.send(&ClientMsg::Leave);
        leave_locally(inner, &conn);
        inner.connection_state(
            if was_joined {
                "CONNECTED"
            } else {
                "CONNECTING"
            },
            "DISCONNECTED",
        );
    }
}

/// `switchRole(role)`: live scene only (in rtc it changes nothing). To anchor, what is captured
/// is published; to audience, it is withdrawn and capture keeps running.
pub fn switch_role(inner: &Rc<Inner>, conn: &Rc<RoomConn>, role: trtc_proto::Role) {
    if conn.config.scene != trtc_core::room::Scene::Live {
        crate::log::warn("switchRole() has no effect in the rtc scene");
        return;
    }
    if conn.role.replace(role) == role {
        return;
    }
    conn.send(&ClientMsg::SwitchRole { role });
    sync_publish(inner);
}

/// Tells the server what is published now (after enterRoom and every local start/stop/mute),
/// and swaps the tracks on the upstream slots.
pub fn sync_publish(inner: &Rc<Inner>) {
    let Some(conn) = inner.room.borrow().clone() else {
        return;
    };
    if !conn.is_joined() {
        return;
    }
    let (mut audio, mut video, audio_muted, video_muted) = inner.local_publish_state();
    if conn.role.get() == trtc_proto::Role::Audience {
        // Captured and previewed, not published, until switchRole('anchor').
        audio = false;
        video = false;
    }
    if conn.last_publish.replace((audio, video)) != (audio, video) {
        conn.send(&ClientMsg::Publish { audio, video });
        for (kind, on) in [(MediaKind::Audio, audio), (MediaKind::Video, video)] {
            let started = conn.published_started.borrow().contains(&kind);
            if on && !started {
                inner.publish_state(kind_name(kind), "starting", "stopped", None);
            } else if !on && started {
                conn.published_started.borrow_mut().retain(|k| *k != kind);
                inner.publish_state(kind_name(kind), "stopped", "started", Some("api-call"));
            }
        }
    }
    let mutes = (audio_muted, video_muted);
    let before = conn.last_mute.replace(mutes);
    if before.0 != mutes.0 {
        conn.send(&ClientMsg::Mute {
            kind: MediaKind::Audio,
            muted: mutes.0,
        });
    }
    if before.1 != mutes.1 {
        conn.send(&ClientMsg::Mute {
            kind: MediaKind::Video,
            muted: mutes.1,
        });
    }
    refresh_senders(inner, &conn);
}

/// Puts the current local tracks on the upstream slots.
fn refresh_senders(inner: &Rc<Inner>, conn: &Rc<RoomConn>) {
    let slots = conn.slots.borrow().clone();
    for t in conn.pc.get_transceivers().iter() {
        let t: RtcRtpTransceiver = t.unchecked_into();
        let Some(mid) = t.mid() else { continue };
        let Some(slot) = slots.get(&mid) else {
            continue;
        };
        if slot.user_id.is_some() {
            continue;
        }
        let track = inner.local_publish_track(slot.kind);
        let _ = t.sender().replace_track(track.as_ref());
    }
}

async fn handle_offer(
    inner: &Rc<Inner>,
    conn: &Rc<RoomConn>,
    sdp: &str,
    slots: Vec<TrackSlot>,
) -> std::result::Result<(), JsValue> {
    let desc = object(&[("type", "offer".into()), ("sdp", JsValue::from_str(sdp))]);
    JsFuture::from(conn.pc.set_remote_description(desc.unchecked_ref())).await?;
    let by_mid: VecMap<String, TrackSlot> =
        slots.iter().map(|s| (s.mid.clone(), s.clone())).collect();
    *conn.slots.borrow_mut() = by_mid.clone();
    let mut remote = VecMap::new();
    for t in conn.pc.get_transceivers().iter() {
        let t: RtcRtpTransceiver = t.unchecked_into();
        let Some(mid) = t.mid() else { continue };
        // m-lines the server stopped stay stopped; their direction cannot change.
        if is_stopped(&t) {
            continue;
        }
        match by_mid.get(&mid) {
            Some(TrackSlot {
                user_id: None,
                kind,
                ..
            }) => {
                set_direction(&t, RtcRtpTransceiverDirection::Sendonly);
                let track = inner.local_publish_track(*kind);
                let _ = t.sender().replace_track(track.as_ref());
            }
            Some(TrackSlot {
                user_id: Some(user),
                kind,
                ..
            }) => {
                set_direction(&t, RtcRtpTransceiverDirection::Recvonly);
                remote.insert(
                    (user.clone(), *kind),
                    (t.receiver().track(), Clone::clone(&t)),
                );
            }
            None => set_direction(&t, RtcRtpTransceiverDirection::Inactive),
        }
    }
    let answer = JsFuture::from(conn.pc.create_answer()).await?;
    JsFuture::from(conn.pc.set_local_description(answer.unchecked_ref())).await?;
    let local_sdp = conn
        .pc
        .local_description()
        .map(|d| d.sdp())
        .unwrap_or_default();
    conn.send(&ClientMsg::Answer { sdp: local_sdp });
    // Remote tracks that went away.
    // Tracks that went away, or were replaced by another (the sender reconnected: its media
    // now comes on a new slot).
    let gone: Vec<(String, MediaKind)> = conn
        .tracks
        .borrow()
        .iter()
        .filter(|(k, (track, _))| match remote.get(*k) {
            None => true,
            Some((new_track, _)) => new_track.id() != track.id(),
        })
        .map(|(k, _)| k.clone())
        .collect();
    for (user, kind) in &gone {
        conn.tracks.borrow_mut().remove(&(user.clone(), *kind));
        match kind {
            MediaKind::Video => {
                if let Some(v) = conn.videos.borrow_mut().get_mut(user) {
                    let views = std::mem::take(&mut v.views);
                    drop(views);
                }
            }
            MediaKind::Audio => {
                let a = conn.audios.borrow_mut().remove(user);
                drop(a);
            }
        }
    }
    let new_keys: Vec<(String, MediaKind)> = remote
        .keys()
        .filter(|k| !conn.tracks.borrow().contains_key(*k))
        .cloned()
        .collect();
    conn.tracks.borrow_mut().extend(remote);
    for (user, kind) in new_keys {
        match kind {
            MediaKind::Video => render_video(inner, conn, &user),
            MediaKind::Audio => attach_audio(inner, conn, &user),
        }
    }
    // Upstream slots negotiated: publishing started.
    let (audio, video, _, _) = inner.local_publish_state();
    for (kind, on) in [(MediaKind::Audio, audio), (MediaKind::Video, video)] {
        let has_slot = slots.iter().any(|s| s.user_id.is_none() && s.kind == kind);
        if on && has_slot && !conn.published_started.borrow().contains(&kind) {
            conn.published_started.borrow_mut().push(kind);
            inner.publish_state(kind_name(kind), "started", "starting", None);
        }
    }
    Ok(())
}

fn is_stopped(t: &RtcRtpTransceiver) -> bool {
    ["currentDirection", "direction"]
        .iter()
        .any(|k| get(t, k).as_string().as_deref() == Some("stopped"))
}

/// Sets a transceiver's direction; a stopped one throws, which is logged, not raised.
fn set_direction(t: &RtcRtpTransceiver, d: RtcRtpTransceiverDirection) {
    let value = JsValue::from(d);
    if let Err(e) = js_sys::Reflect::set(t, &JsValue::from_str("direction"), &value) {
        crate::log::debug(&format!("transceiver direction not set: {e:?}"));
    }
}

/// Renders a remote user's video into the views the app gave, once both exist.
pub fn render_video(inner: &Rc<Inner>, conn: &Rc<RoomConn>, user_id: &str) {
    let Some(track) = conn.track_of(user_id, MediaKind::Video) else {
        return;
    };
    let mut videos = conn.videos.borrow_mut();
    let Some(v) = videos.get_mut(user_id) else {
        return;
    };
    if !v.views.is_empty() {
        return;
    }
    for (i, c) in v.containers.iter().enumerate() {
        let events = (i == 0).then(|| ViewEvents {
            emit: inner.emit_fn(),
            user_id: user_id.to_string(),
            stream_type: "main",
        });
        match VideoView::new(c, &track, v.fill, v.mirror, events) {
            Ok(view) => v.views.push(view),
            Err(e) => crate::log::error(&format!("cannot render {user_id}'s video: {e:?}")),
        }
    }
}

/// Plays a remote user's audio through an (off-DOM) audio element.
pub fn attach_audio(inner: &Rc<Inner>, conn: &Rc<RoomConn>, user_id: &str) {
    if conn.audios.borrow().contains_key(user_id) {
        return;
    }
    let Some(track) = conn.track_of(user_id, MediaKind::Audio) else {
        return;
    };
    let doc = window().document().expect("document");
    let Ok(el) = doc.create_element("audio") else {
        return;
    };
    let element: HtmlAudioElement = el.unchecked_into();
    element.set_autoplay(true);
    if let Ok(stream) = MediaStream::new_with_tracks(&js_sys::Array::of1(&track)) {
        element.set_src_object(Some(&stream));
    }
    if let Some(id) = inner.current_speaker() {
        if let Some(f) = get(&element, "setSinkId").dyn_ref::<js_sys::Function>() {
            let _ = f.call1(&element, &JsValue::from_str(&id));
        }
    }
    let emit = inner.emit_fn();
    let uid = user_id.to_string();
    let mut listeners = Vec::new();
    let (e, u) = (emit.clone(), uid.clone());
    listeners.push(Listener::new(&element, "playing", move |_| {
        e(
            event::AUDIO_PLAY_STATE_CHANGED,
            &object(&[
                ("type", "audio".into()),
                ("userId", JsValue::from_str(&u)),
                ("state", "PLAYING".into()),
                ("reason", "playing".into()),
            ]),
        );
    }));
    let meter = crate::audio::LevelMeter::new(&track, inner.volume_window())
        .map_err(|e| crate::log::warn(&format!("no volume meter for {user_id}: {e:?}")))
        .ok();
    conn.audios.borrow_mut().insert(
        user_id.to_string(),
        RemoteAudio {
            element: Clone::clone(&element),
            track: Clone::clone(&track),
            meter,
            amplifier: RefCell::new(None),
            muted: Cell::new(false),
            _listeners: listeners,
        },
    );
    if let Some(a) = conn.audios.borrow().get(user_id) {
        a.apply(
            inner.remote_audio_volume(user_id),
            inner.remote_audio_muted(user_id),
        );
    }
    play_audio(inner, &element, user_id);
}

fn play_audio(inner: &Rc<Inner>, element: &HtmlAudioElement, user_id: &str) {
    let Ok(p) = element.play() else { return };
    let weak = Rc::downgrade(inner);
    let uid = user_id.to_string();
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(e) = JsFuture::from(p).await {
            if get(&e, "name").as_string().as_deref() == Some("NotAllowedError") {
                if let Some(inner) = weak.upgrade() {
                    inner.autoplay_failed(&uid, "audio");
                }
            }
        }
    });
}

/// Replays every remote audio element (after a user gesture or `resume()`).
pub fn resume_all(conn: &RoomConn) {
    // Amplified users play through the SDK's context, which may wait for a gesture too.
    if let Some(ctx) = crate::audio::existing_context() {
        crate::audio::resume(&ctx);
    }
    for a in conn.audios.borrow().values() {
        if let Ok(p) = a.element.play() {
            wasm_bindgen_futures::spawn_local(async move {
                let _ = JsFuture::from(p).await;
            });
        }
    }
}

/// Remote users' audio levels (0..1), measured like the microphone's, for users whose audio
/// is available.
pub fn remote_levels(conn: &RoomConn) -> Vec<(String, f64)> {
    let remote = conn.remote.borrow();
    let audios = conn.audios.borrow();
    remote
        .ids()
        .into_iter()
        .filter(|u| remote.get(u).map(|s| s.audio).unwrap_or(false))
        .map(|u| {
            let level = audios
                .get(&u)
                .filter(|a| !a.muted())
                .and_then(|a| a.meter.as_ref())
                .map(|m| m.level())
                .unwrap_or(0.0);
            (u, level)
        })
        .collect()
}

/// Applies a new analysis window to the remote meters.
pub fn set_meter_window(conn: &RoomConn, window: u32) {
    for a in conn.audios.borrow().values() {
        if let Some(m) = &a.meter {
            m.set_window(window);
        }
    }
}
