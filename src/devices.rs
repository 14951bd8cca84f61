//! Devices: getUserMedia with TRTC's retry plan, device lists, permissions, support detection.

use trtc_core::capture::{self, AudioRequest, VideoRequest};
use trtc_core::error::{device_error, insecure_context, DeviceKind, ErrorCode, RtcErrorInfo};
use trtc_core::support::SupportDetail;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{MediaDeviceInfo, MediaDevices, MediaStream, MediaStreamTrack};

use crate::error::{Failure, Result};
use crate::value::{get, object};

pub fn window() -> web_sys::Window {
    web_sys::window().expect("the SDK runs in a window")
}

pub fn is_secure_context() -> bool {
    window().is_secure_context()
}

/// `navigator.mediaDevices`, missing on insecure pages.
pub fn media_devices() -> Option<MediaDevices> {
    let nav = web_sys::window()?.navigator();
    let md = get(&nav, "mediaDevices");
    if md.is_undefined() || md.is_null() {
        None
    } else {
        Some(md.unchecked_into())
    }
}

fn dom_name(err: &JsValue) -> String {
    get(err, "name").as_string().unwrap_or_default()
}

fn dom_message(err: &JsValue) -> String {
    get(err, "message").as_string().unwrap_or_default()
}

/// One getUserMedia call.
async fn get_user_media(
    md: &MediaDevices,
    constraints: &JsValue,
) -> std::result::Result<MediaStream, JsValue> {
    let ctor: web_sys::MediaStreamConstraints = constraints.clone().unchecked_into();
    let p = md.get_user_media_with_constraints(&ctor)?;
    Ok(JsFuture::from(p).await?.unchecked_into())
}

/// Constraints written as JSON text by trtc-core, as a JS value.
fn parse_json(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap_or(JsValue::TRUE)
}

/// Stops every track of `stream` but `keep`.
fn first_track(stream: &MediaStream, video: bool) -> Option<MediaStreamTrack> {
    let tracks = if video {
        stream.get_video_tracks()
    } else {
        stream.get_audio_tracks()
    };
    let first: Option<MediaStreamTrack> = tracks.get(0).dyn_into().ok();
    for t in stream.get_tracks().iter() {
        let t: MediaStreamTrack = t.unchecked_into();
        if Some(&t) != first.as_ref() {
            t.stop();
        }
    }
    first
}

/// Runs a capture plan: tries each constraint set in order, retrying retryable failures
/// `RETRY_DELAY_MS` apart, and maps the last failure to a DEVICE_ERROR.
async fn run_plan(
    function_name: &str,
    kind: DeviceKind,
    plan: Vec<JsValue>,
    named_device: bool,
) -> Result<MediaStreamTrack> {
    if !is_secure_context() {
        return Err(insecure_context(function_name).into());
    }
    let Some(md) = media_devices() else {
        return Err(insecure_context(function_name).into());
    };
    let video = kind == DeviceKind::Camera;
    let mut last_err = JsValue::UNDEFINED;
    for (i, c) in plan.iter().enumerate() {
        let constraints = if video {
            object(&[("video", c.clone()), ("audio", JsValue::FALSE)])
        } else {
            object(&[("audio", c.clone()), ("video", JsValue::FALSE)])
        };
        match get_user_media(&md, &constraints).await {
            Ok(stream) => {
                if let Some(t) = first_track(&stream, video) {
                    if i > 0 {
                        crate::log::warn(&format!(
                            "{function_name}: the {} opened with looser constraints (attempt {})",
                            kind.noun(),
                            i + 1
                        ));
                    }
                    return Ok(t);
                }
                last_err = JsValue::from_str("the stream has no track");
                break;
            }
            Err(e) => {
                let name = dom_name(&e);
                last_err = e;
                if !capture::is_retryable(&name) || i + 1 == plan.len() {
                    break;
                }
                crate::log::warn(&format!(
                    "{function_name}: {name} opening the {}, retrying with looser constraints",
                    kind.noun()
                ));
                gloo_timers::future::TimeoutFuture::new(capture::RETRY_DELAY_MS).await;
            }
        }
    }
    let name = dom_name(&last_err);
    let info = device_error(
        function_name,
        kind,
        &name,
        &dom_message(&last_err),
        named_device,
    );
    let mut f = Failure::with_origin(info, last_err.clone());
    if name == "NotAllowedError"
        && trtc_core::text::contains(&dom_message(&last_err).to_ascii_lowercase(), "system")
    {
        f.settings_kind = Some(kind.noun());
    }
    Err(f)
}

