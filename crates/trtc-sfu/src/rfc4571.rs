//! RFC 4571 framing: RTP, RTCP, DTLS and STUN over a TCP stream, each packet preceded by its
//! length as a 16-bit big-endian number. ICE-TCP (RFC 6544) carries its packets this way; so
//! does Chrome for `tcp` candidates.
//!
//! [`FrameReader`] cuts a byte stream into whole frames: it reads into a buffer that grows only
//! as far as the frame being read needs (a frame is at most 65,535 bytes by the format, and at
//! most the reader's `max_frame`), hands out the complete frames read so far in one buffer
//! ([`FrameReader::take_frames`], walked with [`frames`]) and keeps a partial one for the next
//! read. A frame longer than `max_frame` is an error: the stream cannot be resynchronised, the
//! connection must be closed. Zero-length frames carry nothing and are skipped by [`frames`].
//! [`encode`] writes one frame.
//!
//! Pure: no IO. Every length is read from the stream and bounded before it is used.

use std::fmt;

/// The length prefix: 2 bytes, big-endian.
pub const HEADER: usize = 2;
/// The largest payload the format can carry.
pub const MAX_FRAME: usize = u16::MAX as usize;
/// What a reader reserves at least for one read (and starts with).
const MIN_READ: usize = 4096;

/// The stream broke the framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// A frame announced more bytes than the reader accepts.
    TooLong {
        /// The announced length.
        len: usize,
        /// The reader's `max_frame`.
        max: usize,
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::TooLong { len, max } => {
                write!(f, "a {len}-byte frame (at most {max} accepted)")
            }
        }
    }
}

impl std::error::Error for FrameError {}

/// Appends `payload` as one frame to `out`. `Err` (and nothing appended) if it is longer than
/// the format allows.
pub fn encode(out: &mut Vec<u8>, payload: &[u8]) -> Result<(), FrameError> {
    let len = u16::try_from(payload.len()).map_err(|_| FrameError::TooLong {
        len: payload.len(),
        max: MAX_FRAME,
    })?;
    out.reserve(HEADER + payload.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    Ok(())
}

/// The payloads of the whole frames in `buf` (as [`FrameReader::take_frames`] hands them out),
/// in order, zero-length ones skipped. A truncated last frame (which `take_frames` never hands
/// out) ends the walk.
pub fn frames(buf: &[u8]) -> Frames<'_> {
    Frames { rest: buf }
}

/// Iterator of [`frames`].
pub struct Frames<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Frames<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            let (len, rest) = split_header(self.rest)?;
            let Some(payload) = rest.get(..len) else {
                self.rest = &[];
                return None;
            };
            self.rest = &rest[len..];
            if !payload.is_empty() {
                return Some(payload);
            }
        }
    }
}

fn split_header(buf: &[u8]) -> Option<(usize, &[u8])> {
    let (h, rest) = buf.split_first_chunk::<HEADER>()?;
    Some((usize::from(u16::from_be_bytes(*h)), rest))
}

/// Cuts a TCP byte stream into frames. See the module docs.
pub struct FrameReader {
    /// Bytes read and not handed out yet: whole frames, then at most one partial frame.
    buf: Vec<u8>,
    /// Bytes of `buf` that were read (the rest is room for the next read).
    filled: usize,
    /// Where in `buf[..filled]` the frames not yet checked start (everything before is whole
    /// frames).
    checked: usize,
    max_frame: usize,
}

impl FrameReader {
    /// A reader that accepts frames of up to `max_frame` bytes (capped at [`MAX_FRAME`]).
    pub fn new(max_frame: usize) -> FrameReader {
        FrameReader {
            buf: Vec::new(),
            filled: 0,
            checked: 0,
            max_frame: max_frame.min(MAX_FRAME),
        }
    }

