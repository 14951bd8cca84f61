//! Open connections: how many the server holds in total and per client address, and which one
//! makes room when it is full. No IO and no clock: [`crate::serve`] asks [`Conns::admit`] for
//! every accepted TCP connection and drops the [`Ticket`] when the connection is gone.
//!
//! * **In total** at most [`ConnLimits::max_connections`] connections are open (HTTP, idle
//!   keep-alive, and WebSockets alike): below the process's file-descriptor limit, so the server
//!   never reaches `EMFILE` and always takes the next connection off the listen queue.
//! * **Per client address** at most [`ConnLimits::max_per_ip`]. An IPv4 address counts as
//!   itself; an IPv6 address by its /64 prefix (one host normally holds a whole /64).
//! * **Who makes room.** A connection is *unauthenticated* until its WebSocket has joined a
//!   room ([`Ticket::authenticated`]). When a new connection finds the server (or its address)
//!   full, the oldest unauthenticated connection (of that address, when the address is full) is
//!   told to close ([`Ticket::evicted`]) and the new one is taken; when every connection is
//!   authenticated the new one is refused. So sockets that never join — slowloris, idle
//!   upgrades — cannot lock real users out, and never displace a joined user.
//!
//! A cap of 0 is unlimited.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

/// Caps on open connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnLimits {
    /// Connections open at once, in total; 0: unlimited.
    pub max_connections: usize,
    /// Connections open at once from one client address (IPv6: one /64); 0: unlimited.
    pub max_per_ip: usize,
    /// Whether loopback clients are capped per address too. Off by default: on loopback the
    /// address is that of a reverse proxy on this machine (all its users share it) or a test.
    pub limit_loopback: bool,
}

/// Default total: a 2-core machine holds this many idle WebSockets in ~100 MB; the binary lowers
/// it to fit its file-descriptor limit.
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;
/// Default per client address: room for a large office behind one NAT.
pub const DEFAULT_MAX_CONNECTIONS_PER_IP: usize = 256;

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_per_ip: DEFAULT_MAX_CONNECTIONS_PER_IP,
            limit_loopback: false,
        }
    }
}

/// The key a client address is counted under: an IPv4 address (also when written as an
/// IPv4-mapped IPv6 address), or the /64 prefix of an IPv6 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IpKey {
    /// An IPv4 address.
    V4([u8; 4]),
    /// The first 64 bits of an IPv6 address.
    V6([u8; 8]),
}

impl From<IpAddr> for IpKey {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => IpKey::V4(v4.octets()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpKey::V4(v4.octets()),
                None => {
                    let o = v6.octets();
                    IpKey::V6([o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7]])
                }
            },
        }
    }
}

/// Why a connection was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The server holds [`ConnLimits::max_connections`], all of them joined.
    Full,
    /// This address holds [`ConnLimits::max_per_ip`], all of them joined.
    FullForIp,
}

/// One open connection's place. Dropping every clone of it frees the place.
#[derive(Clone)]
pub struct Ticket(Arc<Entry>);

struct Entry {
    seq: u64,
    /// `None`: not capped per address.
    ip: Option<IpKey>,
    conns: Arc<Conns>,
    authenticated: AtomicBool,
    evicted: AtomicBool,
    evict: Notify,
}

impl ConnLimits {
    /// The address `ip` is capped under, or `None` when the per-address caps do not apply to it
    /// (a loopback address, unless [`ConnLimits::limit_loopback`]).
    pub fn per_ip_key(&self, ip: IpAddr) -> Option<IpKey> {
        let loopback = match ip {
            IpAddr::V4(v4) => v4.is_loopback(),
            IpAddr::V6(v6) => {
                v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
            }
        };
        (self.limit_loopback || !loopback).then(|| IpKey::from(ip))
    }
}

impl Ticket {
    /// The client address this connection's per-address caps count under (see
    /// [`ConnLimits::per_ip_key`]).
    pub fn per_ip_key(&self) -> Option<IpKey> {
        self.0.ip
    }

    /// The connection joined a room: it no longer makes room for newcomers.
    pub fn authenticated(&self) {
        if !self.0.authenticated.swap(true, Ordering::SeqCst) {
            self.0.conns.lock().unauth.remove(&self.0.seq);
        }
    }

    /// Resolves when the connection must close to make room for a newer one (it never joined).
    pub async fn evicted(&self) {
        if self.0.evicted.load(Ordering::SeqCst) {
            return;
        }
        self.0.evict.notified().await;
    }

