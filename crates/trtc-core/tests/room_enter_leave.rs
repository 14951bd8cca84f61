//! enterRoom / exitRoom through the server's registry: events on both sides, what is received,
//! and every way an enterRoom can fail.

mod common;

use common::*;
use trtc_core::client::{Effect, Event, ExitCause, Input, LocalMedia, RoomClient, Target};
use trtc_core::error::ErrorCode;
use trtc_proto::{ClientMsg, MediaKind, RemoteUser, ServerMsg, TrackSlot};

#[test]
fn two_users_enter_see_each_other_and_leave() {
    let mut w = World::new();
    let alice = w.add("alice");
    let bob = w.add("bob");
    w.join(alice, 8);
    w.publish(alice, PUBLISHING);
    assert_eq!(
        brief_room(&w.sims[alice].events),
        [
            "state DISCONNECTED->CONNECTING",
            "state CONNECTING->CONNECTED",
            "publish audio stopped->starting",
            "publish video stopped->starting",
            "publish audio starting->started",
            "publish video starting->started",
        ]
    );

    w.join(bob, 8);
    assert_eq!(
        brief_room(&w.sims[bob].events),
        [
            "state DISCONNECTED->CONNECTING",
            "state CONNECTING->CONNECTED",
            "enter alice",
            "audio on alice",
            "video on alice",
        ]
    );
    assert_eq!(brief_room(&w.sims[alice].events)[6..], ["enter bob"]);
    // Audio is received and played by itself; video only once the app renders it.
    assert!(w.forwards(bob, "alice", MediaKind::Audio));
    assert!(!w.forwards(bob, "alice", MediaKind::Video));
    assert_eq!(w.sims[bob].media, [("play", "alice".to_string())]);
    w.input(
        bob,
        Input::RemoteVideo {
            user_id: "alice".into(),
            on: true,
            kind: trtc_proto::MediaKind::Video,
        },
    );
    assert!(w.forwards(bob, "alice", MediaKind::Video));
    assert_eq!(w.sims[bob].media[1], ("show", "alice".to_string()));

    let mark = w.sims[bob].events.len();
    let op = w.exit(alice);
    assert_eq!(w.sims[alice].result(op), Some(&Ok(())));
    assert_eq!(
        brief_room(&w.sims[alice].events)[7..],
        [
            "publish audio started->stopped (api-call)",
            "publish video started->stopped (api-call)",
            "state CONNECTED->DISCONNECTED",
        ]
    );
    assert_eq!(
        brief_room(w.sims[bob].events_since(mark)),
        ["video off alice", "audio off alice", "exit alice 0"]
    );
    assert_eq!(w.sims[bob].media[2], ("forget", "alice".to_string()));
    assert!(!w.sims[alice].client.in_room());
    assert_eq!(w.sims[bob].client.remote_users(), Vec::<String>::new());

    // And again: the same instance can enter once more.
    w.join(alice, 8);
    assert_eq!(w.sims[alice].client.remote_users(), ["bob"]);
}

#[test]
fn exit_when_not_in_a_room_resolves_and_says_nothing() {
    let mut w = World::new();
    let alice = w.add("alice");
    let op = w.exit(alice);
    assert_eq!(w.sims[alice].result(op), Some(&Ok(())));
    assert!(w.sims[alice].events.is_empty());
}

#[test]
fn a_refused_usersig_rejects_with_the_server_code() {
    let mut w = World::new();
    let alice = w.add("alice");
    let mut c = config("alice", 8);
    c.user_sig = trtc_usersig::sign(APP, "another key", "alice", 86_400, 1_790_000_000);
    let op = w.enter(alice, c);
    let err = w.sims[alice].result(op).unwrap().clone().unwrap_err();
    assert_eq!(err.code, ErrorCode::ServerError);
    assert_eq!(err.extra_code, Some(-100018));
    assert_eq!(err.function_name, "enterRoom");
    assert!(
        err.message.starts_with("enterRoom() failed:"),
        "{}",
        err.message
    );
    assert_eq!(
        brief(&w.sims[alice].events),
        [
            "state DISCONNECTED->CONNECTING",
            "state CONNECTING->DISCONNECTED"
        ]
    );
    assert!(!w.sims[alice].client.in_room());
}

