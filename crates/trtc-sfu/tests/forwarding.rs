//! Media forwarding between str0m clients through the sans-IO SFU core.

mod common;

use std::time::Duration;

use common::World;
use trtc_sfu::{Kind, SfuEvent};

const A: u64 = 1;
const B: u64 = 2;
const C: u64 = 3;

/// A publishes audio+video; B and C get slots for A's tracks; only B subscribes.
fn room_of_three() -> World {
    let mut w = World::new();
    w.join(A);
    w.join(B);
    w.join(C);
    w.sfu.set_publish(A, true, true, w.now);
    w.add_sources(B, A);
    w.add_sources(C, A);
    assert!(
        w.run_until(Duration::from_secs(5), World::all_connected),
        "everyone connects"
    );
    w
}

#[test]
fn subscriber_receives_the_publishers_media_and_others_do_not() {
    let mut w = room_of_three();
    w.subscribe(B, A, Kind::Audio, true);
    w.subscribe(B, A, Kind::Video, true);
    w.run_for(Duration::from_secs(3));

    let a = w.c(A);
    assert!(
        a.sent_audio >= 140 && a.sent_video >= 55,
        "A sent {} audio, {} video",
        a.sent_audio,
        a.sent_video
    );

    let audio = w.c(B).rx_from(A, Kind::Audio);
    let video = w.c(B).rx_from(A, Kind::Video);
    // Everything sent after the subscription (a few frames may predate it).
    assert!(
        audio.frames + 5 >= a.sent_audio,
        "B got {audio:?} of {} audio frames",
        a.sent_audio
    );
    assert!(
        video.frames + 3 >= a.sent_video,
        "B got {video:?} of {} video frames",
        a.sent_video
    );
    assert_eq!(audio.bytes, audio.frames * 80, "audio frames arrive whole");
    assert!(video.keyframes >= 1, "B got a keyframe: {video:?}");
    let key_len = common::vp8_frame(true, 0).len() as u64;
    let delta_len = common::vp8_frame(false, 0).len() as u64;
    assert_eq!(
        video.bytes,
        video.keyframes * key_len + (video.frames - video.keyframes) * delta_len,
        "video frames arrive whole"
    );
    assert_eq!(
        video.first_was_keyframe,
        Some(true),
        "B's first video frame is a keyframe"
    );

    assert_eq!(
        w.c(C).rx_total_frames(),
        0,
        "C did not subscribe and receives nothing"
    );
    // C has a slot for A's audio (the room layer asked for it), none for A's video: a video
    // slot exists only while it is forwarded.
    let c_slots = &w.c(C).slots;
    assert!(
        !c_slots
            .iter()
            .any(|s| s.source == Some(A) && s.kind == Kind::Video),
        "{c_slots:?}"
    );
    assert!(
        c_slots
            .iter()
            .any(|s| s.source == Some(A) && s.kind == Kind::Audio),
        "{c_slots:?}"
    );
    assert!(
        w.events.iter().any(|(_, e)| *e
            == SfuEvent::Publishing {
                peer: A,
                kind: Kind::Video,
                active: true
            }),
        "Publishing event for A's video"
    );
}

#[test]
fn unsubscribe_stops_forwarding() {
    let mut w = room_of_three();
    w.subscribe(B, A, Kind::Audio, true);
    w.subscribe(B, A, Kind::Video, true);
    w.run_for(Duration::from_secs(1));
    assert!(w.c(B).rx_from(A, Kind::Video).frames > 10);

    w.subscribe(B, A, Kind::Video, false);
    w.run_for(Duration::from_millis(200)); // what was in flight
    let video_before = w.c(B).rx_from(A, Kind::Video).frames;
    let audio_before = w.c(B).rx_from(A, Kind::Audio).frames;
    w.run_for(Duration::from_secs(1));
    assert_eq!(
        w.c(B).rx_from(A, Kind::Video).frames,
        video_before,
        "no video after unsubscribing"
    );
    assert!(
        w.c(B).rx_from(A, Kind::Audio).frames >= audio_before + 45,
        "audio keeps flowing: {} -> {}",
        audio_before,
        w.c(B).rx_from(A, Kind::Audio).frames
    );

    // And on again: a keyframe comes first.
    w.subscribe(B, A, Kind::Video, true);
    w.run_for(Duration::from_secs(1));
    assert!(w.c(B).rx_from(A, Kind::Video).frames >= video_before + 15);
}

#[test]
fn publishing_events_follow_the_media() {
    let mut w = room_of_three();
    let publishing = |w: &World| -> Vec<(Kind, bool)> {
        w.events
            .iter()
            .filter_map(|(_, e)| match e {
                SfuEvent::Publishing {
                    peer: A,
                    kind,
                    active,
                } => Some((*kind, *active)),
                _ => None,
            })
            .collect()
    };
    w.run_for(Duration::from_secs(1));
    let on = publishing(&w);
    assert!(
        on.contains(&(Kind::Audio, true)) && on.contains(&(Kind::Video, true)),
        "{on:?}"
    );
    assert_eq!(on.len(), 2);

    // The camera and microphone stop sending (e.g. the tab is muted by the SDK).
    w.client(A).send_media = false;
    w.run_for(Duration::from_secs(3));
    let off = publishing(&w);
    assert!(
        off[2..].contains(&(Kind::Audio, false)) && off[2..].contains(&(Kind::Video, false)),
        "{off:?}"
    );

    // And back.
    w.client(A).send_media = true;
    w.run_for(Duration::from_millis(500));
    let back = publishing(&w);
    assert_eq!(back.len(), 6, "{back:?}");
    assert!(back[4..].contains(&(Kind::Audio, true)) && back[4..].contains(&(Kind::Video, true)));
}
