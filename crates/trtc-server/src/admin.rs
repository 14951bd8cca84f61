//! The admin REST API (`/trtc/admin/v1/…`), modelled on TRTC's server API: list rooms, remove
//! users (`RemoveUser`, `RemoveUserByStrRoomId`), dismiss rooms (`DismissRoom`,
//! `DismissRoomByStrRoomId`). JSON in and out; the handlers check who asks, translate, and
//! delegate to the room registry through the [`Hub`].
//!
//! ## Auth
//!
//! Like TRTC's (and Tencent IM's) server APIs, a request proves it comes from the app's admin with
//! an admin userSig in the query string:
//! `?sdkappid=<app>&identifier=<admin>&usersig=<sig>&random=<any number>`.
//!
//! * `usersig` is a TLS-sig v2 userSig for the admin identifier (the server's
//!   `--admin-identifier`, default [`crate::hub::DEFAULT_ADMIN_IDENTIFIER`]), signed with the app's secret
//!   key — made exactly like a user's userSig. `identifier` may be left out (it defaults to the
//!   admin identifier); `random` is accepted and ignored.
//! * `401 Unauthorized`: `sdkappid` or `usersig` missing, or `sdkappid` not a number.
//! * `403 Forbidden`: the app is not configured; `identifier` is not the admin identifier; the
//!   userSig is bad, expired, or signed for another app or user; the body's `SdkAppId` differs
//!   from `sdkappid`.
//!
//! ## Answers
//!
//! Success: `200` with `{"RequestId": "…"}` (plus the data for listings). Failure: the HTTP status
//! and `{"Error": {"Code": "…", "Message": "…"}, "RequestId": "…"}` with a Tencent-style code
//! (table in [`ApiError`]'s constructors). Checks run in this order — auth, body, `SdkAppId`,
//! then the registry — and any failure changes nothing.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{FromRef, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use trtc_proto::{room_id, RoomId};
use trtc_usersig::VerifyError;

use crate::clock::{now_unix, now_unix_nanos};
use crate::hub::Hub;
use crate::record::cdn::{self, StartIn, UpdateIn};
use crate::record::params::{CreateIn, Invalid, SubscribeLists};
use crate::record::Recorder;
use crate::room::AdminError;

/// Where the admin API lives.
pub const PREFIX: &str = "/trtc/admin/v1";

/// The admin routes, to be nested at [`PREFIX`] (recording off).
pub fn router(hub: Arc<Hub>) -> Router {
    router_with_recorder(hub, Recorder::new())
}

/// What the admin handlers share: the hub, and the recording tasks.
#[derive(Clone)]
pub struct AdminState {
    hub: Arc<Hub>,
    recorder: Arc<Recorder>,
}

impl FromRef<AdminState> for Arc<Hub> {
    fn from_ref(s: &AdminState) -> Arc<Hub> {
        s.hub.clone()
    }
}

/// [`router`] with the recording actions served by `recorder`.
pub fn router_with_recorder(hub: Arc<Hub>, recorder: Arc<Recorder>) -> Router {
    Router::new()
        .route("/CreateCloudRecording", post(create_cloud_recording))
        .route("/DescribeCloudRecording", post(describe_cloud_recording))
        .route("/ModifyCloudRecording", post(modify_cloud_recording))
        .route("/DeleteCloudRecording", post(delete_cloud_recording))
        .route("/StartPublishCdnStream", post(start_publish_cdn_stream))
        .route("/UpdatePublishCdnStream", post(update_publish_cdn_stream))
        .route("/StopPublishCdnStream", post(stop_publish_cdn_stream))
        .route("/rooms", get(list_rooms))
        .route("/RemoveUser", post(remove_user))
        .route("/RemoveUserByStrRoomId", post(remove_user_by_str_room_id))
        .route("/DismissRoom", post(dismiss_room))
        .route("/DismissRoomByStrRoomId", post(dismiss_room_by_str_room_id))
        .fallback(unknown_action)
        .method_not_allowed_fallback(wrong_method)
        .with_state(AdminState { hub, recorder })
}

