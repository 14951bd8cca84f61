//! ICE over TCP in the sans-IO core: a browser whose only candidate is a TCP active one (RFC
//! 6544) connects to the SFU's passive candidate and sends and receives media like a UDP one;
//! the packets for it go out as TCP, the others' as UDP; TCP and UDP addresses never mix.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{World, SERVER_TCP};
use trtc_sfu::{Kind, PeerId, SfuEvent, Transport};

const A: PeerId = 1;
const B: PeerId = 2;
const C: PeerId = 3;

/// A (TCP) publishes; B (UDP) and C (TCP) subscribe to it.
fn mixed_room() -> World {
    let mut w = World::with_tcp();
    w.join_on(A, Transport::Tcp);
    w.join(B);
    w.join_on(C, Transport::Tcp);
    w.sfu.set_publish(A, true, true, w.now);
    for sub in [B, C] {
        w.add_sources(sub, A);
        w.subscribe(sub, A, Kind::Audio, true);
        w.subscribe(sub, A, Kind::Video, true);
    }
    assert!(
        w.run_until(Duration::from_secs(5), World::all_connected),
        "everyone connects"
    );
    w
}

#[test]
fn offers_carry_a_tcp_passive_candidate_next_to_the_udp_one() {
    let w = mixed_room();
    let sdp = w
        .events
        .iter()
        .find_map(|(_, e)| match e {
            SfuEvent::Offer { sdp, .. } => Some(sdp.clone()),
            _ => None,
        })
        .expect("an offer");
    let candidates: Vec<&str> = sdp
        .lines()
        .filter(|l| l.starts_with("a=candidate:"))
        .collect();
    assert_eq!(candidates.len(), 2, "{candidates:?}");
    assert!(candidates
        .iter()
        .any(|c| c.contains(" udp ") && c.contains(" 127.0.0.1 3478 typ host")));
    assert!(
        candidates.iter().any(|c| c.contains(" tcp ")
            && c.contains(" 127.0.0.1 3479 typ host")
            && c.contains(" tcptype passive")),
        "{candidates:?}"
    );
    assert_eq!(w.sfu.tcp_candidates(), &[SERVER_TCP.parse().unwrap()]);
}

#[test]
fn media_flows_to_and_from_tcp_clients() {
    let mut w = mixed_room();
    w.run_for(Duration::from_secs(2));
    let sent = (w.c(A).sent_audio, w.c(A).sent_video);
    assert!(sent.0 >= 90 && sent.1 >= 35, "A sent {sent:?}");
    for sub in [B, C] {
        let audio = w.c(sub).rx_from(A, Kind::Audio);
        let video = w.c(sub).rx_from(A, Kind::Video);
        assert!(
            audio.frames + 5 >= sent.0,
            "{sub} got {audio:?} of {sent:?}"
        );
        assert!(
            video.frames + 3 >= sent.1,
            "{sub} got {video:?} of {sent:?}"
        );
        assert_eq!(video.first_was_keyframe, Some(true));
    }
    // Every packet found its client on the client's own transport; both carried some.
    assert_eq!(w.undeliverable, 0);
    let [udp, tcp] = w.delivered;
    assert!(udp > 100 && tcp > 200, "udp {udp}, tcp {tcp}");
}

#[test]
fn a_tcp_address_is_not_a_udp_address() {
    let mut w = mixed_room();
    w.run_for(Duration::from_millis(500));
    let a = w.c(A).addr;
    let server: SocketAddr = common::SERVER.parse().unwrap();
    let server_tcp: SocketAddr = SERVER_TCP.parse().unwrap();
    let rtp = [0x80u8, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];
    // A's address over UDP (the same IP and port number) names no peer: no Rtc is asked.
    let before = w.sfu.route_probes();
    assert_eq!(
        w.sfu.handle_receive(Transport::Udp, a, server, &rtp, w.now),
        None
    );
    assert_eq!(w.sfu.route_probes(), before);
    // Over TCP it is A's: its Rtc takes it as its own traffic (and drops the bogus packet).
    assert_eq!(
        w.sfu
            .handle_receive(Transport::Tcp, a, server_tcp, &rtp, w.now),
        Some(A)
    );
    assert_eq!(w.sfu.route_probes(), before + 1);
    // Once its connection is gone, nothing from that address is routed until a new check.
    w.sfu.forget_tcp(a);
    assert_eq!(
        w.sfu
            .handle_receive(Transport::Tcp, a, server_tcp, &rtp, w.now),
        None
    );
    assert_eq!(w.sfu.route_probes(), before + 1);
    // The browser's next consent check (every few seconds) makes the address its own again.
    let probes = w.sfu.route_probes();
    let flowing_before = w.c(C).rx_from(A, Kind::Video).frames;
    w.run_for(Duration::from_secs(8));
    assert!(w.sfu.route_probes() > probes);
    assert!(w.c(C).rx_from(A, Kind::Video).frames > flowing_before + 100);
    assert!(w.all_connected());
    assert_eq!(
        w.sfu
            .handle_receive(Transport::Tcp, a, server_tcp, &rtp, w.now),
        Some(A)
    );
}

/// A STUN binding request naming `username`, with an integrity that never verifies.
fn forged_check(username: &str) -> Vec<u8> {
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

#[test]
fn a_forged_check_over_tcp_is_refused_and_teaches_nothing() {
    let mut w = mixed_room();
    let server_tcp: SocketAddr = SERVER_TCP.parse().unwrap();
    let stranger: SocketAddr = "127.0.0.1:50007".parse().unwrap();
    let ufrag = w
        .events
        .iter()
        .rev()
        .find_map(|(_, e)| match e {
            SfuEvent::Offer { peer, sdp, .. } if *peer == A => sdp
                .lines()
                .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
                .map(|u| u.trim().to_string()),
            _ => None,
        })
        .expect("A's ufrag");
    let before = w.sfu.route_probes();
    // The right ufrag, the wrong integrity: A's Rtc is asked and says no.
    assert_eq!(
        w.sfu.handle_receive(
            Transport::Tcp,
            stranger,
            server_tcp,
            &forged_check(&format!("{ufrag}:x")),
            w.now
        ),
        None
    );
    assert_eq!(w.sfu.route_probes(), before + 1);
    // An unknown ufrag asks no one.
    assert_eq!(
        w.sfu.handle_receive(
            Transport::Tcp,
            stranger,
            server_tcp,
            &forged_check("nobody:x"),
            w.now
        ),
        None
    );
    // The stranger's address was not learned.
    let rtp = [0x80u8, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];
    assert_eq!(
        w.sfu
            .handle_receive(Transport::Tcp, stranger, server_tcp, &rtp, w.now),
        None
    );
    assert_eq!(w.sfu.route_probes(), before + 1);
    w.run_for(Duration::from_secs(1));
    assert!(w.all_connected());
}
