//! `callExperimentalAPI` in the page: the `AUDIO_FRAME` taps of `enableAudioFrameEvent`, and
//! small helpers for the player calls (pause/resume, picture-in-picture, full screen) that
//! the room's remote media carry out.
//!
//! A tap is source → ScriptProcessor (its `onaudioprocess` closure owned by the tap) → a gain
//! of 0 → the speakers (Chrome runs a processor only when it reaches the destination; nothing
//! is heard). Which tracks are tapped is reconciled with what plays every 500 ms and whenever
//! delivery is turned on, so a user who arrives later, a microphone switch or a user who
//! leaves is followed. Everything is released when delivery is turned off, on `destroy()`,
//! and (for remote users) when their track goes (a room left).

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use trtc_core::experimental::{AudioFramer, AudioSource};
use trtc_core::tables::event;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AudioNode, GainNode, MediaStreamAudioSourceNode, MediaStreamTrack};

use crate::events::EmitFn;
use crate::local::Local;
use crate::room::RoomDriver;
use crate::value::call;
use crate::value::{get, object};

/// At most this many taps (users) at once.
const MAX_TAPS: usize = 32;
/// The processor's block (samples per channel per callback).
const BLOCK: u32 = 2048;

/// What `enableAudioFrameEvent` asked for.
pub struct FrameConfig {
    pub source: AudioSource,
    pub sample_rate: u32,
    pub channels: usize,
    /// `port`: frames go to `port.postMessage` instead of the event.
    pub port: Option<JsValue>,
}

struct Tap {
    /// `None`: the local microphone.
    user: Option<String>,
    track_id: String,
    source: MediaStreamAudioSourceNode,
    processor: AudioNode,
    sink: GainNode,
    _callback: Closure<dyn FnMut(JsValue)>,
}

impl Drop for Tap {
    fn drop(&mut self) {
        let _ = js_sys::Reflect::set(&self.processor, &"onaudioprocess".into(), &JsValue::NULL);
        let _ = self.source.disconnect();
        let _ = self.processor.disconnect();
        let _ = self.sink.disconnect();
    }
}

/// `AUDIO_FRAME` delivery while it is on.
pub struct AudioFrames {
    config: Rc<FrameConfig>,
    emit: EmitFn,
    local: Weak<Local>,
    room: Weak<RoomDriver>,
    taps: RefCell<Vec<Tap>>,
    _refresh: RefCell<Option<gloo_timers::callback::Interval>>,
}

impl AudioFrames {
    pub fn start(
        config: FrameConfig,
        emit: EmitFn,
        local: &Rc<Local>,
        room: &Rc<RoomDriver>,
    ) -> Rc<AudioFrames> {
        let frames = Rc::new(AudioFrames {
            config: Rc::new(config),
            emit,
            local: Rc::downgrade(local),
            room: Rc::downgrade(room),
            taps: RefCell::new(Vec::new()),
            _refresh: RefCell::new(None),
        });
        let weak = Rc::downgrade(&frames);
        let timer = gloo_timers::callback::Interval::new(500, move || {
            if let Some(f) = weak.upgrade() {
                f.reconcile();
            }
        });
        *frames._refresh.borrow_mut() = Some(timer);
        frames.reconcile();
        frames
    }

    /// The tracks to tap now: (user, track).
    fn wanted(&self) -> Vec<(Option<String>, MediaStreamTrack)> {
        let mut out = Vec::new();
        if self.config.source.covers(None) {
            if let Some(local) = self.local.upgrade() {
                let track = local.audio.borrow().as_ref().and_then(|a| a.track.clone());
                if let Some(t) = track {
                    out.push((None, t));
                }
            }
        }
        if let Some(room) = self.room.upgrade() {
            for user in room.remote_audio_users() {
                if !self.config.source.covers(Some(&user)) {
                    continue;
                }
                let track = room.remote_track(&user, trtc_proto::MediaKind::Audio);
                if let Ok(t) = track.dyn_into::<MediaStreamTrack>() {
                    out.push((Some(user), t));
                }
            }
        }
        out.truncate(MAX_TAPS);
        out
    }

