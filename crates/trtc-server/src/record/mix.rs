//! A mixed recording at work (`RecordMode` 2): one file with the room's pictures laid out on
//! one canvas and all its audio summed, following users as they come and go.
//!
//! Per user and kind, a decoder ([`output::video_decoder_args`], [`output::audio_decoder_args`]):
//! the user's RTP relayed to it on loopback UDP as for a per-user file, and its output read
//! from its stdout — the latest picture (at the canvas's size) and a bounded queue of PCM. The
//! compositor (a task of its own) makes the output on its own clock: every 20 ms a chunk of the
//! users' PCM summed, and every 1/fps s a canvas with the users' latest pictures where the
//! layout puts them (a user without a picture yet is black); both go to one encoder (raw canvas
//! on its stdin, PCM over loopback TCP) that writes H.264 + AAC into the file. The output is
//! continuous whoever is there: the file lasts as long as the task ran (from its first canvas)
//! and the layout changes at the next frame when a user comes or goes. An encoder that dies is
//! reported and replaced by a new file (up to [`MAX_OUTPUT_RESTARTS`] times); a decoder that
//! dies is restarted (its user black or silent meanwhile).
//!
//! A shared screen (the sub stream) is a source of its own beside its user's camera: its own
//! decoders, its own place in the layout. The big place (float's background, screen-share's
//! main area) goes to `MaxResolutionUserId`'s screen, else its camera, else the first screen
//! shared, else the first source.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use trtc_loadgen::user::{TapFormat, TapPacket};
use trtc_proto::MediaKind;

use super::engine::{self, Engine};
use super::layout::{self, frame_len};
use super::output::{self, MixSpec, Target, CHUNK_MS, CHUNK_SAMPLES, PCM_CHANNELS, PCM_RATE};
use super::params::{self, SubscribeLists};
use super::task::{TaskCtx, KEYFRAME_RETRY, MAX_ENGINES_PER_TASK, READY_TIMEOUT};
use super::{EngineState, FileEntry, TaskShared};
use crate::clock::now_unix_ms;

/// Encoders started by one task after its encoder died.
pub const MAX_OUTPUT_RESTARTS: u32 = 3;
/// Decoders started for one user's kind after one died.
pub const MAX_DECODER_RESTARTS: u32 = 3;
/// The most PCM kept per user (samples, all channels): 200 ms; older samples are dropped.
pub const MAX_PCM: usize = (PCM_RATE / 5 * PCM_CHANNELS) as usize;
/// How long the encoder has to connect for the audio.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

type Picture = Arc<Mutex<Option<Arc<Vec<u8>>>>>;
type Pcm = Arc<Mutex<VecDeque<i16>>>;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What the compositor sees of one source (a user's camera or shared screen).
#[derive(Clone)]
struct Slot {
    user_id: String,
    /// The shared screen (sub stream), not the camera.
    sub: bool,
    /// Whether the user is shown (its video is mixed).
    shown: bool,
    picture: Picture,
    pcm: Pcm,
}

/// One decoder.
struct Feed {
    format: TapFormat,
    port: u16,
    engine: Engine,
    reader: tokio::task::JoinHandle<()>,
    started: Instant,
    ready: bool,
    flowing: bool,
    last_keyframe_ask: Option<Instant>,
    /// Set by its reader once it has given a picture (or PCM).
    output: Arc<AtomicBool>,
    /// Its SDP file, removed once it has been read (the decoder's port is bound).
    sdp: Option<std::path::PathBuf>,
}

/// One source: a user's main stream (camera, microphone) or its sub stream (a shared screen
/// and its audio).
struct MixUser {
    id: String,
    sub: bool,
    /// Audio, video.
    feeds: [Option<Feed>; 2],
    picture: Picture,
    pcm: Pcm,
}

/// The encoder and the compositor feeding it.
struct Out {
    engine: Engine,
    file: usize,
    compositor: tokio::task::JoinHandle<()>,
    stop: watch::Sender<bool>,
}

/// The mixed recording of a task.
pub struct Mix<'a> {
    ctx: &'a TaskCtx,
    spec: MixSpec,
    /// The room's publishers as of the last tick.
    pub publishers: Vec<(String, [bool; 4])>,
    lists: SubscribeLists,
    kf: mpsc::Sender<String>,
    socket: UdpSocket,
    users: Vec<MixUser>,
    slots: Arc<Mutex<Vec<Slot>>>,
    out: Option<Out>,
    out_restarts: u32,
    decoder_restarts: HashMap<(String, bool, usize), u32>,
    sdp_seq: u64,
    /// A relay's push URLs (`None`: a file).
    urls: Option<Vec<String>>,
}

