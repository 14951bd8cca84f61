//! The Redis commands of a node (module docs of [`crate::cluster`] for the keys). Claims are
//! changed by Lua scripts, so each check-and-set is one atomic step in Redis. One multiplexed
//! connection, made again after an error; every command has a deadline.

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, RedisResult, Script};
use tokio::sync::Mutex;

use super::{
    admin_url_key, node_key, parse_node_id, PublicUrl, KEY_PREFIX, NODE_TTL_MS, ROOM_TTL_MS,
};

/// How long a connection to Redis, or one command, may take.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// Takes a room for `ARGV[1]` when nobody holds it, or its holder's heartbeat key is gone (a
/// dead node); extends it when `ARGV[1]` holds it already. Returns `{1}` when the caller holds
/// it, `{0, holder, holder's URL}` otherwise.
const CLAIM: &str = r"
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1}
end
if cur then
  local url = redis.call('GET', ARGV[3] .. cur)
  if url then return {0, cur, url} end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {1}
";

/// Extends a claim `ARGV[1]` holds; 0 when it holds it no more.
const REFRESH: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
";

/// Deletes a claim `ARGV[1]` holds (never another node's).
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// What Redis says about a room a node asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claimed {
    /// The asking node holds it now.
    Mine,
    /// Another node holds it and is alive.
    Other {
        /// Its node id.
        id: String,
        /// Its public URL.
        url: PublicUrl,
    },
}

/// A node's connection to Redis.
pub struct Store {
    client: Client,
    conn: Mutex<Option<MultiplexedConnection>>,
    claim: Script,
    refresh: Script,
    release: Script,
}

