//! What one client may cost the server: how many rooms an app may open, how many users a room
//! may hold, how fast a connection may send messages. No IO and no clock reads: the time is
//! passed in (unix milliseconds), so every rule is tested on the host.
//!
//! * **Rooms per app** and **users per room** are checked by [`crate::room::Registry`] when a
//!   client joins: a refused join gets [`trtc_proto::ServerMsg::JoinFailed`] with
//!   [`trtc_proto::code::TOO_MANY_ROOMS`] or [`trtc_proto::code::ROOM_FULL`] and changes
//!   nothing. A join that takes over a place (the same userId entering again, a session
//!   resuming) needs no new one. A member whose connection dropped keeps its place until it
//!   comes back or times out; a lingering empty live room is still a room.
//! * **Messages per second** ([`MessageGate`]): a token bucket per connection, `burst` tokens,
//!   refilled at `per_sec` tokens a second, one token per frame of any kind (heartbeats too: the
//!   SDK pings every 2 s, and the rate is a whole number of messages a second, so a client that
//!   sends nothing but heartbeats always finds a token). A frame without a token is dropped unread. The first
//!   dropped frame of a flood is answered with [`trtc_proto::code::RATE_LIMITED`]; the rest are
//!   dropped silently, so a client that does not read cannot make the server queue replies. A
//!   flood ends when no frame has been dropped for as long as the bucket takes to fill up from
//!   empty (`burst / per_sec` seconds, at least one). A client still having frames dropped
//!   `flood_disconnect_secs` after its flood began is told so and disconnected (it leaves its
//!   room at once): sending steadily above the rate, by any amount, ends that way.
//! * **Rooms per user** and **room openings per user per minute** are checked by the registry
//!   when a client joins (per sdkAppId and userId, whatever the connection): a refused join gets
//!   [`trtc_proto::code::TOO_MANY_ROOMS`]. One userSig cannot fill an app's rooms.
//! * **Messages per second per client address**: the same rule with a bucket that all the
//!   connections of one address (IPv6: one /64) share and that outlives them, so a client
//!   cannot reset its rate by opening a new socket. A frame without a token in either bucket is
//!   dropped (and counts toward the connection's flood).
//! * **Message size** (fixed, [`trtc_proto::MAX_MESSAGE_BYTES`], 1 MiB): a larger text frame
//!   of up to 1 KiB more is answered with [`trtc_proto::code::TOO_LARGE`] and changes nothing;
//!   beyond that the WebSocket layer stops reading it, so the client is told the same code and
//!   its connection is closed (it leaves its room). Before a connection has joined a room the
//!   limit is 16 KiB (`signal`'s `PRE_JOIN_MESSAGE_BYTES`), refused from the frame's header.
//! * Connections, header and join deadlines, outbound queues: [`crate::conns`],
//!   [`crate::serve`], [`crate::hub`].
//!
//! Each cap is `0` for "unlimited" (a `msgs_per_sec` of 0 turns the rate rule off, a
//! `flood_disconnect_secs` of 0 never disconnects); the burst is at least one.

/// Caps on rooms and users (checked at join) and on messages (checked per frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Rooms one sdkAppId may have at once; 0: unlimited.
    pub max_rooms_per_app: usize,
    /// Members one room may hold at once (anchors and audiences); 0: unlimited.
    pub max_users_per_room: usize,
    /// Frames per second one connection may send, sustained; 0: unlimited.
    pub msgs_per_sec: u32,
    /// Frames one connection may send at once after being quiet (the bucket size).
    pub msg_burst: u32,
    /// Seconds of dropped frames after which a flooding client is disconnected; 0: never.
    pub flood_disconnect_secs: u32,
    /// Frames per second all connections of one client address may send, sustained; 0:
    /// unlimited.
    pub msgs_per_sec_per_ip: u32,
    /// Frames all connections of one client address may send at once.
    pub msg_burst_per_ip: u32,
    /// Rooms one userId of an app may be in at once (through different connections); 0:
    /// unlimited.
    pub max_rooms_per_user: usize,
    /// Rooms one userId of an app may open (be the first to enter) per minute; 0: unlimited.
    pub room_creations_per_user_per_min: u32,
}

