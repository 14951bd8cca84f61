//! `trtc-server` binary: parses options, binds, serves [`trtc_server::app`] until SIGINT/SIGTERM.

use std::io::IsTerminal;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;
use trtc_server::limits;

/// See Cargo.toml: glibc's arenas grew the RSS of a long call while the heap stayed flat.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// trtc-wasm room server: signalling, rooms, the SFU, the admin API, the demo `www/` and the SDK
/// `pkg/`.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on, `host:port`; port 0 picks a free port.
    #[arg(long, env = "TRTC_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Directory served at `/`.
    #[arg(long, env = "TRTC_WWW", default_value = "www")]
    www: PathBuf,
    /// Directory served at `/pkg/`.
    #[arg(long, env = "TRTC_PKG", default_value = "pkg")]
    pkg: PathBuf,
    /// An application as `SDKAPPID:SECRETKEY` (repeat for more; env: comma-separated). userSigs
    /// are checked against the key of their sdkAppId.
    #[arg(long = "app", env = "TRTC_APPS", value_delimiter = ',', value_parser = parse_app)]
    apps: Vec<(u64, String)>,
    /// Development mode for one app, the dev app: the first --app, or without --app a built-in
    /// test app (sdkAppId 1400000001, a public key). `GET /trtc/dev/usersig?userId=…` hands out
    /// userSigs for the dev app (for it only, never for another --app) to anyone, and
    /// `/trtc/dev/bot` puts bot participants into its rooms. Never in production.
    #[arg(long, env = "TRTC_DEV")]
    dev: bool,
    /// SFU workers: threads that each run an SFU with sockets of their own (a room's users are
    /// all on one worker; a new room goes to the worker with the fewest peers). Default: the
    /// number of cores.
    #[arg(long = "sfu-threads", env = "TRTC_SFU_THREADS",
          value_parser = clap::value_parser!(u16).range(1..=256))]
    sfu_threads: Option<u16>,
    /// UDP address of the SFU: worker 0's socket; worker k binds the same IP and port + k (with
    /// port 0, each worker a free port of its own).
    #[arg(long, env = "TRTC_UDP", default_value = "127.0.0.1:0")]
    udp: String,
    /// TCP address of the SFU's ICE-TCP listener (RFC 6544 passive candidates, RFC 4571
    /// framing), for browsers whose UDP is blocked; `off` for none. As for --udp, worker k
    /// listens on its port plus k. Default: each worker's UDP IP and port number (when --udp's
    /// port is 0, a free port of its own).
    #[arg(long, env = "TRTC_TCP")]
    tcp: Option<String>,
    /// Most ICE-TCP connections at once, all SFU workers together (each worker takes an equal
    /// share; each connection holds a descriptor).
    #[arg(long, env = "TRTC_TCP_MAX_CONNS", default_value_t = trtc_sfu::TcpConfig::default().max_conns)]
    tcp_max_conns: usize,
    /// Most ICE-TCP connections at once from one IP address, per SFU worker (browsers behind
    /// one NAT share one). Connections that have not passed a STUN check yet are limited to
    /// far fewer.
    #[arg(long, env = "TRTC_TCP_MAX_CONNS_PER_IP", default_value_t = trtc_sfu::TcpConfig::default().max_conns_per_ip)]
    tcp_max_conns_per_ip: usize,
    /// Most ICE-TCP connections from one IP address that have not passed a STUN check yet, per
    /// SFU worker (a browser's passes within a round trip; others are closed after 10 s).
    #[arg(long, env = "TRTC_TCP_MAX_UNCHECKED_PER_IP", default_value_t = trtc_sfu::TcpConfig::default().max_pending_per_ip)]
    tcp_max_unchecked_per_ip: usize,
    /// IP address(es) put in the ICE candidates browsers connect to (comma-separated): the
    /// address clients reach this machine at, with each SFU worker's own ports (open them all:
    /// --udp's port up to port + workers − 1, the same for --tcp). Default: the --udp address
    /// (the --tcp address for TCP candidates).
    #[arg(long = "ice-ip", env = "TRTC_ICE_IP", value_delimiter = ',')]
    ice_ips: Vec<std::net::IpAddr>,
    /// A TURN relay clients may use when UDP to --udp is blocked (repeatable, or
    /// comma-separated): `turn:HOST:PORT`, `turn:HOST:PORT?transport=tcp`, `turns:HOST:443?transport=tcp`.
    /// With --turn-secret, each client that joins gets time-limited credentials for them (the SDK
    /// uses them when the app configured no proxy.turnServer of its own).
    #[arg(long = "turn-url", env = "TRTC_TURN_URLS", value_delimiter = ',', value_parser = parse_turn_url)]
    turn_urls: Vec<String>,
    /// The secret shared with the TURN server (coturn: `use-auth-secret` and
    /// `static-auth-secret=SECRET`): credentials are `expiry:userId` and the base64 HMAC-SHA1
    /// of it.
    #[arg(long = "turn-secret", env = "TRTC_TURN_SECRET")]
    turn_secret: Option<String>,
    /// Refuse every join that does not carry a valid privateMapKey for its room (made with
    /// tls-sig-api-v2's genPrivateMapKey / genPrivateMapKeyWithStringRoomID). A key given
    /// without this flag is checked too.
    #[arg(long = "require-private-map-key", env = "TRTC_REQUIRE_PRIVATE_MAP_KEY")]
    require_private_map_key: bool,
    /// Seconds the issued TURN credentials are valid (a client that reconnects gets new ones).
    #[arg(long = "turn-ttl", env = "TRTC_TURN_TTL", default_value_t = 86_400,
          value_parser = clap::value_parser!(u64).range(60..=604_800))]
    turn_ttl: u64,
    /// Seconds a client may be silent (no heartbeat) or gone without leaving before it is
    /// removed (others see REMOTE_USER_EXIT with reason 1); also how long a dropped client may
    /// take to reconnect unnoticed.
    #[arg(long, env = "TRTC_CLIENT_TIMEOUT", default_value_t = trtc_server::room::DEFAULT_CLIENT_TIMEOUT_SECS)]
    client_timeout: u64,
    /// Seconds an emptied live room lingers when its last leaver was an audience.
    #[arg(long, env = "TRTC_LIVE_LINGER", default_value_t = trtc_server::room::DEFAULT_LIVE_LINGER_SECS)]
    live_linger: u64,
    /// The admin userId: requests to the admin API (`/trtc/admin/v1/…`) carry a userSig for it,
    /// signed with the app's secret key.
    #[arg(
        long = "admin-identifier",
        env = "TRTC_ADMIN_IDENTIFIER",
        default_value = trtc_server::hub::DEFAULT_ADMIN_IDENTIFIER
    )]
    admin_identifier: String,
    /// Most rooms one sdkAppId may have open at once; a join that would open one more fails
    /// (JoinFailed, code -1011). 0: unlimited.
    #[arg(long, env = "TRTC_MAX_ROOMS_PER_APP", default_value_t = limits::DEFAULT_MAX_ROOMS_PER_APP)]
    max_rooms_per_app: usize,
    /// Most users one room may hold (anchors and audiences, and users whose connection dropped
    /// until they come back or time out); a join beyond it fails (JoinFailed, code -1010).
    /// 0: unlimited.
    #[arg(long, env = "TRTC_MAX_USERS_PER_ROOM", default_value_t = limits::DEFAULT_MAX_USERS_PER_ROOM)]
    max_users_per_room: usize,
    /// Messages per second one connection may send, sustained (every frame counts; the SDK's
    /// heartbeat is one every 2 s). Frames beyond the rate are dropped; the first dropped frame
    /// of a flood is answered with an error (code -1012). 0: unlimited.
    #[arg(long, env = "TRTC_MAX_MSGS_PER_SEC", default_value_t = limits::DEFAULT_MSGS_PER_SEC)]
    max_msgs_per_sec: u32,
    /// Messages one connection may send at once before --max-msgs-per-sec applies. Entering a
    /// room, the SDK subscribes to every stream there at once (two messages per user who
    /// publishes audio and video): raise it for rooms of more than ~95 such users.
    #[arg(long, env = "TRTC_MSG_BURST", default_value_t = limits::DEFAULT_MSG_BURST,
          value_parser = clap::value_parser!(u32).range(1..))]
    msg_burst: u32,
    /// Seconds a client may keep sending over --max-msgs-per-sec (its messages being dropped)
    /// before it is disconnected and leaves its room. 0: never disconnect.
    #[arg(long, env = "TRTC_FLOOD_DISCONNECT_SECS", default_value_t = limits::DEFAULT_FLOOD_DISCONNECT_SECS)]
    flood_disconnect_secs: u32,
    /// Messages per second all connections from one client address (IPv6: one /64) may send
    /// together, sustained; a new socket does not reset it. 0: unlimited.
    #[arg(long, env = "TRTC_MAX_MSGS_PER_SEC_PER_IP", default_value_t = limits::DEFAULT_MSGS_PER_SEC_PER_IP)]
    max_msgs_per_sec_per_ip: u32,
    /// Messages all connections from one client address may send at once.
    #[arg(long, env = "TRTC_MSG_BURST_PER_IP", default_value_t = limits::DEFAULT_MSG_BURST_PER_IP,
          value_parser = clap::value_parser!(u32).range(1..))]
    msg_burst_per_ip: u32,
    /// Rooms one userId of an app may be in at once (through several connections); a join
    /// beyond it fails (code -1011). 0: unlimited.
    #[arg(long, env = "TRTC_MAX_ROOMS_PER_USER", default_value_t = limits::DEFAULT_MAX_ROOMS_PER_USER)]
    max_rooms_per_user: usize,
    /// Rooms one userId of an app may open (be the first to enter) per minute; a join beyond it
    /// fails (code -1011). 0: unlimited.
    #[arg(long, env = "TRTC_ROOM_CREATIONS_PER_USER_PER_MIN", default_value_t = limits::DEFAULT_ROOM_CREATIONS_PER_USER_PER_MIN)]
    room_creations_per_user_per_min: u32,
    /// Connections (HTTP and WebSocket) open at once. When full, the oldest connection that has
    /// not joined a room is closed to make room; when every one has joined, new ones are
    /// refused. Lowered to fit the process's open-file limit (`ulimit -n`). 0: unlimited.
    #[arg(long, env = "TRTC_MAX_CONNS", default_value_t = trtc_server::conns::DEFAULT_MAX_CONNECTIONS)]
    max_conns: usize,
    /// Connections open at once from one client address (IPv6: one /64), with the same rule.
    /// 0: unlimited.
    #[arg(long, env = "TRTC_MAX_CONNS_PER_IP", default_value_t = trtc_server::conns::DEFAULT_MAX_CONNECTIONS_PER_IP)]
    max_conns_per_ip: usize,
    /// Apply the per-address caps (connections, messages) to loopback clients too. Without it a
    /// loopback client (a reverse proxy on this machine, a local test) is not capped per
    /// address, only in total.
    #[arg(long, env = "TRTC_LIMIT_LOOPBACK")]
    limit_loopback: bool,
    /// Seconds a client has to send a request's headers (on a new connection, or between
    /// requests on a kept-alive one) before the connection is closed.
    #[arg(long, env = "TRTC_HEADER_TIMEOUT", default_value_t = trtc_server::serve::DEFAULT_HEADER_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout: u64,
    /// Seconds from a WebSocket's upgrade to a `join` the server took (the SDK sends one at
    /// once); then the socket is closed (code -1015).
    #[arg(long, env = "TRTC_JOIN_TIMEOUT", default_value_t = trtc_server::hub::DEFAULT_JOIN_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    join_timeout: u64,
    /// Seconds a WebSocket opened by `callExperimentalAPI('preconnect')` (whose userSig the
    /// server checked) is kept for its `join`, from its upgrade; 0 refuses preconnecting.
    #[arg(long, env = "TRTC_PRECONNECT_KEEP", default_value_t = trtc_server::room::preconnect::DEFAULT_KEEP_SECS)]
    preconnect_keep: u64,
    /// Messages waiting to be written to one client (at most ~4 MiB); a client whose queue is
    /// full does not read and is disconnected.
    #[arg(long, env = "TRTC_SEND_QUEUE", default_value_t = trtc_server::hub::DEFAULT_SEND_QUEUE.max_msgs as u64,
          value_parser = clap::value_parser!(u64).range(1..))]
    send_queue: u64,
    /// Directory recordings are written to (the admin API's CreateCloudRecording): one
    /// directory per task, one Matroska file per recorded user. Without it, recording requests
    /// are refused.
    #[arg(long = "record-dir", env = "TRTC_RECORD_DIR")]
    record_dir: Option<PathBuf>,
    /// The FFmpeg program that writes recordings (looked for when a recording is created, not
    /// at start: the server runs without it).
    #[arg(long, env = "TRTC_FFMPEG", default_value = "ffmpeg")]
    ffmpeg: PathBuf,
    /// Run as one node of a cluster that shares this Redis (`redis://HOST:PORT[/DB]`): the node
    /// registers itself (a heartbeat key that expires), each room is hosted by the one node that
    /// claimed it, and a client joining elsewhere is redirected to that node. Without it the
    /// server runs alone.
    #[arg(long, env = "TRTC_REDIS")]
    redis: Option<String>,
    /// This node's name in the cluster (1 to 64 of A-Z a-z 0-9 . _ -; unique per node).
    /// Default: from --listen's address.
    #[arg(long = "node-id", env = "TRTC_NODE_ID", requires = "redis",
          value_parser = trtc_server::cluster::parse_node_id)]
    node_id: Option<String>,
    /// How clients reach this node: `http(s)://HOST[:PORT]` (its WebSocket is that with
    /// ws(s):// and /trtc/ws). Default: http:// and the address it listens on.
    #[arg(long = "public-url", env = "TRTC_PUBLIC_URL", requires = "redis",
          value_parser = trtc_server::cluster::PublicUrl::parse)]
    public_url: Option<trtc_server::cluster::PublicUrl>,
    /// How the other nodes reach this node's admin API: an http:// URL on a private network
    /// (admin requests for rooms this node hosts are sent there). Default: --public-url when
    /// it is http://; a node with an https:// public URL needs it for the admin API to work
    /// from every node.
    #[arg(long = "cluster-url", env = "TRTC_CLUSTER_URL", requires = "redis",
          value_parser = parse_cluster_url)]
    cluster_url: Option<trtc_server::cluster::PublicUrl>,
    /// With --redis, on SIGTERM/SIGINT the node drains: it takes no new room (joins are sent to
    /// other nodes), gives its rooms up and closes its clients' sockets (they reconnect
    /// elsewhere), and exits once they have gone or after this many seconds.
    #[arg(long = "drain-timeout", env = "TRTC_DRAIN_TIMEOUT", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    drain_timeout: u64,
}

