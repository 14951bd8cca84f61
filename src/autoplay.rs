//! Autoplay recovery: after a remote stream was refused playback, the next user gesture (click,
//! touch, key) — or the SDK's own small prompt, or `resume()` — plays everything again.

use std::rc::Weak;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::HtmlElement;

use crate::listener::Listener;
use crate::trtc::Inner;

pub struct Autoplay {
    _gestures: Vec<Listener>,
    prompt: Option<HtmlElement>,
    _prompt_click: Option<Listener>,
    resume: Closure<dyn FnMut() -> js_sys::Promise>,
}

impl Autoplay {
    pub fn new(inner: Weak<Inner>, dialog: bool) -> Autoplay {
        let doc = crate::devices::window().document().expect("document");
        let mut gestures = Vec::new();
        for kind in ["click", "touchstart", "keydown"] {
            let w = inner.clone();
            gestures.push(Listener::new(&doc, kind, move |_| {
                if let Some(i) = w.upgrade() {
                    i.resume_playback();
                }
            }));
        }
        let (prompt, prompt_click) = if dialog {
            make_prompt(&doc, inner.clone())
        } else {
            (None, None)
        };
        let w = inner;
        let resume = Closure::<dyn FnMut() -> js_sys::Promise>::new(move || {
            if let Some(i) = w.upgrade() {
                i.resume_playback();
            }
            js_sys::Promise::resolve(&JsValue::UNDEFINED)
        });
        Autoplay {
            _gestures: gestures,
            prompt,
            _prompt_click: prompt_click,
            resume,
        }
    }

    /// The `resume()` of an `AUTOPLAY_FAILED` payload.
    pub fn resume_function(&self) -> JsValue {
        self.resume.as_ref().clone()
    }
}

fn make_prompt(
    doc: &web_sys::Document,
    inner: Weak<Inner>,
) -> (Option<HtmlElement>, Option<Listener>) {
    let Ok(el) = doc.create_element("button") else {
        return (None, None);
    };
    let el: HtmlElement = el.unchecked_into();
    el.set_text_content(Some("Click to enable audio"));
    let _ = el.set_attribute("data-trtc-autoplay", "");
    let _ = el.set_attribute("type", "button");
    let style = el.style();
    for (k, v) in [
        ("position", "fixed"),
        ("left", "50%"),
        ("bottom", "24px"),
        ("transform", "translateX(-50%)"),
        ("z-index", "2147483647"),
        ("padding", "10px 18px"),
        ("border", "0"),
        ("border-radius", "20px"),
        ("background", "#1f6feb"),
        ("color", "#fff"),
        ("font", "14px system-ui, sans-serif"),
        ("box-shadow", "0 2px 8px rgba(0,0,0,.3)"),
        ("cursor", "pointer"),
    ] {
        let _ = style.set_property(k, v);
    }
    if let Some(body) = doc.body() {
        let _ = body.append_child(&el);
    }
    let click = Listener::new(&el, "click", move |_| {
        if let Some(i) = inner.upgrade() {
            i.resume_playback();
        }
    });
    (Some(el), Some(click))
}

impl Drop for Autoplay {
    fn drop(&mut self) {
        if let Some(p) = &self.prompt {
            p.remove();
        }
    }
}
