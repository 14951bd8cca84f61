//! The synthetic encoder: bitrate, keyframes, VP8 payload descriptors the SFU can read.

use std::time::Duration;

use trtc_loadgen::media::{
    opus_payload, packetize_vp8, vp8_descriptor, vp8_frame, vp8_payload_info, VideoConfig,
    VideoSource, VP8_DESCRIPTOR_LEN,
};

#[test]
fn frames_average_the_bitrate() {
    let cfg = VideoConfig {
        kbps: 500,
        fps: 30,
        keyframe_interval: Duration::from_secs(2),
        key_ratio: 4,
        max_payload: 1100,
    };
    let mut src = VideoSource::new(cfg.clone());
    // The first keyframe starts the periodic cycle; measure whole cycles after it.
    let frames: Vec<_> = (0..30 * 20 + 1).map(|_| src.next_frame()).collect();
    let bytes: usize = frames[1..].iter().map(|f| f.size).sum();
    let kbps = bytes as f64 * 8.0 / 1000.0 / 20.0;
    assert!((kbps - 500.0).abs() < 5.0, "{kbps}");
    let keys: Vec<usize> = frames
        .iter()
        .enumerate()
        .filter(|(_, f)| f.key)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        &keys[..4],
        &[0, 60, 120, 180],
        "a keyframe first, then every 2 s"
    );
    let (delta, key) = cfg.frame_sizes();
    assert_eq!(key, delta * 4);
    assert_eq!(frames[1].rtp_ts - frames[0].rtp_ts, 3000, "90 kHz / 30 fps");
}

#[test]
fn requested_keyframes_come_next_and_are_counted() {
    let cfg = VideoConfig {
        keyframe_interval: Duration::ZERO,
        ..VideoConfig::default()
    };
    let mut src = VideoSource::new(cfg);
    let first = src.next_frame();
    assert!(
        first.key && !first.requested,
        "the first frame is a keyframe of its own"
    );
    assert!(
        (0..100).all(|_| !src.next_frame().key),
        "no periodic keyframes"
    );
    src.request_keyframe();
    src.request_keyframe();
    let f = src.next_frame();
    assert!(f.key && f.requested);
    assert!(!src.next_frame().key, "two requests, one keyframe");
}

#[test]
fn vp8_payloads_look_like_chromes() {
    let frame = vp8_frame(true, 5000, 7);
    assert_eq!(frame.len(), 5000);
    assert_eq!(frame[0] & 1, 0, "inverse keyframe bit clear");
    assert_eq!(&frame[3..6], &[0x9d, 0x01, 0x2a], "start code");
    assert_eq!(vp8_frame(false, 10, 0)[0] & 1, 1);

    let payloads = packetize_vp8(&frame, 0x1234, 1100);
    assert_eq!(payloads.len(), 5);
    assert!(payloads.iter().all(|p| p.len() <= 1100));
    let sizes: Vec<usize> = payloads.iter().map(|p| p.len()).collect();
    assert!(
        sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1,
        "{sizes:?}"
    );
    let body: Vec<u8> = payloads
        .iter()
        .flat_map(|p| p[VP8_DESCRIPTOR_LEN..].to_vec())
        .collect();
    assert_eq!(body, frame, "the payloads carry the frame in order");

    assert_eq!(&payloads[0][..4], &vp8_descriptor(true, 0x1234));
    assert_eq!(payloads[0][0], 0x90, "X and S set, PID 0");
    assert_eq!(payloads[1][0], 0x80, "S clear on later packets");
    assert_eq!(&payloads[0][2..4], &[0x92, 0x34], "M set, 15-bit PictureID");
    assert_eq!(vp8_payload_info(&payloads[0]), Some((true, true)));
    assert_eq!(vp8_payload_info(&payloads[1]), Some((false, false)));

    let delta = packetize_vp8(&vp8_frame(false, 800, 1), 1, 1100);
    assert_eq!(delta.len(), 1);
    assert_eq!(vp8_payload_info(&delta[0]), Some((true, false)));
    // str0m's shortest descriptor (no extension) reads too.
    assert_eq!(vp8_payload_info(&[0x10, 0x10]), Some((true, true)));
    assert_eq!(vp8_payload_info(&[0x90, 0x80]), None, "cut short");
}

#[test]
fn opus_payloads() {
    let p = opus_payload(3, 80);
    assert_eq!(p.len(), 80);
    assert_eq!(p[0], 0xf8, "CELT fullband 20 ms TOC");
    assert_ne!(opus_payload(4, 80)[1..], p[1..]);
}
