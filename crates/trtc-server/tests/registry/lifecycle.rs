//! Entering, publishing, muting, subscribing and leaving; room namespaces; one userId per room; refused messages; listing rooms; the real userSig check.

use crate::support::*;

#[test]
fn lifecycle_enter_publish_leave() {
    let mut r = Registry::new(FakeAuth);
    let fx = r.handle(1, join("alice", RoomId::Num(8)), 0);
    assert_eq!(
        sent(&fx, 1),
        vec![ServerMsg::Joined {
            user_id: "alice".into(),
            users: vec![]
        }]
    );
    // No SFU peer yet: nothing to send or receive.
    assert_eq!(media(&fx), vec![]);
    let fx = r.handle(
        1,
        ClientMsg::Publish {
            audio: true,
            video: true,
            sub_video: false,
            sub_audio: false,
            small: false,
        },
        0,
    );
    assert_eq!(
        media(&fx),
        vec![
            MediaCmd::AddPeer { peer: 1 },
            MediaCmd::SetSmall {
                peer: 1,
                small: false
            },
            MediaCmd::SetPublish {
                peer: 1,
                audio: true,
                video: true,
                sub_video: false,
                sub_audio: false,
            }
        ]
    );
    let fx = r.handle(2, join("bob", RoomId::Num(8)), 0);
    assert_eq!(
        sent(&fx, 2),
        vec![ServerMsg::Joined {
            user_id: "bob".into(),
            users: vec![RemoteUser {
                user_id: "alice".into(),
                audio: true,
                video: true,
                sub_video: false,
                sub_audio: false,
            }]
        }]
    );
    assert_eq!(
        sent(&fx, 1),
        vec![ServerMsg::UserEnter {
            user_id: "bob".into()
        }]
    );
    assert_eq!(
        media(&fx),
        vec![
            MediaCmd::AddPeer { peer: 2 },
            MediaCmd::AddSource {
                subscriber: 2,
                source: 1,
                kind: MediaKind::Audio
            },
            MediaCmd::AddSource {
                subscriber: 2,
                source: 1,
                kind: MediaKind::Video
            },
        ]
    );
    // Bob publishes audio: Alice gets a slot and an availability notice.
    let fx = r.handle(
        2,
        ClientMsg::Publish {
            audio: true,
            video: false,
            sub_video: false,
            sub_audio: false,
            small: false,
        },
        0,
    );
    assert!(media(&fx).contains(&MediaCmd::AddSource {
        subscriber: 1,
        source: 2,
        kind: MediaKind::Audio
    }));
    assert_eq!(
        sent(&fx, 1),
        vec![ServerMsg::MediaState {
            user_id: "bob".into(),
            kind: MediaKind::Audio,
            available: true
        }]
    );
    // Mute round trip.
    let fx = r.handle(
        1,
        ClientMsg::Mute {
            kind: MediaKind::Video,
            muted: true,
        },
        0,
    );
    assert_eq!(
        sent(&fx, 2),
        vec![ServerMsg::MediaState {
            user_id: "alice".into(),
            kind: MediaKind::Video,
            available: false
        }]
    );
    let fx = r.handle(
        1,
        ClientMsg::Mute {
            kind: MediaKind::Video,
            muted: true,
        },
        0,
    );
    assert!(fx.is_empty(), "no change, no message");
    // Subscribe by userId.
    let fx = r.handle(
        2,
        ClientMsg::Subscribe {
            user_id: "alice".into(),
            kind: MediaKind::Video,
            on: true,
            small: false,
        },
        0,
    );
    assert_eq!(
        media(&fx),
        vec![
            MediaCmd::SetLayer {
                subscriber: 2,
                source: 1,
                small: false
            },
            MediaCmd::Subscribe {
                subscriber: 2,
                source: 1,
                kind: MediaKind::Video,
                on: true
            }
        ]
    );
    // Alice leaves; the room stays with Bob; Bob leaves; the room is gone.
    let fx = r.handle(1, ClientMsg::Leave, 0);
    assert_eq!(
        sent(&fx, 2),
        vec![ServerMsg::UserExit {
            user_id: "alice".into(),
            reason: 0
        }]
    );
    assert!(fx.contains(&Effect::Close(1)));
    assert_eq!(r.rooms().len(), 1);
    r.disconnected(2, 0);
    assert!(r.rooms().is_empty());
}

#[test]
fn rooms_are_separate_namespaces() {
    let mut r = Registry::new(FakeAuth);
    r.handle(1, join("a", RoomId::Num(123)), 0);
    let fx = r.handle(2, join("b", RoomId::Str("123".into())), 0);
    assert!(
        sent(&fx, 1).is_empty(),
        "no cross-talk between roomId 123 and strRoomId '123'"
    );
    let fx = r.handle(3, join("c", RoomId::Num(124)), 0);
    assert!(sent(&fx, 1).is_empty());
    assert_eq!(r.rooms().len(), 3);
    let fx = r.handle(
        2,
        ClientMsg::Subscribe {
            user_id: "a".into(),
            kind: MediaKind::Audio,
            on: true,
            small: false,
        },
        0,
    );
    assert_eq!(
        sent(&fx, 2)[0],
        ServerMsg::Error {
            code: code::NO_SUCH_USER,
            message: "user 'a' is not in this room".into()
        }
    );
}

