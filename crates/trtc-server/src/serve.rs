//! The HTTP server loop: accepts TCP connections under the caps of [`crate::conns`], reads each
//! request's headers within a time limit, and hands requests to the [`axum::Router`] (the
//! WebSocket upgrade of `/trtc/ws` included). It replaces `axum::serve`, which sets no header
//! timeout and no cap: there, sockets that never finish their headers are held for ever.
//!
//! * A connection over the caps is closed as soon as it is accepted (the oldest connection that
//!   has not joined a room is evicted first, see [`crate::conns`]), so the listen queue keeps
//!   moving and the process stays under its file-descriptor limit.
//! * Each request's headers must arrive within [`ServeOptions::header_timeout`] of the
//!   connection waiting for them (a new connection, or a keep-alive one between requests):
//!   slowloris and idle keep-alive sockets are closed then. Headers are at most
//!   [`MAX_HEADER_BYTES`].
//! * HTTP/1.1 only: browsers speak HTTP/2 only over TLS, which a proxy in front terminates.
//! * Each request carries the client's address ([`axum::extract::ConnectInfo`]) and the
//!   connection's [`Ticket`], which the WebSocket task keeps (and marks authenticated once it
//!   joins a room).

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

use crate::conns::{Conns, Refused, Ticket};

/// The most header bytes one request may have (hyper's buffer; a browser sends a few KiB).
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Default time to read a request's headers, in seconds.
pub const DEFAULT_HEADER_TIMEOUT_SECS: u64 = 10;

/// How the server loop treats connections.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// A request's headers must be in within this time (see the module docs).
    pub header_timeout: Duration,
    /// How long shutdown waits for open HTTP exchanges to finish.
    pub shutdown_grace: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            header_timeout: Duration::from_secs(DEFAULT_HEADER_TIMEOUT_SECS),
            shutdown_grace: Duration::from_secs(2),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets open HTTP exchanges finish
/// (at most [`ServeOptions::shutdown_grace`]). Upgraded WebSockets are not waited for: they
/// are the hub's to close.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    conns: Arc<Conns>,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut refusals = RefusalLog::default();
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                // EMFILE and the like: the caps should keep us from it; wait for a place.
                tracing::error!("accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let ticket = match conns.admit(peer.ip()) {
            Ok(t) => t,
            Err(why) => {
                refusals.note(why, peer, &conns);
                drop(stream);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_connection(
            stream,
            peer,
            ticket,
            app.clone(),
            options.header_timeout,
            stop_rx.clone(),
        ));
    }
    drop(listener);
    drop(stop_rx);
    let _ = stop_tx.send(true);
    // Every connection task holds a receiver: wait for them to go (or the grace to pass).
    let _ = tokio::time::timeout(options.shutdown_grace, stop_tx.closed()).await;
    Ok(())
}

/// One connection: HTTP/1.1 with upgrades, until it closes, is evicted, or the server stops.
async fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    ticket: Ticket,
    app: Router,
    header_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let service_ticket = ticket.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        req.extensions_mut().insert(service_ticket.clone());
        let app = app.clone();
        async move {
            let res = app
                .oneshot(req.map(axum::body::Body::new))
                .await
                .unwrap_or_else(|e: Infallible| match e {});
            Ok::<_, Infallible>(res)
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(MAX_HEADER_BYTES);
    let conn = builder
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    let mut conn = std::pin::pin!(conn);
    let mut stopping = false;
    loop {
        tokio::select! {
            done = conn.as_mut() => {
                if let Err(e) = done {
                    tracing::trace!(%peer, "connection ended: {e}");
                }
                break;
            }
            () = ticket.evicted() => {
                // A newer connection needed the place; this one never joined a room.
                tracing::debug!(%peer, "connection evicted to make room");
                break;
            }
            changed = stop.changed(), if !stopping => {
                if changed.is_err() || *stop.borrow() {
                    stopping = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Logs refused connections: the first of a burst at `warn`, then a count every ten seconds.
#[derive(Default)]
struct RefusalLog {
    since_last: u64,
    last: Option<tokio::time::Instant>,
}

impl RefusalLog {
    fn note(&mut self, why: Refused, peer: SocketAddr, conns: &Conns) {
        self.since_last += 1;
        let now = tokio::time::Instant::now();
        if self
            .last
            .is_none_or(|t| now.duration_since(t) >= Duration::from_secs(10))
        {
            let limits = conns.limits();
            match why {
                Refused::Full => tracing::warn!(
                    %peer,
                    refused = self.since_last,
                    "connection refused: {} connections open, every one of them in a room (--max-conns)",
                    limits.max_connections
                ),
                Refused::FullForIp => tracing::warn!(
                    %peer,
                    refused = self.since_last,
                    "connection refused: {} connections open from this address, every one of them in a room (--max-conns-per-ip)",
                    limits.max_per_ip
                ),
            }
            self.last = Some(now);
            self.since_last = 0;
        }
    }
}