/// File descriptors kept for other things than connections (the listener, the UDP socket,
/// files being served, the runtime's own).
const FD_RESERVE: usize = 64;

/// The soft limit on open files (`ulimit -n`), where the system says (Linux).
fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The sdkAppId of the built-in test app of dev mode.
const DEV_APP_ID: u64 = 1_400_000_001;
const DEV_APP_KEY: &str = "trtc-wasm-dev-mode-key-not-secret";

fn parse_turn_url(s: &str) -> Result<String, String> {
    let s = s.trim();
    let lower = s.to_ascii_lowercase();
    let rest = ["turn:", "turns:"]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
        .ok_or_else(|| {
            format!("'{s}' is not a turn: or turns: URL (e.g. turn:turn.example.com:3478)")
        })?;
    let (host, query) = rest.split_once('?').unwrap_or((rest, ""));
    if host.is_empty() || host.contains('/') || host.chars().any(char::is_whitespace) {
        return Err(format!("'{s}' has no valid host:port"));
    }
    if !matches!(query, "" | "transport=udp" | "transport=tcp") {
        return Err(format!(
            "'{s}': the only query is ?transport=udp or ?transport=tcp"
        ));
    }
    Ok(s.to_string())
}

fn parse_app(s: &str) -> Result<(u64, String), String> {
    let (id, key) = s
        .split_once(':')
        .ok_or_else(|| format!("'{s}' is not SDKAPPID:SECRETKEY"))?;
    let id = id
        .trim()
        .parse::<u64>()
        .map_err(|_| format!("sdkAppId '{id}' is not a number"))?;
    if key.is_empty() {
        return Err(format!("the secret key of sdkAppId {id} is empty"));
    }
    Ok((id, key.to_string()))
}

