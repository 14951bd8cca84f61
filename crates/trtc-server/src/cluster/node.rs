//! One node of a cluster: its identity, its claims ([`Claims`]) and its Redis [`Store`]; the
//! routing of a join ([`Node::route`]) and the refresh loop ([`Node::refresh_once`], every
//! [`REFRESH_MS`]).

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::clock::now_unix_ms;
use crate::hub::Hub;
use crate::room::RoomKey;

use super::store::{Claimed, Store, TIMEOUT};
use super::{room_key, Claims, Owner, PublicUrl, REFRESH_MS};

/// This server as a node of a cluster (`--redis`).
pub struct Node {
    id: String,
    url: PublicUrl,
    /// `--cluster-url`: where the other nodes send this node's admin requests.
    cluster_url: Option<PublicUrl>,
    store: Store,
    claims: Mutex<Claims<RoomKey>>,
    /// Draining ([`Node::drain`]): no room is taken here any more.
    draining: AtomicBool,
}

/// What a refresh did (logs, tests).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Refreshed {
    /// Claims extended.
    pub refreshed: usize,
    /// Claims deleted (their rooms closed here).
    pub released: usize,
    /// Rooms whose clients were sent away (the claim expired or another node holds it).
    pub evicted: usize,
}

impl Node {
    /// Node `id` (checked by [`super::parse_node_id`]) reached at `url`, through `store`.
    pub fn new(id: String, url: PublicUrl, store: Store) -> Arc<Node> {
        Node::with_cluster_url(id, url, None, store)
    }

    /// [`Node::new`], with the `http://` URL the other nodes send admin requests to
    /// (`--cluster-url`; without it they use `url` when it is `http://`).
    pub fn with_cluster_url(
        id: String,
        url: PublicUrl,
        cluster_url: Option<PublicUrl>,
        store: Store,
    ) -> Arc<Node> {
        Arc::new(Node {
            id,
            url,
            cluster_url,
            store,
            claims: Mutex::new(Claims::default()),
            draining: AtomicBool::new(false),
        })
    }

    /// The node id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The public URL.
    pub fn url(&self) -> &PublicUrl {
        &self.url
    }

