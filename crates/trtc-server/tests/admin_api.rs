//! The admin REST API over HTTP, without sockets (`tower::ServiceExt::oneshot` on
//! `app_with_hub`): removed users are kicked with `banned`, dismissed rooms with `room_disband`;
//! every refused request (no auth, bad auth, another app, unknown room or user, bad body) is
//! answered with the right status and a JSON error, and changes nothing.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};
use tower::ServiceExt;
use trtc_proto::ServerMsg;
use trtc_server::clock::now_unix;
use trtc_server::hub::Outbox;
use trtc_server::hub::{Hub, Out};
use trtc_server::room::Apps;
use trtc_server::{app_with_hub, Config};

const APP: u64 = 1_400_000_001;
const KEY: &str = "admin-test-key";
const OTHER: u64 = 1_400_000_002;
const OTHER_KEY: &str = "other-app-key";

struct Client {
    name: &'static str,
    rx: Outbox,
}

impl Client {
    /// Everything sent since the last call; `Err(())` marks a close.
    fn drain(&mut self) -> Vec<Result<ServerMsg, ()>> {
        let mut out = Vec::new();
        while let Ok(o) = self.rx.try_recv() {
            out.push(match o {
                Out::Msg(m) => Ok(m),
                Out::Close => Err(()),
            });
        }
        out
    }
}

struct World {
    hub: std::sync::Arc<Hub>,
    app: axum::Router,
    clients: Vec<Client>,
}

fn join_text(app: u64, key: &str, user: &str, room: &str) -> String {
    let sig = trtc_usersig::sign(app, key, user, 3600, now_unix());
    format!(
        r#"{{"type":"join","version":1,"sdkAppId":{app},"userId":"{user}","userSig":"{sig}","room":{room}}}"#
    )
}

