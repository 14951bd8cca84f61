//! Rooms over SFU workers: which worker each SFU peer lives on. No IO, no clock.
//!
//! The server runs N SFU workers (`--sfu-threads`), each a `trtc_sfu::Sfu` on a thread of its
//! own with its own sockets. Forwarding happens inside one worker only, so **all the peers of a
//! room live on one worker**; this table decides which, and the hub routes every SFU command of
//! a peer to the worker this table names for it.
//!
//! Policy:
//!
//! * A room has a worker while it has at least one SFU peer. Its first peer places it on the
//!   **least-loaded worker: the fewest peers, then the fewest rooms, then the lowest index**.
//!   Peers rather than rooms come first because the work of a worker grows with its peers
//!   (each is a DTLS/SRTP session polled on every wake), whatever rooms they are spread over;
//!   the room count only breaks ties (an empty room about to fill). Every later peer of the
//!   room goes to the same worker.
//! * When a room's last peer goes, the room is forgotten; its next peer places it afresh (no
//!   other peer of it exists anywhere, so nothing is split).
//! * A peer without a room (which the registry never asks for) is placed alone, on the
//!   least-loaded worker.
//!
//! Invariants: a peer is on at most one worker; all peers of one room are on the same worker;
//! [`Shards::load`] is exactly the count of peers and of rooms with a peer on each worker.
//! Peer ids are the hub's client ids, unique across the process, so they are unique across
//! workers too.

use std::collections::HashMap;
use std::hash::Hash;

use trtc_sfu::PeerId;

/// What one worker carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Load {
    /// Rooms with at least one peer on the worker.
    pub rooms: usize,
    /// Peers on the worker.
    pub peers: usize,
}

#[derive(Debug, Clone, Copy)]
struct Place {
    worker: usize,
    peers: usize,
}

/// The placement of rooms and peers on workers (module docs). `R` is the room key.
#[derive(Debug)]
pub struct Shards<R> {
    load: Vec<Load>,
    rooms: HashMap<R, Place>,
    peers: HashMap<PeerId, (usize, Option<R>)>,
}

impl<R: Hash + Eq + Clone> Shards<R> {
    /// A table for `workers` workers (at least one).
    pub fn new(workers: usize) -> Self {
        Shards {
            load: vec![Load::default(); workers.max(1)],
            rooms: HashMap::new(),
            peers: HashMap::new(),
        }
    }

    /// How many workers there are.
    pub fn workers(&self) -> usize {
        self.load.len()
    }

    /// What each worker carries, by index.
    pub fn load(&self) -> &[Load] {
        &self.load
    }

    /// The worker a new room would go to: the fewest peers, then the fewest rooms, then the
    /// lowest index.
    pub fn least_loaded(&self) -> usize {
        self.load
            .iter()
            .enumerate()
            .min_by_key(|(i, l)| (l.peers, l.rooms, *i))
            .map_or(0, |(i, _)| i)
    }

    /// Places a new peer of `room` and returns its worker: the room's worker if it has one,
    /// else the least-loaded one. A peer placed already keeps its worker.
    pub fn add_peer(&mut self, peer: PeerId, room: Option<R>) -> usize {
        if let Some((worker, _)) = self.peers.get(&peer) {
            return *worker;
        }
        let worker = match &room {
            Some(r) => match self.rooms.get_mut(r) {
                Some(place) => {
                    place.peers += 1;
                    place.worker
                }
                None => {
                    let worker = self.least_loaded();
                    self.rooms.insert(r.clone(), Place { worker, peers: 1 });
                    self.load[worker].rooms += 1;
                    worker
                }
            },
            None => self.least_loaded(),
        };
        self.load[worker].peers += 1;
        self.peers.insert(peer, (worker, room));
        worker
    }

    /// The worker of a placed peer.
    pub fn worker_of(&self, peer: PeerId) -> Option<usize> {
        self.peers.get(&peer).map(|(w, _)| *w)
    }

    /// The worker of a room that has a peer.
    pub fn worker_of_room(&self, room: &R) -> Option<usize> {
        self.rooms.get(room).map(|p| p.worker)
    }