#[test]
fn a_server_that_is_not_there_rejects_at_once() {
    let mut w = World::new();
    let alice = w.add("alice");
    w.server_down = true;
    let op = w.enter(alice, config("alice", 8));
    let err = w.sims[alice].result(op).unwrap().clone().unwrap_err();
    assert_eq!(err.code, ErrorCode::OperationFailed);
    assert!(err
        .message
        .contains("cannot reach the signalling server at ws://server/trtc/ws"));
}

#[test]
fn a_server_that_never_answers_times_out_after_ten_seconds_and_not_before() {
    let mut w = World::new();
    let alice = w.add("alice");
    w.block(alice, true);
    let op = w.enter(alice, config("alice", 8));
    w.advance(9_999.0);
    assert_eq!(w.sims[alice].result(op), None, "still waiting at 9.999 s");
    w.advance(1.0);
    let err = w.sims[alice].result(op).unwrap().clone().unwrap_err();
    assert_eq!(err.code, ErrorCode::OperationFailed);
    assert!(err.message.contains("within 10 s"), "{}", err.message);
    assert_eq!(w.sims[alice].client.next_wake(), None, "no timer left");
}

#[test]
fn a_bad_url_rejects_as_a_parameter_error_and_reports_no_state() {
    let mut c = RoomClient::new();
    c.handle(
        Input::Enter {
            op: 1,
            config: config("alice", 8),
            url: "nonsense".into(),
            session: "s".into(),
            give_up_ms: 60_000.0,
        },
        0.0,
    );
    // The glue fails to create the socket while carrying out Connect.
    let Some(Effect::Connect { conn, .. }) = c.poll() else {
        panic!("connect first");
    };
    c.handle(
        Input::SocketClosed {
            conn,
            error: Some("SyntaxError".into()),
        },
        0.0,
    );
    let rest: Vec<Effect> = std::iter::from_fn(|| c.poll()).collect();
    let settle = rest
        .iter()
        .find_map(|e| match e {
            Effect::Settle { result, .. } => Some(result.clone()),
            _ => None,
        })
        .unwrap();
    let err = settle.unwrap_err();
    assert_eq!(
        (err.code, err.extra_code),
        (ErrorCode::InvalidParameter, Some(5002))
    );
    assert!(err
        .message
        .contains("'nonsense' is not a valid WebSocket URL"));
    assert!(
        !rest.iter().any(|e| matches!(e, Effect::Emit(_))),
        "CONNECTING was never delivered, so no state change is reported: {rest:?}"
    );
}

#[test]
fn enter_twice_is_a_repeat_call_and_changes_nothing() {
    let mut w = World::new();
    let alice = w.add("alice");
    w.join(alice, 8);
    let before = w.sims[alice].events.len();
    let op = w.enter(alice, config("alice", 9));
    let err = w.sims[alice].result(op).unwrap().clone().unwrap_err();
    assert_eq!(
        (err.code, err.extra_code),
        (ErrorCode::InvalidOperation, Some(5104))
    );
    assert_eq!(w.sims[alice].events.len(), before);
    assert!(w.sims[alice].client.is_joined());
}

#[test]
fn exit_or_destroy_while_entering_rejects_the_enter() {
    for (cause, code) in [
        (ExitCause::Api, ErrorCode::OperationAbort),
        (ExitCause::Destroy, ErrorCode::InvalidOperation),
    ] {
        let mut w = World::new();
        let alice = w.add("alice");
        w.block(alice, true);
        let op = w.enter(alice, config("alice", 8));
        w.advance(100.0);
        w.input(alice, Input::Exit { op: None, cause });
        let err = w.sims[alice].result(op).unwrap().clone().unwrap_err();
        assert_eq!(err.code, code, "{cause:?}");
        assert_eq!(
            brief(&w.sims[alice].events),
            [
                "state DISCONNECTED->CONNECTING",
                "state CONNECTING->DISCONNECTED"
            ]
        );
        w.advance(20_000.0);
        assert_eq!(w.sims[alice].settled.len(), 1, "settled once");
    }
}

