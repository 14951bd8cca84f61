//! The SDK's console logger with `TRTC.setLogLevel`'s threshold.

use std::cell::Cell;
use trtc_core::tables::LogLevel;

thread_local! {
    static LEVEL: Cell<LogLevel> = const { Cell::new(LogLevel::DEFAULT) };
}

pub fn set_level(level: LogLevel) {
    LEVEL.with(|l| l.set(level));
}

pub fn log(level: LogLevel, msg: &str) {
    if !LEVEL.with(|l| l.get()).allows(level) {
        return;
    }
    let text = wasm_bindgen::JsValue::from_str(&format!("[trtc-wasm] {msg}"));
    match level {
        LogLevel::Trace | LogLevel::Debug => web_sys::console::debug_1(&text),
        LogLevel::Info => web_sys::console::info_1(&text),
        LogLevel::Warn => web_sys::console::warn_1(&text),
        LogLevel::Error | LogLevel::None => web_sys::console::error_1(&text),
    }
}

pub fn debug(msg: &str) {
    log(LogLevel::Debug, msg)
}
pub fn info(msg: &str) {
    log(LogLevel::Info, msg)
}
pub fn warn(msg: &str) {
    log(LogLevel::Warn, msg)
}
pub fn error(msg: &str) {
    log(LogLevel::Error, msg)
}
