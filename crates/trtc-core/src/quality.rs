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

use serde::Serialize;
use trtc_proto::MediaKind;
use trtc_proto::{json_array, ObjectWriter};

/// How often the SDK emits `NETWORK_QUALITY` and `STATISTICS`.
pub const INTERVAL_MS: u32 = 2000;
/// RTTs above this are reported as this.
pub const RTT_CAP_MS: f64 = 10_000.0;

pub const UNKNOWN: u8 = 0;
pub const EXCELLENT: u8 = 1;
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
    pub timestamp_ms: f64,
    pub bytes: f64,
    pub packets: f64,
    pub packets_lost: f64,
    pub frames: f64,
    /// `jitterBufferDelay` (seconds, cumulative) and `jitterBufferEmittedCount`.
    pub jitter_buffer_delay: f64,
    pub jitter_buffer_emitted: f64,
}

/// What happened between two snapshots of one stream.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Delta {
    pub seconds: f64,
    pub bytes: f64,
    pub packets: f64,
    /// Never negative (`packetsLost` may shrink when duplicates arrive).
    pub packets_lost: f64,
    pub frames: f64,
    pub jitter_buffer_delay: f64,
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

    pub fn set_number(&mut self, name: &str, value: f64) {
        if let Some(n) = NUMBER_FIELDS.iter().find(|n| **n == name) {
            if value.is_finite() {
                self.numbers.insert(n, value);
            }
        }
    }

    pub fn set_text(&mut self, name: &str, value: &str) {
        if let Some(n) = TEXT_FIELDS.iter().find(|n| **n == name) {
            self.texts.insert(n, value.to_string());
        }
    }

    pub fn get(&self, name: &str) -> Option<f64> {
        self.numbers.get(name).copied()
    }

    fn num(&self, name: &str) -> f64 {
        self.get(name).unwrap_or(0.0)
    }

    pub fn get_text(&self, name: &str) -> Option<&str> {
        self.texts.get(name).map(String::as_str)
    }

    pub fn id(&self) -> &str {
        self.get_text("id").unwrap_or_default()
    }

    pub fn ty(&self) -> &str {
        self.get_text("type").unwrap_or_default()
    }

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

/// A track this client receives, and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteTrack {
    pub user_id: String,
    pub kind: MediaKind,
    /// The receiving transceiver's mid.
    pub mid: Option<String>,
    /// The track's id (`inbound-rtp.trackIdentifier`).
    pub track_id: String,
}

/// What the room looks like at the time of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub audio_published: bool,
    pub video_published: bool,
    /// The uplink: the peer connection, or `Down` when the signalling is gone.
    pub uplink: LinkState,
    /// The downlink peer connection.
    pub downlink: LinkState,
    /// Remote users who publish something now.
    pub publishers: Vec<String>,
    /// The tracks received now.
    pub remote_tracks: Vec<RemoteTrack>,
}

/// The `NETWORK_QUALITY` payload.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkQuality {
    pub uplink_network_quality: u8,
    pub downlink_network_quality: u8,
    #[serde(rename = "uplinkRTT")]
    pub uplink_rtt: u32,
    pub uplink_loss: u32,
    #[serde(rename = "downlinkRTT")]
    pub downlink_rtt: u32,
    pub downlink_loss: u32,
}

