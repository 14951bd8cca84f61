//! WebSocket signalling (`/trtc/ws`): one task per client that decodes frames, feeds the
//! [`Registry`] and carries out its [`Effect`]s. Also the dev-mode userSig endpoint.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::mpsc;
use trtc_proto::{code, ClientMsg, ServerMsg, MAX_MESSAGE_BYTES};

use crate::limits::{Admit, Limits, MessageGate};
use crate::room::{AdminError, Apps, ClientId, Effect, MediaCmd, Registry};
use trtc_proto::RoomId;

/// What a client's writer task sends.
#[derive(Debug)]
pub enum Out {
    Msg(ServerMsg),
    Close,
}

/// One connected client: where its messages go, and its message-rate rule.
struct Conn {
    tx: mpsc::UnboundedSender<Out>,
    gate: MessageGate,
}

/// Shared state of the signalling layer.
pub struct Hub {
    registry: Mutex<Registry<Apps>>,
    clients: Mutex<HashMap<ClientId, Conn>>,
    /// Caps on rooms, users and message rate ([`Hub::set_limits`]).
    limits: Mutex<Limits>,
    next_id: AtomicU64,
    /// The media plane; `None` runs signalling alone (tests of the room layer).
    media: Option<trtc_sfu::SfuHandle>,
    apps: Apps,
    /// `(sdkAppId, key)` the dev endpoint signs with; `None` outside dev mode.
    dev_app: Option<(u64, String)>,
    /// The userId whose userSig proves a request to the admin API comes from the app's admin.
    admin_identifier: String,
    /// Dev fault injection: clients whose signalling is held until then (`/trtc/dev/block`).
    blocked: Mutex<HashMap<ClientId, tokio::time::Instant>>,
}

pub fn now_unix() -> u64 {
    now_unix_ms() / 1000
}

