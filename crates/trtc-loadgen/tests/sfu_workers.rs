//! A server with two SFU workers (`--sfu-threads 2`): two rooms that are live at the same time
//! land on different workers, each worker's sockets carry its room's media, and every user of
//! both rooms receives every stream of its room (and nothing of the other).

use std::time::Duration;

use trtc_loadgen::run::{run, scenario, RunConfig};
use trtc_loadgen::user::{Common, Transport};
use trtc_proto::RoomId;

const APP: u64 = 1_400_000_001;
const KEY: &str = "workers-test-key";

/// Starts a server with `threads` SFU workers; its HTTP address and hub.
async fn server(threads: usize) -> (std::net::SocketAddr, std::sync::Arc<trtc_server::hub::Hub>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let opts = trtc_server::workers::WorkerOptions {
        threads,
        udp: "127.0.0.1:0".into(),
        tcp: None,
        advertise: vec![],
        tcp_limits: trtc_sfu::TcpConfig::default(),
        sfu: trtc_sfu::SfuConfig::default(),
    };
    let (workers, events) = trtc_server::workers::spawn_workers(&opts).await.unwrap();
    let hub = trtc_server::hub::Hub::with_workers(
        trtc_server::room::Apps::new([(APP, KEY.to_string())]),
        None,
        workers,
        trtc_server::hub::DEFAULT_ADMIN_IDENTIFIER,
    );
    for mut ev in events {
        let h = hub.clone();
        tokio::spawn(async move {
            while let Some(ev) = ev.recv().await {
                h.on_sfu_event(ev);
            }
        });
    }
    let config = trtc_server::Config {
        www: "www".into(),
        pkg: "pkg".into(),
    };
    let app = trtc_server::app_with_hub(&config, hub.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, hub)
}

fn config(addr: std::net::SocketAddr, room: u32, transport: Transport) -> RunConfig {
    RunConfig {
        common: Common {
            ws_url: format!("ws://{addr}{}", trtc_proto::WS_PATH),
            sdk_app_id: APP,
            key: KEY.into(),
            room: RoomId::Num(room),
            bind_ip: "127.0.0.1".parse().unwrap(),
            transport,
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
        },
        // Two publishers and a subscriber per room; userIds repeat across rooms on purpose
        // (rooms are separate namespaces).
        users: scenario("w-", 2, 1, (true, true), (true, true)),
        join_rate: 50.0,
        ready_timeout: Duration::from_secs(20),
        warmup: Duration::from_millis(500),
        duration: Duration::from_secs(2),
        server_pid: None,
    }
}

async fn two_rooms_on_two_workers(transport: Transport) {
    let (addr, hub) = server(2).await;
    assert_eq!(hub.workers().len(), 2);
    let ports: Vec<u16> = hub
        .workers()
        .iter()
        .map(|w| w.local_addr().port())
        .collect();
    assert_ne!(ports[0], ports[1], "each worker its own UDP socket");

    // Both rooms run at once; the hub is asked where they are while their users are in.
    let watch = {
        let hub = hub.clone();
        tokio::spawn(async move {
            let a = (APP, RoomId::Num(81));
            let b = (APP, RoomId::Num(82));
            let end = tokio::time::Instant::now() + Duration::from_secs(20);
            loop {
                let places = (hub.worker_of_room(&a), hub.worker_of_room(&b));
                let load = hub.worker_load();
                if let (Some(_), Some(_)) = places {
                    if load.iter().map(|l| l.peers).sum::<usize>() == 6 {
                        return (places, load);
                    }
                }
                assert!(
                    tokio::time::Instant::now() < end,
                    "rooms never placed: {load:?}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let ((reports_a, sum_a), (reports_b, sum_b)) = tokio::join!(
        run(config(addr, 81, transport)),
        run(config(addr, 82, transport))
    );
    let ((wa, wb), load) = watch.await.unwrap();
    assert_ne!(wa, wb, "two rooms at once: one on each worker ({load:?})");
    assert_eq!(
        load.iter().map(|l| (l.rooms, l.peers)).collect::<Vec<_>>(),
        [(1, 3), (1, 3)],
        "each worker: one room, its three peers"
    );
    for (room, reports, sum) in [(81, &reports_a, &sum_a), (82, &reports_b, &sum_b)] {
        assert_eq!(sum.failed, 0, "room {room}: {:?}", sum.errors);
        // Two publishers receive each other, the subscriber both: 4 pairs per kind, none
        // missing; and nobody receives more streams than its room has.
        for (kind, k) in [("audio", &sum.audio), ("video", &sum.video)] {
            assert_eq!((k.pairs, k.missing), (4, 0), "room {room} {kind}");
        }
        for r in reports.iter() {
            assert!(
                r.first_rtp_ms.is_some(),
                "room {room}: {} received media",
                r.user_id
            );
            let want = if r.user_id == "w-s0" { 4 } else { 2 };
            assert_eq!(r.tracks.len(), want, "room {room}: {}'s tracks", r.user_id);
        }
        assert!(sum.passes(0.5, 95.0), "room {room}: {}", sum.text());
    }
    // Once everyone has left, the workers are empty again.
    let end = tokio::time::Instant::now() + Duration::from_secs(10);
    while hub.worker_load().iter().any(|l| l.peers > 0) {
        assert!(tokio::time::Instant::now() < end, "{:?}", hub.worker_load());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(hub.worker_load().iter().all(|l| l.rooms == 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_rooms_land_on_two_workers_and_media_flows_in_both_over_udp() {
    two_rooms_on_two_workers(Transport::Udp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_rooms_land_on_two_workers_and_media_flows_in_both_over_tcp() {
    two_rooms_on_two_workers(Transport::Tcp).await;
}