    /// Room to read into: at least 4 KiB or what the partial frame still needs,
    /// whichever is more. Pass the number of bytes read to [`FrameReader::filled`].
    pub fn spare(&mut self) -> &mut [u8] {
        let want = self.filled + self.needed().max(MIN_READ);
        if self.buf.len() < want {
            self.buf.resize(want, 0);
        }
        &mut self.buf[self.filled..]
    }

    /// `n` bytes were read into [`FrameReader::spare`].
    pub fn filled(&mut self, n: usize) {
        self.filled = (self.filled + n).min(self.buf.len());
    }

    /// Bytes the partial frame still needs to be whole (0 if there is none, or its header is not
    /// complete yet, then 1..=2).
    fn needed(&self) -> usize {
        let pending = &self.buf[self.checked..self.filled];
        match split_header(pending) {
            None => HEADER - pending.len(),
            Some((len, rest)) => len.min(self.max_frame).saturating_sub(rest.len()),
        }
    }

    /// Adds `data` as if read (for callers that read elsewhere, and tests).
    pub fn push(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let spare = self.spare();
            let n = spare.len().min(data.len());
            spare[..n].copy_from_slice(&data[..n]);
            self.filled(n);
            data = &data[n..];
        }
    }

    /// The whole frames read so far, headers included (walk them with [`frames`]), or `None` if
    /// there is none yet; a partial frame stays for the next read. `Err` once a frame is too
    /// long: nothing more can be read from this stream.
    pub fn take_frames(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        loop {
            let pending = &self.buf[self.checked..self.filled];
            let Some((len, rest)) = split_header(pending) else {
                break;
            };
            if len > self.max_frame {
                return Err(FrameError::TooLong {
                    len,
                    max: self.max_frame,
                });
            }
            if rest.len() < len {
                break;
            }
            self.checked += HEADER + len;
        }
        if self.checked == 0 {
            return Ok(None);
        }
        // The partial frame (usually a few bytes, or none) moves to a buffer of its own; the
        // whole frames leave in this one.
        let mut tail = Vec::with_capacity((self.filled - self.checked).max(MIN_READ));
        tail.extend_from_slice(&self.buf[self.checked..self.filled]);
        let mut whole = std::mem::replace(&mut self.buf, tail);
        whole.truncate(self.checked);
        self.filled -= self.checked;
        self.checked = 0;
        Ok(Some(whole))
    }

    /// Bytes held: read and not handed out.
    pub fn buffered(&self) -> usize {
        self.filled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(payloads: &[&[u8]]) -> Vec<u8> {
        let mut out = vec![];
        for p in payloads {
            encode(&mut out, p).unwrap();
        }
        out
    }

    fn collect(r: &mut FrameReader) -> Vec<Vec<u8>> {
        match r.take_frames().unwrap() {
            Some(buf) => frames(&buf).map(<[u8]>::to_vec).collect(),
            None => vec![],
        }
    }

    #[test]
    fn encodes_the_length_big_endian() {
        assert_eq!(framed(&[b"abc"]), vec![0, 3, b'a', b'b', b'c']);
        let big = vec![7u8; 0x1234];
        let f = framed(&[&big]);
        assert_eq!(&f[..2], &[0x12, 0x34]);
        assert_eq!(f.len(), 2 + 0x1234);
        let mut out = vec![];
        assert_eq!(
            encode(&mut out, &vec![0; MAX_FRAME + 1]),
            Err(FrameError::TooLong {
                len: MAX_FRAME + 1,
                max: MAX_FRAME
            })
        );
        assert!(out.is_empty());
        encode(&mut out, &vec![1; MAX_FRAME]).unwrap();
        assert_eq!(&out[..2], &[0xff, 0xff]);
    }

    #[test]
    fn whole_frames_in_one_read() {
        let mut r = FrameReader::new(MAX_FRAME);
        r.push(&framed(&[b"one", b"two!", b"3"]));
        assert_eq!(
            collect(&mut r),
            vec![b"one".to_vec(), b"two!".to_vec(), b"3".to_vec()]
        );
        assert_eq!(r.buffered(), 0);
        assert_eq!(r.take_frames(), Ok(None));
    }

    #[test]
    fn frames_split_anywhere_come_out_whole() {
        let payloads: Vec<Vec<u8>> = (0..20u8)
            .map(|i| (0..(i as usize * 37 % 300)).map(|j| i ^ j as u8).collect())
            .collect();
        let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        let stream = framed(&refs);
        let want: Vec<Vec<u8>> = payloads.iter().filter(|p| !p.is_empty()).cloned().collect();
        // Every chunk size, from a byte at a time (a header split in two) to all at once.
        for chunk in [1, 2, 3, 5, 7, 64, 301, stream.len()] {
            let mut r = FrameReader::new(MAX_FRAME);
            let mut got = vec![];
            for piece in stream.chunks(chunk) {
                r.push(piece);
                got.extend(collect(&mut r));
            }
            assert_eq!(got, want, "chunks of {chunk}");
            assert_eq!(r.buffered(), 0);
        }
    }

    #[test]
    fn a_partial_frame_waits_and_its_room_is_made() {
        let mut r = FrameReader::new(MAX_FRAME);
        let big = vec![9u8; 20_000];
        let stream = framed(&[b"x", &big]);
        r.push(&stream[..10]);
        assert_eq!(collect(&mut r), vec![b"x".to_vec()]);
        assert_eq!(r.buffered(), 10 - 3);
        // The spare room covers the rest of the announced frame in one read.
        assert!(r.spare().len() >= 20_000 - 5);
        r.push(&stream[10..]);
        assert_eq!(collect(&mut r), vec![big]);
    }

    #[test]
    fn too_long_frames_are_an_error() {
        let mut r = FrameReader::new(1500);
        r.push(&framed(&[b"fine"]));
        assert_eq!(collect(&mut r), vec![b"fine".to_vec()]);
        // Only the header has arrived: that is enough to refuse it.
        r.push(&[0x05, 0xdd]);
        assert_eq!(
            r.take_frames(),
            Err(FrameError::TooLong {
                len: 1501,
                max: 1500
            })
        );
        // The frames before it in the same read are refused with it (the stream is broken).
        let mut r = FrameReader::new(1500);
        r.push(&framed(&[b"a", &[0; 1501]]));
        assert!(r.take_frames().is_err());
        // Its room is not grown past the limit either.
        let mut r = FrameReader::new(1500);
        r.push(&[0xff, 0xff]);
        assert!(r.spare().len() <= MIN_READ);
        assert!(FrameReader::new(usize::MAX).max_frame == MAX_FRAME);
    }

    #[test]
    fn zero_length_frames_are_skipped() {
        let mut r = FrameReader::new(MAX_FRAME);
        r.push(&[0, 0, 0, 0, 0, 1, b'z', 0, 0]);
        assert_eq!(collect(&mut r), vec![b"z".to_vec()]);
        assert_eq!(frames(&[0, 0]).count(), 0);
        // A truncated last frame ends a walk.
        assert_eq!(frames(&[0, 1, b'a', 0, 5, 1]).count(), 1);
        assert_eq!(frames(&[0]).count(), 0);
    }

    #[test]
    fn garbage_never_panics_and_never_grows_past_the_limit() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for max in [0, 1, 100, 1500, MAX_FRAME] {
            let mut r = FrameReader::new(max);
            for _ in 0..2000 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let len = (x >> 40) as usize % 700;
                let data: Vec<u8> = (0..len).map(|i| (x >> (i % 56)) as u8).collect();
                r.push(&data);
                match r.take_frames() {
                    Ok(Some(buf)) => {
                        for f in frames(&buf) {
                            assert!(!f.is_empty() && f.len() <= max);
                        }
                    }
                    Ok(None) => {}
                    Err(FrameError::TooLong { len, max: m }) => {
                        assert_eq!(m, max);
                        assert!(len > max);
                        break;
                    }
                }
                assert!(r.buffered() <= HEADER + max + 700);
            }
        }
    }
}
