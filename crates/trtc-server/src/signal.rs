//! WebSocket signalling (`GET /trtc/ws`): one task per connection, in two halves. The reader
//! hands each frame to the [`Hub`] (which checks rate, size, syntax and permission, and decides);
//! the writer sends what the hub put on the client's queue ([`Out`]). How the connection ended —
//! a closing handshake, a reconnecting close, a broken stream, a frame too long to read — tells
//! the hub whether the member leaves now or waits for its session to come back.

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use trtc_proto::{code, ServerMsg, MAX_MESSAGE_BYTES};

use crate::hub::{Hub, Out};
use crate::room::Effect;

/// `GET /trtc/ws`: upgrade and serve one client.
pub(crate) async fn ws_handler(State(hub): State<Arc<Hub>>, ws: WebSocketUpgrade) -> Response {
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
