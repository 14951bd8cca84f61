//! The room in the browser: [`RoomDriver`] owns the room client of `trtc_core::client` and is
//! its only caller. Browser adapters translate what happens into the client's inputs
//! ([`conn`]: the signalling socket and the peer connection) and carry its effects out
//! ([`remote`]: remote audio and video; [`crate::local`]: the local tracks to send).
//!
//! Invariants:
//! - the client is borrowed only inside [`RoomDriver::input`] and the queries, never while an
//!   effect is carried out: effects that call app code (events, view teardown, settling a
//!   promise) run with no borrow held, and an app handler may call back into the SDK;
//! - an input that arrives while effects are being carried out (from a handler) is handled at
//!   once, and its effects join the queue that is being carried out, in order;
//! - one timer: the client's next wake-up.

mod conn;
mod remote;

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use trtc_core::client::{ConnId, Effect, Input, LogLevel, OpId, RoomClient};
use trtc_core::config::FillMode;
use trtc_core::room::EnterRoomConfig;
use trtc_core::room_client::RemoteStreams;
use trtc_core::vec_map::VecMap;
use trtc_proto::{MediaKind, Role};
use wasm_bindgen::JsValue;
use web_sys::{HtmlElement, MediaStreamTrack};

use crate::error::Failure;
use crate::events::Events;
use crate::listener::Listener;
use crate::local::Local;
use crate::preconnect::Preconnection;
use conn::Conn;
pub use remote::AutoplayFailed;

/// `startRemoteVideo`'s options beyond the views (`None`: as before).
#[derive(Default)]
pub struct ViewExtra {
    /// `option.fillMode` (`None`: as it was, or the stream's default).
    pub fill: Option<FillMode>,
    /// `option.mirror`.
    pub mirror: Option<bool>,
    /// `option.poster`.
    pub poster: Option<String>,
    /// `option.receiveWhenViewVisible`.
    pub visible_only: Option<bool>,
    /// `option.viewRoot` (the visibility watch's root; default: the viewport).
    pub root: Option<HtmlElement>,
}

/// A pending API call: its promise's resolve and reject.
struct Pending {
    resolve: js_sys::Function,
    reject: js_sys::Function,
    /// Awaited in Rust ([`RoomDriver::wait`]): the promise resolves either way and the error,
    /// if any, waits in `failed`.
    in_rust: bool,
}

pub struct RoomDriver {
    me: Weak<RoomDriver>,
    client: RefCell<RoomClient>,
    /// Effects are being carried out (an input from a handler only queues more).
    draining: Cell<bool>,
    conns: RefCell<VecMap<ConnId, Rc<Conn>>>,
    remote: remote::Remote,
    local: Rc<Local>,
    events: Events,
    /// The client's wake-up: when, and the timer that fires then.
    timer: RefCell<Option<(f64, gloo_timers::callback::Timeout)>>,
    pending: RefCell<VecMap<OpId, Pending>>,
    /// Errors of settled [`Pending::in_rust`] operations, until their waiter takes them.
    failed: RefCell<VecMap<OpId, trtc_core::error::RtcErrorInfo>>,
    next_op: Cell<OpId>,
    /// While in a room: a closing tab leaves it, as exitRoom() does (otherwise the server
    /// could only tell a closed tab from a broken network by its client timeout).
    pagehide: RefCell<Option<Listener>>,
    /// `TRTC.create({enableSEI: true})` in a browser that can: the SEI state.
    sei: Option<Rc<crate::sei::Sei>>,
    /// `callExperimentalAPI('preconnect')`'s socket, numbered, until `enterRoom` takes it.
    preconnected: RefCell<Option<(u32, Preconnection)>>,
    preconnects: Cell<u32>,
}

