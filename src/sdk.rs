//! One `TRTC` instance: its parts, and what ties them together. The parts know nothing of each
//! other: the local media announce changes through a callback the room listens to, and the room
//! reports refused playback through a callback that reaches autoplay recovery here.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use trtc_core::tables::event;
use trtc_core::volume::{self, VolumeEntry};
use wasm_bindgen::JsValue;

use crate::autoplay::Autoplay;
use crate::events::Events;
use crate::local::Local;
use crate::room::RoomDriver;
use crate::value::{get, object};

thread_local! {
    /// Live instances, for `TRTC.setCurrentSpeaker`.
    static LIVE: RefCell<Vec<Weak<Sdk>>> = const { RefCell::new(Vec::new()) };
}

struct VolumeEval {
    in_background: bool,
    _timer: gloo_timers::callback::Interval,
}

pub struct Sdk {
    pub events: Events,
    pub local: Rc<Local>,
    pub room: Rc<RoomDriver>,
    autoplay: Rc<Autoplay>,
    volume: RefCell<Option<VolumeEval>>,
    /// DEVICE_CHANGED add/remove while the instance lives.
    device_watch: RefCell<Option<crate::recover::DeviceWatch>>,
    /// `TRTC.create(options)`.
    pub options: JsValue,
    /// `AUDIO_FRAME` delivery, per `enableAudioFrameEvent` userId (`''`, `'*'` or a user).
    audio_frames: RefCell<Vec<(String, Rc<crate::experimental::AudioFrames>)>>,
    /// `enableAudioFrameEvent` was called (listening to AUDIO_FRAME then turns nothing on).
    frames_configured: std::cell::Cell<bool>,
    /// `switchPlaybackQuality`'s last `streamList`.
    pub quality_levels: RefCell<Vec<trtc_core::experimental::QualityLevel>>,
}

/// The analysis window for a volume interval.
fn meter_window(interval_ms: u32) -> u32 {
    let rate = crate::audio::sample_rate().unwrap_or(48000.0);
    volume::analysis_window(rate, interval_ms)
}

impl Sdk {
    pub fn new(options: JsValue) -> Rc<Sdk> {
        let sdk = Rc::new_cyclic(|me: &Weak<Sdk>| {
            let events = Events::new();
            let window = meter_window(volume::DEFAULT_INTERVAL_MS as u32);
            let local = Rc::new(Local::new(events.clone(), window));
            let w = me.clone();
            let autoplay = Rc::new(Autoplay::new(Rc::new(move || {
                if let Some(sdk) = w.upgrade() {
                    sdk.resume_playback();
                }
            })));
            let w = me.clone();
            let room = RoomDriver::new(
                local.clone(),
                events.clone(),
                Rc::new(move |user_id: &str, media: &str| {
                    if let Some(sdk) = w.upgrade() {
                        sdk.autoplay_failed(user_id, media);
                    }
                }),
                window,
                get(&options, "enableSEI").as_bool() == Some(true) && crate::sei::supported(),
            );
            let r = Rc::downgrade(&room);
            local.on_change(Rc::new(move || {
                if let Some(room) = r.upgrade() {
                    room.local_changed();
                }
            }));
            let auto_switch = get(&options, "enableAutoSwitchWhenRecapturing")
                .as_bool()
                .unwrap_or(true);
            let l = Rc::downgrade(&local);
            local.on_ended(Rc::new(move |kind| {
                if let Some(local) = l.upgrade() {
                    wasm_bindgen_futures::spawn_local(crate::recover::recapture(
                        local,
                        kind,
                        auto_switch,
                    ));
                }
            }));
            let device_watch = RefCell::new(crate::recover::DeviceWatch::start(events.clone()));
            Sdk {
                events,
                local,
                room,
                autoplay,
                volume: RefCell::new(None),
                device_watch,
                options,
                audio_frames: RefCell::new(Vec::new()),
                frames_configured: std::cell::Cell::new(false),
                quality_levels: RefCell::new(Vec::new()),
            }
        });
        LIVE.with(|l| {
            let mut l = l.borrow_mut();
            l.retain(|w| w.strong_count() > 0);
            l.push(Rc::downgrade(&sdk));
        });
        sdk
    }

    /// Every live instance (for `TRTC.setCurrentSpeaker`).
    pub fn live() -> Vec<Rc<Sdk>> {
        LIVE.with(|l| l.borrow().iter().filter_map(|w| w.upgrade()).collect())
    }

    /// How long the SDK tries to get back into a room after losing the connection:
    /// `TRTC.create({ reconnectTimeout })` in ms, 60 s by default.
    pub fn reconnect_give_up_ms(&self) -> f64 {
        get(&self.options, "reconnectTimeout")
            .as_f64()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .unwrap_or(trtc_core::reconnect::DEFAULT_GIVE_UP_MS)
    }

    /// `TRTC.create({proxy})`: the server for every room of this instance.
    pub fn default_proxy(&self) -> Option<String> {
        let p = get(&self.options, "proxy");
        p.as_string()
            .or_else(|| get(&p, "websocketProxy").as_string())
    }

