//! Summing up a run, pure: from the users' reports to the figures the capacity bench reads.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::stats::{spread, Spread};
use crate::user::UserReport;

/// Resource use of a process over the measurement window (from `/proc`).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ProcFigures {
    /// CPU time over wall time, percent of one core.
    pub cpu_pct: f64,
    /// The part of `cpu_pct` spent in the kernel (system time).
    pub sys_pct: f64,
    /// The busiest thread's share, percent of one core.
    pub top_thread_cpu_pct: f64,
    /// Resident set size at the end of the window, KiB (`VmRSS`).
    pub rss_kib: u64,
}

/// Network-namespace-wide UDP counters over the window (`/proc/net/snmp`).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct UdpCounters {
    /// UDP datagrams delivered to sockets (`InDatagrams`).
    pub in_datagrams: u64,
    /// UDP datagrams sent (`OutDatagrams`).
    pub out_datagrams: u64,
    /// Datagrams dropped because a socket's receive buffer was full.
    pub rcvbuf_errors: u64,
    /// Datagrams dropped because a socket's send buffer was full.
    pub sndbuf_errors: u64,
}

impl UdpCounters {
    /// The counts from `o` (the window's start) to `self` (its end); a counter that went backwards
    /// reads 0.
    pub fn minus(self, o: UdpCounters) -> UdpCounters {
        UdpCounters {
            in_datagrams: self.in_datagrams.saturating_sub(o.in_datagrams),
            out_datagrams: self.out_datagrams.saturating_sub(o.out_datagrams),
            rcvbuf_errors: self.rcvbuf_errors.saturating_sub(o.rcvbuf_errors),
            sndbuf_errors: self.sndbuf_errors.saturating_sub(o.sndbuf_errors),
        }
    }
}

/// The `Udp:` counters from the contents of `/proc/net/snmp`.
pub fn parse_snmp_udp(snmp: &str) -> Option<UdpCounters> {
    let mut lines = snmp.lines().filter(|l| l.starts_with("Udp:"));
    let names: Vec<&str> = lines.next()?.split_whitespace().skip(1).collect();
    let values: Vec<u64> = lines
        .next()?
        .split_whitespace()
        .skip(1)
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    let get = |name: &str| {
        names
            .iter()
            .position(|n| *n == name)
            .and_then(|i| values.get(i).copied())
            .unwrap_or(0)
    };
    Some(UdpCounters {
        in_datagrams: get("InDatagrams"),
        out_datagrams: get("OutDatagrams"),
        rcvbuf_errors: get("RcvbufErrors"),
        sndbuf_errors: get("SndbufErrors"),
    })
}

/// Figures of one media kind over every (subscriber, source) pair that should flow.
#[derive(Debug, Clone, Default, Serialize)]
pub struct KindSummary {
    /// Pairs that should flow: a user subscribing to this kind × another user publishing it.
    pub pairs: usize,
    /// Pairs with no packet in the window.
    pub missing: usize,
    /// Received kbps per pair.
    pub kbps: Option<Spread>,
    /// Loss per pair, percent (missing pairs count as 100).
    pub loss_pct: Option<Spread>,
    /// Jitter per pair, ms.
    pub jitter_ms: Option<Spread>,
    /// Received bytes per second over what the source sent per second, percent (missing pairs
    /// count as 0).
    pub delivered_pct: Option<Spread>,
}

/// A run's figures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Users in the run, failed ones included.
    pub users: usize,
    /// Users meant to publish something.
    pub publishers: usize,
    /// Publishers that sent nothing in the window (not connected, or failed).
    pub silent_publishers: usize,
    /// Users that ended with an error (they are left out of the rates below).
    pub failed: usize,
    /// The first few errors.
    pub errors: Vec<String>,
    /// Length of the measurement window, s: the median over the users that did not fail.
    pub window_s: f64,
    /// WebSocket connect → `joined`, ms, over the users that got that far.
    pub join_ms: Option<Spread>,
    /// WebSocket connect → ICE and DTLS up, ms, over the users that got that far.
    pub connect_ms: Option<Spread>,
    /// WebSocket connect → first RTP packet received, ms, over the users that received any.
    pub first_rtp_ms: Option<Spread>,
    /// The largest SDP offer each user got, bytes.
    pub offer_bytes: Option<Spread>,
    /// RTP packets per second all publishers sent.
    pub sent_pps: f64,
    /// RTP payload kbps all publishers sent (headers not counted).
    pub sent_kbps: f64,
    /// RTP packets per second all users received: what the SFU forwarded.
    pub recv_pps: f64,
    /// RTP payload kbps all users received.
    pub recv_kbps: f64,
    /// The audio pairs.
    pub audio: KindSummary,
    /// The video pairs.
    pub video: KindSummary,
    /// Keyframe requests (PLI/FIR) the publishers received in the window.
    pub keyframe_requests: u64,
    /// Keyframes the publishers made because one was requested (several requests before the next
    /// frame make one).
    pub requested_keyframes: u64,
    /// Audio packets / video frames the load client produced late.
    pub late: u64,
    /// The server process, when its pid was given.
    pub server: Option<ProcFigures>,
    /// This load client's own process.
    pub loadgen: Option<ProcFigures>,
    /// UDP counters of the network namespace over the window, when `/proc/net/snmp` is readable.
    pub udp: Option<UdpCounters>,
    /// `recv_pps` per server core: recv_pps / (server cpu_pct / 100).
    pub forwarded_pps_per_core: Option<f64>,
}

