//! The error model: every failure that reaches JS is an `RtcError` built from [`RtcErrorInfo`].
//!
//! `name` is the code's key (`INVALID_PARAMETER`…), as in trtc-sdk-v5; `extraCode` is the finer
//! code of reference §8.2.

/// `TRTC.ERROR_CODE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// An argument fails the API's rules (the validator's extraCodes 5001..=5020).
    InvalidParameter = 5000,
    /// A precondition is not met: not in a room, no such user or stream, a repeated call, a
    /// destroyed client.
    InvalidOperation = 5100,
    /// The browser or the page lacks a capability (an insecure context, no WebRTC).
    EnvNotSupported = 5200,
    /// Capturing from a camera, microphone or screen failed; the extraCode comes from the
    /// DOMException's name ([`DEVICE_ERROR_TABLE`]).
    DeviceError = 5300,
    /// The server refused (a bad or expired userSig, a refused join); `extraCode` is the server's
    /// code.
    ServerError = 5400,
    /// The operation failed after the SDK's own retries (network, firewall, browser).
    OperationFailed = 5500,
    /// A later call or the lifecycle cancelled this one (the operation queue's rules); safe to
    /// ignore.
    OperationAbort = 5998,
    /// Anything else.
    UnknownError = 5999,
}

impl ErrorCode {
    /// Every code, in the order of `TRTC.ERROR_CODE`'s keys.
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

    /// The number of `TRTC.ERROR_CODE` and the error's `code`.
    pub fn value(self) -> i32 {
        self as i32
    }
}

/// extraCode values used by the SDK (reference §8.2).
pub mod extra {
    /// A required argument is missing (`undefined`).
    pub const REQUIRED: i32 = 5001;
    /// An argument has the wrong type.
    pub const TYPE: i32 = 5002;
    /// An argument is empty where that is not allowed: `''`, whitespace only, `0` or `NaN`.
    pub const EMPTY: i32 = 5003;
    /// An argument is not an instance of the required class (`ArrayBuffer`, `MediaStreamTrack`).
    pub const INSTANCE: i32 = 5004;
    /// An argument is not one of the allowed values.
    pub const RANGE: i32 = 5005;
    /// A number that must be ≥ 0 is negative.
    pub const LESS_THAN_ZERO: i32 = 5006;
    /// A number is below its minimum.
    pub const MIN: i32 = 5007;
    /// A number is above its maximum.
    pub const MAX: i32 = 5008;
    /// A `view` id names no element of the document.
    pub const ELEMENT_ID: i32 = 5009;
    /// A `view` is not an `HTMLElement`.
    pub const ELEMENT_ID_TYPE: i32 = 5010;
    /// A `strRoomId` is not 1 to 64 characters of the allowed set ([`crate::room`]).
    pub const INVALID_ROOM_ID_STRING: i32 = 5012;
    /// A `roomId` is not an integer in 1..=4294967294.
    pub const INVALID_ROOM_ID_INTEGER: i32 = 5013;
    /// `streamType` is missing while `userId` is not `'*'`.
    pub const INVALID_STREAM_TYPE: i32 = 5014;
    /// Neither a valid `roomId` nor a non-empty `strRoomId` was given.
    pub const INVALID_ROOM_ID_REQUIRED: i32 = 5015;
    /// `roomId` was passed as a string (use `strRoomId` for string ids).
    pub const INVALID_ROOM_ID_INTEGER_STRING: i32 = 5016;
    /// A custom message or SEI buffer is empty.
    pub const BUFFER_EMPTY: i32 = 5017;
    /// A custom message or SEI buffer is over 1000 bytes.
    pub const BUFFER_OVERSIZE: i32 = 5018;
    /// `switchRoom`: the new room's id type differs from the current room's.
    pub const INVALID_ROOM_ID_TYPE_MISMATCH: i32 = 5019;
    /// `switchRoom`: the new room is the current room.
    pub const INVALID_ROOM_ID_DUPLICATE: i32 = 5020;
    /// The API needs a joined room.
    pub const NOT_JOINED: i32 = 5101;
    /// The remote user is not in the room or not publishing.
    pub const REMOTE_USER_NOT_EXIST: i32 = 5102;
    /// The remote user does not publish that stream.
    pub const STREAM_TYPE_NOT_EXIST: i32 = 5103;
    /// The call repeats one that is in effect (e.g. `enterRoom` while in a room).
    pub const REPEAT_CALL: i32 = 5104;
    /// An audience (live scene) cannot call this.
    pub const ROLE_AUDIENCE: i32 = 5107;
    /// `sendSEIMessage` without `TRTC.create({enableSEI: true})`.
    pub const NOT_ENABLE_SEI: i32 = 5108;
    /// `sendSEIMessage` for a stream that is not published.
    pub const NEED_CALL_PUBLISHED: i32 = 5109;
    /// Capture needs a secure context (https or localhost).
    pub const NOT_SUPPORTED_HTTP: i32 = 5201;
    /// The browser has no WebRTC.
    pub const NOT_SUPPORTED_WEBRTC: i32 = 5202;
    /// No `getDisplayMedia` in this browser.
    pub const NOT_SUPPORTED_SCREEN_SHARE: i32 = 5205;
    /// No encoded transforms (`RTCRtpSender.createEncodedStreams`): no SEI.
    pub const NOT_SUPPORTED_SEI: i32 = 5207;
    /// A plugin's `isSupported()` is false, or this SDK does not have the plugin.
    pub const NOT_SUPPORTED_PLUGIN: i32 = 5210;
    /// `NotFoundError`: no such device.
    pub const DEVICE_NOT_FOUND: i32 = 5301;
    /// `NotAllowedError`: the user or the OS denied access.
    pub const DEVICE_NOT_ALLOWED: i32 = 5302;
    /// `NotReadableError`: the device is busy or failed to start.
    pub const DEVICE_NOT_READABLE: i32 = 5303;
    /// `OverconstrainedError`: no device satisfies the constraints (usually a bad `deviceId`).
    pub const DEVICE_OVERCONSTRAINED: i32 = 5304;
    /// `InvalidStateError`: the capture needs a user gesture or a visible page.
    pub const DEVICE_INVALID_STATE: i32 = 5305;
    /// `SecurityError`: capture is disabled for this document.
    pub const DEVICE_SECURITY: i32 = 5306;
    /// `AbortError`: the capture was aborted for another reason.
    pub const DEVICE_ABORT: i32 = 5307;
    /// Any other DOMException name (e.g. `TypeError`).
    pub const DEVICE_OTHER: i32 = 5300;
}

