//! The instance's event handlers (`on`/`once`/`off`/emit), with eventemitter3's semantics.

use std::cell::RefCell;
use wasm_bindgen::JsValue;

struct Entry {
    event: String,
    handler: js_sys::Function,
    context: JsValue,
    /// Removed before its first call (`once`).
    once: bool,
}

#[derive(Default)]
pub struct Emitter {
    entries: RefCell<Vec<Entry>>,
}

impl Emitter {
    /// Adds a handler; the same (event, handler, context) added twice is kept once.
    pub fn on(&self, event: &str, handler: js_sys::Function, context: JsValue, once: bool) {
        let mut entries = self.entries.borrow_mut();
        let dup = entries.iter().any(|e| {
            e.event == event && e.handler == handler && js_sys::Object::is(&e.context, &context)
        });
        if !dup {
            entries.push(Entry {
                event: event.to_string(),
                handler,
                context,
                once,
            });
        }
    }

    /// Removes handlers: `'*'` removes all; no handler removes all of the event.
    pub fn off(&self, event: &str, handler: Option<&js_sys::Function>, context: &JsValue) {
        let mut entries = self.entries.borrow_mut();
        if event == "*" {
            entries.clear();
            return;
        }
        entries.retain(|e| {
            let same_event = e.event == event;
            let same_handler = handler.is_none_or(|h| &e.handler == h);
            let same_context = context.is_undefined() || js_sys::Object::is(&e.context, context);
            !(same_event && same_handler && same_context)
        });
    }

    pub fn clear(&self) {
        self.entries.borrow_mut().clear();
    }

    /// The handlers of `event`, in order.
    pub fn listeners(&self, event: &str) -> Vec<js_sys::Function> {
        self.entries
            .borrow()
            .iter()
            .filter(|e| e.event == event)
            .map(|e| e.handler.clone())
            .collect()
    }

    /// The events that have handlers, in the order first added.
    pub fn event_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for e in self.entries.borrow().iter() {
            if !names.contains(&e.event) {
                names.push(e.event.clone());
            }
        }
        names
    }

    /// Calls every handler of `event` with `payload`. A handler that throws is logged and does
    /// not stop the others or the SDK. Handlers may call `on`/`off` while being called; `once`
    /// handlers are removed before they run.
    pub fn emit(&self, event: &str, payload: &JsValue) {
        let targets: Vec<(js_sys::Function, JsValue)> = self
            .entries
            .borrow()
            .iter()
            .filter(|e| e.event == event)
            .map(|e| (e.handler.clone(), e.context.clone()))
            .collect();
        self.entries
            .borrow_mut()
            .retain(|e| !(e.once && e.event == event));
        for (handler, context) in targets {
            if let Err(err) = handler.call1(&context, payload) {
                crate::log::error(&format!("a handler of '{event}' threw; the SDK carries on"));
                web_sys::console::error_1(&err);
            }
        }
    }
}
