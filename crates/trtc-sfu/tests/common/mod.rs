//! An in-memory world: the sans-IO [`Sfu`] plus str0m *client* `Rtc`s that behave like browsers
//! (full ICE, they answer the server's offers), wired through a lossless zero-latency "network"
//! of 127.0.0.1 addresses. Time only moves when the test says so.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Once;
use std::time::{Duration, Instant};

use str0m::change::SdpOffer;
use str0m::format::Codec;
use str0m::media::{Frequency, KeyframeRequestKind, MediaKind, MediaTime, Mid, Rid, Rids};
use str0m::net::{Protocol, Receive, TcpType};
use str0m::{Candidate, Event, Input, Output, Rtc};
use trtc_sfu::{Kind, Packet, PeerId, Sfu, SfuConfig, SfuEvent, Slot, Transport};

pub const SERVER: &str = "127.0.0.1:3478";
/// The SFU's ICE-TCP listener, in worlds made with [`World::with_tcp`].
pub const SERVER_TCP: &str = "127.0.0.1:3479";
/// Where a TCP client's active candidate says it is (RFC 6544: port 9, the real port is the
/// connection's).
pub const ACTIVE: &str = "127.0.0.1:9";
pub const STEP: Duration = Duration::from_millis(5);

pub fn init_log() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off")),
            )
            .with_test_writer()
            .try_init();
    });
}

/// What a client received on one mid.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rx {
    pub frames: u64,
    pub bytes: u64,
    pub keyframes: u64,
    /// Whether the first frame received was a keyframe.
    pub first_was_keyframe: Option<bool>,
}

/// A str0m client standing in for a browser.
pub struct Client {
    pub peer: PeerId,
    pub rtc: Rtc,
    /// Its address as the SFU sees it (for TCP: the connection's remote end).
    pub addr: SocketAddr,
    /// UDP, or ICE-TCP (an active candidate, RFC 4571 frames on a connection to the SFU's
    /// listener).
    pub transport: Transport,
    /// Slots of the last offer answered.
    pub slots: Vec<Slot>,
    /// Every offer received (the slots).
    pub offers: Vec<Vec<Slot>>,
    /// Offers not yet answered (when `auto_answer` is off): SDP and slots.
    pub unanswered: Vec<(String, Vec<Slot>)>,
    pub auto_answer: bool,
    /// Deliver datagrams to/from this client.
    pub online: bool,
    /// Drop every n-th RTP datagram (not RTCP, not ICE/DTLS) this client sends: a lossy uplink.
    pub drop_every_nth_rtp: Option<u64>,
    /// RTP datagrams sent, and how many of them were dropped.
    pub rtp_sent: u64,
    pub rtp_dropped: u64,
    pub connected: bool,
    /// The server closed the connection (str0m `Event::Closed`).
    pub closed: bool,
    /// Received media by mid.
    pub rx: BTreeMap<Mid, Rx>,
    /// Received media by track: the mid and whose track its slot carried then (a reused slot
    /// carries several tracks over time).
    pub rx_tracks: Vec<(Track, Rx)>,
    /// Keyframe requests received, with the time.
    pub keyframe_requests: Vec<(Instant, KeyframeRequestKind)>,
    /// Publish synthetic media on the upstream slots.
    pub send_media: bool,
    /// Answer a keyframe request with a keyframe (a publisher that ignores them: false).
    pub honor_keyframe_requests: bool,
    pub sent_audio: u64,
    pub sent_video: u64,
    next_audio: Option<Instant>,
    next_video: Option<Instant>,
    /// The next video frame must be a keyframe.
    want_keyframe: bool,
    /// The sub stream (a shared screen): frames sent, when the next is due, whether it must be a
    /// keyframe; and its audio.
    pub sent_sub_video: u64,
    next_sub_video: Option<Instant>,
    want_sub_keyframe: bool,
    pub sent_sub_audio: u64,
    next_sub_audio: Option<Instant>,
    /// Simulcast: the next frame of the small layer must be a keyframe.
    want_keyframe_small: bool,
    /// Video frames received, in order: (when, the layer's marker — the frame's last byte:
    /// `b'h'`, `b'l'`, or `b'-'` without simulcast —, keyframe, RTP time).
    pub rx_video: Vec<(Instant, u8, bool, u64)>,
    next_timeout: Option<Instant>,
    start: Instant,
}

