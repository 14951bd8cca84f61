//! The operation queue: duplicate starts, stop during start, serialised updates.
#![cfg(target_arch = "wasm32")]

mod common;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/js/op_queue.js")]
extern "C" {
    #[wasm_bindgen(js_name = duplicateStart)]
    fn duplicate_start(trtc: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = stopDuringStart)]
    fn stop_during_start(trtc: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = updatesAreSerialised)]
    fn updates_are_serialised(trtc: &JsValue) -> js_sys::Promise;
}

#[wasm_bindgen_test]
async fn a_duplicate_start_is_aborted_and_captures_once() {
    common::run(duplicate_start).await;
}

#[wasm_bindgen_test]
async fn stop_during_a_pending_start_aborts_it() {
    common::run(stop_during_start).await;
}

#[wasm_bindgen_test]
async fn updates_run_in_order_and_not_after_stop() {
    common::run(updates_are_serialised).await;
}
