//! `preconnect`: a connection proves its user before `join` and is kept for it; bounded per
//! user; refused with the userSig check's code (and closed) when the proof fails.

use super::support::*;
use trtc_server::room::preconnect::MAX_PER_USER;

fn preconnect(user: &str, sig: &str) -> ClientMsg {
    ClientMsg::Preconnect {
        version: PROTOCOL_VERSION,
        sdk_app_id: 1,
        user_id: user.into(),
        user_sig: sig.into(),
    }
}

#[test]
fn a_proved_connection_is_kept_and_then_joins_as_any() {
    let mut r = Registry::new(FakeAuth);
    r.set_preconnect_keep(60);
    assert_eq!(r.preconnect_keep(1), None);
    let fx = r.handle(1, preconnect("alice", "ok:alice"), 0);
    assert_eq!(
        sent(&fx, 1),
        vec![ServerMsg::Preconnected { keep_ms: 60_000 }]
    );
    assert!(closed(&fx).is_empty());
    assert_eq!(r.preconnect_keep(1), Some(60));
    // The join on it is a join like any other (its own userSig is checked again).
    let fx = r.handle(1, join("alice", RoomId::Num(7)), 1);
    assert!(matches!(sent(&fx, 1)[0], ServerMsg::Joined { .. }));
    assert_eq!(r.preconnect_keep(1), None, "joined: no longer kept apart");
    // A preconnect after the join is refused; the member stays.
    let fx = r.handle(1, preconnect("alice", "ok:alice"), 2);
    assert!(matches!(
        sent(&fx, 1)[..],
        [ServerMsg::Error { code: c, .. }] if c == code::ALREADY_JOINED
    ));
    assert!(closed(&fx).is_empty() && r.is_joined(1));
}

#[test]
fn a_failed_proof_is_told_and_closed_and_nothing_is_kept() {
    let mut r = Registry::new(FakeAuth);
    r.set_admin_identifier(Some("administrator".into()));
    let cases = [
        (preconnect("alice", "ok:bob"), code::USER_SIG_INVALID),
        (preconnect("", "ok:"), code::BAD_MESSAGE),
        (
            preconnect("administrator", "ok:administrator"),
            code::RESERVED_USER_ID,
        ),
        (
            ClientMsg::Preconnect {
                version: PROTOCOL_VERSION + 1,
                sdk_app_id: 1,
                user_id: "alice".into(),
                user_sig: "ok:alice".into(),
            },
            code::VERSION_MISMATCH,
        ),
    ];
    for (i, (msg, want)) in cases.into_iter().enumerate() {
        let client = 10 + i as ClientId;
        let fx = r.handle(client, msg, 0);
        match &sent(&fx, client)[..] {
            [ServerMsg::Error { code, message }] => {
                assert_eq!(*code, want, "{message}");
                assert!(message.len() <= 600, "clipped: {message}");
            }
            other => panic!("case {i}: {other:?}"),
        }
        assert_eq!(closed(&fx), vec![client]);
        assert_eq!(r.preconnect_keep(client), None);
    }
    // A server that keeps none refuses, closes, and says how to do without.
    r.set_preconnect_keep(0);
    let fx = r.handle(20, preconnect("alice", "ok:alice"), 0);
    assert!(
        matches!(&sent(&fx, 20)[..], [ServerMsg::Error { message, .. }] if message.contains("--preconnect-keep 0"))
    );
    assert_eq!(closed(&fx), vec![20]);
    assert_eq!(r.preconnect_keep(20), None);
}

#[test]
fn a_user_holds_a_bounded_number_and_the_oldest_is_closed() {
    let mut r = Registry::new(FakeAuth);
    for c in 0..MAX_PER_USER as ClientId {
        let fx = r.handle(c, preconnect("alice", "ok:alice"), 0);
        assert!(closed(&fx).is_empty());
    }
    let newest = MAX_PER_USER as ClientId;
    let fx = r.handle(newest, preconnect("alice", "ok:alice"), 0);
    assert_eq!(
        sent(&fx, newest),
        vec![ServerMsg::Preconnected { keep_ms: 60_000 }]
    );
    assert!(matches!(
        &sent(&fx, 0)[..],
        [ServerMsg::Error { code: c, message }] if *c == code::JOIN_TIMEOUT && message.contains("replaced")
    ));
    assert_eq!(closed(&fx), vec![0]);
    assert_eq!(r.preconnect_keep(0), None);
    assert!(r.preconnect_keep(newest).is_some());
    // Gone connections leave the set.
    r.disconnected(newest, 1);
    r.detached(1, 1);
    assert_eq!(r.preconnect_keep(newest), None);
    assert_eq!(r.preconnect_keep(1), None);
}
