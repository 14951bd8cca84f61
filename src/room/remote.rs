//! Remote media in the page: each remote user's audio playback (an off-DOM `<audio>`, a level
//! meter, an amplifier above volume 100) and the video views the app asked for.
//!
//! The sub stream (a shared screen and its system audio) has maps of its own, keyed by user like
//! the main stream's: `sub` selects them.
//!
//! Nothing here decides what plays: the room client does, and the driver carries it out here.
//! Whatever is dropped is first taken out of its `RefCell`, so a view's teardown (which emits
//! `VIDEO_PLAY_STATE_CHANGED`) runs with no borrow held.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use trtc_core::config::FillMode;
use trtc_core::tables::event;
use trtc_core::vec_map::VecMap;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlAudioElement, HtmlElement, MediaStream, MediaStreamTrack};

use crate::events::EmitFn;
use crate::listener::Listener;
use crate::value::{get, object};
use crate::view::{VideoView, ViewEvents};

/// Called when a remote stream is refused playback (autoplay policy): (userId, mediaType).
pub type AutoplayFailed = Rc<dyn Fn(&str, &str)>;

/// A remote video the app asked to render.
pub struct RemoteVideo {
    pub containers: Vec<HtmlElement>,
    pub fill: FillMode,
    pub mirror: bool,
    pub views: Vec<VideoView>,
    /// The app's extra options (`poster`, `receiveWhenViewVisible`) and the player state.
    pub extra: RemoteVideoExtra,
}

/// `startRemoteVideo` options beyond the views, and `pauseRemotePlayer`'s state.
#[derive(Default)]
pub struct RemoteVideoExtra {
    /// `option.poster`.
    pub poster: Option<String>,
    /// `option.receiveWhenViewVisible`: the watch on the containers.
    pub watch: Option<crate::view::VisibilityWatch>,
    /// `pauseRemotePlayer` paused the video.
    pub paused: bool,
}

/// A remote user's audio playback.
pub struct RemoteAudio {
    element: HtmlAudioElement,
    track: MediaStreamTrack,
    /// For AUDIO_VOLUME (the element keeps Chrome pulling the remote audio).
    meter: Option<crate::audio::LevelMeter>,
    /// Plays the track when its volume is above 100 (the element then stays muted).
    amplifier: RefCell<Option<crate::audio::Amplifier>>,
    muted: Cell<bool>,
    _listeners: Vec<Listener>,
}

impl RemoteAudio {
    /// Applies `setRemoteAudioVolume` (0..; above 100 amplifies) and `muteRemoteAudio`. Up to
    /// 100 the element plays at volume/100; above, the element is muted and Web Audio plays the
    /// track with a gain of volume/100.
    fn apply(&self, volume: f64, muted: bool) {
        self.muted.set(muted);
        let volume = if volume.is_finite() {
            volume.max(0.0)
        } else {
            100.0
        };
        if volume <= 100.0 {
            self.amplifier.borrow_mut().take();
            self.element.set_volume(volume / 100.0);
            self.element.set_muted(muted);
            return;
        }
        let gain = if muted { 0.0 } else { volume / 100.0 };
        let mut amp = self.amplifier.borrow_mut();
        match amp.as_ref() {
            Some(a) => a.set_gain(gain),
            None => match crate::audio::Amplifier::new(&self.track, gain) {
                Ok(a) => *amp = Some(a),
                Err(e) => {
                    crate::log::warn(&format!(
                        "setRemoteAudioVolume: cannot amplify, playing at 100: {}",
                        crate::value::describe(&e)
                    ));
                    self.element.set_volume(1.0);
                    self.element.set_muted(muted);
                    return;
                }
            },
        }
        self.element.set_volume(1.0);
        self.element.set_muted(true);
    }

    fn level(&self) -> f64 {
        if self.muted.get() {
            return 0.0;
        }
        self.meter.as_ref().map(|m| m.level()).unwrap_or(0.0)
    }
}

