//! The async side of `trtc_core::queue::OpQueue`: calls that must wait get a
//! [`crate::oneshot`] receiver that a later `finish` completes with the queue's decision.

use std::cell::RefCell;
use trtc_core::error::RtcErrorInfo;
use trtc_core::queue::{Admission, OpId, OpKind, OpQueue};
use trtc_core::vec_map::VecMap;

use crate::error::{Failure, Result};
use crate::oneshot;

#[derive(Default)]
pub struct AsyncQueue {
    queue: RefCell<OpQueue>,
    waiting: RefCell<VecMap<OpId, oneshot::Sender<Admission>>>,
}

/// What an admitted call does.
pub enum Turn {
    /// Run; report `finish(id, started)` when done.
    Run(OpId),
    /// Resolve at once without doing anything.
    Skip,
}

/// Why a waiting call was let go without a decision of the queue.
const DESTROYED: &str = "client was destroyed";

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
                let (tx, rx) = oneshot::channel();
                self.waiting.borrow_mut().insert(id, tx);
                rx.await.unwrap_or(Admission::Abort(DESTROYED))
            }
            other => other,
        };
        match decision {
            Admission::Run | Admission::Wait => Ok(Turn::Run(id)),
            Admission::Resolve(reason) => {
                crate::log::info(&format!(
                    "{function_name}() resolved without action: {reason}"
                ));
                Ok(Turn::Skip)
            }
            Admission::Abort(reason) => {
                Err(Failure::from(RtcErrorInfo::abort(function_name, reason)))
            }
        }
    }

    /// Reports the end of a running call and lets the next waiting calls go.
    pub fn finish(&self, id: OpId, started: bool) {
        let next = self.queue.borrow_mut().finish(id, started);
        self.dispatch(next);
    }

    /// Aborts every waiting call (on destroy).
    pub fn abort_all(&self) {
        let waiting: Vec<_> = self.waiting.borrow_mut().drain().collect();
        for (_, tx) in waiting {
            tx.send(Admission::Abort(DESTROYED));
        }
    }

    fn dispatch(&self, decisions: Vec<(OpId, Admission)>) {
        for (id, admission) in decisions {
            let tx = self.waiting.borrow_mut().remove(&id);
            if let Some(tx) = tx {
                tx.send(admission);
            }
        }
    }
}
