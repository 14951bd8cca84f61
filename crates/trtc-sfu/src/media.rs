//! The media path, top to bottom: one packet in, the packets it causes out. A packet is a UDP
//! datagram or an RFC 4571 frame of a TCP connection ([`Transport`]); below, "datagram" means
//! either.
//!
//! 1. **Route** ([`Sfu::handle_receive`] → [`RouteIndex::route`]): which peer, in O(1). STUN by
//!    the local ufrag in its USERNAME (`crate::stun`), everything else by its transport and
//!    source address (learned from that peer's accepted STUN checks). A datagram that names no
//!    peer is dropped before any `Rtc` sees it.
//! 2. **Input**: that one peer's `Rtc` checks it (`accepts`: STUN integrity, known address) and
//!    takes it (`handle_input`: ICE, DTLS, SRTP decrypt, RTP → depacketised frames).
//! 3. **Poll** ([`Sfu::drive`] → `Peer::poll` → `Peer::on_event`): the peers that were handed
//!    something say what they have: datagrams to send, state changes, and media frames
//!    ([`Produced`]).
//! 4. **Forward** ([`Sfu::forward`]): each frame goes to the peers subscribed to its track
//!    ([`Fanout`]); `Peer::write` hands it to the subscriber's `Rtc` (payload type mapped by
//!    codec).
//! 5. **Poll again**: the next round of [`Sfu::drive`] polls those subscribers; str0m
//!    packetises, encrypts and hands out the RTP datagrams.
//! 6. **Out** ([`Sfu::poll_transmit`]): the caller sends them.
//!
//! Keyframe requests take the same road backwards: a subscriber's PLI/FIR comes out of step 3
//! as a request for the publisher's track, which the keyframe service (`timers.rs`) sends when
//! the publisher may be asked again.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::Instant;

use str0m::media::{MediaData, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Event, IceConnectionState, Input, Output};
use tracing::{debug, info, trace, warn};

use crate::peer::{Conn, Key, Layer, Peer, Sub};
use crate::timers::ICE_RECOVERY;
use crate::{stun, Kind, Packet, PeerId, Sfu, SfuEvent, Transport};

/// Our transport for str0m's protocol; `None` for those the SFU has no candidates of.
pub(crate) fn transport_of(proto: Protocol) -> Option<Transport> {
    match proto {
        Protocol::Udp => Some(Transport::Udp),
        Protocol::Tcp => Some(Transport::Tcp),
        Protocol::SslTcp | Protocol::Tls => None,
    }
}

fn protocol_of(t: Transport) -> Protocol {
    match t {
        Transport::Udp => Protocol::Udp,
        Transport::Tcp => Protocol::Tcp,
    }
}

/// Bounds the rounds of one [`Sfu::drive`]: each round polls the peers that have something to
/// say and hands what they produced to the others. Normally 2–3 rounds go quiet.
const MAX_DRIVE_ROUNDS: usize = 16;

// ---------------------------------------------------------------------------------------------
// 1. Route: which peer a datagram is for.
// ---------------------------------------------------------------------------------------------

/// Where a datagram goes, decided from its bytes and source address alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// STUN naming this peer's ufrag. If the peer accepts it, its source address is learned.
    Stun(PeerId),
    /// Not STUN, from an address this peer's accepted STUN came from.
    Addr(PeerId),
    /// No peer: dropped without asking any.
    Drop(Unrouted),
}

/// Why a datagram names no peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unrouted {
    /// STUN without a usable USERNAME (or not parseable as STUN).
    NoUfrag,
    /// STUN for a ufrag no peer has.
    UnknownUfrag,
    /// Not STUN, from an address no peer's checks came from (or empty).
    UnknownAddr,
}

/// A remote address on one transport: UDP and TCP port numbers are separate spaces.
type Remote = (Transport, SocketAddr);

