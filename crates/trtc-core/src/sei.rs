//! SEI messages in H.264 video (`sendSEIMessage` / `SEI_MESSAGE`, reference §4.7): the SEI NAL
//! unit written into an encoded frame (Annex B, as the browser's encoded transforms give it) and
//! read back out of a received one, and which frames of a sender get the queued messages.
//!
//! Framing: one SEI NAL (`nal_unit_type` 6) per message, put before the frame's first VCL NAL
//! (types 1–5) so that it belongs to that access unit. `sei_message()`: the payload type and
//! size coded with `0xFF` continuation bytes, the payload, then the RBSP trailing bits (`0x80`);
//! emulation prevention bytes (`00 00 03`) are added on the way in and removed on the way out.
//! Payload type 243 carries the bytes as they are. Payload type 5 (`user_data_unregistered`)
//! starts with a 16-byte UUID: this SDK writes [`SEI_UUID`] and delivers only type-5 payloads
//! that carry it, so the encoder's own type-5 SEI (x264 writes its settings there, hardware
//! encoders their tags) never reaches the app as a message.
//!
//! Invariants: reading never panics and allocates at most about the size of what it reads
//! (a publisher can send anything); messages of more than [`MAX_SEI_BYTES`] are skipped.

/// The UUID of this SDK's payload-type-5 messages: ASCII `trtc-wasm-sei-v1`.
pub const SEI_UUID: [u8; 16] = *b"trtc-wasm-sei-v1";
/// The largest message, in bytes (as `sendSEIMessage` allows).
pub const MAX_SEI_BYTES: usize = 1000;
/// At most this many messages are read from one frame.
pub const MAX_PER_FRAME: usize = 64;
/// At most this many messages wait for a frame; older ones are dropped first.
pub const MAX_PENDING: usize = 30;

/// One SEI message: its payload type (5 or 243) and its bytes (without the UUID of type 5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeiMessage {
    /// `seiPayloadType`.
    pub payload_type: u8,
    /// The bytes the sender passed.
    pub data: Vec<u8>,
}

/// Appends `v` coded as SEI does: `0xFF` for each full 255, then the rest.
fn put_ff_coded(out: &mut Vec<u8>, mut v: usize) {
    while v >= 255 {
        out.push(0xFF);
        v -= 255;
    }
    out.push(v as u8);
}

/// Reads a `0xFF`-coded number at `*pos`.
fn read_ff_coded(b: &[u8], pos: &mut usize) -> Option<usize> {
    let mut v = 0usize;
    loop {
        let x = *b.get(*pos)?;
        *pos += 1;
        v = v.saturating_add(x as usize);
        if x != 0xFF {
            return Some(v);
        }
    }
}

/// Appends one SEI NAL unit, with a 4-byte start code, carrying `message`.
pub fn write_nal(out: &mut Vec<u8>, message: &SeiMessage) {
    let uuid: &[u8] = if message.payload_type == 5 {
        &SEI_UUID
    } else {
        &[]
    };
    let mut rbsp = Vec::with_capacity(message.data.len() + 24);
    put_ff_coded(&mut rbsp, message.payload_type as usize);
    put_ff_coded(&mut rbsp, uuid.len() + message.data.len());
    rbsp.extend_from_slice(uuid);
    rbsp.extend_from_slice(&message.data);
    rbsp.push(0x80);
    out.extend_from_slice(&[0, 0, 0, 1, 6]);
    // Emulation prevention: no 00 00 0x (x ≤ 3) inside the NAL.
    let mut zeros = 0;
    for &b in &rbsp {
        if zeros >= 2 && b <= 3 {
            out.push(3);
            zeros = 0;
        }
        out.push(b);
        zeros = if b == 0 { zeros + 1 } else { 0 };
    }
}

/// The NAL units of an Annex B buffer: (offset of the start code, the NAL's bytes).
fn nal_units(frame: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut next = find_start(frame, 0);
    std::iter::from_fn(move || {
        let (start, body) = next?;
        next = find_start(frame, body);
        let end = next.map_or(frame.len(), |(s, _)| s);
        Some((start, &frame[body..end]))
    })
}

/// The next start code at or after `from`: (its offset, counting a leading zero of a 4-byte
/// code; the offset of the NAL after it).
fn find_start(b: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut i = from;
    while i + 3 <= b.len() {
        if b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 1 {
            let start = if i > from && b[i - 1] == 0 { i - 1 } else { i };
            return Some((start, i + 3));
        }
        i += 1;
    }
    None
}

fn is_vcl(nal: &[u8]) -> bool {
    nal.first().is_some_and(|h| (1..=5).contains(&(h & 0x1F)))
}

