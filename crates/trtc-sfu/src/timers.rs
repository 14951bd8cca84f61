//! Everything that happens because time passed, in one place.
//!
//! | deadline | set | on expiry |
//! |---|---|---|
//! | str0m's timeout of a peer's `Rtc` (`wake.next_timeout`) | after every poll | `Input::Timeout`, then the peer is polled |
//! | connect deadline ([`Conn::Connecting`], [`SfuConfig::connect_timeout`](crate::SfuConfig::connect_timeout)) | at the peer's first offer | dropped: "not connected in time" |
//! | ICE recovery ([`Conn::IceLost`], [`ICE_RECOVERY`]) | ICE went `Disconnected` after connecting | dropped: "ICE disconnected for 15 s" |
//! | keyframe retry ([`SfuConfig::keyframe_retry`](crate::SfuConfig::keyframe_retry)) | a keyframe was asked for a subscription still waiting for one | asked again |
//! | keyframe window ([`SfuConfig::keyframe_min_interval`](crate::SfuConfig::keyframe_min_interval)) | a request came within the window of the previous one | the coalesced request is sent |
//!
//! The peers' deadlines sit in one heap ([`Timers`]); an entry is live while the peer still has
//! that deadline (others are skipped: nothing is ever removed from the middle). The keyframe
//! work has one wake time, recomputed whenever keyframe state changed (`kf_dirty`).
//! [`Sfu::next_timeout`] is the earliest of the two.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::time::{Duration, Instant};

use str0m::media::KeyframeRequestKind;
use str0m::Input;
use tracing::{debug, warn};

use crate::peer::{Conn, Layer, Peer, Sub};
use crate::{Kind, PeerId, Sfu};

/// How long a connected peer's ICE may stay `Disconnected` (no consent checks answered) before
/// it is dropped. str0m reports `Disconnected` within seconds of a missed check and recovers when
/// checks resume; a busy browser (many tabs, a loaded machine) misses some, and dropping it at
/// once cost calls their media. Chrome itself gives up after ~30 s without consent.
pub(crate) const ICE_RECOVERY: Duration = Duration::from_secs(15);

/// The SFU's deadlines.
#[derive(Default)]
pub(crate) struct Timers {
    /// Due times of the peers' str0m timeouts and connection deadlines. An entry is live while
    /// the peer's `wake.next_timeout` or `conn.deadline()` still equals its time.
    heap: BinaryHeap<Reverse<(Instant, PeerId)>>,
    /// Keyframe state changed (a subscription may wait, a request may be owed): the keyframe
    /// service must run and `kf_wake` be recomputed.
    pub(crate) kf_dirty: bool,
    /// When the keyframe service next has time-based work (a retry, a coalesced request).
    kf_wake: Option<Instant>,
}

impl Timers {
    /// Queues the peer's str0m timeout and connection deadline if they changed since queued.
    pub(crate) fn sync(&mut self, id: PeerId, p: &mut Peer) {
        if p.wake.timer_queued != p.wake.next_timeout {
            p.wake.timer_queued = p.wake.next_timeout;
            if let Some(t) = p.wake.next_timeout {
                self.heap.push(Reverse((t, id)));
            }
        }
        self.sync_deadline(id, p);
    }

    /// Queues the peer's connection deadline if it changed since queued.
    pub(crate) fn sync_deadline(&mut self, id: PeerId, p: &mut Peer) {
        let deadline = p.conn.deadline();
        if p.wake.deadline_queued != deadline {
            p.wake.deadline_queued = deadline;
            if let Some(t) = deadline {
                self.heap.push(Reverse((t, id)));
            }
        }
    }

    /// Pops the entries due at `now` and adds their peers to `ids`: those whose str0m timeout
    /// is due, and — unless `keep_deadlines` — those whose connection deadline is due. With
    /// `keep_deadlines` due deadlines stay queued (for [`Sfu::handle_timeout`] to act upon).
    pub(crate) fn pop_due(
        &mut self,
        now: Instant,
        peers: &mut BTreeMap<PeerId, Peer>,
        ids: &mut Vec<PeerId>,
        keep_deadlines: bool,
    ) {
        let mut kept = Vec::new();
        while let Some(&Reverse((t, id))) = self.heap.peek() {
            if t > now {
                break;
            }
            self.heap.pop();
            let Some(p) = peers.get_mut(&id) else {
                continue;
            };
            if p.wake.next_timeout == Some(t) {
                p.wake.timer_queued = None;
                ids.push(id);
            } else if p.conn.deadline() == Some(t) {
                if keep_deadlines {
                    kept.push(Reverse((t, id)));
                } else {
                    p.wake.deadline_queued = None;
                    ids.push(id);
                }
            }
        }
        self.heap.extend(kept);
    }

