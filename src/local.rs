//! The local camera, microphone and shared screen of one instance ([`crate::local_video`],
//! [`crate::local_audio`], [`crate::local_screen`]): what runs, their operation queues, and what
//! the room publishes from them. A screen shared as the sub stream is published next to the
//! camera; one shared as the main stream takes the camera's place. It knows nothing of rooms: a change is announced through [`Local::on_change`]. The
//! operations on them (start, update, stop) are in `local_video.rs` and `local_audio.rs`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use trtc_core::client::LocalMedia;
use trtc_proto::MediaKind;
use web_sys::MediaStreamTrack;

use trtc_core::capture::{AudioRequest, FacingMode};
use trtc_core::config::{AudioMute, FillMode, MainVideo, Mirror};
use trtc_core::encoding::{AudioEncoding, QosPreference, VideoEncoding};
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
    /// The shared screen (`startScreenShare`).
    pub screen: RefCell<Option<LocalScreen>>,
    pub screen_queue: AsyncQueue,
    /// The analysis window of the microphone's level meter (set with the volume interval).
    meter_window: Cell<u32>,
    on_change: RefCell<Option<Rc<dyn Fn()>>>,
    /// Who hears that a captured track ended by itself (device unplugged, revoked, crashed).
    on_ended: RefCell<Option<OnEnded>>,
    /// The `ended` listeners of the camera's and the microphone's tracks.
    ended: RefCell<[Option<crate::listener::Listener>; 2]>,
    /// The ids of the last tracks announced with `TRACK`, by [`MediaKind`] (audio, video, the
    /// screen, its audio).
    announced: RefCell<[Option<String>; 4]>,
}

impl Local {
    pub fn new(events: Events, meter_window: u32) -> Local {
        Local {
            events,
            video: RefCell::new(None),
            audio: RefCell::new(None),
            video_queue: AsyncQueue::default(),
            audio_queue: AsyncQueue::default(),
            screen: RefCell::new(None),
            screen_queue: AsyncQueue::default(),
            meter_window: Cell::new(meter_window),
            on_change: RefCell::new(None),
            on_ended: RefCell::new(None),
            ended: RefCell::new([None, None]),
            announced: RefCell::new([None, None, None, None]),
        }
    }

    /// Who hears that a captured track ended by itself (the instance recaptures).
    pub fn on_ended(&self, f: OnEnded) {
        *self.on_ended.borrow_mut() = Some(f);
    }