fn main() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // An idle worker gives back what closed connections left in its heap (see
        // trtc_server::reclaim): without it the RSS stays at the high-water mark of a burst.
        .on_thread_park(|| {
            RECLAIM.with(|r| {
                if r.borrow_mut().due(trtc_server::reclaim::closed()) {
                    // SAFETY: mi_collect only walks and trims the calling thread's own heap (and
                    // abandoned segments); it has no preconditions.
                    #[allow(unsafe_code)]
                    unsafe {
                        libmimalloc_sys::mi_collect(true)
                    };
                }
            })
        })
        .build();
    match runtime {
        Ok(runtime) => runtime.block_on(run()),
        Err(err) => {
            eprintln!("trtc-server: cannot start the async runtime: {err}");
            ExitCode::FAILURE
        }
    }
}

thread_local! {
    static RECLAIM: std::cell::RefCell<trtc_server::reclaim::Reclaimer> =
        std::cell::RefCell::default();
}

async fn run() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    let args = Args::parse();
    if cfg!(panic = "abort") {
        tracing::warn!(
            "built with panic = \"abort\": a panic in one connection ends the whole server (build with --release, which unwinds)"
        );
    }
    if args.admin_identifier.trim().is_empty() {
        tracing::error!("--admin-identifier is empty");
        return ExitCode::FAILURE;
    }
    for (name, dir) in [("www", &args.www), ("pkg", &args.pkg)] {
        if !dir.is_dir() {
            tracing::warn!("{name} directory {} does not exist (yet)", dir.display());
        }
    }

    let listener = match TcpListener::bind(&args.listen).await {
        Ok(listener) => listener,
        Err(err) => {
            tracing::error!("cannot listen on {}: {err}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    let addr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(err) => {
            tracing::error!("cannot read the bound address: {err}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(www = %args.www.display(), pkg = %args.pkg.display(), "serving");

    let mut apps = args.apps.clone();
    let mut dev_app = None;
    if args.dev {
        // The dev app: the first --app (the npm test kit passes its own sdkAppId and key), or
        // the built-in test app. Dev mode signs userSigs and runs bots for it and no other.
        if apps.is_empty() {
            apps.push((DEV_APP_ID, DEV_APP_KEY.to_string()));
        }
        let (id, key) = apps[0].clone();
        let others: Vec<u64> = apps[1..].iter().map(|a| a.0).collect();
        tracing::warn!(
            "DEV MODE: /trtc/dev/usersig signs a userSig for anyone who asks and /trtc/dev/bot puts bots into rooms, for sdkAppId {id} only{}. Do not expose this server.",
            if others.is_empty() {
                String::new()
            } else {
                format!(" (never for {others:?})")
            }
        );
        dev_app = Some((id, key));
    }
    if apps.is_empty() {
        tracing::warn!(
            "no application configured (--app SDKAPPID:KEY): every enterRoom will be refused"
        );
    }
    let ids: Vec<u64> = apps.iter().map(|a| a.0).collect();
    tracing::info!(apps = ?ids, "applications");

    let config = trtc_server::Config {
        www: args.www,
        pkg: args.pkg,
    };
    let sfu_threads = args.sfu_threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    let tcp_limits = trtc_sfu::TcpConfig {
        max_conns: args.tcp_max_conns,
        max_conns_per_ip: args.tcp_max_conns_per_ip,
        max_pending_per_ip: args.tcp_max_unchecked_per_ip,
        max_pending: args
            .tcp_max_unchecked_per_ip
            .max(trtc_sfu::TcpConfig::default().max_pending),
        ..trtc_sfu::TcpConfig::default()
    };
    let worker_opts = trtc_server::workers::WorkerOptions {
        threads: sfu_threads,
        udp: args.udp.clone(),
        tcp: args.tcp.clone(),
        advertise: args.ice_ips.clone(),
        tcp_limits,
        sfu: trtc_sfu::SfuConfig::default(),
    };
    let (workers, sfu_events) = match trtc_server::workers::spawn_workers(&worker_opts).await {
        Ok(w) => w,
        Err(err) => {
            tracing::error!("{err}");
            return ExitCode::FAILURE;
        }
    };
    for (k, sfu) in workers.iter().enumerate() {
        tracing::info!(
            worker = k,
            udp = %sfu.local_addr(),
            candidates = ?sfu.candidates(),
            tcp = ?sfu.tcp_local_addr(),
            tcp_candidates = ?sfu.tcp_candidates(),
            "media (SFU)"
        );
    }
    tracing::info!(identifier = %args.admin_identifier, "admin API at {}", trtc_server::admin::PREFIX);
    let hub = trtc_server::hub::Hub::with_workers(
        trtc_server::room::Apps::new(apps),
        dev_app,
        workers,
        args.admin_identifier.clone(),
    );
    hub.set_live_linger(args.live_linger);
    hub.set_client_timeout(args.client_timeout);
    hub.set_require_private_map_key(args.require_private_map_key);
    match (&args.turn_secret, args.turn_urls.is_empty()) {
        (Some(secret), false) if !secret.is_empty() => {
            tracing::info!(urls = ?args.turn_urls, ttl = args.turn_ttl, "TURN credentials issued to clients");
            hub.set_turn(Some(trtc_server::room::Turn {
                urls: args.turn_urls.clone(),
                secret: secret.clone(),
                ttl_secs: args.turn_ttl,
            }));
        }
        (None, true) => {}
        _ => {
            tracing::error!(
                "--turn-url and --turn-secret go together (and the secret cannot be empty)"
            );
            return ExitCode::FAILURE;
        }
    }
    let caps = limits::Limits {
        max_rooms_per_app: args.max_rooms_per_app,
        max_users_per_room: args.max_users_per_room,
        msgs_per_sec: args.max_msgs_per_sec,
        msg_burst: args.msg_burst,
        flood_disconnect_secs: args.flood_disconnect_secs,
        msgs_per_sec_per_ip: args.max_msgs_per_sec_per_ip,
        msg_burst_per_ip: args.msg_burst_per_ip,
        max_rooms_per_user: args.max_rooms_per_user,
        room_creations_per_user_per_min: args.room_creations_per_user_per_min,
    };
    tracing::info!(?caps, "limits (0: unlimited)");
    hub.set_limits(caps);
    hub.set_join_timeout(Duration::from_secs(args.join_timeout));
    hub.set_preconnect_keep(Duration::from_secs(args.preconnect_keep));
    let send_queue = trtc_server::hub::SendQueue {
        max_msgs: usize::try_from(args.send_queue).unwrap_or(usize::MAX),
        ..trtc_server::hub::DEFAULT_SEND_QUEUE
    };
    hub.set_send_queue(send_queue);
    let mut conn_limits = trtc_server::conns::ConnLimits {
        max_connections: args.max_conns,
        max_per_ip: args.max_conns_per_ip,
        limit_loopback: args.limit_loopback,
    };
    if let Some(fds) = open_files_limit() {
        let fit = fds.saturating_sub(FD_RESERVE).max(1);
        if conn_limits.max_connections == 0 || conn_limits.max_connections > fit {
            tracing::warn!(
                "at most {fit} connections: the open-file limit is {fds} (raise `ulimit -n` for more than that)"
            );
            conn_limits.max_connections = fit;
        }
    }
    tracing::info!(
        ?conn_limits,
        header_timeout_s = args.header_timeout,
        join_timeout_s = args.join_timeout,
        preconnect_keep_s = args.preconnect_keep,
        ?send_queue,
        "connections (0: unlimited)"
    );
    let conns = trtc_server::conns::Conns::new(conn_limits);
    let ticking = hub.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(1));
        loop {
            every.tick().await;
            contained("the housekeeping tick", || ticking.tick());
        }
    });
    // Each SFU worker's events, for as long as it runs. Should a worker's thread end (a panic
    // there), its rooms have no media plane left: the server stops, with a failure status, for
    // its supervisor to start it again (what `panic = "abort"` used to do).
    let (sfu_gone_tx, mut sfu_gone) = tokio::sync::mpsc::channel::<()>(1);
    for mut events in sfu_events {
        let events_hub = hub.clone();
        let gone = sfu_gone_tx.clone();
        tokio::spawn(async move {
            while let Some(ev) = events.recv().await {
                contained("handling an SFU event", || events_hub.on_sfu_event(ev));
            }
            let _ = gone.try_send(());
        });
    }
    let node = match &args.redis {
        None => None,
        Some(url) => match join_cluster(
            url,
            args.node_id.clone(),
            args.public_url.clone(),
            args.cluster_url.clone(),
            addr,
            &hub,
        )
        .await
        {
            Ok(joined) => Some(joined),
            Err(e) => {
                tracing::error!("cannot join the cluster at --redis {url}: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let closer = hub.clone();
    let drainer = node.as_ref().map(|(n, _)| n.clone());
    let refresh = node.as_ref().map(|(_, r)| r.abort_handle());
    let drain_timeout = Duration::from_secs(args.drain_timeout);
    let (why_tx, why) = tokio::sync::oneshot::channel::<Stop>();
    let bots = trtc_server::bot::Bots::new();
    bots.set_server_url(format!("ws://{addr}{}", trtc_proto::WS_PATH));
    let recorder = trtc_server::record::Recorder::new();
    if let Some(dir) = &args.record_dir {
        if let Err(err) = std::fs::create_dir_all(dir) {
            tracing::error!("cannot create --record-dir {}: {err}", dir.display());
            return ExitCode::FAILURE;
        }
        tracing::info!(dir = %dir.display(), ffmpeg = %args.ffmpeg.display(), "recording on");
        recorder.configure(trtc_server::record::RecordConfig {
            dir: dir.clone(),
            ffmpeg: args.ffmpeg.clone(),
            ws_url: format!("ws://{addr}{}", trtc_proto::WS_PATH),
        });
    }
    // The one line on stdout: scripts and tests read the real port from it. Printed once every
    // socket is bound and every option checked, so a reader never gets the URL of a server that
    // then exits.
    println!("trtc-server listening on http://{addr}/");
    let options = trtc_server::serve::ServeOptions {
        header_timeout: Duration::from_secs(args.header_timeout),
        ..Default::default()
    };
    let served = trtc_server::serve::serve(
        listener,
        trtc_server::app_in_cluster(
            &config,
            hub.clone(),
            bots,
            recorder.clone(),
            node.as_ref().map(|(n, _)| n.clone()),
        ),
        conns,
        options,
        async move {
            let stop = tokio::select! {
                () = shutdown_signal() => Stop::Signal,
                _ = sfu_gone.recv() => {
                    tracing::error!("the SFU has stopped: shutting down");
                    Stop::SfuGone
                }
            };
            if let (Stop::Signal, Some(node), Some(refresh)) = (&stop, &drainer, &refresh) {
                // No claim taken again while they are given up.
                refresh.abort();
                drain(node, &closer, drain_timeout).await;
            }
            closer.close_all();
            let _ = why_tx.send(stop);
        },
    )
    .await;
    // The WebSocket connections are not the HTTP server's to wait for (they were upgraded):
    // give them a moment to finish the closing handshake `close_all` started — our close frame
    // out, the client's answer read (its connection then leaves the hub). Exiting as soon as our
    // frame is written would close sockets with the client's answer unread, and the kernel
    // would send a reset that can overtake the close frame.
    // Recordings end first: their engines finish their files (or are killed) and are reaped.
    recorder.shutdown().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while hub.connections() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    if let Some((node, refresh)) = &node {
        // No claim taken again while they are deleted.
        refresh.abort();
        node.leave().await;
    }
    match (served, why.await) {
        (Err(err), _) => {
            tracing::error!("server error: {err}");
            ExitCode::FAILURE
        }
        (Ok(()), Ok(Stop::SfuGone)) => ExitCode::FAILURE,
        (Ok(()), _) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
    }
}

/// Joins the cluster of `--redis`: checks that Redis answers, sends the first heartbeat and
/// starts the refresh loop.
async fn join_cluster(
    url: &str,
    node_id: Option<String>,
    public_url: Option<trtc_server::cluster::PublicUrl>,
    cluster_url: Option<trtc_server::cluster::PublicUrl>,
    addr: std::net::SocketAddr,
    hub: &std::sync::Arc<trtc_server::hub::Hub>,
) -> Result<
    (
        std::sync::Arc<trtc_server::cluster::node::Node>,
        tokio::task::JoinHandle<()>,
    ),
    String,
> {
    use trtc_server::cluster::{self, node::Node, store::Store};
    let store = Store::new(url)?;
    let id = match node_id {
        Some(id) => id,
        None => cluster::parse_node_id(&format!("node-{addr}").replace([':', '[', ']'], "-"))?,
    };
    let public = match public_url {
        Some(u) => u,
        None => {
            if addr.ip().is_unspecified() {
                tracing::warn!(
                    "--public-url is not set and --listen is {addr}: other nodes would redirect clients to an address they cannot reach; set --public-url"
                );
            }
            cluster::PublicUrl::parse(&format!("http://{addr}"))?
        }
    };
    tokio::time::timeout(cluster::store::TIMEOUT, store.ping())
        .await
        .map_err(|_| "Redis did not answer in time".to_string())??;
    let node = Node::with_cluster_url(id, public, cluster_url, store);
    node.refresh_once(hub).await;
    let refresh = node.spawn_refresh(hub.clone());
    tracing::info!(
        node = node.id(),
        url = node.url().as_str(),
        "a node of the cluster"
    );
    Ok((node, refresh))
}

/// `--cluster-url`: a public URL that is `http://` (the nodes forward admin requests in plain
/// HTTP, on a private network).
fn parse_cluster_url(s: &str) -> Result<trtc_server::cluster::PublicUrl, String> {
    let u = trtc_server::cluster::PublicUrl::parse(s)?;
    if !u.as_str().starts_with("http://") {
        return Err(format!(
            "'{}' is not an http:// URL: the nodes send admin requests to each other in plain HTTP (use a private address, e.g. http://10.0.0.1:8080)",
            trtc_server::room::clip(s, 64)
        ));
    }
    Ok(u)
}

/// How long a draining node must have had no client before it stops.
const DRAIN_QUIET: Duration = Duration::from_secs(2);

/// Drains a node of a cluster ([`trtc_server::cluster::node::Node::drain`]) and waits, at most
/// `timeout`, until its clients have gone: the listener keeps answering meanwhile, so clients
/// that come back here are sent to another node.
async fn drain(
    node: &trtc_server::cluster::node::Node,
    hub: &trtc_server::hub::Hub,
    timeout: Duration,
) {
    tracing::info!(
        clients = hub.connections(),
        "draining: sending the clients to other nodes"
    );
    node.drain(hub).await;
    // Gone means no client for DRAIN_QUIET in a row: a client whose socket was just closed
    // comes back at once (its first reconnect attempt, to the URL it entered with, which may be
    // this node) and is redirected; the node waits for that before it stops listening. A
    // bounded wait on a condition: the hub has no event for "the last client left".
    let deadline = tokio::time::Instant::now() + timeout;
    let mut last_seen = tokio::time::Instant::now();
    loop {
        let now = tokio::time::Instant::now();
        if hub.connections() > 0 {
            last_seen = now;
        } else if now - last_seen >= DRAIN_QUIET {
            break;
        }
        if now >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    match hub.connections() {
        0 => tracing::info!("drained: no clients left"),
        n => tracing::warn!(clients = n, "drain timeout: closing the clients left"),
    }
}

/// Why the server stopped.
enum Stop {
    /// SIGINT or SIGTERM.
    Signal,
    /// The SFU's thread ended.
    SfuGone,
}

/// Runs `f`; a panic in it is logged instead of ending the task that calls it (the housekeeping
/// tick and the SFU's events run for the server's lifetime).
fn contained(what: &str, f: impl FnOnce()) {
    if std::panic::catch_unwind(AssertUnwindSafe(f)).is_err() {
        tracing::error!("{what} panicked; carrying on");
    }
}

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for SIGINT: {err}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(err) => {
                tracing::error!("cannot listen for SIGTERM: {err}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}
