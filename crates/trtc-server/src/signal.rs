//! WebSocket signalling (`GET /trtc/ws`): one task per connection, in two halves. The reader
//! hands each frame to the [`Hub`] (which checks rate, size, syntax and permission, and decides);
//! the writer sends what the hub put on the client's queue ([`Out`]). How the connection ended —
//! a closing handshake, a reconnecting close, a broken stream, a frame too long to read — tells
//! the hub whether the member leaves now or waits for its session to come back.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use trtc_proto::{code, ServerMsg, MAX_MESSAGE_BYTES};

use crate::hub::{Hub, Out};
use crate::room::{ClientId, Effect};

/// `GET /trtc/ws`: upgrade and serve one client.
pub(crate) async fn ws_handler(State(hub): State<Arc<Hub>>, ws: WebSocketUpgrade) -> Response {
    ws.max_message_size(MAX_MESSAGE_BYTES + 1024)
        .on_upgrade(move |socket| serve_client(hub, socket))
}

/// How a connection's reading ended.
enum Ended {
    /// A closing handshake, or the server closed it: the member leaves now.
    Closed,
    /// The connection broke, or the client closed it to reconnect: the member waits for its
    /// session to come back.
    Dropped,
}

/// One client's connection, from registration to goodbye. A panic while handling one of its
/// frames (a bug) closes this connection only: it is caught here, logged, and the hub drops the
/// client ([`Hub::failed`]); every other connection's task carries on.
async fn serve_client(hub: Arc<Hub>, socket: WebSocket) {
    let (client, rx) = hub.connect();
    let (sink, stream) = socket.split();
    tracing::debug!(client, "connected");
    let writer_hub = hub.clone();
    let mut writer = tokio::spawn(async move {
        let written = AssertUnwindSafe(write(writer_hub, client, rx, sink))
            .catch_unwind()
            .await;
        if let Err(panic) = written {
            tracing::error!(
                client,
                "sending to this client panicked ({}): its connection ends",
                panic_message(&*panic)
            );
        }
    });
    let read = AssertUnwindSafe(read(&hub, client, stream, &mut writer))
        .catch_unwind()
        .await;
    match read {
        Ok(Ended::Dropped) if !writer.is_finished() => hub.dropped(client),
        Ok(_) => hub.disconnect(client),
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
async fn write(
    hub: Arc<Hub>,
    client: ClientId,
    mut rx: mpsc::UnboundedReceiver<Out>,
    mut sink: SplitSink<WebSocket, Message>,
) {
    while let Some(out) = rx.recv().await {
        match out {
            Out::Msg(m) => {
                hub.wait_unblocked(client).await;
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
}

/// The reading half: every frame to the hub, until the connection ends (or the writer has).
async fn read(
    hub: &Hub,
    client: ClientId,
    mut stream: SplitStream<WebSocket>,
    writer: &mut JoinHandle<()>,
) -> Ended {
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
                return Ended::Dropped;
            }
            // A closing handshake (exitRoom, a closed tab) leaves at once.
            Ok(Message::Close(_)) => return Ended::Closed,
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
                let _ = tokio::time::timeout(Duration::from_secs(2), writer).await;
                return Ended::Closed;
            }
            // A connection that just broke: the member may come back (reconnection).
            Err(_) => return Ended::Dropped,
            Ok(_) => {}
        }
        // The hub closed this client (a kick, a flood, a timeout): the writer has ended.
        if writer.is_finished() {
            return Ended::Closed;
        }
    }
    Ended::Dropped
}

/// The message a panic was raised with, if it is text.
fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message")
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
