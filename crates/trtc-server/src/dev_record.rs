//! Dev mode: cloud recording for the demo (`/trtc/dev/recording…`, only with `--dev`, for the
//! dev app; `404` otherwise, as every dev endpoint).
//!
//! The admin API's recording needs an admin userSig, which dev mode never signs. These endpoints
//! start, stop, list and hand out the recordings of the dev app's rooms through the same
//! [`Recorder`] calls as the admin handlers (`CreateIn::check` then `create`, `describe`,
//! `delete`); a refusal of theirs is answered with the admin API's status and code. They act
//! only on the tasks they started themselves: a task the app's backend started through the admin
//! API is neither listed nor stopped here.
//!
//! * `POST /trtc/dev/recording?roomId=N` (or `strRoomId=S`) `[&mode=single|mix]` → `{"taskId",
//!   "mode", "recorder"}`: a file per user (`single`, the default) or one mixed file (`mix`); the
//!   recorder enters the room as [`Mode::recorder`], with a userSig dev mode signs for it.
//! * `DELETE /trtc/dev/recording?taskId=…` → the task (as listed), once its files are finished.
//! * `GET /trtc/dev/recordings` → `{"enabled", "tasks": [...]}`, the newest task first, each with
//!   its status and files: name, user, state, size, begin/end (unix ms), and a `url` once the
//!   file is finished.
//! * `GET /trtc/dev/recording/file?taskId=…&name=…` → that finished file, `video/x-matroska`.
//!   `name` must be one of the names the task itself reported (the part of its `FileName` after
//!   `TaskId/`); the path read is the reported one under `--record-dir`, never one built from the
//!   request.
//!
//! Errors are plain text, as the other dev endpoints': `400` for a malformed query (a room id,
//! mode, task id or file name that is not one), `404` for a task or file this demo does not
//! have, `409` for a file still being written; the recorder's refusals as
//! `<Code>: <message>` with the admin API's status (e.g. `503 FailedOperation.EngineUnavailable`
//! without FFmpeg). Nothing from the request is echoed longer than
//! [`crate::room::ECHO_CHARS`] characters.

use std::collections::VecDeque;
use std::path::{Component, Path};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tower::ServiceExt;
use tower_http::services::ServeFile;
use trtc_proto::RoomId;

use crate::admin::ApiError;
use crate::clock::now_unix;
use crate::dev::dev_mode_off;
use crate::hub::Hub;
use crate::record::params::{self, CreateIn, Invalid, RecordParamsIn};
use crate::record::{Recorder, MAX_KEPT_TASKS, MAX_RUNNING_TASKS};
use crate::room::{clip, ECHO_CHARS};

/// The most tasks of the demo remembered (as many as the recorder keeps).
const MAX_DEV_TASKS: usize = MAX_KEPT_TASKS + MAX_RUNNING_TASKS;
/// The longest file name taken (the recorder's are well under it).
pub const MAX_FILE_NAME_BYTES: usize = 200;
/// How long the recorder's userSig is valid: the longest a task may wait for its room.
const RECORDER_SIG_SECS: u64 = 24 * 3600;
/// The type of the files (Matroska: what the engines write).
pub const FILE_CONTENT_TYPE: &str = "video/x-matroska";

/// A recording of the demo: a file per user, or one mixed file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `RecordMode` 1.
    Single,
    /// `RecordMode` 2.
    Mix,
}

impl Mode {
    fn parse(text: Option<&str>) -> Result<Mode, Refused> {
        match text {
            None | Some("single") => Ok(Mode::Single),
            Some("mix") => Ok(Mode::Mix),
            Some(other) => Err(bad(format!(
                "mode {:?} is neither `single` (a file per user) nor `mix` (one mixed file)",
                clip(other, ECHO_CHARS)
            ))),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Mode::Single => "single",
            Mode::Mix => "mix",
        }
    }

    fn record_mode(self) -> i64 {
        match self {
            Mode::Single => 1,
            Mode::Mix => 2,
        }
    }

    /// The userId the recorder enters the room as (one task of each mode per room).
    pub fn recorder(self) -> &'static str {
        match self {
            Mode::Single => "dev-recorder",
            Mode::Mix => "dev-recorder-mix",
        }
    }
}

struct DevTask {
    id: String,
    room: RoomId,
    mode: Mode,
}

