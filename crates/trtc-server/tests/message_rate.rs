//! Messages per second per connection: a client over the rate has its messages dropped (the
//! first drop of a flood is answered with `RATE_LIMITED`), others are not disturbed, heartbeats
//! never trip a sane limit, and a client that keeps flooding is told, disconnected and leaves
//! its room — over the hub without sockets (time passed in) and over a real WebSocket.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use trtc_proto::{code, ClientMsg, ServerMsg};
use trtc_server::clock::now_unix;
use trtc_server::hub::Outbox;
use trtc_server::hub::{Hub, Out};
use trtc_server::limits::Limits;
use trtc_server::room::Apps;

const APP: u64 = 1_400_000_001;
const KEY: &str = "rate-test-key";
/// Unix ms of the start of the hub tests (the userSigs are signed for it).
const T0: u64 = 1_800_000_000_000;

fn join(user: &str, room: u32, now_unix: u64) -> String {
    let sig = trtc_usersig::sign(APP, KEY, user, 3600, now_unix);
    format!(
        r#"{{"type":"join","version":1,"sdkAppId":{APP},"userId":"{user}","userSig":"{sig}","room":{{"num":{room}}}}}"#
    )
}

fn ping(seq: u64) -> String {
    ClientMsg::Ping { seq }.encode()
}

/// Everything sent since the last call; `None` marks a close.
fn drain(rx: &mut Outbox) -> Vec<Option<ServerMsg>> {
    let mut out = Vec::new();
    while let Ok(o) = rx.try_recv() {
        out.push(match o {
            Out::Msg(m) => Some(m),
            Out::Close => None,
        });
    }
    out
}

fn rate_limited(m: &Option<ServerMsg>) -> bool {
    matches!(m, Some(ServerMsg::Error { code, message }) if *code == code::RATE_LIMITED && message.contains("too many messages"))
}

fn limits(per_sec: u32, burst: u32, flood_secs: u32) -> Limits {
    Limits {
        msgs_per_sec: per_sec,
        msg_burst: burst,
        flood_disconnect_secs: flood_secs,
        ..Limits::default()
    }
}

#[test]
fn a_burst_over_the_rate_is_dropped_and_told_once() {
    let hub = Hub::new(Apps::new([(APP, KEY.to_string())]), None, None);
    hub.set_limits(limits(10, 5, 3));
    let (alice, mut ra) = hub.connect();
    let (bob, mut rb) = hub.connect();
    hub.handle_text_at(alice, &join("alice", 7, T0 / 1000), T0);
    hub.handle_text_at(bob, &join("bob", 7, T0 / 1000), T0);
    drain(&mut ra);
    drain(&mut rb);
    // The join took one token of five: four pings pass, the fifth is refused and told, the
    // rest are dropped without a word.
    for seq in 0..10 {
        hub.handle_text_at(alice, &ping(seq), T0);
    }
    let got = drain(&mut ra);
    assert_eq!(got.len(), 5, "{got:?}");
    for (seq, m) in got[..4].iter().enumerate() {
        assert_eq!(m, &Some(ServerMsg::Pong { seq: seq as u64 }));
    }
    assert!(rate_limited(&got[4]), "{:?}", got[4]);
    // Dropped means not handled: a publish over the rate tells bob nothing.
    hub.handle_text_at(
        alice,
        r#"{"type":"publish","audio":true,"video":false}"#,
        T0,
    );
    assert!(drain(&mut ra).is_empty());
    assert!(drain(&mut rb).is_empty(), "bob is not disturbed");
    // bob has his own bucket.
    hub.handle_text_at(bob, &ping(1), T0);
    assert_eq!(drain(&mut rb), vec![Some(ServerMsg::Pong { seq: 1 })]);
    // A tenth of a second later alice has a token again.
    hub.handle_text_at(alice, &ping(99), T0 + 100);
    assert_eq!(drain(&mut ra), vec![Some(ServerMsg::Pong { seq: 99 })]);
    assert_eq!(
        hub.rooms()[0].1,
        vec!["alice".to_string(), "bob".to_string()]
    );
}

