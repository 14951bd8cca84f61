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
use crate::value::{get, object, to_value};
use crate::view::EmitFn;

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
    #[allow(dead_code)]
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

fn promise<F>(fut: F) -> js_sys::Promise
where
    F: Future<Output = Result<JsValue>> + 'static,
{
    future_to_promise(async move { fut.await.map_err(|f| f.to_js()) })
}

fn promise_unit<F>(fut: F) -> js_sys::Promise
where
    F: Future<Output = Result<()>> + 'static,
{
    promise(async move { fut.await.map(|_| JsValue::UNDEFINED) })
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
        validate(&rules::EVENT_NAME, &to_value(&event), "on").map_err(|e| throw(e.into()))?;
        validate(&rules::HANDLER, &to_value(&handler), "on").map_err(|e| throw(e.into()))?;
        if self.inner.destroyed.get() {
            crate::log::warn("on() after destroy() is ignored");
            return Ok(());
        }
        let name = event.as_string().unwrap_or_default();
        self.inner
            .emitter
            .on(&name, handler.unchecked_into(), context);
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
        if !user_id.is_empty() || stream_type != "main" {
            return JsValue::NULL;
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
        if !user_id.is_empty() || stream_type != "main" {
            return JsValue::NULL;
        }
        self.inner
            .video
            .borrow()
            .as_ref()
            .map(|v| JsValue::from(Clone::clone(&v.track)))
            .unwrap_or(JsValue::NULL)
    }
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
