//! trtc-wasm: the browser SDK, the API of trtc-sdk-v5 on wasm-bindgen and web-sys.
//!
//! This crate is the thin browser glue: it converts JS arguments into `trtc_core` values, calls
//! the pure logic there, and carries its decisions out with web-sys (getUserMedia, media
//! elements, Web Audio, timers). Invariants:
//! - every rejection or throw reaching JS is an `RtcError` ([`error`]);
//! - every JS callback the SDK registers has a Rust owner that removes it when dropped
//!   ([`listener`]); nothing long-lived is `forget`-ed;
//! - no `RefCell` borrow is held across an `.await` or a call into app code;
//! - `MediaStreamTrack::clone()` is the JS `clone()` (a new track): use `Clone::clone(&t)`.

mod api;
mod api_experimental;
mod api_static;
mod audio;
mod autoplay;
mod devices;
mod emitter;
mod encoding;
pub mod error;
mod events;
mod experimental;
mod js;
mod listener;
mod local;
mod local_audio;
mod local_screen;
mod local_video;
mod log;
mod oneshot;
mod preconnect;
mod queue;
mod recover;
mod room;
mod sdk;
mod sei;
mod statics;
mod value;
mod video_proc;
mod view;
mod wire;

pub use api::Trtc;

/// The exported `TRTC` class object, with `statics` (the static members, as the package's
/// entries pass them) installed (used by tests).
#[doc(hidden)]
pub fn class_object(statics: &wasm_bindgen::JsValue) -> wasm_bindgen::JsValue {
    statics::install(statics);
    api::class_object()
}

use wasm_bindgen::prelude::*;

/// Runs when the module is instantiated: installs the panic hook (the static members come from
/// the package entry's `__trtcInstall(statics)`).
#[wasm_bindgen(start)]
pub fn start() {
    statics::install(&JsValue::UNDEFINED);
}

/// Installs `statics` (`TRTC.EVENT`, `TRTC.TYPE`, `TRTC.ERROR_CODE`, `TRTC.VERSION` and
/// friends, from the package's statics.json) on the exported class; idempotent.
#[wasm_bindgen(js_name = __trtcInstall)]
pub fn install(statics: JsValue) {
    statics::install(&statics);
}
