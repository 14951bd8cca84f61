//! Size of the SFU's offer to a subscriber of N publishers (audio + video), against the
//! signalling limit: `cargo run --release --example offer_size`.

use std::time::Instant;

use trtc_sfu::{Kind, Sfu, SfuEvent};

fn main() {
    for n in [1u64, 4, 8, 12, 13, 16, 24] {
        let now = Instant::now();
        let mut sfu = Sfu::new(vec!["127.0.0.1:40000".parse().unwrap()]);
        let me = 1000;
        sfu.add_peer(me, now);
        sfu.set_publish(me, true, true, now);
        for p in 1..=n {
            sfu.add_peer(p, now);
            sfu.set_publish(p, true, true, now);
            sfu.add_source(me, p, Kind::Audio, now);
            sfu.add_source(me, p, Kind::Video, now);
        }
        let mut size = 0;
        while let Some(ev) = sfu.poll_event() {
            if let SfuEvent::Offer { peer, sdp, .. } = ev {
                if peer == me {
                    size = sdp.len();
                }
            }
        }
        let msg = size + 200 + 60 * 2 * n as usize; // + JSON and the slots
        println!(
            "{n:3} publishers: offer SDP {size:6} bytes, Offer message ~{msg:6} bytes{}",
            if msg > trtc_proto::MAX_MESSAGE_BYTES {
                "  > MAX_MESSAGE_BYTES"
            } else {
                ""
            }
        );
    }
}
