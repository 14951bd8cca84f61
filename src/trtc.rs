//! The exported `TRTC` class: static methods, the instance, events, volume evaluation.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::{Rc, Weak};
use trtc_core::error::RtcErrorInfo;
use trtc_core::tables::{event, LogLevel};
use trtc_core::validate::{rules, validate};
use trtc_core::value::Value;
use trtc_core::volume::{self, VolumeEntry};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;

use crate::devices;
use crate::emitter::Emitter;
use crate::error::{Failure, Result};
use crate::local_audio::{self, LocalAudio};
use crate::local_video::{self, LocalVideo};
use crate::queue::AsyncQueue;
use crate::room::{self, RoomConn};
use crate::value::{get, object, to_value};
use crate::view::EmitFn;
use trtc_core::vec_map::VecMap;
use trtc_proto::MediaKind;

thread_local! {
    /// Live instances, for `TRTC.setCurrentSpeaker`.
    static LIVE: RefCell<Vec<Weak<Inner>>> = const { RefCell::new(Vec::new()) };
    static SPEAKER: RefCell<Option<String>> = const { RefCell::new(None) };
}

struct VolumeEval {
    interval_ms: u32,
    in_background: bool,
    _timer: gloo_timers::callback::Interval,
}

/// The state of one `TRTC` instance.
pub struct Inner {
    me: Weak<Inner>,
    pub emitter: Emitter,
    pub destroyed: Cell<bool>,
    pub video: RefCell<Option<LocalVideo>>,
    pub audio: RefCell<Option<LocalAudio>>,
    pub video_queue: AsyncQueue,
    pub audio_queue: AsyncQueue,
    volume: RefCell<Option<VolumeEval>>,
    /// The room entered (or being entered).
    pub room: RefCell<Option<Rc<RoomConn>>>,
    /// `muteRemoteAudio` intents: per user, and for `'*'`.
    remote_mute: RefCell<(Option<bool>, VecMap<String, bool>)>,
    /// `setRemoteAudioVolume` values: per user, and for `'*'`.
    remote_volume: RefCell<(Option<f64>, VecMap<String, f64>)>,
    autoplay: RefCell<Option<crate::autoplay::Autoplay>>,
    options: JsValue,
}

impl Inner {
    fn new(options: JsValue) -> Rc<Inner> {
        Rc::new_cyclic(|me| Inner {
            me: me.clone(),
            emitter: Emitter::default(),
            destroyed: Cell::new(false),
            video: RefCell::new(None),
            audio: RefCell::new(None),
            video_queue: AsyncQueue::default(),
            audio_queue: AsyncQueue::default(),
            volume: RefCell::new(None),
            room: RefCell::new(None),
            remote_mute: RefCell::new((None, VecMap::new())),
            remote_volume: RefCell::new((None, VecMap::new())),
            autoplay: RefCell::new(None),
            options,
        })
    }

    pub fn emit(&self, name: &str, payload: &JsValue) {
        if !self.destroyed.get() {
            self.emitter.emit(name, payload);
        }
    }

    /// An emitter that does not keep the instance alive.
    pub fn emit_fn(&self) -> EmitFn {
        let me = self.me.clone();
        Rc::new(move |name: &str, payload: &JsValue| {
            if let Some(inner) = me.upgrade() {
                inner.emit(name, payload);
            }
        })
    }

    pub fn check_alive(&self, function_name: &str) -> Result<()> {
        if self.destroyed.get() {
            Err(RtcErrorInfo::destroyed(function_name).into())
        } else {
            Ok(())
        }
    }

    pub fn connection_state(&self, prev: &str, state: &str) {
        self.emit(
            event::CONNECTION_STATE_CHANGED,
            &object(&[("prevState", prev.into()), ("state", state.into())]),
        );
    }

    pub fn publish_state(&self, media: &str, state: &str, prev: &str, reason: Option<&str>) {
        let mut pairs = vec![
            ("mediaType", JsValue::from_str(media)),
            ("state", state.into()),
            ("prevState", prev.into()),
        ];
        if let Some(r) = reason {
            pairs.push(("reason", r.into()));
        }
        self.emit(event::PUBLISH_STATE_CHANGED, &object(&pairs));
    }

    /// (audio published, video published, audio muted, video muted) as the room should see it.
    pub fn local_publish_state(&self) -> (bool, bool, bool, bool) {
        let (audio, audio_muted) = self
            .audio
            .borrow()
            .as_ref()
            .map(|a| (a.publish, a.muted()))
            .unwrap_or((false, false));
        let (video, video_muted) = self
            .video
            .borrow()
            .as_ref()
            .map(|v| (v.publish, v.muted))
            .unwrap_or((false, false));
        (audio, video, audio_muted, video_muted)
    }

    /// The track to send for `kind`, if it is published.
    pub fn local_publish_track(&self, kind: MediaKind) -> Option<web_sys::MediaStreamTrack> {
        match kind {
            MediaKind::Audio => self
                .audio
                .borrow()
                .as_ref()
                .filter(|a| a.publish)
                .map(|a| a.graph.publish_track()),
            MediaKind::Video => self
                .video
                .borrow()
                .as_ref()
                .filter(|v| v.publish)
                .map(|v| Clone::clone(&v.track)),
        }
    }