impl<'a> Mix<'a> {
    /// A mix for `ctx`, encoded and laid out as `spec` says.
    pub fn new(
        ctx: &'a TaskCtx,
        spec: MixSpec,
        kf: mpsc::Sender<String>,
        socket: UdpSocket,
    ) -> Self {
        Mix {
            ctx,
            spec,
            publishers: vec![],
            lists: ctx.lists.clone(),
            kf,
            socket,
            users: vec![],
            slots: Arc::default(),
            out: None,
            out_restarts: 0,
            decoder_restarts: HashMap::new(),
            sdp_seq: 0,
            urls: ctx.cdn.clone(),
        }
    }

    /// Whether `user`'s audio (or video) of its main (or sub) stream is mixed now.
    fn wanted(&self, user: &str, sub: bool, audio: bool) -> bool {
        // `MediaKind::ALL` order: audio, video, sub video, sub audio.
        let i = match (sub, audio) {
            (false, true) => 0,
            (false, false) => 1,
            (true, false) => 2,
            (true, true) => 3,
        };
        let publishes = self
            .publishers
            .iter()
            .find(|(u, _)| u == user)
            .is_some_and(|(_, k)| k[i]);
        publishes && self.lists.allows(user, audio)
    }

    /// Relays a packet of the room to its user's decoder (started on the first packet).
    pub async fn on_packet(&mut self, p: TapPacket) {
        let (sub, kind) = match p.kind {
            MediaKind::Audio => (false, 0),
            MediaKind::Video => (false, 1),
            MediaKind::SubAudio => (true, 0),
            MediaKind::SubVideo => (true, 1),
        };
        if !self.wanted(&p.user_id, sub, kind == 0) {
            return;
        }
        let ui = match self
            .users
            .iter()
            .position(|u| u.id == p.user_id && u.sub == sub)
        {
            Some(i) => i,
            None if self.users.len() < MAX_ENGINES_PER_TASK => {
                self.users.push(MixUser {
                    id: p.user_id.clone(),
                    sub,
                    feeds: [None, None],
                    picture: Arc::default(),
                    pcm: Arc::default(),
                });
                self.users.len() - 1
            }
            None => return,
        };
        let user = &mut self.users[ui];
        match &mut user.feeds[kind] {
            Some(f) if f.format == p.format => {
                if !f.ready {
                    return;
                }
                if kind == 1 && !f.flowing {
                    if !params::starts_keyframe(f.format.codec, params::rtp_payload(&p.rtp)) {
                        return;
                    }
                    tracing::debug!(user = %p.user_id, "video flows to its decoder");
                    f.flowing = true;
                }
                let port = f.port;
                let _ = self
                    .socket
                    .send_to(&p.rtp, std::net::SocketAddr::from(([127, 0, 0, 1], port)))
                    .await;
            }
            Some(_) => {
                // Another format: a new decoder for it.
                if let Some(f) = user.feeds[kind].take() {
                    stop_feed(f);
                }
            }
            None => {
                let restarts = self
                    .decoder_restarts
                    .get(&(p.user_id.clone(), sub, kind))
                    .copied()
                    .unwrap_or(0);
                if restarts <= MAX_DECODER_RESTARTS {
                    self.start_feed(ui, kind, p.format);
                }
            }
        }
    }

