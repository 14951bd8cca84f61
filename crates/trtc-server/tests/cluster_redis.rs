//! Many servers through Redis (`crate::cluster`), against a real `redis-server` each test starts
//! on a free loopback port (no persistence): the claim scripts, node death and takeover, the
//! refresh loop sending away the clients of a room another node owns, and a join redirected
//! over a real WebSocket.
//!
//! `redis-server` is Debian's (`scripts/setup.sh` installs it); without it these tests fail
//! and say so.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use trtc_proto::{RoomId, ServerMsg};
use trtc_server::clock::now_unix;
use trtc_server::cluster::node::Node;
use trtc_server::cluster::store::{Claimed, Store};
use trtc_server::cluster::{room_key, Owner, PublicUrl, ROOM_TTL_MS};
use trtc_server::hub::{Hub, Out};
use trtc_server::room::Apps;

const APP: u64 = 1_400_000_001;
const KEY: &str = "cluster-test-key";

/// A `redis-server` on a free loopback port, killed when dropped.
struct Redis {
    child: Child,
    url: String,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn redis() -> Redis {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect(
            "redis-server runs (install it: scripts/setup.sh, or apt-get install redis-server)",
        );
    let r = Redis {
        child,
        url: format!("redis://127.0.0.1:{port}"),
    };
    // Up when it answers a PING: a bounded wait on that.
    let store = Store::new(&r.url).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while store.ping().await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "redis-server did not answer within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    r
}

fn url(port: u16) -> PublicUrl {
    PublicUrl::parse(&format!("http://127.0.0.1:{port}")).unwrap()
}

/// A raw command, to look at what the nodes wrote.
async fn raw<T: redis::FromRedisValue>(r: &Redis, args: &[&str]) -> T {
    let client = redis::Client::open(r.url.as_str()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query_async(&mut c).await.unwrap()
}

#[tokio::test]
async fn one_node_claims_a_room_and_the_others_are_told_who() {
    let r = redis().await;
    let (a, b) = (Store::new(&r.url).unwrap(), Store::new(&r.url).unwrap());
    a.heartbeat("a", &url(1), None).await.unwrap();
    b.heartbeat("b", &url(2), None).await.unwrap();
    let key = room_key(APP, &RoomId::Num(8));
    let mut nodes = a.nodes(10).await.unwrap();
    nodes.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(nodes, vec![("a".into(), url(1)), ("b".into(), url(2))]);
    assert_eq!(a.nodes(1).await.unwrap().len(), 1);

    assert_eq!(a.claim(&key, "a").await, Ok(Claimed::Mine));
    assert_eq!(
        b.claim(&key, "b").await,
        Ok(Claimed::Other {
            id: "a".into(),
            url: url(1)
        })
    );
    // Claiming again is a refresh for the holder.
    assert_eq!(a.claim(&key, "a").await, Ok(Claimed::Mine));
    let ttl: i64 = raw(&r, &["PTTL", &key]).await;
    assert!(ttl > 0 && ttl <= ROOM_TTL_MS as i64, "{ttl}");
    let ttl: i64 = raw(&r, &["PTTL", "trtc:node:a"]).await;
    assert!(ttl > 0, "the heartbeat key expires: {ttl}");

    // Only the holder refreshes or releases it.
    assert_eq!(a.refresh(&key, "a").await, Ok(true));
    assert_eq!(b.refresh(&key, "b").await, Ok(false));
    assert_eq!(b.release(&key, "b").await, Ok(false));
    let holder: Option<String> = raw(&r, &["GET", &key]).await;
    assert_eq!(holder.as_deref(), Some("a"));
    assert_eq!(a.release(&key, "a").await, Ok(true));
    let holder: Option<String> = raw(&r, &["GET", &key]).await;
    assert_eq!(holder, None);
    assert_eq!(b.claim(&key, "b").await, Ok(Claimed::Mine));
}

#[tokio::test]
async fn a_room_of_a_dead_node_is_taken_over() {
    let r = redis().await;
    let (a, b) = (Store::new(&r.url).unwrap(), Store::new(&r.url).unwrap());
    a.heartbeat("a", &url(1), None).await.unwrap();
    b.heartbeat("b", &url(2), None).await.unwrap();
    let key = room_key(APP, &RoomId::Str("room-x".into()));
    assert_eq!(a.claim(&key, "a").await, Ok(Claimed::Mine));
    // a's heartbeat key goes (it expired: the node died).
    let _: i64 = raw(&r, &["DEL", "trtc:node:a"]).await;
    assert_eq!(b.claim(&key, "b").await, Ok(Claimed::Mine));
    // a, should it come back, finds it has lost the room.
    assert_eq!(a.refresh(&key, "a").await, Ok(false));
    a.heartbeat("a", &url(1), None).await.unwrap();
    assert_eq!(
        a.claim(&key, "a").await,
        Ok(Claimed::Other {
            id: "b".into(),
            url: url(2)
        })
    );
}

#[tokio::test]
async fn of_many_nodes_claiming_at_once_exactly_one_wins() {
    let r = redis().await;
    let key = room_key(APP, &RoomId::Num(77));
    let mut tasks = Vec::new();
    for i in 0..8u16 {
        let u = r.url.clone();
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            let s = Store::new(&u).unwrap();
            let id = format!("n{i}");
            s.heartbeat(&id, &url(1000 + i), None).await.unwrap();
            (id.clone(), s.claim(&key, &id).await.unwrap())
        }));
    }
    let mut winners = Vec::new();
    let mut told = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            (id, Claimed::Mine) => winners.push(id),
            (_, Claimed::Other { id, .. }) => told.push(id),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    assert!(
        told.iter().all(|t| t == &winners[0]),
        "{told:?} vs {winners:?}"
    );
}