/// Unix time in milliseconds (the message-rate rule's clock).
pub fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Hub {
    pub fn new(
        apps: Apps,
        dev_app: Option<(u64, String)>,
        media: Option<trtc_sfu::SfuHandle>,
    ) -> Arc<Hub> {
        Self::with_admin(apps, dev_app, media, crate::admin::DEFAULT_ADMIN_IDENTIFIER)
    }

    /// [`Hub::new`] with the admin identifier of the admin API (see [`crate::admin`]).
    pub fn with_admin(
        apps: Apps,
        dev_app: Option<(u64, String)>,
        media: Option<trtc_sfu::SfuHandle>,
        admin_identifier: impl Into<String>,
    ) -> Arc<Hub> {
        Arc::new(Hub {
            registry: Mutex::new(Registry::new(apps.clone())),
            clients: Mutex::new(HashMap::new()),
            limits: Mutex::new(Limits::default()),
            next_id: AtomicU64::new(1),
            media,
            apps,
            dev_app,
            admin_identifier: admin_identifier.into(),
            blocked: Mutex::new(HashMap::new()),
        })
    }

    /// Waits while `client`'s signalling is blocked (dev fault injection), as TCP would hold
    /// the bytes of a network that stopped carrying packets.
    async fn wait_unblocked(&self, client: ClientId) {
        let until = self.blocked.lock().expect("blocked").get(&client).copied();
        if let Some(until) = until {
            tokio::time::sleep_until(until).await;
            self.blocked.lock().expect("blocked").remove(&client);
        }
    }

    /// The configured applications.
    pub fn apps(&self) -> &Apps {
        &self.apps
    }

    /// The userId admin userSigs are signed for.
    pub fn admin_identifier(&self) -> &str {
        &self.admin_identifier
    }

    /// Admin: the rooms of one app with their users.
    pub fn rooms_of(&self, sdk_app_id: u64) -> Vec<(RoomId, Vec<String>)> {
        self.registry.lock().expect("registry").rooms_of(sdk_app_id)
    }

    /// Admin: removes users from a room ([`Registry::remove_users`]) and carries it out.
    pub fn remove_users(
        &self,
        sdk_app_id: u64,
        room: &RoomId,
        user_ids: &[String],
    ) -> Result<(), AdminError> {
        let effects = self
            .registry
            .lock()
            .expect("registry")
            .remove_users(sdk_app_id, room, user_ids)?;
        self.apply(effects);
        Ok(())
    }

    /// Admin: dismisses a room ([`Registry::dismiss`]) and carries it out.
    pub fn dismiss_room(&self, sdk_app_id: u64, room: &RoomId) -> Result<(), AdminError> {
        let effects = self
            .registry
            .lock()
            .expect("registry")
            .dismiss(sdk_app_id, room)?;
        self.apply(effects);
        Ok(())
    }

    /// Carries out effects: messages to clients, closes, media commands.
    pub fn apply(&self, effects: Vec<Effect>) {
        for e in effects {
            match e {
                Effect::Send(c, m) => self.send(c, m),
                Effect::Close(c) => {
                    if let Some(conn) = self.clients.lock().expect("clients").get(&c) {
                        let _ = conn.tx.send(Out::Close);
                    }
                }
                Effect::Media(cmd) => self.media_command(cmd),
            }
        }
    }

    fn media_command(&self, cmd: MediaCmd) {
        let Some(sfu) = &self.media else { return };
        match cmd {
            MediaCmd::AddPeer { peer } => sfu.add_peer(peer),
            MediaCmd::RemovePeer { peer } => sfu.remove_peer(peer),
            MediaCmd::SetPublish { peer, audio, video } => sfu.set_publish(peer, audio, video),
            MediaCmd::AddSource {
                subscriber,
                source,
                kind,
            } => sfu.add_source(subscriber, source, kind),
            MediaCmd::RemoveSource {
                subscriber,
                source,
                kind,
            } => sfu.remove_source(subscriber, source, kind),
            MediaCmd::Subscribe {
                subscriber,
                source,
                kind,
                on,
            } => sfu.subscribe(subscriber, source, kind, on),
            MediaCmd::Answer { peer, sdp } => {
                let sfu = sfu.clone();
                let tx = self
                    .clients
                    .lock()
                    .expect("clients")
                    .get(&peer)
                    .map(|c| c.tx.clone());
                tokio::spawn(async move {
                    if let Err(e) = sfu.accept_answer(peer, sdp).await {
                        tracing::warn!(peer, "answer refused: {e}");
                        if let Some(tx) = tx {
                            let _ = tx.send(Out::Msg(ServerMsg::Error {
                                code: code::BAD_MESSAGE,
                                message: format!("the answer was refused: {e}"),
                            }));
                        }
                    }
                });
            }
        }
    }

    /// Carries an SFU event to the client it concerns.
    pub fn on_sfu_event(&self, ev: trtc_sfu::SfuEvent) {
        use trtc_sfu::SfuEvent;
        match ev {
            SfuEvent::Offer { peer, sdp, slots } => {
                let slots = {
                    let registry = self.registry.lock().expect("registry");
                    slots
                        .into_iter()
                        .filter_map(|s| {
                            let user_id = match s.source {
                                None => None,
                                // A slot whose source has gone is left out; the next offer drops it.
                                Some(src) => Some(registry.user_id_of(src)?),
                            };
                            Some(trtc_proto::TrackSlot {
                                mid: s.mid,
                                user_id,
                                kind: s.kind,
                            })
                        })
                        .collect()
                };
                self.send(peer, ServerMsg::Offer { sdp, slots });
            }
            SfuEvent::Connected { peer } => tracing::debug!(peer, "media connected"),
            SfuEvent::Disconnected { peer, reason } => {
                tracing::warn!(peer, "media connection lost: {reason}");
                // The client may not notice for a while (its browser waits ~30 s before it
                // calls the connection failed): tell it, so it reconnects now.
                self.send(
                    peer,
                    ServerMsg::Error {
                        code: code::MEDIA_LOST,
                        message: format!(
                            "the media connection is gone ({reason}); connect again to resume"
                        ),
                    },
                );
            }
            SfuEvent::Publishing { peer, kind, active } => {
                tracing::debug!(peer, ?kind, active, "publishing")
            }
        }
    }

    /// Sends a message to one client (dropped if it is gone).
    pub fn send(&self, client: ClientId, msg: ServerMsg) {
        if let Some(conn) = self.clients.lock().expect("clients").get(&client) {
            let _ = conn.tx.send(Out::Msg(msg));
        }
    }

    /// Registers a new client; what it is sent arrives on the receiver.
    pub fn connect(&self) -> (ClientId, mpsc::UnboundedReceiver<Out>) {
        let client = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::unbounded_channel::<Out>();
        let gate = MessageGate::new(&self.limits.lock().expect("limits"));
        self.clients
            .lock()
            .expect("clients")
            .insert(client, Conn { tx, gate });
        (client, rx)
    }

    /// The client's connection is gone: it leaves its room.
    pub fn disconnect(&self, client: ClientId) {
        self.disconnect_at(client, now_unix_ms());
    }

    /// [`Hub::disconnect`] at a given time (unix milliseconds).
    pub fn disconnect_at(&self, client: ClientId, now_ms: u64) {
        let effects = self
            .registry
            .lock()
            .expect("registry")
            .disconnected(client, now_ms / 1000);
        self.clients.lock().expect("clients").remove(&client);
        self.apply(effects);
    }

    /// Sets the caps on rooms, users and message rate ([`crate::limits`]). Clients connected
    /// before keep the message rate they started with.
    pub fn set_limits(&self, limits: Limits) {
        *self.limits.lock().expect("limits") = limits;
        let mut r = self.registry.lock().expect("registry");
        let taken = std::mem::replace(&mut *r, Registry::new(self.apps.clone()));
        *r = taken.with_room_limits(limits.max_rooms_per_app, limits.max_users_per_room);
    }

    /// The message-rate rule for one frame from `client` at `now_ms`: whether to handle it.
    /// Dropping the first frame of a flood is answered; a client flooding too long is told,
    /// closed and leaves its room.
    fn admit(&self, client: ClientId, now_ms: u64) -> bool {
        let verdict = match self.clients.lock().expect("clients").get_mut(&client) {
            Some(conn) => conn.gate.admit(now_ms),
            None => return true,
        };
        let limits = *self.limits.lock().expect("limits");
        match verdict {
            Admit::Yes => return true,
            Admit::Dropped { notify: false } => {}
            Admit::Dropped { notify: true } => {
                tracing::info!(client, "over the message rate: dropping messages");
                self.send(
                    client,
                    ServerMsg::Error {
                        code: code::RATE_LIMITED,
                        message: format!(
                            "too many messages: this server takes {} a second (bursts of {}) per connection; messages are dropped until the client slows down",
                            limits.msgs_per_sec, limits.msg_burst
                        ),
                    },
                );
            }
            Admit::Disconnect => {
                tracing::warn!(client, "flooding: disconnected");
                self.apply(vec![
                    Effect::Send(
                        client,
                        ServerMsg::Error {
                            code: code::RATE_LIMITED,
                            message: format!(
                                "too many messages for {} s: this server takes {} a second per connection; disconnected",
                                limits.flood_disconnect_secs, limits.msgs_per_sec
                            ),
                        },
                    ),
                    Effect::Close(client),
                ]);
                let effects = self
                    .registry
                    .lock()
                    .expect("registry")
                    .disconnected(client, now_ms / 1000);
                self.apply(effects);
            }
        }
        false
    }

    /// Handles one text frame from a client: decode, check, act, answer.
    pub fn handle_text(&self, client: ClientId, text: &str) {
        self.handle_text_at(client, text, now_unix_ms());
    }

    /// [`Hub::handle_text`] at a given time (unix milliseconds).
    pub fn handle_text_at(&self, client: ClientId, text: &str, now_ms: u64) {
        if !self.admit(client, now_ms) {
            return;
        }
        let effects = match ClientMsg::decode(text) {
            Ok(msg) => self
                .registry
                .lock()
                .expect("registry")
                .handle(client, msg, now_ms / 1000),
            Err(e) => {
                tracing::debug!(client, "refused: {e}");
                vec![Effect::Send(
                    client,
                    ServerMsg::Error {
                        code: e.code(),
                        message: e.to_string(),
                    },
                )]
            }
        };
        self.apply(effects);
    }

    /// A binary frame from a client: not part of the protocol (it counts against the rate).
    pub fn handle_binary(&self, client: ClientId) {
        self.handle_binary_at(client, now_unix_ms());
    }

    /// [`Hub::handle_binary`] at a given time (unix milliseconds).
    pub fn handle_binary_at(&self, client: ClientId, now_ms: u64) {
        if self.admit(client, now_ms) {
            self.send(
                client,
                ServerMsg::Error {
                    code: code::BAD_MESSAGE,
                    message: "binary frames are not part of the protocol".into(),
                },
            );
        }
    }

    /// Closes every client socket (server shutdown).
    pub fn close_all(&self) {
        for conn in self.clients.lock().expect("clients").values() {
            let _ = conn.tx.send(Out::Close);
        }
    }

    /// Sets how long an emptied live room lingers (its last leaver was an audience).
    pub fn set_live_linger(&self, secs: u64) {
        let mut r = self.registry.lock().expect("registry");
        let taken = std::mem::replace(&mut *r, Registry::new(self.apps.clone()));
        *r = taken.with_live_linger(secs);
    }

    /// Periodic housekeeping: silent clients, lingering rooms.
    pub fn tick(&self) {
        self.tick_at(now_unix_ms());
    }

    /// [`Hub::tick`] at a given time (unix milliseconds).
    pub fn tick_at(&self, now_ms: u64) {
        let effects = self.registry.lock().expect("registry").tick(now_ms / 1000);
        self.apply(effects);
    }

    /// Sets how long a silent or dropped client stays before it is removed.
    pub fn set_client_timeout(&self, secs: u64) {
        let mut r = self.registry.lock().expect("registry");
        let taken = std::mem::replace(&mut *r, Registry::new(self.apps.clone()));
        *r = taken.with_client_timeout(secs);
    }

    /// The connection dropped without a close handshake: the member waits for its session.
    pub fn dropped(&self, client: ClientId) {
        self.dropped_at(client, now_unix_ms());
    }

    /// [`Hub::dropped`] at a given time (unix milliseconds).
    pub fn dropped_at(&self, client: ClientId, now_ms: u64) {
        let effects = self
            .registry
            .lock()
            .expect("registry")
            .detached(client, now_ms / 1000);
        self.clients.lock().expect("clients").remove(&client);
        self.apply(effects);
    }

    pub fn rooms(&self) -> Vec<(crate::room::RoomKey, Vec<String>)> {
        self.registry.lock().expect("registry").rooms()
    }
}

