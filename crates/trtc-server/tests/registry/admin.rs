//! The admin actions: removing users and dismissing rooms, all or nothing.

use crate::support::*;

#[test]
fn admin_remove_users_table() {
    struct Row {
        what: &'static str,
        room: RoomId,
        users: &'static [&'static str],
        /// Clients removed, in order.
        removed: &'static [ClientId],
        /// What each client that stays is sent.
        told: &'static [(ClientId, &'static [&'static str])],
        /// Users of room 8 afterwards.
        left: &'static [&'static str],
    }
    let rows = [
        Row {
            what: "one user",
            room: RoomId::Num(8),
            users: &["b"],
            removed: &[2],
            told: &[(1, &["b"]), (3, &["b"]), (4, &[]), (5, &[])],
            left: &["a", "c"],
        },
        Row {
            what: "two users, one named twice: the removed are not told about each other",
            room: RoomId::Num(8),
            users: &["c", "a", "c"],
            removed: &[3, 1],
            told: &[(2, &["c", "a"]), (4, &[]), (5, &[])],
            left: &["b"],
        },
        Row {
            what: "everyone: the room is gone",
            room: RoomId::Num(8),
            users: &["a", "b", "c"],
            removed: &[1, 2, 3],
            told: &[(4, &[]), (5, &[])],
            left: &[],
        },
        Row {
            what: "by strRoomId",
            room: RoomId::Str("8".into()),
            users: &["d"],
            removed: &[4],
            told: &[(1, &[]), (2, &[]), (3, &[]), (5, &[])],
            left: &["a", "b", "c"],
        },
    ];
    for row in rows {
        let mut r = scene();
        publish_all(&mut r);
        let users: Vec<String> = row.users.iter().map(|u| u.to_string()).collect();
        let fx = r.remove_users(1, &row.room, &users).expect(row.what);
        for c in row.removed {
            assert_eq!(sent(&fx, *c), vec![kicked("banned")], "{}: {c}", row.what);
            assert!(!r.is_joined(*c), "{}", row.what);
        }
        assert_eq!(closed(&fx), row.removed, "{}", row.what);
        let peers: Vec<MediaCmd> = row
            .removed
            .iter()
            .map(|&peer| MediaCmd::RemovePeer { peer })
            .collect();
        assert_eq!(media(&fx), peers, "{}", row.what);
        for (c, exits) in row.told {
            let want: Vec<ServerMsg> = exits.iter().map(|u| exit(u)).collect();
            assert_eq!(sent(&fx, *c), want, "{}: told {c}", row.what);
        }
        let room8 = r
            .rooms_of(1)
            .into_iter()
            .find(|(k, _)| *k == RoomId::Num(8));
        let left: Vec<String> = room8.map(|(_, u)| u).unwrap_or_default();
        assert_eq!(left, row.left, "{}", row.what);
        // The removed can enter again.
        for c in row.removed {
            let fx = r.handle(*c, join(&format!("again{c}"), RoomId::Num(8)), 0);
            assert!(matches!(sent(&fx, *c)[0], ServerMsg::Joined { .. }));
        }
    }
}

#[test]
fn admin_dismiss_table() {
    let rows: [(RoomId, &[ClientId], usize); 3] = [
        (RoomId::Num(8), &[1, 2, 3], 2),
        (RoomId::Str("8".into()), &[4], 2),
        (RoomId::Num(9), &[5], 2),
    ];
    for (room, members, rooms_after) in rows {
        let mut r = scene();
        publish_all(&mut r);
        let fx = r.dismiss(1, &room).expect("dismiss");
        for c in 1..=5 {
            let want = if members.contains(&c) {
                vec![kicked("room_disband")]
            } else {
                vec![]
            };
            assert_eq!(sent(&fx, c), want, "{room:?}: client {c}");
        }
        assert_eq!(closed(&fx), members, "{room:?}");
        assert_eq!(media(&fx).len(), members.len(), "{room:?}: peers removed");
        assert!(
            r.rooms_of(1).iter().all(|(k, _)| *k != room),
            "{room:?} gone"
        );
        assert_eq!(r.rooms().len(), rooms_after);
    }
}

#[test]
fn admin_refusals_change_nothing() {
    let rows: Vec<(&str, u64, RoomId, Vec<&str>, AdminError)> = vec![
        (
            "unknown room",
            1,
            RoomId::Num(10),
            vec!["a"],
            AdminError::NoSuchRoom {
                sdk_app_id: 1,
                room: RoomId::Num(10),
            },
        ),
        (
            "another app's room",
            2,
            RoomId::Num(8),
            vec!["a"],
            AdminError::NoSuchRoom {
                sdk_app_id: 2,
                room: RoomId::Num(8),
            },
        ),
        (
            "numeric id given for a string room",
            1,
            RoomId::Str("9".into()),
            vec!["e"],
            AdminError::NoSuchRoom {
                sdk_app_id: 1,
                room: RoomId::Str("9".into()),
            },
        ),
        (
            "one known, two unknown users",
            1,
            RoomId::Num(8),
            vec!["a", "zed", "e"],
            AdminError::NoSuchUsers {
                room: RoomId::Num(8),
                user_ids: vec!["zed".into(), "e".into()],
            },
        ),
        ("no users", 1, RoomId::Num(8), vec![], AdminError::NoUsers),
    ];
    for (what, app, room, users, want) in rows {
        let mut r = scene();
        let before = r.rooms();
        let users: Vec<String> = users.iter().map(|u| u.to_string()).collect();
        assert_eq!(
            r.remove_users(app, &room, &users),
            Err(want.clone()),
            "{what}"
        );
        assert!(!want.to_string().is_empty());
        if !matches!(want, AdminError::NoUsers | AdminError::NoSuchUsers { .. }) {
            assert!(r.dismiss(app, &room).is_err(), "{what}: dismiss");
        }
        assert_eq!(r.rooms(), before, "{what}: unchanged");
    }
    assert_eq!(
        AdminError::NoSuchUsers {
            room: RoomId::Str("x".into()),
            user_ids: vec!["zed".into()]
        }
        .to_string(),
        r#"not in strRoomId "x": "zed"; no one was removed"#
    );
}

/// Everyone in [`scene`] publishes audio, so everyone has an SFU peer to remove.
fn publish_all(r: &mut Registry<FakeAuth>) {
    for c in 1..=5 {
        r.handle(
            c,
            ClientMsg::Publish {
                audio: true,
                video: false,
                sub_video: false,
                sub_audio: false,
                small: false,
            },
            0,
        );
    }
}
