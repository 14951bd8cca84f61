//! Big and small streams through the room client and the server's registry: the publisher's
//! `option.small` reaches the server with its publish, a subscriber's choice with its
//! subscription, and both reach the media plane (`SetSmall` before `SetPublish`, `SetLayer`
//! before `Subscribe`).

mod common;

use common::*;
use trtc_core::client::Input;
use trtc_proto::{ClientMsg, MediaKind};
use trtc_server::room::MediaCmd;

fn small_cmds(w: &World) -> Vec<MediaCmd> {
    w.layer_commands().to_vec()
}

#[test]
fn the_small_stream_goes_with_the_publish_and_the_choice_with_the_subscription() {
    let mut w = World::new();
    let alice = w.add("alice");
    let bob = w.add("bob");
    w.join(alice, 8);
    w.join(bob, 8);
    // Alice asks for a small stream before her camera is published: nothing to say yet.
    w.input(alice, Input::LocalSmall(true));
    assert!(!w.sims[alice]
        .sent
        .iter()
        .any(|m| matches!(m, ClientMsg::Publish { .. })));
    w.publish(alice, PUBLISHING);
    let publishes: Vec<&ClientMsg> = w.sims[alice]
        .sent
        .iter()
        .filter(|m| matches!(m, ClientMsg::Publish { .. }))
        .collect();
    assert_eq!(
        publishes,
        [&ClientMsg::Publish {
            audio: true,
            video: true,
            sub_video: false,
            sub_audio: false,
            small: true
        }],
        "one publish, with the small stream"
    );
    let cmds = small_cmds(&w);
    assert!(
        cmds.iter()
            .any(|c| matches!(c, MediaCmd::SetSmall { small: true, .. })),
        "{cmds:?}"
    );

    // Bob renders alice's video, asking for the small stream first.
    w.input(
        bob,
        Input::RemoteSmall {
            user_id: "alice".into(),
            small: true,
        },
    );
    w.input(
        bob,
        Input::RemoteVideo {
            user_id: "alice".into(),
            kind: MediaKind::Video,
            on: true,
        },
    );
    let subs = |w: &World| -> Vec<bool> {
        w.sims[bob]
            .sent
            .iter()
            .filter_map(|m| match m {
                ClientMsg::Subscribe {
                    user_id,
                    kind: MediaKind::Video,
                    on: true,
                    small,
                } if user_id == "alice" => Some(*small),
                _ => None,
            })
            .collect()
    };
    assert_eq!(subs(&w).last(), Some(&true));
    assert!(w.forwards(bob, "alice", MediaKind::Video));
    // Back to big while playing: told at once; the same choice again says nothing.
    let n = subs(&w).len();
    w.input(
        bob,
        Input::RemoteSmall {
            user_id: "alice".into(),
            small: false,
        },
    );
    assert_eq!(subs(&w)[n..], [false]);
    w.input(
        bob,
        Input::RemoteSmall {
            user_id: "alice".into(),
            small: false,
        },
    );
    assert_eq!(subs(&w).len(), n + 1);
    let layers: Vec<bool> = small_cmds(&w)
        .iter()
        .filter_map(|c| match c {
            MediaCmd::SetLayer { small, .. } => Some(*small),
            _ => None,
        })
        .collect();
    assert_eq!(layers.last(), Some(&false));
    assert!(layers.contains(&true));

    // Alice stops her small stream: a publish says so.
    let before = w.sims[alice].sent.len();
    w.input(alice, Input::LocalSmall(false));
    assert_eq!(
        w.sims[alice].sent[before..],
        [ClientMsg::Publish {
            audio: true,
            video: true,
            sub_video: false,
            sub_audio: false,
            small: false
        }]
    );
}