/// The `STATISTICS` payload.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Statistics {
    pub rtt: u32,
    pub up_loss: u32,
    pub down_loss: u32,
    pub bytes_sent: f64,
    pub bytes_received: f64,
    pub local_statistics: LocalStatistics,
    pub remote_statistics: Vec<RemoteStatistics>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LocalStatistics {
    pub audio: LocalAudio,
    pub video: Vec<LocalVideo>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalAudio {
    /// kbps.
    pub bitrate: u32,
    /// 0..=1.
    pub audio_level: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalVideo {
    pub width: u32,
    pub height: u32,
    pub frame_rate: u32,
    pub bitrate: u32,
    pub video_type: &'static str,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteStatistics {
    pub user_id: String,
    pub audio: RemoteAudio,
    pub video: Vec<RemoteVideo>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteAudio {
    pub bitrate: u32,
    pub audio_level: f64,
    /// ms.
    pub jitter_buffer_delay: u32,
    /// ms; see [`point_to_point_delay`].
    pub point2point_delay: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteVideo {
    pub width: u32,
    pub height: u32,
    pub frame_rate: u32,
    pub bitrate: u32,
    pub jitter_buffer_delay: u32,
    pub point2point_delay: u32,
    pub video_type: &'static str,
    /// The codec's name from its MIME type (`VP8`, `H264`, …); `''` before it is known.
    pub codec: String,
}

impl NetworkQuality {
    /// While the connection to the server is down (reconnecting): 6 both ways, no figures.
    pub fn disconnected() -> NetworkQuality {
        NetworkQuality {
            uplink_network_quality: DISCONNECTED,
            downlink_network_quality: DISCONNECTED,
            ..NetworkQuality::default()
        }
    }

    /// The payload as JSON text (the SDK turns it into the event's object with `JSON.parse`).
    pub fn to_json(&self) -> String {
        ObjectWriter::new()
            .uint("uplinkNetworkQuality", self.uplink_network_quality.into())
            .uint(
                "downlinkNetworkQuality",
                self.downlink_network_quality.into(),
            )
            .uint("uplinkRTT", self.uplink_rtt.into())
            .uint("uplinkLoss", self.uplink_loss.into())
            .uint("downlinkRTT", self.downlink_rtt.into())
            .uint("downlinkLoss", self.downlink_loss.into())
            .finish()
    }
}

impl Statistics {
    /// The payload as JSON text, with the shape of the serde derive above.
    pub fn to_json(&self) -> String {
        let local = &self.local_statistics;
        let local_audio = ObjectWriter::new()
            .uint("bitrate", local.audio.bitrate.into())
            .num("audioLevel", local.audio.audio_level)
            .finish();
        let local_video = json_array(local.video.iter().map(|v| {
            ObjectWriter::new()
                .uint("width", v.width.into())
                .uint("height", v.height.into())
                .uint("frameRate", v.frame_rate.into())
                .uint("bitrate", v.bitrate.into())
                .str("videoType", v.video_type)
                .finish()
        }));
        let remote = json_array(self.remote_statistics.iter().map(|r| {
            let audio = ObjectWriter::new()
                .uint("bitrate", r.audio.bitrate.into())
                .num("audioLevel", r.audio.audio_level)
                .uint("jitterBufferDelay", r.audio.jitter_buffer_delay.into())
                .uint("point2pointDelay", r.audio.point2point_delay.into())
                .finish();
            let video = json_array(r.video.iter().map(|v| {
                ObjectWriter::new()
                    .uint("width", v.width.into())
                    .uint("height", v.height.into())
                    .uint("frameRate", v.frame_rate.into())
                    .uint("bitrate", v.bitrate.into())
                    .uint("jitterBufferDelay", v.jitter_buffer_delay.into())
                    .uint("point2pointDelay", v.point2point_delay.into())
                    .str("videoType", v.video_type)
                    .str("codec", &v.codec)
                    .finish()
            }));
            ObjectWriter::new()
                .str("userId", &r.user_id)
                .raw("audio", &audio)
                .raw("video", &video)
                .finish()
        }));
        let local = ObjectWriter::new()
            .raw("audio", &local_audio)
            .raw("video", &local_video)
            .finish();
        ObjectWriter::new()
            .uint("rtt", self.rtt.into())
            .uint("upLoss", self.up_loss.into())
            .uint("downLoss", self.down_loss.into())
            .num("bytesSent", self.bytes_sent)
            .num("bytesReceived", self.bytes_received)
            .raw("localStatistics", &local)
            .raw("remoteStatistics", &remote)
            .finish()
    }
}

/// Both payloads of one interval.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub network: NetworkQuality,
    pub statistics: Statistics,
}

/// The delay this client can see between a remote publisher and its playout: half the RTT to
/// the server plus the jitter buffer. The publisher's own leg is not known to this client.
pub fn point_to_point_delay(rtt_ms: f64, jitter_buffer_ms: f64) -> f64 {
    cap_rtt(rtt_ms) / 2.0 + jitter_buffer_ms.max(0.0)
}

fn int(x: f64) -> u32 {
    if x.is_finite() && x > 0.0 {
        x.round().min(u32::MAX as f64) as u32
    } else {
        0
    }
}

/// Keeps the previous snapshot and turns each new one into a [`Report`].
#[derive(Debug, Default)]
pub struct Tracker {
    prev: VecMap<String, Counters>,
}

/// Per-stream figures of one interval.
#[derive(Debug, Clone, Copy, Default)]
struct Flow {
    bitrate: f64,
    frame_rate: f64,
    lost: f64,
    /// Packets received (inbound) or sent (outbound) in the interval.
    packets: f64,
    jitter_buffer_ms: f64,
}

impl Tracker {
    pub fn new() -> Tracker {
        Tracker::default()
    }

    fn flow(&self, stat: &Stat) -> Flow {
        let cur = stat.counters();
        match Delta::between(self.prev.get(stat.id()), &cur) {
            Some(d) => Flow {
                bitrate: d.bitrate_kbps(),
                frame_rate: d.frame_rate(),
                lost: d.packets_lost,
                packets: d.packets,
                jitter_buffer_ms: d.jitter_buffer_ms().unwrap_or(0.0),
            },
            // No interval yet: no rates; the browser's own frame rate if it has one.
            None => Flow {
                frame_rate: stat.get("framesPerSecond").unwrap_or(0.0),
                jitter_buffer_ms: cumulative_jitter_ms(stat),
                ..Flow::default()
            },
        }
    }

    /// The report for `stats` (one `getStats()` snapshot) in `ctx`; remembers the snapshot.
    pub fn update(&mut self, stats: &[Stat], ctx: &Context) -> Report {
        let snap = Snapshot::new(stats);
        let link = snap.link();
        let up = self.uplink(&snap, ctx, link.rtt_ms);
        let down = self.downlink(&snap, ctx, link.rtt_ms.unwrap_or(up.rtt_ms));

        // Remember this snapshot's counters (streams that went away are forgotten).
        self.prev = stats
            .iter()
            .filter(|s| {
                matches!(
                    s.ty(),
                    "outbound-rtp" | "inbound-rtp" | "remote-inbound-rtp"
                )
            })
            .map(|s| (s.id().to_string(), s.counters()))
            .collect();

        let published = ctx.audio_published || ctx.video_published;
        Report {
            network: NetworkQuality {
                uplink_network_quality: uplink_quality(
                    published,
                    ctx.uplink,
                    up.loss_pct,
                    up.rtt_ms,
                ),
                downlink_network_quality: downlink_quality(&down.links),
                uplink_rtt: int(up.rtt_ms),
                uplink_loss: int(up.loss_pct),
                downlink_rtt: int(down.rtt_ms),
                downlink_loss: int(down.loss_pct),
            },
            statistics: Statistics {
                rtt: int(up.rtt_ms),
                up_loss: int(up.loss_pct),
                down_loss: int(down.loss_pct),
                bytes_sent: link.bytes_sent,
                bytes_received: link.bytes_received,
                local_statistics: up.local,
                remote_statistics: down.users,
            },
        }
    }

    /// Outbound streams and the server's receiver reports about them.
    fn uplink(&self, snap: &Snapshot, ctx: &Context, pair_rtt: Option<f64>) -> Uplink {
        let mut local = LocalStatistics::default();
        let mut rtts = Vec::new();
        // Loss per stream, weighted by the packets it sent in the interval.
        let (mut weighted, mut weight, mut plain) = (0.0, 0.0, Vec::new());
        for out in snap.of_type("outbound-rtp") {
            let flow = self.flow(out);
            let source = out.get_text("mediaSourceId").and_then(|id| snap.get(id));
            match out.kind() {
                Some(MediaKind::Audio) => {
                    local.audio.bitrate += int(flow.bitrate);
                    if ctx.audio_published {
                        let level = source.and_then(|s| s.get("audioLevel")).unwrap_or(0.0);
                        local.audio.audio_level =
                            local.audio.audio_level.max(level.clamp(0.0, 1.0));
                    }
                }
                Some(MediaKind::Video) if ctx.video_published => {
                    // The captured size (the encoder may scale it down for a while as
                    // bandwidth ramps up or the CPU is busy); the encoded one without a source.
                    let dim = |own: &str, src: &str| {
                        source
                            .and_then(|s| s.get(src))
                            .or_else(|| out.get(own))
                            .unwrap_or(0.0)
                    };
                    local.video.push(LocalVideo {
                        width: int(dim("frameWidth", "width")),
                        height: int(dim("frameHeight", "height")),
                        frame_rate: int(flow.frame_rate),
                        bitrate: int(flow.bitrate),
                        video_type: "big",
                    });
                }
                _ => {}
            }
            let Some(report) = snap
                .of_type("remote-inbound-rtp")
                .find(|r| r.get_text("localId") == Some(out.id()))
            else {
                continue;
            };
            if let Some(rtt) = report.get("roundTripTime") {
                rtts.push(rtt * 1000.0);
            }
            let sent = flow.packets;
            let loss = match report.get("fractionLost") {
                Some(f) => f * 100.0,
                None => {
                    let before = self.prev.get(report.id()).map(|c| c.packets_lost);
                    let lost = before
                        .map(|b| (report.num("packetsLost") - b).max(0.0))
                        .unwrap_or(0.0);
                    if sent > 0.0 {
                        (lost / sent * 100.0).min(100.0)
                    } else {
                        0.0
                    }
                }
            };
            if sent > 0.0 {
                weighted += loss * sent;
                weight += sent;
            }
            plain.push(loss);
        }
        Uplink {
            local,
            rtt_ms: cap_rtt(mean(&rtts).or(pair_rtt).unwrap_or(0.0)),
            loss_pct: if weight > 0.0 {
                weighted / weight
            } else {
                mean(&plain).unwrap_or(0.0)
            },
        }
    }

    /// Inbound streams, by the remote user they belong to.
    fn downlink(&self, snap: &Snapshot, ctx: &Context, rtt_ms: f64) -> Downlink {
        let rtt_ms = cap_rtt(rtt_ms);
        let mut users: Vec<RemoteStatistics> = Vec::new();
        let mut per_user: VecMap<&str, (f64, f64)> = VecMap::new();
        for track in &ctx.remote_tracks {
            let inbound = snap.of_type("inbound-rtp").find(|s| {
                s.kind() == Some(track.kind)
                    && match (&track.mid, s.get_text("mid")) {
                        (Some(m), Some(sm)) => m == sm,
                        _ => s.get_text("trackIdentifier") == Some(track.track_id.as_str()),
                    }
            });
            let flow = inbound.map(|s| self.flow(s)).unwrap_or_default();
            let counts = per_user.get_or_insert_with(track.user_id.as_str(), Default::default);
            counts.0 += flow.lost;
            counts.1 += flow.packets;
            let idx = match users.iter().position(|u| u.user_id == track.user_id) {
                Some(i) => i,
                None => {
                    users.push(RemoteStatistics {
                        user_id: track.user_id.clone(),
                        ..RemoteStatistics::default()
                    });
                    users.len() - 1
                }
            };
            let p2p = int(point_to_point_delay(rtt_ms, flow.jitter_buffer_ms));
            let number = |name: &str| inbound.and_then(|s| s.get(name)).unwrap_or(0.0);
            let user = &mut users[idx];
            match track.kind {
                MediaKind::Audio => {
                    user.audio = RemoteAudio {
                        bitrate: int(flow.bitrate),
                        audio_level: number("audioLevel").clamp(0.0, 1.0),
                        jitter_buffer_delay: int(flow.jitter_buffer_ms),
                        point2point_delay: p2p,
                    }
                }
                MediaKind::Video => user.video.push(RemoteVideo {
                    width: int(number("frameWidth")),
                    height: int(number("frameHeight")),
                    frame_rate: int(flow.frame_rate),
                    bitrate: int(flow.bitrate),
                    jitter_buffer_delay: int(flow.jitter_buffer_ms),
                    point2point_delay: p2p,
                    video_type: "big",
                    codec: inbound
                        .and_then(|s| s.get_text("codecId"))
                        .and_then(|id| snap.get(id))
                        .and_then(|c| c.get_text("mimeType"))
                        .map(codec_name)
                        .unwrap_or_default()
                        .to_string(),
                }),
            }
        }
        users.sort_by(|a, b| a.user_id.cmp(&b.user_id));
        let (lost, received) = per_user
            .values()
            .fold((0.0, 0.0), |acc, c| (acc.0 + c.0, acc.1 + c.1));
        let links = ctx
            .publishers
            .iter()
            .map(|u| {
                let (lost, received) = per_user.get(u.as_str()).copied().unwrap_or_default();
                (ctx.downlink, loss_pct(lost, received), rtt_ms)
            })
            .collect();
        Downlink {
            users,
            rtt_ms,
            loss_pct: loss_pct(lost, received),
            links,
        }
    }
}

/// One `getStats()` snapshot, indexed.
struct Snapshot<'a> {
    stats: &'a [Stat],
    by_id: VecMap<&'a str, &'a Stat>,
}

/// The transport's figures: byte totals and the selected candidate pair's RTT.
struct Link {
    bytes_sent: f64,
    bytes_received: f64,
    rtt_ms: Option<f64>,
}

struct Uplink {
    local: LocalStatistics,
    rtt_ms: f64,
    loss_pct: f64,
}

struct Downlink {
    users: Vec<RemoteStatistics>,
    rtt_ms: f64,
    loss_pct: f64,
    links: Vec<PublisherLink>,
}

impl<'a> Snapshot<'a> {
    fn new(stats: &'a [Stat]) -> Self {
        Snapshot {
            stats,
            by_id: stats.iter().map(|s| (s.id(), s)).collect(),
        }
    }

    fn get(&self, id: &str) -> Option<&'a Stat> {
        self.by_id.get(id).copied()
    }

    fn of_type(&self, ty: &'static str) -> impl Iterator<Item = &'a Stat> + 'a {
        self.stats.iter().filter(move |s| s.ty() == ty)
    }

    /// The transport's totals (or the selected pair's, or the RTP streams' sums) and the
    /// selected candidate pair's current RTT.
    fn link(&self) -> Link {
        let transport = self.of_type("transport").next();
        let pair = transport
            .and_then(|t| t.get_text("selectedCandidatePairId"))
            .and_then(|id| self.get(id))
            .or_else(|| {
                self.of_type("candidate-pair").find(|p| {
                    p.get_text("nominated") == Some("true")
                        && p.get_text("state") == Some("succeeded")
                })
            });
        let totals = transport.or(pair);
        let total = |field: &str, rtp: &'static str| {
            totals
                .and_then(|t| t.get(field))
                .unwrap_or_else(|| self.of_type(rtp).map(|s| s.num(field)).sum())
                .max(0.0)
        };
        Link {
            bytes_sent: total("bytesSent", "outbound-rtp"),
            bytes_received: total("bytesReceived", "inbound-rtp"),
            rtt_ms: pair
                .and_then(|p| p.get("currentRoundTripTime"))
                .map(|s| s * 1000.0),
        }
    }
}

fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

/// The jitter-buffer delay over the stream's life, in ms (before there is an interval).
fn cumulative_jitter_ms(stat: &Stat) -> f64 {
    let emitted = stat.num("jitterBufferEmittedCount");
    if emitted > 0.0 {
        stat.num("jitterBufferDelay") / emitted * 1000.0
    } else {
        0.0
    }
}

/// `video/VP8` → `VP8`.
pub fn codec_name(mime_type: &str) -> &str {
    mime_type.rsplit('/').next().unwrap_or(mime_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_table() {
        // (loss %, rtt ms, quality), at and around every threshold.
        let rows = [
            (0.0, 0.0, 1),
            (10.0, 100.0, 1),
            (10.1, 0.0, 2),
            (0.0, 101.0, 2),
            (20.0, 200.0, 2),
            (20.5, 0.0, 3),
            (0.0, 201.0, 3),
            (30.0, 350.0, 3),
            (31.0, 0.0, 4),
            (0.0, 351.0, 4),
            (50.0, 500.0, 4),
            (51.0, 0.0, 5),
            (0.0, 501.0, 5),
            (100.0, 20_000.0, 5),
            (5.0, 150.0, 2),
            (25.0, 50.0, 3),
            (f64::NAN, f64::NAN, 1),
            (-3.0, -1.0, 1),
        ];
        for (loss, rtt, want) in rows {
            assert_eq!(quality(loss, rtt), want, "loss {loss} rtt {rtt}");
        }
    }

    #[test]
    fn rtt_cap() {
        for (rtt, want) in [
            (0.0, 0.0),
            (12.5, 12.5),
            (10_000.0, 10_000.0),
            (99_999.0, RTT_CAP_MS),
            (f64::INFINITY, 0.0),
            (-4.0, 0.0),
        ] {
            assert_eq!(cap_rtt(rtt), want, "{rtt}");
        }
    }

    #[test]
    fn uplink_table() {
        use LinkState::*;
        let rows = [
            (false, Connected, 0.0, 0.0, 0),
            (false, Down, 0.0, 0.0, 0),
            (true, Down, 0.0, 0.0, 6),
            (true, Connecting, 0.0, 0.0, 0),
            (true, Connected, 0.0, 5.0, 1),
            (true, Connected, 15.0, 5.0, 2),
            (true, Connected, 0.0, 600.0, 5),
        ];
        for (published, link, loss, rtt, want) in rows {
            assert_eq!(
                uplink_quality(published, link, loss, rtt),
                want,
                "{published} {link:?} {loss} {rtt}"
            );
        }
    }

    #[test]
    fn downlink_table() {
        use LinkState::*;
        let rows: &[(&[PublisherLink], u8)] = &[
            (&[], 0),
            (&[(Connecting, 0.0, 0.0)], 0),
            (&[(Down, 0.0, 0.0)], 6),
            (&[(Down, 0.0, 0.0), (Down, 0.0, 0.0)], 6),
            (&[(Connected, 0.0, 1.0)], 1),
            (&[(Connected, 0.0, 1.0), (Connected, 15.0, 1.0)], 2), // 1.5 rounds up
            (
                &[
                    (Connected, 0.0, 1.0),
                    (Connected, 0.0, 1.0),
                    (Connected, 60.0, 1.0),
                ],
                2,
            ), // 7/3
            (&[(Connected, 0.0, 1.0), (Down, 0.0, 0.0)], 4),       // 3.5
            (&[(Connected, 25.0, 1.0), (Connecting, 0.0, 0.0)], 3),
        ];
        for (links, want) in rows {
            assert_eq!(downlink_quality(links), *want, "{links:?}");
        }
    }

    fn c(t: f64, bytes: f64, packets: f64, lost: f64, frames: f64) -> Counters {
        Counters {
            timestamp_ms: t,
            bytes,
            packets,
            packets_lost: lost,
            frames,
            ..Counters::default()
        }
    }

    #[test]
    fn deltas_and_rates() {
        let a = c(1000.0, 10_000.0, 100.0, 0.0, 20.0);
        let b = c(3000.0, 260_000.0, 300.0, 10.0, 60.0);
        let d = Delta::between(Some(&a), &b).unwrap();
        assert_eq!(d.seconds, 2.0);
        assert_eq!(d.bitrate_kbps(), 1000.0); // 250 kB in 2 s
        assert_eq!(d.frame_rate(), 20.0);
        assert!((d.loss_pct() - 10.0 / 210.0 * 100.0).abs() < 1e-9);
        assert_eq!(Delta::between(None, &b), None, "first snapshot");
        assert_eq!(Delta::between(Some(&b), &b), None, "time did not move");
        // A new connection: counters start over.
        let fresh = c(5000.0, 1_200.0, 10.0, 0.0, 1.0);
        assert_eq!(Delta::between(Some(&b), &fresh), None);
        // packetsLost may shrink (duplicates): clamped, not a reset.
        let dup = c(5000.0, 300_000.0, 400.0, 8.0, 100.0);
        let d = Delta::between(Some(&b), &dup).unwrap();
        assert_eq!(d.packets_lost, 0.0);
        assert_eq!(d.loss_pct(), 0.0);
    }

    #[test]
    fn loss_percentages() {
        for (lost, received, want) in [
            (0.0, 0.0, 0.0),
            (0.0, 100.0, 0.0),
            (10.0, 90.0, 10.0),
            (100.0, 0.0, 100.0),
            (-5.0, 100.0, 0.0),
        ] {
            assert_eq!(loss_pct(lost, received), want, "{lost}/{received}");
        }
    }

    #[test]
    fn jitter_buffer() {
        let mut a = c(0.0, 0.0, 0.0, 0.0, 0.0);
        let mut b = c(2000.0, 100.0, 10.0, 0.0, 0.0);
        a.jitter_buffer_delay = 1.0;
        a.jitter_buffer_emitted = 100.0;
        b.jitter_buffer_delay = 4.0;
        b.jitter_buffer_emitted = 150.0;
        let d = Delta::between(Some(&a), &b).unwrap();
        assert_eq!(d.jitter_buffer_ms(), Some(60.0)); // 3 s over 50 samples
    }

    #[test]
    fn codec_names() {
        assert_eq!(codec_name("video/VP8"), "VP8");
        assert_eq!(codec_name("video/H264"), "H264");
        assert_eq!(codec_name("opus"), "opus");
    }

    #[test]
    fn stat_fields() {
        let s = Stat::new("inbound-rtp", "IT1")
            .number("bytesReceived", 5.0)
            .number("notAField", 1.0)
            .number("packetsLost", f64::NAN)
            .text("kind", "video");
        assert_eq!(s.get("bytesReceived"), Some(5.0));
        assert_eq!(s.get("notAField"), None);
        assert_eq!(s.get("packetsLost"), None);
        assert_eq!(
            (s.id(), s.ty(), s.kind()),
            ("IT1", "inbound-rtp", Some(MediaKind::Video))
        );
        assert_eq!(s.counters().bytes, 5.0);
        let o = Stat::new("outbound-rtp", "OT1")
            .number("bytesSent", 7.0)
            .number("bytesReceived", 9.0);
        assert_eq!(o.counters().bytes, 7.0);
    }

    // A room with a publishing local user and one remote user `bob` (audio mid 2, video mid 3).

    fn ctx() -> Context {
        Context {
            audio_published: true,
            video_published: true,
            uplink: LinkState::Connected,
            downlink: LinkState::Connected,
            publishers: vec!["bob".into()],
            remote_tracks: vec![
                RemoteTrack {
                    user_id: "bob".into(),
                    kind: MediaKind::Audio,
                    mid: Some("2".into()),
                    track_id: "ta".into(),
                },
                RemoteTrack {
                    user_id: "bob".into(),
                    kind: MediaKind::Video,
                    mid: Some("3".into()),
                    track_id: "tv".into(),
                },
            ],
        }
    }

    /// A snapshot at `t` s: every counter grows linearly with time.
    fn snapshot(t: f64, lost_per_s: f64) -> Vec<Stat> {
        let ms = t * 1000.0;
        vec![
            Stat::new("transport", "T1")
                .number("timestamp", ms)
                .number("bytesSent", 1000.0 * t)
                .number("bytesReceived", 2000.0 * t)
                .text("selectedCandidatePairId", "CP1"),
            Stat::new("candidate-pair", "CP1")
                .number("timestamp", ms)
                .number("currentRoundTripTime", 0.004),
            Stat::new("media-source", "SA")
                .text("kind", "audio")
                .number("audioLevel", 0.25),
            Stat::new("media-source", "SV")
                .text("kind", "video")
                .number("width", 640.0)
                .number("height", 480.0),
            Stat::new("outbound-rtp", "OA")
                .text("kind", "audio")
                .text("mid", "0")
                .text("mediaSourceId", "SA")
                .number("timestamp", ms)
                .number("bytesSent", 5000.0 * t) // 40 kbps
                .number("packetsSent", 50.0 * t),
            Stat::new("outbound-rtp", "OV")
                .text("kind", "video")
                .text("mid", "1")
                .text("mediaSourceId", "SV")
                .number("timestamp", ms)
                .number("bytesSent", 62_500.0 * t) // 500 kbps
                .number("packetsSent", 100.0 * t)
                .number("framesEncoded", 20.0 * t)
                .number("frameWidth", 320.0) // scaled down by the encoder
                .number("frameHeight", 240.0),
            Stat::new("remote-inbound-rtp", "RA")
                .text("kind", "audio")
                .text("localId", "OA")
                .number("roundTripTime", 0.010)
                .number("fractionLost", 0.0),
            Stat::new("remote-inbound-rtp", "RV")
                .text("kind", "video")
                .text("localId", "OV")
                .number("roundTripTime", 0.020)
                .number("fractionLost", 0.12),
            Stat::new("inbound-rtp", "IA")
                .text("kind", "audio")
                .text("mid", "2")
                .text("trackIdentifier", "ta")
                .number("timestamp", ms)
                .number("bytesReceived", 4000.0 * t) // 32 kbps
                .number("packetsReceived", 50.0 * t)
                .number("audioLevel", 0.5)
                .number("jitterBufferDelay", 0.04 * 50.0 * t)
                .number("jitterBufferEmittedCount", 50.0 * t),
            Stat::new("inbound-rtp", "IV")
                .text("kind", "video")
                .text("mid", "3")
                .text("trackIdentifier", "tv")
                .text("codecId", "C1")
                .number("timestamp", ms)
                .number("bytesReceived", 50_000.0 * t) // 400 kbps
                .number("packetsReceived", (100.0 - lost_per_s) * t)
                .number("packetsLost", lost_per_s * t)
                .number("framesDecoded", 15.0 * t)
                .number("framesPerSecond", 14.0)
                .number("frameWidth", 320.0)
                .number("frameHeight", 240.0)
                .number("jitterBufferDelay", 0.03 * 15.0 * t)
                .number("jitterBufferEmittedCount", 15.0 * t),
            Stat::new("codec", "C1").text("mimeType", "video/VP8"),
        ]
    }

    #[test]
    fn a_publishing_room() {
        let mut t = Tracker::new();
        // The first snapshot has no interval: no rates, but sizes, RTT and the browser's fps.
        let first = t.update(&snapshot(1.0, 10.0), &ctx());
        let s = &first.statistics;
        assert_eq!(s.local_statistics.video[0].bitrate, 0);
        assert_eq!(
            (
                s.local_statistics.video[0].width,
                s.local_statistics.video[0].height
            ),
            (640, 480)
        );
        assert_eq!(s.remote_statistics[0].video[0].frame_rate, 14);
        assert_eq!(first.network.uplink_rtt, 15);

        let r = t.update(&snapshot(3.0, 10.0), &ctx());
        // RTT: mean of the remote-inbound RTTs (10, 20 ms); downlink: the candidate pair.
        // Uplink loss: fractionLost weighted by packets sent (audio 100 at 0 %, video 200 at 12 %).
        assert_eq!(
            r.network,
            NetworkQuality {
                uplink_network_quality: 1,
                downlink_network_quality: 1,
                uplink_rtt: 15,
                uplink_loss: 8,
                downlink_rtt: 4,
                // 20 of 200 video packets lost, 100 audio packets, none lost: 20/300.
                downlink_loss: 7,
            }
        );
        let s = &r.statistics;
        assert_eq!((s.rtt, s.up_loss, s.down_loss), (15, 8, 7));
        assert_eq!((s.bytes_sent, s.bytes_received), (3000.0, 6000.0));
        assert_eq!(
            s.local_statistics.audio,
            LocalAudio {
                bitrate: 40,
                audio_level: 0.25
            }
        );
        assert_eq!(
            s.local_statistics.video,
            vec![LocalVideo {
                width: 640,
                height: 480,
                frame_rate: 20,
                bitrate: 500,
                video_type: "big"
            }]
        );
        assert_eq!(
            s.remote_statistics,
            vec![RemoteStatistics {
                user_id: "bob".into(),
                audio: RemoteAudio {
                    bitrate: 32,
                    audio_level: 0.5,
                    jitter_buffer_delay: 40,
                    point2point_delay: 42,
                },
                video: vec![RemoteVideo {
                    width: 320,
                    height: 240,
                    frame_rate: 15,
                    bitrate: 400,
                    jitter_buffer_delay: 30,
                    point2point_delay: 32,
                    video_type: "big",
                    codec: "VP8".into(),
                }],
            }]
        );
    }

    #[test]
    fn loss_lowers_downlink_quality() {
        let mut t = Tracker::new();
        t.update(&snapshot(1.0, 30.0), &ctx());
        // 60 of 300 packets lost in the interval: 20 % → 2 (not above 20).
        let r = t.update(&snapshot(3.0, 30.0), &ctx());
        assert_eq!(r.network.downlink_loss, 20);
        assert_eq!(r.network.downlink_network_quality, 2);
    }

    #[test]
    fn nothing_published_and_nobody_publishing() {
        let mut t = Tracker::new();
        let quiet = Context {
            audio_published: false,
            video_published: false,
            publishers: vec![],
            remote_tracks: vec![],
            ..ctx()
        };
        let r = t.update(&snapshot(1.0, 0.0), &quiet);
        assert_eq!(
            (
                r.network.uplink_network_quality,
                r.network.downlink_network_quality
            ),
            (0, 0)
        );
        assert!(r.statistics.local_statistics.video.is_empty());
        assert_eq!(r.statistics.local_statistics.audio.audio_level, 0.0);
        assert!(r.statistics.remote_statistics.is_empty());
    }

    #[test]
    fn the_disconnected_payload() {
        assert_eq!(
            NetworkQuality::disconnected().to_json(),
            r#"{"uplinkNetworkQuality":6,"downlinkNetworkQuality":6,"uplinkRTT":0,"uplinkLoss":0,"downlinkRTT":0,"downlinkLoss":0}"#
        );
    }

    #[test]
    fn links_down() {
        let mut t = Tracker::new();
        let down = Context {
            uplink: LinkState::Down,
            downlink: LinkState::Down,
            ..ctx()
        };
        let r = t.update(&snapshot(1.0, 0.0), &down);
        assert_eq!(
            (
                r.network.uplink_network_quality,
                r.network.downlink_network_quality
            ),
            (6, 6)
        );
        let connecting = Context {
            uplink: LinkState::Connecting,
            downlink: LinkState::Connecting,
            ..ctx()
        };
        let r = t.update(&snapshot(3.0, 0.0), &connecting);
        assert_eq!(
            (
                r.network.uplink_network_quality,
                r.network.downlink_network_quality
            ),
            (0, 0)
        );
    }

    #[test]
    fn counters_starting_over_read_zero_then_recover() {
        let mut t = Tracker::new();
        t.update(&snapshot(10.0, 0.0), &ctx());
        // A new connection reuses the ids with small counters: no negative or huge rates.
        let r = t.update(&snapshot(1.0, 0.0), &ctx());
        assert_eq!(r.statistics.local_statistics.video[0].bitrate, 0);
        assert_eq!(r.statistics.remote_statistics[0].video[0].bitrate, 0);
        let r = t.update(&snapshot(3.0, 0.0), &ctx());
        assert_eq!(r.statistics.local_statistics.video[0].bitrate, 500);
        assert_eq!(r.statistics.remote_statistics[0].video[0].bitrate, 400);
    }

    #[test]
    fn a_stopped_remote_camera_leaves_the_video_list() {
        let mut t = Tracker::new();
        t.update(&snapshot(1.0, 0.0), &ctx());
        let mut audio_only = ctx();
        audio_only
            .remote_tracks
            .retain(|r| r.kind == MediaKind::Audio);
        let r = t.update(&snapshot(3.0, 0.0), &audio_only);
        assert_eq!(r.statistics.remote_statistics.len(), 1);
        assert!(r.statistics.remote_statistics[0].video.is_empty());
        assert_eq!(r.statistics.remote_statistics[0].audio.bitrate, 32);
    }

    #[test]
    fn local_size_is_the_capture_then_the_encoded_one() {
        let mut t = Tracker::new();
        let r = t.update(&snapshot(1.0, 0.0), &ctx());
        let v = &r.statistics.local_statistics.video[0];
        assert_eq!((v.width, v.height), (640, 480), "media-source size");
        let no_source: Vec<Stat> = snapshot(3.0, 0.0)
            .into_iter()
            .filter(|s| s.ty() != "media-source")
            .collect();
        let r = t.update(&no_source, &ctx());
        let v = &r.statistics.local_statistics.video[0];
        assert_eq!((v.width, v.height), (320, 240), "encoded size");
        assert_eq!(r.statistics.local_statistics.audio.audio_level, 0.0);
    }

    #[test]
    fn inbound_matched_by_track_id_without_mid() {
        let mut t = Tracker::new();
        let mut c = ctx();
        for r in &mut c.remote_tracks {
            r.mid = None;
        }
        t.update(&snapshot(1.0, 0.0), &c);
        let r = t.update(&snapshot(3.0, 0.0), &c);
        assert_eq!(r.statistics.remote_statistics[0].video[0].bitrate, 400);
    }

    #[test]
    fn fallbacks_without_remote_reports() {
        // No remote-inbound-rtp and no transport: the candidate pair's RTT, RTP byte sums.
        let strip = |t: f64| -> Vec<Stat> {
            snapshot(t, 0.0)
                .into_iter()
                .filter(|s| !matches!(s.ty(), "remote-inbound-rtp" | "transport"))
                .map(|s| {
                    if s.ty() == "candidate-pair" {
                        s.text("nominated", "true").text("state", "succeeded")
                    } else {
                        s
                    }
                })
                .collect()
        };
        let mut t = Tracker::new();
        t.update(&strip(1.0), &ctx());
        let r = t.update(&strip(3.0), &ctx());
        assert_eq!((r.network.uplink_rtt, r.network.uplink_loss), (4, 0));
        assert_eq!(r.statistics.bytes_sent, (5000.0 + 62_500.0) * 3.0);
        assert_eq!(r.statistics.bytes_received, (4000.0 + 50_000.0) * 3.0);
    }

    #[test]
    fn uplink_loss_from_packets_lost_without_fraction() {
        let snap = |t: f64, lost: f64| -> Vec<Stat> {
            snapshot(t, 0.0)
                .into_iter()
                .filter(|s| s.ty() != "remote-inbound-rtp" || s.id() == "RV")
                .map(|s| {
                    if s.id() == "RV" {
                        Stat::new("remote-inbound-rtp", "RV")
                            .text("kind", "video")
                            .text("localId", "OV")
                            .number("roundTripTime", 0.02)
                            .number("packetsLost", lost)
                    } else {
                        s
                    }
                })
                .collect()
        };
        let mut t = Tracker::new();
        t.update(&snap(1.0, 0.0), &ctx());
        // 200 video packets sent in the interval, 50 reported lost.
        let r = t.update(&snap(3.0, 50.0), &ctx());
        assert_eq!(r.network.uplink_loss, 25);
        assert_eq!(r.network.uplink_network_quality, 3);
    }

    /// serde_json's value with every number as f64 (the light writer writes `0`, serde `0.0`).
    fn numbers_as_f64(v: serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match v {
            Value::Number(n) => serde_json::json!(n.as_f64().unwrap()),
            Value::Array(a) => Value::Array(a.into_iter().map(numbers_as_f64).collect()),
            Value::Object(o) => {
                Value::Object(o.into_iter().map(|(k, v)| (k, numbers_as_f64(v))).collect())
            }
            other => other,
        }
    }

    #[test]
    fn light_payloads_match_the_serde_shape() {
        let stats = Statistics {
            rtt: 31,
            up_loss: 2,
            down_loss: 3,
            bytes_sent: 123_456_789.0,
            bytes_received: 0.0,
            local_statistics: LocalStatistics {
                audio: LocalAudio {
                    bitrate: 40,
                    audio_level: 0.0123,
                },
                video: vec![LocalVideo {
                    width: 640,
                    height: 480,
                    frame_rate: 15,
                    bitrate: 500,
                    video_type: "big",
                }],
            },
            remote_statistics: vec![
                RemoteStatistics {
                    user_id: "a\"b".into(),
                    audio: RemoteAudio {
                        bitrate: 30,
                        audio_level: 0.5,
                        jitter_buffer_delay: 40,
                        point2point_delay: 60,
                    },
                    video: vec![RemoteVideo {
                        width: 320,
                        height: 240,
                        frame_rate: 30,
                        bitrate: 700,
                        jitter_buffer_delay: 20,
                        point2point_delay: 50,
                        video_type: "big",
                        codec: "VP8".into(),
                    }],
                },
                RemoteStatistics::default(),
            ],
        };
        let light: serde_json::Value = serde_json::from_str(&stats.to_json()).unwrap();
        assert_eq!(
            numbers_as_f64(light),
            numbers_as_f64(serde_json::to_value(&stats).unwrap())
        );
        let q = NetworkQuality {
            uplink_network_quality: 1,
            downlink_network_quality: 6,
            uplink_rtt: 20,
            uplink_loss: 1,
            downlink_rtt: 30,
            downlink_loss: 4,
        };
        assert_eq!(q.to_json(), serde_json::to_string(&q).unwrap());
    }

    #[test]
    fn payload_names() {
        let json = serde_json::to_value(NetworkQuality::default()).unwrap();
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "uplinkNetworkQuality",
                "downlinkNetworkQuality",
                "uplinkRTT",
                "uplinkLoss",
                "downlinkRTT",
                "downlinkLoss"
            ]
        );
        let stats = Statistics {
            local_statistics: LocalStatistics {
                video: vec![LocalVideo::default()],
                ..LocalStatistics::default()
            },
            remote_statistics: vec![RemoteStatistics {
                video: vec![RemoteVideo::default()],
                ..RemoteStatistics::default()
            }],
            ..Statistics::default()
        };
        let json = serde_json::to_string(&stats).unwrap();
        assert_eq!(
            json,
            r#"{"rtt":0,"upLoss":0,"downLoss":0,"bytesSent":0.0,"bytesReceived":0.0,"localStatistics":{"audio":{"bitrate":0,"audioLevel":0.0},"video":[{"width":0,"height":0,"frameRate":0,"bitrate":0,"videoType":""}]},"remoteStatistics":[{"userId":"","audio":{"bitrate":0,"audioLevel":0.0,"jitterBufferDelay":0,"point2pointDelay":0},"video":[{"width":0,"height":0,"frameRate":0,"bitrate":0,"jitterBufferDelay":0,"point2pointDelay":0,"videoType":"","codec":""}]}]}"#
        );
    }
}
