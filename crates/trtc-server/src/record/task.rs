//! One recording task at work: the recorder (a tapped member of the room, see
//! [`trtc_loadgen::user::run_tapped`]) receives every stream it may; each user's packets go, as
//! plain RTP over loopback UDP, to that user's engine, which writes the user's file.
//!
//! Per user: the engine starts once a packet of every kind to record (what the user publishes,
//! the task's `StreamType` and lists allow) has shown its format, or [`START_GRACE`] after the
//! first packet with what has; once its ports are bound the recorder asks the user's video for
//! a keyframe, and video is relayed from a keyframe on. The user's file ends when it stops
//! publishing, leaves, or what is recorded of it changes (a new kind, a new payload type,
//! `ModifyCloudRecording`): the next packet starts a new file.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use trtc_loadgen::media::VideoConfig;
use trtc_loadgen::user::{
    run_tapped, Common, Phase, Scene, Tap, TapFormat, TapPacket, Transport, UserReport, UserSpec,
};
use trtc_proto::{MediaKind, RoomId};

use super::engine::{self, Engine};
use super::mix::Mix;
use super::output::MixSpec;
use super::params::{self, StreamType, SubscribeLists};
use super::{EngineState, FileEntry, TaskShared, TaskStatus};
use crate::clock::now_unix_ms;
use crate::hub::Hub;

/// How long after a user's first packet its engine starts with the kinds seen so far.
pub const START_GRACE: Duration = Duration::from_secs(2);
/// How long an engine may take to bind its ports before it is used anyway.
pub const READY_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a user's video is asked for a keyframe until one has been relayed.
pub const KEYFRAME_RETRY: Duration = Duration::from_secs(1);
/// Most users recorded at once by one task (one engine each).
pub const MAX_ENGINES_PER_TASK: usize = 16;
/// Most files one task writes in all.
pub const MAX_FILES_PER_TASK: usize = 256;
/// Most engines started for one user by one task after its engine crashed.
pub const MAX_RESTARTS_PER_USER: u32 = 3;
/// Packets waiting between the recorder and the relay.
pub const PACKET_QUEUE: usize = 2048;

/// What the admin API tells a running task.
#[derive(Debug)]
pub enum Ctl {
    /// New allow/deny lists (`ModifyCloudRecording`).
    Lists(SubscribeLists),
    /// End (`DeleteCloudRecording`, server shutdown).
    Stop,
    /// A relay's new mix and/or URLs (`UpdatePublishCdnStream`).
    Relay(Option<MixSpec>, Option<Vec<String>>),
}

/// What a task is started with.
pub struct TaskCtx {
    /// Its id.
    pub task_id: String,
    /// The app and its secret key (the recorder signs its own userSig).
    pub sdk_app_id: u64,
    /// The app's key.
    pub key: String,
    /// The room.
    pub room: RoomId,
    /// The recorder's userId.
    pub user_id: String,
    /// Which kinds.
    pub stream_type: StreamType,
    /// Whose.
    pub lists: SubscribeLists,
    /// Seconds without a publisher before the task ends.
    pub max_idle: Duration,
    /// The task's directory (exists).
    pub dir: PathBuf,
    /// The engine program.
    pub ffmpeg: PathBuf,
    /// The server's signalling URL.
    pub ws_url: String,
    /// For the room's publishers.
    pub hub: Arc<Hub>,
    /// What Describe reads.
    pub shared: Arc<Mutex<TaskShared>>,
    /// `RecordMode` 2: one mixed file.
    pub mix: Option<MixSpec>,
    /// A relay: the mix goes to these URLs.
    pub cdn: Option<Vec<String>>,
}

/// One user's file being written.
struct Writer {
    /// Formats seen per kind (audio, video), before and after the engine starts.
    audio: Option<TapFormat>,
    video: Option<TapFormat>,
    first_packet: Instant,
    run: Option<Running>,
}

struct Running {
    engine: Engine,
    /// Index in `TaskShared::files`.
    file: usize,
    audio: Option<(TapFormat, u16)>,
    video: Option<(TapFormat, u16)>,
    started: Instant,
    ready: bool,
    video_flowing: bool,
    last_keyframe_ask: Option<Instant>,
}

