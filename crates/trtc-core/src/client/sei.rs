//! `sendSEIMessage` (reference §4.7): its checks in trtc-sdk-v5's order — 5207 (no encoded
//! transforms), 5108 (not enabled in `create`), the parameters, 5018, 5017, then 5101 (not
//! joined) and, only when an `options` object is passed, 5109 (the stream is not published) —
//! and its per-second limits (counted apart from `sendCustomMessage`'s). The framing is
//! [`crate::sei`]'s; the glue queues a passed message on the sender of the stream.

use super::*;
use crate::error::{extra, ErrorCode};
use crate::validate::{validate, Lit, Rule, Ty};
use crate::value::Value;
use trtc_proto::MAX_CUSTOM_BYTES;

const F: &str = "sendSEIMessage";

const BUFFER: Rule = Rule {
    key: "buffer",
    required: true,
    types: &[Ty::ArrayBuffer],
    ..Rule::DEFAULT
};

const OPTION_PROPS: &[Rule] = &[
    Rule {
        key: "seiPayloadType",
        types: &[Ty::Number],
        values: &[Lit::Num(5.0), Lit::Num(243.0)],
        ..Rule::DEFAULT
    },
    Rule {
        key: "toSubStream",
        types: &[Ty::Boolean],
        ..Rule::DEFAULT
    },
];

const OPTIONS: Rule = Rule {
    key: "options",
    types: &[Ty::Object],
    properties: OPTION_PROPS,
    ..Rule::DEFAULT
};

/// A checked `sendSEIMessage` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeiSend {
    /// `seiPayloadType`: 5 or 243 (the default).
    pub payload_type: u8,
    /// `toSubStream`: with the shared screen's video instead of the camera's.
    pub to_sub: bool,
    /// An `options` object was passed: the stream must be published (5109).
    pub check_published: bool,
}

fn invalid(extra_code: i32, message: &str) -> RtcErrorInfo {
    RtcErrorInfo::new(ErrorCode::InvalidOperation, Some(extra_code), F, message)
}

/// The checks that need no room. `supported`: the browser has encoded transforms;
/// `enabled`: `TRTC.create({enableSEI: true})`; `len`: the buffer's byte length.
pub fn check_sei(
    supported: bool,
    enabled: bool,
    buffer: &Value,
    len: usize,
    options: &Value,
) -> Result<SeiSend, RtcErrorInfo> {
    if !supported {
        return Err(RtcErrorInfo::new(
            ErrorCode::EnvNotSupported,
            Some(extra::NOT_SUPPORTED_SEI),
            F,
            "this browser cannot add data to encoded video (no RTCRtpSender.createEncodedStreams): no SEI messages.",
        ));
    }
    if !enabled {
        return Err(invalid(
            extra::NOT_ENABLE_SEI,
            "SEI is off: create the client with TRTC.create({enableSEI: true}) to call sendSEIMessage().",
        ));
    }
    validate(&BUFFER, buffer, F)?;
    validate(&OPTIONS, options, F)?;
    if len > MAX_CUSTOM_BYTES {
        return Err(RtcErrorInfo::invalid_parameter(
            extra::BUFFER_OVERSIZE,
            F,
            "'buffer' is over 1000 bytes: split the message.",
        ));
    }
    if len == 0 {
        return Err(RtcErrorInfo::invalid_parameter(
            extra::BUFFER_EMPTY,
            F,
            "'buffer' is an empty ArrayBuffer: send 1 to 1000 bytes.",
        ));
    }
    Ok(SeiSend {
        payload_type: match options.get("seiPayloadType") {
            Value::Number(n) if *n == 5.0 => 5,
            _ => 243,
        },
        to_sub: matches!(options.get("toSubStream"), Value::Bool(true)),
        check_published: matches!(options, Value::Object(_)),
    })
}

impl RoomClient {
    /// The room checks of a [`check_sei`]-checked call of `len` bytes, and its per-second
    /// limits: `Ok` when the message may be queued on the stream's sender.
    pub fn send_sei(&mut self, send: &SeiSend, len: usize, now: f64) -> Result<(), CustomRefused> {
        if self.joined_conn().is_none() {
            return Err(CustomRefused::Rejected(invalid(
                extra::NOT_JOINED,
                "sendSEIMessage() needs a joined room: call it after enterRoom() resolves.",
            )));
        }
        let published = self.role() != Some(Role::Audience)
            && if send.to_sub {
                self.local.screen
            } else {
                self.local.video
            };
        if send.check_published && !published {
            return Err(CustomRefused::Rejected(invalid(
                extra::NEED_CALL_PUBLISHED,
                if send.to_sub {
                    "toSubStream needs a published screen share: call startScreenShare() before sendSEIMessage()."
                } else {
                    "SEI goes with the published camera video: call startLocalVideo() before sendSEIMessage()."
                },
            )));
        }
        self.sei_rate.admit(F, len, now)
    }
}