/// `frame` with `nals` (from [`write_nal`]) put before its first VCL NAL unit; `None` when it
/// has none (not an H.264 Annex B frame).
pub fn insert(frame: &[u8], nals: &[u8]) -> Option<Vec<u8>> {
    let (at, _) = nal_units(frame).find(|(_, nal)| is_vcl(nal))?;
    let mut out = Vec::with_capacity(frame.len() + nals.len());
    out.extend_from_slice(&frame[..at]);
    out.extend_from_slice(nals);
    out.extend_from_slice(&frame[at..]);
    Some(out)
}

/// The messages of the SEI NAL units before the first VCL NAL unit of `frame` (Annex B), in
/// order: payload type 243, and 5 with [`SEI_UUID`]; 1 to [`MAX_SEI_BYTES`] bytes each, at most
/// [`MAX_PER_FRAME`]. Anything malformed ends the reading of its NAL unit.
pub fn read(frame: &[u8]) -> Vec<SeiMessage> {
    let mut found = Vec::new();
    for (_, nal) in nal_units(frame) {
        if is_vcl(nal) {
            break;
        }
        if nal.first().map(|h| h & 0x1F) == Some(6) {
            read_nal(&unescape(&nal[1..]), &mut found);
        }
    }
    found
}

/// The RBSP of a NAL's payload: emulation prevention bytes removed.
fn unescape(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut zeros = 0;
    for &x in b {
        if zeros >= 2 && x == 3 {
            zeros = 0;
            continue;
        }
        out.push(x);
        zeros = if x == 0 { zeros + 1 } else { 0 };
    }
    out
}

fn read_nal(rbsp: &[u8], found: &mut Vec<SeiMessage>) {
    let mut pos = 0;
    // more_rbsp_data(): something before the trailing bits.
    while pos < rbsp.len() && rbsp[pos..] != [0x80] && found.len() < MAX_PER_FRAME {
        let (Some(ty), Some(size)) = (read_ff_coded(rbsp, &mut pos), read_ff_coded(rbsp, &mut pos))
        else {
            return;
        };
        let Some(payload) = rbsp.get(pos..).and_then(|r| r.get(..size)) else {
            return;
        };
        pos += size;
        let data = match ty {
            243 => payload,
            5 if payload.starts_with(&SEI_UUID) => &payload[16..],
            _ => continue,
        };
        if (1..=MAX_SEI_BYTES).contains(&data.len()) {
            found.push(SeiMessage {
                payload_type: ty as u8,
                data: data.to_vec(),
            });
        }
    }
}

/// One sender's messages waiting for a frame, and which of its frames are the big stream's.
///
/// Every frame of the sender is told to [`SeiQueue::wants`] (its SSRC and width from the
/// encoded frame's metadata); a simulcast sender interleaves its layers' frames, and the
/// layer with the widest frames is the big stream: the small one never gets a message.
#[derive(Debug, Default)]
pub struct SeiQueue {
    pending: Vec<SeiMessage>,
    /// The last width seen per SSRC (a few: a sender has one or two layers).
    widths: Vec<(u32, u32)>,
}

/// What to do with a frame, from [`SeiQueue::wants`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameAction {
    /// Send it as it is.
    Pass,
    /// Give it the queued messages ([`SeiQueue::take_into`]).
    Insert,
    /// It is not H.264: the queued messages were dropped (the caller may warn).
    Dropped,
}

impl SeiQueue {
    /// Queues a message for the next frame of the big stream.
    pub fn push(&mut self, message: SeiMessage) {
        if self.pending.len() >= MAX_PENDING {
            self.pending.remove(0);
        }
        self.pending.push(message);
    }

    /// Whether messages are waiting.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// A frame of SSRC `ssrc`, `width` pixels wide (0: unknown), H.264 or not.
    pub fn wants(&mut self, ssrc: u32, width: u32, h264: bool) -> FrameAction {
        if width > 0 {
            match self.widths.iter_mut().find(|(s, _)| *s == ssrc) {
                Some(e) => e.1 = width,
                None => {
                    if self.widths.len() >= 4 {
                        self.widths.remove(0);
                    }
                    self.widths.push((ssrc, width));
                }
            }
        }
        if self.pending.is_empty() {
            return FrameAction::Pass;
        }
        if !h264 {
            self.pending.clear();
            return FrameAction::Dropped;
        }
        let widest = self.widths.iter().map(|e| e.1).max().unwrap_or(0);
        let own = self.widths.iter().find(|e| e.0 == ssrc).map_or(0, |e| e.1);
        if own < widest {
            FrameAction::Pass
        } else {
            FrameAction::Insert
        }
    }

    /// `frame` with the queued messages in it (which are then gone); `None`, keeping them,
    /// when it has no VCL NAL unit.
    pub fn take_into(&mut self, frame: &[u8]) -> Option<Vec<u8>> {
        let mut nals = Vec::new();
        for m in &self.pending {
            write_nal(&mut nals, m);
        }
        let out = insert(frame, &nals)?;
        self.pending.clear();
        Some(out)
    }
}

#[cfg(test)]
mod tests;
