//! The local camera and microphone of one instance ([`crate::local_video`],
//! [`crate::local_audio`]): what runs, their operation queues, and what the room publishes from
//! them. It knows nothing of rooms: a change is announced through [`Local::on_change`]. The
//! operations on them (start, update, stop) are in `local_video.rs` and `local_audio.rs`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use trtc_core::client::LocalMedia;
use trtc_proto::MediaKind;
use web_sys::MediaStreamTrack;

use trtc_core::capture::{AudioRequest, FacingMode};
use trtc_core::config::{AudioMute, FillMode, Mirror};
use trtc_core::profile::VideoProfile;

use crate::audio::MicGraph;
use crate::events::{EmitFn, Events};
use crate::queue::AsyncQueue;
use crate::view::VideoView;

/// Told which kind of captured track ended by itself.
pub type OnEnded = Rc<dyn Fn(MediaKind)>;

pub struct Local {
    pub events: Events,
    pub video: RefCell<Option<LocalVideo>>,
    pub audio: RefCell<Option<LocalAudio>>,
    pub video_queue: AsyncQueue,
    pub audio_queue: AsyncQueue,
    /// The analysis window of the microphone's level meter (set with the volume interval).
    meter_window: Cell<u32>,
    on_change: RefCell<Option<Rc<dyn Fn()>>>,
    /// Who hears that a captured track ended by itself (device unplugged, revoked, crashed).
    on_ended: RefCell<Option<OnEnded>>,
    /// The `ended` listeners of the camera's and the microphone's tracks.
    ended: RefCell<[Option<crate::listener::Listener>; 2]>,
}

impl Local {
    pub fn new(events: Events, meter_window: u32) -> Local {
        Local {
            events,
            video: RefCell::new(None),
            audio: RefCell::new(None),
            video_queue: AsyncQueue::default(),
            audio_queue: AsyncQueue::default(),
            meter_window: Cell::new(meter_window),
            on_change: RefCell::new(None),
            on_ended: RefCell::new(None),
            ended: RefCell::new([None, None]),
        }
    }

    /// Who hears that a captured track ended by itself (the instance recaptures).
    pub fn on_ended(&self, f: OnEnded) {
        *self.on_ended.borrow_mut() = Some(f);
    }

    /// Follows the `ended` event of the track now captured for `kind` (none for the app's own
    /// track, or when nothing is captured). Call after each change of the track.
    pub fn watch_ended(&self, kind: MediaKind) {
        let track = match kind {
            MediaKind::Video => self
                .video
                .borrow()
                .as_ref()
                .filter(|v| !v.custom)
                .map(|v| Clone::clone(&v.track)),
            MediaKind::Audio => self
                .audio
                .borrow()
                .as_ref()
                .filter(|a| !a.custom)
                .and_then(|a| a.track.clone()),
        };
        let f = self.on_ended.borrow().clone();
        let listener = track
            .zip(f)
            .map(|(t, f)| crate::listener::Listener::new(&t, "ended", move |_| f(kind)));
        self.ended.borrow_mut()[kind as usize] = listener;
    }

    /// Who hears about changes of what is published (the room).
    pub fn on_change(&self, f: Rc<dyn Fn()>) {
        *self.on_change.borrow_mut() = Some(f);
    }

    /// Tells the room that what is published, muted or captured changed.
    pub fn changed(&self) {
        let f = self.on_change.borrow().clone();
        if let Some(f) = f {
            f();
        }
    }

    pub fn check_alive(&self, function_name: &str) -> crate::error::Result<()> {
        self.events.check_alive(function_name)
    }

    pub fn is_destroyed(&self) -> bool {
        self.events.is_destroyed()
    }

    pub fn emit(&self, name: &str, payload: &wasm_bindgen::JsValue) {
        self.events.emit(name, payload)
    }

    pub fn emit_fn(&self) -> EmitFn {
        self.events.emit_fn()
    }

    pub fn volume_window(&self) -> u32 {
        self.meter_window.get()
    }

    /// A new analysis window for the microphone's meter.
    pub fn set_volume_window(&self, window: u32) {
        self.meter_window.set(window);
        if let Some(la) = self.audio.borrow().as_ref() {
            la.graph.set_window(window);
        }
    }