/// Default rooms per app: far above what one machine's SFU can carry media for, so it only
/// stops a runaway script opening rooms.
pub const DEFAULT_MAX_ROOMS_PER_APP: usize = 10_000;
/// Default users per room: TRTC's RTC scene holds up to 300 users; live rooms hold more
/// (audiences cost the server little signalling).
pub const DEFAULT_MAX_USERS_PER_ROOM: usize = 1_000;
/// Default sustained message rate: the SDK sends a ping every 2 s and a few messages per user
/// action (publish, mute, subscribe, answer).
pub const DEFAULT_MSGS_PER_SEC: u32 = 50;
/// Default burst: entering a room the SDK subscribes to every stream there at once (two
/// messages per remote user publishing audio and video), so 200 lets a client enter a room of
/// ~95 such users without waiting; larger all-publishing rooms need a larger burst.
pub const DEFAULT_MSG_BURST: u32 = 200;
/// Default flood time before a disconnect.
pub const DEFAULT_FLOOD_DISCONNECT_SECS: u32 = 10;
/// Default rate per client address: four connections' worth (tabs, or a few users behind one
/// NAT entering at once).
pub const DEFAULT_MSGS_PER_SEC_PER_IP: u32 = 4 * DEFAULT_MSGS_PER_SEC;
/// Default burst per client address.
pub const DEFAULT_MSG_BURST_PER_IP: u32 = 4 * DEFAULT_MSG_BURST;
/// Default rooms per userId at once: a user in a few tabs.
pub const DEFAULT_MAX_ROOMS_PER_USER: usize = 8;
/// Default rooms one userId may open a minute.
pub const DEFAULT_ROOM_CREATIONS_PER_USER_PER_MIN: u32 = 20;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_rooms_per_app: DEFAULT_MAX_ROOMS_PER_APP,
            max_users_per_room: DEFAULT_MAX_USERS_PER_ROOM,
            msgs_per_sec: DEFAULT_MSGS_PER_SEC,
            msg_burst: DEFAULT_MSG_BURST,
            flood_disconnect_secs: DEFAULT_FLOOD_DISCONNECT_SECS,
            msgs_per_sec_per_ip: DEFAULT_MSGS_PER_SEC_PER_IP,
            msg_burst_per_ip: DEFAULT_MSG_BURST_PER_IP,
            max_rooms_per_user: DEFAULT_MAX_ROOMS_PER_USER,
            room_creations_per_user_per_min: DEFAULT_ROOM_CREATIONS_PER_USER_PER_MIN,
        }
    }
}

impl Limits {
    /// No limit at all (tests, benchmarks).
    pub const UNLIMITED: Limits = Limits {
        max_rooms_per_app: 0,
        max_users_per_room: 0,
        msgs_per_sec: 0,
        msg_burst: 0,
        flood_disconnect_secs: 0,
        msgs_per_sec_per_ip: 0,
        msg_burst_per_ip: 0,
        max_rooms_per_user: 0,
        room_creations_per_user_per_min: 0,
    };
}

/// A token bucket counted in parts of a token (a thousandth for a rate per second, a
/// sixty-thousandth for a rate per minute), so the arithmetic is exact integers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenBucket {
    /// Parts of a token added per millisecond (= tokens per second, or per minute).
    per_sec: u64,
    /// Parts in one token.
    unit: u64,
    /// Capacity in parts.
    capacity: u64,
    /// Tokens now, in parts.
    milli: u64,
    /// When `milli` was last brought up to date (unix ms).
    last_ms: u64,
}

impl TokenBucket {
    /// A full bucket of `burst` tokens (at least one), refilled at `per_sec` tokens a second.
    pub fn new(per_sec: u32, burst: u32, now_ms: u64) -> Self {
        Self::with_unit(per_sec, burst, 1000, now_ms)
    }

    /// A full bucket of `per_min` tokens (at least one), refilled at `per_min` tokens a minute.
    pub fn per_minute(per_min: u32, now_ms: u64) -> Self {
        Self::with_unit(per_min, per_min, 60_000, now_ms)
    }

    fn with_unit(rate: u32, burst: u32, unit: u64, now_ms: u64) -> Self {
        let capacity = u64::from(burst.max(1)) * unit;
        TokenBucket {
            per_sec: u64::from(rate),
            unit,
            capacity,
            milli: capacity,
            last_ms: now_ms,
        }
    }

    /// Refills for the time since the last call. A clock that went back adds nothing.
    fn refill(&mut self, now_ms: u64) {
        let elapsed = now_ms.saturating_sub(self.last_ms);
        self.last_ms = self.last_ms.max(now_ms);
        self.milli = self
            .milli
            .saturating_add(elapsed.saturating_mul(self.per_sec))
            .min(self.capacity);
    }

    /// Whether the bucket is full at `now_ms`.
    pub fn is_full(&mut self, now_ms: u64) -> bool {
        self.refill(now_ms);
        self.milli >= self.capacity
    }

    /// Takes one token if there is one.
    pub fn take(&mut self, now_ms: u64) -> bool {
        self.refill(now_ms);
        if self.milli >= self.unit {
            self.milli -= self.unit;
            true
        } else {
            false
        }
    }

