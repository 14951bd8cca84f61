//! The admin API in a cluster: every node answers. An action on a room (`RemoveUser`,
//! `DismissRoom`, and their `ByStrRoomId` forms) is sent on, as it came (query with the admin
//! userSig, body), to the node that owns the room, whose answer is passed back; `GET rooms` merges
//! the lists of every live node. A request sent on carries [`FORWARDED`] and is answered by the
//! node it reaches, never sent on again. The owner checks the admin userSig as always: the header
//! only stops forwarding, it grants nothing.
//!
//! Bounds: request and answer bodies [`MAX_BODY`], [`FORWARD_TIMEOUT`] per request, at most
//! [`MAX_NODES`] nodes asked for `GET rooms`. Requests go to a node's `--cluster-url` (an
//! `http://` URL on a private network), else to its public URL when that is `http://`; a node
//! with only an `https://` URL cannot be reached this way (502, saying to give it
//! `--cluster-url`).

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use trtc_proto::RoomId;

use super::node::Node;
use super::PublicUrl;

/// The header of a request one node sent on to another.
pub const FORWARDED: &str = "x-trtc-forwarded";
/// The largest admin request or answer body passed on.
pub const MAX_BODY: usize = 256 * 1024;
/// How long a forwarded request may take.
pub const FORWARD_TIMEOUT: Duration = Duration::from_secs(5);
/// The most nodes `GET rooms` asks.
pub const MAX_NODES: usize = 64;

/// The room an admin action names, from its path and body (`None`: not a room action, or a body
/// the local handler will refuse and explain).
pub fn room_of(path: &str, body: &[u8]) -> Option<(u64, RoomId)> {
    let by_str = match path.rsplit('/').next()? {
        "RemoveUser" | "DismissRoom" => false,
        "RemoveUserByStrRoomId" | "DismissRoomByStrRoomId" => true,
        _ => return None,
    };
    let v: Value = serde_json::from_slice(body).ok()?;
    let app = v.get("SdkAppId")?.as_u64()?;
    let room = v.get("RoomId")?;
    let room = if by_str {
        RoomId::Str(room.as_str()?.to_string())
    } else {
        RoomId::Num(u32::try_from(room.as_u64()?).ok()?)
    };
    room.is_valid().then_some((app, room))
}

/// The middleware in front of the admin routes of a node (see the module docs).
pub async fn admin(State(node): State<Arc<Node>>, req: Request, next: Next) -> Response {
    if req.headers().contains_key(FORWARDED) {
        return next.run(req).await;
    }
    let path = req.uri().path().to_string();
    // The path and query as the client sent them (this router is nested under the API's prefix).
    let pq = original(&req);
    if req.method() == Method::GET && path.ends_with("/rooms") {
        return all_rooms(&node, pq, req, next).await;
    }
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "the body is too large").into_response();
    };
    let Some(room) = room_of(&path, &bytes) else {
        return next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
    };
    let owner = match node.owner_of(&room).await {
        Ok(o) => o,
        Err(e) => {
            tracing::warn!("admin: cannot tell who owns {room:?}: {e}");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "this node cannot tell which node hosts the room now (Redis); try again",
            )
                .into_response();
        }
    };
    match owner {
        Some((id, url)) if id != node.id() => {
            match send(&node.admin_url(&id, url).await, Method::POST, &pq, bytes).await {
                Ok(res) => res,
                Err(e) => {
                    tracing::warn!(owner = %id, "admin: forwarding to the room's node failed: {e}");
                    (
                        StatusCode::BAD_GATEWAY,
                        format!("the node that hosts the room did not answer: {e}"),
                    )
                        .into_response()
                }
            }
        }
        _ => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
    }
}

/// `GET rooms`: this node's answer (auth and all), with the rooms of the other live nodes added
/// to `Rooms`. A node that does not answer in time is left out (and logged).
async fn all_rooms(node: &Node, pq: String, req: Request, next: Next) -> Response {
    let local = next.run(req).await;
    if local.status() != StatusCode::OK {
        return local;
    }
    let Ok(bytes) = axum::body::to_bytes(local.into_body(), MAX_BODY).await else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the room list is too large",
        )
            .into_response();
    };
    let Ok(mut all) = serde_json::from_slice::<Value>(&bytes) else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the room list is not JSON",
        )
            .into_response();
    };
    let others = match node.live_nodes().await {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!("admin: cannot list the nodes: {e}");
            Vec::new()
        }
    };
    let asks = others
        .into_iter()
        .filter(|(id, _)| id != node.id())
        .take(MAX_NODES)
        .map(|(id, url)| {
            let pq = pq.clone();
            async move {
                let to = node.admin_url(&id, url).await;
                (id, fetch_json(&to, &pq).await)
            }
        });
    for (id, got) in futures_util::future::join_all(asks).await {
        match got {
            Ok(v) => {
                let rooms = v.get("Rooms").and_then(Value::as_array).cloned();
                if let (Some(rooms), Some(Value::Array(list))) = (rooms, all.get_mut("Rooms")) {
                    list.extend(rooms);
                }
            }
            Err(e) => tracing::warn!(node = %id, "admin: that node's rooms are left out: {e}"),
        }
    }
    let mut res = axum::Json(all).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The request's path and query as the client sent them.
