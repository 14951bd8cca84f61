//! `TRTC.create`, `TRTC.EVENT`/`TYPE`/`ERROR_CODE`/`VERSION`, `setLogLevel`, `isSupported`.
#![cfg(target_arch = "wasm32")]

mod common;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const SURFACE: &str = include_str!("../reference/trtc-sdk-v5-surface.json");

#[wasm_bindgen(module = "/tests/js/static_api.js")]
extern "C" {
    #[wasm_bindgen(js_name = staticTables)]
    fn static_tables(trtc: &JsValue, surface: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = createIsSynchronous)]
    fn create_is_synchronous(trtc: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = isSupportedMeasuresTheBrowser)]
    fn is_supported_measures_the_browser(trtc: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = setLogLevelAcceptsLevels)]
    fn set_log_level_accepts_levels(trtc: &JsValue) -> js_sys::Promise;
}

#[wasm_bindgen_test]
async fn tables_match_the_reference_surface() {
    common::run(|t| static_tables(t, SURFACE)).await;
}

#[wasm_bindgen_test]
async fn create_returns_an_instance_synchronously() {
    common::run(create_is_synchronous).await;
}

#[wasm_bindgen_test]
async fn is_supported_reports_the_real_browser() {
    common::run(is_supported_measures_the_browser).await;
}

#[wasm_bindgen_test]
async fn set_log_level() {
    common::run(set_log_level_accepts_levels).await;
}
