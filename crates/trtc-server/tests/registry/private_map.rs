//! privateMapKey: a key's room binding and privilege bits decide what a user may do; no key, no
//! limits, unless the server requires one.

use crate::support::*;
use trtc_usersig::private_map::{userbuf, PrivateRoom};

const APP: u64 = 1;
const KEY: &str = "k";
const NOW: u64 = 1_800_000_000;

fn registry() -> Registry<Apps> {
    Registry::new(Apps::new([(APP, KEY.to_string())]))
}

fn pmk(user: &str, room: PrivateRoom, bits: u32) -> String {
    let buf = userbuf(user, APP as u32, &room, (NOW + 300) as u32, bits);
    trtc_usersig::sign_with_userbuf(APP, KEY, user, 86_400, NOW, &buf)
}

fn join_with(user: &str, room: RoomId, key: Option<String>) -> ClientMsg {
    ClientMsg::Join(Join {
        version: PROTOCOL_VERSION,
        sdk_app_id: APP,
        user_id: user.into(),
        user_sig: trtc_usersig::sign(APP, KEY, user, 86_400, NOW),
        room,
        scene: Scene::Live,
        role: Role::Anchor,
        session: None,
        private_map_key: key,
    })
}

fn refused(fx: &[Effect], c: ClientId) -> Option<(i64, String)> {
    sent(fx, c).into_iter().find_map(|m| match m {
        ServerMsg::JoinFailed { code, message }
        | ServerMsg::Error { code, message }
        | ServerMsg::PublishRefused { code, message }
        | ServerMsg::RoleRefused { code, message }
        | ServerMsg::SubscribeRefused { code, message, .. } => Some((code, message)),
        _ => None,
    })
}

#[test]
fn the_key_binds_the_room_and_enter_and_create_rights() {
    let mut r = registry();
    // All rights, right room.
    let fx = r.handle(
        1,
        join_with(
            "alice",
            RoomId::Num(8),
            Some(pmk("alice", PrivateRoom::Num(8), 255)),
        ),
        NOW,
    );
    assert!(matches!(sent(&fx, 1)[0], ServerMsg::Joined { .. }));
    // Another room.
    let fx = r.handle(
        2,
        join_with(
            "bob",
            RoomId::Num(9),
            Some(pmk("bob", PrivateRoom::Num(8), 255)),
        ),
        NOW,
    );
    let (code, msg) = refused(&fx, 2).unwrap();
    assert_eq!(code, code::PRIVILEGE);
    assert!(msg.contains("for roomId 8, not for"), "{msg}");
    // A string room key for a numeric room.
    let fx = r.handle(
        3,
        join_with(
            "bob",
            RoomId::Num(8),
            Some(pmk("bob", PrivateRoom::Str("8".into()), 255)),
        ),
        NOW,
    );
    assert_eq!(refused(&fx, 3).unwrap().0, code::PRIVILEGE);
    // Enter without create: an existing room yes, a new one no.
    let fx = r.handle(
        4,
        join_with(
            "carol",
            RoomId::Num(8),
            Some(pmk("carol", PrivateRoom::Num(8), 2 | 8 | 32)),
        ),
        NOW,
    );
    assert!(matches!(sent(&fx, 4)[0], ServerMsg::Joined { .. }));
    let fx = r.handle(
        5,
        join_with(
            "dave",
            RoomId::Num(10),
            Some(pmk("dave", PrivateRoom::Num(10), 2)),
        ),
        NOW,
    );
    let (_, msg) = refused(&fx, 5).unwrap();
    assert!(msg.contains("create the room"), "{msg}");
    // No enter right.
    let fx = r.handle(
        6,
        join_with(
            "erin",
            RoomId::Num(8),
            Some(pmk("erin", PrivateRoom::Num(8), 1)),
        ),
        NOW,
    );
    assert!(refused(&fx, 6).unwrap().1.contains("enter the room"));
    // Someone else's key.
    let fx = r.handle(
        7,
        join_with(
            "fred",
            RoomId::Num(8),
            Some(pmk("alice", PrivateRoom::Num(8), 255)),
        ),
        NOW,
    );
    assert_eq!(refused(&fx, 7).unwrap().0, code::PRIVILEGE);
    // Garbage.
    let fx = r.handle(
        8,
        join_with("gina", RoomId::Num(8), Some("x".repeat(5000))),
        NOW,
    );
    let (code, msg) = refused(&fx, 8).unwrap();
    assert_eq!(code, code::PRIVILEGE);
    assert!(msg.len() < 700, "clipped: {}", msg.len());
}

