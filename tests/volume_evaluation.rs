//! `enableAudioVolumeEvaluation`: interval floor, off, hidden pages, one AudioContext.
#![cfg(target_arch = "wasm32")]

mod common;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/js/volume.js")]
extern "C" {
    #[wasm_bindgen(js_name = intervalRules)]
    fn interval_rules(trtc: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = hiddenPageRules)]
    fn hidden_page_rules(trtc: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = oneAudioContext)]
    fn one_audio_context(trtc: &JsValue) -> js_sys::Promise;
}

#[wasm_bindgen_test]
async fn interval_is_clamped_and_zero_turns_it_off() {
    common::run(interval_rules).await;
}

#[wasm_bindgen_test]
async fn no_events_while_hidden_unless_in_background() {
    common::run(hidden_page_rules).await;
}

#[wasm_bindgen_test]
async fn one_audio_context_for_the_whole_sdk() {
    common::run(one_audio_context).await;
}
