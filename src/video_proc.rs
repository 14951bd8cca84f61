//! What the others see of the camera when it is not the camera's picture: `mirror: 'publish'`
//! / `'both'` (the frames flipped left to right) and `mute: '<image url>'` (the image instead).
//! A 2D canvas is redrawn on a timer at the profile's frame rate from an off-DOM `<video>`
//! playing the camera (or from the image), and `canvas.captureStream()` gives the track the room
//! sends. Cost: one canvas draw per frame on the main thread (a 640×480 copy, well under a
//! millisecond here) and a frame that lags the camera by up to one timer tick; the encoder's
//! work is unchanged. The timer runs only while such a track is needed; dropping the
//! [`Processor`] stops it and its track.

use std::cell::Cell;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlVideoElement, MediaStreamTrack};

use crate::value::call;
use crate::value::get;

/// What a processor was made for: (camera track id, mirror, image URL).
pub type Key = (String, bool, Option<String>);

pub struct Processor {
    key: Key,
    canvas: HtmlCanvasElement,
    video: HtmlVideoElement,
    track: MediaStreamTrack,
    _timer: gloo_timers::callback::Interval,
}

impl Processor {
    pub fn new(camera: &MediaStreamTrack, key: Key, fps: u32) -> Result<Processor, JsValue> {
        let doc = crate::devices::window().document().expect("document");
        let canvas: HtmlCanvasElement = doc.create_element("canvas")?.unchecked_into();
        canvas.set_width(camera_width(camera).unwrap_or(640));
        canvas.set_height(camera_height(camera).unwrap_or(480));
        let ctx: CanvasRenderingContext2d = canvas
            .get_context("2d")?
            .ok_or_else(|| JsValue::from_str("no 2d canvas"))?
            .unchecked_into();
        let video: HtmlVideoElement = doc.create_element("video")?.unchecked_into();
        video.set_muted(true);
        video.set_autoplay(true);
        video.set_attribute("playsinline", "")?;
        video.set_src_object(Some(&web_sys::MediaStream::new_with_tracks(
            &js_sys::Array::of1(camera),
        )?));
        if let Ok(p) = video.play() {
            wasm_bindgen_futures::spawn_local(async move {
                let _ = wasm_bindgen_futures::JsFuture::from(p).await;
            });
        }
        let image = match &key.2 {
            Some(url) => {
                let img = doc.create_element("img")?;
                img.set_attribute("crossorigin", "anonymous")?;
                img.set_attribute("src", url)?;
                Some(img)
            }
            None => None,
        };
        let stream = canvas.capture_stream()?;
        let track: MediaStreamTrack = stream
            .get_video_tracks()
            .get(0)
            .dyn_into()
            .map_err(|_| JsValue::from_str("no track from the canvas"))?;
        let mirror = key.1;
        let (c, v) = (canvas.clone(), video.clone());
        let drawn_image = Cell::new(false);
        let period = 1000 / fps.clamp(1, 60);
        let timer = gloo_timers::callback::Interval::new(period, move || {
            if let Some(img) = &image {
                let (w, h) = (
                    get(img, "naturalWidth").as_f64().unwrap_or(0.0) as u32,
                    get(img, "naturalHeight").as_f64().unwrap_or(0.0) as u32,
                );
                if w == 0 || h == 0 {
                    return;
                }
                if !drawn_image.replace(true) {
                    c.set_width(w);
                    c.set_height(h);
                }
                // Redrawn each tick so the stream keeps sending frames (a new subscriber
                // needs a keyframe of it).
                let _ = call(&ctx, "drawImage", &[img.into(), 0.into(), 0.into()]);
                return;
            }
            let (w, h) = (v.video_width(), v.video_height());
            if w == 0 || h == 0 {
                return;
            }
            if c.width() != w || c.height() != h {
                c.set_width(w);
                c.set_height(h);
            }
            if mirror {
                let _ = ctx.set_transform(-1.0, 0.0, 0.0, 1.0, w as f64, 0.0);
            }
            let _ = ctx.draw_image_with_html_video_element(&v, 0.0, 0.0);
            if mirror {
                let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
            }
        });
        Ok(Processor {
            key,
            canvas,
            video,
            track,
            _timer: timer,
        })
    }

    pub fn key(&self) -> &Key {
        &self.key
    }

    /// The track to send.
    pub fn track(&self) -> MediaStreamTrack {
        Clone::clone(&self.track)
    }

    /// Whether it sends an image (the others see video although the camera is muted).
    pub fn sends_image(&self) -> bool {
        self.key.2.is_some()
    }
}

fn camera_width(t: &MediaStreamTrack) -> Option<u32> {
    get(&t.get_settings(), "width").as_f64().map(|v| v as u32)
}

fn camera_height(t: &MediaStreamTrack) -> Option<u32> {
    get(&t.get_settings(), "height").as_f64().map(|v| v as u32)
}

impl Drop for Processor {
    fn drop(&mut self) {
        self.track.stop();
        let _ = self.video.pause();
        self.video.set_src_object(None);
        self.canvas.set_width(0);
    }
}
