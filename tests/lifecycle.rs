//! on/off semantics and destroy().
#![cfg(target_arch = "wasm32")]

mod common;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/js/lifecycle.js")]
extern "C" {
    #[wasm_bindgen(js_name = destroyCleansUp)]
    fn destroy_cleans_up(trtc: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = destroyDuringStart)]
    fn destroy_during_start(trtc: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = onOffSemantics)]
    fn on_off_semantics(trtc: &JsValue) -> js_sys::Promise;
}

#[wasm_bindgen_test]
async fn destroy_ends_tracks_and_removes_elements_and_listeners() {
    common::run(destroy_cleans_up).await;
}

#[wasm_bindgen_test]
async fn destroy_during_a_pending_start() {
    common::run(destroy_during_start).await;
}

#[wasm_bindgen_test]
async fn on_off_like_eventemitter3() {
    common::run(on_off_semantics).await;
}
