//! Synthetic media, pure: what a browser's encoders and packetisers would put in RTP payloads.
//!
//! * Audio: one Opus-sized packet every 20 ms (a CELT fullband TOC byte, then filler).
//! * Video: VP8 frames at a bitrate and frame rate, a keyframe first, every
//!   `keyframe_interval` and whenever one is requested (PLI). Each frame starts with a real VP8
//!   frame tag (RFC 6386 9.1: bit 0 of the first byte is the *inverse* keyframe flag; keyframes
//!   carry the start code and a size) and is cut into RTP payloads with the VP8 payload
//!   descriptor Chrome sends (RFC 7741 4.2: X and I set, 15-bit PictureID, S on the first packet
//!   of the frame). That is what str0m's depacketiser in the SFU reads to tell keyframes apart.

use std::sync::Arc;
use std::time::Duration;

/// Audio packet interval.
pub const AUDIO_PTIME: Duration = Duration::from_millis(20);
/// RTP timestamp step of one audio packet at 48 kHz.
pub const AUDIO_TS_STEP: u32 = 960;
/// RTP clock of video.
pub const VIDEO_CLOCK: u32 = 90_000;
/// Bytes of the VP8 payload descriptor written here.
pub const VP8_DESCRIPTOR_LEN: usize = 4;

/// An Opus-sized payload. `n` varies the filler so payloads are not all alike.
pub fn opus_payload(n: u64, len: usize) -> Arc<[u8]> {
    let len = len.max(1);
    let mut v = Vec::with_capacity(len);
    // TOC: config 31 (CELT FB 20 ms), mono, one frame.
    v.push(0xf8);
    v.extend((1..len).map(|i| (i as u64).wrapping_mul(31).wrapping_add(n) as u8));
    v.into()
}

/// What the video source makes.
#[derive(Debug, Clone)]
pub struct VideoConfig {
    /// Target bitrate of the frames, kbps (VP8 payload descriptors and RTP headers not counted).
    pub kbps: u32,
    /// Frames per second (0 counts as 1).
    pub fps: u32,
    /// A keyframe at least this often; zero: only the first one and requested ones.
    pub keyframe_interval: Duration,
    /// A keyframe is this many times the size of a delta frame.
    pub key_ratio: u32,
    /// Largest RTP payload (descriptor included); Chrome keeps packets around 1200 bytes.
    pub max_payload: usize,
}

impl Default for VideoConfig {
    fn default() -> Self {
        VideoConfig {
            kbps: 500,
            fps: 30,
            keyframe_interval: Duration::from_secs(5),
            key_ratio: 4,
            max_payload: 1100,
        }
    }
}

impl VideoConfig {
    /// Sizes of a delta frame and a keyframe, in bytes, such that periodic keyframes plus delta
    /// frames average the bitrate.
    pub fn frame_sizes(&self) -> (usize, usize) {
        let fps = u64::from(self.fps.max(1));
        let per_frame_budget = u64::from(self.kbps) * 1000 / 8 / fps;
        let k = self.frames_per_keyframe();
        let ratio = u64::from(self.key_ratio.max(1));
        let delta = match k {
            // Over k frames: one keyframe of `ratio` deltas and k − 1 deltas.
            Some(k) => per_frame_budget * k / (k - 1 + ratio),
            None => per_frame_budget,
        };
        let delta = (delta as usize).max(16);
        (delta, delta * ratio as usize)
    }

    /// Frames from one periodic keyframe to the next, `None` if there are none.
    pub fn frames_per_keyframe(&self) -> Option<u64> {
        if self.keyframe_interval.is_zero() {
            return None;
        }
        let k = (self.keyframe_interval.as_secs_f64() * f64::from(self.fps.max(1))).round() as u64;
        Some(k.max(1))
    }

    /// The frame interval.
    pub fn frame_interval(&self) -> Duration {
        Duration::from_secs_f64(1.0 / f64::from(self.fps.max(1)))
    }
}

/// One encoded frame, cut into RTP payloads; the last packet carries the marker bit.
#[derive(Debug, Clone)]
pub struct VideoFrame {
    /// Whether this is a keyframe.
    pub key: bool,
    /// A keyframe made because one was requested.
    pub requested: bool,
    /// RTP timestamp offset of the frame (90 kHz, from the first frame).
    pub rtp_ts: u32,
    /// The RTP payloads in order, each a VP8 payload descriptor and a piece of the frame, at most
    /// [`VideoConfig::max_payload`] bytes.
    pub payloads: Vec<Arc<[u8]>>,
    /// Frame bytes (without descriptors).
    pub size: usize,
}

/// A VP8 "encoder" with a packetiser: synthetic frames, or a real clip looped
/// ([`VideoSource::with_clip`]).
#[derive(Debug, Clone)]
pub struct VideoSource {
    cfg: VideoConfig,
    /// Real frames to send instead of synthetic ones, and the next one's index.
    clip: Option<(Arc<crate::clip::Clip>, usize)>,
    frame_no: u64,
    picture_id: u16,
    since_key: u64,
    want_key: bool,
    requested: bool,
}

impl VideoSource {
    /// A source whose first frame is a keyframe.
    pub fn new(cfg: VideoConfig) -> VideoSource {
        VideoSource {
            cfg,
            clip: None,
            frame_no: 0,
            picture_id: 0,
            since_key: 0,
            want_key: true,
            requested: false,
        }
    }

