//! Summing up a run: pairs, delivered ratio, missing tracks, pass/fail, /proc/net/snmp.

use trtc_loadgen::report::{parse_snmp_udp, summarize, UdpCounters};
use trtc_loadgen::user::{SentReport, TrackReport, UserReport};

fn track(source: &str, kind: &'static str, bytes: u64, loss_pct: f64) -> TrackReport {
    TrackReport {
        source: source.into(),
        kind,
        ssrc: 1,
        pkts: bytes / 1000 + 1,
        bytes,
        kbps: bytes as f64 * 8.0 / 1000.0 / 10.0,
        loss_pct,
        jitter_ms: 1.0,
        keyframes: 0,
    }
}

fn publisher(id: &str) -> UserReport {
    UserReport {
        user_id: id.into(),
        publisher: true,
        window_s: 10.0,
        join_ms: Some(5.0),
        connect_ms: Some(40.0),
        sent: SentReport {
            audio_pkts: 500,
            audio_bytes: 40_000,
            video_pkts: 600,
            video_bytes: 625_000,
            frames: 300,
            keyframes: 2,
            requested_keyframes: 1,
            small_pkts: 0,
            small_bytes: 0,
        },
        ..Default::default()
    }
}

fn subscriber(id: &str, tracks: Vec<TrackReport>) -> UserReport {
    UserReport {
        user_id: id.into(),
        window_s: 10.0,
        join_ms: Some(3.0),
        connect_ms: Some(30.0),
        tracks,
        ..Default::default()
    }
}

#[test]
fn one_publisher_many_subscribers() {
    let users = vec![
        publisher("p"),
        subscriber(
            "a",
            vec![
                track("p", "audio", 40_000, 0.0),
                track("p", "video", 625_000, 0.0),
            ],
        ),
        subscriber(
            "b",
            vec![
                track("p", "audio", 40_000, 0.2),
                track("p", "video", 600_000, 0.1),
            ],
        ),
    ];
    let s = summarize(&users, &[(true, true); 3]);
    assert_eq!((s.users, s.publishers, s.failed), (3, 1, 0));
    assert_eq!(s.window_s, 10.0);
    assert_eq!((s.video.pairs, s.video.missing), (2, 0));
    assert_eq!(s.audio.pairs, 2);
    let d = s.video.delivered_pct.unwrap();
    assert!(
        (d.min - 96.0).abs() < 1e-9 && (d.max - 100.0).abs() < 1e-9,
        "{d:?}"
    );
    assert_eq!(s.sent_pps, 110.0);
    assert!((s.sent_kbps - 532.0).abs() < 1e-9);
    assert_eq!(s.video.kbps.unwrap().max, 500.0);
    assert!(s.passes(0.5, 95.0));
    assert!(!s.passes(0.5, 97.0), "b got 96% of the video");
    assert!(!s.passes(0.15, 95.0), "b lost 0.2% of the audio");
}

#[test]
fn a_missing_track_or_a_failed_user_fails_the_run() {
    let users = vec![
        publisher("p"),
        subscriber("a", vec![track("p", "audio", 40_000, 0.0)]),
    ];
    let s = summarize(&users, &[(true, true); 2]);
    assert_eq!(s.video.missing, 1);
    assert_eq!(s.video.delivered_pct.unwrap().min, 0.0);
    assert!(!s.passes(0.5, 95.0));
    // Not subscribing to video: nothing is missing.
    let s = summarize(&users, &[(true, false); 2]);
    assert_eq!((s.video.pairs, s.video.missing), (0, 0));
    assert!(s.passes(0.5, 95.0));

    let mut failed = subscriber("c", vec![]);
    failed.error = Some("join failed".into());
    let s = summarize(&[publisher("p"), failed], &[(true, true); 2]);
    assert_eq!(s.silent_publishers, 0);
    assert_eq!(s.failed, 1);
    assert_eq!(s.errors, vec!["c: join failed".to_string()]);
    assert!(!s.passes(0.5, 95.0));
}

