//! SEI in the browser (`TRTC.create({enableSEI: true})`, `sendSEIMessage`, `SEI_MESSAGE`): the
//! encoded frames of the peer connection go through the SDK, which writes queued messages into
//! the camera's (or the screen's) H.264 frames and reads them out of received ones. The framing
//! is `trtc_core::sei`'s.
//!
//! Why `encodedInsertableStreams` + `createEncodedStreams` and not `RTCRtpScriptTransform`
//! (Chromium 156 has both): the framing lives in this wasm module, which runs on the page's
//! thread; a script transform runs in a worker, which would need a second instance of the
//! module (or a JS copy of the parser) and a message per SEI message to send. Per frame the
//! main thread reads the frame's metadata, copies a sent frame only when a message waits for
//! it and a received H.264 frame's first [`READ_PREFIX`] bytes (where the SEI sits, before the
//! first slice). Without `enableSEI` nothing is installed: the peer connection is made without
//! `encodedInsertableStreams`.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use trtc_core::sei::{FrameAction, SeiMessage, SeiQueue};
use trtc_core::tables::event;
use trtc_core::vec_map::VecMap;
use trtc_proto::{MediaKind, TrackSlot};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use crate::events::EmitFn;
use crate::value::{call, get, object};

/// How much of a received frame is read for SEI: what this SDK's senders put before the first
/// slice (at most 30 messages of 1000 bytes, escaped) and the parameter sets fit.
const READ_PREFIX: u32 = 48 * 1024;

/// The slots of a connection's last offer, by mid (shared with its frame callbacks).
pub type Slots = Rc<RefCell<VecMap<String, TrackSlot>>>;

/// The browser can add data to encoded video.
pub fn supported() -> bool {
    let proto = get(&get(&js_sys::global(), "RTCRtpSender"), "prototype");
    get(&proto, "createEncodedStreams").is_function()
}

/// An instance's SEI state: the messages waiting for the main and the sub stream's next frame.
pub struct Sei {
    main: RefCell<SeiQueue>,
    sub: RefCell<SeiQueue>,
    emit: EmitFn,
}

/// One sender's or receiver's frame callback; the pipe stops calling it once dropped.
pub struct Pipe(#[allow(dead_code)] Option<Closure<dyn FnMut(JsValue)>>);

fn is_h264(meta: &JsValue) -> bool {
    get(meta, "mimeType")
        .as_string()
        .is_some_and(|m| m.eq_ignore_ascii_case("video/H264"))
}

fn install(endpoint: &JsValue, f: Option<Closure<dyn FnMut(JsValue)>>) -> Option<Pipe> {
    let arg = f.as_ref().map_or(JsValue::NULL, |f| {
        f.as_ref().unchecked_ref::<JsValue>().clone()
    });
    crate::js::pipe_encoded(endpoint, &arg).then_some(Pipe(f))
}

impl Sei {
    pub fn new(emit: EmitFn) -> Rc<Sei> {
        Rc::new(Sei {
            main: RefCell::default(),
            sub: RefCell::default(),
            emit,
        })
    }

    /// Queues a checked message for the next frame of the main (or sub) stream.
    pub fn queue(&self, to_sub: bool, payload_type: u8, data: Vec<u8>) {
        let q = if to_sub { &self.sub } else { &self.main };
        q.borrow_mut().push(SeiMessage { payload_type, data });
    }

    /// Routes a transceiver's encoded frames through the SDK (once per transceiver, right after
    /// the offer that made it is applied): an audio one straight through, a video one through
    /// the writer (what it sends as the slot `mid` says: main or sub) and the reader.
    pub fn pipe(
        self: &Rc<Self>,
        t: &web_sys::RtcRtpTransceiver,
        mid: &str,
        slots: &Slots,
    ) -> Vec<Pipe> {
        let sender: JsValue = t.sender().into();
        let receiver: JsValue = t.receiver().into();
        if t.receiver().track().kind() != "video" {
            return [install(&sender, None), install(&receiver, None)]
                .into_iter()
                .flatten()
                .collect();
        }
        let kind_of = {
            let slots = Rc::downgrade(slots);
            let mid = mid.to_string();
            move || -> Option<TrackSlot> { slots.upgrade()?.borrow().get(&mid).cloned() }
        };
        let me = Rc::downgrade(self);
        let k = kind_of.clone();
        let write = Closure::<dyn FnMut(JsValue)>::new(move |frame: JsValue| {
            if let (Some(sei), Some(slot)) = (me.upgrade(), k()) {
                sei.write(&frame, slot.kind);
            }
        });
        let me: Weak<Sei> = Rc::downgrade(self);
        let read = Closure::<dyn FnMut(JsValue)>::new(move |frame: JsValue| {
            if let (
                Some(sei),
                Some(TrackSlot {
                    user_id: Some(user),
                    kind,
                    ..
                }),
            ) = (me.upgrade(), kind_of())
            {
                sei.read(&frame, &user, kind);
            }
        });
        [
            install(&sender, Some(write)),
            install(&receiver, Some(read)),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// A frame about to be sent on the `kind` slot: the waiting messages go into it when it is
    /// the big stream's and H.264.
    fn write(&self, frame: &JsValue, kind: MediaKind) {
        let q = match kind {
            MediaKind::Video => &self.main,
            MediaKind::SubVideo => &self.sub,
            _ => return,
        };
        let Ok(meta) = call(frame, "getMetadata", &[]) else {
            return;
        };
        let num = |k| get(&meta, k).as_f64().unwrap_or(0.0) as u32;
        let mut q = q.borrow_mut();
        match q.wants(num("synchronizationSource"), num("width"), is_h264(&meta)) {
            FrameAction::Pass => {}
            FrameAction::Dropped => crate::log::warn(
                "SEI messages dropped: the video is not sent as H.264 (SEI needs H.264)",
            ),
            FrameAction::Insert => {
                let data = js_sys::Uint8Array::new(&get(frame, "data"));
                if let Some(out) = q.take_into(&data.to_vec()) {
                    let buf = js_sys::Uint8Array::from(&out[..]).buffer();
                    let _ = js_sys::Reflect::set(frame, &"data".into(), &buf);
                }
            }
        }
    }

    /// A received frame of `user`'s `kind`: its SEI messages become `SEI_MESSAGE`.
    fn read(&self, frame: &JsValue, user: &str, kind: MediaKind) {
        let Ok(meta) = call(frame, "getMetadata", &[]) else {
            return;
        };
        if !is_h264(&meta) {
            return;
        }
        let data = js_sys::Uint8Array::new(&get(frame, "data"));
        let head = data.subarray(0, data.length().min(READ_PREFIX)).to_vec();
        for m in trtc_core::sei::read(&head) {
            let payload = object(&[
                (
                    "data",
                    js_sys::Uint8Array::from(&m.data[..]).buffer().into(),
                ),
                ("userId", user.into()),
                ("streamType", crate::events::stream_type(kind).into()),
                ("seiPayloadType", m.payload_type.into()),
            ]);
            (self.emit)(event::SEI_MESSAGE, &payload);
        }
    }
}