    fn enable_autoplay_dialog(&self) -> bool {
        self.room.enable_autoplay_dialog().unwrap_or_else(|| {
            get(&self.options, "enableAutoPlayDialog")
                .as_bool()
                .unwrap_or(true)
        })
    }

    /// A remote stream could not play: tell the app and resume on the next user gesture.
    fn autoplay_failed(&self, user_id: &str, media: &str) {
        let resume = self.autoplay.failed(self.enable_autoplay_dialog());
        self.events.emit(
            event::AUTOPLAY_FAILED,
            &object(&[
                ("userId", JsValue::from_str(user_id)),
                ("mediaType", media.into()),
                ("resume", resume),
            ]),
        );
    }

    /// Plays every remote stream again (after a gesture, or `resume()`); drops the prompt.
    fn resume_playback(&self) {
        self.room.resume_all();
        if let Some(ctx) = crate::audio::existing_context() {
            crate::audio::resume(&ctx);
        }
        self.autoplay.disarm();
    }

    /// `enableAudioVolumeEvaluation`: AUDIO_VOLUME every `ms` (or never for `None`).
    pub fn set_volume_evaluation(self: &Rc<Self>, ms: Option<u32>, in_background: bool) {
        let Some(ms) = ms else {
            self.volume.borrow_mut().take();
            return;
        };
        let me = Rc::downgrade(self);
        let timer = gloo_timers::callback::Interval::new(ms, move || {
            if let Some(sdk) = me.upgrade() {
                sdk.volume_tick();
            }
        });
        let old = self.volume.borrow_mut().replace(VolumeEval {
            in_background,
            _timer: timer,
        });
        drop(old);
        let window = meter_window(ms);
        self.local.set_volume_window(window);
        self.room.set_meter_window(window);
    }

    fn volume_tick(&self) {
        if self.events.is_destroyed() {
            return;
        }
        let in_background = self
            .volume
            .borrow()
            .as_ref()
            .map(|v| v.in_background)
            .unwrap_or(false);
        let hidden = crate::devices::window()
            .document()
            .map(|d| d.hidden())
            .unwrap_or(false);
        if !volume::should_emit(hidden, in_background) {
            return;
        }
        // `TRTC.create({volumeType: 1})`: dB-based volumes.
        let db = get(&self.options, "volumeType").as_f64() == Some(1.0);
        let mut entries = Vec::new();
        if let Some(level) = self.local.audio_level() {
            entries.push(VolumeEntry::with_type("", level, db));
        }
        for (user, level) in self.room.remote_levels() {
            entries.push(VolumeEntry::with_type(&user, level, db));
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
        self.events
            .emit(event::AUDIO_VOLUME, &object(&[("result", result.into())]));
    }

    /// `enableAudioFrameEvent` for `source`: `Some` (re)starts its delivery, `None` stops it.
    pub fn set_audio_frames(
        &self,
        source: &trtc_core::experimental::AudioSource,
        config: Option<crate::experimental::FrameConfig>,
    ) {
        use trtc_core::experimental::AudioSource;
        self.frames_configured.set(true);
        let key = match source {
            AudioSource::Local => String::new(),
            AudioSource::AllRemote => "*".to_string(),
            AudioSource::Remote(u) => u.clone(),
        };
        let old = {
            let mut list = self.audio_frames.borrow_mut();
            let old = list
                .iter()
                .position(|(k, _)| *k == key)
                .map(|i| list.remove(i));
            if let Some(c) = config {
                let frames = crate::experimental::AudioFrames::start(
                    c,
                    self.events.emit_fn(),
                    &self.local,
                    &self.room,
                );
                list.push((key, frames));
            }
            old
        };
        drop(old);
    }

    /// Listening to `AUDIO_FRAME` turns on the microphone's frames (48 kHz, mono) unless the
    /// app configured delivery itself (reference §4.6).
    pub fn listening(&self, name: &str) {
        if name == event::AUDIO_FRAME && !self.frames_configured.get() {
            let source = trtc_core::experimental::AudioSource::Local;
            self.set_audio_frames(
                &source.clone(),
                Some(crate::experimental::FrameConfig {
                    source,
                    sample_rate: 48000,
                    channels: 1,
                    port: None,
                }),
            );
        }
    }

    /// `destroy()`: leaves the room, stops capture, removes every element and listener; later
    /// calls fail with 5100-series errors.
    pub fn destroy(&self) {
        if !self.events.destroy() {
            return;
        }
        self.volume.borrow_mut().take();
        self.device_watch.borrow_mut().take();
        let frames = std::mem::take(&mut *self.audio_frames.borrow_mut());
        drop(frames);
        self.room.input(trtc_core::client::Input::Exit {
            op: None,
            cause: trtc_core::client::ExitCause::Destroy,
        });
        self.room.drop_preconnection(None);
        self.autoplay.release();
        self.local.release();
        LIVE.with(|l| {
            l.borrow_mut()
                .retain(|w| w.strong_count() > 0 && !std::ptr::eq(w.as_ptr(), self))
        });
    }
}
