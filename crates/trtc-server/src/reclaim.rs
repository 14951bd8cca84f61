//! Giving memory back to the OS once connections have closed.
//!
//! A burst of connections (1,000 sockets that announce big frames and never send them, or a
//! class of 1,000 that leaves at once) allocates on the runtime's worker threads, and what they
//! held is freed, often on another worker, when they close. The allocator (mimalloc, chosen by
//! the binary) keeps those pages for reuse: without help the RSS stays at the burst's high-water
//! mark although the heap is empty again.
//!
//! The policy here is pure and per thread: [`Reclaimer::due`] says when a worker thread that is
//! about to park (idle, so no request waits on it) should collect its heap: when at least
//! [`MIN_CLOSES`] connections have closed since it last did. (No minimum interval on top: a
//! thread that skipped a park for it may not park again for a long time, and the closes it
//! skipped would keep their pages.) The binary wires it to `on_thread_park` and to the allocator's collect
//! call; the library only counts closes ([`note_closed`], called when a connection's place in
//! [`crate::conns::Conns`] is freed).

use std::sync::atomic::{AtomicU64, Ordering};

/// Connections closed since the process started.
static CLOSED: AtomicU64 = AtomicU64::new(0);

/// Closes since a thread's last collect that make the next one worth it: one connection's
/// buffers are a few KB, and the allocator reuses them for the next connection anyway.
pub const MIN_CLOSES: u64 = 32;

/// One connection closed (its place was freed).
pub fn note_closed() {
    CLOSED.fetch_add(1, Ordering::Relaxed);
}

/// Connections closed since the process started.
pub fn closed() -> u64 {
    CLOSED.load(Ordering::Relaxed)
}

/// One thread's view: how many connections had closed when it last collected.
#[derive(Debug, Default)]
pub struct Reclaimer {
    seen: u64,
}

impl Reclaimer {
    /// Whether to collect now, given the closes so far; if so, it counts as done.
    pub fn due(&mut self, closed: u64) -> bool {
        if closed.saturating_sub(self.seen) < MIN_CLOSES {
            return false;
        }
        self.seen = closed;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_closes_do_not_collect() {
        let mut r = Reclaimer::default();
        assert!(!r.due(0));
        assert!(!r.due(MIN_CLOSES - 1));
        assert!(r.due(MIN_CLOSES));
        // Counted as done: the same closes do not collect again, the next burst does.
        assert!(!r.due(MIN_CLOSES));
        assert!(!r.due(2 * MIN_CLOSES - 1));
        assert!(r.due(2 * MIN_CLOSES + 5));
    }

    #[test]
    fn the_counter_counts() {
        let before = closed();
        note_closed();
        note_closed();
        assert!(closed() >= before + 2);
    }
}
