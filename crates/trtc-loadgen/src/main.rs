//! `trtc-loadgen` binary: parses options, runs a scenario, prints the figures.

use std::io::IsTerminal;
use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use tracing_subscriber::EnvFilter;
use trtc_core::room::Scene;
use trtc_loadgen::media::VideoConfig;
use trtc_loadgen::run::{scenario_in_rooms, RunConfig};
use trtc_loadgen::user::{Common, Transport};
use trtc_proto::RoomId;

/// Load client for trtc-server: simulated users that join one room through the real
/// signalling, publish synthetic Opus + VP8 RTP and subscribe like the browser SDK. Prints
/// join/connect times, received bitrate, RFC 3550 loss and jitter, and (with --server-pid) the
/// server's CPU and memory.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The server, `host:port` of its HTTP listener (signalling at /trtc/ws).
    #[arg(long, default_value = "127.0.0.1:8080")]
    server: String,
    /// The application as `SDKAPPID:SECRETKEY` (the same as the server's --app): userSigs are
    /// signed with it.
    #[arg(long, value_parser = parse_app)]
    app: (u64, String),
    /// Numeric room id (the first one with --rooms).
    #[arg(long, default_value_t = 1)]
    room: u32,
    /// Rooms: the scenario (--publishers, --subscribers) runs in each of this many rooms at
    /// once, numbered from --room, userIds `<prefix>r<k>-…` (a server with several SFU workers
    /// puts rooms on different workers).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    rooms: u32,
    /// Users that publish audio and video (and subscribe to each other: a full mesh).
    #[arg(long, default_value_t = 1)]
    publishers: usize,
    /// Users that only subscribe.
    #[arg(long, default_value_t = 1)]
    subscribers: usize,
    /// Prefix of the userIds (`<prefix>p0`, `<prefix>s0`, …).
    #[arg(long, default_value = "lg-")]
    prefix: String,
    /// Publishers send no audio.
    #[arg(long)]
    no_audio: bool,
    /// Publishers send no video.
    #[arg(long)]
    no_video: bool,
    /// Users do not subscribe to audio.
    #[arg(long)]
    no_subscribe_audio: bool,
    /// Users do not subscribe to video.
    #[arg(long)]
    no_subscribe_video: bool,
    /// Video bitrate, kbit/s.
    #[arg(long, default_value_t = 500)]
    video_kbps: u32,
    /// Video publishers also send a small stream (`option.small`, a second simulcast encoding)
    /// at this bitrate, kbit/s, 15 fps; 0: none.
    #[arg(long, default_value_t = 0)]
    small_kbps: u32,
    /// Every video subscription asks for the small stream (`startRemoteVideo`'s
    /// `option.small: true`).
    #[arg(long)]
    subscribe_small: bool,
    /// Video frame rate.
    #[arg(long, default_value_t = 30)]
    fps: u32,
    /// Seconds between periodic keyframes (0: only the first and requested ones).
    #[arg(long, default_value_t = 5.0)]
    keyframe_interval: f64,
    /// Keyframe size as a multiple of a delta frame.
    #[arg(long, default_value_t = 4)]
    key_ratio: u32,
    /// Largest video RTP payload, bytes.
    #[arg(long, default_value_t = 1100)]
    max_payload: usize,
    /// Audio payload bytes per 20 ms packet (80 ≈ 32 kbit/s Opus).
    #[arg(long, default_value_t = 80)]
    audio_bytes: usize,
    /// Users started per second.
    #[arg(long, default_value_t = 50.0)]
    join_rate: f64,
    /// Seconds to wait for everyone to be connected and receiving.
    #[arg(long, default_value_t = 60.0)]
    ready_timeout: f64,
    /// Seconds between everyone being up and the measurement window.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Seconds of the measurement window.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Local IP of the users' UDP sockets (or TCP connections).
    #[arg(long, default_value = "127.0.0.1")]
    bind_ip: IpAddr,
    /// Media over TCP instead of UDP: each user has one ICE-TCP active candidate (RFC 6544) and
    /// connects to the server's TCP candidate (its --tcp listener), RFC 4571 framing.
    #[arg(long)]
    tcp: bool,
    /// The server's process id: its CPU% and RSS over the window are reported.
    #[arg(long)]
    server_pid: Option<u32>,
    /// The room's scene: `rtc` (a call), or `live`: the publishers enter as anchors and the
    /// subscribers as the audience (`enterRoom`'s `scene` and `role`).
    #[arg(long, default_value = "rtc", value_parser = parse_scene)]
    scene: Scene,
    /// Worker threads; 1 runs everything on the main thread (the lightest).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Write `{"summary": …, "users": […]}` to this file.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
    /// Print one line per user.
    #[arg(long)]
    per_user: bool,
    /// Exit with status 2 when a pair loses more than this percentage of packets…
    #[arg(long, default_value_t = 0.5)]
    max_loss: f64,
    /// …or delivers less than this percentage of what was sent.
    #[arg(long, default_value_t = 95.0)]
    min_delivered: f64,
}