#[test]
fn publishing_and_receiving_need_their_bits() {
    let mut r = registry();
    r.handle(
        1,
        join_with(
            "alice",
            RoomId::Num(8),
            Some(pmk("alice", PrivateRoom::Num(8), 1 | 2 | 4 | 8)),
        ),
        NOW,
    );
    r.handle(2, join_with("bob", RoomId::Num(8), None), NOW);
    r.handle(
        2,
        ClientMsg::Publish {
            audio: true,
            video: true,
            sub_video: false,
            sub_audio: false,
            small: false,
        },
        NOW,
    );
    // Audio yes, video no.
    let fx = r.handle(
        1,
        ClientMsg::Publish {
            audio: true,
            video: true,
            sub_video: false,
            sub_audio: false,
            small: false,
        },
        NOW,
    );
    assert!(
        matches!(&sent(&fx, 1)[..], [ServerMsg::PublishRefused { code: c, message }]
            if *c == code::PRIVILEGE && message.contains("send video")),
        "{fx:?}"
    );
    let fx = r.handle(
        1,
        ClientMsg::Publish {
            audio: true,
            video: false,
            sub_video: false,
            sub_audio: false,
            small: false,
        },
        NOW,
    );
    assert!(refused(&fx, 1).is_none());
    // Receive audio yes, video no.
    let sub = |kind| ClientMsg::Subscribe {
        user_id: "bob".into(),
        kind,
        on: true,
        small: false,
    };
    assert!(refused(&r.handle(1, sub(MediaKind::Audio), NOW), 1).is_none());
    let fx = r.handle(1, sub(MediaKind::Video), NOW);
    assert!(refused(&fx, 1).unwrap().1.contains("receive video"));
    assert!(
        matches!(&sent(&fx, 1)[..], [ServerMsg::SubscribeRefused { user_id, kind: MediaKind::Video, .. }] if user_id == "bob"),
        "the refusal names the stream"
    );
    // No key: no limits.
    let fx = r.handle(
        2,
        ClientMsg::Subscribe {
            user_id: "alice".into(),
            kind: MediaKind::Audio,
            on: true,
            small: false,
        },
        NOW,
    );
    assert!(refused(&fx, 2).is_none());
}

#[test]
fn a_server_that_requires_keys_refuses_joins_without_one_and_switch_role_takes_a_new_key() {
    let mut r = registry();
    r.set_require_private_map_key(true);
    let fx = r.handle(1, join_with("alice", RoomId::Num(8), None), NOW);
    let (code, msg) = refused(&fx, 1).unwrap();
    assert_eq!(code, code::PRIVILEGE);
    assert!(msg.contains("requires a privateMapKey"), "{msg}");
    // A viewer's key (enter + receive), then an anchor's key with switchRole.
    let fx = r.handle(
        1,
        join_with(
            "alice",
            RoomId::Num(8),
            Some(pmk("alice", PrivateRoom::Num(8), 1 | 2 | 8 | 32)),
        ),
        NOW,
    );
    assert!(matches!(sent(&fx, 1)[0], ServerMsg::Joined { .. }));
    let fx = r.handle(
        1,
        ClientMsg::Publish {
            audio: true,
            video: false,
            sub_video: false,
            sub_audio: false,
            small: false,
        },
        NOW,
    );
    assert!(refused(&fx, 1).unwrap().1.contains("send audio"));
    let fx = r.handle(
        1,
        ClientMsg::SwitchRole {
            role: Role::Anchor,
            private_map_key: Some(pmk("alice", PrivateRoom::Num(9), 255)),
        },
        NOW,
    );
    assert!(
        refused(&fx, 1).unwrap().1.contains("for roomId 9"),
        "a key for another room is refused"
    );
    let fx = r.handle(
        1,
        ClientMsg::SwitchRole {
            role: Role::Anchor,
            private_map_key: Some(pmk("alice", PrivateRoom::Num(8), 255)),
        },
        NOW,
    );
    assert_eq!(
        sent(&fx, 1),
        vec![ServerMsg::RoleSwitched { role: Role::Anchor }]
    );
    let fx = r.handle(
        1,
        ClientMsg::Publish {
            audio: true,
            video: true,
            sub_video: false,
            sub_audio: false,
            small: false,
        },
        NOW,
    );
    assert!(refused(&fx, 1).is_none());
}
