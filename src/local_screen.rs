//! The shared screen: `startScreenShare`, `updateScreenShare`, `stopScreenShare`.
//!
//! The screen (and the system audio the browser captured with it, when `option.systemAudio`
//! asked) is the sub stream, published next to the camera; with `streamType: 'main'` it takes
//! the camera's place. Start, update and stop run one at a time in their own queue, with the
//! camera's rules (a start while sharing resolves at once). When the user ends the share in the
//! browser's own UI (the video track ends), the share stops and `SCREEN_SHARE_STOPPED` is
//! emitted.

use std::rc::{Rc, Weak};

use trtc_core::config::{FillMode, ProfileArg, ScreenShareConfig, ScreenStream};
use trtc_core::encoding::{QosPreference, VideoEncoding};
use trtc_core::error::{insecure_context, RtcErrorInfo};
use trtc_core::profile::{self, VideoProfile};
use trtc_core::queue::{OpKind, KEEP_STOP};
use trtc_core::tables::event;
use trtc_core::validate::{rules, validate};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlElement, MediaStreamTrack};

use crate::devices;
use crate::error::{Failure, Result};
use crate::listener::Listener;
use crate::local::{Local, LocalScreen};
use crate::local_video::resolve_views;
use crate::queue::Turn;
use crate::value::{get, object, to_value};
use crate::view::{VideoView, ViewEvents};

const START: &str = "startScreenShare";
const UPDATE: &str = "updateScreenShare";

fn set(target: &JsValue, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(target, &JsValue::from_str(key), value);
}

fn option_track(raw: &JsValue, key: &str) -> Option<MediaStreamTrack> {
    get(&get(raw, "option"), key).dyn_into().ok()
}

/// `getDisplayMedia`'s constraints for a profile, the system-audio choice and the preferred
/// surface.
fn constraints(raw: &JsValue, cfg: &ScreenShareConfig, p: VideoProfile) -> JsValue {
    let surface = cfg.prefer_display_surface.as_deref().unwrap_or("monitor");
    let video = object(&[
        ("width", object(&[("ideal", p.width.into())])),
        ("height", object(&[("ideal", p.height.into())])),
        ("frameRate", object(&[("ideal", p.frame_rate.into())])),
        (
            "displaySurface",
            match surface {
                "tab" | "current-tab" => "browser",
                other => other,
            }
            .into(),
        ),
    ]);
    let audio = if cfg.system_audio {
        let o = get(raw, "option");
        let flag = |k: &str| get(&o, k).as_bool().map_or(JsValue::TRUE, JsValue::from);
        object(&[
            ("echoCancellation", flag("echoCancellation")),
            ("autoGainControl", flag("autoGainControl")),
            ("noiseSuppression", flag("noiseSuppression")),
        ])
    } else {
        JsValue::FALSE
    };
    let c = object(&[("video", video), ("audio", audio)]);
    if surface == "current-tab" {
        set(&c, "preferCurrentTab", &JsValue::TRUE);
    }
    if let Some(s) = get(&get(raw, "option"), "selfBrowserSurface").as_string() {
        set(&c, "selfBrowserSurface", &JsValue::from_str(&s));
    }
    if cfg.system_audio {
        set(&c, "systemAudio", &JsValue::from_str("include"));
    }
    c
}

/// `qosPreference` as the track's content hint: `'clear'` keeps detail (`'detail'`, the
/// encoder drops frames first), `'smooth'` keeps motion. (The sender's bitrate, frame rate and
/// degradation preference follow from [`LocalScreen::encoding`] once it is published.)
fn apply_qos(track: &MediaStreamTrack, qos: QosPreference) {
    set(track, "contentHint", &JsValue::from_str(qos.content_hint()));
}

/// `option.captureElement`: only that element of the current tab is sent (Region Capture:
/// `CropTarget.fromElement` + `track.cropTo`); where the browser cannot, the whole surface is
/// shared and a warning says so.
async fn crop_to(track: &MediaStreamTrack, element: &JsValue) {
    let crop_target = get(&js_sys::global(), "CropTarget");
    let from = get(&crop_target, "fromElement");
    let crop = get(track, "cropTo");
    let (Some(from), Some(crop)) = (
        from.dyn_ref::<js_sys::Function>(),
        crop.dyn_ref::<js_sys::Function>(),
    ) else {
        crate::log::warn(
            "startScreenShare: option.captureElement needs Region Capture (Chrome 104+, sharing the current tab); the whole surface is shared",
        );
        return;
    };
    let target = match from.call1(&crop_target, element) {
        Ok(p) => wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&p)).await,
        Err(e) => Err(e),
    };
    let done = match target {
        Ok(t) => match crop.call1(track, &t) {
            Ok(p) => wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&p))
                .await
                .map(|_| ()),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    if let Err(e) = done {
        crate::log::warn(&format!(
            "startScreenShare: option.captureElement could not be applied ({}); the whole surface is shared",
            crate::value::describe(&e)
        ));
    }
}

