use super::*;

#[test]
fn quality_table() {
    // (loss %, rtt ms, quality), at and around every threshold.
    let rows = [
        (0.0, 0.0, 1),
        (10.0, 100.0, 1),
        (10.1, 0.0, 2),
        (0.0, 101.0, 2),
        (20.0, 200.0, 2),
        (20.5, 0.0, 3),
        (0.0, 201.0, 3),
        (30.0, 350.0, 3),
        (31.0, 0.0, 4),
        (0.0, 351.0, 4),
        (50.0, 500.0, 4),
        (51.0, 0.0, 5),
        (0.0, 501.0, 5),
        (100.0, 20_000.0, 5),
        (5.0, 150.0, 2),
        (25.0, 50.0, 3),
        (f64::NAN, f64::NAN, 1),
        (-3.0, -1.0, 1),
    ];
    for (loss, rtt, want) in rows {
        assert_eq!(quality(loss, rtt), want, "loss {loss} rtt {rtt}");
    }
}

#[test]
fn rtt_cap() {
    for (rtt, want) in [
        (0.0, 0.0),
        (12.5, 12.5),
        (10_000.0, 10_000.0),
        (99_999.0, RTT_CAP_MS),
        (f64::INFINITY, 0.0),
        (-4.0, 0.0),
    ] {
        assert_eq!(cap_rtt(rtt), want, "{rtt}");
    }
}

#[test]
fn uplink_table() {
    use LinkState::*;
    let rows = [
        (false, Connected, 0.0, 0.0, 0),
        (false, Down, 0.0, 0.0, 0),
        (true, Down, 0.0, 0.0, 6),
        (true, Connecting, 0.0, 0.0, 0),
        (true, Connected, 0.0, 5.0, 1),
        (true, Connected, 15.0, 5.0, 2),
        (true, Connected, 0.0, 600.0, 5),
    ];
    for (published, link, loss, rtt, want) in rows {
        assert_eq!(
            uplink_quality(published, link, loss, rtt),
            want,
            "{published} {link:?} {loss} {rtt}"
        );
    }
}

#[test]
fn downlink_table() {
    use LinkState::*;
    let rows: &[(&[PublisherLink], u8)] = &[
        (&[], 0),
        (&[(Connecting, 0.0, 0.0)], 0),
        (&[(Down, 0.0, 0.0)], 6),
        (&[(Down, 0.0, 0.0), (Down, 0.0, 0.0)], 6),
        (&[(Connected, 0.0, 1.0)], 1),
        (&[(Connected, 0.0, 1.0), (Connected, 15.0, 1.0)], 2), // 1.5 rounds up
        (
            &[
                (Connected, 0.0, 1.0),
                (Connected, 0.0, 1.0),
                (Connected, 60.0, 1.0),
            ],
            2,
        ), // 7/3
        (&[(Connected, 0.0, 1.0), (Down, 0.0, 0.0)], 4),       // 3.5
        (&[(Connected, 25.0, 1.0), (Connecting, 0.0, 0.0)], 3),
    ];
    for (links, want) in rows {
        assert_eq!(downlink_quality(links), *want, "{links:?}");
    }
}

fn c(t: f64, bytes: f64, packets: f64, lost: f64, frames: f64) -> Counters {
    Counters {
        timestamp_ms: t,
        bytes,
        packets,
        packets_lost: lost,
        frames,
        ..Counters::default()
    }
}

#[test]
fn deltas_and_rates() {
    let a = c(1000.0, 10_000.0, 100.0, 0.0, 20.0);
    let b = c(3000.0, 260_000.0, 300.0, 10.0, 60.0);
    let d = Delta::between(Some(&a), &b).unwrap();
    assert_eq!(d.seconds, 2.0);
    assert_eq!(d.bitrate_kbps(), 1000.0); // 250 kB in 2 s
    assert_eq!(d.frame_rate(), 20.0);
    assert!((d.loss_pct() - 10.0 / 210.0 * 100.0).abs() < 1e-9);
    assert_eq!(Delta::between(None, &b), None, "first snapshot");
    assert_eq!(Delta::between(Some(&b), &b), None, "time did not move");
    // A new connection: counters start over.
    let fresh = c(5000.0, 1_200.0, 10.0, 0.0, 1.0);
    assert_eq!(Delta::between(Some(&b), &fresh), None);
    // packetsLost may shrink (duplicates): clamped, not a reset.
    let dup = c(5000.0, 300_000.0, 400.0, 8.0, 100.0);
    let d = Delta::between(Some(&b), &dup).unwrap();
    assert_eq!(d.packets_lost, 0.0);
    assert_eq!(d.loss_pct(), 0.0);
}

