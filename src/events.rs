//! The instance's events: its handlers (`on`/`off`, [`crate::emitter`]), whether it was
//! destroyed, and the JS payloads of the room client's events.

use std::cell::Cell;
use std::rc::Rc;

use trtc_core::client::Event;
use trtc_core::error::RtcErrorInfo;
use trtc_core::tables::event;
use trtc_proto::MediaKind;
use wasm_bindgen::JsValue;

use crate::emitter::Emitter;
use crate::error::{Failure, Result};
use crate::value::object;

/// Emits an event on the owning instance (holds only a weak reference to it).
pub type EmitFn = Rc<dyn Fn(&str, &JsValue)>;

struct Inner {
    emitter: Emitter,
    destroyed: Cell<bool>,
}

/// A handle on one instance's events; clones share them.
#[derive(Clone)]
pub struct Events(Rc<Inner>);

impl Events {
    pub fn new() -> Events {
        Events(Rc::new(Inner {
            emitter: Emitter::default(),
            destroyed: Cell::new(false),
        }))
    }

    pub fn emitter(&self) -> &Emitter {
        &self.0.emitter
    }

    /// Calls the handlers of `name` (nothing after `destroy()`).
    pub fn emit(&self, name: &str, payload: &JsValue) {
        if !self.0.destroyed.get() {
            self.0.emitter.emit(name, payload);
        }
    }

    /// An emitter that does not keep the instance's events alive.
    pub fn emit_fn(&self) -> EmitFn {
        let weak = Rc::downgrade(&self.0);
        Rc::new(move |name: &str, payload: &JsValue| {
            if let Some(inner) = weak.upgrade() {
                Events(inner).emit(name, payload);
            }
        })
    }

    pub fn is_destroyed(&self) -> bool {
        self.0.destroyed.get()
    }

    /// Rejects a call on a destroyed instance (5100-series `INVALID_OPERATION`).
    pub fn check_alive(&self, function_name: &str) -> Result<()> {
        if self.is_destroyed() {
            Err(RtcErrorInfo::destroyed(function_name).into())
        } else {
            Ok(())
        }
    }

    /// `destroy()`: no handler is called again. Returns whether it was alive.
    pub fn destroy(&self) -> bool {
        if self.0.destroyed.replace(true) {
            return false;
        }
        self.0.emitter.clear();
        true
    }

    /// Emits one of the room client's events with trtc-sdk-v5's name and payload.
    pub fn emit_room(&self, e: Event) {
        if let Some((name, payload)) = room_event(e) {
            self.emit(name, &payload);
        }
    }
}

fn user(user_id: &str) -> (&'static str, JsValue) {
    ("userId", JsValue::from_str(user_id))
}

/// A room event as (trtc-sdk-v5 event name, payload); `None` for what trtc-sdk-v5 has no event
/// for (the availability of a shared screen's system audio).
fn room_event(e: Event) -> Option<(&'static str, JsValue)> {
    Some(match e {
        Event::ConnectionState {
            prev,
            state,
            reconnecting,
        } => {
            let mut pairs = vec![
                ("prevState", JsValue::from_str(prev.name())),
                ("state", state.name().into()),
            ];
            if reconnecting {
                pairs.push(("isReconnecting", JsValue::TRUE));
            }
            (event::CONNECTION_STATE_CHANGED, object(&pairs))
        }
        Event::UserEnter(u) => (event::REMOTE_USER_ENTER, object(&[user(&u)])),
        Event::UserExit { user_id, reason } => (
            event::REMOTE_USER_EXIT,
            object(&[user(&user_id), ("reason", reason.into())]),
        ),
        Event::Available {
            user_id,
            kind,
            available,
        } => match kind {
            MediaKind::Audio => (
                if available {
                    event::REMOTE_AUDIO_AVAILABLE
                } else {
                    event::REMOTE_AUDIO_UNAVAILABLE
                },
                object(&[user(&user_id)]),
            ),
            MediaKind::Video | MediaKind::SubVideo => (
                if available {
                    event::REMOTE_VIDEO_AVAILABLE
                } else {
                    event::REMOTE_VIDEO_UNAVAILABLE
                },
                object(&[user(&user_id), ("streamType", stream_type(kind).into())]),
            ),
            MediaKind::SubAudio => return None,
        },
        Event::PublishState {
            kind,
            state,
            prev,
            reason,
            error,
        } => {
            let mut pairs = vec![
                ("mediaType", JsValue::from_str(kind_name(kind))),
                ("state", state.name().into()),
                ("prevState", prev.name().into()),
            ];
            if let Some(r) = reason {
                pairs.push(("reason", r.into()));
            }
            if let Some(e) = error {
                pairs.push(("error", Failure::from(e).to_js()));
            }
            (event::PUBLISH_STATE_CHANGED, object(&pairs))
        }
        Event::Kicked(reason) => (
            event::KICKED_OUT,
            object(&[("reason", JsValue::from_str(&reason))]),
        ),
        Event::Error(info) => (event::ERROR, Failure::from(info).to_js()),
        Event::NetworkQuality(q) => (event::NETWORK_QUALITY, to_js(&q)),
        Event::Statistics(s) => (event::STATISTICS, to_js(&*s)),
        Event::Custom {
            user_id,
            cmd_id,
            seq,
            data,
        } => (
            event::CUSTOM_MESSAGE,
            object(&[
                user(&user_id),
                ("cmdId", cmd_id.into()),
                ("seq", (seq as f64).into()),
                ("data", js_sys::Uint8Array::from(&data[..]).buffer().into()),
            ]),
        ),
    })
}

/// `PUBLISH_STATE_CHANGED`'s `mediaType` of a local stream.
pub fn kind_name(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Audio => "audio",
        MediaKind::Video => "video",
        MediaKind::SubVideo => "screen",
        MediaKind::SubAudio => "screen-audio",
    }
}

/// The `streamType` of a video kind: `'sub'` for a shared screen, else `'main'`.
pub fn stream_type(kind: MediaKind) -> &'static str {
    if kind.is_sub() {
        "sub"
    } else {
        "main"
    }
}

/// A payload as a plain JS object (serde-wasm-bindgen: structs become objects).
pub fn to_js<T: serde::Serialize + ?Sized>(payload: &T) -> JsValue {
    payload
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
}
