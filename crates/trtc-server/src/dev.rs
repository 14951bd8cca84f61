//! The dev-mode endpoints (`/trtc/dev/…`, only with `--dev`; `404` otherwise): test userSigs,
//! and fault injection for trying out (and testing) how calls ride out network trouble. They
//! act through the [`Hub`]'s public methods like any other caller.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use crate::clock::{now_unix, now_unix_ms};
use crate::hub::Hub;
use crate::room::ClientId;

/// The most a block lasts, whatever is asked.
const MAX_BLOCK_MS: u64 = 120_000;

pub(crate) fn dev_mode_off() -> (StatusCode, &'static str) {
    (
        StatusCode::NOT_FOUND,
        "dev mode is off (start the server with --dev)",
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SigQuery {
    user_id: String,
    sdk_app_id: Option<u64>,
}

/// `GET /trtc/dev/usersig?userId=…[&sdkAppId=…]`: a test userSig (valid 24 h) for the dev app,
/// and for no other app (`sdkAppId`, if given, must be the dev app's): a dev server that also
/// serves real apps never signs for them. Never for the admin identifier: even a dev server
/// does not hand out admin rights.
pub(crate) async fn usersig(State(hub): State<Arc<Hub>>, Query(q): Query<SigQuery>) -> Response {
    let Some((dev_id, key)) = hub.dev_app() else {
        return dev_mode_off().into_response();
    };
    let app = q.sdk_app_id.unwrap_or(*dev_id);
    if app != *dev_id {
        return (
            StatusCode::FORBIDDEN,
            format!(
                "dev mode signs userSigs for its test app, sdkAppId {dev_id}, only; sign userSigs for sdkAppId {app} on your backend"
            ),
        )
            .into_response();
    }
    if q.user_id.trim().is_empty() {
        return (StatusCode::BAD_REQUEST, "userId is empty").into_response();
    }
    if q.user_id == hub.admin_identifier() {
        return (
            StatusCode::FORBIDDEN,
            format!(
                "'{}' is the admin identifier: sign admin userSigs with the app's secret key on your backend",
                q.user_id
            ),
        )
            .into_response();
    }
    let sig = trtc_usersig::sign(app, key, &q.user_id, 24 * 3600, now_unix());
    debug_assert!(hub.apps().key(app) == Some(key.as_str()));
    Json(serde_json::json!({ "sdkAppId": app, "userId": q.user_id, "userSig": sig }))
        .into_response()
}

/// The connections of `user_id`, for the fault-injection endpoints (404 outside dev mode or
/// when the user is in no room).
fn dev_clients(hub: &Hub, user_id: &str) -> Result<Vec<ClientId>, (StatusCode, String)> {
    if hub.dev_app().is_none() {
        let (status, message) = dev_mode_off();
        return Err((status, message.to_string()));
    }
    let clients = hub.clients_of(user_id);
    if clients.is_empty() {
        return Err((
            StatusCode::NOT_FOUND,
            format!("user '{user_id}' is not in a room"),
        ));
    }
    Ok(clients)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DropQuery {
    user_id: String,
}

/// `GET /trtc/dev/drop?userId=…`: closes that user's signalling connection as a broken network
/// would — the member stays, waiting for its session to reconnect ([`Hub::cut_at`]).
pub(crate) async fn drop_connection(
    State(hub): State<Arc<Hub>>,
    Query(q): Query<DropQuery>,
) -> Response {
    let clients = match dev_clients(&hub, &q.user_id) {
        Ok(c) => c,
        Err(refused) => return refused.into_response(),
    };
    let now_ms = now_unix_ms();
    for c in &clients {
        hub.cut_at(*c, now_ms);
    }
    Json(serde_json::json!({ "dropped": clients.len() })).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BlockQuery {
    user_id: String,
    ms: u64,
    /// `media`: drop only the media datagrams; signalling flows.
    only: Option<String>,
}

/// `GET /trtc/dev/block?userId=…&ms=…[&only=media]`: for `ms` milliseconds (at most two
/// minutes) that user's media datagrams are dropped and its signalling is held, as when its
/// network stops carrying packets for a while. With `&only=media`, only its media is dropped
/// (what a firewall that starts refusing UDP does).
pub(crate) async fn block(State(hub): State<Arc<Hub>>, Query(q): Query<BlockQuery>) -> Response {
    let clients = match dev_clients(&hub, &q.user_id) {
        Ok(c) => c,
        Err(refused) => return refused.into_response(),
    };
    let media_only = match q.only.as_deref() {
        None => false,
        Some("media") => true,
        Some(other) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("only={other}: the one value known is `media`"),
            )
                .into_response()
        }
    };
    let duration = std::time::Duration::from_millis(q.ms.min(MAX_BLOCK_MS));
    let until = tokio::time::Instant::now() + duration;
    for c in &clients {
        if !media_only {
            hub.block_signalling(*c, until);
        }
        hub.block_media(*c, duration);
    }
    Json(serde_json::json!({ "blocked": clients.len(), "ms": duration.as_millis() as u64 }))
        .into_response()
}
