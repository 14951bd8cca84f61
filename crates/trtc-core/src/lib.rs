//! Pure logic of trtc-wasm, with no browser dependency, tested natively with `cargo test`.
//!
//! What this crate owns:
//! - [`tables`]: the public constants of trtc-sdk-v5 (`TRTC.EVENT`, `TRTC.TYPE`, `TRTC.ERROR_CODE`,
//!   log levels), as data.
//! - [`error`]: the error model (`code`, `extraCode`, `functionName`, message) and the
//!   DOMException-name → extraCode table for device errors.
//! - [`value`] and [`validate`]: a JS-like value tree and the parameter validator that reproduces
//!   TRTC's rule order and messages (reference §10).
//! - [`config`]: typed local-capture configurations parsed from validated values.
//! - [`profile`]: camera, screen and audio profiles.
//! - [`capture`]: the getUserMedia constraint plan with its retries (reference §8).
//! - [`encoding`]: what the encoder is told — a profile's bitrate and frame rate, what
//!   `qosPreference` means, the preferred video codecs, Opus stereo in a description.
//! - [`queue`]: the per-resource operation queue (start/update/stop, OPERATION_ABORT rules).
//! - [`volume`]: audio level math and the volume-evaluation schedule.
//! - [`experimental`]: `callExperimentalAPI` options and the `AUDIO_FRAME` PCM framing.
//! - [`reconnect`]: the retry schedule after a lost connection.
//! - [`room`]: `enterRoom` parameters (validation order, room ids, proxy URL).
//! - [`client`]: the room client as a sans-IO state machine — inputs (API calls, server
//!   messages, socket and peer-connection happenings, timers with the time passed in) in, effects
//!   (connect, send, apply an offer, play a track, emit an event, settle a promise) out. The
//!   browser SDK and the native load client both run it.
//! - [`room_client`]: what remote users do, as the SDK's room events (used by [`client`]).
//! - [`sei`]: SEI messages written into and read out of H.264 frames.
//! - [`quality`]: `NETWORK_QUALITY` and `STATISTICS` from two `getStats()` snapshots.
//! - [`support`]: the `isSupported()` verdict.
//! - [`vec_map`]: the small insertion-ordered map used instead of `HashMap`/`BTreeMap`.
//! - [`sort`]: the stable sort of short lists used instead of `slice::sort_by`.
//! - [`text`]: substring search used instead of `str::contains`/`replace` with `&str` patterns.
//!
//! Invariants: nothing here reads a clock or touches IO; time is passed in by the caller.
//! Every rejection that reaches JS is built from an [`error::RtcErrorInfo`].

#![warn(missing_docs)]

pub mod capture;
pub mod client;
pub mod config;
pub mod devices;
pub mod encoding;
pub mod error;
pub mod experimental;
pub mod profile;
pub mod quality;
pub mod queue;
pub mod reconnect;
pub mod room;
pub mod room_client;
pub mod sei;
pub mod sort;
pub mod support;
pub mod tables;
pub mod text;
pub mod validate;
pub mod value;
pub mod vec_map;
pub mod volume;
