//! Unit checks of the parts the server-driven host tests (`tests/room_*.rs`) do not reach.

use super::*;
use crate::quality::Stat;

fn joined() -> RoomClient {
    let mut c = RoomClient::new();
    let config = EnterRoomConfig {
        sdk_app_id: 1.0,
        user_id: "alice".into(),
        user_sig: "sig".into(),
        room: crate::room::RoomRef::Num(8),
        scene: crate::room::Scene::Rtc,
        role: crate::room::Role::Anchor,
        auto_receive_audio: true,
        auto_receive_video: false,
        enable_autoplay_dialog: true,
        websocket_proxy: None,
        ice: Default::default(),
        private_map_key: None,
        use_vp8: false,
    };
    c.handle(
        Input::Enter {
            op: 1,
            config,
            url: "ws://s".into(),
            session: "s".into(),
            give_up_ms: 60_000.0,
        },
        0.0,
    );
    c.handle(Input::SocketOpened(1), 0.0);
    c.handle(
        Input::Message(
            1,
            ServerMsg::Joined {
                user_id: "alice".into(),
                users: vec![],
            },
        ),
        0.0,
    );
    c
}

fn drain(c: &mut RoomClient) -> Vec<Effect> {
    std::iter::from_fn(|| c.poll()).collect()
}

#[test]
fn statistics_every_two_seconds_from_the_second_snapshot() {
    let mut c = joined();
    let fx = drain(&mut c);
    assert!(
        fx.contains(&Effect::CollectStats { conn: 1 }),
        "baseline at join"
    );
    let report = |c: &mut RoomClient, conn| {
        c.handle(
            Input::Stats {
                conn,
                stats: vec![Stat::new("candidate-pair", "p").number("currentRoundTripTime", 0.02)],
                link: LinkState::Connected,
                track_ids: vec![],
            },
            0.0,
        );
        drain(c)
    };
    assert!(report(&mut c, 1).is_empty(), "the baseline emits nothing");
    assert_eq!(c.next_wake(), Some(2000.0));
    c.handle(Input::Timer, 2000.0);
    let fx = drain(&mut c);
    assert!(fx.contains(&Effect::CollectStats { conn: 1 }));
    assert!(fx.contains(&Effect::Send {
        conn: 1,
        msg: ClientMsg::Ping { seq: 1 }
    }));
    let fx = report(&mut c, 1);
    assert!(matches!(fx[0], Effect::Emit(Event::NetworkQuality(_))));
    assert!(matches!(fx[1], Effect::Emit(Event::Statistics(_))));
    assert!(
        report(&mut c, 7).is_empty(),
        "another connection's report is ignored"
    );
}

#[test]
fn nothing_is_timed_outside_a_room() {
    let mut c = RoomClient::new();
    assert_eq!(c.next_wake(), None);
    c.handle(Input::Timer, 1e9);
    assert_eq!(c.poll(), None);
    let mut c = joined();
    drain(&mut c);
    c.handle(
        Input::Exit {
            op: None,
            cause: ExitCause::PageHide,
        },
        1.0,
    );
    assert_eq!(c.next_wake(), None);
}

fn entering() -> RoomClient {
    let mut c = RoomClient::new();
    let config = EnterRoomConfig {
        sdk_app_id: 1.0,
        user_id: "alice".into(),
        user_sig: "sig".into(),
        room: crate::room::RoomRef::Num(8),
        scene: crate::room::Scene::Rtc,
        role: crate::room::Role::Anchor,
        auto_receive_audio: true,
        auto_receive_video: false,
        enable_autoplay_dialog: true,
        websocket_proxy: None,
        ice: Default::default(),
        private_map_key: None,
        use_vp8: false,
    };
    c.handle(
        Input::Enter {
            op: 1,
            config,
            url: "ws://entry/trtc/ws".into(),
            session: "s".into(),
            give_up_ms: 60_000.0,
        },
        0.0,
    );
    c.handle(Input::SocketOpened(1), 0.0);
    drain(&mut c);
    c
}

fn redirect(url: &str) -> ServerMsg {
    ServerMsg::Redirect { url: url.into() }
}