fn lock(shared: &Mutex<TaskShared>) -> std::sync::MutexGuard<'_, TaskShared> {
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs the task until it is stopped, idle for `max_idle`, or its recorder is out of the room.
pub async fn run(ctx: TaskCtx, mut ctl: mpsc::Receiver<Ctl>) {
    let (pk_tx, mut packets) = mpsc::channel::<TapPacket>(PACKET_QUEUE);
    let (kf_tx, kf_rx) = mpsc::channel::<String>(64);
    let (phase_tx, phase_rx) = watch::channel(Phase::Warmup);
    let common = Arc::new(Common {
        ws_url: ctx.ws_url.clone(),
        sdk_app_id: ctx.sdk_app_id,
        key: ctx.key.clone(),
        room: ctx.room.clone(),
        bind_ip: std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        transport: Transport::Udp,
        video: VideoConfig::default(),
        audio_bytes: 0,
        clip: None,
        small: None,
        subscribe_small: false,
        // (A tapped user joins the live scene as the audience whatever this says.)
        scene: Scene::Live,
    });
    let spec = UserSpec {
        user_id: ctx.user_id.clone(),
        publish_audio: false,
        publish_video: false,
        subscribe_audio: ctx.stream_type.records(true),
        subscribe_video: ctx.stream_type.records(false),
        room: None,
    };
    let mut recorder = tokio::spawn(run_tapped(
        spec,
        common,
        phase_rx,
        Tap {
            packets: pk_tx,
            keyframes: kf_rx,
        },
    ));
    let socket = match UdpSocket::bind(("127.0.0.1", 0)).await {
        Ok(s) => s,
        Err(e) => {
            let _ = phase_tx.send(Phase::Stop);
            finish(&ctx, format!("cannot open the relay socket: {e}"));
            return;
        }
    };
    let mut relay = match &ctx.mix {
        None => Engines::Files(Box::new(Relay {
            ctx: &ctx,
            writers: HashMap::new(),
            restarts: HashMap::new(),
            publishers: Vec::new(),
            lists: ctx.lists.clone(),
            kf: kf_tx,
            socket,
            draining: Vec::new(),
        })),
        Some(spec) => Engines::Mix(Box::new(Mix::new(&ctx, spec.clone(), kf_tx, socket))),
    };
    // A mix's output starts at once (black and silent until someone is there).
    relay.housekeeping().await;
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut idle_since: Option<Instant> = None;
    let mut report: Option<UserReport> = None;
    let reason = loop {
        tokio::select! {
            // Disabled once the recorder is gone (its end is handled below).
            Some(p) = packets.recv() => relay.on_packet(p).await,
            c = ctl.recv() => match c {
                Some(Ctl::Lists(l)) => relay.set_lists(l).await,
                Some(Ctl::Relay(spec, urls)) => {
                    if let Engines::Mix(m) = &mut relay {
                        m.reconfigure(spec, urls).await;
                    }
                }
                Some(Ctl::Stop) | None => break "stopped (DeleteCloudRecording)".to_string(),
            },
            r = &mut recorder => {
                let why = match r {
                    Ok(rep) => {
                        let e = rep.error.clone().unwrap_or_else(|| "left".into());
                        report = Some(rep);
                        e
                    }
                    Err(e) => format!("the recorder task failed: {e}"),
                };
                break format!("the recorder is out of the room: {why}");
            }
            _ = tick.tick() => {
                let Some(publishers) = ctx.hub.publishers(ctx.sdk_app_id, &ctx.room) else {
                    break "the room is gone".to_string();
                };
                let active = publishers.iter().any(|(_, kinds)| kinds[0] || kinds[1]);
                relay.set_publishers(publishers);
                relay.housekeeping().await;
                let now = Instant::now();
                if active {
                    idle_since = None;
                } else if now.duration_since(*idle_since.get_or_insert(now)) >= ctx.max_idle {
                    break format!(
                        "no publisher in the room for {} s (MaxIdleTime)",
                        ctx.max_idle.as_secs()
                    );
                }
            }
        }
    };
    // The recorder stays in the room until the engines have stopped: its packets wake them.
    relay.stop_all(&mut packets).await;
    let _ = phase_tx.send(Phase::Stop);
    if report.is_none() {
        let _ = tokio::time::timeout(Duration::from_secs(3), recorder).await;
    }
    tracing::info!(task = %ctx.task_id, "recording task ended: {reason}");
    finish(&ctx, reason);
}

