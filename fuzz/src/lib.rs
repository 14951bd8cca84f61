//! Helpers shared by the fuzz targets and the seed generator (`examples/make_seeds.rs`).

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use trtc_sfu::{Kind, PeerId, Sfu, SfuEvent};

/// TLS-sig's outer layers: zlib, standard base64, then `+` → `*`, `/` → `-`, `=` → `_`.
pub fn encode_usersig_doc(json: &[u8]) -> String {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(json).expect("to a Vec");
    let compressed = z.finish().expect("to a Vec");
    STANDARD
        .encode(compressed)
        .chars()
        .map(|c| match c {
            '+' => '*',
            '/' => '-',
            '=' => '_',
            c => c,
        })
        .collect()
}

/// Where the SFU of the harness says it listens.
pub const SFU_ADDR: &str = "127.0.0.1:40000";

/// The peer whose offers the `sdp_answer` target answers.
pub const PEER: PeerId = 2;

/// A trtc-sfu core (`trtc_sfu::Sfu`, sans IO, as the server runs it) where peer 1 publishes
/// audio and video and peer [`PEER`] publishes both too and receives peer 1's: the SFU's offer
/// to [`PEER`] has the `trtc` data channel, two upstream slots and two forwarded ones.
pub struct SfuSession {
    pub sfu: Sfu,
    pub now: Instant,
    /// The latest offer to [`PEER`], if one is outstanding.
    pub offer: Option<String>,
}

/// The placeholders an answer in the `sdp_answer` corpus uses for the mids of the offer, in
/// m-line order (str0m draws mids at random).
pub const MID_PLACEHOLDERS: [&str; 6] =
    ["{mid0}", "{mid1}", "{mid2}", "{mid3}", "{mid4}", "{mid5}"];

impl SfuSession {
    pub fn new() -> SfuSession {
        let now = Instant::now();
        let addr: SocketAddr = SFU_ADDR.parse().expect("an address");
        let mut sfu = Sfu::new(vec![addr]);
        sfu.add_peer(1, now);
        sfu.set_publish(1, true, true, now);
        sfu.add_peer(PEER, now);
        sfu.set_publish(PEER, true, true, now);
        sfu.add_source(PEER, 1, Kind::Audio, now);
        sfu.add_source(PEER, 1, Kind::Video, now);
        let mut s = SfuSession {
            sfu,
            now,
            offer: None,
        };
        s.poll();
        assert!(s.offer.is_some(), "the SFU offers to the peer");
        s
    }

    /// Drains the SFU's events and datagrams; keeps the latest offer to [`PEER`].
    pub fn poll(&mut self) {
        while let Some(ev) = self.sfu.poll_event() {
            if let SfuEvent::Offer { peer, sdp, .. } = ev {
                if peer == PEER {
                    self.offer = Some(sdp);
                }
            }
        }
        while let Some((_, _, buf)) = self.sfu.poll_transmit() {
            self.sfu.recycle(buf);
        }
    }

    /// The mids of the outstanding offer, in m-line order.
    pub fn mids(&self) -> Vec<String> {
        self.offer
            .as_deref()
            .unwrap_or("")
            .lines()
            .filter_map(|l| l.strip_prefix("a=mid:"))
            .map(|m| m.trim().to_string())
            .collect()
    }

    /// `text` with the placeholders replaced by the outstanding offer's mids.
    pub fn fill(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (p, m) in MID_PLACEHOLDERS.iter().zip(self.mids()) {
            out = out.replace(p, &m);
        }
        out
    }

    /// `sdp` with the outstanding offer's mids replaced by the placeholders.
    pub fn unfill(&self, sdp: &str) -> String {
        let mut out = sdp.to_string();
        for (p, m) in MID_PLACEHOLDERS.iter().zip(self.mids()) {
            out = out
                .replace(&format!("a=mid:{m}\r\n"), &format!("a=mid:{p}\r\n"))
                .replace(&format!(" {m} "), &format!(" {p} "))
                .replace(&format!(" {m}\r\n"), &format!(" {p}\r\n"));
        }
        out
    }

    /// Hands `text` (placeholders filled) to the SFU as [`PEER`]'s answer, then lets time pass.
    pub fn answer(&mut self, text: &str) -> Result<(), String> {
        let sdp = self.fill(text);
        self.offer = None;
        self.now += Duration::from_millis(20);
        let out = self.sfu.accept_answer(PEER, &sdp, self.now);
        self.poll();
        for _ in 0..4 {
            self.now += Duration::from_millis(50);
            self.sfu.handle_timeout(self.now);
            self.poll();
        }
        out
    }
}

impl Default for SfuSession {
    fn default() -> Self {
        Self::new()
    }
}
