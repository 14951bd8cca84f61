//! Real, decodable media for a publisher that a browser should see and hear (the bot
//! participant): a VP8 clip of FFmpeg's moving test pattern and an Opus tone that beeps twice a
//! second, both looped. Made by `assets/generate.sh`; compiled in.
//!
//! The synthetic media of [`crate::media`] is cheaper and right for load; a browser cannot
//! decode it. This is the other way round.

use std::sync::Arc;

/// One encoded VP8 frame of a clip.
#[derive(Debug, Clone)]
pub struct ClipFrame {
    /// A keyframe (a decoder can start here).
    pub key: bool,
    /// The VP8 bitstream of the frame.
    pub data: Arc<[u8]>,
}

/// A looped clip: video frames at `fps`, Opus packets of 20 ms.
#[derive(Debug, Clone)]
pub struct Clip {
    /// Frame rate of the video.
    pub fps: u32,
    /// The video frames in order; the first is a keyframe.
    pub frames: Vec<ClipFrame>,
    /// The Opus packets in order, 20 ms each.
    pub audio: Vec<Arc<[u8]>>,
}

/// Why a clip could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClipError(pub String);

impl std::fmt::Display for ClipError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bad media clip: {}", self.0)
    }
}

impl std::error::Error for ClipError {}

const IVF_HEADER: usize = 32;
const IVF_FRAME_HEADER: usize = 12;

impl Clip {
    /// The bot's clip: 320×240 test pattern at 15 fps and a 440 Hz beep, 2 s, looped.
    pub fn bot() -> Arc<Clip> {
        let clip = Clip::parse(
            include_bytes!("../assets/bot-vp8.ivf"),
            include_bytes!("../assets/bot-opus.bin"),
        )
        .expect("the compiled-in clip parses (assets/generate.sh)");
        Arc::new(clip)
    }

    /// A clip from an IVF file of VP8 frames and a file of Opus packets, each prefixed with its
    /// length as a big-endian u16.
    pub fn parse(ivf: &[u8], opus: &[u8]) -> Result<Clip, ClipError> {
        let bad = |why: &str| ClipError(why.to_string());
        if ivf.len() < IVF_HEADER || &ivf[..4] != b"DKIF" || &ivf[8..12] != b"VP80" {
            return Err(bad("not an IVF file of VP8"));
        }
        let rate = u32::from_le_bytes([ivf[16], ivf[17], ivf[18], ivf[19]]);
        let scale = u32::from_le_bytes([ivf[20], ivf[21], ivf[22], ivf[23]]).max(1);
        let fps = (rate / scale).clamp(1, 60);
        let mut frames = Vec::new();
        let mut at = IVF_HEADER;
        while at < ivf.len() {
            let head = ivf
                .get(at..at + IVF_FRAME_HEADER)
                .ok_or_else(|| bad("IVF frame header cut short"))?;
            let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
            let data = ivf
                .get(at + IVF_FRAME_HEADER..at + IVF_FRAME_HEADER + len)
                .ok_or_else(|| bad("IVF frame cut short"))?;
            let first = *data.first().ok_or_else(|| bad("empty VP8 frame"))?;
            // RFC 6386 9.1: bit 0 of the frame tag is the inverse keyframe flag.
            frames.push(ClipFrame {
                key: first & 1 == 0,
                data: data.into(),
            });
            at += IVF_FRAME_HEADER + len;
        }
        if !frames.first().is_some_and(|f| f.key) {
            return Err(bad("the clip must start with a keyframe"));
        }
        let mut audio = Vec::new();
        let mut at = 0;
        while at < opus.len() {
            let len = opus
                .get(at..at + 2)
                .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
                .ok_or_else(|| bad("Opus packet length cut short"))?;
            let p = opus
                .get(at + 2..at + 2 + len)
                .filter(|p| !p.is_empty())
                .ok_or_else(|| bad("Opus packet cut short"))?;
            audio.push(p.into());
            at += 2 + len;
        }
        if audio.is_empty() {
            return Err(bad("no Opus packets"));
        }
        Ok(Clip { fps, frames, audio })
    }

    /// The index of the first keyframe at or after `from`, wrapping to the start.
    pub fn next_keyframe(&self, from: usize) -> usize {
        (from..self.frames.len())
            .find(|&i| self.frames[i].key)
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bot_clip_parses() {
        let c = Clip::bot();
        assert_eq!(c.fps, 15);
        assert_eq!(c.frames.len(), 30);
        let keys: Vec<usize> = (0..c.frames.len()).filter(|&i| c.frames[i].key).collect();
        assert_eq!(keys, [0, 15]);
        assert_eq!(c.next_keyframe(3), 15);
        assert_eq!(c.next_keyframe(16), 0);
        assert!(c.audio.len() >= 100);
        // Opus TOC: 20 ms frames (configs 3, 7, 11, 15, 19, 23, 27, 31 end in 20 ms).
        assert!(c
            .audio
            .iter()
            .all(|p| [3, 7, 11, 15, 19, 23, 27, 31].contains(&(p[0] >> 3))));
    }

    #[test]
    fn bad_clips_are_errors_not_panics() {
        let ivf = include_bytes!("../assets/bot-vp8.ivf");
        let opus = include_bytes!("../assets/bot-opus.bin");
        for cut in [0, 4, 31, 33, 44, ivf.len() - 1] {
            assert!(Clip::parse(&ivf[..cut], opus).is_err(), "ivf cut at {cut}");
        }
        assert!(Clip::parse(ivf, &opus[..1]).is_err());
        assert!(Clip::parse(ivf, &[0, 0]).is_err());
        assert!(Clip::parse(ivf, &[]).is_err());
    }
}