    /// Forgets a peer (it left, or its worker dropped it); returns the worker it was on. The
    /// room goes with its last peer.
    pub fn remove_peer(&mut self, peer: PeerId) -> Option<usize> {
        let (worker, room) = self.peers.remove(&peer)?;
        self.load[worker].peers -= 1;
        if let Some(r) = room {
            if let Some(place) = self.rooms.get_mut(&r) {
                place.peers -= 1;
                if place.peers == 0 {
                    self.rooms.remove(&r);
                    self.load[worker].rooms -= 1;
                }
            }
        }
        Some(worker)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(s: &Shards<&'static str>) -> Vec<(usize, usize)> {
        s.load().iter().map(|l| (l.rooms, l.peers)).collect()
    }

    #[test]
    fn one_worker_takes_everything() {
        let mut s = Shards::new(1);
        assert_eq!(s.add_peer(1, Some("a")), 0);
        assert_eq!(s.add_peer(2, Some("b")), 0);
        assert_eq!(s.add_peer(3, None), 0);
        assert_eq!(load(&s), [(2, 3)]);
        assert_eq!(Shards::<&str>::new(0).workers(), 1, "never fewer than one");
    }

    #[test]
    fn a_new_room_goes_to_the_worker_with_the_fewest_peers() {
        let mut s = Shards::new(3);
        assert_eq!(s.add_peer(1, Some("a")), 0, "ties: the lowest index");
        assert_eq!(s.add_peer(2, Some("b")), 1);
        assert_eq!(s.add_peer(3, Some("c")), 2);
        // Room a grows; the next room avoids its worker.
        assert_eq!(s.add_peer(4, Some("a")), 0);
        assert_eq!(s.add_peer(5, Some("a")), 0);
        assert_eq!(
            s.add_peer(6, Some("d")),
            1,
            "workers 1 and 2 have one peer each"
        );
        assert_eq!(s.add_peer(7, Some("e")), 2);
        assert_eq!(load(&s), [(1, 3), (2, 2), (2, 2)]);
    }

    #[test]
    fn peers_before_rooms_then_rooms_break_ties() {
        let mut s = Shards::new(2);
        // Worker 0: one room of three peers; worker 1: two rooms of one peer each.
        s.add_peer(1, Some("big"));
        s.add_peer(2, Some("x"));
        s.add_peer(3, Some("big"));
        s.add_peer(4, Some("big"));
        s.add_peer(5, Some("y"));
        assert_eq!(load(&s), [(1, 3), (2, 2)]);
        assert_eq!(s.least_loaded(), 1, "fewer peers wins over fewer rooms");
        s.add_peer(6, Some("y"));
        assert_eq!(load(&s), [(1, 3), (2, 3)]);
        assert_eq!(s.least_loaded(), 0, "equal peers: fewer rooms");
    }

    #[test]
    fn every_peer_of_a_room_stays_on_its_worker() {
        let mut s = Shards::new(2);
        s.add_peer(1, Some("a"));
        s.add_peer(2, Some("b"));
        for p in 10..20 {
            s.add_peer(p, Some("b"));
        }
        // Worker 1 is far busier, yet room b's peers all go there.
        assert_eq!(s.worker_of_room(&"b"), Some(1));
        assert!((10..20).all(|p| s.worker_of(p) == Some(1)));
        assert_eq!(s.add_peer(20, Some("a")), 0);
        assert_eq!(
            s.add_peer(2, Some("a")),
            1,
            "a placed peer keeps its worker"
        );
        assert_eq!(load(&s), [(1, 2), (1, 11)]);
    }

    #[test]
    fn a_room_goes_with_its_last_peer_and_is_placed_afresh() {
        let mut s = Shards::new(2);
        s.add_peer(1, Some("a"));
        s.add_peer(2, Some("a"));
        s.add_peer(3, Some("b"));
        assert_eq!(s.remove_peer(1), Some(0));
        assert_eq!(s.worker_of_room(&"a"), Some(0), "one peer left");
        assert_eq!(s.remove_peer(2), Some(0));
        assert_eq!(s.worker_of_room(&"a"), None);
        assert_eq!(load(&s), [(0, 0), (1, 1)]);
        assert_eq!(s.remove_peer(2), None, "twice: nothing");
        assert_eq!(s.remove_peer(99), None, "never placed");
        // Worker 1 holds b: a comes back on the idle worker 0.
        s.add_peer(3, Some("a"));
        assert_eq!(s.add_peer(4, Some("a")), 0);
        assert_eq!(load(&s), [(1, 1), (1, 1)]);
    }

    #[test]
    fn a_peer_without_a_room_is_placed_alone() {
        let mut s = Shards::new(2);
        s.add_peer(1, Some("a"));
        assert_eq!(s.add_peer(2, None), 1);
        assert_eq!(load(&s), [(1, 1), (0, 1)]);
        assert_eq!(s.add_peer(3, Some("b")), 1, "equal peers: fewer rooms");
        assert_eq!(load(&s), [(1, 1), (1, 2)]);
        assert_eq!(s.remove_peer(2), Some(1));
        assert_eq!(load(&s), [(1, 1), (1, 1)]);
    }

    /// Random adds and removes over four workers: the counts always match a recount, and a
    /// room never spans two workers.
    #[test]
    fn the_counts_and_the_one_worker_per_room_rule_hold_under_churn() {
        let rooms = ["r0", "r1", "r2", "r3", "r4", "r5"];
        let mut s = Shards::new(4);
        let mut live: Vec<(PeerId, &str)> = vec![];
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for id in 0..5_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if x.is_multiple_of(3) && !live.is_empty() {
                let (p, _) = live.swap_remove((x as usize / 3) % live.len());
                assert!(s.remove_peer(p).is_some());
            } else {
                let r = rooms[(x >> 8) as usize % rooms.len()];
                s.add_peer(id, Some(r));
                live.push((id, r));
            }
            let mut want = vec![Load::default(); 4];
            let mut room_worker: HashMap<&str, usize> = HashMap::new();
            for (p, r) in &live {
                let w = s.worker_of(*p).expect("placed");
                assert_eq!(*room_worker.entry(r).or_insert(w), w, "room {r} split");
                want[w].peers += 1;
            }
            for w in room_worker.values() {
                want[*w].rooms += 1;
            }
            assert_eq!(s.load(), want.as_slice());
        }
    }
}