/// The two lookups routing needs. Kept in step with the peers by [`Sfu`]: a ufrag is added
/// with its `Rtc` and removed with it; an address is learned from an accepted STUN check and
/// forgotten with its peer.
#[derive(Default)]
pub(crate) struct RouteIndex {
    /// Our ICE ufrag → the peer whose `Rtc` has it.
    by_ufrag: HashMap<Box<[u8]>, PeerId>,
    /// Remote address → the peer whose STUN check last came from it.
    by_addr: HashMap<Remote, PeerId>,
}

impl RouteIndex {
    /// Which peer the datagram from `from` is for. O(1): one parse of the STUN header and
    /// attributes (bounded by the datagram) or one address lookup.
    pub(crate) fn route(&self, from: Remote, data: &[u8]) -> Route {
        if stun::looks_like_stun(data) {
            return match stun::local_ufrag(data) {
                None => Route::Drop(Unrouted::NoUfrag),
                Some(ufrag) => match self.by_ufrag.get(ufrag) {
                    Some(&id) => Route::Stun(id),
                    None => Route::Drop(Unrouted::UnknownUfrag),
                },
            };
        }
        match self.by_addr.get(&from) {
            Some(&id) => Route::Addr(id),
            None => Route::Drop(Unrouted::UnknownAddr),
        }
    }

    /// Registers `peer`'s ufrag. `false` (and nothing changed) if another peer has it.
    pub(crate) fn add_ufrag(&mut self, ufrag: &str, peer: PeerId) -> bool {
        match self.by_ufrag.get(ufrag.as_bytes()) {
            Some(&other) if other != peer => false,
            _ => {
                self.by_ufrag.insert(ufrag.as_bytes().into(), peer);
                true
            }
        }
    }

    /// Forgets a ufrag of `peer` (its `Rtc` was replaced).
    pub(crate) fn remove_ufrag(&mut self, ufrag: &str, peer: PeerId) {
        if self.by_ufrag.get(ufrag.as_bytes()) == Some(&peer) {
            self.by_ufrag.remove(ufrag.as_bytes());
        }
    }

    /// `peer` accepted a STUN check from `from`: what else comes from there is for it.
    fn learn_addr(&mut self, from: Remote, peer: PeerId) {
        if self.by_addr.get(&from) != Some(&peer) {
            self.by_addr.insert(from, peer);
        }
    }

    /// Forgets an address (its TCP connection closed).
    fn forget_addr(&mut self, from: Remote) {
        self.by_addr.remove(&from);
    }

    /// Forgets `peer` (removed): its ufrag and every address learned for it.
    pub(crate) fn remove_peer(&mut self, peer: PeerId, ufrag: &str) {
        self.remove_ufrag(ufrag, peer);
        self.by_addr.retain(|_, id| *id != peer);
    }
}

impl Sfu {
    /// A UDP datagram that arrived on the socket `to` from `from`: [`Sfu::handle_receive`] with
    /// [`Transport::Udp`].
    pub fn handle_datagram(&mut self, from: SocketAddr, to: SocketAddr, data: &[u8], now: Instant) {
        self.handle_receive(Transport::Udp, from, to, data, now);
    }