    /// Whether [`Ticket::evicted`] has fired.
    pub fn is_evicted(&self) -> bool {
        self.0.evicted.load(Ordering::SeqCst)
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        let mut st = self.conns.lock();
        st.total = st.total.saturating_sub(1);
        if let Some(ip) = self.ip {
            dec(&mut st.per_ip, ip);
        }
        if self.evicted.load(Ordering::SeqCst) {
            st.evicting_total = st.evicting_total.saturating_sub(1);
            if let Some(ip) = self.ip {
                dec(&mut st.evicting_per_ip, ip);
            }
        }
        st.unauth.remove(&self.seq);
        drop(st);
        crate::reclaim::note_closed();
    }
}

fn dec(counts: &mut HashMap<IpKey, usize>, ip: IpKey) {
    if let Some(n) = counts.get_mut(&ip) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            counts.remove(&ip);
        }
    }
}

#[derive(Default)]
struct State {
    total: usize,
    per_ip: HashMap<IpKey, usize>,
    /// Told to close, not closed yet: their places are already promised to newcomers.
    evicting_total: usize,
    evicting_per_ip: HashMap<IpKey, usize>,
    /// Connections that have not joined, oldest first.
    unauth: BTreeMap<u64, (Option<IpKey>, std::sync::Weak<Entry>)>,
    next_seq: u64,
}

/// The open connections (module docs).
pub struct Conns {
    limits: ConnLimits,
    state: Mutex<State>,
}

impl Conns {
    /// No connection open yet; at most `limits`.
    pub fn new(limits: ConnLimits) -> Arc<Conns> {
        Arc::new(Conns {
            limits,
            state: Mutex::new(State::default()),
        })
    }

    /// The caps.
    pub fn limits(&self) -> ConnLimits {
        self.limits
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| {
            self.state.clear_poison();
            p.into_inner()
        })
    }

    /// Connections open now (those told to close included, until they have).
    pub fn open(&self) -> usize {
        self.lock().total
    }

    /// Open connections from `ip`'s address (or /64), if it is capped per address.
    pub fn open_from(&self, ip: IpAddr) -> usize {
        match self.limits.per_ip_key(ip) {
            Some(key) => self.lock().per_ip.get(&key).copied().unwrap_or(0),
            None => 0,
        }
    }

    /// A new connection from `ip`: its ticket, or why it is refused. When full, the oldest
    /// unauthenticated connection (of that address first, when the address is what is full) is
    /// evicted to make room.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Ticket, Refused> {
        // Evicted entries are let go of after the lock: should one be the last reference, its
        // `Drop` takes the lock.
        let mut evicted = Vec::new();
        let admitted = self.admit_locked(self.limits.per_ip_key(ip), &mut evicted);
        drop(evicted);
        admitted
    }

    fn admit_locked(
        self: &Arc<Self>,
        key: Option<IpKey>,
        evicted: &mut Vec<Arc<Entry>>,
    ) -> Result<Ticket, Refused> {
        let mut st = self.lock();
        if let Some(key) = key.filter(|_| self.limits.max_per_ip > 0) {
            let ip_open = st.per_ip.get(&key).copied().unwrap_or(0)
                - st.evicting_per_ip.get(&key).copied().unwrap_or(0);
            if ip_open >= self.limits.max_per_ip {
                let oldest = st
                    .unauth
                    .iter()
                    .find(|(_, (k, e))| *k == Some(key) && e.strong_count() > 0)
                    .map(|(seq, _)| *seq);
                match oldest.and_then(|seq| evict(&mut st, seq)) {
                    Some(e) => evicted.push(e),
                    None => return Err(Refused::FullForIp),
                }
            }
        }
        if self.limits.max_connections > 0
            && st.total - st.evicting_total >= self.limits.max_connections
        {
            let oldest = st
                .unauth
                .iter()
                .find(|(_, (_, e))| e.strong_count() > 0)
                .map(|(seq, _)| *seq);
            match oldest.and_then(|seq| evict(&mut st, seq)) {
                Some(e) => evicted.push(e),
                None => return Err(Refused::Full),
            }
        }
        let seq = st.next_seq;
        st.next_seq += 1;
        st.total += 1;
        if let Some(key) = key {
            *st.per_ip.entry(key).or_default() += 1;
        }
        let entry = Arc::new(Entry {
            seq,
            ip: key,
            conns: self.clone(),
            authenticated: AtomicBool::new(false),
            evicted: AtomicBool::new(false),
            evict: Notify::new(),
        });
        st.unauth.insert(seq, (key, Arc::downgrade(&entry)));
        Ok(Ticket(entry))
    }
}

