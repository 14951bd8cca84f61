//! A browser's SDP answer, checked and parsed: [`parse_answer`]. It runs wherever the caller
//! likes — the server runs it on a blocking-task thread, not on the SFU's one thread, so a large
//! or hostile answer never holds up anyone's media — and hands the result to
//! [`crate::Sfu::apply_answer`]. No IO.
//!
//! Before str0m's parser sees the text: at most [`MAX_ANSWER_BYTES`], at most
//! [`MAX_LINES_PER_SECTION`] lines in the session part and in each m-section (a browser's
//! answer has ~20 per audio and ~60 per video section; str0m's parse time grows with the
//! lines), and the payload-type check below.
//!
//! str0m 0.25 panics in `accept_answer` ("Pt locked multiple times") when an answer gives one
//! payload type different codec lines in two m-lines (found by `fuzz/`, target `sdp_answer`).
//! The SFU core runs on one thread for every peer, and the server is built with
//! `panic = "abort"`: one such answer from any joined client would end all media. RFC 8843
//! (BUNDLE) forbids these answers and browsers never send them: a payload type means one codec,
//! with the same `a=rtpmap` and `a=fmtp` lines, in every m-line that names it. So
//! [`crate::Sfu::accept_answer`] refuses them like an answer that does not parse.

use std::collections::HashMap;

use str0m::change::SdpAnswer;

/// The largest answer taken: the signalling message cap (an answer for a room of ~200).
pub const MAX_ANSWER_BYTES: usize = trtc_proto::MAX_MESSAGE_BYTES;
/// The most lines in the session part of an answer, and in each of its m-sections.
pub const MAX_LINES_PER_SECTION: usize = 400;

/// An answer that passed the checks and str0m's parser, ready for
/// [`crate::Sfu::apply_answer`].
pub struct ParsedAnswer(pub(crate) SdpAnswer);

impl std::fmt::Debug for ParsedAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ParsedAnswer")
    }
}

/// Checks and parses a browser's answer (module docs). `Err` says what was wrong, in a message
/// that quotes at most a short piece of the input.
pub fn parse_answer(sdp: &str) -> Result<ParsedAnswer, String> {
    if sdp.len() > MAX_ANSWER_BYTES {
        return Err(format!(
            "the answer is {} bytes, over the limit of {MAX_ANSWER_BYTES}",
            sdp.len()
        ));
    }
    let mut lines = 0;
    let mut section = 0;
    for line in sdp.split('\n') {
        if line.starts_with("m=") {
            lines = 0;
            section += 1;
        }
        lines += 1;
        if lines > MAX_LINES_PER_SECTION {
            return Err(format!(
                "{} has over {MAX_LINES_PER_SECTION} lines; a browser's answer has far fewer",
                if section == 0 {
                    "the answer's session part".to_string()
                } else {
                    format!("m-section {section} of the answer")
                }
            ));
        }
    }
    check_answer(sdp)?;
    let answer = SdpAnswer::from_sdp_string(sdp).map_err(|e| {
        let e = e.to_string();
        let clipped: String = e.chars().take(160).collect();
        let more = if clipped.len() < e.len() { "…" } else { "" };
        format!("the answer does not parse: {clipped}{more}")
    })?;
    Ok(ParsedAnswer(answer))
}

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
    use super::{check_answer, parse_answer, MAX_ANSWER_BYTES, MAX_LINES_PER_SECTION};

    #[test]
    fn size_and_lines_are_capped_before_parsing() {
        let big = "a".repeat(MAX_ANSWER_BYTES + 1);
        assert!(parse_answer(&big).unwrap_err().contains("over the limit"));
        let many = "a=x\r\n".repeat(MAX_LINES_PER_SECTION + 1);
        assert!(parse_answer(&many).unwrap_err().contains("session part"));
        let section = format!(
            "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n{}",
            "a=x\r\n".repeat(MAX_LINES_PER_SECTION)
        );
        assert!(parse_answer(&section).unwrap_err().contains("m-section 1"));
        // Under the caps, the parser decides; its message stays short.
        let e = parse_answer(&"v=0\r\n".repeat(100)).unwrap_err();
        assert!(e.contains("does not parse") && e.len() < 300, "{e}");
    }

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
