//! SDP answers are parsed off the SFU's thread, one per offer (issue 14): one client sending a
//! bad 400 KB answer each second does not hold up another room's offers (it held them up for
//! seconds when the SFU's one thread parsed every answer it was sent), an answer with no offer
//! waiting is refused unparsed, and an answer that does not parse counts toward the
//! failed-answer limit.

use std::time::{Duration, Instant};

use trtc_proto::{code, ClientMsg, ServerMsg};
use trtc_server::clock::now_unix;
use trtc_server::hub::{Hub, Out, Outbox};
use trtc_server::room::Apps;

const APP: u64 = 1_400_000_001;
const KEY: &str = "answers-test-key";

async fn next_msg(rx: &mut Outbox, within: Duration) -> Option<ServerMsg> {
    match tokio::time::timeout(within, rx.recv()).await {
        Ok(Some(Out::Msg(m))) => Some(m),
        Ok(Some(Out::Close)) | Ok(None) | Err(_) => None,
    }
}

fn server() -> std::sync::Arc<Hub> {
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_nonblocking(true).unwrap();
    let udp = tokio::net::UdpSocket::from_std(udp).unwrap();
    let (sfu, mut events) = trtc_sfu::spawn(udp, vec!["127.0.0.1".parse().unwrap()]);
    let hub = Hub::new(Apps::new([(APP, KEY.to_string())]), None, Some(sfu));
    hub.set_limits(trtc_server::limits::Limits::UNLIMITED);
    let h = hub.clone();
    tokio::spawn(async move {
        while let Some(ev) = events.recv().await {
            h.on_sfu_event(ev);
        }
    });
    hub
}

fn join(hub: &Hub, user: &str, room: u32) -> (u64, Outbox) {
    let (c, rx) = hub.connect();
    let sig = trtc_usersig::sign(APP, KEY, user, 3600, now_unix());
    hub.handle_text(
        c,
        &format!(
            r#"{{"type":"join","version":1,"sdkAppId":{APP},"userId":"{user}","userSig":"{sig}","room":{{"num":{room}}}}}"#
        ),
    );
    (c, rx)
}

fn publish(hub: &Hub, c: u64) {
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
}

/// 400 KB of SDP that str0m's parser reads to the end (within the line caps: 390 lines of ~1 KB
/// in the session part) and that the SFU then refuses (it has no ICE credentials).
fn bad_answer() -> String {
    let mut sdp = String::from("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n");
    let line = format!("a=x-filler:{}\r\n", "f".repeat(1010));
    while sdp.len() < 400_000 {
        sdp.push_str(&line);
    }
    sdp.push_str("m=this is not a media line\r\n");
    sdp
}