#[test]
fn loss_percentages() {
    for (lost, received, want) in [
        (0.0, 0.0, 0.0),
        (0.0, 100.0, 0.0),
        (10.0, 90.0, 10.0),
        (100.0, 0.0, 100.0),
        (-5.0, 100.0, 0.0),
    ] {
        assert_eq!(loss_pct(lost, received), want, "{lost}/{received}");
    }
}

#[test]
fn jitter_buffer() {
    let mut a = c(0.0, 0.0, 0.0, 0.0, 0.0);
    let mut b = c(2000.0, 100.0, 10.0, 0.0, 0.0);
    a.jitter_buffer_delay = 1.0;
    a.jitter_buffer_emitted = 100.0;
    b.jitter_buffer_delay = 4.0;
    b.jitter_buffer_emitted = 150.0;
    let d = Delta::between(Some(&a), &b).unwrap();
    assert_eq!(d.jitter_buffer_ms(), Some(60.0)); // 3 s over 50 samples
}

#[test]
fn codec_names() {
    assert_eq!(codec_name("video/VP8"), "VP8");
    assert_eq!(codec_name("video/H264"), "H264");
    assert_eq!(codec_name("opus"), "opus");
}

#[test]
fn stat_fields() {
    let s = Stat::new("inbound-rtp", "IT1")
        .number("bytesReceived", 5.0)
        .number("notAField", 1.0)
        .number("packetsLost", f64::NAN)
        .text("kind", "video");
    assert_eq!(s.get("bytesReceived"), Some(5.0));
    assert_eq!(s.get("notAField"), None);
    assert_eq!(s.get("packetsLost"), None);
    assert_eq!(
        (s.id(), s.ty(), s.kind()),
        ("IT1", "inbound-rtp", Some(MediaKind::Video))
    );
    assert_eq!(s.counters().bytes, 5.0);
    let o = Stat::new("outbound-rtp", "OT1")
        .number("bytesSent", 7.0)
        .number("bytesReceived", 9.0);
    assert_eq!(o.counters().bytes, 7.0);
}

// A room with a publishing local user and one remote user `bob` (audio mid 2, video mid 3).

fn ctx() -> Context {
    Context {
        audio_published: true,
        video_published: true,
        screen_published: false,
        sub_mids: Vec::new(),
        uplink: LinkState::Connected,
        downlink: LinkState::Connected,
        publishers: vec!["bob".into()],
        remote_tracks: vec![
            RemoteTrack {
                user_id: "bob".into(),
                kind: MediaKind::Audio,
                mid: Some("2".into()),
                track_id: "ta".into(),
                small: false,
            },
            RemoteTrack {
                user_id: "bob".into(),
                kind: MediaKind::Video,
                mid: Some("3".into()),
                track_id: "tv".into(),
                small: false,
            },
        ],
    }
}

