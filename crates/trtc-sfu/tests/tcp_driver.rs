//! The driver's ICE-TCP listener end to end: str0m clients whose only candidate is a TCP active
//! one (RFC 6544) connect to the SFU's passive candidate and exchange RFC 4571 frames on real
//! loopback connections; media from A reaches B. And what the listener does with connections
//! that do not behave: closed when they send something other than STUN first, send checks no
//! peer accepts, or pass no check in time; refused over the per-address limit.

mod common;

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use str0m::change::SdpOffer;
use str0m::format::Codec;
use str0m::media::{Frequency, MediaTime, Mid};
use str0m::net::{Protocol, Receive, TcpType};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{mpsc, oneshot};
use trtc_sfu::rfc4571::{self, FrameReader};
use trtc_sfu::{Kind, PeerId, SfuConfig, SfuEvent, SfuHandle, Slot, TcpConfig};

const A: PeerId = 1;
const B: PeerId = 2;
/// The active candidate's address (RFC 6544: port 9; the connection has its own).
const ACTIVE: &str = "127.0.0.1:9";

#[derive(Debug, Default)]
struct Stats {
    connected: bool,
    /// Frames received by (source, kind).
    frames: BTreeMap<(PeerId, bool), u64>,
    keyframe_requests: u64,
    sent: u64,
    /// Packets the client sent and received over TCP, and over anything else.
    tcp_out: u64,
    tcp_in: u64,
    other_out: u64,
}

impl Stats {
    fn frames(&self, source: PeerId, kind: Kind) -> u64 {
        self.frames
            .get(&(source, kind == Kind::Video))
            .copied()
            .unwrap_or(0)
    }
}

/// An offer for the client task, and where to put its answer.
type OfferMsg = (String, Vec<Slot>, oneshot::Sender<String>);

/// Reads from the connection if there is one, else never.
async fn read_some(
    conn: &mut Option<(OwnedReadHalf, OwnedWriteHalf)>,
    frames: &mut FrameReader,
) -> std::io::Result<usize> {
    match conn {
        Some((r, _)) => r.read(frames.spare()).await,
        None => std::future::pending().await,
    }
}