    /// The Redis store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    fn claims(&self) -> MutexGuard<'_, Claims<RoomKey>> {
        // Each call changes the table in one step: a poisoned lock is taken as it is.
        self.claims.lock().unwrap_or_else(|p| {
            self.claims.clear_poison();
            p.into_inner()
        })
    }

    /// Whether this node holds the claim of `room` now.
    pub fn holds(&self, room: &RoomKey) -> bool {
        self.claims().holds(room, now_unix_ms())
    }

    /// Who serves `room`: this node (claimed now if nobody held it, or its holder died) or
    /// another live node. An error when Redis does not answer in time.
    pub async fn route(&self, room: &RoomKey) -> Result<Owner, String> {
        if self.is_draining() {
            return self.route_away(room).await;
        }
        let now = now_unix_ms();
        if self.claims().holds(room, now) {
            return Ok(Owner::Me);
        }
        let key = room_key(room.0, &room.1);
        match tokio::time::timeout(TIMEOUT, self.store.claim(&key, &self.id)).await {
            Err(_) => Err("Redis did not answer in time".into()),
            Ok(Err(e)) => Err(e),
            Ok(Ok(Claimed::Mine)) => {
                self.claims().confirmed(room.clone(), now);
                Ok(Owner::Me)
            }
            Ok(Ok(Claimed::Other { id, url })) if id == self.id => {
                // Cannot happen (the script says Mine then); taken as ours.
                let _ = url;
                self.claims().confirmed(room.clone(), now);
                Ok(Owner::Me)
            }
            Ok(Ok(Claimed::Other { id, url })) => Ok(Owner::Node { id, url }),
        }
    }

    /// The node that owns `room` and its URL, without claiming it (`None`: nobody, or its node
    /// is gone).
    pub async fn owner_of(&self, room: &RoomKey) -> Result<Option<(String, PublicUrl)>, String> {
        let key = room_key(room.0, &room.1);
        let Some(id) = bounded(self.store.holder(&key)).await? else {
            return Ok(None);
        };
        if id == self.id {
            return Ok(Some((id, self.url.clone())));
        }
        Ok(bounded(self.store.node_url(&id))
            .await?
            .map(|url| (id, url)))
    }

    /// Where to send node `id`'s admin requests: its `--cluster-url`, else `public` (its public
    /// URL). Redis not answering counts as no `--cluster-url`.
    pub async fn admin_url(&self, id: &str, public: PublicUrl) -> PublicUrl {
        let given = if id == self.id {
            self.cluster_url.clone()
        } else {
            bounded(self.store.admin_url(id)).await.ok().flatten()
        };
        given.unwrap_or(public)
    }

    /// The live nodes (this one too) and their URLs, at most [`super::forward::MAX_NODES`] + 1.
    pub async fn live_nodes(&self) -> Result<Vec<(String, PublicUrl)>, String> {
        bounded(self.store.nodes(super::forward::MAX_NODES + 1)).await
    }

    /// Whether the node is draining.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// A draining node's answer for a join: the room's owner when another live node holds it,
    /// otherwise another live node (which claims it); an error when there is none.
    async fn route_away(&self, room: &RoomKey) -> Result<Owner, String> {
        if let Some((id, url)) = self.owner_of(room).await? {
            if id != self.id {
                return Ok(Owner::Node { id, url });
            }
        }
        self.live_nodes()
            .await?
            .into_iter()
            .find(|(id, _)| id != &self.id)
            .map(|(id, url)| Owner::Node { id, url })
            .ok_or_else(|| "this node is draining and no other node is alive".to_string())
    }

    /// Starts draining: no room is taken here from now on (a join is sent to another node), the
    /// node's claims and heartbeat are deleted so that other nodes take its rooms over, and every
    /// client is told to go (its socket closed: it reconnects, and is sent elsewhere). Stop the
    /// refresh loop first, or it claims the rooms again.
    pub async fn drain(&self, hub: &Hub) {
        self.draining.store(true, Ordering::SeqCst);
        self.leave().await;
        hub.close_all();
    }

    /// One refresh at the wall-clock time: the heartbeat; claims of open rooms extended, of
    /// closed ones deleted; rooms open here that this node does not hold are claimed, or their
    /// clients sent away (to reconnect, and be redirected to the owner).
    pub async fn refresh_once(&self, hub: &Hub) -> Refreshed {
        let mut done = Refreshed::default();
        if self.is_draining() {
            return done;
        }
        let now = now_unix_ms();
        if let Err(e) = bounded(self.store.heartbeat(
            &self.id,
            &self.url,
            self.cluster_url.as_ref(),
        ))
        .await
        {
            tracing::warn!(node = %self.id, "the heartbeat failed: {e}");
        }
        let open: HashSet<RoomKey> = hub.open_rooms();
        let plan = self.claims().plan(&open, now);
        for room in plan.refresh {
            let key = room_key(room.0, &room.1);
            match bounded(self.store.refresh(&key, &self.id)).await {
                Ok(true) => {
                    self.claims().confirmed(room, now);
                    done.refreshed += 1;
                }
                Ok(false) => {
                    self.claims().lost(&room);
                    if open.contains(&room) {
                        tracing::warn!(node = %self.id, ?room, "the claim was lost: sending the room's clients away");
                        hub.evict_room(&room);
                        done.evicted += 1;
                    }
                }
                Err(e) => {
                    tracing::warn!(node = %self.id, ?room, "refreshing the claim failed: {e}")
                }
            }
        }
        for room in plan.release {
            let key = room_key(room.0, &room.1);
            match bounded(self.store.release(&key, &self.id)).await {
                Ok(_) => done.released += 1,
                Err(e) => {
                    tracing::warn!(node = %self.id, ?room, "releasing the claim failed (it expires): {e}")
                }
            }
        }
        for room in plan.expired {
            tracing::warn!(node = %self.id, ?room, "the claim could not be refreshed in time: sending the room's clients away");
            hub.evict_room(&room);
            done.evicted += 1;
        }
        for room in plan.unclaimed {
            let key = room_key(room.0, &room.1);
            match bounded(self.store.claim(&key, &self.id)).await {
                Ok(Claimed::Mine) => self.claims().confirmed(room, now),
                Ok(Claimed::Other { id, .. }) => {
                    tracing::warn!(node = %self.id, ?room, owner = %id, "another node owns this room: sending its clients away");
                    hub.evict_room(&room);
                    done.evicted += 1;
                }
                Err(e) => tracing::warn!(node = %self.id, ?room, "claiming the room failed: {e}"),
            }
        }
        done
    }

    /// Refreshes every [`REFRESH_MS`] for as long as the task runs.
    pub fn spawn_refresh(self: &Arc<Self>, hub: Arc<Hub>) -> tokio::task::JoinHandle<()> {
        let node = self.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(REFRESH_MS));
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                node.refresh_once(&hub).await;
            }
        })
    }

    /// The node stops: its claims are deleted and its heartbeat key too (best effort; they
    /// expire anyway).
    pub async fn leave(&self) {
        let keys = self.claims().keys();
        for room in keys {
            let key = room_key(room.0, &room.1);
            let _ = bounded(self.store.release(&key, &self.id)).await;
            self.claims().lost(&room);
        }
        let _ = bounded(self.store.forget_node(&self.id)).await;
    }
}

/// A Redis call with [`TIMEOUT`].
async fn bounded<T>(f: impl std::future::Future<Output = Result<T, String>>) -> Result<T, String> {
    tokio::time::timeout(TIMEOUT, f)
        .await
        .unwrap_or_else(|_| Err("Redis did not answer in time".into()))
}
