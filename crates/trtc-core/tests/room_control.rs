//! Being removed (kick, banned, room_disband), live roles and switchRole, and publish state.

mod common;

use common::*;
use trtc_core::client::{Input, LocalMedia};
use trtc_core::room::Role as ConfigRole;
use trtc_proto::{ClientMsg, MediaKind, Role};

#[test]
fn banned_by_the_admin_api() {
    let mut w = World::new();
    let alice = w.add("alice");
    let bob = w.add("bob");
    for s in [alice, bob] {
        w.join(s, 8);
        w.publish(s, PUBLISHING);
    }
    let (ma, mb) = (w.sims[alice].events.len(), w.sims[bob].events.len());
    let fx = w
        .registry
        .remove_users(APP, &room_id(8), &["alice".to_string()])
        .unwrap();
    w.admin(fx);
    assert_eq!(
        brief_room(w.sims[alice].events_since(ma)),
        [
            "publish audio started->stopped (api-call)",
            "publish video started->stopped (api-call)",
            "state CONNECTED->DISCONNECTED",
            "kicked banned",
        ]
    );
    assert_eq!(
        brief_room(w.sims[bob].events_since(mb)),
        ["video off alice", "audio off alice", "exit alice 2"]
    );
    assert!(!w.sims[alice].client.in_room());
    assert_eq!(w.sims[alice].client.next_wake(), None, "no reconnection");
    w.advance(30_000.0);
    assert!(!w.sims[alice].client.in_room());
    // She may enter again.
    w.join(alice, 8);
}

#[test]
fn a_dismissed_room_kicks_everyone() {
    let mut w = World::new();
    let alice = w.add("alice");
    let bob = w.add("bob");
    w.join(alice, 8);
    w.join(bob, 8);
    let fx = w.registry.dismiss(APP, &room_id(8)).unwrap();
    w.admin(fx);
    for s in [alice, bob] {
        assert_eq!(
            brief_room(&w.sims[s].events)
                .iter()
                .rev()
                .take(2)
                .cloned()
                .collect::<Vec<_>>(),
            ["kicked room_disband", "state CONNECTED->DISCONNECTED"]
        );
        assert!(!w.sims[s].client.in_room());
    }
}

#[test]
fn an_audience_is_invisible_publishes_nothing_and_becomes_an_anchor() {
    let mut w = World::new();
    let anchor = w.add("anchor");
    let viewer = w.add("viewer");
    let op = w.enter(anchor, live_config("anchor", 9, ConfigRole::Anchor));
    assert_eq!(w.sims[anchor].result(op), Some(&Ok(())));
    w.publish(anchor, PUBLISHING);
    let op = w.enter(viewer, live_config("viewer", 9, ConfigRole::Audience));
    assert_eq!(w.sims[viewer].result(op), Some(&Ok(())));
    let ma = w.sims[anchor].events.len();
    // The audience captures: previewed, not published.
    w.publish(viewer, PUBLISHING);
    assert!(!w.sims[viewer]
        .sent
        .iter()
        .any(|m| matches!(m, ClientMsg::Publish { audio: true, .. })));
    assert_eq!(
        brief_room(&w.sims[viewer].events),
        [
            "state DISCONNECTED->CONNECTING",
            "state CONNECTING->CONNECTED",
            "enter anchor",
            "audio on anchor",
            "video on anchor",
        ]
    );
    assert!(w.forwards(viewer, "anchor", MediaKind::Audio));
    w.advance(10_000.0);
    assert!(
        brief_room(w.sims[anchor].events_since(ma)).is_empty(),
        "the audience is not seen"
    );

    let mv = w.sims[viewer].events.len();
    let op = w.switch_role(viewer, Role::Anchor, None);
    assert_eq!(w.sims[viewer].result(op), Some(&Ok(())));
    assert_eq!(
        brief_room(w.sims[viewer].events_since(mv)),
        [
            "publish audio stopped->starting",
            "publish video stopped->starting",
            "publish audio starting->started",
            "publish video starting->started",
        ]
    );
    assert_eq!(
        brief_room(w.sims[anchor].events_since(ma)),
        ["enter viewer", "audio on viewer", "video on viewer"]
    );

    let (ma, mv) = (w.sims[anchor].events.len(), w.sims[viewer].events.len());
    let op = w.switch_role(viewer, Role::Audience, None);
    assert_eq!(w.sims[viewer].result(op), Some(&Ok(())));
    assert_eq!(
        brief_room(w.sims[viewer].events_since(mv)),
        [
            "publish audio started->stopped (api-call)",
            "publish video started->stopped (api-call)",
        ]
    );
    assert_eq!(
        brief_room(w.sims[anchor].events_since(ma)),
        ["audio off viewer", "video off viewer", "exit viewer 3"]
    );
    // The same role again, or switchRole in the rtc scene, sends nothing and resolves.
    let sent = w.sims[viewer].sent.len();
    let op = w.switch_role(viewer, Role::Audience, None);
    assert_eq!(w.sims[viewer].sent.len(), sent);
    assert_eq!(w.sims[viewer].result(op), Some(&Ok(())));
    let rtc = w.add("rtc");
    w.join(rtc, 10);
    let sent = w.sims[rtc].sent.len();
    let op = w.switch_role(rtc, Role::Audience, None);
    assert_eq!(w.sims[rtc].sent.len(), sent);
    assert_eq!(w.sims[rtc].result(op), Some(&Ok(())));
}

