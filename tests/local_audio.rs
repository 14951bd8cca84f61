//! Local microphone: volume from the real beep, mute modes, switching, ear monitor.
#![cfg(target_arch = "wasm32")]

mod common;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/js/local_audio.js")]
extern "C" {
    #[wasm_bindgen(js_name = volumeFromTheBeep)]
    fn volume_from_the_beep(trtc: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = muteMicrophoneReleasesTheDevice)]
    fn mute_microphone(trtc: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = microphoneSwitch)]
    fn microphone_switch(trtc: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = earMonitorPlayState)]
    fn ear_monitor(trtc: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = audioProcessingOptions)]
    fn audio_processing_options(trtc: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = customAudioTrack)]
    fn custom_audio_track(trtc: &JsValue) -> js_sys::Promise;
}

#[wasm_bindgen_test]
async fn audio_volume_is_measured_from_the_microphone() {
    common::run(volume_from_the_beep).await;
}

#[wasm_bindgen_test]
async fn mute_microphone_releases_the_device() {
    common::run(mute_microphone).await;
}

#[wasm_bindgen_test]
async fn microphone_switch_and_failed_switch() {
    common::run(microphone_switch).await;
}

#[wasm_bindgen_test]
async fn ear_monitor_reports_local_playback() {
    common::run(ear_monitor).await;
}

#[wasm_bindgen_test]
async fn echo_cancellation_noise_suppression_and_gain_control_options() {
    common::run(audio_processing_options).await;
}

#[wasm_bindgen_test]
async fn a_custom_audio_track_is_used_and_measured() {
    common::run(custom_audio_track).await;
}