    /// A remote user's received track (`null` when there is none).
    pub fn remote_track(&self, user_id: &str, kind: MediaKind) -> JsValue {
        self.room
            .borrow()
            .as_ref()
            .and_then(|c| {
                c.tracks
                    .borrow()
                    .get(&(user_id.to_string(), kind))
                    .map(|(t, _)| JsValue::from(Clone::clone(t)))
            })
            .unwrap_or(JsValue::NULL)
    }

    pub fn remote_audio_muted(&self, user_id: &str) -> bool {
        let m = self.remote_mute.borrow();
        m.1.get(user_id).copied().or(m.0).unwrap_or(false)
    }

    pub fn remote_audio_volume(&self, user_id: &str) -> f64 {
        let v = self.remote_volume.borrow();
        v.1.get(user_id).copied().or(v.0).unwrap_or(100.0)
    }

    /// How long the SDK tries to get back into a room after losing the connection:
    /// `TRTC.create({ reconnectTimeout })` in ms, 60 s by default.
    pub fn reconnect_give_up_ms(&self) -> f64 {
        get(&self.options, "reconnectTimeout")
            .as_f64()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .unwrap_or(trtc_core::reconnect::DEFAULT_GIVE_UP_MS)
    }

    pub fn current_speaker(&self) -> Option<String> {
        SPEAKER.with(|s| s.borrow().clone())
    }

    pub fn enable_autoplay_dialog(&self) -> bool {
        let from_room = self
            .room
            .borrow()
            .as_ref()
            .map(|r| r.config.enable_autoplay_dialog);
        from_room.unwrap_or_else(|| {
            get(&self.options, "enableAutoPlayDialog")
                .as_bool()
                .unwrap_or(true)
        })
    }

    /// A remote stream could not play: tell the app and resume on the next user gesture.
    pub fn autoplay_failed(self: &Rc<Self>, user_id: &str, media: &str) {
        let dialog = self.enable_autoplay_dialog();
        let resume = {
            let mut slot = self.autoplay.borrow_mut();
            let a = slot
                .get_or_insert_with(|| crate::autoplay::Autoplay::new(Rc::downgrade(self), dialog));
            a.resume_function()
        };
        self.emit(
            event::AUTOPLAY_FAILED,
            &object(&[
                ("userId", JsValue::from_str(user_id)),
                ("mediaType", media.into()),
                ("resume", resume),
            ]),
        );
    }

    /// Plays every remote stream again (after a gesture, or `resume()`); drops the prompt.
    pub fn resume_playback(&self) {
        if let Some(conn) = self.room.borrow().as_ref() {
            room::resume_all(conn);
        }
        if let Some(ctx) = crate::audio::existing_context() {
            crate::audio::resume(&ctx);
        }
        // Dropped outside the gesture listener that may be running now.
        let done = self.autoplay.borrow_mut().take();
        if let Some(done) = done {
            wasm_bindgen_futures::spawn_local(async move { drop(done) });
        }
    }

    /// The analysis window for the current evaluation interval.
    pub fn volume_window(&self) -> u32 {
        let interval = self
            .volume
            .borrow()
            .as_ref()
            .map(|v| v.interval_ms)
            .unwrap_or(volume::DEFAULT_INTERVAL_MS as u32);
        let rate = crate::audio::sample_rate().unwrap_or(48000.0);
        volume::analysis_window(rate, interval)
    }

    fn volume_tick(&self) {
        if self.destroyed.get() {
            return;
        }
        let in_background = self
            .volume
            .borrow()
            .as_ref()
            .map(|v| v.in_background)
            .unwrap_or(false);
        let hidden = devices::window()
            .document()
            .map(|d| d.hidden())
            .unwrap_or(false);
        if !volume::should_emit(hidden, in_background) {
            return;
        }
        let mut entries = Vec::new();
        if let Some(la) = self.audio.borrow().as_ref() {
            entries.push(VolumeEntry::new("", la.level()));
        }
        if let Some(conn) = self.room.borrow().as_ref() {
            for (user, level) in room::remote_levels(conn) {
                entries.push(VolumeEntry::new(&user, level));
            }
        }
        volume::sort_loudest_first(&mut entries);
        let result = js_sys::Array::new();
        for e in &entries {
            result.push(&object(&[
                ("userId", JsValue::from_str(&e.user_id)),
                ("volume", e.volume.into()),
                ("floatVolume", e.float_volume.into()),
            ]));
        }
        self.emit(event::AUDIO_VOLUME, &object(&[("result", result.into())]));
    }

    fn destroy(&self) {
        if self.destroyed.replace(true) {
            return;
        }
        self.emitter.clear();
        self.volume.borrow_mut().take();
        if let Some(me) = self.me.upgrade() {
            room::exit(&me);
        }
        let autoplay = self.autoplay.borrow_mut().take();
        drop(autoplay);
        let video = self.video.borrow_mut().take();
        if let Some(v) = &video {
            v.release();
        }
        drop(video);
        let audio = self.audio.borrow_mut().take();
        if let Some(a) = &audio {
            a.release();
        }
        drop(audio);
        self.video_queue.abort_all("client was destroyed");
        self.audio_queue.abort_all("client was destroyed");
        LIVE.with(|l| {
            l.borrow_mut()
                .retain(|w| w.strong_count() > 0 && !std::ptr::eq(w.as_ptr(), self))
        });
    }
}

type BoxedCall = std::pin::Pin<Box<dyn Future<Output = Result<JsValue>>>>;

