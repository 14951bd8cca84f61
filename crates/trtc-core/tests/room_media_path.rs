//! When no media path gets through (UDP blocked, no TCP or TURN that works): a room whose media
//! never connected gives up with ERROR 5501 (FIREWALL_RESTRICTION) after two attempts of 10 s,
//! instead of reconnecting until the 60 s give-up; a room whose media worked once reconnects as
//! for any lost connection.

mod common;

use common::*;
use trtc_core::client::{Event, Input, FIREWALL_RESTRICTION, MEDIA_CONNECT_TIMEOUT_MS};
use trtc_core::error::ErrorCode;
use trtc_core::room::{EnterRoomConfig, IceConfig, IceServer};

fn firewall_error(events: &[Event]) -> Option<trtc_core::error::RtcErrorInfo> {
    events.iter().find_map(|e| match e {
        Event::Error(e) if e.extra_code == Some(FIREWALL_RESTRICTION) => Some(e.clone()),
        _ => None,
    })
}

#[test]
fn media_that_never_connects_gives_up_with_5501_after_two_attempts_and_not_before() {
    let mut w = World::new();
    let alice = w.add("alice");
    w.sims[alice].media_blocked = true;
    w.join(alice, 8);
    w.publish(alice, PUBLISHING);
    // enterRoom resolved (signalling works); the media does not come up.
    w.advance(MEDIA_CONNECT_TIMEOUT_MS - 1.0);
    assert_eq!(
        brief_room(&w.sims[alice].events)[2..4],
        [
            "publish audio stopped->starting",
            "publish video stopped->starting"
        ]
    );
    assert!(w.sims[alice].client.is_joined(), "still waiting at 9.999 s");
    w.advance(1.0);
    // First attempt over: a fresh join.
    assert_eq!(w.sims[alice].connects.len(), 2);
    assert!(w.sims[alice].client.is_joined());
    assert!(firewall_error(&w.sims[alice].events).is_none());
    w.advance(MEDIA_CONNECT_TIMEOUT_MS - 1.0);
    assert!(
        firewall_error(&w.sims[alice].events).is_none(),
        "not before 20 s"
    );
    w.advance(1.0);
    let err = firewall_error(&w.sims[alice].events).expect("5501 at 20 s");
    assert_eq!(err.code, ErrorCode::OperationFailed);
    assert!(
        err.message.contains(
            "directly over UDP (the server offered no TCP), with no TURN relay configured"
        ),
        "{}",
        err.message
    );
    assert!(err.message.contains("proxy.turnServer"), "{}", err.message);
    assert!(!w.sims[alice].client.in_room());
    let tail = brief_room(&w.sims[alice].events);
    assert_eq!(
        tail[tail.len() - 2..],
        ["state CONNECTED->DISCONNECTED", "error Some(5501)"]
    );
    // It does not loop: nothing more happens.
    let n = w.sims[alice].events.len();
    w.advance(120_000.0);
    assert_eq!(w.sims[alice].events.len(), n);
    assert_eq!(w.sims[alice].connects.len(), 2);
}

#[test]
fn the_message_says_tcp_was_tried_when_the_server_offered_it() {
    let mut w = World::new();
    w.offer_sdp =
        "v=0\r\na=candidate:1 1 tcp 2105524479 127.0.0.1 9000 typ host tcptype passive\r\n".into();
    let alice = w.add("alice");
    w.sims[alice].media_blocked = true;
    w.join(alice, 8);
    w.publish(alice, PUBLISHING);
    w.advance(2.0 * MEDIA_CONNECT_TIMEOUT_MS + 1.0);
    let err = firewall_error(&w.sims[alice].events).expect("5501");
    assert!(
        err.message.contains("directly over UDP and TCP"),
        "{}",
        err.message
    );
}

#[test]
fn a_room_with_nothing_to_send_or_receive_needs_no_media_connection() {
    let mut w = World::new();
    let alice = w.add("alice");
    w.sims[alice].media_blocked = true;
    w.join(alice, 8);
    w.advance(120_000.0);
    assert!(
        w.sims[alice].client.is_joined(),
        "alone and not publishing: no offer, no deadline"
    );
    assert!(firewall_error(&w.sims[alice].events).is_none());
    assert_eq!(w.sims[alice].connects.len(), 1);
}

#[test]
fn a_second_attempt_that_connects_is_a_working_room() {
    let mut w = World::new();
    let alice = w.add("alice");
    w.sims[alice].media_blocked = true;
    w.join(alice, 8);
    w.publish(alice, PUBLISHING);
    w.advance(MEDIA_CONNECT_TIMEOUT_MS - 100.0);
    w.sims[alice].media_blocked = false;
    w.advance(200.0);
    w.advance(60_000.0);
    assert!(w.sims[alice].client.is_joined());
    assert!(firewall_error(&w.sims[alice].events).is_none());
}