/// A snapshot at `t` s: every counter grows linearly with time.
fn snapshot(t: f64, lost_per_s: f64) -> Vec<Stat> {
    let ms = t * 1000.0;
    vec![
        Stat::new("transport", "T1")
            .number("timestamp", ms)
            .number("bytesSent", 1000.0 * t)
            .number("bytesReceived", 2000.0 * t)
            .text("selectedCandidatePairId", "CP1"),
        Stat::new("candidate-pair", "CP1")
            .number("timestamp", ms)
            .number("currentRoundTripTime", 0.004),
        Stat::new("media-source", "SA")
            .text("kind", "audio")
            .number("audioLevel", 0.25),
        Stat::new("media-source", "SV")
            .text("kind", "video")
            .number("width", 640.0)
            .number("height", 480.0),
        Stat::new("outbound-rtp", "OA")
            .text("kind", "audio")
            .text("mid", "0")
            .text("mediaSourceId", "SA")
            .number("timestamp", ms)
            .number("bytesSent", 5000.0 * t) // 40 kbps
            .number("packetsSent", 50.0 * t),
        Stat::new("outbound-rtp", "OV")
            .text("kind", "video")
            .text("mid", "1")
            .text("mediaSourceId", "SV")
            .number("timestamp", ms)
            .number("bytesSent", 62_500.0 * t) // 500 kbps
            .number("packetsSent", 100.0 * t)
            .number("framesEncoded", 20.0 * t)
            .number("frameWidth", 320.0) // scaled down by the encoder
            .number("frameHeight", 240.0),
        Stat::new("remote-inbound-rtp", "RA")
            .text("kind", "audio")
            .text("localId", "OA")
            .number("roundTripTime", 0.010)
            .number("fractionLost", 0.0),
        Stat::new("remote-inbound-rtp", "RV")
            .text("kind", "video")
            .text("localId", "OV")
            .number("roundTripTime", 0.020)
            .number("fractionLost", 0.12),
        Stat::new("inbound-rtp", "IA")
            .text("kind", "audio")
            .text("mid", "2")
            .text("trackIdentifier", "ta")
            .number("timestamp", ms)
            .number("bytesReceived", 4000.0 * t) // 32 kbps
            .number("packetsReceived", 50.0 * t)
            .number("audioLevel", 0.5)
            .number("jitterBufferDelay", 0.04 * 50.0 * t)
            .number("jitterBufferEmittedCount", 50.0 * t),
        Stat::new("inbound-rtp", "IV")
            .text("kind", "video")
            .text("mid", "3")
            .text("trackIdentifier", "tv")
            .text("codecId", "C1")
            .number("timestamp", ms)
            .number("bytesReceived", 50_000.0 * t) // 400 kbps
            .number("packetsReceived", (100.0 - lost_per_s) * t)
            .number("packetsLost", lost_per_s * t)
            .number("framesDecoded", 15.0 * t)
            .number("framesPerSecond", 14.0)
            .number("frameWidth", 320.0)
            .number("frameHeight", 240.0)
            .number("jitterBufferDelay", 0.03 * 15.0 * t)
            .number("jitterBufferEmittedCount", 15.0 * t),
        Stat::new("codec", "C1").text("mimeType", "video/VP8"),
    ]
}

#[test]
fn a_publishing_room() {
    let mut t = Tracker::new();
    // The first snapshot has no interval: no rates, but sizes, RTT and the browser's fps.
    let first = t.update(&snapshot(1.0, 10.0), &ctx());
    let s = &first.statistics;
    assert_eq!(s.local_statistics.video[0].bitrate, 0);
    assert_eq!(
        (
            s.local_statistics.video[0].width,
            s.local_statistics.video[0].height
        ),
        (640, 480)
    );
    assert_eq!(s.remote_statistics[0].video[0].frame_rate, 14);
    assert_eq!(first.network.uplink_rtt, 15);

    let r = t.update(&snapshot(3.0, 10.0), &ctx());
    // RTT: mean of the remote-inbound RTTs (10, 20 ms); downlink: the candidate pair.
    // Uplink loss: fractionLost weighted by packets sent (audio 100 at 0 %, video 200 at 12 %).
    assert_eq!(
        r.network,
        NetworkQuality {
            uplink_network_quality: 1,
            downlink_network_quality: 1,
            uplink_rtt: 15,
            uplink_loss: 8,
            downlink_rtt: 4,
            // 20 of 200 video packets lost, 100 audio packets, none lost: 20/300.
            downlink_loss: 7,
        }
    );
    let s = &r.statistics;
    assert_eq!((s.rtt, s.up_loss, s.down_loss), (15, 8, 7));
    assert_eq!((s.bytes_sent, s.bytes_received), (3000.0, 6000.0));
    assert_eq!(
        s.local_statistics.audio,
        LocalAudio {
            bitrate: 40,
            audio_level: 0.25
        }
    );
    assert_eq!(
        s.local_statistics.video,
        vec![LocalVideo {
            width: 640,
            height: 480,
            frame_rate: 20,
            bitrate: 500,
            video_type: "big"
        }]
    );
    assert_eq!(
        s.remote_statistics,
        vec![RemoteStatistics {
            user_id: "bob".into(),
            audio: RemoteAudio {
                bitrate: 32,
                audio_level: 0.5,
                jitter_buffer_delay: 40,
                point2point_delay: 42,
            },
            video: vec![RemoteVideo {
                width: 320,
                height: 240,
                frame_rate: 15,
                bitrate: 400,
                jitter_buffer_delay: 30,
                point2point_delay: 32,
                video_type: "big",
                codec: "VP8".into(),
            }],
        }]
    );
}

