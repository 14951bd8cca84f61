//! Network quality and media statistics: the `NETWORK_QUALITY` and `STATISTICS` payloads
//! (reference §6.3), computed from two successive `RTCPeerConnection.getStats()` snapshots.
//!
//! The browser glue turns each stats report into a list of [`Stat`]s (reading the fields named
//! in [`NUMBER_FIELDS`] and [`TEXT_FIELDS`]), describes the room in a [`Context`], and feeds both
//! to a [`Tracker`], which keeps the previous snapshot and returns a [`Report`] ready to be
//! serialised into the two payloads.
//!
//! Invariants:
//! - quality values are 0 unknown, 1 excellent … 5 very bad, 6 disconnected; loss and RTT map to
//!   quality through the one table [`THRESHOLDS`]; RTTs are capped at [`RTT_CAP_MS`];
//! - rates come from counter deltas between two snapshots of the same stats object; when a
//!   counter goes backwards or the timestamp does not advance (a new connection, a reused id)
//!   that object starts over: its rates read 0 for one interval, never negative or huge;
//! - nothing here reads a clock: time comes from the stats' own timestamps.

use crate::vec_map::VecMap;
use trtc_proto::MediaKind;

mod payload;
mod tracker;

#[cfg(test)]
mod tests;

pub use payload::{
    LocalAudio, LocalStatistics, LocalVideo, NetworkQuality, RemoteAudio, RemoteStatistics,
    RemoteVideo, Report, Statistics,
};
pub use tracker::{codec_name, Context, RemoteTrack, Tracker};

/// How often the SDK emits `NETWORK_QUALITY` and `STATISTICS`.
pub const INTERVAL_MS: u32 = 2000;
/// RTTs above this are reported as this.
pub const RTT_CAP_MS: f64 = 10_000.0;

/// Quality 0: not known (nothing published, nobody to receive from, or still connecting).
pub const UNKNOWN: u8 = 0;
/// Quality 1: loss and RTT below every row of [`THRESHOLDS`].
pub const EXCELLENT: u8 = 1;
/// Quality 6: the link is down.
pub const DISCONNECTED: u8 = 6;

/// `(quality, loss % above, RTT ms above)`, worst first: the first row whose loss or RTT is
/// exceeded gives the quality; below every row the quality is [`EXCELLENT`].
pub const THRESHOLDS: &[(u8, f64, f64)] = &[
    (5, 50.0, 500.0),
    (4, 30.0, 350.0),
    (3, 20.0, 200.0),
    (2, 10.0, 100.0),
];

/// An RTT in ms, made sane: not finite or negative → 0, above the cap → the cap.
pub fn cap_rtt(rtt_ms: f64) -> f64 {
    if rtt_ms.is_finite() && rtt_ms > 0.0 {
        rtt_ms.min(RTT_CAP_MS)
    } else {
        0.0
    }
}

/// The quality (1..=5) of a link with `loss_pct` % loss and `rtt_ms` round trip.
pub fn quality(loss_pct: f64, rtt_ms: f64) -> u8 {
    let rtt = cap_rtt(rtt_ms);
    let loss = if loss_pct.is_finite() { loss_pct } else { 0.0 };
    THRESHOLDS
        .iter()
        .find(|(_, l, r)| loss > *l || rtt > *r)
        .map(|(q, _, _)| *q)
        .unwrap_or(EXCELLENT)
}

/// The state of a media or signalling link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Not connected yet (`new`, `connecting`): quality unknown.
    Connecting,
    /// `connected`: quality from loss and RTT.
    Connected,
    /// `disconnected`, `failed`, `closed`, or the signalling is gone.
    Down,
}

impl LinkState {
    /// From `RTCPeerConnection.connectionState`.
    pub fn from_connection_state(state: &str) -> LinkState {
        match state {
            "connected" => LinkState::Connected,
            "new" | "connecting" => LinkState::Connecting,
            _ => LinkState::Down,
        }
    }
}

/// Uplink quality: 0 when nothing is published, 6 when the link is down, else the table.
pub fn uplink_quality(published: bool, link: LinkState, loss_pct: f64, rtt_ms: f64) -> u8 {
    match (published, link) {
        (false, _) => UNKNOWN,
        (true, LinkState::Down) => DISCONNECTED,
        (true, LinkState::Connecting) => UNKNOWN,
        (true, LinkState::Connected) => quality(loss_pct, rtt_ms),
    }
}

/// One remote publisher's downlink: (state, loss %, RTT ms).
pub type PublisherLink = (LinkState, f64, f64);

