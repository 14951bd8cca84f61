//! A run: starts the users at a join rate, waits until they are up, warms up, measures, stops
//! them and sums up. Samples `/proc` for the server's and its own CPU and memory.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tracing::info;

use crate::report::{self, ProcFigures, Summary, UdpCounters, Wants};
use crate::stats;
use crate::user::{self, Common, Phase, UserReport, UserSpec};

/// What to run.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// What every user shares: the server, the room, the media.
    pub common: Common,
    /// The users, started in this order.
    pub users: Vec<UserSpec>,
    /// Users started per second.
    pub join_rate: f64,
    /// Longest wait for every user to be connected and receiving.
    pub ready_timeout: Duration,
    /// Time between everyone being up (or the ready timeout) and the window's opening.
    pub warmup: Duration,
    /// Length of the measurement window.
    pub duration: Duration,
    /// The server's process id, to report its CPU and memory.
    pub server_pid: Option<u32>,
}

/// The users a scenario has: `publishers` (`p0`, `p1`…, each publishing audio+video and
/// subscribing to the others) and `subscribers` (`s0`…, publishing nothing).
pub fn scenario(
    prefix: &str,
    publishers: usize,
    subscribers: usize,
    publish: (bool, bool),
    subscribe: (bool, bool),
) -> Vec<UserSpec> {
    let p = (0..publishers).map(|i| UserSpec {
        user_id: format!("{prefix}p{i}"),
        publish_audio: publish.0,
        publish_video: publish.1,
        subscribe_audio: subscribe.0,
        subscribe_video: subscribe.1,
        room: None,
    });
    let s = (0..subscribers).map(|i| UserSpec {
        user_id: format!("{prefix}s{i}"),
        publish_audio: false,
        publish_video: false,
        subscribe_audio: subscribe.0,
        subscribe_video: subscribe.1,
        room: None,
    });
    p.chain(s).collect()
}

/// [`scenario`] in each of `rooms` rooms numbered from `first_room`: room k's users are
/// `<prefix>r<k>-p0`…, `<prefix>r<k>-s0`… (unique in the run), the rooms one after the other.
/// Each user receives only its own room's publishers. One room: [`scenario`] as it is, in the
/// run's room.
pub fn scenario_in_rooms(
    prefix: &str,
    rooms: u32,
    first_room: u32,
    publishers: usize,
    subscribers: usize,
    publish: (bool, bool),
    subscribe: (bool, bool),
) -> Vec<UserSpec> {
    if rooms <= 1 {
        return scenario(prefix, publishers, subscribers, publish, subscribe);
    }
    (0..rooms)
        .flat_map(|k| {
            let room = trtc_proto::RoomId::Num(first_room.saturating_add(k));
            scenario(
                &format!("{prefix}r{k}-"),
                publishers,
                subscribers,
                publish,
                subscribe,
            )
            .into_iter()
            .map(move |mut u| {
                u.room = Some(room.clone());
                u
            })
        })
        .collect()
}

/// CPU ticks per second of `/proc/*/stat` (USER_HZ; 100 on every mainstream Linux build).
const CLK_TCK: f64 = 100.0;

struct ProcSample {
    at: Instant,
    ticks: u64,
    sys: u64,
    threads: Vec<(String, u64)>,
}

fn sample(pid: &str) -> Option<ProcSample> {
    let at = Instant::now();
    let (user, sys) =
        stats::parse_proc_stat_split(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)?;
    let ticks = user + sys;
    let mut threads = vec![];
    if let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for e in dir.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(t) = std::fs::read_to_string(e.path().join("stat"))
                .ok()
                .and_then(|s| stats::parse_proc_stat(&s))
            {
                threads.push((name, t));
            }
        }
    }
    Some(ProcSample {
        at,
        ticks,
        sys,
        threads,
    })
}

