//! Custom messages: relayed to the rest of the room only, numbered per sender; what a client
//! that skips the SDK's checks sends is refused the same way, and the per-second limits hold
//! on the server too.

use crate::support::*;

fn custom(cmd_id: u8, data: &str) -> ClientMsg {
    ClientMsg::Custom {
        cmd_id,
        data: data.into(),
    }
}

fn error_code(fx: &[Effect], to: ClientId) -> Option<i64> {
    sent(fx, to).into_iter().find_map(|m| match m {
        ServerMsg::Error { code, message } => {
            assert!(message.len() < 200, "short, no echo: {message}");
            Some(code)
        }
        _ => None,
    })
}

#[test]
fn relayed_to_the_others_in_the_room_with_a_seq_per_sender() {
    let mut r = populated(&[
        (1, "alice", RoomId::Num(8)),
        (2, "bob", RoomId::Num(8)),
        (3, "carol", RoomId::Num(9)),
    ]);
    let fx = r.handle(1, custom(4, "aGk="), 0);
    let want = ServerMsg::Custom {
        user_id: "alice".into(),
        cmd_id: 4,
        seq: 1,
        data: "aGk=".into(),
    };
    assert_eq!(sent(&fx, 2), [want]);
    assert!(sent(&fx, 1).is_empty(), "not back to the sender");
    assert!(sent(&fx, 3).is_empty(), "not to another room");
    let fx = r.handle(1, custom(4, "aGk="), 0);
    assert!(matches!(
        &sent(&fx, 2)[..],
        [ServerMsg::Custom { seq: 2, .. }]
    ));
}

#[test]
fn bad_custom_messages_are_refused_without_relaying() {
    let mut r = populated(&[(1, "alice", RoomId::Num(8)), (2, "bob", RoomId::Num(8))]);
    let big = "A".repeat(1336); // 1002 bytes
    for (msg, want) in [
        (custom(0, "aGk="), code::BAD_MESSAGE),
        (custom(11, "aGk="), code::BAD_MESSAGE),
        (custom(1, ""), code::BAD_MESSAGE),
        (custom(1, "not base64!"), code::BAD_MESSAGE),
        (custom(1, &big), code::BAD_MESSAGE),
    ] {
        let fx = r.handle(1, msg, 0);
        assert_eq!(error_code(&fx, 1), Some(want));
        assert!(sent(&fx, 2).is_empty());
    }
    // Not joined.
    let fx = r.handle(7, custom(1, "aGk="), 0);
    assert_eq!(error_code(&fx, 7), Some(code::NOT_JOINED));
    // An audience.
    r.handle(5, live_join("fan", 8, Role::Audience), 0);
    let fx = r.handle(5, custom(1, "aGk="), 0);
    assert_eq!(error_code(&fx, 5), Some(code::ROLE_AUDIENCE));
}

#[test]
fn thirty_a_second_and_8000_bytes_a_second_per_sender() {
    let mut r = populated(&[(1, "alice", RoomId::Num(8)), (2, "bob", RoomId::Num(8))]);
    for _ in 0..30 {
        assert_eq!(sent(&r.handle(1, custom(1, "aGk="), 100), 2).len(), 1);
    }
    let fx = r.handle(1, custom(1, "aGk="), 100);
    assert_eq!(error_code(&fx, 1), Some(code::RATE_LIMITED));
    assert!(sent(&fx, 2).is_empty());
    // The next second: 8 × 1000 bytes pass, one more byte does not.
    let thousand = "A".repeat(1332) + "AA=="; // 333 × 3 + 1 = 1000 bytes
    for _ in 0..8 {
        assert_eq!(sent(&r.handle(1, custom(1, &thousand), 101), 2).len(), 1);
    }
    let fx = r.handle(1, custom(1, "AA=="), 101);
    assert_eq!(error_code(&fx, 1), Some(code::RATE_LIMITED));
}