    /// Follows the `ended` event of the track now captured for `kind` (none for the app's own
    /// track, or when nothing is captured). Call after each change of the track.
    pub fn watch_ended(&self, kind: MediaKind) {
        if kind == MediaKind::Video {
            self.sync_video();
        }
        self.announce_track(kind);
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
            // A shared screen's end is watched by `local_screen` itself.
            MediaKind::SubVideo | MediaKind::SubAudio => return,
        };
        let f = self.on_ended.borrow().clone();
        let listener = track
            .zip(f)
            .map(|(t, f)| crate::listener::Listener::new(&t, "ended", move |_| f(kind)));
        self.ended.borrow_mut()[kind as usize] = listener;
    }

    /// `TRACK` `{userId: '', streamType, track, sourceTrack}` when the captured track of `kind`
    /// is new: `sourceTrack` is what was captured, `track` what is published from it (the
    /// screen's tracks are sent as captured; a screen shared as the main stream is `'main'`).
    pub fn announce_track(&self, kind: MediaKind) {
        let screen = |audio: bool| {
            self.screen.borrow().as_ref().and_then(|s| {
                let t = if audio {
                    s.audio.clone()
                } else {
                    Some(Clone::clone(&s.track))
                };
                t.map(|t| (Clone::clone(&t), t))
            })
        };
        let main_screen = self.screen.borrow().as_ref().is_some_and(|s| s.main);
        let pair = match kind {
            MediaKind::SubVideo => screen(false),
            MediaKind::SubAudio => screen(true),
            MediaKind::Video => self.video.borrow().as_ref().map(|v| {
                let source = Clone::clone(&v.track);
                (
                    self.sent_video(v).unwrap_or_else(|| Clone::clone(&source)),
                    source,
                )
            }),
            MediaKind::Audio => self.audio.borrow().as_ref().and_then(|a| {
                a.track
                    .clone()
                    .map(|source| (a.graph.publish_track(), source))
            }),
        };
        let id = pair.as_ref().map(|(_, s)| s.id());
        let new = self.announced.borrow_mut()[kind as usize] != id;
        self.announced.borrow_mut()[kind as usize] = id;
        if let (true, Some((track, source))) = (new, pair) {
            self.emit(
                trtc_core::tables::event::TRACK,
                &crate::value::object(&[
                    ("userId", "".into()),
                    (
                        "streamType",
                        if kind.is_sub() && !main_screen {
                            "sub"
                        } else {
                            "main"
                        }
                        .into(),
                    ),
                    ("track", track.into()),
                    ("sourceTrack", source.into()),
                ]),
            );
        }
    }

    /// Who hears about changes of what is published (the room).
    pub fn on_change(&self, f: Rc<dyn Fn()>) {
        *self.on_change.borrow_mut() = Some(f);
    }

    /// Makes (or drops) the canvas that sends a mirrored camera or the mute image, as the
    /// camera's settings now ask.
    pub fn sync_video(&self) {
        let old = {
            let mut video = self.video.borrow_mut();
            let Some(v) = video.as_mut() else {
                return;
            };
            let image = if v.muted { v.image.clone() } else { None };
            let mirror = v.mirror.mirrors_publish();
            let want = (mirror || image.is_some()).then(|| (v.track.id(), mirror, image));
            let mut old = None;
            if v.processor.as_ref().map(|p| p.key()) != want.as_ref() {
                old = v.processor.take();
                if let Some(key) = want {
                    match crate::video_proc::Processor::new(&v.track, key, v.profile.frame_rate) {
                        Ok(p) => v.processor = Some(p),
                        Err(e) => crate::log::warn(&format!(
                            "cannot mirror the published video or send the mute image: {}",
                            crate::value::describe(&e)
                        )),
                    }
                }
            }
            // The local views show the mute image while it is sent, else the camera.
            let shown = match &v.processor {
                Some(p) if p.sends_image() => p.track(),
                _ => Clone::clone(&v.track),
            };
            v.views.iter().for_each(|view| view.show(&shown));
            old
        };
        drop(old);
    }

    fn sent_video(&self, v: &LocalVideo) -> Option<MediaStreamTrack> {
        v.processor.as_ref().map(|p| p.track())
    }

    /// Tells the room that what is published, muted or captured changed.
    pub fn changed(&self) {
        self.sync_video();
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
        let video_muted = self.video.borrow().as_ref().is_some_and(|v| {
            let image = v.processor.as_ref().is_some_and(|p| p.sends_image());
            v.muted && !image
        });
        let main = self.main_video();
        let screen = self.screen.borrow();
        let screen = screen.as_ref().filter(|s| s.publish);
        LocalMedia {
            audio,
            // A screen shared as the main stream is sent in the camera's place.
            video: main != MainVideo::Nothing,
            audio_muted,
            video_muted: video_muted && main == MainVideo::Camera,
            screen: screen.is_some_and(|s| !s.main),
            screen_audio: screen.is_some_and(|s| s.sends_audio()),
        }
    }

    /// What the main video stream carries: the published camera, or a screen shared as the
    /// main stream (which wins unless the camera has `forcePublish`).
    pub fn main_video(&self) -> MainVideo {
        let (camera, force) = self
            .video
            .borrow()
            .as_ref()
            .map(|v| (v.publish, v.force_publish))
            .unwrap_or((false, false));
        let screen = self
            .screen
            .borrow()
            .as_ref()
            .is_some_and(|s| s.publish && s.main);
        MainVideo::choose(camera, force, screen)
    }

    /// The shared screen when it is what the main stream carries.
    fn main_screen(&self) -> Option<std::cell::Ref<'_, LocalScreen>> {
        if self.main_video() != MainVideo::Screen {
            return None;
        }
        std::cell::Ref::filter_map(self.screen.borrow(), Option::as_ref).ok()
    }

    /// The track to send for `kind`, if it is published.
    pub fn publish_track(&self, kind: MediaKind) -> Option<MediaStreamTrack> {
        match kind {
            MediaKind::SubVideo => self
                .screen
                .borrow()
                .as_ref()
                .filter(|s| s.publish && !s.main)
                .map(|s| Clone::clone(&s.track)),
            MediaKind::SubAudio => self
                .screen
                .borrow()
                .as_ref()
                .filter(|s| s.sends_audio())
                .and_then(|s| s.audio.clone()),
            MediaKind::Video if self.main_video() == MainVideo::Screen => {
                self.main_screen().map(|s| Clone::clone(&s.track))
            }
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
                .map(|v| self.sent_video(v).unwrap_or_else(|| Clone::clone(&v.track))),
        }
    }

    /// The encoder settings of what the main video sender carries: a screen shared as the main
    /// stream (its profile and QoS), else the camera (its profile and QoS), when it runs.
    pub fn video_encoding(&self) -> Option<VideoEncoding> {
        if let Some(s) = self.main_screen() {
            return Some(s.encoding);
        }
        let video = self.video.borrow();
        let v = video.as_ref()?;
        Some(VideoEncoding::new(&v.profile, v.qos))
    }

    /// The encoder settings of the screen shared as the sub stream, when it is.
    pub fn screen_encoding(&self) -> Option<VideoEncoding> {
        let screen = self.screen.borrow();
        screen
            .as_ref()
            .filter(|s| s.publish && !s.main)
            .map(|s| s.encoding)
    }

    /// The microphone's encoder settings (its profile), when it runs.
    pub fn audio_encoding(&self) -> Option<AudioEncoding> {
        let audio = self.audio.borrow();
        Some(AudioEncoding::new(&audio.as_ref()?.request.profile))
    }

    /// The small stream beside the published camera, if any: its profile and the camera
    /// track's size (`getSettings`, else the profile's), to scale it down from. None while a
    /// screen is shared as the main stream (the main sender carries it, and a screen has no
    /// small stream).
    pub fn small_stream(&self) -> Option<(VideoProfile, (f64, f64))> {
        if self.main_video() == MainVideo::Screen {
            return None;
        }
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
        let screen = self.screen.borrow_mut().take();
        if let Some(s) = &screen {
            s.release();
        }
        drop(screen);
        self.video_queue.abort_all();
        self.audio_queue.abort_all();
        self.screen_queue.abort_all();
    }
}

