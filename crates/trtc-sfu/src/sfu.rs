//! The [`Sfu`] value: its state, its constructors and queries, and the room layer's control
//! calls (peers, what they publish, their sources and subscriptions).
//!
//! The rest of its methods live with what they do: the media path (datagrams in and out,
//! polling, forwarding) in `media.rs`, offers and answers in `negotiate.rs`, everything that
//! happens because time passed in `timers.rs`.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::Output;
use tracing::{debug, info, warn};

use crate::media::{transport_of, Fanout, RouteIndex};
use crate::peer::{new_rtc, Key, Kinds, Layer, Peer};
use crate::timers::Timers;
use crate::{Kind, Packet, PeerId, SfuEvent, Slot};

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
/// Per datagram the work is proportional to the peers it concerns, not to all peers: the
/// indexes (`index`, `fanout`, `to_poll`, `timers`) and the flags (`negotiate_pending`,
/// `timers.kf_dirty`) stand in for scans of every peer. Each is derived state: it may say
/// "maybe" (a stale timer, a peer polled for nothing) but never misses a peer the scan would
/// have found.
pub struct Sfu {
    pub(crate) config: SfuConfig,
    /// UDP host candidates; the first is the socket's address.
    pub(crate) candidates: Vec<SocketAddr>,
    /// TCP passive host candidates; the first is the listener's address.
    pub(crate) tcp_candidates: Vec<SocketAddr>,
    pub(crate) peers: BTreeMap<PeerId, Peer>,
    /// Which peer a datagram is for: by ufrag (STUN) and by source address (the rest).
    pub(crate) index: RouteIndex,
    /// Remote track → the peers that have a subscription entry for it.
    pub(crate) fanout: Fanout,
    /// Packets to send.
    pub(crate) transmits: VecDeque<Packet>,
    /// Spare datagram buffers.
    pub(crate) pool: Vec<Vec<u8>>,
    /// Events for the caller.
    pub(crate) events: VecDeque<SfuEvent>,
    /// The latest time seen; time never goes backwards inside.
    pub(crate) now: Option<Instant>,
    /// Peers whose `wake.touched` was set since the last drive round (may repeat).
    pub(crate) to_poll: Vec<PeerId>,
    /// Every deadline: str0m timeouts, connect/ICE-recovery deadlines, keyframe work.
    pub(crate) timers: Timers,
    /// Some peer was marked `neg.dirty` since the last `negotiate`.
    pub(crate) negotiate_pending: bool,
    /// Datagrams handed to a peer's `Rtc` to accept or refuse (see [`Sfu::route_probes`]).
    pub(crate) route_probes: u64,
}

impl Sfu {
    /// `candidates`: UDP host candidates to advertise; the first is the local socket address.
    pub fn new(candidates: Vec<SocketAddr>) -> Self {
        Self::with_config(candidates, SfuConfig::default())
    }

    /// [`Sfu::new`] with a config.
    pub fn with_config(candidates: Vec<SocketAddr>, config: SfuConfig) -> Self {
        Self::with_candidates(candidates, vec![], config)
    }

    /// UDP host candidates (`udp`, the first is the local socket address) and TCP passive host
    /// candidates (`tcp`, RFC 6544; the first is the listener's address; none: no ICE-TCP).
    /// Every peer offers all of them.
    pub fn with_candidates(udp: Vec<SocketAddr>, tcp: Vec<SocketAddr>, config: SfuConfig) -> Self {
        if udp.is_empty() && tcp.is_empty() {
            warn!("SFU created without host candidates: no browser can connect");
        }
        Sfu {
            config,
            candidates: udp,
            tcp_candidates: tcp,
            peers: BTreeMap::new(),
            index: RouteIndex::default(),
            fanout: Fanout::default(),
            transmits: VecDeque::new(),
            pool: Vec::new(),
            events: VecDeque::new(),
            now: None,
            to_poll: Vec::new(),
            timers: Timers::default(),
            negotiate_pending: false,
            route_probes: 0,
        }
    }

    /// Hands back a buffer returned by [`Sfu::poll_transmit`] once it has been sent, so the next
    /// datagram need not allocate. Optional.
    pub fn recycle(&mut self, buf: Vec<u8>) {
        if self.pool.len() < POOL_MAX {
            self.pool.push(buf);
        }
    }

    /// The advertised UDP host candidates.
    pub fn candidates(&self) -> &[SocketAddr] {
        &self.candidates
    }

    /// The advertised TCP passive host candidates.
    pub fn tcp_candidates(&self) -> &[SocketAddr] {
        &self.tcp_candidates
    }

    /// Whether the peer exists and its ICE+DTLS connection is up.
    pub fn is_connected(&self, peer: PeerId) -> bool {
        self.peers.get(&peer).is_some_and(|p| p.conn.is_connected())
    }

    /// How many peers there are.
    pub fn peer_count(&self) -> usize {
        self.peers.len()
    }

    /// Whether the peer exists.
    pub fn has_peer(&self, peer: PeerId) -> bool {
        self.peers.contains_key(&peer)
    }

