//! The SDK's own `<video>` element inside an app's view container: fill mode, mirror, playback
//! state and first-frame events.

use std::cell::Cell;
use std::rc::Rc;
use trtc_core::config::FillMode;
use trtc_core::tables::event;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlElement, HtmlVideoElement, MediaStream, MediaStreamTrack};

use crate::listener::Listener;
use crate::value::object;

use crate::events::EmitFn;

/// Who the video belongs to, for event payloads.
#[derive(Clone)]
pub struct ViewEvents {
    pub emit: EmitFn,
    pub user_id: String,
    pub stream_type: &'static str,
}

impl ViewEvents {
    fn play_state(&self, state: &str, reason: &str) {
        (self.emit)(
            event::VIDEO_PLAY_STATE_CHANGED,
            &object(&[
                ("type", "video".into()),
                ("userId", JsValue::from_str(&self.user_id)),
                ("streamType", self.stream_type.into()),
                ("state", state.into()),
                ("reason", reason.into()),
            ]),
        );
    }
}

pub struct VideoView {
    video: HtmlVideoElement,
    events: Option<ViewEvents>,
    first_frame_sent: Rc<Cell<bool>>,
    _listeners: Vec<Listener>,
}

impl VideoView {
    /// Puts a new `<video>` playing `track` into `container`. `events` is given for the view
    /// that reports playback (the first one).
    pub fn new(
        container: &HtmlElement,
        track: &MediaStreamTrack,
        fill: FillMode,
        mirror: bool,
        events: Option<ViewEvents>,
    ) -> Result<VideoView, JsValue> {
        let doc = crate::devices::window().document().expect("document");
        let video: HtmlVideoElement = doc.create_element("video")?.unchecked_into();
        video.set_autoplay(true);
        video.set_muted(true);
        video.set_attribute("playsinline", "")?;
        video.set_attribute("muted", "")?;
        video.set_attribute("data-trtc-video", "")?;
        let style = video.style();
        style.set_property("width", "100%")?;
        style.set_property("height", "100%")?;
        style.set_property("display", "block")?;
        style.set_property("background-color", "#000")?;
        let first_frame_sent = Rc::new(Cell::new(false));
        let mut listeners = Vec::new();
        if let Some(ev) = &events {
            let e = ev.clone();
            listeners.push(Listener::new(&video, "playing", move |_| {
                e.play_state("PLAYING", "playing")
            }));
            let e = ev.clone();
            listeners.push(Listener::new(&video, "pause", move |_| {
                e.play_state("PAUSED", "pause")
            }));
            let e = ev.clone();
            let sent = first_frame_sent.clone();
            let v = video.clone();
            let last_size = Rc::new(Cell::new((0u32, 0u32)));
            let size = last_size.clone();
            listeners.push(Listener::new(&video, "loadeddata", move |_| {
                let (w, h) = (v.video_width(), v.video_height());
                if w > 0 && !sent.replace(true) {
                    size.set((w, h));
                    (e.emit)(
                        event::FIRST_VIDEO_FRAME,
                        &object(&[
                            ("userId", JsValue::from_str(&e.user_id)),
                            ("streamType", e.stream_type.into()),
                            ("width", w.into()),
                            ("height", h.into()),
                        ]),
                    );
                }
            }));
            let e = ev.clone();
            let sent = first_frame_sent.clone();
            let v = video.clone();
            listeners.push(Listener::new(&video, "resize", move |_| {
                let (w, h) = (v.video_width(), v.video_height());
                if sent.get() && w > 0 && last_size.replace((w, h)) != (w, h) {
                    (e.emit)(
                        event::VIDEO_SIZE_CHANGED,
                        &object(&[
                            ("userId", JsValue::from_str(&e.user_id)),
                            ("streamType", e.stream_type.into()),
                            ("newWidth", w.into()),
                            ("newHeight", h.into()),
                        ]),
                    );
                }
            }));
            for (kind, entering) in [
                ("enterpictureinpicture", true),
                ("leavepictureinpicture", false),
            ] {
                let e = ev.clone();
                listeners.push(Listener::new(&video, kind, move |evt| {
                    let mut pairs = vec![
                        ("userId", JsValue::from_str(&e.user_id)),
                        ("streamType", e.stream_type.into()),
                        ("isPictureInPicture", entering.into()),
                    ];
                    let window = crate::value::get(&evt, "pictureInPictureWindow");
                    if entering && !window.is_undefined() {
                        pairs.push(("pictureInPictureWindow", window));
                    }
                    (e.emit)(event::PICTURE_IN_PICTURE_STATE_CHANGED, &object(&pairs));
                }));
            }
            let e = ev.clone();
            let v = video.clone();
            listeners.push(Listener::new(&video, "fullscreenchange", move |_| {
                let doc = crate::devices::window().document().expect("document");
                let full = doc
                    .fullscreen_element()
                    .is_some_and(|el| el.is_same_node(Some(v.as_ref())));
                (e.emit)(
                    event::FULL_SCREEN_STATE_CHANGED,
                    &object(&[
                        ("userId", JsValue::from_str(&e.user_id)),
                        ("streamType", e.stream_type.into()),
                        ("isFullScreen", full.into()),
                    ]),
                );
            }));
        }
        let view = VideoView {
            video,
            events,
            first_frame_sent,
            _listeners: listeners,
        };
        view.set_fill(fill);
        view.set_mirror(mirror);
        view.set_track(track)?;
        container.append_child(&view.video)?;
        view.play();
        Ok(view)
    }