    /// Whole tokens left at `now_ms`.
    pub fn tokens(&mut self, now_ms: u64) -> u64 {
        self.refill(now_ms);
        self.milli / self.unit
    }
}

/// What to do with one frame, from [`MessageGate::admit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// Handle it.
    Yes,
    /// Drop it; `notify`: answer with [`trtc_proto::code::RATE_LIMITED`] (the first dropped
    /// frame of a flood).
    Dropped {
        /// Whether to answer (the first dropped frame of a flood).
        notify: bool,
    },
    /// Drop it, tell the client why and close its connection (returned once; every later
    /// frame is `Dropped { notify: false }`).
    Disconnect,
}

/// The message-rate rule of one connection ([`Limits::msgs_per_sec`], see the module doc).
#[derive(Debug, Clone)]
pub struct MessageGate {
    per_sec: u32,
    burst: u32,
    /// Full at the first frame.
    bucket: Option<TokenBucket>,
    flood_disconnect_ms: u64,
    /// When the current flood began (its first dropped frame).
    flood_since: Option<u64>,
    /// When the last frame was dropped.
    last_drop: u64,
    closed: bool,
}

impl MessageGate {
    /// The rule of a new connection under `limits` (its bucket fills at the first frame).
    pub fn new(limits: &Limits) -> Self {
        MessageGate {
            per_sec: limits.msgs_per_sec,
            burst: limits.msg_burst,
            bucket: None,
            flood_disconnect_ms: u64::from(limits.flood_disconnect_secs) * 1000,
            flood_since: None,
            last_drop: 0,
            closed: false,
        }
    }

    /// How long without a dropped frame ends a flood: the time the bucket takes to fill up
    /// from empty, at least a second.
    fn quiet_ms(&self) -> u64 {
        if self.per_sec == 0 {
            // Only the address's bucket limits this connection.
            return 1000;
        }
        (u64::from(self.burst.max(1)) * 1000 / u64::from(self.per_sec.max(1))).max(1000)
    }

    /// Decides about one frame arriving at `now_ms`.
    pub fn admit(&mut self, now_ms: u64) -> Admit {
        self.admit_shared(now_ms, None)
    }

    /// [`MessageGate::admit`] with the bucket of the client's address too (`None`: no rate
    /// per address): the frame passes if both have a token, and takes one from each.
    pub fn admit_shared(&mut self, now_ms: u64, shared: Option<&mut TokenBucket>) -> Admit {
        if self.closed {
            return Admit::Dropped { notify: false };
        }
        let shared = shared.filter(|b| b.per_sec > 0);
        if self.per_sec == 0 && shared.is_none() {
            return Admit::Yes;
        }
        let (per_sec, burst) = (self.per_sec, self.burst);
        let mut own = (per_sec > 0).then(|| {
            self.bucket
                .get_or_insert_with(|| TokenBucket::new(per_sec, burst, now_ms))
        });
        let mut shared = shared;
        let own_ok = own.as_deref_mut().is_none_or(|b| b.tokens(now_ms) >= 1);
        let shared_ok = shared.as_deref_mut().is_none_or(|b| b.tokens(now_ms) >= 1);
        if own_ok && shared_ok {
            if let Some(b) = own {
                b.take(now_ms);
            }
            if let Some(b) = shared {
                b.take(now_ms);
            }
            return Admit::Yes;
        }
        let quiet = self.quiet_ms();
        let last_drop = std::mem::replace(&mut self.last_drop, now_ms);
        match self.flood_since {
            Some(since) if now_ms.saturating_sub(last_drop) < quiet => {
                if self.flood_disconnect_ms > 0
                    && now_ms.saturating_sub(since) >= self.flood_disconnect_ms
                {
                    self.closed = true;
                    Admit::Disconnect
                } else {
                    Admit::Dropped { notify: false }
                }
            }
            _ => {
                self.flood_since = Some(now_ms);
                Admit::Dropped { notify: true }
            }
        }
    }

