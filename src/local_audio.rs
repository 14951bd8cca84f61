//! The local microphone: `startLocalAudio`, `updateLocalAudio`, `stopLocalAudio`.

use std::rc::Rc;
use trtc_core::capture::AudioRequest;
use trtc_core::config::{AudioMute, LocalAudioConfig};
use trtc_core::error::{insecure_context, RtcErrorInfo};
use trtc_core::profile::{self, AudioProfile};
use trtc_core::queue::{OpKind, KEEP_STOP};
use trtc_core::tables::event;
use trtc_core::validate::{rules, validate};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::MediaStreamTrack;

use crate::audio::MicGraph;
use crate::devices;
use crate::error::{Failure, Result};
use crate::local::{Local, LocalAudio};
use crate::queue::Turn;
use crate::value::{get, object, to_value};

fn custom_track(raw: &JsValue) -> Option<MediaStreamTrack> {
    get(&get(raw, "option"), "audioTrack").dyn_into().ok()
}

fn play_state(local: &Local, playing: bool) {
    local.emit(
        event::AUDIO_PLAY_STATE_CHANGED,
        &object(&[
            ("type", "audio".into()),
            ("userId", "".into()),
            ("state", if playing { "PLAYING" } else { "STOPPED" }.into()),
            ("reason", if playing { "playing" } else { "ended" }.into()),
        ]),
    );
}

async fn emit_device_active(local: &Rc<Local>, track: &MediaStreamTrack) {
    let device = devices::device_of(track, "audioinput").await;
    local.emit(
        event::DEVICE_CHANGED,
        &object(&[
            ("type", "microphone".into()),
            ("action", "active".into()),
            ("device", device),
        ]),
    );
}

pub async fn start(local: Rc<Local>, raw: JsValue) -> Result<()> {
    const F: &str = "startLocalAudio";
    local.check_alive(F)?;
    let v = to_value(&raw);
    validate(&rules::START_LOCAL_AUDIO, &v, F)?;
    let cfg = LocalAudioConfig::parse(&v);
    let custom = custom_track(&raw);
    if !trtc_core::support::capture_allowed(devices::is_secure_context(), custom.is_some()) {
        return Err(insecure_context(F).into());
    }
    let id = match local.audio_queue.admit(OpKind::Start, F).await? {
        Turn::Skip => return Ok(()),
        Turn::Run(id) => id,
    };
    let profile: AudioProfile = cfg.profile.unwrap_or_else(profile::default_audio_profile);
    let request = AudioRequest {
        device_id: cfg.microphone_id.clone(),
        profile,
        echo_cancellation: cfg.echo_cancellation.unwrap_or(true),
        noise_suppression: cfg.noise_suppression.unwrap_or(true),
        auto_gain_control: cfg.auto_gain_control.unwrap_or(true),
    };
    let captured = match &custom {
        Some(t) => Ok(Clone::clone(t)),
        None => devices::capture_microphone(F, &request).await,
    };
    let track = match captured {
        Ok(t) => t,
        Err(e) => {
            local.audio_queue.finish(id, false);
            return Err(e);
        }
    };
    let release = |track: &MediaStreamTrack| {
        if custom.is_none() {
            track.stop();
        }
    };
    if local.is_destroyed() || local.audio_queue.is_aborted(id) {
        release(&track);
        local.audio_queue.finish(id, false);
        return Err(if local.is_destroyed() {
            RtcErrorInfo::destroyed(F).into()
        } else {
            RtcErrorInfo::abort(F, KEEP_STOP).into()
        });
    }
    let graph = match MicGraph::new(&track, local.volume_window()) {
        Ok(g) => g,
        Err(e) => {
            release(&track);
            local.audio_queue.finish(id, false);
            return Err(Failure::unknown(F, e));
        }
    };
    let capture_volume = cfg.capture_volume.unwrap_or(100.0);
    let ear_volume = cfg.ear_monitor_volume.unwrap_or(0.0);
    graph.set_capture_volume(capture_volume);
    let ear_on = graph.set_ear_volume(ear_volume);
    let la = LocalAudio {
        track: Some(Clone::clone(&track)),
        custom: custom.is_some(),
        request,
        capture_volume,
        ear_volume,
        mute: AudioMute::Unmute,
        keep_volume_detection: cfg.mute_keep_volume_detection.unwrap_or(false),
        publish: cfg.publish.unwrap_or(true),
        graph,
    };
    let mut la = la;
    if let Some(m) = cfg.mute {
        la.mute = if m == AudioMute::Microphone {
            AudioMute::Mute
        } else {
            m
        };
    }
    la.apply_mute();
    *local.audio.borrow_mut() = Some(la);
    local.audio_queue.finish(id, true);
    local.watch_ended(trtc_proto::MediaKind::Audio);
    local.changed();
    if custom.is_none() {
        emit_device_active(&local, &track).await;
    }
    if ear_on {
        play_state(&local, true);
    }
    Ok(())
}

