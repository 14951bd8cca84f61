//! Helpers shared by the fuzz targets and the seed generator (`examples/make_seeds.rs`).

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use trtc_sfu::{Kind, PeerId, Sfu, SfuEvent};

/// TLS-sig's outer layers: zlib, standard base64, then `+` → `*`, `/` → `-`, `=` → `_`.
pub fn encode_usersig_doc(json: &[u8]) -> String {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(json).expect("to a Vec");
    let compressed = z.finish().expect("to a Vec");
    STANDARD
        .encode(compressed)
        .chars()
        .map(|c| match c {
            '+' => '*',
            '/' => '-',
            '=' => '_',
            c => c,
        })
        .collect()
}

/// Where the SFU of the harness says it listens.
pub const SFU_ADDR: &str = "127.0.0.1:40000";

/// The peer whose offers the `sdp_answer` target answers.
pub const PEER: PeerId = 2;

/// A trtc-sfu core (`trtc_sfu::Sfu`, sans IO, as the server runs it) where peer 1 publishes
/// audio and video and peer [`PEER`] publishes both too and receives peer 1's: the SFU's offer
/// to [`PEER`] has the `trtc` data channel, two upstream slots and two forwarded ones.
pub struct SfuSession {
    pub sfu: Sfu,
    pub now: Instant,
    /// The latest offer to [`PEER`], if one is outstanding.
    pub offer: Option<String>,
}

/// The placeholders an answer in the `sdp_answer` corpus uses for the mids of the offer, in
/// m-line order (str0m draws mids at random).
pub const MID_PLACEHOLDERS: [&str; 6] =
    ["{mid0}", "{mid1}", "{mid2}", "{mid3}", "{mid4}", "{mid5}"];

impl SfuSession {
    pub fn new() -> SfuSession {
        let now = Instant::now();
        let addr: SocketAddr = SFU_ADDR.parse().expect("an address");
        let mut sfu = Sfu::new(vec![addr]);
        sfu.add_peer(1, now);
        sfu.set_publish(1, true, true, now);
        sfu.add_peer(PEER, now);
        sfu.set_publish(PEER, true, true, now);
        sfu.add_source(PEER, 1, Kind::Audio, now);
        sfu.add_source(PEER, 1, Kind::Video, now);
        let mut s = SfuSession {
            sfu,
            now,
            offer: None,
        };
        s.poll();
        assert!(s.offer.is_some(), "the SFU offers to the peer");
        s
    }

    /// Drains the SFU's events and datagrams; keeps the latest offer to [`PEER`].
    pub fn poll(&mut self) {
        while let Some(ev) = self.sfu.poll_event() {
            if let SfuEvent::Offer { peer, sdp, .. } = ev {
                if peer == PEER {
                    self.offer = Some(sdp);
                }
            }
        }
        while let Some(p) = self.sfu.poll_transmit() {
            self.sfu.recycle(p.data);
        }
    }

    /// The mids of the outstanding offer, in m-line order.
    pub fn mids(&self) -> Vec<String> {
        self.offer
            .as_deref()
            .unwrap_or("")
            .lines()
            .filter_map(|l| l.strip_prefix("a=mid:"))
            .map(|m| m.trim().to_string())
            .collect()
    }

    /// `text` with the placeholders replaced by the outstanding offer's mids.
    pub fn fill(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (p, m) in MID_PLACEHOLDERS.iter().zip(self.mids()) {
            out = out.replace(p, &m);
        }
        out
    }

    /// `sdp` with the outstanding offer's mids replaced by the placeholders.
    pub fn unfill(&self, sdp: &str) -> String {
        let mut out = sdp.to_string();
        for (p, m) in MID_PLACEHOLDERS.iter().zip(self.mids()) {
            out = out
                .replace(&format!("a=mid:{m}\r\n"), &format!("a=mid:{p}\r\n"))
                .replace(&format!(" {m} "), &format!(" {p} "))
                .replace(&format!(" {m}\r\n"), &format!(" {p}\r\n"));
        }
        out
    }

    /// Hands `text` (placeholders filled) to the SFU as [`PEER`]'s answer, then lets time pass.
    pub fn answer(&mut self, text: &str) -> Result<(), String> {
        let sdp = self.fill(text);
        self.offer = None;
        self.now += Duration::from_millis(20);
        let out = self.sfu.accept_answer(PEER, &sdp, self.now);
        self.poll();
        for _ in 0..4 {
            self.now += Duration::from_millis(50);
            self.sfu.handle_timeout(self.now);
            self.poll();
        }
        out
    }
}

impl Default for SfuSession {
    fn default() -> Self {
        Self::new()
    }
}

// ---------------------------------------------------------------------------------------------
// The `udp_datagram` target: datagrams into the SFU core.
// ---------------------------------------------------------------------------------------------

use str0m::change::SdpOffer;
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};

/// Where the browser stand-in of [`UdpSession`] sends from.
pub const CLIENT_ADDR: &str = "127.0.0.1:50000";