pub async fn capture_camera(function_name: &str, req: &VideoRequest) -> Result<MediaStreamTrack> {
    let plan = capture::video_plan(req)
        .iter()
        .map(|c| parse_json(&c.to_json()))
        .collect();
    run_plan(
        function_name,
        DeviceKind::Camera,
        plan,
        req.device_id.is_some(),
    )
    .await
}

pub async fn capture_microphone(
    function_name: &str,
    req: &AudioRequest,
) -> Result<MediaStreamTrack> {
    let plan = capture::audio_plan(req)
        .iter()
        .map(|c| parse_json(&c.to_json()))
        .collect();
    run_plan(
        function_name,
        DeviceKind::Microphone,
        plan,
        req.device_id.is_some(),
    )
    .await
}

/// `navigator.mediaDevices.enumerateDevices()`; empty when unavailable.
pub async fn enumerate() -> Vec<MediaDeviceInfo> {
    let Some(md) = media_devices() else {
        return Vec::new();
    };
    let Ok(p) = md.enumerate_devices() else {
        return Vec::new();
    };
    match JsFuture::from(p).await {
        Ok(list) => js_sys::Array::from(&list)
            .iter()
            .map(|d| d.unchecked_into())
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// A plain-object copy of a device, as trtc-sdk-v5 returns it (empty labels become
/// `<kind>_<index>`).
pub fn device_object(d: &MediaDeviceInfo, index: usize) -> JsValue {
    let kind = get(d, "kind").as_string().unwrap_or_default();
    let mut label = d.label();
    if label.is_empty() {
        label = format!("{kind}_{index}");
    }
    let o = object(&[
        ("kind", JsValue::from_str(&kind)),
        ("deviceId", JsValue::from_str(&d.device_id())),
        ("groupId", JsValue::from_str(&d.group_id())),
        ("label", JsValue::from_str(&label)),
    ]);
    let caps = get(d, "getCapabilities");
    if let Some(f) = caps.dyn_ref::<js_sys::Function>() {
        let _ = js_sys::Reflect::set(&o, &"getCapabilities".into(), &f.bind0(d));
    }
    o
}

/// `TRTC.getCameraList` / `getMicrophoneList` / `getSpeakerList`.
pub async fn list(kind: &str, request_permission: bool) -> Vec<JsValue> {
    if !is_secure_context() || media_devices().is_none() {
        return Vec::new();
    }
    let of_kind = |all: Vec<MediaDeviceInfo>| -> Vec<MediaDeviceInfo> {
        all.into_iter()
            .filter(|d| get(d, "kind").as_string().as_deref() == Some(kind))
            .collect()
    };
    let mut devices = of_kind(enumerate().await);
    let unlabeled = devices.is_empty() || devices.iter().any(|d| d.label().is_empty());
    if request_permission && unlabeled && kind != "audiooutput" {
        // Labels appear once the page has permission: open the device briefly.
        let video = kind == "videoinput";
        if let Some(md) = media_devices() {
            let c = object(&[
                ("video", JsValue::from_bool(video)),
                ("audio", JsValue::from_bool(!video)),
            ]);
            if let Ok(stream) = get_user_media(&md, &c).await {
                for t in stream.get_tracks().iter() {
                    t.unchecked_into::<MediaStreamTrack>().stop();
                }
                devices = of_kind(enumerate().await);
            }
        }
    }
    devices
        .iter()
        .enumerate()
        .map(|(i, d)| device_object(d, i))
        .collect()
}

/// The device a live track was opened on, as a device object (for `DEVICE_CHANGED`).
pub async fn device_of(track: &MediaStreamTrack, kind: &str) -> JsValue {
    let settings = track.get_settings();
    let id = get(&settings, "deviceId").as_string().unwrap_or_default();
    let devices = enumerate().await;
    let same_kind: Vec<_> = devices
        .iter()
        .filter(|d| get(d, "kind").as_string().as_deref() == Some(kind))
        .collect();
    if let Some((i, d)) = same_kind
        .iter()
        .enumerate()
        .find(|(_, d)| d.device_id() == id)
    {
        return device_object(d, i);
    }
    object(&[
        ("kind", JsValue::from_str(kind)),
        ("deviceId", JsValue::from_str(&id)),
        ("groupId", get(&settings, "groupId")),
        ("label", JsValue::from_str(&track.label())),
    ])
}

/// `TRTC.getPermissions({request, types})`.
pub async fn permissions(request: bool, types: &[&str]) -> JsValue {
    let mut camera = JsValue::NULL;
    let mut microphone = JsValue::NULL;
    for ty in types {
        let mut state = query_permission(ty).await;
        if request && state.as_deref() != Some("granted") && state.as_deref() != Some("denied") {
            if let Some(md) = media_devices() {
                let video = *ty == "camera";
                let c = object(&[
                    ("video", JsValue::from_bool(video)),
                    ("audio", JsValue::from_bool(!video)),
                ]);
                match get_user_media(&md, &c).await {
                    Ok(stream) => {
                        for t in stream.get_tracks().iter() {
                            t.unchecked_into::<MediaStreamTrack>().stop();
                        }
                    }
                    Err(e) => {
                        if dom_name(&e) == "NotAllowedError" {
                            state = Some("denied".into());
                        }
                    }
                }
                if state.as_deref() != Some("denied") {
                    state = query_permission(ty).await.or(state);
                }
            }
        }
        let v = state
            .map(|s| JsValue::from_str(&s))
            .unwrap_or(JsValue::NULL);
        if *ty == "camera" {
            camera = v;
        } else {
            microphone = v;
        }
    }
    object(&[("camera", camera), ("microphone", microphone)])
}

async fn query_permission(name: &str) -> Option<String> {
    get(&permission_status(name).await?, "state").as_string()
}

/// `navigator.permissions.query({name})`'s `PermissionStatus` (it fires `change`).
pub async fn permission_status(name: &str) -> Option<JsValue> {
    let perms = get(&web_sys::window()?.navigator(), "permissions");
    let query = get(&perms, "query");
    let query = query.dyn_ref::<js_sys::Function>()?;
    let p = query
        .call1(&perms, &object(&[("name", JsValue::from_str(name))]))
        .ok()?;
    JsFuture::from(js_sys::Promise::from(p)).await.ok()
}

fn has_global(name: &str) -> bool {
    js_sys::Reflect::has(&js_sys::global(), &JsValue::from_str(name)).unwrap_or(false)
}

fn codec_mimes(class: &str) -> Vec<String> {
    let cls = get(&js_sys::global(), class);
    let f = get(&cls, "getCapabilities");
    let Some(f) = f.dyn_ref::<js_sys::Function>() else {
        return Vec::new();
    };
    let Ok(caps) = f.call1(&cls, &JsValue::from_str("video")) else {
        return Vec::new();
    };
    let codecs = get(&caps, "codecs");
    if !js_sys::Array::is_array(&codecs) {
        return Vec::new();
    }
    js_sys::Array::from(&codecs)
        .iter()
        .filter_map(|c| get(&c, "mimeType").as_string())
        .map(|m| m.to_ascii_lowercase())
        .collect()
}

/// Measures what `TRTC.isSupported()` reports.
pub fn support_detail() -> SupportDetail {
    let ua = window().navigator().user_agent().unwrap_or_default();
    let webrtc = has_global("RTCPeerConnection");
    let md = media_devices();
    let has_md_fn = |name: &str| {
        md.as_ref()
            .map(|m| get(m, name).is_function())
            .unwrap_or(false)
    };
    let enc = codec_mimes("RTCRtpSender");
    let dec = codec_mimes("RTCRtpReceiver");
    let has = |list: &[String], mime: &str| list.iter().any(|m| m == mime);
    let browser = trtc_core::support::is_browser_supported(&ua);
    SupportDetail {
        is_browser_supported: browser,
        is_webrtc_supported: webrtc,
        is_webcodecs_supported: has_global("VideoEncoder") && has_global("VideoDecoder"),
        is_media_devices_supported: has_md_fn("getUserMedia") && has_md_fn("enumerateDevices"),
        is_screen_share_supported: has_md_fn("getDisplayMedia"),
        // The small stream is a second simulcast encoding of the camera, set up with
        // RTCRtpSender.setParameters on a VP8 (or H.264) encoder.
        is_small_stream_supported: webrtc
            && browser
            && has_global("RTCRtpTransceiver")
            && sender_can_set_parameters()
            && (has(&enc, "video/vp8") || has(&enc, "video/h264")),
        is_h264_encode_supported: has(&enc, "video/h264"),
        is_vp8_encode_supported: has(&enc, "video/vp8"),
        is_h265_encode_supported: has(&enc, "video/h265"),
        is_h264_decode_supported: has(&dec, "video/h264"),
        is_vp8_decode_supported: has(&dec, "video/vp8"),
        is_h265_decode_supported: has(&dec, "video/h265"),
    }
}

/// `{result, detail}` for `TRTC.isSupported()`.
pub fn support_object() -> JsValue {
    let d = support_detail();
    let detail: Vec<(&str, JsValue)> = d
        .entries()
        .iter()
        .map(|(k, v)| (*k, JsValue::from_bool(*v)))
        .collect();
    object(&[
        ("result", JsValue::from_bool(d.result())),
        ("detail", object(&detail)),
    ])
}

/// A DEVICE_ERROR for a speaker id that is not among the outputs.
pub fn speaker_not_found(id: &str) -> Failure {
    RtcErrorInfo::new(
        ErrorCode::DeviceError,
        Some(trtc_core::error::extra::DEVICE_NOT_FOUND),
        "setCurrentSpeaker",
        &format!("setCurrentSpeaker() failed: no speaker with deviceId '{id}'. Pass a deviceId from TRTC.getSpeakerList()."),
    )
    .into()
}

thread_local! {
    /// `TRTC.setCurrentSpeaker`: the output every instance plays to.
    static SPEAKER: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// The speaker chosen with `TRTC.setCurrentSpeaker`, if any.
pub fn current_speaker() -> Option<String> {
    SPEAKER.with(|s| s.borrow().clone())
}

pub fn set_current_speaker(id: &str) {
    SPEAKER.with(|s| *s.borrow_mut() = Some(id.to_string()));
}

/// `getDisplayMedia(constraints)` for a screen share: its video track and, when the browser
/// captured one, its audio track. No `getDisplayMedia` → ENV_NOT_SUPPORTED 5205; a refusal or
/// failure → DEVICE_ERROR with the DOMException's extraCode.
pub async fn capture_screen(
    function_name: &str,
    constraints: &JsValue,
) -> Result<(MediaStreamTrack, Option<MediaStreamTrack>)> {
    let unsupported = || Failure::from(trtc_core::error::screen_share_unsupported(function_name));
    let md = media_devices().ok_or_else(unsupported)?;
    let f = get(&md, "getDisplayMedia");
    let f = f.dyn_ref::<js_sys::Function>().ok_or_else(unsupported)?;
    let refused = |e: JsValue| {
        Failure::with_origin(
            device_error(
                function_name,
                DeviceKind::Screen,
                &dom_name(&e),
                &dom_message(&e),
                false,
            ),
            e,
        )
    };
    let p = f.call1(&md, constraints).map_err(refused)?;
    let stream: MediaStream = JsFuture::from(js_sys::Promise::resolve(&p))
        .await
        .map_err(refused)?
        .unchecked_into();
    let audio: Option<MediaStreamTrack> = stream.get_audio_tracks().get(0).dyn_into().ok();
    let video: Option<MediaStreamTrack> = stream.get_video_tracks().get(0).dyn_into().ok();
    let video = video.ok_or_else(|| {
        if let Some(a) = &audio {
            a.stop();
        }
        Failure::from(device_error(
            function_name,
            DeviceKind::Screen,
            "",
            "the captured stream has no video track",
            false,
        ))
    })?;
    Ok((video, audio))
}

/// Whether `RTCRtpSender.prototype.setParameters` exists (the small stream needs it).
fn sender_can_set_parameters() -> bool {
    let sender = crate::value::get(&js_sys::global(), "RTCRtpSender");
    crate::value::get(&crate::value::get(&sender, "prototype"), "setParameters").is_function()
}
