//! Big and small streams: a publisher that sends a small layer too (simulcast, rids `h` and
//! `l`), subscribers that choose a layer, and switches made on a keyframe of the new layer
//! while the old one keeps flowing.

mod common;

use std::time::Duration;

use common::World;
use trtc_sfu::Kind;

const A: u64 = 1;
const B: u64 = 2;
const C: u64 = 3;

/// A publishes audio and video, with a small layer if `small`; B and C receive A's video.
fn setup(small: bool) -> World {
    let mut w = World::new();
    w.join(A);
    w.join(B);
    w.join(C);
    w.sfu.set_small(A, small, w.now);
    w.sfu.set_publish(A, true, true, w.now);
    w.add_sources(B, A);
    w.add_sources(C, A);
    w.subscribe(B, A, Kind::Video, true);
    w.subscribe(C, A, Kind::Video, true);
    assert!(w.run_until(Duration::from_secs(5), World::all_connected));
    w.run_for(Duration::from_millis(500));
    w
}

/// The layer markers of the video frames `peer` received after the first `from`.
fn markers(w: &World, peer: u64, from: usize) -> Vec<u8> {
    w.c(peer).rx_video[from..].iter().map(|f| f.1).collect()
}

/// Checks that `peer`'s video never stopped and its RTP time only went forward.
fn assert_smooth(w: &World, peer: u64) {
    let rx = &w.c(peer).rx_video;
    assert!(rx.len() > 10, "frames arrived: {}", rx.len());
    for pair in rx.windows(2) {
        let ((t0, m0, _, ts0), (t1, m1, k1, ts1)) = (pair[0], pair[1]);
        assert!(
            t1 - t0 <= Duration::from_millis(120),
            "no gap in the picture: {:?} between {} and {}",
            t1 - t0,
            m0 as char,
            m1 as char
        );
        assert!(ts1 > ts0, "RTP time goes forward ({ts0} -> {ts1})");
        assert!(
            ts1 - ts0 <= 90_000,
            "RTP time does not jump ({ts0} -> {ts1})"
        );
        if m1 != m0 {
            assert!(k1, "a layer starts on its keyframe");
        }
    }
}

#[test]
fn each_subscriber_gets_only_the_layer_it_asked_for() {
    let mut w = setup(true);
    w.sfu.set_layer(B, A, true, w.now);
    w.run_for(Duration::from_secs(1));
    let (b0, c0) = (w.c(B).rx_video.len(), w.c(C).rx_video.len());
    w.run_for(Duration::from_secs(1));
    let b = markers(&w, B, b0);
    let c = markers(&w, C, c0);
    assert!(
        b.len() >= 15 && b.iter().all(|m| *m == b'l'),
        "B: small only {b:?}"
    );
    assert!(
        c.len() >= 15 && c.iter().all(|m| *m == b'h'),
        "C: big only {c:?}"
    );
    assert_eq!(w.sfu.layer(B, A), Some(true));
    assert_eq!(w.sfu.layer(C, A), Some(false));
    // Both started on a keyframe of their layer.
    assert!(w.c(B).rx_video[0].2 && w.c(C).rx_video[0].2);
    assert_smooth(&w, B);
    assert_smooth(&w, C);
}

#[test]
fn switching_waits_for_a_keyframe_of_the_new_layer_and_the_old_one_flows_until_then() {
    let mut w = setup(true);
    // A ignores keyframe requests for a while: the switch waits, the big layer keeps flowing.
    w.client(A).honor_keyframe_requests = false;
    let before = w.c(B).rx_video.len();
    w.sfu.set_layer(B, A, true, w.now);
    w.run_for(Duration::from_millis(800));
    let waiting = markers(&w, B, before);
    assert!(
        waiting.len() >= 10 && waiting.iter().all(|m| *m == b'h'),
        "big until the small keyframe: {waiting:?}"
    );
    let asked = w.c(A).keyframe_requests.len();
    assert!(asked >= 1, "the publisher was asked for a keyframe");

    // Now it answers: B switches to small on its keyframe, C stays on big.
    w.client(A).honor_keyframe_requests = true;
    assert!(
        w.run_until(Duration::from_secs(3), |w| w.sfu.layer(B, A) == Some(true)),
        "B switched to small"
    );
    w.run_for(Duration::from_millis(500));
    let last = *w.c(B).rx_video.last().unwrap();
    assert_eq!(last.1, b'l');

    // And back to big.
    let mid = w.c(B).rx_video.len();
    w.sfu.set_layer(B, A, false, w.now);
    assert!(
        w.run_until(Duration::from_secs(3), |w| w.sfu.layer(B, A) == Some(false)),
        "B switched back to big"
    );
    w.run_for(Duration::from_millis(500));
    let back = markers(&w, B, mid);
    let first_big = back.iter().position(|m| *m == b'h').expect("big again");
    assert!(back[..first_big].iter().all(|m| *m == b'l'));
    assert!(back[first_big..].iter().all(|m| *m == b'h'), "{back:?}");
    assert!(markers(&w, C, 0).iter().all(|m| *m == b'h'));
    assert_smooth(&w, B);
    assert_smooth(&w, C);
}

#[test]
fn small_where_none_is_published_gives_big_until_one_is() {
    let mut w = setup(false);
    w.sfu.set_layer(B, A, true, w.now);
    w.run_for(Duration::from_secs(1));
    let from = w.c(B).rx_video.len();
    w.run_for(Duration::from_millis(500));
    let m = markers(&w, B, from);
    assert!(m.len() >= 5 && m.iter().all(|m| *m == b'-'), "big: {m:?}");
    assert_eq!(w.sfu.layer(B, A), Some(false));

    // A starts sending a small layer (its video slot is renegotiated with simulcast): B moves
    // to it, C gets the big one.
    w.sfu.set_small(A, true, w.now);
    assert!(
        w.run_until(Duration::from_secs(5), |w| w.sfu.layer(B, A) == Some(true)),
        "B gets the small layer once A sends one"
    );
    w.run_for(Duration::from_millis(500));
    assert_eq!(w.c(B).rx_video.last().unwrap().1, b'l');
    assert_eq!(w.c(C).rx_video.last().unwrap().1, b'h');

    // A stops it: B is back on big.
    w.sfu.set_small(A, false, w.now);
    assert!(
        w.run_until(Duration::from_secs(5), |w| w.sfu.layer(B, A) == Some(false)),
        "B is back on big"
    );
    w.run_for(Duration::from_millis(500));
    assert_eq!(w.c(B).rx_video.last().unwrap().1, b'-');
}

#[test]
fn a_subscribers_keyframe_request_goes_to_the_layer_it_gets() {
    let mut w = setup(true);
    w.sfu.set_layer(B, A, true, w.now);
    w.run_for(Duration::from_secs(2));
    let b_keys = w.c(B).rx_video.iter().filter(|f| f.2).count();
    let c_keys = w.c(C).rx_video.iter().filter(|f| f.2).count();
    // B's decoder asks for a keyframe: A sends one of the small layer; C sees no new one.
    let mid = w.c(B).mid_of(Some(A), Kind::Video).unwrap();
    w.client(B)
        .rtc
        .writer(mid)
        .unwrap()
        .request_keyframe(None, str0m::media::KeyframeRequestKind::Pli)
        .unwrap_or(());
    w.run_for(Duration::from_secs(1));
    assert!(w.c(B).rx_video.iter().filter(|f| f.2).count() > b_keys);
    assert_eq!(w.c(C).rx_video.iter().filter(|f| f.2).count(), c_keys);
}