/// What writes a task's files: an engine per user, or one mix.
enum Engines<'a> {
    Files(Box<Relay<'a>>),
    Mix(Box<Mix<'a>>),
}

impl Engines<'_> {
    async fn on_packet(&mut self, p: TapPacket) {
        match self {
            Engines::Files(r) => r.on_packet(p).await,
            Engines::Mix(m) => m.on_packet(p).await,
        }
    }

    async fn set_lists(&mut self, lists: SubscribeLists) {
        match self {
            Engines::Files(r) => r.set_lists(lists).await,
            Engines::Mix(m) => m.set_lists(lists).await,
        }
    }

    fn set_publishers(&mut self, publishers: Vec<(String, [bool; 4])>) {
        match self {
            Engines::Files(r) => r.publishers = publishers,
            Engines::Mix(m) => m.publishers = publishers,
        }
    }

    async fn housekeeping(&mut self) {
        match self {
            Engines::Files(r) => r.housekeeping().await,
            Engines::Mix(m) => m.housekeeping().await,
        }
    }

    async fn stop_all(&mut self, packets: &mut mpsc::Receiver<TapPacket>) {
        match self {
            Engines::Files(r) => r.stop_all(packets).await,
            Engines::Mix(m) => m.stop_all().await,
        }
    }
}

fn finish(ctx: &TaskCtx, reason: String) {
    let mut s = lock(&ctx.shared);
    s.status = TaskStatus::Exited;
    s.exit_reason = Some(reason);
}

struct Relay<'a> {
    ctx: &'a TaskCtx,
    writers: HashMap<String, Writer>,
    restarts: HashMap<String, u32>,
    /// The room's publishers as of the last tick: userId and what it publishes
    /// (`MediaKind::ALL` order).
    publishers: Vec<(String, [bool; 4])>,
    lists: SubscribeLists,
    kf: mpsc::Sender<String>,
    socket: UdpSocket,
    /// Engines being stopped: whose, their (audio, video) ports, the stop.
    draining: Vec<(String, [Option<u16>; 2], tokio::task::JoinHandle<()>)>,
}