/// The promise of an async API call. Boxing first keeps one copy of the promise machinery in
/// the wasm instead of one per method.
fn promise<F>(fut: F) -> js_sys::Promise
where
    F: Future<Output = Result<JsValue>> + 'static,
{
    settle(Box::pin(fut))
}

fn settle(fut: BoxedCall) -> js_sys::Promise {
    future_to_promise(async move { fut.await.map_err(|f| f.to_js()) })
}

fn promise_unit<F>(fut: F) -> js_sys::Promise
where
    F: Future<Output = Result<()>> + 'static,
{
    settle(Box::pin(
        async move { fut.await.map(|_| JsValue::UNDEFINED) },
    ))
}

fn throw(f: Failure) -> JsValue {
    f.to_js()
}

/// The `TRTC` class. Create instances with `TRTC.create()`.
#[wasm_bindgen(js_name = TRTC)]
pub struct Trtc {
    inner: Rc<Inner>,
}

/// The exported class object itself (reached through a throwaway instance).
pub fn class_object() -> JsValue {
    let probe: JsValue = Trtc {
        inner: Inner::new(JsValue::UNDEFINED),
    }
    .into();
    let ctor = crate::js::constructor_of(&probe);
    if let Ok(free) = js_sys::Reflect::get(&probe, &"free".into()) {
        if let Some(f) = free.dyn_ref::<js_sys::Function>() {
            let _ = f.call0(&probe);
        }
    }
    ctor
}

#[wasm_bindgen(js_class = TRTC)]
impl Trtc {
    /// `TRTC.create(options?)`: a new instance, synchronously.
    pub fn create(options: JsValue) -> Trtc {
        crate::install();
        let inner = Inner::new(options);
        LIVE.with(|l| {
            let mut l = l.borrow_mut();
            l.retain(|w| w.strong_count() > 0);
            l.push(Rc::downgrade(&inner));
        });
        crate::log::info(&format!(
            "trtc-wasm {} created an instance",
            env!("CARGO_PKG_VERSION")
        ));
        Trtc { inner }
    }

    /// `TRTC.setLogLevel(level, enableUploadLog?)`: 0 TRACE … 5 NONE.
    #[wasm_bindgen(js_name = setLogLevel)]
    pub fn set_log_level(level: JsValue, _enable_upload_log: JsValue) {
        match level.as_f64().and_then(LogLevel::from_number) {
            Some(l) => crate::log::set_level(l),
            None => crate::log::warn(&format!(
                "setLogLevel: level must be 0 (TRACE) to 5 (NONE), received {level:?}; the level is unchanged"
            )),
        }
    }

    /// `TRTC.isSupported()` → `{result, detail}`.
    #[wasm_bindgen(js_name = isSupported)]
    pub fn is_supported() -> js_sys::Promise {
        promise(async { Ok(devices::support_object()) })
    }

    #[wasm_bindgen(js_name = getCameraList)]
    pub fn get_camera_list(request_permission: JsValue) -> js_sys::Promise {
        device_list("getCameraList", "videoinput", request_permission)
    }

    #[wasm_bindgen(js_name = getMicrophoneList)]
    pub fn get_microphone_list(request_permission: JsValue) -> js_sys::Promise {
        device_list("getMicrophoneList", "audioinput", request_permission)
    }

    #[wasm_bindgen(js_name = getSpeakerList)]
    pub fn get_speaker_list(request_permission: JsValue) -> js_sys::Promise {
        device_list("getSpeakerList", "audiooutput", request_permission)
    }

    /// `TRTC.setCurrentSpeaker(speakerId)`: the output for every instance's playback.
    #[wasm_bindgen(js_name = setCurrentSpeaker)]
    pub fn set_current_speaker(speaker_id: JsValue) -> js_sys::Promise {
        promise_unit(async move {
            const F: &str = "setCurrentSpeaker";
            validate(&rules::SPEAKER_ID, &to_value(&speaker_id), F)?;
            let id = speaker_id.as_string().unwrap_or_default();
            let outputs = devices::list("audiooutput", false).await;
            let Some(device) = outputs
                .into_iter()
                .find(|d| get(d, "deviceId").as_string().as_deref() == Some(&id))
            else {
                return Err(devices::speaker_not_found(&id));
            };
            SPEAKER.with(|s| *s.borrow_mut() = Some(id.clone()));
            if let Ok(ctx) = crate::audio::context() {
                if let Some(f) = get(&ctx, "setSinkId").dyn_ref::<js_sys::Function>() {
                    let _ = f.call1(&ctx, &JsValue::from_str(&id));
                }
            }
            let live: Vec<Rc<Inner>> =
                LIVE.with(|l| l.borrow().iter().filter_map(|w| w.upgrade()).collect());
            for inner in live {
                inner.emit(
                    event::DEVICE_CHANGED,
                    &object(&[
                        ("type", "speaker".into()),
                        ("action", "active".into()),
                        ("device", device.clone()),
                    ]),
                );
            }
            Ok(())
        })
    }

    /// `TRTC.getPermissions({request = true, types = ['camera', 'microphone']})`.
    #[wasm_bindgen(js_name = getPermissions)]
    pub fn get_permissions(option: JsValue) -> js_sys::Promise {
        promise(async move {
            validate(
                &rules::GET_PERMISSIONS,
                &to_value(&option),
                "getPermissions",
            )?;
            let request = get(&option, "request").as_bool().unwrap_or(true);
            let types = match to_value(&get(&option, "types")) {
                Value::Array(items) => items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                _ => vec!["camera".to_string(), "microphone".to_string()],
            };
            let types: Vec<&str> = types.iter().map(String::as_str).collect();
            Ok(devices::permissions(request, &types).await)
        })
    }