    /// What the room should publish, as the app set it.
    pub fn publish_state(&self) -> LocalMedia {
        let (audio, audio_muted) = self
            .audio
            .borrow()
            .as_ref()
            .map(|a| (a.publish, a.muted()))
            .unwrap_or((false, false));
        let (video, video_muted) = self
            .video
            .borrow()
            .as_ref()
            .map(|v| (v.publish, v.muted))
            .unwrap_or((false, false));
        LocalMedia {
            audio,
            video,
            audio_muted,
            video_muted,
        }
    }

    /// The track to send for `kind`, if it is published.
    pub fn publish_track(&self, kind: MediaKind) -> Option<MediaStreamTrack> {
        match kind {
            MediaKind::Audio => self
                .audio
                .borrow()
                .as_ref()
                .filter(|a| a.publish)
                .map(|a| a.graph.publish_track()),
            MediaKind::Video => self
                .video
                .borrow()
                .as_ref()
                .filter(|v| v.publish)
                .map(|v| Clone::clone(&v.track)),
        }
    }

    /// The small stream beside the published camera, if any: its profile and the camera
    /// track's size (`getSettings`, else the profile's), to scale it down from.
    pub fn small_stream(&self) -> Option<(VideoProfile, (f64, f64))> {
        let video = self.video.borrow();
        let v = video.as_ref().filter(|v| v.publish)?;
        let small = v.small?;
        let settings = v.track.get_settings();
        let dim = |key: &str, fallback: u32| {
            crate::value::get(&settings, key)
                .as_f64()
                .filter(|n| *n > 0.0)
                .unwrap_or(f64::from(fallback))
        };
        Some((
            small,
            (
                dim("width", v.profile.width),
                dim("height", v.profile.height),
            ),
        ))
    }

    /// The local level for AUDIO_VOLUME, when the microphone runs.
    pub fn audio_level(&self) -> Option<f64> {
        self.audio.borrow().as_ref().map(|a| a.level())
    }

    /// Stops capture and aborts waiting calls (`destroy()`).
    pub fn release(&self) {
        *self.ended.borrow_mut() = [None, None];
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
        self.video_queue.abort_all();
        self.audio_queue.abort_all();
    }
}

/// The running camera.
pub struct LocalVideo {
    pub track: MediaStreamTrack,
    /// The app's own track: never stopped by the SDK.
    pub custom: bool,
    pub camera_id: Option<String>,
    pub facing: Option<FacingMode>,
    pub profile: VideoProfile,
    /// `option.small`: the small stream's profile, when one is published beside the camera.
    pub small: Option<VideoProfile>,
    pub fill: FillMode,
    pub mirror: Mirror,
    /// Whether to publish in a room.
    pub publish: bool,
    pub muted: bool,
    pub views: Vec<VideoView>,
}

impl LocalVideo {
    /// Releases the camera (unless the app owns the track); the views go when dropped.
    pub fn release(&self) {
        if !self.custom {
            self.track.stop();
        }
    }
}

/// The running microphone.
pub struct LocalAudio {
    /// `None` while muted with `'microphone'` (device released).
    pub track: Option<MediaStreamTrack>,
    pub custom: bool,
    pub request: AudioRequest,
    pub capture_volume: f64,
    pub ear_volume: f64,
    pub mute: AudioMute,
    pub keep_volume_detection: bool,
    /// Whether to publish in a room.
    pub publish: bool,
    pub graph: MicGraph,
}

impl LocalAudio {
    pub fn release(&self) {
        if let (Some(t), false) = (&self.track, self.custom) {
            t.stop();
        }
        self.graph.close();
    }

    /// The level for `AUDIO_VOLUME`: 0 while muted unless `muteKeepVolumeDetection`.
    pub fn level(&self) -> f64 {
        match self.mute {
            AudioMute::Unmute => self.graph.level(),
            AudioMute::Mute if self.keep_volume_detection => self.graph.level(),
            _ => 0.0,
        }
    }

    /// Enables or silences the track and the published path after a mute change.
    pub fn apply_mute(&self) {
        if let Some(t) = &self.track {
            let silent = self.mute != AudioMute::Unmute && !self.keep_volume_detection;
            t.set_enabled(!silent);
        }
        self.graph.set_publish_muted(self.mute != AudioMute::Unmute);
    }

    pub fn muted(&self) -> bool {
        self.mute != AudioMute::Unmute
    }
}
