//! The sans-IO core. See the crate docs for the model.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::media::{Direction, KeyframeRequestKind, MediaData, MediaKind, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc};
use tracing::{debug, info, trace, warn};

use crate::{Kind, PeerId, SfuEvent, Slot};

/// After this many answers in a row that str0m rejects, the peer is closed.
pub const MAX_FAILED_ANSWERS: u32 = 3;

/// Bounds the rounds of one `Sfu::drive`: each round polls every peer once and hands what they
/// produced to the others. Normally 2–3 rounds go quiet.
const MAX_DRIVE_ROUNDS: usize = 16;

/// How long a connected peer's ICE may stay `Disconnected` (no consent checks answered) before
/// it is dropped. str0m reports `Disconnected` within seconds of a missed check and recovers when
/// checks resume; a busy browser (many tabs, a loaded machine) misses some, and dropping it at
/// once cost calls their media. Chrome itself gives up after ~30 s without consent.
const ICE_RECOVERY: Duration = Duration::from_secs(15);

/// Tunables. [`SfuConfig::default`] is what browsers need.
#[derive(Debug, Clone)]
pub struct SfuConfig {
    /// A peer not connected this long after its first offer is dropped (`Disconnected`).
    pub connect_timeout: Duration,
    /// Minimum gap between two keyframe requests to one publisher track. Chrome ignores a
    /// request that comes within 300 ms of the previous one.
    pub keyframe_min_interval: Duration,
    /// How often a subscription still waiting for its first keyframe asks again.
    pub keyframe_retry: Duration,
}

impl Default for SfuConfig {
    fn default() -> Self {
        SfuConfig {
            connect_timeout: Duration::from_secs(30),
            keyframe_min_interval: Duration::from_millis(350),
            keyframe_retry: Duration::from_millis(1000),
        }
    }
}

/// Most spare datagram buffers kept for reuse ([`Sfu::recycle`]).
const POOL_MAX: usize = 1024;

/// The SFU core: one str0m `Rtc` per peer, no IO. See the crate docs.
///
/// Per datagram the work is proportional to the peers it concerns, not to all peers: the indexes
/// below (`to_poll`, `timers`, `routes`, `fanout`) and the flags (`negotiate_pending`,
/// `kf_dirty`) stand in for scans of every peer. Each is derived state: it may say "maybe" (a
/// stale timer, a peer polled for nothing) but never misses a peer the scan would have found.
pub struct Sfu {
    config: SfuConfig,
    candidates: Vec<SocketAddr>,
    peers: BTreeMap<PeerId, Peer>,
    transmits: VecDeque<(SocketAddr, SocketAddr, Vec<u8>)>,
    events: VecDeque<SfuEvent>,
    /// The latest time seen; time never goes backwards inside.
    now: Option<Instant>,
    /// Peers whose `touched` flag was set since the last drive round (may repeat).
    to_poll: Vec<PeerId>,
    /// Due times of the peers' str0m timeouts and connect deadlines. An entry is live while the
    /// peer's `next_timeout` or `connect_deadline` still equals its time; others are skipped.
    timers: BinaryHeap<Reverse<(Instant, PeerId)>>,
    /// Remote address → the peer that accepted the last non-STUN datagram from it.
    routes: HashMap<SocketAddr, PeerId>,
    /// Remote track → the peers that have a subscription entry for it, in id order.
    fanout: BTreeMap<Key, Vec<PeerId>>,
    /// `fanout` must be rebuilt (a subscription entry was added or removed).
    fanout_stale: bool,
    /// Some peer was marked `dirty` since the last `negotiate`.
    negotiate_pending: bool,
    /// Keyframe state changed (a subscription may wait, a request may be owed): the keyframe
    /// service must run and `kf_wake` be recomputed.
    kf_dirty: bool,
    /// When the keyframe service next has time-based work (a retry, a coalesced request).
    kf_wake: Option<Instant>,
    /// Spare datagram buffers.
    pool: Vec<Vec<u8>>,
}

/// One browser connection.
struct Peer {
    rtc: Rtc,
    /// Fault injection ([`Sfu::block`]): datagrams to and from the peer are dropped until then.
    blocked_until: Option<Instant>,
    /// Whether the first offer put the data-channel m-line first. It is never stopped, so it
    /// stays the BUNDLE tag: stopping a media m-line that was the tag resets the browser's
    /// transport (the connection goes back to "new" and closes).
    anchored: bool,
    connected: bool,
    /// What the peer publishes (audio, video), as set by the caller.
    publish: Kinds<bool>,
    /// Upstream slots (the peer sends, we receive). `open` once the answer was accepted.
    recv: Vec<RecvSlot>,
    /// Downstream slots (we send media of `source` to the peer).
    send: Vec<SendSlot>,
    /// Remote tracks the caller wants a slot for / forwarded, by (source, kind).
    subs: BTreeMap<Key, Sub>,
    /// The outstanding offer, if any.
    pending: Option<SdpPendingOffer>,
    /// Something changed that may need an offer.
    dirty: bool,
    failed_answers: u32,
    /// An answer was accepted at least once.
    answered: bool,
    /// Set at the first offer, cleared on connect; set again while ICE is disconnected
    /// ([`ICE_RECOVERY`]), cleared when it recovers.
    connect_deadline: Option<Instant>,
    /// Connected, then ICE went `Disconnected` and has not recovered yet.
    ice_lost: bool,
    /// str0m's next timeout for this `Rtc`.
    next_timeout: Option<Instant>,
    /// The `Rtc` was handed something (input, a change, a frame): poll it. Whoever sets it also
    /// pushes the id to `Sfu::to_poll`.
    touched: bool,
    /// `next_timeout` as last pushed to `Sfu::timers`.
    timer_queued: Option<Instant>,
    /// Became connected while polled (the keyframe state must be looked at again).
    became_connected: bool,
    /// Frames were written since the last poll: str0m sends them only after it has seen the
    /// time again, so the poll starts with a timeout input instead of finding one due.
    wrote: bool,
    /// Why the peer must be dropped (set while polling; acted upon by `drive`).
    failed: Option<String>,
    /// Write errors so far (logged at warn only the first few times).
    write_errors: u64,
    /// Upstream kinds whose slot was removed while media was arriving (for `Publishing`).
    publishing_off: Vec<Kind>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Kinds<T> {
    audio: T,
    video: T,
}

impl<T: Copy> Kinds<T> {
    fn get(&self, k: Kind) -> T {
        match k {
            Kind::Audio => self.audio,
            Kind::Video => self.video,
        }
    }
}

struct RecvSlot {
    mid: Mid,
    kind: Kind,
    open: bool,
    /// Media is arriving (for `Publishing` events).
    active: bool,
    /// A keyframe request is owed to this track.
    kf_wanted: bool,
    /// When the last keyframe request was sent.
    kf_last: Option<Instant>,
}

struct SendSlot {
    mid: Mid,
    source: PeerId,
    kind: Kind,
    open: bool,
}

/// A remote track: (source, kind). `Kind` is not `Ord`, hence this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    source: PeerId,
    video: bool,
}