/// Downlink quality: the rounded average over the remote publishers' links, each given as
/// `(state, loss %, RTT ms)`; links still connecting do not count. 0 when nobody publishes
/// (or every link is still connecting), 6 when all are down.
pub fn downlink_quality(links: &[PublisherLink]) -> u8 {
    let known: Vec<u8> = links
        .iter()
        .filter_map(|(state, loss, rtt)| match state {
            LinkState::Connecting => None,
            LinkState::Down => Some(DISCONNECTED),
            LinkState::Connected => Some(quality(*loss, *rtt)),
        })
        .collect();
    if known.is_empty() {
        return UNKNOWN;
    }
    let sum: u32 = known.iter().map(|q| *q as u32).sum();
    (sum as f64 / known.len() as f64).round() as u8
}

/// `lost / (lost + received)` as a percentage; 0 when nothing was expected.
pub fn loss_pct(lost: f64, received: f64) -> f64 {
    let lost = lost.max(0.0);
    let total = lost + received.max(0.0);
    if total > 0.0 {
        lost / total * 100.0
    } else {
        0.0
    }
}

/// The cumulative counters of one RTP stream at one instant. `bytes`/`packets`/`frames` are
/// sent or received depending on the direction; `packets_lost` is the receiver's count.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counters {
    /// The stats object's `timestamp`, ms.
    pub timestamp_ms: f64,
    /// `bytesSent` or `bytesReceived`.
    pub bytes: f64,
    /// `packetsSent` or `packetsReceived`.
    pub packets: f64,
    /// `packetsLost` (inbound, or the remote receiver's report); may shrink when duplicates arrive.
    pub packets_lost: f64,
    /// `framesEncoded` or `framesDecoded` (0 for audio).
    pub frames: f64,
    /// `jitterBufferDelay`: seconds, summed over every sample or frame emitted.
    pub jitter_buffer_delay: f64,
    /// `jitterBufferEmittedCount`: samples (audio) or frames (video) that left the jitter buffer.
    pub jitter_buffer_emitted: f64,
}

/// What happened between two snapshots of one stream.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Delta {
    /// The interval's length, s; always > 0.
    pub seconds: f64,
    /// Bytes sent or received in the interval.
    pub bytes: f64,
    /// Packets sent or received in the interval.
    pub packets: f64,
    /// Never negative (`packetsLost` may shrink when duplicates arrive).
    pub packets_lost: f64,
    /// Frames encoded or decoded in the interval.
    pub frames: f64,
    /// Jitter-buffer delay added in the interval, s (summed over the samples emitted); never
    /// negative.
    pub jitter_buffer_delay: f64,
    /// Samples (audio) or frames (video) the jitter buffer emitted in the interval.
    pub jitter_buffer_emitted: f64,
}

impl Delta {
    /// The change from `prev` to `cur`; `None` on the first snapshot, when time did not move
    /// forward, or when a counter went backwards (the stream started over).
    pub fn between(prev: Option<&Counters>, cur: &Counters) -> Option<Delta> {
        let prev = prev?;
        let seconds = (cur.timestamp_ms - prev.timestamp_ms) / 1000.0;
        let monotonic = [
            (prev.bytes, cur.bytes),
            (prev.packets, cur.packets),
            (prev.frames, cur.frames),
            (prev.jitter_buffer_emitted, cur.jitter_buffer_emitted),
        ]
        .iter()
        .all(|(a, b)| b >= a);
        let advanced = seconds > 0.0 && seconds.is_finite();
        if !advanced || !monotonic {
            return None;
        }
        Some(Delta {
            seconds,
            bytes: cur.bytes - prev.bytes,
            packets: cur.packets - prev.packets,
            packets_lost: (cur.packets_lost - prev.packets_lost).max(0.0),
            frames: cur.frames - prev.frames,
            jitter_buffer_delay: (cur.jitter_buffer_delay - prev.jitter_buffer_delay).max(0.0),
            jitter_buffer_emitted: cur.jitter_buffer_emitted - prev.jitter_buffer_emitted,
        })
    }

    /// Bits per second / 1000.
    pub fn bitrate_kbps(&self) -> f64 {
        self.bytes * 8.0 / 1000.0 / self.seconds
    }

    /// Frames per second over the interval.
    pub fn frame_rate(&self) -> f64 {
        self.frames / self.seconds
    }

    /// Inbound loss over the interval, in %.
    pub fn loss_pct(&self) -> f64 {
        loss_pct(self.packets_lost, self.packets)
    }

    /// Mean jitter-buffer delay of the samples emitted in the interval, in ms.
    pub fn jitter_buffer_ms(&self) -> Option<f64> {
        (self.jitter_buffer_emitted > 0.0)
            .then(|| self.jitter_buffer_delay / self.jitter_buffer_emitted * 1000.0)
    }
}