pub async fn update(local: Rc<Local>, raw: JsValue) -> Result<()> {
    const F: &str = "updateLocalAudio";
    local.check_alive(F)?;
    let v = to_value(&raw);
    validate(&rules::UPDATE_LOCAL_AUDIO, &v, F)?;
    let cfg = LocalAudioConfig::parse(&v);
    let custom = custom_track(&raw);
    let id = match local.audio_queue.admit(OpKind::Update, F).await? {
        Turn::Skip => return Ok(()),
        Turn::Run(id) => id,
    };
    let result = update_run(&local, &cfg, custom).await;
    let started = local.audio.borrow().is_some();
    local.audio_queue.finish(id, started);
    local.watch_ended(trtc_proto::MediaKind::Audio);
    local.changed();
    let (device_track, ear_change) = result?;
    if let Some(t) = device_track {
        emit_device_active(&local, &t).await;
    }
    if let Some(on) = ear_change {
        play_state(&local, on);
    }
    Ok(())
}

/// Returns (the new track when the device changed, the new ear-monitor state when it changed).
async fn update_run(
    local: &Rc<Local>,
    cfg: &LocalAudioConfig,
    custom: Option<MediaStreamTrack>,
) -> Result<(Option<MediaStreamTrack>, Option<bool>)> {
    const F: &str = "updateLocalAudio";
    let (request, mute, has_track) = {
        let audio = local.audio.borrow();
        let Some(la) = audio.as_ref() else {
            return Err(RtcErrorInfo::abort(F, trtc_core::queue::NOT_STARTED).into());
        };
        (la.request.clone(), la.mute, la.track.is_some())
    };
    let mut request = request;
    if cfg.microphone_id.is_some() {
        request.device_id = cfg.microphone_id.clone();
    }
    let new_mute = cfg.mute.unwrap_or(mute);
    // A new capture: another device, a custom track, or unmuting a released microphone.
    let needs_capture = custom.is_some()
        || cfg.microphone_id.is_some() && new_mute != AudioMute::Microphone
        || !has_track && new_mute != AudioMute::Microphone;
    let new_track = if let Some(t) = custom.clone() {
        Some(t)
    } else if needs_capture {
        Some(devices::capture_microphone(F, &request).await?)
    } else {
        None
    };
    if local.is_destroyed() {
        if let (Some(t), None) = (&new_track, &custom) {
            t.stop();
        }
        return Err(RtcErrorInfo::destroyed(F).into());
    }
    let mut audio = local.audio.borrow_mut();
    let la = audio.as_mut().expect("started");
    let device_changed = new_track.is_some() && (cfg.microphone_id.is_some() || custom.is_some());
    if let Some(t) = &new_track {
        if let Err(e) = la.graph.set_source(t) {
            if custom.is_none() {
                t.stop();
            }
            return Err(Failure::unknown(F, e));
        }
        if let (Some(old), false) = (&la.track, la.custom) {
            old.stop();
        }
        la.track = Some(Clone::clone(t));
        la.custom = custom.is_some();
    }
    la.request = request;
    if let Some(k) = cfg.mute_keep_volume_detection {
        la.keep_volume_detection = k;
    }
    if new_mute == AudioMute::Microphone && la.track.is_some() {
        if let (Some(old), false) = (la.track.take(), la.custom) {
            old.stop();
        }
        la.graph.clear_source();
    }
    la.mute = new_mute;
    la.apply_mute();
    if let Some(v) = cfg.capture_volume {
        la.capture_volume = v;
        la.graph.set_capture_volume(v);
    }
    let mut ear_change = None;
    if let Some(v) = cfg.ear_monitor_volume {
        let was = la.graph.ear_on();
        la.ear_volume = v;
        let now = la.graph.set_ear_volume(v);
        if now != was {
            ear_change = Some(now);
        }
    }
    let device_track = if device_changed {
        la.track.clone()
    } else {
        None
    };
    Ok((device_track.filter(|_| custom.is_none()), ear_change))
}

pub async fn stop(local: Rc<Local>) -> Result<()> {
    const F: &str = "stopLocalAudio";
    local.check_alive(F)?;
    let id = match local.audio_queue.admit(OpKind::Stop, F).await? {
        Turn::Skip => return Ok(()),
        Turn::Run(id) => id,
    };
    let old = local.audio.borrow_mut().take();
    let ear_was_on = old.as_ref().map(|la| la.graph.ear_on()).unwrap_or(false);
    if let Some(la) = &old {
        la.release();
    }
    drop(old);
    local.audio_queue.finish(id, false);
    local.watch_ended(trtc_proto::MediaKind::Audio);
    local.changed();
    if ear_was_on {
        play_state(&local, false);
    }
    Ok(())
}
