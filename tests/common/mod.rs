//! Shared harness of the browser tests: each scenario is an async JS function, written the way
//! an app uses the SDK, that receives the `TRTC` class and throws on a failed expectation.

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(module = "/tests/js/helpers.js")]
extern "C" {
    #[wasm_bindgen(js_name = describeError)]
    fn describe_error(e: &JsValue) -> String;
    #[wasm_bindgen(js_name = staticsOf)]
    fn statics_of(surface: &str) -> JsValue;
}

/// trtc-sdk-v5's surface, where the package's statics.json comes from (scripts/gen-statics.mjs).
const SURFACE: &str = include_str!("../../reference/trtc-sdk-v5-surface.json");

/// Runs a scenario: `f(TRTC)` must resolve; a rejection fails the test with its message. The
/// class gets its static tables as the package's entries give them.
pub async fn run(f: fn(&JsValue) -> js_sys::Promise) {
    let class = trtc_wasm::class_object(&statics_of(SURFACE));
    if let Err(e) = JsFuture::from(f(&class)).await {
        panic!("{}", describe_error(&e));
    }
}