#[test]
fn an_audience_keeps_its_role_across_a_reconnection() {
    let mut w = World::new();
    let anchor = w.add("anchor");
    let viewer = w.add("viewer");
    w.enter(anchor, live_config("anchor", 9, ConfigRole::Anchor));
    w.publish(anchor, PUBLISHING);
    w.enter(viewer, live_config("viewer", 9, ConfigRole::Audience));
    w.publish(viewer, PUBLISHING);
    let ma = w.sims[anchor].events.len();
    w.drop_socket(viewer);
    assert!(w.sims[viewer].client.is_joined());
    let joins: Vec<Role> = w.sims[viewer]
        .sent
        .iter()
        .filter_map(|m| match m {
            ClientMsg::Join(j) => Some(j.role),
            _ => None,
        })
        .collect();
    assert_eq!(joins, [Role::Audience, Role::Audience]);
    w.advance(5_000.0);
    assert!(brief_room(w.sims[anchor].events_since(ma)).is_empty());
}

#[test]
fn publish_state_follows_capture_and_mutes_reach_the_others() {
    let mut w = World::new();
    let alice = w.add("alice");
    let bob = w.add("bob");
    w.join(alice, 8);
    w.join(bob, 8);
    let mb = w.sims[bob].events.len();
    let audio_only = LocalMedia {
        audio: true,
        ..LocalMedia::default()
    };
    w.publish(alice, audio_only);
    w.publish(
        alice,
        LocalMedia {
            audio_muted: true,
            ..audio_only
        },
    );
    w.publish(alice, audio_only);
    w.publish(alice, LocalMedia::default());
    assert_eq!(
        brief_room(&w.sims[alice].events)[3..],
        [
            "publish audio stopped->starting",
            "publish audio starting->started",
            "publish audio started->stopped (api-call)",
        ]
    );
    assert_eq!(
        brief_room(w.sims[bob].events_since(mb)),
        [
            "audio on alice",
            "audio off alice",
            "audio on alice",
            "audio off alice"
        ]
    );
    // Capture before entering is published on entry.
    let carol = w.add("carol");
    w.publish(carol, PUBLISHING);
    w.join(carol, 8);
    assert_eq!(
        brief_room(&w.sims[carol].events)[..4],
        [
            "state DISCONNECTED->CONNECTING",
            "state CONNECTING->CONNECTED",
            "publish audio stopped->starting",
            "publish video stopped->starting",
        ]
    );
    assert!(w.forwards(bob, "carol", MediaKind::Audio));
}

/// A privateMapKey of `user` for room `room` with `bits` (Tencent's layout, signed with the
/// test app's key).
fn key(user: &str, room: u32, bits: u32) -> String {
    use trtc_usersig::private_map::{userbuf, PrivateRoom};
    let buf = userbuf(
        user,
        APP as u32,
        &PrivateRoom::Num(room),
        (EPOCH_UNIX + 86_400) as u32,
        bits,
    );
    trtc_usersig::sign_with_userbuf(APP, KEY, user, 86_400, EPOCH_UNIX, &buf)
}