    /// `on(event, handler, context?)`; returns `this`.
    pub fn on(
        &self,
        event: JsValue,
        handler: JsValue,
        context: JsValue,
    ) -> std::result::Result<(), JsValue> {
        self.add_listener_impl("on", event, handler, context, false)
    }

    /// `once(event, handler, context?)`: called at most once; returns `this`.
    pub fn once(
        &self,
        event: JsValue,
        handler: JsValue,
        context: JsValue,
    ) -> std::result::Result<(), JsValue> {
        self.add_listener_impl("once", event, handler, context, true)
    }

    /// `addListener`: the same as `on`.
    #[wasm_bindgen(js_name = addListener)]
    pub fn add_listener(
        &self,
        event: JsValue,
        handler: JsValue,
        context: JsValue,
    ) -> std::result::Result<(), JsValue> {
        self.add_listener_impl("addListener", event, handler, context, false)
    }

    fn add_listener_impl(
        &self,
        function_name: &str,
        event: JsValue,
        handler: JsValue,
        context: JsValue,
        once: bool,
    ) -> std::result::Result<(), JsValue> {
        validate(&rules::EVENT_NAME, &to_value(&event), function_name)
            .map_err(|e| throw(e.into()))?;
        validate(&rules::HANDLER, &to_value(&handler), function_name)
            .map_err(|e| throw(e.into()))?;
        if self.inner.destroyed.get() {
            crate::log::warn(&format!("{function_name}() after destroy() is ignored"));
            return Ok(());
        }
        let name = event.as_string().unwrap_or_default();
        self.inner
            .emitter
            .on(&name, handler.unchecked_into(), context, once);
        Ok(())
    }

    /// `off(event | '*', handler?, context?)`; returns `this`.
    pub fn off(&self, event: JsValue, handler: JsValue, context: JsValue) {
        let Some(name) = event.as_string() else {
            return;
        };
        self.inner
            .emitter
            .off(&name, handler.dyn_ref::<js_sys::Function>(), &context);
    }

    /// `removeListener`: the same as `off`.
    #[wasm_bindgen(js_name = removeListener)]
    pub fn remove_listener(&self, event: JsValue, handler: JsValue, context: JsValue) {
        self.off(event, handler, context)
    }

    /// `removeAllListeners(event?)`: every handler of `event`, or all.
    #[wasm_bindgen(js_name = removeAllListeners)]
    pub fn remove_all_listeners(&self, event: JsValue) {
        match event.as_string() {
            Some(name) => self.inner.emitter.off(&name, None, &JsValue::UNDEFINED),
            None => self.inner.emitter.clear(),
        }
    }

    /// `listeners(event)`: the handlers of `event`.
    pub fn listeners(&self, event: JsValue) -> js_sys::Array {
        let name = event.as_string().unwrap_or_default();
        self.inner.emitter.listeners(&name).into_iter().collect()
    }

    /// `listenerCount(event)`.
    #[wasm_bindgen(js_name = listenerCount)]
    pub fn listener_count(&self, event: JsValue) -> u32 {
        let name = event.as_string().unwrap_or_default();
        self.inner.emitter.listeners(&name).len() as u32
    }

    /// `eventNames()`: the events that have handlers.
    #[wasm_bindgen(js_name = eventNames)]
    pub fn event_names(&self) -> js_sys::Array {
        self.inner
            .emitter
            .event_names()
            .into_iter()
            .map(JsValue::from)
            .collect()
    }

    /// `emit(event, payload)`: calls the handlers of `event` (as eventemitter3 does).
    pub fn emit(&self, event: JsValue, payload: JsValue) -> bool {
        let Some(name) = event.as_string() else {
            return false;
        };
        let had = !self.inner.emitter.listeners(&name).is_empty();
        self.inner.emit(&name, &payload);
        had
    }

    /// Stops capture, removes every element and listener; later calls fail with 5100.
    pub fn destroy(&self) {
        self.inner.destroy();
    }

    #[wasm_bindgen(js_name = startLocalVideo)]
    pub fn start_local_video(&self, config: JsValue) -> js_sys::Promise {
        promise_unit(local_video::start(self.inner.clone(), config))
    }

    #[wasm_bindgen(js_name = updateLocalVideo)]
    pub fn update_local_video(&self, config: JsValue) -> js_sys::Promise {
        promise_unit(local_video::update(self.inner.clone(), config))
    }

    #[wasm_bindgen(js_name = stopLocalVideo)]
    pub fn stop_local_video(&self) -> js_sys::Promise {
        promise_unit(local_video::stop(self.inner.clone()))
    }

    #[wasm_bindgen(js_name = startLocalAudio)]
    pub fn start_local_audio(&self, config: JsValue) -> js_sys::Promise {
        promise_unit(local_audio::start(self.inner.clone(), config))
    }

    #[wasm_bindgen(js_name = updateLocalAudio)]
    pub fn update_local_audio(&self, config: JsValue) -> js_sys::Promise {
        promise_unit(local_audio::update(self.inner.clone(), config))
    }