/// A refused admin request: HTTP status, Tencent-style error code, and a message that says
/// what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The Tencent-style error code (`Error.Code`).
    pub code: &'static str,
    /// What was wrong and what to do (`Error.Message`).
    pub message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
    /// 401 `AuthFailure.InvalidAuthorization`: no usable credentials.
    fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "AuthFailure.InvalidAuthorization",
            message,
        )
    }
    /// 403 `UnauthorizedOperation.SdkAppId`: not allowed to act on this sdkAppId.
    fn wrong_app(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "UnauthorizedOperation.SdkAppId",
            message,
        )
    }
    /// 400 `InvalidParameter…`: the body is not what the action takes.
    fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
}

impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> Self {
        let code = match e {
            AdminError::NoSuchRoom { .. } => "FailedOperation.RoomNotExist",
            AdminError::NoSuchUsers { .. } => "FailedOperation.UserNotExist",
            AdminError::NoUsers => {
                return Self::bad_request("InvalidParameter.UserIds", e.to_string())
            }
        };
        Self::new(StatusCode::NOT_FOUND, code, e.to_string())
    }
}

static NEXT_REQUEST: AtomicU64 = AtomicU64::new(1);

/// A request id unique within this server's run, shaped like Tencent's (a UUID).
fn request_id() -> String {
    let nanos = now_unix_nanos();
    let n = NEXT_REQUEST.fetch_add(1, Ordering::Relaxed);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        (nanos >> 32) as u32,
        (nanos >> 16) as u16,
        nanos as u16,
        (n >> 48) as u16,
        n & 0xffff_ffff_ffff
    )
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "Error": { "Code": self.code, "Message": self.message },
            "RequestId": request_id(),
        });
        (self.status, Json(body)).into_response()
    }
}

fn ok(mut data: Value) -> Response {
    if let Some(map) = data.as_object_mut() {
        map.insert("RequestId".into(), Value::String(request_id()));
    }
    Json(data).into_response()
}

/// Who an admin request proved to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin {
    /// The app the request's userSig is signed for.
    pub sdk_app_id: u64,
    /// The admin identifier it is signed as.
    pub identifier: String,
}

/// Checks the admin credentials of a request's query string (see the module docs).
pub fn authenticate(
    hub: &Hub,
    query: &HashMap<String, String>,
    now_unix: u64,
) -> Result<Admin, ApiError> {
    let param = |name: &str| {
        query
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let missing: Vec<&str> = ["sdkappid", "usersig"]
        .into_iter()
        .filter(|p| param(p).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::unauthorized(format!(
            "missing {}: the admin API needs ?sdkappid=<app>&identifier={}&usersig=<userSig of the admin identifier, signed with the app's secret key>&random=<number>",
            missing.join(" and "),
            hub.admin_identifier()
        )));
    }
    let app_text = param("sdkappid").unwrap_or_default();
    let sdk_app_id: u64 = app_text
        .parse()
        .map_err(|_| ApiError::unauthorized(format!("sdkappid '{app_text}' is not a number")))?;
    let identifier = param("identifier").unwrap_or(hub.admin_identifier());
    if identifier != hub.admin_identifier() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "AuthFailure.UnauthorizedOperation",
            format!(
                "identifier '{identifier}' is not the admin: sign the userSig for '{}' (the server's --admin-identifier)",
                hub.admin_identifier()
            ),
        ));
    }
    let Some(key) = hub.apps().key(sdk_app_id) else {
        return Err(ApiError::wrong_app(format!(
            "sdkAppId {sdk_app_id} is not configured on this server (start it with --app {sdk_app_id}:<secret key>)"
        )));
    };
    let user_sig = param("usersig").unwrap_or_default();
    trtc_usersig::verify(user_sig, sdk_app_id, key, identifier, now_unix).map_err(|e| {
        let message = format!("admin userSig refused: {e}");
        match e {
            VerifyError::Expired { .. } => ApiError::new(
                StatusCode::FORBIDDEN,
                "AuthFailure.SignatureExpire",
                message,
            ),
            VerifyError::WrongApp { .. } => ApiError::wrong_app(message),
            _ => ApiError::new(
                StatusCode::FORBIDDEN,
                "AuthFailure.SignatureFailure",
                message,
            ),
        }
    })?;
    Ok(Admin {
        sdk_app_id,
        identifier: identifier.to_string(),
    })
}

