//! Cloud recording, TRTC's `CreateCloudRecording` / `DescribeCloudRecording` /
//! `ModifyCloudRecording` / `DeleteCloudRecording` on our own server: per-user files
//! (`RecordMode` 1) or one mixed file (`RecordMode` 2, [`mix`]) written by FFmpeg into the
//! server's `--record-dir`; and relay to a CDN (`StartPublishCdnStream` …, [`cdn`]): a task
//! whose mix goes to RTMP URLs.
//!
//! ## Design
//!
//! A task's recorder is a member of the room run inside the server: the load client's user
//! ([`trtc_loadgen::user::run_tapped`]) joining over the server's own signalling as an
//! audience of the live scene, which other members never see, and receiving every stream as a
//! browser would — so the SFU forwards to it, and asks publishers for keyframes for it, like
//! for any subscriber, and needs no change. It hands each RTP packet over; [`task`] relays each
//! user's packets as plain RTP on loopback UDP to that user's engine: an `ffmpeg` process
//! ([`engine`]) reading an SDP file ([`params::engine_sdp`]) and copying the streams, codecs
//! unchanged, into a Matroska file. The server stays one binary that runs without FFmpeg:
//! it is looked for when a task is created (`--ffmpeg`, default `ffmpeg` on `PATH`).
//!
//! ## Invariants
//!
//! * Bounded: [`MAX_RUNNING_TASKS`] tasks at once, [`MAX_KEPT_TASKS`] ended ones kept for
//!   `Describe` (the oldest forgotten first), [`task::MAX_ENGINES_PER_TASK`] engines and
//!   [`task::MAX_FILES_PER_TASK`] files per task, a bounded packet queue (packets beyond it are
//!   dropped), and [`engine::STDERR_TAIL`] bytes of each engine's stderr.
//! * File names are made of the app id, digits and hex ([`params::file_name`]); each task
//!   writes in a directory named by its `TaskId` (32 hex digits) under `--record-dir`.
//! * Every engine is owned by its task: stopped (SIGINT, then killed) when its user's file
//!   ends, the task ends or the server stops, and reaped; one that exits by itself is reported
//!   by `Describe` and never affects the server.
//! * A refused request changes nothing.

pub mod cdn;
pub mod engine;
pub mod layout;
pub mod mix;
pub mod output;
pub mod params;
pub mod task;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::hub::Hub;
use params::{CreateReq, Invalid, SubscribeLists};

/// Most tasks running at once on one server.
pub const MAX_RUNNING_TASKS: usize = 8;
/// Most ended tasks kept for `DescribeCloudRecording`.
pub const MAX_KEPT_TASKS: usize = 32;

/// Where files go and which engine writes them.
#[derive(Debug, Clone)]
pub struct RecordConfig {
    /// `--record-dir`.
    pub dir: PathBuf,
    /// `--ffmpeg`.
    pub ffmpeg: PathBuf,
    /// The server's signalling URL (`ws://host:port/trtc/ws`), which the recorders join over.
    pub ws_url: String,
}

/// A task's state as `Describe` reports it (TRTC's `Status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    /// Running, no file being written (nobody to record yet).
    Idle,
    /// Running and writing.
    InProgress,
    /// Ended.
    Exited,
}

impl TaskStatus {
    fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Idle => "Idle",
            TaskStatus::InProgress => "InProgress",
            TaskStatus::Exited => "Exited",
        }
    }
}

/// One engine's life, as `Describe` reports it.
#[derive(Debug, Clone, Default)]
pub struct EngineState {
    /// Its process id.
    pub pid: Option<u32>,
    /// `starting`, `recording`, `stopping` (the file has ended, the engine finishes it),
    /// `finished` (stopped by us), `ended` (exited by itself with
    /// status 0), `crashed` (exited by itself otherwise), `failed` (never started).
    pub state: &'static str,
    /// Its exit code.
    pub exit_code: Option<i32>,
    /// The signal that ended it.
    pub signal: Option<i32>,
    /// The tail of its stderr, once ended.
    pub stderr: Option<String>,
    /// Why it could not start.
    pub error: Option<String>,
}