/// A browser stand-in with one TCP active candidate: answers offers, publishes on its upstream
/// slots, counts what it receives. It connects to the SFU's listener when str0m first sends to
/// it (its first STUN check).
async fn run_client(mut offers: mpsc::UnboundedReceiver<OfferMsg>, stats: Arc<Mutex<Stats>>) {
    let start = Instant::now();
    let mut rtc = Rtc::builder().build(start);
    let active: SocketAddr = ACTIVE.parse().unwrap();
    rtc.add_local_candidate(
        Candidate::builder()
            .tcp()
            .host(active)
            .tcptype(TcpType::Active)
            .build()
            .unwrap(),
    );
    rtc.handle_input(Input::Timeout(start)).unwrap();
    let mut slots: Vec<Slot> = vec![];
    let mut conn: Option<(OwnedReadHalf, OwnedWriteHalf)> = None;
    let mut server: Option<SocketAddr> = None;
    let mut frames = FrameReader::new(rfc4571::MAX_FRAME);
    let (mut n_audio, mut n_video) = (0u64, 0u64);
    let (mut next_audio, mut next_video) = (start, start);
    let mut want_keyframe = true;
    // Frames read and not yet handed to str0m: one per turn, as datagrams (it wants to be
    // polled after each input).
    let mut inbox: VecDeque<Vec<u8>> = VecDeque::new();

    loop {
        if let Some(frame) = inbox.pop_front() {
            stats.lock().unwrap().tcp_in += 1;
            let input = Input::Receive(
                Instant::now(),
                Receive {
                    proto: Protocol::Tcp,
                    source: server.unwrap(),
                    destination: active,
                    contents: frame.as_slice().try_into().expect("a packet"),
                },
            );
            rtc.handle_input(input).expect("client input");
        }
        let mut out = vec![];
        let timeout = loop {
            match rtc.poll_output().expect("client poll") {
                Output::Timeout(t) => break t,
                Output::Transmit(t) => {
                    if t.proto != Protocol::Tcp {
                        stats.lock().unwrap().other_out += 1;
                        continue;
                    }
                    if conn.is_none() {
                        let s = TcpStream::connect(t.destination).await.expect("connect");
                        s.set_nodelay(true).unwrap();
                        server = Some(t.destination);
                        conn = Some(s.into_split());
                    }
                    assert_eq!(server, Some(t.destination), "one server address");
                    rfc4571::encode(&mut out, &t.contents).unwrap();
                    stats.lock().unwrap().tcp_out += 1;
                }
                Output::Event(e) => {
                    let mut s = stats.lock().unwrap();
                    match e {
                        Event::Connected => s.connected = true,
                        Event::MediaData(d) => {
                            let mid = d.mid.to_string();
                            if let Some(slot) = slots.iter().find(|s| s.mid == mid) {
                                if let Some(src) = slot.source {
                                    *s.frames
                                        .entry((src, slot.kind == Kind::Video))
                                        .or_default() += 1;
                                }
                            }
                        }
                        Event::KeyframeRequest(_) => {
                            s.keyframe_requests += 1;
                            want_keyframe = true;
                        }
                        _ => {}
                    }
                }
            }
        };
        if let (Some((_, w)), false) = (conn.as_mut(), out.is_empty()) {
            w.write_all(&out).await.expect("write to the SFU");
        }
        if !inbox.is_empty() {
            continue;
        }

        // Publish what is due.
        let now = Instant::now();
        let connected = stats.lock().unwrap().connected;
        let own = |kind: Kind| {
            slots
                .iter()
                .find(|s| s.source.is_none() && s.kind == kind)
                .map(|s| Mid::from(s.mid.as_str()))
        };
        let pt = |rtc: &Rtc, codec: Codec| {
            rtc.codec_config()
                .find(|p| p.spec().codec == codec)
                .map(|p| p.pt())
        };
        if connected && now >= next_audio {
            next_audio += Duration::from_millis(20);
            if let (Some(mid), Some(pt)) = (own(Kind::Audio), pt(&rtc, Codec::Opus)) {
                if let Some(w) = rtc.writer(mid) {
                    let ts = MediaTime::new(n_audio * 960, Frequency::FORTY_EIGHT_KHZ);
                    w.write(pt, now, ts, vec![n_audio as u8; 80]).unwrap();
                    n_audio += 1;
                    stats.lock().unwrap().sent += 1;
                }
            }
        }
        if connected && now >= next_video {
            next_video += Duration::from_millis(50);
            if let (Some(mid), Some(pt)) = (own(Kind::Video), pt(&rtc, Codec::Vp8)) {
                if let Some(w) = rtc.writer(mid) {
                    let ts = MediaTime::new(n_video * 4500, Frequency::NINETY_KHZ);
                    let key = std::mem::take(&mut want_keyframe);
                    w.write(pt, now, ts, common::vp8_frame(key, n_video))
                        .unwrap();
                    n_video += 1;
                    stats.lock().unwrap().sent += 1;
                }
            }
        }
        let wake = timeout
            .min(next_audio)
            .min(next_video)
            .max(Instant::now() + Duration::from_millis(1));

        tokio::select! {
            msg = offers.recv() => {
                let Some((sdp, new_slots, reply)) = msg else { return };
                let offer = SdpOffer::from_sdp_string(&sdp).expect("offer parses");
                let answer = rtc.sdp_api().accept_offer(offer).expect("offer accepted");
                slots = new_slots;
                let _ = reply.send(answer.to_sdp_string());
            }
            r = read_some(&mut conn, &mut frames) => {
                let n = r.expect("client read");
                assert!(n > 0, "the SFU closed the connection");
                frames.filled(n);
                let Some(buf) = frames.take_frames().expect("framing") else { continue };
                inbox.extend(rfc4571::frames(&buf).map(<[u8]>::to_vec));
            }
            _ = tokio::time::sleep_until(wake.into()) => {
                rtc.handle_input(Input::Timeout(Instant::now())).expect("client timeout");
            }
        }
    }
}