#[test]
fn same_user_again_kicks_the_earlier_client() {
    let mut r = Registry::new(FakeAuth);
    r.handle(1, join("a", RoomId::Num(1)), 0);
    r.handle(2, join("b", RoomId::Num(1)), 0);
    let fx = r.handle(3, join("a", RoomId::Num(1)), 0);
    assert_eq!(
        sent(&fx, 1),
        vec![ServerMsg::Kicked {
            reason: "kick".into()
        }]
    );
    assert!(fx.contains(&Effect::Close(1)));
    assert_eq!(
        sent(&fx, 2),
        vec![
            ServerMsg::UserExit {
                user_id: "a".into(),
                reason: 2
            },
            ServerMsg::UserEnter {
                user_id: "a".into()
            }
        ]
    );
    assert_eq!(r.rooms()[0].1, vec!["b".to_string(), "a".to_string()]);
}

#[test]
fn refused_messages_change_nothing() {
    let mut r = Registry::new(FakeAuth);
    let rows: Vec<(ClientMsg, i64)> = vec![
        (
            ClientMsg::Publish {
                audio: true,
                video: true,
                sub_video: false,
                sub_audio: false,
                small: false,
            },
            code::NOT_JOINED,
        ),
        (ClientMsg::Leave, code::NOT_JOINED),
    ];
    for (msg, want) in rows {
        let fx = r.handle(1, msg, 0);
        assert!(matches!(&sent(&fx, 1)[0], ServerMsg::Error { code, .. } if *code == want));
    }
    let mut bad = join("a", RoomId::Num(1));
    if let ClientMsg::Join(j) = &mut bad {
        j.user_sig = "forged".into();
    }
    let fx = r.handle(1, bad, 0);
    assert!(
        matches!(&sent(&fx, 1)[0], ServerMsg::JoinFailed { code, .. } if *code == code::USER_SIG_INVALID)
    );
    for room in [
        RoomId::Num(0),
        RoomId::Str("café".into()),
        RoomId::Str(String::new()),
    ] {
        let fx = r.handle(1, join("a", room), 0);
        assert!(
            matches!(&sent(&fx, 1)[0], ServerMsg::JoinFailed { code, .. } if *code == code::BAD_ROOM)
        );
    }
    let mut old = join("a", RoomId::Num(1));
    if let ClientMsg::Join(j) = &mut old {
        j.version = 99;
    }
    let fx = r.handle(1, old, 0);
    assert!(
        matches!(&sent(&fx, 1)[0], ServerMsg::JoinFailed { code, .. } if *code == code::VERSION_MISMATCH)
    );
    assert!(r.rooms().is_empty() && !r.is_joined(1));
    r.handle(1, join("a", RoomId::Num(1)), 0);
    let fx = r.handle(1, join("a", RoomId::Num(2)), 0);
    assert!(
        matches!(&sent(&fx, 1)[0], ServerMsg::Error { code, .. } if *code == code::ALREADY_JOINED)
    );
    assert_eq!(r.rooms().len(), 1);
}

#[test]
fn rooms_of_one_app() {
    let mut r = scene();
    let mut other = join("z", RoomId::Num(8));
    if let ClientMsg::Join(j) = &mut other {
        j.sdk_app_id = 2;
    }
    r.handle(6, other, 0);
    assert_eq!(
        r.rooms_of(1),
        vec![
            (RoomId::Num(8), vec!["a".into(), "b".into(), "c".into()]),
            (RoomId::Num(9), vec!["e".into()]),
            (RoomId::Str("8".into()), vec!["d".into()]),
        ]
    );
    assert_eq!(r.rooms_of(2), vec![(RoomId::Num(8), vec!["z".into()])]);
    assert!(r.rooms_of(3).is_empty());
}

#[test]
fn real_usersig_check() {
    let apps = Apps::new([(1400000001, "secret".to_string())]);
    let now = 1_800_000_000;
    let sig = trtc_usersig::sign(1400000001, "secret", "alice", 3600, now);
    assert!(apps.check(1400000001, "alice", &sig, now + 10).is_ok());
    let rows = [
        (
            1400000001,
            "bob",
            sig.clone(),
            now,
            trtc_usersig::code::WRONG_USER as i64,
        ),
        (1400000002, "alice", sig.clone(), now, code::UNKNOWN_APP),
        (
            1400000001,
            "alice",
            sig.clone(),
            now + 7200,
            trtc_usersig::code::EXPIRED as i64,
        ),
        (
            1400000001,
            "alice",
            "garbage".to_string(),
            now,
            code::USER_SIG_INVALID,
        ),
    ];
    for (app, user, s, t, want) in rows {
        let (got, msg) = apps.check(app, user, &s, t).unwrap_err();
        assert_eq!(got, want, "{msg}");
    }
}