impl Client {
    fn new(peer: PeerId, transport: Transport, now: Instant) -> Client {
        let addr: SocketAddr = format!("127.0.0.1:{}", 40000 + peer).parse().unwrap();
        let mut rtc = Rtc::builder().build(now);
        let candidate = match transport {
            Transport::Udp => Candidate::host(addr, "udp").unwrap(),
            Transport::Tcp => Candidate::builder()
                .tcp()
                .host(ACTIVE.parse().unwrap())
                .tcptype(TcpType::Active)
                .build()
                .unwrap(),
        };
        rtc.add_local_candidate(candidate);
        // str0m's ICE agent has no timeout until it has seen the time once.
        rtc.handle_input(Input::Timeout(now)).unwrap();
        Client {
            peer,
            rtc,
            addr,
            transport,
            slots: vec![],
            offers: vec![],
            unanswered: vec![],
            auto_answer: true,
            online: true,
            drop_every_nth_rtp: None,
            rtp_sent: 0,
            rtp_dropped: 0,
            connected: false,
            closed: false,
            rx: BTreeMap::new(),
            rx_tracks: Vec::new(),
            keyframe_requests: vec![],
            send_media: true,
            honor_keyframe_requests: true,
            sent_audio: 0,
            sent_video: 0,
            next_audio: None,
            next_video: None,
            want_keyframe: true,
            sent_sub_video: 0,
            next_sub_video: None,
            want_sub_keyframe: true,
            sent_sub_audio: 0,
            next_sub_audio: None,
            want_keyframe_small: true,
            rx_video: vec![],
            next_timeout: None,
            start: now,
        }
    }

    /// Replaces the client's `Rtc` with a fresh one (a browser making a new RTCPeerConnection).
    pub fn new_connection(&mut self, now: Instant) {
        let fresh = Client::new(self.peer, self.transport, now);
        self.rtc = fresh.rtc;
        self.connected = false;
        self.slots.clear();
        self.next_timeout = None;
        self.next_audio = None;
        self.next_video = None;
        self.want_keyframe = true;
        self.next_sub_video = None;
        self.want_sub_keyframe = true;
        self.next_sub_audio = None;
        self.want_keyframe_small = true;
    }

    /// Keyframe requests received at or after `t`.
    pub fn keyframe_requests_since(&self, t: Instant) -> usize {
        self.keyframe_requests
            .iter()
            .filter(|(at, _)| *at >= t)
            .count()
    }

    /// The mid of the slot carrying `source`'s `kind` (`None` source: own upstream).
    pub fn mid_of(&self, source: Option<PeerId>, kind: Kind) -> Option<Mid> {
        self.slots
            .iter()
            .find(|s| s.source == source && s.kind == kind)
            .map(|s| Mid::from(s.mid.as_str()))
    }

    /// What this client received from `source`'s `kind`, over every slot it ever had for it.
    pub fn rx_from(&self, source: PeerId, kind: Kind) -> Rx {
        let mut total = Rx::default();
        for ((_, s, k), rx) in &self.rx_tracks {
            if *s == Some(source) && *k == kind {
                total.frames += rx.frames;
                total.bytes += rx.bytes;
                total.keyframes += rx.keyframes;
                total.first_was_keyframe = total.first_was_keyframe.or(rx.first_was_keyframe);
            }
        }
        total
    }

    pub fn rx_total_frames(&self) -> u64 {
        self.rx.values().map(|r| r.frames).sum()
    }

    /// Answers an offer, returning the answer SDP.
    pub fn answer(&mut self, sdp: &str) -> String {
        let offer = SdpOffer::from_sdp_string(sdp).expect("offer parses");
        let answer = self
            .rtc
            .sdp_api()
            .accept_offer(offer)
            .expect("offer accepted");
        answer.to_sdp_string()
    }

    fn pt(&self, codec: Codec) -> str0m::media::Pt {
        self.rtc
            .codec_config()
            .find(|p| p.spec().codec == codec)
            .map(|p| p.pt())
            .expect("codec configured")
    }

