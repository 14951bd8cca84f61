//! The per-resource operation queue (reference §4, "Operation queue / OPERATION_ABORT").
//!
//! Start, update and stop of one resource (the camera, the microphone) run one at a time.
//! Rules:
//! - a start while a start is running or queued → abort `duplicate start` (no second capture);
//! - a start when the resource is (or will be) started → resolves at once (`already started`);
//! - an update when nothing is (or will be) started → abort `not started`;
//! - an update after a queued stop → abort `update not allowed after stop`;
//! - a stop while a start runs marks that start aborted (it releases what it captured and
//!   rejects with `keep stop`); the stop then runs; queued starts are aborted the same way;
//! - a stop when nothing is (or will be) started resolves at once.
//!
//! The glue asks [`OpQueue::request`] for each call and reports [`OpQueue::finish`] when the
//! running operation is done; both return what to do with the calls that were waiting.

use std::collections::VecDeque;

/// Identifies one call in an [`OpQueue`]; ids grow from 1 and are never reused by that queue.
pub type OpId = u64;

/// What a call does to the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// `startLocal…`: capture (and publish).
    Start,
    /// `updateLocal…`: change a started resource.
    Update,
    /// `stopLocal…`: release the resource.
    Stop,
}

/// What to do with a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Run it now.
    Run,
    /// Wait: a later `finish` decides.
    Wait,
    /// Resolve without doing anything; the string says why (for a log line).
    Resolve(&'static str),
    /// Reject with OPERATION_ABORT and this reason.
    Abort(&'static str),
}

/// Abort reason: a start while another start runs or waits.
pub const DUPLICATE_START: &str = "duplicate start";
/// Resolve reason: a start when the resource is, or will be, started.
pub const ALREADY_STARTED: &str = "already started";
/// Abort reason: an update when nothing is, or will be, started.
pub const NOT_STARTED: &str = "not started";
/// Abort reason: an update after a stop that waits.
pub const UPDATE_AFTER_STOP: &str = "update not allowed after stop";
/// Abort reason: a start that a later stop cancelled.
pub const KEEP_STOP: &str = "keep stop";
/// Resolve reason: a stop when nothing is, or will be, started.
pub const NOTHING_TO_STOP: &str = "not started";

/// The queue of one resource (the camera, or the microphone); see the module's rules.
#[derive(Debug, Default)]
pub struct OpQueue {
    started: bool,
    active: Option<(OpId, OpKind)>,
    active_aborted: bool,
    waiting: VecDeque<(OpId, OpKind)>,
    next_id: OpId,
}

impl OpQueue {
    /// An idle queue; the resource is not started.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the resource is started, as of the last finished operation.
    pub fn is_started(&self) -> bool {
        self.started
    }

    /// Whether nothing runs or waits.
    pub fn is_idle(&self) -> bool {
        self.active.is_none() && self.waiting.is_empty()
    }

    /// Whether the running operation `id` was aborted by a later stop.
    pub fn is_aborted(&self, id: OpId) -> bool {
        self.active_aborted && self.active.map(|a| a.0) == Some(id)
    }

    /// The state the resource will be in once everything queued has run.
    fn future_started(&self) -> bool {
        let mut s = self.started;
        let ops = self
            .active
            .iter()
            .filter(|_| !self.active_aborted)
            .chain(self.waiting.iter());
        for (_, kind) in ops {
            match kind {
                OpKind::Start => s = true,
                OpKind::Stop => s = false,
                OpKind::Update => {}
            }
        }
        s
    }

    /// The kind of the last queued start/stop (running included), if any.
    fn last_transition(&self) -> Option<OpKind> {
        let active = self.active.filter(|_| !self.active_aborted).map(|a| a.1);
        self.waiting
            .iter()
            .rev()
            .map(|w| w.1)
            .chain(active)
            .find(|k| *k != OpKind::Update)
    }

    /// Admits a call. Returns its id, what to do with it, and calls that were waiting and must
    /// now be answered (queued starts aborted by this stop).
    pub fn request(&mut self, kind: OpKind) -> (OpId, Admission, Vec<(OpId, Admission)>) {
        self.next_id += 1;
        let id = self.next_id;
        let mut side = Vec::new();
        let busy = self.active.is_some();
        let admission = match kind {
            OpKind::Start => {
                if self.last_transition() == Some(OpKind::Start) {
                    Admission::Abort(DUPLICATE_START)
                } else if self.future_started() {
                    Admission::Resolve(ALREADY_STARTED)
                } else if busy {
                    Admission::Wait
                } else {
                    Admission::Run
                }
            }
            OpKind::Update => {
                if self.last_transition() == Some(OpKind::Stop) {
                    Admission::Abort(UPDATE_AFTER_STOP)
                } else if !self.future_started() {
                    Admission::Abort(NOT_STARTED)
                } else if busy {
                    Admission::Wait
                } else {
                    Admission::Run
                }
            }
            OpKind::Stop => {
                if let Some((_, OpKind::Start)) = self.active {
                    self.active_aborted = true;
                }
                let before = self.waiting.len();
                self.waiting.retain(|(wid, k)| {
                    if *k == OpKind::Start {
                        side.push((*wid, Admission::Abort(KEEP_STOP)));
                        false
                    } else {
                        true
                    }
                });
                let _ = before;
                if !self.future_started() && !busy && self.waiting.is_empty() {
                    Admission::Resolve(NOTHING_TO_STOP)
                } else if busy {
                    Admission::Wait
                } else {
                    Admission::Run
                }
            }
        };
        match admission {
            Admission::Run => {
                self.active = Some((id, kind));
                self.active_aborted = false;
            }
            Admission::Wait => self.waiting.push_back((id, kind)),
            _ => {}
        }
        (id, admission, side)
    }

    /// Reports that the running call `id` is done and whether the resource is started now.
    /// Returns the decisions for waiting calls: at most one `Run`, after any number of
    /// `Resolve`/`Abort`.
    pub fn finish(&mut self, id: OpId, started: bool) -> Vec<(OpId, Admission)> {
        if self.active.map(|a| a.0) != Some(id) {
            return Vec::new();
        }
        self.active = None;
        self.active_aborted = false;
        self.started = started;
        let mut out = Vec::new();
        while let Some((wid, kind)) = self.waiting.pop_front() {
            let admission = match kind {
                OpKind::Start if self.started => Admission::Resolve(ALREADY_STARTED),
                OpKind::Update if !self.started => {
                    if self.waiting.iter().any(|w| w.1 == OpKind::Start) {
                        // A start is queued behind: run the update after it.
                        self.waiting.push_back((wid, kind));
                        continue;
                    }
                    Admission::Abort(NOT_STARTED)
                }
                OpKind::Stop if !self.started => Admission::Resolve(NOTHING_TO_STOP),
                _ => Admission::Run,
            };
            out.push((wid, admission));
            if admission == Admission::Run {
                self.active = Some((wid, kind));
                break;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Admission::*;
    use OpKind::*;

    #[test]
    fn start_runs_then_start_again_resolves() {
        let mut q = OpQueue::new();
        let (a, adm, _) = q.request(Start);
        assert_eq!(adm, Run);
        assert!(q.finish(a, true).is_empty());
        assert_eq!(q.request(Start).1, Resolve(ALREADY_STARTED));
        assert!(q.is_started());
    }

    #[test]
    fn duplicate_start_is_aborted_and_does_not_capture_twice() {
        let mut q = OpQueue::new();
        let (a, _, _) = q.request(Start);
        assert_eq!(q.request(Start).1, Abort(DUPLICATE_START));
        assert!(q.finish(a, true).is_empty());
    }

    #[test]
    fn stop_during_start_aborts_the_start() {
        let mut q = OpQueue::new();
        let (a, _, _) = q.request(Start);
        let (s, adm, _) = q.request(Stop);
        assert_eq!(adm, Wait);
        assert!(q.is_aborted(a));
        // The aborted start releases its capture and finishes as not started.
        let next = q.finish(a, false);
        assert_eq!(next, vec![(s, Resolve(NOTHING_TO_STOP))]);
        assert!(q.is_idle());
        // A new start is allowed afterwards.
        assert_eq!(q.request(Start).1, Run);
    }

    #[test]
    fn updates_are_serialised_behind_a_start() {
        let mut q = OpQueue::new();
        let (a, _, _) = q.request(Start);
        let (u1, adm1, _) = q.request(Update);
        let (u2, adm2, _) = q.request(Update);
        assert_eq!((adm1, adm2), (Wait, Wait));
        assert_eq!(q.finish(a, true), vec![(u1, Run)]);
        assert_eq!(q.finish(u1, true), vec![(u2, Run)]);
        assert!(q.finish(u2, true).is_empty());
    }

    #[test]
    fn updates_wait_for_a_start_that_fails_then_abort() {
        let mut q = OpQueue::new();
        let (a, _, _) = q.request(Start);
        let (u, _, _) = q.request(Update);
        assert_eq!(q.finish(a, false), vec![(u, Abort(NOT_STARTED))]);
    }

    #[test]
    fn update_without_start_is_aborted() {
        let mut q = OpQueue::new();
        assert_eq!(q.request(Update).1, Abort(NOT_STARTED));
    }

    #[test]
    fn update_after_stop_is_aborted() {
        let mut q = OpQueue::new();
        let (a, _, _) = q.request(Start);
        q.finish(a, true);
        let (u, _, _) = q.request(Update);
        let (s, adm, _) = q.request(Stop);
        assert_eq!(adm, Wait);
        assert_eq!(q.request(Update).1, Abort(UPDATE_AFTER_STOP));
        assert_eq!(q.finish(u, true), vec![(s, Run)]);
        assert!(q.finish(s, false).is_empty());
        assert_eq!(q.request(Update).1, Abort(NOT_STARTED));
    }

    #[test]
    fn stop_when_idle_resolves() {
        let mut q = OpQueue::new();
        assert_eq!(q.request(Stop).1, Resolve(NOTHING_TO_STOP));
    }

    #[test]
    fn restart_after_stop_waits_and_runs() {
        let mut q = OpQueue::new();
        let (a, _, _) = q.request(Start);
        q.finish(a, true);
        let (s, adm, _) = q.request(Stop);
        assert_eq!(adm, Run);
        let (b, adm, _) = q.request(Start);
        assert_eq!(adm, Wait);
        assert_eq!(q.finish(s, false), vec![(b, Run)]);
        q.finish(b, true);
        assert!(q.is_started());
    }

    #[test]
    fn stop_aborts_a_queued_start() {
        let mut q = OpQueue::new();
        let (a, _, _) = q.request(Start);
        q.finish(a, true);
        let (s1, _, _) = q.request(Stop);
        let (b, adm, _) = q.request(Start);
        assert_eq!(adm, Wait);
        let (s2, adm, side) = q.request(Stop);
        assert_eq!(adm, Wait);
        assert_eq!(side, vec![(b, Abort(KEEP_STOP))]);
        assert_eq!(q.finish(s1, false), vec![(s2, Resolve(NOTHING_TO_STOP))]);
    }

    #[test]
    fn finish_of_an_unknown_id_changes_nothing() {
        let mut q = OpQueue::new();
        let (a, _, _) = q.request(Start);
        assert!(q.finish(a + 10, true).is_empty());
        assert!(!q.is_idle());
    }
}
