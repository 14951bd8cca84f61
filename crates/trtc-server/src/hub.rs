//! The hub: the server's shared state behind one lock, and the one way into it. Each call takes
//! something that happened — a frame from a client, a connection ending, a timer tick, an admin
//! action, an SFU event — feeds the [`Registry`], and carries out the [`Effect`]s it returns:
//! messages onto the clients' outbound queues ([`Out`]), closes, and commands to the SFU.
//!
//! * **One lock.** The state — the registry, the client table (each client's outbound queue
//!   and message gate), the caps and the dev blocks — sits behind one [`Mutex`]. A call takes it
//!   once, decides, and carries out the effects before it lets go, so the messages of two calls
//!   reach every client in the order the registry decided them. Nothing under the lock waits:
//!   the outbound queues are unbounded channels and the SFU takes commands on a channel, so the
//!   lock is never held across an `.await` (clippy's `await_holding_lock` checks).
//! * **No IO; the time passed in.** Every method that depends on the time has an `…_at` form that takes it
//!   (unix milliseconds); the forms without read [`crate::clock`]. Sockets are the WebSocket
//!   task's (the private `signal` module): the hub only fills queues.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc;
use trtc_proto::{code, ClientMsg, RoomId, ServerMsg};

use crate::clock::now_unix_ms;
use crate::limits::{Admit, Limits, MessageGate};
use crate::room::{AdminError, Apps, Auth, ClientId, Effect, MediaCmd, Registry, RoomKey};

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

/// One connected client: where its messages go, and its message-rate rule.
struct Conn {
    tx: mpsc::UnboundedSender<Out>,
    gate: MessageGate,
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
}

/// The signalling hub: rooms, connected clients and the SFU, shared by every connection's task,
/// the admin API, the dev endpoints and the binary's timer (module docs).
pub struct Hub {
    state: Mutex<HubState>,
    /// The media plane; `None` runs signalling alone (tests of the room layer).
    media: Option<trtc_sfu::SfuHandle>,
    apps: Apps,
    /// `(sdkAppId, key)` the dev endpoint signs with; `None` outside dev mode.
    dev_app: Option<(u64, String)>,
    /// The userId whose userSig proves a request to the admin API comes from the app's admin.
    admin_identifier: String,
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
        let auth: HubAuth = Box::new(apps.clone());
        Arc::new(Hub {
            state: Mutex::new(HubState {
                registry: Registry::new(auth),
                clients: HashMap::new(),
                next_id: 1,
                limits: Limits::default(),
                blocked: HashMap::new(),
            }),
            media,
            apps,
            dev_app,
            admin_identifier: admin_identifier.into(),
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

    /// The SFU, if the hub has one.
    pub fn media(&self) -> Option<&trtc_sfu::SfuHandle> {
        self.media.as_ref()
    }

    /// Sets the caps on rooms, users and message rate ([`crate::limits`]). Clients connected
    /// before keep the message rate they started with.
    pub fn set_limits(&self, limits: Limits) {
        let mut st = self.lock();
        st.limits = limits;
        st.registry
            .set_room_limits(limits.max_rooms_per_app, limits.max_users_per_room);
    }

    /// Sets how long an emptied live room lingers (its last leaver was an audience).
    pub fn set_live_linger(&self, secs: u64) {
        self.lock().registry.set_live_linger(secs);
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

    /// Registers a new client; what it is sent arrives on the receiver.
    pub fn connect(&self) -> (ClientId, mpsc::UnboundedReceiver<Out>) {
        let (tx, rx) = mpsc::unbounded_channel::<Out>();
        let mut st = self.lock();
        let client = st.next_id;
        st.next_id += 1;
        let gate = MessageGate::new(&st.limits);
        st.clients.insert(client, Conn { tx, gate });
        (client, rx)
    }

    /// How many clients are connected (registered with [`Hub::connect`] and not yet gone).
    pub fn connections(&self) -> usize {
        self.lock().clients.len()
    }

    /// How many connected clients' queues are still being read (their WebSocket task still
    /// sends). After [`Hub::close_all`] it falls to 0 as the close frames go out.
    pub fn queues_open(&self) -> usize {
        self.lock()
            .clients
            .values()
            .filter(|c| !c.tx.is_closed())
            .count()
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
        st.clients.remove(&client);
        st.blocked.remove(&client);
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
        st.clients.remove(&client);
        st.blocked.remove(&client);
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
        let conn = {
            let mut st = self.lock();
            st.blocked.remove(&client);
            st.clients.remove(&client)
        };
        if let Some(conn) = conn {
            let _ = conn.tx.send(Out::Close);
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
        if let Some(conn) = st.clients.remove(&client) {
            let _ = conn.tx.send(Out::Close);
        }
        self.carry_out(&st, effects);
    }

    /// Periodic housekeeping at the wall-clock time: [`Hub::tick_at`].
    pub fn tick(&self) {
        self.tick_at(now_unix_ms());
    }

    /// Periodic housekeeping at `now_ms`: silent clients leave, lingering rooms go.
    pub fn tick_at(&self, now_ms: u64) {
        let mut st = self.lock();
        let effects = st.registry.tick(now_ms / 1000);
        self.carry_out(&st, effects);
    }

    /// Closes every client socket (server shutdown).
    pub fn close_all(&self) {
        for conn in self.lock().clients.values() {
            let _ = conn.tx.send(Out::Close);
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

    /// Admin: the rooms of one app with their users.
    pub fn rooms_of(&self, sdk_app_id: u64) -> Vec<(RoomId, Vec<String>)> {
        self.lock().registry.rooms_of(sdk_app_id)
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
                send(&st, peer, ServerMsg::Offer { sdp, slots });
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

    /// The message-rate rule for one frame from `client` at `now_ms`: whether to handle it.
    /// Dropping the first frame of a flood is answered; a client flooding too long is told,
    /// closed and leaves its room.
    fn admit(&self, st: &mut HubState, client: ClientId, now_ms: u64) -> bool {
        let verdict = match st.clients.get_mut(&client) {
            Some(conn) => conn.gate.admit(now_ms),
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
                            "too many messages: this server takes {} a second (bursts of {}) per connection; messages are dropped until the client slows down",
                            limits.msgs_per_sec, limits.msg_burst
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
                        let _ = conn.tx.send(Out::Close);
                    }
                }
                Effect::Media(cmd) => self.media_command(st, cmd),
            }
        }
    }

    fn media_command(&self, st: &HubState, cmd: MediaCmd) {
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
                // The SFU answers when it has parsed the SDP: wait for that on a task of its
                // own, not under the lock.
                let sfu = sfu.clone();
                let tx = st.clients.get(&peer).map(|c| c.tx.clone());
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
}

/// Puts a message on one client's queue (dropped if the client is gone).
fn send(st: &HubState, client: ClientId, msg: ServerMsg) {
    if let Some(conn) = st.clients.get(&client) {
        let _ = conn.tx.send(Out::Msg(msg));
    }
}
