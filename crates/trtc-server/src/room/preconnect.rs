//! Connections opened by `callExperimentalAPI('preconnect')` before `enterRoom`: their userSig
//! was checked ([`trtc_proto::ClientMsg::Preconnect`]), so the server keeps them open for a
//! `join` for [`Preconnects::keep_secs`] from when they opened instead of the usual join
//! timeout. No IO and no clock: the registry asks it.
//!
//! Bounded: a user (sdkAppId, userId) holds at most [`MAX_PER_USER`] such connections, a newer
//! one replaces the oldest (which is closed); every one stays evictable while it has not joined
//! (`crate::conns`), so they never lock a joining user out; and each is closed when its time is
//! up. A connection leaves this set when it joins or goes.

use std::collections::{HashMap, VecDeque};

use super::ClientId;

/// Preconnected connections one user may hold at once (a page preconnecting again, and one
/// more tab).
pub const MAX_PER_USER: usize = 2;
/// How long a preconnected connection is kept for its `join`, from when it opened, by default.
pub const DEFAULT_KEEP_SECS: u64 = 60;

type User = (u64, String);

/// The preconnected connections, by client and by user (oldest first).
#[derive(Debug)]
pub struct Preconnects {
    by_client: HashMap<ClientId, User>,
    by_user: HashMap<User, VecDeque<ClientId>>,
    /// How long each is kept for a `join`; 0: preconnecting is refused.
    pub keep_secs: u64,
}

impl Default for Preconnects {
    fn default() -> Self {
        Preconnects {
            by_client: HashMap::new(),
            by_user: HashMap::new(),
            keep_secs: DEFAULT_KEEP_SECS,
        }
    }
}

impl Preconnects {
    /// Whether `client` is preconnected (and has not joined).
    pub fn contains(&self, client: ClientId) -> bool {
        self.by_client.contains_key(&client)
    }

    /// Takes `client` as preconnected for `user`; returns the connection it replaces (the
    /// user's oldest, when it already held [`MAX_PER_USER`]). A client preconnected already
    /// for the same user changes nothing; for another user it moves to that one.
    pub fn add(&mut self, client: ClientId, user: User) -> Option<ClientId> {
        if self.by_client.get(&client) == Some(&user) {
            return None;
        }
        self.remove(client);
        let queue = self.by_user.entry(user.clone()).or_default();
        queue.push_back(client);
        let replaced = (queue.len() > MAX_PER_USER)
            .then(|| queue.pop_front())
            .flatten();
        self.by_client.insert(client, user);
        if let Some(old) = replaced {
            self.by_client.remove(&old);
        }
        replaced
    }

    /// `client` joined or went: no longer preconnected.
    pub fn remove(&mut self, client: ClientId) {
        let Some(user) = self.by_client.remove(&client) else {
            return;
        };
        if let Some(queue) = self.by_user.get_mut(&user) {
            queue.retain(|c| *c != client);
            if queue.is_empty() {
                self.by_user.remove(&user);
            }
        }
    }

    /// How many connections are preconnected.
    pub fn len(&self) -> usize {
        self.by_client.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.by_client.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str) -> User {
        (1, name.to_string())
    }

    #[test]
    fn a_user_holds_at_most_two_and_the_oldest_makes_room() {
        let mut p = Preconnects::default();
        assert_eq!(p.add(1, user("a")), None);
        assert_eq!(p.add(2, user("a")), None);
        assert_eq!(p.add(3, user("b")), None);
        assert_eq!(p.add(4, user("a")), Some(1));
        assert!(!p.contains(1) && p.contains(2) && p.contains(4) && p.contains(3));
        assert_eq!(p.len(), 3);
        // The same app's other user, and another app's same user, count apart.
        assert_eq!(p.add(5, (2, "a".into())), None);
        assert_eq!(p.len(), 4);
    }

    #[test]
    fn again_for_the_same_user_changes_nothing_for_another_moves() {
        let mut p = Preconnects::default();
        p.add(1, user("a"));
        p.add(2, user("a"));
        assert_eq!(p.add(2, user("a")), None);
        assert_eq!(p.add(1, user("a")), None);
        assert_eq!(p.len(), 2);
        // Client 1 proves another user: it leaves a's queue.
        assert_eq!(p.add(1, user("b")), None);
        assert_eq!(p.add(3, user("a")), None);
        assert!(p.contains(1) && p.contains(2) && p.contains(3));
    }

    #[test]
    fn joined_or_gone_leave_the_set_and_nothing_is_left_behind() {
        let mut p = Preconnects::default();
        for c in 0..100 {
            p.add(c, user(&format!("u{}", c % 7)));
        }
        assert_eq!(p.len(), 14);
        for c in 0..100 {
            p.remove(c);
            p.remove(c);
        }
        assert!(p.is_empty() && p.by_user.is_empty());
    }
}
