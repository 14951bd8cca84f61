//! WebSocket signalling (`GET /trtc/ws`): the upgrade, then one task per connection, in two
//! halves. The reader hands each frame to the [`Hub`] (which checks rate, size, syntax and
//! permission, and decides); the writer sends what the hub put on the client's queue ([`Out`]).
//! How the connection ended — a closing handshake, a reconnecting close, a broken stream, a
//! frame too long to read, no `join` in time, a queue the client does not read — tells the hub
//! whether the member leaves now or waits for its session to come back.
//!
//! What an unauthenticated connection may hold is small: until the hub has taken its `join`,
//! frames (and messages) are limited to [`PRE_JOIN_MESSAGE_BYTES`], and the connection is
//! closed [`Hub::join_timeout`] after the upgrade. Under tungstenite sits a
//! [`FrameGate`](crate::frames::FrameGate): a frame's announced length is never reserved before
//! its bytes have arrived. A connection that joins no longer makes room for newcomers
//! ([`Ticket::authenticated`]).

use std::any::Any;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{FutureExt, SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::WebSocketStream;
use trtc_proto::{code, ServerMsg, MAX_MESSAGE_BYTES};

use crate::cluster::node::Node;
use crate::cluster::Owner;
use crate::conns::Ticket;
use crate::frames::{FrameGate, TooLong};
use crate::hub::{Hub, Out, Outbox};
use crate::room::{ClientId, Effect};

/// The largest frame (and message) a connection may send before it has joined a room: a
/// `join` is well under 1 KiB.
pub const PRE_JOIN_MESSAGE_BYTES: usize = 16 * 1024;
/// The largest once joined: the signalling message cap, and room for a larger one to be
/// answered with [`code::TOO_LARGE`] rather than a closed connection.
pub const JOINED_MESSAGE_BYTES: usize = MAX_MESSAGE_BYTES + 1024;
/// tungstenite's read buffer (allocated per connection; frames larger than it are read in
/// several goes).
const READ_BUFFER_BYTES: usize = 8 * 1024;

type Socket = WebSocketStream<FrameGate<TokioIo<hyper::upgrade::Upgraded>>>;

/// `GET /trtc/ws`: checks the upgrade request, answers `101 Switching Protocols`, and serves the
/// client on the upgraded connection.
pub(crate) async fn ws_handler(
    State((hub, node)): State<(Arc<Hub>, Option<Arc<Node>>)>,
    mut req: Request,
) -> Response {
    let key = match upgrade_key(req.method(), req.headers()) {
        Ok(key) => key,
        Err(refused) => return refused.into_response(),
    };
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let ticket = req.extensions_mut().remove::<Ticket>();
    let on_upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => serve_client(hub, node, TokioIo::new(upgraded), peer, ticket).await,
            Err(e) => tracing::debug!(?peer, "WebSocket upgrade failed: {e}"),
        }
    });
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    let mut res = StatusCode::SWITCHING_PROTOCOLS.into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(v) = HeaderValue::from_str(&accept) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, v);
    }
    res
}

