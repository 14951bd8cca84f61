//! Local camera: preview frames, views, profiles, custom tracks, switching, mute.
#![cfg(target_arch = "wasm32")]

mod common;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/js/local_video.js")]
extern "C" {
    #[wasm_bindgen(js_name = previewRendersFrames)]
    fn preview_renders_frames(trtc: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = viewForms)]
    fn view_forms(trtc: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = customTrack)]
    fn custom_track(trtc: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = cameraSwitch)]
    fn camera_switch(trtc: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = muteVideo)]
    fn mute_video(trtc: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = useFrontCamera)]
    fn use_front_camera(trtc: &JsValue) -> js_sys::Promise;
}

#[wasm_bindgen_test]
async fn preview_renders_real_frames_and_stop_cleans_up() {
    common::run(preview_renders_frames).await;
}

#[wasm_bindgen_test]
async fn views_fill_mode_mirror_and_profiles() {
    common::run(view_forms).await;
}

#[wasm_bindgen_test]
async fn custom_video_track_is_used_and_not_stopped() {
    common::run(custom_track).await;
}

#[wasm_bindgen_test]
async fn camera_switch_and_failed_switch_keeps_preview() {
    common::run(camera_switch).await;
}

#[wasm_bindgen_test]
async fn mute_and_unmute_video() {
    common::run(mute_video).await;
}

#[wasm_bindgen_test]
async fn use_front_camera_asks_for_the_facing_mode() {
    common::run(use_front_camera).await;
}