    /// A source that loops `clip`'s real VP8 frames at the clip's frame rate; a requested
    /// keyframe jumps to the clip's next keyframe.
    pub fn with_clip(mut cfg: VideoConfig, clip: Arc<crate::clip::Clip>) -> VideoSource {
        cfg.fps = clip.fps;
        let mut s = VideoSource::new(cfg);
        s.clip = Some((clip, 0));
        s
    }

    /// What this source makes.
    pub fn config(&self) -> &VideoConfig {
        &self.cfg
    }

    /// A keyframe was asked for (PLI/FIR): the next frame is one.
    pub fn request_keyframe(&mut self) {
        if !self.want_key {
            self.requested = true;
        }
        self.want_key = true;
    }

    /// Frames made so far.
    pub fn frames(&self) -> u64 {
        self.frame_no
    }

    /// The next frame.
    pub fn next_frame(&mut self) -> VideoFrame {
        if let Some((clip, pos)) = &mut self.clip {
            if self.want_key && !clip.frames[*pos].key {
                *pos = clip.next_keyframe(*pos);
            }
            let f = &clip.frames[*pos];
            *pos = (*pos + 1) % clip.frames.len();
            let requested = f.key && self.requested;
            self.want_key = false;
            self.requested = false;
            let payloads = packetize_vp8(&f.data, self.picture_id, self.cfg.max_payload);
            let rtp_ts =
                (self.frame_no * u64::from(VIDEO_CLOCK) / u64::from(self.cfg.fps.max(1))) as u32;
            self.frame_no += 1;
            self.picture_id = (self.picture_id + 1) & 0x7fff;
            return VideoFrame {
                key: f.key,
                requested,
                rtp_ts,
                payloads,
                size: f.data.len(),
            };
        }
        let periodic = self
            .cfg
            .frames_per_keyframe()
            .is_some_and(|k| self.since_key >= k);
        let key = self.want_key || periodic;
        let requested = key && self.requested && !periodic;
        self.want_key = false;
        self.requested = false;
        self.since_key = if key { 1 } else { self.since_key + 1 };

        let (delta, keysize) = self.cfg.frame_sizes();
        let size = if key { keysize } else { delta };
        let frame = vp8_frame(key, size, self.frame_no);
        let payloads = packetize_vp8(&frame, self.picture_id, self.cfg.max_payload);
        let rtp_ts =
            (self.frame_no * u64::from(VIDEO_CLOCK) / u64::from(self.cfg.fps.max(1))) as u32;
        self.frame_no += 1;
        self.picture_id = (self.picture_id + 1) & 0x7fff;
        VideoFrame {
            key,
            requested,
            rtp_ts,
            payloads,
            size,
        }
    }
}

/// A VP8 frame of `size` bytes: frame tag (and for keyframes start code and 640x480), then filler.
pub fn vp8_frame(key: bool, size: usize, n: u64) -> Vec<u8> {
    let mut v: Vec<u8> = if key {
        // Frame tag: P = 0 (key), version 0, show_frame 1; start code; width 640, height 480.
        vec![0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]
    } else {
        // P = 1 (inter frame), show_frame 1.
        vec![0x11, 0x02, 0x00]
    };
    let size = size.max(v.len());
    v.reserve(size - v.len());
    let start = v.len();
    v.extend((start..size).map(|i| (i as u64 ^ n) as u8));
    v
}

/// The 4-byte VP8 payload descriptor: X=1, S on the first packet of a frame, PID 0; I=1;
/// M=1 with a 15-bit PictureID.
pub fn vp8_descriptor(first: bool, picture_id: u16) -> [u8; VP8_DESCRIPTOR_LEN] {
    let s = if first { 0x10 } else { 0x00 };
    [
        0x80 | s,
        0x80,
        0x80 | ((picture_id >> 8) as u8 & 0x7f),
        picture_id as u8,
    ]
}

/// Cuts a frame into payloads of at most `max_payload` bytes (descriptor included), of nearly
/// equal size as libwebrtc does.
pub fn packetize_vp8(frame: &[u8], picture_id: u16, max_payload: usize) -> Vec<Arc<[u8]>> {
    let room = max_payload.saturating_sub(VP8_DESCRIPTOR_LEN).max(1);
    let count = frame.len().div_ceil(room).max(1);
    let base = frame.len() / count;
    let extra = frame.len() % count;
    let mut out = Vec::with_capacity(count);
    let mut at = 0;
    for i in 0..count {
        let len = base + usize::from(i < extra);
        let mut p = Vec::with_capacity(VP8_DESCRIPTOR_LEN + len);
        p.extend_from_slice(&vp8_descriptor(i == 0, picture_id));
        p.extend_from_slice(&frame[at..at + len]);
        at += len;
        out.push(p.into());
    }
    out
}

/// What a receiver reads from a VP8 payload: whether it starts a frame and, if so, whether
/// that frame is a keyframe. `None` if the descriptor is cut short.
pub fn vp8_payload_info(payload: &[u8]) -> Option<(bool, bool)> {
    let b0 = *payload.first()?;
    let mut at = 1;
    if b0 & 0x80 != 0 {
        let x = *payload.get(at)?;
        at += 1;
        if x & 0x80 != 0 {
            let pid = *payload.get(at)?;
            at += if pid & 0x80 != 0 { 2 } else { 1 };
        }
        if x & 0x40 != 0 {
            at += 1;
        }
        if x & 0x30 != 0 {
            at += 1;
        }
    }
    let start = b0 & 0x10 != 0 && b0 & 0x07 == 0;
    if !start {
        return Some((false, false));
    }
    let tag = *payload.get(at)?;
    Some((true, tag & 0x01 == 0))
}
