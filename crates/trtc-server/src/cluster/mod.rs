//! Many servers through Redis (`--redis`): what a node keeps there and how it decides, with no IO
//! and the time passed in. The IO is [`store`] (the Redis commands) and [`node`] (the node's
//! tasks: heartbeat, claim refresh, routing a join).
//!
//! What is in Redis (all keys expire; a node that dies leaves nothing behind for long):
//!
//! * `trtc:node:{nodeId}` → the node's public URL (`http(s)://host:port`), set with an expiry of
//!   [`NODE_TTL_MS`] and refreshed every [`REFRESH_MS`] (the heartbeat).
//! * `trtc:room:{sdkAppId}:n:{roomId}` / `trtc:room:{sdkAppId}:s:{strRoomId}` → the nodeId of the
//!   node that owns the room, claimed atomically (`SET NX`, or taken over from a node whose
//!   heartbeat key is gone) with an expiry of [`ROOM_TTL_MS`] that the owner refreshes while the
//!   room is open there, and deletes when it closes.
//!
//! A join reaching a node that does not own its room is answered with a redirect to the
//! owner's WebSocket URL ([`PublicUrl::ws_url`]). A node that cannot refresh a claim in time
//! ([`Claims::plan`]'s `expired`) sends the room's clients away: another node may own it now.
//!
//! Invariants: every name put into a key is validated first ([`parse_node_id`], room ids by
//! `trtc_proto::room_id`); a URL read from Redis is parsed again ([`PublicUrl::parse`]) before
//! it is sent to a client.

pub mod forward;
pub mod node;
pub mod store;

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use trtc_proto::RoomId;

/// Every key this server writes starts with it.
pub const KEY_PREFIX: &str = "trtc:";
/// How long a node's heartbeat key lives without a refresh.
pub const NODE_TTL_MS: u64 = 6_000;
/// How long a room claim lives without a refresh.
pub const ROOM_TTL_MS: u64 = 6_000;
/// How often the heartbeat and the claims are refreshed.
pub const REFRESH_MS: u64 = 1_000;
/// How long a claim is kept for a room the hub does not have (yet): the join that claimed it is
/// still on its way to the registry.
pub const CLAIM_GRACE_MS: u64 = 10_000;
/// The longest node id.
pub const MAX_NODE_ID: usize = 64;
/// The longest public URL.
pub const MAX_PUBLIC_URL: usize = 200;

/// The heartbeat key of a node.
pub fn node_key(node_id: &str) -> String {
    format!("{KEY_PREFIX}node:{node_id}")
}

/// Where the other nodes send a node's admin requests (`--cluster-url`), beside its heartbeat.
pub fn admin_url_key(node_id: &str) -> String {
    format!("{KEY_PREFIX}admin-url:{node_id}")
}

/// The claim key of a room.
pub fn room_key(sdk_app_id: u64, room: &RoomId) -> String {
    match room {
        RoomId::Num(n) => format!("{KEY_PREFIX}room:{sdk_app_id}:n:{n}"),
        RoomId::Str(s) => format!("{KEY_PREFIX}room:{sdk_app_id}:s:{s}"),
    }
}

/// The room a claim key names (the inverse of [`room_key`]); `None` for anything else.
pub fn parse_room_key(key: &str) -> Option<(u64, RoomId)> {
    let rest = key.strip_prefix(KEY_PREFIX)?.strip_prefix("room:")?;
    let (app, rest) = rest.split_once(':')?;
    let app = app.parse::<u64>().ok()?;
    let (kind, id) = rest.split_once(':')?;
    let room = match kind {
        "n" => RoomId::Num(id.parse().ok().filter(|n: &u32| id == n.to_string())?),
        "s" => RoomId::Str(id.to_string()),
        _ => return None,
    };
    room.is_valid().then_some((app, room))
}