/// What the user subscribes to: (audio, video).
pub type Wants = (bool, bool);

/// Sums up `users`; `wants[i]` says what user i subscribes to.
pub fn summarize(users: &[UserReport], wants: &[Wants]) -> Summary {
    let ok: Vec<&UserReport> = users.iter().filter(|u| u.error.is_none()).collect();
    let window_s =
        spread(&ok.iter().map(|u| u.window_s).collect::<Vec<_>>()).map_or(0.0, |s| s.median);
    let per_s = |x: u64| {
        if window_s > 0.0 {
            x as f64 / window_s
        } else {
            0.0
        }
    };
    let opt =
        |f: fn(&UserReport) -> Option<f64>| spread(&users.iter().filter_map(f).collect::<Vec<_>>());

    // What each source sent per second, by (user, kind).
    let mut sent_rate: BTreeMap<(&str, bool), f64> = BTreeMap::new();
    // What each source sent of its small stream per second (`--small-kbps`).
    let mut small_rate: BTreeMap<&str, f64> = BTreeMap::new();
    let (mut sent_pkts, mut sent_bytes) = (0, 0);
    for u in &ok {
        let w = u.window_s.max(1e-9);
        if u.sent.audio_pkts > 0 {
            sent_rate.insert((&u.user_id, false), u.sent.audio_bytes as f64 / w);
        }
        if u.sent.video_pkts > 0 {
            sent_rate.insert((&u.user_id, true), u.sent.video_bytes as f64 / w);
        }
        if u.sent.small_pkts > 0 {
            small_rate.insert(&u.user_id, u.sent.small_bytes as f64 / w);
        }
        sent_pkts += u.sent.audio_pkts + u.sent.video_pkts + u.sent.small_pkts;
        sent_bytes += u.sent.audio_bytes + u.sent.video_bytes + u.sent.small_bytes;
    }
    let (mut recv_pkts, mut recv_bytes) = (0, 0);
    for u in &ok {
        for t in &u.tracks {
            recv_pkts += t.pkts;
            recv_bytes += t.bytes;
        }
    }

    // Each user receives the publishers of its own room only.
    let room_of: BTreeMap<&str, &str> = users
        .iter()
        .map(|u| (u.user_id.as_str(), u.room.as_str()))
        .collect();
    let mut kinds = [KindAcc::default(), KindAcc::default()];
    for (i, u) in users.iter().enumerate() {
        let (wa, wv) = wants.get(i).copied().unwrap_or((true, true));
        for (video, wanted) in [(false, wa), (true, wv)] {
            if !wanted {
                continue;
            }
            let acc = &mut kinds[usize::from(video)];
            for ((src, v), rate) in &sent_rate {
                if *v != video || *src == u.user_id || room_of.get(src) != Some(&u.room.as_str()) {
                    continue;
                }
                acc.pairs += 1;
                let kind = if video { "video" } else { "audio" };
                let tracks: Vec<_> = u
                    .tracks
                    .iter()
                    .filter(|t| t.kind == kind && t.source == *src && t.pkts > 0)
                    .collect();
                if u.error.is_some() || tracks.is_empty() {
                    acc.missing += 1;
                    acc.loss.push(100.0);
                    acc.delivered.push(0.0);
                    continue;
                }
                let bytes: u64 = tracks.iter().map(|t| t.bytes).sum();
                let pkts: u64 = tracks.iter().map(|t| t.pkts).sum();
                let w = u.window_s.max(1e-9);
                acc.kbps.push(bytes as f64 * 8.0 / 1000.0 / w);
                // Loss weighted by packets when a pair had several SSRCs.
                let loss = tracks
                    .iter()
                    .map(|t| t.loss_pct * t.pkts as f64)
                    .sum::<f64>()
                    / pkts.max(1) as f64;
                acc.loss.push(loss);
                acc.jitter
                    .push(tracks.iter().map(|t| t.jitter_ms).fold(0.0, f64::max));
                // A subscriber on small streams gets a source's small one, if it sends one.
                let rate = match small_rate.get(src) {
                    Some(small) if video && u.small_video => small,
                    _ => rate,
                };
                acc.delivered.push(if *rate > 0.0 {
                    bytes as f64 / w / rate * 100.0
                } else {
                    0.0
                });
            }
        }
    }
    let [audio, video] = kinds.map(KindAcc::finish);

    Summary {
        users: users.len(),
        publishers: users.iter().filter(|u| u.publisher).count(),
        silent_publishers: users
            .iter()
            .filter(|u| u.publisher && u.sent.audio_pkts + u.sent.video_pkts == 0)
            .count(),
        failed: users.len() - ok.len(),
        errors: users
            .iter()
            .filter_map(|u| u.error.as_ref().map(|e| format!("{}: {e}", u.user_id)))
            .take(5)
            .collect(),
        window_s,
        join_ms: opt(|u| u.join_ms),
        connect_ms: opt(|u| u.connect_ms),
        first_rtp_ms: opt(|u| u.first_rtp_ms),
        offer_bytes: opt(|u| u.offer_bytes.map(|b| b as f64)),
        sent_pps: per_s(sent_pkts),
        sent_kbps: per_s(sent_bytes) * 8.0 / 1000.0,
        recv_pps: per_s(recv_pkts),
        recv_kbps: per_s(recv_bytes) * 8.0 / 1000.0,
        audio,
        video,
        keyframe_requests: ok.iter().map(|u| u.keyframe_requests).sum(),
        requested_keyframes: ok.iter().map(|u| u.sent.requested_keyframes).sum(),
        late: ok.iter().map(|u| u.late).sum(),
        server: None,
        loadgen: None,
        udp: None,
        forwarded_pps_per_core: None,
    }
}

