//! Receive statistics, pure and clock-free: RTP sequence extension, packet loss and interarrival
//! jitter as RFC 3550 (appendix A.1, A.3, A.8) computes them, bitrates, and the spread
//! (median, min, max) of a set of figures.

use std::time::Duration;

/// Extends 16-bit RTP sequence numbers to 64 bits: each packet takes the extension closest to
/// the highest one seen so far, so wraps (…65535, 0, 1…) and reordering across a wrap are
/// handled. The first packet is placed in cycle 1, so a packet older than it stays positive.
#[derive(Debug, Clone, Default)]
pub struct SeqExtender {
    max: Option<u64>,
}

impl SeqExtender {
    /// The extended sequence number of a packet with `seq`; the highest seen so far moves forward
    /// when this one is newer.
    pub fn extend(&mut self, seq: u16) -> u64 {
        let Some(max) = self.max else {
            let ext = (1 << 16) | u64::from(seq);
            self.max = Some(ext);
            return ext;
        };
        // The candidate in max's cycle, then the one of the neighbouring cycle that is closer.
        let base = max & !0xffff;
        let cand = base | u64::from(seq);
        let ext = if cand > max && cand - max > 0x8000 && cand >= 1 << 16 {
            cand - (1 << 16)
        } else if cand < max && max - cand > 0x8000 {
            cand + (1 << 16)
        } else {
            cand
        };
        if ext > max {
            self.max = Some(ext);
        }
        ext
    }
}

/// Counters of one received RTP stream at one moment; two of them make a window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RxSnapshot {
    /// Packets expected so far: highest extended sequence number − lowest + 1 (RFC 3550 A.3).
    pub expected: u64,
    /// Packets received (duplicates count, as in RFC 3550).
    pub received: u64,
    /// Payload bytes received.
    pub bytes: u64,
}

/// One received RTP stream (one SSRC).
#[derive(Debug, Clone)]
pub struct RtpRx {
    clock_rate: u32,
    seq: SeqExtender,
    lowest: u64,
    highest: u64,
    received: u64,
    bytes: u64,
    /// Interarrival jitter in timestamp units (RFC 3550 A.8, kept as a float: no rounding).
    jitter: f64,
    /// Relative transit time of the previous packet, in timestamp units (wrapping).
    last_transit: Option<u32>,
}

impl RtpRx {
    /// `clock_rate`: the RTP clock of the stream (48000 for Opus, 90000 for video).
    pub fn new(clock_rate: u32) -> RtpRx {
        RtpRx {
            clock_rate: clock_rate.max(1),
            seq: SeqExtender::default(),
            lowest: u64::MAX,
            highest: 0,
            received: 0,
            bytes: 0,
            jitter: 0.0,
            last_transit: None,
        }
    }

    /// A packet arrived: its sequence number and RTP timestamp from the header, when it arrived
    /// (on any fixed epoch, the same for every packet of the stream) and its payload size.
    pub fn on_packet(&mut self, seq: u16, rtp_ts: u32, arrival: Duration, payload_len: usize) {
        let ext = self.seq.extend(seq);
        self.lowest = self.lowest.min(ext);
        self.highest = self.highest.max(ext);
        self.received += 1;
        self.bytes += payload_len as u64;

        // RFC 3550 A.8: transit = arrival − timestamp, both in timestamp units; the difference
        // of consecutive transits is taken modulo 2^32, as the RFC's unsigned arithmetic does.
        let arrival_units =
            (arrival.as_nanos() * u128::from(self.clock_rate) / 1_000_000_000) as u32;
        let transit = arrival_units.wrapping_sub(rtp_ts);
        if let Some(prev) = self.last_transit {
            let d = f64::from((transit.wrapping_sub(prev) as i32).unsigned_abs());
            self.jitter += (d - self.jitter) / 16.0;
        }
        self.last_transit = Some(transit);
    }

    /// The counters now, to diff against a later snapshot ([`loss_fraction`]).
    pub fn snapshot(&self) -> RxSnapshot {
        RxSnapshot {
            expected: self.expected(),
            received: self.received,
            bytes: self.bytes,
        }
    }

    /// Packets expected so far (0 before the first packet).
    pub fn expected(&self) -> u64 {
        if self.received == 0 {
            0
        } else {
            self.highest - self.lowest + 1
        }
    }

    /// Cumulative packets lost (RFC 3550 A.3: negative when duplicates outnumber losses).
    pub fn lost(&self) -> i64 {
        self.expected() as i64 - self.received as i64
    }

    /// Packets received so far, duplicates included.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The current interarrival jitter estimate.
    pub fn jitter(&self) -> Duration {
        Duration::from_secs_f64(self.jitter / f64::from(self.clock_rate))
    }

    /// The jitter as an RTCP receiver report carries it: integer timestamp units.
    pub fn jitter_units(&self) -> u32 {
        self.jitter as u32
    }
}

/// Fraction of packets lost between two snapshots (0.0–1.0); duplicates never make it negative.
pub fn loss_fraction(start: RxSnapshot, end: RxSnapshot) -> f64 {
    let expected = end.expected.saturating_sub(start.expected);
    let received = end.received.saturating_sub(start.received);
    if expected == 0 {
        return 0.0;
    }
    expected.saturating_sub(received) as f64 / expected as f64
}

/// Kilobits per second for `bytes` over `window`.
pub fn kbps(bytes: u64, window: Duration) -> f64 {
    let secs = window.as_secs_f64();
    if secs <= 0.0 {
        return 0.0;
    }
    bytes as f64 * 8.0 / 1000.0 / secs
}

/// Median, extremes and mean of a set of figures.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Spread {
    /// How many figures (NaNs left out).
    pub n: usize,
    /// The middle figure; the mean of the two middle ones for an even count.
    pub median: f64,
    /// The smallest figure.
    pub min: f64,
    /// The largest figure.
    pub max: f64,
    /// The arithmetic mean.
    pub mean: f64,
}

/// The spread of `values` (NaNs ignored); `None` when there is nothing to summarise.
pub fn spread(values: &[f64]) -> Option<Spread> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    Some(Spread {
        n,
        median,
        min: v[0],
        max: v[n - 1],
        mean: v.iter().sum::<f64>() / n as f64,
    })
}

/// CPU time (user + system, in clock ticks) from the contents of `/proc/PID/stat`.
pub fn parse_proc_stat(stat: &str) -> Option<u64> {
    parse_proc_stat_split(stat).map(|(u, s)| u + s)
}

/// User and system CPU time (clock ticks) from the contents of `/proc/PID/stat`.
pub fn parse_proc_stat_split(stat: &str) -> Option<(u64, u64)> {
    // The command name (field 2) is in parentheses and may hold spaces: split after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime, stime))
}

/// Resident set size in KiB from the contents of `/proc/PID/status` (`VmRSS:`).
pub fn parse_rss_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
