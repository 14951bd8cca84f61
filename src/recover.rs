//! Devices that come, go and stop: `DEVICE_CHANGED` with `add` / `remove` as the device lists
//! change (`devicechange`, or a poll where the browser has no such event), and recapture when
//! the camera's or microphone's track ends by itself — the same device again, then (with
//! `enableAutoSwitchWhenRecapturing`, the default) another of its kind; `ERROR` 5308 / 5309 when
//! none can be captured. The decisions are `trtc_core::devices`'.

use std::cell::RefCell;
use std::rc::Rc;

use trtc_core::devices::{diff, event_type, recapture_order, Device};
use trtc_core::error::{ErrorCode, RtcErrorInfo};
use trtc_core::tables::event;
use trtc_proto::MediaKind;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::MediaDeviceInfo;

use crate::devices;
use crate::error::Failure;
use crate::events::Events;
use crate::listener::Listener;
use crate::local::Local;
use crate::value::{get, object};

/// How often the device lists are polled where `devicechange` does not exist.
const POLL_MS: u32 = 3000;
/// The camera's `ERROR` extraCode when it could not be captured again.
pub const CAMERA_RECOVER_FAILED: i32 = 5308;
/// The microphone's.
pub const MICROPHONE_RECOVER_FAILED: i32 = 5309;

/// The last device list seen, with each entry's payload object.
type Known = Rc<RefCell<Option<Vec<(Device, JsValue)>>>>;

/// Follows the device lists and the camera and microphone permissions for one instance while
/// it lives (dropped on `destroy`).
pub struct DeviceWatch {
    _listener: Option<Listener>,
    _poll: Option<gloo_timers::callback::Interval>,
    /// The permissions' `change` listeners (added once their statuses are known).
    _permissions: Rc<RefCell<Vec<Listener>>>,
}

/// PERMISSION_STATE_CHANGE `{camera, microphone}` each time either permission changes.
async fn watch_permissions(slot: std::rc::Weak<RefCell<Vec<Listener>>>, events: Events) {
    let (Some(camera), Some(microphone)) = (
        devices::permission_status("camera").await,
        devices::permission_status("microphone").await,
    ) else {
        return;
    };
    let Some(slot) = slot.upgrade() else {
        return;
    };
    let mut listeners = slot.borrow_mut();
    for status in [&camera, &microphone] {
        let (c, m, e) = (camera.clone(), microphone.clone(), events.clone());
        listeners.push(Listener::new(status.unchecked_ref(), "change", move |_| {
            e.emit(
                event::PERMISSION_STATE_CHANGE,
                &object(&[
                    ("camera", get(&c, "state")),
                    ("microphone", get(&m, "state")),
                ]),
            );
        }));
    }
}

impl DeviceWatch {
    pub fn start(events: Events) -> Option<DeviceWatch> {
        let md = devices::media_devices()?;
        let known: Known = Rc::new(RefCell::new(None));
        let permissions = Rc::new(RefCell::new(Vec::new()));
        wasm_bindgen_futures::spawn_local(watch_permissions(
            Rc::downgrade(&permissions),
            events.clone(),
        ));
        let check = move || {
            let (known, events) = (known.clone(), events.clone());
            wasm_bindgen_futures::spawn_local(async move { refresh(&known, &events).await });
        };
        check();
        let has_event = js_sys::Reflect::has(&md, &"ondevicechange".into()).unwrap_or(false);
        Some(if has_event {
            DeviceWatch {
                _listener: Some(Listener::new(&md, "devicechange", move |_| check())),
                _poll: None,
                _permissions: permissions,
            }
        } else {
            DeviceWatch {
                _listener: None,
                _poll: Some(gloo_timers::callback::Interval::new(POLL_MS, check)),
                _permissions: permissions,
            }
        })
    }
}

