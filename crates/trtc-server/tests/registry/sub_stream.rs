//! The sub stream (a shared screen and its system audio): published, seen, subscribed and
//! withdrawn on its own, next to the camera.

use crate::support::*;

fn publish(audio: bool, video: bool, sub_video: bool, sub_audio: bool) -> ClientMsg {
    ClientMsg::Publish {
        audio,
        video,
        sub_video,
        sub_audio,
        small: false,
    }
}

fn media_state(user: &str, kind: MediaKind, available: bool) -> ServerMsg {
    ServerMsg::MediaState {
        user_id: user.into(),
        kind,
        available,
    }
}

#[test]
fn sharing_a_screen_next_to_the_camera() {
    let mut r = populated(&[(1, "alice", RoomId::Num(8)), (2, "bob", RoomId::Num(8))]);
    r.handle(1, publish(true, true, false, false), 0);
    let fx = r.handle(1, publish(true, true, true, true), 0);
    // Only the new streams change: the screen and its audio get slots at bob and are announced.
    let cmds = media(&fx);
    assert!(cmds.contains(&MediaCmd::SetPublish {
        peer: 1,
        audio: true,
        video: true,
        sub_video: true,
        sub_audio: true,
    }));
    for kind in [MediaKind::SubVideo, MediaKind::SubAudio] {
        assert!(cmds.contains(&MediaCmd::AddSource {
            subscriber: 2,
            source: 1,
            kind
        }));
    }
    assert!(!cmds
        .iter()
        .any(|c| matches!(c, MediaCmd::AddSource { kind, .. } if !kind.is_sub())));
    assert_eq!(
        sent(&fx, 2),
        [
            media_state("alice", MediaKind::SubVideo, true),
            media_state("alice", MediaKind::SubAudio, true)
        ]
    );
    // A late joiner sees all four, and gets slots for them.
    let fx = r.handle(3, join("carol", RoomId::Num(8)), 0);
    let users = match &sent(&fx, 3)[0] {
        ServerMsg::Joined { users, .. } => users.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        users[0],
        RemoteUser {
            user_id: "alice".into(),
            audio: true,
            video: true,
            sub_video: true,
            sub_audio: true,
        }
    );
    let slots = media(&fx)
        .into_iter()
        .filter(|c| matches!(c, MediaCmd::AddSource { subscriber: 3, .. }))
        .count();
    assert_eq!(slots, 4);
    // Subscribing to the screen is its own subscription; the screen has no small layer (the
    // small stream is the camera's), so asking for it picks no layer.
    let fx = r.handle(
        2,
        ClientMsg::Subscribe {
            user_id: "alice".into(),
            kind: MediaKind::SubVideo,
            on: true,
            small: true,
        },
        0,
    );
    assert!(!media(&fx)
        .iter()
        .any(|c| matches!(c, MediaCmd::SetLayer { .. })));
    assert!(media(&fx).contains(&MediaCmd::Subscribe {
        subscriber: 2,
        source: 1,
        kind: MediaKind::SubVideo,
        on: true
    }));
    // Stopping the share: the screen goes, the camera stays.
    let fx = r.handle(1, publish(true, true, false, false), 0);
    assert_eq!(
        sent(&fx, 2),
        [
            media_state("alice", MediaKind::SubVideo, false),
            media_state("alice", MediaKind::SubAudio, false)
        ]
    );
    assert!(media(&fx).contains(&MediaCmd::RemoveSource {
        subscriber: 2,
        source: 1,
        kind: MediaKind::SubVideo
    }));
    assert!(!media(&fx)
        .iter()
        .any(|c| matches!(c, MediaCmd::RemoveSource { kind, .. } if !kind.is_sub())));
}

#[test]
fn an_audience_cannot_share_and_leaving_takes_the_screen_along_with_the_peer() {
    let mut r = scene();
    r.handle(9, live_join("viewer", 5, Role::Audience), 0);
    let fx = r.handle(9, publish(false, false, true, false), 0);
    assert!(matches!(
        sent(&fx, 9)[..],
        [ServerMsg::Error { code: c, .. }] if c == code::ROLE_AUDIENCE
    ));
    let mut r = populated(&[(1, "alice", RoomId::Num(8)), (2, "bob", RoomId::Num(8))]);
    r.handle(1, publish(false, false, true, false), 0);
    let fx = r.handle(1, ClientMsg::Leave, 0);
    assert_eq!(
        sent(&fx, 2),
        [ServerMsg::UserExit {
            user_id: "alice".into(),
            reason: ExitReason::Normal as u8
        }]
    );
    // (The SDK reports the screen unavailable before the exit: `room_screen.rs` in trtc-core.)
    assert!(media(&fx).contains(&MediaCmd::RemovePeer { peer: 1 }));
}
