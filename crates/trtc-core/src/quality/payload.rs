//! The two payloads, `NETWORK_QUALITY` ([`NetworkQuality`]) and `STATISTICS` ([`Statistics`]),
//! and their JSON text.

use serde::Serialize;
use trtc_proto::{json_array, ObjectWriter};

use super::DISCONNECTED;

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
    /// ms; see [`point_to_point_delay`](super::point_to_point_delay).
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