#[test]
fn full_mesh_pairs_leave_out_oneself() {
    let mut users: Vec<UserReport> = ["x", "y", "z"].iter().map(|u| publisher(u)).collect();
    for u in users.iter_mut() {
        let me = u.user_id.clone();
        u.tracks = ["x", "y", "z"]
            .iter()
            .filter(|o| **o != me)
            .flat_map(|o| {
                [
                    track(o, "audio", 40_000, 0.0),
                    track(o, "video", 625_000, 0.0),
                ]
            })
            .collect();
    }
    let s = summarize(&users, &[(true, true); 3]);
    assert_eq!((s.video.pairs, s.audio.pairs), (6, 6));
    assert_eq!(s.video.missing, 0);
    assert!(s.passes(0.5, 95.0));
}

#[test]
fn snmp_udp_counters() {
    let snmp = "Ip: Forwarding DefaultTTL\nIp: 1 64\n\
                Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors\n\
                Udp: 1000 2 3 900 7 1 0 0 0\n\
                UdpLite: InDatagrams NoPorts\nUdpLite: 0 0\n";
    let u = parse_snmp_udp(snmp).unwrap();
    assert_eq!(
        u,
        UdpCounters {
            in_datagrams: 1000,
            out_datagrams: 900,
            rcvbuf_errors: 7,
            sndbuf_errors: 1
        }
    );
    assert_eq!(u.minus(u), UdpCounters::default());
    assert_eq!(parse_snmp_udp("nothing"), None);
}

#[test]
fn a_publisher_that_sent_nothing_fails_the_run() {
    let mut quiet = publisher("p");
    quiet.sent = SentReport::default();
    let s = summarize(&[quiet, subscriber("a", vec![])], &[(true, true); 2]);
    assert_eq!((s.silent_publishers, s.video.pairs), (1, 0));
    assert!(!s.passes(0.5, 95.0), "no pairs at all is no pass");
}

#[test]
fn a_subscriber_on_small_streams_is_measured_against_the_small_stream() {
    let mut p = publisher("p");
    p.sent.small_pkts = 150;
    p.sent.small_bytes = 125_000;
    let mut small = subscriber(
        "a",
        vec![
            track("p", "audio", 40_000, 0.0),
            track("p", "video", 122_500, 0.0),
        ],
    );
    small.small_video = true;
    let big = subscriber(
        "b",
        vec![
            track("p", "audio", 40_000, 0.0),
            track("p", "video", 625_000, 0.0),
        ],
    );
    let s = summarize(&[p, small, big], &[(true, true); 3]);
    let d = s.video.delivered_pct.unwrap();
    assert!(
        (d.min - 98.0).abs() < 1e-9 && (d.max - 100.0).abs() < 1e-9,
        "{d:?}"
    );
    assert!(s.passes(0.5, 95.0));
    // What the publisher sent counts both streams.
    assert_eq!(s.sent_pps, 125.0);
}

#[test]
fn users_are_paired_with_the_publishers_of_their_own_room_only() {
    let in_room = |mut u: UserReport, room: &str| {
        u.room = room.into();
        u
    };
    let users = vec![
        in_room(publisher("r0-p"), "1"),
        in_room(
            subscriber(
                "r0-s",
                vec![
                    track("r0-p", "audio", 40_000, 0.0),
                    track("r0-p", "video", 625_000, 0.0),
                ],
            ),
            "1",
        ),
        in_room(publisher("r1-p"), "2"),
        in_room(
            subscriber(
                "r1-s",
                vec![
                    track("r1-p", "audio", 40_000, 0.0),
                    track("r1-p", "video", 625_000, 0.0),
                ],
            ),
            "2",
        ),
    ];
    let s = summarize(&users, &[(true, true); 4]);
    // One pair per subscriber and kind; the other room's publisher is not missing.
    assert_eq!((s.audio.pairs, s.audio.missing), (2, 0));
    assert_eq!((s.video.pairs, s.video.missing), (2, 0));
    assert!(s.passes(0.5, 95.0), "{}", s.text());

    // The same users all in one room: each subscriber misses the other publisher, and the
    // publishers (receiving nothing here) each other: 6 pairs, 4 missing.
    let one_room: Vec<UserReport> = users.into_iter().map(|u| in_room(u, "1")).collect();
    let s = summarize(&one_room, &[(true, true); 4]);
    assert_eq!((s.audio.pairs, s.audio.missing), (6, 4));
    assert!(!s.passes(0.5, 95.0));
}
