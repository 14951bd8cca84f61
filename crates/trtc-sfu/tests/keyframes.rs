//! Keyframe requests: on subscription, forwarded from subscribers, coalesced, retried.

mod common;

use std::time::{Duration, Instant};

use common::World;
use str0m::media::KeyframeRequestKind;
use trtc_sfu::{Kind, SfuEvent};

const A: u64 = 1;
const B: u64 = 2;
const C: u64 = 3;

/// A publishes; B and C have slots for A's tracks; nobody subscribes yet.
fn setup() -> World {
    let mut w = World::new();
    w.join(A);
    w.join(B);
    w.join(C);
    w.sfu.set_publish(A, true, true, w.now);
    w.add_sources(B, A);
    w.add_sources(C, A);
    assert!(w.run_until(Duration::from_secs(5), World::all_connected));
    w.run_for(Duration::from_millis(500));
    w
}

/// Gaps between consecutive keyframe requests `peer`'s client received.
fn request_gaps(w: &World, peer: u64) -> Vec<Duration> {
    let times: Vec<Instant> = w
        .c(peer)
        .keyframe_requests
        .iter()
        .map(|(t, _)| *t)
        .collect();
    times.windows(2).map(|p| p[1] - p[0]).collect()
}

#[test]
fn subscribing_asks_the_publisher_for_a_keyframe() {
    let mut w = setup();
    assert_eq!(
        w.c(A).keyframe_requests.len(),
        0,
        "no request while nobody watches"
    );

    let t = w.now;
    w.subscribe(B, A, Kind::Video, true);
    assert!(
        w.run_until(Duration::from_millis(300), |w| w
            .c(A)
            .keyframe_requests_since(t)
            > 0),
        "A got a keyframe request soon after B subscribed"
    );
    assert_eq!(w.c(A).keyframe_requests[0].1, KeyframeRequestKind::Pli);
    w.run_for(Duration::from_millis(500));
    let rx = w.c(B).rx_from(A, Kind::Video);
    assert!(rx.frames > 0);
    assert_eq!(
        rx.first_was_keyframe,
        Some(true),
        "B starts on a keyframe: {rx:?}"
    );
    // Satisfied: no retries.
    w.run_for(Duration::from_secs(2));
    assert_eq!(
        w.c(A).keyframe_requests.len(),
        1,
        "one request is enough when it is honoured"
    );
}

#[test]
fn subscribing_before_connecting_asks_once_connected() {
    let mut w = World::new();
    w.join(A);
    w.sfu.set_publish(A, true, true, w.now);
    assert!(w.run_until(Duration::from_secs(5), World::all_connected));
    w.run_for(Duration::from_millis(500));

    // B joins and subscribes at once, before its connection is up.
    w.join(B);
    w.add_sources(B, A);
    w.subscribe(B, A, Kind::Video, true);
    assert_eq!(
        w.c(A).keyframe_requests.len(),
        0,
        "not before B can receive it"
    );
    assert!(
        w.run_until(Duration::from_secs(5), |w| w.c(A).keyframe_requests.len()
            == 1)
    );
    let connected_at = w
        .events
        .iter()
        .find_map(|(t, e)| (*e == SfuEvent::Connected { peer: B }).then_some(*t))
        .expect("B connected");
    assert!(
        w.c(A).keyframe_requests[0].0 >= connected_at,
        "the request waited for B's connection"
    );
    w.run_for(Duration::from_millis(500));
    assert_eq!(
        w.c(B).rx_from(A, Kind::Video).first_was_keyframe,
        Some(true)
    );
}

#[test]
fn subscriber_requests_are_forwarded_and_coalesced() {
    let mut w = setup();
    w.subscribe(B, A, Kind::Video, true);
    w.subscribe(C, A, Kind::Video, true);
    w.run_for(Duration::from_secs(1));
    let before = w.c(A).keyframe_requests.len();
    assert!(before >= 1);

    // B and C each send a burst of PLIs (a decoder in trouble).
    let t = w.now;
    for _ in 0..5 {
        for peer in [B, C] {
            let mid = w
                .c(peer)
                .mid_of(Some(A), Kind::Video)
                .expect("slot for A's video");
            let mut writer = w.client(peer).rtc.writer(mid).expect("writer");
            writer
                .request_keyframe(None, KeyframeRequestKind::Pli)
                .expect("PLI");
        }
        w.run_for(Duration::from_millis(40));
    }
    w.run_for(Duration::from_millis(800));
    let got = w.c(A).keyframe_requests_since(t);
    assert!(got >= 1, "the subscribers' requests reach A");
    assert!(
        got <= 2,
        "10 requests in 200 ms coalesce into at most 2: got {got}"
    );
    for gap in request_gaps(&w, A) {
        assert!(
            gap >= Duration::from_millis(300),
            "requests to A are >= 300 ms apart: {gap:?}"
        );
    }
}

#[test]
fn an_unanswered_request_is_retried_until_a_keyframe_comes() {
    let mut w = setup();
    w.client(A).honor_keyframe_requests = false;
    let t = w.now;
    w.subscribe(B, A, Kind::Video, true);
    w.run_for(Duration::from_millis(3500));
    let retries = w.c(A).keyframe_requests_since(t);
    assert!(
        (3..=5).contains(&retries),
        "about one request a second while B waits: {retries}"
    );
    for gap in request_gaps(&w, A) {
        assert!(gap >= Duration::from_millis(300), "{gap:?}");
    }
    assert_eq!(w.c(B).rx_from(A, Kind::Video).keyframes, 0);

    // The publisher honours the next one; then the requests stop.
    w.client(A).honor_keyframe_requests = true;
    assert!(w.run_until(Duration::from_secs(2), |w| w
        .c(B)
        .rx_from(A, Kind::Video)
        .keyframes
        > 0));
    let n = w.c(A).keyframe_requests.len();
    w.run_for(Duration::from_secs(3));
    assert_eq!(
        w.c(A).keyframe_requests.len(),
        n,
        "no retries once B has its keyframe"
    );
}

#[test]
fn a_republished_track_starts_on_a_keyframe_for_its_subscribers() {
    let mut w = setup();
    w.subscribe(B, A, Kind::Video, true);
    w.run_for(Duration::from_secs(1));
    let first_mid = w.c(B).mid_of(Some(A), Kind::Video).unwrap();

    // A stops and restarts its camera: new upstream slot; at B the slot went idle and is
    // reused (the same m-line, active again).
    w.sfu.set_publish(A, true, false, w.now);
    w.run_for(Duration::from_millis(500));
    assert_eq!(w.c(B).mid_of(Some(A), Kind::Video), None);
    let before = w.c(B).rx[&first_mid];
    let t = w.now;
    w.sfu.set_publish(A, true, true, w.now);
    w.run_for(Duration::from_secs(1));
    let mid = w.c(B).mid_of(Some(A), Kind::Video).expect("a slot again");
    assert_eq!(mid, first_mid, "the idle slot is reused");
    assert!(
        w.c(A).keyframe_requests_since(t) >= 1,
        "the new subscription asked for a keyframe"
    );
    let rx = w.c(B).rx[&mid];
    assert!(rx.frames >= before.frames + 10, "{before:?} then {rx:?}");
    assert!(rx.keyframes > before.keyframes, "{before:?} then {rx:?}");
}
