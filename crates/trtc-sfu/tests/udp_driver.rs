//! The tokio driver end to end: real UDP sockets on 127.0.0.1, str0m clients on their own
//! sockets, media from A reaching B through the SFU.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use str0m::change::SdpOffer;
use str0m::format::Codec;
use str0m::media::{Frequency, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use trtc_sfu::{Kind, PeerId, SfuEvent, Slot};

const A: PeerId = 1;
const B: PeerId = 2;

#[derive(Debug, Default)]
struct Stats {
    connected: bool,
    /// Frames received by (source, kind).
    frames: BTreeMap<(PeerId, bool), u64>,
    keyframe_requests: u64,
    sent: u64,
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

/// A browser stand-in on its own UDP socket: answers offers, publishes on its upstream slots,
/// counts what it receives.
async fn run_client(
    socket: UdpSocket,
    mut offers: mpsc::UnboundedReceiver<OfferMsg>,
    stats: Arc<Mutex<Stats>>,
) {
    let local = socket.local_addr().unwrap();
    let start = Instant::now();
    let mut rtc = Rtc::builder().build(start);
    rtc.add_local_candidate(Candidate::host(local, "udp").unwrap());
    rtc.handle_input(Input::Timeout(start)).unwrap();
    let mut slots: Vec<Slot> = vec![];
    let mut buf = vec![0u8; 2048];
    let (mut n_audio, mut n_video) = (0u64, 0u64);
    let (mut next_audio, mut next_video) = (start, start);
    let mut want_keyframe = true;

    loop {
        let timeout = loop {
            match rtc.poll_output().expect("client poll") {
                Output::Timeout(t) => break t,
                Output::Transmit(t) => {
                    let _ = socket.send_to(&t.contents, t.destination).await;
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
            r = socket.recv_from(&mut buf) => {
                let (n, from) = r.expect("client recv");
                if let Ok(contents) = buf[..n].try_into() {
                    let input = Input::Receive(
                        Instant::now(),
                        Receive { proto: Protocol::Udp, source: from, destination: local, contents },
                    );
                    rtc.handle_input(input).expect("client input");
                }
            }
            _ = tokio::time::sleep_until(wake.into()) => {
                rtc.handle_input(Input::Timeout(Instant::now())).expect("client timeout");
            }
        }
    }
}

async fn client() -> (
    mpsc::UnboundedSender<OfferMsg>,
    Arc<Mutex<Stats>>,
    SocketAddr,
) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    let stats = Arc::new(Mutex::new(Stats::default()));
    tokio::spawn(run_client(socket, rx, stats.clone()));
    (tx, stats, addr)
}

#[tokio::test]
async fn media_flows_end_to_end_over_udp() {
    common::init_log();
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let server_addr = socket.local_addr().unwrap();
    let (sfu, mut events) = trtc_sfu::spawn(socket, vec![]);
    assert_eq!(sfu.local_addr(), server_addr);
    assert_eq!(sfu.candidates(), &[server_addr]);

    let (to_a, stats_a, _) = client().await;
    let (to_b, stats_b, _) = client().await;
    let clients = BTreeMap::from([(A, to_a), (B, to_b)]);

    sfu.add_peer(A);
    sfu.add_peer(B);
    sfu.set_publish(A, true, true);
    sfu.add_source(B, A, Kind::Audio);
    sfu.add_source(B, A, Kind::Video);
    sfu.subscribe(B, A, Kind::Audio, true);
    sfu.subscribe(B, A, Kind::Video, true);

    // The room layer's loop: carry offers to the clients and answers back.
    let mut offers: BTreeMap<PeerId, Vec<Vec<Slot>>> = BTreeMap::new();
    let mut connected = vec![];
    let mut removed = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let ev = tokio::time::timeout_at(deadline, events.recv())
            .await
            .expect("the test finishes in time")
            .expect("the SFU runs");
        match ev {
            SfuEvent::Offer { peer, sdp, slots } => {
                offers.entry(peer).or_default().push(slots.clone());
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
        if removed {
            if offers[&B].last().is_some_and(|s| s.is_empty()) {
                break;
            }
            continue;
        }
        // Wait for media to flow (events are rare; poll the counters on every one and on time).
        if connected.len() == 2 {
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
            assert!(
                flowing.is_ok(),
                "B receives A's media: {:?}; A: {:?}",
                stats_b.lock().unwrap(),
                stats_a.lock().unwrap()
            );
            assert!(
                stats_a.lock().unwrap().keyframe_requests >= 1,
                "B's subscription asked A for a keyframe"
            );
            // Leaving: B is renegotiated without A's tracks.
            sfu.remove_peer(A);
            removed = true;
        }
    }
    assert_eq!(offers[&A].len(), 1);
    assert_eq!(
        offers[&A][0].iter().filter(|s| s.source.is_none()).count(),
        2
    );
    assert_eq!(
        offers[&B]
            .first()
            .unwrap()
            .iter()
            .filter(|s| s.source == Some(A))
            .count(),
        2
    );

    // Unknown peers through the handle.
    assert!(sfu.accept_answer(77, "v=0".into()).await.is_err());
}