#[test]
fn the_same_user_entering_elsewhere_kicks_the_first() {
    let mut w = World::new();
    let first = w.add("alice");
    let second = w.add("alice");
    let bob = w.add("bob");
    w.join(first, 8);
    w.publish(first, PUBLISHING);
    w.join(bob, 8);
    w.join(second, 8);
    assert_eq!(
        brief_room(&w.sims[first].events)[6..],
        [
            "enter bob",
            "publish audio started->stopped (api-call)",
            "publish video started->stopped (api-call)",
            "state CONNECTED->DISCONNECTED",
            "kicked kick",
        ]
    );
    assert!(!w.sims[first].client.in_room());
    assert!(w.sims[second].client.is_joined());
    assert_eq!(w.sims[bob].client.remote_users(), ["alice"]);
}

/// A handler that leaves the room while the room's other events wait sees none of them.
#[test]
fn leaving_from_a_handler_drops_the_rest_of_the_rooms_events() {
    let mut c = RoomClient::new();
    c.handle(
        Input::Enter {
            op: 1,
            config: config("alice", 8),
            url: "ws://s".into(),
            session: "s".into(),
            give_up_ms: 60_000.0,
        },
        0.0,
    );
    c.handle(Input::SocketOpened(1), 0.0);
    let users = ["bob", "carol"]
        .map(|u| RemoteUser {
            user_id: u.into(),
            audio: true,
            video: true,
            sub_video: false,
            sub_audio: false,
        })
        .to_vec();
    c.handle(
        Input::Message(
            1,
            ServerMsg::Joined {
                user_id: "alice".into(),
                users,
            },
        ),
        0.0,
    );
    // Take effects until bob's entry is delivered, then leave as its handler would.
    loop {
        match c.poll() {
            Some(Effect::Emit(Event::UserEnter(u))) if u == "bob" => break,
            Some(_) => {}
            None => panic!("bob entered"),
        }
    }
    c.handle(
        Input::Exit {
            op: Some(2),
            cause: ExitCause::Api,
        },
        1.0,
    );
    let rest: Vec<Effect> = std::iter::from_fn(|| c.poll()).collect();
    let events: Vec<&Event> = rest
        .iter()
        .filter_map(|e| match e {
            Effect::Emit(ev) => Some(ev),
            _ => None,
        })
        .collect();
    assert_eq!(
        brief(&events.into_iter().cloned().collect::<Vec<_>>()),
        ["state CONNECTED->DISCONNECTED"]
    );
    assert!(rest.contains(&Effect::Send {
        conn: 1,
        msg: ClientMsg::Leave
    }));
    assert!(rest.contains(&Effect::Settle {
        op: 2,
        result: Ok(())
    }));
}