    /// Drops dead entries from the top (so the top is the next real deadline), and rebuilds the
    /// heap when dead entries pile up.
    fn settle(&mut self, peers: &mut BTreeMap<PeerId, Peer>) {
        while let Some(&Reverse((t, id))) = self.heap.peek() {
            let live = peers
                .get(&id)
                .is_some_and(|p| p.wake.next_timeout == Some(t) || p.conn.deadline() == Some(t));
            if live {
                break;
            }
            self.heap.pop();
        }
        if self.heap.len() > 4 * peers.len() + 1024 {
            self.heap.clear();
            for (&id, p) in peers.iter_mut() {
                p.wake.timer_queued = None;
                p.wake.deadline_queued = None;
                self.sync(id, p);
            }
        }
    }
}

impl Sfu {
    /// Time passed; call at (or after) [`Sfu::next_timeout`].
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.tick(now);
        // The peers with a timeout or deadline due (each once, in id order), and those never
        // polled (no timeout yet: they are in `to_poll`).
        let mut due: Vec<PeerId> = self
            .to_poll
            .iter()
            .copied()
            .filter(|id| {
                self.peers
                    .get(id)
                    .is_some_and(|p| p.wake.next_timeout.is_none())
            })
            .collect();
        self.timers.pop_due(now, &mut self.peers, &mut due, false);
        due.sort_unstable();
        due.dedup();
        for id in due {
            let Some(p) = self.peers.get_mut(&id) else {
                continue;
            };
            if p.conn.deadline().is_some_and(|d| now >= d) {
                let reason = match p.conn {
                    Conn::IceLost { .. } => {
                        format!("ICE disconnected for {} s", ICE_RECOVERY.as_secs())
                    }
                    _ => "not connected in time".into(),
                };
                p.conn.fail(reason);
                p.wake.touched = true;
                self.to_poll.push(id);
                continue;
            }
            if p.wake.next_timeout.is_none_or(|t| t <= now) {
                p.wake.touched = true;
                self.to_poll.push(id);
                if let Err(e) = p.rtc.handle_input(Input::Timeout(now)) {
                    warn!(peer = id, "timeout handling failed: {e}");
                    p.conn.fail(format!("str0m: {e}"));
                }
            }
        }
        // Time-based keyframe work (retries, coalesced requests) is looked at in `drive`.
        self.drive(now);
    }

    /// When [`Sfu::handle_timeout`] must be called next. `None`: no peers.
    pub fn next_timeout(&self) -> Option<Instant> {
        // `drive` leaves a live entry on top of the heap (or none) and `kf_wake` up to date.
        let timer = self.timers.heap.peek().map(|Reverse((t, _))| *t);
        match (timer, self.timers.kf_wake) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The end of every `drive`: the heap's top live, the keyframe wake current.
    pub(crate) fn settle_timers(&mut self) {
        self.timers.settle(&mut self.peers);
        if self.timers.kf_dirty {
            self.timers.kf_dirty = false;
            self.timers.kf_wake = self.compute_kf_wake();
        }
    }

    /// Recomputes when the keyframe service next has time-based work (`kf_dirty` stays as it
    /// is).
    pub(crate) fn refresh_keyframe_wake(&mut self) {
        self.timers.kf_wake = self.compute_kf_wake();
    }

    /// Whether the keyframe service has work at `now`: state changed, or a retry or coalesced
    /// request is due.
    pub(crate) fn keyframes_due(&self, now: Instant) -> bool {
        self.timers.kf_dirty || self.timers.kf_wake.is_some_and(|t| now >= t)
    }

    /// The keyframe service: subscriptions that became ready ask once at once, those still
    /// waiting ask again every `keyframe_retry`; owed requests go to each publisher track at
    /// most every `keyframe_min_interval` (coalesced in between). Returns whether any was sent.
    pub(crate) fn service_keyframes(&mut self, now: Instant) -> bool {
        let sent = self.send_keyframe_requests(now);
        self.timers.kf_wake = self.compute_kf_wake();
        sent
    }

    fn send_keyframe_requests(&mut self, now: Instant) -> bool {
        let mut want: Vec<(PeerId, Kind, Layer, bool)> = vec![];
        let small_open = self.small_sources();
        for p in self.peers.values_mut().filter(|p| p.conn.is_connected()) {
            let tracks = &mut p.tracks;
            for (k, sub) in tracks.subs.iter_mut() {
                let (source, kind) = (k.source, k.kind());
                let Some(layer) = wants_keyframe(sub, kind, small_open.contains(&source)) else {
                    continue;
                };
                let ready = tracks
                    .send
                    .iter()
                    .any(|s| s.open && s.source == source && s.kind == kind);
                if ready {
                    want.push((source, kind, layer, !sub.kf_asked));
                    sub.kf_asked = true;
                }
            }
        }
        for (source, kind, layer, fresh) in want {
            let Some(r) = self
                .peers
                .get_mut(&source)
                .and_then(|p| p.tracks.recv_open_mut(kind))
            else {
                continue;
            };
            if fresh
                || r.kf_last(layer)
                    .is_none_or(|l| now >= l + self.config.keyframe_retry)
            {
                *r.kf_wanted_mut(layer) = true;
            }
        }

        let mut sent = false;
        let min = self.config.keyframe_min_interval;
        for (&id, p) in self.peers.iter_mut() {
            if !p.conn.is_connected() {
                continue;
            }
            let Peer {
                rtc, tracks, wake, ..
            } = p;
            for r in tracks.recv.iter_mut() {
                if !r.kind.is_video() {
                    r.kf_wanted = false;
                    continue;
                }
                for layer in [Layer::Big, Layer::Small] {
                    if layer == Layer::Small && !r.simulcast {
                        continue;
                    }
                    if !r.open || !*r.kf_wanted_mut(layer) {
                        continue;
                    }
                    if r.kf_last(layer).is_some_and(|l| now < l + min) {
                        continue; // coalesced: sent when the window ends
                    }
                    *r.kf_wanted_mut(layer) = false;
                    match layer {
                        Layer::Big => r.kf_last = Some(now),
                        Layer::Small => r.kf_small_last = Some(now),
                    }
                    wake.touched = true;
                    self.to_poll.push(id);
                    let Some(mut w) = rtc.writer(r.mid) else {
                        continue;
                    };
                    match w.request_keyframe(r.rid(layer), KeyframeRequestKind::Pli) {
                        Ok(()) => {
                            debug!(peer = id, mid = %r.mid, ?layer, "keyframe requested");
                            sent = true;
                        }
                        // No RTP from the publisher yet: its first frame will be a keyframe.
                        Err(e) => {
                            debug!(peer = id, mid = %r.mid, ?layer, "keyframe request not sent: {e}")
                        }
                    }
                }
            }
        }
        sent
    }

    /// When the keyframe service next has time-based work: the earliest retry of a ready
    /// subscription still waiting for a keyframe and the earliest owed (coalesced) request.
    fn compute_kf_wake(&self) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        let mut consider = |t: Instant| {
            next = Some(next.map_or(t, |n| n.min(t)));
        };
        for p in self.peers.values() {
            if !p.conn.is_connected() {
                continue;
            }
            for r in p.tracks.recv.iter() {
                let owed = [
                    (r.kf_wanted, r.kf_last),
                    (r.kf_small_wanted, r.kf_small_last),
                ];
                for (wanted, last) in owed {
                    if r.open && r.kind.is_video() && wanted {
                        consider(last.map_or(self.now.unwrap_or_else(Instant::now), |l| {
                            l + self.config.keyframe_min_interval
                        }));
                    }
                }
            }
        }
        for (sid, kind, layer) in self.waiting_for_keyframe() {
            if let Some(r) = self
                .peers
                .get(&sid)
                .filter(|p| p.conn.is_connected())
                .and_then(|p| p.tracks.recv.iter().find(|r| r.kind == kind && r.open))
            {
                if let Some(l) = r.kf_last(layer) {
                    consider(l + self.config.keyframe_retry);
                }
            }
        }
        next
    }

    /// Publisher tracks (and layers) with at least one ready subscriber still waiting for a
    /// keyframe: to start, or to switch layers.
    fn waiting_for_keyframe(&self) -> Vec<(PeerId, Kind, Layer)> {
        let mut out = vec![];
        let small_open = self.small_sources();
        for p in self.peers.values().filter(|p| p.conn.is_connected()) {
            for (k, sub) in &p.tracks.subs {
                let (source, kind) = (k.source, k.kind());
                let Some(layer) = wants_keyframe(sub, kind, small_open.contains(&source)) else {
                    continue;
                };
                if p.tracks.send_open(source, kind) && !out.contains(&(source, kind, layer)) {
                    out.push((source, kind, layer));
                }
            }
        }
        out
    }

    /// The connected peers whose video upstream carries a small layer.
    fn small_sources(&self) -> Vec<PeerId> {
        self.peers
            .iter()
            .filter(|(_, p)| p.conn.is_connected() && p.tracks.small_open())
            .map(|(&id, _)| id)
            .collect()
    }
}

/// The layer a subscription waits for a keyframe of, if it waits: its first one, or one of the
/// layer it should switch to.
fn wants_keyframe(sub: &Sub, kind: Kind, small_open: bool) -> Option<Layer> {
    if !sub.forward {
        return None;
    }
    let target = Layer::target(sub.want_small, small_open);
    let switching = kind == Kind::Video && target != sub.layer;
    (sub.waiting_kf || switching).then_some(target)
}
