//! `callExperimentalAPI(name, options)` (reference §4.10): checks the options with
//! `trtc_core::experimental` and carries the call out: `AUDIO_FRAME` delivery
//! ([`crate::experimental`]), the remote players (the room), picture-in-picture and full screen
//! (the browser's own calls on the first remote main video), switching among quality levels.

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
            if port
                .as_ref()
                .is_some_and(|p| !get(p, "postMessage").is_function())
            {
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
            let video = sdk.room.first_video().map(|(_, v)| JsValue::from(v));
            view_mode(
                video,
                true,
                enable,
                "callExperimentalAPI('requestPictureInPicture')",
            )
            .await
        }
        Call::FullScreen { enable } => {
            let video = sdk.room.first_video().map(|(_, v)| JsValue::from(v));
            view_mode(
                video,
                false,
                enable,
                "callExperimentalAPI('requestFullScreen')",
            )
            .await
        }
        Call::SwitchQuality { quality, list } => {
            use trtc_core::experimental::{plan_switch, QualityLevel};
            let kind = |l: &QualityLevel| {
                if l.sub {
                    trtc_proto::MediaKind::SubVideo
                } else {
                    trtc_proto::MediaKind::Video
                }
            };
            let plan = plan_switch(
                &mut sdk.quality_levels.borrow_mut(),
                quality.as_deref(),
                list,
                |l| !sdk.room.video_containers(&l.user_id, kind(l)).is_empty(),
            )?;
            let Some((from, to)) = plan else {
                return Ok(());
            };
            if !sdk
                .room
                .remote(&to.user_id)
                .is_some_and(|s| s.get(kind(&to)))
            {
                return Err(RtcErrorInfo::new(
                    ErrorCode::InvalidOperation,
                    Some(extra::REMOTE_USER_NOT_EXIST),
                    FN,
                    "callExperimentalAPI('switchPlaybackQuality'): the level's user does not publish that stream now.",
                )
                .into());
            }
            // The new level plays in the views of the old one, which stops.
            let views = sdk.room.video_containers(&from.user_id, kind(&from));
            sdk.room.start_video(
                &to.user_id,
                kind(&to),
                Some(views),
                false,
                crate::room::ViewExtra::default(),
            );
            sdk.room.stop_video(&from.user_id, kind(&from));
            if let Some(f) = get(&options, "onSwitched").dyn_ref::<js_sys::Function>() {
                let level = |l: &QualityLevel| {
                    crate::value::object(&[
                        ("userId", l.user_id.as_str().into()),
                        ("streamType", if l.sub { "sub" } else { "main" }.into()),
                        ("name", l.name.as_str().into()),
                    ])
                };
                let _ = f.call2(&JsValue::NULL, &level(&from), &level(&to));
            }
            Ok(())
        }
        Call::Preconnect(None) => {
            sdk.room.drop_preconnection(None);
            Ok(())
        }
        Call::Preconnect(Some(target)) => {
            if sdk.room.in_room() {
                return Err(RtcErrorInfo::new(
                    ErrorCode::InvalidOperation,
                    None,
                    FN,
                    "callExperimentalAPI('preconnect') is for before enterRoom(): this instance is in a room already.",
                )
                .into());
            }
            let origin = crate::devices::window()
                .location()
                .origin()
                .unwrap_or_default();
            let proxy = target
                .websocket_proxy
                .clone()
                .or_else(|| sdk.default_proxy());
            let url =
                trtc_core::room::websocket_url(proxy.as_deref(), &origin, trtc_proto::WS_PATH);
            if sdk.room.preconnected_for(&target, &url) {
                return Ok(());
            }
            let (p, answer) = crate::preconnect::Preconnection::open(target, url.clone())
                .map_err(|_| {
                    RtcErrorInfo::invalid_parameter(
                        trtc_core::error::extra::TYPE,
                        FN,
                        &format!("the signalling URL '{url}' is not a valid WebSocket URL; check 'proxy'"),
                    )
                })?;
            let n = sdk.room.set_preconnection(p);
            match answer.await {
                Some(Ok(_)) => Ok(()),
                Some(Err(e)) => {
                    sdk.room.drop_preconnection(Some(n));
                    Err(e.into())
                }
                // Replaced by a later preconnect, closed by `enable: false`, or left to enterRoom
                // (which connects by itself): nothing to report.
                None => Ok(()),
            }
        }
    }
}

fn is_set(v: &JsValue) -> bool {
    !v.is_undefined() && !v.is_null()
}

/// Enters or leaves picture-in-picture (`pip`) or full screen with `video` (a remote video's
/// `<video>`; `None` when none is shown: 5102). Leaving when not in it resolves. `call` names
/// the API in messages.
pub async fn view_mode(
    video: Option<JsValue>,
    pip: bool,
    enable: bool,
    call_name: &str,
) -> Result<()> {
    let doc = crate::devices::window().document().expect("document");
    if !enable {
        let active = if pip {
            is_set(&get(&doc, "pictureInPictureElement"))
        } else {
            doc.fullscreen_element().is_some()
        };
        if !active {
            return Ok(());
        }
        let exit = if pip {
            "exitPictureInPicture"
        } else {
            "exitFullscreen"
        };
        return settle(call(&doc, exit, &[]), call_name).await;
    }
    let video = video.ok_or_else(|| {
        Failure::from(RtcErrorInfo::new(
            ErrorCode::InvalidOperation,
            Some(extra::REMOTE_USER_NOT_EXIST),
            function_of(call_name),
            &format!("{call_name} needs a remote main video on screen: call it after startRemoteVideo() shows one."),
        ))
    })?;
    let enter = if pip {
        "requestPictureInPicture"
    } else {
        "requestFullscreen"
    };
    settle(call(&video, enter, &[]), call_name).await
}

/// `callExperimentalAPI('x')` → `callExperimentalAPI`; `updateRemoteVideo(...)` → `updateRemoteVideo`.
fn function_of(call_name: &str) -> &str {
    call_name.split(['(', ' ']).next().unwrap_or(call_name)
}

/// Waits for a browser promise; a refusal is `OPERATION_FAILED` with the browser's error.
async fn settle(p: std::result::Result<JsValue, JsValue>, call_name: &str) -> Result<()> {
    let failed = |e: JsValue| {
        Failure::with_origin(
            RtcErrorInfo::new(
                ErrorCode::OperationFailed,
                None,
                function_of(call_name),
                &format!(
                    "{call_name} failed: the browser refused ({}).",
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
