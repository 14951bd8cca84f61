//! `TRTC.getCameraList/getMicrophoneList/getSpeakerList`, `getPermissions`, `setCurrentSpeaker`.
#![cfg(target_arch = "wasm32")]

mod common;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/js/device_lists.js")]
extern "C" {
    #[wasm_bindgen(js_name = listsHaveLabels)]
    fn lists_have_labels(trtc: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = permissionsAreReported)]
    fn permissions_are_reported(trtc: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = currentSpeaker)]
    fn current_speaker(trtc: &JsValue) -> js_sys::Promise;
}

#[wasm_bindgen_test]
async fn device_lists_have_labels() {
    common::run(lists_have_labels).await;
}

#[wasm_bindgen_test]
async fn get_permissions_reports_states() {
    common::run(permissions_are_reported).await;
}

#[wasm_bindgen_test]
async fn set_current_speaker() {
    common::run(current_speaker).await;
}
