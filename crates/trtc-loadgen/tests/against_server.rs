//! The load client against a real server in this process (the room hub behind axum and the
//! SFU on loopback UDP and TCP): its users join through the SDK's own room client, publish,
//! subscribe to each other and receive every stream, over UDP or over ICE-TCP; a refused
//! userSig is reported as the user's error.

use std::time::Duration;

use trtc_loadgen::run::{run, scenario, RunConfig};
use trtc_loadgen::user::{Common, Transport};
use trtc_proto::RoomId;

const APP: u64 = 1_400_000_001;
const KEY: &str = "loadgen-test-key";

/// Starts the server; its HTTP address.
async fn server() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (sfu, mut events) = trtc_sfu::spawn_with_tcp(
        udp,
        Some((tcp, trtc_sfu::TcpConfig::default())),
        vec![],
        trtc_sfu::SfuConfig::default(),
    );
    let hub = trtc_server::hub::Hub::new(
        trtc_server::room::Apps::new([(APP, KEY.to_string())]),
        None,
        Some(sfu),
    );
    let h = hub.clone();
    tokio::spawn(async move {
        while let Some(ev) = events.recv().await {
            h.on_sfu_event(ev);
        }
    });
    let config = trtc_server::Config {
        www: "www".into(),
        pkg: "pkg".into(),
    };
    tokio::spawn(async move {
        axum::serve(listener, trtc_server::app_with_hub(&config, hub))
            .await
            .unwrap();
    });
    addr
}

fn common(addr: std::net::SocketAddr, key: &str) -> Common {
    Common {
        ws_url: format!("ws://{addr}{}", trtc_proto::WS_PATH),
        sdk_app_id: APP,
        key: key.into(),
        room: RoomId::Num(7),
        bind_ip: "127.0.0.1".parse().unwrap(),
        transport: Transport::Udp,
        video: trtc_loadgen::media::VideoConfig {
            kbps: 300,
            fps: 15,
            keyframe_interval: Duration::from_secs(2),
            key_ratio: 4,
            max_payload: 1100,
        },
        audio_bytes: 80,
        clip: None,
        small: None,
        subscribe_small: false,
        scene: trtc_core::room::Scene::Rtc,
    }
}

fn config(common: Common, publishers: usize, subscribers: usize) -> RunConfig {
    RunConfig {
        common,
        users: scenario("t-", publishers, subscribers, (true, true), (true, true)),
        join_rate: 50.0,
        ready_timeout: Duration::from_secs(20),
        warmup: Duration::from_millis(500),
        duration: Duration::from_secs(2),
        server_pid: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_join_publish_and_receive_every_stream() {
    let addr = server().await;
    let (reports, summary) = run(config(common(addr, KEY), 2, 1)).await;
    assert_eq!(summary.failed, 0, "{:?}", summary.errors);
    assert_eq!(summary.users, 3);
    // Two publishers each receive the other; the subscriber receives both: 4 pairs per kind.
    for (kind, k) in [("audio", &summary.audio), ("video", &summary.video)] {
        assert_eq!((k.pairs, k.missing), (4, 0), "{kind}");
    }
    for r in &reports {
        assert!(r.join_ms.is_some(), "{} joined", r.user_id);
        assert!(r.first_rtp_ms.is_some(), "{} received media", r.user_id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_over_tcp_join_publish_and_receive_every_stream() {
    let addr = server().await;
    let mut common = common(addr, KEY);
    common.transport = Transport::Tcp;
    let (reports, summary) = run(config(common, 2, 1)).await;
    assert_eq!(summary.failed, 0, "{:?}", summary.errors);
    for (kind, k) in [("audio", &summary.audio), ("video", &summary.video)] {
        assert_eq!((k.pairs, k.missing), (4, 0), "{kind}");
    }
    for r in &reports {
        assert!(r.first_rtp_ms.is_some(), "{} received media", r.user_id);
    }
    assert!(summary.passes(0.5, 95.0), "{}", summary.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_room_anchor_and_audience() {
    let addr = server().await;
    let mut common = common(addr, KEY);
    common.scene = trtc_core::room::Scene::Live;
    let (reports, summary) = run(config(common, 1, 3)).await;
    assert_eq!(summary.failed, 0, "{:?}", summary.errors);
    // The three audience members receive the anchor; the anchor receives nobody.
    for (kind, k) in [("audio", &summary.audio), ("video", &summary.video)] {
        assert_eq!((k.pairs, k.missing), (3, 0), "{kind}");
    }
    for r in &reports {
        let offer = r.offer_bytes.unwrap_or(0);
        assert!(offer > 100, "{} got an offer ({offer} bytes)", r.user_id);
    }
    assert!(summary.offer_bytes.is_some());
    assert!(summary.passes(0.5, 95.0), "{}", summary.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_user_sig_is_the_users_error() {
    let addr = server().await;
    let mut cfg = config(common(addr, "not the server's key"), 1, 0);
    cfg.ready_timeout = Duration::from_secs(3);
    let (reports, summary) = run(cfg).await;
    assert_eq!(summary.failed, 1);
    let err = reports[0].error.as_deref().unwrap_or_default();
    assert!(err.starts_with("join failed (-100018)"), "{err}");
}

/// The kbit/s the subscriber `t-s0` received of video.
fn subscriber_video_kbps(reports: &[trtc_loadgen::user::UserReport]) -> f64 {
    let s = reports
        .iter()
        .find(|r| r.user_id == "t-s0")
        .expect("the subscriber");
    let video: Vec<f64> = s
        .tracks
        .iter()
        .filter(|t| t.kind == "video")
        .map(|t| t.kbps)
        .collect();
    assert_eq!(video.len(), 1, "one video track: {video:?}");
    video[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publisher_sends_big_and_small_and_subscribers_get_the_one_they_ask_for() {
    let addr = server().await;
    let small = trtc_loadgen::media::VideoConfig {
        kbps: 60,
        fps: 15,
        keyframe_interval: Duration::from_secs(2),
        key_ratio: 4,
        max_payload: 1100,
    };
    for subscribe_small in [false, true] {
        let mut c = common(addr, KEY);
        c.room = RoomId::Num(if subscribe_small { 71 } else { 72 });
        c.small = Some(small.clone());
        c.subscribe_small = subscribe_small;
        let (reports, summary) = run(config(c, 1, 1)).await;
        assert_eq!(summary.failed, 0, "{:?}", summary.errors);
        let p = reports.iter().find(|r| r.user_id == "t-p0").unwrap();
        assert!(
            p.sent.small_pkts > 0 && p.sent.video_pkts > 0,
            "{:?}",
            p.sent
        );
        let kbps = subscriber_video_kbps(&reports);
        if subscribe_small {
            assert!((20.0..150.0).contains(&kbps), "small: {kbps} kbit/s");
        } else {
            assert!(kbps > 200.0, "big: {kbps} kbit/s");
        }
    }
}