#[tokio::test]
async fn a_bad_redis_url_is_refused_and_an_unreachable_one_fails_in_time() {
    assert!(Store::new("http://127.0.0.1:6379").is_err());
    // A port nobody listens on: an error, not a hang.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let s = Store::new(&format!("redis://127.0.0.1:{port}")).unwrap();
    let t = tokio::time::Instant::now();
    assert!(s.claim("trtc:room:1:n:1", "a").await.is_err());
    assert!(t.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_node_holding_claims_in_redis_that_point_to_a_bad_url_is_not_redirected_to() {
    let r = redis().await;
    let s = Store::new(&r.url).unwrap();
    let key = room_key(APP, &RoomId::Num(9));
    let _: () = raw(&r, &["SET", "trtc:node:evil", "javascript:alert(1)"]).await;
    let _: () = raw(&r, &["SET", &key, "evil"]).await;
    assert!(s.claim(&key, "a").await.is_err());
}

fn apps() -> Apps {
    Apps::new([(APP, KEY.to_string())])
}

fn join(user: &str, room: u32) -> String {
    let sig = trtc_usersig::sign(APP, KEY, user, 3600, now_unix());
    format!(
        r#"{{"type":"join","version":1,"sdkAppId":{APP},"userId":"{user}","userSig":"{sig}","room":{{"num":{room}}},"session":"s-{user}"}}"#
    )
}

fn drain(rx: &mut trtc_server::hub::Outbox) -> Vec<Out> {
    let mut out = Vec::new();
    while let Ok(o) = rx.try_recv() {
        out.push(o);
    }
    out
}

#[tokio::test]
async fn routing_claims_and_the_refresh_loop_sends_away_a_room_another_node_owns() {
    let r = redis().await;
    let hub_a = Hub::new(apps(), None, None);
    let hub_b = Hub::new(apps(), None, None);
    let a = Node::new("a".into(), url(1), Store::new(&r.url).unwrap());
    let b = Node::new("b".into(), url(2), Store::new(&r.url).unwrap());
    a.refresh_once(&hub_a).await;
    b.refresh_once(&hub_b).await;
    let room = (APP, RoomId::Num(5));

    assert_eq!(a.route(&room).await, Ok(Owner::Me));
    assert!(a.holds(&room));
    assert_eq!(
        b.route(&room).await,
        Ok(Owner::Node {
            id: "a".into(),
            url: url(1)
        })
    );
    // Alice joins on a; a's refresh keeps the claim.
    let (alice, mut ra) = hub_a.connect();
    hub_a.handle_text(alice, &join("alice", 5));
    assert!(matches!(
        &drain(&mut ra)[..],
        [Out::Msg(ServerMsg::Joined { .. })]
    ));
    let done = a.refresh_once(&hub_a).await;
    assert_eq!(done.refreshed, 1);
    assert_eq!(done.evicted, 0);

    // Bob got into the room on b without a redirect (b opened it while Redis was out of its
    // reach, say): b's refresh finds a owns it and sends bob away.
    let (bob, mut rb) = hub_b.connect();
    hub_b.handle_text(bob, &join("bob", 5));
    assert!(matches!(
        &drain(&mut rb)[..],
        [Out::Msg(ServerMsg::Joined { .. })]
    ));
    let done = b.refresh_once(&hub_b).await;
    assert_eq!(done.evicted, 1);
    assert!(matches!(drain(&mut rb).last(), Some(Out::Close)));
    assert!(hub_b.rooms().is_empty());

    // Alice leaves: a releases the room at its next refresh, and b may claim it.
    hub_a.disconnect(alice);
    let done = a.refresh_once(&hub_a).await;
    assert_eq!(done.released, 1);
    assert!(!a.holds(&room));
    let holder: Option<String> = raw(&r, &["GET", &room_key(APP, &RoomId::Num(5))]).await;
    assert_eq!(holder, None);
    assert_eq!(b.route(&room).await, Ok(Owner::Me));

    // A node that stops deletes its claims and its heartbeat.
    b.leave().await;
    let keys: Vec<String> = raw(&r, &["KEYS", "trtc:*"]).await;
    assert_eq!(keys, vec!["trtc:node:a".to_string()]);
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A node on a free loopback port: its hub, its node and its `http://` URL.
async fn serve_node(r: &Redis, id: &str) -> (Arc<Hub>, Arc<Node>, u16) {
    serve_node_as(r, id, |port| (url(port), None)).await
}

/// [`serve_node`] with the public URL and `--cluster-url` `urls` makes from its port.
async fn serve_node_as(
    r: &Redis,
    id: &str,
    urls: impl FnOnce(u16) -> (PublicUrl, Option<PublicUrl>),
) -> (Arc<Hub>, Arc<Node>, u16) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hub = Hub::new(apps(), None, None);
    let (public, cluster) = urls(port);
    let node = Node::with_cluster_url(id.into(), public, cluster, Store::new(&r.url).unwrap());
    node.refresh_once(&hub).await;
    let app = trtc_server::app_in_cluster(
        &trtc_server::Config {
            www: "/nonexistent/www".into(),
            pkg: "/nonexistent/pkg".into(),
        },
        hub.clone(),
        trtc_server::bot::Bots::new(),
        trtc_server::record::Recorder::new(),
        Some(node.clone()),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (hub, node, port)
}

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

/// `user` joined to `room` on the node at `port` (the join answered `joined`).
async fn joined_on(port: u16, user: &str, room: u32) -> Ws {
    let mut ws = connect(&format!("ws://127.0.0.1:{port}/trtc/ws"), &join(user, room)).await;
    assert!(matches!(
        next(&mut ws).await,
        Some(ServerMsg::Joined { .. })
    ));
    ws
}

async fn connect(ws_url: &str, join: &str) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url).await.unwrap();
    ws.send(Message::text(join.to_string())).await.unwrap();
    ws
}

#[tokio::test]
async fn a_join_on_a_node_without_the_room_is_redirected_to_its_owner() {
    let r = redis().await;
    let (hub_a, _a, port_a) = serve_node(&r, "a").await;
    let (hub_b, _b, port_b) = serve_node(&r, "b").await;
    let ws_a = format!("ws://127.0.0.1:{port_a}/trtc/ws");
    let ws_b = format!("ws://127.0.0.1:{port_b}/trtc/ws");

    // Alice opens room 3 on a.
    let mut alice = connect(&ws_a, &join("alice", 3)).await;
    assert!(matches!(
        next(&mut alice).await,
        Some(ServerMsg::Joined { .. })
    ));
    // Bob joins on b: sent to a, and the connection is closed.
    let mut bob = connect(&ws_b, &join("bob", 3)).await;
    assert_eq!(
        next(&mut bob).await,
        Some(ServerMsg::Redirect { url: ws_a.clone() })
    );
    assert_eq!(next(&mut bob).await, None);
    assert!(hub_b.rooms().is_empty(), "b opened nothing");
    // Following it, bob is in alice's room.
    let mut bob = connect(&ws_a, &join("bob", 3)).await;
    assert!(
        matches!(next(&mut bob).await, Some(ServerMsg::Joined { users, .. }) if users.len() == 1)
    );
    assert_eq!(
        next(&mut alice).await,
        Some(ServerMsg::UserEnter {
            user_id: "bob".into()
        })
    );
    assert_eq!(hub_a.rooms()[0].1, vec!["alice", "bob"]);

    // A join with a bad userSig is not routed (nor claims anything): b's registry refuses it.
    let bad = join("carol", 4).replace("userSig\":\"", "userSig\":\"x");
    let mut carol = connect(&ws_b, &bad).await;
    assert!(matches!(
        next(&mut carol).await,
        Some(ServerMsg::JoinFailed { .. })
    ));
    let claimed: Option<String> = raw(&r, &["GET", &room_key(APP, &RoomId::Num(4))]).await;
    assert_eq!(claimed, None);
}

#[tokio::test]
async fn a_join_is_refused_with_a_code_when_redis_is_gone() {
    let r = redis().await;
    let (_hub, _node, port) = serve_node(&r, "a").await;
    drop(r);
    let mut c = connect(&format!("ws://127.0.0.1:{port}/trtc/ws"), &join("dave", 6)).await;
    assert!(matches!(
        next(&mut c).await,
        Some(ServerMsg::Error { code, .. }) if code == trtc_proto::code::CLUSTER_UNAVAILABLE
    ));
    assert_eq!(next(&mut c).await, None);
}

/// One HTTP/1.1 request to a node on loopback; its status and body.
async fn http(port: u16, method: &str, path_query: &str, body: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let req = format!(
        "{method} {path_query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out))
        .await
        .expect("the node answers within 10 s")
        .unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text[9..12].parse().unwrap();
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    // The chunked encoding of a forwarded answer: the JSON is between the first and last lines.
    // (Plain text, e.g. a 502's message, is left as it came.)
    let body = if body.starts_with('{') || !body.contains('{') {
        body.to_string()
    } else {
        body.lines()
            .filter(|l| l.starts_with('{'))
            .collect::<Vec<_>>()
            .join("")
    };
    (status, body)
}

fn admin_query() -> String {
    let sig = trtc_usersig::sign(APP, KEY, "administrator", 3600, now_unix());
    format!("sdkappid={APP}&identifier=administrator&usersig={sig}&random=7")
}

#[tokio::test]
async fn the_admin_api_answers_on_every_node() {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let r = redis().await;
    let (_hub_a, _a, port_a) = serve_node(&r, "a").await;
    let (_hub_b, _b, port_b) = serve_node(&r, "b").await;
    let (_hub_c, _c, port_c) = serve_node(&r, "c").await;
    let mut alice = joined_on(port_a, "alice", 11).await;
    let mut bob = joined_on(port_b, "bob", 12).await;

    // Every node lists the whole cluster's rooms.
    for port in [port_a, port_b, port_c] {
        let (status, body) = http(
            port,
            "GET",
            &format!("/trtc/admin/v1/rooms?{}", admin_query()),
            "",
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let mut rooms: Vec<(u64, Vec<String>)> = v["Rooms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["RoomId"].as_u64().unwrap(),
                    serde_json::from_value(r["UserIds"].clone()).unwrap(),
                )
            })
            .collect();
        rooms.sort();
        assert_eq!(
            rooms,
            vec![
                (11, vec!["alice".to_string()]),
                (12, vec!["bob".to_string()])
            ],
            "on port {port}"
        );
    }
    // Without a valid admin userSig, no node lists anything (nor asks the others).
    let (status, _) = http(
        port_c,
        "GET",
        "/trtc/admin/v1/rooms?sdkappid=1400000001&usersig=x",
        "",
    )
    .await;
    assert_eq!(status, 403);

    // RemoveUser sent to c kicks alice on a.
    let (status, body) = http(
        port_c,
        "POST",
        &format!("/trtc/admin/v1/RemoveUser?{}", admin_query()),
        &format!(r#"{{"SdkAppId":{APP},"RoomId":11,"UserIds":["alice"]}}"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        next(&mut alice).await,
        Some(ServerMsg::Kicked {
            reason: trtc_proto::kick_reason::BANNED.into()
        })
    );
    // A forwarded request is checked by the owner too: a bad userSig is refused there.
    let (status, _) = http(
        port_c,
        "POST",
        "/trtc/admin/v1/DismissRoom?sdkappid=1400000001&usersig=bad",
        &format!(r#"{{"SdkAppId":{APP},"RoomId":12}}"#),
    )
    .await;
    assert_eq!(status, 403);
    assert!(bob.next().now_or_never().is_none(), "bob is still in");
    // A body over the forwarding bound is refused before anything is parsed or sent on.
    let huge = format!(
        r#"{{"SdkAppId":{APP},"RoomId":12,"UserIds":["{}"]}}"#,
        "x".repeat(trtc_server::cluster::forward::MAX_BODY)
    );
    let (status, _) = http(
        port_c,
        "POST",
        &format!("/trtc/admin/v1/RemoveUser?{}", admin_query()),
        &huge,
    )
    .await;
    assert_eq!(status, 413);
    // DismissRoom on a for b's room.
    let (status, body) = http(
        port_a,
        "POST",
        &format!("/trtc/admin/v1/DismissRoom?{}", admin_query()),
        &format!(r#"{{"SdkAppId":{APP},"RoomId":12}}"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(matches!(
        next(&mut bob).await,
        Some(ServerMsg::Kicked { .. })
    ));
}

#[tokio::test]
async fn admin_requests_reach_an_https_node_through_its_cluster_url() {
    let r = redis().await;
    let https = |name: &str| PublicUrl::parse(&format!("https://{name}.example.com")).unwrap();
    // a: public over https, admin requests at its cluster URL; b: https only; c: plain.
    let (_hub_a, _a, port_a) = serve_node_as(&r, "a", |p| (https("a"), Some(url(p)))).await;
    let (_hub_b, _b, port_b) = serve_node_as(&r, "b", |_| (https("b"), None)).await;
    let (_hub_c, _c, port_c) = serve_node(&r, "c").await;
    let mut alice = joined_on(port_a, "alice", 21).await;
    let mut bob = joined_on(port_b, "bob", 22).await;
    let admin_url: Option<String> = raw(&r, &["GET", "trtc:admin-url:a"]).await;
    assert_eq!(admin_url, Some(format!("http://127.0.0.1:{port_a}")));
    // RemoveUser on c reaches a through its cluster URL.
    let (status, body) = http(
        port_c,
        "POST",
        &format!("/trtc/admin/v1/RemoveUser?{}", admin_query()),
        &format!(r#"{{"SdkAppId":{APP},"RoomId":21,"UserIds":["alice"]}}"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(matches!(
        next(&mut alice).await,
        Some(ServerMsg::Kicked { .. })
    ));
    // b gave none (a value in Redis that is not a URL counts as none): 502, saying what to do;
    // bob stays.
    let _: () = raw(&r, &["SET", "trtc:admin-url:b", "javascript:alert(1)"]).await;
    let (status, body) = http(
        port_c,
        "POST",
        &format!("/trtc/admin/v1/DismissRoom?{}", admin_query()),
        &format!(r#"{{"SdkAppId":{APP},"RoomId":22}}"#),
    )
    .await;
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("--cluster-url"), "{body}");
    assert!(bob.next().now_or_never().is_none(), "bob is still in");
}

#[tokio::test]
async fn a_draining_node_gives_its_rooms_up_and_sends_joins_elsewhere() {
    let r = redis().await;
    let (hub_a, a, port_a) = serve_node(&r, "a").await;
    let (_hub_b, _b, port_b) = serve_node(&r, "b").await;
    let ws_a = format!("ws://127.0.0.1:{port_a}/trtc/ws");
    let mut alice = connect(&ws_a, &join("alice", 21)).await;
    assert!(matches!(
        next(&mut alice).await,
        Some(ServerMsg::Joined { .. })
    ));

    a.drain(&hub_a).await;
    assert!(a.is_draining());
    // Alice's socket is closed (she reconnects), the claim and the heartbeat are gone.
    assert_eq!(next(&mut alice).await, None);
    drop(alice);
    let keys: Vec<String> = raw(&r, &["KEYS", "trtc:*"]).await;
    assert_eq!(keys, vec!["trtc:node:b".to_string()]);
    // Coming back to a, she is sent to b; a refresh takes nothing again.
    let mut alice = connect(&ws_a, &join("alice", 21)).await;
    assert_eq!(
        next(&mut alice).await,
        Some(ServerMsg::Redirect {
            url: format!("ws://127.0.0.1:{port_b}/trtc/ws")
        })
    );
    assert_eq!(a.refresh_once(&hub_a).await, Default::default());
    let keys: Vec<String> = raw(&r, &["KEYS", "trtc:*"]).await;
    assert_eq!(keys, vec!["trtc:node:b".to_string()]);
    drop(alice);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while hub_a.connections() > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "a's clients are gone"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_connection_that_keeps_sending_refused_joins_is_closed() {
    let r = redis().await;
    let (_hub, _node, port) = serve_node(&r, "a").await;
    // Joins the registry refuses after they were routed (another protocol version).
    let bad = |room: u32| join("eve", room).replace(r#""version":1"#, r#""version":99"#);
    let mut eve = connect(&format!("ws://127.0.0.1:{port}/trtc/ws"), &bad(31)).await;
    for room in 32..=35 {
        assert!(matches!(
            next(&mut eve).await,
            Some(ServerMsg::JoinFailed { .. })
        ));
        eve.send(Message::text(bad(room))).await.unwrap();
    }
    assert!(matches!(
        next(&mut eve).await,
        Some(ServerMsg::Error { code, .. }) if code == trtc_proto::code::BAD_MESSAGE
    ));
    assert_eq!(next(&mut eve).await, None);
}

#[test]
fn a_cluster_url_that_is_not_plain_http_is_refused_at_start() {
    for bad in [
        "https://10.0.0.1:8080",
        "ftp://x",
        "http://",
        "10.0.0.1:8080",
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_trtc-server"))
            .args(["--redis", "redis://127.0.0.1:1", "--cluster-url", bad])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{bad} is accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--cluster-url"), "{bad}: {err}");
    }
    // Without --redis it means nothing, and says so.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trtc-server"))
        .args(["--cluster-url", "http://10.0.0.1:8080"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--redis"));
}
