//! Screen sharing as the sub stream: published next to the camera, seen by the others as
//! streamType `sub`, received and rendered on its own, its system audio played without an
//! event, stopped and shared again.

mod common;

use common::*;
use trtc_core::client::Input;
use trtc_proto::{ClientMsg, MediaKind};

fn render(w: &mut World, sim: usize, user: &str, kind: MediaKind, on: bool) {
    w.input(
        sim,
        Input::RemoteVideo {
            user_id: user.into(),
            kind,
            on,
        },
    );
}

#[test]
fn camera_and_screen_are_published_at_once_and_seen_apart() {
    let mut w = World::new();
    let alice = w.add("alice");
    let bob = w.add("bob");
    w.join(alice, 8);
    w.join(bob, 8);
    w.publish(alice, PUBLISHING);
    let (ma, mb) = (w.sims[alice].events.len(), w.sims[bob].events.len());
    w.publish(alice, SHARING);
    assert!(w.sims[alice].sent.contains(&ClientMsg::Publish {
        audio: true,
        video: true,
        sub_video: true,
        sub_audio: true,
        small: false,
    }));
    // PUBLISH_STATE_CHANGED for the screen (mediaType 'screen' in the glue); none for the
    // system audio, nothing again for the camera.
    assert_eq!(
        brief_room(w.sims[alice].events_since(ma)),
        [
            "publish sub-video stopped->starting",
            "publish sub-video starting->started",
        ]
    );
    // Bob sees the screen as its own stream; the system audio has no event.
    assert_eq!(
        brief_room(w.sims[bob].events_since(mb)),
        ["sub-video on alice"]
    );
    // The system audio plays by itself, like the microphone; the screen once rendered.
    assert!(w.forwards(bob, "alice", MediaKind::SubAudio));
    assert!(!w.forwards(bob, "alice", MediaKind::SubVideo));
    assert!(w.sims[bob]
        .media
        .contains(&("play-sub", "alice".to_string())));
    render(&mut w, bob, "alice", MediaKind::SubVideo, true);
    assert!(w.forwards(bob, "alice", MediaKind::SubVideo));
    assert!(
        !w.forwards(bob, "alice", MediaKind::Video),
        "main not asked for"
    );
    assert_eq!(
        w.sims[bob].media.last(),
        Some(&("show-sub", "alice".to_string()))
    );
    // The camera is rendered apart.
    render(&mut w, bob, "alice", MediaKind::Video, true);
    assert!(w.forwards(bob, "alice", MediaKind::Video));
    assert_eq!(
        w.sims[bob].media.last(),
        Some(&("show", "alice".to_string()))
    );
    // Stopping the sub view leaves the camera.
    render(&mut w, bob, "alice", MediaKind::SubVideo, false);
    assert!(!w.forwards(bob, "alice", MediaKind::SubVideo));
    assert!(w.forwards(bob, "alice", MediaKind::Video));
}

#[test]
fn stopping_the_share_tells_the_others_and_sharing_again_shows_it_again() {
    let mut w = World::new();
    let alice = w.add("alice");
    let bob = w.add("bob");
    w.join(alice, 8);
    w.join(bob, 8);
    w.publish(alice, SHARING);
    render(&mut w, bob, "alice", MediaKind::SubVideo, true);
    let (ma, mb) = (w.sims[alice].events.len(), w.sims[bob].events.len());
    let media_mark = w.sims[bob].media.len();
    w.publish(alice, PUBLISHING);
    assert_eq!(
        brief_room(w.sims[alice].events_since(ma)),
        ["publish sub-video started->stopped (api-call)"]
    );
    assert_eq!(
        brief_room(w.sims[bob].events_since(mb)),
        ["sub-video off alice"]
    );
    assert_eq!(
        w.sims[bob].media[media_mark..],
        [
            ("hide-sub", "alice".to_string()),
            ("stop-sub", "alice".to_string())
        ]
    );
    // The camera stayed.
    assert!(w.sims[bob].client.remote("alice").unwrap().video);

    // Again: available again, and shown again in the views bob gave (render intent kept).
    let mb = w.sims[bob].events.len();
    w.publish(alice, SHARING);
    assert_eq!(
        brief_room(w.sims[bob].events_since(mb)),
        ["sub-video on alice"]
    );
    assert!(w.forwards(bob, "alice", MediaKind::SubVideo));
    assert_eq!(
        w.sims[bob]
            .media
            .iter()
            .filter(|m| m.0 == "show-sub")
            .count(),
        2
    );
}

#[test]
fn a_late_joiner_sees_the_screen_and_an_exit_takes_it_first() {
    let mut w = World::new();
    let alice = w.add("alice");
    let bob = w.add("bob");
    w.join(alice, 8);
    w.publish(alice, SHARING);
    w.join(bob, 8);
    assert_eq!(
        brief_room(&w.sims[bob].events)[2..],
        [
            "enter alice",
            "audio on alice",
            "video on alice",
            "sub-video on alice"
        ]
    );
    let mb = w.sims[bob].events.len();
    w.exit(alice);
    assert_eq!(
        brief_room(w.sims[bob].events_since(mb)),
        [
            "sub-video off alice",
            "video off alice",
            "audio off alice",
            "exit alice 0"
        ]
    );
}

#[test]
fn muting_a_user_mutes_the_system_audio_too_and_an_audience_shares_nothing() {
    let mut w = World::new();
    let alice = w.add("alice");
    let bob = w.add("bob");
    w.join(alice, 8);
    w.join(bob, 8);
    w.publish(alice, SHARING);
    assert!(w.forwards(bob, "alice", MediaKind::SubAudio));
    w.input(
        bob,
        Input::MuteRemoteAudio {
            target: trtc_core::client::Target::User("alice".into()),
            mute: true,
        },
    );
    assert!(!w.forwards(bob, "alice", MediaKind::SubAudio));
    assert!(!w.forwards(bob, "alice", MediaKind::Audio));

    // An audience (live scene) publishes nothing, screen included.
    let carol = w.add("carol");
    w.join_with(
        carol,
        live_config("carol", 9, trtc_core::room::Role::Audience),
    );
    w.publish(carol, SHARING);
    assert!(!w.sims[carol].sent.iter().any(|m| matches!(
        m,
        ClientMsg::Publish {
            sub_video: true,
            ..
        }
    )));
}
