//! `callExperimentalAPI(name, options)` (reference §4.10): checks the options with
//! `trtc_core::experimental` and carries the call out: `AUDIO_FRAME` delivery
//! ([`crate::experimental`]), the remote players (the room), picture-in-picture and full screen
//! (the browser's own calls on the first remote main video).

use std::rc::Rc;

use trtc_core::error::{extra, ErrorCode, RtcErrorInfo};
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{Failure, Result};
use crate::experimental::FrameConfig;
use crate::value::call;
use crate::value::get;

/// `callExperimentalAPI(name, options)`.
pub async fn run(sdk: Rc<crate::sdk::Sdk>, name: String, options: JsValue) -> Result<()> {
    use trtc_core::experimental::{parse, Call, FN};
    sdk.events.check_alive(FN)?;
    match parse(&name, &crate::value::to_value(&options))? {
        Call::AudioFrame {
            enable,
            source,
            sample_rate,
            channels,
        } => {
            if !enable {
                sdk.set_audio_frames(&source, None);
                return Ok(());
            }
            let port = get(&options, "port");
            let port = (!port.is_undefined() && !port.is_null()).then_some(port);
            if port.as_ref().is_some_and(|p| !get(p, "postMessage").is_function()) {
                return Err(RtcErrorInfo::invalid_parameter(
                    extra::INSTANCE,
                    FN,
                    "'port' must be a MessagePort when calling callExperimentalAPI('enableAudioFrameEvent').",
                )
                .into());
            }
            sdk.set_audio_frames(
                &source.clone(),
                Some(FrameConfig {
                    source,
                    sample_rate,
                    channels,
                    port,
                }),
            );
            Ok(())
        }
        Call::Player {
            pause,
            user_id,
            stream_type,
        } => {
            sdk.room
                .pause_player(&user_id, stream_type.as_deref(), pause);
            Ok(())
        }
        Call::PictureInPicture { enable } => {
            let doc = crate::devices::window().document().expect("document");
            if enable {
                let video = first_video(&sdk, "requestPictureInPicture")?;
                settle(call(&video, "requestPictureInPicture", &[]), "requestPictureInPicture").await
            } else if is_set(&get(&doc, "pictureInPictureElement")) {
                settle(call(&doc, "exitPictureInPicture", &[]), "requestPictureInPicture").await
            } else {
                Ok(())
            }
        }
        Call::FullScreen { enable } => {
            let doc = crate::devices::window().document().expect("document");
            if enable {
                let video = first_video(&sdk, "requestFullScreen")?;
                settle(call(&video, "requestFullscreen", &[]), "requestFullScreen").await
            } else if doc.fullscreen_element().is_some() {
                settle(call(&doc, "exitFullscreen", &[]), "requestFullScreen").await
            } else {
                Ok(())
            }
        }
        Call::Unsupported(n) => Err(RtcErrorInfo::new(
            ErrorCode::EnvNotSupported,
            None,
            FN,
            &format!("callExperimentalAPI('{n}') is not available in trtc-wasm: {n} is not implemented (see the README's 'Not done yet')."),
        )
        .into()),
    }
}

fn is_set(v: &JsValue) -> bool {
    !v.is_undefined() && !v.is_null()
}

/// The element of the first remote main video shown now, or 5102 when there is none.
fn first_video(sdk: &crate::sdk::Sdk, what: &str) -> Result<JsValue> {
    sdk.room
        .first_video()
        .map(|(_, v)| v.into())
        .ok_or_else(|| {
            RtcErrorInfo::new(
                ErrorCode::InvalidOperation,
                Some(extra::REMOTE_USER_NOT_EXIST),
                trtc_core::experimental::FN,
                &format!("callExperimentalAPI('{what}') needs a remote main video on screen: call it after startRemoteVideo() shows one."),
            )
            .into()
        })
}

/// Waits for a browser promise; a refusal is `OPERATION_FAILED` with the browser's error.
async fn settle(p: std::result::Result<JsValue, JsValue>, what: &str) -> Result<()> {
    let failed = |e: JsValue| {
        Failure::with_origin(
            RtcErrorInfo::new(
                ErrorCode::OperationFailed,
                None,
                trtc_core::experimental::FN,
                &format!(
                    "callExperimentalAPI('{what}') failed: the browser refused ({}).",
                    crate::value::describe(&e)
                ),
            ),
            e,
        )
    };
    let p = p.map_err(failed)?;
    match p.dyn_into::<js_sys::Promise>() {
        Ok(p) => wasm_bindgen_futures::JsFuture::from(p)
            .await
            .map(|_| ())
            .map_err(failed),
        Err(_) => Ok(()),
    }
}
