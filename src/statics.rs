//! The static members of the exported `TRTC` class (`EVENT`, `TYPE`, `ERROR_CODE`, `VERSION`,
//! `frameWorkType`), installed on the class object.
//!
//! The tables themselves are not built in the wasm: the package's entries carry them
//! (`statics.json`, written by `scripts/gen-statics.mjs` from trtc-sdk-v5's surface, the same
//! tables `trtc_core::tables` holds and is tested against) and hand them to `__trtcInstall`.

use std::cell::OnceCell;
use wasm_bindgen::JsValue;

thread_local! {
    /// The class object, found once (reaching it makes a throwaway instance).
    static CLASS: OnceCell<JsValue> = const { OnceCell::new() };
}

/// Installs the panic hook, `statics` (an object of static members, or `undefined`) on the class
/// and makes `on`/`off`/… return `this`; idempotent.
pub fn install(statics: &JsValue) {
    console_error_panic_hook::set_once();
    let ctor = CLASS.with(|c| c.get_or_init(crate::api::class_object).clone());
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
    crate::js::install_class(&ctor, statics, &chained);
}
