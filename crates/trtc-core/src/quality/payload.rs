//! The two payloads, `NETWORK_QUALITY` ([`NetworkQuality`]) and `STATISTICS` ([`Statistics`]),
//! and their JSON text.

use serde::Serialize;
use trtc_proto::{json_array, ObjectWriter};

use super::DISCONNECTED;

/// The `NETWORK_QUALITY` payload.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkQuality {
    /// 0..=6 (see [`super::uplink_quality`]).
    pub uplink_network_quality: u8,
    /// 0..=6, averaged over the remote publishers (see [`super::downlink_quality`]).
    pub downlink_network_quality: u8,
    /// ms, to the server: the mean of the receiver reports' RTTs, else the candidate pair's.
    #[serde(rename = "uplinkRTT")]
    pub uplink_rtt: u32,
    /// %, of the packets sent in the interval, as the server's receiver reports tell.
    pub uplink_loss: u32,
    /// ms: the selected candidate pair's current RTT, else the uplink's.
    #[serde(rename = "downlinkRTT")]
    pub downlink_rtt: u32,
    /// %, of the packets expected from remote users in the interval.
    pub downlink_loss: u32,
}

/// The `STATISTICS` payload.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Statistics {
    /// ms; the same as [`NetworkQuality::uplink_rtt`].
    pub rtt: u32,
    /// %; the same as [`NetworkQuality::uplink_loss`].
    pub up_loss: u32,
    /// %; the same as [`NetworkQuality::downlink_loss`].
    pub down_loss: u32,
    /// Bytes sent since the connection started (the transport's total, not a rate).
    pub bytes_sent: f64,
    /// Bytes received since the connection started (the transport's total, not a rate).
    pub bytes_received: f64,
    /// What this client publishes.
    pub local_statistics: LocalStatistics,
    /// What this client receives, one entry per remote user, sorted by user id.
    pub remote_statistics: Vec<RemoteStatistics>,
}

/// The local user's published streams (`localStatistics`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LocalStatistics {
    /// The microphone (zeros when no audio is sent).
    pub audio: LocalAudio,
    /// One entry per published video; empty when no video is published.
    pub video: Vec<LocalVideo>,
}

/// The published audio (`localStatistics.audio`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalAudio {
    /// kbps.
    pub bitrate: u32,
    /// 0..=1.
    pub audio_level: f64,
}

/// One published video (`localStatistics.video[]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalVideo {
    /// Pixels: the captured size, or the encoded one when the capture's is not reported.
    pub width: u32,
    /// Pixels, as `width`.
    pub height: u32,
    /// Frames encoded per second over the interval (the browser's figure before the first
    /// interval).
    pub frame_rate: u32,
    /// kbps over the interval.
    pub bitrate: u32,
    /// `'big'` (main), `'small'` or `'sub'` (screen); this SDK sends only `'big'`.
    pub video_type: &'static str,
}

/// One remote user's streams as received here (`remoteStatistics[]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteStatistics {
    /// The remote user.
    pub user_id: String,
    /// Its audio (zeros when none is received).
    pub audio: RemoteAudio,
    /// One entry per video received from this user.
    pub video: Vec<RemoteVideo>,
}

/// A received audio stream.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteAudio {
    /// kbps over the interval.
    pub bitrate: u32,
    /// 0..=1, from the receiver's `audioLevel`.
    pub audio_level: f64,
    /// ms.
    pub jitter_buffer_delay: u32,
    /// ms; see [`point_to_point_delay`](super::point_to_point_delay).
    pub point2point_delay: u32,
}

/// A received video stream.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteVideo {
    /// Pixels, of the decoded frames.
    pub width: u32,
    /// Pixels, of the decoded frames.
    pub height: u32,
    /// Frames decoded per second over the interval (the browser's figure before the first
    /// interval).
    pub frame_rate: u32,
    /// kbps over the interval.
    pub bitrate: u32,
    /// ms: the mean jitter-buffer delay of the frames emitted in the interval.
    pub jitter_buffer_delay: u32,
    /// ms; see [`point_to_point_delay`](super::point_to_point_delay).
    pub point2point_delay: u32,
    /// `'big'` (main), `'small'` or `'sub'` (screen); this SDK receives only `'big'`.
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
    /// The `NETWORK_QUALITY` payload.
    pub network: NetworkQuality,
    /// The `STATISTICS` payload.
    pub statistics: Statistics,
}
