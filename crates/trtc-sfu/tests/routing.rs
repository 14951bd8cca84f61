//! Datagrams are routed in O(1): STUN by the SFU's own ICE ufrag (the local part of USERNAME),
//! everything else by the source address a peer's accepted checks came from. A datagram that
//! names no peer is dropped without any peer's `Rtc` being asked (`Sfu::route_probes`).

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::World;
use trtc_sfu::{Kind, PeerId, SfuEvent};

const A: PeerId = 1;
const PEERS: PeerId = 8;

/// A publishes, every other peer subscribes to it; all connected, media flowing.
fn room() -> World {
    let mut w = World::new();
    for p in 1..=PEERS {
        w.join(p);
    }
    w.sfu.set_publish(A, true, true, w.now);
    for p in 2..=PEERS {
        w.add_sources(p, A);
        w.subscribe(p, A, Kind::Audio, true);
        w.subscribe(p, A, Kind::Video, true);
    }
    assert!(w.run_until(Duration::from_secs(5), World::all_connected));
    w.run_for(Duration::from_millis(300));
    w
}

/// The SFU's ICE ufrag for `peer`, from the last offer it made it.
fn sfu_ufrag(w: &World, peer: PeerId) -> String {
    w.events
        .iter()
        .rev()
        .find_map(|(_, e)| match e {
            SfuEvent::Offer { peer: p, sdp, .. } if *p == peer => sdp
                .lines()
                .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
                .map(|u| u.trim().to_string()),
            _ => None,
        })
        .expect("an offer with a=ice-ufrag")
}

/// A STUN binding request (RFC 5389) with these attributes; MESSAGE-INTEGRITY, if any, is
/// whatever the caller puts in (so it never verifies).
fn stun(attrs: &[(u16, &[u8])]) -> Vec<u8> {
    let mut body = vec![];
    for (kind, value) in attrs {
        body.extend(kind.to_be_bytes());
        body.extend((value.len() as u16).to_be_bytes());
        body.extend(*value);
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

fn check(username: &str) -> Vec<u8> {
    stun(&[
        (0x0024, &[0x6e, 0, 1, 0xff]),
        (0x0006, username.as_bytes()),
        (0x0008, &[0xab; 20]),
        (0x8028, &[0, 0, 0, 0]),
    ])
}

#[test]
fn connecting_and_forwarding_ask_one_peer_per_datagram() {
    let w = room();
    let probes = w.sfu.route_probes();
    assert!(probes > 0);
    // Every STUN check of every browser went to its own peer only (trying every peer would
    // have asked up to 8 per check).
    assert!(
        probes <= w.datagrams_to_sfu,
        "{probes} probes for {} datagrams",
        w.datagrams_to_sfu
    );
    assert!(w.c(PEERS).rx_from(A, Kind::Video).frames > 0);
}

#[test]
fn stun_from_an_unknown_address_asks_only_the_peer_its_ufrag_names() {
    let mut w = room();
    let stranger: SocketAddr = "127.0.0.1:50001".parse().unwrap();
    let server = w.server;
    for target in [A, 5, PEERS] {
        let ufrag = sfu_ufrag(&w, target);
        let before = w.sfu.route_probes();
        w.sfu
            .handle_datagram(stranger, server, &check(&format!("{ufrag}:browser")), w.now);
        assert_eq!(w.sfu.route_probes(), before + 1, "peer {target} alone");
    }
    // The forged checks (no valid integrity) changed nothing.
    w.run_for(Duration::from_millis(500));
    assert!(w.all_connected());
    assert!(w.disconnected(5).is_none());
}

#[test]
fn datagrams_that_name_no_peer_ask_none() {
    let mut w = room();
    let stranger: SocketAddr = "127.0.0.1:50002".parse().unwrap();
    let known = w.c(3).addr;
    let server = w.server;
    let gone = PEERS;
    let gone_ufrag = sfu_ufrag(&w, gone);
    w.sfu.remove_peer(gone);
    w.clients.remove(&gone);
    w.settle();
    let a_ufrag = sfu_ufrag(&w, A);

    let mut bad: Vec<Vec<u8>> = vec![
        vec![],
        vec![0],
        check("nobody:browser"),
        check(&format!("{gone_ufrag}:browser")),
        // Our ufrag as the remote part does not route.
        check(&format!("browser:{a_ufrag}")),
        // No colon, empty local part, no USERNAME at all.
        check(&a_ufrag),
        check(&format!(":{a_ufrag}")),
        stun(&[(0x0024, &[0, 0, 0, 1])]),
        // USERNAME longer than the message.
        {
            let mut m = check(&format!("{a_ufrag}:browser"));
            m.truncate(30);
            m
        },
    ];
    let mut x = 7u64;
    for first in [0u8, 1, 2, 3, 20, 22, 63, 64, 128, 144, 200, 255] {
        for len in [1usize, 4, 20, 21, 28, 100, 1200] {
            bad.push(
                (0..len)
                    .map(|i| {
                        x = x
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        if i == 0 {
                            first
                        } else {
                            (x >> 56) as u8
                        }
                    })
                    .collect(),
            );
        }
    }

    let before = w.sfu.route_probes();
    for data in &bad {
        w.sfu.handle_datagram(stranger, server, data, w.now);
    }
    assert_eq!(w.sfu.route_probes(), before, "from an unknown address");
    // From a peer's own address, STUN still goes by ufrag: unknown ones ask nobody.
    for data in bad.iter().filter(|d| d.first().is_some_and(|b| *b < 4)) {
        w.sfu.handle_datagram(known, server, data, w.now);
    }
    assert_eq!(w.sfu.route_probes(), before, "STUN from a known address");

    w.run_for(Duration::from_millis(500));
    assert!(w.all_connected());
    let frames = w.c(3).rx_from(A, Kind::Audio).frames;
    w.run_for(Duration::from_millis(200));
    assert!(w.c(3).rx_from(A, Kind::Audio).frames > frames);
}
