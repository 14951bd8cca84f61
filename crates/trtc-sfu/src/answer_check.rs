//! A check on a browser's SDP answer before str0m sees it. No IO.
//!
//! str0m 0.25 panics in `accept_answer` ("Pt locked multiple times") when an answer gives one
//! payload type different codec lines in two m-lines (found by `fuzz/`, target `sdp_answer`).
//! The SFU core runs on one thread for every peer, and the server is built with
//! `panic = "abort"`: one such answer from any joined client would end all media. RFC 8843
//! (BUNDLE) forbids these answers and browsers never send them: a payload type means one codec,
//! with the same `a=rtpmap` and `a=fmtp` lines, in every m-line that names it. So
//! [`crate::Sfu::accept_answer`] refuses them like an answer that does not parse.

use std::collections::HashMap;

/// The `a=rtpmap` and `a=fmtp` values of one payload type in one m-line.
type CodecLines<'a> = (Option<&'a str>, Option<&'a str>);

/// `Err` with a message that says what is wrong, for an answer that gives one payload type two
/// different codec descriptions (between m-lines, or twice in one).
pub(crate) fn check_answer(sdp: &str) -> Result<(), String> {
    let mut sections: Vec<HashMap<&str, CodecLines>> = vec![HashMap::new()];
    for line in sdp.split(['\r', '\n']) {
        if line.starts_with("m=") {
            sections.push(HashMap::new());
            continue;
        }
        let (rest, fmtp) = if let Some(rest) = line.strip_prefix("a=rtpmap:") {
            (rest, false)
        } else if let Some(rest) = line.strip_prefix("a=fmtp:") {
            (rest, true)
        } else {
            continue;
        };
        let (pt, value) = rest.split_once(' ').unwrap_or((rest, ""));
        let (pt, value) = (pt.trim(), value.trim());
        let entry = sections
            .last_mut()
            .expect("one section at least")
            .entry(pt)
            .or_default();
        let slot = if fmtp { &mut entry.1 } else { &mut entry.0 };
        match slot {
            Some(before) if *before != value => {
                return Err(refusal(pt, before, value, "twice in one m-line"));
            }
            _ => *slot = Some(value),
        }
    }
    let mut seen: HashMap<&str, CodecLines> = HashMap::new();
    for section in sections {
        for (pt, lines) in section {
            let before = *seen.entry(pt).or_insert(lines);
            if before != lines {
                let show = |l: CodecLines| {
                    format!(
                        "{} {}",
                        l.0.unwrap_or("(no rtpmap)"),
                        l.1.unwrap_or("(no fmtp)")
                    )
                };
                return Err(refusal(pt, &show(before), &show(lines), "in two m-lines"));
            }
        }
    }
    Ok(())
}

fn refusal(pt: &str, a: &str, b: &str, where_: &str) -> String {
    let clip = |s: &str| s.chars().take(80).collect::<String>();
    format!(
        "the answer describes payload type {} differently {where_} ({:?} and {:?}); a payload type must mean the same codec everywhere in a bundled answer (RFC 8843): send the answer the browser made, unchanged",
        clip(pt),
        clip(a),
        clip(b)
    )
}

#[cfg(test)]
mod tests {
    use super::check_answer;

    #[test]
    fn consistent_answers_pass() {
        let rows = [
            "",
            "v=0\r\n",
            "m=audio 9 X 111\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10\r\nm=video 9 X 96 97\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\nm=video 9 X 96 97\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n",
            // A payload type in one m-line only; the same line twice.
            "m=audio 9 X 0\r\na=rtpmap:0 PCMU/8000\r\nm=video 9 X 96\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:96 VP8/90000\r\n",
            // LF line ends.
            "m=video 9 X 96\na=rtpmap:96 VP8/90000\nm=video 9 X 96\na=rtpmap:96 VP8/90000\n",
        ];
        for sdp in rows {
            assert_eq!(check_answer(sdp), Ok(()), "{sdp:?}");
        }
    }

    #[test]
    fn one_payload_type_two_codecs_is_refused() {
        let rows = [
            ("m=video 9 X 96\r\na=rtpmap:96 VP8/90000\r\nm=video 9 X 96\r\na=rtpmap:96 VP9/90000\r\n", "in two m-lines"),
            ("m=video 9 X 124\r\na=rtpmap:124 H264/90000\r\nm=video 9 X 124\r\na=rtpmap:124 H264/90000\r\na=fmtp:124 packetization-mode=0\r\n", "in two m-lines"),
            ("m=video 9 X 96\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:96 VP9/90000\r\n", "twice in one m-line"),
            ("m=video 9 X 96\r\na=fmtp:96 a=1\r\na=fmtp:96 a=2\r\n", "twice in one m-line"),
        ];
        for (sdp, where_) in rows {
            let e = check_answer(sdp).unwrap_err();
            assert!(e.contains(where_) && e.contains("RFC 8843"), "{e}");
        }
        // The message stays short whatever the input holds.
        let long = format!(
            "m=video 9 X 96\r\na=rtpmap:96 {}\r\nm=video 9 X 96\r\na=rtpmap:96 VP9/90000\r\n",
            "x".repeat(10_000)
        );
        assert!(check_answer(&long).unwrap_err().len() < 500);
    }
}
