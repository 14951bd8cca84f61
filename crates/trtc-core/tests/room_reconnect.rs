//! Losing the connection and getting back: a dropped socket, a failed media connection, the
//! server telling the client its media is gone, a network that goes silent, a server restart
//! (the reconcile window), and giving up.

mod common;

use common::*;
use trtc_core::client::{Effect, Input};
use trtc_core::error::ErrorCode;
use trtc_proto::{code, MediaKind, ServerMsg};

/// alice and bob in room 8, both publishing, each receiving the other's audio and video.
fn call() -> (World, usize, usize) {
    let mut w = World::new();
    let alice = w.add("alice");
    let bob = w.add("bob");
    for s in [alice, bob] {
        w.join(s, 8);
        w.publish(s, PUBLISHING);
    }
    for (s, other) in [(alice, "bob"), (bob, "alice")] {
        w.input(
            s,
            Input::RemoteVideo {
                user_id: other.into(),
                on: true,
                kind: trtc_proto::MediaKind::Video,
            },
        );
    }
    assert!(w.forwards(alice, "bob", MediaKind::Video));
    (w, alice, bob)
}

fn receives_everything(w: &World, sim: usize, other: &str) -> bool {
    w.forwards(sim, other, MediaKind::Audio) && w.forwards(sim, other, MediaKind::Video)
}

#[test]
fn a_dropped_socket_reconnects_at_once_and_the_others_see_nothing() {
    let (mut w, alice, bob) = call();
    let (ma, mb) = (w.sims[alice].events.len(), w.sims[bob].events.len());
    w.drop_socket(alice);
    assert_eq!(
        brief(w.sims[alice].events_since(ma)),
        [
            "state CONNECTED->CONNECTING (reconnecting)",
            "quality",
            "state CONNECTING->CONNECTED",
        ],
        "the first attempt is made at once"
    );
    assert!(w.sims[alice].client.is_joined());
    assert!(
        receives_everything(&w, alice, "bob"),
        "subscriptions sent again"
    );
    w.advance(30_000.0);
    assert_eq!(
        brief_room(w.sims[bob].events_since(mb)),
        Vec::<String>::new(),
        "bob sees no exit, no enter, no stream change"
    );
    assert_eq!(
        brief_room(w.sims[alice].events_since(ma))[2..],
        Vec::<String>::new(),
        "alice sees bob's streams stay, and her publishing does not restart"
    );
    // Her media was torn down with the old connection and comes back on the new one.
    let media: Vec<&str> = w.sims[alice].media.iter().map(|m| m.0).collect();
    assert_eq!(media.iter().filter(|m| **m == "show").count(), 2);
}

#[test]
fn a_failed_media_connection_or_the_servers_media_lost_reconnects() {
    for how in ["pc failed", "server says media lost"] {
        let (mut w, alice, bob) = call();
        let mb = w.sims[bob].events.len();
        let conn = w.sims[alice].client.joined_conn().unwrap();
        let input = if how == "pc failed" {
            Input::MediaFailed(conn)
        } else {
            Input::Message(
                conn,
                ServerMsg::Error {
                    code: code::MEDIA_LOST,
                    message: "ICE went silent".into(),
                },
            )
        };
        w.input(alice, input);
        assert!(w.sims[alice].client.is_joined(), "{how}: back");
        assert_ne!(
            w.sims[alice].client.joined_conn(),
            Some(conn),
            "{how}: a new connection"
        );
        assert!(receives_everything(&w, alice, "bob"));
        w.advance(20_000.0);
        assert!(brief_room(w.sims[bob].events_since(mb)).is_empty(), "{how}");
    }
}

#[test]
fn a_silent_network_is_noticed_after_three_missed_answers_and_not_before() {
    let (mut w, alice, bob) = call();
    w.advance(2_000.0); // just after a heartbeat and its answer
    let ma = w.sims[alice].events.len();
    let mb = w.sims[bob].events.len();
    w.block(alice, true);
    w.advance(6_000.0);
    assert!(
        brief_room(w.sims[alice].events_since(ma)).is_empty(),
        "6 s of silence is not yet a lost connection"
    );
    w.advance(2_100.0);
    assert_eq!(
        brief_room(w.sims[alice].events_since(ma)),
        ["state CONNECTED->CONNECTING (reconnecting)"]
    );
    // The attempts cannot get through while the network is down; it comes back 12 s later.
    w.advance(12_000.0);
    assert!(!w.sims[alice].client.is_joined());
    w.block(alice, false);
    w.advance(15_000.0);
    assert!(
        w.sims[alice].client.is_joined(),
        "an attempt after the network returned joins"
    );
    assert!(receives_everything(&w, alice, "bob"));
    assert!(
        brief_room(w.sims[bob].events_since(mb)).is_empty(),
        "back within the server's client timeout: bob saw nothing"
    );
    // NETWORK_QUALITY said 'down' every 2 s while reconnecting.
    let quality = brief(w.sims[alice].events_since(ma))
        .iter()
        .filter(|e| *e == "quality")
        .count();
    assert!(quality >= 10, "{quality}");
}