#[derive(Default)]
struct KindAcc {
    pairs: usize,
    missing: usize,
    kbps: Vec<f64>,
    loss: Vec<f64>,
    jitter: Vec<f64>,
    delivered: Vec<f64>,
}

impl KindAcc {
    fn finish(self) -> KindSummary {
        KindSummary {
            pairs: self.pairs,
            missing: self.missing,
            kbps: spread(&self.kbps),
            loss_pct: spread(&self.loss),
            jitter_ms: spread(&self.jitter),
            delivered_pct: spread(&self.delivered),
        }
    }
}

impl Summary {
    /// Whether every pair flowed within the bounds: loss at most `max_loss_pct` and at least
    /// `min_delivered_pct` of what was sent delivered, on every pair, and no user failed.
    pub fn passes(&self, max_loss_pct: f64, min_delivered_pct: f64) -> bool {
        self.failed == 0
            && self.silent_publishers == 0
            && [&self.audio, &self.video].iter().all(|k| {
                k.missing == 0
                    && k.loss_pct.is_none_or(|s| s.max <= max_loss_pct)
                    && k.delivered_pct.is_none_or(|s| s.min >= min_delivered_pct)
            })
    }

    /// The human-readable summary.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let sp = |x: &Option<Spread>| match x {
            Some(v) => format!("{:.1} [{:.1}–{:.1}]", v.median, v.min, v.max),
            None => "-".into(),
        };
        let _ = writeln!(
            s,
            "users {} (publishers {}, silent {}), failed {}, window {:.1} s",
            self.users, self.publishers, self.silent_publishers, self.failed, self.window_s
        );
        for e in &self.errors {
            let _ = writeln!(s, "  error: {e}");
        }
        let _ = writeln!(
            s,
            "join ms {}   connect ms {}   first RTP ms {}   largest offer bytes {}",
            sp(&self.join_ms),
            sp(&self.connect_ms),
            sp(&self.first_rtp_ms),
            sp(&self.offer_bytes)
        );
        let _ = writeln!(
            s,
            "sent {:.0} pkt/s {:.0} kbps   received (forwarded) {:.0} pkt/s {:.0} kbps",
            self.sent_pps, self.sent_kbps, self.recv_pps, self.recv_kbps
        );
        for (name, k) in [("audio", &self.audio), ("video", &self.video)] {
            let _ = writeln!(
                s,
                "{name}: pairs {} missing {}  kbps {}  loss% {}  jitter ms {}  delivered% {}",
                k.pairs,
                k.missing,
                sp(&k.kbps),
                sp(&k.loss_pct),
                sp(&k.jitter_ms),
                sp(&k.delivered_pct)
            );
        }
        let _ = writeln!(
            s,
            "in the window: keyframe requests at publishers {}, keyframes made on request {}, late frames {}",
            self.keyframe_requests, self.requested_keyframes, self.late
        );
        if let Some(p) = self.server {
            let _ = writeln!(
                s,
                "server: cpu {:.1}% (sys {:.1}%, busiest thread {:.1}%), rss {} KiB",
                p.cpu_pct, p.sys_pct, p.top_thread_cpu_pct, p.rss_kib
            );
        }
        if let Some(p) = self.loadgen {
            let _ = writeln!(
                s,
                "loadgen: cpu {:.1}% (sys {:.1}%, busiest thread {:.1}%), rss {} KiB",
                p.cpu_pct, p.sys_pct, p.top_thread_cpu_pct, p.rss_kib
            );
        }
        if let Some(u) = self.udp {
            let _ = writeln!(
                s,
                "udp (namespace): in {} out {} rcvbuf drops {} sndbuf drops {}",
                u.in_datagrams, u.out_datagrams, u.rcvbuf_errors, u.sndbuf_errors
            );
        }
        if let Some(f) = self.forwarded_pps_per_core {
            let _ = writeln!(s, "forwarded per server core: {f:.0} pkt/s");
        }
        s
    }
}