/// Tells the unauthenticated connection `seq` to close; its place counts as free from now on.
/// Returns it (to be dropped after the lock is released).
fn evict(st: &mut State, seq: u64) -> Option<Arc<Entry>> {
    let (key, weak) = st.unauth.remove(&seq)?;
    let entry = weak.upgrade()?;
    if !entry.evicted.swap(true, Ordering::SeqCst) {
        st.evicting_total += 1;
        if let Some(key) = key {
            *st.evicting_per_ip.entry(key).or_default() += 1;
        }
        entry.evict.notify_one();
    }
    Some(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conns(total: usize, per_ip: usize) -> Arc<Conns> {
        Conns::new(ConnLimits {
            max_connections: total,
            max_per_ip: per_ip,
            limit_loopback: true,
        })
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn when_full_the_oldest_unjoined_connection_makes_room() {
        let c = conns(3, 0);
        let a = c.admit(ip("10.0.0.1")).unwrap();
        let b = c.admit(ip("10.0.0.2")).unwrap();
        let d = c.admit(ip("10.0.0.3")).unwrap();
        a.authenticated();
        // Full: b is the oldest that has not joined.
        let e = c.admit(ip("10.0.0.4")).unwrap();
        assert!(!a.is_evicted() && b.is_evicted() && !d.is_evicted() && !e.is_evicted());
        assert_eq!(c.open(), 4, "b counts until it has closed");
        drop(b);
        assert_eq!(c.open(), 3);
        d.authenticated();
        e.authenticated();
        // Everyone joined: refused.
        assert_eq!(c.admit(ip("10.0.0.5")).err(), Some(Refused::Full));
        drop(a);
        assert!(c.admit(ip("10.0.0.5")).is_ok());
    }

    #[tokio::test]
    async fn an_evicted_connection_hears_it() {
        let c = conns(1, 0);
        let a = c.admit(ip("10.0.0.1")).unwrap();
        let waiting = {
            let a = a.clone();
            tokio::spawn(async move { a.evicted().await })
        };
        let _b = c.admit(ip("10.0.0.2")).unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(1), waiting)
            .await
            .expect("told")
            .unwrap();
        // Asked again later, it still resolves at once.
        a.evicted().await;
    }

    #[test]
    fn per_address_the_same_rule_applies_to_that_address_only() {
        let c = conns(0, 2);
        let a1 = c.admit(ip("10.0.0.1")).unwrap();
        let a2 = c.admit(ip("10.0.0.1")).unwrap();
        let other = c.admit(ip("10.0.0.9")).unwrap();
        // The address is full: its own oldest unjoined connection makes room.
        let a3 = c.admit(ip("10.0.0.1")).unwrap();
        assert!(a1.is_evicted() && !a2.is_evicted() && !other.is_evicted());
        drop(a1);
        a2.authenticated();
        a3.authenticated();
        assert_eq!(c.admit(ip("10.0.0.1")).err(), Some(Refused::FullForIp));
        assert!(c.admit(ip("10.0.0.2")).is_ok());
        assert_eq!(c.open_from(ip("10.0.0.1")), 2);
    }

    #[test]
    fn ipv6_counts_per_64_and_loopback_is_exempt_unless_asked() {
        let c = conns(0, 1);
        let a = c.admit(ip("2001:db8:1:2::1")).unwrap();
        a.authenticated();
        assert_eq!(
            c.admit(ip("2001:db8:1:2::ffff")).err(),
            Some(Refused::FullForIp),
            "one /64, one place"
        );
        assert!(c.admit(ip("2001:db8:1:3::1")).is_ok());
        assert_eq!(
            IpKey::from(ip("::ffff:10.1.2.3")),
            IpKey::from(ip("10.1.2.3"))
        );
        let relaxed = Conns::new(ConnLimits {
            max_connections: 0,
            max_per_ip: 1,
            limit_loopback: false,
        });
        let held: Vec<_> = (0..5)
            .map(|_| relaxed.admit(ip("127.0.0.1")).unwrap())
            .collect();
        assert!(held
            .iter()
            .all(|t| !t.is_evicted() && t.per_ip_key().is_none()));
        assert_eq!(relaxed.open(), 5);
    }
}
