//! The exported `TRTC` class: its instance methods. Each checks its arguments with
//! `trtc_core`'s validator and hands the call to the part of the instance ([`crate::sdk`]) that
//! carries it out; the static methods are in `api_static.rs`.

use std::future::Future;
use std::rc::Rc;
use trtc_core::client::{ExitCause, Input};
use trtc_core::config::{FillMode, ViewArg};
use trtc_core::error::{extra, ErrorCode, RtcErrorInfo};
use trtc_core::validate::{rules, validate};
use trtc_core::value::Value;
use trtc_core::volume;
use trtc_proto::MediaKind;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;

use crate::error::{Failure, Result};
use crate::local_audio;
use crate::local_screen;
use crate::local_video;
use crate::sdk::Sdk;
use crate::value::{get, to_value};

type BoxedCall = std::pin::Pin<Box<dyn Future<Output = Result<JsValue>>>>;

/// The promise of an async API call. Boxing first keeps one copy of the promise machinery in
/// the wasm instead of one per method.
pub(crate) fn promise<F>(fut: F) -> js_sys::Promise
where
    F: Future<Output = Result<JsValue>> + 'static,
{
    settle(Box::pin(fut))
}

fn settle(fut: BoxedCall) -> js_sys::Promise {
    future_to_promise(async move { fut.await.map_err(|f| f.to_js()) })
}

pub(crate) fn promise_unit<F>(fut: F) -> js_sys::Promise
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
    pub(crate) sdk: Rc<Sdk>,
}