#[test]
fn media_that_worked_once_reconnects_instead() {
    let mut w = World::new();
    let alice = w.add("alice");
    let bob = w.add("bob");
    w.join(alice, 8);
    w.join(bob, 8);
    w.publish(alice, PUBLISHING);
    w.advance(5_000.0);
    // The network changes: media no longer gets through, the browser says so.
    w.sims[alice].media_blocked = true;
    let conn = w.sims[alice].client.joined_conn().unwrap();
    w.input(alice, Input::MediaFailed(conn));
    w.advance(45_000.0);
    assert!(
        firewall_error(&w.sims[alice].events).is_none(),
        "no 5501 for a room whose media worked"
    );
    assert!(
        w.sims[alice].client.in_room(),
        "still trying (5502 comes at 60 s)"
    );
    w.sims[alice].media_blocked = false;
    w.advance(10_000.0);
    assert!(w.sims[alice].client.is_joined());
    assert_eq!(w.sims[bob].client.remote_users(), ["alice"]);
}

#[test]
fn media_that_stays_down_gives_up_with_5502_after_the_reconnect_timeout() {
    let mut w = World::new();
    let alice = w.add("alice");
    w.join(alice, 8);
    w.publish(alice, PUBLISHING);
    w.advance(1_000.0);
    w.sims[alice].media_blocked = true;
    let conn = w.sims[alice].client.joined_conn().unwrap();
    w.input(alice, Input::MediaFailed(conn));
    w.advance(59_000.0);
    assert!(w.sims[alice].client.in_room());
    w.advance(12_000.0);
    assert!(
        !w.sims[alice].client.in_room(),
        "not joining again for ever"
    );
    assert_eq!(
        brief_room(&w.sims[alice].events).last().unwrap(),
        "error Some(5502)"
    );
}

fn turn() -> trtc_server::room::Turn {
    trtc_server::room::Turn {
        urls: vec!["turn:127.0.0.1:3478?transport=tcp".into()],
        secret: "north".into(),
        ttl_secs: 3600,
    }
}

#[test]
fn the_servers_turn_relays_are_used_when_the_app_configured_none() {
    let mut w = World::new();
    w.registry.set_turn(Some(turn()));
    let alice = w.add("alice");
    w.join(alice, 8);
    let ice = &w.sims[alice].ice;
    assert_eq!(ice.len(), 2, "{ice:?}");
    assert_eq!(ice[0], ("connect", IceConfig::default()));
    let (what, set) = &ice[1];
    assert_eq!(*what, "set");
    assert_eq!(set.servers.len(), 1);
    assert_eq!(set.servers[0].urls, turn().urls);
    // coturn's scheme: expiry:userId, the expiry ttl_secs after the join.
    let (expiry, user) = set.servers[0].username.split_once(':').unwrap();
    assert_eq!(user, "alice");
    let expiry: u64 = expiry.parse().unwrap();
    let (_, cred) = trtc_usersig::turn_credential("north", "alice", expiry);
    assert_eq!(set.servers[0].credential, cred);
    assert!(!set.relay_only);
}

#[test]
fn the_apps_own_relays_win_over_the_servers() {
    let mut w = World::new();
    w.registry.set_turn(Some(turn()));
    let alice = w.add("alice");
    let mine = IceConfig {
        servers: vec![IceServer {
            urls: vec!["turn:relay.example:3478".into()],
            username: "u".into(),
            credential: "p".into(),
        }],
        relay_only: true,
    };
    w.join_with(
        alice,
        EnterRoomConfig {
            ice: mine.clone(),
            ..config("alice", 8)
        },
    );
    assert_eq!(w.sims[alice].ice, [("connect", mine)]);
}

#[test]
fn the_5501_message_names_the_relays_tried() {
    let mut w = World::new();
    w.registry.set_turn(Some(turn()));
    let alice = w.add("alice");
    w.sims[alice].media_blocked = true;
    w.join(alice, 8);
    w.publish(alice, PUBLISHING);
    w.advance(2.0 * MEDIA_CONNECT_TIMEOUT_MS + 1.0);
    let err = firewall_error(&w.sims[alice].events).expect("5501");
    assert!(
        err.message
            .contains("and through the TURN relay(s) the server issued"),
        "{}",
        err.message
    );

    let mut w = World::new();
    let bob = w.add("bob");
    w.sims[bob].media_blocked = true;
    w.join_with(
        bob,
        EnterRoomConfig {
            ice: IceConfig {
                servers: vec![],
                relay_only: true,
            },
            ..config("bob", 8)
        },
    );
    w.publish(bob, PUBLISHING);
    w.advance(2.0 * MEDIA_CONNECT_TIMEOUT_MS + 1.0);
    let err = firewall_error(&w.sims[bob].events).expect("5501");
    assert!(
        err.message.contains(
            "only through TURN relays (iceTransportPolicy 'relay'), but none is configured"
        ),
        "{}",
        err.message
    );
}