#[test]
fn heartbeats_and_normal_use_never_hit_the_default_limits() {
    let hub = Hub::new(Apps::new([(APP, KEY.to_string())]), None, None);
    hub.set_limits(Limits::default());
    let (alice, mut ra) = hub.connect();
    hub.handle_text_at(alice, &join("alice", 7, T0 / 1000), T0);
    let mut users = Vec::new();
    // Fifty others enter and publish audio and video: alice's SDK would subscribe to all 100
    // streams at once when entering after them; here she does it herself, at once.
    for i in 0..50 {
        let (c, _rx) = hub.connect();
        let u = format!("u{i}");
        hub.handle_text_at(c, &join(&u, 7, T0 / 1000), T0);
        hub.handle_text_at(c, r#"{"type":"publish","audio":true,"video":true}"#, T0);
        users.push((c, _rx, u));
    }
    drain(&mut ra);
    for (_, _, u) in &users {
        for kind in ["audio", "video"] {
            hub.handle_text_at(
                alice,
                &format!(r#"{{"type":"subscribe","userId":"{u}","kind":"{kind}","on":true}}"#),
                T0,
            );
        }
    }
    // Then an hour of heartbeats every 2 s, with a mute toggle now and then (alice reads what
    // she is sent as she goes: her queue is bounded).
    let mut got = drain(&mut ra);
    for i in 1..1800u64 {
        let t = T0 + i * 2000;
        hub.handle_text_at(alice, &ping(i), t);
        if i.is_multiple_of(30) {
            hub.handle_text_at(alice, r#"{"type":"mute","kind":"audio","muted":true}"#, t);
            hub.handle_text_at(alice, r#"{"type":"mute","kind":"audio","muted":false}"#, t);
            got.extend(drain(&mut ra));
        }
    }
    got.extend(drain(&mut ra));
    assert!(!got.iter().any(rate_limited), "never limited");
    assert!(!got.iter().any(Option::is_none), "never closed");
    assert_eq!(
        got.iter()
            .filter(|m| matches!(m, Some(ServerMsg::Pong { .. })))
            .count(),
        1799
    );
}

#[test]
fn a_client_that_keeps_flooding_is_disconnected_and_leaves() {
    let hub = Hub::new(Apps::new([(APP, KEY.to_string())]), None, None);
    hub.set_limits(limits(10, 5, 3));
    let (alice, mut ra) = hub.connect();
    let (bob, mut rb) = hub.connect();
    hub.handle_text_at(alice, &join("alice", 7, T0 / 1000), T0);
    hub.handle_text_at(bob, &join("bob", 7, T0 / 1000), T0);
    drain(&mut ra);
    drain(&mut rb);
    // 100 frames a second (ten times the rate) for 5 s.
    let mut closed_at = None;
    for i in 0..500u64 {
        let t = T0 + i * 10;
        hub.handle_text_at(alice, &ping(i), t);
        if closed_at.is_none() && drain(&mut ra).contains(&None) {
            closed_at = Some(t);
        }
    }
    let at = closed_at.expect("alice was disconnected") - T0;
    assert!((3000..3500).contains(&at), "after 3 s of flood, at {at} ms");
    // bob saw her leave; the room holds bob alone; alice's later frames do nothing.
    assert_eq!(
        drain(&mut rb),
        vec![Some(ServerMsg::UserExit {
            user_id: "alice".into(),
            reason: 0
        })]
    );
    assert_eq!(hub.rooms()[0].1, vec!["bob".to_string()]);
    hub.handle_text_at(alice, &ping(1), T0 + 60_000);
    assert!(drain(&mut ra).is_empty());
    // What a flooding client is told: once when the flood begins, once when it is closed.
    let hub2 = Hub::new(Apps::new([(APP, KEY.to_string())]), None, None);
    hub2.set_limits(limits(1, 1, 1));
    let (c, mut rc) = hub2.connect();
    for i in 0..20 {
        hub2.handle_text_at(c, &ping(i), T0 + i * 100);
    }
    let got = drain(&mut rc);
    assert_eq!(got.len(), 5, "{got:?}");
    assert_eq!(got[0], Some(ServerMsg::Pong { seq: 0 }));
    assert!(rate_limited(&got[1]));
    assert_eq!(
        got[2],
        Some(ServerMsg::Pong { seq: 10 }),
        "a token a second"
    );
    assert!(
        matches!(&got[3], Some(ServerMsg::Error { code, message }) if *code == code::RATE_LIMITED && message.contains("disconnected")),
        "{:?}",
        got[3]
    );
    assert_eq!(got[4], None);
}

/// A server on a free port with `limits`; returns its `ws://` URL.
async fn serve(limits: Limits) -> String {
    let hub = Hub::new(Apps::new([(APP, KEY.to_string())]), None, None);
    hub.set_limits(limits);
    let app = trtc_server::app_with_hub(
        &trtc_server::Config {
            www: "/nonexistent/www".into(),
            pkg: "/nonexistent/pkg".into(),
        },
        hub,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("ws://{addr}{}", trtc_proto::WS_PATH)
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next server message, or `None` when the server closed the connection.
async fn next(ws: &mut Ws) -> Option<ServerMsg> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("the server answers within 10 s");
        match frame {
            Some(Ok(Message::Text(t))) => return Some(ServerMsg::decode(&t).unwrap()),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn over_a_websocket_a_flood_is_answered_then_closed() {
    let url = serve(limits(20, 10, 1)).await;
    let (mut bob, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    bob.send(Message::text(join("bob", 3, now_unix())))
        .await
        .unwrap();
    assert!(matches!(
        next(&mut bob).await,
        Some(ServerMsg::Joined { .. })
    ));
    let (mut alice, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    alice
        .send(Message::text(join("alice", 3, now_unix())))
        .await
        .unwrap();
    assert!(matches!(
        next(&mut alice).await,
        Some(ServerMsg::Joined { .. })
    ));
    assert_eq!(
        next(&mut bob).await,
        Some(ServerMsg::UserEnter {
            user_id: "alice".into()
        })
    );
    // Flood: 1000 frames a second, text and binary, until the server closes (~1 s).
    let flood = tokio::spawn(async move {
        let mut i = 0u64;
        let mut tick = tokio::time::interval(Duration::from_millis(1));
        loop {
            tick.tick().await;
            let frame = if i.is_multiple_of(2) {
                Message::text(ping(i))
            } else {
                Message::binary(vec![0u8; 8])
            };
            if alice.send(frame).await.is_err() || i > 10_000 {
                return (alice, i);
            }
            i += 1;
        }
    });
    let (mut alice, _sent) = flood.await.unwrap();
    let mut got = Vec::new();
    while let Some(m) = next(&mut alice).await {
        got.push(m);
    }
    let limited: Vec<&String> = got
        .iter()
        .filter_map(|m| match m {
            ServerMsg::Error { code, message } if *code == code::RATE_LIMITED => Some(message),
            _ => None,
        })
        .collect();
    assert_eq!(
        limited.len(),
        2,
        "told once, then told why it is closed: {got:?}"
    );
    assert!(limited[1].contains("disconnected"));
    assert!(
        got.iter()
            .filter(|m| matches!(m, ServerMsg::Pong { .. }))
            .count()
            < 60,
        "most pings were dropped"
    );
    // bob saw alice leave, and still works.
    assert_eq!(
        next(&mut bob).await,
        Some(ServerMsg::UserExit {
            user_id: "alice".into(),
            reason: 0
        })
    );
    bob.send(Message::text(ping(7))).await.unwrap();
    assert_eq!(next(&mut bob).await, Some(ServerMsg::Pong { seq: 7 }));
}