type QueryMap = Result<Query<HashMap<String, String>>, QueryRejection>;

fn admin_of(hub: &Hub, query: QueryMap) -> Result<Admin, ApiError> {
    let Query(query) =
        query.map_err(|e| ApiError::unauthorized(format!("unreadable query string: {e}")))?;
    authenticate(hub, &query, now_unix())
}

/// Parses the JSON body of `action` and checks its `SdkAppId` against the admin's.
fn body_of<T: DeserializeOwned + HasApp>(
    admin: &Admin,
    action: &str,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    let body = body.map_err(|e| ApiError::bad_request("InvalidParameter", format!("body: {e}")))?;
    let req: T = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(
            "InvalidParameter",
            format!("the body is not a JSON {action} request ({e}); see the README's Admin API"),
        )
    })?;
    if req.app() != admin.sdk_app_id {
        return Err(ApiError::wrong_app(format!(
            "the body's SdkAppId {} is not the sdkappid {} the request is signed for",
            req.app(),
            admin.sdk_app_id
        )));
    }
    Ok(req)
}

trait HasApp {
    fn app(&self) -> u64;
}

#[derive(Deserialize)]
struct NumRoomReq {
    #[serde(rename = "SdkAppId")]
    sdk_app_id: u64,
    #[serde(rename = "RoomId")]
    room_id: u64,
    #[serde(rename = "UserIds", default)]
    user_ids: Vec<String>,
}

/// `RoomId` is a string in Tencent's `…ByStrRoomId` actions; `StrRoomId` is accepted too.
#[derive(Deserialize)]
struct StrRoomReq {
    #[serde(rename = "SdkAppId")]
    sdk_app_id: u64,
    #[serde(rename = "RoomId", alias = "StrRoomId")]
    room_id: String,
    #[serde(rename = "UserIds", default)]
    user_ids: Vec<String>,
}

impl HasApp for NumRoomReq {
    fn app(&self) -> u64 {
        self.sdk_app_id
    }
}
impl HasApp for StrRoomReq {
    fn app(&self) -> u64 {
        self.sdk_app_id
    }
}

impl NumRoomReq {
    fn room(&self) -> Result<RoomId, ApiError> {
        match u32::try_from(self.room_id) {
            Ok(n) if room_id::valid_num_room_id(n) => Ok(RoomId::Num(n)),
            _ => Err(ApiError::bad_request(
                "InvalidParameter.RoomId",
                format!(
                    "RoomId {} is not a room id (1 to {}); string room ids go to the …ByStrRoomId actions",
                    self.room_id,
                    room_id::NUM_ROOM_ID_MAX
                ),
            )),
        }
    }
}

impl StrRoomReq {
    fn room(&self) -> Result<RoomId, ApiError> {
        if room_id::valid_str_room_id(&self.room_id) {
            Ok(RoomId::Str(self.room_id.clone()))
        } else {
            Err(ApiError::bad_request(
                "InvalidParameter.RoomId",
                format!(
                    "{:?} is not a strRoomId (1 to {} characters: letters, digits, space and !#$%&()+-:;<=.>?@[]^_{{}}|~,)",
                    self.room_id,
                    room_id::STR_ROOM_ID_MAX_LEN
                ),
            ))
        }
    }
}