    #[wasm_bindgen(js_name = stopLocalAudio)]
    pub fn stop_local_audio(&self) -> js_sys::Promise {
        promise_unit(local_audio::stop(self.inner.clone()))
    }

    /// `enterRoom(params)`: joins a room on the server; resolves once joined.
    #[wasm_bindgen(js_name = enterRoom)]
    pub fn enter_room(&self, params: JsValue) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise_unit(async move {
            const F: &str = "enterRoom";
            inner.check_alive(F)?;
            let v = to_value(&params);
            trtc_core::room::validate_params(&v)?;
            if inner.room.borrow().is_some() {
                return Err(RtcErrorInfo::new(
                    trtc_core::error::ErrorCode::InvalidOperation,
                    Some(trtc_core::error::extra::REPEAT_CALL),
                    F,
                    "enterRoom() was called again while in a room (or entering one); call exitRoom() first.",
                )
                .into());
            }
            let mut config = trtc_core::room::parse(&v)?;
            if config.websocket_proxy.is_none() {
                // `TRTC.create({proxy})` sets the server for every room of this instance.
                let p = get(&inner.options, "proxy");
                config.websocket_proxy = p
                    .as_string()
                    .or_else(|| get(&p, "websocketProxy").as_string());
            }
            room::enter(inner, config).await
        })
    }

    /// `exitRoom()`: leaves the room; local capture keeps running. Resolves when not in a room.
    #[wasm_bindgen(js_name = exitRoom)]
    pub fn exit_room(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise_unit(async move {
            inner.check_alive("exitRoom")?;
            room::exit(&inner);
            Ok(())
        })
    }

    /// `startRemoteVideo({userId, streamType, view, option: {fillMode, mirror}})`.
    #[wasm_bindgen(js_name = startRemoteVideo)]
    pub fn start_remote_video(&self, config: JsValue) -> js_sys::Promise {
        promise_unit(remote_video(self.inner.clone(), config, "startRemoteVideo"))
    }

    /// `updateRemoteVideo(config)`: new views, fill mode or mirror for a playing remote video.
    #[wasm_bindgen(js_name = updateRemoteVideo)]
    pub fn update_remote_video(&self, config: JsValue) -> js_sys::Promise {
        promise_unit(remote_video(
            self.inner.clone(),
            config,
            "updateRemoteVideo",
        ))
    }

    /// `stopRemoteVideo({userId | '*', streamType})`.
    #[wasm_bindgen(js_name = stopRemoteVideo)]
    pub fn stop_remote_video(&self, config: JsValue) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise_unit(async move {
            const F: &str = "stopRemoteVideo";
            inner.check_alive(F)?;
            validate(&rules::STOP_REMOTE_VIDEO, &to_value(&config), F)?;
            let user_id = get(&config, "userId").as_string().unwrap_or_default();
            if user_id != "*" && get(&config, "streamType").is_undefined() {
                return Err(RtcErrorInfo::invalid_parameter(
                    trtc_core::error::extra::INVALID_STREAM_TYPE,
                    F,
                    "'streamType' is required when 'userId' is not '*' when calling stopRemoteVideo().",
                )
                .into());
            }
            let Some(conn) = inner.room.borrow().clone() else {
                return Ok(());
            };
            let users: Vec<String> = if user_id == "*" {
                conn.videos.borrow().keys().cloned().collect()
            } else {
                vec![user_id]
            };
            for u in users {
                let v = conn.videos.borrow_mut().remove(&u);
                if v.is_some() {
                    conn.send(&trtc_proto::ClientMsg::Subscribe {
                        user_id: u,
                        kind: MediaKind::Video,
                        on: false,
                    });
                }
                drop(v);
            }
            Ok(())
        })
    }

    /// `muteRemoteAudio(userId | '*', mute)`: works before entering; resets on exit.
    #[wasm_bindgen(js_name = muteRemoteAudio)]
    pub fn mute_remote_audio(&self, user_id: JsValue, mute: JsValue) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise_unit(async move {
            const F: &str = "muteRemoteAudio";
            inner.check_alive(F)?;
            validate(&rules::REMOTE_USER_ID, &to_value(&user_id), F)?;
            validate(&rules::MUTE, &to_value(&mute), F)?;
            let user_id = user_id.as_string().unwrap_or_default();
            let mute = mute.as_bool().unwrap_or(false);
            {
                let mut m = inner.remote_mute.borrow_mut();
                if user_id == "*" {
                    m.0 = Some(mute);
                    m.1.clear();
                } else {
                    m.1.insert(user_id.clone(), mute);
                }
            }
            let Some(conn) = inner.room.borrow().clone() else {
                return Ok(());
            };
            let users: Vec<String> = if user_id == "*" {
                conn.remote.borrow().ids()
            } else {
                vec![user_id]
            };
            for u in users {
                let available = conn
                    .remote
                    .borrow()
                    .get(&u)
                    .map(|s| s.audio)
                    .unwrap_or(false);
                if let Some(a) = conn.audios.borrow().get(&u) {
                    a.apply(inner.remote_audio_volume(&u), mute);
                }
                if available && conn.config.auto_receive_audio || !mute {
                    conn.send(&trtc_proto::ClientMsg::Subscribe {
                        user_id: u.clone(),
                        kind: MediaKind::Audio,
                        on: !mute,
                    });
                    if !mute {
                        room::attach_audio(&inner, &conn, &u);
                    }
                }
            }
            Ok(())
        })
    }

    /// `setRemoteAudioVolume(userId | '*', volume)`: 0..100 attenuates, above 100 amplifies.
    #[wasm_bindgen(js_name = setRemoteAudioVolume)]
    pub fn set_remote_audio_volume(
        &self,
        user_id: JsValue,
        volume: JsValue,
    ) -> std::result::Result<(), JsValue> {
        const F: &str = "setRemoteAudioVolume";
        validate(&rules::REMOTE_USER_ID, &to_value(&user_id), F).map_err(|e| throw(e.into()))?;
        validate(&rules::REMOTE_VOLUME, &to_value(&volume), F).map_err(|e| throw(e.into()))?;
        let user_id = user_id.as_string().unwrap_or_default();
        let volume = volume.as_f64().unwrap_or(100.0);
        {
            let mut v = self.inner.remote_volume.borrow_mut();
            if user_id == "*" {
                v.0 = Some(volume);
                v.1.clear();
            } else {
                v.1.insert(user_id.clone(), volume);
            }
        }
        if let Some(conn) = self.inner.room.borrow().as_ref() {
            for (u, a) in conn.audios.borrow().iter() {
                if user_id == "*" || *u == user_id {
                    a.apply(volume, self.inner.remote_audio_muted(u));
                }
            }
        }
        Ok(())
    }

    /// `getVideoSnapshot({userId?, streamType?})`: a PNG data URL of the video as shown now;
    /// `''` when it is not playing.
    #[wasm_bindgen(js_name = getVideoSnapshot)]
    pub fn get_video_snapshot(&self, config: JsValue) -> String {
        let user_id = get(&config, "userId").as_string().unwrap_or_default();
        if get(&config, "streamType")
            .as_string()
            .is_some_and(|s| s != "main")
        {
            return String::new();
        }
        if user_id.is_empty() {
            return self
                .inner
                .video
                .borrow()
                .as_ref()
                .and_then(|v| v.views.first().map(|view| view.snapshot()))
                .unwrap_or_default();
        }
        let conn = self.inner.room.borrow().clone();
        conn.and_then(|c| {
            c.videos
                .borrow()
                .get(&user_id)
                .and_then(|v| v.views.first().map(|view| view.snapshot()))
        })
        .unwrap_or_default()
    }

    /// `switchRole(role, option?)`: not available yet.
    #[wasm_bindgen(js_name = switchRole)]
    pub fn switch_role(&self, role: JsValue, _option: JsValue) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise_unit(async move {
            const F: &str = "switchRole";
            inner.check_alive(F)?;
            validate(&rules::ROLE, &to_value(&role), F)?;
            let Some(conn) = inner.room.borrow().clone() else {
                return Err(RtcErrorInfo::new(
                    trtc_core::error::ErrorCode::InvalidOperation,
                    Some(trtc_core::error::extra::NOT_JOINED),
                    F,
                    "switchRole() needs a room: call it after enterRoom().",
                )
                .into());
            };
            let role = if role.as_string().as_deref() == Some("audience") {
                trtc_proto::Role::Audience
            } else {
                trtc_proto::Role::Anchor
            };
            room::switch_role(&inner, &conn, role);
            Ok(())
        })
    }

    /// `switchRoom(params)`: not available yet.
    #[wasm_bindgen(js_name = switchRoom)]
    pub fn switch_room(&self, _params: JsValue) -> js_sys::Promise {
        not_yet(
            "switchRoom",
            "switching rooms (call exitRoom() then enterRoom())",
        )
    }

    /// `startScreenShare(config?)`: not available yet.
    #[wasm_bindgen(js_name = startScreenShare)]
    pub fn start_screen_share(&self, _config: JsValue) -> js_sys::Promise {
        not_yet("startScreenShare", "screen sharing")
    }

    /// `updateScreenShare(config)`: not available yet.
    #[wasm_bindgen(js_name = updateScreenShare)]
    pub fn update_screen_share(&self, _config: JsValue) -> js_sys::Promise {
        not_yet("updateScreenShare", "screen sharing")
    }

    /// `stopScreenShare()`: resolves (nothing can be shared yet).
    #[wasm_bindgen(js_name = stopScreenShare)]
    pub fn stop_screen_share(&self) -> js_sys::Promise {
        js_sys::Promise::resolve(&JsValue::UNDEFINED)
    }

    /// `startPlugin(name, options?)`: no plugins yet.
    #[wasm_bindgen(js_name = startPlugin)]
    pub fn start_plugin(&self, name: JsValue, _options: JsValue) -> js_sys::Promise {
        plugin_not_yet("startPlugin", &name)
    }

    /// `updatePlugin(name, options?)`: no plugins yet.
    #[wasm_bindgen(js_name = updatePlugin)]
    pub fn update_plugin(&self, name: JsValue, _options: JsValue) -> js_sys::Promise {
        plugin_not_yet("updatePlugin", &name)
    }

    /// `stopPlugin(name, options?)`: no plugins yet.
    #[wasm_bindgen(js_name = stopPlugin)]
    pub fn stop_plugin(&self, name: JsValue, _options: JsValue) -> js_sys::Promise {
        plugin_not_yet("stopPlugin", &name)
    }

    /// `use(plugin)`: no plugins yet; throws.
    #[wasm_bindgen(js_name = use)]
    pub fn use_plugin(&self, plugin: JsValue) -> std::result::Result<(), JsValue> {
        let name = get(&plugin, "Name")
            .as_string()
            .or_else(|| get(&get(&plugin, "plugin"), "Name").as_string());
        Err(plugin_error("use", name.as_deref().unwrap_or("?")).to_js())
    }

    /// `sendSEIMessage(buffer, options?)`: not available yet; returns a rejected promise as
    /// trtc-sdk-v5 does for its validation errors.
    #[wasm_bindgen(js_name = sendSEIMessage)]
    pub fn send_sei_message(&self, _buffer: JsValue, _options: JsValue) -> js_sys::Promise {
        not_yet("sendSEIMessage", "SEI messages")
    }

    /// `sendCustomMessage({cmdId, data})`: not available yet (rejected promise, as above).
    #[wasm_bindgen(js_name = sendCustomMessage)]
    pub fn send_custom_message(&self, _message: JsValue) -> js_sys::Promise {
        not_yet("sendCustomMessage", "custom messages")
    }

    /// `callExperimentalAPI(name, options?)`: an unknown name rejects with 5000 as in
    /// trtc-sdk-v5; the known ones are not available yet.
    #[wasm_bindgen(js_name = callExperimentalAPI)]
    pub fn call_experimental_api(&self, name: JsValue, _options: JsValue) -> js_sys::Promise {
        const KNOWN: &[&str] = &[
            "enableAudioFrameEvent",
            "resumeRemotePlayer",
            "pauseRemotePlayer",
            "requestPictureInPicture",
            "requestFullScreen",
            "switchPlaybackQuality",
            "preconnect",
        ];
        let n = name.as_string().unwrap_or_default();
        if !KNOWN.contains(&n.as_str()) {
            let e = RtcErrorInfo::invalid_parameter(
                trtc_core::error::extra::RANGE,
                "callExperimentalAPI",
                &format!("experimental api {n} does not exist."),
            );
            return js_sys::Promise::reject(&Failure::from(e).to_js());
        }
        not_yet(
            "callExperimentalAPI",
            &format!("the experimental API '{n}'"),
        )
    }

    /// `enableAudioVolumeEvaluation(interval = 2000, enableInBackground = false)`; throws on a
    /// non-number interval.
    #[wasm_bindgen(js_name = enableAudioVolumeEvaluation)]
    pub fn enable_audio_volume_evaluation(
        &self,
        interval: JsValue,
        enable_in_background: JsValue,
    ) -> std::result::Result<(), JsValue> {
        const F: &str = "enableAudioVolumeEvaluation";
        validate(&rules::VOLUME_INTERVAL, &to_value(&interval), F).map_err(|e| throw(e.into()))?;
        validate(
            &rules::VOLUME_IN_BACKGROUND,
            &to_value(&enable_in_background),
            F,
        )
        .map_err(|e| throw(e.into()))?;
        self.inner.check_alive(F).map_err(throw)?;
        let requested = interval.as_f64().unwrap_or(volume::DEFAULT_INTERVAL_MS);
        let in_background = enable_in_background.as_bool().unwrap_or(false);
        let Some(ms) = volume::effective_interval(requested) else {
            self.inner.volume.borrow_mut().take();
            return Ok(());
        };
        let me = Rc::downgrade(&self.inner);
        let timer = gloo_timers::callback::Interval::new(ms, move || {
            if let Some(inner) = me.upgrade() {
                inner.volume_tick();
            }
        });
        let old = self.inner.volume.borrow_mut().replace(VolumeEval {
            interval_ms: ms,
            in_background,
            _timer: timer,
        });
        drop(old);
        let window = self.inner.volume_window();
        if let Some(la) = self.inner.audio.borrow().as_ref() {
            la.graph.set_window(window);
        }
        if let Some(conn) = self.inner.room.borrow().as_ref() {
            room::set_meter_window(conn, window);
        }
        Ok(())
    }

    /// `getAudioTrack(userId | {userId, streamType})`: the local microphone for `''`/none.
    #[wasm_bindgen(js_name = getAudioTrack)]
    pub fn get_audio_track(&self, config: JsValue) -> JsValue {
        let (user_id, stream_type) = if let Some(s) = config.as_string() {
            (s, "main".to_string())
        } else {
            (
                get(&config, "userId").as_string().unwrap_or_default(),
                get(&config, "streamType")
                    .as_string()
                    .unwrap_or_else(|| "main".into()),
            )
        };
        if stream_type != "main" {
            return JsValue::NULL;
        }
        if !user_id.is_empty() {
            return self.inner.remote_track(&user_id, MediaKind::Audio);
        }
        self.inner
            .audio
            .borrow()
            .as_ref()
            .and_then(|a| a.track.clone())
            .map(JsValue::from)
            .unwrap_or(JsValue::NULL)
    }

    /// `getVideoTrack({userId, streamType})`: the local camera for `''`/none.
    #[wasm_bindgen(js_name = getVideoTrack)]
    pub fn get_video_track(&self, config: JsValue) -> JsValue {
        let user_id = get(&config, "userId").as_string().unwrap_or_default();
        let stream_type = get(&config, "streamType")
            .as_string()
            .unwrap_or_else(|| "main".into());
        if stream_type != "main" {
            return JsValue::NULL;
        }
        if !user_id.is_empty() {
            return self.inner.remote_track(&user_id, MediaKind::Video);
        }
        self.inner
            .video
            .borrow()
            .as_ref()
            .map(|v| JsValue::from(Clone::clone(&v.track)))
            .unwrap_or(JsValue::NULL)
    }
}

