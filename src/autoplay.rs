//! Autoplay recovery: after a remote stream was refused playback, the next user gesture (click,
//! touch, key) — or the SDK's own small prompt, or the `resume()` of the `AUTOPLAY_FAILED`
//! payload — plays everything again.
//!
//! The `resume()` function is made once per instance and lives as long as it: an app may keep
//! it and call it any number of times. The gesture listeners and the prompt are armed at a
//! refusal and removed once playback resumed.

use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::HtmlElement;

use crate::listener::Listener;

/// What resuming does (replay remote media, resume the audio context).
pub type ResumeAction = Rc<dyn Fn()>;

/// Listeners and prompt while playback waits for a gesture.
struct Armed {
    _gestures: Vec<Listener>,
    prompt: Option<HtmlElement>,
    _prompt_click: Option<Listener>,
}

impl Drop for Armed {
    fn drop(&mut self) {
        if let Some(p) = &self.prompt {
            p.remove();
        }
    }
}

pub struct Autoplay {
    action: ResumeAction,
    armed: RefCell<Option<Armed>>,
    resume: RefCell<Option<Closure<dyn FnMut() -> js_sys::Promise>>>,
}

impl Autoplay {
    pub fn new(action: ResumeAction) -> Autoplay {
        Autoplay {
            action,
            armed: RefCell::new(None),
            resume: RefCell::new(None),
        }
    }

    /// Playback was refused: wait for a gesture (and show the prompt when `dialog`). Returns
    /// the `resume()` function for the event payload.
    pub fn failed(self: &Rc<Self>, dialog: bool) -> JsValue {
        if self.armed.borrow().is_none() {
            let armed = self.arm(dialog);
            *self.armed.borrow_mut() = Some(armed);
        }
        let mut slot = self.resume.borrow_mut();
        let f = slot.get_or_insert_with(|| {
            let action = self.action.clone();
            Closure::<dyn FnMut() -> js_sys::Promise>::new(move || {
                action();
                js_sys::Promise::resolve(&JsValue::UNDEFINED)
            })
        });
        f.as_ref().clone()
    }

    fn arm(&self, dialog: bool) -> Armed {
        let doc = crate::devices::window().document().expect("document");
        let gestures = ["click", "touchstart", "keydown"]
            .into_iter()
            .map(|kind| {
                let action = self.action.clone();
                Listener::new(&doc, kind, move |_| action())
            })
            .collect();
        let (prompt, prompt_click) = if dialog {
            make_prompt(&doc, self.action.clone())
        } else {
            (None, None)
        };
        Armed {
            _gestures: gestures,
            prompt,
            _prompt_click: prompt_click,
        }
    }

    /// Playback resumed: the gesture listeners and the prompt go (after the listener that may
    /// be running now has returned). `resume()` stays valid.
    pub fn disarm(&self) {
        let armed = self.armed.borrow_mut().take();
        if let Some(a) = armed {
            wasm_bindgen_futures::spawn_local(async move { drop(a) });
        }
    }

    /// `destroy()`: everything goes, `resume()` included.
    pub fn release(&self) {
        let armed = self.armed.borrow_mut().take();
        drop(armed);
        let resume = self.resume.borrow_mut().take();
        drop(resume);
    }
}

fn make_prompt(
    doc: &web_sys::Document,
    action: ResumeAction,
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
    let click = Listener::new(&el, "click", move |_| action());
    (Some(el), Some(click))
}
