//! The error model: every failure that reaches JS is an `RtcError` built from [`RtcErrorInfo`].
//!
//! `name` is the code's key (`INVALID_PARAMETER`…), as in trtc-sdk-v5; `extraCode` is the finer
//! code of reference §8.2.

/// `TRTC.ERROR_CODE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidParameter = 5000,
    InvalidOperation = 5100,
    EnvNotSupported = 5200,
    DeviceError = 5300,
    ServerError = 5400,
    OperationFailed = 5500,
    OperationAbort = 5998,
    UnknownError = 5999,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 8] = [
        ErrorCode::InvalidParameter,
        ErrorCode::InvalidOperation,
        ErrorCode::EnvNotSupported,
        ErrorCode::DeviceError,
        ErrorCode::ServerError,
        ErrorCode::OperationFailed,
        ErrorCode::OperationAbort,
        ErrorCode::UnknownError,
    ];

    /// The key in `TRTC.ERROR_CODE`, also the error's `name`.
    pub fn key(self) -> &'static str {
        match self {
            ErrorCode::InvalidParameter => "INVALID_PARAMETER",
            ErrorCode::InvalidOperation => "INVALID_OPERATION",
            ErrorCode::EnvNotSupported => "ENV_NOT_SUPPORTED",
            ErrorCode::DeviceError => "DEVICE_ERROR",
            ErrorCode::ServerError => "SERVER_ERROR",
            ErrorCode::OperationFailed => "OPERATION_FAILED",
            ErrorCode::OperationAbort => "OPERATION_ABORT",
            ErrorCode::UnknownError => "UNKNOWN_ERROR",
        }
    }

    pub fn value(self) -> i32 {
        self as i32
    }
}

/// extraCode values used by the SDK (reference §8.2).
pub mod extra {
    pub const REQUIRED: i32 = 5001;
    pub const TYPE: i32 = 5002;
    pub const EMPTY: i32 = 5003;
    pub const INSTANCE: i32 = 5004;
    pub const RANGE: i32 = 5005;
    pub const LESS_THAN_ZERO: i32 = 5006;
    pub const MIN: i32 = 5007;
    pub const MAX: i32 = 5008;
    pub const ELEMENT_ID: i32 = 5009;
    pub const ELEMENT_ID_TYPE: i32 = 5010;
    pub const INVALID_ROOM_ID_STRING: i32 = 5012;
    pub const INVALID_ROOM_ID_INTEGER: i32 = 5013;
    pub const INVALID_STREAM_TYPE: i32 = 5014;
    pub const INVALID_ROOM_ID_REQUIRED: i32 = 5015;
    pub const INVALID_ROOM_ID_INTEGER_STRING: i32 = 5016;
    pub const NOT_JOINED: i32 = 5101;
    pub const REMOTE_USER_NOT_EXIST: i32 = 5102;
    pub const STREAM_TYPE_NOT_EXIST: i32 = 5103;
    pub const REPEAT_CALL: i32 = 5104;
    pub const NOT_SUPPORTED_HTTP: i32 = 5201;
    pub const NOT_SUPPORTED_WEBRTC: i32 = 5202;
    pub const NOT_SUPPORTED_PLUGIN: i32 = 5210;
    pub const DEVICE_NOT_FOUND: i32 = 5301;
    pub const DEVICE_NOT_ALLOWED: i32 = 5302;
    pub const DEVICE_NOT_READABLE: i32 = 5303;
    pub const DEVICE_OVERCONSTRAINED: i32 = 5304;
    pub const DEVICE_INVALID_STATE: i32 = 5305;
    pub const DEVICE_SECURITY: i32 = 5306;
    pub const DEVICE_ABORT: i32 = 5307;
    pub const DEVICE_OTHER: i32 = 5300;
}

/// Everything of an `RtcError` but the original JS error, which the glue attaches.
#[derive(Debug, Clone, PartialEq)]
pub struct RtcErrorInfo {
    pub code: ErrorCode,
    pub extra_code: Option<i32>,
    pub function_name: String,
    pub message: String,
}

