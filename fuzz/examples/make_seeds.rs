//! Writes the seed corpus under `fuzz/seeds/` (committed; run again after a protocol change):
//! `cargo run --manifest-path fuzz/Cargo.toml --example make_seeds`
//!
//! * `seeds/signal_decode/`: one valid message of every client and server type.
//! * `seeds/usersig_verify/`: mode byte + userSig, mode byte + its JSON document.
//! * `seeds/sdp_answer/`: the answer a str0m client (as a browser would) gives to an offer
//!   shaped like the SFU's, with the mids replaced by the `{midN}` placeholders.

use std::fs;
use std::io::Read as _;
use std::path::Path;
use std::time::Instant;

use str0m::change::SdpOffer;
use str0m::{Candidate, Rtc};
use trtc_fuzz::SfuSession;
use trtc_proto::{
    ClientMsg, Join, MediaKind, RemoteUser, Role, RoomId, Scene, ServerMsg, TrackSlot,
};

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join(name), bytes).unwrap();
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");

    let dir = root.join("signal_decode");
    let client = [
        ClientMsg::Join(Join {
            version: 1,
            sdk_app_id: 1_400_000_001,
            user_id: "alice".into(),
            user_sig: "eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwhWZiflZpXlQqeKU7MSCgswUJStDEwMogMiUZOamKlkZ".into(),
            room: RoomId::Num(8),
            scene: Scene::Live,
            role: Role::Audience,
            session: Some("s-1".into()),
            private_map_key: Some("eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwhWZiflZpXlQqeKU".into()),
        }),
        ClientMsg::Publish {
            audio: true,
            video: false,
            sub_video: false,
            sub_audio: false,
            small: false,
        },
        ClientMsg::Mute {
            kind: MediaKind::Video,
            muted: true,
        },
        ClientMsg::Subscribe {
            user_id: "bob".into(),
            kind: MediaKind::Audio,
            on: true,
            small: false,
        },
        ClientMsg::Answer {
            sdp: "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n".into(),
        },
        ClientMsg::Leave,
        ClientMsg::SwitchRole {
            role: Role::Anchor,
            private_map_key: None,
        },
        ClientMsg::Ping { seq: 42 },
    ];
    for (i, m) in client.iter().enumerate() {
        write(&dir, &format!("client-{i}.json"), m.encode().as_bytes());
    }
    let server = [
        ServerMsg::Joined {
            user_id: "alice".into(),
            users: vec![RemoteUser {
                user_id: "bob".into(),
                audio: true,
                video: false,
                sub_video: false,
                sub_audio: false,
            }],
        },
        ServerMsg::Offer {
            sdp: "v=0".into(),
            slots: vec![TrackSlot {
                mid: "0".into(),
                user_id: Some("bob".into()),
                kind: MediaKind::Video,
            }],
        },
        ServerMsg::Error {
            code: -1012,
            message: "too many messages".into(),
        },
    ];
    for (i, m) in server.iter().enumerate() {
        write(&dir, &format!("server-{i}.json"), m.encode().as_bytes());
    }
    let str_room = r#"{"type":"join","version":1,"sdkAppId":1,"userId":"u","userSig":"s","room":{"str":"a-b_c"}}"#;
    write(&dir, "client-str-room.json", str_room.as_bytes());

    let dir = root.join("usersig_verify");
    let now = 1_700_000_000;
    let key = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
    let plain = trtc_usersig::sign(1_400_000_000, key, "alice", 86_400, now - 60);
    let with_buf = trtc_usersig::sign_with_userbuf(
        1_400_000_000,
        key,
        "alice",
        86_400,
        now - 60,
        b"\x00\x01buf",
    );
    for (name, token) in [("plain", &plain), ("userbuf", &with_buf)] {
        let mut sig = vec![0u8];
        sig.extend_from_slice(token.as_bytes());
        write(&dir, &format!("sig-{name}"), &sig);
        let mut doc = vec![1u8];
        doc.extend_from_slice(&inflate(token));
        write(&dir, &format!("doc-{name}"), &doc);
    }

    let dir = root.join("sdp_answer");
    let sfu = SfuSession::new();
    let offer_sdp = sfu.offer.clone().expect("an offer");
    let now = Instant::now();
    let mut browser = Rtc::new(now);
    browser
        .add_local_candidate(Candidate::host("127.0.0.1:50000".parse().unwrap(), "udp").unwrap());
    let offer = SdpOffer::from_sdp_string(&offer_sdp).unwrap();
    let answer = browser.sdp_api().accept_offer(offer).unwrap();
    let answer = sfu.unfill(&answer.to_sdp_string());
    write(&dir, "str0m-answer.sdp", answer.as_bytes());
    write(&dir, "small-answer.sdp", small(&answer).as_bytes());
    write(&dir, "sfu-offer.sdp", sfu.unfill(&offer_sdp).as_bytes());
    // The answer is accepted as it is.
    let mut check = SfuSession::new();
    check.answer(&answer).expect("the seed answer is accepted");
    println!("seeds written under {}", root.display());
}

/// `sdp` with only opus, VP8 and its rtx, and three header extensions: a smaller seed (the
/// fuzzer runs faster on it).
fn small(sdp: &str) -> String {
    const KEEP_PT: [&str; 3] = ["111", "96", "97"];
    const KEEP_EXT: [&str; 3] = ["sdes:mid", "transport-wide", "ssrc-audio-level"];
    sdp.split("\r\n")
        .filter_map(|l| {
            if l.starts_with("m=video") {
                return Some("m=video 9 UDP/TLS/RTP/SAVPF 96 97".to_string());
            }
            for attr in ["a=rtpmap:", "a=fmtp:", "a=rtcp-fb:"] {
                if let Some(rest) = l.strip_prefix(attr) {
                    let pt = rest.split([' ', ':']).next().unwrap_or("");
                    if !KEEP_PT.contains(&pt) {
                        return None;
                    }
                }
            }
            if l.starts_with("a=extmap:") && !KEEP_EXT.iter().any(|e| l.contains(e)) {
                return None;
            }
            Some(l.to_string())
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// The JSON document inside a userSig.
fn inflate(token: &str) -> Vec<u8> {
    use base64::Engine as _;
    let b64: String = token
        .chars()
        .map(|c| match c {
            '*' => '+',
            '-' => '/',
            '_' => '=',
            c => c,
        })
        .collect();
    let z = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(&z[..])
        .read_to_end(&mut out)
        .unwrap();
    out
}