impl Relay<'_> {
    /// Whether `user`'s `audio` (or video) is to be recorded now.
    fn wanted(&self, user: &str, audio: bool) -> bool {
        let publishes = self
            .publishers
            .iter()
            .find(|(u, _)| u == user)
            .is_some_and(|(_, k)| if audio { k[0] } else { k[1] });
        publishes && self.ctx.stream_type.records(audio) && self.lists.allows(user, audio)
    }

    async fn on_packet(&mut self, p: TapPacket) {
        if !self.draining.is_empty() {
            self.drain(&p).await;
        }
        let audio = match p.kind {
            MediaKind::Audio => true,
            MediaKind::Video => false,
            // The main stream only (TRTC's single-stream recording of the camera and mic).
            MediaKind::SubVideo | MediaKind::SubAudio => return,
        };
        if !self.wanted(&p.user_id, audio) {
            return;
        }
        if !self.writers.contains_key(&p.user_id) {
            if self.writers.len() >= MAX_ENGINES_PER_TASK
                || self.restarts.get(&p.user_id).copied().unwrap_or(0) > MAX_RESTARTS_PER_USER
                || lock(&self.ctx.shared).files.len() >= MAX_FILES_PER_TASK
            {
                return;
            }
            self.writers.insert(
                p.user_id.clone(),
                Writer {
                    audio: None,
                    video: None,
                    first_packet: Instant::now(),
                    run: None,
                },
            );
        }
        let w = self.writers.get_mut(&p.user_id).expect("inserted");
        let seen = if audio { &mut w.audio } else { &mut w.video };
        let changed = seen.is_some_and(|f| f != p.format);
        *seen = Some(p.format);
        if let Some(run) = &mut w.run {
            let slot = if audio { run.audio } else { run.video };
            match slot {
                Some((f, port)) if f == p.format && !changed => {
                    if !run.ready {
                        return;
                    }
                    if !audio && !run.video_flowing {
                        if !params::starts_keyframe(f.codec, params::rtp_payload(&p.rtp)) {
                            return;
                        }
                        run.video_flowing = true;
                    }
                    let _ = self
                        .socket
                        .send_to(&p.rtp, std::net::SocketAddr::from(([127, 0, 0, 1], port)))
                        .await;
                    return;
                }
                // A kind the file does not have, or another format: a new file.
                _ => {
                    let user = p.user_id.clone();
                    self.end_file(&user).await;
                    return;
                }
            }
        }
        self.maybe_start(&p.user_id);
    }

    /// Starts `user`'s engine if every kind to record has shown its format, or the grace
    /// period is over.
    fn maybe_start(&mut self, user: &str) {
        let (want_audio, want_video) = (self.wanted(user, true), self.wanted(user, false));
        let Some(w) = self.writers.get_mut(user) else {
            return;
        };
        if w.run.is_some() {
            return;
        }
        let complete = (!want_audio || w.audio.is_some()) && (!want_video || w.video.is_some());
        if !complete && w.first_packet.elapsed() < START_GRACE {
            return;
        }
        let audio = w.audio.filter(|_| want_audio);
        let video = w.video.filter(|_| want_video);
        if audio.is_none() && video.is_none() {
            return;
        }
        let ctx = self.ctx;
        let index = lock(&ctx.shared).files.len();
        let name = params::file_name(ctx.sdk_app_id, &ctx.room, user, index);
        let out = ctx.dir.join(&name);
        let sdp_path = ctx.dir.join(format!("{index}.sdp"));
        let ports = (|| -> std::io::Result<(Option<u16>, Option<u16>)> {
            let a = audio.map(|_| engine::free_port_pair()).transpose()?;
            let v = video.map(|_| engine::free_port_pair()).transpose()?;
            Ok((a, v))
        })();
        let begin = now_unix_ms();
        let track_type = match (audio.is_some(), video.is_some()) {
            (true, true) => "audio_video",
            (true, false) => "audio",
            _ => "video",
        };
        let mut entry = FileEntry {
            user_id: user.to_string(),
            file_name: format!("{}/{name}", ctx.task_id),
            track_type,
            begin_ms: begin,
            end_ms: None,
            engine: EngineState::default(),
        };
        let started = ports.and_then(|(ap, vp)| {
            let (a, v) = (audio.zip(ap), video.zip(vp));
            std::fs::write(&sdp_path, params::engine_sdp(a, v))?;
            let engine = Engine::spawn(&ctx.ffmpeg, &sdp_path, &out)?;
            Ok((engine, a, v))
        });
        match started {
            Ok((engine, a, v)) => {
                entry.engine.pid = engine.pid();
                entry.engine.state = "starting";
                tracing::info!(task = %ctx.task_id, user, file = %entry.file_name, pid = ?engine.pid(), "recording a user");
                let file = {
                    let mut s = lock(&ctx.shared);
                    s.files.push(entry);
                    s.status = TaskStatus::InProgress;
                    s.files.len() - 1
                };
                w.run = Some(Running {
                    engine,
                    file,
                    audio: a,
                    video: v,
                    started: Instant::now(),
                    ready: false,
                    video_flowing: false,
                    last_keyframe_ask: None,
                });
            }
            Err(e) => {
                tracing::warn!(task = %ctx.task_id, user, "cannot start the engine: {e}");
                entry.engine.state = "failed";
                entry.engine.error = Some(format!("cannot start the engine: {e}"));
                entry.end_ms = Some(begin);
                lock(&ctx.shared).files.push(entry);
                *self.restarts.entry(user.to_string()).or_default() += 1;
                self.writers.remove(user);
            }
        }
    }

    /// Ends `user`'s file and forgets the user's writer. The engine is stopped apart (a task
    /// of its own: the relay goes on meanwhile) and keeps getting the user's packets until it
    /// has ended: FFmpeg finishes after SIGINT once a packet wakes it, or after a silence of
    /// about twice `-listen_timeout` when none comes (the user left).
    async fn end_file(&mut self, user: &str) {
        let Some(w) = self.writers.remove(user) else {
            return;
        };
        let Some(run) = w.run else { return };
        let shared = self.ctx.shared.clone();
        let file = run.file;
        let engine = run.engine;
        // The file ends now (what the engine gets from here on is what wakes it to finish).
        {
            let mut s = lock(&shared);
            if let Some(f) = s.files.get_mut(file) {
                f.end_ms = Some(now_unix_ms());
                f.engine.state = "stopping";
            }
            recount(&mut s);
        }
        let stop = tokio::spawn(async move {
            let (ended, stderr) = engine.stop().await;
            let mut s = lock(&shared);
            if let Some(f) = s.files.get_mut(file) {
                f.engine.record_end(&ended, stderr);
            }
            recount(&mut s);
        });
        if run.ready {
            let ports = [run.audio.map(|a| a.1), run.video.map(|v| v.1)];
            self.draining.push((user.to_string(), ports, stop));
        } else {
            self.draining.push((user.to_string(), [None, None], stop));
        }
    }

    /// Relays a packet to the engines of `user` that are stopping.
    async fn drain(&mut self, p: &TapPacket) {
        let idx = usize::from(p.kind == MediaKind::Video);
        for (user, ports, stop) in &self.draining {
            if *user == p.user_id && !stop.is_finished() {
                if let Some(port) = ports[idx] {
                    let _ = self
                        .socket
                        .send_to(&p.rtp, std::net::SocketAddr::from(([127, 0, 0, 1], port)))
                        .await;
                }
            }
        }
    }

    async fn set_lists(&mut self, lists: SubscribeLists) {
        self.lists = lists;
        self.reconcile().await;
    }

    /// Ends the files of users whose recorded kinds changed (left, stopped publishing, lists).
    async fn reconcile(&mut self) {
        let users: Vec<String> = self.writers.keys().cloned().collect();
        for user in users {
            let (a, v) = (self.wanted(&user, true), self.wanted(&user, false));
            let w = &self.writers[&user];
            let stale = match &w.run {
                Some(run) => (run.audio.is_some() && !a) || (run.video.is_some() && !v),
                None => !a && !v,
            };
            if stale {
                self.end_file(&user).await;
            }
        }
    }

    async fn housekeeping(&mut self) {
        self.draining.retain(|(_, _, stop)| !stop.is_finished());
        self.reconcile().await;
        let users: Vec<String> = self.writers.keys().cloned().collect();
        for user in users {
            self.maybe_start(&user);
            let Some(w) = self.writers.get_mut(&user) else {
                continue;
            };
            let Some(run) = &mut w.run else { continue };
            if let Some(ended) = run.engine.exited() {
                let stderr = run.engine.stderr();
                let file = run.file;
                tracing::warn!(task = %self.ctx.task_id, user, ?ended, "the engine ended by itself: {stderr}");
                {
                    let mut s = lock(&self.ctx.shared);
                    if let Some(f) = s.files.get_mut(file) {
                        f.end_ms = Some(now_unix_ms());
                        f.engine.record_end(&ended, stderr);
                    }
                    recount(&mut s);
                }
                // A crash counts toward the restarts; a clean end after a silence does not.
                if ended.code != Some(0) {
                    lock(&self.ctx.shared).engine_failures += 1;
                    *self.restarts.entry(user.clone()).or_default() += 1;
                }
                self.writers.remove(&user);
                continue;
            }
            if !run.ready {
                let mut ports = vec![];
                ports.extend(run.audio.map(|a| a.1));
                ports.extend(run.video.map(|v| v.1));
                let bound = engine::udp_ports_bound(&ports)
                    .unwrap_or(run.started.elapsed() >= Duration::from_secs(1));
                if bound || run.started.elapsed() >= READY_TIMEOUT {
                    run.ready = true;
                    if let Some(f) = lock(&self.ctx.shared).files.get_mut(run.file) {
                        f.engine.state = "recording";
                        f.begin_ms = now_unix_ms();
                    }
                }
            }
            if run.ready && run.video.is_some() && !run.video_flowing {
                let due = run
                    .last_keyframe_ask
                    .is_none_or(|t| t.elapsed() >= KEYFRAME_RETRY);
                if due {
                    run.last_keyframe_ask = Some(Instant::now());
                    let _ = self.kf.try_send(user.clone());
                }
            }
        }
    }

    /// Ends every file, relaying packets until every engine has stopped (each stop is bounded
    /// by [`engine::STOP_GRACE`] and a kill).
    async fn stop_all(&mut self, packets: &mut mpsc::Receiver<TapPacket>) {
        let users: Vec<String> = self.writers.keys().cloned().collect();
        for user in users {
            self.end_file(&user).await;
        }
        let deadline = tokio::time::Instant::now() + engine::STOP_GRACE + Duration::from_secs(1);
        while self.draining.iter().any(|(_, _, s)| !s.is_finished()) {
            tokio::select! {
                Some(p) = packets.recv() => self.drain(&p).await,
                () = tokio::time::sleep(Duration::from_millis(50)) => {}
                () = tokio::time::sleep_until(deadline) => break,
            }
        }
        for (_, _, stop) in self.draining.drain(..) {
            let _ = stop.await;
        }
    }
}

/// The task's status from its files: in progress while an engine writes.
pub(super) fn recount(s: &mut TaskShared) {
    if s.status != TaskStatus::Exited {
        s.status = if s.files.iter().any(|f| f.end_ms.is_none()) {
            TaskStatus::InProgress
        } else {
            TaskStatus::Idle
        };
    }
}
