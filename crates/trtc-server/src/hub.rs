//! The hub: the server's shared state behind one lock, and the one way into it. Each call takes
//! something that happened — a frame from a client, a connection ending, a timer tick, an admin
//! action, an SFU event — feeds the [`Registry`], and carries out the [`Effect`]s it returns:
//! messages onto the clients' outbound queues ([`Out`]), closes, and commands to the SFU.
//!
//! * **One lock.** The state — the registry, the client table (each client's outbound queue
//!   and message gate), the caps and the dev blocks — sits behind one [`Mutex`]. A call takes it
//!   once, decides, and carries out the effects before it lets go, so the messages of two calls
//!   reach every client in the order the registry decided them. Nothing under the lock waits:
//!   a message goes onto its client's queue or not at all, and the SFU takes commands on a
//!   channel, so the lock is never held across an `.await` (clippy's `await_holding_lock`
//!   checks).
//! * **Bounded queues.** A client's outbound queue holds at most [`SendQueue::max_msgs`]
//!   messages and about [`SendQueue::max_bytes`] bytes. A client whose queue is full does not
//!   read what it is sent: it is disconnected (as a broken connection: its session may come
//!   back), with a log line saying so. So a client that never reads costs the server at most
//!   its queue.
//! * **No IO; the time passed in.** Every method that depends on the time has an `…_at` form that takes it
//!   (unix milliseconds); the forms without read [`crate::clock`]. Sockets are the WebSocket
//!   task's (the private `signal` module): the hub only fills queues.

use std::collections::HashMap;
use std::net::IpAddr;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{mpsc, Notify};
use trtc_proto::{code, ClientMsg, RoomId, ServerMsg};

use crate::clock::now_unix_ms;
use crate::conns::IpKey;
use crate::limits::{Admit, Limits, MessageGate, TokenBucket};
use crate::room::{
    clip, AdminError, Apps, Auth, ClientId, Effect, MediaCmd, Registry, RoomKey, MESSAGE_CHARS,
};
use crate::shard::{Load, Shards};

/// The admin userId when the server is not told another (`--admin-identifier`, see
/// [`crate::admin`]).
pub const DEFAULT_ADMIN_IDENTIFIER: &str = "administrator";

/// What a client's WebSocket task is to do next, in order.
#[derive(Debug)]
pub enum Out {
    /// Send this message.
    Msg(ServerMsg),
    /// Send a close frame and end the connection.
    Close,
}

/// Default time from a WebSocket upgrade to a `join` the registry took.
pub const DEFAULT_JOIN_TIMEOUT: Duration = Duration::from_secs(5);

/// The bounds of each client's outbound queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendQueue {
    /// Messages queued and not yet written to the socket.
    pub max_msgs: usize,
    /// Their size, as [`approx_size`] counts it. A message larger than this alone (an offer
    /// for a huge room) is still queued when the queue is empty.
    pub max_bytes: usize,
}

/// Default queue: far more than a client that reads ever has waiting (an offer, and the events
/// of a busy room during one round trip), and at most ~4 MiB.
pub const DEFAULT_SEND_QUEUE: SendQueue = SendQueue {
    max_msgs: 1024,
    max_bytes: 4 * trtc_proto::MAX_MESSAGE_BYTES,
};

/// What a client's task reads its messages from ([`Hub::connect`]), and how the hub tells it to
/// hang up when its queue overflowed.
pub struct Outbox {
    rx: mpsc::Receiver<Out>,
    queue: Arc<Queue>,
}

impl Outbox {
    /// The next message, waiting for it; `None` once the hub has forgotten the client.
    pub async fn recv(&mut self) -> Option<Out> {
        let out = self.rx.recv().await;
        if let Some(o) = &out {
            self.queue.took(o);
        }
        out
    }

    /// The next message if one is queued.
    pub fn try_recv(&mut self) -> Result<Out, mpsc::error::TryRecvError> {
        let out = self.rx.try_recv();
        if let Ok(o) = &out {
            self.queue.took(o);
        }
        out
    }

    /// Resolves when the hub gave up on this client (its queue overflowed): close the socket.
    pub fn killed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let queue = self.queue.clone();
        async move {
            if !queue.dead.load(Ordering::SeqCst) {
                queue.kill.notified().await;
            }
        }
    }

    /// Whether the hub gave up on this client (its queue overflowed).
    pub fn is_killed(&self) -> bool {
        self.queue.dead.load(Ordering::SeqCst)
    }

    /// Bytes queued now, as [`approx_size`] counts them.
    pub fn queued_bytes(&self) -> usize {
        self.queue.queued.load(Ordering::Relaxed)
    }
}

