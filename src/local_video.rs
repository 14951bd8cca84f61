//! The local camera: `startLocalVideo`, `updateLocalVideo`, `stopLocalVideo`.

use std::rc::Rc;
use trtc_core::capture::VideoRequest;
use trtc_core::config::{
    missing_view, FillMode, LocalVideoConfig, Mirror, ProfileArg, SmallArg, VideoMute, ViewArg,
};
use trtc_core::encoding::QosPreference;
use trtc_core::error::{device_error, extra, insecure_context, DeviceKind, RtcErrorInfo};
use trtc_core::profile::{self, VideoProfile};
use trtc_core::queue::{OpKind, KEEP_STOP};
use trtc_core::tables::event;
use trtc_core::validate::{rules, validate};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlElement, MediaStreamTrack};

use crate::devices;
use crate::error::{Failure, Result};
use crate::local::{Local, LocalVideo};
use crate::queue::Turn;
use crate::value::{get, object, to_value};
use crate::view::{VideoView, ViewEvents};

/// The containers named by `view`: `None` = leave as is (`Unset`).
pub(crate) fn resolve_views(
    arg: &ViewArg,
    raw: &JsValue,
    function_name: &str,
) -> Result<Option<Vec<HtmlElement>>> {
    match arg {
        ViewArg::Unset => Ok(None),
        ViewArg::Null => Ok(Some(Vec::new())),
        ViewArg::Id(id) => {
            let doc = devices::window().document().expect("document");
            match doc.get_element_by_id(id) {
                Some(el) => match el.dyn_into::<HtmlElement>() {
                    Ok(el) => Ok(Some(vec![el])),
                    Err(_) => Err(RtcErrorInfo::invalid_parameter(
                        extra::ELEMENT_ID_TYPE,
                        function_name,
                        &format!("'view' id '{id}' is not an HTMLElement when calling {function_name}()."),
                    )
                    .into()),
                },
                None => Err(missing_view(function_name, id).into()),
            }
        }
        ViewArg::Elements => {
            let v = get(raw, "view");
            if let Some(el) = v.dyn_ref::<HtmlElement>() {
                return Ok(Some(vec![el.clone()]));
            }
            let mut out = Vec::new();
            for item in js_sys::Array::from(&v).iter() {
                match item.dyn_into::<HtmlElement>() {
                    Ok(el) => out.push(el),
                    Err(_) => {
                        return Err(RtcErrorInfo::invalid_parameter(
                            extra::ELEMENT_ID_TYPE,
                            function_name,
                            &format!("every item of 'view' must be an HTMLElement when calling {function_name}()."),
                        )
                        .into())
                    }
                }
            }
            Ok(Some(out))
        }
    }
}

fn custom_track(raw: &JsValue) -> Option<MediaStreamTrack> {
    get(&get(raw, "option"), "videoTrack").dyn_into().ok()
}

fn profile_of(arg: &ProfileArg, current: VideoProfile) -> VideoProfile {
    match arg {
        ProfileArg::Known(p) => *p,
        ProfileArg::UnknownKey(k) => {
            crate::log::warn(&format!(
                "unknown camera profile '{k}' ignored; the current profile stays"
            ));
            current
        }
        ProfileArg::Unset => current,
    }
}

/// The small stream after `option.small`: `current` when not given; a value that must be
/// ignored (an unknown key, not smaller than the camera's `main` profile) is, with a warning.
fn small_of(
    arg: &SmallArg,
    main: VideoProfile,
    current: Option<VideoProfile>,
) -> Option<VideoProfile> {
    if *arg == SmallArg::Unset {
        return current;
    }
    match arg.resolve(main) {
        Ok(p) => p,
        Err(warning) => {
            crate::log::warn(&warning);
            current
        }
    }
}

fn make_views(
    local: &Rc<Local>,
    containers: &[HtmlElement],
    track: &MediaStreamTrack,
    fill: FillMode,
    mirror: Mirror,
) -> Result<Vec<VideoView>> {
    let mut views = Vec::new();
    for (i, c) in containers.iter().enumerate() {
        let events = (i == 0).then(|| ViewEvents {
            emit: local.emit_fn(),
            user_id: String::new(),
            stream_type: "main",
        });
        let v = VideoView::new(c, track, fill, mirror.mirrors_view(), events)
            .map_err(|e| Failure::unknown("startLocalVideo", e))?;
        views.push(v);
    }
    Ok(views)
}

async fn emit_device_active(local: &Rc<Local>, track: &MediaStreamTrack) {
    let device = devices::device_of(track, "videoinput").await;
    local.emit(
        event::DEVICE_CHANGED,
        &object(&[
            ("type", "camera".into()),
            ("action", "active".into()),
            ("device", device),
        ]),
    );
}