fn client() -> (mpsc::UnboundedSender<OfferMsg>, Arc<Mutex<Stats>>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let stats = Arc::new(Mutex::new(Stats::default()));
    tokio::spawn(run_client(rx, stats.clone()));
    (tx, stats)
}

/// An SFU with a UDP socket and a TCP listener on loopback.
async fn sfu(config: TcpConfig) -> (SfuHandle, mpsc::Receiver<SfuEvent>) {
    common::init_log();
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    trtc_sfu::spawn_with_tcp(
        socket,
        Some((listener, config)),
        vec![],
        SfuConfig::default(),
    )
}

#[tokio::test]
async fn media_flows_end_to_end_over_tcp() {
    let (sfu, mut events) = sfu(TcpConfig::default()).await;
    let tcp = sfu.tcp_local_addr().expect("a listener");
    assert_eq!(sfu.tcp_candidates(), &[tcp]);
    assert_ne!(sfu.local_addr(), tcp);

    let (to_a, stats_a) = client();
    let (to_b, stats_b) = client();
    let clients = BTreeMap::from([(A, to_a), (B, to_b)]);

    sfu.add_peer(A);
    sfu.add_peer(B);
    sfu.set_publish(A, true, true);
    sfu.add_source(B, A, Kind::Audio);
    sfu.add_source(B, A, Kind::Video);
    sfu.subscribe(B, A, Kind::Audio, true);
    sfu.subscribe(B, A, Kind::Video, true);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut connected = vec![];
    while connected.len() < 2 {
        let ev = tokio::time::timeout_at(deadline, events.recv())
            .await
            .expect("both connect in time")
            .expect("the SFU runs");
        match ev {
            SfuEvent::Offer { peer, sdp, slots } => {
                assert!(
                    sdp.contains(&format!(
                        "127.0.0.1 {} typ host tcptype passive",
                        tcp.port()
                    )),
                    "{sdp}"
                );
                let (tx, rx) = oneshot::channel();
                clients[&peer].send((sdp, slots, tx)).unwrap();
                let answer = rx.await.unwrap();
                sfu.accept_answer(peer, answer)
                    .await
                    .expect("answer accepted");
            }
            SfuEvent::Connected { peer } => connected.push(peer),
            SfuEvent::Disconnected { peer, reason } => panic!("{peer} disconnected: {reason}"),
            SfuEvent::Publishing { .. } => {}
        }
    }
    let flowing = tokio::time::timeout_at(deadline, async {
        loop {
            {
                let b = stats_b.lock().unwrap();
                if b.frames(A, Kind::Audio) >= 50 && b.frames(A, Kind::Video) >= 20 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let (a, b) = (stats_a.lock().unwrap(), stats_b.lock().unwrap());
    assert!(flowing.is_ok(), "B receives A's media: {b:?}; A: {a:?}");
    assert!(
        a.keyframe_requests >= 1,
        "B's subscription asked A for a keyframe"
    );
    // Everything went over TCP.
    assert_eq!(a.other_out + b.other_out, 0);
    assert!(a.tcp_out > 50 && b.tcp_in > 50, "A: {a:?}; B: {b:?}");
}

/// Limits small enough to reach in a test.
fn strict() -> TcpConfig {
    TcpConfig {
        max_pending_per_ip: 3,
        max_unchecked_frames: 4,
        auth_timeout: Duration::from_millis(600),
        ..TcpConfig::default()
    }
}

async fn connect(sfu: &SfuHandle) -> TcpStream {
    TcpStream::connect(sfu.tcp_local_addr().unwrap())
        .await
        .expect("connect")
}

/// How long until the server closes the connection (end of stream or reset), if within `max`.
/// Whatever the server sends meanwhile is read and ignored.
async fn closed_after(s: &mut TcpStream, max: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    let r = tokio::time::timeout(max, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    r.ok().map(|()| start.elapsed())
}

fn framed(payload: &[u8]) -> Vec<u8> {
    let mut out = vec![];
    rfc4571::encode(&mut out, payload).unwrap();
    out
}

/// A STUN binding request naming `username`, with an integrity that never verifies.
fn check(username: &str) -> Vec<u8> {
    let mut body = vec![];
    for (kind, value) in [
        (0x0024u16, &[0x6e, 0, 1, 0xff][..]),
        (0x0006, username.as_bytes()),
        (0x0008, &[0xab; 20]),
    ] {
        body.extend(kind.to_be_bytes());
        body.extend((value.len() as u16).to_be_bytes());
        body.extend(value);
        while body.len() % 4 != 0 {
            body.push(0);
        }
    }
    let mut m = vec![0x00, 0x01];
    m.extend((body.len() as u16).to_be_bytes());
    m.extend(0x2112_A442u32.to_be_bytes());
    m.extend([9u8; 12]);
    m.extend(body);
    m
}

#[tokio::test]
async fn a_connection_that_passes_no_check_is_closed_at_its_deadline() {
    let (sfu, _events) = sfu(strict()).await;
    let mut silent = connect(&sfu).await;
    let t = closed_after(&mut silent, Duration::from_secs(5))
        .await
        .expect("closed");
    assert!(
        t >= Duration::from_millis(400) && t < Duration::from_millis(2000),
        "closed after {t:?} (deadline 600 ms, looked at every 500 ms)"
    );
    // Half a frame, then nothing: the same.
    let mut slow = connect(&sfu).await;
    slow.write_all(&[0x01, 0x00, 0x00]).await.unwrap();
    assert!(closed_after(&mut slow, Duration::from_secs(5))
        .await
        .is_some());
}

#[tokio::test]
async fn anything_but_stun_first_is_closed_at_once() {
    let (sfu, _events) = sfu(TcpConfig {
        auth_timeout: Duration::from_secs(30),
        ..strict()
    })
    .await;
    let rtp = [0x80u8, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];
    let dtls = [22u8, 254, 253, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    for first in [&rtp[..], &dtls[..], b"GET / HTTP/1.1\r\n\r\n"] {
        let mut s = connect(&sfu).await;
        s.write_all(&framed(first)).await.unwrap();
        let t = closed_after(&mut s, Duration::from_secs(5)).await;
        assert!(
            t.is_some_and(|t| t < Duration::from_secs(2)),
            "{first:?}: {t:?}"
        );
    }
    // A frame of garbage.
    let mut s = connect(&sfu).await;
    s.write_all(&[0, 4, 0xde, 0xad, 0xbe, 0xef]).await.unwrap();
    assert!(closed_after(&mut s, Duration::from_secs(2)).await.is_some());
}

#[tokio::test]
async fn checks_that_no_peer_accepts_are_bounded() {
    let (sfu, _events) = sfu(TcpConfig {
        auth_timeout: Duration::from_secs(30),
        ..strict()
    })
    .await;
    sfu.add_peer(A);
    let mut s = connect(&sfu).await;
    // Three forged checks (unknown ufrag): still open.
    for _ in 0..3 {
        s.write_all(&framed(&check("nobody:x"))).await.unwrap();
    }
    assert!(closed_after(&mut s, Duration::from_millis(300))
        .await
        .is_none());
    // The fourth reaches the limit.
    s.write_all(&framed(&check("nobody:x"))).await.unwrap();
    assert!(closed_after(&mut s, Duration::from_secs(2)).await.is_some());
}

#[tokio::test]
async fn unchecked_connections_from_one_address_are_limited() {
    let (sfu, _events) = sfu(TcpConfig {
        auth_timeout: Duration::from_secs(30),
        ..strict()
    })
    .await;
    let mut held = vec![];
    for _ in 0..3 {
        held.push(connect(&sfu).await);
    }
    // Let the SFU admit them before the next one comes.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut extra = connect(&sfu).await;
    assert!(
        closed_after(&mut extra, Duration::from_secs(2))
            .await
            .is_some(),
        "the fourth is refused"
    );
    for s in &mut held {
        assert!(closed_after(s, Duration::from_millis(50)).await.is_none());
    }
    // One goes away: there is room again.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = connect(&sfu).await;
    assert!(closed_after(&mut again, Duration::from_millis(500))
        .await
        .is_none());
}