fn original(req: &Request) -> String {
    let uri = req
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or(req.uri(), |o| &o.0);
    uri.path_and_query()
        .map_or_else(|| uri.path().to_string(), |p| p.to_string())
}

async fn fetch_json(url: &PublicUrl, pq: &str) -> Result<Value, String> {
    let res = send(url, Method::GET, pq, Bytes::new()).await?;
    if res.status() != StatusCode::OK {
        return Err(format!("status {}", res.status()));
    }
    let bytes = axum::body::to_bytes(res.into_body(), MAX_BODY)
        .await
        .map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| e.to_string())
}

/// One request to another node, with [`FORWARDED`]; its answer with a bounded body.
async fn send(url: &PublicUrl, method: Method, pq: &str, body: Bytes) -> Result<Response, String> {
    let authority = url
        .as_str()
        .strip_prefix("http://")
        .ok_or_else(|| {
            format!(
                "{} is not an http:// URL: start that node with --cluster-url http://ADDRESS:PORT (where the other nodes reach it)",
                url.as_str()
            )
        })?
        .to_string();
    let addr = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        && !authority.ends_with(']')
    {
        authority.clone()
    } else {
        format!("{authority}:80")
    };
    let go = async {
        let stream = tokio::net::TcpStream::connect(&addr)
            .await
            .map_err(|e| format!("connecting to {addr}: {e}"))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        let driver = tokio::spawn(conn);
        let req = axum::http::Request::builder()
            .method(method)
            .uri(pq)
            .header(header::HOST, &authority)
            .header(FORWARDED, "1")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .map_err(|e| e.to_string())?;
        let res = sender.send_request(req).await.map_err(|e| e.to_string())?;
        let (parts, incoming) = res.into_parts();
        let bytes = axum::body::to_bytes(Body::new(incoming), MAX_BODY)
            .await
            .map_err(|e| format!("the answer: {e}"))?;
        driver.abort();
        Ok::<_, String>(Response::from_parts(parts, Body::from(bytes)))
    };
    tokio::time::timeout(FORWARD_TIMEOUT, go)
        .await
        .map_err(|_| "no answer in time".to_string())?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_room_of_an_admin_action() {
        type Case = (&'static str, &'static str, Option<(u64, RoomId)>);
        let cases: [Case; 9] = [
            (
                "/trtc/admin/v1/RemoveUser",
                r#"{"SdkAppId":7,"RoomId":8,"UserIds":["a"]}"#,
                Some((7, RoomId::Num(8))),
            ),
            (
                "/trtc/admin/v1/DismissRoom",
                r#"{"SdkAppId":7,"RoomId":8}"#,
                Some((7, RoomId::Num(8))),
            ),
            (
                "/trtc/admin/v1/RemoveUserByStrRoomId",
                r#"{"SdkAppId":7,"RoomId":"r-1","UserIds":[]}"#,
                Some((7, RoomId::Str("r-1".into()))),
            ),
            (
                "/trtc/admin/v1/DismissRoomByStrRoomId",
                r#"{"SdkAppId":7,"RoomId":"r"}"#,
                Some((7, RoomId::Str("r".into()))),
            ),
            (
                "/trtc/admin/v1/RemoveUser",
                r#"{"SdkAppId":7,"RoomId":"8"}"#,
                None,
            ),
            (
                "/trtc/admin/v1/RemoveUser",
                r#"{"SdkAppId":7,"RoomId":0}"#,
                None,
            ),
            (
                "/trtc/admin/v1/RemoveUser",
                r#"{"SdkAppId":7,"RoomId":4294967295}"#,
                None,
            ),
            ("/trtc/admin/v1/RemoveUser", "not json", None),
            (
                "/trtc/admin/v1/CreateCloudRecording",
                r#"{"SdkAppId":7,"RoomId":8}"#,
                None,
            ),
        ];
        for (path, body, want) in cases {
            assert_eq!(room_of(path, body.as_bytes()), want, "{path} {body}");
        }
    }
}
