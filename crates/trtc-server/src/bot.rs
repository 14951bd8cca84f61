//! Dev mode: bot participants. `POST /trtc/dev/bot?userId=…&roomId=…` (or `strRoomId=…`) puts a
//! publisher into the room that sends a moving test pattern (VP8) and a beeping tone (Opus)
//! through the SFU, so that a test with one page sees and hears a remote user;
//! `DELETE` with the same query takes it out. It is a real client of this server (the load
//! client's user with a compiled-in clip, `trtc_loadgen::bot`), joining through the signalling
//! with the dev app's userSig and sending over loopback UDP. `404` outside dev mode.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex, OnceLock};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use trtc_loadgen::bot::{Bot, BotConfig};
use trtc_proto::RoomId;

use crate::hub::Hub;

/// At most this many bots run at once.
pub const MAX_BOTS: usize = 8;

/// The bots of one server.
#[derive(Default)]
pub struct Bots {
    /// `ws://host:port/trtc/ws` of this server, once it listens.
    url: OnceLock<String>,
    running: Mutex<Vec<(RoomId, String, Bot)>>,
}

impl Bots {
    /// No bots yet; they can start once [`Bots::set_server_url`] was called.
    pub fn new() -> Arc<Bots> {
        Arc::new(Bots::default())
    }

    /// Where bots connect: this server's signalling URL.
    pub fn set_server_url(&self, ws_url: String) {
        let _ = self.url.set(ws_url);
    }
}

/// `?userId=…&roomId=…` or `&strRoomId=…`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BotQuery {
    user_id: String,
    room_id: Option<u32>,
    str_room_id: Option<String>,
}

impl BotQuery {
    fn room(&self) -> Result<RoomId, (StatusCode, String)> {
        let room = match (&self.room_id, &self.str_room_id) {
            (Some(n), _) => RoomId::Num(*n),
            (None, Some(s)) => RoomId::Str(s.clone()),
            (None, None) => {
                return Err((
                    StatusCode::BAD_REQUEST,
                    "give roomId or strRoomId".to_string(),
                ))
            }
        };
        if !room.is_valid() {
            return Err((StatusCode::BAD_REQUEST, "invalid room id".to_string()));
        }
        if self.user_id.trim().is_empty() || self.user_id.len() > 64 {
            return Err((
                StatusCode::BAD_REQUEST,
                "userId must be 1 to 64 characters".to_string(),
            ));
        }
        Ok(room)
    }
}

type BotState = State<(Arc<Hub>, Arc<Bots>)>;

/// `POST /trtc/dev/bot`: starts a bot in a room.
pub(crate) async fn start(State((hub, bots)): BotState, Query(q): Query<BotQuery>) -> Response {
    let Some((app, key)) = hub.dev_app().cloned() else {
        return (
            StatusCode::NOT_FOUND,
            "dev mode is off (start the server with --dev)",
        )
            .into_response();
    };
    let room = match q.room() {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let Some(url) = bots.url.get().cloned() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "bots are not available on this server",
        )
            .into_response();
    };
    let mut running = bots.running.lock().unwrap_or_else(|p| p.into_inner());
    running.retain(|(_, _, b)| b.is_running());
    if running
        .iter()
        .any(|(r, u, _)| *r == room && *u == q.user_id)
    {
        return (StatusCode::CONFLICT, "that bot is already in the room").into_response();
    }
    if running.len() >= MAX_BOTS {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            format!("at most {MAX_BOTS} bots at once"),
        )
            .into_response();
    }
    let bot = Bot::spawn(BotConfig {
        ws_url: url,
        sdk_app_id: app,
        key,
        room: room.clone(),
        user_id: q.user_id.clone(),
        bind_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
    });
    tracing::info!(user = %q.user_id, ?room, "dev bot started");
    running.push((room, q.user_id.clone(), bot));
    Json(serde_json::json!({ "userId": q.user_id, "sdkAppId": app })).into_response()
}

/// `DELETE /trtc/dev/bot`: takes a bot out of its room.
pub(crate) async fn stop(State((hub, bots)): BotState, Query(q): Query<BotQuery>) -> Response {
    if hub.dev_app().is_none() {
        return (
            StatusCode::NOT_FOUND,
            "dev mode is off (start the server with --dev)",
        )
            .into_response();
    }
    let room = match q.room() {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let bot = {
        let mut running = bots.running.lock().unwrap_or_else(|p| p.into_inner());
        let at = running
            .iter()
            .position(|(r, u, _)| *r == room && *u == q.user_id);
        at.map(|i| running.swap_remove(i).2)
    };
    match bot {
        Some(b) => {
            let _ = b.stop().await;
            StatusCode::NO_CONTENT.into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such bot").into_response(),
    }
}
