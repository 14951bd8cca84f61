//! The [`Tracker`]: from successive `getStats()` snapshots and the room's [`Context`] to the
//! [`Report`] of each interval.

use trtc_proto::MediaKind;

use super::payload::{
    LocalStatistics, LocalVideo, NetworkQuality, RemoteAudio, RemoteStatistics, RemoteVideo,
    Report, Statistics,
};
use super::{
    cap_rtt, downlink_quality, loss_pct, point_to_point_delay, uplink_quality, Counters, Delta,
    LinkState, PublisherLink, Stat,
};
use crate::vec_map::VecMap;

/// A track this client receives, and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteTrack {
    /// The remote user who publishes it.
    pub user_id: String,
    /// Audio or video.
    pub kind: MediaKind,
    /// The receiving transceiver's mid.
    pub mid: Option<String>,
    /// The track's id (`inbound-rtp.trackIdentifier`).
    pub track_id: String,
    /// Video: the small stream was asked for (`startRemoteVideo`'s `option.small`): reported
    /// with `videoType: 'small'`.
    pub small: bool,
}

/// What the room looks like at the time of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// Whether this client publishes audio now (the uplink's quality is 0 when neither is).
    pub audio_published: bool,
    /// Whether this client publishes video now; without it, `localStatistics.video` has no
    /// camera entry.
    pub video_published: bool,
    /// Whether a screen is published as the sub stream now (`videoType: 'sub'`).
    pub screen_published: bool,
    /// The mids of this client's sub-stream senders (the screen and its system audio).
    pub sub_mids: Vec<String>,
    /// The uplink: the peer connection, or `Down` when the signalling is gone.
    pub uplink: LinkState,
    /// The downlink peer connection.
    pub downlink: LinkState,
    /// Remote users who publish something now.
    pub publishers: Vec<String>,
    /// The tracks received now.
    pub remote_tracks: Vec<RemoteTrack>,
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
    /// A tracker with no previous snapshot: its first report has sizes and RTTs but no rates.
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
            let sub = out
                .get_text("mid")
                .is_some_and(|m| ctx.sub_mids.iter().any(|s| s == m));
            match out.kind() {
                // The shared screen's system audio is not the microphone's statistics.
                Some(MediaKind::Audio) if sub => {}
                Some(MediaKind::Audio) => {
                    local.audio.bitrate += int(flow.bitrate);
                    if ctx.audio_published {
                        let level = source.and_then(|s| s.get("audioLevel")).unwrap_or(0.0);
                        local.audio.audio_level =
                            local.audio.audio_level.max(level.clamp(0.0, 1.0));
                    }
                }
                Some(MediaKind::Video)
                    if (sub && ctx.screen_published) || (!sub && ctx.video_published) =>
                {
                    // The small stream: the simulcast encoding with rid `l`, at its own size.
                    let small = out.get_text("rid") == Some("l");
                    // The captured size (the encoder may scale it down for a while as
                    // bandwidth ramps up or the CPU is busy); the encoded one without a source.
                    let dim = |own: &str, src: &str| {
                        source
                            .filter(|_| !small)
                            .and_then(|s| s.get(src))
                            .or_else(|| out.get(own))
                            .unwrap_or(0.0)
                    };
                    local.video.push(LocalVideo {
                        width: int(dim("frameWidth", "width")),
                        height: int(dim("frameHeight", "height")),
                        frame_rate: int(flow.frame_rate),
                        bitrate: int(flow.bitrate),
                        video_type: match (sub, small) {
                            (true, _) => "sub",
                            (false, true) => "small",
                            (false, false) => "big",
                        },
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
                // The system audio of a shared screen: not the user's audio statistics.
                MediaKind::SubAudio => {}
                MediaKind::Video | MediaKind::SubVideo => user.video.push(RemoteVideo {
                    width: int(number("frameWidth")),
                    height: int(number("frameHeight")),
                    frame_rate: int(flow.frame_rate),
                    bitrate: int(flow.bitrate),
                    jitter_buffer_delay: int(flow.jitter_buffer_ms),
                    point2point_delay: p2p,
                    video_type: if track.kind == MediaKind::SubVideo {
                        "sub"
                    } else if track.small {
                        "small"
                    } else {
                        "big"
                    },
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
        crate::sort::sort_by(&mut users, |a, b| a.user_id.cmp(&b.user_id));
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
