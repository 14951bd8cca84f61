//! Bad input and failing peers: nothing panics, only the failing peer is affected.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::World;
use trtc_sfu::{Kind, Sfu};

const A: u64 = 1;
const B: u64 = 2;

/// A publishes, B subscribes to everything; both connected and media flowing.
fn flowing() -> World {
    let mut w = World::new();
    w.join(A);
    w.join(B);
    w.sfu.set_publish(A, true, true, w.now);
    w.add_sources(B, A);
    w.subscribe(B, A, Kind::Audio, true);
    w.subscribe(B, A, Kind::Video, true);
    assert!(w.run_until(Duration::from_secs(5), World::all_connected));
    w.run_for(Duration::from_millis(500));
    assert!(w.c(B).rx_from(A, Kind::Audio).frames > 10);
    w
}

/// Deterministic noise.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u8 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u8
    }

    fn bytes(&mut self, first: u8, len: usize) -> Vec<u8> {
        let mut v: Vec<u8> = (0..len).map(|_| self.next()).collect();
        if let Some(b) = v.first_mut() {
            *b = first;
        }
        v
    }
}

#[test]
fn garbage_datagrams_are_ignored() {
    let mut w = flowing();
    let server = w.server;
    let stranger: SocketAddr = "127.0.0.1:50000".parse().unwrap();
    let a_addr = w.c(A).addr;
    let b_addr = w.c(B).addr;
    let mut rng = Lcg(7);

    let mut sent = 0;
    for round in 0..20 {
        for from in [stranger, a_addr, b_addr] {
            // Empty, and one of each class str0m demultiplexes on the first byte: STUN (0-3),
            // DTLS (20-63), RTP/RTCP (128-191), and the rest.
            w.sfu.handle_datagram(from, server, &[], w.now);
            for first in [
                0u8, 1, 3, 20, 22, 23, 63, 64, 127, 128, 144, 200, 201, 205, 206, 255,
            ] {
                for len in [1usize, 2, 12, 13, 20, 28, 100, 1200, 1500, 4000] {
                    let data = rng.bytes(first, len);
                    w.sfu.handle_datagram(from, server, &data, w.now);
                    sent += 1;
                }
            }
            // A plausible STUN header with a bad body, an RTP header with random payload.
            let mut stun = vec![0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42];
            stun.extend(rng.bytes(0, 20));
            w.sfu.handle_datagram(from, server, &stun, w.now);
            let mut rtp = vec![0x80, 111, 0, round as u8, 0, 0, 0, 1, 1, 2, 3, 4];
            rtp.extend(rng.bytes(0, 100));
            w.sfu.handle_datagram(from, server, &rtp, w.now);
        }
        w.run_for(Duration::from_millis(20));
    }
    assert!(sent > 9000);
    assert_eq!(w.disconnected(A), None);
    assert_eq!(w.disconnected(B), None);
    assert!(w.sfu.is_connected(A) && w.sfu.is_connected(B));

    let before = w.c(B).rx_from(A, Kind::Audio).frames;
    w.run_for(Duration::from_secs(1));
    assert!(
        w.c(B).rx_from(A, Kind::Audio).frames >= before + 45,
        "media still flows"
    );

    // And an SFU with no peers at all.
    let mut empty = Sfu::new(vec![server]);
    for first in [0u8, 22, 128, 255] {
        empty.handle_datagram(stranger, server, &rng.bytes(first, 100), w.now);
    }
    assert!(empty.poll_transmit().is_none());
    assert!(empty.poll_event().is_none());
    assert!(empty.next_timeout().is_none());
}

#[test]
fn a_silent_peer_is_disconnected_and_dropped_from_its_subscribers() {
    let mut w = flowing();
    let offers_before = w.offers_for(B).len();
    w.client(A).online = false; // the tab froze, the network went away...
    let gone_at = w.now;
    assert!(
        w.run_until(Duration::from_secs(40), |w| w.disconnected(A).is_some()),
        "A is declared gone"
    );
    // Not at the first missed check: ICE gets 15 s to recover first.
    assert!(
        w.now - gone_at >= Duration::from_secs(15),
        "{:?}",
        w.now - gone_at
    );
    assert_eq!(w.disconnected(A), Some("ICE disconnected for 15 s"));
    assert!(!w.sfu.has_peer(A));
    assert_eq!(
        w.offers_for(B).len(),
        offers_before + 1,
        "B is renegotiated"
    );
    assert!(
        w.offers_for(B).last().unwrap().is_empty(),
        "without A's slots"
    );
    w.run_for(Duration::from_secs(20));
    assert!(w.sfu.is_connected(B), "B is not affected");
    assert_eq!(w.disconnected(B), None);
}

#[test]
fn a_peer_that_never_answers_times_out() {
    let mut w = World::new();
    w.join(A);
    w.client(A).auto_answer = false;
    w.sfu.set_publish(A, true, true, w.now);
    w.settle();
    let t0 = w.now;
    assert!(w.run_until(Duration::from_secs(40), |w| w.disconnected(A).is_some()));
    assert_eq!(w.disconnected(A), Some("not connected in time"));
    let after = w.now - t0;
    assert!(
        after >= Duration::from_secs(30) && after < Duration::from_secs(31),
        "{after:?}"
    );
}

#[test]
fn a_peer_that_closes_is_disconnected() {
    let mut w = flowing();
    w.client(A).rtc.close().unwrap();
    assert!(w.run_until(Duration::from_secs(2), |w| w.disconnected(A).is_some()));
    assert_eq!(w.disconnected(A), Some("closed by the remote"));
    assert!(w.sfu.is_connected(B));
}

#[test]
fn a_peer_whose_ice_recovers_in_time_is_kept() {
    let mut w = flowing();
    // A busy browser misses consent checks long enough for str0m to report ICE disconnected
    // (here after ~15 s)…
    w.client(A).online = false;
    w.run_for(Duration::from_secs(18));
    // …then answers again before the SFU gives up on it.
    w.client(A).online = true;
    w.run_for(Duration::from_secs(14));
    assert_eq!(w.disconnected(A), None);
    assert!(w.sfu.has_peer(A) && w.sfu.is_connected(A));
    let before = w.c(B).rx_from(A, Kind::Audio).frames;
    w.run_for(Duration::from_secs(1));
    assert!(
        w.c(B).rx_from(A, Kind::Audio).frames >= before + 45,
        "media flows again"
    );
}

/// A lossy uplink: every 10th RTP packet of the publisher never reaches the SFU. The SFU asks
/// for them again (NACK), the publisher resends them (RTX), and the subscriber gets every frame.
#[test]
fn lost_packets_are_asked_for_again_and_the_subscriber_misses_no_frame() {
    let mut w = flowing();
    w.client(A).drop_every_nth_rtp = Some(10);
    let sent0 = w.c(A).sent_video;
    let got0 = w.c(B).rx_from(A, Kind::Video).frames;
    w.run_for(Duration::from_secs(4));
    // Stop sending, let the retransmissions finish.
    w.client(A).send_media = false;
    w.run_for(Duration::from_millis(500));
    let sent = w.c(A).sent_video - sent0;
    let got = w.c(B).rx_from(A, Kind::Video).frames - got0;
    let dropped = w.c(A).rtp_dropped;
    println!("video frames sent {sent}, received {got}; RTP packets dropped {dropped}");
    assert!(dropped >= 20, "the uplink lost packets ({dropped})");
    assert!(sent >= 70, "{sent} frames sent");
    assert!(
        got + 1 >= sent,
        "every frame arrives despite the loss: {got} of {sent}"
    );
}
