//! The signalling hub without sockets: malformed, unknown and oversized messages get an error
//! reply and change nothing; the room and the other clients carry on.

use trtc_proto::{code, ServerMsg, MAX_MESSAGE_BYTES};
use trtc_server::clock::now_unix;
use trtc_server::hub::{Hub, Out};
use trtc_server::room::Apps;

const APP: u64 = 1_400_000_001;
const KEY: &str = "hub-test-key";

fn join(user: &str, room: u32) -> String {
    let sig = trtc_usersig::sign(APP, KEY, user, 3600, now_unix());
    format!(
        r#"{{"type":"join","version":1,"sdkAppId":{APP},"userId":"{user}","userSig":"{sig}","room":{{"num":{room}}}}}"#
    )
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
fn bad_input_is_answered_and_changes_nothing() {
    let hub = Hub::new(Apps::new([(APP, KEY.to_string())]), None, None);
    let (alice, mut ra) = hub.connect();
    let (bob, mut rb) = hub.connect();
    hub.handle_text(alice, &join("alice", 7));
    hub.handle_text(bob, &join("bob", 7));
    assert!(matches!(
        drain(&mut ra)[..],
        [ServerMsg::Joined { .. }, ServerMsg::UserEnter { .. }]
    ));
    assert!(matches!(drain(&mut rb)[..], [ServerMsg::Joined { .. }]));

    let huge = format!(
        r#"{{"type":"answer","sdp":"{}"}}"#,
        "x".repeat(MAX_MESSAGE_BYTES)
    );
    let rows: Vec<(&str, i64)> = vec![
        ("", code::BAD_MESSAGE),
        ("{not json", code::BAD_MESSAGE),
        (r#"{"type":"explode"}"#, code::BAD_MESSAGE),
        (
            r#"{"type":"mute","kind":"smell","muted":true}"#,
            code::BAD_MESSAGE,
        ),
        (
            r#"{"type":"subscribe","userId":"nobody","kind":"video","on":true}"#,
            code::NO_SUCH_USER,
        ),
        (&huge, code::TOO_LARGE),
    ];
    for (text, want) in &rows {
        hub.handle_text(alice, text);
        match &drain(&mut ra)[..] {
            [ServerMsg::Error { code, message }] => {
                assert_eq!(code, want, "{message}");
                assert!(!message.is_empty());
            }
            other => panic!("{:?} → {other:?}", &text[..text.len().min(40)]),
        }
        assert!(drain(&mut rb).is_empty(), "bob is not disturbed");
    }
    // Acting as someone else is not possible: the connection is alice, whatever it claims.
    hub.handle_text(
        alice,
        r#"{"type":"publish","audio":true,"video":false,"userId":"bob"}"#,
    );
    assert!(matches!(
        &drain(&mut rb)[..],
        [ServerMsg::MediaState { user_id, .. }] if user_id == "alice"
    ));
    // A second join on the same connection is refused; the room is unchanged.
    hub.handle_text(alice, &join("alice", 8));
    assert!(
        matches!(&drain(&mut ra)[..], [ServerMsg::Error { code, .. }] if *code == code::ALREADY_JOINED)
    );
    assert_eq!(hub.rooms().len(), 1);
    assert_eq!(
        hub.rooms()[0].1,
        vec!["alice".to_string(), "bob".to_string()]
    );
    // Still working: a ping, and a clean leave.
    hub.handle_text(bob, r#"{"type":"ping","seq":5}"#);
    assert_eq!(drain(&mut rb), vec![ServerMsg::Pong { seq: 5 }]);
    hub.disconnect(alice);
    assert_eq!(
        drain(&mut rb),
        vec![ServerMsg::UserExit {
            user_id: "alice".into(),
            reason: 0
        }]
    );
}

#[test]
fn a_message_before_join_is_refused() {
    let hub = Hub::new(Apps::new([(APP, KEY.to_string())]), None, None);
    let (c, mut rx) = hub.connect();
    hub.handle_text(c, r#"{"type":"publish","audio":true,"video":true}"#);
    assert!(
        matches!(&drain(&mut rx)[..], [ServerMsg::Error { code, .. }] if *code == code::NOT_JOINED)
    );
    assert!(hub.rooms().is_empty());
}