pub async fn start(local: Rc<Local>, raw: JsValue) -> Result<()> {
    const F: &str = "startLocalVideo";
    local.check_alive(F)?;
    let v = to_value(&raw);
    validate(&rules::START_LOCAL_VIDEO, &v, F)?;
    let cfg = LocalVideoConfig::parse(&v, F)?;
    let containers = resolve_views(&cfg.view, &raw, F)?.unwrap_or_default();
    let custom = custom_track(&raw);
    if !trtc_core::support::capture_allowed(devices::is_secure_context(), custom.is_some()) {
        return Err(insecure_context(F).into());
    }
    let id = match local.video_queue.admit(OpKind::Start, F).await? {
        Turn::Skip => return Ok(()),
        Turn::Run(id) => id,
    };
    let profile = profile_of(&cfg.profile, profile::default_video_profile());
    let captured = match &custom {
        Some(t) => Ok(Clone::clone(t)),
        None => {
            let req = VideoRequest {
                device_id: cfg.camera_id.clone(),
                facing: cfg.facing,
                profile,
            };
            devices::capture_camera(F, &req).await
        }
    };
    let track = match captured {
        Ok(t) => t,
        Err(e) => {
            local.video_queue.finish(id, false);
            return Err(e);
        }
    };
    if local.is_destroyed() || local.video_queue.is_aborted(id) {
        if custom.is_none() {
            track.stop();
        }
        local.video_queue.finish(id, false);
        return Err(if local.is_destroyed() {
            RtcErrorInfo::destroyed(F).into()
        } else {
            RtcErrorInfo::abort(F, KEEP_STOP).into()
        });
    }
    let fill = cfg.fill_mode.unwrap_or(FillMode::Cover);
    let mirror = cfg.mirror.unwrap_or(Mirror::DEFAULT);
    let muted = matches!(cfg.mute, Some(VideoMute::Mute) | Some(VideoMute::Image(_)));
    track.set_enabled(!muted);
    let views = match make_views(&local, &containers, &track, fill, mirror) {
        Ok(v) => v,
        Err(e) => {
            if custom.is_none() {
                track.stop();
            }
            local.video_queue.finish(id, false);
            return Err(e);
        }
    };
    *local.video.borrow_mut() = Some(LocalVideo {
        track: Clone::clone(&track),
        custom: custom.is_some(),
        camera_id: cfg.camera_id.clone(),
        facing: cfg.facing,
        profile,
        qos: cfg.qos.unwrap_or(QosPreference::Smooth),
        small: small_of(&cfg.small, profile, None),
        fill,
        mirror,
        publish: cfg.publish.unwrap_or(true),
        force_publish: cfg.force_publish.unwrap_or(false),
        muted,
        views,
        image: match &cfg.mute {
            Some(VideoMute::Image(url)) => Some(url.clone()),
            _ => None,
        },
        processor: None,
    });
    local.video_queue.finish(id, true);
    local.watch_ended(trtc_proto::MediaKind::Video);
    local.changed();
    if custom.is_none() {
        emit_device_active(&local, &track).await;
    }
    Ok(())
}

/// Applies a new profile to a live track.
async fn apply_profile(
    track: &MediaStreamTrack,
    p: VideoProfile,
    function_name: &str,
) -> Result<()> {
    let c = object(&[
        ("width", object(&[("ideal", p.width.into())])),
        ("height", object(&[("ideal", p.height.into())])),
        ("frameRate", object(&[("ideal", p.frame_rate.into())])),
    ]);
    let promise = track
        .apply_constraints_with_constraints(c.unchecked_ref())
        .map_err(|e| Failure::unknown(function_name, e))?;
    match JsFuture::from(promise).await {
        Ok(_) => Ok(()),
        Err(e) => {
            let name = get(&e, "name").as_string().unwrap_or_default();
            let msg = get(&e, "message").as_string().unwrap_or_default();
            Err(Failure::with_origin(
                device_error(function_name, DeviceKind::Camera, &name, &msg, false),
                e,
            ))
        }
    }
}

pub async fn update(local: Rc<Local>, raw: JsValue) -> Result<()> {
    const F: &str = "updateLocalVideo";
    local.check_alive(F)?;
    let v = to_value(&raw);
    validate(&rules::UPDATE_LOCAL_VIDEO, &v, F)?;
    let cfg = LocalVideoConfig::parse(&v, F)?;
    let containers = resolve_views(&cfg.view, &raw, F)?;
    let custom = custom_track(&raw);
    let id = match local.video_queue.admit(OpKind::Update, F).await? {
        Turn::Skip => return Ok(()),
        Turn::Run(id) => id,
    };
    let result = update_run(&local, &cfg, containers, custom).await;
    let started = local.video.borrow().is_some();
    local.video_queue.finish(id, started);
    local.watch_ended(trtc_proto::MediaKind::Video);
    local.changed();
    let new_track = result?;
    if let Some(t) = new_track {
        emit_device_active(&local, &t).await;
    }
    Ok(())
}