/// One client's outbound queue: the sending half, what it holds, and the hang-up signal.
struct Queue {
    client: ClientId,
    tx: mpsc::Sender<Out>,
    bounds: SendQueue,
    /// Bytes queued ([`approx_size`]).
    queued: AtomicUsize,
    /// Overflowed: nothing more is queued, the client's task is closing the socket.
    dead: AtomicBool,
    kill: Notify,
}

impl Queue {
    /// Queues a message; a full queue hangs the client up (see [`send`]).
    fn push(&self, msg: ServerMsg) {
        if self.dead.load(Ordering::SeqCst) || self.tx.is_closed() {
            return;
        }
        let size = approx_size(&msg);
        let queued = self.queued.load(Ordering::Relaxed);
        let over_bytes = queued > 0 && queued + size > self.bounds.max_bytes;
        if !over_bytes {
            // Counted first: the writer may take it off the queue at once.
            self.queued.fetch_add(size, Ordering::Relaxed);
            if self.tx.try_send(Out::Msg(msg)).is_ok() {
                return;
            }
            self.queued.fetch_sub(size, Ordering::Relaxed);
            if self.tx.is_closed() {
                return;
            }
        }
        tracing::warn!(
            client = self.client,
            queued_msgs = self.bounds.max_msgs - self.tx.capacity(),
            queued_bytes = queued,
            "the client does not read what it is sent: its send queue is full (at most {} messages, {} bytes); disconnecting it",
            self.bounds.max_msgs,
            self.bounds.max_bytes
        );
        self.hang_up();
    }

    /// Queues a close; hangs up at once if the queue is full.
    fn close(&self) {
        if self.dead.load(Ordering::SeqCst) || self.tx.try_send(Out::Close).is_err() {
            self.hang_up();
        }
    }

    fn hang_up(&self) {
        self.dead.store(true, Ordering::SeqCst);
        self.kill.notify_one();
    }

    fn took(&self, out: &Out) {
        self.queued.fetch_sub(out_size(out), Ordering::Relaxed);
    }
}

/// One connected client: where its messages go, its message-rate rule and its address.
struct Conn {
    queue: Arc<Queue>,
    gate: MessageGate,
    ip: Option<IpKey>,
    /// An offer went out and no answer to it has been taken yet.
    offer_outstanding: AtomicBool,
}

/// The message rate of one client address, shared by all its connections (so a new socket
/// does not start with a full bucket).
struct IpRate {
    bucket: TokenBucket,
    conns: usize,
}

/// The userSig check the hub's registry runs (the configured [`Apps`] unless
/// [`Hub::set_auth`] put another).
type HubAuth = Box<dyn Auth + Send>;

/// Everything the hub changes, behind its one lock.
struct HubState {
    registry: Registry<HubAuth>,
    clients: HashMap<ClientId, Conn>,
    /// The id the next connection gets (ids are never reused).
    next_id: ClientId,
    /// Caps on rooms, users and message rate ([`Hub::set_limits`]).
    limits: Limits,
    /// Dev fault injection: clients whose signalling is held until then (`/trtc/dev/block`).
    blocked: HashMap<ClientId, tokio::time::Instant>,
    /// Message buckets per client address ([`Limits::msgs_per_sec_per_ip`]).
    ip_rates: HashMap<IpKey, IpRate>,
    /// Outbound queue bounds of new connections.
    send_queue: SendQueue,
    /// Time from upgrade to `join`.
    join_timeout: Duration,
}

/// The signalling hub: rooms, connected clients and the SFU, shared by every connection's task,
/// the admin API, the dev endpoints and the binary's timer (module docs).
pub struct Hub {
    state: Mutex<HubState>,
    /// The media plane: the SFU workers, each with its own sockets and peers (none: signalling
    /// alone, for tests of the room layer).
    media: Vec<trtc_sfu::SfuHandle>,
    /// Which worker each SFU peer and each room is on ([`crate::shard`]). Its own lock, taken
    /// after the state's (never the other way round) and only for a lookup or an update.
    shards: Mutex<Shards<RoomKey>>,
    apps: Apps,
    /// `(sdkAppId, key)` the dev endpoint signs with; `None` outside dev mode.
    dev_app: Option<(u64, String)>,
    /// The userId whose userSig proves a request to the admin API comes from the app's admin.
    admin_identifier: String,
    /// Answers parsed at once (on blocking-task threads): one per core.
    parsers: Arc<tokio::sync::Semaphore>,
}