    fn start_feed(&mut self, ui: usize, kind: usize, format: TapFormat) {
        self.sdp_seq += 1;
        let sdp_path = self.ctx.dir.join(format!("decoder-{}.sdp", self.sdp_seq));
        let (w, h) = (self.spec.width, self.spec.height);
        let user = &mut self.users[ui];
        let started = (|| -> std::io::Result<Feed> {
            let port = engine::free_port_pair()?;
            let sdp = if kind == 0 {
                params::engine_sdp(Some((format, port)), None)
            } else {
                params::engine_sdp(None, Some((format, port)))
            };
            std::fs::write(&sdp_path, sdp)?;
            let args = if kind == 0 {
                output::audio_decoder_args(&sdp_path)
            } else {
                output::video_decoder_args(&sdp_path, w, h)
            };
            let mut engine = Engine::spawn_with(&self.ctx.ffmpeg, args, &sdp_path, false, true)?;
            let stdout = engine
                .take_stdout()
                .ok_or_else(|| std::io::Error::other("no stdout"))?;
            let output = Arc::new(AtomicBool::new(false));
            let reader = if kind == 0 {
                tokio::spawn(read_pcm(stdout, user.pcm.clone(), output.clone()))
            } else {
                tokio::spawn(read_pictures(
                    stdout,
                    frame_len(w, h),
                    user.picture.clone(),
                    output.clone(),
                ))
            };
            Ok(Feed {
                format,
                port,
                engine,
                reader,
                started: Instant::now(),
                ready: false,
                flowing: false,
                last_keyframe_ask: None,
                output,
                sdp: Some(sdp_path.clone()),
            })
        })();
        match started {
            Ok(f) => {
                tracing::info!(task = %self.ctx.task_id, user = %user.id, sub = user.sub, kind, pid = ?f.engine.pid(), "mixing a user's stream");
                user.feeds[kind] = Some(f);
            }
            Err(e) => {
                tracing::warn!(task = %self.ctx.task_id, user = %user.id, "cannot start a decoder: {e}");
                *self
                    .decoder_restarts
                    .entry((user.id.clone(), user.sub, kind))
                    .or_default() += 1;
            }
        }
    }

    /// New allow/deny lists (`ModifyCloudRecording`).
    pub async fn set_lists(&mut self, lists: SubscribeLists) {
        self.lists = lists;
        self.reconcile();
    }

    /// Stops the decoders of kinds no longer mixed (a user left, stopped publishing, the lists)
    /// and forgets users with none.
    fn reconcile(&mut self) {
        let wanted: Vec<[bool; 2]> = self
            .users
            .iter()
            .map(|u| {
                [
                    self.wanted(&u.id, u.sub, true),
                    self.wanted(&u.id, u.sub, false),
                ]
            })
            .collect();
        for (u, want) in self.users.iter_mut().zip(&wanted) {
            for (kind, &want) in want.iter().enumerate() {
                if !want {
                    if let Some(f) = u.feeds[kind].take() {
                        stop_feed(f);
                    }
                    if kind == 1 {
                        *lock(&u.picture) = None;
                    } else {
                        lock(&u.pcm).clear();
                    }
                }
            }
        }
        let mut i = 0;
        self.users.retain(|u| {
            let keep = wanted[i][0] || wanted[i][1] || u.feeds.iter().any(Option::is_some);
            i += 1;
            keep
        });
    }

    /// Every tick: decoders, readiness, keyframe requests, the compositor's view, the encoder.
    pub async fn housekeeping(&mut self) {
        self.reconcile();
        for u in &mut self.users {
            for kind in 0..2 {
                let Some(f) = &mut u.feeds[kind] else {
                    continue;
                };
                if let Some(ended) = f.engine.exited() {
                    tracing::warn!(task = %self.ctx.task_id, user = %u.id, kind, ?ended, "a decoder ended by itself: {}", f.engine.stderr());
                    *self
                        .decoder_restarts
                        .entry((u.id.clone(), u.sub, kind))
                        .or_default() += 1;
                    lock(&self.ctx.shared).engine_failures += 1;
                    if let Some(f) = u.feeds[kind].take() {
                        f.reader.abort();
                    }
                    continue;
                }
                if !f.ready {
                    let bound = engine::udp_ports_bound(&[f.port])
                        .unwrap_or(f.started.elapsed() >= Duration::from_secs(1));
                    f.ready = bound || f.started.elapsed() >= READY_TIMEOUT;
                }
                // Read by now: decoders come and go with users, their SDP files do not stay.
                if f.ready {
                    if let Some(sdp) = f.sdp.take() {
                        let _ = std::fs::remove_file(sdp);
                    }
                }
                // Until the decoder has given a picture: FFmpeg's RTP input may lose the first
                // keyframe it gets, and browsers send the next one only when asked.
                if kind == 1 && f.ready && !f.output.load(Ordering::Relaxed) {
                    let due = f
                        .last_keyframe_ask
                        .is_none_or(|t| t.elapsed() >= KEYFRAME_RETRY);
                    if due {
                        f.last_keyframe_ask = Some(Instant::now());
                        let _ = self.kf.try_send(u.id.clone());
                    }
                }
            }
        }
        *lock(&self.slots) = self
            .users
            .iter()
            .map(|u| Slot {
                user_id: u.id.clone(),
                sub: u.sub,
                shown: u.feeds[1].is_some(),
                picture: u.picture.clone(),
                pcm: u.pcm.clone(),
            })
            .collect();
        let users = self
            .users
            .iter()
            .map(|u| (u.id.clone(), u.sub, lock(&u.picture).is_some()))
            .collect();
        lock(&self.ctx.shared).mix_users = Some(users);
        self.check_output().await;
    }