    /// A packet that arrived: a UDP datagram on the socket `to` from `from`, or a frame (RFC
    /// 4571, without its length prefix) of the TCP connection from `from` to the listener `to`.
    /// Garbage and packets no peer accepts are dropped.
    ///
    /// Returns the peer whose `Rtc` accepted it (a STUN check that passed its integrity check,
    /// or a packet from an address such a check came from), `None` if it was dropped. The TCP
    /// driver closes a connection that does not pass a check in time.
    pub fn handle_receive(
        &mut self,
        transport: Transport,
        from: SocketAddr,
        to: SocketAddr,
        data: &[u8],
        now: Instant,
    ) -> Option<PeerId> {
        let now = self.tick(now);

        // 1. Route.
        let (id, stun) = match self.index.route((transport, from), data) {
            Route::Stun(id) => (id, true),
            Route::Addr(id) => (id, false),
            Route::Drop(why) => {
                trace!(%from, ?transport, len = data.len(), ?why, "dropping datagram: no peer");
                return None;
            }
        };

        // 2. Input: the peer's `Rtc` checks it and takes it.
        let contents = match data.try_into() {
            Ok(c) => c,
            Err(e) => {
                trace!(%from, ?transport, len = data.len(), "dropping datagram: {e}");
                return None;
            }
        };
        let input = Input::Receive(
            now,
            Receive {
                proto: protocol_of(transport),
                source: from,
                destination: to,
                contents,
            },
        );
        let p = self.peers.get_mut(&id)?;
        self.route_probes += 1;
        if !(p.rtc.is_alive() && p.rtc.accepts(&input)) {
            trace!(peer = id, %from, ?transport, len = data.len(), "datagram not accepted");
            return None;
        }
        if stun {
            self.index.learn_addr((transport, from), id);
        }
        if p.blocked(now) {
            return Some(id);
        }
        p.wake.touched = true;
        self.to_poll.push(id);
        if let Err(e) = p.rtc.handle_input(input) {
            // A DTLS record that does not decode, e.g. Not fatal by itself: if the connection
            // really broke, str0m says so through poll_output or ICE.
            debug!(peer = id, %from, "input refused: {e}");
        }

        // 3.–5. Poll, forward, poll the subscribers.
        self.drive(now);
        Some(id)
    }