/// `snapshot` plus a shared screen sent on mid 4 with its system audio on mid 5.
fn with_screen(t: f64) -> Vec<Stat> {
    let ms = t * 1000.0;
    let mut stats = snapshot(t, 0.0);
    stats.push(
        Stat::new("media-source", "SS")
            .text("kind", "video")
            .number("width", 1920.0)
            .number("height", 1080.0),
    );
    stats.push(
        Stat::new("outbound-rtp", "OS")
            .text("kind", "video")
            .text("mid", "4")
            .text("mediaSourceId", "SS")
            .number("timestamp", ms)
            .number("bytesSent", 200_000.0 * t) // 1600 kbps
            .number("packetsSent", 150.0 * t)
            .number("framesEncoded", 5.0 * t),
    );
    stats.push(
        Stat::new("outbound-rtp", "OSA")
            .text("kind", "audio")
            .text("mid", "5")
            .number("timestamp", ms)
            .number("bytesSent", 8000.0 * t) // 64 kbps
            .number("packetsSent", 50.0 * t),
    );
    stats
}

#[test]
fn a_shared_screen_is_the_sub_video_and_its_audio_is_not_the_mic() {
    let screen = Context {
        screen_published: true,
        sub_mids: vec!["4".into(), "5".into()],
        ..ctx()
    };
    let mut t = Tracker::new();
    t.update(&with_screen(1.0), &screen);
    let r = t.update(&with_screen(3.0), &screen);
    let local = &r.statistics.local_statistics;
    assert_eq!(local.audio.bitrate, 40, "the microphone alone");
    let kinds: Vec<_> = local
        .video
        .iter()
        .map(|v| (v.video_type, v.width, v.height, v.bitrate, v.frame_rate))
        .collect();
    assert_eq!(
        kinds,
        vec![("big", 640, 480, 500, 20), ("sub", 1920, 1080, 1600, 5)]
    );
    // The camera alone published (the screen stopped, its sender still reports): no sub.
    let camera_only = Context {
        screen_published: false,
        ..screen.clone()
    };
    let types = |r: Report| -> Vec<&str> {
        let video = r.statistics.local_statistics.video;
        video.iter().map(|v| v.video_type).collect()
    };
    assert_eq!(types(t.update(&with_screen(5.0), &camera_only)), ["big"]);
    // The screen alone (no camera): only the sub entry.
    let screen_only = Context {
        video_published: false,
        ..screen
    };
    assert_eq!(types(t.update(&with_screen(7.0), &screen_only)), ["sub"]);
}

#[test]
fn loss_lowers_downlink_quality() {
    let mut t = Tracker::new();
    t.update(&snapshot(1.0, 30.0), &ctx());
    // 60 of 300 packets lost in the interval: 20 % → 2 (not above 20).
    let r = t.update(&snapshot(3.0, 30.0), &ctx());
    assert_eq!(r.network.downlink_loss, 20);
    assert_eq!(r.network.downlink_network_quality, 2);
}

#[test]
fn nothing_published_and_nobody_publishing() {
    let mut t = Tracker::new();
    let quiet = Context {
        audio_published: false,
        video_published: false,
        publishers: vec![],
        remote_tracks: vec![],
        ..ctx()
    };
    let r = t.update(&snapshot(1.0, 0.0), &quiet);
    assert_eq!(
        (
            r.network.uplink_network_quality,
            r.network.downlink_network_quality
        ),
        (0, 0)
    );
    assert!(r.statistics.local_statistics.video.is_empty());
    assert_eq!(r.statistics.local_statistics.audio.audio_level, 0.0);
    assert!(r.statistics.remote_statistics.is_empty());
}

#[test]
fn the_disconnected_payload() {
    assert_eq!(
        NetworkQuality::disconnected().to_json(),
        r#"{"uplinkNetworkQuality":6,"downlinkNetworkQuality":6,"uplinkRTT":0,"uplinkLoss":0,"downlinkRTT":0,"downlinkLoss":0}"#
    );
}

