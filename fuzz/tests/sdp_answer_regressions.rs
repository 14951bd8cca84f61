//! The answers `sdp_answer` found that panicked the SFU (str0m 0.25, `accept_answer`: "Pt
//! locked multiple times"), kept as files under `regressions/sdp_answer/`. A plain `cargo test`
//! in this directory (no nightly needed).
//!
//! `trtc_sfu::Sfu::accept_answer` now refuses them before str0m sees them: an error (the offer
//! is used up and a new one follows), no panic. The seeds (browser-like answers) still go through the check.

use std::panic::{catch_unwind, AssertUnwindSafe};

use trtc_fuzz::SfuSession;

fn files(dir: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| {
            let path = e.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                text,
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn the_sfu_refuses_them_without_panicking() {
    let found = files(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/regressions/sdp_answer"
    ));
    assert!(found.len() >= 2);
    for (name, text) in found {
        let got = catch_unwind(AssertUnwindSafe(|| {
            let mut s = SfuSession::new();
            let r = s.answer(&text);
            (r, s.sfu.has_pending_offer(trtc_fuzz::PEER))
        }));
        let (result, pending) = got.unwrap_or_else(|_| panic!("{name}: the SFU panicked"));
        let e = result.expect_err(&name);
        assert!(e.contains("payload type"), "{name}: {e}");
        assert!(pending, "{name}: a new offer is outstanding");
    }
}

#[test]
fn browser_like_seeds_are_not_refused_by_the_check() {
    for (name, text) in files(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/sdp_answer")) {
        let mut s = SfuSession::new();
        if let Err(e) = s.answer(&text) {
            assert!(!e.contains("payload type"), "{name}: {e}");
        }
    }
}
