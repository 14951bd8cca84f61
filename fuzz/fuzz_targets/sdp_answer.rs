//! What the server does with a client's `answer` text: `trtc_sfu::Sfu::accept_answer` (the
//! SFU core, sans IO, as the server's driver task runs it), which parses it with str0m's
//! `SdpAnswer::from_sdp_string` and applies it to the outstanding offer; then time passes. A
//! refused answer is followed by a new offer, which gets the same text again (up to three
//! times: the SFU closes a peer after three refusals in a row).
//!
//! The SFU holds two peers; the answering one publishes audio and video and receives the
//! other's, so its offer has a data channel and four media m-lines. The input is SDP text in
//! which `{mid0}` … `{mid5}` stand for the offer's mids in m-line order (str0m draws them at
//! random; the harness fills them in), so an answer from the corpus fits the offer of every run.
//!
//! Property: the SFU takes or refuses any answer without panicking or looping. (It refuses
//! one payload type with two codecs before str0m 0.25 sees it: str0m panics on those, as this
//! target found; `tests/sdp_answer_regressions.rs`.)

#![no_main]

use libfuzzer_sys::fuzz_target;
use trtc_fuzz::SfuSession;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The signalling layer refuses larger frames before the SFU sees them.
    if text.len() > trtc_proto::MAX_MESSAGE_BYTES {
        return;
    }
    let mut s = SfuSession::new();
    for _ in 0..3 {
        if s.answer(text).is_ok() || s.offer.is_none() {
            break;
        }
    }
});
