//! Encoder settings carried out on a sender: what `trtc_core::encoding` decided for a profile
//! and a QoS preference (the codec preference and stereo are settled in the session
//! description: `room/conn.rs`). The room's connection applies them to the
//! camera's and the microphone's senders after every offer and every change of what is
//! published; a screen share or a small stream applies its own profile's [`VideoEncoding`] to
//! its sender with [`apply_video`] the same way.
//!
//! The camera's sender negotiated with simulcast (a small stream, `option.small`) gets its
//! layers in the same step ([`apply_camera`]): rid `h` the camera profile's encoding, rid `l`
//! the small profile's ([`SmallLayer`]) — one `setParameters`, never two racing.
//!
//! Each call reads the sender's parameters and calls `setParameters` only when a value differs,
//! so applying the same settings again costs nothing. A browser that refuses them (an old one
//! without `degradationPreference`, say) keeps its defaults: that is logged, not raised — the
//! media still flows.

use trtc_core::encoding::{AudioEncoding, SmallLayer, VideoEncoding};
use wasm_bindgen::JsValue;
use web_sys::{MediaStreamTrack, RtcRtpSender};

use crate::value::{get, object};

/// Sets `enc` on a video sender (`maxBitrate`, `maxFramerate`, `degradationPreference`) and on
/// the track it sends (`contentHint`).
pub fn apply_video(sender: &RtcRtpSender, track: Option<&MediaStreamTrack>, enc: &VideoEncoding) {
    apply_camera(sender, track, enc, None);
}

/// [`apply_video`] for the main video sender, which may carry simulcast: rid `h` (or the single
/// encoding) gets `enc`; rid `l` is `small` (scaled down, its bitrate and frame rate) when
/// there is one, inactive when not. All in one `setParameters`.
pub fn apply_camera(
    sender: &RtcRtpSender,
    track: Option<&MediaStreamTrack>,
    enc: &VideoEncoding,
    small: Option<SmallLayer>,
) {
    if let Some(t) = track {
        if get(t, "contentHint").as_string().as_deref() != Some(enc.content_hint) {
            let _ = js_sys::Reflect::set(t, &"contentHint".into(), &enc.content_hint.into());
        }
    }
    let encoding = object(&[
        ("maxBitrate", enc.max_bitrate.into()),
        ("maxFramerate", enc.max_framerate.into()),
    ]);
    let small = small.map_or(JsValue::NULL, |l| {
        object(&[
            ("scaleResolutionDownBy", l.scale.into()),
            ("maxBitrate", l.max_bitrate.into()),
            ("maxFramerate", l.max_framerate.into()),
        ])
    });
    set(sender, &encoding, Some(enc.degradation_preference), &small);
}

/// Sets `enc` on an audio sender (`maxBitrate`: the Opus encoder's target). Stereo is not a
/// sender parameter: it was settled in the session description (`set_opus_stereo`).
pub fn apply_audio(sender: &RtcRtpSender, enc: &AudioEncoding) {
    let encoding = object(&[("maxBitrate", enc.max_bitrate.into())]);
    set(sender, &encoding, None, &JsValue::NULL);
}

fn set(
    sender: &RtcRtpSender,
    encoding: &JsValue,
    degradation: Option<&'static str>,
    small: &JsValue,
) {
    let done = crate::js::set_send_parameters(sender, encoding, degradation, small);
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(e) = wasm_bindgen_futures::JsFuture::from(done).await {
            crate::log::warn(&format!(
                "the encoder settings were not applied: {}",
                crate::value::describe(&e)
            ));
        }
    });
}
