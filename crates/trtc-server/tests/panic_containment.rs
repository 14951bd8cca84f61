//! A panic while handling one client's message ends that client's connection only: the hub's
//! lock is not poisoned into refusing every later call, and the other clients — those already
//! in the room and those who come after — join, send and receive as before.
//!
//! The panic is a real one on the real path: a userSig check injected with `Hub::set_auth`
//! panics for one userId, inside `Registry::handle` → `join`, called by `Hub::handle_text`
//! under the hub's lock, called by the connection's WebSocket task.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use trtc_proto::{ClientMsg, MediaKind, ServerMsg};
use trtc_server::clock::now_unix;
use trtc_server::hub::{Hub, Out};
use trtc_server::room::{Apps, Auth};

const APP: u64 = 1_400_000_001;
const KEY: &str = "panic-test-key";
/// The userId whose join panics.
const BOOM: &str = "boom";

/// The apps' TLS-sig check, except that it panics for [`BOOM`] (a bug in the join path).
struct PanicsForBoom(Apps);

impl Auth for PanicsForBoom {
    fn check(&self, app: u64, user: &str, sig: &str, now: u64) -> Result<(), (i64, String)> {
        if user == BOOM {
            panic!("injected: checking the userSig of '{user}' panics");
        }
        self.0.check(app, user, sig, now)
    }
}

fn hub() -> std::sync::Arc<Hub> {
    let apps = Apps::new([(APP, KEY.to_string())]);
    let hub = Hub::new(apps.clone(), None, None);
    hub.set_auth(PanicsForBoom(apps));
    hub
}

fn join(user: &str) -> String {
    let sig = trtc_usersig::sign(APP, KEY, user, 3600, now_unix());
    format!(
        r#"{{"type":"join","version":1,"sdkAppId":{APP},"userId":"{user}","userSig":"{sig}","room":{{"num":5}}}}"#
    )
}

fn publish_audio() -> String {
    ClientMsg::Publish {
        audio: true,
        video: false,
        sub_video: false,
        sub_audio: false,
        small: false,
    }
    .encode()
}

fn drain(rx: &mut trtc_server::hub::Outbox) -> Vec<ServerMsg> {
    let mut out = Vec::new();
    while let Ok(o) = rx.try_recv() {
        if let Out::Msg(m) = o {
            out.push(m);
        }
    }
    out
}

#[test]
fn the_hub_carries_on_after_a_panic_under_its_lock() {
    let hub = hub();
    let (alice, mut ra) = hub.connect();
    hub.handle_text(alice, &join("alice"));
    assert!(matches!(&drain(&mut ra)[..], [ServerMsg::Joined { .. }]));

    let (boom, _rboom) = hub.connect();
    let panicked = std::panic::catch_unwind(|| hub.handle_text(boom, &join(BOOM)));
    assert!(panicked.is_err(), "the injected check panics");
    hub.failed(boom);
    assert_eq!(hub.connections(), 1, "boom is forgotten");

    // Everything after works: a new client joins, publishes, and both hear about each other.
    let (bob, mut rb) = hub.connect();
    hub.handle_text(bob, &join("bob"));
    assert!(matches!(&drain(&mut rb)[..], [ServerMsg::Joined { users, .. }] if users.len() == 1));
    hub.handle_text(bob, &publish_audio());
    assert_eq!(
        drain(&mut ra),
        vec![
            ServerMsg::UserEnter {
                user_id: "bob".into()
            },
            ServerMsg::MediaState {
                user_id: "bob".into(),
                kind: MediaKind::Audio,
                available: true
            }
        ]
    );
    hub.handle_text(alice, r#"{"type":"ping","seq":3}"#);
    assert_eq!(drain(&mut ra), vec![ServerMsg::Pong { seq: 3 }]);
    assert_eq!(
        hub.rooms()[0].1,
        vec!["alice".to_string(), "bob".to_string()]
    );
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A server on a free port around `hub`; returns its `ws://` URL.
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

/// The next server message, or `None` when the server closed the connection.
async fn next(ws: &mut Ws) -> Option<ServerMsg> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("the server answers within 5 s");
        match frame {
            Some(Ok(Message::Text(t))) => return Some(ServerMsg::decode(&t).unwrap()),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => {}
        }
    }
}

async fn connect(url: &str, user: &str) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    ws.send(Message::text(join(user))).await.unwrap();
    ws
}

#[tokio::test]
async fn a_panic_in_one_connection_closes_that_connection_only() {
    let hub = hub();
    let url = serve(hub.clone()).await;
    let mut alice = connect(&url, "alice").await;
    assert!(matches!(
        next(&mut alice).await,
        Some(ServerMsg::Joined { .. })
    ));

    // boom's join panics in its connection's task: boom's socket is closed, nothing else.
    let mut boom = connect(&url, BOOM).await;
    assert_eq!(next(&mut boom).await, None, "boom's connection is closed");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while hub.connections() != 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "boom's connection is forgotten"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // alice is still served.
    alice
        .send(Message::text(r#"{"type":"ping","seq":1}"#))
        .await
        .unwrap();
    assert_eq!(next(&mut alice).await, Some(ServerMsg::Pong { seq: 1 }));

    // A new client joins, sends and receives; alice hears of it.
    let mut bob = connect(&url, "bob").await;
    match next(&mut bob).await {
        Some(ServerMsg::Joined { user_id, users }) => {
            assert_eq!(user_id, "bob");
            assert_eq!(users.len(), 1);
            assert_eq!(users[0].user_id, "alice");
        }
        other => panic!("bob: {other:?}"),
    }
    assert_eq!(
        next(&mut alice).await,
        Some(ServerMsg::UserEnter {
            user_id: "bob".into()
        })
    );
    bob.send(Message::text(publish_audio())).await.unwrap();
    assert_eq!(
        next(&mut alice).await,
        Some(ServerMsg::MediaState {
            user_id: "bob".into(),
            kind: MediaKind::Audio,
            available: true
        })
    );
    alice.send(Message::text(publish_audio())).await.unwrap();
    assert_eq!(
        next(&mut bob).await,
        Some(ServerMsg::MediaState {
            user_id: "alice".into(),
            kind: MediaKind::Audio,
            available: true
        })
    );
    assert_eq!(
        hub.rooms()[0].1,
        vec!["alice".to_string(), "bob".to_string()]
    );

    // And a panic again, after all that, is contained the same way.
    let mut boom = connect(&url, BOOM).await;
    assert_eq!(next(&mut boom).await, None);
    bob.send(Message::text(r#"{"type":"ping","seq":2}"#))
        .await
        .unwrap();
    assert_eq!(next(&mut bob).await, Some(ServerMsg::Pong { seq: 2 }));
}

/// The release build is what runs in production: it must unwind, or the first panic above
/// would end the process (tests build with `unwind` whatever the release profile says).
#[test]
fn the_release_profile_unwinds() {
    let manifest =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml"))
            .expect("the workspace's Cargo.toml");
    let release: Vec<&str> = manifest
        .lines()
        .skip_while(|l| l.trim() != "[profile.release]")
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with('['))
        .map(str::trim)
        .collect();
    assert!(
        release.contains(&r#"panic = "unwind""#),
        "[profile.release] of the workspace sets panic = \"unwind\": {release:?}"
    );
}
