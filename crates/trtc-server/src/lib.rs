//! # trtc-server — the trtc-wasm room server
//!
//! **What this crate owns:**
//!
//! * `GET /…` serves the `www` directory (the demo; `index.html` for directories).
//! * `GET /pkg/…` serves the `pkg` directory (the built npm package: `index.js`, the `.wasm`, …).
//! * `GET /trtc/ws`: WebSocket signalling — one task per connection (`signal`) in front of the
//!   [`hub`], which holds the room registry ([`room`], no IO) — with userSig checks (TLS-sig v2,
//!   `trtc-usersig`).
//! * `/trtc/admin/v1/…`: the admin REST API ([`admin`]): list rooms, remove users, dismiss rooms,
//!   cloud recording ([`record`]: a file per user, written by an FFmpeg process the server
//!   starts); requests carry an admin userSig signed with the app's secret key.
//! * `/trtc/dev/…`, only in dev mode (`dev`), for the dev app only: test userSigs (never for the
//!   admin identifier), bot participants ([`bot`]), fault injection (drop a user's
//!   connection, block its network for a while), and recordings for the demo (`dev_record`:
//!   start, stop, list and download, through the admin API's [`record::Recorder`]).
//! * Caps ([`limits`]): rooms per app, users per room, rooms per user and room openings per user
//!   (a join beyond them fails), messages per second per connection and per client address (a
//!   token bucket; a client that keeps flooding is disconnected); open connections in total and
//!   per client address ([`conns`], enforced by [`serve::serve`], the server loop, which also
//!   times out request headers); the time from upgrade to `join`, the size of frames before
//!   and after it ([`frames`]), and each client's outbound queue ([`hub`]).
//! * Media: the SFU (`trtc-sfu`, str0m) on `--sfu-threads` workers, each with sockets of its
//!   own ([`workers`]); a room's peers all live on one worker, chosen when the room gets its
//!   first peer ([`shard`]). The registry's media commands go to the peer's worker and the
//!   workers' offers go to the clients.
//!
//! * Many servers through Redis (`--redis`, [`cluster`]): each node keeps a heartbeat key, each
//!   room is claimed by one node, and a join on another node is redirected to the owner.
//!
//! The message types and room-id rules it shares with the SDK are `trtc-proto`'s; it needs
//! nothing of `trtc-core`.
//!
//! ## Modules
//!
//! Dependencies point one way (`a → b`: `a` uses `b`); no cycle:
//!
//! ```text
//! lib (the router) → signal, dev, dev_record, bot, admin, hub, room
//! serve  → conns              the accept loop: caps, header timeout, hyper
//! signal → hub, room, conns, frames, cluster   the WebSocket task: frames in, the client's queue out
//! cluster → hub, room, clock  Redis: node heartbeat, room claims, where a join goes
//! dev    → hub, room, clock   /trtc/dev/… handlers
//! bot    → hub                /trtc/dev/bot: the load client's user, joining over /trtc/ws
//! dev_record → dev, admin, record, hub, room, clock   /trtc/dev/recording…: the demo's recordings
//! admin  → hub, room, clock, record   /trtc/admin/v1/… handlers
//! record → hub, clock         recording tasks: a hidden member per task, FFmpeg children
//! hub    → room, limits, clock, shard   shared state behind one lock; carries out effects
//! workers                     binds each SFU worker's sockets and starts it
//! room   → limits             the registry: messages in, effects out (no IO, no clock)
//! limits, clock, conns, frames, shard   leaves
//! ```
//!
//! ## Invariants
//!
//! * The hub's state is behind one lock, taken once per event and never held across an
//!   `.await`; the effects of one event are queued before the next event is handled, so every
//!   client sees the registry's decisions in the order they were made.
//! * The registry does no IO and reads no clock: time is passed in ([`clock`] is read only at
//!   the edges), so rooms, timeouts and caps are tested, and fuzzed, without sockets.
//! * A panic while handling one client's message closes that client's connection only: the
//!   WebSocket task catches it and the hub takes its lock back from poison (the release build
//!   unwinds; see the workspace's `Cargo.toml`).
//! * A refused message, join or admin action changes nothing and says why.
//! * Nothing outside the two configured roots is ever served: `..` segments, in plain or
//!   percent-encoded form (`%2e%2e`, `..%2f`), are rejected with `404 Not Found`
//!   ([`tower_http::services::ServeDir`] refuses any path component that is not a normal name).
//! * Content types browsers are strict about are fixed by one table, [`CONTENT_TYPES`], rather
//!   than left to extension guessing: `.wasm` is `application/wasm` (required by
//!   `WebAssembly.instantiateStreaming`), `.js`/`.mjs` are `text/javascript` (required for
//!   `<script type="module">`).
//! * [`app`] does no IO when built; tests drive it with `tower::ServiceExt::oneshot`, no socket.

#![warn(missing_docs)]

pub mod admin;
pub mod bot;
pub mod clock;
pub mod cluster;
pub mod conns;
mod dev;
mod dev_record;
pub mod frames;
pub mod hub;
pub mod limits;
pub mod reclaim;
pub mod record;
pub mod room;
pub mod serve;
pub mod shard;
mod signal;
pub mod workers;

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use tower_http::services::ServeDir;