/// Everything of an `RtcError` but the original JS error, which the glue attaches.
#[derive(Debug, Clone, PartialEq)]
pub struct RtcErrorInfo {
    /// `code` (and `name`, the code's key).
    pub code: ErrorCode,
    /// `extraCode`: the finer code of [`extra`], or the server's code for `SERVER_ERROR`.
    pub extra_code: Option<i32>,
    /// `functionName`: the API that failed; `''` for errors emitted on the `ERROR` event.
    pub function_name: String,
    /// `message`: English text naming the function (see [`RtcErrorInfo::new`]).
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
        if !function_name.is_empty()
            && !crate::text::contains(&message, &format!("{function_name}()"))
        {
            message.push_str(&format!(" thrown from {function_name}()"));
        }
        RtcErrorInfo {
            code,
            extra_code,
            function_name: function_name.to_string(),
            message,
        }
    }

    /// INVALID_PARAMETER with an extraCode of [`extra`] (5001..=5020).
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

    /// INVALID_OPERATION for a call on a client after `destroy()`.
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
    /// A camera (`startLocalVideo`, `getCameraList`).
    Camera,
    /// A microphone (`startLocalAudio`, `getMicrophoneList`).
    Microphone,
    /// An audio output (a speaker or a headset).
    Speaker,
    /// A screen, window or tab to share (`startScreenShare`).
    Screen,
}

impl DeviceKind {
    /// The device's noun in messages: `camera`, `microphone`, `speaker`.
    pub fn noun(self) -> &'static str {
        match self {
            DeviceKind::Camera => "camera",
            DeviceKind::Microphone => "microphone",
            DeviceKind::Speaker => "speaker",
            DeviceKind::Screen => "screen share",
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

/// The extraCode of a capture failure with this DOMException name ([`DEVICE_ERROR_TABLE`]);
/// [`extra::DEVICE_OTHER`] for a name not in the table.
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
    if kind == DeviceKind::Screen {
        return match extra_code {
            extra::DEVICE_NOT_ALLOWED => "the user (or the system) refused to share a screen, window or tab. Call startScreenShare() again from a user gesture and ask the user to pick what to share (on macOS the browser also needs the Screen Recording permission)".into(),
            extra::DEVICE_NOT_READABLE | extra::DEVICE_ABORT => "the screen could not be captured (the OS or another application stopped it). Try again, or share another window".into(),
            extra::DEVICE_INVALID_STATE => "screen sharing must start from a user gesture. Call startScreenShare() from a click handler".into(),
            _ => "the screen share could not be started".into(),
        };
    }
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

/// ENV_NOT_SUPPORTED when the browser cannot capture a screen (no `getDisplayMedia`).
pub fn screen_share_unsupported(function_name: &str) -> RtcErrorInfo {
    RtcErrorInfo::new(
        ErrorCode::EnvNotSupported,
        Some(extra::NOT_SUPPORTED_SCREEN_SHARE),
        function_name,
        &format!(
            "{function_name}() failed: this browser cannot capture a screen (navigator.mediaDevices.getDisplayMedia is missing; mobile browsers and insecure http pages lack it). Check TRTC.isSupported().detail.isScreenShareSupported first, or pass a track in option.videoTrack."
        ),
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
    fn screen_errors_name_the_screen_share() {
        let e = device_error(
            "startScreenShare",
            DeviceKind::Screen,
            "NotAllowedError",
            "Permission denied",
            false,
        );
        assert_eq!((e.code, e.extra_code), (ErrorCode::DeviceError, Some(5302)));
        assert!(e.message.contains("refused to share"), "{}", e.message);
        assert!(e.message.contains("Permission denied"), "{}", e.message);
        let e = screen_share_unsupported("startScreenShare");
        assert_eq!(
            (e.code, e.extra_code),
            (ErrorCode::EnvNotSupported, Some(5205))
        );
        assert_eq!(e.function_name, "startScreenShare");
    }

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