impl Hub {
    /// A hub for `apps` with the [`DEFAULT_ADMIN_IDENTIFIER`]; `dev_app` turns dev mode on (the
    /// app the dev endpoints sign for); `media` is the SFU (`None`: signalling only).
    pub fn new(
        apps: Apps,
        dev_app: Option<(u64, String)>,
        media: Option<trtc_sfu::SfuHandle>,
    ) -> Arc<Hub> {
        Self::with_admin(apps, dev_app, media, DEFAULT_ADMIN_IDENTIFIER)
    }

    /// [`Hub::new`] with the admin identifier of the admin API (see [`crate::admin`]).
    pub fn with_admin(
        apps: Apps,
        dev_app: Option<(u64, String)>,
        media: Option<trtc_sfu::SfuHandle>,
        admin_identifier: impl Into<String>,
    ) -> Arc<Hub> {
        Self::with_workers(apps, dev_app, media.into_iter().collect(), admin_identifier)
    }

    /// [`Hub::with_admin`] with several SFU workers (`--sfu-threads`): each new room goes to
    /// the least-loaded one and stays there while it has peers ([`crate::shard`]). Empty:
    /// signalling only.
    pub fn with_workers(
        apps: Apps,
        dev_app: Option<(u64, String)>,
        media: Vec<trtc_sfu::SfuHandle>,
        admin_identifier: impl Into<String>,
    ) -> Arc<Hub> {
        let auth: HubAuth = Box::new(apps.clone());
        let admin_identifier: String = admin_identifier.into();
        let mut registry = Registry::new(auth);
        registry.set_admin_identifier(Some(admin_identifier.clone()));
        Arc::new(Hub {
            state: Mutex::new(HubState {
                registry,
                clients: HashMap::new(),
                next_id: 1,
                limits: Limits::default(),
                blocked: HashMap::new(),
                ip_rates: HashMap::new(),
                send_queue: DEFAULT_SEND_QUEUE,
                join_timeout: DEFAULT_JOIN_TIMEOUT,
            }),
            shards: Mutex::new(Shards::new(media.len())),
            media,
            apps,
            dev_app,
            admin_identifier,
            parsers: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
        })
    }