    /// Whether this connection was disconnected for flooding.
    pub fn is_closed(&self) -> bool {
        self.closed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(per_sec: u32, burst: u32, flood_secs: u32) -> MessageGate {
        MessageGate::new(&Limits {
            msgs_per_sec: per_sec,
            msg_burst: burst,
            flood_disconnect_secs: flood_secs,
            ..Limits::default()
        })
    }

    #[test]
    fn bucket_refills_at_the_rate_up_to_the_burst() {
        let t0 = 1_000_000;
        let mut b = TokenBucket::new(10, 5, t0);
        assert_eq!(b.tokens(t0), 5);
        for _ in 0..5 {
            assert!(b.take(t0));
        }
        assert!(!b.take(t0));
        assert!(!b.take(t0 + 99), "0.99 token after 99 ms at 10/s");
        assert!(b.take(t0 + 100));
        assert_eq!(b.tokens(t0 + 10_000), 5, "never above the burst");
        // A clock that goes back adds nothing and takes nothing away.
        assert_eq!(b.tokens(t0), 5);
        assert!(b.is_full(t0));
        // Burst 0 still holds one token.
        let mut b = TokenBucket::new(1, 0, t0);
        assert!(b.take(t0) && !b.take(t0));
        // Huge gaps and rates saturate instead of overflowing.
        let mut b = TokenBucket::new(u32::MAX, u32::MAX, 0);
        assert!(b.take(u64::MAX));
    }

    #[test]
    fn heartbeats_never_count_against_a_sane_limit() {
        // The lowest rate the server accepts (1/s, burst 1) with a ping every 2 s and a short
        // burst of user actions every 10 s well under the rate, for an hour.
        let mut g = gate(1, 1, 10);
        let mut refused = 0;
        for s in (0..3600u64).step_by(2) {
            if g.admit(1_000_000 + s * 1000) != Admit::Yes {
                refused += 1;
            }
        }
        assert_eq!(refused, 0);
        let mut g = gate(DEFAULT_MSGS_PER_SEC, DEFAULT_MSG_BURST, 10);
        for s in 0..3600u64 {
            let t = 1_000_000 + s * 1000;
            let n = if s % 10 == 0 { 40 } else { 1 };
            for i in 0..n {
                assert_eq!(g.admit(t + i), Admit::Yes, "second {s}");
            }
        }
    }

    #[test]
    fn a_burst_over_the_limit_is_told_once_then_recovers() {
        let t = 1_000_000;
        let mut g = gate(10, 20, 10);
        let got: Vec<Admit> = (0..25).map(|_| g.admit(t)).collect();
        assert!(got[..20].iter().all(|a| *a == Admit::Yes));
        assert_eq!(got[20], Admit::Dropped { notify: true });
        assert!(got[21..]
            .iter()
            .all(|a| *a == Admit::Dropped { notify: false }));
        // A tenth of a second later one token is back.
        assert_eq!(g.admit(t + 100), Admit::Yes);
        // No drop for as long as the bucket takes to fill (2 s): the flood is over; the next one
        // is told again.
        let t = t + 2_100;
        for _ in 0..20 {
            assert_eq!(g.admit(t), Admit::Yes);
        }
        assert_eq!(g.admit(t), Admit::Dropped { notify: true });
        assert!(!g.is_closed());
    }

    #[test]
    fn a_client_that_keeps_flooding_is_disconnected_once() {
        let t0 = 1_000_000;
        let mut g = gate(10, 20, 10);
        let mut first_disconnect = None;
        // 100 frames a second, ten times the rate, for 15 s.
        for i in 0..1500u64 {
            let t = t0 + i * 10;
            if g.admit(t) == Admit::Disconnect {
                assert!(first_disconnect.is_none(), "only once");
                first_disconnect = Some(t);
            }
        }
        let at = first_disconnect.expect("disconnected");
        // The flood began when the burst ran out (after 20 frames plus refills, ~0.2 s in).
        assert!((t0 + 10_000..t0 + 10_500).contains(&at), "{}", at - t0);
        assert!(g.is_closed());
        assert_eq!(g.admit(t0 + 60_000), Admit::Dropped { notify: false });
    }

    #[test]
    fn twice_the_rate_is_a_flood_too() {
        // Half the frames find a token: the bucket never fills, so the flood never ends.
        let t0 = 1_000_000;
        let mut g = gate(10, 20, 5);
        let mut out = Vec::new();
        for i in 0..2000u64 {
            out.push(g.admit(t0 + i * 50));
        }
        assert!(out.contains(&Admit::Disconnect));
    }

    #[test]
    fn a_bucket_of_one_still_sees_a_flood() {
        // Burst 1 fills up every second; ten frames a second are still one flood.
        let mut g = gate(1, 1, 3);
        let out: Vec<Admit> = (0..40u64).map(|i| g.admit(1_000_000 + i * 100)).collect();
        assert_eq!(
            out.iter()
                .filter(|a| **a == Admit::Dropped { notify: true })
                .count(),
            1
        );
        assert_eq!(out.iter().filter(|a| **a == Admit::Disconnect).count(), 1);
    }

    #[test]
    fn zero_means_unlimited() {
        let mut g = gate(0, 0, 0);
        for _ in 0..100_000 {
            assert_eq!(g.admit(5), Admit::Yes);
        }
        // flood_disconnect_secs 0: dropped, never disconnected.
        let mut g = gate(1, 1, 0);
        for i in 0..100_000u64 {
            assert_ne!(g.admit(1_000_000 + i), Admit::Disconnect);
        }
    }
}
