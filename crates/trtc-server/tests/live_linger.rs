//! `--live-linger` (`Hub::set_live_linger`, what `main` calls with the flag's value) reaches the
//! room logic: a live room whose last leaver was an audience stays listed for that long, then
//! goes; an rtc room goes at once.

use trtc_proto::{ClientMsg, ServerMsg};
use trtc_server::clock::{now_unix, now_unix_ms};
use trtc_server::hub::{Hub, Out};
use trtc_server::room::Apps;

const APP: u64 = 1_400_000_001;
const KEY: &str = "linger-test-key";

fn joined(rx: &mut trtc_server::hub::Outbox) -> bool {
    while let Ok(o) = rx.try_recv() {
        if let Out::Msg(ServerMsg::Joined { .. }) = o {
            return true;
        }
    }
    false
}

/// One user enters `room` in `scene` as `role`, then leaves; returns the time it left (ms).
fn visit(hub: &Hub, user: &str, room: u32, scene: &str, role: &str) -> u64 {
    let (c, mut rx) = hub.connect();
    let sig = trtc_usersig::sign(APP, KEY, user, 3600, now_unix());
    hub.handle_text(
        c,
        &format!(
            r#"{{"type":"join","version":1,"sdkAppId":{APP},"userId":"{user}","userSig":"{sig}","room":{{"num":{room}}},"scene":"{scene}","role":"{role}"}}"#
        ),
    );
    assert!(joined(&mut rx), "{user} joined");
    hub.handle_text(c, &ClientMsg::Leave.encode());
    now_unix_ms()
}

fn listed(hub: &Hub, room: u32) -> bool {
    hub.rooms_of(APP)
        .iter()
        .any(|(id, _)| *id == trtc_proto::RoomId::Num(room))
}

#[test]
fn the_flag_value_sets_how_long_an_emptied_live_room_lingers() {
    for linger in [5u64, 40] {
        let hub = Hub::new(Apps::new([(APP, KEY.to_string())]), None, None);
        hub.set_live_linger(linger);
        let left = visit(&hub, "viewer", 7001, "live", "audience");
        assert!(
            listed(&hub, 7001),
            "linger {linger}: still there right after"
        );
        hub.tick_at(left + (linger - 2) * 1000);
        assert!(
            listed(&hub, 7001),
            "linger {linger}: still there before the time"
        );
        hub.tick_at(left + (linger + 2) * 1000);
        assert!(!listed(&hub, 7001), "linger {linger}: gone after the time");

        // An anchor leaving last, and an rtc room: no lingering.
        visit(&hub, "host", 7002, "live", "anchor");
        assert!(!listed(&hub, 7002));
        visit(&hub, "caller", 7003, "rtc", "anchor");
        assert!(!listed(&hub, 7003));
    }
}
