//! Bindings to `js/glue.js` and a few globals web-sys does not cover.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/js/glue.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeRtcError)]
    pub fn make_rtc_error(
        code: i32,
        name: &str,
        extra_code: Option<i32>,
        function_name: &str,
        message: &str,
        origin_error: &JsValue,
        settings_kind: Option<String>,
    ) -> JsValue;

    #[wasm_bindgen(js_name = toStringTag)]
    pub fn to_string_tag(v: &JsValue) -> String;

    #[wasm_bindgen(js_name = installClass)]
    pub fn install_class(ctor: &JsValue, statics: &JsValue, chained: &JsValue);

    #[wasm_bindgen(js_name = constructorOf)]
    pub fn constructor_of(obj: &JsValue) -> JsValue;

    /// See `setSendParameters` in glue.js: a promise of whether `setParameters` was called.
    #[wasm_bindgen(js_name = setSendParameters)]
    pub fn set_send_parameters(
        sender: &JsValue,
        encoding: &JsValue,
        degradation_preference: Option<&str>,
        small: &JsValue,
    ) -> js_sys::Promise;

    /// See `pipeEncoded` in glue.js: `f` is a function or null.
    #[wasm_bindgen(js_name = pipeEncoded)]
    pub fn pipe_encoded(endpoint: &JsValue, f: &JsValue) -> bool;
}

/// The `RtcError` class, exported for real at runtime by the package entry.
#[wasm_bindgen(js_name = __trtcRtcError)]
pub fn rtc_error_class() -> JsValue {
    // The class is reached through an instance's constructor.
    let e = make_rtc_error(
        5999,
        "UNKNOWN_ERROR",
        None,
        "",
        "",
        &JsValue::UNDEFINED,
        None,
    );
    constructor_of(&e)
}
