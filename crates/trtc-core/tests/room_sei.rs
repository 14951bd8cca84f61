//! sendSEIMessage's checks in the reference's order (5207, 5108, the parameters, 5018, 5017,
//! 5101, then 5109 only when options are passed) and its per-second limits, counted apart from
//! sendCustomMessage's.

mod common;

use common::*;
use trtc_core::client::{check_sei, CustomRefused, LocalMedia, SeiSend};
use trtc_core::room::Role as ConfigRole;
use trtc_core::value::Value;

fn buffer() -> Value {
    Value::Host {
        class: "ArrayBuffer".into(),
        element: false,
    }
}

fn opts(pairs: &[(&str, Value)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

fn code(supported: bool, enabled: bool, b: &Value, len: usize, o: &Value) -> Option<i32> {
    check_sei(supported, enabled, b, len, o)
        .err()
        .map(|e| e.extra_code.unwrap())
}

#[test]
fn checks_without_a_room_run_in_the_references_order() {
    let u = Value::Undefined;
    let none = Value::Undefined;
    // 5207 before everything, 5108 before the parameters.
    assert_eq!(code(false, false, &u, 0, &none), Some(5207));
    assert_eq!(code(true, false, &u, 5000, &none), Some(5108));
    assert_eq!(code(true, true, &u, 0, &none), Some(5001));
    assert_eq!(
        code(true, true, &Value::String("x".into()), 1, &none),
        Some(5002)
    );
    // 5018 is checked before 5017.
    assert_eq!(code(true, true, &buffer(), 1001, &none), Some(5018));
    assert_eq!(code(true, true, &buffer(), 0, &none), Some(5017));
    let bad_type = opts(&[("seiPayloadType", Value::Number(6.0))]);
    assert_eq!(code(true, true, &buffer(), 1, &bad_type), Some(5005));
    let bad_sub = opts(&[("toSubStream", Value::String("yes".into()))]);
    assert_eq!(code(true, true, &buffer(), 1, &bad_sub), Some(5002));
    assert_eq!(
        code(true, true, &buffer(), 1, &Value::Number(1.0)),
        Some(5002)
    );
    let e = check_sei(true, false, &buffer(), 1, &none).unwrap_err();
    assert_eq!(
        (e.code as i32, e.function_name.as_str()),
        (5100, "sendSEIMessage")
    );
    assert_eq!(
        check_sei(true, true, &buffer(), 1000, &none),
        Ok(SeiSend {
            payload_type: 243,
            to_sub: false,
            check_published: false
        })
    );
    let five_sub = opts(&[
        ("seiPayloadType", Value::Number(5.0)),
        ("toSubStream", Value::Bool(true)),
    ]);
    assert_eq!(
        check_sei(true, true, &buffer(), 1, &five_sub),
        Ok(SeiSend {
            payload_type: 5,
            to_sub: true,
            check_published: true
        })
    );
}

fn send(
    w: &mut World,
    sim: usize,
    to_sub: bool,
    check: bool,
    len: usize,
) -> Result<(), CustomRefused> {
    let s = SeiSend {
        payload_type: 243,
        to_sub,
        check_published: check,
    };
    w.sims[sim].client.send_sei(&s, len, 0.0)
}

fn refused(r: Result<(), CustomRefused>) -> Option<i32> {
    match r {
        Err(CustomRefused::Rejected(e)) => e.extra_code,
        Err(CustomRefused::Thrown(m)) => panic!("thrown {m}"),
        Ok(()) => None,
    }
}

#[test]
fn not_joined_is_5101_and_an_unpublished_stream_5109_only_with_options() {
    let mut w = World::new();
    let alice = w.add("alice");
    assert_eq!(refused(send(&mut w, alice, false, false, 1)), Some(5101));
    assert_eq!(refused(send(&mut w, alice, false, true, 1)), Some(5101));
    w.join(alice, 8);
    // Nothing published: only a call with options is refused.
    assert_eq!(refused(send(&mut w, alice, false, false, 1)), None);
    assert_eq!(refused(send(&mut w, alice, false, true, 1)), Some(5109));
    assert_eq!(refused(send(&mut w, alice, true, true, 1)), Some(5109));
    w.publish(alice, PUBLISHING);
    assert_eq!(refused(send(&mut w, alice, false, true, 1)), None);
    assert_eq!(
        refused(send(&mut w, alice, true, true, 1)),
        Some(5109),
        "no screen"
    );
    w.publish(alice, SHARING);
    assert_eq!(refused(send(&mut w, alice, true, true, 1)), None);
    // An audience publishes nothing.
    let viewer = w.add("viewer");
    w.enter(viewer, live_config("viewer", 9, ConfigRole::Audience));
    w.advance(10.0);
    w.publish(
        viewer,
        LocalMedia {
            video: true,
            ..LocalMedia::default()
        },
    );
    assert_eq!(refused(send(&mut w, viewer, false, true, 1)), Some(5109));
}

#[test]
fn over_30_calls_or_8000_bytes_a_second_throws_apart_from_custom_messages() {
    let mut w = World::new();
    let alice = w.add("alice");
    w.join(alice, 8);
    for _ in 0..30 {
        send(&mut w, alice, false, false, 1).unwrap();
    }
    assert_eq!(
        send(&mut w, alice, false, false, 1),
        Err(CustomRefused::Thrown(
            "api sendSEIMessage call times is over 30 in a second.".into()
        ))
    );
    // sendCustomMessage has its own window.
    w.send_custom(alice, 1, b"x").unwrap();
    let s = SeiSend {
        payload_type: 243,
        to_sub: false,
        check_published: false,
    };
    let c = &mut w.sims[alice].client;
    for _ in 0..8 {
        c.send_sei(&s, 1000, 1500.0).unwrap();
    }
    assert_eq!(
        c.send_sei(&s, 1, 1600.0),
        Err(CustomRefused::Thrown(
            "api sendSEIMessage size is over 8000 in a second.".into()
        ))
    );
    c.send_sei(&s, 1000, 2500.0).unwrap();
}