#[test]
fn a_publish_the_key_does_not_allow_stops_with_the_servers_code_and_a_new_key_publishes() {
    let mut w = World::new();
    let viewer = w.add("viewer");
    // Create and enter (1, 2), receive audio and video (8, 32), no send rights.
    w.join_with(
        viewer,
        trtc_core::room::EnterRoomConfig {
            private_map_key: Some(key("viewer", 24, 1 | 2 | 8 | 32)),
            ..live_config("viewer", 24, ConfigRole::Anchor)
        },
    );
    let m = w.sims[viewer].events.len();
    w.publish(viewer, PUBLISHING);
    let events = w.sims[viewer].events_since(m);
    assert_eq!(
        brief_room(events),
        [
            "publish audio stopped->starting",
            "publish video stopped->starting",
            "publish audio starting->stopped (error) Some(-100006)",
            "publish video starting->stopped (error) Some(-100006)",
        ]
    );
    let error = events
        .iter()
        .find_map(|e| match e {
            trtc_core::client::Event::PublishState { error, .. } => error.clone(),
            _ => None,
        })
        .expect("an error");
    assert_eq!(error.code, trtc_core::error::ErrorCode::ServerError);
    assert!(
        error.message.contains("send audio") && error.message.contains("privateMapKey"),
        "{}",
        error.message
    );
    assert!(!w.forwards(viewer, "viewer", MediaKind::Audio));
    // switchRole with a key that has the send rights publishes what is captured.
    let m = w.sims[viewer].events.len();
    let a = w.switch_role(viewer, Role::Audience, Some(key("viewer", 24, 255)));
    let b = w.switch_role(viewer, Role::Anchor, None);
    assert_eq!(w.sims[viewer].result(a), Some(&Ok(())));
    assert_eq!(w.sims[viewer].result(b), Some(&Ok(())));
    let events = brief_room(w.sims[viewer].events_since(m));
    assert!(
        events.ends_with(&[
            "publish audio starting->started".to_string(),
            "publish video starting->started".to_string(),
        ]),
        "{events:?}"
    );
}

/// The error `sim`'s call `op` was rejected with (it must have settled, and failed).
fn rejection(w: &World, sim: usize, op: trtc_core::client::OpId) -> trtc_core::error::RtcErrorInfo {
    w.sims[sim]
        .result(op)
        .cloned()
        .expect("settled")
        .unwrap_err()
}

/// The error `sim`'s call `op` was rejected with: the server's privilege refusal (5400 / -100006).
fn privilege_refusal(
    w: &World,
    sim: usize,
    op: trtc_core::client::OpId,
) -> trtc_core::error::RtcErrorInfo {
    let err = rejection(w, sim, op);
    assert_eq!(err.code, trtc_core::error::ErrorCode::ServerError);
    assert_eq!(err.extra_code, Some(-100006));
    err
}

#[test]
fn a_switch_role_the_key_does_not_allow_rejects_with_the_servers_code_and_changes_nothing() {
    let mut w = World::new();
    let anchor = w.add("anchor");
    let viewer = w.add("viewer");
    w.join_with(anchor, live_config("anchor", 25, ConfigRole::Anchor));
    let all = key("viewer", 25, 255);
    w.join_with(
        viewer,
        trtc_core::room::EnterRoomConfig {
            private_map_key: Some(all.clone()),
            ..live_config("viewer", 25, ConfigRole::Audience)
        },
    );
    w.publish(viewer, PUBLISHING);
    let (ma, mv) = (w.sims[anchor].events.len(), w.sims[viewer].events.len());
    // A key for another room: refused with the server's code; still an audience.
    let op = w.switch_role(viewer, Role::Anchor, Some(key("viewer", 99, 255)));
    let err = privilege_refusal(&w, viewer, op);
    assert_eq!(err.function_name, "switchRole");
    assert!(err.message.contains("privateMapKey"), "{}", err.message);
    assert_eq!(w.sims[viewer].client.role(), Some(Role::Audience));
    assert!(brief_room(w.sims[viewer].events_since(mv)).is_empty());
    assert!(brief_room(w.sims[anchor].events_since(ma)).is_empty());
    assert!(!w.forwards(anchor, "viewer", MediaKind::Audio));
    // The key kept is the one that worked: a reconnection joins with it.
    w.drop_socket(viewer);
    let last_join_key = w.sims[viewer].sent.iter().rev().find_map(|m| match m {
        ClientMsg::Join(j) => Some(j.private_map_key.clone()),
        _ => None,
    });
    assert_eq!(last_join_key, Some(Some(all)));
    // With a good key the same switch works and publishes.
    let op = w.switch_role(viewer, Role::Anchor, Some(key("viewer", 25, 255)));
    assert_eq!(w.sims[viewer].result(op), Some(&Ok(())));
    assert_eq!(w.sims[viewer].client.role(), Some(Role::Anchor));
    assert!(w.forwards(anchor, "viewer", MediaKind::Audio));
}