    /// Whether the peer has an offer waiting for its answer.
    pub fn has_pending_offer(&self, peer: PeerId) -> bool {
        self.peers
            .get(&peer)
            .is_some_and(|p| p.neg.pending.is_some())
    }

    /// The slots the peer has (negotiated or being negotiated), as in the last offer.
    pub fn slots(&self, peer: PeerId) -> Vec<Slot> {
        self.peers
            .get(&peer)
            .map(|p| p.tracks.slots())
            .unwrap_or_default()
    }

    /// How many datagrams were handed to a peer's `Rtc` to accept or refuse, since the start.
    /// Routing asks at most one peer per datagram (the one its ufrag or source address names);
    /// a datagram that names no peer asks none. For tests and diagnostics.
    pub fn route_probes(&self) -> u64 {
        self.route_probes
    }

    /// Time as the core sees it: never backwards.
    pub(crate) fn tick(&mut self, now: Instant) -> Instant {
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
        let (rtc, ufrag) = self.fresh_rtc(peer, now);
        self.peers.insert(peer, Peer::new(rtc, ufrag));
        self.to_poll.push(peer);
        self.negotiate_pending = true;
        debug!(peer, "peer added");
        self.drive(now);
    }

    /// A new `Rtc` for `peer`, registered in the route index under its ufrag (which no other
    /// live peer has). The caller puts it in place of the peer's old one, if any, whose ufrag
    /// it must have unregistered.
    pub(crate) fn fresh_rtc(&mut self, peer: PeerId, now: Instant) -> (str0m::Rtc, String) {
        // str0m's ufrags are 16 random characters: a clash is not expected, but a clash would
        // send one peer's checks to another, so it is ruled out.
        let mut tries = 0;
        loop {
            let (rtc, ufrag) = new_rtc(peer, &self.candidates, &self.tcp_candidates, now);
            tries += 1;
            if self.index.add_ufrag(&ufrag, peer) || tries >= 8 {
                return (rtc, ufrag);
            }
            warn!(peer, "ICE ufrag clash; making another Rtc");
        }
    }

    /// Fault injection for tests and demos: drops every datagram to and from `peer` until
    /// `until`, as a network that stopped carrying its packets would.
    pub fn block(&mut self, peer: PeerId, until: Instant) {
        if let Some(p) = self.peers.get_mut(&peer) {
            p.blocked_until = Some(until);
        }
    }

    /// Removes a peer: closes its connection and drops its tracks from every other peer
    /// (which are renegotiated). Emits no event. Unknown ids are ignored.
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
    pub(crate) fn drop_peer(&mut self, peer: PeerId) -> bool {
        let Some(mut p) = self.peers.remove(&peer) else {
            return false;
        };
        // Say goodbye (RTCP BYE, DTLS close_notify) when we can.
        if p.rtc.is_alive() && p.rtc.close().is_ok() {
            for _ in 0..64 {
                match p.rtc.poll_output() {
                    Ok(Output::Transmit(t)) => {
                        if let Some(transport) = transport_of(t.proto) {
                            self.transmits.push_back(Packet {
                                transport,
                                to: t.destination,
                                from: t.source,
                                data: Vec::from(t.contents),
                            });
                        }
                    }
                    Ok(Output::Event(_)) => {}
                    Ok(Output::Timeout(_)) | Err(_) => break,
                }
                if !p.rtc.is_alive() {
                    break;
                }
            }
        }
        for other in self.peers.values_mut() {
            other.tracks.subs.retain(|k, _| k.source != peer);
            // Its send slots for `peer` go at the next offer.
            if other
                .tracks
                .send
                .iter()
                .any(|s| !s.idle && s.source == peer)
            {
                other.neg.dirty = true;
            }
        }
        self.index.remove_peer(peer, &p.ufrag);
        self.fanout.stale = true;
        self.negotiate_pending = true;
        self.timers.kf_dirty = true;
        true
    }

    /// What the peer sends: renegotiates its receive slots. Other peers that added it as a
    /// source get (or lose) send slots for it.
    pub fn set_publish(&mut self, peer: PeerId, audio: bool, video: bool, now: Instant) {
        let sub = self
            .peers
            .get(&peer)
            .map(|p| (p.tracks.publish.sub_video, p.tracks.publish.sub_audio))
            .unwrap_or_default();
        self.set_publish_all(peer, [audio, video, sub.0, sub.1], now);
    }