    async fn check_output(&mut self) {
        if let Some(out) = &mut self.out {
            let Some(ended) = out.engine.exited() else {
                return;
            };
            let out = self.out.take().expect("there");
            let stderr = out.engine.stderr();
            tracing::warn!(task = %self.ctx.task_id, ?ended, "the mixing encoder ended by itself: {stderr}");
            let _ = out.stop.send(true);
            out.compositor.abort();
            let mut s = lock(&self.ctx.shared);
            if let Some(f) = s.files.get_mut(out.file) {
                f.end_ms = Some(now_unix_ms());
                f.engine.record_end(&ended, stderr);
            }
            s.engine_failures += 1;
            recount(&mut s);
            self.out_restarts += 1;
        }
        if self.out.is_none() && self.out_restarts <= MAX_OUTPUT_RESTARTS {
            self.start_output().await;
        }
    }

    async fn start_output(&mut self) {
        let ctx = self.ctx;
        let index = lock(&ctx.shared).files.len();
        if index >= super::task::MAX_FILES_PER_TASK {
            return;
        }
        let (target, file_name) = match &self.urls {
            Some(urls) => (Target::Rtmp(urls.clone()), urls.join(" ")),
            None => {
                let name = params::mix_file_name(ctx.sdk_app_id, &ctx.room, index);
                (
                    Target::File(ctx.dir.join(&name)),
                    format!("{}/{name}", ctx.task_id),
                )
            }
        };
        let begin = now_unix_ms();
        let mut entry = FileEntry {
            user_id: String::new(),
            file_name,
            track_type: "audio_video",
            begin_ms: begin,
            end_ms: None,
            engine: EngineState::default(),
        };
        let started = async {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
            let port = listener.local_addr()?.port();
            let args = output::encoder_args(&self.spec, port, &target);
            let mut engine = Engine::spawn_with(&ctx.ffmpeg, args, &ctx.dir, true, false)?;
            let stdin = engine
                .take_stdin()
                .ok_or_else(|| std::io::Error::other("no stdin"))?;
            Ok::<_, std::io::Error>((engine, stdin, listener))
        }
        .await;
        match started {
            Ok((engine, stdin, listener)) => {
                entry.engine.pid = engine.pid();
                entry.engine.state = "starting";
                tracing::info!(task = %ctx.task_id, file = %entry.file_name, pid = ?engine.pid(), "mixing");
                let file = {
                    let mut s = lock(&ctx.shared);
                    s.files.push(entry);
                    recount(&mut s);
                    s.files.len() - 1
                };
                let (stop, stop_rx) = watch::channel(false);
                let compositor = tokio::spawn(compose(
                    self.spec.clone(),
                    self.slots.clone(),
                    stdin,
                    listener,
                    stop_rx,
                    ctx.shared.clone(),
                    file,
                ));
                self.out = Some(Out {
                    engine,
                    file,
                    compositor,
                    stop,
                });
            }
            Err(e) => {
                tracing::warn!(task = %ctx.task_id, "cannot start the mixing encoder: {e}");
                entry.engine.state = "failed";
                entry.engine.error = Some(format!("cannot start the engine: {e}"));
                entry.end_ms = Some(begin);
                lock(&ctx.shared).files.push(entry);
                self.out_restarts += 1;
            }
        }
    }

    /// A relay's new mix and/or URLs (`UpdatePublishCdnStream`): the output ends and the next
    /// tick starts a new one with them (a new size also restarts the decoders).
    pub async fn reconfigure(&mut self, spec: Option<MixSpec>, urls: Option<Vec<String>>) {
        if let Some(u) = urls {
            self.urls = Some(u);
        }
        if let Some(spec) = spec {
            if (spec.width, spec.height) != (self.spec.width, self.spec.height) {
                self.stop_decoders().await;
            }
            self.spec = spec;
        }
        self.end_output().await;
    }