impl Drop for RemoteAudio {
    fn drop(&mut self) {
        let _ = self.element.pause();
        self.element.set_src_object(None);
    }
}

/// All remote media of a room, by user.
pub struct Remote {
    emit: EmitFn,
    autoplay_failed: AutoplayFailed,
    audios: RefCell<VecMap<String, RemoteAudio>>,
    videos: RefCell<VecMap<String, RemoteVideo>>,
    /// The sub stream's: system audio, shared screens.
    sub_audios: RefCell<VecMap<String, RemoteAudio>>,
    sub_videos: RefCell<VecMap<String, RemoteVideo>>,
    /// `setRemoteAudioVolume` values: for `'*'`, and per user.
    volume_all: Cell<Option<f64>>,
    volumes: RefCell<VecMap<String, f64>>,
    meter_window: Cell<u32>,
}

impl Remote {
    pub fn new(emit: EmitFn, autoplay_failed: AutoplayFailed, meter_window: u32) -> Remote {
        Remote {
            emit,
            autoplay_failed,
            audios: RefCell::new(VecMap::new()),
            videos: RefCell::new(VecMap::new()),
            sub_audios: RefCell::new(VecMap::new()),
            sub_videos: RefCell::new(VecMap::new()),
            volume_all: Cell::new(None),
            volumes: RefCell::new(VecMap::new()),
            meter_window: Cell::new(meter_window),
        }
    }

    fn audios(&self, sub: bool) -> &RefCell<VecMap<String, RemoteAudio>> {
        if sub {
            &self.sub_audios
        } else {
            &self.audios
        }
    }

    fn videos(&self, sub: bool) -> &RefCell<VecMap<String, RemoteVideo>> {
        if sub {
            &self.sub_videos
        } else {
            &self.videos
        }
    }

    pub fn volume(&self, user_id: &str) -> f64 {
        self.volumes
            .borrow()
            .get(user_id)
            .copied()
            .or(self.volume_all.get())
            .unwrap_or(100.0)
    }

    /// `setRemoteAudioVolume(user | '*', volume)`; `muted` says who the app muted.
    pub fn set_volume(&self, user_id: &str, volume: f64, muted: &dyn Fn(&str) -> bool) {
        if user_id == "*" {
            self.volume_all.set(Some(volume));
            self.volumes.borrow_mut().clear();
        } else {
            self.volumes
                .borrow_mut()
                .insert(user_id.to_string(), volume);
        }
        for sub in [false, true] {
            for (u, a) in self.audios(sub).borrow().iter() {
                if user_id == "*" || u == user_id {
                    a.apply(volume, muted(u));
                }
            }
        }
    }

    /// Applies `muteRemoteAudio` to the elements playing now.
    pub fn apply_mutes(&self, muted: &dyn Fn(&str) -> bool) {
        for sub in [false, true] {
            for (u, a) in self.audios(sub).borrow().iter() {
                a.apply(self.volume(u), muted(u));
            }
        }
    }

    pub fn set_meter_window(&self, window: u32) {
        self.meter_window.set(window);
        for a in self.audios.borrow().values() {
            if let Some(m) = &a.meter {
                m.set_window(window);
            }
        }
    }

    /// The level (0..1) of each user's audio that plays (0 when muted).
    pub fn level(&self, user_id: &str) -> f64 {
        self.audios
            .borrow()
            .get(user_id)
            .map(RemoteAudio::level)
            .unwrap_or(0.0)
    }

