//! Dev mode as the binary runs it (issue 14's "dev mode signs userSigs only for its own dev app",
//! and the npm test kit's `--dev --app ID:KEY`): the dev app is the first `--app`, or the
//! built-in test app 1400000001 without `--app`. `/trtc/dev/usersig` signs for the dev app with
//! its key and refuses any other app; a bot (`POST /trtc/dev/bot`) joins the dev app's room, so
//! a user with a userSig signed by the kit's key sees it.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use trtc_proto::ServerMsg;
use trtc_server::clock::now_unix;

/// The built-in dev app (its key is public: in the binary and the README).
const BUILTIN_APP: u64 = 1_400_000_001;
const BUILTIN_KEY: &str = "trtc-wasm-dev-mode-key-not-secret";

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_trtc-server"))
            .args(["--listen", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--dev"])
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the trtc-server binary starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("trtc-server printed its URL")
                .expect("utf-8");
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break rest
                    .trim()
                    .trim_end_matches('/')
                    .parse()
                    .expect("host:port");
            }
        };
        Server { child, addr }
    }

    /// One HTTP/1.1 request; the status and the body.
    async fn http(&self, method: &str, path: &str) -> (u16, String) {
        let mut s = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        s.write_all(
            format!(
                "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                self.addr
            )
            .as_bytes(),
        )
        .await
        .unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).await.unwrap();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let status = text[9..12].parse().expect("a status");
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }

    /// A test userSig from `/trtc/dev/usersig` (`query` after `userId=…`): the status, and the
    /// sdkAppId and userSig it gave.
    async fn dev_usersig(&self, user: &str, query: &str) -> (u16, Option<(u64, String)>) {
        let (status, body) = self
            .http("GET", &format!("/trtc/dev/usersig?userId={user}{query}"))
            .await;
        let sig = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| Some((v["sdkAppId"].as_u64()?, v["userSig"].as_str()?.to_string())));
        (status, sig)
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Joins `room` as `user` of `app` with `sig`; the first reply.
async fn join(addr: SocketAddr, app: u64, user: &str, sig: &str, room: u32) -> (Ws, ServerMsg) {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/trtc/ws"))
        .await
        .expect("a WebSocket");
    ws.send(Message::text(format!(
        r#"{{"type":"join","version":1,"sdkAppId":{app},"userId":"{user}","userSig":"{sig}","room":{{"num":{room}}}}}"#
    )))
    .await
    .unwrap();
    let reply = next(&mut ws).await.expect("a reply to the join");
    (ws, reply)
}

async fn next(ws: &mut Ws) -> Option<ServerMsg> {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return ServerMsg::decode(&t).ok(),
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

/// Waits for `user` to enter (or to be in the room already when `joined` said so).
async fn sees(ws: &mut Ws, joined: &ServerMsg, user: &str) -> bool {
    if let ServerMsg::Joined { users, .. } = joined {
        if users.iter().any(|u| u.user_id == user) {
            return true;
        }
    }
    while let Some(m) = next(ws).await {
        if matches!(&m, ServerMsg::UserEnter { user_id } if user_id == user) {
            return true;
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_app_is_the_dev_app_and_the_only_one_signed_for() {
    // As the npm test kit starts it: its own key for 1400000001 (and here a second app).
    let server = Server::start(&[
        "--app",
        "1400000001:kit-random-key",
        "--app",
        "1400000002:real-app-key",
    ]);
    let (status, sig) = server.dev_usersig("alice", "").await;
    assert_eq!(status, 200);
    let (app, sig) = sig.expect("a userSig");
    assert_eq!(app, BUILTIN_APP);
    assert!(
        trtc_usersig::verify(&sig, app, "kit-random-key", "alice", now_unix()).is_ok(),
        "signed with the key given on the command line"
    );
    // Never for another configured app, nor for one not configured.
    for other in ["&sdkAppId=1400000002", "&sdkAppId=42"] {
        assert_eq!(server.dev_usersig("alice", other).await.0, 403, "{other}");
    }
    // The kit signs its own userSigs with its key: the server takes them; the built-in key is
    // not configured.
    let kit_sig = trtc_usersig::sign(app, "kit-random-key", "tester", 3600, now_unix());
    let (mut ws, joined) = join(server.addr, app, "tester", &kit_sig, 7201).await;
    assert!(matches!(joined, ServerMsg::Joined { .. }), "{joined:?}");
    let builtin = trtc_usersig::sign(app, BUILTIN_KEY, "eve", 3600, now_unix());
    let (_, refused) = join(server.addr, app, "eve", &builtin, 7201).await;
    assert!(
        matches!(refused, ServerMsg::JoinFailed { .. }),
        "{refused:?}"
    );

    // A bot joins the kit's app: the user in the room sees it.
    let (status, body) = server
        .http("POST", "/trtc/dev/bot?userId=bot&roomId=7201")
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("1400000001"), "{body}");
    assert!(
        sees(&mut ws, &joined, "bot").await,
        "the bot entered the room"
    );
    let (status, _) = server
        .http("DELETE", "/trtc/dev/bot?userId=bot&roomId=7201")
        .await;
    assert_eq!(status, 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_sdkappid_given_to_dev_mode_is_the_dev_app() {
    let server = Server::start(&["--app", "1400000007:seven-key"]);
    let (status, sig) = server.dev_usersig("bob", "").await;
    assert_eq!(status, 200);
    let (app, sig) = sig.expect("a userSig");
    assert_eq!(app, 1_400_000_007);
    assert!(trtc_usersig::verify(&sig, app, "seven-key", "bob", now_unix()).is_ok());
    // The built-in test app is not there: dev mode does not add an app with a public key.
    assert_eq!(
        server
            .dev_usersig("bob", &format!("&sdkAppId={BUILTIN_APP}"))
            .await
            .0,
        403
    );
    let builtin = trtc_usersig::sign(BUILTIN_APP, BUILTIN_KEY, "eve", 3600, now_unix());
    let (_, refused) = join(server.addr, BUILTIN_APP, "eve", &builtin, 9).await;
    assert!(
        matches!(refused, ServerMsg::JoinFailed { .. }),
        "{refused:?}"
    );
    // Bots join 1400000007's rooms.
    let (mut ws, joined) = join(server.addr, app, "bob", &sig, 9).await;
    assert!(matches!(joined, ServerMsg::Joined { .. }), "{joined:?}");
    let (status, body) = server
        .http("POST", "/trtc/dev/bot?userId=robo&roomId=9")
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("1400000007"), "{body}");
    assert!(
        sees(&mut ws, &joined, "robo").await,
        "the bot entered the room"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_app_dev_mode_runs_the_builtin_test_app() {
    let server = Server::start(&[]);
    let (status, sig) = server.dev_usersig("carol", "").await;
    assert_eq!(status, 200);
    let (app, sig) = sig.expect("a userSig");
    assert_eq!(app, BUILTIN_APP);
    assert!(trtc_usersig::verify(&sig, app, BUILTIN_KEY, "carol", now_unix()).is_ok());
    // Never for the admin identifier.
    assert_eq!(server.dev_usersig("administrator", "").await.0, 403);
}