    async fn stop_decoders(&mut self) {
        for u in &mut self.users {
            for f in u.feeds.iter_mut().filter_map(Option::take) {
                f.reader.abort();
                let (ended, stderr) = f.engine.kill().await;
                tracing::debug!(user = %u.id, ?ended, "a decoder stopped: {stderr}");
            }
        }
        self.users.clear();
        lock(&self.ctx.shared).mix_users = Some(vec![]);
        *lock(&self.slots) = vec![];
    }

    /// Ends the mix: the decoders are killed, the compositor ends the output (the encoder
    /// finishes the file on the end of its inputs), and every engine is reaped.
    pub async fn stop_all(&mut self) {
        self.stop_decoders().await;
        self.end_output().await;
    }

    async fn end_output(&mut self) {
        let Some(out) = self.out.take() else { return };
        let end = now_unix_ms();
        {
            let mut s = lock(&self.ctx.shared);
            if let Some(f) = s.files.get_mut(out.file) {
                f.end_ms = Some(end);
                f.engine.state = "stopping";
            }
        }
        let _ = out.stop.send(true);
        if tokio::time::timeout(Duration::from_secs(3), out.compositor)
            .await
            .is_err()
        {
            tracing::warn!(task = %self.ctx.task_id, "the compositor did not end in time");
        }
        let (ended, stderr) = out.engine.finish(engine::STOP_GRACE).await;
        let mut s = lock(&self.ctx.shared);
        if let Some(f) = s.files.get_mut(out.file) {
            f.engine.record_end(&ended, stderr);
            if ended.code != Some(0) && f.engine.state == "finished" {
                // Asked to end, but it did not end well (killed, or an error).
                f.engine.state = "crashed";
                s.engine_failures += 1;
            }
        }
        recount(&mut s);
    }
}

/// Kills a decoder apart (nothing to finish) and reaps it.
fn stop_feed(f: Feed) {
    f.reader.abort();
    tokio::spawn(async move {
        let (ended, stderr) = f.engine.kill().await;
        tracing::debug!(?ended, "a decoder stopped: {stderr}");
    });
}

fn recount(s: &mut TaskShared) {
    super::task::recount(s);
}

/// Reads a video decoder's pictures, keeping the latest.
async fn read_pictures(
    mut out: tokio::process::ChildStdout,
    len: usize,
    picture: Picture,
    output: Arc<AtomicBool>,
) {
    let mut n = 0u64;
    loop {
        let mut buf = vec![0u8; len];
        if let Err(e) = out.read_exact(&mut buf).await {
            tracing::debug!(pictures = n, "a video decoder's output ended: {e}");
            return;
        }
        n += 1;
        if n == 1 {
            tracing::debug!("a video decoder's first picture");
            output.store(true, Ordering::Relaxed);
        }
        *lock(&picture) = Some(Arc::new(buf));
    }
}

/// Reads an audio decoder's PCM into its queue (at most [`MAX_PCM`] samples: the oldest go).
async fn read_pcm(mut out: tokio::process::ChildStdout, pcm: Pcm, output: Arc<AtomicBool>) {
    let mut buf = vec![0u8; CHUNK_SAMPLES * 2];
    loop {
        if out.read_exact(&mut buf).await.is_err() {
            return;
        }
        output.store(true, Ordering::Relaxed);
        let mut q = lock(&pcm);
        q.extend(
            buf.chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]])),
        );
        if q.len() > MAX_PCM {
            let cut = q.len() - MAX_PCM;
            q.drain(..cut);
        }
    }
}

