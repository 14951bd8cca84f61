use super::*;

/// A frame as Chromium's H.264 encoder gives it: SPS, PPS, IDR slice (4-byte start codes).
const KEY: &[u8] = &[
    0, 0, 0, 1, 0x67, 0x42, 0xC0, 0x1F, 0x8C, 0, 0, 0, 1, 0x68, 0xCE, 0x3C, 0x80, 0, 0, 0, 1, 0x65,
    0xB8, 0, 4, 0, 0, 3, 0, 9,
];
/// A delta frame: one non-IDR slice.
const DELTA: &[u8] = &[0, 0, 0, 1, 0x61, 0xE0, 0, 0x40, 0, 0xBE];

fn msg(payload_type: u8, data: &[u8]) -> SeiMessage {
    SeiMessage {
        payload_type,
        data: data.to_vec(),
    }
}

fn with(frame: &[u8], messages: &[SeiMessage]) -> Vec<u8> {
    let mut nals = Vec::new();
    for m in messages {
        write_nal(&mut nals, m);
    }
    insert(frame, &nals).expect("has a VCL NAL")
}

#[test]
fn a_message_goes_before_the_first_slice_and_reads_back() {
    let m = msg(243, b"hello");
    let out = with(KEY, std::slice::from_ref(&m));
    // SPS and PPS untouched, then the SEI, then the slice.
    assert_eq!(&out[..17], &KEY[..17]);
    assert_eq!(&out[17..22], &[0, 0, 0, 1, 6]);
    assert_eq!(&out[22..24], &[243, 5]);
    assert_eq!(&out[24..29], b"hello");
    assert_eq!(out[29], 0x80);
    assert_eq!(&out[30..], &KEY[17..]);
    assert_eq!(read(&out), vec![m]);
    assert_eq!(read(KEY), vec![]);
}

#[test]
fn payload_type_5_carries_the_uuid_which_is_not_delivered() {
    let m = msg(5, b"abc");
    let out = with(DELTA, std::slice::from_ref(&m));
    assert_eq!(&out[..7], &[0, 0, 0, 1, 6, 5, 19]);
    assert_eq!(&out[7..23], &SEI_UUID);
    assert_eq!(read(&out), vec![m]);
}

#[test]
fn another_uuid_and_other_payload_types_are_not_messages() {
    // x264-style type-5 SEI with its own UUID, then a type-1 (pic timing) message, then ours.
    let mut nal = vec![0, 0, 0, 1, 6, 5, 20];
    nal.extend_from_slice(&[0xAA; 16]);
    nal.extend_from_slice(b"x264");
    nal.extend_from_slice(&[1, 2, 0x11, 0x22]);
    nal.extend_from_slice(&[243, 2, b'o', b'k', 0x80]);
    nal.extend_from_slice(DELTA);
    assert_eq!(read(&nal), vec![msg(243, b"ok")]);
}

#[test]
fn sizes_of_255_and_more_use_ff_bytes() {
    for len in [254, 255, 256, 509, 510, 1000] {
        let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8 + 4).collect();
        let out = with(DELTA, &[msg(243, &data)]);
        let mut want_size = vec![0xFF; len / 255];
        want_size.push((len % 255) as u8);
        assert_eq!(&out[6..6 + want_size.len()], &want_size[..], "{len}");
        assert_eq!(read(&out), vec![msg(243, &data)], "{len}");
    }
}

#[test]
fn zeros_are_escaped_on_the_way_in_and_unescaped_on_the_way_out() {
    let data = [0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0];
    let out = with(DELTA, &[msg(243, &data)]);
    let nal_end = out.len() - DELTA.len();
    let nal = &out[4..nal_end];
    // No start code or 00 00 0x (x ≤ 3) inside the written NAL.
    for w in nal.windows(3) {
        assert!(!(w[0] == 0 && w[1] == 0 && w[2] <= 2), "{nal:?}");
    }
    assert_eq!(
        nal,
        &[6, 243, 13, 0, 0, 3, 0, 0, 3, 1, 0, 0, 3, 2, 0, 0, 3, 3, 0, 0, 0x80]
    );
    assert_eq!(read(&out), vec![msg(243, &data)]);
    // The slice after it is found as before.
    assert_eq!(&out[nal_end..], DELTA);
}

#[test]
fn several_messages_keep_their_order() {
    let ms = [msg(243, b"one"), msg(5, b"two"), msg(243, &[0; 1000])];
    assert_eq!(read(&with(KEY, &ms)), ms.to_vec());
}

#[test]
fn several_messages_in_one_nal_are_read() {
    let mut f = vec![0, 0, 1, 6, 243, 1, b'a', 243, 1, b'b', 0x80];
    f.extend_from_slice(DELTA);
    assert_eq!(read(&f), vec![msg(243, b"a"), msg(243, b"b")]);
}

#[test]
fn sei_after_the_first_slice_is_not_read() {
    let mut f = DELTA.to_vec();
    f.extend_from_slice(&[0, 0, 1, 6, 243, 1, b'a', 0x80]);
    assert_eq!(read(&f), vec![]);
}