/// `GET /trtc/admin/v1/rooms`: the app's rooms and their users.
async fn list_rooms(State(hub): State<Arc<Hub>>, query: QueryMap) -> Response {
    let asked = query
        .as_ref()
        .ok()
        .and_then(|Query(q)| q.get("sdkAppId").cloned());
    let admin = match admin_of(&hub, query) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    if let Some(asked) = asked {
        if asked != admin.sdk_app_id.to_string() {
            return ApiError::wrong_app(format!(
                "sdkAppId {asked} is not the sdkappid {} the request is signed for",
                admin.sdk_app_id
            ))
            .into_response();
        }
    }
    let rooms: Vec<Value> = hub
        .rooms_of(admin.sdk_app_id)
        .into_iter()
        .map(|(room, users)| match room {
            RoomId::Num(n) => json!({ "RoomId": n, "UserIds": users }),
            RoomId::Str(s) => json!({ "StrRoomId": s, "UserIds": users }),
        })
        .collect();
    ok(json!({ "SdkAppId": admin.sdk_app_id, "Rooms": rooms }))
}

/// Runs one admin action: auth, body, then `act` on the hub.
fn action<T: DeserializeOwned + HasApp>(
    hub: &Hub,
    name: &'static str,
    query: QueryMap,
    body: Result<Bytes, BytesRejection>,
    act: impl FnOnce(&Hub, u64, &T) -> Result<String, ApiError>,
) -> Response {
    let result = admin_of(hub, query).and_then(|admin| {
        let req: T = body_of(&admin, name, body)?;
        act(hub, admin.sdk_app_id, &req)
    });
    match result {
        Ok(done) => {
            tracing::info!(action = name, "admin: {done}");
            ok(json!({}))
        }
        Err(e) => {
            tracing::info!(action = name, status = %e.status, "admin request refused: {}", e.message);
            e.into_response()
        }
    }
}

fn remove(hub: &Hub, app: u64, room: RoomId, user_ids: &[String]) -> Result<String, ApiError> {
    hub.remove_users(app, &room, user_ids)?;
    Ok(format!(
        "removed {user_ids:?} from {room:?} of sdkAppId {app}"
    ))
}

fn dismiss(hub: &Hub, app: u64, room: RoomId) -> Result<String, ApiError> {
    hub.dismiss_room(app, &room)?;
    Ok(format!("dismissed {room:?} of sdkAppId {app}"))
}

/// `POST /trtc/admin/v1/RemoveUser` `{"SdkAppId", "RoomId": number, "UserIds": [...]}`.
async fn remove_user(
    State(hub): State<Arc<Hub>>,
    query: QueryMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    action(
        &hub,
        "RemoveUser",
        query,
        body,
        |hub, app, req: &NumRoomReq| remove(hub, app, req.room()?, &req.user_ids),
    )
}

/// `POST /trtc/admin/v1/RemoveUserByStrRoomId` `{"SdkAppId", "RoomId": string, "UserIds"}`.
async fn remove_user_by_str_room_id(
    State(hub): State<Arc<Hub>>,
    query: QueryMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    action(
        &hub,
        "RemoveUserByStrRoomId",
        query,
        body,
        |hub, app, req: &StrRoomReq| remove(hub, app, req.room()?, &req.user_ids),
    )
}

/// `POST /trtc/admin/v1/DismissRoom` `{"SdkAppId", "RoomId": number}`.
async fn dismiss_room(
    State(hub): State<Arc<Hub>>,
    query: QueryMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    action(
        &hub,
        "DismissRoom",
        query,
        body,
        |hub, app, req: &NumRoomReq| dismiss(hub, app, req.room()?),
    )
}

/// `POST /trtc/admin/v1/DismissRoomByStrRoomId` `{"SdkAppId", "RoomId": string}`.
async fn dismiss_room_by_str_room_id(
    State(hub): State<Arc<Hub>>,
    query: QueryMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    action(
        &hub,
        "DismissRoomByStrRoomId",
        query,
        body,
        |hub, app, req: &StrRoomReq| dismiss(hub, app, req.room()?),
    )
}