async fn remote_video(
    inner: Rc<Inner>,
    config: JsValue,
    function_name: &'static str,
) -> Result<()> {
    use trtc_core::error::{extra, ErrorCode};
    inner.check_alive(function_name)?;
    let v = to_value(&config);
    validate(&rules::REMOTE_VIDEO, &v, function_name)?;
    let conn = inner.room.borrow().clone().filter(|c| c.is_joined());
    let Some(conn) = conn else {
        return Err(RtcErrorInfo::new(
            ErrorCode::InvalidOperation,
            Some(extra::NOT_JOINED),
            function_name,
            &format!("{function_name}() needs a joined room: call it after enterRoom() resolves."),
        )
        .into());
    };
    let user_id = v.get("userId").as_str().unwrap_or_default().to_string();
    let streams = conn.remote.borrow().get(&user_id);
    let Some(streams) = streams.filter(|s| s.video) else {
        return Err(RtcErrorInfo::new(
            ErrorCode::InvalidOperation,
            Some(extra::REMOTE_USER_NOT_EXIST),
            function_name,
            &format!("{function_name}() failed: user '{user_id}' does not publish video now. Call it after REMOTE_VIDEO_AVAILABLE."),
        )
        .into());
    };
    let _ = streams;
    if v.get("streamType").as_str() != Some("main") {
        return Err(RtcErrorInfo::new(
            ErrorCode::InvalidOperation,
            Some(extra::STREAM_TYPE_NOT_EXIST),
            function_name,
            &format!("{function_name}() failed: user '{user_id}' has no 'sub' stream (screen sharing is not supported yet)."),
        )
        .into());
    }
    let view_arg = match v.get("view") {
        trtc_core::value::Value::Undefined => trtc_core::config::ViewArg::Unset,
        trtc_core::value::Value::Null => trtc_core::config::ViewArg::Null,
        trtc_core::value::Value::String(s) => trtc_core::config::ViewArg::Id(s.clone()),
        _ => trtc_core::config::ViewArg::Elements,
    };
    let containers = local_video::resolve_views(&view_arg, &config, function_name)?;
    let fill = trtc_core::config::FillMode::parse_str(v.get("option").get("fillMode").as_str());
    let mirror = v.get("option").get("mirror").as_bool();
    let is_update = function_name == "updateRemoteVideo";
    let old = {
        let mut videos = conn.videos.borrow_mut();
        if is_update && !videos.contains_key(&user_id) {
            return Err(RtcErrorInfo::abort(function_name, "not started").into());
        }
        let entry = videos.get_or_insert_with(user_id.clone(), || room::RemoteVideo {
            containers: Vec::new(),
            fill: trtc_core::config::FillMode::Cover,
            mirror: false,
            views: Vec::new(),
        });
        if let Some(f) = fill {
            entry.fill = f;
            entry.views.iter().for_each(|view| view.set_fill(f));
        }
        if let Some(m) = mirror {
            entry.mirror = m;
            entry.views.iter().for_each(|view| view.set_mirror(m));
        }
        match containers {
            Some(list) => {
                entry.containers = list;
                std::mem::take(&mut entry.views)
            }
            None => Vec::new(),
        }
    };
    drop(old);
    if !is_update {
        conn.send(&trtc_proto::ClientMsg::Subscribe {
            user_id: user_id.clone(),
            kind: MediaKind::Video,
            on: true,
        });
    }
    room::render_video(&inner, &conn, &user_id);
    Ok(())
}