#[test]
fn a_frame_without_a_slice_gets_nothing() {
    assert_eq!(insert(&[], b"x"), None);
    assert_eq!(insert(&[1, 2, 3, 4], b"x"), None);
    assert_eq!(insert(&[0, 0, 0, 1, 0x67, 1, 2], b"x"), None);
    let mut q = SeiQueue::default();
    q.push(msg(243, b"a"));
    assert_eq!(q.take_into(&[9, 9, 9]), None);
    assert!(!q.is_empty(), "kept for the next frame");
}

#[test]
fn malformed_input_never_panics_and_yields_nothing_wrong() {
    let cases: Vec<Vec<u8>> = vec![
        vec![],
        vec![0],
        vec![0, 0, 1],
        vec![0, 0, 1, 6],
        vec![0, 0, 0, 1, 6, 243],
        // Size over what is there (truncated NAL).
        vec![0, 0, 1, 6, 243, 10, 1, 2, 3],
        // Size bytes that never end.
        vec![0, 0, 1, 6, 243, 0xFF, 0xFF, 0xFF],
        // Type bytes that never end.
        vec![0, 0, 1, 6, 0xFF, 0xFF],
        // A huge coded size: thousands of 0xFF.
        [vec![0, 0, 1, 6, 243], vec![0xFF; 5000], vec![3, 1]].concat(),
        // Zero-length payload, then trailing bits.
        vec![0, 0, 1, 6, 243, 0, 0x80],
        // Type 5 shorter than its UUID.
        vec![0, 0, 1, 6, 5, 3, 1, 2, 3, 0x80],
        // Only emulation bytes.
        vec![0, 0, 1, 6, 0, 0, 3, 0, 0, 3, 0, 0, 3],
        // A start code inside what a size claims (the NAL is cut there).
        vec![0, 0, 1, 6, 243, 6, 1, 0, 0, 1, 0x65, 1],
    ];
    for c in &cases {
        assert_eq!(read(c), vec![], "{c:?}");
    }
    // A 1001-byte message is skipped, the next one still read.
    let mut f = vec![0, 0, 1, 6, 243, 0xFF, 0xFF, 0xFF, 236];
    f.extend_from_slice(&[7; 1001]);
    f.extend_from_slice(&[243, 1, 9, 0x80]);
    assert_eq!(read(&f), vec![msg(243, &[9])]);
    // Every prefix of a good frame, and every byte flipped, reads without panicking.
    let good = with(KEY, &[msg(243, b"abcdef"), msg(5, &[0, 0, 0, 1, 2])]);
    for n in 0..good.len() {
        let r = read(&good[..n]);
        assert!(r
            .iter()
            .all(|m| (1..=MAX_SEI_BYTES).contains(&m.data.len())));
        let mut bad = good.clone();
        bad[n] ^= 0xFF;
        let _ = read(&bad);
        let _ = insert(&bad, b"x");
    }
}

#[test]
fn many_tiny_messages_are_capped_per_frame() {
    let mut f = vec![0, 0, 1, 6];
    for _ in 0..1000 {
        f.extend_from_slice(&[243, 1, 7]);
    }
    f.push(0x80);
    assert_eq!(read(&f).len(), MAX_PER_FRAME);
}

#[test]
fn the_queue_fills_the_big_layer_only_and_drops_on_another_codec() {
    let mut q = SeiQueue::default();
    // Nothing queued: pass, but the widths are learnt.
    assert_eq!(q.wants(1, 640, true), FrameAction::Pass);
    assert_eq!(q.wants(2, 160, true), FrameAction::Pass);
    q.push(msg(243, b"a"));
    assert_eq!(q.wants(2, 160, true), FrameAction::Pass, "small layer");
    assert_eq!(q.wants(1, 640, true), FrameAction::Insert);
    let out = q.take_into(DELTA).unwrap();
    assert_eq!(read(&out), vec![msg(243, b"a")]);
    assert!(q.is_empty());
    assert_eq!(q.wants(1, 640, true), FrameAction::Pass);
    // The big layer scaled down below the small one's last width: the widest wins.
    q.push(msg(243, b"b"));
    assert_eq!(q.wants(1, 120, true), FrameAction::Pass);
    assert_eq!(q.wants(2, 160, true), FrameAction::Insert);
    // A VP8 frame drops what waits.
    assert_eq!(q.wants(1, 640, false), FrameAction::Dropped);
    assert!(q.is_empty());
    // The queue keeps the newest MAX_PENDING.
    for i in 0..MAX_PENDING + 5 {
        q.push(msg(243, &[i as u8]));
    }
    assert_eq!(
        q.wants(9, 0, true),
        FrameAction::Pass,
        "unknown width under a known one"
    );
    let got = read(&q.take_into(DELTA).unwrap());
    assert_eq!(got.len(), MAX_PENDING);
    assert_eq!(got[0].data, vec![5]);
}