impl Key {
    fn new(source: PeerId, kind: Kind) -> Key {
        Key {
            source,
            video: kind == Kind::Video,
        }
    }

    fn kind(self) -> Kind {
        if self.video {
            Kind::Video
        } else {
            Kind::Audio
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Sub {
    /// The caller added this source: a send slot exists while the source publishes this kind.
    added: bool,
    /// Forward media (`subscribe(on)`).
    forward: bool,
    /// Video: no keyframe written to this subscriber since forwarding started.
    waiting_kf: bool,
    /// Video: a keyframe was already requested for the current wait.
    kf_asked: bool,
}

/// Work handed from one peer's output to the others.
enum Work {
    Media {
        from: PeerId,
        kind: Kind,
        data: Box<MediaData>,
    },
    /// Ask `source` for a keyframe of `kind`.
    Keyframe { source: PeerId, kind: Kind },
}

fn to_str0m(k: Kind) -> MediaKind {
    match k {
        Kind::Audio => MediaKind::Audio,
        Kind::Video => MediaKind::Video,
    }
}

fn from_str0m(k: MediaKind) -> Kind {
    match k {
        MediaKind::Audio => Kind::Audio,
        MediaKind::Video => Kind::Video,
    }
}

impl Sfu {
    /// `candidates`: host candidates to advertise; the first is the local socket address.
    pub fn new(candidates: Vec<SocketAddr>) -> Self {
        Self::with_config(candidates, SfuConfig::default())
    }

    pub fn with_config(candidates: Vec<SocketAddr>, config: SfuConfig) -> Self {
        if candidates.is_empty() {
            warn!("SFU created without host candidates: no browser can connect");
        }
        Sfu {
            config,
            candidates,
            peers: BTreeMap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            now: None,
            to_poll: Vec::new(),
            timers: BinaryHeap::new(),
            routes: HashMap::new(),
            fanout: BTreeMap::new(),
            fanout_stale: false,
            negotiate_pending: false,
            kf_dirty: false,
            kf_wake: None,
            pool: Vec::new(),
        }
    }

    /// Hands back a buffer returned by [`Sfu::poll_transmit`] once it has been sent, so the next
    /// datagram need not allocate. Optional.
    pub fn recycle(&mut self, buf: Vec<u8>) {
        if self.pool.len() < POOL_MAX {
            self.pool.push(buf);
        }
    }

    /// The advertised host candidates.
    pub fn candidates(&self) -> &[SocketAddr] {
        &self.candidates
    }

    /// Whether the peer exists and its ICE+DTLS connection is up.
    pub fn is_connected(&self, peer: PeerId) -> bool {
        self.peers.get(&peer).is_some_and(|p| p.connected)
    }

    /// Whether the peer exists.
    pub fn has_peer(&self, peer: PeerId) -> bool {
        self.peers.contains_key(&peer)
    }

    /// Whether the peer has an offer waiting for its answer.
    pub fn has_pending_offer(&self, peer: PeerId) -> bool {
        self.peers.get(&peer).is_some_and(|p| p.pending.is_some())
    }

    /// The slots the peer has (negotiated or being negotiated), as in the last offer.
    pub fn slots(&self, peer: PeerId) -> Vec<Slot> {
        self.peers.get(&peer).map(Peer::slots).unwrap_or_default()
    }

    fn tick(&mut self, now: Instant) -> Instant {
        let now = match self.now {
            Some(prev) if prev > now => prev,
            _ => now,
        };
        self.now = Some(now);
        now
    }

    /// Adds a peer (a browser connection). Nothing is offered until it has a slot: it publishes
    /// something or gets a source. Adding an existing id replaces that peer (as `remove_peer`
    /// then `add_peer`).
    pub fn add_peer(&mut self, peer: PeerId, now: Instant) {
        let now = self.tick(now);
        if self.peers.contains_key(&peer) {
            warn!(peer, "add_peer for an existing peer: replacing it");
            self.drop_peer(peer);
        }
        let rtc = new_rtc(peer, &self.candidates, now);
        self.peers.insert(
            peer,
            Peer {
                rtc,
                blocked_until: None,
                anchored: false,
                connected: false,
                publish: Kinds::default(),
                recv: vec![],
                send: vec![],
                subs: BTreeMap::new(),
                pending: None,
                dirty: true,
                failed_answers: 0,
                answered: false,
                connect_deadline: None,
                ice_lost: false,
                next_timeout: None,
                touched: true,
                timer_queued: None,
                became_connected: false,
                wrote: false,
                failed: None,
                write_errors: 0,
                publishing_off: vec![],
            },
        );
        self.to_poll.push(peer);
        self.negotiate_pending = true;
        debug!(peer, "peer added");
        self.drive(now);
    }

    /// Removes a peer: closes its connection and drops its tracks from every other peer
    /// (which are renegotiated). Emits no event. Unknown ids are ignored.
    /// Fault injection for tests and demos: drops every datagram to and from `peer` until
    /// `until`, as a network that stopped carrying its packets would.
    pub fn block(&mut self, peer: PeerId, until: Instant) {
        if let Some(p) = self.peers.get_mut(&peer) {
            p.blocked_until = Some(until);
        }
    }

    pub fn remove_peer(&mut self, peer: PeerId) {
        if !self.drop_peer(peer) {
            debug!(peer, "remove_peer: unknown peer");
            return;
        }
        info!(peer, "peer removed");
        if let Some(now) = self.now {
            self.drive(now);
        }
    }

    /// Removes the peer without driving the others. Returns whether it existed.
    fn drop_peer(&mut self, peer: PeerId) -> bool {
        let Some(mut p) = self.peers.remove(&peer) else {
            return false;
        };
        // Say goodbye (RTCP BYE, DTLS close_notify) when we can.
        if p.rtc.is_alive() && p.rtc.close().is_ok() {
            for _ in 0..64 {
                match p.rtc.poll_output() {
                    Ok(Output::Transmit(t)) => {
                        self.transmits
                            .push_back((t.destination, t.source, Vec::from(t.contents)));
                    }
                    Ok(Output::Event(_)) => {}
                    Ok(Output::Timeout(_)) | Err(_) => break,
                }
                if !p.rtc.is_alive() {
                    break;
                }
            }
        }
        for (_, other) in self.peers.iter_mut() {
            other.subs.retain(|k, _| k.source != peer);
            // Its send slots for `peer` go at the next offer.
            if other.send.iter().any(|s| s.source == peer) {
                other.dirty = true;
            }
        }
        self.routes.retain(|_, id| *id != peer);
        self.fanout_stale = true;
        self.negotiate_pending = true;
        self.kf_dirty = true;
        true
    }

    /// What the peer sends: renegotiates its receive slots. Other peers that added it as a
    /// source get (or lose) send slots for it.
    pub fn set_publish(&mut self, peer: PeerId, audio: bool, video: bool, now: Instant) {
        let now = self.tick(now);
        let Some(p) = self.peers.get_mut(&peer) else {
            warn!(peer, "set_publish: unknown peer");
            return;
        };
        let new = Kinds { audio, video };
        if p.publish.audio == audio && p.publish.video == video {
            return;
        }
        p.publish = new;
        for p in self.peers.values_mut() {
            p.dirty = true;
        }
        self.negotiate_pending = true;
        self.kf_dirty = true;
        self.drive(now);
    }

    /// Gives `subscriber` a send slot for `source`'s `kind` (while `source` publishes it).
    /// Forwarding still needs [`Sfu::subscribe`].
    pub fn add_source(&mut self, subscriber: PeerId, source: PeerId, kind: Kind, now: Instant) {
        self.set_source(subscriber, source, kind, true, now);
    }

    /// Removes that send slot (and the subscription) at the next offer.
    pub fn remove_source(&mut self, subscriber: PeerId, source: PeerId, kind: Kind, now: Instant) {
        self.set_source(subscriber, source, kind, false, now);
    }

    fn set_source(
        &mut self,
        subscriber: PeerId,
        source: PeerId,
        kind: Kind,
        on: bool,
        now: Instant,
    ) {
        let now = self.tick(now);
        if subscriber == source {
            warn!(subscriber, "a peer cannot be its own source");
            return;
        }
        if on && !self.peers.contains_key(&source) {
            warn!(subscriber, source, "add_source: unknown source");
            return;
        }
        let Some(p) = self.peers.get_mut(&subscriber) else {
            warn!(subscriber, "add/remove_source: unknown subscriber");
            return;
        };
        if on {
            let key = Key::new(source, kind);
            if !p.subs.contains_key(&key) {
                self.fanout_stale = true;
            }
            let sub = p.subs.entry(key).or_default();
            if sub.added {
                return;
            }
            sub.added = true;
        } else if p.subs.remove(&Key::new(source, kind)).is_none() {
            return;
        }
        p.dirty = true;
        self.negotiate_pending = true;
        self.fanout_stale = true;
        self.kf_dirty = true;
        self.drive(now);
    }

    /// Forward (or stop forwarding) `source`'s `kind` to `subscriber`. Takes effect once the
    /// send slot exists ([`Sfu::add_source`]) and is negotiated; turning video on asks the
    /// source for a keyframe once the subscriber can receive it.
    pub fn subscribe(
        &mut self,
        subscriber: PeerId,
        source: PeerId,
        kind: Kind,
        on: bool,
        now: Instant,
    ) {
        let now = self.tick(now);
        if subscriber == source || !self.peers.contains_key(&source) {
            warn!(subscriber, source, "subscribe: unknown source");
            return;
        }
        let Some(p) = self.peers.get_mut(&subscriber) else {
            warn!(subscriber, "subscribe: unknown subscriber");
            return;
        };
        let key = Key::new(source, kind);
        if !p.subs.contains_key(&key) {
            self.fanout_stale = true;
        }
        let sub = p.subs.entry(key).or_default();
        if sub.forward == on {
            return;
        }
        sub.forward = on;
        sub.waiting_kf = on && kind == Kind::Video;
        sub.kf_asked = false;
        self.kf_dirty = true;
        debug!(subscriber, source, ?kind, on, "subscription changed");
        self.drive(now);
    }

    /// The browser's answer to the outstanding offer.
    ///
    /// An answer that does not parse, or that gives one payload type two different codec
    /// descriptions (which str0m cannot take), is refused and changes nothing (the offer stays
    /// outstanding). An answer str0m rejects drops the offer; a new one follows unless this
    /// happened [`MAX_FAILED_ANSWERS`] times in a row, which closes the peer.
    pub fn accept_answer(&mut self, peer: PeerId, sdp: &str, now: Instant) -> Result<(), String> {
        let now = self.tick(now);
        let Some(p) = self.peers.get_mut(&peer) else {
            return Err(format!("unknown peer {peer}"));
        };
        if p.pending.is_none() {
            return Err("no offer is outstanding".into());
        }
        // Before str0m sees it: str0m panics on one payload type with two codecs.
        crate::answer_check::check_answer(sdp)?;
        let answer =
            SdpAnswer::from_sdp_string(sdp).map_err(|e| format!("answer does not parse: {e}"))?;
        let pending = p.pending.take().expect("checked above");
        let result = p.rtc.sdp_api().accept_answer(pending, answer);
        p.touched = true;
        self.to_poll.push(peer);
        self.negotiate_pending = true;
        self.kf_dirty = true;
        let out = match result {
            Ok(()) => {
                p.failed_answers = 0;
                p.answered = true;
                for s in &mut p.recv {
                    s.open = true;
                }
                for s in &mut p.send {
                    s.open = true;
                }
                // Queued changes, if any, go in the next offer.
                p.dirty = true;
                debug!(peer, "answer accepted");
                Ok(())
            }
            Err(e) => {
                p.failed_answers += 1;
                p.dirty = true;
                warn!(peer, "answer rejected ({} in a row): {e}", p.failed_answers);
                if p.failed_answers >= MAX_FAILED_ANSWERS {
                    p.failed = Some(format!(
                        "{} answers rejected in a row; last: {e}",
                        p.failed_answers
                    ));
                } else if !p.answered {
                    // str0m may have taken parts of the rejected answer (ICE credentials, DTLS
                    // role and fingerprint) before refusing it: start over with a fresh Rtc.
                    p.rtc = new_rtc(peer, &self.candidates, now);
                    p.recv.clear();
                    p.send.clear();
                    p.next_timeout = None;
                    p.timer_queued = None;
                } else if !p.rtc.is_alive() {
                    p.failed = Some(format!("answer rejected: {e}"));
                } else {
                    // Slots of the rejected offer never existed; stopped ones stay stopped.
                    p.recv.retain(|s| s.open);
                    p.send.retain(|s| s.open);
                }
                Err(format!("answer rejected: {e}"))
            }
        };
        self.drive(now);
        out
    }

    /// A datagram that arrived on the socket `to` from `from`. Garbage and datagrams no peer
    /// accepts are dropped.
    pub fn handle_datagram(&mut self, from: SocketAddr, to: SocketAddr, data: &[u8], now: Instant) {
        let now = self.tick(now);
        let contents = match data.try_into() {
            Ok(c) => c,
            Err(e) => {
                trace!(%from, len = data.len(), "dropping datagram: {e}");
                return;
            }
        };
        let input = Input::Receive(
            now,
            Receive {
                proto: Protocol::Udp,
                source: from,
                destination: to,
                contents,
            },
        );
        // Media and DTLS from an address go to the peer that took the last ones from it (if it
        // still does); STUN (RFC 7983: first byte 0–3) and unknown addresses search every peer,
        // as the peer a STUN request names may have changed address.
        let stun = data.first().is_some_and(|b| *b < 4);
        let routed = if stun {
            None
        } else {
            self.routes.get(&from).copied().filter(|id| {
                self.peers
                    .get(id)
                    .is_some_and(|p| p.rtc.is_alive() && p.rtc.accepts(&input))
            })
        };
        let id = match routed {
            Some(id) => id,
            None => {
                let Some((&id, _)) = self
                    .peers
                    .iter()
                    .find(|(_, p)| p.rtc.is_alive() && p.rtc.accepts(&input))
                else {
                    trace!(%from, len = data.len(), "no peer accepts datagram");
                    return;
                };
                if !stun {
                    self.routes.insert(from, id);
                }
                id
            }
        };
        let p = self.peers.get_mut(&id).expect("found above");
        if p.blocked_until.is_some_and(|u| now < u) {
            return;
        }
        p.touched = true;
        self.to_poll.push(id);
        if let Err(e) = p.rtc.handle_input(input) {
            // A DTLS record that does not decode, e.g. Not fatal by itself: if the connection
            // really broke, str0m says so through poll_output or ICE.
            debug!(peer = id, %from, "input refused: {e}");
        }
        self.drive(now);
    }

    /// Time passed; call at (or after) [`Sfu::next_timeout`].
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.tick(now);
        // The peers with a timeout or connect deadline due (each once, in id order), and those
        // never polled (no timeout yet: they are in `to_poll`).
        let mut due: Vec<PeerId> = self
            .to_poll
            .iter()
            .copied()
            .filter(|id| self.peers.get(id).is_some_and(|p| p.next_timeout.is_none()))
            .collect();
        while let Some(&Reverse((t, id))) = self.timers.peek() {
            if t > now {
                break;
            }
            self.timers.pop();
            if let Some(p) = self.peers.get_mut(&id) {
                if p.next_timeout == Some(t) {
                    p.timer_queued = None;
                    due.push(id);
                } else if p.connect_deadline == Some(t) {
                    due.push(id);
                }
            }
        }
        due.sort_unstable();
        due.dedup();
        for id in due {
            let Some(p) = self.peers.get_mut(&id) else {
                continue;
            };
            if p.connect_deadline.is_some_and(|d| now >= d) && p.failed.is_none() {
                p.failed = Some(if p.ice_lost {
                    format!("ICE disconnected for {} s", ICE_RECOVERY.as_secs())
                } else {
                    "not connected in time".into()
                });
                p.touched = true;
                self.to_poll.push(id);
                continue;
            }
            if p.next_timeout.is_none_or(|t| t <= now) {
                p.touched = true;
                self.to_poll.push(id);
                if let Err(e) = p.rtc.handle_input(Input::Timeout(now)) {
                    warn!(peer = id, "timeout handling failed: {e}");
                    p.failed = Some(format!("str0m: {e}"));
                }
            }
        }
        // Time-based keyframe work (retries, coalesced requests) is looked at in `drive`.
        self.drive(now);
    }

    /// Next datagram to send: (destination, source, bytes).
    pub fn poll_transmit(&mut self) -> Option<(SocketAddr, SocketAddr, Vec<u8>)> {
        self.transmits.pop_front()
    }

    /// Next event. Offers are made here, lazily, so that changes made by several calls in a
    /// row (e.g. `add_peer`, `set_publish`, `add_source` for every track) go in one offer.
    pub fn poll_event(&mut self) -> Option<SfuEvent> {
        if self.events.is_empty() {
            if let Some(now) = self.now {
                self.negotiate(now);
            }
        }
        self.events.pop_front()
    }

    /// When [`Sfu::handle_timeout`] must be called next. `None`: no peers.
    pub fn next_timeout(&self) -> Option<Instant> {
        // `drive` leaves a live entry on top of `timers` (or none) and `kf_wake` up to date.
        let timer = self.timers.peek().map(|Reverse((t, _))| *t);
        match (timer, self.kf_wake) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// When the keyframe service next has time-based work: the earliest retry of a ready
    /// subscription still waiting for a keyframe and the earliest owed (coalesced) request.
    fn compute_kf_wake(&self) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        let mut consider = |t: Instant| {
            next = Some(next.map_or(t, |n| n.min(t)));
        };
        for p in self.peers.values() {
            if !p.connected {
                continue;
            }
            for r in p.recv.iter().filter(|r| r.open && r.kind == Kind::Video) {
                if r.kf_wanted {
                    consider(
                        r.kf_last
                            .map_or(self.now.unwrap_or_else(Instant::now), |l| {
                                l + self.config.keyframe_min_interval
                            }),
                    );
                }
            }
        }
        for (sid, kind) in self.waiting_for_keyframe() {
            if let Some(r) = self
                .peers
                .get(&sid)
                .filter(|p| p.connected)
                .and_then(|p| p.recv.iter().find(|r| r.kind == kind && r.open))
            {
                if let Some(l) = r.kf_last {
                    consider(l + self.config.keyframe_retry);
                }
            }
        }
        next
    }

    /// Publisher tracks with at least one ready subscriber still waiting for a keyframe.
    fn waiting_for_keyframe(&self) -> Vec<(PeerId, Kind)> {
        let mut out = vec![];
        for p in self.peers.values().filter(|p| p.connected) {
            for (k, sub) in &p.subs {
                let (source, kind) = (k.source, k.kind());
                if sub.forward
                    && sub.waiting_kf
                    && p.send_open(source, kind)
                    && !out.contains(&(source, kind))
                {
                    out.push((source, kind));
                }
            }
        }
        out
    }

    /// Runs everything that can happen at `now`: polling every `Rtc`, forwarding media and
    /// keyframe requests, dropping failed peers. (Offers are made in `poll_event`.)
    fn drive(&mut self, now: Instant) {
        self.drive_rounds(now);
        // Leave a live timer on top for `next_timeout`, and the keyframe wake current.
        while let Some(&Reverse((t, id))) = self.timers.peek() {
            let live = self
                .peers
                .get(&id)
                .is_some_and(|p| p.next_timeout == Some(t) || p.connect_deadline == Some(t));
            if live {
                break;
            }
            self.timers.pop();
        }
        if self.timers.len() > 4 * self.peers.len() + 1024 {
            self.rebuild_timers();
        }
        if self.kf_dirty {
            self.kf_dirty = false;
            self.kf_wake = self.compute_kf_wake();
        }
    }

    /// Rebuilds `timers` from the peers (drops the stale entries).
    fn rebuild_timers(&mut self) {
        self.timers.clear();
        for (&id, p) in self.peers.iter_mut() {
            p.timer_queued = p.next_timeout;
            if let Some(t) = p.next_timeout {
                self.timers.push(Reverse((t, id)));
            }
            if let Some(t) = p.connect_deadline {
                self.timers.push(Reverse((t, id)));
            }
        }
    }

    fn drive_rounds(&mut self, now: Instant) {
        let mut ids: Vec<PeerId> = Vec::new();
        for _ in 0..MAX_DRIVE_ROUNDS {
            let mut busy = false;

            // This round polls the touched peers and those whose timeout is due, in id order.
            ids.clear();
            ids.append(&mut self.to_poll);
            let mut deadlines = Vec::new();
            while let Some(&Reverse((t, id))) = self.timers.peek() {
                if t > now {
                    break;
                }
                self.timers.pop();
                if let Some(p) = self.peers.get_mut(&id) {
                    if p.next_timeout == Some(t) {
                        p.timer_queued = None;
                        ids.push(id);
                    } else if p.connect_deadline == Some(t) {
                        // Acted upon by `handle_timeout`; it stays for `next_timeout`.
                        deadlines.push(Reverse((t, id)));
                    }
                }
            }
            self.timers.extend(deadlines);
            ids.sort_unstable();
            ids.dedup();

            let mut work = Vec::new();
            let mut failed: Vec<(PeerId, String)> = Vec::new();
            for &id in &ids {
                let Some(p) = self.peers.get_mut(&id) else {
                    continue;
                };
                if p.touched || p.next_timeout.is_none_or(|t| t <= now) {
                    p.touched = false;
                    p.poll(
                        id,
                        now,
                        &mut self.transmits,
                        &mut self.events,
                        &mut work,
                        &mut self.pool,
                    );
                    if p.timer_queued != p.next_timeout {
                        p.timer_queued = p.next_timeout;
                        if let Some(t) = p.next_timeout {
                            self.timers.push(Reverse((t, id)));
                        }
                    }
                    if std::mem::take(&mut p.became_connected) {
                        self.kf_dirty = true;
                    }
                    if p.connected {
                        if p.ice_lost && p.connect_deadline.is_none() {
                            let t = now + ICE_RECOVERY;
                            p.connect_deadline = Some(t);
                            self.timers.push(Reverse((t, id)));
                        } else if !p.ice_lost && p.connect_deadline.is_some() {
                            p.connect_deadline = None;
                        }
                    }
                }
                if let Some(r) = p.failed.take() {
                    failed.push((id, r));
                }
            }

            for (id, reason) in failed {
                busy = true;
                warn!(peer = id, "peer failed: {reason}");
                self.drop_peer(id);
                self.events
                    .push_back(SfuEvent::Disconnected { peer: id, reason });
            }

            busy |= !work.is_empty();
            for w in work {
                self.dispatch(w);
            }
            if self.kf_dirty || self.kf_wake.is_some_and(|t| now >= t) {
                busy |= self.service_keyframes(now);
                self.kf_wake = self.compute_kf_wake();
            }
            if !busy {
                return;
            }
        }
        debug!("drive did not settle in {MAX_DRIVE_ROUNDS} rounds; continuing at next timeout");
    }

    /// Makes an offer for every peer that needs one and has none outstanding.
    fn negotiate(&mut self, now: Instant) {
        // Every path that marks a peer dirty sets `negotiate_pending`; a peer that stays dirty
        // (offer outstanding, failing) is flagged again by `accept_answer` / `drop_peer`.
        if !std::mem::take(&mut self.negotiate_pending) {
            return;
        }
        let publishing: BTreeMap<PeerId, Kinds<bool>> =
            self.peers.iter().map(|(&id, p)| (id, p.publish)).collect();
        for (&id, p) in self.peers.iter_mut() {
            if !p.dirty || p.pending.is_some() || !p.rtc.is_alive() || p.failed.is_some() {
                continue;
            }
            p.dirty = false;
            // make_offer touches the peer (and may make subscriptions wait for a keyframe).
            self.to_poll.push(id);
            self.kf_dirty = true;
            let Some(sdp) = p.make_offer(id, &publishing) else {
                continue;
            };
            if p.connect_deadline.is_none() && !p.connected {
                let t = now + self.config.connect_timeout;
                p.connect_deadline = Some(t);
                self.timers.push(Reverse((t, id)));
            }
            let slots = p.slots();
            debug!(peer = id, ?slots, "offer");
            self.events.push_back(SfuEvent::Offer {
                peer: id,
                sdp,
                slots,
            });
        }
        if self.kf_dirty {
            // Left set: the next drive runs the keyframe service too.
            self.kf_wake = self.compute_kf_wake();
        }
    }

    /// Rebuilds `fanout` from the peers' subscription entries.
    fn rebuild_fanout(&mut self) {
        self.fanout.clear();
        for (&id, p) in &self.peers {
            for k in p.subs.keys() {
                self.fanout.entry(*k).or_default().push(id);
            }
        }
        self.fanout_stale = false;
    }

    fn dispatch(&mut self, w: Work) {
        match w {
            Work::Media { from, kind, data } => {
                let key = data.is_keyframe();
                if self.fanout_stale {
                    self.rebuild_fanout();
                }
                // The peers with a subscription entry for this track, in id order.
                let track = Key::new(from, kind);
                let subscribers = match self.fanout.get_mut(&track) {
                    Some(list) => std::mem::take(list),
                    None => return,
                };
                for &id in &subscribers {
                    let Some(p) = self.peers.get_mut(&id) else {
                        continue;
                    };
                    if id == from || !p.connected {
                        continue;
                    }
                    let Some(sub) = p.subs.get(&track) else {
                        continue;
                    };
                    if !sub.forward {
                        continue;
                    }
                    if sub.waiting_kf && !key {
                        // A decoder cannot start on a delta frame: wait for the keyframe.
                        continue;
                    }
                    let Some(mid) = p
                        .send
                        .iter()
                        .find(|s| s.open && s.source == from && s.kind == kind)
                        .map(|s| s.mid)
                    else {
                        continue;
                    };
                    self.to_poll.push(id);
                    if p.write(id, mid, &data) && key {
                        if let Some(sub) = p.subs.get_mut(&track) {
                            if sub.waiting_kf {
                                debug!(subscriber = id, source = from, "first keyframe forwarded");
                                self.kf_dirty = true;
                            }
                            sub.waiting_kf = false;
                        }
                    }
                }
                if let Some(list) = self.fanout.get_mut(&track) {
                    *list = subscribers;
                }
            }
            Work::Keyframe { source, kind } => {
                self.kf_dirty = true;
                if let Some(r) = self
                    .peers
                    .get_mut(&source)
                    .and_then(|p| p.recv.iter_mut().find(|r| r.open && r.kind == kind))
                {
                    r.kf_wanted = true;
                }
            }
        }
    }

    /// Sends owed keyframe requests. Returns whether any was sent.
    fn service_keyframes(&mut self, now: Instant) -> bool {
        // Subscriptions that became ready ask once at once; those still waiting ask again
        // every `keyframe_retry`.
        let mut want: Vec<(PeerId, Kind, bool)> = vec![];
        for p in self.peers.values_mut().filter(|p| p.connected) {
            let Peer { subs, send, .. } = p;
            for (k, sub) in subs.iter_mut() {
                let (source, kind) = (k.source, k.kind());
                let ready = sub.forward
                    && sub.waiting_kf
                    && send
                        .iter()
                        .any(|s| s.open && s.source == source && s.kind == kind);
                if ready {
                    want.push((source, kind, !sub.kf_asked));
                    sub.kf_asked = true;
                }
            }
        }
        for (source, kind, fresh) in want {
            let Some(r) = self
                .peers
                .get_mut(&source)
                .and_then(|p| p.recv.iter_mut().find(|r| r.open && r.kind == kind))
            else {
                continue;
            };
            if fresh
                || r.kf_last
                    .is_none_or(|l| now >= l + self.config.keyframe_retry)
            {
                r.kf_wanted = true;
            }
        }

        let mut sent = false;
        let min = self.config.keyframe_min_interval;
        for (&id, p) in self.peers.iter_mut() {
            if !p.connected {
                continue;
            }
            let Peer {
                rtc, recv, touched, ..
            } = p;
            for r in recv.iter_mut() {
                if !r.open || !r.kf_wanted || r.kind != Kind::Video {
                    if r.kind == Kind::Audio {
                        r.kf_wanted = false;
                    }
                    continue;
                }
                if r.kf_last.is_some_and(|l| now < l + min) {
                    continue; // coalesced: sent when the window ends
                }
                r.kf_wanted = false;
                r.kf_last = Some(now);
                *touched = true;
                self.to_poll.push(id);
                let Some(mut w) = rtc.writer(r.mid) else {
                    continue;
                };
                match w.request_keyframe(None, KeyframeRequestKind::Pli) {
                    Ok(()) => {
                        debug!(peer = id, mid = %r.mid, "keyframe requested");
                        sent = true;
                    }
                    // No RTP from the publisher yet: its first frame will be a keyframe.
                    Err(e) => debug!(peer = id, mid = %r.mid, "keyframe request not sent: {e}"),
                }
            }
        }
        sent
    }
}

impl Peer {
    fn send_open(&self, source: PeerId, kind: Kind) -> bool {
        self.send
            .iter()
            .any(|s| s.open && s.source == source && s.kind == kind)
    }

    fn slots(&self) -> Vec<Slot> {
        let recv = self.recv.iter().map(|r| Slot {
            mid: r.mid.to_string(),
            source: None,
            kind: r.kind,
        });
        let send = self.send.iter().map(|s| Slot {
            mid: s.mid.to_string(),
            source: Some(s.source),
            kind: s.kind,
        });
        recv.chain(send).collect()
    }

    /// Reconciles the slots with what is wanted; returns the offer SDP if anything changed.
    /// Only called with no offer outstanding, so every slot is open here.
    fn make_offer(
        &mut self,
        id: PeerId,
        publishing: &BTreeMap<PeerId, Kinds<bool>>,
    ) -> Option<String> {
        self.touched = true;
        let mut api = self.rtc.sdp_api();

        // First m-line of the first offer: a data channel that lives as long as the peer (the
        // BUNDLE tag). Only when there is media to negotiate, so no offer is made for nothing.
        if !self.anchored {
            let wants_media = self.publish.get(Kind::Audio)
                || self.publish.get(Kind::Video)
                || self.subs.iter().any(|(k, sub)| {
                    sub.added && publishing.get(&k.source).is_some_and(|p| p.get(k.kind()))
                });
            if wants_media {
                api.add_channel("trtc".into());
                self.anchored = true;
            }
        }

        // Upstream.
        let publish = self.publish;
        self.recv.retain(|r| {
            if publish.get(r.kind) {
                return true;
            }
            api.stop_media(r.mid);
            if r.active {
                self.publishing_off.push(r.kind);
            }
            false
        });
        for kind in [Kind::Audio, Kind::Video] {
            if publish.get(kind) && !self.recv.iter().any(|r| r.kind == kind) {
                let mid = api.add_media(to_str0m(kind), Direction::RecvOnly, None, None, None);
                self.recv.push(RecvSlot {
                    mid,
                    kind,
                    open: false,
                    active: false,
                    kf_wanted: false,
                    kf_last: None,
                });
            }
        }

        // Downstream.
        let wanted = |source: PeerId, kind: Kind, subs: &BTreeMap<Key, Sub>| {
            subs.get(&Key::new(source, kind)).is_some_and(|s| s.added)
                && publishing.get(&source).is_some_and(|k| k.get(kind))
        };
        let subs = &mut self.subs;
        self.send.retain(|s| {
            if wanted(s.source, s.kind, subs) {
                return true;
            }
            api.stop_media(s.mid);
            false
        });
        let new: Vec<Key> = subs
            .keys()
            .filter(|k| {
                wanted(k.source, k.kind(), subs)
                    && !self
                        .send
                        .iter()
                        .any(|s| s.source == k.source && s.kind == k.kind())
            })
            .copied()
            .collect();
        for k in new {
            let (source, kind) = (k.source, k.kind());
            let stream = format!("trtc-{source}");
            let track = format!("trtc-{source}-{}", kind_name(kind));
            let mid = api.add_media(
                to_str0m(kind),
                Direction::SendOnly,
                Some(stream),
                Some(track),
                None,
            );
            self.send.push(SendSlot {
                mid,
                source,
                kind,
                open: false,
            });
            // A new transceiver: its decoder needs a keyframe to start.
            if let Some(sub) = subs.get_mut(&k) {
                sub.waiting_kf = sub.forward && kind == Kind::Video;
                sub.kf_asked = false;
            }
        }

        if !api.has_changes() {
            return None;
        }
        match api.apply() {
            Some((offer, pending)) => {
                self.pending = Some(pending);
                Some(offer.to_sdp_string())
            }
            None => {
                // Only direct changes (none of ours are); nothing to send.
                debug!(peer = id, "changes applied without negotiation");
                for s in &mut self.recv {
                    s.open = true;
                }
                for s in &mut self.send {
                    s.open = true;
                }
                None
            }
        }
    }

    /// Polls the `Rtc` until it has nothing more to say at `now`.
    fn poll(
        &mut self,
        id: PeerId,
        now: Instant,
        transmits: &mut VecDeque<(SocketAddr, SocketAddr, Vec<u8>)>,
        events: &mut VecDeque<SfuEvent>,
        work: &mut Vec<Work>,
        pool: &mut Vec<Vec<u8>>,
    ) {
        for kind in self.publishing_off.drain(..) {
            events.push_back(SfuEvent::Publishing {
                peer: id,
                kind,
                active: false,
            });
        }
        if std::mem::take(&mut self.wrote) && self.failed.is_none() && self.rtc.is_alive() {
            if let Err(e) = self.rtc.handle_input(Input::Timeout(now)) {
                self.failed = Some(format!("str0m: {e}"));
                return;
            }
        }
        let mut spins = 0;
        loop {
            if self.failed.is_some() {
                return;
            }
            if !self.rtc.is_alive() {
                self.failed = Some("connection closed".into());
                return;
            }
            let out = match self.rtc.poll_output() {
                Ok(o) => o,
                Err(e) => {
                    self.failed = Some(format!("str0m: {e}"));
                    return;
                }
            };
            match out {
                Output::Timeout(t) => {
                    if t <= now && spins < 4 {
                        // Due now: let str0m do it before we sleep.
                        spins += 1;
                        if let Err(e) = self.rtc.handle_input(Input::Timeout(now)) {
                            self.failed = Some(format!("str0m: {e}"));
                            return;
                        }
                        continue;
                    }
                    self.next_timeout = Some(t);
                    return;
                }
                Output::Transmit(t) => {
                    if self.blocked_until.is_none_or(|u| now >= u) {
                        let mut buf = pool.pop().unwrap_or_default();
                        buf.clear();
                        buf.extend_from_slice(&t.contents);
                        transmits.push_back((t.destination, t.source, buf));
                    }
                }
                Output::Event(e) => self.on_event(id, e, events, work),
            }
        }
    }

    fn on_event(
        &mut self,
        id: PeerId,
        e: Event,
        events: &mut VecDeque<SfuEvent>,
        work: &mut Vec<Work>,
    ) {
        match e {
            Event::Connected => {
                info!(peer = id, "connected");
                self.connected = true;
                self.became_connected = true;
                self.connect_deadline = None;
                for sub in self.subs.values_mut() {
                    sub.kf_asked = false;
                }
                events.push_back(SfuEvent::Connected { peer: id });
            }
            Event::IceConnectionStateChange(s) => {
                debug!(peer = id, ?s, "ICE state");
                if s == IceConnectionState::Disconnected {
                    if self.connected {
                        // Possibly transient: the SFU gives it ICE_RECOVERY to come back.
                        warn!(peer = id, "ICE disconnected; waiting for it to recover");
                        self.ice_lost = true;
                    } else {
                        self.failed = Some("ICE disconnected".into());
                    }
                } else if self.ice_lost {
                    info!(peer = id, ?s, "ICE recovered");
                    self.ice_lost = false;
                }
            }
            Event::Closed => {
                self.failed = Some("closed by the remote".into());
            }
            Event::MediaData(data) => {
                let Some(r) = self.recv.iter_mut().find(|r| r.mid == data.mid && r.open) else {
                    trace!(peer = id, mid = %data.mid, "media on an unknown mid");
                    return;
                };
                if !r.active {
                    r.active = true;
                    events.push_back(SfuEvent::Publishing {
                        peer: id,
                        kind: r.kind,
                        active: true,
                    });
                }
                work.push(Work::Media {
                    from: id,
                    kind: r.kind,
                    data: Box::new(data),
                });
            }
            Event::StreamPaused(p) => {
                if let Some(r) = self.recv.iter_mut().find(|r| r.mid == p.mid) {
                    if r.active == p.paused {
                        r.active = !p.paused;
                        events.push_back(SfuEvent::Publishing {
                            peer: id,
                            kind: r.kind,
                            active: r.active,
                        });
                    }
                }
            }
            Event::KeyframeRequest(req) => {
                let forwarding = |s: &&SendSlot| {
                    self.subs
                        .get(&Key::new(s.source, s.kind))
                        .is_some_and(|sub| sub.forward)
                };
                if let Some(s) = self
                    .send
                    .iter()
                    .filter(forwarding)
                    .find(|s| s.mid == req.mid)
                {
                    trace!(
                        peer = id,
                        source = s.source,
                        "keyframe request from subscriber"
                    );
                    work.push(Work::Keyframe {
                        source: s.source,
                        kind: s.kind,
                    });
                }
            }
            Event::MediaAdded(m) => {
                // Browsers never offer here; the server makes every offer.
                debug!(peer = id, mid = %m.mid, kind = ?from_str0m(m.kind), "media added by the remote");
            }
            _ => {}
        }
    }

    /// Writes one frame to a send slot. Returns whether it was written.
    fn write(&mut self, id: PeerId, mid: Mid, data: &MediaData) -> bool {
        self.touched = true;
        let Some(mut w) = self.rtc.writer(mid) else {
            return false;
        };
        let Some(pt) = w.match_params(data.params) else {
            self.write_error(id, mid, "no matching payload type");
            return false;
        };
        // Keep the publisher's audio level (RFC 6464): subscribers read it cheaply
        // (RTCRtpReceiver.getSynchronizationSources) for volume meters.
        if let (Some(level), Some(voice)) =
            (data.ext_vals.audio_level, data.ext_vals.voice_activity)
        {
            w = w.audio_level(level, voice);
        }
        match w.write(pt, data.network_time, data.time, data.data.clone()) {
            Ok(()) => {
                self.wrote = true;
                true
            }
            Err(e) => {
                self.write_error(id, mid, &e.to_string());
                false
            }
        }
    }

    fn write_error(&mut self, id: PeerId, mid: Mid, e: &str) {
        self.write_errors += 1;
        if self.write_errors <= 5 || self.write_errors.is_power_of_two() {
            warn!(peer = id, %mid, count = self.write_errors, "frame not forwarded: {e}");
        }
    }
}

/// A server-side `Rtc`: ICE-lite, advertising `candidates`.
fn new_rtc(peer: PeerId, candidates: &[SocketAddr], now: Instant) -> Rtc {
    let mut rtc = Rtc::builder().set_ice_lite(true).build(now);
    for addr in candidates {
        match Candidate::host(*addr, "udp") {
            Ok(c) => {
                if rtc.add_local_candidate(c).is_none() {
                    warn!(peer, "host candidate {addr} refused by str0m");
                }
            }
            Err(e) => warn!(peer, "bad host candidate {addr}: {e}"),
        }
    }
    // str0m's ICE agent schedules nothing until it has seen the time once.
    if let Err(e) = rtc.handle_input(Input::Timeout(now)) {
        warn!(peer, "new Rtc refused the time: {e}");
    }
    rtc
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Audio => "audio",
        Kind::Video => "video",
    }
}