impl EngineState {
    fn record_end(&mut self, ended: &engine::Ended, stderr: String) {
        self.state = if ended.asked {
            "finished"
        } else if ended.code == Some(0) {
            "ended"
        } else {
            "crashed"
        };
        self.exit_code = ended.code;
        self.signal = ended.signal;
        self.stderr = Some(stderr);
    }
}

/// One file of a task.
#[derive(Debug, Clone)]
pub struct FileEntry {
    /// Whose.
    pub user_id: String,
    /// `TaskId/name.mkv`, relative to `--record-dir`.
    pub file_name: String,
    /// `audio_video`, `audio` or `video`.
    pub track_type: &'static str,
    /// When its engine was ready to receive (unix ms).
    pub begin_ms: u64,
    /// When it ended (unix ms).
    pub end_ms: Option<u64>,
    /// Its engine.
    pub engine: EngineState,
}

/// What a task shares with the admin API.
#[derive(Debug)]
pub struct TaskShared {
    /// Its status.
    pub status: TaskStatus,
    /// Its files, in the order they were started.
    pub files: Vec<FileEntry>,
    /// Engines that crashed (ended by themselves other than with status 0).
    pub engine_failures: u32,
    /// Why it ended.
    pub exit_reason: Option<String>,
    /// A mix's sources now, in the layout's order: userId, whether it is the user's shared
    /// screen (sub stream), and whether it has given a picture yet (`None`: not a mix).
    pub mix_users: Option<Vec<(String, bool, bool)>>,
}

struct TaskEntry {
    sdk_app_id: u64,
    room: trtc_proto::RoomId,
    user_id: String,
    shared: Arc<Mutex<TaskShared>>,
    ctl: mpsc::Sender<task::Ctl>,
    handle: Option<tokio::task::JoinHandle<()>>,
    /// Creation order, for forgetting the oldest ended task.
    seq: u64,
    /// A relay (`StartPublishCdnStream`) rather than a recording.
    relay: bool,
}