    /// The TCP connection from `from` closed: packets from that address are no longer routed
    /// to the peer that checked it (a new connection must pass a STUN check again).
    pub fn forget_tcp(&mut self, from: SocketAddr) {
        self.index.forget_addr((Transport::Tcp, from));
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Poll: what the peers that were handed something have to say.
// ---------------------------------------------------------------------------------------------

/// What one round of polling produced for other peers and for the SFU.
#[derive(Default)]
pub(crate) struct Produced {
    /// Frames received from publishers: (publisher, kind, frame).
    media: Vec<(PeerId, Kind, MediaData)>,
    /// Subscribers asked for a keyframe of (publisher, kind, layer).
    keyframe_requests: Vec<(PeerId, Kind, Layer)>,
    /// Peers that failed, and why.
    failed: Vec<(PeerId, String)>,
    /// Some peer became connected (its subscriptions may now ask for keyframes).
    connected: bool,
}

impl Sfu {
    /// Runs everything that can happen at `now`, in rounds until nothing moves: poll the peers
    /// that were handed something or whose str0m timeout is due (3), drop those that failed,
    /// forward their frames to subscribers (4) and keyframe requests to publishers, send owed
    /// keyframe requests; the peers written to are polled in the next round (5). Offers are
    /// made in [`Sfu::poll_event`].
    pub(crate) fn drive(&mut self, now: Instant) {
        let mut ids: Vec<PeerId> = Vec::new();
        let mut settled = false;
        for _ in 0..MAX_DRIVE_ROUNDS {
            // Who: the touched peers and those whose timeout is due, each once, in id order.
            ids.clear();
            ids.append(&mut self.to_poll);
            self.timers.pop_due(now, &mut self.peers, &mut ids, true);
            ids.sort_unstable();
            ids.dedup();

            let mut out = Produced::default();
            for &id in &ids {
                self.poll_peer(id, now, &mut out);
            }

            let busy = !out.failed.is_empty()
                || !out.media.is_empty()
                || !out.keyframe_requests.is_empty();
            for (id, reason) in out.failed {
                warn!(peer = id, "peer failed: {reason}");
                self.drop_peer(id);
                self.events
                    .push_back(SfuEvent::Disconnected { peer: id, reason });
            }
            if out.connected {
                self.timers.kf_dirty = true;
            }
            for (from, kind, data) in out.media {
                self.forward(from, kind, &data);
            }
            for (source, kind, layer) in out.keyframe_requests {
                self.keyframe_requested(source, kind, layer);
            }
            let asked = self.keyframes_due(now) && self.service_keyframes(now);
            if !busy && !asked {
                settled = true;
                break;
            }
        }
        if !settled {
            debug!("drive did not settle in {MAX_DRIVE_ROUNDS} rounds; continuing at next timeout");
        }
        self.settle_timers();
    }

    /// Polls one peer if it has something to say; collects what it produced.
    fn poll_peer(&mut self, id: PeerId, now: Instant, out: &mut Produced) {
        let Some(p) = self.peers.get_mut(&id) else {
            return;
        };
        if p.wake.touched || p.wake.next_timeout.is_none_or(|t| t <= now) {
            p.wake.touched = false;
            p.poll(
                id,
                now,
                &mut self.transmits,
                &mut self.pool,
                &mut self.events,
                out,
            );
            self.timers.sync(id, p);
        }
        if let Conn::Failed(reason) = &mut p.conn {
            out.failed.push((id, std::mem::take(reason)));
        }
    }
}

impl Peer {
    /// Polls the `Rtc` until it has nothing more to say at `now`: datagrams go to `transmits`,
    /// state changes to `events`, frames and keyframe requests to `out`.
    fn poll(
        &mut self,
        id: PeerId,
        now: Instant,
        transmits: &mut std::collections::VecDeque<Packet>,
        pool: &mut Vec<Vec<u8>>,
        events: &mut std::collections::VecDeque<SfuEvent>,
        out: &mut Produced,
    ) {
        for kind in self.tracks.publishing_off.drain(..) {
            events.push_back(SfuEvent::Publishing {
                peer: id,
                kind,
                active: false,
            });
        }
        if std::mem::take(&mut self.wake.wrote) && !self.conn.is_failed() && self.rtc.is_alive() {
            if let Err(e) = self.rtc.handle_input(Input::Timeout(now)) {
                self.conn.fail(format!("str0m: {e}"));
                return;
            }
        }
        let mut spins = 0;
        loop {
            if self.conn.is_failed() {
                return;
            }
            if !self.rtc.is_alive() {
                self.conn.fail("connection closed");
                return;
            }
            let output = match self.rtc.poll_output() {
                Ok(o) => o,
                Err(e) => {
                    self.conn.fail(format!("str0m: {e}"));
                    return;
                }
            };
            match output {
                Output::Timeout(t) => {
                    if t <= now && spins < 4 {
                        // Due now: let str0m do it before we sleep.
                        spins += 1;
                        if let Err(e) = self.rtc.handle_input(Input::Timeout(now)) {
                            self.conn.fail(format!("str0m: {e}"));
                            return;
                        }
                        continue;
                    }
                    self.wake.next_timeout = Some(t);
                    return;
                }
                Output::Transmit(t) => {
                    // 6. (queued) A datagram out: RTP/RTCP, DTLS, a STUN answer.
                    let Some(transport) = transport_of(t.proto) else {
                        continue;
                    };
                    if !self.blocked(now) {
                        let mut buf = pool.pop().unwrap_or_default();
                        buf.clear();
                        buf.extend_from_slice(&t.contents);
                        transmits.push_back(Packet {
                            transport,
                            to: t.destination,
                            from: t.source,
                            data: buf,
                        });
                    }
                }
                Output::Event(e) => self.on_event(id, now, e, events, out),
            }
        }
    }

    /// One str0m event: connection state, media, keyframe requests.
    fn on_event(
        &mut self,
        id: PeerId,
        now: Instant,
        e: Event,
        events: &mut std::collections::VecDeque<SfuEvent>,
        out: &mut Produced,
    ) {
        match e {
            Event::Connected => {
                info!(peer = id, "connected");
                self.conn = Conn::Connected;
                out.connected = true;
                for sub in self.tracks.subs.values_mut() {
                    sub.kf_asked = false;
                }
                events.push_back(SfuEvent::Connected { peer: id });
            }
            Event::IceConnectionStateChange(s) => {
                debug!(peer = id, ?s, "ICE state");
                if s == IceConnectionState::Disconnected {
                    match self.conn {
                        Conn::Connected => {
                            // Possibly transient: the SFU gives it ICE_RECOVERY to come back.
                            warn!(peer = id, "ICE disconnected; waiting for it to recover");
                            self.conn = Conn::IceLost {
                                deadline: now + ICE_RECOVERY,
                            };
                        }
                        Conn::IceLost { .. } => {
                            warn!(peer = id, "ICE disconnected; waiting for it to recover");
                        }
                        _ => self.conn.fail("ICE disconnected"),
                    }
                } else if matches!(self.conn, Conn::IceLost { .. }) {
                    info!(peer = id, ?s, "ICE recovered");
                    self.conn = Conn::Connected;
                }
            }
            Event::Closed => self.conn.fail("closed by the remote"),
            Event::MediaData(data) => {
                let Some(r) = self
                    .tracks
                    .recv
                    .iter_mut()
                    .find(|r| r.mid == data.mid && r.open)
                else {
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
                out.media.push((id, r.kind, data));
            }
            Event::StreamPaused(p) => {
                if let Some(r) = self.tracks.recv.iter_mut().find(|r| r.mid == p.mid) {
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
                let subs = &self.tracks.subs;
                let forwarding = |source: PeerId, kind: Kind| {
                    subs.get(&Key::new(source, kind))
                        .filter(|sub| sub.forward)
                        .map(|sub| sub.layer)
                };
                if let Some((s, layer)) = self
                    .tracks
                    .send
                    .iter()
                    .filter(|s| s.mid == req.mid)
                    .find_map(|s| forwarding(s.source, s.kind).map(|l| (s, l)))
                {
                    trace!(
                        peer = id,
                        source = s.source,
                        "keyframe request from subscriber"
                    );
                    // For the layer it gets now.
                    out.keyframe_requests.push((s.source, s.kind, layer));
                }
            }
            Event::MediaAdded(m) => {
                // Browsers never offer here; the server makes every offer.
                debug!(peer = id, mid = %m.mid, kind = ?m.kind, "media added by the remote");
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Forward: a frame to the subscribers of its track.
// ---------------------------------------------------------------------------------------------

/// Remote track → the peers that have a subscription entry for it, in id order. Derived from
/// the peers' `tracks.subs`; rebuilt lazily after any entry was added or removed.
#[derive(Default)]
pub(crate) struct Fanout {
    map: BTreeMap<Key, Vec<PeerId>>,
    /// Must be rebuilt before use (a subscription entry was added or removed).
    pub(crate) stale: bool,
}

impl Fanout {
    fn rebuild(&mut self, peers: &BTreeMap<PeerId, Peer>) {
        self.map.clear();
        for (&id, p) in peers {
            for k in p.tracks.subs.keys() {
                self.map.entry(*k).or_default().push(id);
            }
        }
        self.stale = false;
    }
}

impl Sfu {
    /// Writes a frame of `from`'s `kind` to every subscriber that is connected, forwarding, has
    /// the send slot negotiated and — for video — is not waiting for a keyframe it is not.
    pub(crate) fn forward(&mut self, from: PeerId, kind: Kind, data: &MediaData) {
        let key = data.is_keyframe();
        if self.fanout.stale {
            self.fanout.rebuild(&self.peers);
        }
        let track = Key::new(from, kind);
        // Simulcast: which layer this frame is of, and whether the source sends a small one.
        let layer = Layer::of_rid(data.rid);
        let small_open =
            kind == Kind::Video && self.peers.get(&from).is_some_and(|p| p.tracks.small_open());
        // Taken out for the loop (the peers are borrowed mutably), put back after.
        let subscribers = match self.fanout.map.get_mut(&track) {
            Some(list) => std::mem::take(list),
            None => return,
        };
        for &id in &subscribers {
            let Some(p) = self.peers.get_mut(&id) else {
                continue;
            };
            if id == from || !p.conn.is_connected() {
                continue;
            }
            let Some(sub) = p.tracks.subs.get(&track) else {
                continue;
            };
            if !sub.forward {
                continue;
            }
            if sub.waiting_kf && !key {
                // A decoder cannot start on a delta frame: wait for the keyframe.
                continue;
            }
            // Layers (video): the one being forwarded flows until a keyframe of the wanted
            // one comes; then that one does. Frames of any other layer are not for it.
            let target = Layer::target(sub.want_small, small_open);
            let switch = kind == Kind::Video && layer != sub.layer;
            if kind == Kind::Video && layer != target && (switch || sub.waiting_kf) {
                continue;
            }
            if switch && !key {
                continue;
            }
            let Some(mid) = p.tracks.send_mid(from, kind) else {
                continue;
            };
            let time = if kind == Kind::Video {
                let Some(sub) = p.tracks.subs.get_mut(&track) else {
                    continue;
                };
                sub.rtp_time(data.time, switch && !sub.waiting_kf)
            } else {
                data.time
            };
            // 5. Polled in the next round of `drive`: str0m sends what was written.
            self.to_poll.push(id);
            if p.write(id, mid, data, time) && key {
                if let Some(sub) = p.tracks.subs.get_mut(&track) {
                    if sub.waiting_kf || switch {
                        debug!(
                            subscriber = id,
                            source = from,
                            ?layer,
                            "keyframe forwarded: layer starts"
                        );
                        self.timers.kf_dirty = true;
                    }
                    sub.waiting_kf = false;
                    sub.layer = layer;
                }
            }
        }
        if let Some(list) = self.fanout.map.get_mut(&track) {
            *list = subscribers;
        }
    }

    /// A subscriber asked for a keyframe of `source`'s `kind`: owed to the publisher's track,
    /// sent by the keyframe service when the publisher may be asked again.
    fn keyframe_requested(&mut self, source: PeerId, kind: Kind, layer: Layer) {
        self.timers.kf_dirty = true;
        if let Some(r) = self
            .peers
            .get_mut(&source)
            .and_then(|p| p.tracks.recv_open_mut(kind))
        {
            *r.kf_wanted_mut(layer) = true;
        }
    }
}

impl Sub {
    /// The RTP time to write a video frame of the source's `time` with: the source's, moved by
    /// the offset that keeps the subscriber's timestamps going on across layer switches (each
    /// layer's RTP clock may start elsewhere). At a `switch` (a keyframe of another layer after
    /// frames of this one) the offset is chosen anew, one frame after the last time written,
    /// unless the new layer's clock already follows on within a second (a shared clock).
    fn rtp_time(&mut self, time: MediaTime, switch: bool) -> MediaTime {
        let rate = i64::from(time.denom());
        let src = i64::try_from(time.numer()).unwrap_or(i64::MAX / 2);
        if let (true, Some(last)) = (switch, self.last_ts) {
            let ahead = src + self.ts_offset - last;
            if !(1..=rate).contains(&ahead) {
                self.ts_offset = last + rate / 30 - src;
            }
        }
        let out = (src + self.ts_offset).max(0);
        self.last_ts = Some(out);
        MediaTime::new(out as u64, time.frequency())
    }
}

impl Peer {
    /// Writes one frame to a send slot. Returns whether it was written.
    fn write(&mut self, id: PeerId, mid: Mid, data: &MediaData, time: MediaTime) -> bool {
        self.wake.touched = true;
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
        match w.write(pt, data.network_time, time, data.data.clone()) {
            Ok(()) => {
                self.wake.wrote = true;
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

// ---------------------------------------------------------------------------------------------
// 6. Out.
// ---------------------------------------------------------------------------------------------

impl Sfu {
    /// Next packet to send. Hand its buffer back with [`Sfu::recycle`] once sent.
    pub fn poll_transmit(&mut self) -> Option<Packet> {
        self.transmits.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stun::tests::binding_request;

    fn udp(a: &str) -> Remote {
        (Transport::Udp, a.parse().unwrap())
    }

    fn tcp(a: &str) -> Remote {
        (Transport::Tcp, a.parse().unwrap())
    }

    fn index() -> RouteIndex {
        let mut ix = RouteIndex::default();
        assert!(ix.add_ufrag("alpha", 1));
        assert!(ix.add_ufrag("beta", 2));
        ix.learn_addr(udp("10.0.0.1:1000"), 1);
        ix
    }

    #[test]
    fn stun_goes_by_the_local_ufrag_whatever_the_address() {
        let ix = index();
        for from in [
            udp("10.0.0.1:1000"),
            udp("10.9.9.9:9"),
            tcp("10.0.0.1:1000"),
            tcp("10.9.9.9:9"),
        ] {
            assert_eq!(
                ix.route(from, &binding_request(b"beta:browser")),
                Route::Stun(2)
            );
            assert_eq!(ix.route(from, &binding_request(b"alpha:x")), Route::Stun(1));
            assert_eq!(
                ix.route(from, &binding_request(b"gamma:x")),
                Route::Drop(Unrouted::UnknownUfrag)
            );
            // The remote part does not route.
            assert_eq!(
                ix.route(from, &binding_request(b"x:alpha")),
                Route::Drop(Unrouted::UnknownUfrag)
            );
            assert_eq!(
                ix.route(from, &[0, 1, 0, 0]),
                Route::Drop(Unrouted::NoUfrag)
            );
        }
    }

    #[test]
    fn the_rest_goes_by_the_learned_address() {
        let mut ix = index();
        let known = udp("10.0.0.1:1000");
        let stranger = udp("10.9.9.9:9");
        let rtp = [0x80u8, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];
        assert_eq!(ix.route(known, &rtp), Route::Addr(1));
        assert_eq!(ix.route(known, &[22, 254, 253]), Route::Addr(1));
        assert_eq!(ix.route(stranger, &rtp), Route::Drop(Unrouted::UnknownAddr));
        assert_eq!(ix.route(stranger, &[]), Route::Drop(Unrouted::UnknownAddr));
        // The last peer whose check came from an address owns it; removal forgets it.
        ix.learn_addr(known, 2);
        assert_eq!(ix.route(known, &rtp), Route::Addr(2));
        ix.remove_peer(2, "beta");
        assert_eq!(ix.route(known, &rtp), Route::Drop(Unrouted::UnknownAddr));
        assert_eq!(
            ix.route(known, &binding_request(b"beta:x")),
            Route::Drop(Unrouted::UnknownUfrag)
        );
        // A ufrag belongs to one peer at a time.
        assert!(!ix.add_ufrag("alpha", 3));
        assert_eq!(
            ix.route(stranger, &binding_request(b"alpha:x")),
            Route::Stun(1)
        );
    }

    #[test]
    fn udp_and_tcp_addresses_are_apart() {
        // The same IP and port number on the other transport is another remote.
        let mut ix = index();
        let rtp = [0x80u8, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];
        assert_eq!(ix.route(udp("10.0.0.1:1000"), &rtp), Route::Addr(1));
        assert_eq!(
            ix.route(tcp("10.0.0.1:1000"), &rtp),
            Route::Drop(Unrouted::UnknownAddr)
        );
        ix.learn_addr(tcp("10.0.0.1:1000"), 2);
        assert_eq!(ix.route(tcp("10.0.0.1:1000"), &rtp), Route::Addr(2));
        assert_eq!(ix.route(udp("10.0.0.1:1000"), &rtp), Route::Addr(1));
        // A closed connection's address is forgotten; the UDP one stays.
        ix.forget_addr(tcp("10.0.0.1:1000"));
        assert_eq!(
            ix.route(tcp("10.0.0.1:1000"), &rtp),
            Route::Drop(Unrouted::UnknownAddr)
        );
        assert_eq!(ix.route(udp("10.0.0.1:1000"), &rtp), Route::Addr(1));
    }
}
