//! How long str0m takes to parse answers up to the signalling size limit (the SFU parses each
//! client answer on its one driver task): `cargo run --release --example sdp_parse_time`.

use std::time::Instant;

use str0m::change::SdpAnswer;
use trtc_fuzz::SfuSession;

fn main() {
    let o = SfuSession::new();
    let answer = o.fill(include_str!("../seeds/sdp_answer/str0m-answer.sdp"));
    let limit = trtc_proto::MAX_MESSAGE_BYTES - 100;
    let short = |bytes: usize| format!("{answer}{}", "a=x:y\r\n".repeat(bytes / 7));
    // Shapes a client could send within the limit.
    let candidates: String = (0..)
        .map(|i| {
            format!(
                "a=candidate:{i} 1 udp 2130706175 10.0.{}.{} 50000 typ host\r\n",
                i / 250,
                i % 250
            )
        })
        .take_while({
            let mut n = answer.len();
            move |l: &String| {
                n += l.len();
                n < limit
            }
        })
        .collect();
    let many_candidates = answer.replacen(
        "a=setup:passive\r\n",
        &format!("a=setup:passive\r\n{candidates}"),
        1,
    );
    let long_line = format!(
        "{answer}a=x-junk:{}\r\n",
        "a".repeat(limit - answer.len() - 20)
    );
    let many_short = format!("{answer}{}", "a=x:y\r\n".repeat((limit - answer.len()) / 7));
    let rows = [
        ("8 KB of short attributes", short(8 * 1024)),
        ("16 KB of short attributes", short(16 * 1024)),
        ("32 KB of short attributes", short(32 * 1024)),
        ("seed answer", answer.clone()),
        ("many candidates", many_candidates),
        ("one long attribute", long_line),
        ("many short attributes", many_short),
    ];
    for (name, sdp) in rows {
        let n = 20;
        let t = Instant::now();
        let mut ok = false;
        for _ in 0..n {
            ok = SdpAnswer::from_sdp_string(&sdp).is_ok();
        }
        let per = t.elapsed() / n;
        println!(
            "{name:24} {:6} bytes  parses: {ok:5}  {:?} per parse",
            sdp.len(),
            per
        );
    }
}