/// What the handlers share.
#[derive(Clone)]
struct DevRecState {
    hub: Arc<Hub>,
    recorder: Arc<Recorder>,
    /// The tasks started here, the newest first.
    tasks: Arc<Mutex<VecDeque<DevTask>>>,
}

impl DevRecState {
    fn tasks(&self) -> std::sync::MutexGuard<'_, VecDeque<DevTask>> {
        self.tasks.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn knows(&self, task_id: &str) -> bool {
        self.tasks().iter().any(|t| t.id == task_id)
    }

    /// The dev app's sdkAppId and key, or the dev-mode-off refusal.
    fn dev_app(&self) -> Result<(u64, String), Refused> {
        self.hub.dev_app().cloned().ok_or_else(|| {
            let (status, message) = dev_mode_off();
            (status, message.to_string())
        })
    }
}

/// The routes, served by `recorder` (the one the admin API uses).
pub(crate) fn router(hub: Arc<Hub>, recorder: Arc<Recorder>) -> Router {
    Router::new()
        .route(
            "/trtc/dev/recording",
            post(start).delete(stop).fallback(other_method),
        )
        .route("/trtc/dev/recordings", get(list).fallback(other_method))
        .route("/trtc/dev/recording/file", get(file).fallback(other_method))
        .with_state(DevRecState {
            hub,
            recorder,
            tasks: Arc::default(),
        })
}

/// Any other method: without dev mode the dev-mode-off `404`, as for the routes' own methods.
async fn other_method(State(s): State<DevRecState>) -> Response {
    match s.dev_app() {
        Err(off) => off.into_response(),
        Ok(_) => (
            StatusCode::METHOD_NOT_ALLOWED,
            "POST /trtc/dev/recording starts a recording and DELETE stops it; GET /trtc/dev/recordings lists them and GET /trtc/dev/recording/file downloads a file",
        )
            .into_response(),
    }
}

/// A refused request: the status and a plain-text message.
type Refused = (StatusCode, String);

