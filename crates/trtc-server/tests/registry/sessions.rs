//! Dropped connections: a session resuming silently, timeouts (reason 1), a drop without a session is a leave.

use crate::support::*;

#[test]
fn a_dropped_session_resumes_silently() {
    let mut r = Registry::new(FakeAuth).with_client_timeout(10);
    r.handle(1, session_join("a", 5, "s1"), 100);
    r.handle(
        1,
        ClientMsg::Publish {
            audio: true,
            video: true,
            sub_video: false,
            sub_audio: false,
            small: false,
        },
        100,
    );
    r.handle(2, session_join("b", 5, "s2"), 100);
    let fx = r.detached(1, 101);
    assert_eq!(media(&fx), vec![MediaCmd::RemovePeer { peer: 1 }]);
    assert!(sent(&fx, 2).is_empty(), "b sees nothing while a reconnects");
    // a comes back on connection 3 with the same session: no exit, no enter for b.
    let fx = r.handle(3, session_join("a", 5, "s1"), 104);
    assert!(sent(&fx, 2).is_empty());
    assert!(matches!(&sent(&fx, 3)[0], ServerMsg::Joined { users, .. } if users.len() == 1));
    // b publishes nothing: a gets an SFU peer when it publishes again, not before.
    assert!(media(&fx).is_empty());
    // It republishes: b gets slots for the new connection again.
    let fx = r.handle(
        3,
        ClientMsg::Publish {
            audio: true,
            video: true,
            sub_video: false,
            sub_audio: false,
            small: false,
        },
        104,
    );
    assert!(media(&fx).contains(&MediaCmd::AddPeer { peer: 3 }));
    assert!(media(&fx).contains(&MediaCmd::AddSource {
        subscriber: 2,
        source: 3,
        kind: MediaKind::Video
    }));
    assert_eq!(r.rooms()[0].1, vec!["b".to_string(), "a".to_string()]);
    // Another session with the same userId still kicks.
    let fx = r.handle(4, session_join("a", 5, "other-device"), 105);
    assert_eq!(
        sent(&fx, 3),
        vec![ServerMsg::Kicked {
            reason: "kick".into()
        }]
    );
}

#[test]
fn silent_or_dropped_clients_time_out_with_reason_1() {
    let mut r = Registry::new(FakeAuth).with_client_timeout(10);
    r.handle(1, session_join("a", 5, "s1"), 100);
    r.handle(2, session_join("b", 5, "s2"), 100);
    r.handle(3, session_join("c", 5, "s3"), 100);
    r.detached(1, 102);
    r.handle(2, ClientMsg::Ping { seq: 1 }, 108);
    let fx = r.tick(110);
    // a (dropped) and c (silent) are out; b pinged at 108 and stays.
    assert_eq!(
        sent(&fx, 2),
        vec![
            ServerMsg::UserExit {
                user_id: "a".into(),
                reason: 1
            },
            ServerMsg::UserExit {
                user_id: "c".into(),
                reason: 1
            },
        ]
    );
    assert!(fx.contains(&Effect::Close(3)));
    assert_eq!(r.rooms()[0].1, vec!["b".to_string()]);
    assert!(r.tick(117).is_empty());
    assert_eq!(
        r.tick(118),
        vec![Effect::Close(2)],
        "b times out too (no one left to tell; it had no SFU peer: it never had media)"
    );
    assert!(r.rooms().is_empty());
}

#[test]
fn without_a_session_a_drop_is_a_leave() {
    let mut r = Registry::new(FakeAuth);
    r.handle(1, join("a", RoomId::Num(5)), 0);
    r.handle(2, join("b", RoomId::Num(5)), 0);
    let fx = r.detached(1, 1);
    assert_eq!(
        sent(&fx, 2),
        vec![ServerMsg::UserExit {
            user_id: "a".into(),
            reason: 0
        }]
    );
}
