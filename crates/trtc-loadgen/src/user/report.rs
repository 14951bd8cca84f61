//! What one user reports: the report types, and the measurement window that they cover.

use std::time::Instant;

use serde::Serialize;

use super::{ms, Sim};
use crate::stats;

/// What one user saw. Counts are over the measurement window.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UserReport {
    /// The user.
    pub user_id: String,
    /// The room it joined (its streams are compared with that room's publishers only).
    pub room: String,
    /// Whether the user was meant to publish ([`super::UserSpec::publishes`]).
    pub publisher: bool,
    /// Why the user ended early (join refused, kicked, connection lost); `None` when it ran to the
    /// end. A failed user's other figures are empty.
    pub error: Option<String>,
    /// WebSocket connect → `joined`.
    pub join_ms: Option<f64>,
    /// WebSocket connect → ICE + DTLS up.
    pub connect_ms: Option<f64>,
    /// WebSocket connect → first RTP packet received.
    pub first_rtp_ms: Option<f64>,
    /// The largest SDP offer the server sent this user, bytes.
    pub offer_bytes: Option<usize>,
    /// Length of the measurement window this user saw.
    pub window_s: f64,
    /// What the user sent in the window.
    pub sent: SentReport,
    /// Every stream the user received, by SSRC.
    pub tracks: Vec<TrackReport>,
    /// Keyframe requests (PLI/FIR) received for the video upstream.
    pub keyframe_requests: u64,
    /// Audio packets or video frames produced late (the process could not keep up): a sign
    /// that the load client itself is saturated.
    pub late: u64,
    /// The user asked for the small stream of every video (`--subscribe-small`): what it
    /// receives of a publisher with one is measured against that publisher's small stream.
    pub small_video: bool,
}

/// What one user sent: RTP packets and payload bytes (headers not counted), by kind.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct SentReport {
    /// Audio RTP packets.
    pub audio_pkts: u64,
    /// Audio payload bytes.
    pub audio_bytes: u64,
    /// Video RTP packets.
    pub video_pkts: u64,
    /// Video payload bytes, VP8 payload descriptors included.
    pub video_bytes: u64,
    /// Video frames.
    pub frames: u64,
    /// Video keyframes: the first, the periodic and the requested ones.
    pub keyframes: u64,
    /// Keyframes made because one was requested.
    pub requested_keyframes: u64,
    /// Small-stream RTP packets (`--small`).
    pub small_pkts: u64,
    /// Small-stream payload bytes.
    pub small_bytes: u64,
}

impl SentReport {
    fn minus(self, o: SentReport) -> SentReport {
        SentReport {
            audio_pkts: self.audio_pkts - o.audio_pkts,
            audio_bytes: self.audio_bytes - o.audio_bytes,
            video_pkts: self.video_pkts - o.video_pkts,
            video_bytes: self.video_bytes - o.video_bytes,
            frames: self.frames - o.frames,
            keyframes: self.keyframes - o.keyframes,
            small_pkts: self.small_pkts - o.small_pkts,
            small_bytes: self.small_bytes - o.small_bytes,
            requested_keyframes: self.requested_keyframes - o.requested_keyframes,
        }
    }
}

/// One received stream over the window.
#[derive(Debug, Clone, Serialize)]
pub struct TrackReport {
    /// The remote userId (from the offer's slots), or "?" if unknown.
    pub source: String,
    /// `"audio"` or `"video"`.
    pub kind: &'static str,
    /// The SSRC the stream arrived with.
    pub ssrc: u32,
    /// RTP packets received in the window, duplicates included.
    pub pkts: u64,
    /// Payload bytes received in the window.
    pub bytes: u64,
    /// Payload kbps over the window.
    pub kbps: f64,
    /// RFC 3550 loss over the window, percent.
    pub loss_pct: f64,
    /// RFC 3550 interarrival jitter at the end of the window, ms.
    pub jitter_ms: f64,
    /// VP8 keyframes that started in the window (video only).
    pub keyframes: u64,
}

impl Sim {
    /// The measurement window opens.
    pub(super) fn mark(&mut self) {
        for t in &mut self.tracks {
            t.start = t.rx.snapshot();
            t.start_keyframes = t.keyframes;
        }
        self.measure_start = Some((Instant::now(), self.sent, self.keyframe_requests, self.late));
    }

    /// The window closes: the report.
    pub(super) fn finish(&mut self) -> UserReport {
        let (start, sent0, kfr0, late0) = self.measure_start.unwrap_or((
            Instant::now(),
            self.sent,
            self.keyframe_requests,
            self.late,
        ));
        let window = start.elapsed();
        let mut r = std::mem::take(&mut self.report);
        r.window_s = window.as_secs_f64();
        r.sent = self.sent.minus(sent0);
        r.keyframe_requests = self.keyframe_requests - kfr0;
        r.late = self.late - late0;
        r.small_video = self.common.subscribe_small;
        r.tracks = self
            .tracks
            .iter()
            .map(|t| {
                let end = t.rx.snapshot();
                let bytes = end.bytes - t.start.bytes;
                TrackReport {
                    source: t.source.clone(),
                    kind: t.kind.name(),
                    ssrc: *t.ssrc,
                    pkts: end.received - t.start.received,
                    bytes,
                    kbps: stats::kbps(bytes, window),
                    loss_pct: stats::loss_fraction(t.start, end) * 100.0,
                    jitter_ms: ms(t.rx.jitter()),
                    keyframes: t.keyframes - t.start_keyframes,
                }
            })
            .collect();
        r
    }
}
