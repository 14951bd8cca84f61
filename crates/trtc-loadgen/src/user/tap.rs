//! A tapped user: a receive-only member that hands every RTP packet it receives, with whose
//! stream it is and its codec, to someone else (the server's recorder), and asks for keyframes
//! when told to. It joins as an audience of the live scene, which other members never see
//! (no `REMOTE_USER_ENTER`/`EXIT` for it), and subscribes to every stream as it appears.

use str0m::format::Codec;
use tokio::sync::mpsc;
use trtc_proto::MediaKind as Kind;

/// The codecs a tapped packet may carry (others are not handed over).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TapCodec {
    /// H.264 (browsers' default video).
    H264,
    /// VP8 (`useVp8`).
    Vp8,
    /// Opus audio.
    Opus,
}

/// What a packet's payload type maps to in the tapped user's negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TapFormat {
    /// The codec.
    pub codec: TapCodec,
    /// The RTP payload type.
    pub pt: u8,
    /// The RTP clock rate (Hz).
    pub clock_rate: u32,
    /// Audio channels (1 for video).
    pub channels: u8,
}

impl TapFormat {
    pub(super) fn of(codec: Codec, pt: u8, clock_rate: u32, channels: Option<u8>) -> Option<Self> {
        let codec = match codec {
            Codec::H264 => TapCodec::H264,
            Codec::Vp8 => TapCodec::Vp8,
            Codec::Opus => TapCodec::Opus,
            _ => return None,
        };
        Some(TapFormat {
            codec,
            pt,
            clock_rate,
            channels: channels.unwrap_or(1),
        })
    }
}

/// One received RTP packet.
#[derive(Debug, Clone)]
pub struct TapPacket {
    /// The userId whose stream it is.
    pub user_id: String,
    /// Which of its streams.
    pub kind: Kind,
    /// Its format.
    pub format: TapFormat,
    /// The packet as plain RTP: a 12-byte header (no extensions, CSRCs or padding) and the
    /// payload.
    pub rtp: Vec<u8>,
}

/// The two ends a tapped user is run with ([`super::run_tapped`]).
#[derive(Debug)]
pub struct Tap {
    /// Where packets go. When it is full, packets are dropped (counted, and logged when the
    /// user ends), never waited for.
    pub packets: mpsc::Sender<TapPacket>,
    /// userIds whose video the tapped user asks a keyframe of (a PLI, which the SFU forwards
    /// to the publisher).
    pub keyframes: mpsc::Receiver<String>,
}

/// A plain RTP packet: version 2, the marker, payload type, sequence number, timestamp and
/// SSRC, then the payload.
pub fn plain_rtp(marker: bool, pt: u8, seq: u16, ts: u32, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(12 + payload.len());
    v.push(0x80);
    v.push((u8::from(marker) << 7) | (pt & 0x7f));
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&ts.to_be_bytes());
    v.extend_from_slice(&ssrc.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_rtp_header() {
        let p = plain_rtp(true, 102, 0x1234, 0xdead_beef, 7, &[1, 2, 3]);
        assert_eq!(
            p,
            [
                0x80,
                0x80 | 102,
                0x12,
                0x34,
                0xde,
                0xad,
                0xbe,
                0xef,
                0,
                0,
                0,
                7,
                1,
                2,
                3
            ]
        );
        let p = plain_rtp(false, 111, 1, 2, 3, &[]);
        assert_eq!(p[1], 111);
        assert_eq!(p.len(), 12);
    }
}