/// `--node-id`: 1 to [`MAX_NODE_ID`] characters of `A-Z a-z 0-9 . _ -`.
pub fn parse_node_id(s: &str) -> Result<String, String> {
    if s.is_empty() || s.len() > MAX_NODE_ID {
        return Err(format!(
            "a node id has 1 to {MAX_NODE_ID} characters; '{}' has {}",
            s.chars().take(MAX_NODE_ID).collect::<String>(),
            s.chars().count()
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!(
            "a node id is made of A-Z a-z 0-9 . _ -; '{s}' has {c:?}"
        ));
    }
    Ok(s.to_string())
}

/// How clients reach a node (`--public-url`): `http://HOST[:PORT]` or `https://HOST[:PORT]`,
/// nothing after the authority but an optional `/`. Its signalling WebSocket is
/// [`PublicUrl::ws_url`], its admin API under [`PublicUrl::as_str`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    /// Checks a public URL (from the command line, or read back from Redis).
    pub fn parse(s: &str) -> Result<PublicUrl, String> {
        let shown = || s.chars().take(MAX_PUBLIC_URL).collect::<String>();
        if s.len() > MAX_PUBLIC_URL {
            return Err(format!(
                "a public URL has at most {MAX_PUBLIC_URL} bytes: '{}…'",
                shown()
            ));
        }
        let lower = s.to_ascii_lowercase();
        let (scheme, rest) = if let Some(r) = lower.strip_prefix("http://") {
            ("http", r)
        } else if let Some(r) = lower.strip_prefix("https://") {
            ("https", r)
        } else {
            return Err(format!(
                "'{}' is not an http:// or https:// URL (e.g. https://node1.example.com)",
                shown()
            ));
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
        if authority.is_empty() || !authority.chars().all(ok) {
            return Err(format!(
                "'{}' must be http(s)://HOST[:PORT] with nothing after it",
                shown()
            ));
        }
        if authority.starts_with(':') {
            return Err(format!("'{}' has no host", shown()));
        }
        Ok(PublicUrl(format!("{scheme}://{authority}")))
    }

    /// `http(s)://host[:port]`, without a trailing `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The node's signalling WebSocket: `ws(s)://host[:port]/trtc/ws`.
    pub fn ws_url(&self) -> String {
        let rest = self
            .0
            .strip_prefix("https://")
            .map(|r| format!("wss://{r}"))
            .or_else(|| self.0.strip_prefix("http://").map(|r| format!("ws://{r}")))
            .unwrap_or_default();
        format!("{rest}{}", trtc_proto::WS_PATH)
    }
}

/// Who owns a room, as a join on this node learns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// This node: serve the join here.
    Me,
    /// Another live node, reached at this URL.
    Node {
        /// Its node id.
        id: String,
        /// Its public URL (validated).
        url: PublicUrl,
    },
}

/// A claim this node holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Held {
    /// When it was taken (unix ms).
    since: u64,
    /// When Redis last confirmed it (taken or refreshed).
    confirmed: u64,
    /// The room has been open on this node since the claim was taken.
    opened: bool,
}

/// What to do with the claims at one refresh.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan<K> {
    /// Still wanted: extend their expiry.
    pub refresh: Vec<K>,
    /// Rooms gone from this node: delete their claims.
    pub release: Vec<K>,
    /// Rooms open here whose claim was not confirmed within [`ROOM_TTL_MS`] (Redis out of
    /// reach, or the claim was lost): another node may own them now; send their clients away.
    pub expired: Vec<K>,
    /// Rooms open here with no claim (opened while Redis was out of reach, or a claim lost):
    /// claim them, or send their clients away.
    pub unclaimed: Vec<K>,
}

/// The room claims this node holds, as a state machine over time (unix ms passed in).
#[derive(Debug)]
pub struct Claims<K> {
    held: HashMap<K, Held>,
    ttl_ms: u64,
    grace_ms: u64,
}

impl<K: Clone + Eq + Hash + Ord> Default for Claims<K> {
    fn default() -> Self {
        Claims::new(ROOM_TTL_MS, CLAIM_GRACE_MS)
    }
}

impl<K: Clone + Eq + Hash + Ord> Claims<K> {
    /// No claims; claims expire after `ttl_ms` unconfirmed, and are kept `grace_ms` for a room
    /// the node does not have (yet).
    pub fn new(ttl_ms: u64, grace_ms: u64) -> Self {
        Claims {
            held: HashMap::new(),
            ttl_ms,
            grace_ms,
        }
    }