impl RtcErrorInfo {
    /// Builds an error; appends ` thrown from <fn>()` unless the message names the function.
    pub fn new(
        code: ErrorCode,
        extra_code: Option<i32>,
        function_name: &str,
        message: &str,
    ) -> Self {
        let mut message = message.to_string();
        if !function_name.is_empty() && !message.contains(&format!("{function_name}()")) {
            message.push_str(&format!(" thrown from {function_name}()"));
        }
        RtcErrorInfo {
            code,
            extra_code,
            function_name: function_name.to_string(),
            message,
        }
    }

    pub fn invalid_parameter(extra: i32, function_name: &str, message: &str) -> Self {
        Self::new(
            ErrorCode::InvalidParameter,
            Some(extra),
            function_name,
            message,
        )
    }

    /// OPERATION_ABORT with TRTC's `"<fn> abort: <reason>"` message.
    pub fn abort(function_name: &str, reason: &str) -> Self {
        Self::new(
            ErrorCode::OperationAbort,
            None,
            function_name,
            &format!("{function_name} abort: {reason}"),
        )
    }

    pub fn destroyed(function_name: &str) -> Self {
        Self::new(
            ErrorCode::InvalidOperation,
            None,
            function_name,
            &format!(
                "{function_name}() failed: client was destroyed. Create a new one with TRTC.create()."
            ),
        )
    }
}

/// What kind of device a capture error concerns, for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    Camera,
    Microphone,
    Speaker,
}

impl DeviceKind {
    pub fn noun(self) -> &'static str {
        match self {
            DeviceKind::Camera => "camera",
            DeviceKind::Microphone => "microphone",
            DeviceKind::Speaker => "speaker",
        }
    }
}

/// DOMException name → extraCode (reference §8, "Device errors"). Anything else → 5300.
pub const DEVICE_ERROR_TABLE: &[(&str, i32)] = &[
    ("NotFoundError", extra::DEVICE_NOT_FOUND),
    ("NotAllowedError", extra::DEVICE_NOT_ALLOWED),
    ("NotReadableError", extra::DEVICE_NOT_READABLE),
    ("OverconstrainedError", extra::DEVICE_OVERCONSTRAINED),
    ("InvalidStateError", extra::DEVICE_INVALID_STATE),
    ("SecurityError", extra::DEVICE_SECURITY),
    ("AbortError", extra::DEVICE_ABORT),
];

pub fn device_extra_code(dom_name: &str) -> i32 {
    DEVICE_ERROR_TABLE
        .iter()
        .find(|(n, _)| *n == dom_name)
        .map(|(_, c)| *c)
        .unwrap_or(extra::DEVICE_OTHER)
}

/// The advice part of a device error message: what the user can do about it.
fn device_advice(extra_code: i32, kind: DeviceKind, named_device: bool) -> String {
    let d = kind.noun();
    match extra_code {
        extra::DEVICE_NOT_FOUND => format!(
            "no {d} was found. Connect a {d}, or check that the browser can see it (TRTC.get{}List())",
            if kind == DeviceKind::Camera { "Camera" } else { "Microphone" }
        ),
        extra::DEVICE_NOT_ALLOWED => format!(
            "permission to use the {d} was denied by the user or the system. Ask the user to allow {d} access in the browser's site settings (and the OS privacy settings), then try again"
        ),
        extra::DEVICE_NOT_READABLE => format!(
            "the {d} could not be started, usually because another application or tab is using it. Close the other user of the {d} and try again"
        ),
        extra::DEVICE_OVERCONSTRAINED if named_device => format!(
            "the requested {d} does not exist or cannot satisfy the constraints. Pass a deviceId from TRTC.get{}List()",
            if kind == DeviceKind::Camera { "Camera" } else { "Microphone" }
        ),
        extra::DEVICE_OVERCONSTRAINED => {
            format!("no {d} can satisfy the requested constraints. Try a lower profile")
        }
        extra::DEVICE_INVALID_STATE => format!(
            "the page is not in a state that allows opening the {d}. Call this from a user gesture (e.g. a click handler)"
        ),
        extra::DEVICE_SECURITY => format!(
            "{d} access is blocked by the page's security settings (e.g. a Permissions-Policy or an iframe without allow=\"{}\")",
            if kind == DeviceKind::Camera { "camera" } else { "microphone" }
        ),
        extra::DEVICE_ABORT => format!(
            "opening the {d} was aborted by the browser or the OS. Check the device and try again"
        ),
        _ => format!("opening the {d} failed"),
    }
}