/// The shared screen.
pub struct LocalScreen {
    pub track: MediaStreamTrack,
    /// The system audio the browser captured with it (when `option.systemAudio` asked).
    pub audio: Option<MediaStreamTrack>,
    /// The app's own tracks: never stopped by the SDK.
    pub custom_video: bool,
    pub custom_audio: bool,
    pub fill: FillMode,
    /// Whether to publish in a room.
    pub publish: bool,
    /// `streamType: 'main'`: published in the camera's place.
    pub main: bool,
    /// `muteSystemAudio`.
    pub audio_muted: bool,
    pub views: Vec<VideoView>,
    /// The sender's settings: the screen profile's bitrate and frame rate, `qosPreference`.
    pub encoding: VideoEncoding,
    /// The video track's `ended` (the user stopped sharing in the browser's UI); removed with
    /// the share.
    pub _ended: crate::listener::Listener,
}

impl LocalScreen {
    /// Whether the system audio goes to the room (as the sub stream's audio).
    pub fn sends_audio(&self) -> bool {
        self.publish && !self.main && !self.audio_muted && self.audio.is_some()
    }

    /// Stops capture (unless the app owns the tracks); the views go when dropped.
    pub fn release(&self) {
        if !self.custom_video {
            self.track.stop();
        }
        if let (Some(a), false) = (&self.audio, self.custom_audio) {
            a.stop();
        }
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
    /// `option.qosPreference`: what the encoder gives up first.
    pub qos: QosPreference,
    /// `option.small`: the small stream's profile, when one is published beside the camera.
    pub small: Option<VideoProfile>,
    pub fill: FillMode,
    pub mirror: Mirror,
    /// Whether to publish in a room.
    pub publish: bool,
    /// `forcePublish`: published as the main stream even while a screen shared as the main
    /// stream is (which then waits).
    pub force_publish: bool,
    pub muted: bool,
    pub views: Vec<VideoView>,
    /// `mute: '<image url>'`: the image published while muted.
    pub image: Option<String>,
    /// The canvas that makes what is sent when it is not the camera's picture (mirrored, or
    /// the image); see [`crate::video_proc`].
    pub processor: Option<crate::video_proc::Processor>,
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
