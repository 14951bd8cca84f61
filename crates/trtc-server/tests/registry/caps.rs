//! The caps on users per room and rooms per app; zero means unlimited.

use crate::support::*;

#[test]
fn a_full_room_refuses_a_new_user_and_changes_nothing() {
    let mut r = Registry::new(FakeAuth).with_room_limits(0, 2);
    r.handle(1, session_join("a", 8, "sa"), 0);
    r.handle(2, session_join("b", 8, "sb"), 0);
    let before = r.rooms();
    let fx = r.handle(3, session_join("c", 8, "sc"), 0);
    assert_eq!(join_failed_code(&fx, 3), Some(code::ROOM_FULL));
    assert_eq!(fx.len(), 1, "no one else is told anything: {fx:?}");
    assert_eq!(r.rooms(), before);
    assert!(!r.is_joined(3));
    // Taking over a place needs none: the same userId from another device (kicks the
    // first), the same session after a drop (resumes).
    let fx = r.handle(4, session_join("a", 8, "other-device"), 0);
    assert!(matches!(sent(&fx, 4)[..], [ServerMsg::Joined { .. }]));
    r.detached(2, 1);
    let fx = r.handle(5, session_join("b", 8, "sb"), 2);
    assert!(matches!(sent(&fx, 5)[..], [ServerMsg::Joined { .. }]));
    assert_eq!(r.rooms()[0].1, vec!["a".to_string(), "b".to_string()]);
    // A dropped member keeps its place until it times out or comes back.
    r.detached(5, 3);
    let fx = r.handle(6, session_join("c", 8, "sc"), 3);
    assert_eq!(join_failed_code(&fx, 6), Some(code::ROOM_FULL));
    // Another room is not affected; once someone leaves, there is room again.
    let fx = r.handle(7, session_join("c", 9, "sc"), 3);
    assert!(matches!(sent(&fx, 7)[..], [ServerMsg::Joined { .. }]));
    r.handle(4, ClientMsg::Leave, 4);
    let fx = r.handle(8, session_join("d", 8, "sd"), 4);
    assert!(matches!(sent(&fx, 8)[..], [ServerMsg::Joined { .. }]));
}

#[test]
fn an_app_at_its_room_cap_cannot_open_another() {
    let mut r = Registry::new(FakeAuth)
        .with_room_limits(2, 0)
        .with_live_linger(30);
    r.handle(1, join("a", RoomId::Num(8)), 0);
    r.handle(2, live_join("fan", 9, Role::Audience), 0);
    let before = r.rooms();
    for (client, room) in [(3, RoomId::Num(10)), (4, RoomId::Str("8".into()))] {
        let fx = r.handle(client, join("b", room.clone()), 0);
        assert_eq!(
            join_failed_code(&fx, client),
            Some(code::TOO_MANY_ROOMS),
            "{room:?}"
        );
        assert_eq!(fx.len(), 1);
        assert_eq!(r.rooms(), before);
    }
    // Existing rooms still take users; another app has its own count.
    let fx = r.handle(5, join("b", RoomId::Num(8)), 0);
    assert!(matches!(sent(&fx, 5)[..], [ServerMsg::Joined { .. }]));
    let mut other = join("z", RoomId::Num(10));
    if let ClientMsg::Join(j) = &mut other {
        j.sdk_app_id = 2;
    }
    let fx = r.handle(6, other, 0);
    assert!(matches!(sent(&fx, 6)[..], [ServerMsg::Joined { .. }]));
    // A lingering empty live room makes way for a new room: it cannot keep the app full.
    r.handle(2, ClientMsg::Leave, 0);
    let lingering = r.rooms().len();
    let fx = r.handle(7, join("c", RoomId::Num(10)), 10);
    assert!(matches!(sent(&fx, 7)[..], [ServerMsg::Joined { .. }]));
    assert_eq!(r.rooms().len(), lingering, "the lingering room went");
    assert!(r.rooms().iter().all(|(_, users)| !users.is_empty()));
}

#[test]
fn zero_caps_mean_unlimited() {
    let mut r = Registry::new(FakeAuth).with_room_limits(0, 0);
    for c in 0..300u64 {
        let fx = r.handle(
            c,
            join(&format!("u{c}"), RoomId::Num(1 + (c % 150) as u32)),
            0,
        );
        assert!(matches!(sent(&fx, c)[..], [ServerMsg::Joined { .. }]));
    }
    assert_eq!(r.rooms().len(), 150);
}