    /// Writes synthetic frames that are due: Opus-like audio every 20 ms, VP8-like video every
    /// 50 ms (a keyframe first and after every keyframe request).
    fn produce(&mut self, now: Instant) {
        if !self.send_media || !self.connected || !self.online {
            return;
        }
        if let Some(mid) = self.mid_of(None, Kind::Audio) {
            let next = *self.next_audio.get_or_insert(now);
            if now >= next {
                self.next_audio = Some(next + Duration::from_millis(20));
                let pt = self.pt(Codec::Opus);
                let n = self.sent_audio;
                let ts = MediaTime::new(n * 960, Frequency::FORTY_EIGHT_KHZ);
                let data: Vec<u8> = (0..80).map(|i| (i as u64 * 7 + n) as u8).collect();
                if let Some(w) = self.rtc.writer(mid) {
                    w.write(pt, now, ts, data).expect("audio write");
                    self.sent_audio += 1;
                }
            }
        }
        if let Some(mid) = self.mid_of(None, Kind::Video) {
            let next = *self.next_video.get_or_insert(now);
            if now >= next {
                self.next_video = Some(next + Duration::from_millis(50));
                let pt = self.pt(Codec::Vp8);
                let n = self.sent_video;
                let ts = MediaTime::new(n * 4500, Frequency::NINETY_KHZ);
                let rids: Vec<Rid> = match self.rtc.media(mid).map(|m| m.rids_tx()) {
                    Some(Rids::Specific(r)) => r.clone(),
                    _ => vec![],
                };
                if rids.is_empty() {
                    let key = std::mem::take(&mut self.want_keyframe);
                    let mut data = vp8_frame(key, n);
                    *data.last_mut().unwrap() = b'-';
                    if let Some(w) = self.rtc.writer(mid) {
                        w.write(pt, now, ts, data).expect("video write");
                    }
                } else {
                    // One frame per layer: the small layer's clock starts elsewhere, as a
                    // browser's may.
                    for rid in rids {
                        let small = &*rid == trtc_sfu::RID_SMALL;
                        let key = if small {
                            std::mem::take(&mut self.want_keyframe_small)
                        } else {
                            std::mem::take(&mut self.want_keyframe)
                        };
                        let mut data = vp8_frame(key, n);
                        if small {
                            data.truncate(data.len() / 4);
                        }
                        *data.last_mut().unwrap() = if small { b'l' } else { b'h' };
                        let ts = if small {
                            MediaTime::new(n * 4500 + 1_000_000, Frequency::NINETY_KHZ)
                        } else {
                            ts
                        };
                        if let Some(w) = self.rtc.writer(mid) {
                            w.rid(rid).write(pt, now, ts, data).expect("video write");
                        }
                    }
                }
                self.sent_video += 1;
            }
        }
        // The sub stream: a screen at 5 fps (first byte after the header marks it) and its audio.
        if let Some(mid) = self.mid_of(None, Kind::SubVideo) {
            let next = *self.next_sub_video.get_or_insert(now);
            if now >= next {
                self.next_sub_video = Some(next + Duration::from_millis(200));
                let pt = self.pt(Codec::Vp8);
                let n = self.sent_sub_video;
                let ts = MediaTime::new(n * 18000, Frequency::NINETY_KHZ);
                let key = std::mem::take(&mut self.want_sub_keyframe);
                let data = vp8_frame(key, n);
                if let Some(w) = self.rtc.writer(mid) {
                    w.write(pt, now, ts, data).expect("sub video write");
                    self.sent_sub_video += 1;
                }
            }
        }
        if let Some(mid) = self.mid_of(None, Kind::SubAudio) {
            let next = *self.next_sub_audio.get_or_insert(now);
            if now >= next {
                self.next_sub_audio = Some(next + Duration::from_millis(20));
                let pt = self.pt(Codec::Opus);
                let n = self.sent_sub_audio;
                let ts = MediaTime::new(n * 960, Frequency::FORTY_EIGHT_KHZ);
                let data: Vec<u8> = (0..60).map(|i| (i as u64 * 3 + n) as u8).collect();
                if let Some(w) = self.rtc.writer(mid) {
                    w.write(pt, now, ts, data).expect("sub audio write");
                    self.sent_sub_audio += 1;
                }
            }
        }
    }
}