/// `GET /trtc/ws`: upgrade and serve one client.
pub async fn ws_handler(State(hub): State<Arc<Hub>>, ws: WebSocketUpgrade) -> Response {
    ws.max_message_size(MAX_MESSAGE_BYTES + 1024)
        .on_upgrade(move |socket| serve_client(hub, socket))
}

async fn serve_client(hub: Arc<Hub>, socket: WebSocket) {
    let (client, mut rx) = hub.connect();
    let (mut sink, mut stream) = socket.split();
    tracing::debug!(client, "connected");
    let writer_hub = hub.clone();
    let mut writer = tokio::spawn(async move {
        while let Some(out) = rx.recv().await {
            match out {
                Out::Msg(m) => {
                    writer_hub.wait_unblocked(client).await;
                    if sink.send(Message::Text(m.encode().into())).await.is_err() {
                        break;
                    }
                }
                Out::Close => {
                    let _ = sink.send(Message::Close(None)).await;
                    break;
                }
            }
        }
    });
    // Whether the connection ended without a closing handshake (it broke).
    let mut dropped = true;
    while let Some(frame) = stream.next().await {
        match frame {
            // Rate, size, syntax and permission are all checked by the hub.
            Ok(Message::Text(text)) => {
                hub.wait_unblocked(client).await;
                hub.handle_text(client, &text)
            }
            Ok(Message::Binary(_)) => hub.handle_binary(client),
            // A client closing to reconnect keeps its session, as if the connection broke.
            Ok(Message::Close(Some(frame))) if frame.code == trtc_proto::CLOSE_RECONNECTING => {
                dropped = true;
                break;
            }
            // A closing handshake (exitRoom, a closed tab) leaves at once.
            Ok(Message::Close(_)) => {
                dropped = false;
                break;
            }
            // A frame over the WebSocket limit: the rest of the stream cannot be read. Say so,
            // close, and leave (the client would only send it again after a reconnection).
            Err(e) if frame_too_long(&e).is_some() => {
                let size = frame_too_long(&e).unwrap_or_default();
                tracing::debug!(client, size, "frame over the size limit: closing");
                hub.apply(vec![
                    Effect::Send(
                        client,
                        ServerMsg::Error {
                            code: code::TOO_LARGE,
                            message: format!(
                                "{}; closing the connection",
                                trtc_proto::DecodeError::TooLarge(size)
                            ),
                        },
                    ),
                    Effect::Close(client),
                ]);
                let _ = tokio::time::timeout(std::time::Duration::from_secs(2), &mut writer).await;
                dropped = false;
                break;
            }
            // A connection that just broke: the member may come back (reconnection).
            Err(_) => {
                dropped = true;
                break;
            }
            Ok(_) => {}
        }
        if writer.is_finished() {
            break;
        }
    }
    if dropped && !writer.is_finished() {
        hub.dropped(client);
    } else {
        hub.disconnect(client);
    }
    writer.abort();
    tracing::debug!(client, "disconnected");
}