    /// Plays `user_id`'s audio track (`sub`: its shared screen's system audio) through an
    /// (off-DOM) audio element.
    pub fn play_audio(&self, user_id: &str, track: &MediaStreamTrack, muted: bool, sub: bool) {
        if self.audios(sub).borrow().contains_key(user_id) {
            return;
        }
        let doc = crate::devices::window().document().expect("document");
        let Ok(el) = doc.create_element("audio") else {
            return;
        };
        let element: HtmlAudioElement = wasm_bindgen::JsCast::unchecked_into(el);
        element.set_autoplay(true);
        if let Ok(stream) = MediaStream::new_with_tracks(&js_sys::Array::of1(track)) {
            element.set_src_object(Some(&stream));
        }
        if let Some(id) = crate::devices::current_speaker() {
            if let Some(f) =
                wasm_bindgen::JsCast::dyn_ref::<js_sys::Function>(&get(&element, "setSinkId"))
            {
                let _ = f.call1(&element, &JsValue::from_str(&id));
            }
        }
        let emit = self.emit.clone();
        let uid = user_id.to_string();
        let playing = Listener::new(&element, "playing", move |_| {
            emit(
                event::AUDIO_PLAY_STATE_CHANGED,
                &object(&[
                    ("type", "audio".into()),
                    ("userId", JsValue::from_str(&uid)),
                    ("state", "PLAYING".into()),
                    ("reason", "playing".into()),
                ]),
            );
        });
        let meter = crate::audio::LevelMeter::new(track, self.meter_window.get())
            .map_err(|e| {
                crate::log::warn(&format!(
                    "no volume meter for {user_id}: {}",
                    crate::value::describe(&e)
                ))
            })
            .ok();
        let audio = RemoteAudio {
            element: Clone::clone(&element),
            track: Clone::clone(track),
            meter,
            amplifier: RefCell::new(None),
            muted: Cell::new(false),
            _listeners: vec![playing],
        };
        audio.apply(self.volume(user_id), muted);
        self.audios(sub)
            .borrow_mut()
            .insert(user_id.to_string(), audio);
        self.play_element(&element, user_id);
    }

