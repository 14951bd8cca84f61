//! The static methods of the exported `TRTC` class: `create`, logging, support, devices,
//! the speaker and permissions.

use trtc_core::tables::{event, LogLevel};
use trtc_core::validate::{rules, validate};
use trtc_core::value::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::api::{promise, promise_unit, Trtc};
use crate::devices;
use crate::sdk::Sdk;
use crate::value::{get, object, to_value};

#[wasm_bindgen(js_class = TRTC)]
impl Trtc {
    /// `TRTC.create(options?)`: a new instance, synchronously.
    pub fn create(options: JsValue) -> Trtc {
        crate::statics::install(&JsValue::UNDEFINED);
        let sdk = Sdk::new(options);
        crate::log::info(&format!(
            "trtc-wasm {} created an instance",
            env!("CARGO_PKG_VERSION")
        ));
        Trtc { sdk }
    }

    /// `TRTC.setLogLevel(level, enableUploadLog?)`: 0 TRACE … 5 NONE.
    #[wasm_bindgen(js_name = setLogLevel)]
    pub fn set_log_level(level: JsValue, _enable_upload_log: JsValue) {
        match level.as_f64().and_then(LogLevel::from_number) {
            Some(l) => crate::log::set_level(l),
            None => crate::log::warn(&format!(
                "setLogLevel: level must be 0 (TRACE) to 5 (NONE), received {}; the level is unchanged", crate::value::describe(&level)
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
            devices::set_current_speaker(&id);
            if let Ok(ctx) = crate::audio::context() {
                if let Some(f) = get(&ctx, "setSinkId").dyn_ref::<js_sys::Function>() {
                    let _ = f.call1(&ctx, &JsValue::from_str(&id));
                }
            }
            for sdk in Sdk::live() {
                sdk.events.emit(
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
