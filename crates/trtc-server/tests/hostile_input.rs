//! What one client may cost the server, through the hub without sockets (issue 14): replies
//! never quote more than a short prefix of what was sent, a client that does not read is cut
//! off at its queue's bound, one userId cannot fill an app's rooms, the message rate follows
//! the client's address across sockets, and an SFU peer exists only once there is media.

use std::net::IpAddr;

use trtc_proto::{code, ServerMsg};
use trtc_server::hub::{Hub, Out, Outbox, SendQueue};
use trtc_server::limits::Limits;
use trtc_server::room::{Apps, MESSAGE_CHARS};

const APP: u64 = 1_400_000_001;
const KEY: &str = "hostile-input-key";
/// Unix ms the userSigs are signed for.
const T0: u64 = 1_800_000_000_000;

fn hub() -> std::sync::Arc<Hub> {
    Hub::new(Apps::new([(APP, KEY.to_string())]), None, None)
}

fn join_at(user: &str, room: &str, extra: &str) -> String {
    let sig = trtc_usersig::sign(APP, KEY, user, 3600, T0 / 1000);
    format!(
        r#"{{"type":"join","version":1,"sdkAppId":{APP},"userId":"{user}","userSig":"{sig}","room":{room}{extra}}}"#
    )
}

fn drain(rx: &mut Outbox) -> Vec<Out> {
    let mut out = Vec::new();
    while let Ok(o) = rx.try_recv() {
        out.push(o);
    }
    out
}

/// The text of every message sent (joined, failed, error), in order.
fn messages(rx: &mut Outbox) -> Vec<(i64, String)> {
    drain(rx)
        .into_iter()
        .filter_map(|o| match o {
            Out::Msg(
                ServerMsg::JoinFailed { code, message } | ServerMsg::Error { code, message },
            ) => Some((code, message)),
            Out::Msg(ServerMsg::Joined { .. }) => Some((0, "joined".into())),
            _ => None,
        })
        .collect()
}

