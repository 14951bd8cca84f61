//! An answer that gives one payload type two codecs (found by `fuzz/`, target `sdp_answer`;
//! str0m 0.25 panics on it, which with `panic = "abort"` ended the server) reaches the real SFU
//! through the signalling hub, is refused with an error the client can read, and the server
//! carries on: the same client is still served and still gets offers.

use std::time::Duration;

use trtc_proto::{code, ClientMsg, ServerMsg};
use trtc_server::clock::now_unix;
use trtc_server::hub::{Hub, Out};
use trtc_server::room::Apps;

const APP: u64 = 1_400_000_001;
const KEY: &str = "guard-test-key";

async fn next_msg(rx: &mut trtc_server::hub::Outbox) -> ServerMsg {
    loop {
        let got = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("a message within 5 s")
            .expect("the channel is open");
        if let Out::Msg(m) = got {
            return m;
        }
    }
}

async fn next_offer(rx: &mut trtc_server::hub::Outbox) -> String {
    loop {
        if let ServerMsg::Offer { sdp, .. } = next_msg(rx).await {
            return sdp;
        }
    }
}

/// `offer` turned into an answer-shaped text whose second video m-line says VP9 for the
/// payload type the first calls VP8 (the shape of the fuzzer's crash input).
fn conflicting_answer(offer: &str) -> String {
    let mut video_lines = 0;
    let mut out = String::new();
    for line in offer.split("\r\n").filter(|l| !l.is_empty()) {
        if line.starts_with("m=video") {
            video_lines += 1;
        }
        let line = line.replace("a=setup:actpass", "a=setup:active");
        if video_lines >= 2 && line.contains(" VP8/90000") {
            out.push_str(&line.replace(" VP8/90000", " VP9/90000"));
        } else {
            out.push_str(&line);
        }
        out.push_str("\r\n");
    }
    out
}

#[tokio::test]
async fn an_answer_the_sfu_cannot_take_is_refused_and_the_server_carries_on() {
    let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (sfu, mut events) = trtc_sfu::spawn(udp, vec!["127.0.0.1".parse().unwrap()]);
    let hub = Hub::new(Apps::new([(APP, KEY.to_string())]), None, Some(sfu));
    let events_hub = hub.clone();
    tokio::spawn(async move {
        while let Some(ev) = events.recv().await {
            events_hub.on_sfu_event(ev);
        }
    });

    // Two publishers, so mallory's offer has two video m-lines (her upstream, bob's video).
    let mut rx_of = Vec::new();
    for user in ["bob", "mallory"] {
        let (c, mut rx) = hub.connect();
        let sig = trtc_usersig::sign(APP, KEY, user, 3600, now_unix());
        hub.handle_text(
            c,
            &format!(
                r#"{{"type":"join","version":1,"sdkAppId":{APP},"userId":"{user}","userSig":"{sig}","room":{{"num":1}}}}"#
            ),
        );
        assert!(matches!(next_msg(&mut rx).await, ServerMsg::Joined { .. }));
        hub.handle_text(
            c,
            &ClientMsg::Publish {
                audio: true,
                video: true,
                sub_video: false,
                sub_audio: false,
                small: false,
            }
            .encode(),
        );
        rx_of.push((c, rx));
    }
    let (mallory, rx) = &mut rx_of[1];
    let mallory = *mallory;
    // Mallory renders bob's video (a video m-line exists while it is forwarded).
    hub.handle_text(
        mallory,
        &ClientMsg::Subscribe {
            user_id: "bob".into(),
            kind: trtc_proto::MediaKind::Video,
            on: true,
            small: false,
        }
        .encode(),
    );
    // Wait for an offer with bob's video in it.
    let mut offer = next_offer(rx).await;
    while offer.matches("m=video").count() < 2 {
        offer = next_offer(rx).await;
    }
    let bad = conflicting_answer(&offer);
    assert!(bad.matches("VP9/90000").count() >= 1 && bad.matches("VP8/90000").count() >= 1);

    hub.handle_text(mallory, &ClientMsg::Answer { sdp: bad }.encode());
    let refusal = loop {
        match next_msg(rx).await {
            ServerMsg::Error { code, message } => break (code, message),
            ServerMsg::Offer { .. } => continue,
            _ => continue,
        }
    };
    assert_eq!(refusal.0, code::BAD_MESSAGE);
    assert!(
        refusal.1.contains("payload type") && refusal.1.contains("RFC 8843"),
        "{}",
        refusal.1
    );

    // Still served: a ping is answered, and bob's client too.
    hub.handle_text(mallory, &ClientMsg::Ping { seq: 7 }.encode());
    loop {
        if let ServerMsg::Pong { seq } = next_msg(rx).await {
            assert_eq!(seq, 7);
            break;
        }
    }
    let (bob, rx) = &mut rx_of[0];
    hub.handle_text(*bob, &ClientMsg::Ping { seq: 8 }.encode());
    loop {
        if let ServerMsg::Pong { seq } = next_msg(rx).await {
            assert_eq!(seq, 8);
            break;
        }
    }
}
