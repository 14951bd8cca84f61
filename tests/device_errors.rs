//! Device errors: every DOMException → extraCode row, retries, named devices, failed switches.
#![cfg(target_arch = "wasm32")]

mod common;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/js/device_errors.js")]
extern "C" {
    #[wasm_bindgen(js_name = everyRow)]
    fn every_row(trtc: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = retryThenSucceed)]
    fn retry_then_succeed(trtc: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = namedDeviceNeverSwitches)]
    fn named_device_never_switches(trtc: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = failedSwitchKeepsCurrent)]
    fn failed_switch_keeps_current(trtc: &JsValue) -> js_sys::Promise;
}

#[wasm_bindgen_test]
async fn every_dom_exception_maps_to_its_extra_code() {
    common::run(every_row).await;
}

#[wasm_bindgen_test]
async fn a_retry_with_looser_constraints_can_succeed() {
    common::run(retry_then_succeed).await;
}

#[wasm_bindgen_test]
async fn a_named_device_is_never_swapped_for_another() {
    common::run(named_device_never_switches).await;
}

#[wasm_bindgen_test]
async fn a_failed_switch_keeps_the_current_camera() {
    common::run(failed_switch_keeps_current).await;
}