impl TaskEntry {
    fn ended(&self) -> bool {
        lock(&self.shared).status == TaskStatus::Exited
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The recording tasks of one server.
#[derive(Default)]
pub struct Recorder {
    config: Mutex<Option<RecordConfig>>,
    tasks: Mutex<HashMap<String, TaskEntry>>,
    seq: std::sync::atomic::AtomicU64,
}

/// A refused recording request.
pub type Refusal = Invalid;

fn refuse(code: &'static str, message: impl Into<String>) -> Refusal {
    Invalid {
        code,
        message: message.into(),
    }
}

/// A new task id: 32 hex digits, unique within the run and unpredictable enough not to be
/// guessed across runs.
fn new_task_id(seq: u64) -> String {
    let nanos = crate::clock::now_unix_nanos();
    let mix = (nanos as u64).rotate_left(17)
        ^ seq.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ u64::from(std::process::id());
    format!("{:016x}{:016x}", nanos as u64, mix)
}

/// Whether one more task may run for `req`: not a second one with the same recorder in the
/// same room, and at most [`MAX_RUNNING_TASKS`] at once.
fn room_for_task(tasks: &HashMap<String, TaskEntry>, req: &CreateReq) -> Result<(), Refusal> {
    let running = || tasks.values().filter(|t| !t.ended());
    if running()
        .any(|t| t.sdk_app_id == req.sdk_app_id && t.room == req.room && t.user_id == req.user_id)
    {
        return Err(refuse(
            "FailedOperation.TaskExist",
            "a recording task with this UserId runs in the room already",
        ));
    }
    if running().count() >= MAX_RUNNING_TASKS {
        return Err(refuse(
            "LimitExceeded.Task",
            format!("{MAX_RUNNING_TASKS} recording tasks run already, the most this server runs at once; delete one first"),
        ));
    }
    Ok(())
}

/// Forgets the oldest ended tasks until one more fits in [`MAX_KEPT_TASKS`].
fn forget_ended(tasks: &mut HashMap<String, TaskEntry>) {
    while tasks.values().filter(|t| t.ended()).count() >= MAX_KEPT_TASKS {
        let oldest = tasks
            .iter()
            .filter(|(_, t)| t.ended())
            .min_by_key(|(_, t)| t.seq)
            .map(|(id, _)| id.clone());
        match oldest {
            Some(id) => tasks.remove(&id),
            None => break,
        };
    }
}

impl Recorder {
    /// A recorder with no configuration: every request is refused until [`Recorder::configure`].
    pub fn new() -> Arc<Recorder> {
        Arc::new(Recorder::default())
    }

    /// Turns recording on: files go to `config.dir`.
    pub fn configure(&self, config: RecordConfig) {
        *lock(&self.config) = Some(config);
    }

    /// `--record-dir`, when recording is on: the tasks' `FileName`s are relative to it.
    pub fn dir(&self) -> Option<PathBuf> {
        lock(&self.config).as_ref().map(|c| c.dir.clone())
    }

    /// Tasks running now.
    pub fn running(&self) -> usize {
        lock(&self.tasks).values().filter(|t| !t.ended()).count()
    }

    /// `CreateCloudRecording`: checks, then starts a task; its `TaskId`.
    pub async fn create(&self, hub: &Arc<Hub>, req: CreateReq) -> Result<String, Refusal> {
        let Some(config) = lock(&self.config).clone() else {
            return Err(refuse(
                "FailedOperation.RecordingNotEnabled",
                "recording is off on this server: start it with --record-dir DIR (env TRTC_RECORD_DIR)",
            ));
        };
        let key = hub
            .apps()
            .key(req.sdk_app_id)
            .map(str::to_string)
            .ok_or_else(|| {
                refuse(
                    "UnauthorizedOperation.SdkAppId",
                    "the app is not configured",
                )
            })?;
        trtc_usersig::verify(
            &req.user_sig,
            req.sdk_app_id,
            &key,
            &req.user_id,
            crate::clock::now_unix(),
        )
        .map_err(|e| {
            refuse(
                "InvalidParameter.UserSig",
                format!("UserSig refused for the recorder's UserId: {e}"),
            )
        })?;
        if req.user_id == hub.admin_identifier() {
            return Err(refuse(
                "InvalidParameter.UserId",
                "UserId is the admin identifier, which cannot enter rooms: give the recorder a userId of its own",
            ));
        }
        // Before the room's members: a task running with this recorder has put it in the room,
        // and asking again is "that task exists", whether or not it has joined yet.
        room_for_task(&lock(&self.tasks), &req)?;
        let Some(members) = hub
            .rooms_of(req.sdk_app_id)
            .into_iter()
            .find(|(r, _)| *r == req.room)
            .map(|(_, users)| users)
        else {
            return Err(refuse(
                "FailedOperation.RoomNotExist",
                "no such room: a recording starts in a room that has users",
            ));
        };
        if members.contains(&req.user_id) {
            return Err(refuse(
                "InvalidParameter.UserId",
                "UserId is already in the room: the recorder needs a userId no one in the room uses",
            ));
        }
        engine::available(&config.ffmpeg)
            .await
            .map_err(|e| refuse("FailedOperation.EngineUnavailable", e))?;
        let seq = self.seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let task_id = new_task_id(seq);
        let dir = config.dir.join(&task_id);
        std::fs::create_dir_all(&dir).map_err(|e| {
            refuse(
                "FailedOperation.RecordDir",
                format!("cannot create the task's directory under --record-dir: {e}"),
            )
        })?;
        let shared = Arc::new(Mutex::new(TaskShared {
            status: TaskStatus::Idle,
            files: vec![],
            engine_failures: 0,
            exit_reason: None,
            mix_users: None,
        }));
        let (ctl_tx, ctl_rx) = mpsc::channel(8);
        let ctx = task::TaskCtx {
            task_id: task_id.clone(),
            sdk_app_id: req.sdk_app_id,
            key,
            room: req.room.clone(),
            user_id: req.user_id.clone(),
            stream_type: req.stream_type,
            lists: req.lists.clone(),
            max_idle: Duration::from_secs(req.max_idle_secs),
            dir,
            ffmpeg: config.ffmpeg,
            ws_url: config.ws_url,
            hub: hub.clone(),
            shared: shared.clone(),
            mix: req.mix.clone(),
            cdn: req.cdn.clone(),
        };
        let mut tasks = lock(&self.tasks);
        // The checks again, under the lock this time (another Create may have run meanwhile).
        room_for_task(&tasks, &req)?;
        forget_ended(&mut tasks);
        let handle = tokio::spawn(task::run(ctx, ctl_rx));
        tracing::info!(task = %task_id, room = ?req.room, recorder = %req.user_id, "recording task created");
        tasks.insert(
            task_id.clone(),
            TaskEntry {
                sdk_app_id: req.sdk_app_id,
                room: req.room,
                user_id: req.user_id,
                shared,
                ctl: ctl_tx,
                handle: Some(handle),
                seq,
                relay: req.cdn.is_some(),
            },
        );
        Ok(task_id)
    }

    fn entry<R>(
        &self,
        sdk_app_id: u64,
        task_id: &str,
        f: impl FnOnce(&mut TaskEntry) -> R,
    ) -> Result<R, Refusal> {
        params::check_task_id(task_id)?;
        let mut tasks = lock(&self.tasks);
        match tasks.get_mut(task_id) {
            Some(t) if t.sdk_app_id == sdk_app_id => Ok(f(t)),
            _ => Err(refuse(
                "InvalidParameter.TaskId",
                "no such recording task (of this app): use the TaskId CreateCloudRecording returned",
            )),
        }
    }

    /// `DescribeCloudRecording`: the task's status and files (plus what TRTC does not have:
    /// each file's engine, and why the task ended).
    pub fn describe(&self, sdk_app_id: u64, task_id: &str) -> Result<Value, Refusal> {
        let shared = self.entry(sdk_app_id, task_id, |t| t.shared.clone())?;
        let s = lock(&shared);
        let files: Vec<Value> = s
            .files
            .iter()
            .map(|f| {
                json!({
                    "TrackType": f.track_type,
                    "UserId": f.user_id,
                    "FileName": f.file_name,
                    "BeginTimeStamp": f.begin_ms,
                    "EndTimeStamp": f.end_ms,
                    "Engine": {
                        "Pid": f.engine.pid,
                        "State": f.engine.state,
                        "ExitCode": f.engine.exit_code,
                        "Signal": f.engine.signal,
                        "Stderr": f.engine.stderr,
                        "Error": f.engine.error,
                    },
                })
            })
            .collect();
        Ok(json!({
            "TaskId": task_id,
            "Status": s.status.as_str(),
            "StorageFileList": files,
            "EngineFailures": s.engine_failures,
            "ExitReason": s.exit_reason,
            "MixUsers": s.mix_users.as_ref().map(|u| u
                .iter()
                .map(|(id, sub, shown)| json!({"UserId": id, "StreamType": if *sub { "sub" } else { "main" }, "Picture": shown}))
                .collect::<Vec<_>>()),
        }))
    }

    /// `ModifyCloudRecording`: new allow/deny lists for a running task.
    pub fn modify(
        &self,
        sdk_app_id: u64,
        task_id: &str,
        lists: SubscribeLists,
    ) -> Result<(), Refusal> {
        lists.check()?;
        let sent = self.entry(sdk_app_id, task_id, |t| {
            !t.ended() && t.ctl.try_send(task::Ctl::Lists(lists)).is_ok()
        })?;
        if sent {
            Ok(())
        } else {
            Err(refuse(
                "FailedOperation.TaskNotRunning",
                "the task has ended (or is busy): lists can only change while it runs",
            ))
        }
    }

    /// `UpdatePublishCdnStream`: a relay's new encoding and layout and/or URLs (the push
    /// starts again with them).
    pub fn update_relay(
        &self,
        sdk_app_id: u64,
        task_id: &str,
        spec: Option<output::MixSpec>,
        urls: Option<Vec<String>>,
    ) -> Result<(), Refusal> {
        let sent = self.entry(sdk_app_id, task_id, |t| {
            if !t.relay {
                return Err(refuse(
                    "InvalidParameter.TaskId",
                    "this TaskId is a recording, not a relay (StartPublishCdnStream)",
                ));
            }
            Ok(!t.ended() && t.ctl.try_send(task::Ctl::Relay(spec, urls)).is_ok())
        })??;
        if sent {
            Ok(())
        } else {
            Err(refuse(
                "FailedOperation.TaskNotRunning",
                "the relay has ended (or is busy): it can only change while it runs",
            ))
        }
    }

    /// `DeleteCloudRecording`: ends the task (its files are finished) and waits for it, at most
    /// a few seconds.
    /// `relay`: the request is `StopPublishCdnStream` (which ends relays only), not
    /// `DeleteCloudRecording` (recordings only).
    pub async fn delete(&self, sdk_app_id: u64, task_id: &str, relay: bool) -> Result<(), Refusal> {
        let (ctl, handle) = self.entry(sdk_app_id, task_id, |t| {
            if t.relay != relay {
                return Err(refuse(
                    "InvalidParameter.TaskId",
                    if relay {
                        "this TaskId is a recording: DeleteCloudRecording ends it"
                    } else {
                        "this TaskId is a relay: StopPublishCdnStream ends it"
                    },
                ));
            }
            Ok((t.ctl.clone(), t.handle.take()))
        })??;
        let _ = ctl.send(task::Ctl::Stop).await;
        if let Some(h) = handle {
            let _ = tokio::time::timeout(engine::STOP_GRACE + Duration::from_secs(6), h).await;
        }
        Ok(())
    }

    /// Ends every task (server shutdown): their engines finish their files, or are killed.
    pub async fn shutdown(&self) {
        let running: Vec<_> = lock(&self.tasks)
            .values_mut()
            .map(|t| (t.ctl.clone(), t.handle.take()))
            .collect();
        for (ctl, _) in &running {
            let _ = ctl.try_send(task::Ctl::Stop);
        }
        for (_, h) in running {
            if let Some(h) = h {
                let _ = tokio::time::timeout(engine::STOP_GRACE + Duration::from_secs(6), h).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trtc_proto::RoomId;

    fn entry(seq: u64, status: TaskStatus, user: &str) -> TaskEntry {
        TaskEntry {
            sdk_app_id: 1,
            room: RoomId::Num(8),
            user_id: user.into(),
            shared: Arc::new(Mutex::new(TaskShared {
                status,
                files: vec![],
                engine_failures: 0,
                exit_reason: None,
                mix_users: None,
            })),
            ctl: mpsc::channel(1).0,
            handle: None,
            seq,
            relay: false,
        }
    }

    fn req(user: &str) -> CreateReq {
        CreateReq {
            sdk_app_id: 1,
            room: RoomId::Num(8),
            user_id: user.into(),
            user_sig: "x".into(),
            max_idle_secs: 30,
            stream_type: params::StreamType::AudioVideo,
            lists: SubscribeLists::default(),
            mix: None,
            cdn: None,
        }
    }

    #[test]
    fn running_tasks_are_bounded_and_recorders_unique() {
        let mut tasks = HashMap::new();
        for i in 0..MAX_RUNNING_TASKS as u64 - 1 {
            tasks.insert(
                format!("t{i}"),
                entry(i, TaskStatus::InProgress, &format!("r{i}")),
            );
        }
        // Ended tasks do not count.
        tasks.insert("old".into(), entry(99, TaskStatus::Exited, "r-old"));
        assert_eq!(room_for_task(&tasks, &req("r-old")), Ok(()));
        assert_eq!(
            room_for_task(&tasks, &req("r0")).unwrap_err().code,
            "FailedOperation.TaskExist"
        );
        let other_room = CreateReq {
            room: RoomId::Num(9),
            ..req("r0")
        };
        assert_eq!(room_for_task(&tasks, &other_room), Ok(()));
        tasks.insert("last".into(), entry(100, TaskStatus::Idle, "r-last"));
        assert_eq!(
            room_for_task(&tasks, &req("new")).unwrap_err().code,
            "LimitExceeded.Task"
        );
    }

    #[test]
    fn the_oldest_ended_tasks_are_forgotten() {
        let mut tasks = HashMap::new();
        for i in 0..40u64 {
            tasks.insert(format!("e{i}"), entry(i, TaskStatus::Exited, "r"));
        }
        tasks.insert("run".into(), entry(0, TaskStatus::InProgress, "r"));
        forget_ended(&mut tasks);
        assert_eq!(
            tasks.len(),
            MAX_KEPT_TASKS,
            "room for one more ended task, the running one kept"
        );
        assert!(tasks.contains_key("run"));
        assert!(tasks.contains_key("e39") && !tasks.contains_key("e8"));
    }

    #[test]
    fn task_ids_are_hex_and_distinct() {
        let a = new_task_id(1);
        let b = new_task_id(2);
        assert_ne!(a, b);
        for id in [&a, &b] {
            assert_eq!(id.len(), 32);
            assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
            assert!(params::check_task_id(id).is_ok());
        }
    }
}