impl Store {
    /// A store for the Redis at `url` (`redis://HOST:PORT[/DB]`); nothing is connected yet.
    pub fn new(url: &str) -> Result<Store, String> {
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("redis://") || lower.starts_with("unix://")) {
            return Err(format!(
                "--redis takes a redis:// URL (e.g. redis://127.0.0.1:6379), not '{}'",
                url.chars().take(100).collect::<String>()
            ));
        }
        let client = Client::open(url).map_err(|e| format!("--redis '{url}': {e}"))?;
        Ok(Store {
            client,
            conn: Mutex::new(None),
            claim: Script::new(CLAIM),
            refresh: Script::new(REFRESH),
            release: Script::new(RELEASE),
        })
    }

    /// The connection, made if there is none.
    async fn conn(&self) -> RedisResult<MultiplexedConnection> {
        let mut held = self.conn.lock().await;
        if let Some(c) = held.as_ref() {
            return Ok(c.clone());
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT));
        let c = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        *held = Some(c.clone());
        Ok(c)
    }

    /// After an error the connection is made again for the next command.
    async fn failed<T>(&self, r: RedisResult<T>) -> Result<T, String> {
        match r {
            Ok(v) => Ok(v),
            Err(e) => {
                *self.conn.lock().await = None;
                Err(format!("Redis: {e}"))
            }
        }
    }

    /// Whether Redis answers (a `PING`).
    pub async fn ping(&self) -> Result<(), String> {
        let r = async {
            let mut c = self.conn().await?;
            redis::cmd("PING").query_async::<String>(&mut c).await
        }
        .await;
        self.failed(r).await.map(drop)
    }

    /// The heartbeat: `node_id` is alive at `url` for [`NODE_TTL_MS`].
    pub async fn heartbeat(
        &self,
        node_id: &str,
        url: &PublicUrl,
        admin_url: Option<&PublicUrl>,
    ) -> Result<(), String> {
        let r = async {
            let mut c = self.conn().await?;
            let mut p = redis::pipe();
            p.cmd("SET")
                .arg(node_key(node_id))
                .arg(url.as_str())
                .arg("PX")
                .arg(NODE_TTL_MS)
                .ignore();
            if let Some(a) = admin_url {
                p.cmd("SET")
                    .arg(admin_url_key(node_id))
                    .arg(a.as_str())
                    .arg("PX")
                    .arg(NODE_TTL_MS)
                    .ignore();
            }
            p.query_async::<()>(&mut c).await
        }
        .await;
        self.failed(r).await
    }

    /// Deletes `node_id`'s heartbeat key (it stops).
    pub async fn forget_node(&self, node_id: &str) -> Result<(), String> {
        let r = async {
            let mut c = self.conn().await?;
            redis::cmd("DEL")
                .arg(node_key(node_id))
                .arg(admin_url_key(node_id))
                .query_async::<()>(&mut c)
                .await
        }
        .await;
        self.failed(r).await
    }

    /// The public URL of a live node (`None`: no heartbeat, or not a valid URL).
    pub async fn node_url(&self, node_id: &str) -> Result<Option<PublicUrl>, String> {
        self.url_at(node_key(node_id)).await
    }

    /// The URL kept at `key` (`None`: no key, or not a valid URL).
    async fn url_at(&self, key: String) -> Result<Option<PublicUrl>, String> {
        let r = async {
            let mut c = self.conn().await?;
            redis::cmd("GET")
                .arg(key)
                .query_async::<Option<String>>(&mut c)
                .await
        }
        .await;
        Ok(self
            .failed(r)
            .await?
            .and_then(|u| PublicUrl::parse(&u).ok()))
    }

    /// Where a live node takes admin requests from the other nodes (`--cluster-url`; `None`:
    /// it gave none, or it is gone).
    pub async fn admin_url(&self, node_id: &str) -> Result<Option<PublicUrl>, String> {
        self.url_at(admin_url_key(node_id)).await
    }

    /// The node that holds claim key `key` (`None`: nobody).
    pub async fn holder(&self, key: &str) -> Result<Option<String>, String> {
        let r = async {
            let mut c = self.conn().await?;
            redis::cmd("GET")
                .arg(key)
                .query_async::<Option<String>>(&mut c)
                .await
        }
        .await;
        Ok(self.failed(r).await?.and_then(|id| parse_node_id(&id).ok()))
    }

    /// The live nodes and their public URLs (at most `max`; keys whose id or URL is not valid
    /// are left out).
    pub async fn nodes(&self, max: usize) -> Result<Vec<(String, PublicUrl)>, String> {
        let prefix = node_key("");
        let r = async {
            let mut c = self.conn().await?;
            let mut ids = Vec::new();
            let mut cursor = 0u64;
            // SCAN walks the keyspace in steps; bounded both ways.
            for _ in 0..1000 {
                let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(format!("{prefix}*"))
                    .arg("COUNT")
                    .arg(100)
                    .query_async(&mut c)
                    .await?;
                ids.extend(keys);
                cursor = next;
                if cursor == 0 || ids.len() >= max {
                    break;
                }
            }
            ids.truncate(max);
            let mut out = Vec::new();
            for key in ids {
                let url: Option<String> = redis::cmd("GET").arg(&key).query_async(&mut c).await?;
                out.push((key, url));
            }
            Ok(out)
        }
        .await;
        Ok(self
            .failed(r)
            .await?
            .into_iter()
            .filter_map(|(key, url)| {
                let id = parse_node_id(key.strip_prefix(&prefix)?).ok()?;
                Some((id, PublicUrl::parse(&url?).ok()?))
            })
            .collect())
    }

    /// Claims the room of claim key `key` for `node_id` ([`CLAIM`]).
    pub async fn claim(&self, key: &str, node_id: &str) -> Result<Claimed, String> {
        let r = async {
            let mut c = self.conn().await?;
            self.claim
                .key(key)
                .arg(node_id)
                .arg(ROOM_TTL_MS)
                .arg(format!("{KEY_PREFIX}node:"))
                .invoke_async::<Vec<String>>(&mut c)
                .await
        }
        .await;
        let v = self.failed(r).await?;
        match v.as_slice() {
            [ok] if ok == "1" => Ok(Claimed::Mine),
            [zero, id, url] if zero == "0" => {
                let id =
                    parse_node_id(id).map_err(|e| format!("Redis holds a bad node id: {e}"))?;
                let url = PublicUrl::parse(url)
                    .map_err(|e| format!("Redis holds a bad URL for node '{id}': {e}"))?;
                Ok(Claimed::Other { id, url })
            }
            _ => Err("Redis: an unexpected answer to a claim".into()),
        }
    }

    /// Extends `node_id`'s claim of `key`; `false` when it holds it no more.
    pub async fn refresh(&self, key: &str, node_id: &str) -> Result<bool, String> {
        let r = async {
            let mut c = self.conn().await?;
            self.refresh
                .key(key)
                .arg(node_id)
                .arg(ROOM_TTL_MS)
                .invoke_async::<i64>(&mut c)
                .await
        }
        .await;
        Ok(self.failed(r).await? == 1)
    }

    /// Deletes `node_id`'s claim of `key` (another node's is left alone).
    pub async fn release(&self, key: &str, node_id: &str) -> Result<bool, String> {
        let r = async {
            let mut c = self.conn().await?;
            self.release
                .key(key)
                .arg(node_id)
                .invoke_async::<i64>(&mut c)
                .await
        }
        .await;
        Ok(self.failed(r).await? == 1)
    }
}
