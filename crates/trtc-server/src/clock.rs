//! The wall clock: the one place the server reads it. Everything below the IO edges takes the
//! time as an argument instead (the registry and the message gate in unix seconds or
//! milliseconds, [`crate::hub::Hub`]'s `…_at` methods, [`crate::admin::authenticate`]), so tests
//! and the fuzz target run on a clock of their own. The callers of this module are the edges:
//! the WebSocket task (through the hub's wall-clock wrappers), the HTTP handlers, and the
//! binary's one-second tick.

use std::time::{SystemTime, UNIX_EPOCH};

/// Unix time in nanoseconds (0 if the clock is before 1970).
pub fn now_unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// Unix time in milliseconds (the message-rate rule's clock).
pub fn now_unix_ms() -> u64 {
    (now_unix_nanos() / 1_000_000) as u64
}

/// Unix time in seconds (userSigs, the registry's timeouts).
pub fn now_unix() -> u64 {
    now_unix_ms() / 1000
}