/// The `Sec-WebSocket-Key` of a valid upgrade request (RFC 6455 §4.2.1), or the refusal.
fn upgrade_key(
    method: &Method,
    headers: &HeaderMap,
) -> Result<HeaderValue, (StatusCode, &'static str)> {
    let has_token = |name: header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    if method != Method::GET {
        return Err((
            StatusCode::METHOD_NOT_ALLOWED,
            "a WebSocket upgrade is a GET",
        ));
    }
    if !has_token(header::CONNECTION, "upgrade") || !has_token(header::UPGRADE, "websocket") {
        return Err((
            StatusCode::UPGRADE_REQUIRED,
            "this is the signalling WebSocket: connect with a WebSocket client",
        ));
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_none_or(|v| v.as_bytes() != b"13")
    {
        return Err((StatusCode::BAD_REQUEST, "Sec-WebSocket-Version must be 13"));
    }
    headers
        .get(header::SEC_WEBSOCKET_KEY)
        .filter(|k| !k.is_empty() && k.len() <= 64)
        .cloned()
        .ok_or((StatusCode::BAD_REQUEST, "Sec-WebSocket-Key is missing"))
}

/// Joins one connection may have routed through the cluster (each may claim a room in Redis)
/// before it is closed; the SDK sends one.
const MAX_ROUTED_JOINS: u32 = 4;

/// After refusing a client, how long and how much of what it still sends is read and thrown
/// away before the socket is closed.
const LINGER: Duration = Duration::from_secs(1);
const LINGER_BYTES: usize = 8 * MAX_MESSAGE_BYTES;

/// How a connection's reading ended.
enum Ended {
    /// A closing handshake, or the server closed it: the member leaves now.
    Closed,
    /// The server refused the client (a frame over the limit, no join in time, evicted): told
    /// why and closed; the member leaves now.
    Refused,
    /// The connection broke, the client closed it to reconnect, or it does not read what it is
    /// sent: the member waits for its session to come back.
    Dropped,
}

/// One client's connection, from registration to goodbye. A panic while handling one of its
/// frames (a bug) closes this connection only: it is caught here, logged, and the hub drops the
/// client ([`Hub::failed`]); every other connection's task carries on.
async fn serve_client(
    hub: Arc<Hub>,
    node: Option<Arc<Node>>,
    io: TokioIo<hyper::upgrade::Upgraded>,
    peer: Option<SocketAddr>,
    ticket: Option<Ticket>,
) {
    let limit = Arc::new(AtomicUsize::new(PRE_JOIN_MESSAGE_BYTES));
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_message_size(Some(JOINED_MESSAGE_BYTES))
        .max_frame_size(Some(JOINED_MESSAGE_BYTES));
    let socket: Socket = WebSocketStream::from_raw_socket(
        FrameGate::new(io, limit.clone()),
        Role::Server,
        Some(config),
    )
    .await;
    // The per-address message rate applies where the per-address connection cap does.
    let rate_ip = match &ticket {
        Some(t) => t.per_ip_key(),
        None => None,
    };
    let (client, outbox) = hub.connect_keyed(rate_ip);
    let killed = outbox.killed();
    let (sink, stream) = socket.split();
    tracing::debug!(client, ?peer, "connected");
    let writer_hub = hub.clone();
    let mut writer: Writer = tokio::spawn(async move {
        let written = AssertUnwindSafe(write(writer_hub, client, outbox, sink))
            .catch_unwind()
            .await;
        match written {
            Ok(sink) => sink,
            Err(panic) => {
                tracing::error!(
                    client,
                    "sending to this client panicked ({}): its connection ends",
                    panic_message(&*panic)
                );
                None
            }
        }
    });
    let reading = Reading {
        hub: &hub,
        client,
        limit: &limit,
        ticket: ticket.as_ref(),
        node: node.as_deref(),
    };
    let mut stream = stream;
    let read = AssertUnwindSafe(async {
        tokio::select! {
            ended = reading.run(&mut stream, &mut writer) => ended,
            () = killed => (Ended::Dropped, None),
        }
    })
    .catch_unwind()
    .await;
    match read {
        Ok((Ended::Dropped, _)) if !writer.is_finished() => hub.dropped(client),
        Ok((ended, sink)) => {
            hub.disconnect(client);
            if let (Ended::Refused, Some(sink)) = (ended, sink) {
                // The client was told why and sent a close frame; what it is still sending
                // (the rest of a frame over the limit) is read and thrown away for a moment, so
                // that it gets to read the reason instead of a connection reset.
                if let Ok(mut ws) = stream.reunite(sink) {
                    ws.get_mut().discard(LINGER_BYTES, LINGER).await;
                }
            }
        }
        Err(panic) => {
            tracing::error!(
                client,
                "handling a message of this client panicked ({}): closing its connection; the other clients carry on",
                panic_message(&*panic)
            );
            hub.failed(client);
            // Let the close frame out.
            let _ = tokio::time::timeout(Duration::from_secs(2), &mut writer).await;
        }
    }
    writer.abort();
    tracing::debug!(client, "disconnected");
}

/// The writing half: what the hub queued for `client`, in order, until a close.
/// Returns the sink once a close frame is out (for [`Ended::Refused`]'s lingering).
async fn write(
    hub: Arc<Hub>,
    client: ClientId,
    mut outbox: Outbox,
    mut sink: SplitSink<Socket, Message>,
) -> Option<SplitSink<Socket, Message>> {
    while let Some(out) = outbox.recv().await {
        match out {
            Out::Msg(m) => {
                hub.wait_unblocked(client).await;
                if sink.send(Message::text(m.encode())).await.is_err() {
                    return None;
                }
            }
            Out::Close => {
                let _ = sink.send(Message::Close(None)).await;
                return Some(sink);
            }
        }
    }
    None
}

type Writer = JoinHandle<Option<SplitSink<Socket, Message>>>;

/// The reading half's context.
struct Reading<'a> {
    hub: &'a Hub,
    client: ClientId,
    /// The [`FrameGate`]'s limit: raised once the client has joined.
    limit: &'a AtomicUsize,
    ticket: Option<&'a Ticket>,
    /// This server as a node of a cluster: a join for a room another node hosts is redirected.
    node: Option<&'a Node>,
}

