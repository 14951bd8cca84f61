//! `trtc-loadgen`: a native load client for `trtc-server`.
//!
//! Many simulated users in one process (one tokio runtime; per user one WebSocket, one UDP
//! socket and one str0m `Rtc`), each joining through the real signalling with a userSig it signs
//! itself, publishing synthetic media and subscribing the way the browser SDK does.
//!
//! # What this crate owns
//!
//! * [`media`] — synthetic Opus-sized audio and VP8 video (bitrate, frame rate, periodic and
//!   requested keyframes, Chrome-like VP8 payload descriptors), pure.
//! * [`bot`] — the bot participant: a publisher of [`clip`] media a browser decodes.
//! * [`clip`] — a real VP8 clip and Opus tone, compiled in, for a publisher a browser can
//!   decode (the bot participant).
//! * [`stats`] — RTP receive statistics as RFC 3550 defines them (sequence extension, loss,
//!   interarrival jitter), bitrates, spreads, `/proc` parsing; pure.
//! * [`user`] — one simulated user (async).
//! * [`run`] — a run: join ramp, warm-up, measurement window, stop; `/proc` sampling.
//! * [`report`] — from users' reports to the run's figures, pure.
//!
//! # Invariants
//!
//! * The receive path counts and never depacketises or decodes: the `Rtc`s are in RTP mode and
//!   each RTP packet costs a few counter updates.
//! * Figures are taken over one measurement window shared by all users; join and connect times
//!   are measured from the start of each user's WebSocket connect.
//! * Only loopback/explicit addresses: the UDP sockets bind to `--bind-ip` (default 127.0.0.1).

#![warn(missing_docs)]

pub mod bot;
pub mod clip;
pub mod media;
pub mod report;
pub mod run;
pub mod stats;
pub mod user;