    fn play_element(&self, element: &HtmlAudioElement, user_id: &str) {
        let Ok(p) = element.play() else { return };
        let failed = self.autoplay_failed.clone();
        let uid = user_id.to_string();
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = JsFuture::from(p).await {
                if get(&e, "name").as_string().as_deref() == Some("NotAllowedError") {
                    failed(&uid, "audio");
                }
            }
        });
    }

    pub fn stop_audio(&self, user_id: &str, sub: bool) {
        let a = self.audios(sub).borrow_mut().remove(user_id);
        drop(a);
    }

    /// Replays every remote audio element (after a user gesture or `resume()`).
    pub fn resume_all(&self) {
        let elements: Vec<HtmlAudioElement> = [false, true]
            .iter()
            .flat_map(|sub| {
                self.audios(*sub)
                    .borrow()
                    .values()
                    .map(|a| Clone::clone(&a.element))
                    .collect::<Vec<_>>()
            })
            .collect();
        for el in elements {
            if let Ok(p) = el.play() {
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = JsFuture::from(p).await;
                });
            }
        }
    }

    /// `startRemoteVideo`/`updateRemoteVideo`: the views, fill mode and mirror the app gave.
    /// New containers replace the old views. `is_update` needs a started video. A shared
    /// screen (`sub`) is shown whole by default (`contain`), a camera fills its view (`cover`).
    pub fn set_video(
        &self,
        user_id: &str,
        containers: Option<Vec<HtmlElement>>,
        fill: Option<FillMode>,
        mirror: Option<bool>,
        is_update: bool,
        sub: bool,
    ) -> bool {
        let old = {
            let mut videos = self.videos(sub).borrow_mut();
            if is_update && !videos.contains_key(user_id) {
                return false;
            }
            let entry = videos.get_or_insert_with(user_id.to_string(), || RemoteVideo {
                containers: Vec::new(),
                fill: if sub {
                    FillMode::Contain
                } else {
                    FillMode::Cover
                },
                mirror: false,
                views: Vec::new(),
                extra: RemoteVideoExtra::default(),
            });
            if let Some(f) = fill {
                entry.fill = f;
                entry.views.iter().for_each(|view| view.set_fill(f));
            }
            if let Some(m) = mirror {
                entry.mirror = m;
                entry.views.iter().for_each(|view| view.set_mirror(m));
            }
            match containers {
                Some(list) => {
                    entry.containers = list;
                    std::mem::take(&mut entry.views)
                }
                None => Vec::new(),
            }
        };
        drop(old);
        true
    }

    /// Renders `track` into the user's containers, unless its views exist.
    pub fn show_video(&self, user_id: &str, track: &MediaStreamTrack, sub: bool) {
        let (containers, fill, mirror, poster, paused) = {
            let videos = self.videos(sub).borrow();
            let Some(v) = videos.get(user_id) else {
                return;
            };
            if !v.views.is_empty() {
                return;
            }
            (
                v.containers.clone(),
                v.fill,
                v.mirror,
                v.extra.poster.clone(),
                v.extra.paused,
            )
        };
        let mut views = Vec::new();
        for (i, c) in containers.iter().enumerate() {
            let events = (i == 0).then(|| ViewEvents {
                emit: self.emit.clone(),
                user_id: user_id.to_string(),
                stream_type: if sub { "sub" } else { "main" },
            });
            match VideoView::new(c, track, fill, mirror, events) {
                Ok(view) => {
                    if let Some(p) = &poster {
                        view.set_poster(p);
                    }
                    if paused {
                        let _ = view.element().pause();
                    }
                    views.push(view)
                }
                Err(e) => crate::log::error(&format!(
                    "cannot render {user_id}'s video: {}",
                    crate::value::describe(&e)
                )),
            }
        }
        if let Some(v) = self.videos(sub).borrow_mut().get_mut(user_id) {
            v.views = views;
            return;
        }
        drop(views);
    }

    /// The app's extra options for a started video: the poster (applied to the views there
    /// are), and the visibility watch (`Some(None)` removes it). Whether the video is started.
    pub fn set_extra(
        &self,
        user_id: &str,
        sub: bool,
        poster: Option<String>,
        watch: Option<Option<crate::view::VisibilityWatch>>,
    ) -> bool {
        let old = {
            let mut videos = self.videos(sub).borrow_mut();
            let Some(v) = videos.get_mut(user_id) else {
                return false;
            };
            if let Some(p) = poster {
                v.views.iter().for_each(|view| view.set_poster(&p));
                v.extra.poster = Some(p);
            }
            match watch {
                Some(w) => std::mem::replace(&mut v.extra.watch, w),
                None => None,
            }
        };
        drop(old);
        true
    }

    /// Whether the user's video is received only while its view is visible.
    pub fn visible_only(&self, user_id: &str, sub: bool) -> bool {
        self.videos(sub)
            .borrow()
            .get(user_id)
            .is_some_and(|v| v.extra.watch.is_some())
    }

    /// The `viewRoot` of the video's visibility watch, if it has one.
    pub fn watch_root(&self, user_id: &str, sub: bool) -> Option<HtmlElement> {
        self.videos(sub)
            .borrow()
            .get(user_id)
            .and_then(|v| v.extra.watch.as_ref()?.root())
    }

    /// The containers of a started video.
    pub fn containers(&self, user_id: &str, sub: bool) -> Vec<HtmlElement> {
        self.videos(sub)
            .borrow()
            .get(user_id)
            .map(|v| v.containers.clone())
            .unwrap_or_default()
    }

    /// `pauseRemotePlayer` / `resumeRemotePlayer` for a user or `'*'`: the video players
    /// (`streamType` `'main'` or `'sub'`; both when none), and the audio when no `streamType`
    /// is given. A paused video stays paused in views made later, until resumed.
    pub fn pause(&self, user_id: &str, stream_type: Option<&str>, pause: bool) {
        let hit = |u: &str| user_id == "*" || u == user_id;
        let subs: &[bool] = match stream_type {
            None => &[false, true],
            Some("sub") => &[true],
            Some(_) => &[false],
        };
        for &sub in subs {
            let elements: Vec<web_sys::HtmlVideoElement> = {
                let mut videos = self.videos(sub).borrow_mut();
                let mut out = Vec::new();
                for (u, v) in videos.iter_mut() {
                    if hit(u) {
                        v.extra.paused = pause;
                        out.extend(v.views.iter().map(|view| view.element().clone()));
                    }
                }
                out
            };
            for el in elements {
                if pause {
                    let _ = el.pause();
                } else if let Ok(p) = el.play() {
                    wasm_bindgen_futures::spawn_local(async move {
                        let _ = JsFuture::from(p).await;
                    });
                }
            }
        }
        if stream_type.is_none() {
            let elements: Vec<(String, HtmlAudioElement)> = self
                .audios
                .borrow()
                .iter()
                .filter(|(u, _)| hit(u))
                .map(|(u, a)| (u.clone(), Clone::clone(&a.element)))
                .collect();
            for (u, el) in elements {
                if pause {
                    let _ = el.pause();
                } else {
                    self.play_element(&el, &u);
                }
            }
        }
    }

    /// The first remote main video shown now: (user, its first view's element).
    pub fn first_video(&self) -> Option<(String, web_sys::HtmlVideoElement)> {
        self.first_video_where(|_| true)
    }

    /// The first remote main video shown now of a user for whom `pick` holds.
    pub fn first_video_where(
        &self,
        pick: impl Fn(&str) -> bool,
    ) -> Option<(String, web_sys::HtmlVideoElement)> {
        self.videos(false).borrow().iter().find_map(|(u, v)| {
            v.views
                .first()
                .filter(|_| pick(u))
                .map(|view| (u.clone(), view.element().clone()))
        })
    }

    /// Removes the user's video views (keeps the containers for a new track).
    pub fn hide_video(&self, user_id: &str, sub: bool) {
        let views = self
            .videos(sub)
            .borrow_mut()
            .get_mut(user_id)
            .map(|v| std::mem::take(&mut v.views));
        drop(views);
    }

    /// `stopRemoteVideo`: the views and containers go; whether there were any.
    pub fn stop_video(&self, user_id: &str, sub: bool) -> bool {
        let v = self.videos(sub).borrow_mut().remove(user_id);
        v.is_some()
    }

    /// Users whose video (`sub`: shared screen) the app asked to render.
    pub fn video_users(&self, sub: bool) -> Vec<String> {
        self.videos(sub).borrow().keys().cloned().collect()
    }

    /// A PNG data URL of the user's video as shown now; `''` when it is not.
    pub fn snapshot(&self, user_id: &str, sub: bool) -> String {
        self.videos(sub)
            .borrow()
            .get(user_id)
            .and_then(|v| v.views.first().map(|view| view.snapshot()))
            .unwrap_or_default()
    }

    /// Everything of `user_id` goes (they left).
    pub fn forget(&self, user_id: &str) {
        for sub in [false, true] {
            let v = self.videos(sub).borrow_mut().remove(user_id);
            drop(v);
            self.stop_audio(user_id, sub);
        }
    }

    /// The connection went: every element and view goes; the app's containers stay unless
    /// the room is left.
    pub fn drop_media(&self, leaving: bool) {
        for sub in [false, true] {
            let audios: Vec<_> = self.audios(sub).borrow_mut().drain().collect();
            drop(audios);
            let views: Vec<VideoView> = if leaving {
                self.videos(sub)
                    .borrow_mut()
                    .drain()
                    .flat_map(|(_, v)| v.views)
                    .collect()
            } else {
                self.videos(sub)
                    .borrow_mut()
                    .values_mut()
                    .flat_map(|v| std::mem::take(&mut v.views))
                    .collect()
            };
            drop(views);
        }
    }
}