/// Room 8: alice, bob, carol. strRoomId "8": dave. Room 9: erin. App OTHER, room 8: olga.
fn world() -> World {
    let hub = Hub::new(
        Apps::new([(APP, KEY.to_string()), (OTHER, OTHER_KEY.to_string())]),
        None,
        None,
    );
    let app = app_with_hub(
        &Config {
            www: "/nonexistent/www".into(),
            pkg: "/nonexistent/pkg".into(),
        },
        hub.clone(),
    );
    let rows: [(&str, u64, &str, &str); 6] = [
        ("alice", APP, KEY, r#"{"num":8}"#),
        ("bob", APP, KEY, r#"{"num":8}"#),
        ("carol", APP, KEY, r#"{"num":8}"#),
        ("dave", APP, KEY, r#"{"str":"8"}"#),
        ("erin", APP, KEY, r#"{"num":9}"#),
        ("olga", OTHER, OTHER_KEY, r#"{"num":8}"#),
    ];
    let mut clients = Vec::new();
    for (name, app, key, room) in rows {
        let (id, rx) = hub.connect();
        hub.handle_text(id, &join_text(app, key, name, room));
        clients.push(Client { name, rx });
    }
    for c in &mut clients {
        let got = c.drain();
        assert!(
            matches!(got.first(), Some(Ok(ServerMsg::Joined { .. }))),
            "{}: {got:?}",
            c.name
        );
    }
    World { hub, app, clients }
}

impl World {
    fn client(&mut self, name: &str) -> &mut Client {
        self.clients.iter_mut().find(|c| c.name == name).unwrap()
    }

    /// Asserts no client was sent anything.
    fn quiet(&mut self, what: &str) {
        for c in &mut self.clients {
            assert_eq!(c.drain(), vec![], "{what}: {} was disturbed", c.name);
        }
    }

    async fn call(&self, method: &str, uri: &str, body: &str) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        assert_eq!(
            res.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/json"),
            "{uri}"
        );
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        let value: Value = serde_json::from_slice(&bytes).expect("JSON answer");
        assert!(
            value["RequestId"].as_str().is_some_and(|s| s.len() >= 32),
            "{uri}: RequestId in {value}"
        );
        (status, value)
    }

    async fn post(&self, action: &str, query: &str, body: Value) -> (StatusCode, Value) {
        self.call(
            "POST",
            &format!("/trtc/admin/v1/{action}?{query}"),
            &body.to_string(),
        )
        .await
    }

    async fn rooms(&self, app: u64, key: &str) -> Value {
        let (status, v) = self
            .call(
                "GET",
                &format!("/trtc/admin/v1/rooms?{}", auth(app, key)),
                "",
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v["Rooms"].clone()
    }
}

fn sig(app: u64, key: &str, user: &str, expire: u64, now: u64) -> String {
    trtc_usersig::sign(app, key, user, expire, now)
}

/// A valid admin query string for `app`.
fn auth(app: u64, key: &str) -> String {
    format!(
        "sdkappid={app}&identifier=administrator&usersig={}&random=12345&contenttype=json",
        sig(app, key, "administrator", 3600, now_unix())
    )
}

fn kicked(reason: &str) -> Result<ServerMsg, ()> {
    Ok(ServerMsg::Kicked {
        reason: reason.into(),
    })
}

fn exit(user: &str) -> Result<ServerMsg, ()> {
    Ok(ServerMsg::UserExit {
        user_id: user.into(),
        reason: 2,
    })
}

#[tokio::test]
async fn rooms_lists_the_apps_rooms_with_numeric_and_string_ids() {
    let w = world();
    assert_eq!(
        w.rooms(APP, KEY).await,
        json!([
            {"RoomId": 8, "UserIds": ["alice", "bob", "carol"]},
            {"RoomId": 9, "UserIds": ["erin"]},
            {"StrRoomId": "8", "UserIds": ["dave"]},
        ])
    );
    assert_eq!(
        w.rooms(OTHER, OTHER_KEY).await,
        json!([{"RoomId": 8, "UserIds": ["olga"]}])
    );
    // ?sdkAppId= naming another app than the signed one is refused.
    let (status, v) = w
        .call(
            "GET",
            &format!("/trtc/admin/v1/rooms?sdkAppId={OTHER}&{}", auth(APP, KEY)),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    let (status, v) = w
        .call(
            "GET",
            &format!("/trtc/admin/v1/rooms?sdkAppId={APP}&{}", auth(APP, KEY)),
            "",
        )
        .await;
    assert_eq!(
        (status, v["SdkAppId"].clone()),
        (StatusCode::OK, json!(APP))
    );
}

#[tokio::test]
async fn remove_user_kicks_it_with_banned_and_the_others_see_it_exit() {
    let mut w = world();
    let (status, v) = w
        .post(
            "RemoveUser",
            &auth(APP, KEY),
            json!({"SdkAppId": APP, "RoomId": 8, "UserIds": ["bob"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(v.get("Error").is_none());
    assert_eq!(w.client("bob").drain(), vec![kicked("banned"), Err(())]);
    assert_eq!(w.client("alice").drain(), vec![exit("bob")]);
    assert_eq!(w.client("carol").drain(), vec![exit("bob")]);
    w.quiet("RemoveUser bob");
    assert_eq!(
        w.rooms(APP, KEY).await[0],
        json!({"RoomId": 8, "UserIds": ["alice", "carol"]})
    );
    // Two at once; the removed are not told about each other.
    let (status, _) = w
        .post(
            "RemoveUser",
            &auth(APP, KEY),
            json!({"SdkAppId": APP, "RoomId": 8, "UserIds": ["alice", "carol"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(w.client("alice").drain(), vec![kicked("banned"), Err(())]);
    assert_eq!(w.client("carol").drain(), vec![kicked("banned"), Err(())]);
    w.quiet("RemoveUser alice, carol");
    assert_eq!(
        w.rooms(APP, KEY).await,
        json!([
            {"RoomId": 9, "UserIds": ["erin"]},
            {"StrRoomId": "8", "UserIds": ["dave"]},
        ])
    );
}

#[tokio::test]
async fn remove_user_by_str_room_id_takes_roomid_as_a_string_or_strroomid() {
    for field in ["RoomId", "StrRoomId"] {
        let mut w = world();
        let (status, v) = w
            .post(
                "RemoveUserByStrRoomId",
                &auth(APP, KEY),
                json!({"SdkAppId": APP, field: "8", "UserIds": ["dave"]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{field}: {v}");
        assert_eq!(w.client("dave").drain(), vec![kicked("banned"), Err(())]);
        w.quiet("the numeric room 8 is another room");
        assert_eq!(w.rooms(APP, KEY).await.as_array().unwrap().len(), 2);
    }
}

#[tokio::test]
async fn dismiss_room_kicks_every_member_with_room_disband() {
    let mut w = world();
    let (status, v) = w
        .post(
            "DismissRoom",
            &auth(APP, KEY),
            json!({"SdkAppId": APP, "RoomId": 8}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    for name in ["alice", "bob", "carol"] {
        assert_eq!(
            w.client(name).drain(),
            vec![kicked("room_disband"), Err(())],
            "{name}"
        );
    }
    w.quiet("dave (strRoomId 8), erin and the other app's room 8 are untouched");
    let (status, v) = w
        .post(
            "DismissRoomByStrRoomId",
            &auth(APP, KEY),
            json!({"SdkAppId": APP, "RoomId": "8"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        w.client("dave").drain(),
        vec![kicked("room_disband"), Err(())]
    );
    w.quiet("after DismissRoomByStrRoomId");
    assert_eq!(
        w.rooms(APP, KEY).await,
        json!([{"RoomId": 9, "UserIds": ["erin"]}])
    );
    assert_eq!(w.rooms(OTHER, OTHER_KEY).await.as_array().unwrap().len(), 1);
    // The same room again: it is gone.
    let (status, v) = w
        .post(
            "DismissRoom",
            &auth(APP, KEY),
            json!({"SdkAppId": APP, "RoomId": 8}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{v}");
}

#[tokio::test]
async fn auth_failures_are_401_or_403_and_change_nothing() {
    let mut w = world();
    let before = (w.hub.rooms(), w.rooms(APP, KEY).await);
    let now = now_unix();
    let admin = |app: u64, key: &str| sig(app, key, "administrator", 3600, now);
    let good = admin(APP, KEY);
    let mid = good.len() / 2;
    let flip = if &good[mid..=mid] == "A" { "B" } else { "A" };
    let tampered = format!("{}{flip}{}", &good[..mid], &good[mid + 1..]);
    let expired = sig(APP, KEY, "administrator", 10, now - 3600);
    let alice = sig(APP, KEY, "alice", 3600, now);
    let rows: Vec<(&str, String, u64, StatusCode, &str)> = vec![
        (
            "no auth at all",
            String::new(),
            APP,
            StatusCode::UNAUTHORIZED,
            "AuthFailure.InvalidAuthorization",
        ),
        (
            "no usersig",
            format!("sdkappid={APP}&identifier=administrator&random=1"),
            APP,
            StatusCode::UNAUTHORIZED,
            "AuthFailure.InvalidAuthorization",
        ),
        (
            "no sdkappid",
            format!("identifier=administrator&usersig={good}"),
            APP,
            StatusCode::UNAUTHORIZED,
            "AuthFailure.InvalidAuthorization",
        ),
        (
            "sdkappid not a number",
            format!("sdkappid=abc&usersig={good}"),
            APP,
            StatusCode::UNAUTHORIZED,
            "AuthFailure.InvalidAuthorization",
        ),
        (
            "forged (tampered) sig",
            format!("sdkappid={APP}&identifier=administrator&usersig={tampered}"),
            APP,
            StatusCode::FORBIDDEN,
            "AuthFailure.SignatureFailure",
        ),
        (
            "garbage sig",
            format!("sdkappid={APP}&identifier=administrator&usersig=garbage"),
            APP,
            StatusCode::FORBIDDEN,
            "AuthFailure.SignatureFailure",
        ),
        (
            "signed with another key",
            format!(
                "sdkappid={APP}&identifier=administrator&usersig={}",
                admin(APP, OTHER_KEY)
            ),
            APP,
            StatusCode::FORBIDDEN,
            "AuthFailure.SignatureFailure",
        ),
        (
            "expired sig",
            format!("sdkappid={APP}&identifier=administrator&usersig={expired}"),
            APP,
            StatusCode::FORBIDDEN,
            "AuthFailure.SignatureExpire",
        ),
        (
            "another app's sig",
            format!(
                "sdkappid={APP}&identifier=administrator&usersig={}",
                admin(OTHER, OTHER_KEY)
            ),
            APP,
            StatusCode::FORBIDDEN,
            "UnauthorizedOperation.SdkAppId",
        ),
        (
            "body names another app than the signed one",
            auth(OTHER, OTHER_KEY),
            APP,
            StatusCode::FORBIDDEN,
            "UnauthorizedOperation.SdkAppId",
        ),
        (
            "app not configured",
            format!("sdkappid=1400000999&usersig={}", admin(1_400_000_999, KEY)),
            1_400_000_999,
            StatusCode::FORBIDDEN,
            "UnauthorizedOperation.SdkAppId",
        ),
        (
            "a user's own sig is not an admin's",
            format!("sdkappid={APP}&identifier=alice&usersig={alice}"),
            APP,
            StatusCode::FORBIDDEN,
            "AuthFailure.UnauthorizedOperation",
        ),
        (
            "a user's sig presented as the admin's",
            format!("sdkappid={APP}&identifier=administrator&usersig={alice}"),
            APP,
            StatusCode::FORBIDDEN,
            "AuthFailure.SignatureFailure",
        ),
    ];
    for (what, query, body_app, status, code) in &rows {
        for (action, body) in [
            (
                "RemoveUser",
                json!({"SdkAppId": body_app, "RoomId": 8, "UserIds": ["bob"]}),
            ),
            ("DismissRoom", json!({"SdkAppId": body_app, "RoomId": 8})),
            (
                "DismissRoomByStrRoomId",
                json!({"SdkAppId": body_app, "RoomId": "8"}),
            ),
        ] {
            let (got, v) = w.post(action, query, body).await;
            assert_eq!(got, *status, "{what} / {action}: {v}");
            assert_eq!(v["Error"]["Code"], json!(code), "{what} / {action}: {v}");
            let message = v["Error"]["Message"].as_str().unwrap_or_default();
            assert!(message.len() > 20, "{what}: a message that says why: {v}");
        }
        // The listing checks the same credentials (it has no body to compare).
        if !what.starts_with("body") {
            let (got, v) = w
                .call("GET", &format!("/trtc/admin/v1/rooms?{query}"), "")
                .await;
            assert_eq!(got, *status, "{what} / rooms: {v}");
        }
        w.quiet(what);
        assert_eq!(w.hub.rooms(), before.0, "{what}: registry unchanged");
    }
    assert_eq!(w.rooms(APP, KEY).await, before.1);
    // Auth is checked before the body: no auth and a bad body is still 401.
    let (got, _) = w.post("RemoveUser", "", json!("nonsense")).await;
    assert_eq!(got, StatusCode::UNAUTHORIZED);
    // The identifier may be left out: it defaults to the admin identifier.
    let (got, v) = w
        .call(
            "GET",
            &format!("/trtc/admin/v1/rooms?sdkappid={APP}&usersig={good}"),
            "",
        )
        .await;
    assert_eq!(got, StatusCode::OK, "{v}");
}

#[tokio::test]
async fn unknown_rooms_and_users_are_404_and_change_nothing() {
    let mut w = world();
    let before = w.hub.rooms();
    let rows: Vec<(&str, &str, Value, &str)> = vec![
        (
            "unknown numeric room",
            "RemoveUser",
            json!({"SdkAppId": APP, "RoomId": 10, "UserIds": ["alice"]}),
            "FailedOperation.RoomNotExist",
        ),
        (
            "strRoomId 9 is not roomId 9",
            "RemoveUserByStrRoomId",
            json!({"SdkAppId": APP, "RoomId": "9", "UserIds": ["erin"]}),
            "FailedOperation.RoomNotExist",
        ),
        (
            "a user who is not in the room",
            "RemoveUser",
            json!({"SdkAppId": APP, "RoomId": 8, "UserIds": ["zed"]}),
            "FailedOperation.UserNotExist",
        ),
        (
            "one known and one unknown user: no one is removed",
            "RemoveUser",
            json!({"SdkAppId": APP, "RoomId": 8, "UserIds": ["bob", "erin"]}),
            "FailedOperation.UserNotExist",
        ),
        (
            "dismiss an unknown room",
            "DismissRoom",
            json!({"SdkAppId": APP, "RoomId": 4294967294u64}),
            "FailedOperation.RoomNotExist",
        ),
        (
            "dismiss an unknown string room",
            "DismissRoomByStrRoomId",
            json!({"SdkAppId": APP, "RoomId": "nope"}),
            "FailedOperation.RoomNotExist",
        ),
    ];
    for (what, action, body, code) in rows {
        let (status, v) = w.post(action, &auth(APP, KEY), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{what}: {v}");
        assert_eq!(v["Error"]["Code"], json!(code), "{what}: {v}");
        assert!(v["Error"]["Message"].as_str().unwrap().len() > 20);
        w.quiet(what);
        assert_eq!(w.hub.rooms(), before, "{what}: unchanged");
    }
    // The message names who is missing.
    let (_, v) = w
        .post(
            "RemoveUser",
            &auth(APP, KEY),
            json!({"SdkAppId": APP, "RoomId": 8, "UserIds": ["bob", "zed"]}),
        )
        .await;
    let message = v["Error"]["Message"].as_str().unwrap();
    assert!(
        message.contains("zed") && !message.contains("bob"),
        "{message}"
    );
}

#[tokio::test]
async fn bad_requests_are_400_and_unknown_actions_404() {
    let mut w = world();
    let before = w.hub.rooms();
    let rows: Vec<(&str, &str, &str, &str)> = vec![
        ("not JSON", "RemoveUser", "{not json", "InvalidParameter"),
        (
            "no RoomId",
            "RemoveUser",
            r#"{"SdkAppId":1400000001,"UserIds":["bob"]}"#,
            "InvalidParameter",
        ),
        (
            "no SdkAppId",
            "DismissRoom",
            r#"{"RoomId":8}"#,
            "InvalidParameter",
        ),
        (
            "roomId 0",
            "DismissRoom",
            r#"{"SdkAppId":1400000001,"RoomId":0}"#,
            "InvalidParameter.RoomId",
        ),
        (
            "roomId too large",
            "DismissRoom",
            r#"{"SdkAppId":1400000001,"RoomId":4294967295}"#,
            "InvalidParameter.RoomId",
        ),
        (
            "a string RoomId for the numeric action",
            "DismissRoom",
            r#"{"SdkAppId":1400000001,"RoomId":"8"}"#,
            "InvalidParameter",
        ),
        (
            "an invalid strRoomId",
            "DismissRoomByStrRoomId",
            r#"{"SdkAppId":1400000001,"RoomId":"caf\u00e9"}"#,
            "InvalidParameter.RoomId",
        ),
        (
            "empty UserIds",
            "RemoveUser",
            r#"{"SdkAppId":1400000001,"RoomId":8,"UserIds":[]}"#,
            "InvalidParameter.UserIds",
        ),
    ];
    for (what, action, body, code) in rows {
        let (status, v) = w
            .call(
                "POST",
                &format!("/trtc/admin/v1/{action}?{}", auth(APP, KEY)),
                body,
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {v}");
        assert_eq!(v["Error"]["Code"], json!(code), "{what}: {v}");
        w.quiet(what);
        assert_eq!(w.hub.rooms(), before, "{what}: unchanged");
    }
    let (status, v) = w
        .post("KickEveryone", &auth(APP, KEY), json!({"SdkAppId": APP}))
        .await;
    assert_eq!(
        (status, v["Error"]["Code"].clone()),
        (StatusCode::NOT_FOUND, json!("InvalidAction"))
    );
    let (status, v) = w
        .call(
            "GET",
            &format!("/trtc/admin/v1/DismissRoom?{}", auth(APP, KEY)),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{v}");
    w.quiet("unknown action, wrong method");
    assert_eq!(w.hub.rooms(), before);
}

#[tokio::test]
async fn dev_mode_never_signs_for_the_admin_nor_for_another_app() {
    let hub = Hub::new(
        Apps::new([(APP, KEY.to_string()), (OTHER, OTHER_KEY.to_string())]),
        Some((APP, KEY.to_string())),
        None,
    );
    let app = app_with_hub(
        &Config {
            www: "/nonexistent/www".into(),
            pkg: "/nonexistent/pkg".into(),
        },
        hub,
    );
    for (user, want) in [
        ("administrator", StatusCode::FORBIDDEN),
        ("alice", StatusCode::OK),
    ] {
        let req = Request::get(format!("/trtc/dev/usersig?userId={user}"))
            .body(Body::empty())
            .unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), want, "{user}");
    }
    // Only for the dev app: another configured app's key is never used.
    for (query, want) in [
        (format!("&sdkAppId={APP}"), StatusCode::OK),
        (format!("&sdkAppId={OTHER}"), StatusCode::FORBIDDEN),
        ("&sdkAppId=42".to_string(), StatusCode::FORBIDDEN),
    ] {
        let req = Request::get(format!("/trtc/dev/usersig?userId=alice{query}"))
            .body(Body::empty())
            .unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), want, "{query}");
    }
}

/// The admin identifier's userSig opens the admin API, never a room.
#[test]
fn the_admin_identifier_cannot_enter_a_room() {
    for (hub, admin) in [
        (
            Hub::new(Apps::new([(APP, KEY.to_string())]), None, None),
            "administrator",
        ),
        (
            Hub::with_admin(Apps::new([(APP, KEY.to_string())]), None, None, "boss"),
            "boss",
        ),
    ] {
        let (c, mut rx) = hub.connect();
        hub.handle_text(c, &join_text(APP, KEY, admin, r#"{"num":8}"#));
        let got = rx.try_recv().ok();
        assert!(
            matches!(&got, Some(trtc_server::hub::Out::Msg(ServerMsg::JoinFailed { code, message }))
                if *code == trtc_proto::code::RESERVED_USER_ID && message.contains("admin")),
            "{got:?}"
        );
        assert!(hub.rooms().is_empty());
        // Another user with the same app is let in.
        hub.handle_text(c, &join_text(APP, KEY, "alice", r#"{"num":8}"#));
        assert!(matches!(
            rx.try_recv().ok(),
            Some(trtc_server::hub::Out::Msg(ServerMsg::Joined { .. }))
        ));
    }
}