fn make_views(
    local: &Rc<Local>,
    containers: &[HtmlElement],
    track: &MediaStreamTrack,
    fill: FillMode,
    stream_type: &'static str,
    function_name: &str,
) -> Result<Vec<VideoView>> {
    let mut views = Vec::new();
    for (i, c) in containers.iter().enumerate() {
        let events = (i == 0).then(|| ViewEvents {
            emit: local.emit_fn(),
            user_id: String::new(),
            stream_type,
        });
        let v = VideoView::new(c, track, fill, false, events)
            .map_err(|e| Failure::unknown(function_name, e))?;
        views.push(v);
    }
    Ok(views)
}

/// Stops the share when its video track ends by itself (the browser's "Stop sharing").
fn watch_ended(local: &Rc<Local>, track: &MediaStreamTrack) -> Listener {
    let weak: Weak<Local> = Rc::downgrade(local);
    let ended = Clone::clone(track);
    Listener::new(track, "ended", move |_| {
        let Some(local) = weak.upgrade() else {
            return;
        };
        let ended = Clone::clone(&ended);
        wasm_bindgen_futures::spawn_local(async move {
            // Only if it is still the shared track (not one replaced or stopped since).
            let current = local
                .screen
                .borrow()
                .as_ref()
                .is_some_and(|s| s.track == ended);
            if current && stop_share(&local).await.is_ok() {
                local.emit(event::SCREEN_SHARE_STOPPED, &JsValue::UNDEFINED);
            }
        });
    })
}

pub async fn start(local: Rc<Local>, raw: JsValue) -> Result<()> {
    local.check_alive(START)?;
    let v = to_value(&raw);
    validate(&rules::START_SCREEN_SHARE, &v, START)?;
    let cfg = ScreenShareConfig::parse(&v, START)?;
    let containers = resolve_views(&cfg.view, &raw, START)?.unwrap_or_default();
    let custom_video = option_track(&raw, "videoTrack");
    let custom_audio = option_track(&raw, "audioTrack");
    if custom_video.is_none() {
        if !devices::is_secure_context() {
            return Err(insecure_context(START).into());
        }
        if !devices::support_detail().is_screen_share_supported {
            return Err(trtc_core::error::screen_share_unsupported(START).into());
        }
    }
    let id = match local.screen_queue.admit(OpKind::Start, START).await? {
        Turn::Skip => return Ok(()),
        Turn::Run(id) => id,
    };
    let profile = match &cfg.profile {
        ProfileArg::Known(p) => *p,
        ProfileArg::UnknownKey(k) => {
            crate::log::warn(&format!(
                "unknown screen profile '{k}' ignored; the default (1080p) is used"
            ));
            profile::default_screen_profile()
        }
        ProfileArg::Unset => profile::default_screen_profile(),
    };
    let captured = match &custom_video {
        Some(t) => Ok((Clone::clone(t), None)),
        None => devices::capture_screen(START, &constraints(&raw, &cfg, profile)).await,
    };
    let (track, captured_audio) = match captured {
        Ok(t) => t,
        Err(e) => {
            local.screen_queue.finish(id, false);
            return Err(e);
        }
    };
    let audio = custom_audio.clone().or(captured_audio);
    let release = |t: &MediaStreamTrack, a: &Option<MediaStreamTrack>| {
        if custom_video.is_none() {
            t.stop();
        }
        if let (Some(a), None) = (a, &custom_audio) {
            a.stop();
        }
    };
    if local.is_destroyed() || local.screen_queue.is_aborted(id) {
        release(&track, &audio);
        local.screen_queue.finish(id, false);
        return Err(if local.is_destroyed() {
            RtcErrorInfo::destroyed(START).into()
        } else {
            RtcErrorInfo::abort(START, KEEP_STOP).into()
        });
    }
    let qos = cfg.qos.unwrap_or(QosPreference::Clear);
    apply_qos(&track, qos);
    let encoding = VideoEncoding::new(&profile, qos);
    let capture_element = get(&get(&raw, "option"), "captureElement");
    if cfg.capture_element && custom_video.is_none() {
        crop_to(&track, &capture_element).await;
    }
    let main = cfg.stream_type == Some(ScreenStream::Main);
    let fill = cfg.fill_mode.unwrap_or(FillMode::Contain);
    let stream_type = if main { "main" } else { "sub" };
    let views = match make_views(&local, &containers, &track, fill, stream_type, START) {
        Ok(v) => v,
        Err(e) => {
            release(&track, &audio);
            local.screen_queue.finish(id, false);
            return Err(e);
        }
    };
    if let Some(a) = &audio {
        a.set_enabled(!cfg.mute_system_audio.unwrap_or(false));
    }
    let ended = watch_ended(&local, &track);
    *local.screen.borrow_mut() = Some(LocalScreen {
        track,
        audio,
        custom_video: custom_video.is_some(),
        custom_audio: custom_audio.is_some(),
        fill,
        publish: cfg.publish.unwrap_or(true),
        main,
        audio_muted: cfg.mute_system_audio.unwrap_or(false),
        views,
        encoding,
        _ended: ended,
    });
    local.announce_track(trtc_proto::MediaKind::SubVideo);
    local.announce_track(trtc_proto::MediaKind::SubAudio);
    local.screen_queue.finish(id, true);
    local.changed();
    Ok(())
}