/// A VP8-looking frame: the first byte's bit 0 is the inverse key frame flag (RFC 6386 9.1);
/// keyframes carry the start code and a 640x480 size, and are big enough to need several
/// packets.
pub fn vp8_frame(key: bool, n: u64) -> Vec<u8> {
    let mut v = if key {
        vec![0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]
    } else {
        vec![0x31, 0x01, 0x00]
    };
    let len = if key { 3000 } else { 600 };
    v.extend((0..len).map(|i| (i as u64 ^ n) as u8));
    v
}

/// The SFU and its clients.
pub struct World {
    pub sfu: Sfu,
    pub server: SocketAddr,
    pub clients: BTreeMap<PeerId, Client>,
    pub now: Instant,
    pub start: Instant,
    /// Every SFU event, with the time.
    pub events: Vec<(Instant, SfuEvent)>,
    /// Results of automatic answers.
    pub answer_results: Vec<(PeerId, Result<(), String>)>,
    /// Datagrams handed to the SFU by the clients.
    pub datagrams_to_sfu: u64,
    /// Packets from the SFU, by transport (UDP, TCP), that reached a client.
    pub delivered: [u64; 2],
    /// Packets from the SFU for no client on that transport and address.
    pub undeliverable: u64,
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

impl World {
    pub fn new() -> World {
        Self::with_sfu(Sfu::new(vec![SERVER.parse().unwrap()]))
    }

    /// An SFU that also offers a TCP passive candidate ([`SERVER_TCP`]).
    pub fn with_tcp() -> World {
        Self::with_sfu(Sfu::with_candidates(
            vec![SERVER.parse().unwrap()],
            vec![SERVER_TCP.parse().unwrap()],
            SfuConfig::default(),
        ))
    }

    fn with_sfu(sfu: Sfu) -> World {
        init_log();
        let now = Instant::now();
        let server: SocketAddr = SERVER.parse().unwrap();
        World {
            sfu,
            server,
            clients: BTreeMap::new(),
            now,
            start: now,
            events: vec![],
            answer_results: vec![],
            datagrams_to_sfu: 0,
            delivered: [0; 2],
            undeliverable: 0,
        }
    }

    /// A client (browser) and its peer in the SFU.
    pub fn join(&mut self, peer: PeerId) {
        self.join_on(peer, Transport::Udp);
    }

    /// A client that reaches the SFU over `transport` only (its only candidate), and its peer.
    pub fn join_on(&mut self, peer: PeerId, transport: Transport) {
        self.clients
            .insert(peer, Client::new(peer, transport, self.now));
        self.sfu.add_peer(peer, self.now);
        self.settle();
    }

    pub fn client(&mut self, peer: PeerId) -> &mut Client {
        self.clients.get_mut(&peer).expect("known client")
    }

    pub fn c(&self, peer: PeerId) -> &Client {
        self.clients.get(&peer).expect("known client")
    }

    /// The room layer's usual wiring: `sub` gets slots for `src`'s audio and video.
    pub fn add_sources(&mut self, sub: PeerId, src: PeerId) {
        self.sfu.add_source(sub, src, Kind::Audio, self.now);
        self.sfu.add_source(sub, src, Kind::Video, self.now);
        self.settle();
    }

    /// [`World::add_sources`] and the video asked for (`startRemoteVideo`): a video slot
    /// exists only while forwarded. One offer for all of it.
    pub fn watch(&mut self, sub: PeerId, src: PeerId) {
        self.sfu.add_source(sub, src, Kind::Audio, self.now);
        self.sfu.add_source(sub, src, Kind::Video, self.now);
        self.sfu.subscribe(sub, src, Kind::Video, true, self.now);
        self.settle();
    }

    pub fn subscribe(&mut self, sub: PeerId, src: PeerId, kind: Kind, on: bool) {
        self.sfu.subscribe(sub, src, kind, on, self.now);
        self.settle();
    }