async fn refresh(known: &Known, events: &Events) {
    let list = devices::enumerate().await;
    if events.is_destroyed() {
        return;
    }
    let mut per_kind: Vec<(String, usize)> = Vec::new();
    let now: Vec<(Device, JsValue)> = list
        .iter()
        .map(|d: &MediaDeviceInfo| {
            let kind = get(d, "kind").as_string().unwrap_or_default();
            // The index within its kind, for the placeholder label of an unlabeled device.
            let i = match per_kind.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    per_kind.push((kind.clone(), 0));
                    0
                }
            };
            let device = Device {
                kind,
                device_id: d.device_id(),
            };
            (device, devices::device_object(d, i))
        })
        .collect();
    let before = known.borrow_mut().replace(now.clone());
    let Some(before) = before else {
        return; // the first list is the baseline
    };
    let b: Vec<Device> = before.iter().map(|(d, _)| d.clone()).collect();
    let n: Vec<Device> = now.iter().map(|(d, _)| d.clone()).collect();
    for (i, added) in diff(&b, &n) {
        let (d, payload) = if added { &now[i] } else { &before[i] };
        let Some(ty) = event_type(&d.kind) else {
            continue;
        };
        events.emit(
            event::DEVICE_CHANGED,
            &object(&[
                ("type", ty.into()),
                ("action", if added { "add" } else { "remove" }.into()),
                ("device", payload.clone()),
            ]),
        );
    }
}

/// The captured track of `kind` ended by itself: capture again, or report that it could not be.
pub async fn recapture(local: Rc<Local>, kind: MediaKind, auto_switch: bool) {
    let (dom_kind, key, extra, what) = match kind {
        MediaKind::Video => ("videoinput", "cameraId", CAMERA_RECOVER_FAILED, "camera"),
        MediaKind::Audio => (
            "audioinput",
            "microphoneId",
            MICROPHONE_RECOVER_FAILED,
            "microphone",
        ),
        // A shared screen that ends is stopped, not captured again (`local_screen`).
        MediaKind::SubVideo | MediaKind::SubAudio => return,
    };
    let track = match kind {
        MediaKind::Video => local
            .video
            .borrow()
            .as_ref()
            .map(|v| Clone::clone(&v.track)),
        _ => local.audio.borrow().as_ref().and_then(|a| a.track.clone()),
    };
    let Some(track) = track else {
        return;
    };
    let current = get(&track.get_settings(), "deviceId")
        .as_string()
        .unwrap_or_default();
    crate::log::warn(&format!(
        "the {what} stopped ({}); capturing again",
        track.label()
    ));
    let available: Vec<Device> = devices::enumerate()
        .await
        .iter()
        .map(|d| Device {
            kind: get(d, "kind").as_string().unwrap_or_default(),
            device_id: d.device_id(),
        })
        .collect();
    let mut last = String::from("no other device of its kind");
    for id in recapture_order(&available, dom_kind, &current, auto_switch) {
        let cfg = object(&[("option", object(&[(key, JsValue::from_str(&id))]))]);
        let r = match kind {
            MediaKind::Video => crate::local_video::update(local.clone(), cfg).await,
            _ => crate::local_audio::update(local.clone(), cfg).await,
        };
        match r {
            Ok(()) => return,
            Err(e) => last = e.info.message,
        }
        if local.is_destroyed() {
            return;
        }
    }
    let still_running = match kind {
        MediaKind::Video => local.video.borrow().is_some(),
        _ => local.audio.borrow().is_some(),
    };
    if still_running && !local.is_destroyed() {
        let hint = if auto_switch {
            ""
        } else {
            " (enableAutoSwitchWhenRecapturing is false: only the same device was tried)"
        };
        let info = RtcErrorInfo::new(
            ErrorCode::DeviceError,
            Some(extra),
            "",
            &format!("The {what} stopped and could not be captured again{hint}: {last}. Check that a {what} is connected and not used by another application, then call start/updateLocal{}() again.", if kind == MediaKind::Video { "Video" } else { "Audio" }),
        );
        local.emit(event::ERROR, &Failure::from(info).to_js());
    }
}
