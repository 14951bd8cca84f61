//! sendCustomMessage / CUSTOM_MESSAGE through the real server registry: everyone else in the
//! room gets each message once, in order, numbered by sender; nothing crosses rooms; the
//! reference's checks, refusals and per-second limits.

mod common;

use common::*;
use trtc_core::client::{check_custom_message, CustomRefused, Event};
use trtc_core::room::Role as ConfigRole;
use trtc_core::value::Value;

fn customs(events: &[Event]) -> Vec<(String, u8, u64, Vec<u8>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Custom {
                user_id,
                cmd_id,
                seq,
                data,
            } => Some((user_id.clone(), *cmd_id, *seq, data.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn everyone_else_in_the_room_gets_each_message_in_order() {
    let mut w = World::new();
    let alice = w.add("alice");
    let bob = w.add("bob");
    let carol = w.add("carol");
    let other = w.add("dave");
    for s in [alice, bob, carol] {
        w.join(s, 8);
    }
    w.join(other, 9);
    let all: Vec<u8> = (0..=255).collect();
    w.send_custom(alice, 1, b"hello").unwrap();
    w.send_custom(alice, 10, &all).unwrap();
    w.send_custom(bob, 3, &[0]).unwrap();
    w.advance(10.0);
    let want_from_alice = vec![
        ("alice".to_string(), 1, 1, b"hello".to_vec()),
        ("alice".to_string(), 10, 2, all.clone()),
    ];
    let got_bob = customs(&w.sims[bob].events);
    assert_eq!(got_bob, want_from_alice);
    let got_carol = customs(&w.sims[carol].events);
    assert_eq!(got_carol[..2], want_from_alice[..]);
    assert_eq!(got_carol[2], ("bob".to_string(), 3, 1, vec![0]));
    assert_eq!(
        customs(&w.sims[alice].events),
        [("bob".to_string(), 3, 1, vec![0])]
    );
    assert!(
        customs(&w.sims[other].events).is_empty(),
        "nothing crosses rooms"
    );
}

#[test]
fn not_joined_and_audience_are_refused_with_5101_and_5107() {
    let mut w = World::new();
    let alice = w.add("alice");
    match w.send_custom(alice, 1, b"x") {
        Err(CustomRefused::Rejected(e)) => assert_eq!(e.extra_code, Some(5101)),
        other => panic!("{other:?}"),
    }
    let anchor = w.add("anchor");
    let viewer = w.add("viewer");
    w.enter(anchor, live_config("anchor", 9, ConfigRole::Anchor));
    w.enter(viewer, live_config("viewer", 9, ConfigRole::Audience));
    w.advance(10.0);
    match w.send_custom(viewer, 1, b"x") {
        Err(CustomRefused::Rejected(e)) => assert_eq!(e.extra_code, Some(5107)),
        other => panic!("{other:?}"),
    }
    // The audience receives the anchor's messages.
    w.send_custom(anchor, 2, b"to all").unwrap();
    w.advance(10.0);
    assert_eq!(
        customs(&w.sims[viewer].events),
        [("anchor".to_string(), 2, 1, b"to all".to_vec())]
    );
}

#[test]
fn over_30_a_second_or_8000_bytes_a_second_throws_and_the_window_moves_on() {
    let mut w = World::new();
    let alice = w.add("alice");
    let bob = w.add("bob");
    w.join(alice, 8);
    w.join(bob, 8);
    for _ in 0..30 {
        w.send_custom(alice, 1, b"m").unwrap();
    }
    assert_eq!(
        w.send_custom(alice, 1, b"m"),
        Err(CustomRefused::Thrown(
            "api sendCustomMessage call times is over 30 in a second.".into()
        ))
    );
    w.advance(1000.0);
    for _ in 0..8 {
        w.send_custom(alice, 1, &[7; 1000]).unwrap();
    }
    assert_eq!(
        w.send_custom(alice, 1, &[7; 1]),
        Err(CustomRefused::Thrown(
            "api sendCustomMessage size is over 8000 in a second.".into()
        ))
    );
    w.advance(1000.0);
    w.send_custom(alice, 1, b"again").unwrap();
    w.advance(10.0);
    let got = customs(&w.sims[bob].events);
    assert_eq!(
        got.len(),
        30 + 8 + 1,
        "every accepted message arrives, none other"
    );
    assert_eq!(
        got.last().unwrap().2,
        39,
        "seq counts the sender's messages"
    );
}

fn message(cmd: Value, data: Value) -> Value {
    Value::Object(vec![("cmdId".into(), cmd), ("data".into(), data)])
}

fn buffer() -> Value {
    Value::Host {
        class: "ArrayBuffer".into(),
        element: false,
    }
}

#[test]
fn parameter_checks_in_the_references_order() {
    let n = Value::Number;
    let rows: Vec<(Value, usize, Option<i32>)> = vec![
        (message(n(1.0), buffer()), 1, None),
        (message(n(10.0), buffer()), 1000, None),
        (Value::Undefined, 1, Some(5001)),
        (Value::String("x".into()), 1, Some(5002)),
        (message(Value::Undefined, buffer()), 1, Some(5001)),
        (message(Value::String("1".into()), buffer()), 1, Some(5002)),
        (message(n(0.0), buffer()), 1, Some(5007)),
        (message(n(11.0), buffer()), 1, Some(5008)),
        (message(n(1.5), buffer()), 1, Some(5002)),
        (message(n(1.0), Value::Undefined), 1, Some(5001)),
        (message(n(1.0), Value::String("hi".into())), 2, Some(5002)),
        (message(n(1.0), buffer()), 0, Some(5017)),
        (message(n(1.0), buffer()), 1001, Some(5018)),
        // cmdId is checked before data.
        (message(n(0.0), Value::Undefined), 0, Some(5007)),
    ];
    for (v, len, want) in rows {
        let got = check_custom_message(&v, len)
            .err()
            .and_then(|e| e.extra_code);
        assert_eq!(got, want, "{v:?} len {len}");
    }
}