fn now_ms() -> f64 {
    crate::devices::window()
        .performance()
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// A random id for one enterRoom (not a secret: the userSig authenticates).
fn new_session_id() -> String {
    (0..4)
        .map(|_| format!("{:08x}", (js_sys::Math::random() * 4_294_967_296.0) as u32))
        .collect()
}

impl RoomDriver {
    pub fn new(
        local: Rc<Local>,
        events: Events,
        autoplay_failed: AutoplayFailed,
        meter_window: u32,
        sei: bool,
    ) -> Rc<RoomDriver> {
        Rc::new_cyclic(|me| RoomDriver {
            me: me.clone(),
            client: RefCell::new(RoomClient::new()),
            draining: Cell::new(false),
            conns: RefCell::new(VecMap::new()),
            remote: remote::Remote::new(events.emit_fn(), autoplay_failed, meter_window),
            sei: sei.then(|| crate::sei::Sei::new(events.emit_fn())),
            local,
            events,
            timer: RefCell::new(None),
            pending: RefCell::new(VecMap::new()),
            failed: RefCell::new(VecMap::new()),
            next_op: Cell::new(0),
            pagehide: RefCell::new(None),
            preconnected: RefCell::new(None),
            preconnects: Cell::new(0),
        })
    }

    /// Whether a preconnection to `url` for `target` is kept and open.
    pub fn preconnected_for(
        &self,
        target: &trtc_core::experimental::Preconnect,
        url: &str,
    ) -> bool {
        self.preconnected
            .borrow()
            .as_ref()
            .is_some_and(|(_, p)| p.target == *target && p.url == url && p.usable())
    }

    /// Holds `p` (an earlier preconnection is closed); returns its number.
    pub fn set_preconnection(&self, p: Preconnection) -> u32 {
        let n = self.preconnects.get().wrapping_add(1);
        self.preconnects.set(n);
        let old = self.preconnected.borrow_mut().replace((n, p));
        drop(old);
        n
    }

    /// Closes the preconnection (number `n` only, when given).
    pub fn drop_preconnection(&self, n: Option<u32>) {
        let old = {
            let mut slot = self.preconnected.borrow_mut();
            match (&*slot, n) {
                (Some((held, _)), Some(n)) if *held != n => None,
                _ => slot.take(),
            }
        };
        drop(old);
    }

    /// The preconnected socket to `url`, open and kept for the entering user, if there is one;
    /// any other preconnection is closed (`enterRoom` opens its own).
    fn take_preconnected(&self, url: &str) -> Option<web_sys::WebSocket> {
        let (_, p) = self.preconnected.borrow_mut().take()?;
        let config = self.config()?;
        if p.usable()
            && p.target
                .serves(&p.url, url, config.sdk_app_id, &config.user_id)
        {
            crate::log::info("enterRoom takes the preconnected signalling socket");
            p.into_socket()
        } else {
            None
        }
    }

    /// Feeds one input to the room client and carries out its effects.
    pub fn input(&self, input: Input) {
        self.client.borrow_mut().handle(input, now_ms());
        self.drain();
    }

    /// `enterRoom(config)`: a promise the room client settles.
    pub fn enter(&self, config: EnterRoomConfig, give_up_ms: f64) -> js_sys::Promise {
        let origin = crate::devices::window()
            .location()
            .origin()
            .unwrap_or_default();
        let url = trtc_core::room::websocket_url(
            config.websocket_proxy.as_deref(),
            &origin,
            trtc_proto::WS_PATH,
        );
        self.call(|op| Input::Enter {
            op,
            config,
            url,
            session: new_session_id(),
            give_up_ms,
        })
    }

    /// Feeds the input `make` builds around a new operation, and returns the promise the room
    /// client settles for it.
    pub fn call(&self, make: impl FnOnce(OpId) -> Input) -> js_sys::Promise {
        self.call_as(make, false).1
    }

    fn call_as(&self, make: impl FnOnce(OpId) -> Input, in_rust: bool) -> (OpId, js_sys::Promise) {
        let op = self.next_op.get() + 1;
        self.next_op.set(op);
        let promise = js_sys::Promise::new(&mut |resolve, reject| {
            self.pending.borrow_mut().insert(
                op,
                Pending {
                    resolve,
                    reject,
                    in_rust,
                },
            );
        });
        self.input(make(op));
        (op, promise)
    }

    /// [`RoomDriver::call`] awaited in Rust, with the room client's error as it is.
    pub async fn wait(
        &self,
        make: impl FnOnce(OpId) -> Input,
    ) -> std::result::Result<(), trtc_core::error::RtcErrorInfo> {
        let (op, promise) = self.call_as(make, true);
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        match self.failed.borrow_mut().remove(&op) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn sink(&self) -> conn::Sink {
        let me = self.me.clone();
        Rc::new(move |input| {
            if let Some(d) = me.upgrade() {
                d.input(input);
            }
        })
    }

    fn drain(&self) {
        if self.draining.replace(true) {
            return;
        }
        loop {
            let next = self.client.borrow_mut().poll();
            let Some(effect) = next else { break };
            self.carry_out(effect);
        }
        self.draining.set(false);
        self.reschedule();
        self.watch_pagehide();
    }

    fn conn(&self, id: ConnId) -> Option<Rc<Conn>> {
        self.conns.borrow().get(&id).cloned()
    }

    fn carry_out(&self, effect: Effect) {
        match effect {
            Effect::Connect { conn, url, ice } => {
                let open = self.take_preconnected(&url);
                let taken = open.is_some();
                match Conn::open(conn, &url, open, &ice, self.sei.clone(), self.sink()) {
                    Ok(c) => {
                        self.conns.borrow_mut().insert(conn, c);
                        if taken {
                            // Its effects join the queue being carried out.
                            self.client
                                .borrow_mut()
                                .handle(Input::SocketOpened(conn), now_ms());
                        }
                    }
                    Err(e) => {
                        crate::log::warn(&format!(
                            "cannot open the signalling socket: {}",
                            crate::value::describe(&e)
                        ));
                        self.client.borrow_mut().handle(
                            Input::SocketClosed {
                                conn,
                                error: Some(crate::value::describe(&e)),
                            },
                            now_ms(),
                        );
                    }
                }
            }
            Effect::SetIce { conn, ice } => {
                if let Some(c) = self.conn(conn) {
                    c.set_ice(&ice);
                }
            }
            Effect::Disconnect { conn, reconnecting } => {
                let c = self.conns.borrow_mut().remove(&conn);
                if let Some(c) = c {
                    c.close(reconnecting);
                }
                // Its elements and views go; a leave also drops the app's containers.
                self.remote.drop_media(!reconnecting);
            }
            Effect::Send { conn, msg } => {
                if let Some(c) = self.conn(conn) {
                    c.send(&msg);
                }
            }
            Effect::ApplyOffer { conn, sdp, slots } => {
                let (Some(c), Some(me)) = (self.conn(conn), self.me.upgrade()) else {
                    return;
                };
                let use_vp8 = self.config().is_some_and(|c| c.use_vp8);
                wasm_bindgen_futures::spawn_local(async move {
                    // A track is new for its (user, kind): the server reuses idle m-lines, so
                    // one receiver's track can carry another user's stream.
                    let before: Vec<(String, MediaKind, String)> = c
                        .received()
                        .into_iter()
                        .map(|(u, k, t)| (u, k, t.id()))
                        .collect();
                    let codecs = trtc_core::encoding::preferred_codecs(use_vp8);
                    let answer = c.apply_offer(&sdp, &slots, &me.local, &codecs).await;
                    me.input(Input::OfferApplied { conn, answer });
                    // TRACK for each track this offer brought.
                    for (user, kind, track) in c.received() {
                        if !before.contains(&(user.clone(), kind, track.id())) {
                            let stream_type = if kind.is_sub() { "sub" } else { "main" };
                            me.events.emit(
                                trtc_core::tables::event::TRACK,
                                &crate::value::object(&[
                                    ("userId", JsValue::from_str(&user)),
                                    ("streamType", stream_type.into()),
                                    ("track", track.clone().into()),
                                    ("sourceTrack", track.into()),
                                ]),
                            );
                        }
                    }
                });
            }
            Effect::RefreshSenders { conn } => {
                if let Some(c) = self.conn(conn) {
                    c.refresh_senders(&self.local);
                }
            }
            Effect::PlayAudio {
                conn,
                user_id,
                kind,
            } => {
                if let Some(track) = self.conn(conn).and_then(|c| c.track(&user_id, kind)) {
                    let muted = self.client.borrow().audio_muted(&user_id);
                    self.remote
                        .play_audio(&user_id, &track, muted, kind.is_sub());
                }
            }
            Effect::StopAudio { user_id, kind } => self.remote.stop_audio(&user_id, kind.is_sub()),
            Effect::ShowVideo {
                conn,
                user_id,
                kind,
            } => {
                if let Some(track) = self.conn(conn).and_then(|c| c.track(&user_id, kind)) {
                    self.remote.show_video(&user_id, &track, kind.is_sub());
                }
            }
            Effect::HideVideo { user_id, kind } => self.remote.hide_video(&user_id, kind.is_sub()),
            Effect::ForgetUser { user_id } => self.remote.forget(&user_id),
            Effect::CollectStats { conn } => {
                if let Some(c) = self.conn(conn) {
                    c.collect_stats(self.sink());
                }
            }
            Effect::Emit(e) => self.events.emit_room(e),
            Effect::Settle { op, result } => {
                let p = self.pending.borrow_mut().remove(&op);
                if let Some(p) = p {
                    let _ = match result {
                        Ok(()) => p.resolve.call0(&JsValue::UNDEFINED),
                        Err(info) if p.in_rust => {
                            self.failed.borrow_mut().insert(op, info);
                            p.resolve.call0(&JsValue::UNDEFINED)
                        }
                        Err(info) => p
                            .reject
                            .call1(&JsValue::UNDEFINED, &Failure::from(info).to_js()),
                    };
                }
            }
            Effect::Log(LogLevel::Info, s) => crate::log::info(&s),
            Effect::Log(LogLevel::Warn, s) => crate::log::warn(&s),
        }
    }

    /// One timer for the client's next wake-up.
    fn reschedule(&self) {
        let wake = self.client.borrow().next_wake();
        let current = self.timer.borrow().as_ref().map(|(t, _)| *t);
        if wake == current {
            return;
        }
        let timer = wake.map(|t| {
            let me = self.me.clone();
            let delay = (t - now_ms()).clamp(0.0, 2_147_483_647.0) as u32;
            let timeout = gloo_timers::callback::Timeout::new(delay, move || {
                if let Some(d) = me.upgrade() {
                    d.timer.borrow_mut().take();
                    d.input(Input::Timer);
                }
            });
            (t, timeout)
        });
        let old = std::mem::replace(&mut *self.timer.borrow_mut(), timer);
        drop(old);
    }

    fn watch_pagehide(&self) {
        let in_room = self.client.borrow().in_room();
        let watching = self.pagehide.borrow().is_some();
        if in_room && !watching {
            let me = self.me.clone();
            let l = Listener::new(&crate::devices::window(), "pagehide", move |_| {
                if let Some(d) = me.upgrade() {
                    crate::log::info("the page is closing: leaving the room");
                    d.input(Input::Exit {
                        op: None,
                        cause: trtc_core::client::ExitCause::PageHide,
                    });
                }
            });
            *self.pagehide.borrow_mut() = Some(l);
        } else if !in_room && watching {
            // Dropped after this listener's own call returns, if it is the one running.
            let l = self.pagehide.borrow_mut().take();
            wasm_bindgen_futures::spawn_local(async move { drop(l) });
        }
    }

    // ---- queries and app calls ----

    pub fn in_room(&self) -> bool {
        self.client.borrow().in_room()
    }

    /// The current room's configuration (`None` when not in a room).
    pub fn config(&self) -> Option<EnterRoomConfig> {
        self.client.borrow().config().cloned()
    }

    pub fn is_joined(&self) -> bool {
        self.client.borrow().is_joined()
    }

    pub fn remote(&self, user_id: &str) -> Option<RemoteStreams> {
        self.client.borrow().remote(user_id)
    }

    pub fn enable_autoplay_dialog(&self) -> Option<bool> {
        self.client
            .borrow()
            .config()
            .map(|c| c.enable_autoplay_dialog)
    }

    /// A remote user's received track (`null` when there is none).
    pub fn remote_track(&self, user_id: &str, kind: MediaKind) -> JsValue {
        let conn = self.client.borrow().joined_conn();
        conn.and_then(|c| self.conn(c))
            .and_then(|c| c.track(user_id, kind))
            .map(JsValue::from)
            .unwrap_or(JsValue::NULL)
    }

    pub fn snapshot(&self, user_id: &str, sub: bool) -> String {
        self.remote.snapshot(user_id, sub)
    }

    /// Remote users whose audio is available.
    pub fn remote_audio_users(&self) -> Vec<String> {
        let c = self.client.borrow();
        c.remote_users()
            .into_iter()
            .filter(|u| c.remote(u).is_some_and(|s| s.audio))
            .collect()
    }

    /// Remote users' audio levels (0..1) for users whose audio is available.
    pub fn remote_levels(&self) -> Vec<(String, f64)> {
        self.remote_audio_users()
            .into_iter()
            .map(|u| {
                let level = self.remote.level(&u);
                (u, level)
            })
            .collect()
    }

    pub fn set_meter_window(&self, window: u32) {
        self.remote.set_meter_window(window);
    }

    pub fn resume_all(&self) {
        self.remote.resume_all();
    }

    /// Whether `user_id`'s video of `kind` is received only while its view is visible.
    pub fn watched(&self, user_id: &str, kind: MediaKind) -> bool {
        self.remote.visible_only(user_id, kind.is_sub())
    }

    /// `startRemoteVideo` / `updateRemoteVideo` after validation: the views, then (start only)
    /// the room client receives and shows it.
    /// `kind` is [`MediaKind::Video`] (streamType `main`) or [`MediaKind::SubVideo`] (`sub`).
    pub fn start_video(
        &self,
        user_id: &str,
        kind: MediaKind,
        containers: Option<Vec<HtmlElement>>,
        is_update: bool,
        extra: ViewExtra,
    ) -> bool {
        let sub = kind.is_sub();
        let new_views = containers.is_some();
        let was_watched = self.remote.visible_only(user_id, sub);
        if !self.remote.set_video(
            user_id,
            containers,
            extra.fill,
            extra.mirror,
            is_update,
            sub,
        ) {
            return false;
        }
        let watch = match extra.visible_only {
            Some(true) => Some(self.visibility_watch(user_id, kind, extra.root.as_ref())),
            Some(false) => Some(None),
            // New views of a watched video: the watch moves to them (within the same root).
            None if is_update && new_views && was_watched => {
                let root = extra.root.or_else(|| self.remote.watch_root(user_id, sub));
                Some(self.visibility_watch(user_id, kind, root.as_ref()))
            }
            None => None,
        };
        self.remote.set_extra(user_id, sub, extra.poster, watch);
        let watched = self.remote.visible_only(user_id, sub);
        if watched {
            // The watch subscribes and unsubscribes as the view shows and hides; new views show
            // what plays now until it says otherwise.
            if is_update && new_views {
                if let Some(track) = self.remote_track(user_id, kind).dyn_into_track() {
                    self.remote.show_video(user_id, &track, sub);
                }
            }
        } else if is_update && was_watched {
            self.input(Input::RemoteVideo {
                user_id: user_id.to_string(),
                kind,
                on: true,
            });
        } else if is_update {
            // New containers render the track that is there now.
            if let Some(track) = self.remote_track(user_id, kind).dyn_into_track() {
                self.remote.show_video(user_id, &track, sub);
            }
        } else {
            self.input(Input::RemoteVideo {
                user_id: user_id.to_string(),
                kind,
                on: true,
            });
        }
        true
    }

    /// The containers of `user_id`'s started video (none: not started).
    pub fn video_containers(&self, user_id: &str, kind: MediaKind) -> Vec<HtmlElement> {
        self.remote.containers(user_id, kind.is_sub())
    }

    /// `option.small` of `startRemoteVideo` / `updateRemoteVideo`: the user's small (camera)
    /// stream or its big one.
    pub fn set_remote_small(&self, user_id: &str, small: bool) {
        self.input(Input::RemoteSmall {
            user_id: user_id.to_string(),
            small,
        });
    }

    /// Receives `user_id`'s video only while one of its containers is visible: hidden, the
    /// views go and the video is unsubscribed; visible again, it is subscribed and shown.
    fn visibility_watch(
        &self,
        user_id: &str,
        kind: MediaKind,
        root: Option<&HtmlElement>,
    ) -> Option<crate::view::VisibilityWatch> {
        let me = self.me.clone();
        let uid = user_id.to_string();
        let sub = kind.is_sub();
        let containers = self.remote.containers(user_id, sub);
        let watch = crate::view::VisibilityWatch::new(&containers, root, move |visible| {
            if let Some(d) = me.upgrade() {
                if !visible {
                    d.remote.hide_video(&uid, sub);
                }
                d.input(Input::RemoteVideo {
                    user_id: uid.clone(),
                    kind,
                    on: visible,
                });
            }
        });
        watch
            .map_err(|e| {
                crate::log::warn(&format!(
                    "receiveWhenViewVisible: {}; receiving always",
                    crate::value::describe(&e)
                ))
            })
            .ok()
    }

    /// `pauseRemotePlayer` / `resumeRemotePlayer`.
    pub fn pause_player(&self, user_id: &str, stream_type: Option<&str>, pause: bool) {
        self.remote.pause(user_id, stream_type, pause);
    }

    /// The `<video>` of `user_id`'s first view, if shown.
    pub fn video_of(&self, user_id: &str) -> Option<web_sys::HtmlVideoElement> {
        self.remote
            .first_video_where(|u| u == user_id)
            .map(|(_, v)| v)
    }

    /// The first remote main video shown now: (user, its element).
    pub fn first_video(&self) -> Option<(String, web_sys::HtmlVideoElement)> {
        self.remote.first_video()
    }

    /// `stopRemoteVideo` of `kind` (main or sub) for one user, or `'*'`.
    pub fn stop_video(&self, user_id: &str, kind: MediaKind) {
        let sub = kind.is_sub();
        let users = if user_id == "*" {
            self.remote.video_users(sub)
        } else {
            vec![user_id.to_string()]
        };
        for u in users {
            if self.remote.stop_video(&u, sub) {
                self.input(Input::RemoteVideo {
                    user_id: u,
                    kind,
                    on: false,
                });
            }
        }
    }

    /// `muteRemoteAudio(user | '*', mute)`.
    pub fn mute_audio(&self, user_id: &str, mute: bool) {
        let target = if user_id == "*" {
            trtc_core::client::Target::All
        } else {
            trtc_core::client::Target::User(user_id.to_string())
        };
        self.input(Input::MuteRemoteAudio { target, mute });
        let muted = |u: &str| self.client.borrow().audio_muted(u);
        self.remote.apply_mutes(&muted);
    }

    /// `setRemoteAudioVolume(user | '*', volume)`.
    pub fn set_volume(&self, user_id: &str, volume: f64) {
        let muted = |u: &str| self.client.borrow().audio_muted(u);
        self.remote.set_volume(user_id, volume, &muted);
    }

    /// `switchRole(role, {privateMapKey})`: settled by the server's answer.
    pub fn switch_role(&self, role: Role, private_map_key: Option<String>) -> js_sys::Promise {
        self.call(|op| Input::SwitchRole {
            op,
            role,
            private_map_key,
        })
    }

    /// `sendCustomMessage` after its parameter checks.
    pub fn send_custom(
        &self,
        cmd_id: u8,
        data: &[u8],
    ) -> Result<(), trtc_core::client::CustomRefused> {
        let r = self.client.borrow_mut().send_custom(cmd_id, data, now_ms());
        self.drain();
        r
    }

    /// `sendSEIMessage` after its parameter checks: the room's checks and limits, then the
    /// message waits for the stream's next frame.
    pub fn send_sei(
        &self,
        send: &trtc_core::client::SeiSend,
        data: Vec<u8>,
    ) -> Result<(), trtc_core::client::CustomRefused> {
        self.client
            .borrow_mut()
            .send_sei(send, data.len(), now_ms())?;
        if let Some(sei) = &self.sei {
            sei.queue(send.to_sub, send.payload_type, data);
        }
        Ok(())
    }

    /// SEI is on (`enableSEI` in a browser that can).
    pub fn sei_enabled(&self) -> bool {
        self.sei.is_some()
    }

    /// What is captured or published changed.
    pub fn local_changed(&self) {
        let state = self.local.publish_state();
        // The small stream first: the publish that starts the video then says so at once.
        self.input(Input::LocalSmall(self.local.small_stream().is_some()));
        self.input(Input::Local(state));
    }
}

/// A JS value as a `MediaStreamTrack`, if it is one.
trait DynIntoTrack {
    fn dyn_into_track(self) -> Option<MediaStreamTrack>;
}

impl DynIntoTrack for JsValue {
    fn dyn_into_track(self) -> Option<MediaStreamTrack> {
        wasm_bindgen::JsCast::dyn_into(self).ok()
    }
}