fn parse_scene(s: &str) -> Result<Scene, String> {
    match s {
        "rtc" => Ok(Scene::Rtc),
        "live" => Ok(Scene::Live),
        _ => Err(format!("'{s}': the scene is rtc or live")),
    }
}

fn parse_app(s: &str) -> Result<(u64, String), String> {
    let (id, key) = s
        .split_once(':')
        .ok_or_else(|| format!("'{s}' is not SDKAPPID:SECRETKEY"))?;
    let id = id
        .trim()
        .parse::<u64>()
        .map_err(|_| format!("sdkAppId '{id}' is not a number"))?;
    if key.is_empty() {
        return Err("the secret key is empty".into());
    }
    Ok((id, key.to_string()))
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let args = Args::parse();

    let common = Common {
        ws_url: format!("ws://{}{}", args.server, trtc_proto::WS_PATH),
        sdk_app_id: args.app.0,
        key: args.app.1.clone(),
        room: RoomId::Num(args.room),
        bind_ip: args.bind_ip,
        transport: if args.tcp {
            Transport::Tcp
        } else {
            Transport::Udp
        },
        video: VideoConfig {
            kbps: args.video_kbps,
            fps: args.fps.max(1),
            keyframe_interval: Duration::from_secs_f64(args.keyframe_interval.max(0.0)),
            key_ratio: args.key_ratio.max(1),
            max_payload: args.max_payload.max(64),
        },
        audio_bytes: args.audio_bytes,
        clip: None,
        small: (args.small_kbps > 0).then(|| VideoConfig {
            kbps: args.small_kbps,
            fps: 15,
            keyframe_interval: Duration::from_secs_f64(args.keyframe_interval.max(0.0)),
            key_ratio: args.key_ratio.max(1),
            max_payload: args.max_payload.max(64),
        }),
        subscribe_small: args.subscribe_small,
        scene: args.scene,
    };
    let users = scenario_in_rooms(
        &args.prefix,
        args.rooms,
        args.room,
        args.publishers,
        args.subscribers,
        (!args.no_audio, !args.no_video),
        (!args.no_subscribe_audio, !args.no_subscribe_video),
    );
    let cfg = RunConfig {
        common,
        users,
        join_rate: args.join_rate,
        ready_timeout: Duration::from_secs_f64(args.ready_timeout.max(0.0)),
        warmup: Duration::from_secs_f64(args.warmup.max(0.0)),
        duration: Duration::from_secs_f64(args.duration.max(0.1)),
        server_pid: args.server_pid,
    };

    let rt = if args.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()
    };
    let rt = match rt {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (reports, summary) = rt.block_on(trtc_loadgen::run::run(cfg));

    if args.per_user {
        for u in &reports {
            let tracks: Vec<String> = u
                .tracks
                .iter()
                .map(|t| {
                    format!(
                        "{}/{} {:.0}kbps loss {:.2}% jitter {:.2}ms",
                        t.source, t.kind, t.kbps, t.loss_pct, t.jitter_ms
                    )
                })
                .collect();
            println!(
                "{} join {:?}ms connect {:?}ms sent {}+{} pkts {} | {}",
                u.user_id,
                u.join_ms.map(|x| x.round()),
                u.connect_ms.map(|x| x.round()),
                u.sent.audio_pkts,
                u.sent.video_pkts,
                u.error.as_deref().unwrap_or(""),
                tracks.join(", ")
            );
        }
    }
    print!("{}", summary.text());
    let pass = summary.passes(args.max_loss, args.min_delivered);
    println!("{}", if pass { "PASS" } else { "FAIL" });
    if let Some(path) = &args.json {
        let doc = serde_json::json!({ "summary": summary, "pass": pass, "users": reports });
        if let Err(e) = std::fs::write(path, doc.to_string()) {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    if pass {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}
