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