/// The exported class object itself (reached through a throwaway instance).
pub fn class_object() -> JsValue {
    let probe: JsValue = Trtc {
        sdk: Sdk::new(JsValue::UNDEFINED),
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
        if self.sdk.events.is_destroyed() {
            crate::log::warn(&format!("{function_name}() after destroy() is ignored"));
            return Ok(());
        }
        let name = event.as_string().unwrap_or_default();
        self.sdk
            .events
            .emitter()
            .on(&name, handler.unchecked_into(), context, once);
        self.sdk.listening(&name);
        Ok(())
    }

    /// `off(event | '*', handler?, context?)`; returns `this`.
    pub fn off(&self, event: JsValue, handler: JsValue, context: JsValue) {
        let Some(name) = event.as_string() else {
            return;
        };
        self.sdk
            .events
            .emitter()
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
            Some(name) => self
                .sdk
                .events
                .emitter()
                .off(&name, None, &JsValue::UNDEFINED),
            None => self.sdk.events.emitter().clear(),
        }
    }

    /// `listeners(event)`: the handlers of `event`.
    pub fn listeners(&self, event: JsValue) -> js_sys::Array {
        let name = event.as_string().unwrap_or_default();
        self.sdk
            .events
            .emitter()
            .listeners(&name)
            .into_iter()
            .collect()
    }

    /// `listenerCount(event)`.
    #[wasm_bindgen(js_name = listenerCount)]
    pub fn listener_count(&self, event: JsValue) -> u32 {
        let name = event.as_string().unwrap_or_default();
        self.sdk.events.emitter().listeners(&name).len() as u32
    }

    /// `eventNames()`: the events that have handlers.
    #[wasm_bindgen(js_name = eventNames)]
    pub fn event_names(&self) -> js_sys::Array {
        self.sdk
            .events
            .emitter()
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
        let had = !self.sdk.events.emitter().listeners(&name).is_empty();
        self.sdk.events.emit(&name, &payload);
        had
    }

    /// Stops capture, removes every element and listener; later calls fail with 5100.
    pub fn destroy(&self) {
        self.sdk.destroy();
    }

    #[wasm_bindgen(js_name = startLocalVideo)]
    pub fn start_local_video(&self, config: JsValue) -> js_sys::Promise {
        promise_unit(local_video::start(self.sdk.local.clone(), config))
    }

    #[wasm_bindgen(js_name = updateLocalVideo)]
    pub fn update_local_video(&self, config: JsValue) -> js_sys::Promise {
        promise_unit(local_video::update(self.sdk.local.clone(), config))
    }

    #[wasm_bindgen(js_name = stopLocalVideo)]
    pub fn stop_local_video(&self) -> js_sys::Promise {
        promise_unit(local_video::stop(self.sdk.local.clone()))
    }

    #[wasm_bindgen(js_name = startLocalAudio)]
    pub fn start_local_audio(&self, config: JsValue) -> js_sys::Promise {
        promise_unit(local_audio::start(self.sdk.local.clone(), config))
    }

    #[wasm_bindgen(js_name = updateLocalAudio)]
    pub fn update_local_audio(&self, config: JsValue) -> js_sys::Promise {
        promise_unit(local_audio::update(self.sdk.local.clone(), config))
    }

    #[wasm_bindgen(js_name = stopLocalAudio)]
    pub fn stop_local_audio(&self) -> js_sys::Promise {
        promise_unit(local_audio::stop(self.sdk.local.clone()))
    }

    /// `enterRoom(params)`: joins a room on the server; resolves once joined.
    #[wasm_bindgen(js_name = enterRoom)]
    pub fn enter_room(&self, params: JsValue) -> js_sys::Promise {
        const F: &str = "enterRoom";
        let checked = (|| -> Result<trtc_core::room::EnterRoomConfig> {
            self.sdk.events.check_alive(F)?;
            let v = to_value(&params);
            trtc_core::room::validate_params(&v)?;
            if self.sdk.room.in_room() {
                return Err(trtc_core::client::repeat_enter().into());
            }
            let mut config = trtc_core::room::parse(&v)?;
            if config.websocket_proxy.is_none() {
                config.websocket_proxy = self.sdk.default_proxy();
            }
            let instance = trtc_core::room::create_ice(&to_value(&self.sdk.options))?;
            trtc_core::room::merge_ice(&v, &mut config.ice, instance);
            Ok(config)
        })();
        match checked {
            Ok(config) => self.sdk.room.enter(config, self.sdk.reconnect_give_up_ms()),
            Err(f) => js_sys::Promise::reject(&f.to_js()),
        }
    }

    /// `exitRoom()`: leaves the room; local capture keeps running. Resolves when not in a room.
    #[wasm_bindgen(js_name = exitRoom)]
    pub fn exit_room(&self) -> js_sys::Promise {
        if let Err(f) = self.sdk.events.check_alive("exitRoom") {
            return js_sys::Promise::reject(&f.to_js());
        }
        self.sdk.room.input(Input::Exit {
            op: None,
            cause: ExitCause::Api,
        });
        js_sys::Promise::resolve(&JsValue::UNDEFINED)
    }

    /// `startRemoteVideo({userId, streamType, view, option: {fillMode, mirror}})`.
    #[wasm_bindgen(js_name = startRemoteVideo)]
    pub fn start_remote_video(&self, config: JsValue) -> js_sys::Promise {
        promise_unit(remote_video(self.sdk.clone(), config, "startRemoteVideo"))
    }

    /// `updateRemoteVideo(config)`: new views, fill mode or mirror for a playing remote video.
    #[wasm_bindgen(js_name = updateRemoteVideo)]
    pub fn update_remote_video(&self, config: JsValue) -> js_sys::Promise {
        promise_unit(remote_video(self.sdk.clone(), config, "updateRemoteVideo"))
    }

    /// `stopRemoteVideo({userId | '*', streamType})`.
    #[wasm_bindgen(js_name = stopRemoteVideo)]
    pub fn stop_remote_video(&self, config: JsValue) -> js_sys::Promise {
        let sdk = self.sdk.clone();
        promise_unit(async move {
            const F: &str = "stopRemoteVideo";
            sdk.events.check_alive(F)?;
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
            let kind = if get(&config, "streamType").as_string().as_deref() == Some("sub") {
                MediaKind::SubVideo
            } else {
                MediaKind::Video
            };
            if user_id == "*" && get(&config, "streamType").is_undefined() {
                sdk.room.stop_video("*", MediaKind::SubVideo);
            }
            sdk.room.stop_video(&user_id, kind);
            Ok(())
        })
    }

    /// `muteRemoteAudio(userId | '*', mute)`: works before entering; resets on exit.
    #[wasm_bindgen(js_name = muteRemoteAudio)]
    pub fn mute_remote_audio(&self, user_id: JsValue, mute: JsValue) -> js_sys::Promise {
        let sdk = self.sdk.clone();
        promise_unit(async move {
            const F: &str = "muteRemoteAudio";
            sdk.events.check_alive(F)?;
            validate(&rules::REMOTE_USER_ID, &to_value(&user_id), F)?;
            validate(&rules::MUTE, &to_value(&mute), F)?;
            let user_id = user_id.as_string().unwrap_or_default();
            let mute = mute.as_bool().unwrap_or(false);
            sdk.room.mute_audio(&user_id, mute);
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
        self.sdk.room.set_volume(&user_id, volume);
        Ok(())
    }

    /// `getVideoSnapshot({userId?, streamType?})`: a PNG data URL of the video as shown now;
    /// `''` when it is not playing.
    #[wasm_bindgen(js_name = getVideoSnapshot)]
    pub fn get_video_snapshot(&self, config: JsValue) -> String {
        let user_id = get(&config, "userId").as_string().unwrap_or_default();
        let sub = match get(&config, "streamType").as_string().as_deref() {
            None | Some("main") => false,
            Some("sub") => true,
            Some(_) => return String::new(),
        };
        if user_id.is_empty() {
            let first = |views: &[crate::view::VideoView]| views.first().map(|v| v.snapshot());
            return if sub {
                self.sdk
                    .local
                    .screen
                    .borrow()
                    .as_ref()
                    .and_then(|s| first(&s.views))
            } else {
                self.sdk
                    .local
                    .video
                    .borrow()
                    .as_ref()
                    .and_then(|v| first(&v.views))
            }
            .unwrap_or_default();
        }
        self.sdk.room.snapshot(&user_id, sub)
    }

    /// `switchRole(role, option?)`: live scene; in the rtc scene it changes nothing.
    #[wasm_bindgen(js_name = switchRole)]
    pub fn switch_role(&self, role: JsValue, option: JsValue) -> js_sys::Promise {
        const F: &str = "switchRole";
        let checked = (|| -> Result<()> {
            self.sdk.events.check_alive(F)?;
            validate(&rules::ROLE, &to_value(&role), F)?;
            if !self.sdk.room.in_room() {
                return Err(RtcErrorInfo::new(
                    trtc_core::error::ErrorCode::InvalidOperation,
                    Some(trtc_core::error::extra::NOT_JOINED),
                    F,
                    "switchRole() needs a room: call it after enterRoom().",
                )
                .into());
            }
            Ok(())
        })();
        if let Err(f) = checked {
            return js_sys::Promise::reject(&f.to_js());
        }
        let role = if role.as_string().as_deref() == Some("audience") {
            trtc_proto::Role::Audience
        } else {
            trtc_proto::Role::Anchor
        };
        let key = get(&option, "privateMapKey")
            .as_string()
            .filter(|k| !k.is_empty());
        // Resolves once the server switched; a refusal (the key's rights) leaves the role.
        self.sdk.room.switch_role(role, key)
    }

    /// `switchRoom({userSig, roomId | strRoomId, privateMapKey?})`: leaves the room and enters
    /// another with the same options, without stopping capture: the local streams are published
    /// in the new room; the old room sees an exit, the new one an enter. Resolves once in the
    /// new room (it is exitRoom + enterRoom, the reference's own fallback).
    #[wasm_bindgen(js_name = switchRoom)]
    pub fn switch_room(&self, params: JsValue) -> js_sys::Promise {
        const F: &str = "switchRoom";
        let checked = (|| -> Result<trtc_core::room::EnterRoomConfig> {
            self.sdk.events.check_alive(F)?;
            let current = self.sdk.room.config();
            Ok(trtc_core::room::switch_room(
                current.as_ref(),
                &to_value(&params),
            )?)
        })();
        match checked {
            Ok(config) => {
                self.sdk.room.input(Input::Exit {
                    op: None,
                    cause: ExitCause::Api,
                });
                self.sdk.room.enter(config, self.sdk.reconnect_give_up_ms())
            }
            Err(f) => js_sys::Promise::reject(&f.to_js()),
        }
    }

    /// `startScreenShare(config?)`: shares a screen, window or tab (the sub stream, or the
    /// main one with `streamType: 'main'`).
    #[wasm_bindgen(js_name = startScreenShare)]
    pub fn start_screen_share(&self, config: JsValue) -> js_sys::Promise {
        promise_unit(local_screen::start(self.sdk.local.clone(), config))
    }

    /// `updateScreenShare(config)`: views, fill mode, publish, system audio mute, QoS.
    #[wasm_bindgen(js_name = updateScreenShare)]
    pub fn update_screen_share(&self, config: JsValue) -> js_sys::Promise {
        promise_unit(local_screen::update(self.sdk.local.clone(), config))
    }

    /// `stopScreenShare()`: resolves when nothing is shared.
    #[wasm_bindgen(js_name = stopScreenShare)]
    pub fn stop_screen_share(&self) -> js_sys::Promise {
        promise_unit(local_screen::stop(self.sdk.local.clone()))
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

    /// `sendSEIMessage(buffer, options?)`: sends `buffer` (1..1000 bytes) in the next frame of
    /// the published H.264 camera video (or the shared screen's, `toSubStream`), whose
    /// subscribers get `SEI_MESSAGE`. Returns nothing, or a rejected promise for a failed check
    /// (5207, 5108, the parameters, 5018, 5017, 5101, 5109), as trtc-sdk-v5 does; over 30 calls
    /// or 8000 bytes a second throws at once.
    #[wasm_bindgen(js_name = sendSEIMessage)]
    pub fn send_sei_message(
        &self,
        buffer: JsValue,
        options: JsValue,
    ) -> std::result::Result<JsValue, JsValue> {
        let bytes = buffer
            .dyn_ref::<js_sys::ArrayBuffer>()
            .map(|b| js_sys::Uint8Array::new(b).to_vec())
            .unwrap_or_default();
        let checked = self.sdk.events.check_alive("sendSEIMessage").and_then(|_| {
            Ok(trtc_core::client::check_sei(
                crate::sei::supported(),
                self.sdk.room.sei_enabled(),
                &to_value(&buffer),
                bytes.len(),
                &to_value(&options),
            )?)
        });
        let r = checked.and_then(|send| match self.sdk.room.send_sei(&send, bytes) {
            Ok(()) => Ok(None),
            Err(trtc_core::client::CustomRefused::Rejected(e)) => Err(Failure::from(e)),
            Err(trtc_core::client::CustomRefused::Thrown(m)) => Ok(Some(m)),
        });
        match r {
            Ok(None) => Ok(JsValue::UNDEFINED),
            Ok(Some(m)) => Err(js_sys::Error::new(&m).into()),
            Err(f) => Ok(js_sys::Promise::reject(&f.to_js()).into()),
        }
    }

    /// `sendCustomMessage({cmdId, data})`: sends `data` (1..1000 bytes) to everyone else in the
    /// room, who get `CUSTOM_MESSAGE`. Returns nothing, or a rejected promise for bad input or
    /// when not joined (5101) or an audience (5107), as trtc-sdk-v5 does; over 30 calls or 8000
    /// bytes a second throws at once.
    #[wasm_bindgen(js_name = sendCustomMessage)]
    pub fn send_custom_message(&self, message: JsValue) -> std::result::Result<JsValue, JsValue> {
        const F: &str = "sendCustomMessage";
        let data = get(&message, "data");
        let bytes = data
            .dyn_ref::<js_sys::ArrayBuffer>()
            .map(|b| js_sys::Uint8Array::new(b).to_vec())
            .unwrap_or_default();
        let checked = self.sdk.events.check_alive(F).and_then(|_| {
            Ok(trtc_core::client::check_custom_message(
                &to_value(&message),
                bytes.len(),
            )?)
        });
        let cmd_id = match checked {
            Ok(c) => c,
            Err(f) => return Ok(js_sys::Promise::reject(&f.to_js()).into()),
        };
        match self.sdk.room.send_custom(cmd_id, &bytes) {
            Ok(()) => Ok(JsValue::UNDEFINED),
            Err(trtc_core::client::CustomRefused::Rejected(e)) => {
                Ok(js_sys::Promise::reject(&Failure::from(e).to_js()).into())
            }
            Err(trtc_core::client::CustomRefused::Thrown(m)) => Err(js_sys::Error::new(&m).into()),
        }
    }

    /// `callExperimentalAPI(name, options?)` (reference §4.10): an unknown name rejects with
    /// 5000-series 5005 as in trtc-sdk-v5; bad options reject with the validator's error and
    /// change nothing.
    #[wasm_bindgen(js_name = callExperimentalAPI)]
    pub fn call_experimental_api(&self, name: JsValue, options: JsValue) -> js_sys::Promise {
        promise_unit(crate::api_experimental::run(
            self.sdk.clone(),
            name.as_string().unwrap_or_default(),
            options,
        ))
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
        self.sdk.events.check_alive(F).map_err(throw)?;
        let requested = interval.as_f64().unwrap_or(volume::DEFAULT_INTERVAL_MS);
        let in_background = enable_in_background.as_bool().unwrap_or(false);
        self.sdk
            .set_volume_evaluation(volume::effective_interval(requested), in_background);
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
        let Some(sub) = is_sub(&stream_type) else {
            return JsValue::NULL;
        };
        if !user_id.is_empty() {
            return self.sdk.room.remote_track(&user_id, kind_of(sub, false));
        }
        if sub {
            return self
                .sdk
                .local
                .screen
                .borrow()
                .as_ref()
                .and_then(|s| s.audio.clone())
                .map(JsValue::from)
                .unwrap_or(JsValue::NULL);
        }
        self.sdk
            .local
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
        let Some(sub) = is_sub(&stream_type) else {
            return JsValue::NULL;
        };
        if !user_id.is_empty() {
            return self.sdk.room.remote_track(&user_id, kind_of(sub, true));
        }
        if sub {
            return self
                .sdk
                .local
                .screen
                .borrow()
                .as_ref()
                .map(|s| JsValue::from(Clone::clone(&s.track)))
                .unwrap_or(JsValue::NULL);
        }
        self.sdk
            .local
            .video
            .borrow()
            .as_ref()
            .map(|v| JsValue::from(Clone::clone(&v.track)))
            .unwrap_or(JsValue::NULL)
    }
}

async fn remote_video(sdk: Rc<Sdk>, config: JsValue, function_name: &'static str) -> Result<()> {
    sdk.events.check_alive(function_name)?;
    let v = to_value(&config);
    validate(&rules::REMOTE_VIDEO, &v, function_name)?;
    if !sdk.room.is_joined() {
        return Err(RtcErrorInfo::new(
            ErrorCode::InvalidOperation,
            Some(extra::NOT_JOINED),
            function_name,
            &format!("{function_name}() needs a joined room: call it after enterRoom() resolves."),
        )
        .into());
    }
    let user_id = v.get("userId").as_str().unwrap_or_default().to_string();
    let (kind, stream) = match v.get("streamType").as_str() {
        Some("sub") => (MediaKind::SubVideo, "sub"),
        _ => (MediaKind::Video, "main"),
    };
    let Some(streams) = sdk.room.remote(&user_id) else {
        return Err(RtcErrorInfo::new(
            ErrorCode::InvalidOperation,
            Some(extra::REMOTE_USER_NOT_EXIST),
            function_name,
            &format!("{function_name}() failed: user '{user_id}' is not in the room or publishes nothing now. Call it after REMOTE_VIDEO_AVAILABLE."),
        )
        .into());
    };
    if !streams.get(kind) {
        let (code, what) = if streams.video || streams.sub_video {
            (
                extra::STREAM_TYPE_NOT_EXIST,
                format!("has no '{stream}' stream now"),
            )
        } else {
            (
                extra::REMOTE_USER_NOT_EXIST,
                "does not publish video now".into(),
            )
        };
        return Err(RtcErrorInfo::new(
            ErrorCode::InvalidOperation,
            Some(code),
            function_name,
            &format!("{function_name}() failed: user '{user_id}' {what}. Call it after REMOTE_VIDEO_AVAILABLE with streamType '{stream}'."),
        )
        .into());
    }
    let view_arg = match v.get("view") {
        Value::Undefined => ViewArg::Unset,
        Value::Null => ViewArg::Null,
        Value::String(s) => ViewArg::Id(s.clone()),
        _ => ViewArg::Elements,
    };
    let containers = local_video::resolve_views(&view_arg, &config, function_name)?;
    let fill = FillMode::parse_str(v.get("option").get("fillMode").as_str());
    let mirror = v.get("option").get("mirror").as_bool();
    let is_update = function_name == "updateRemoteVideo";
    let option = get(&config, "option");
    let extra = crate::room::ViewExtra {
        fill,
        mirror,
        poster: v.get("option").get("poster").as_str().map(str::to_string),
        visible_only: v.get("option").get("receiveWhenViewVisible").as_bool(),
        root: get(&option, "viewRoot").dyn_into().ok(),
    };
    // `option.small`: which of the user's camera streams to receive (before the subscription
    // starts); the sub stream (a shared screen) has no small one.
    if kind == MediaKind::Video {
        if let Some(small) = v.get("option").get("small").as_bool() {
            sdk.room.set_remote_small(&user_id, small);
        }
    }
    if !sdk
        .room
        .start_video(&user_id, kind, containers, is_update, extra)
    {
        return Err(RtcErrorInfo::abort(function_name, "not started").into());
    }
    if !is_update && !sdk.room.watched(&user_id, kind) {
        // The server may refuse (the privateMapKey's rights): then the view is let go.
        let uid = user_id.clone();
        let taken = sdk
            .room
            .wait(|op| Input::AwaitSubscription {
                op,
                user_id: uid,
                kind,
            })
            .await;
        if let Err(mut e) = taken {
            sdk.room.stop_video(&user_id, kind);
            e.function_name = function_name.into();
            return Err(e.into());
        }
    }
    if is_update {
        // `option.pictureInPicture` / `option.fullScreen`: only on update, while playing.
        let video = sdk.room.video_of(&user_id).map(JsValue::from);
        for (key, pip, name) in [
            (
                "pictureInPicture",
                true,
                "updateRemoteVideo() with option.pictureInPicture",
            ),
            (
                "fullScreen",
                false,
                "updateRemoteVideo() with option.fullScreen",
            ),
        ] {
            if let Some(on) = v.get("option").get(key).as_bool() {
                crate::api_experimental::view_mode(video.clone(), pip, on, name).await?;
            }
        }
    }
    Ok(())
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

/// `streamType` `'main'` / `'sub'` as "is it the sub stream"; `None` for anything else.
fn is_sub(stream_type: &str) -> Option<bool> {
    match stream_type {
        "main" => Some(false),
        "sub" => Some(true),
        _ => None,
    }
}

/// The media kind of a stream's video or audio.
fn kind_of(sub: bool, video: bool) -> MediaKind {
    match (sub, video) {
        (false, false) => MediaKind::Audio,
        (false, true) => MediaKind::Video,
        (true, false) => MediaKind::SubAudio,
        (true, true) => MediaKind::SubVideo,
    }
}