/// The numeric fields of a stats object the SDK reads (W3C webrtc-stats names).
pub const NUMBER_FIELDS: &[&str] = &[
    "timestamp",
    "bytesSent",
    "bytesReceived",
    "packetsSent",
    "packetsReceived",
    "packetsLost",
    "framesEncoded",
    "framesDecoded",
    "framesPerSecond",
    "frameWidth",
    "frameHeight",
    "width",
    "height",
    "audioLevel",
    "jitterBufferDelay",
    "jitterBufferEmittedCount",
    "roundTripTime",
    "fractionLost",
    "currentRoundTripTime",
];

/// The text fields of a stats object the SDK reads (`nominated` is read as `"true"`).
pub const TEXT_FIELDS: &[&str] = &[
    "id",
    "type",
    "kind",
    "mid",
    "trackIdentifier",
    "localId",
    "mediaSourceId",
    "rid",
    "codecId",
    "mimeType",
    "selectedCandidatePairId",
    "state",
    "nominated",
];

/// One stats object of a `getStats()` report: its fields named in [`NUMBER_FIELDS`] and
/// [`TEXT_FIELDS`] that are present.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stat {
    numbers: VecMap<&'static str, f64>,
    texts: VecMap<&'static str, String>,
}

impl Stat {
    /// A stat of `type` with `id` (for tests and builders).
    pub fn new(ty: &str, id: &str) -> Stat {
        Stat::default().text("type", ty).text("id", id)
    }

    /// Sets a number field (a name from [`NUMBER_FIELDS`]; other names are ignored).
    pub fn number(mut self, name: &str, value: f64) -> Stat {
        self.set_number(name, value);
        self
    }

    /// Sets a text field (a name from [`TEXT_FIELDS`]; other names are ignored).
    pub fn text(mut self, name: &str, value: &str) -> Stat {
        self.set_text(name, value);
        self
    }

    /// Sets a number field in place; a name not in [`NUMBER_FIELDS`] or a value that is not finite
    /// is ignored.
    pub fn set_number(&mut self, name: &str, value: f64) {
        if let Some(n) = NUMBER_FIELDS.iter().find(|n| **n == name) {
            if value.is_finite() {
                self.numbers.insert(n, value);
            }
        }
    }

    /// Sets a text field in place; a name not in [`TEXT_FIELDS`] is ignored.
    pub fn set_text(&mut self, name: &str, value: &str) {
        if let Some(n) = TEXT_FIELDS.iter().find(|n| **n == name) {
            self.texts.insert(n, value.to_string());
        }
    }

    /// A number field, if present.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.numbers.get(name).copied()
    }

    fn num(&self, name: &str) -> f64 {
        self.get(name).unwrap_or(0.0)
    }

    /// A text field, if present.
    pub fn get_text(&self, name: &str) -> Option<&str> {
        self.texts.get(name).map(String::as_str)
    }

    /// The stats object's `id` (`''` if missing); stable across snapshots of one connection.
    pub fn id(&self) -> &str {
        self.get_text("id").unwrap_or_default()
    }

    /// The stats object's `type` (`outbound-rtp`, `inbound-rtp`, `candidate-pair`, …); `''` if
    /// missing.
    pub fn ty(&self) -> &str {
        self.get_text("type").unwrap_or_default()
    }

    /// The RTP stream's `kind`; `None` for non-RTP stats or an unknown kind.
    pub fn kind(&self) -> Option<MediaKind> {
        match self.get_text("kind") {
            Some("audio") => Some(MediaKind::Audio),
            Some("video") => Some(MediaKind::Video),
            _ => None,
        }
    }

    /// The counters of an `outbound-rtp` (sent) or `inbound-rtp` (received) stream.
    pub fn counters(&self) -> Counters {
        let outbound = self.ty() == "outbound-rtp";
        let pick = |sent: &str, received: &str| self.num(if outbound { sent } else { received });
        Counters {
            timestamp_ms: self.num("timestamp"),
            bytes: pick("bytesSent", "bytesReceived"),
            packets: pick("packetsSent", "packetsReceived"),
            packets_lost: self.num("packetsLost"),
            frames: pick("framesEncoded", "framesDecoded"),
            jitter_buffer_delay: self.num("jitterBufferDelay"),
            jitter_buffer_emitted: self.num("jitterBufferEmittedCount"),
        }
    }
}

/// The delay this client can see between a remote publisher and its playout: half the RTT to
/// the server plus the jitter buffer. The publisher's own leg is not known to this client.
pub fn point_to_point_delay(rtt_ms: f64, jitter_buffer_ms: f64) -> f64 {
    cap_rtt(rtt_ms) / 2.0 + jitter_buffer_ms.max(0.0)
}