/// Where the server finds the files it serves.
#[derive(Debug, Clone)]
pub struct Config {
    /// Served at `/` (the demo page).
    pub www: PathBuf,
    /// Served at `/pkg/` (the SDK package built from `pkg-template/`).
    pub pkg: PathBuf,
}

/// File extension → `Content-Type` for the types that must be exact; every other type is
/// guessed from the extension by [`ServeDir`].
pub const CONTENT_TYPES: &[(&str, &str)] = &[
    ("wasm", "application/wasm"),
    ("js", "text/javascript"),
    ("mjs", "text/javascript"),
];

/// The `Content-Type` from [`CONTENT_TYPES`] for a request path, if its extension is listed.
pub fn content_type_for(path: &str) -> Option<&'static str> {
    let name = path.rsplit('/').next()?;
    let (_, ext) = name.rsplit_once('.')?;
    CONTENT_TYPES
        .iter()
        .find(|(e, _)| e.eq_ignore_ascii_case(ext))
        .map(|&(_, ct)| ct)
}

/// The whole HTTP application. Building it touches no files; the roots are read per request.
pub fn app(config: &Config) -> Router {
    app_with_hub(config, hub::Hub::new(room::Apps::default(), None, None))
}

/// The application with its signalling hub (apps, dev mode, media plane); no dev bots.
pub fn app_with_hub(config: &Config, hub: Arc<hub::Hub>) -> Router {
    app_with_bots(config, hub, bot::Bots::new())
}

/// [`app_with_hub`] with the dev-mode bots of [`bot`] (they need the server's URL:
/// [`bot::Bots::set_server_url`]).
pub fn app_with_bots(config: &Config, hub: Arc<hub::Hub>, bots: Arc<bot::Bots>) -> Router {
    app_with_services(config, hub, bots, record::Recorder::new())
}

/// [`app_with_bots`] with the recording tasks of [`record`] (recording is off until
/// [`record::Recorder::configure`]).
pub fn app_with_services(
    config: &Config,
    hub: Arc<hub::Hub>,
    bots: Arc<bot::Bots>,
    recorder: Arc<record::Recorder>,
) -> Router {
    app_in_cluster(config, hub, bots, recorder, None)
}

/// [`app_with_services`] as one node of a cluster ([`cluster`]): a join for a room another
/// node hosts is redirected there (`None`: a server alone).
pub fn app_in_cluster(
    config: &Config,
    hub: Arc<hub::Hub>,
    bots: Arc<bot::Bots>,
    recorder: Arc<record::Recorder>,
    node: Option<Arc<cluster::node::Node>>,
) -> Router {
    let dev_bots = Router::new()
        .route(
            "/trtc/dev/bot",
            axum::routing::post(bot::start).delete(bot::stop),
        )
        .with_state((hub.clone(), bots));
    let dev_recording = dev_record::router(hub.clone(), recorder.clone());
    let mut admin_routes = admin::router_with_recorder(hub.clone(), recorder);
    if let Some(node) = &node {
        // Every node answers: actions go to the room's node, `GET rooms` lists them all.
        admin_routes = admin_routes.layer(middleware::from_fn_with_state(
            node.clone(),
            cluster::forward::admin,
        ));
    }
    let ws = Router::new()
        .route(trtc_proto::WS_PATH, get(signal::ws_handler))
        .with_state((hub.clone(), node));
    let trtc = Router::new()
        .route("/trtc/dev/usersig", get(dev::usersig))
        .route("/trtc/dev/drop", get(dev::drop_connection))
        .route("/trtc/dev/block", get(dev::block))
        .with_state(hub.clone());
    Router::new()
        .merge(ws)
        .merge(trtc)
        .merge(dev_bots)
        .merge(dev_recording)
        .nest(admin::PREFIX, admin_routes)
        .nest_service("/pkg", ServeDir::new(&config.pkg))
        .fallback_service(ServeDir::new(&config.www))
        .layer(middleware::from_fn(exact_content_type))
}

/// Overrides the guessed `Content-Type` of successful responses with [`CONTENT_TYPES`].
async fn exact_content_type(req: Request, next: Next) -> Response {
    let content_type = content_type_for(req.uri().path());
    let mut res = next.run(req).await;
    if let Some(ct) = content_type {
        if res.status().is_success() {
            res.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(ct));
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::content_type_for;

    #[test]
    fn content_type_table() {
        let cases = [
            ("/pkg/trtc_wasm_bg.wasm", Some("application/wasm")),
            ("/pkg/index.js", Some("text/javascript")),
            ("/pkg/snippets/x/inline0.mjs", Some("text/javascript")),
            ("/APP.JS", Some("text/javascript")),
            ("/index.html", None),
            ("/style.css", None),
            ("/", None),
            ("/js", None),
            ("/dir.js/", None),
        ];
        for (path, want) in cases {
            assert_eq!(content_type_for(path), want, "{path}");
        }
    }
}
