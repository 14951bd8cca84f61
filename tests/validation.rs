//! Parameter validation: exact code/extraCode, messages, state left intact.
#![cfg(target_arch = "wasm32")]

mod common;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/js/validation.js")]
extern "C" {
    #[wasm_bindgen(js_name = parameterErrors)]
    fn parameter_errors(trtc: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = badInputLeavesStateIntact)]
    fn bad_input_leaves_state(trtc: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = roomParameterErrors)]
    fn room_parameter_errors(trtc: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = eventApiArguments)]
    fn event_api_arguments(trtc: &JsValue) -> js_sys::Promise;
}

#[wasm_bindgen_test]
async fn invalid_parameters_reject_with_exact_codes() {
    common::run(parameter_errors).await;
}

#[wasm_bindgen_test]
async fn bad_input_leaves_the_preview_as_it_was() {
    common::run(bad_input_leaves_state).await;
}

#[wasm_bindgen_test]
async fn on_with_a_non_function_throws() {
    common::run(event_api_arguments).await;
}

#[wasm_bindgen_test]
async fn enter_room_and_remote_apis_validate_like_trtc() {
    common::run(room_parameter_errors).await;
}