#[test]
fn links_down() {
    let mut t = Tracker::new();
    let down = Context {
        uplink: LinkState::Down,
        downlink: LinkState::Down,
        ..ctx()
    };
    let r = t.update(&snapshot(1.0, 0.0), &down);
    assert_eq!(
        (
            r.network.uplink_network_quality,
            r.network.downlink_network_quality
        ),
        (6, 6)
    );
    let connecting = Context {
        uplink: LinkState::Connecting,
        downlink: LinkState::Connecting,
        ..ctx()
    };
    let r = t.update(&snapshot(3.0, 0.0), &connecting);
    assert_eq!(
        (
            r.network.uplink_network_quality,
            r.network.downlink_network_quality
        ),
        (0, 0)
    );
}

#[test]
fn counters_starting_over_read_zero_then_recover() {
    let mut t = Tracker::new();
    t.update(&snapshot(10.0, 0.0), &ctx());
    // A new connection reuses the ids with small counters: no negative or huge rates.
    let r = t.update(&snapshot(1.0, 0.0), &ctx());
    assert_eq!(r.statistics.local_statistics.video[0].bitrate, 0);
    assert_eq!(r.statistics.remote_statistics[0].video[0].bitrate, 0);
    let r = t.update(&snapshot(3.0, 0.0), &ctx());
    assert_eq!(r.statistics.local_statistics.video[0].bitrate, 500);
    assert_eq!(r.statistics.remote_statistics[0].video[0].bitrate, 400);
}

#[test]
fn a_stopped_remote_camera_leaves_the_video_list() {
    let mut t = Tracker::new();
    t.update(&snapshot(1.0, 0.0), &ctx());
    let mut audio_only = ctx();
    audio_only
        .remote_tracks
        .retain(|r| r.kind == MediaKind::Audio);
    let r = t.update(&snapshot(3.0, 0.0), &audio_only);
    assert_eq!(r.statistics.remote_statistics.len(), 1);
    assert!(r.statistics.remote_statistics[0].video.is_empty());
    assert_eq!(r.statistics.remote_statistics[0].audio.bitrate, 32);
}

#[test]
fn local_size_is_the_capture_then_the_encoded_one() {
    let mut t = Tracker::new();
    let r = t.update(&snapshot(1.0, 0.0), &ctx());
    let v = &r.statistics.local_statistics.video[0];
    assert_eq!((v.width, v.height), (640, 480), "media-source size");
    let no_source: Vec<Stat> = snapshot(3.0, 0.0)
        .into_iter()
        .filter(|s| s.ty() != "media-source")
        .collect();
    let r = t.update(&no_source, &ctx());
    let v = &r.statistics.local_statistics.video[0];
    assert_eq!((v.width, v.height), (320, 240), "encoded size");
    assert_eq!(r.statistics.local_statistics.audio.audio_level, 0.0);
}

#[test]
fn inbound_matched_by_track_id_without_mid() {
    let mut t = Tracker::new();
    let mut c = ctx();
    for r in &mut c.remote_tracks {
        r.mid = None;
    }
    t.update(&snapshot(1.0, 0.0), &c);
    let r = t.update(&snapshot(3.0, 0.0), &c);
    assert_eq!(r.statistics.remote_statistics[0].video[0].bitrate, 400);
}

#[test]
fn fallbacks_without_remote_reports() {
    // No remote-inbound-rtp and no transport: the candidate pair's RTT, RTP byte sums.
    let strip = |t: f64| -> Vec<Stat> {
        snapshot(t, 0.0)
            .into_iter()
            .filter(|s| !matches!(s.ty(), "remote-inbound-rtp" | "transport"))
            .map(|s| {
                if s.ty() == "candidate-pair" {
                    s.text("nominated", "true").text("state", "succeeded")
                } else {
                    s
                }
            })
            .collect()
    };
    let mut t = Tracker::new();
    t.update(&strip(1.0), &ctx());
    let r = t.update(&strip(3.0), &ctx());
    assert_eq!((r.network.uplink_rtt, r.network.uplink_loss), (4, 0));
    assert_eq!(r.statistics.bytes_sent, (5000.0 + 62_500.0) * 3.0);
    assert_eq!(r.statistics.bytes_received, (4000.0 + 50_000.0) * 3.0);
}