impl Reading<'_> {
    /// Every frame to the hub, until the connection ends (or the writer has, or the client did
    /// not join in time, or it was evicted before it joined). With [`Ended::Refused`], the
    /// sink if the close frame went out.
    async fn run(
        &self,
        stream: &mut SplitStream<Socket>,
        writer: &mut Writer,
    ) -> (Ended, Option<SplitSink<Socket, Message>>) {
        let (hub, client) = (self.hub, self.client);
        let opened = tokio::time::Instant::now();
        let mut join_by = opened + hub.join_timeout();
        // A `preconnect` that proved the user keeps the connection longer (once).
        let mut kept = None;
        let mut joined = false;
        // Joins routed through the cluster on this connection (each may ask Redis).
        let mut routed = 0;
        loop {
            let frame = if joined {
                stream.next().await
            } else {
                let evicted = async {
                    match self.ticket {
                        Some(t) => t.evicted().await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    frame = stream.next() => frame,
                    () = tokio::time::sleep_until(join_by) => {
                        tracing::debug!(client, "no join in time: closing");
                        let message = match kept {
                            Some(keep) => format!(
                                "a preconnected connection is kept {} s for enterRoom, which did not come: closing it",
                                Duration::as_secs_f32(&keep)
                            ),
                            None => format!(
                                "no join within {} s of connecting: closing the connection",
                                hub.join_timeout().as_secs_f32()
                            ),
                        };
                        return self.refuse(writer, code::JOIN_TIMEOUT, message).await;
                    }
                    () = evicted => {
                        tracing::debug!(client, "evicted before joining: closing");
                        return self.refuse(writer, code::JOIN_TIMEOUT,
                            "the server is full and this connection has not joined a room: closing it".into()).await;
                    }
                }
            };
            let Some(frame) = frame else {
                return (Ended::Dropped, None);
            };
            match frame {
                // Rate, size, syntax and permission are all checked by the hub.
                Ok(Message::Text(text)) => {
                    hub.wait_unblocked(client).await;
                    if !joined {
                        if let Some(refused) = self.route(&text, &mut routed, writer).await {
                            return refused;
                        }
                    }
                    hub.handle_text(client, &text);
                    if !joined && hub.is_joined(client) {
                        joined = true;
                        self.limit.store(JOINED_MESSAGE_BYTES, Ordering::Relaxed);
                        if let Some(t) = self.ticket {
                            t.authenticated();
                        }
                    } else if !joined && kept.is_none() {
                        // Still evictable: a preconnected socket makes room for a newcomer as
                        // any unjoined one does (its enterRoom then connects anew).
                        if let Some(keep) = hub.preconnect_keep(client) {
                            kept = Some(keep);
                            join_by = opened + keep;
                        }
                    }
                }
                Ok(Message::Binary(_)) => hub.handle_binary(client),
                // A client closing to reconnect keeps its session, as if the connection broke.
                Ok(Message::Close(Some(frame)))
                    if u16::from(frame.code) == trtc_proto::CLOSE_RECONNECTING =>
                {
                    return (Ended::Dropped, None);
                }
                // A closing handshake (exitRoom, a closed tab) leaves at once.
                Ok(Message::Close(_)) => return (Ended::Closed, None),
                // A frame over the limit: the rest of the stream cannot be read. Say so, close,
                // and leave (the client would only send it again after a reconnection).
                Err(e) if frame_too_long(&e).is_some() => {
                    let (size, limit) = frame_too_long(&e).unwrap_or_default();
                    tracing::debug!(client, size, limit, "frame over the size limit: closing");
                    return self
                        .refuse(
                            writer,
                            code::TOO_LARGE,
                            format!(
                                "message of {size} bytes is over the limit of {limit} bytes{}; closing the connection",
                                if joined { "" } else { " before joining a room" }
                            ),
                        )
                        .await;
                }
                // A connection that just broke: the member may come back (reconnection).
                Err(_) => return (Ended::Dropped, None),
                Ok(_) => {}
            }
            // The hub closed this client (a kick, a flood, a timeout): the writer has ended.
            if writer.is_finished() {
                return (Ended::Closed, None);
            }
        }
    }

    /// In a cluster, a `join` (with a valid userSig, for a valid room) for a room another node
    /// hosts: the client is sent there ([`ServerMsg::Redirect`]) and the connection closed.
    /// When Redis cannot say who hosts it, the client is told so and closed (it tries again).
    /// `None`: handle the frame here.
    async fn route(
        &self,
        text: &str,
        routed: &mut u32,
        writer: &mut Writer,
    ) -> Option<(Ended, Option<SplitSink<Socket, Message>>)> {
        let node = self.node?;
        let Ok(trtc_proto::ClientMsg::Join(join)) = trtc_proto::ClientMsg::decode(text) else {
            return None;
        };
        if !join.room.is_valid() || !self.hub.authenticates(&join) {
            // The registry refuses it and says why.
            return None;
        }
        *routed += 1;
        if *routed > MAX_ROUTED_JOINS {
            return Some(
                self.refuse(
                    writer,
                    code::BAD_MESSAGE,
                    format!(
                        "more than {MAX_ROUTED_JOINS} refused joins on one connection: closing it"
                    ),
                )
                .await,
            );
        }
        let room = (join.sdk_app_id, join.room);
        match node.route(&room).await {
            Ok(Owner::Me) => None,
            Ok(Owner::Node { id, url }) => {
                let url = url.ws_url();
                if !trtc_proto::valid_redirect_url(&url) {
                    tracing::error!(owner = %id, "the owner's public URL makes no valid redirect");
                    return Some(self.refuse(writer, code::CLUSTER_UNAVAILABLE,
                        "the node that hosts this room has no valid public URL; try again later".into()).await);
                }
                tracing::debug!(client = self.client, owner = %id, %url, "join redirected");
                self.hub.apply(vec![
                    Effect::Send(self.client, ServerMsg::Redirect { url }),
                    Effect::Close(self.client),
                ]);
                let sink = match tokio::time::timeout(Duration::from_secs(1), writer).await {
                    Ok(Ok(sink)) => sink,
                    _ => None,
                };
                Some((Ended::Refused, sink))
            }
            Err(e) => {
                tracing::warn!(client = self.client, "cannot route a join: {e}");
                Some(
                    self.refuse(
                        writer,
                        code::CLUSTER_UNAVAILABLE,
                        "this server cannot tell which node hosts the room now; try again".into(),
                    )
                    .await,
                )
            }
        }
    }

    /// Tells the client why, closes, and lets the writer send it (for a second at most: a
    /// client that does not read is not waited for).
    async fn refuse(
        &self,
        writer: &mut Writer,
        code: i64,
        message: String,
    ) -> (Ended, Option<SplitSink<Socket, Message>>) {
        self.hub.apply(vec![
            Effect::Send(self.client, ServerMsg::Error { code, message }),
            Effect::Close(self.client),
        ]);
        match tokio::time::timeout(Duration::from_secs(1), writer).await {
            Ok(Ok(sink)) => (Ended::Refused, sink),
            _ => (Ended::Refused, None),
        }
    }
}

/// The message a panic was raised with, if it is text.
fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message")
}

/// The size and the limit of a frame or message refused as too long (by the gate or by
/// tungstenite), if that is what `e` is.
fn frame_too_long(e: &tungstenite::Error) -> Option<(u64, usize)> {
    use tungstenite::error::{CapacityError, Error};
    match e {
        Error::Capacity(CapacityError::MessageTooLong { size, max_size }) => {
            Some((*size as u64, *max_size))
        }
        Error::Io(io) => TooLong::from_io(io).map(|t| (t.size, t.limit)),
        _ => None,
    }
}