/// A DEVICE_ERROR from a getUserMedia rejection.
pub fn device_error(
    function_name: &str,
    kind: DeviceKind,
    dom_name: &str,
    dom_message: &str,
    named_device: bool,
) -> RtcErrorInfo {
    let extra_code = device_extra_code(dom_name);
    let mut msg = format!(
        "{function_name}() failed: {}",
        device_advice(extra_code, kind, named_device)
    );
    if !dom_name.is_empty() || !dom_message.is_empty() {
        msg.push_str(&format!(" ({dom_name}: {dom_message})"));
    }
    msg.push('.');
    RtcErrorInfo::new(
        ErrorCode::DeviceError,
        Some(extra_code),
        function_name,
        &msg,
    )
}

/// ENV_NOT_SUPPORTED for capture on an insecure page (http that is not localhost).
pub fn insecure_context(function_name: &str) -> RtcErrorInfo {
    RtcErrorInfo::new(
        ErrorCode::EnvNotSupported,
        Some(extra::NOT_SUPPORTED_HTTP),
        function_name,
        &format!(
            "{function_name}() failed: camera and microphone capture need a secure context. Serve the page over https (or from localhost), or pass a custom track in option.videoTrack/option.audioTrack."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_error_table() {
        let rows = [
            ("NotFoundError", 5301),
            ("NotAllowedError", 5302),
            ("NotReadableError", 5303),
            ("OverconstrainedError", 5304),
            ("InvalidStateError", 5305),
            ("SecurityError", 5306),
            ("AbortError", 5307),
            ("TypeError", 5300),
            ("", 5300),
        ];
        for (name, code) in rows {
            assert_eq!(device_extra_code(name), code, "{name}");
            let e = device_error("startLocalVideo", DeviceKind::Camera, name, "m", false);
            assert_eq!(e.code, ErrorCode::DeviceError);
            assert_eq!(e.extra_code, Some(code));
            assert_eq!(e.function_name, "startLocalVideo");
            assert!(
                e.message.starts_with("startLocalVideo() failed: "),
                "{}",
                e.message
            );
        }
    }

    #[test]
    fn device_messages_name_the_device() {
        let e = device_error(
            "startLocalAudio",
            DeviceKind::Microphone,
            "NotReadableError",
            "busy",
            false,
        );
        assert!(e.message.contains("microphone"));
        assert!(e.message.contains("NotReadableError: busy"));
        let e = device_error(
            "updateLocalVideo",
            DeviceKind::Camera,
            "OverconstrainedError",
            "",
            true,
        );
        assert!(e.message.contains("getCameraList"), "{}", e.message);
    }

    #[test]
    fn thrown_from_is_appended_only_when_missing() {
        let e = RtcErrorInfo::new(ErrorCode::UnknownError, None, "enterRoom", "boom");
        assert_eq!(e.message, "boom thrown from enterRoom()");
        let e = RtcErrorInfo::new(
            ErrorCode::UnknownError,
            None,
            "enterRoom",
            "enterRoom() boom",
        );
        assert_eq!(e.message, "enterRoom() boom");
        let e = RtcErrorInfo::new(ErrorCode::UnknownError, None, "", "boom");
        assert_eq!(e.message, "boom");
    }

    #[test]
    fn abort_message_format() {
        let e = RtcErrorInfo::abort("startLocalVideo", "duplicate start");
        assert_eq!(e.code, ErrorCode::OperationAbort);
        assert!(e
            .message
            .starts_with("startLocalVideo abort: duplicate start"));
    }

    #[test]
    fn keys_and_values() {
        let got: Vec<_> = ErrorCode::ALL
            .iter()
            .map(|c| (c.key(), c.value()))
            .collect();
        assert_eq!(got[0], ("INVALID_PARAMETER", 5000));
        assert_eq!(got[7], ("UNKNOWN_ERROR", 5999));
    }
}
