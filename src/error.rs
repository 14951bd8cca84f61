//! Turning `trtc_core` errors into JS `RtcError` objects.

use trtc_core::error::{extra, ErrorCode, RtcErrorInfo};
use wasm_bindgen::prelude::*;

/// A failure on its way to JS: what happened, and the JS error that caused it (if any).
#[derive(Debug, Clone)]
pub struct Failure {
    pub info: RtcErrorInfo,
    pub origin: JsValue,
    /// For NotAllowedError caused by the OS: which settings page the `handler` opens.
    pub settings_kind: Option<&'static str>,
}

impl From<RtcErrorInfo> for Failure {
    fn from(info: RtcErrorInfo) -> Self {
        Failure {
            info,
            origin: JsValue::UNDEFINED,
            settings_kind: None,
        }
    }
}

impl Failure {
    pub fn with_origin(info: RtcErrorInfo, origin: JsValue) -> Self {
        Failure {
            info,
            origin,
            settings_kind: None,
        }
    }

    /// An unexpected JS exception inside `function_name`.
    pub fn unknown(function_name: &str, origin: JsValue) -> Self {
        let msg = origin
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .or_else(|| origin.as_string())
            .unwrap_or_else(|| "unexpected error".into());
        Failure::with_origin(
            RtcErrorInfo::new(ErrorCode::UnknownError, None, function_name, &msg),
            origin,
        )
    }

    pub fn to_js(&self) -> JsValue {
        let i = &self.info;
        crate::js::make_rtc_error(
            i.code.value(),
            i.code.key(),
            i.extra_code,
            &i.function_name,
            &i.message,
            &self.origin,
            self.settings_kind
                .filter(|_| i.extra_code == Some(extra::DEVICE_NOT_ALLOWED))
                .map(str::to_string),
        )
    }
}

impl From<Failure> for JsValue {
    fn from(f: Failure) -> JsValue {
        f.to_js()
    }
}

pub type Result<T> = std::result::Result<T, Failure>;