    pub fn offers_for(&self, peer: PeerId) -> Vec<&Vec<Slot>> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                SfuEvent::Offer { peer: p, slots, .. } if *p == peer => Some(slots),
                _ => None,
            })
            .collect()
    }

    pub fn disconnected(&self, peer: PeerId) -> Option<&str> {
        self.events.iter().find_map(|(_, e)| match e {
            SfuEvent::Disconnected { peer: p, reason } if *p == peer => Some(reason.as_str()),
            _ => None,
        })
    }

    /// The client of `peer` makes a new RTCPeerConnection.
    pub fn new_connection(&mut self, peer: PeerId) {
        let now = self.now;
        self.client(peer).new_connection(now);
    }

    /// Answers the oldest unanswered offer of `peer` (with `auto_answer` off).
    pub fn answer_next(&mut self, peer: PeerId) -> Result<(), String> {
        let now = self.now;
        let c = self.clients.get_mut(&peer).expect("known client");
        let (sdp, slots) = c.unanswered.remove(0);
        let answer = c.answer(&sdp);
        c.slots = slots;
        let r = self.sfu.accept_answer(peer, &answer, now);
        self.settle();
        r
    }

    /// Runs for `d` in steps of [`STEP`].
    pub fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        while self.now < end {
            self.now += STEP;
            self.tick();
        }
    }

    /// Runs until `f` holds, for at most `max`. Returns whether it held.
    pub fn run_until(&mut self, max: Duration, mut f: impl FnMut(&World) -> bool) -> bool {
        let end = self.now + max;
        while self.now < end {
            if f(self) {
                return true;
            }
            self.now += STEP;
            self.tick();
        }
        f(self)
    }

    pub fn all_connected(&self) -> bool {
        self.clients.keys().all(|p| self.sfu.is_connected(*p))
            && self.clients.values().all(|c| c.connected)
    }

    /// One step at `self.now`: timeouts, media production, then exchange until quiet.
    pub fn tick(&mut self) {
        let now = self.now;
        if self.sfu.next_timeout().is_some_and(|t| t <= now) {
            self.sfu.handle_timeout(now);
        }
        for c in self.clients.values_mut() {
            if c.next_timeout.is_none_or(|t| t <= now) {
                c.rtc
                    .handle_input(Input::Timeout(now))
                    .expect("client timeout");
            }
            c.produce(now);
        }
        self.settle();
    }

    /// Exchanges datagrams and events at `self.now` until nothing moves.
    pub fn settle(&mut self) {
        let now = self.now;
        for _ in 0..1000 {
            let mut moved = false;
            // Clients → SFU.
            let mut to_sfu = vec![];
            for c in self.clients.values_mut() {
                loop {
                    match c.rtc.poll_output().expect("client poll") {
                        Output::Timeout(t) => {
                            c.next_timeout = Some(t);
                            break;
                        }
                        Output::Transmit(t) => {
                            let data = Vec::from(t.contents);
                            if is_rtp(&data) {
                                c.rtp_sent += 1;
                                if c.drop_every_nth_rtp.is_some_and(|n| c.rtp_sent % n == 0) {
                                    c.rtp_dropped += 1;
                                    continue;
                                }
                            }
                            if c.online {
                                let transport = match t.proto {
                                    Protocol::Udp => Transport::Udp,
                                    Protocol::Tcp => Transport::Tcp,
                                    p => panic!("client sends over {p}"),
                                };
                                assert_eq!(transport, c.transport);
                                // What the SFU sees: the client's address on its transport (a
                                // TCP client's is its connection's, not its candidate's).
                                to_sfu.push((transport, c.addr, t.destination, data));
                            }
                        }
                        Output::Event(e) => on_client_event(c, e, now),
                    }
                }
            }
            for (transport, from, to, data) in to_sfu {
                moved = true;
                self.datagrams_to_sfu += 1;
                self.sfu.handle_receive(transport, from, to, &data, now);
            }
            // SFU → clients.
            while let Some(Packet {
                transport,
                to,
                from,
                data,
            }) = self.sfu.poll_transmit()
            {
                let (server, proto) = match transport {
                    Transport::Udp => (self.server, Protocol::Udp),
                    Transport::Tcp => (SERVER_TCP.parse().unwrap(), Protocol::Tcp),
                };
                assert_eq!(from, server, "the SFU sends from its socket's address");
                let Some(c) = self
                    .clients
                    .values_mut()
                    .find(|c| c.addr == to && c.transport == transport)
                else {
                    self.undeliverable += 1;
                    continue;
                };
                if !c.online {
                    continue;
                }
                moved = true;
                self.delivered[usize::from(transport == Transport::Tcp)] += 1;
                let destination = match transport {
                    Transport::Udp => to,
                    Transport::Tcp => ACTIVE.parse().unwrap(),
                };
                let input = Input::Receive(
                    now,
                    Receive {
                        proto,
                        source: from,
                        destination,
                        contents: data
                            .as_slice()
                            .try_into()
                            .expect("SFU sends valid datagrams"),
                    },
                );
                c.rtc.handle_input(input).expect("client input");
            }
            // SFU events.
            while let Some(ev) = self.sfu.poll_event() {
                moved = true;
                self.on_sfu_event(ev);
            }
            if !moved {
                return;
            }
        }
        panic!("the world did not settle");
    }

    fn on_sfu_event(&mut self, ev: SfuEvent) {
        let now = self.now;
        self.events.push((now, ev.clone()));
        if let SfuEvent::Offer { peer, sdp, slots } = ev {
            let Some(c) = self.clients.get_mut(&peer) else {
                return;
            };
            c.offers.push(slots.clone());
            if !c.auto_answer {
                c.unanswered.push((sdp, slots));
                return;
            }
            let answer = c.answer(&sdp);
            c.slots = slots;
            let r = self.sfu.accept_answer(peer, &answer, now);
            self.answer_results.push((peer, r));
        }
    }
}