fn figures(pid: &str, start: &ProcSample) -> Option<ProcFigures> {
    let end = sample(pid)?;
    let secs = end.at.duration_since(start.at).as_secs_f64().max(1e-9);
    let pct = |ticks: u64| ticks as f64 / CLK_TCK / secs * 100.0;
    let top = end
        .threads
        .iter()
        .map(|(tid, t)| {
            let before = start
                .threads
                .iter()
                .find(|(x, _)| x == tid)
                .map_or(0, |(_, b)| *b);
            t.saturating_sub(before)
        })
        .max()
        .unwrap_or(0);
    let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| stats::parse_rss_kib(&s))
        .unwrap_or(0);
    Some(ProcFigures {
        cpu_pct: pct(end.ticks.saturating_sub(start.ticks)),
        sys_pct: pct(end.sys.saturating_sub(start.sys)),
        top_thread_cpu_pct: pct(top),
        rss_kib: rss,
    })
}

fn udp_counters() -> Option<UdpCounters> {
    report::parse_snmp_udp(&std::fs::read_to_string("/proc/net/snmp").ok()?)
}

/// Runs the scenario on the current tokio runtime. Returns every user's report and the summary.
pub async fn run(cfg: RunConfig) -> (Vec<UserReport>, Summary) {
    let common = Arc::new(cfg.common.clone());
    let (phase_tx, phase_rx) = watch::channel(Phase::Warmup);
    let ready = Arc::new(AtomicUsize::new(0));
    let total = cfg.users.len();
    let wants: Vec<Wants> = cfg
        .users
        .iter()
        .map(|u| (u.subscribe_audio, u.subscribe_video))
        .collect();

    let gap = if cfg.join_rate > 0.0 {
        Duration::from_secs_f64(1.0 / cfg.join_rate)
    } else {
        Duration::ZERO
    };
    let started = Instant::now();
    let mut handles = Vec::with_capacity(total);
    for (i, spec) in cfg.users.iter().cloned().enumerate() {
        if i > 0 && !gap.is_zero() {
            tokio::time::sleep_until((started + gap * i as u32).into()).await;
        }
        handles.push(tokio::spawn(user::run_user(
            spec,
            common.clone(),
            phase_rx.clone(),
            ready.clone(),
        )));
    }
    info!(users = total, "all users started");
    let deadline = Instant::now() + cfg.ready_timeout;
    loop {
        let n = ready.load(Ordering::Relaxed);
        let finished = handles.iter().filter(|h| h.is_finished()).count();
        if n + finished >= total || Instant::now() >= deadline {
            info!(
                ready = n,
                failed = finished,
                "up after {:.1} s",
                started.elapsed().as_secs_f64()
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(cfg.warmup).await;

    let server_pid = cfg.server_pid.map(|p| p.to_string());
    let server0 = server_pid.as_deref().and_then(sample);
    let self0 = sample("self");
    let udp0 = udp_counters();
    let _ = phase_tx.send(Phase::Measure);
    tokio::time::sleep(cfg.duration).await;
    let server = server_pid
        .as_deref()
        .zip(server0.as_ref())
        .and_then(|(pid, s0)| figures(pid, s0));
    let loadgen = self0.as_ref().and_then(|s0| figures("self", s0));
    let udp = udp_counters().zip(udp0).map(|(b, a)| b.minus(a));
    let _ = phase_tx.send(Phase::Stop);

    let mut reports = Vec::with_capacity(total);
    for (h, spec) in handles.into_iter().zip(&cfg.users) {
        reports.push(h.await.unwrap_or_else(|e| UserReport {
            user_id: spec.user_id.clone(),
            publisher: spec.publishes(),
            error: Some(format!("task: {e}")),
            ..Default::default()
        }));
    }
    let mut summary = report::summarize(&reports, &wants);
    summary.server = server;
    summary.loadgen = loadgen;
    summary.udp = udp;
    summary.forwarded_pps_per_core = server
        .filter(|s| s.cpu_pct > 0.0)
        .map(|s| summary.recv_pps / (s.cpu_pct / 100.0));
    (reports, summary)
}