/// A rejection for a trtc-sdk-v5 method this SDK does not provide yet.
fn not_yet(function_name: &str, what: &str) -> js_sys::Promise {
    let e = RtcErrorInfo::new(
        trtc_core::error::ErrorCode::EnvNotSupported,
        None,
        function_name,
        &format!(
            "{function_name}() is not available in trtc-wasm yet: {what} is not implemented (see the README's 'Not done yet')."
        ),
    );
    js_sys::Promise::reject(&Failure::from(e).to_js())
}

fn plugin_error(function_name: &str, plugin: &str) -> Failure {
    RtcErrorInfo::new(
        trtc_core::error::ErrorCode::EnvNotSupported,
        Some(trtc_core::error::extra::NOT_SUPPORTED_PLUGIN),
        function_name,
        &format!("{function_name}() failed: plugin '{plugin}' is not available in trtc-wasm (no plugins are supported yet)."),
    )
    .into()
}

fn plugin_not_yet(function_name: &str, name: &JsValue) -> js_sys::Promise {
    let plugin = name.as_string().unwrap_or_else(|| "?".into());
    js_sys::Promise::reject(&plugin_error(function_name, &plugin).to_js())
}

fn device_list(
    function_name: &'static str,
    kind: &'static str,
    request_permission: JsValue,
) -> js_sys::Promise {
    promise(async move {
        validate(
            &rules::REQUEST_PERMISSION,
            &to_value(&request_permission),
            function_name,
        )?;
        let request = request_permission.as_bool().unwrap_or(true);
        let list = devices::list(kind, request).await;
        Ok(list.into_iter().collect::<js_sys::Array>().into())
    })
}