    /// The state, locked. A panic while the lock was held (a bug, in the handling of one
    /// client's message) does not take every later call down with it: the state is taken as the
    /// panic left it, and the panicking client's connection is closed by its task
    /// ([`Hub::failed_at`]).
    fn lock(&self) -> MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(|poisoned| {
            tracing::error!(
                "a panic interrupted a change to the hub's state; carrying on with it as it was left"
            );
            self.state.clear_poison();
            poisoned.into_inner()
        })
    }

    /// The configured applications.
    pub fn apps(&self) -> &Apps {
        &self.apps
    }

    /// The userId admin userSigs are signed for.
    pub fn admin_identifier(&self) -> &str {
        &self.admin_identifier
    }

    /// The app the dev endpoints sign for, `(sdkAppId, key)`; `None` outside dev mode.
    pub fn dev_app(&self) -> Option<&(u64, String)> {
        self.dev_app.as_ref()
    }

    /// The SFU workers (none: signalling only).
    pub fn workers(&self) -> &[trtc_sfu::SfuHandle] {
        &self.media
    }

    /// Which worker each room with an SFU peer is on, and what each worker carries
    /// (diagnostics, tests).
    pub fn worker_load(&self) -> Vec<Load> {
        self.shards().load().to_vec()
    }

    /// The worker of a room that has an SFU peer now.
    pub fn worker_of_room(&self, room: &RoomKey) -> Option<usize> {
        self.shards().worker_of_room(room)
    }

    fn shards(&self) -> MutexGuard<'_, Shards<RoomKey>> {
        // The table is updated in one step per call: a panic elsewhere cannot leave it half
        // changed, so a poisoned lock is taken as it is.
        self.shards.lock().unwrap_or_else(|p| {
            self.shards.clear_poison();
            p.into_inner()
        })
    }

    /// The worker that holds `peer`; a peer never placed (or gone) is sent to worker 0, which
    /// does not know it either and ignores it, as a single SFU would.
    fn sfu_of(&self, peer: trtc_sfu::PeerId) -> Option<&trtc_sfu::SfuHandle> {
        let w = self.shards().worker_of(peer).unwrap_or(0);
        self.media.get(w)
    }

    /// Drops `client`'s media datagrams for `duration` (dev fault injection).
    pub fn block_media(&self, client: ClientId, duration: Duration) {
        if let Some(sfu) = self.sfu_of(client) {
            sfu.block(client, duration);
        }
    }

    /// Sets the caps on rooms, users and message rate ([`crate::limits`]). Clients connected
    /// before keep the message rate they started with.
    pub fn set_limits(&self, limits: Limits) {
        let mut st = self.lock();
        st.limits = limits;
        st.registry.set_limits(&limits);
    }

    /// Sets the bounds of the outbound queues of clients that connect from now on.
    pub fn set_send_queue(&self, queue: SendQueue) {
        self.lock().send_queue = queue;
    }

    /// Sets how long a WebSocket may stay open without joining a room.
    pub fn set_join_timeout(&self, timeout: Duration) {
        self.lock().join_timeout = timeout;
    }

    /// How long a WebSocket may stay open without joining a room.
    pub fn join_timeout(&self) -> Duration {
        self.lock().join_timeout
    }

    /// Sets how long a WebSocket whose user a `preconnect` proved may stay open without joining
    /// (from its upgrade); zero refuses `preconnect`.
    pub fn set_preconnect_keep(&self, keep: Duration) {
        self.lock().registry.set_preconnect_keep(keep.as_secs());
    }

    /// How long `client`'s WebSocket may stay open without joining, from its upgrade, when a
    /// `preconnect` proved its user; `None` when none did.
    pub fn preconnect_keep(&self, client: ClientId) -> Option<Duration> {
        self.lock()
            .registry
            .preconnect_keep(client)
            .map(Duration::from_secs)
    }

    /// Sets how long an emptied live room lingers (its last leaver was an audience).
    pub fn set_live_linger(&self, secs: u64) {
        self.lock().registry.set_live_linger(secs);
    }

    /// Refuses joins without a valid privateMapKey for the room.
    pub fn set_require_private_map_key(&self, on: bool) {
        self.lock().registry.set_require_private_map_key(on);
    }

    /// Issues credentials for these TURN relays to each client that joins.
    pub fn set_turn(&self, turn: Option<crate::room::Turn>) {
        self.lock().registry.set_turn(turn);
    }

    /// Sets how long a silent or dropped client stays before it is removed.
    pub fn set_client_timeout(&self, secs: u64) {
        self.lock().registry.set_client_timeout(secs);
    }

    /// Replaces the userSig check of joins (by default TLS-sig v2 against the keys of the
    /// configured [`Apps`]). The admin API and the dev endpoints keep using the apps' keys.
    pub fn set_auth(&self, auth: impl Auth + Send + 'static) {
        self.lock().registry.set_auth(Box::new(auth));
    }

    /// Registers a new client (its address unknown); what it is sent arrives in the outbox.
    pub fn connect(&self) -> (ClientId, Outbox) {
        self.connect_from(None)
    }

    /// Registers a new client from `ip` (whose connections share one message bucket,
    /// [`Limits::msgs_per_sec_per_ip`]); what it is sent arrives in the outbox.
    pub fn connect_from(&self, ip: Option<IpAddr>) -> (ClientId, Outbox) {
        self.connect_keyed(ip.map(IpKey::from))
    }

    /// [`Hub::connect_from`] with the address as the caps count it (`None`: no rate per
    /// address).
    pub fn connect_keyed(&self, ip: Option<IpKey>) -> (ClientId, Outbox) {
        let mut st = self.lock();
        let bounds = st.send_queue;
        let (tx, rx) = mpsc::channel::<Out>(bounds.max_msgs.max(1));
        let client = st.next_id;
        st.next_id += 1;
        let gate = MessageGate::new(&st.limits);
        if let Some(key) = ip {
            let limits = st.limits;
            let now = now_unix_ms();
            st.ip_rates
                .entry(key)
                .or_insert_with(|| IpRate {
                    bucket: TokenBucket::new(
                        limits.msgs_per_sec_per_ip,
                        limits.msg_burst_per_ip,
                        now,
                    ),
                    conns: 0,
                })
                .conns += 1;
        }
        let queue = Arc::new(Queue {
            client,
            tx,
            bounds,
            queued: AtomicUsize::new(0),
            dead: AtomicBool::new(false),
            kill: Notify::new(),
        });
        st.clients.insert(
            client,
            Conn {
                queue: queue.clone(),
                gate,
                ip,
                offer_outstanding: AtomicBool::new(false),
            },
        );
        (client, Outbox { rx, queue })
    }

    /// Whether `client` is in a room (it joined; a detached member too).
    pub fn is_joined(&self, client: ClientId) -> bool {
        self.lock().registry.is_joined(client)
    }

    /// How many clients are connected (registered with [`Hub::connect`] and not yet gone).
    pub fn connections(&self) -> usize {
        self.lock().clients.len()
    }

    /// Handles one text frame from a client at the wall-clock time: [`Hub::handle_text_at`].
    pub fn handle_text(&self, client: ClientId, text: &str) {
        self.handle_text_at(client, text, now_unix_ms());
    }

    /// Handles one text frame from a client at `now_ms` (unix milliseconds): the message-rate
    /// rule, decoding, the registry, and what it decided.
    pub fn handle_text_at(&self, client: ClientId, text: &str, now_ms: u64) {
        let mut st = self.lock();
        if !self.admit(&mut st, client, now_ms) {
            return;
        }
        let effects = match ClientMsg::decode(text) {
            Ok(msg) => st.registry.handle(client, msg, now_ms / 1000),
            Err(e) => {
                // serde's messages quote the input (an unknown variant, a wrong string): clip.
                let message = clip(&e.to_string(), MESSAGE_CHARS).into_owned();
                tracing::debug!(client, "refused: {message}");
                vec![Effect::Send(
                    client,
                    ServerMsg::Error {
                        code: e.code(),
                        message,
                    },
                )]
            }
        };
        self.carry_out(&st, effects);
    }

    /// A binary frame from a client at the wall-clock time: [`Hub::handle_binary_at`].
    pub fn handle_binary(&self, client: ClientId) {
        self.handle_binary_at(client, now_unix_ms());
    }

    /// A binary frame from a client at `now_ms`: not part of the protocol (it counts against
    /// the rate).
    pub fn handle_binary_at(&self, client: ClientId, now_ms: u64) {
        let mut st = self.lock();
        if self.admit(&mut st, client, now_ms) {
            send(
                &st,
                client,
                ServerMsg::Error {
                    code: code::BAD_MESSAGE,
                    message: "binary frames are not part of the protocol".into(),
                },
            );
        }
    }

    /// The client's connection closed (a closing handshake), at the wall-clock time:
    /// [`Hub::disconnect_at`].
    pub fn disconnect(&self, client: ClientId) {
        self.disconnect_at(client, now_unix_ms());
    }

    /// The client's connection closed at `now_ms`: it leaves its room and is forgotten.
    pub fn disconnect_at(&self, client: ClientId, now_ms: u64) {
        let mut st = self.lock();
        let effects = st.registry.disconnected(client, now_ms / 1000);
        forget(&mut st, client);
        self.carry_out(&st, effects);
    }

    /// The connection dropped without a closing handshake, at the wall-clock time:
    /// [`Hub::dropped_at`].
    pub fn dropped(&self, client: ClientId) {
        self.dropped_at(client, now_unix_ms());
    }

    /// The connection dropped at `now_ms` without a closing handshake: the member waits for its
    /// session to come back (or the client timeout); the connection is forgotten.
    pub fn dropped_at(&self, client: ClientId, now_ms: u64) {
        let mut st = self.lock();
        let effects = st.registry.detached(client, now_ms / 1000);
        forget(&mut st, client);
        self.carry_out(&st, effects);
    }

    /// Handling a message of `client` panicked, at the wall-clock time: [`Hub::failed_at`].
    pub fn failed(&self, client: ClientId) {
        self.failed_at(client, now_unix_ms());
    }

    /// Handling a message of `client` panicked (a bug): its socket is closed and the connection
    /// forgotten, then it leaves its room as after a closing handshake. Should leaving panic
    /// too (the registry's record of this client is what broke), the client is still closed
    /// and forgotten; the other clients carry on either way.
    pub fn failed_at(&self, client: ClientId, now_ms: u64) {
        let conn = forget(&mut self.lock(), client);
        if let Some(conn) = conn {
            conn.queue.close();
        }
        let left = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let mut st = self.lock();
            let effects = st.registry.disconnected(client, now_ms / 1000);
            self.carry_out(&st, effects);
        }));
        if left.is_err() {
            tracing::error!(
                client,
                "taking the failed client out of its room panicked too"
            );
        }
    }

    /// Cuts a client's connection as a broken network would (dev fault injection): the member
    /// waits for its session as after [`Hub::dropped_at`], and the socket is closed.
    pub fn cut_at(&self, client: ClientId, now_ms: u64) {
        let mut st = self.lock();
        let effects = st.registry.detached(client, now_ms / 1000);
        if let Some(conn) = forget(&mut st, client) {
            conn.queue.close();
        }
        self.carry_out(&st, effects);
    }

    /// Periodic housekeeping at the wall-clock time: [`Hub::tick_at`].
    pub fn tick(&self) {
        self.tick_at(now_unix_ms());
    }

    /// Periodic housekeeping at `now_ms`: silent clients leave, lingering rooms go, the
    /// message buckets of addresses without a connection are forgotten once full again.
    pub fn tick_at(&self, now_ms: u64) {
        let mut st = self.lock();
        let effects = st.registry.tick(now_ms / 1000);
        st.ip_rates
            .retain(|_, r| r.conns > 0 || !r.bucket.is_full(now_ms));
        self.carry_out(&st, effects);
    }

    /// Closes every client socket (server shutdown).
    pub fn close_all(&self) {
        for conn in self.lock().clients.values() {
            conn.queue.close();
        }
    }

    /// Carries out effects decided elsewhere (the WebSocket task's own refusals).
    pub fn apply(&self, effects: Vec<Effect>) {
        let st = self.lock();
        self.carry_out(&st, effects);
    }

    /// Sends a message to one client (dropped if it is gone).
    pub fn send(&self, client: ClientId, msg: ServerMsg) {
        send(&self.lock(), client, msg);
    }

    /// The rooms of every app and their users (diagnostics, tests).
    pub fn rooms(&self) -> Vec<(RoomKey, Vec<String>)> {
        self.lock().registry.rooms()
    }

    /// Whether a join's userSig checks out now ([`Registry::authenticates`]).
    pub fn authenticates(&self, join: &trtc_proto::Join) -> bool {
        self.lock()
            .registry
            .authenticates(join, now_unix_ms() / 1000)
    }

    /// The rooms open on this node (members, or lingering).
    pub fn open_rooms(&self) -> std::collections::HashSet<RoomKey> {
        self.lock()
            .registry
            .rooms()
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    }

    /// Sends a room's clients away (this node no longer owns it, `crate::cluster`): each
    /// connection is closed, as a server going away would, and every member leaves. The clients
    /// reconnect and are sent to the room's owner. Returns how many clients were closed.
    pub fn evict_room(&self, key: &RoomKey) -> usize {
        let mut st = self.lock();
        let (clients, effects) = st.registry.close_room(key, now_unix_ms() / 1000);
        let mut closed = 0;
        for c in clients {
            if let Some(conn) = forget(&mut st, c) {
                conn.queue.close();
                closed += 1;
            }
        }
        self.carry_out(&st, effects);
        closed
    }

    /// Admin: the rooms of one app with their users.
    pub fn rooms_of(&self, sdk_app_id: u64) -> Vec<(RoomId, Vec<String>)> {
        self.lock().registry.rooms_of(sdk_app_id)
    }

    /// A room's seen members and what they publish ([`Registry::publishers`]); `None`: no
    /// such room.
    pub fn publishers(&self, sdk_app_id: u64, room: &RoomId) -> Option<Vec<(String, [bool; 4])>> {
        self.lock().registry.publishers(&(sdk_app_id, room.clone()))
    }

    /// The connections in rooms as `user_id` (dev tools; detached members have none).
    pub fn clients_of(&self, user_id: &str) -> Vec<ClientId> {
        self.lock().registry.clients_of(user_id)
    }

    /// Admin: removes users from a room ([`Registry::remove_users`]) and carries it out.
    pub fn remove_users(
        &self,
        sdk_app_id: u64,
        room: &RoomId,
        user_ids: &[String],
    ) -> Result<(), AdminError> {
        let mut st = self.lock();
        let effects = st.registry.remove_users(sdk_app_id, room, user_ids)?;
        self.carry_out(&st, effects);
        Ok(())
    }

    /// Admin: dismisses a room ([`Registry::dismiss`]) and carries it out.
    pub fn dismiss_room(&self, sdk_app_id: u64, room: &RoomId) -> Result<(), AdminError> {
        let mut st = self.lock();
        let effects = st.registry.dismiss(sdk_app_id, room)?;
        self.carry_out(&st, effects);
        Ok(())
    }

    /// Holds `client`'s signalling until `until` (dev fault injection, `/trtc/dev/block`).
    pub fn block_signalling(&self, client: ClientId, until: tokio::time::Instant) {
        self.lock().blocked.insert(client, until);
    }

    /// Waits while `client`'s signalling is blocked ([`Hub::block_signalling`]), as TCP would
    /// hold the bytes of a network that stopped carrying packets. The lock is not held while
    /// waiting.
    pub(crate) async fn wait_unblocked(&self, client: ClientId) {
        let until = self.lock().blocked.get(&client).copied();
        if let Some(until) = until {
            tokio::time::sleep_until(until).await;
            let mut st = self.lock();
            if st.blocked.get(&client) == Some(&until) {
                st.blocked.remove(&client);
            }
        }
    }

    /// Carries an SFU event to the client it concerns.
    pub fn on_sfu_event(&self, ev: trtc_sfu::SfuEvent) {
        use trtc_sfu::SfuEvent;
        match ev {
            SfuEvent::Offer { peer, sdp, slots } => {
                let st = self.lock();
                let slots = slots
                    .into_iter()
                    .filter_map(|s| {
                        let user_id = match s.source {
                            None => None,
                            // A slot whose source has gone is left out; the next offer drops it.
                            Some(src) => Some(st.registry.user_id_of(src)?),
                        };
                        Some(trtc_proto::TrackSlot {
                            mid: s.mid,
                            user_id,
                            kind: s.kind,
                        })
                    })
                    .collect();
                if let Some(conn) = st.clients.get(&peer) {
                    conn.offer_outstanding.store(true, Ordering::SeqCst);
                    conn.queue.push(ServerMsg::Offer { sdp, slots });
                }
            }
            SfuEvent::Connected { peer } => tracing::debug!(peer, "media connected"),
            SfuEvent::Disconnected { peer, reason } => {
                tracing::warn!(peer, "media connection lost: {reason}");
                // Its worker has dropped it: it no longer counts there.
                self.shards().remove_peer(peer);
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

    /// The message-rate rule for one frame from `client` at `now_ms`: whether to handle it.
    /// Dropping the first frame of a flood is answered; a client flooding too long is told,
    /// closed and leaves its room.
    fn admit(&self, st: &mut HubState, client: ClientId, now_ms: u64) -> bool {
        let HubState {
            clients, ip_rates, ..
        } = st;
        let verdict = match clients.get_mut(&client) {
            Some(conn) => {
                let shared = conn
                    .ip
                    .and_then(|ip| ip_rates.get_mut(&ip))
                    .map(|r| &mut r.bucket);
                conn.gate.admit_shared(now_ms, shared)
            }
            None => return true,
        };
        let limits = st.limits;
        match verdict {
            Admit::Yes => return true,
            Admit::Dropped { notify: false } => {}
            Admit::Dropped { notify: true } => {
                tracing::info!(client, "over the message rate: dropping messages");
                send(
                    st,
                    client,
                    ServerMsg::Error {
                        code: code::RATE_LIMITED,
                        message: format!(
                            "too many messages: this server takes {} a second (bursts of {}) per connection and {} a second (bursts of {}) per client address; messages are dropped until the client slows down",
                            limits.msgs_per_sec, limits.msg_burst, limits.msgs_per_sec_per_ip, limits.msg_burst_per_ip
                        ),
                    },
                );
            }
            Admit::Disconnect => {
                tracing::warn!(client, "flooding: disconnected");
                let mut effects = vec![
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
                ];
                effects.extend(st.registry.disconnected(client, now_ms / 1000));
                self.carry_out(st, effects);
            }
        }
        false
    }

    /// Carries out effects, in order: messages and closes onto the clients' queues, commands to
    /// the SFU. Called with the lock held; nothing here waits.
    fn carry_out(&self, st: &HubState, effects: Vec<Effect>) {
        for e in effects {
            match e {
                Effect::Send(c, m) => send(st, c, m),
                Effect::Close(c) => {
                    if let Some(conn) = st.clients.get(&c) {
                        conn.queue.close();
                    }
                }
                Effect::Media(cmd) => self.media_command(st, cmd),
            }
        }
    }

    fn media_command(&self, st: &HubState, cmd: MediaCmd) {
        if self.media.is_empty() {
            return;
        }
        // Every command concerns one peer's worker: the peer's own, or the subscriber's (its
        // sources are in its room, so on the same worker).
        let peer = match &cmd {
            MediaCmd::AddPeer { peer } => {
                let room = st.registry.room_of(*peer).cloned();
                if room.is_none() {
                    tracing::warn!(peer, "an SFU peer for a client in no room: placed alone");
                }
                let w = self.shards().add_peer(*peer, room);
                if let Some(sfu) = self.media.get(w) {
                    sfu.add_peer(*peer);
                }
                return;
            }
            MediaCmd::RemovePeer { peer } => {
                let w = self.shards().remove_peer(*peer).unwrap_or(0);
                if let Some(sfu) = self.media.get(w) {
                    sfu.remove_peer(*peer);
                }
                return;
            }
            MediaCmd::SetPublish { peer, .. }
            | MediaCmd::SetSmall { peer, .. }
            | MediaCmd::Answer { peer, .. } => *peer,
            MediaCmd::AddSource { subscriber, .. }
            | MediaCmd::RemoveSource { subscriber, .. }
            | MediaCmd::Subscribe { subscriber, .. }
            | MediaCmd::SetLayer { subscriber, .. } => *subscriber,
        };
        let Some(sfu) = self.sfu_of(peer) else { return };
        match cmd {
            MediaCmd::AddPeer { .. } | MediaCmd::RemovePeer { .. } => {}
            MediaCmd::SetPublish {
                peer,
                audio,
                video,
                sub_video,
                sub_audio,
            } => sfu.set_publish_all(peer, [audio, video, sub_video, sub_audio]),
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
            MediaCmd::SetSmall { peer, small } => sfu.set_small(peer, small),
            MediaCmd::SetLayer {
                subscriber,
                source,
                small,
            } => sfu.set_layer(subscriber, source, small),
            MediaCmd::Answer { peer, sdp } => {
                let Some(conn) = st.clients.get(&peer) else {
                    return;
                };
                // One answer per offer: an answer to no offer (or a second one) is refused
                // before anyone parses it.
                if !conn.offer_outstanding.swap(false, Ordering::SeqCst) {
                    conn.queue.push(ServerMsg::Error {
                        code: code::BAD_MESSAGE,
                        message: "no offer is waiting for an answer: answer each offer once".into(),
                    });
                    return;
                }
                // Parsed on a blocking-task thread (a few at a time), never on the SFU's
                // thread, then applied there; refusals are told to the client.
                let sfu = sfu.clone();
                let queue = conn.queue.clone();
                let parsers = self.parsers.clone();
                tokio::spawn(async move {
                    let parsed = match parsers.acquire_owned().await {
                        Ok(permit) => tokio::task::spawn_blocking(move || {
                            let _permit = permit;
                            trtc_sfu::parse_answer(&sdp)
                        })
                        .await
                        .unwrap_or_else(|_| Err("parsing the answer failed".into())),
                        Err(_) => Err("the server is stopping".into()),
                    };
                    if let Err(e) = sfu.apply_answer(peer, parsed).await {
                        let e = clip(&e, MESSAGE_CHARS);
                        tracing::warn!(peer, "answer refused: {e}");
                        queue.push(ServerMsg::Error {
                            code: code::BAD_MESSAGE,
                            message: format!("the answer was refused: {e}"),
                        });
                    }
                });
            }
        }
    }
}

/// Forgets a client's connection (its address's share of the message rate too).
fn forget(st: &mut HubState, client: ClientId) -> Option<Conn> {
    st.blocked.remove(&client);
    let conn = st.clients.remove(&client)?;
    if let Some(ip) = conn.ip {
        if let Some(r) = st.ip_rates.get_mut(&ip) {
            r.conns = r.conns.saturating_sub(1);
        }
    }
    Some(conn)
}

/// Puts a message on one client's queue (dropped if the client is gone). A full queue means the
/// client does not read: it is told to hang up ([`Outbox::killed`]) and gets nothing more.
fn send(st: &HubState, client: ClientId, msg: ServerMsg) {
    if let Some(conn) = st.clients.get(&client) {
        conn.queue.push(msg);
    }
}

/// The size a message is counted with in its client's queue: its text's size, near enough (the
/// JSON around the fields is a constant; escapes are not counted).
pub fn approx_size(msg: &ServerMsg) -> usize {
    const FRAME: usize = 64;
    FRAME
        + match msg {
            ServerMsg::Joined { user_id, users } => {
                user_id.len() + users.iter().map(|u| u.user_id.len() + 40).sum::<usize>()
            }
            ServerMsg::JoinFailed { message, .. }
            | ServerMsg::Error { message, .. }
            | ServerMsg::PublishRefused { message, .. }
            | ServerMsg::RoleRefused { message, .. } => message.len(),
            ServerMsg::SubscribeRefused {
                user_id, message, ..
            } => user_id.len() + message.len(),
            ServerMsg::UserEnter { user_id }
            | ServerMsg::UserExit { user_id, .. }
            | ServerMsg::MediaState { user_id, .. } => user_id.len(),
            ServerMsg::Offer { sdp, slots } => {
                sdp.len()
                    + slots
                        .iter()
                        .map(|s| s.mid.len() + s.user_id.as_ref().map_or(0, String::len) + 40)
                        .sum::<usize>()
            }
            ServerMsg::Kicked { reason } => reason.len(),
            ServerMsg::Custom { user_id, data, .. } => user_id.len() + data.len() + 40,
            ServerMsg::IceServers { servers } => servers
                .iter()
                .map(|s| {
                    s.urls.iter().map(|u| u.len() + 4).sum::<usize>()
                        + s.username.len()
                        + s.credential.len()
                        + 40
                })
                .sum::<usize>(),
            ServerMsg::Redirect { url } => url.len(),
            ServerMsg::Pong { .. }
            | ServerMsg::Preconnected { .. }
            | ServerMsg::RoleSwitched { .. } => 0,
        }
}

fn out_size(out: &Out) -> usize {
    match out {
        Out::Msg(m) => approx_size(m),
        Out::Close => 0,
    }
}