/// The size of a frame the WebSocket layer refused as longer than its limit, if that is what
/// `e` is.
fn frame_too_long(e: &axum::Error) -> Option<usize> {
    use tungstenite::error::{CapacityError, Error};
    match std::error::Error::source(e)?.downcast_ref::<Error>()? {
        Error::Capacity(CapacityError::MessageTooLong { size, .. }) => Some(*size),
        _ => None,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DevSigQuery {
    user_id: String,
    sdk_app_id: Option<u64>,
}

/// The connections of `user_id`, for the dev fault-injection endpoints (404 outside dev mode or
/// when the user is in no room).
fn dev_clients(hub: &Hub, user_id: &str) -> Result<Vec<ClientId>, (StatusCode, String)> {
    if hub.dev_app.is_none() {
        return Err((
            StatusCode::NOT_FOUND,
            "dev mode is off (start the server with --dev)".to_string(),
        ));
    }
    let clients = hub.registry.lock().expect("registry").clients_of(user_id);
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
pub struct DevDropQuery {
    user_id: String,
}

/// `GET /trtc/dev/drop?userId=…` (dev mode only): closes that user's signalling connection as
/// a broken network would — the member stays, waiting for its session to reconnect. For
/// trying out (and testing) reconnection.
pub async fn dev_drop(State(hub): State<Arc<Hub>>, Query(q): Query<DevDropQuery>) -> Response {
    let clients = match dev_clients(&hub, &q.user_id) {
        Ok(c) => c,
        Err(refused) => return refused.into_response(),
    };
    for c in &clients {
        let effects = hub
            .registry
            .lock()
            .expect("registry")
            .detached(*c, now_unix());
        let conn = hub.clients.lock().expect("clients").remove(c);
        if let Some(conn) = conn {
            let _ = conn.tx.send(Out::Close);
        }
        hub.apply(effects);
    }
    Json(serde_json::json!({ "dropped": clients.len() })).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DevBlockQuery {
    user_id: String,
    ms: u64,
    /// `media`: drop only the media datagrams; signalling flows.
    only: Option<String>,
}

/// `GET /trtc/dev/block?userId=…&ms=…` (dev mode only): for `ms` milliseconds that user's
/// media datagrams are dropped and its signalling is held, as when its network stops carrying
/// packets for a while. With `&only=media`, only its media is dropped (what a firewall that
/// starts refusing UDP does). For trying out (and testing) how calls ride out network trouble.
pub async fn dev_block(State(hub): State<Arc<Hub>>, Query(q): Query<DevBlockQuery>) -> Response {
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
    let duration = std::time::Duration::from_millis(q.ms.min(120_000));
    let until = tokio::time::Instant::now() + duration;
    for c in &clients {
        if !media_only {
            hub.blocked.lock().expect("blocked").insert(*c, until);
        }
        if let Some(sfu) = &hub.media {
            sfu.block(*c, duration);
        }
    }
    Json(serde_json::json!({ "blocked": clients.len(), "ms": duration.as_millis() as u64 }))
        .into_response()
}

/// `GET /trtc/dev/usersig?userId=…`: a test userSig, in dev mode only. Never for the admin
/// identifier: even a dev server does not hand out admin rights.
pub async fn dev_usersig(State(hub): State<Arc<Hub>>, Query(q): Query<DevSigQuery>) -> Response {
    let Some((dev_id, dev_key)) = hub.dev_app.clone() else {
        return (
            StatusCode::NOT_FOUND,
            "dev mode is off (start the server with --dev)",
        )
            .into_response();
    };
    let app = q.sdk_app_id.unwrap_or(dev_id);
    let Some(key) = hub.apps.key(app).map(str::to_string) else {
        return (
            StatusCode::NOT_FOUND,
            format!("sdkAppId {app} is not configured"),
        )
            .into_response();
    };
    let _ = dev_key;
    if q.user_id.trim().is_empty() {
        return (StatusCode::BAD_REQUEST, "userId is empty").into_response();
    }
    if q.user_id == hub.admin_identifier {
        return (
            StatusCode::FORBIDDEN,
            format!(
                "'{}' is the admin identifier: sign admin userSigs with the app's secret key on your backend",
                q.user_id
            ),
        )
            .into_response();
    }
    let sig = trtc_usersig::sign(app, &key, &q.user_id, 24 * 3600, now_unix());
    Json(serde_json::json!({ "sdkAppId": app, "userId": q.user_id, "userSig": sig }))
        .into_response()
}
