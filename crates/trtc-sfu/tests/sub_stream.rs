//! The sub stream (a shared screen and its system audio): a second video and audio slot per
//! publisher next to the camera's, negotiated, subscribed and forwarded on its own.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::World;
use trtc_sfu::Kind;

const A: u64 = 1;
const B: u64 = 2;

fn kinds(slots: &[trtc_sfu::Slot], source: Option<u64>) -> BTreeSet<&'static str> {
    slots
        .iter()
        .filter(|s| s.source == source)
        .map(|s| s.kind.name())
        .collect()
}

/// A publishes camera, microphone, screen and system audio; B has slots for all four (it
/// asked for both videos: a video slot exists while forwarded).
fn sharing_room() -> World {
    let mut w = World::new();
    w.join(A);
    w.join(B);
    w.sfu.set_publish_all(A, [true, true, true, true], w.now);
    w.watch(B, A);
    w.sfu.add_source(B, A, Kind::SubVideo, w.now);
    w.sfu.add_source(B, A, Kind::SubAudio, w.now);
    w.sfu.subscribe(B, A, Kind::SubVideo, true, w.now);
    w.settle();
    assert!(
        w.run_until(Duration::from_secs(5), World::all_connected),
        "everyone connects"
    );
    w
}

#[test]
fn a_publisher_has_four_upstream_slots_and_a_subscriber_four_downstream() {
    let w = sharing_room();
    let all: BTreeSet<&str> = ["audio", "video", "sub-video", "sub-audio"].into();
    let a_slots = w.c(A).slots.clone();
    assert_eq!(kinds(&a_slots, None), all);
    let b_slots = w.c(B).slots.clone();
    assert_eq!(kinds(&b_slots, Some(A)), all);
    let mids: BTreeSet<&str> = b_slots.iter().map(|s| s.mid.as_str()).collect();
    assert_eq!(mids.len(), b_slots.len(), "one mid per slot");
}

#[test]
fn camera_and_screen_are_forwarded_apart_each_starting_on_a_keyframe() {
    let mut w = sharing_room();
    w.subscribe(B, A, Kind::Video, true);
    w.subscribe(B, A, Kind::SubVideo, true);
    w.subscribe(B, A, Kind::SubAudio, true);
    w.run_for(Duration::from_secs(3));
    let (cam, screen, sys) = (
        w.c(B).rx_from(A, Kind::Video),
        w.c(B).rx_from(A, Kind::SubVideo),
        w.c(B).rx_from(A, Kind::SubAudio),
    );
    let a = w.c(A);
    assert!(
        a.sent_sub_video >= 12,
        "A sent {} screen frames",
        a.sent_sub_video
    );
    assert!(
        cam.frames + 3 >= a.sent_video,
        "camera {cam:?} of {}",
        a.sent_video
    );
    assert!(
        screen.frames + 2 >= a.sent_sub_video && screen.frames <= a.sent_sub_video,
        "screen {screen:?} of {}",
        a.sent_sub_video
    );
    assert_eq!(screen.first_was_keyframe, Some(true), "{screen:?}");
    assert_eq!(
        sys.bytes,
        sys.frames * 60,
        "system audio is its own track: {sys:?}"
    );
    assert!(sys.frames > 100, "{sys:?}");
    assert_eq!(
        w.c(B).rx_from(A, Kind::Audio).frames,
        0,
        "the microphone was not subscribed"
    );
}

#[test]
fn subscribing_to_the_screen_asks_for_a_screen_keyframe() {
    let mut w = sharing_room();
    // B stops watching the screen at once: its slot stays the screen's (nothing else needs
    // it), with nothing sent on it.
    w.subscribe(B, A, Kind::SubVideo, false);
    w.run_for(Duration::from_secs(1));
    assert_eq!(
        kinds(&w.c(B).slots, Some(A)),
        ["audio", "sub-audio", "sub-video", "video"].into()
    );
    let before = w.c(B).rx_from(A, Kind::SubVideo);
    w.run_for(Duration::from_secs(1));
    assert_eq!(
        w.c(B).rx_from(A, Kind::SubVideo).frames,
        before.frames,
        "not subscribed"
    );
    let t: Instant = w.now;
    w.subscribe(B, A, Kind::SubVideo, true);
    w.run_for(Duration::from_secs(2));
    assert!(
        w.c(A).keyframe_requests_since(t) >= 1,
        "the publisher was asked for a keyframe"
    );
    let screen = w.c(B).rx_from(A, Kind::SubVideo);
    assert!(
        screen.keyframes > before.keyframes,
        "{before:?} then {screen:?}"
    );
    assert!(
        screen.frames >= before.frames + 5,
        "{before:?} then {screen:?}"
    );
}

#[test]
fn stopping_the_share_takes_away_its_slots_and_the_camera_keeps_flowing() {
    let mut w = sharing_room();
    w.subscribe(B, A, Kind::Video, true);
    w.subscribe(B, A, Kind::SubVideo, true);
    w.run_for(Duration::from_secs(1));
    w.sfu.set_publish_all(A, [true, true, false, false], w.now);
    w.run_for(Duration::from_secs(1));
    let a_slots = w.c(A).slots.clone();
    assert_eq!(kinds(&a_slots, None), ["audio", "video"].into());
    let b_slots = w.c(B).slots.clone();
    assert_eq!(kinds(&b_slots, Some(A)), ["audio", "video"].into());
    let screen_then = w.c(B).rx_from(A, Kind::SubVideo).frames;
    let cam_then = w.c(B).rx_from(A, Kind::Video).frames;
    w.run_for(Duration::from_secs(1));
    assert_eq!(w.c(B).rx_from(A, Kind::SubVideo).frames, screen_then);
    assert!(w.c(B).rx_from(A, Kind::Video).frames > cam_then + 10);

    // Sharing again: new slots, a picture again (starting on a keyframe).
    w.sfu.set_publish_all(A, [true, true, true, false], w.now);
    w.run_for(Duration::from_secs(2));
    let b_slots = w.c(B).slots.clone();
    assert_eq!(
        kinds(&b_slots, Some(A)),
        ["audio", "video", "sub-video"].into()
    );
    assert!(
        w.c(B).rx_from(A, Kind::SubVideo).frames > screen_then + 4,
        "frames after sharing again"
    );
}

#[test]
fn set_publish_keeps_the_sub_stream() {
    let mut w = sharing_room();
    // The camera-only call (older callers) leaves the screen published.
    w.sfu.set_publish(A, true, false, w.now);
    w.run_for(Duration::from_secs(1));
    let a_slots = w.c(A).slots.clone();
    assert_eq!(
        kinds(&a_slots, None),
        ["audio", "sub-video", "sub-audio"].into()
    );
}