/// A trtc-sfu core with one peer ([`PEER`]) connected for real — ICE and DTLS done with a str0m
/// client standing in for the browser, over datagrams handed across in memory — so that
/// datagrams from the client's address reach that peer's `Rtc` (its DTLS and SRTP), as on the
/// server. A second peer, never connected, publishes nothing.
pub struct UdpSession {
    pub sfu: Sfu,
    pub client: Rtc,
    pub now: Instant,
    pub sfu_addr: SocketAddr,
    pub client_addr: SocketAddr,
    /// The SFU's ICE ufrag for [`PEER`] (from its offer): STUN naming it is routed to the peer.
    pub ufrag: String,
    pub connected: bool,
}

impl UdpSession {
    /// Sets up the session; `connected` says whether ICE and DTLS came up (they do, within the
    /// bounded number of rounds, unless str0m changes).
    pub fn new() -> UdpSession {
        let now = Instant::now();
        let sfu_addr: SocketAddr = SFU_ADDR.parse().expect("an address");
        let client_addr: SocketAddr = CLIENT_ADDR.parse().expect("an address");
        let mut sfu = Sfu::new(vec![sfu_addr]);
        sfu.add_peer(1, now);
        sfu.add_peer(PEER, now);
        sfu.set_publish(PEER, true, true, now);
        let mut offer = None;
        while let Some(ev) = sfu.poll_event() {
            if let SfuEvent::Offer {
                peer: PEER, sdp, ..
            } = ev
            {
                offer = Some(sdp);
            }
        }
        let offer = offer.expect("the SFU offers to the peer");
        let ufrag = offer
            .lines()
            .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
            .expect("an ICE ufrag")
            .trim()
            .to_string();
        let mut client = Rtc::builder().build(now);
        client.add_local_candidate(Candidate::host(client_addr, "udp").expect("a candidate"));
        let _ = client.handle_input(Input::Timeout(now));
        let answer = client
            .sdp_api()
            .accept_offer(SdpOffer::from_sdp_string(&offer).expect("the offer parses"))
            .expect("the client takes the offer")
            .to_sdp_string();
        sfu.accept_answer(PEER, &answer, now)
            .expect("the SFU takes the answer");
        let mut s = UdpSession {
            sfu,
            client,
            now,
            sfu_addr,
            client_addr,
            ufrag,
            connected: false,
        };
        for _ in 0..400 {
            s.step(Duration::from_millis(5));
            if s.connected && s.sfu.is_connected(PEER) {
                break;
            }
        }
        s
    }

    /// Time passes by `dt`; datagrams are carried both ways until none is left.
    pub fn step(&mut self, dt: Duration) {
        self.now += dt;
        let now = self.now;
        let _ = self.client.handle_input(Input::Timeout(now));
        self.sfu.handle_timeout(now);
        for _ in 0..64 {
            let mut moved = false;
            loop {
                match self.client.poll_output() {
                    Ok(Output::Transmit(t)) => {
                        moved = true;
                        let data = Vec::from(t.contents);
                        self.sfu
                            .handle_datagram(t.source, t.destination, &data, now);
                    }
                    Ok(Output::Event(Event::Connected)) => self.connected = true,
                    Ok(Output::Event(_)) => {}
                    Ok(Output::Timeout(_)) | Err(_) => break,
                }
            }
            while let Some(trtc_sfu::Packet { to, from, data, .. }) = self.sfu.poll_transmit() {
                if to == self.client_addr {
                    moved = true;
                    if let Ok(contents) = data.as_slice().try_into() {
                        let _ = self.client.handle_input(Input::Receive(
                            now,
                            Receive {
                                proto: Protocol::Udp,
                                source: from,
                                destination: to,
                                contents,
                            },
                        ));
                    }
                }
                self.sfu.recycle(data);
            }
            while self.sfu.poll_event().is_some() {
                moved = true;
            }
            if !moved {
                break;
            }
        }
    }

    /// One datagram into the SFU from `from`, then what it caused is drained.
    pub fn inject(&mut self, from: SocketAddr, data: &[u8]) {
        let now = self.now;
        self.sfu.handle_datagram(from, self.sfu_addr, data, now);
        while let Some(p) = self.sfu.poll_transmit() {
            self.sfu.recycle(p.data);
        }
        while self.sfu.poll_event().is_some() {}
    }
}

impl Default for UdpSession {
    fn default() -> Self {
        Self::new()
    }
}