/// Makes the output until told to stop (or the encoder goes): a chunk of summed PCM every
/// 20 ms and a canvas every 1/fps s, on a clock of its own that starts now, so the file is as
/// long as the compositor ran. Behind (the encoder slow), it catches up.
async fn compose(
    spec: MixSpec,
    slots: Arc<Mutex<Vec<Slot>>>,
    mut stdin: tokio::process::ChildStdin,
    listener: tokio::net::TcpListener,
    mut stop: watch::Receiver<bool>,
    shared: Arc<Mutex<TaskShared>>,
    file: usize,
) {
    let (vtx, mut vrx) = mpsc::channel::<Arc<Vec<u8>>>(8);
    let (atx, mut arx) = mpsc::channel::<Vec<u8>>(256);
    let video = tokio::spawn(async move {
        while let Some(f) = vrx.recv().await {
            if stdin.write_all(&f).await.is_err() {
                break;
            }
        }
        // Dropping stdin ends the encoder's video.
    });
    let audio_shared = shared.clone();
    let audio = tokio::spawn(async move {
        let Ok(Ok((mut s, _))) = tokio::time::timeout(CONNECT_TIMEOUT, listener.accept()).await
        else {
            tracing::warn!("the mixing encoder did not connect for its audio");
            return;
        };
        if let Some(f) = lock(&audio_shared).files.get_mut(file) {
            if f.engine.state == "starting" {
                f.engine.state = "recording";
            }
        }
        while let Some(c) = arx.recv().await {
            if s.write_all(&c).await.is_err() {
                break;
            }
        }
        let _ = s.shutdown().await;
    });
    let t0 = tokio::time::Instant::now();
    if let Some(f) = lock(&shared).files.get_mut(file) {
        f.begin_ms = now_unix_ms();
    }
    let chunk = Duration::from_millis(u64::from(CHUNK_MS));
    let (mut chunks, mut frames) = (0u64, 0u64);
    'run: loop {
        let due = (t0.elapsed().as_millis() / u128::from(CHUNK_MS)) as u64 + 1;
        while chunks < due {
            let now: Vec<Slot> = lock(&slots).clone();
            let mut acc = vec![0i32; CHUNK_SAMPLES];
            for s in &now {
                let mut q = lock(&s.pcm);
                let n = CHUNK_SAMPLES.min(q.len());
                layout::add_pcm(&mut acc, q.drain(..n));
            }
            if atx.send(layout::pcm_bytes(&acc)).await.is_err() {
                break 'run;
            }
            chunks += 1;
            // Frame k is shown from k/fps s: those that start before this chunk ends.
            while frames * 1000 < chunks * u64::from(CHUNK_MS) * u64::from(spec.fps) {
                let canvas = canvas(&spec, &now);
                if vtx.send(Arc::new(canvas)).await.is_err() {
                    break 'run;
                }
                frames += 1;
            }
        }
        tokio::select! {
            () = tokio::time::sleep_until(t0 + chunk * chunks as u32) => {}
            r = stop.changed() => if r.is_err() || *stop.borrow() { break },
        }
    }
    drop(vtx);
    drop(atx);
    let _ = video.await;
    let _ = audio.await;
}

/// One canvas: the shown users' latest pictures where the layout puts them, black elsewhere.
fn canvas(spec: &MixSpec, slots: &[Slot]) -> Vec<u8> {
    let (w, h) = (spec.width, spec.height);
    let mut c = vec![0u8; frame_len(w, h)];
    layout::clear(&mut c, w, h);
    let shown: Vec<&Slot> = slots.iter().filter(|s| s.shown).collect();
    let big = big_place(
        spec.big_user.as_deref(),
        shown.iter().map(|s| (s.user_id.as_str(), s.sub)),
    );
    for (i, rect) in layout::places(spec.layout, shown.len(), big, w, h) {
        let picture = lock(&shown[i].picture).clone();
        if let Some(p) = picture {
            layout::draw(&mut c, w, h, &p, w, h, rect);
        }
    }
    c
}

/// Which of the shown sources (userId, is a shared screen) takes the big place:
/// `big_user`'s screen, else its camera, else the first screen, else the first source.
fn big_place<'s>(
    big_user: Option<&str>,
    shown: impl Iterator<Item = (&'s str, bool)> + Clone,
) -> usize {
    let find = |f: &dyn Fn(&str, bool) -> bool| shown.clone().position(|(u, sub)| f(u, sub));
    big_user
        .and_then(|b| find(&|u, sub| u == b && sub).or_else(|| find(&|u, _| u == b)))
        .or_else(|| find(&|_, sub| sub))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::big_place;

    #[test]
    fn the_big_place_prefers_the_named_users_screen_then_its_camera_then_any_screen() {
        let shown = [
            ("alice", false),
            ("bob", false),
            ("bob", true),
            ("carol", true),
        ];
        let at = |b| big_place(b, shown.iter().copied());
        assert_eq!(at(Some("bob")), 2, "bob's screen");
        assert_eq!(at(Some("alice")), 0, "alice shares nothing: her camera");
        assert_eq!(at(Some("dave")), 2, "not there: the first screen");
        assert_eq!(at(None), 2);
        let cameras = [("alice", false), ("bob", false)];
        assert_eq!(big_place(None, cameras.iter().copied()), 0);
        assert_eq!(big_place(Some("bob"), cameras.iter().copied()), 1);
        assert_eq!(big_place(None, std::iter::empty()), 0);
    }
}