#[test]
fn switch_role_waits_for_the_server_and_is_sent_again_after_a_reconnection() {
    let mut w = World::new();
    let viewer = w.add("viewer");
    w.join_with(viewer, live_config("viewer", 26, ConfigRole::Audience));
    w.publish(viewer, PUBLISHING);
    w.block(viewer, true);
    let op = w.switch_role(viewer, Role::Anchor, None);
    assert_eq!(w.sims[viewer].result(op), None, "waits for the answer");
    assert_eq!(w.sims[viewer].client.role(), Some(Role::Audience));
    // The link is lost before the answer: the next join (as an audience) sends it again.
    w.block(viewer, false);
    w.drop_socket(viewer);
    assert_eq!(w.sims[viewer].result(op), Some(&Ok(())));
    assert_eq!(w.sims[viewer].client.role(), Some(Role::Anchor));
    // Leaving before an answer rejects the call (5998).
    w.block(viewer, true);
    let op = w.switch_role(viewer, Role::Audience, None);
    w.exit(viewer);
    let err = rejection(&w, viewer, op);
    assert_eq!(err.code, trtc_core::error::ErrorCode::OperationAbort);
}

#[test]
fn a_subscription_the_key_does_not_allow_is_refused_once_and_a_new_key_receives() {
    let mut w = World::new();
    let anchor = w.add("anchor");
    let viewer = w.add("viewer");
    w.join_with(anchor, live_config("anchor", 27, ConfigRole::Anchor));
    w.publish(anchor, PUBLISHING);
    // Enter (2) and receive audio (8); no video reception (32).
    w.join_with(
        viewer,
        trtc_core::room::EnterRoomConfig {
            private_map_key: Some(key("viewer", 27, 1 | 2 | 8)),
            ..live_config("viewer", 27, ConfigRole::Audience)
        },
    );
    assert!(w.forwards(viewer, "anchor", MediaKind::Audio));
    assert!(!w.forwards(viewer, "anchor", MediaKind::Video));
    let op = w.op_for(viewer);
    w.input(
        viewer,
        Input::RemoteVideo {
            user_id: "anchor".into(),
            kind: MediaKind::Video,
            on: true,
        },
    );
    w.input(
        viewer,
        Input::AwaitSubscription {
            op,
            user_id: "anchor".into(),
            kind: MediaKind::Video,
        },
    );
    let err = privilege_refusal(&w, viewer, op);
    assert!(err.message.contains("receive video"), "{}", err.message);
    assert!(!w.forwards(viewer, "anchor", MediaKind::Video));
    // Not asked again while the key stays (a reconnection neither).
    let subscribes = |w: &World| {
        w.sims[viewer]
            .sent
            .iter()
            .filter(|m| {
                matches!(
                    m,
                    ClientMsg::Subscribe {
                        kind: MediaKind::Video,
                        on: true,
                        ..
                    }
                )
            })
            .count()
    };
    let before = subscribes(&w);
    w.drop_socket(viewer);
    assert_eq!(subscribes(&w), before);
    // A key with the right: the video comes.
    let op = w.switch_role(viewer, Role::Audience, Some(key("viewer", 27, 255)));
    assert_eq!(w.sims[viewer].result(op), Some(&Ok(())));
    assert!(w.forwards(viewer, "anchor", MediaKind::Video));
    // A subscription the server takes resolves after its ping's answer.
    let op = w.op_for(viewer);
    w.input(
        viewer,
        Input::AwaitSubscription {
            op,
            user_id: "anchor".into(),
            kind: MediaKind::Video,
        },
    );
    assert_eq!(w.sims[viewer].result(op), Some(&Ok(())));
}