    /// Redis says this node owns `key` (it claimed or refreshed it) at `now`.
    pub fn confirmed(&mut self, key: K, now: u64) {
        self.held
            .entry(key)
            .and_modify(|h| h.confirmed = h.confirmed.max(now))
            .or_insert(Held {
                since: now,
                confirmed: now,
                opened: false,
            });
    }

    /// Redis says another node owns `key`, or the claim was released.
    pub fn lost(&mut self, key: &K) {
        self.held.remove(key);
    }

    /// Whether this node owns `key` at `now` (claimed, and confirmed within the expiry).
    pub fn holds(&self, key: &K, now: u64) -> bool {
        self.held
            .get(key)
            .is_some_and(|h| now.saturating_sub(h.confirmed) < self.ttl_ms)
    }

    /// The claims held (sorted).
    pub fn keys(&self) -> Vec<K> {
        let mut v: Vec<K> = self.held.keys().cloned().collect();
        v.sort();
        v
    }

    /// What to do at `now` given the rooms open on this node. `release` and `expired` claims
    /// are forgotten here; `refresh` and `unclaimed` wait for what Redis answers
    /// ([`Claims::confirmed`] / [`Claims::lost`]).
    pub fn plan(&mut self, open: &HashSet<K>, now: u64) -> Plan<K> {
        let mut plan = Plan {
            refresh: Vec::new(),
            release: Vec::new(),
            expired: Vec::new(),
            unclaimed: Vec::new(),
        };
        for (key, h) in &mut self.held {
            let stale = now.saturating_sub(h.confirmed) >= self.ttl_ms;
            h.opened |= open.contains(key);
            if !open.contains(key) {
                // Closed, or never opened within the grace: released.
                if h.opened || stale || now.saturating_sub(h.since) >= self.grace_ms {
                    plan.release.push(key.clone());
                } else {
                    plan.refresh.push(key.clone());
                }
            } else if stale {
                plan.expired.push(key.clone());
            } else {
                plan.refresh.push(key.clone());
            }
        }
        for key in open {
            if !self.held.contains_key(key) {
                plan.unclaimed.push(key.clone());
            }
        }
        for key in plan.release.iter().chain(&plan.expired) {
            self.held.remove(key);
        }
        plan.refresh.sort();
        plan.release.sort();
        plan.expired.sort();
        plan.unclaimed.sort();
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_round_trip() {
        let cases = [
            (1400000001, RoomId::Num(8), "trtc:room:1400000001:n:8"),
            (7, RoomId::Num(4294967294), "trtc:room:7:n:4294967294"),
            (7, RoomId::Str("a_b-c".into()), "trtc:room:7:s:a_b-c"),
        ];
        for (app, room, key) in cases {
            assert_eq!(room_key(app, &room), key);
            assert_eq!(parse_room_key(key), Some((app, room)));
        }
        assert_eq!(node_key("n1"), "trtc:node:n1");
        for bad in [
            "trtc:room:7:n:0",
            "trtc:room:7:n:08",
            "trtc:room:7:n:4294967295",
            "trtc:room:x:n:8",
            "trtc:room:7:q:8",
            "trtc:room:7:s:",
            "trtc:room:7:s:a/b",
            "trtc:node:n1",
            "room:7:n:8",
        ] {
            assert_eq!(parse_room_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn node_ids() {
        assert_eq!(parse_node_id("node-1.a_b"), Ok("node-1.a_b".into()));
        assert!(parse_node_id(&"n".repeat(64)).is_ok());
        for bad in ["", "a b", "a:b", "é", "a/b", &"n".repeat(65)] {
            assert!(parse_node_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn public_urls() {
        let ok = [
            ("http://127.0.0.1:8080", "ws://127.0.0.1:8080/trtc/ws"),
            ("http://127.0.0.1:8080/", "ws://127.0.0.1:8080/trtc/ws"),
            (
                "HTTPS://Node1.Example.com",
                "wss://node1.example.com/trtc/ws",
            ),
            ("http://[::1]:9", "ws://[::1]:9/trtc/ws"),
        ];
        for (s, ws) in ok {
            assert_eq!(
                PublicUrl::parse(s).map(|u| u.ws_url()),
                Ok(ws.into()),
                "{s}"
            );
        }
        let long = format!("http://{}.com", "a".repeat(MAX_PUBLIC_URL));
        for bad in [
            "",
            "ws://h:1",
            "javascript:alert(1)",
            "http://",
            "http://:80",
            "http://h/x",
            "http://u@h",
            "http://h?x",
            "http://h #",
            "http://h\n",
            long.as_str(),
        ] {
            assert!(PublicUrl::parse(bad).is_err(), "{bad:?}");
        }
    }

    fn open(keys: &[&'static str]) -> HashSet<&'static str> {
        keys.iter().copied().collect()
    }

    #[test]
    fn claims_refresh_release_expire() {
        let mut c: Claims<&str> = Claims::new(6_000, 10_000);
        // A claim taken for a join: kept while the join reaches the registry.
        c.confirmed("a", 1_000);
        assert!(c.holds(&"a", 1_000));
        let p = c.plan(&open(&[]), 2_000);
        assert_eq!(p.refresh, vec!["a"]);
        c.confirmed("a", 2_000);
        // Open here: refreshed for as long as Redis confirms it.
        for t in (3_000..60_000).step_by(1_000) {
            let p = c.plan(&open(&["a"]), t);
            assert_eq!(p.refresh, vec!["a"], "{t}");
            c.confirmed("a", t);
        }
        // Closed: released at once.
        let p = c.plan(&open(&[]), 60_000);
        assert_eq!(p.release, vec!["a"]);
        assert!(!c.holds(&"a", 60_000));
        assert!(c.keys().is_empty());
    }

    #[test]
    fn a_room_closed_soon_after_its_claim_is_released_at_once() {
        let mut c: Claims<&str> = Claims::new(6_000, 10_000);
        c.confirmed("a", 0);
        assert_eq!(c.plan(&open(&["a"]), 1_000).refresh, vec!["a"]);
        c.confirmed("a", 1_000);
        assert_eq!(c.plan(&open(&[]), 2_000).release, vec!["a"]);
    }

    #[test]
    fn a_claim_never_opened_is_released_after_the_grace() {
        let mut c: Claims<&str> = Claims::new(6_000, 10_000);
        c.confirmed("a", 0);
        for t in (1_000..10_000).step_by(1_000) {
            assert_eq!(c.plan(&open(&[]), t).refresh, vec!["a"]);
            c.confirmed("a", t);
        }
        assert_eq!(c.plan(&open(&[]), 10_000).release, vec!["a"]);
    }

    #[test]
    fn an_unconfirmed_claim_expires_and_its_room_is_sent_away() {
        let mut c: Claims<&str> = Claims::new(6_000, 10_000);
        c.confirmed("a", 0);
        // Redis does not answer: no confirmation.
        for t in (1_000..6_000).step_by(1_000) {
            assert!(c.holds(&"a", t));
            assert_eq!(c.plan(&open(&["a"]), t).refresh, vec!["a"]);
        }
        assert!(!c.holds(&"a", 6_000));
        let p = c.plan(&open(&["a"]), 6_000);
        assert_eq!(p.expired, vec!["a"]);
        assert!(p.refresh.is_empty());
        // Now the room is open here without a claim.
        assert_eq!(c.plan(&open(&["a"]), 7_000).unclaimed, vec!["a"]);
    }

    #[test]
    fn a_lost_claim_is_forgotten() {
        let mut c: Claims<&str> = Claims::new(6_000, 10_000);
        c.confirmed("a", 0);
        c.confirmed("b", 0);
        c.lost(&"a");
        assert!(!c.holds(&"a", 1));
        assert!(c.holds(&"b", 1));
        let p = c.plan(&open(&["a", "b"]), 1_000);
        assert_eq!(p.unclaimed, vec!["a"]);
        assert_eq!(p.refresh, vec!["b"]);
        // A confirmation later than an earlier one never moves it back.
        c.confirmed("b", 5_000);
        c.confirmed("b", 2_000);
        assert!(c.holds(&"b", 10_999));
        assert!(!c.holds(&"b", 11_000));
    }
}