pub async fn update(local: Rc<Local>, raw: JsValue) -> Result<()> {
    local.check_alive(UPDATE)?;
    let v = to_value(&raw);
    validate(&rules::UPDATE_SCREEN_SHARE, &v, UPDATE)?;
    let cfg = ScreenShareConfig::parse(&v, UPDATE)?;
    let containers = resolve_views(&cfg.view, &raw, UPDATE)?;
    let id = match local.screen_queue.admit(OpKind::Update, UPDATE).await? {
        Turn::Skip => return Ok(()),
        Turn::Run(id) => id,
    };
    let result = update_run(&local, &cfg, containers);
    let started = local.screen.borrow().is_some();
    local.screen_queue.finish(id, started);
    local.changed();
    result
}

/// What `updateScreenShare` changes: the views, fill mode, publish, the system audio's mute and
/// the QoS preference (profile and stream type are start-only, as in trtc-sdk-v5).
fn update_run(
    local: &Rc<Local>,
    cfg: &ScreenShareConfig,
    containers: Option<Vec<HtmlElement>>,
) -> Result<()> {
    let (track, fill, main) = {
        let screen = local.screen.borrow();
        let Some(s) = screen.as_ref() else {
            return Err(RtcErrorInfo::abort(UPDATE, trtc_core::queue::NOT_STARTED).into());
        };
        (Clone::clone(&s.track), s.fill, s.main)
    };
    let fill = cfg.fill_mode.unwrap_or(fill);
    let new_views = match &containers {
        Some(list) => Some(make_views(
            local,
            list,
            &track,
            fill,
            if main { "main" } else { "sub" },
            UPDATE,
        )?),
        None => None,
    };
    let dropped = {
        let mut screen = local.screen.borrow_mut();
        let s = screen.as_mut().expect("checked");
        s.fill = fill;
        s.views.iter().for_each(|v| v.set_fill(fill));
        if let Some(p) = cfg.publish {
            s.publish = p;
        }
        if let Some(m) = cfg.mute_system_audio {
            s.audio_muted = m;
            if let Some(a) = &s.audio {
                a.set_enabled(!m);
            }
        }
        if let Some(q) = cfg.qos {
            apply_qos(&s.track, q);
            s.encoding.degradation_preference = q.degradation_preference();
            s.encoding.content_hint = q.content_hint();
        }
        new_views.map(|v| std::mem::replace(&mut s.views, v))
    };
    drop(dropped);
    Ok(())
}

/// `stopScreenShare()`: resolves when nothing is shared.
pub async fn stop(local: Rc<Local>) -> Result<()> {
    local.check_alive("stopScreenShare")?;
    stop_share(&local).await
}

async fn stop_share(local: &Rc<Local>) -> Result<()> {
    let id = match local
        .screen_queue
        .admit(OpKind::Stop, "stopScreenShare")
        .await?
    {
        Turn::Skip => return Ok(()),
        Turn::Run(id) => id,
    };
    let old = local.screen.borrow_mut().take();
    if let Some(s) = &old {
        s.release();
    }
    drop(old);
    local.screen_queue.finish(id, false);
    local.changed();
    Ok(())
}