    /// Taps what plays now and releases taps of tracks that went.
    pub fn reconcile(&self) {
        let wanted = self.wanted();
        let gone: Vec<Tap> = {
            let mut taps = self.taps.borrow_mut();
            let (keep, gone) = std::mem::take(&mut *taps).into_iter().partition(|t| {
                wanted
                    .iter()
                    .any(|(u, tr)| *u == t.user && tr.id() == t.track_id)
            });
            *taps = keep;
            gone
        };
        drop(gone);
        for (user, track) in wanted {
            let have = self
                .taps
                .borrow()
                .iter()
                .any(|t| t.user == user && t.track_id == track.id());
            if have {
                continue;
            }
            match self.tap(user.clone(), &track) {
                Ok(t) => self.taps.borrow_mut().push(t),
                Err(e) => crate::log::warn(&format!(
                    "AUDIO_FRAME: cannot read {}'s audio: {}",
                    user.as_deref().unwrap_or("the microphone"),
                    crate::value::describe(&e)
                )),
            }
        }
    }

    fn tap(
        &self,
        user: Option<String>,
        track: &MediaStreamTrack,
    ) -> std::result::Result<Tap, JsValue> {
        let ctx = crate::audio::context()?;
        let stream = web_sys::MediaStream::new_with_tracks(&js_sys::Array::of1(track))?;
        let source = ctx.create_media_stream_source(&stream)?;
        let channels = self.config.channels as u32;
        let processor: AudioNode = call(
            &ctx,
            "createScriptProcessor",
            &[BLOCK.into(), channels.into(), 1.into()],
        )?
        .unchecked_into();
        let sink = ctx.create_gain()?;
        sink.gain().set_value(0.0);
        let framer = RefCell::new(AudioFramer::new(
            self.config.sample_rate,
            self.config.channels,
        ));
        let config = self.config.clone();
        let emit = self.emit.clone();
        let user_id = user.clone().unwrap_or_default();
        let rate = ctx.sample_rate() as f64;
        let callback = Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| {
            let buffer = get(&ev, "inputBuffer");
            let mut chans: Vec<Vec<f32>> = Vec::new();
            for c in 0..channels {
                match call(&buffer, "getChannelData", &[c.into()]) {
                    Ok(a) => chans.push(a.unchecked_into::<js_sys::Float32Array>().to_vec()),
                    Err(_) => break,
                }
            }
            if chans.is_empty() {
                return;
            }
            let slices: Vec<&[f32]> = chans.iter().map(|c| c.as_slice()).collect();
            let frames = framer.borrow_mut().push(&slices, rate);
            for f in frames {
                deliver(&config, &emit, &user_id, f);
            }
        });
        let _ = js_sys::Reflect::set(
            &processor,
            &"onaudioprocess".into(),
            callback.as_ref().unchecked_ref(),
        );
        source.connect_with_audio_node(&processor)?;
        processor.connect_with_audio_node(&sink)?;
        sink.connect_with_audio_node(&ctx.destination())?;
        Ok(Tap {
            user,
            track_id: track.id(),
            source,
            processor,
            sink,
            _callback: callback,
        })
    }
}

/// One frame as `AUDIO_FRAME` `{userId, sampleRate, channelCount, data}` (data: a Float32Array,
/// or one per channel when stereo), to the event or the app's port.
fn deliver(config: &FrameConfig, emit: &EmitFn, user_id: &str, frame: Vec<Vec<f32>>) {
    let arrays: Vec<JsValue> = frame
        .iter()
        .map(|c| js_sys::Float32Array::from(c.as_slice()).into())
        .collect();
    let data = if arrays.len() == 1 {
        arrays[0].clone()
    } else {
        arrays.iter().collect::<js_sys::Array>().into()
    };
    let payload = object(&[
        ("userId", JsValue::from_str(user_id)),
        ("sampleRate", config.sample_rate.into()),
        ("channelCount", (config.channels as u32).into()),
        ("data", data),
    ]);
    match &config.port {
        Some(port) => {
            let _ = call(port, "postMessage", &[payload]);
        }
        None => emit(event::AUDIO_FRAME, &payload),
    }
}