#[test]
fn uplink_loss_from_packets_lost_without_fraction() {
    let snap = |t: f64, lost: f64| -> Vec<Stat> {
        snapshot(t, 0.0)
            .into_iter()
            .filter(|s| s.ty() != "remote-inbound-rtp" || s.id() == "RV")
            .map(|s| {
                if s.id() == "RV" {
                    Stat::new("remote-inbound-rtp", "RV")
                        .text("kind", "video")
                        .text("localId", "OV")
                        .number("roundTripTime", 0.02)
                        .number("packetsLost", lost)
                } else {
                    s
                }
            })
            .collect()
    };
    let mut t = Tracker::new();
    t.update(&snap(1.0, 0.0), &ctx());
    // 200 video packets sent in the interval, 50 reported lost.
    let r = t.update(&snap(3.0, 50.0), &ctx());
    assert_eq!(r.network.uplink_loss, 25);
    assert_eq!(r.network.uplink_network_quality, 3);
}

/// serde_json's value with every number as f64 (the light writer writes `0`, serde `0.0`).
fn numbers_as_f64(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Number(n) => serde_json::json!(n.as_f64().unwrap()),
        Value::Array(a) => Value::Array(a.into_iter().map(numbers_as_f64).collect()),
        Value::Object(o) => {
            Value::Object(o.into_iter().map(|(k, v)| (k, numbers_as_f64(v))).collect())
        }
        other => other,
    }
}

#[test]
fn light_payloads_match_the_serde_shape() {
    let stats = Statistics {
        rtt: 31,
        up_loss: 2,
        down_loss: 3,
        bytes_sent: 123_456_789.0,
        bytes_received: 0.0,
        local_statistics: LocalStatistics {
            audio: LocalAudio {
                bitrate: 40,
                audio_level: 0.0123,
            },
            video: vec![LocalVideo {
                width: 640,
                height: 480,
                frame_rate: 15,
                bitrate: 500,
                video_type: "big",
            }],
        },
        remote_statistics: vec![
            RemoteStatistics {
                user_id: "a\"b".into(),
                audio: RemoteAudio {
                    bitrate: 30,
                    audio_level: 0.5,
                    jitter_buffer_delay: 40,
                    point2point_delay: 60,
                },
                video: vec![RemoteVideo {
                    width: 320,
                    height: 240,
                    frame_rate: 30,
                    bitrate: 700,
                    jitter_buffer_delay: 20,
                    point2point_delay: 50,
                    video_type: "big",
                    codec: "VP8".into(),
                }],
            },
            RemoteStatistics::default(),
        ],
    };
    let light: serde_json::Value = serde_json::from_str(&stats.to_json()).unwrap();
    assert_eq!(
        numbers_as_f64(light),
        numbers_as_f64(serde_json::to_value(&stats).unwrap())
    );
    let q = NetworkQuality {
        uplink_network_quality: 1,
        downlink_network_quality: 6,
        uplink_rtt: 20,
        uplink_loss: 1,
        downlink_rtt: 30,
        downlink_loss: 4,
    };
    assert_eq!(q.to_json(), serde_json::to_string(&q).unwrap());
}

#[test]
fn payload_names() {
    let json = serde_json::to_value(NetworkQuality::default()).unwrap();
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "uplinkNetworkQuality",
            "downlinkNetworkQuality",
            "uplinkRTT",
            "uplinkLoss",
            "downlinkRTT",
            "downlinkLoss"
        ]
    );
    let stats = Statistics {
        local_statistics: LocalStatistics {
            video: vec![LocalVideo::default()],
            ..LocalStatistics::default()
        },
        remote_statistics: vec![RemoteStatistics {
            video: vec![RemoteVideo::default()],
            ..RemoteStatistics::default()
        }],
        ..Statistics::default()
    };
    let json = serde_json::to_string(&stats).unwrap();
    assert_eq!(
        json,
        r#"{"rtt":0,"upLoss":0,"downLoss":0,"bytesSent":0.0,"bytesReceived":0.0,"localStatistics":{"audio":{"bitrate":0,"audioLevel":0.0},"video":[{"width":0,"height":0,"frameRate":0,"bitrate":0,"videoType":""}]},"remoteStatistics":[{"userId":"","audio":{"bitrate":0,"audioLevel":0.0,"jitterBufferDelay":0,"point2pointDelay":0},"video":[{"width":0,"height":0,"frameRate":0,"bitrate":0,"jitterBufferDelay":0,"point2pointDelay":0,"videoType":"","codec":""}]}]}"#
    );
}