/// Time from a fresh user's `publish` in room 2 to its offer, `n` times.
async fn offer_latencies(hub: &Hub, n: usize, tag: &str) -> Vec<Duration> {
    let mut out = Vec::new();
    for i in 0..n {
        let (c, mut rx) = join(hub, &format!("{tag}{i}"), 2);
        assert!(matches!(
            next_msg(&mut rx, Duration::from_secs(5)).await,
            Some(ServerMsg::Joined { .. })
        ));
        let t0 = Instant::now();
        publish(hub, c);
        loop {
            match next_msg(&mut rx, Duration::from_secs(20)).await {
                Some(ServerMsg::Offer { .. }) => break,
                Some(_) => continue,
                None => panic!("no offer for {tag}{i}"),
            }
        }
        out.push(t0.elapsed());
        hub.handle_text(c, &ClientMsg::Leave.encode());
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    out
}

fn median(v: &[Duration]) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v[v.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_400_kb_answer_a_second_does_not_hold_up_another_rooms_offers() {
    let hub = server();
    let quiet = offer_latencies(&hub, 5, "quiet").await;

    // Mallory, in room 1, answers every offer she gets with 400 KB that does not parse, and
    // sends one more every second whether an offer is waiting or not; when the SFU gives up on
    // her media (after the failed answers) she connects again, as a client would.
    let bad = bad_answer();
    let t = Instant::now();
    let parsed = trtc_sfu::parse_answer(&bad);
    let parse_time = t.elapsed();
    assert!(parsed.is_ok(), "str0m reads it to the end");
    let attacker = {
        let hub = hub.clone();
        tokio::spawn(async move {
            let (mut m, mut mrx) = join(&hub, "mallory", 1);
            publish(&hub, m);
            let mut parsed_refusals = 0;
            let mut unparsed_refusals = 0;
            let end = Instant::now() + Duration::from_secs(6);
            let mut next_blind = Instant::now() + Duration::from_secs(1);
            while Instant::now() < end {
                let sent = ClientMsg::Answer { sdp: bad.clone() }.encode();
                match next_msg(&mut mrx, Duration::from_millis(200)).await {
                    Some(ServerMsg::Offer { .. }) => hub.handle_text(m, &sent),
                    Some(ServerMsg::Error { code: c, .. }) if c == code::MEDIA_LOST => {
                        hub.handle_text(m, &ClientMsg::Leave.encode());
                        (m, mrx) = join(&hub, "mallory", 1);
                        publish(&hub, m);
                    }
                    Some(ServerMsg::Error { message, .. }) if message.contains("no offer") => {
                        unparsed_refusals += 1
                    }
                    // Parsed (off the SFU's thread), then refused.
                    Some(ServerMsg::Error { message, .. }) if message.contains("was refused") => {
                        parsed_refusals += 1
                    }
                    other => {
                        if std::env::var("DEBUG_ATTACK").is_ok() {
                            println!("attacker got {:.300}", format!("{other:?}"));
                        }
                    }
                }
                if Instant::now() >= next_blind {
                    hub.handle_text(m, &sent);
                    next_blind += Duration::from_secs(1);
                }
            }
            (parsed_refusals, unparsed_refusals)
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let attacked = offer_latencies(&hub, 8, "busy").await;
    let (parsed, unparsed) = attacker.await.unwrap();
    let delay = median(&attacked).saturating_sub(median(&quiet));
    println!(
        "one parse of the 400 KB answer: {parse_time:?}; offer latency in another room: quiet median {:?} (max {:?}); under 400 KB bad answers median {:?} (max {:?}); \
         {parsed} bad answers parsed and refused, {unparsed} refused unparsed (no offer waiting)",
        median(&quiet),
        quiet.iter().max().unwrap(),
        median(&attacked),
        attacked.iter().max().unwrap(),
    );
    assert!(parsed >= 1, "the attack reached the parser");
    assert!(unparsed >= 1, "answers without an offer are refused");
    assert!(
        delay < Duration::from_millis(50),
        "the other room's offers are {delay:?} later"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_answer_per_offer_and_bad_ones_count() {
    let hub = server();
    let (m, mut rx) = join(&hub, "mallory", 1);
    assert!(matches!(
        next_msg(&mut rx, Duration::from_secs(5)).await,
        Some(ServerMsg::Joined { .. })
    ));
    // No offer yet: refused without parsing.
    hub.handle_text(m, &ClientMsg::Answer { sdp: "v=0".into() }.encode());
    match next_msg(&mut rx, Duration::from_secs(5)).await {
        Some(ServerMsg::Error { code: c, message }) => {
            assert_eq!(c, code::BAD_MESSAGE);
            assert!(message.contains("no offer"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    publish(&hub, m);
    // Each offer answered twice with junk: the first is parsed and counts, the second is
    // refused unparsed; after MAX_FAILED_ANSWERS the SFU gives up on her media.
    let mut parsed = 0;
    let mut unparsed = 0;
    let mut lost = false;
    let end = Instant::now() + Duration::from_secs(10);
    // (The last refusal and MEDIA_LOST come from two tasks: either may be first.)
    while Instant::now() < end && !(lost && parsed >= trtc_sfu::MAX_FAILED_ANSWERS as usize) {
        match next_msg(&mut rx, Duration::from_secs(5)).await {
            Some(ServerMsg::Offer { .. }) => {
                for _ in 0..2 {
                    hub.handle_text(m, &ClientMsg::Answer { sdp: "junk".into() }.encode());
                }
            }
            Some(ServerMsg::Error { code: c, message }) => {
                if c == code::MEDIA_LOST {
                    lost = true;
                } else if message.contains("does not parse") {
                    parsed += 1;
                } else if message.contains("no offer") {
                    unparsed += 1;
                }
            }
            Some(_) => {}
            None => break,
        }
    }
    assert_eq!(parsed, trtc_sfu::MAX_FAILED_ANSWERS as usize);
    assert!(unparsed >= 2, "{unparsed}");
    assert!(lost, "the SFU gave up after the failed answers");
}
