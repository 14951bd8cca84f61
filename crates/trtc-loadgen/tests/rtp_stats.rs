//! Receive statistics: sequence extension, RFC 3550 loss and jitter, bitrate, spreads, /proc.

use std::time::Duration;

use trtc_loadgen::stats::{
    kbps, loss_fraction, parse_proc_stat, parse_proc_stat_split, parse_rss_kib, spread, RtpRx,
    RxSnapshot, SeqExtender,
};

#[test]
fn sequence_numbers_extend_across_wraps_and_reordering() {
    let mut x = SeqExtender::default();
    let first = x.extend(65534);
    assert_eq!(x.extend(65535), first + 1);
    assert_eq!(x.extend(0), first + 2, "wrap forward");
    assert_eq!(x.extend(1), first + 3);
    assert_eq!(
        x.extend(65535),
        first + 1,
        "a late packet from before the wrap"
    );
    assert_eq!(x.extend(2), first + 4);
    // A packet from before the very first one stays below it.
    let mut y = SeqExtender::default();
    let f = y.extend(10);
    assert_eq!(y.extend(9), f - 1);
    let mut z = SeqExtender::default();
    let f = z.extend(0);
    assert_eq!(
        z.extend(65535),
        f - 1,
        "reordered across the wrap at the start"
    );
}

/// Feeds `seqs` at a steady 20 ms pace with matching 48 kHz timestamps.
fn steady(rx: &mut RtpRx, seqs: impl IntoIterator<Item = u16>) {
    for s in seqs {
        let n = u32::from(s);
        rx.on_packet(s, n * 960, Duration::from_millis(u64::from(n) * 20), 100);
    }
}

#[test]
fn loss_counts_gaps_not_arrival_order() {
    let mut rx = RtpRx::new(48_000);
    steady(&mut rx, (0..100).filter(|s| s % 10 != 3)); // 10 lost
    assert_eq!(rx.expected(), 100);
    assert_eq!(rx.received(), 90);
    assert_eq!(rx.lost(), 10);

    // Reordered but complete: no loss.
    let mut rx = RtpRx::new(48_000);
    steady(&mut rx, [0, 2, 1, 3, 5, 4]);
    assert_eq!(rx.lost(), 0);

    // Duplicates make the cumulative count negative (RFC 3550), a window fraction never.
    let mut rx = RtpRx::new(48_000);
    steady(&mut rx, [0, 1, 1, 2]);
    assert_eq!(rx.lost(), -1);
    assert_eq!(loss_fraction(RxSnapshot::default(), rx.snapshot()), 0.0);
}

#[test]
fn loss_over_a_window_is_the_difference_of_snapshots() {
    let mut rx = RtpRx::new(48_000);
    steady(&mut rx, 0..50);
    let start = rx.snapshot();
    steady(&mut rx, (50..150).filter(|s| s % 20 != 0)); // 5 of 100 lost
    let end = rx.snapshot();
    assert_eq!(end.expected - start.expected, 100);
    assert!((loss_fraction(start, end) - 0.05).abs() < 1e-12);
    assert_eq!(loss_fraction(end, end), 0.0, "empty window");
    assert_eq!(end.bytes - start.bytes, 95 * 100);
}

#[test]
fn loss_across_a_sequence_wrap() {
    let mut rx = RtpRx::new(90_000);
    for i in 0..200u32 {
        if i == 150 {
            continue;
        }
        let seq = (65_500 + i) as u16;
        rx.on_packet(
            seq,
            i * 3000,
            Duration::from_millis(u64::from(i) * 33),
            1000,
        );
    }
    assert_eq!(rx.expected(), 200);
    assert_eq!(rx.lost(), 1);
}

#[test]
fn jitter_is_zero_for_perfect_pacing() {
    let mut rx = RtpRx::new(48_000);
    steady(&mut rx, 0..500);
    assert_eq!(rx.jitter_units(), 0);
    assert_eq!(rx.jitter(), Duration::ZERO);
}

#[test]
fn jitter_follows_rfc3550_recursion() {
    // Alternating ±1 ms transit: |D| = 48 units for every pair after the first packet.
    // J(i) = J(i-1) + (|D| - J(i-1)) / 16 converges on 48 units = 1 ms.
    let mut rx = RtpRx::new(48_000);
    let mut expect = 0.0f64;
    for n in 0..400u32 {
        let offset_us = if n % 2 == 1 { 1000 } else { 0 };
        rx.on_packet(
            n as u16,
            n * 960,
            Duration::from_micros(u64::from(n) * 20_000 + offset_us),
            100,
        );
        if n > 0 {
            expect += (48.0 - expect) / 16.0;
        }
    }
    assert_eq!(rx.jitter_units(), expect as u32);
    let ms = rx.jitter().as_secs_f64() * 1000.0;
    assert!((ms - 1.0).abs() < 0.01, "{ms}");

    // One step by hand: a single 960-unit (20 ms) late arrival after a steady start.
    let mut rx = RtpRx::new(48_000);
    rx.on_packet(0, 0, Duration::from_millis(0), 10);
    rx.on_packet(1, 960, Duration::from_millis(40), 10);
    assert_eq!(rx.jitter_units(), 960 / 16);
}

#[test]
fn jitter_survives_timestamp_wrap() {
    let mut rx = RtpRx::new(90_000);
    let start = u32::MAX - 3000 * 5;
    for n in 0..20u32 {
        rx.on_packet(
            n as u16,
            start.wrapping_add(n * 3000),
            Duration::from_micros(u64::from(n) * 33_333 + 333),
            1000,
        );
    }
    assert!(rx.jitter_units() <= 1, "{}", rx.jitter_units());
}

#[test]
fn bitrate() {
    assert_eq!(kbps(62_500, Duration::from_secs(1)), 500.0);
    assert_eq!(kbps(125_000, Duration::from_secs(2)), 500.0);
    assert_eq!(kbps(1, Duration::ZERO), 0.0);
}

#[test]
fn spreads() {
    assert_eq!(spread(&[]), None);
    let s = spread(&[3.0, 1.0, 2.0]).unwrap();
    assert_eq!(
        (s.n, s.median, s.min, s.max, s.mean),
        (3, 2.0, 1.0, 3.0, 2.0)
    );
    let s = spread(&[4.0, 1.0, 2.0, 3.0, f64::NAN]).unwrap();
    assert_eq!((s.n, s.median), (4, 2.5));
}

#[test]
fn proc_files() {
    let stat = "1234 (trtc server) S 1 1234 1234 0 -1 4194560 1042 0 0 0 250 75 0 0 20 0 4 0 \
                1000 123456789 2000 18446744073709551615";
    assert_eq!(parse_proc_stat(stat), Some(325));
    assert_eq!(parse_proc_stat_split(stat), Some((250, 75)));
    assert_eq!(parse_proc_stat("garbage"), None);
    let status = "Name:\ttrtc-server\nVmPeak:\t  20000 kB\nVmRSS:\t   14420 kB\nThreads:\t3\n";
    assert_eq!(parse_rss_kib(status), Some(14420));
    assert_eq!(parse_rss_kib("Name: x\n"), None);
}