fn answer(result: Result<Response, Refused>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

fn bad(message: String) -> Refused {
    (StatusCode::BAD_REQUEST, message)
}

fn not_found(message: &str) -> Refused {
    (StatusCode::NOT_FOUND, message.to_string())
}

/// A refusal of the recorder: the admin API's status, `<Code>: <message>`.
fn refused(e: Invalid) -> Refused {
    let e = ApiError::from(e);
    (e.status, format!("{}: {}", e.code, e.message))
}

/// The query, or a `400` that echoes none of it.
fn query_of<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, Refused> {
    query
        .map(|Query(q)| q)
        .map_err(|_| bad("unreadable query string (each parameter at most once)".to_string()))
}

/// A task id as the recorder takes it (`400` otherwise), then one of the demo's (`404`).
fn task_of(s: &DevRecState, task_id: Option<String>) -> Result<String, Refused> {
    let Some(id) = task_id else {
        return Err(bad(
            "give taskId (as /trtc/dev/recordings lists it)".to_string()
        ));
    };
    params::check_task_id(&id).map_err(|e| bad(e.message))?;
    if !s.knows(&id) {
        return Err(not_found(
            "no such recording task of the demo: use a taskId /trtc/dev/recordings lists",
        ));
    }
    Ok(id)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartQuery {
    room_id: Option<String>,
    str_room_id: Option<String>,
    mode: Option<String>,
}

/// `POST /trtc/dev/recording?roomId=…|strRoomId=…[&mode=single|mix]`.
async fn start(
    State(s): State<DevRecState>,
    query: Result<Query<StartQuery>, QueryRejection>,
) -> Response {
    answer(start_task(s, query).await)
}

async fn start_task(
    s: DevRecState,
    query: Result<Query<StartQuery>, QueryRejection>,
) -> Result<Response, Refused> {
    let (app, key) = s.dev_app()?;
    let q = query_of(query)?;
    let mode = Mode::parse(q.mode.as_deref())?;
    let (room_id, room_id_type) = match (q.room_id, q.str_room_id) {
        (Some(n), None) => (n, 1),
        (None, Some(s)) => (s, 0),
        _ => return Err(bad("give roomId or strRoomId (one of them)".to_string())),
    };
    let recorder = mode.recorder();
    // The admin API's request, as a backend would send it; checked and run by the same code.
    let create = CreateIn {
        sdk_app_id: app,
        room_id: Value::String(room_id),
        room_id_type: Some(room_id_type),
        user_id: recorder.to_string(),
        user_sig: trtc_usersig::sign(app, &key, recorder, RECORDER_SIG_SECS, now_unix()),
        record_params: RecordParamsIn {
            record_mode: Some(mode.record_mode()),
            max_idle_time: None,
            stream_type: None,
            subscribe: None,
            output_format: None,
        },
        storage_params: None,
        mix_transcode: None,
        mix_layout: None,
    };
    let req = create.check().map_err(refused)?;
    let room = req.room.clone();
    let id = s.recorder.create(&s.hub, req).await.map_err(refused)?;
    tracing::info!(task = %id, ?room, mode = mode.as_str(), "dev: recording started");
    let mut tasks = s.tasks();
    tasks.push_front(DevTask {
        id: id.clone(),
        room,
        mode,
    });
    tasks.truncate(MAX_DEV_TASKS);
    Ok(Json(json!({ "taskId": id, "mode": mode.as_str(), "recorder": recorder })).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TaskQuery {
    task_id: Option<String>,
}

/// `DELETE /trtc/dev/recording?taskId=…`: ends the task; answers it as listed.
async fn stop(
    State(s): State<DevRecState>,
    query: Result<Query<TaskQuery>, QueryRejection>,
) -> Response {
    answer(stop_task(s, query).await)
}

async fn stop_task(
    s: DevRecState,
    query: Result<Query<TaskQuery>, QueryRejection>,
) -> Result<Response, Refused> {
    let (app, _) = s.dev_app()?;
    let id = task_of(&s, query_of(query)?.task_id)?;
    s.recorder.delete(app, &id, false).await.map_err(refused)?;
    tracing::info!(task = %id, "dev: recording stopped");
    let task = listed(&s, app, &id).ok_or_else(|| not_found("the task has been forgotten"))?;
    Ok(Json(task).into_response())
}

/// `GET /trtc/dev/recordings`.
async fn list(State(s): State<DevRecState>) -> Response {
    let app = match s.dev_app() {
        Ok((app, _)) => app,
        Err(e) => return e.into_response(),
    };
    let ids: Vec<String> = s.tasks().iter().map(|t| t.id.clone()).collect();
    let mut tasks = vec![];
    for id in ids {
        match listed(&s, app, &id) {
            Some(t) => tasks.push(t),
            // Forgotten by the recorder (too many newer tasks have ended).
            None => s.tasks().retain(|t| t.id != id),
        }
    }
    Json(json!({ "enabled": s.recorder.dir().is_some(), "tasks": tasks })).into_response()
}

/// Whether a file of `Describe`'s `StorageFileList` is complete: ended, and its engine done.
fn finished(f: &Value) -> bool {
    !f["EndTimeStamp"].is_null()
        && matches!(
            f["Engine"]["State"].as_str(),
            Some("finished" | "ended" | "crashed")
        )
}

/// A path relative to `--record-dir` made only of plain names (`TaskId/name.mkv`).
fn plain_relative(path: &str) -> bool {
    !path.is_empty()
        && Path::new(path)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

/// A task of the demo as listed: `Describe`'s report, with sizes and download links.
fn listed(s: &DevRecState, app: u64, id: &str) -> Option<Value> {
    let (room, mode) = {
        let tasks = s.tasks();
        let t = tasks.iter().find(|t| t.id == id)?;
        (t.room.clone(), t.mode)
    };
    let d = s.recorder.describe(app, id).ok()?;
    let dir = s.recorder.dir();
    let files: Vec<Value> = d["StorageFileList"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            let file_name = f["FileName"].as_str()?;
            let (_, name) = file_name.split_once('/')?;
            let size = dir
                .as_ref()
                .filter(|_| plain_relative(file_name))
                .and_then(|d| std::fs::metadata(d.join(file_name)).ok())
                .map(|m| m.len());
            let done = finished(f);
            Some(json!({
                "name": name,
                "userId": f["UserId"],
                "trackType": f["TrackType"],
                "state": f["Engine"]["State"],
                "begin": f["BeginTimeStamp"],
                "end": f["EndTimeStamp"],
                "size": size,
                "finished": done,
                "url": done.then(|| format!("/trtc/dev/recording/file?taskId={id}&name={name}")),
            }))
        })
        .collect();
    let mut task = json!({
        "taskId": id,
        "mode": mode.as_str(),
        "status": d["Status"],
        "exitReason": d["ExitReason"],
        "files": files,
    });
    match room {
        RoomId::Num(n) => task["roomId"] = json!(n),
        RoomId::Str(r) => task["strRoomId"] = json!(r),
    }
    Some(task)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileQuery {
    task_id: Option<String>,
    name: Option<String>,
}

/// A file name as the recorder makes them: letters, digits, `_`, `-` and `.`, not `..`.
fn check_name(name: &str) -> Result<(), Refused> {
    let ok = !name.is_empty()
        && name.len() <= MAX_FILE_NAME_BYTES
        && !name.starts_with('.')
        && !name.contains("..")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(bad(format!(
            "name {:?} is not a recording's file name (as /trtc/dev/recordings lists it)",
            clip(name, ECHO_CHARS)
        )))
    }
}

/// `GET /trtc/dev/recording/file?taskId=…&name=…`.
async fn file(
    State(s): State<DevRecState>,
    query: Result<Query<FileQuery>, QueryRejection>,
    req: Request,
) -> Response {
    answer(serve_file(s, query, req).await)
}

async fn serve_file(
    s: DevRecState,
    query: Result<Query<FileQuery>, QueryRejection>,
    req: Request,
) -> Result<Response, Refused> {
    let (app, _) = s.dev_app()?;
    let q = query_of(query)?;
    let Some(name) = q.name else {
        return Err(bad(
            "give name (as /trtc/dev/recordings lists it)".to_string()
        ));
    };
    check_name(&name)?;
    let id = task_of(&s, q.task_id)?;
    let d = s
        .recorder
        .describe(app, &id)
        .map_err(|_| not_found("the task has been forgotten"))?;
    let wanted = format!("{id}/{name}");
    let f = d["StorageFileList"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["FileName"].as_str() == Some(wanted.as_str()))
        .ok_or_else(|| {
            not_found("the task has no file of that name: use a name /trtc/dev/recordings lists")
        })?;
    if !finished(f) {
        return Err((
            StatusCode::CONFLICT,
            "the file is still being written: stop the recording (or wait for its user to stop publishing) first".to_string(),
        ));
    }
    // The task's own report of the file, relative to --record-dir.
    let reported = f["FileName"].as_str().unwrap_or_default();
    let dir = s
        .recorder
        .dir()
        .filter(|_| plain_relative(reported))
        .ok_or_else(|| not_found("no such file"))?;
    let path = dir.join(reported);
    let Ok(res) = ServeFile::new(&path).oneshot(req).await;
    let mut res = res.map(Body::new);
    if res.status().is_success() {
        let h = res.headers_mut();
        h.insert(CONTENT_TYPE, HeaderValue::from_static(FILE_CONTENT_TYPE));
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        // `name` passed check_name: plain ASCII, no quotes.
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            h.insert(CONTENT_DISPOSITION, v);
        }
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_plain() {
        assert!(check_name("1400000001_8__UserId_s_616c696365__UserId_e_main_0.mkv").is_ok());
        assert!(check_name("1400000001_s6162__mix_0.mkv").is_ok());
        for bad in [
            "",
            "..",
            "../x.mkv",
            "a/../b",
            "a/b.mkv",
            ".hidden",
            "x..mkv",
            "a\\b",
            "a b",
            "%2e%2e",
            "é.mkv",
            &"a".repeat(MAX_FILE_NAME_BYTES + 1),
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_plain_relative_paths() {
        assert!(plain_relative("0123abcd/1_8__mix_0.mkv"));
        for bad in ["", "/etc/passwd", "../x", "a/../b", "./a", "a//b/.."] {
            assert!(!plain_relative(bad), "{bad:?}");
        }
    }

    #[test]
    fn finished_means_ended_and_the_engine_done() {
        let f = |end: Value, state: &str| json!({"EndTimeStamp": end, "Engine": {"State": state}});
        assert!(finished(&f(json!(5), "finished")));
        assert!(finished(&f(json!(5), "ended")));
        assert!(finished(&f(json!(5), "crashed")));
        assert!(!finished(&f(json!(5), "stopping")));
        assert!(!finished(&f(json!(5), "failed")));
        assert!(!finished(&f(Value::Null, "recording")));
    }
}
