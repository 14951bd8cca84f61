//! A deterministic workload for profiling the SFU core's forwarding path (no sockets, simulated
//! time): publishers sending VP8 at a bitrate plus Opus every 20 ms, subscribers receiving
//! everything. The harness feeds the core the way the tokio driver does (one datagram, then
//! drain transmits and events, then `next_timeout`).
//!
//! ```text
//! cargo run --release -p trtc-sfu --example sfu_profile -- [subscribers] [publishers] [seconds]
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*sfu_profile::measure*' \
//!     target/release/examples/sfu_profile 50 1 2
//! ```
//!
//! Only `measure` (the steady state after everyone is connected) is collected; divide the
//! inclusive cost of the `Sfu` entry points by the datagrams the SFU sent (printed).
//! Publishers subscribe to each other (full mesh); subscribers publish nothing.

use std::collections::VecDeque;
use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::change::SdpOffer;
use str0m::format::Codec;
use str0m::media::{Frequency, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use trtc_sfu::{Kind, Packet, PeerId, Sfu, SfuEvent, Slot};

const STEP: Duration = Duration::from_millis(1);
const VIDEO_KBPS: u64 = 500;
const FPS: u64 = 30;

struct Client {
    peer: PeerId,
    rtc: Rtc,
    addr: SocketAddr,
    publisher: bool,
    slots: Vec<Slot>,
    connected: bool,
    timeout: Instant,
    next_audio: Option<Instant>,
    next_video: Option<Instant>,
    n_audio: u64,
    n_video: u64,
    want_key: bool,
    rx_pkts: u64,
}

impl Client {
    fn new(peer: PeerId, publisher: bool, now: Instant) -> Client {
        let addr: SocketAddr = format!("127.0.0.1:{}", 20000 + peer).parse().unwrap();
        // Subscribers count RTP packets without depacketising (cheap under valgrind).
        let mut rtc = Rtc::builder().set_rtp_mode(!publisher).build(now);
        rtc.add_local_candidate(Candidate::host(addr, "udp").unwrap());
        rtc.handle_input(Input::Timeout(now)).unwrap();
        Client {
            peer,
            rtc,
            addr,
            publisher,
            slots: vec![],
            connected: false,
            timeout: now,
            next_audio: None,
            next_video: None,
            n_audio: 0,
            n_video: 0,
            want_key: true,
            rx_pkts: 0,
        }
    }

    fn upstream(&self, kind: Kind) -> Option<Mid> {
        self.slots
            .iter()
            .find(|s| s.source.is_none() && s.kind == kind)
            .map(|s| Mid::from(s.mid.as_str()))
    }

    fn pt(&self, codec: Codec) -> str0m::media::Pt {
        self.rtc
            .codec_config()
            .find(|p| p.spec().codec == codec)
            .map(|p| p.pt())
            .unwrap()
    }

    fn produce(&mut self, now: Instant) {
        if !self.publisher || !self.connected {
            return;
        }
        if let Some(mid) = self.upstream(Kind::Audio) {
            let next = *self.next_audio.get_or_insert(now);
            if now >= next {
                self.next_audio = Some(next + Duration::from_millis(20));
                let pt = self.pt(Codec::Opus);
                let ts = MediaTime::new(self.n_audio * 960, Frequency::FORTY_EIGHT_KHZ);
                let data = vec![0xf8u8; 80];
                if let Some(w) = self.rtc.writer(mid) {
                    w.write(pt, now, ts, data).unwrap();
                }
                self.n_audio += 1;
            }
        }
        if let Some(mid) = self.upstream(Kind::Video) {
            let next = *self.next_video.get_or_insert(now);
            if now >= next {
                self.next_video = Some(next + Duration::from_micros(1_000_000 / FPS));
                let pt = self.pt(Codec::Vp8);
                let ts = MediaTime::new(self.n_video * 90_000 / FPS, Frequency::NINETY_KHZ);
                let key = std::mem::take(&mut self.want_key) || self.n_video.is_multiple_of(150);
                let size = (VIDEO_KBPS * 1000 / 8 / FPS) as usize * if key { 4 } else { 1 };
                let mut data = if key {
                    vec![0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]
                } else {
                    vec![0x11, 0x02, 0x00]
                };
                data.resize(size, 0x55);
                if let Some(w) = self.rtc.writer(mid) {
                    w.write(pt, now, ts, data).unwrap();
                }
                self.n_video += 1;
            }
        }
    }
}

struct Harness {
    sfu: Sfu,
    server: SocketAddr,
    clients: Vec<Client>,
    now: Instant,
    /// Datagrams the SFU sent.
    sfu_out: u64,
    /// Datagrams on their way to the SFU: (from, to, bytes).
    to_sfu: VecDeque<(SocketAddr, SocketAddr, Vec<u8>)>,
    sfu_timeout: Instant,
}

impl Harness {
    fn drain_client(&mut self, i: usize) {
        let now = self.now;
        let c = &mut self.clients[i];
        loop {
            match c.rtc.poll_output().expect("client poll") {
                Output::Timeout(t) => {
                    c.timeout = t;
                    return;
                }
                Output::Transmit(t) => {
                    self.to_sfu
                        .push_back((t.source, t.destination, Vec::from(t.contents)))
                }
                Output::Event(e) => match e {
                    Event::Connected => c.connected = true,
                    Event::RtpPacket(p) => {
                        c.rx_pkts += 1;
                        black_box(p);
                    }
                    Event::MediaData(d) => {
                        black_box(d);
                    }
                    Event::KeyframeRequest(_) => c.want_key = true,
                    _ => {}
                },
            }
            let _ = now;
        }
    }

    /// What the driver does after each input: send, carry events, ask for the next timeout.
    fn pump_sfu(&mut self) {
        while let Some(Packet { to, from, data, .. }) = sfu_poll_transmit(&mut self.sfu) {
            self.sfu_out += 1;
            let Some(i) = self.clients.iter().position(|c| c.addr == to) else {
                continue;
            };
            let input = Input::Receive(
                self.now,
                Receive {
                    proto: Protocol::Udp,
                    source: from,
                    destination: to,
                    contents: data.as_slice().try_into().unwrap(),
                },
            );
            self.clients[i]
                .rtc
                .handle_input(input)
                .expect("client input");
            self.drain_client(i);
            self.sfu.recycle(data);
        }
        while let Some(ev) = sfu_poll_event(&mut self.sfu) {
            if let SfuEvent::Offer { peer, sdp, slots } = ev {
                let i = self.clients.iter().position(|c| c.peer == peer).unwrap();
                let c = &mut self.clients[i];
                let offer = SdpOffer::from_sdp_string(&sdp).unwrap();
                let answer = c.rtc.sdp_api().accept_offer(offer).unwrap();
                c.slots = slots;
                self.sfu
                    .accept_answer(peer, &answer.to_sdp_string(), self.now)
                    .unwrap();
                self.drain_client(i);
            }
        }
        self.sfu_timeout =
            sfu_next_timeout(&mut self.sfu).unwrap_or(self.now + Duration::from_secs(1));
    }

    fn step(&mut self) {
        self.now += STEP;
        let now = self.now;
        if self.sfu_timeout <= now {
            sfu_timeout(&mut self.sfu, now);
            self.pump_sfu();
        }
        for i in 0..self.clients.len() {
            let c = &mut self.clients[i];
            c.produce(now);
            if c.timeout <= now || c.publisher {
                c.rtc.handle_input(Input::Timeout(now)).unwrap();
            }
            self.drain_client(i);
        }
        while let Some((from, to, data)) = self.to_sfu.pop_front() {
            sfu_datagram(&mut self.sfu, from, to, &data, now);
            self.pump_sfu();
        }
    }
}

// Every call into the SFU goes through one of these, so a profile can add up the SFU's own cost
// (inclusive cost of `sfu_*`) apart from the simulated clients'.
#[inline(never)]
fn sfu_datagram(sfu: &mut Sfu, from: SocketAddr, to: SocketAddr, data: &[u8], now: Instant) {
    sfu.handle_datagram(from, to, data, now);
}
#[inline(never)]
fn sfu_timeout(sfu: &mut Sfu, now: Instant) {
    sfu.handle_timeout(now);
}
#[inline(never)]
fn sfu_poll_transmit(sfu: &mut Sfu) -> Option<Packet> {
    sfu.poll_transmit()
}
#[inline(never)]
fn sfu_poll_event(sfu: &mut Sfu) -> Option<SfuEvent> {
    sfu.poll_event()
}
#[inline(never)]
fn sfu_next_timeout(sfu: &mut Sfu) -> Option<Instant> {
    sfu.next_timeout()
}

#[inline(never)]
fn measure(h: &mut Harness, steps: u64) {
    for _ in 0..steps {
        h.step();
    }
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numbers"))
        .collect();
    let subscribers = args.first().copied().unwrap_or(50);
    let publishers = args.get(1).copied().unwrap_or(1).max(1);
    let seconds = args.get(2).copied().unwrap_or(2);

    let now = Instant::now();
    let server: SocketAddr = "127.0.0.1:3478".parse().unwrap();
    let mut h = Harness {
        sfu: Sfu::new(vec![server]),
        server,
        clients: vec![],
        now,
        sfu_out: 0,
        to_sfu: VecDeque::new(),
        sfu_timeout: now,
    };
    let n = publishers + subscribers;
    for peer in 1..=n {
        h.clients.push(Client::new(peer, peer <= publishers, now));
        h.sfu.add_peer(peer, now);
    }
    for p in 1..=publishers {
        h.sfu.set_publish(p, true, true, now);
    }
    for sub in 1..=n {
        for p in 1..=publishers {
            if sub != p {
                for kind in [Kind::Audio, Kind::Video] {
                    h.sfu.add_source(sub, p, kind, now);
                    h.sfu.subscribe(sub, p, kind, true, now);
                }
            }
        }
    }
    h.pump_sfu();
    let _ = h.server;
    // Connect and settle.
    let mut waited = 0;
    while !(h.clients.iter().all(|c| c.connected) && (1..=n).all(|p| h.sfu.is_connected(p))) {
        h.step();
        waited += 1;
        assert!(waited < 30_000, "not everyone connected");
    }
    for _ in 0..2000 {
        h.step();
    }
    let (out0, rx0) = (h.sfu_out, h.clients.iter().map(|c| c.rx_pkts).sum::<u64>());
    let wall = Instant::now();
    measure(&mut h, seconds * 1000);
    let elapsed = wall.elapsed();
    let out = h.sfu_out - out0;
    let rx = h.clients.iter().map(|c| c.rx_pkts).sum::<u64>() - rx0;
    println!(
        "publishers {publishers} subscribers {subscribers} simulated {seconds} s: SFU sent {out} datagrams ({rx} RTP packets received by subscribers), wall {:.2} s",
        elapsed.as_secs_f64()
    );
}