/// One offer is applied at a time; the next waits for the answer to the first.
#[test]
fn offers_are_applied_one_at_a_time_in_order() {
    let mut c = RoomClient::new();
    c.handle(
        Input::Enter {
            op: 1,
            config: config("alice", 8),
            url: "ws://s".into(),
            session: "s".into(),
            give_up_ms: 60_000.0,
        },
        0.0,
    );
    c.handle(Input::SocketOpened(1), 0.0);
    c.handle(
        Input::Message(
            1,
            ServerMsg::Joined {
                user_id: "alice".into(),
                users: vec![],
            },
        ),
        0.0,
    );
    c.handle(Input::Local(PUBLISHING), 0.0);
    while c.poll().is_some() {}
    let offer = |n: &str| ServerMsg::Offer {
        sdp: n.into(),
        slots: vec![TrackSlot {
            mid: "0".into(),
            user_id: None,
            kind: MediaKind::Audio,
        }],
    };
    c.handle(Input::Message(1, offer("one")), 1.0);
    c.handle(Input::Message(1, offer("two")), 1.0);
    let applies = |fx: &[Effect]| -> Vec<String> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::ApplyOffer { sdp, .. } => Some(sdp.clone()),
                _ => None,
            })
            .collect()
    };
    let fx: Vec<Effect> = std::iter::from_fn(|| c.poll()).collect();
    assert_eq!(applies(&fx), ["one"]);
    c.handle(
        Input::OfferApplied {
            conn: 1,
            answer: Ok("answer one".into()),
        },
        2.0,
    );
    let fx: Vec<Effect> = std::iter::from_fn(|| c.poll()).collect();
    let answer_at = fx
        .iter()
        .position(|e| {
            matches!(
                e,
                Effect::Send {
                    msg: ClientMsg::Answer { .. },
                    ..
                }
            )
        })
        .unwrap();
    let apply_at = fx
        .iter()
        .position(|e| matches!(e, Effect::ApplyOffer { .. }))
        .unwrap();
    assert!(
        answer_at < apply_at,
        "the answer goes before the next offer"
    );
    assert_eq!(applies(&fx), ["two"]);
    // A failed negotiation moves on to the next offer without answering.
    c.handle(Input::Message(1, offer("three")), 3.0);
    c.handle(
        Input::OfferApplied {
            conn: 1,
            answer: Err("setRemoteDescription failed".into()),
        },
        3.0,
    );
    let fx: Vec<Effect> = std::iter::from_fn(|| c.poll()).collect();
    assert!(!fx.iter().any(|e| matches!(
        e,
        Effect::Send {
            msg: ClientMsg::Answer { .. },
            ..
        }
    )));
    assert_eq!(applies(&fx), ["three"]);
    // An answer for a connection that is not the room's changes nothing.
    c.handle(
        Input::OfferApplied {
            conn: 99,
            answer: Ok("x".into()),
        },
        4.0,
    );
    assert_eq!(c.poll(), None);
}

#[test]
fn remote_audio_follows_mute_and_auto_receive() {
    let mut w = World::new();
    let alice = w.add("alice");
    let bob = w.add("bob");
    w.join(alice, 8);
    w.publish(alice, PUBLISHING);
    let mut c = config("bob", 8);
    c.auto_receive_audio = false;
    let op = w.enter(bob, c);
    assert_eq!(w.sims[bob].result(op), Some(&Ok(())));
    assert!(
        !w.forwards(bob, "alice", MediaKind::Audio),
        "autoReceiveAudio: false"
    );
    w.input(
        bob,
        Input::MuteRemoteAudio {
            target: Target::User("alice".into()),
            mute: false,
        },
    );
    assert!(
        w.forwards(bob, "alice", MediaKind::Audio),
        "unmuted: received"
    );
    w.input(
        bob,
        Input::MuteRemoteAudio {
            target: Target::All,
            mute: true,
        },
    );
    assert!(!w.forwards(bob, "alice", MediaKind::Audio), "muted '*'");
    assert!(w.sims[bob].client.audio_muted("alice"));
    // The intent holds when alice publishes again.
    w.publish(alice, LocalMedia::default());
    w.publish(alice, PUBLISHING);
    assert!(!w.forwards(bob, "alice", MediaKind::Audio));
}

#[test]
fn stop_remote_video_stops_receiving_it() {
    let mut w = World::new();
    let alice = w.add("alice");
    let bob = w.add("bob");
    w.join(alice, 8);
    w.publish(alice, PUBLISHING);
    w.join(bob, 8);
    for on in [true, false, true] {
        w.input(
            bob,
            Input::RemoteVideo {
                user_id: "alice".into(),
                on,
                kind: trtc_proto::MediaKind::Video,
            },
        );
        assert_eq!(w.forwards(bob, "alice", MediaKind::Video), on);
    }
    // A new video track (alice publishes again) is shown at once: the app still renders it.
    let shows = |w: &World| w.sims[bob].media.iter().filter(|m| m.0 == "show").count();
    let before = shows(&w);
    w.publish(
        alice,
        LocalMedia {
            video: false,
            ..PUBLISHING
        },
    );
    w.publish(alice, PUBLISHING);
    assert_eq!(shows(&w), before + 1);
    assert!(w.forwards(bob, "alice", MediaKind::Video));
}