/// The body of an update; returns the new camera track when the device changed.
async fn update_run(
    local: &Rc<Local>,
    cfg: &LocalVideoConfig,
    containers: Option<Vec<HtmlElement>>,
    custom: Option<MediaStreamTrack>,
) -> Result<Option<MediaStreamTrack>> {
    const F: &str = "updateLocalVideo";
    let (old_track, old_id, old_facing, old_profile) = {
        let video = local.video.borrow();
        let Some(lv) = video.as_ref() else {
            return Err(RtcErrorInfo::abort(F, trtc_core::queue::NOT_STARTED).into());
        };
        (
            Clone::clone(&lv.track),
            lv.camera_id.clone(),
            lv.facing,
            lv.profile,
        )
    };
    let profile = profile_of(&cfg.profile, old_profile);
    let mut new_track = None;
    if let Some(t) = custom {
        new_track = Some(t);
    } else if cfg.camera_id.is_some() || cfg.facing.is_some() {
        let req = VideoRequest {
            device_id: cfg
                .camera_id
                .clone()
                .or(if cfg.facing.is_some() { None } else { old_id }),
            facing: cfg.facing.or(old_facing),
            profile,
        };
        new_track = Some(devices::capture_camera(F, &req).await?);
    } else if profile != old_profile {
        apply_profile(&old_track, profile, F).await?;
    }
    if local.is_destroyed() {
        if let (Some(t), false) = (&new_track, cfg.custom_track) {
            t.stop();
        }
        return Err(RtcErrorInfo::destroyed(F).into());
    }
    // Apply everything; nothing below can fail half-way except building new views.
    let new_views = match &containers {
        Some(list) => {
            let (track, fill, mirror) = {
                let video = local.video.borrow();
                let lv = video.as_ref().expect("started");
                (
                    new_track.clone().unwrap_or_else(|| Clone::clone(&lv.track)),
                    cfg.fill_mode.unwrap_or(lv.fill),
                    cfg.mirror.unwrap_or(lv.mirror),
                )
            };
            Some(make_views(local, list, &track, fill, mirror)?)
        }
        None => None,
    };
    let mut dropped_views = Vec::new();
    let mut report: Option<(&str, &str)> = None;
    let mut stop_old = false;
    {
        let mut video = local.video.borrow_mut();
        let lv = video.as_mut().expect("started");
        if let Some(t) = &new_track {
            for view in &lv.views {
                let _ = view.set_track(t);
            }
            stop_old = !lv.custom;
            lv.track = Clone::clone(t);
            lv.custom = cfg.custom_track;
            if cfg.camera_id.is_some() {
                lv.camera_id = cfg.camera_id.clone();
                lv.facing = None;
            }
            if cfg.facing.is_some() {
                lv.facing = cfg.facing;
                lv.camera_id = None;
            }
            lv.track.set_enabled(!lv.muted);
        }
        lv.profile = profile;
        if let Some(q) = cfg.qos {
            lv.qos = q;
        }
        lv.small = small_of(&cfg.small, profile, lv.small);
        if let Some(views) = new_views {
            dropped_views = std::mem::replace(&mut lv.views, views);
        }
        if let Some(fill) = cfg.fill_mode {
            lv.fill = fill;
            lv.views.iter().for_each(|v| v.set_fill(fill));
        }
        if let Some(mirror) = cfg.mirror {
            lv.mirror = mirror;
            lv.views
                .iter()
                .for_each(|v| v.set_mirror(mirror.mirrors_view()));
        }
        if let Some(p) = cfg.publish {
            lv.publish = p;
        }
        if let Some(f) = cfg.force_publish {
            lv.force_publish = f;
        }
        if let Some(m) = &cfg.mute {
            lv.image = match m {
                VideoMute::Image(url) => Some(url.clone()),
                _ => None,
            };
            let muted = !matches!(m, VideoMute::Unmute);
            if muted != lv.muted {
                lv.muted = muted;
                lv.track.set_enabled(!muted);
                if !lv.views.is_empty() {
                    report = Some(if muted {
                        ("PAUSED", "mute")
                    } else {
                        ("PLAYING", "unmute")
                    });
                }
            }
        }
    }
    if stop_old {
        old_track.stop();
    }
    drop(dropped_views);
    if let Some((state, reason)) = report {
        local.emit(
            event::VIDEO_PLAY_STATE_CHANGED,
            &object(&[
                ("type", "video".into()),
                ("userId", "".into()),
                ("streamType", "main".into()),
                ("state", state.into()),
                ("reason", reason.into()),
            ]),
        );
    }
    Ok(new_track.filter(|_| !cfg.custom_track))
}

pub async fn stop(local: Rc<Local>) -> Result<()> {
    const F: &str = "stopLocalVideo";
    local.check_alive(F)?;
    let id = match local.video_queue.admit(OpKind::Stop, F).await? {
        Turn::Skip => return Ok(()),
        Turn::Run(id) => id,
    };
    let old = local.video.borrow_mut().take();
    if let Some(lv) = &old {
        lv.release();
    }
    drop(old);
    local.video_queue.finish(id, false);
    local.watch_ended(trtc_proto::MediaKind::Video);
    local.changed();
    Ok(())
}