    /// [`Sfu::set_publish`] for every kind: whether the peer sends each of [`Kind::ALL`]
    /// (main audio, main video, sub video, sub audio).
    pub fn set_publish_all(&mut self, peer: PeerId, kinds: [bool; 4], now: Instant) {
        let now = self.tick(now);
        let Some(p) = self.peers.get_mut(&peer) else {
            warn!(peer, "set_publish: unknown peer");
            return;
        };
        let [audio, video, sub_video, sub_audio] = kinds;
        let new = Kinds {
            audio,
            video,
            sub_video,
            sub_audio,
        };
        if p.tracks.publish == new {
            return;
        }
        p.tracks.publish = new;
        for p in self.peers.values_mut() {
            p.neg.dirty = true;
        }
        self.negotiate_pending = true;
        self.timers.kf_dirty = true;
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
        let key = Key::new(source, kind);
        if on {
            if !p.tracks.subs.contains_key(&key) {
                self.fanout.stale = true;
            }
            let sub = p.tracks.subs.entry(key).or_default();
            if sub.added {
                return;
            }
            sub.added = true;
        } else if p.tracks.subs.remove(&key).is_none() {
            return;
        }
        p.neg.dirty = true;
        self.negotiate_pending = true;
        self.fanout.stale = true;
        self.timers.kf_dirty = true;
        self.drive(now);
    }

    /// Forward (or stop forwarding) `source`'s `kind` to `subscriber`. Takes effect once the
    /// send slot exists ([`Sfu::add_source`]; for video, only from this call on: a video slot
    /// is made when forwarding starts; turning it off keeps the slot, with no renegotiation,
    /// until another video needs it) and is negotiated; turning video on asks the source for a
    /// keyframe once the subscriber can receive it.
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
        if !p.tracks.subs.contains_key(&key) {
            self.fanout.stale = true;
        }
        let sub = p.tracks.subs.entry(key).or_default();
        if sub.forward == on {
            return;
        }
        sub.forward = on;
        sub.waiting_kf = on && kind.is_video();
        sub.kf_asked = false;
        sub.last_ts = None;
        sub.stopped = (!on).then_some(now);
        // A video slot is made when forwarding starts (see `Peer::make_offer`), unless its slot
        // is still there: stopping keeps it (no offer), so a stop and a start again need none.
        let added = sub.added;
        if kind.is_video() && on && added && p.tracks.send_slot(source, kind).is_none() {
            p.neg.dirty = true;
            self.negotiate_pending = true;
        }
        self.timers.kf_dirty = true;
        debug!(subscriber, source, ?kind, on, "subscription changed");
        self.drive(now);
    }

    /// Whether `peer` also sends a small layer of its video (`startLocalVideo`'s
    /// `option.small`). Its video upstream is then negotiated with simulcast (rids
    /// [`RID_BIG`](crate::RID_BIG) and [`RID_SMALL`](crate::RID_SMALL)); a change while it
    /// publishes video replaces that slot in the next offer. Subscribers that asked for the small
    /// layer ([`Sfu::set_layer`]) get it once it is negotiated, the big one before and after.
    pub fn set_small(&mut self, peer: PeerId, small: bool, now: Instant) {
        let now = self.tick(now);
        let Some(p) = self.peers.get_mut(&peer) else {
            warn!(peer, "set_small: unknown peer");
            return;
        };
        if p.tracks.small == small {
            return;
        }
        p.tracks.small = small;
        if p.tracks.publish.video {
            p.neg.dirty = true;
            self.negotiate_pending = true;
        }
        self.layers_changed(peer);
        self.drive(now);
    }

    /// Which layer of `source`'s video `subscriber` wants: the small one (`true`) or the big one.
    /// The small one is forwarded only while the source sends one; otherwise the big one is.
    /// A change is made on a keyframe of the new layer (asked for at once); the old layer keeps
    /// flowing until then, so the picture never stops.
    pub fn set_layer(&mut self, subscriber: PeerId, source: PeerId, small: bool, now: Instant) {
        let now = self.tick(now);
        if subscriber == source || !self.peers.contains_key(&source) {
            warn!(subscriber, source, "set_layer: unknown source");
            return;
        }
        let Some(p) = self.peers.get_mut(&subscriber) else {
            warn!(subscriber, "set_layer: unknown subscriber");
            return;
        };
        let key = Key::new(source, Kind::Video);
        if !p.tracks.subs.contains_key(&key) {
            self.fanout.stale = true;
        }
        let sub = p.tracks.subs.entry(key).or_default();
        if sub.want_small == small {
            return;
        }
        sub.want_small = small;
        sub.kf_asked = false;
        self.timers.kf_dirty = true;
        debug!(subscriber, source, small, "layer wanted");
        self.drive(now);
    }

    /// The small layer of `source` may have come or gone: its subscribers' wanted layers may
    /// have changed, so they ask for a keyframe of it at once.
    pub(crate) fn layers_changed(&mut self, source: PeerId) {
        let key = Key::new(source, Kind::Video);
        for p in self.peers.values_mut() {
            if let Some(sub) = p.tracks.subs.get_mut(&key) {
                sub.kf_asked = false;
            }
        }
        self.timers.kf_dirty = true;
    }

    /// The layer of `source`'s video that `subscriber` is forwarded now (`Some(true)`: the
    /// small one), `None` if it has no such subscription. For tests and diagnostics.
    pub fn layer(&self, subscriber: PeerId, source: PeerId) -> Option<bool> {
        let sub = self
            .peers
            .get(&subscriber)?
            .tracks
            .subs
            .get(&Key::new(source, Kind::Video))?;
        Some(sub.layer == Layer::Small)
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
}