#[test]
fn a_server_restart_flickers_no_user_and_no_stream() {
    let (mut w, alice, bob) = call();
    let (ma, mb) = (w.sims[alice].events.len(), w.sims[bob].events.len());
    w.restart_server(3_000.0);
    w.advance(20_000.0);
    for (s, other) in [(alice, "bob"), (bob, "alice")] {
        assert!(w.sims[s].client.is_joined());
        assert_eq!(
            brief_room(w.sims[s].events_since([ma, mb][s])),
            [
                "state CONNECTED->CONNECTING (reconnecting)",
                "state CONNECTING->CONNECTED",
            ],
            "{other}'s user and streams stay, no unavailable/available flicker"
        );
        assert!(receives_everything(&w, s, other), "{other} received again");
    }
    // The new tracks replaced the old ones.
    let media: Vec<String> = w.sims[alice]
        .media
        .iter()
        .map(|(m, u)| format!("{m} {u}"))
        .collect();
    assert_eq!(
        media.iter().filter(|m| *m == "show bob").count(),
        2,
        "{media:?}"
    );
}

#[test]
fn after_a_restart_what_does_not_come_back_is_reported_gone_when_the_window_ends() {
    let mut w = World::new();
    let alice = w.add("alice");
    let bob = w.add("bob");
    let carol = w.add("carol");
    for s in [alice, bob, carol] {
        w.join(s, 8);
        w.publish(s, PUBLISHING);
    }
    let ma = w.sims[alice].events.len();
    // carol's network dies with the server; bob comes back without his camera.
    w.block(carol, true);
    w.restart_server(1_000.0);
    w.publish(
        bob,
        trtc_core::client::LocalMedia {
            video: false,
            ..PUBLISHING
        },
    );
    w.advance(5_000.0);
    assert!(w.sims[alice].client.is_joined());
    assert_eq!(
        brief_room(w.sims[alice].events_since(ma)),
        [
            "state CONNECTED->CONNECTING (reconnecting)",
            "state CONNECTING->CONNECTED",
        ],
        "within the window nothing is reported yet"
    );
    w.advance(15_000.0);
    assert_eq!(
        brief_room(w.sims[alice].events_since(ma))[2..],
        [
            "video off bob",
            "video off carol",
            "audio off carol",
            "exit carol 1"
        ]
    );
    assert_eq!(w.sims[alice].client.remote_users(), ["bob"]);
}

#[test]
fn reconnection_gives_up_after_the_timeout_with_5502() {
    let (mut w, alice, _bob) = call();
    let ma = w.sims[alice].events.len();
    w.restart_server(70_000.0);
    let events = brief_room(w.sims[alice].events_since(ma));
    assert_eq!(
        events,
        [
            "state CONNECTED->CONNECTING (reconnecting)",
            "publish audio started->stopped (api-call)",
            "publish video started->stopped (api-call)",
            "state CONNECTING->DISCONNECTED",
            "error Some(5502)",
        ]
    );
    let err = w.sims[alice]
        .events
        .iter()
        .find_map(|e| match e {
            trtc_core::client::Event::Error(e) => Some(e.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(err.code, ErrorCode::OperationFailed);
    assert!(err.message.contains("could not be reached again in time"));
    assert!(!w.sims[alice].client.in_room());
    assert_eq!(w.sims[alice].client.next_wake(), None);
    // Attempts backed off: at once, then 1, 2, 4, 8, 8, … s later, each refused at once, until
    // the 60 s give-up time (the last one right at it).
    let start = w.sims[alice].connects[1];
    let gaps: Vec<f64> = w.sims[alice].connects[1..]
        .windows(2)
        .map(|p| p[1] - p[0])
        .collect();
    assert_eq!(
        &gaps[..6],
        &[1000.0, 2000.0, 4000.0, 8000.0, 8000.0, 8000.0]
    );
    assert_eq!(*w.sims[alice].connects.last().unwrap() - start, 60_000.0);
}

#[test]
fn a_rejoin_the_server_refuses_gives_up_at_once() {
    let (mut w, alice, _bob) = call();
    let ma = w.sims[alice].events.len();
    // The server forgets the app's key: the userSig no longer verifies.
    w.registry = trtc_server::room::Registry::new(trtc_server::room::Apps::new([(
        APP,
        "rotated key".to_string(),
    )]));
    w.drop_socket(alice);
    let events = brief_room(w.sims[alice].events_since(ma));
    assert_eq!(events.last().unwrap(), "error Some(5502)");
    assert!(!w.sims[alice].client.in_room());
}

#[test]
fn inputs_about_an_old_connection_change_nothing() {
    let (mut w, alice, _bob) = call();
    let old = w.sims[alice].client.joined_conn().unwrap();
    w.drop_socket(alice);
    let new = w.sims[alice].client.joined_conn().unwrap();
    assert_ne!(old, new);
    let mark = w.sims[alice].events.len();
    for input in [
        Input::SocketClosed {
            conn: old,
            error: None,
        },
        Input::MediaFailed(old),
        Input::Message(
            old,
            ServerMsg::Kicked {
                reason: "kick".into(),
            },
        ),
        Input::Message(
            old,
            ServerMsg::UserExit {
                user_id: "bob".into(),
                reason: 0,
            },
        ),
    ] {
        w.input(alice, input);
    }
    assert!(w.sims[alice].events_since(mark).is_empty());
    assert_eq!(w.sims[alice].client.joined_conn(), Some(new));
    let mut c = trtc_core::client::RoomClient::new();
    c.handle(Input::SocketOpened(5), 0.0);
    assert_eq!(c.poll(), None::<Effect>);
}