async fn unknown_action() -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "InvalidAction",
        "no such admin action: use GET rooms, or POST RemoveUser, RemoveUserByStrRoomId, DismissRoom, DismissRoomByStrRoomId, CreateCloudRecording, DescribeCloudRecording, ModifyCloudRecording, DeleteCloudRecording, StartPublishCdnStream, UpdatePublishCdnStream or StopPublishCdnStream",
    )
    .into_response()
}

async fn wrong_method() -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "UnsupportedOperation",
        "wrong method: rooms is GET, the actions are POST with a JSON body",
    )
    .into_response()
}

impl From<Invalid> for ApiError {
    /// A refused recording request: the status that goes with its code.
    fn from(e: Invalid) -> Self {
        let status = match e.code {
            "InvalidParameter.TaskId" => StatusCode::NOT_FOUND,
            "FailedOperation.RoomNotExist" => StatusCode::NOT_FOUND,
            "UnauthorizedOperation.SdkAppId" => StatusCode::FORBIDDEN,
            "LimitExceeded.Task" => StatusCode::TOO_MANY_REQUESTS,
            "FailedOperation.TaskExist" | "FailedOperation.TaskNotRunning" => StatusCode::CONFLICT,
            "FailedOperation.RecordingNotEnabled" | "FailedOperation.EngineUnavailable" => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            "FailedOperation.RecordDir" => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError::new(status, e.code, e.message)
    }
}

impl HasApp for StartIn {
    fn app(&self) -> u64 {
        self.sdk_app_id
    }
}

impl HasApp for UpdateIn {
    fn app(&self) -> u64 {
        self.sdk_app_id
    }
}

impl HasApp for CreateIn {
    fn app(&self) -> u64 {
        self.sdk_app_id
    }
}

/// `{"SdkAppId", "TaskId"}` (`SubscribeStreamUserIds` for Modify).
#[derive(Deserialize)]
struct TaskReq {
    #[serde(rename = "SdkAppId")]
    sdk_app_id: u64,
    #[serde(rename = "TaskId")]
    task_id: String,
    #[serde(rename = "SubscribeStreamUserIds", default)]
    subscribe: Option<SubscribeLists>,
}

impl HasApp for TaskReq {
    fn app(&self) -> u64 {
        self.sdk_app_id
    }
}

/// Logs and answers a recording action's result.
fn answer(name: &str, result: Result<Value, ApiError>) -> Response {
    match result {
        Ok(data) => {
            tracing::info!(action = name, "admin: {data}");
            ok(data)
        }
        Err(e) => {
            tracing::info!(action = name, status = %e.status, "admin request refused: {}", e.message);
            e.into_response()
        }
    }
}

/// `POST /trtc/admin/v1/CreateCloudRecording` (see [`crate::record`]) → `{"TaskId"}`.
async fn create_cloud_recording(
    State(s): State<AdminState>,
    query: QueryMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    const NAME: &str = "CreateCloudRecording";
    let req = admin_of(&s.hub, query).and_then(|admin| {
        let req: CreateIn = body_of(&admin, NAME, body)?;
        Ok(req.check()?)
    });
    let result = match req {
        Ok(req) => s
            .recorder
            .create(&s.hub, req)
            .await
            .map(|id| json!({ "TaskId": id }))
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    answer(NAME, result)
}

fn task_req(
    hub: &Hub,
    name: &'static str,
    query: QueryMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<TaskReq, ApiError> {
    let admin = admin_of(hub, query)?;
    body_of(&admin, name, body)
}

/// `POST /trtc/admin/v1/DescribeCloudRecording` `{"SdkAppId", "TaskId"}` → `{"TaskId",
/// "Status", "StorageFileList", …}`.
async fn describe_cloud_recording(
    State(s): State<AdminState>,
    query: QueryMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    const NAME: &str = "DescribeCloudRecording";
    let result = task_req(&s.hub, NAME, query, body)
        .and_then(|r| Ok(s.recorder.describe(r.sdk_app_id, &r.task_id)?));
    match result {
        Ok(data) => ok(data),
        Err(e) => answer(NAME, Err(e)),
    }
}

/// `POST /trtc/admin/v1/ModifyCloudRecording` `{"SdkAppId", "TaskId",
/// "SubscribeStreamUserIds"}` → `{"TaskId"}`.
async fn modify_cloud_recording(
    State(s): State<AdminState>,
    query: QueryMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    const NAME: &str = "ModifyCloudRecording";
    let result = task_req(&s.hub, NAME, query, body).and_then(|r| {
        let Some(lists) = r.subscribe else {
            return Err(ApiError::bad_request(
                "MissingParameter.SubscribeStreamUserIds",
                "ModifyCloudRecording changes SubscribeStreamUserIds: give them",
            ));
        };
        s.recorder.modify(r.sdk_app_id, &r.task_id, lists)?;
        Ok(json!({ "TaskId": r.task_id }))
    });
    answer(NAME, result)
}

/// `POST /trtc/admin/v1/DeleteCloudRecording` `{"SdkAppId", "TaskId"}` → `{"TaskId"}`, once
/// the task's files are finished.
async fn delete_cloud_recording(
    State(s): State<AdminState>,
    query: QueryMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    end_task(s, "DeleteCloudRecording", false, query, body).await
}

/// `POST /trtc/admin/v1/StopPublishCdnStream` `{"SdkAppId", "TaskId"}` → `{"TaskId"}`, once
/// the push has ended.
async fn stop_publish_cdn_stream(
    State(s): State<AdminState>,
    query: QueryMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    end_task(s, "StopPublishCdnStream", true, query, body).await
}

async fn end_task(
    s: AdminState,
    name: &'static str,
    relay: bool,
    query: QueryMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = match task_req(&s.hub, name, query, body) {
        Ok(r) => s
            .recorder
            .delete(r.sdk_app_id, &r.task_id, relay)
            .await
            .map(|()| json!({ "TaskId": r.task_id }))
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    answer(name, result)
}

/// `POST /trtc/admin/v1/StartPublishCdnStream` (see [`crate::record::cdn`]) → `{"TaskId"}`:
/// the room's mix (or one user) pushed to RTMP URLs. `DescribeCloudRecording` describes it,
/// `StopPublishCdnStream` (as `DeleteCloudRecording`) ends it.
async fn start_publish_cdn_stream(
    State(s): State<AdminState>,
    query: QueryMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    const NAME: &str = "StartPublishCdnStream";
    let req = admin_of(&s.hub, query).and_then(|admin| {
        let req: StartIn = body_of(&admin, NAME, body)?;
        Ok(req.check()?)
    });
    let result = match req {
        Ok(req) => s
            .recorder
            .create(&s.hub, req)
            .await
            .map(|id| json!({ "TaskId": id }))
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    answer(NAME, result)
}

/// `POST /trtc/admin/v1/UpdatePublishCdnStream` `{"SdkAppId", "TaskId", "AudioParams",
/// "VideoParams", "PublishCdnParams"}` → `{"TaskId"}`: the push starts again with them.
async fn update_publish_cdn_stream(
    State(s): State<AdminState>,
    query: QueryMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    const NAME: &str = "UpdatePublishCdnStream";
    let result = admin_of(&s.hub, query).and_then(|admin| {
        let r: UpdateIn = body_of(&admin, NAME, body)?;
        let urls = r.cdn.as_deref().map(cdn::urls).transpose()?;
        let spec = if r.audio.is_some() || r.video.is_some() {
            Some(cdn::spec(r.audio.as_ref(), r.video.as_ref())?)
        } else {
            None
        };
        s.recorder
            .update_relay(r.sdk_app_id, &r.task_id, spec, urls)?;
        Ok(json!({ "TaskId": r.task_id }))
    });
    answer(NAME, result)
}
