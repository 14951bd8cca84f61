//! The live scene: invisible audiences, switching roles both ways, emptied rooms lingering.

use crate::support::*;

#[test]
fn live_audiences_are_invisible_and_cannot_publish() {
    let mut r = Registry::new(FakeAuth);
    r.handle(1, live_join("anchor", 9, Role::Anchor), 0);
    r.handle(
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
    let fx = r.handle(2, live_join("fan", 9, Role::Audience), 0);
    assert!(
        sent(&fx, 1).is_empty(),
        "the anchor is not told about an audience"
    );
    assert_eq!(
        sent(&fx, 2),
        vec![ServerMsg::Joined {
            user_id: "fan".into(),
            users: vec![RemoteUser {
                user_id: "anchor".into(),
                audio: true,
                video: true,
                sub_video: false,
                sub_audio: false,
            }]
        }]
    );
    assert!(media(&fx).contains(&MediaCmd::AddSource {
        subscriber: 2,
        source: 1,
        kind: MediaKind::Video
    }));
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
    assert!(
        matches!(&sent(&fx, 2)[0], ServerMsg::Error { code, .. } if *code == code::ROLE_AUDIENCE)
    );
    assert!(media(&fx).is_empty(), "no uplink for an audience");
    // A second audience does not see the first.
    let fx = r.handle(3, live_join("fan2", 9, Role::Audience), 0);
    assert!(matches!(&sent(&fx, 3)[0], ServerMsg::Joined { users, .. } if users.len() == 1));
    assert!(sent(&fx, 2).is_empty());
    // Leaving: nobody is told about an audience.
    let fx = r.handle(3, ClientMsg::Leave, 0);
    assert!(sent(&fx, 1).is_empty() && sent(&fx, 2).is_empty());
}

#[test]
fn switch_role_both_ways() {
    let mut r = Registry::new(FakeAuth);
    r.handle(1, live_join("anchor", 9, Role::Anchor), 0);
    r.handle(2, live_join("fan", 9, Role::Audience), 0);
    let fx = r.handle(
        2,
        ClientMsg::SwitchRole {
            role: Role::Anchor,
            private_map_key: None,
        },
        0,
    );
    assert_eq!(
        sent(&fx, 1),
        vec![ServerMsg::UserEnter {
            user_id: "fan".into()
        }]
    );
    assert_eq!(
        sent(&fx, 2),
        vec![ServerMsg::RoleSwitched { role: Role::Anchor }],
        "the switch is answered"
    );
    let fx = r.handle(
        2,
        ClientMsg::Publish {
            audio: false,
            video: true,
            sub_video: false,
            sub_audio: false,
            small: false,
        },
        0,
    );
    assert_eq!(
        sent(&fx, 1),
        vec![ServerMsg::MediaState {
            user_id: "fan".into(),
            kind: MediaKind::Video,
            available: true
        }]
    );
    assert!(media(&fx).contains(&MediaCmd::SetPublish {
        peer: 2,
        audio: false,
        video: true,
        sub_video: false,
        sub_audio: false,
    }));
    let fx = r.handle(
        2,
        ClientMsg::SwitchRole {
            role: Role::Audience,
            private_map_key: None,
        },
        0,
    );
    assert_eq!(
        sent(&fx, 1),
        vec![
            ServerMsg::MediaState {
                user_id: "fan".into(),
                kind: MediaKind::Video,
                available: false
            },
            ServerMsg::UserExit {
                user_id: "fan".into(),
                reason: 3
            },
        ]
    );
    assert!(media(&fx).contains(&MediaCmd::SetPublish {
        peer: 2,
        audio: false,
        video: false,
        sub_video: false,
        sub_audio: false,
    }));
    // Same role again: only the answer. In an rtc room: refused.
    assert_eq!(
        r.handle(
            2,
            ClientMsg::SwitchRole {
                role: Role::Audience,
                private_map_key: None,
            },
            0
        ),
        vec![Effect::Send(
            2,
            ServerMsg::RoleSwitched {
                role: Role::Audience
            }
        )]
    );
    r.handle(5, join("rtc-user", RoomId::Num(10)), 0);
    let fx = r.handle(
        5,
        ClientMsg::SwitchRole {
            role: Role::Audience,
            private_map_key: None,
        },
        0,
    );
    assert!(matches!(&sent(&fx, 5)[0], ServerMsg::RoleRefused { .. }));
}

#[test]
fn live_room_lingers_after_its_last_audience_leaves() {
    let mut r = Registry::new(FakeAuth).with_live_linger(30);
    r.handle(1, live_join("anchor", 9, Role::Anchor), 100);
    r.handle(2, live_join("fan", 9, Role::Audience), 100);
    r.handle(1, ClientMsg::Leave, 100);
    r.handle(2, ClientMsg::Leave, 110);
    assert_eq!(r.rooms().len(), 1, "lingers, empty");
    r.tick(139);
    assert_eq!(r.rooms().len(), 1);
    r.tick(140);
    assert!(r.rooms().is_empty(), "gone after 30 s");
    // Entering again cancels the removal.
    r.handle(3, live_join("fan", 9, Role::Audience), 200);
    r.handle(3, ClientMsg::Leave, 200);
    r.handle(4, live_join("anchor", 9, Role::Anchor), 210);
    r.tick(231);
    assert_eq!(r.rooms().len(), 1, "someone is in it");
    // An rtc room, or a live room whose last leaver is an anchor, goes at once.
    r.handle(4, ClientMsg::Leave, 240);
    assert!(r.rooms().is_empty());
}
