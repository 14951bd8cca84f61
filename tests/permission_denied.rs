//! Capture when the user or browser denies permission (run without the fake-UI flag: the
//! runner picks tests/webdriver/no-fake-ui.json for test binaries named `permission_*`).
#![cfg(target_arch = "wasm32")]

mod common;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/js/permission.js")]
extern "C" {
    #[wasm_bindgen(js_name = deniedPermission)]
    fn denied_permission(trtc: &JsValue) -> js_sys::Promise;
}

#[wasm_bindgen_test]
async fn not_allowed_maps_to_5302() {
    common::run(denied_permission).await;
}
