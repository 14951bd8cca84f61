//! The answers `sdp_answer` found that panic the SFU (str0m 0.25, `accept_answer`: "Pt locked
//! multiple times"), kept as files under `regressions/sdp_answer/`. A plain `cargo test` in
//! this directory (no nightly needed).
//!
//! The server refuses them before the SFU sees them (`trtc_server::sdp_guard`, tested in
//! trtc-server's `tests/answer_guard.rs`). If `str0m_still_panics_on_them` fails, str0m (or
//! trtc-sfu) no longer panics: the guard and this test can go.

use std::panic::{catch_unwind, AssertUnwindSafe};

use trtc_fuzz::SfuSession;
use trtc_server::sdp_guard::check_answer;

fn regressions() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/regressions/sdp_answer");
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("regressions/sdp_answer")
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
    assert!(out.len() >= 2);
    out
}

#[test]
fn str0m_still_panics_on_them() {
    for (name, text) in regressions() {
        let got = catch_unwind(AssertUnwindSafe(|| {
            let mut s = SfuSession::new();
            s.answer(&text)
        }));
        let message = got
            .err()
            .and_then(|e| e.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        assert!(
            message.contains("Pt locked multiple times"),
            "{name}: no longer panics ({message:?})"
        );
    }
}

#[test]
fn the_server_guard_refuses_them_and_passes_the_seeds() {
    for (name, text) in regressions() {
        assert!(check_answer(&text).is_err(), "{name}");
    }
    let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/sdp_answer");
    for e in std::fs::read_dir(seeds).unwrap() {
        let path = e.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(check_answer(&text), Ok(()), "{}", path.display());
    }
}
