//! Answers that made the SFU panic (found by `fuzz/`, target `sdp_answer`; str0m 0.25 asserts
//! "Pt locked multiple times") are refused by the signalling layer with an error and never
//! reach the SFU; a browser-like answer goes through. The inputs are in `fuzz_regressions/`,
//! with `{midN}` where the offer's mids go.

use trtc_proto::{code, ClientMsg, ServerMsg};
use trtc_server::room::Apps;
use trtc_server::signal::{now_unix, Hub, Out};

const APP: u64 = 1_400_000_001;
const KEY: &str = "guard-test-key";

fn fill(template: &str) -> String {
    let mut out = template.to_string();
    for i in 0..6 {
        out = out.replace(&format!("{{mid{i}}}"), &format!("m{i}"));
    }
    out
}

fn drain(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Out>) -> Vec<ServerMsg> {
    let mut out = Vec::new();
    while let Ok(o) = rx.try_recv() {
        if let Out::Msg(m) = o {
            out.push(m);
        }
    }
    out
}

#[test]
fn answers_that_crashed_the_sfu_are_refused() {
    let hub = Hub::new(Apps::new([(APP, KEY.to_string())]), None, None);
    let (c, mut rx) = hub.connect();
    let sig = trtc_usersig::sign(APP, KEY, "mallory", 3600, now_unix());
    hub.handle_text(
        c,
        &format!(
            r#"{{"type":"join","version":1,"sdkAppId":{APP},"userId":"mallory","userSig":"{sig}","room":{{"num":1}}}}"#
        ),
    );
    assert!(matches!(drain(&mut rx)[..], [ServerMsg::Joined { .. }]));
    let rows = [
        (
            include_str!("fuzz_regressions/pt-codec-differs-between-m-lines.sdp"),
            true,
        ),
        (
            include_str!("fuzz_regressions/pt-fmtp-differs-between-m-lines.sdp"),
            true,
        ),
        (include_str!("fuzz_regressions/accepted-answer.sdp"), false),
    ];
    for (template, refused) in rows {
        let sdp = fill(template);
        assert_eq!(trtc_server::sdp_guard::check_answer(&sdp).is_err(), refused);
        hub.handle_text(c, &ClientMsg::Answer { sdp }.encode());
        let got = drain(&mut rx);
        if refused {
            match &got[..] {
                [ServerMsg::Error { code, message }] => {
                    assert_eq!(*code, code::BAD_MESSAGE);
                    assert!(message.contains("payload type"), "{message}");
                }
                other => panic!("{other:?}"),
            }
        } else {
            // Handed to the media plane (none in this test): no reply.
            assert!(got.is_empty(), "{got:?}");
        }
    }
}
