//! The `udp_datagram` target as a plain test (no nightly needed): the inputs kept under
//! `regressions/udp_datagram/` (raw bytes for `arbitrary`, as libFuzzer writes them; none yet:
//! no crash has been found), the seeds under `seeds/udp_datagram/`, and 300 inputs from a fixed
//! pseudo-random stream, each run against a freshly connected session: no panic, routing asks
//! at most one peer per datagram (none for a stranger's non-STUN datagram), and the peer is
//! still there afterwards.

use arbitrary::{Arbitrary, Unstructured};
use trtc_fuzz::{UdpInput, UdpSession, PEER};

fn run(bytes: &[u8]) -> UdpSession {
    let input = UdpInput::arbitrary_take_rest(Unstructured::new(bytes)).expect("an input");
    let mut s = UdpSession::new();
    assert!(
        s.connected && s.sfu.is_connected(PEER),
        "the session connects"
    );
    s.run(&input);
    s
}

fn files(dir: &str) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Vec<u8>)> = entries
        .map(|e| {
            let path = e.unwrap().path();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&path).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn kept_inputs_and_seeds_run_clean() {
    for dir in ["regressions/udp_datagram", "seeds/udp_datagram"] {
        for (name, bytes) in files(&format!("{}/{dir}", env!("CARGO_MANIFEST_DIR"))) {
            let s = std::panic::catch_unwind(|| run(&bytes))
                .unwrap_or_else(|_| panic!("{dir}/{name} panicked"));
            assert!(
                s.sfu.has_peer(PEER),
                "{dir}/{name}: the peer is still there"
            );
        }
    }
}

#[test]
fn a_fixed_stream_of_random_inputs_runs_clean() {
    // xorshift: the same inputs every run.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..300 {
        let len = (next() % 2048) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        run(&bytes);
    }
}