#[test]
fn replies_quote_at_most_a_short_prefix_of_the_input() {
    let hub = hub();
    let (c, mut rx) = hub.connect();
    let huge = "Q".repeat(100_000);
    let cases = [
        // A room id of 100 KB (invalid), quoted with `{:?}` before.
        join_at("alice", &format!(r#"{{"str":"{huge}"}}"#), ""),
        // An unknown message type: serde quotes it.
        format!(r#"{{"type":"{huge}"}}"#),
        // A string where a number goes: serde quotes it.
        format!(r#"{{"type":"ping","seq":"{huge}"}}"#),
        // A userSig signed for another (huge) userId.
        join_at("bob", r#"{"num":1}"#, "")
            .replace("\"userId\":\"bob\"", &format!("\"userId\":\"{huge}\"")),
        // A session far longer than any SDK's.
        join_at("carol", r#"{"num":1}"#, &format!(r#","session":"{huge}""#)),
    ];
    for text in &cases {
        hub.handle_text_at(c, text, T0);
        let got = messages(&mut rx);
        assert_eq!(got.len(), 1, "{got:?}");
        let (_, message) = &got[0];
        assert!(
            message.chars().count() <= MESSAGE_CHARS + 1,
            "a {}-character reply to a {}-byte message: {:.200}",
            message.chars().count(),
            text.len(),
            message
        );
    }
    // Joined, a subscription to a user of 100 KB who is not there.
    hub.handle_text_at(c, &join_at("dave", r#"{"num":1}"#, ""), T0);
    assert_eq!(messages(&mut rx), vec![(0, "joined".to_string())]);
    hub.handle_text_at(
        c,
        &format!(r#"{{"type":"subscribe","userId":"{huge}","kind":"audio","on":true}}"#),
        T0,
    );
    let got = messages(&mut rx);
    assert_eq!(got[0].0, code::NO_SUCH_USER);
    assert!(got[0].1.len() < 200, "{}", got[0].1);
}

#[test]
fn a_client_that_does_not_read_is_cut_off_at_its_queue_bound() {
    let hub = hub();
    hub.set_limits(Limits::UNLIMITED);
    hub.set_send_queue(SendQueue {
        max_msgs: 16,
        max_bytes: 4096,
    });
    let (c, mut rx) = hub.connect();
    let (other, mut orx) = hub.connect();
    hub.handle_text_at(c, &join_at("deaf", r#"{"num":1}"#, ""), T0);
    hub.handle_text_at(other, &join_at("reader", r#"{"num":1}"#, ""), T0);
    assert!(!rx.is_killed());
    for seq in 0..1000 {
        hub.handle_text_at(c, &format!(r#"{{"type":"ping","seq":{seq}}}"#), T0);
    }
    assert!(rx.is_killed(), "told to hang up");
    assert!(rx.queued_bytes() <= 4096, "{}", rx.queued_bytes());
    let queued = drain(&mut rx);
    assert!(queued.len() <= 16, "{}", queued.len());
    // The other client is served as before.
    drain(&mut orx);
    hub.handle_text_at(other, r#"{"type":"ping","seq":1}"#, T0);
    assert!(matches!(
        drain(&mut orx)[..],
        [Out::Msg(ServerMsg::Pong { seq: 1 })]
    ));
    // Bytes count too: one large message fits an empty queue, the next not.
    let hub = crate::hub();
    hub.set_send_queue(SendQueue {
        max_msgs: 1000,
        max_bytes: 300,
    });
    let (c, rx) = hub.connect();
    let text = format!(r#"{{"type":"{}"}}"#, "z".repeat(1000));
    hub.handle_text_at(c, &text, T0);
    assert!(!rx.is_killed(), "one message always fits an empty queue");
    hub.handle_text_at(c, &text, T0);
    assert!(rx.is_killed());
}

#[test]
fn one_user_cannot_hold_many_rooms_nor_open_them_fast() {
    let hub = hub();
    hub.set_limits(Limits {
        max_rooms_per_user: 2,
        room_creations_per_user_per_min: 3,
        ..Limits::default()
    });
    let mut conns = Vec::new();
    let mut try_join = |room: u32, t: u64| {
        let (c, mut rx) = hub.connect();
        hub.handle_text_at(
            c,
            &join_at("mallory", &format!(r#"{{"num":{room}}}"#), ""),
            t,
        );
        let got = messages(&mut rx);
        conns.push((c, rx));
        got[0].clone()
    };
    assert_eq!(try_join(1, T0).1, "joined");
    assert_eq!(try_join(2, T0).1, "joined");
    let (code3, why) = try_join(3, T0);
    assert_eq!(code3, code::TOO_MANY_ROOMS);
    assert!(why.contains("--max-rooms-per-user"), "{why}");
    // She leaves both: the openings are what stops her now (3 a minute; 2 used).
    for (c, _) in conns.drain(..) {
        hub.handle_text_at(c, r#"{"type":"leave"}"#, T0);
    }
    let mut opened = 0;
    let mut refused = None;
    for room in 10..20 {
        let (c, mut rx) = hub.connect();
        hub.handle_text_at(
            c,
            &join_at("mallory", &format!(r#"{{"num":{room}}}"#), ""),
            T0,
        );
        match messages(&mut rx)[0].clone() {
            (0, _) => {
                opened += 1;
                hub.handle_text_at(c, r#"{"type":"leave"}"#, T0);
            }
            (code, why) => {
                refused = Some((code, why));
                break;
            }
        }
    }
    assert_eq!(opened, 1);
    let (code, why) = refused.expect("refused");
    assert_eq!(code, code::TOO_MANY_ROOMS);
    assert!(why.contains("--room-creations-per-user-per-min"), "{why}");
    // Entering a room someone else opened is not opening one.
    let (c, mut rx) = hub.connect();
    hub.handle_text_at(c, &join_at("alice", r#"{"num":50}"#, ""), T0);
    assert_eq!(messages(&mut rx)[0].1, "joined");
    let (m, mut mrx) = hub.connect();
    hub.handle_text_at(m, &join_at("mallory", r#"{"num":50}"#, ""), T0);
    assert_eq!(messages(&mut mrx)[0].1, "joined");
    // A minute later she may open rooms again.
    let (c, mut rx) = hub.connect();
    hub.handle_text_at(c, &join_at("mallory", r#"{"num":60}"#, ""), T0 + 61_000);
    assert_eq!(messages(&mut rx)[0].1, "joined");
}

#[test]
fn lingering_live_rooms_cannot_keep_an_app_full() {
    let hub = hub();
    hub.set_limits(Limits {
        max_rooms_per_app: 3,
        ..Limits::default()
    });
    hub.set_live_linger(3600);
    // Three live rooms visited by an audience that left: each lingers for an hour.
    for room in 1..=3 {
        let (c, mut rx) = hub.connect();
        hub.handle_text_at(
            c,
            &join_at(
                "lurker",
                &format!(r#"{{"num":{room}}}"#),
                r#","scene":"live","role":"audience""#,
            ),
            T0,
        );
        assert_eq!(messages(&mut rx)[0].1, "joined");
        hub.handle_text_at(c, r#"{"type":"leave"}"#, T0);
    }
    assert_eq!(hub.rooms_of(APP).len(), 3);
    // A real room still opens: the oldest lingering one makes way.
    let (c, mut rx) = hub.connect();
    hub.handle_text_at(c, &join_at("alice", r#"{"num":99}"#, ""), T0 + 1000);
    assert_eq!(messages(&mut rx)[0].1, "joined");
    let rooms: Vec<_> = hub.rooms_of(APP).into_iter().map(|(r, _)| r).collect();
    assert_eq!(rooms.len(), 3);
    assert!(rooms.contains(&trtc_proto::RoomId::Num(99)));
    // Rooms with people in them never make way.
    for room in 100..=102 {
        let (c, mut rx) = hub.connect();
        hub.handle_text_at(
            c,
            &join_at(&format!("u{room}"), &format!(r#"{{"num":{room}}}"#), ""),
            T0 + 2000,
        );
        let got = messages(&mut rx);
        if room < 102 {
            assert_eq!(got[0].1, "joined", "{room}");
        } else {
            assert_eq!(got[0].0, code::TOO_MANY_ROOMS, "{room}");
        }
    }
}

#[test]
fn the_message_rate_follows_the_address_across_sockets() {
    let hub = hub();
    hub.set_limits(Limits {
        msgs_per_sec: 0,
        msgs_per_sec_per_ip: 10,
        msg_burst_per_ip: 5,
        ..Limits::default()
    });
    let ip: IpAddr = "192.0.2.7".parse().unwrap();
    let other: IpAddr = "198.51.100.1".parse().unwrap();
    let pongs = |rx: &mut Outbox| {
        drain(rx)
            .into_iter()
            .filter(|o| matches!(o, Out::Msg(ServerMsg::Pong { .. })))
            .count()
    };
    let (a, mut ra) = hub.connect_from(Some(ip));
    for seq in 0..20 {
        hub.handle_text_at(a, &format!(r#"{{"type":"ping","seq":{seq}}}"#), T0);
    }
    assert_eq!(pongs(&mut ra), 5, "the address's burst");
    // A new socket from the same address does not start afresh.
    let (b, mut rb) = hub.connect_from(Some(ip));
    hub.handle_text_at(b, r#"{"type":"ping","seq":1}"#, T0);
    let got = drain(&mut rb);
    assert!(
        matches!(&got[..], [Out::Msg(ServerMsg::Error { code, .. })] if *code == code::RATE_LIMITED),
        "{got:?}"
    );
    // Another address does.
    let (c, mut rc) = hub.connect_from(Some(other));
    hub.handle_text_at(c, r#"{"type":"ping","seq":1}"#, T0);
    assert_eq!(pongs(&mut rc), 1);
    // The bucket refills with time (10 a second).
    hub.handle_text_at(b, r#"{"type":"ping","seq":2}"#, T0 + 200);
    assert_eq!(pongs(&mut rb), 1);
    // It outlives the sockets: closed and reopened, still the same bucket.
    hub.disconnect_at(a, T0 + 200);
    hub.disconnect_at(b, T0 + 200);
    hub.tick_at(T0 + 200);
    let (d, mut rd) = hub.connect_from(Some(ip));
    for seq in 0..5 {
        hub.handle_text_at(d, &format!(r#"{{"type":"ping","seq":{seq}}}"#), T0 + 200);
    }
    assert!(pongs(&mut rd) < 5);
}