fn connects(fx: &[Effect]) -> Vec<(ConnId, String)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Connect { conn, url, .. } => Some((*conn, url.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_redirect_is_followed_a_few_times_and_joins_there() {
    let mut c = entering();
    c.handle(Input::Message(1, redirect("ws://owner:2/trtc/ws")), 10.0);
    let fx = drain(&mut c);
    assert_eq!(connects(&fx), vec![(2, "ws://owner:2/trtc/ws".to_string())]);
    assert!(fx.contains(&Effect::Disconnect {
        conn: 1,
        reconnecting: true
    }));
    // The old connection's close is not a failure of the join.
    c.handle(
        Input::SocketClosed {
            conn: 1,
            error: None,
        },
        11.0,
    );
    assert!(!drain(&mut c)
        .iter()
        .any(|e| matches!(e, Effect::Settle { .. })));
    // Redirected again (twice more): followed; a fourth in a row is not.
    for (conn, port) in [(2, 3), (3, 4)] {
        c.handle(Input::SocketOpened(conn), 20.0);
        let url = format!("ws://owner:{port}/trtc/ws");
        c.handle(Input::Message(conn, redirect(&url)), 20.0);
        assert_eq!(connects(&drain(&mut c)), vec![(conn + 1, url)]);
    }
    c.handle(Input::SocketOpened(4), 30.0);
    c.handle(Input::Message(4, redirect("ws://owner:5/trtc/ws")), 30.0);
    assert!(connects(&drain(&mut c)).is_empty());
    // The join on the last node succeeds.
    c.handle(
        Input::Message(
            4,
            ServerMsg::Joined {
                user_id: "alice".into(),
                users: vec![],
            },
        ),
        31.0,
    );
    assert!(drain(&mut c).contains(&Effect::Settle {
        op: 1,
        result: Ok(())
    }));
    assert!(c.is_joined());
}

#[test]
fn a_redirect_to_a_bad_url_or_after_joining_is_not_followed() {
    let long = format!("ws://{}/trtc/ws", "a".repeat(300));
    for bad in [
        "javascript:alert(1)",
        "http://owner/trtc/ws",
        "ws://u@owner/trtc/ws",
        "ws://owner /x",
        long.as_str(),
    ] {
        let mut c = entering();
        c.handle(Input::Message(1, redirect(bad)), 10.0);
        assert!(connects(&drain(&mut c)).is_empty(), "{bad}");
        // The server's close then fails the enterRoom as usual.
        c.handle(
            Input::SocketClosed {
                conn: 1,
                error: None,
            },
            11.0,
        );
        assert!(drain(&mut c).iter().any(|e| matches!(
            e,
            Effect::Settle {
                op: 1,
                result: Err(_)
            }
        )));
    }
    let mut c = joined();
    drain(&mut c);
    c.handle(Input::Message(1, redirect("ws://owner:2/trtc/ws")), 10.0);
    assert!(connects(&drain(&mut c)).is_empty());
    assert!(c.is_joined());
}

#[test]
fn after_a_lost_connection_reconnection_starts_at_the_entry_url_again() {
    let mut c = entering();
    c.handle(Input::Message(1, redirect("ws://owner:2/trtc/ws")), 10.0);
    drain(&mut c);
    c.handle(Input::SocketOpened(2), 10.0);
    c.handle(
        Input::Message(
            2,
            ServerMsg::Joined {
                user_id: "alice".into(),
                users: vec![],
            },
        ),
        10.0,
    );
    drain(&mut c);
    c.handle(
        Input::SocketClosed {
            conn: 2,
            error: None,
        },
        100.0,
    );
    let fx = drain(&mut c);
    assert_eq!(
        connects(&fx),
        vec![(3, "ws://entry/trtc/ws".to_string())],
        "{fx:?}"
    );
    // And a redirect during the attempt is followed too.
    c.handle(Input::SocketOpened(3), 101.0);
    c.handle(Input::Message(3, redirect("ws://other:9/trtc/ws")), 101.0);
    assert_eq!(
        connects(&drain(&mut c)),
        vec![(4, "ws://other:9/trtc/ws".to_string())]
    );
    // That node is gone too: the next attempt starts at the entry URL again.
    c.handle(
        Input::SocketClosed {
            conn: 4,
            error: None,
        },
        102.0,
    );
    drain(&mut c);
    let wake = c.next_wake().expect("a next attempt");
    c.handle(Input::Timer, wake);
    assert_eq!(
        connects(&drain(&mut c)),
        vec![(5, "ws://entry/trtc/ws".to_string())]
    );
}