    fn play(&self) {
        if let Ok(p) = self.video.play() {
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = wasm_bindgen_futures::JsFuture::from(p).await {
                    let name = crate::value::get(&e, "name")
                        .as_string()
                        .unwrap_or_default();
                    if name != "AbortError" {
                        crate::log::warn(&format!("video play() failed: {name}"));
                    }
                }
            });
        }
    }

    /// Shows another track (after a camera switch); a first-frame event follows.
    pub fn set_track(&self, track: &MediaStreamTrack) -> Result<(), JsValue> {
        let stream = MediaStream::new_with_tracks(&js_sys::Array::of1(track))?;
        self.first_frame_sent.set(false);
        self.video.set_src_object(Some(&stream));
        self.play();
        Ok(())
    }

    /// Plays `track` unless it already does.
    pub fn show(&self, track: &MediaStreamTrack) {
        let playing = self
            .video
            .src_object()
            .and_then(|s| s.get_tracks().get(0).dyn_into::<MediaStreamTrack>().ok());
        if playing.is_none_or(|t| t.id() != track.id()) {
            let _ = self.set_track(track);
        }
    }

    /// The `<video>` element.
    pub fn element(&self) -> &HtmlVideoElement {
        &self.video
    }

    /// `option.poster`: the image shown before the first frame.
    pub fn set_poster(&self, url: &str) {
        let _ = self.video.set_attribute("poster", url);
    }

    pub fn set_fill(&self, fill: FillMode) {
        let _ = self.video.style().set_property("object-fit", fill.css());
    }

    pub fn set_mirror(&self, mirror: bool) {
        let _ = self
            .video
            .style()
            .set_property("transform", if mirror { "scaleX(-1)" } else { "none" });
    }
}

impl VideoView {
    /// A PNG data URL of the current frame; `''` when nothing is playing.
    pub fn snapshot(&self) -> String {
        let (w, h) = (self.video.video_width(), self.video.video_height());
        if w == 0 || h == 0 {
            return String::new();
        }
        let doc = crate::devices::window().document().expect("document");
        let Ok(canvas) = doc.create_element("canvas") else {
            return String::new();
        };
        let canvas: web_sys::HtmlCanvasElement = canvas.unchecked_into();
        canvas.set_width(w);
        canvas.set_height(h);
        let Ok(Some(ctx)) = canvas.get_context("2d") else {
            return String::new();
        };
        let ctx: web_sys::CanvasRenderingContext2d = ctx.unchecked_into();
        if ctx
            .draw_image_with_html_video_element(&self.video, 0.0, 0.0)
            .is_err()
        {
            return String::new();
        }
        canvas.to_data_url().unwrap_or_default()
    }
}

impl Drop for VideoView {
    fn drop(&mut self) {
        self._listeners.clear();
        if let Some(e) = &self.events {
            e.play_state("STOPPED", "ended");
        }
        self.video.set_src_object(None);
        self.video.remove();
    }
}

/// `receiveWhenViewVisible`: an `IntersectionObserver` on a remote video's containers that
/// tells when the first of them becomes visible or none is (within `viewRoot`, by default the
/// viewport). The observer is disconnected when this is dropped.
pub struct VisibilityWatch {
    observer: JsValue,
    root: Option<HtmlElement>,
    _callback: wasm_bindgen::closure::Closure<dyn FnMut(JsValue)>,
}

impl VisibilityWatch {
    pub fn new(
        targets: &[HtmlElement],
        root: Option<&HtmlElement>,
        on_change: impl Fn(bool) + 'static,
    ) -> Result<VisibilityWatch, JsValue> {
        let seen: Rc<std::cell::RefCell<Vec<(JsValue, bool)>>> = Rc::default();
        let last: Rc<Cell<Option<bool>>> = Rc::default();
        let callback =
            wasm_bindgen::closure::Closure::<dyn FnMut(JsValue)>::new(move |entries: JsValue| {
                let mut seen = seen.borrow_mut();
                for e in js_sys::Array::from(&entries).iter() {
                    let target = crate::value::get(&e, "target");
                    let on = crate::value::get(&e, "isIntersecting").as_bool() == Some(true);
                    match seen.iter_mut().find(|(t, _)| *t == target) {
                        Some(slot) => slot.1 = on,
                        None => seen.push((target, on)),
                    }
                }
                let visible = seen.iter().any(|(_, on)| *on);
                drop(seen);
                if last.replace(Some(visible)) != Some(visible) {
                    on_change(visible);
                }
            });
        let ctor = crate::value::get(&crate::devices::window(), "IntersectionObserver");
        let ctor: js_sys::Function = ctor
            .dyn_into()
            .map_err(|_| JsValue::from_str("IntersectionObserver is not supported"))?;
        let options = object(&[(
            "root",
            root.map(|r| JsValue::from(r.clone()))
                .unwrap_or(JsValue::NULL),
        )]);
        let observer =
            js_sys::Reflect::construct(&ctor, &js_sys::Array::of2(callback.as_ref(), &options))?;
        for t in targets {
            crate::value::call(&observer, "observe", &[t.clone().into()])?;
        }
        Ok(VisibilityWatch {
            observer,
            root: root.cloned(),
            _callback: callback,
        })
    }

    /// The `viewRoot` it watches within (`None`: the viewport).
    pub fn root(&self) -> Option<HtmlElement> {
        self.root.clone()
    }
}

impl Drop for VisibilityWatch {
    fn drop(&mut self) {
        let _ = crate::value::call(&self.observer, "disconnect", &[]);
    }
}