/// A STUN binding request (RFC 5389) whose USERNAME is `username` (when given), with `attrs`
/// after it; `declared_len` overrides the header's length field (to lie about it).
pub fn stun_message(
    msg_type: u16,
    username: Option<&[u8]>,
    attrs: &[(u16, Vec<u8>)],
    declared_len: Option<u16>,
) -> Vec<u8> {
    let mut body = Vec::new();
    let mut put = |kind: u16, value: &[u8]| {
        body.extend(kind.to_be_bytes());
        body.extend((value.len().min(u16::MAX as usize) as u16).to_be_bytes());
        body.extend(value);
        while body.len() % 4 != 0 {
            body.push(0);
        }
    };
    if let Some(u) = username {
        put(0x0006, u);
    }
    for (k, v) in attrs {
        put(*k, v);
    }
    let mut m = Vec::with_capacity(20 + body.len());
    m.extend((msg_type & 0x3FFF).to_be_bytes());
    let len = declared_len.unwrap_or(body.len().min(u16::MAX as usize) as u16);
    m.extend(len.to_be_bytes());
    m.extend(0x2112_A442u32.to_be_bytes());
    m.extend([7u8; 12]);
    m.extend(body);
    m
}

/// What one fuzz input does to a [`UdpSession`]: a list of datagrams, each from the client's
/// address or an unknown one, shaped as STUN (naming the peer's ufrag or not), DTLS-looking,
/// RTP/RTCP-looking, or raw bytes, with time passing in between.
#[derive(Debug, arbitrary::Arbitrary)]
pub struct UdpInput {
    pub ops: Vec<UdpOp>,
}

/// One datagram.
#[derive(Debug, arbitrary::Arbitrary)]
pub struct UdpOp {
    pub from: UdpFrom,
    pub payload: UdpPayload,
    /// Milliseconds that pass before it (the SFU's timers run).
    pub wait_ms: u8,
}

/// Where a datagram comes from.
#[derive(Debug, arbitrary::Arbitrary)]
pub enum UdpFrom {
    /// The connected client's address: routed to its peer.
    Client,
    /// Another port on the client's host: unknown until a STUN check from it is accepted.
    ClientHostPort(u16),
    /// Another host altogether.
    Stranger(u8, u16),
}

/// A datagram's bytes.
#[derive(Debug, arbitrary::Arbitrary)]
pub enum UdpPayload {
    Raw(Vec<u8>),
    Stun {
        msg_type: u16,
        /// USERNAME `<our ufrag>:<suffix>` (the peer's real ufrag) or just `suffix`.
        our_ufrag: bool,
        suffix: Vec<u8>,
        attrs: Vec<(u16, Vec<u8>)>,
        declared_len: Option<u16>,
    },
    /// A DTLS record header (content type 20–63, RFC 7983) and what follows.
    Dtls {
        content_type: u8,
        rest: Vec<u8>,
    },
    /// RTP or RTCP (first byte 128–191, RFC 7983): version 2, the payload type / packet type
    /// byte, and what follows.
    Rtp {
        first: u8,
        second: u8,
        rest: Vec<u8>,
    },
}

impl UdpSession {
    /// Runs one fuzz input: every datagram (at most 64, at most 1,500 bytes each, as the
    /// driver reads them), with time passing, then the genuine client's traffic for a moment.
    /// Checks that routing asks at most one peer per datagram and none for a stranger's
    /// datagram that is not STUN.
    pub fn run(&mut self, input: &UdpInput) {
        let client_ip = self.client_addr.ip();
        for op in input.ops.iter().take(64) {
            if op.wait_ms > 0 {
                self.step(Duration::from_millis(u64::from(op.wait_ms)));
            }
            let from = match op.from {
                UdpFrom::Client => self.client_addr,
                UdpFrom::ClientHostPort(port) => SocketAddr::new(client_ip, port),
                UdpFrom::Stranger(host, port) => SocketAddr::from(([10, 9, 8, host], port)),
            };
            let mut data = match &op.payload {
                UdpPayload::Raw(b) => b.clone(),
                UdpPayload::Stun {
                    msg_type,
                    our_ufrag,
                    suffix,
                    attrs,
                    declared_len,
                } => {
                    let mut user = Vec::new();
                    if *our_ufrag {
                        user.extend(self.ufrag.as_bytes());
                        user.push(b':');
                    }
                    user.extend(suffix);
                    stun_message(*msg_type, Some(&user), attrs, *declared_len)
                }
                UdpPayload::Dtls { content_type, rest } => {
                    let mut d = vec![20 + content_type % 44];
                    d.extend(rest);
                    d
                }
                UdpPayload::Rtp {
                    first,
                    second,
                    rest,
                } => {
                    let mut d = vec![0x80 | (first & 0x3F), *second];
                    d.extend(rest);
                    d
                }
            };
            data.truncate(1500);
            let probes = self.sfu.route_probes();
            self.inject(from, &data);
            let asked = self.sfu.route_probes() - probes;
            assert!(asked <= 1, "one datagram asked {asked} peers");
            // A stranger's datagram that is not STUN names no peer (no check of its address
            // can have been accepted: that needs the peer's ICE password).
            if matches!(op.from, UdpFrom::Stranger(..)) && data.first().is_none_or(|b| *b >= 4) {
                assert_eq!(asked, 0, "a stranger's non-STUN datagram reached a peer");
            }
        }
        self.step(Duration::from_millis(20));
    }
}
