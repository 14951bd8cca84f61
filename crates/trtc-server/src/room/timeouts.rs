//! Time in the registry: a member is alive while it sends (any message), a dropped connection
//! keeps its member for the client timeout, and [`Registry::tick`] removes the silent.

use super::{Auth, ClientId, Effect, ExitReason, MediaCmd, Registry};

impl<A: Auth> Registry<A> {
    /// Records that `client` is alive (any message).
    pub(super) fn touch(&mut self, client: ClientId, now_unix: u64) {
        if let Some(m) = self.members.get_mut(&client) {
            m.last_seen = m.last_seen.max(now_unix);
        }
    }

    /// The connection of `client` dropped without a leave: it stays in the room (its media
    /// peer is gone) until its session comes back or the timeout passes.
    pub fn detached(&mut self, client: ClientId, now_unix: u64) -> Vec<Effect> {
        self.preconnects.remove(client);
        let Some(m) = self.members.get_mut(&client) else {
            return Vec::new();
        };
        if m.session.is_none() || self.client_timeout_secs == 0 {
            return self.leave(client, ExitReason::Normal, now_unix);
        }
        m.detached = true;
        m.last_seen = m.last_seen.min(now_unix);
        if std::mem::take(&mut m.peer) {
            vec![Effect::Media(MediaCmd::RemovePeer { peer: client })]
        } else {
            Vec::new()
        }
    }

    /// The client's connection is gone.
    pub fn disconnected(&mut self, client: ClientId, now_unix: u64) -> Vec<Effect> {
        self.preconnects.remove(client);
        if self.members.get(&client).is_some_and(|m| m.detached) {
            // Already waiting for its session to come back (or the timeout).
            return Vec::new();
        }
        self.leave(client, ExitReason::Normal, now_unix)
    }

    /// Removes members silent (or detached) past the timeout — the others see them exit with
    /// reason 1 — and lingering live rooms whose time is up.
    pub fn tick(&mut self, now_unix: u64) -> Vec<Effect> {
        let mut fx = Vec::new();
        if self.client_timeout_secs > 0 {
            let mut late: Vec<ClientId> = self
                .members
                .iter()
                .filter(|(_, m)| now_unix >= m.last_seen + self.client_timeout_secs)
                .map(|(c, _)| *c)
                .collect();
            late.sort_unstable();
            for c in late {
                fx.extend(self.leave(c, ExitReason::Timeout, now_unix));
                fx.push(Effect::Close(c));
            }
        }
        self.tick_rooms(now_unix);
        // Users with no membership whose room-opening budget is whole again are forgotten.
        let now_ms = now_unix * 1000;
        self.users
            .retain(|_, u| u.rooms > 0 || !u.creations.is_full(now_ms));
        fx
    }
}