/// A received track: the mid, and the source and kind its slot carried.
pub type Track = (Mid, Option<PeerId>, Kind);

/// An RTP (not RTCP) datagram: version 2, and a payload type outside RTCP's 200–206 (RFC 5761).
fn is_rtp(d: &[u8]) -> bool {
    d.len() >= 12 && d[0] >> 6 == 2 && !(200..=206).contains(&d[1])
}

fn on_client_event(c: &mut Client, e: Event, now: Instant) {
    match e {
        Event::Connected => c.connected = true,
        Event::Closed => c.closed = true,
        Event::MediaData(d) => {
            let key = d.is_keyframe();
            let track = c
                .slots
                .iter()
                .find(|s| Mid::from(s.mid.as_str()) == d.mid)
                .map(|s| (d.mid, s.source, s.kind));
            let at = track.map(|t| {
                let at = c.rx_tracks.iter().position(|(k, _)| *k == t);
                at.unwrap_or_else(|| {
                    c.rx_tracks.push((t, Rx::default()));
                    c.rx_tracks.len() - 1
                })
            });
            let by_track = at.map(|i| &mut c.rx_tracks[i].1);
            for rx in [Some(c.rx.entry(d.mid).or_default()), by_track]
                .into_iter()
                .flatten()
            {
                rx.frames += 1;
                rx.bytes += d.data.len() as u64;
                if key {
                    rx.keyframes += 1;
                }
                rx.first_was_keyframe.get_or_insert(key);
            }
            if c.rtc.media(d.mid).map(|m| m.kind()) == Some(MediaKind::Video) {
                let marker = d.data.last().copied().unwrap_or(0);
                c.rx_video.push((now, marker, key, d.time.numer()));
            }
        }
        Event::KeyframeRequest(r) => {
            let media_kind = c.rtc.media(r.mid).map(|m| m.kind());
            if media_kind == Some(MediaKind::Video) && c.honor_keyframe_requests {
                if c.mid_of(None, Kind::SubVideo) == Some(r.mid) {
                    c.want_sub_keyframe = true;
                } else if r.rid.is_some_and(|rid| &*rid == trtc_sfu::RID_SMALL) {
                    c.want_keyframe_small = true;
                } else {
                    c.want_keyframe = true;
                }
            }
            c.keyframe_requests.push((now, r.kind));
        }
        _ => {}
    }
}
