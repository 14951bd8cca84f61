//! The static members of the exported `TRTC` class (`EVENT`, `TYPE`, `ERROR_CODE`, `VERSION`,
//! `frameWorkType`), installed once on the class object.

use std::cell::Cell;
use trtc_core::error::ErrorCode;
use trtc_core::tables;
use wasm_bindgen::JsValue;

use crate::value::object;

thread_local! {
    static INSTALLED: Cell<bool> = const { Cell::new(false) };
}

fn table(rows: &[(&str, &str)]) -> JsValue {
    let pairs: Vec<(&str, JsValue)> = rows
        .iter()
        .map(|(k, v)| (*k, JsValue::from_str(v)))
        .collect();
    object(&pairs)
}

fn error_codes() -> JsValue {
    let pairs: Vec<(&str, JsValue)> = ErrorCode::ALL
        .iter()
        .map(|c| (c.key(), JsValue::from(c.value())))
        .collect();
    object(&pairs)
}

/// Installs the panic hook and the static members on the class; idempotent.
pub fn install() {
    console_error_panic_hook::set_once();
    if INSTALLED.with(|i| i.replace(true)) {
        return;
    }
    let statics = object(&[
        ("EVENT", table(tables::EVENTS)),
        ("TYPE", table(tables::TYPES)),
        ("ERROR_CODE", error_codes()),
        ("VERSION", JsValue::from_str(tables::API_VERSION)),
        ("frameWorkType", JsValue::from(tables::FRAMEWORK_TYPE)),
    ]);
    let ctor = crate::api::class_object();
    let chained: js_sys::Array = [
        "on",
        "off",
        "once",
        "addListener",
        "removeListener",
        "removeAllListeners",
    ]
    .iter()
    .map(|n| JsValue::from_str(n))
    .collect();
    crate::js::install_class(&ctor, &statics, &chained);
}
