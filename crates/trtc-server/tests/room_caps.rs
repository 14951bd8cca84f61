//! Rooms per app and users per room: a join beyond a cap fails with `JoinFailed` and a code
//! the SDK turns into an `enterRoom` rejection, and changes nothing — through the hub's text
//! path, and over a real WebSocket. Also what an oversized frame gets over the socket.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use trtc_proto::{code, ServerMsg, MAX_MESSAGE_BYTES};
use trtc_server::clock::now_unix;
use trtc_server::hub::Outbox;
use trtc_server::hub::{Hub, Out};
use trtc_server::limits::Limits;
use trtc_server::room::Apps;

const APP: u64 = 1_400_000_001;
const KEY: &str = "caps-test-key";

fn join(user: &str, room: &str) -> String {
    let sig = trtc_usersig::sign(APP, KEY, user, 3600, now_unix());
    format!(
        r#"{{"type":"join","version":1,"sdkAppId":{APP},"userId":"{user}","userSig":"{sig}","room":{room}}}"#
    )
}

fn drain(rx: &mut Outbox) -> Vec<ServerMsg> {
    let mut out = Vec::new();
    while let Ok(o) = rx.try_recv() {
        if let Out::Msg(m) = o {
            out.push(m);
        }
    }
    out
}

fn hub(max_rooms_per_app: usize, max_users_per_room: usize) -> std::sync::Arc<Hub> {
    let hub = Hub::new(Apps::new([(APP, KEY.to_string())]), None, None);
    hub.set_limits(Limits {
        max_rooms_per_app,
        max_users_per_room,
        ..Limits::default()
    });
    hub
}

#[test]
fn joins_beyond_the_caps_fail_with_a_code_and_change_nothing() {
    // Two rooms per app, two users per room.
    let hub = hub(2, 2);
    let mut rxs = Vec::new();
    for (user, room) in [
        ("a", r#"{"num":1}"#),
        ("b", r#"{"num":1}"#),
        ("c", r#"{"str":"x"}"#),
    ] {
        let (c, mut rx) = hub.connect();
        hub.handle_text(c, &join(user, room));
        assert!(
            matches!(drain(&mut rx)[0], ServerMsg::Joined { .. }),
            "{user}"
        );
        rxs.push(rx);
    }
    for rx in &mut rxs {
        drain(rx);
    }
    let before = hub.rooms();
    let rows = [
        ("d", r#"{"num":1}"#, code::ROOM_FULL, "roomId 1 is full"),
        (
            "d",
            r#"{"num":2}"#,
            code::TOO_MANY_ROOMS,
            "sdkAppId 1400000001 has 2 rooms",
        ),
    ];
    for (user, room, want, says) in rows {
        let (c, mut rx) = hub.connect();
        hub.handle_text(c, &join(user, room));
        match &drain(&mut rx)[..] {
            [ServerMsg::JoinFailed { code, message }] => {
                assert_eq!(*code, want, "{message}");
                assert!(message.contains(says), "{message}");
            }
            other => panic!("{room}: {other:?}"),
        }
        // Not joined: room messages are refused.
        hub.handle_text(c, r#"{"type":"publish","audio":true,"video":false}"#);
        assert!(
            matches!(&drain(&mut rx)[..], [ServerMsg::Error { code, .. }] if *code == code::NOT_JOINED)
        );
        assert_eq!(hub.rooms(), before);
        for rx in &mut rxs {
            assert!(drain(rx).is_empty(), "members are not disturbed");
        }
    }
    // The room with space still takes a user.
    let (c, mut rx) = hub.connect();
    hub.handle_text(c, &join("d", r#"{"str":"x"}"#));
    assert!(matches!(drain(&mut rx)[0], ServerMsg::Joined { .. }));
}

/// A server on a free port with `hub`; returns its `ws://` URL.
async fn serve(hub: std::sync::Arc<Hub>) -> String {
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
async fn over_a_websocket_a_full_room_refuses_the_join() {
    let url = serve(hub(0, 1)).await;
    let (mut a, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    a.send(Message::text(join("a", r#"{"num":5}"#)))
        .await
        .unwrap();
    assert!(matches!(next(&mut a).await, Some(ServerMsg::Joined { .. })));
    let (mut b, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    b.send(Message::text(join("b", r#"{"num":5}"#)))
        .await
        .unwrap();
    match next(&mut b).await {
        Some(ServerMsg::JoinFailed { code, message }) => {
            assert_eq!(code, code::ROOM_FULL, "{message}");
            assert!(message.contains("--max-users-per-room"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // The refused connection stays open (the SDK closes it) and a sees nothing.
    b.send(Message::text(r#"{"type":"ping","seq":1}"#))
        .await
        .unwrap();
    assert_eq!(next(&mut b).await, Some(ServerMsg::Pong { seq: 1 }));
    a.send(Message::text(r#"{"type":"ping","seq":2}"#))
        .await
        .unwrap();
    assert_eq!(next(&mut a).await, Some(ServerMsg::Pong { seq: 2 }));
}

#[tokio::test]
async fn over_a_websocket_an_oversized_frame_is_answered() {
    let url = serve(hub(0, 0)).await;
    let (mut a, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    a.send(Message::text(join("a", r#"{"num":5}"#)))
        .await
        .unwrap();
    assert!(matches!(next(&mut a).await, Some(ServerMsg::Joined { .. })));
    // Just over the protocol's limit: the hub answers TOO_LARGE and the connection lives on.
    let big = format!(
        r#"{{"type":"answer","sdp":"{}"}}"#,
        "x".repeat(MAX_MESSAGE_BYTES)
    );
    a.send(Message::text(big)).await.unwrap();
    assert!(
        matches!(next(&mut a).await, Some(ServerMsg::Error { code, .. }) if code == code::TOO_LARGE)
    );
    a.send(Message::text(r#"{"type":"ping","seq":3}"#))
        .await
        .unwrap();
    assert_eq!(next(&mut a).await, Some(ServerMsg::Pong { seq: 3 }));
    // Far over it: the WebSocket layer cannot read on; the client is told, then closed, and
    // leaves its room (b sees it exit at once, not after a reconnection timeout).
    let (mut b, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    b.send(Message::text(join("b", r#"{"num":5}"#)))
        .await
        .unwrap();
    assert!(matches!(next(&mut b).await, Some(ServerMsg::Joined { .. })));
    assert!(matches!(
        next(&mut a).await,
        Some(ServerMsg::UserEnter { .. })
    ));
    a.send(Message::text("x".repeat(4 * MAX_MESSAGE_BYTES)))
        .await
        .unwrap();
    match next(&mut a).await {
        Some(ServerMsg::Error { code, message }) => {
            assert_eq!(code, code::TOO_LARGE);
            assert!(message.contains("closing"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(next(&mut a).await, None, "closed");
    assert_eq!(
        next(&mut b).await,
        Some(ServerMsg::UserExit {
            user_id: "a".into(),
            reason: 0
        })
    );
}
