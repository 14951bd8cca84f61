//! The decoder the server runs on every client text frame (`ClientMsg::decode`, called by
//! `Hub::handle_text`), and the server-message decoder, on arbitrary text.
//!
//! Properties: never panics; an accepted message re-encodes to text that decodes to the same
//! message; a refusal has a code and a message; oversized text is refused by size.

#![no_main]

use libfuzzer_sys::fuzz_target;
use trtc_proto::{code, ClientMsg, DecodeError, ServerMsg, MAX_MESSAGE_BYTES};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match ClientMsg::decode(text) {
        Ok(msg) => {
            let again = msg.encode();
            assert_eq!(ClientMsg::decode(&again).as_ref(), Ok(&msg), "{again}");
        }
        Err(e) => {
            assert!(matches!(e.code(), code::BAD_MESSAGE | code::TOO_LARGE));
            assert!(!e.to_string().is_empty());
            if text.len() > MAX_MESSAGE_BYTES {
                assert_eq!(e, DecodeError::TooLarge(text.len()));
            }
        }
    }
    if let Ok(msg) = ServerMsg::decode(text) {
        let again = msg.encode();
        assert_eq!(ServerMsg::decode(&again).as_ref(), Ok(&msg), "{again}");
    }
});
