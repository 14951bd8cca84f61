//! When and how long to retry a lost room connection (signalling socket or media).
//!
//! The room client asks [`Reconnect::next_delay`] after each failed attempt (and once when the
//! connection drops) with the time passed in; it gets the wait before the next attempt, or
//! `None` once the give-up time has passed — then the SDK reports an `ERROR` and leaves.
//! Delays grow 0, 1, 2, 4, 8 s… up to [`MAX_DELAY_MS`], never past the give-up deadline.

/// First retry at once, then these, doubling to the cap.
pub const FIRST_DELAY_MS: f64 = 1000.0;
/// The longest wait between two attempts.
pub const MAX_DELAY_MS: f64 = 8000.0;
/// Default time from the drop until the SDK gives up.
pub const DEFAULT_GIVE_UP_MS: f64 = 60_000.0;
/// How often the client sends a heartbeat; the server's timeout is a multiple of it.
pub const HEARTBEAT_INTERVAL_MS: u32 = 2000;
/// The server answers every heartbeat: after this long without a word from it (three missed
/// answers and some slack), the connection counts as lost even though the socket looks open —
/// a network that stopped carrying packets, a server that hangs.
pub const SERVER_SILENCE_LIMIT_MS: f64 = 3.0 * HEARTBEAT_INTERVAL_MS as f64 + 1000.0;

/// Whether a joined client should give up on its connection at `now_ms`, having last heard
/// from the server at `last_heard_ms`.
pub fn server_silent(now_ms: f64, last_heard_ms: f64) -> bool {
    now_ms - last_heard_ms > SERVER_SILENCE_LIMIT_MS
}

/// The retry schedule of one lost connection, from the drop until it is back or given up.
#[derive(Debug, Clone)]
pub struct Reconnect {
    started_at: f64,
    give_up_ms: f64,
    attempts: u32,
}

impl Reconnect {
    /// The connection dropped at `now_ms`.
    pub fn new(now_ms: f64, give_up_ms: f64) -> Self {
        Reconnect {
            started_at: now_ms,
            give_up_ms: give_up_ms.max(0.0),
            attempts: 0,
        }
    }

    /// How many delays [`Reconnect::next_delay`] has handed out (attempts made or about to be
    /// made).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Milliseconds since the drop.
    pub fn elapsed(&self, now_ms: f64) -> f64 {
        (now_ms - self.started_at).max(0.0)
    }

    /// The wait before the next attempt, or `None` to give up.
    pub fn next_delay(&mut self, now_ms: f64) -> Option<f64> {
        let left = self.give_up_ms - self.elapsed(now_ms);
        if left <= 0.0 {
            return None;
        }
        let delay = if self.attempts == 0 {
            0.0
        } else {
            (FIRST_DELAY_MS * 2f64.powi(self.attempts as i32 - 1)).min(MAX_DELAY_MS)
        };
        self.attempts += 1;
        // The last attempt is made right at the deadline rather than skipped.
        Some(delay.min(left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_silent_server_counts_as_lost_after_three_missed_answers() {
        let rows = [
            (0.0, 0.0, false),
            (2000.0, 0.0, false),
            (6999.0, 0.0, false),
            (7000.0, 0.0, false),
            (7001.0, 0.0, true),
            (30_000.0, 25_000.0, false),
            (30_000.0, 20_000.0, true),
            // A clock that went backwards is not silence.
            (1000.0, 5000.0, false),
        ];
        for (now, last, silent) in rows {
            assert_eq!(server_silent(now, last), silent, "{now} {last}");
        }
        assert!(SERVER_SILENCE_LIMIT_MS > 3.0 * HEARTBEAT_INTERVAL_MS as f64);
    }

    #[test]
    fn backoff_table() {
        let mut r = Reconnect::new(1000.0, 60_000.0);
        let mut now = 1000.0;
        let mut delays = Vec::new();
        while let Some(d) = r.next_delay(now) {
            delays.push(d);
            now += d + 500.0; // each attempt takes half a second and fails
        }
        assert_eq!(&delays[..6], &[0.0, 1000.0, 2000.0, 4000.0, 8000.0, 8000.0]);
        assert!(
            r.elapsed(now) >= 60_000.0,
            "gave up only after the deadline"
        );
        assert!(delays.iter().all(|d| *d <= MAX_DELAY_MS));
    }

    #[test]
    fn never_waits_past_the_deadline() {
        let mut r = Reconnect::new(0.0, 2500.0);
        assert_eq!(r.next_delay(0.0), Some(0.0));
        assert_eq!(r.next_delay(100.0), Some(1000.0));
        assert_eq!(
            r.next_delay(1200.0),
            Some(1300.0),
            "capped at the time left"
        );
        assert_eq!(r.next_delay(2500.0), None);
        assert_eq!(r.attempts(), 3);
    }

    #[test]
    fn zero_give_up_means_no_retry() {
        assert_eq!(Reconnect::new(0.0, 0.0).next_delay(0.0), None);
        assert_eq!(Reconnect::new(0.0, -5.0).next_delay(0.0), None);
    }
}
