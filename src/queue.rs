//! The async side of `trtc_core::queue::OpQueue`: calls that must wait get a promise that a
//! later `finish` settles.

use std::cell::RefCell;
use trtc_core::error::RtcErrorInfo;
use trtc_core::queue::{Admission, OpId, OpKind, OpQueue};
use trtc_core::vec_map::VecMap;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use crate::error::{Failure, Result};

#[derive(Default)]
pub struct AsyncQueue {
    queue: RefCell<OpQueue>,
    tickets: RefCell<VecMap<OpId, js_sys::Function>>,
}

/// What an admitted call does.
pub enum Turn {
    /// Run; report `finish(id, started)` when done.
    Run(OpId),
    /// Resolve at once without doing anything.
    Skip,
}

const RUN: &str = "run";
const SKIP: &str = "skip";

impl AsyncQueue {
    pub fn is_aborted(&self, id: OpId) -> bool {
        self.queue.borrow().is_aborted(id)
    }

    /// Waits for this call's turn.
    pub async fn admit(&self, kind: OpKind, function_name: &str) -> Result<Turn> {
        let (id, admission, side) = self.queue.borrow_mut().request(kind);
        self.dispatch(side);
        let decision = match admission {
            Admission::Wait => {
                let mut resolve_fn = None;
                let promise =
                    js_sys::Promise::new(&mut |resolve, _reject| resolve_fn = Some(resolve));
                if let Some(f) = resolve_fn {
                    self.tickets.borrow_mut().insert(id, f);
                }
                JsFuture::from(promise)
                    .await
                    .ok()
                    .and_then(|v| v.as_string())
                    .unwrap_or_default()
            }
            other => encode(other),
        };
        match decision.as_str() {
            RUN => Ok(Turn::Run(id)),
            SKIP => Ok(Turn::Skip),
            reason => Err(Failure::from(RtcErrorInfo::abort(
                function_name,
                reason.strip_prefix("abort:").unwrap_or(reason),
            ))),
        }
    }

    /// Reports the end of a running call and lets the next waiting calls go.
    pub fn finish(&self, id: OpId, started: bool) {
        let next = self.queue.borrow_mut().finish(id, started);
        self.dispatch(next);
    }

    /// Aborts every waiting call (on destroy).
    pub fn abort_all(&self, reason: &str) {
        let tickets: Vec<_> = self.tickets.borrow_mut().drain().collect();
        for (_, f) in tickets {
            let _ = f.call1(
                &JsValue::UNDEFINED,
                &JsValue::from_str(&format!("abort:{reason}")),
            );
        }
    }

    fn dispatch(&self, decisions: Vec<(OpId, Admission)>) {
        for (id, admission) in decisions {
            let ticket = self.tickets.borrow_mut().remove(&id);
            if let Some(f) = ticket {
                let _ = f.call1(&JsValue::UNDEFINED, &JsValue::from_str(&encode(admission)));
            }
        }
    }
}

fn encode(a: Admission) -> String {
    match a {
        Admission::Run => RUN.into(),
        Admission::Resolve(reason) => {
            crate::log::info(&format!("call resolved without action: {reason}"));
            SKIP.into()
        }
        Admission::Abort(reason) => format!("abort:{reason}"),
        Admission::Wait => RUN.into(),
    }
}
