//! `sendCustomMessage` and `CUSTOM_MESSAGE` (reference §4.7): the checks in trtc-sdk-v5's order,
//! its per-second limits, and the relay over the signalling socket (ordered and reliable like
//! the socket; the server relays to everyone else in the room and numbers each sender's
//! messages).

use super::*;
use crate::error::{extra, ErrorCode};
use crate::validate::{validate, Rule, Ty};
use crate::value::Value;
use trtc_proto::{CUSTOM_BYTES_PER_SEC, CUSTOM_PER_SEC, MAX_CUSTOM_BYTES};

const F: &str = "sendCustomMessage";

const MESSAGE_PROPS: &[Rule] = &[
    Rule {
        key: "cmdId",
        required: true,
        types: &[Ty::Number],
        min: Some(1.0),
        max: Some(10.0),
        ..Rule::DEFAULT
    },
    Rule {
        key: "data",
        required: true,
        types: &[Ty::ArrayBuffer],
        ..Rule::DEFAULT
    },
];

/// `sendCustomMessage(message)`.
pub const MESSAGE: Rule = Rule {
    key: "message",
    required: true,
    types: &[Ty::Object],
    properties: MESSAGE_PROPS,
    ..Rule::DEFAULT
};

/// The parameter checks: the `cmdId` when they pass. `data_len` is the `data` buffer's byte
/// length (the glue reads it).
pub fn check_message(message: &Value, data_len: usize) -> Result<u8, RtcErrorInfo> {
    validate(&MESSAGE, message, F)?;
    let cmd = message.get("cmdId").as_f64().unwrap_or_default();
    if cmd.fract() != 0.0 {
        return Err(RtcErrorInfo::invalid_parameter(
            extra::TYPE,
            F,
            "'cmdId' must be an integer from 1 to 10 when calling sendCustomMessage().",
        ));
    }
    if data_len == 0 {
        return Err(RtcErrorInfo::invalid_parameter(
            extra::BUFFER_EMPTY,
            F,
            "'data' is an empty ArrayBuffer: send 1 to 1000 bytes.",
        ));
    }
    if data_len > MAX_CUSTOM_BYTES {
        return Err(RtcErrorInfo::invalid_parameter(
            extra::BUFFER_OVERSIZE,
            F,
            "'data' is over 1000 bytes: split the message.",
        ));
    }
    Ok(cmd as u8)
}

/// Why a custom or SEI message was not sent.
#[derive(Debug, Clone, PartialEq)]
pub enum CustomRefused {
    /// A rejected promise: not joined (5101) or an audience (5107).
    Rejected(RtcErrorInfo),
    /// Over 30 calls or 8000 bytes in a second: thrown at once, as trtc-sdk-v5 throws it (a
    /// plain error with this message, not an `RtcError`).
    Thrown(String),
}

/// The calls and bytes of the current one-second window of one API (`sendCustomMessage` and
/// `sendSEIMessage` count apart).
#[derive(Debug, Default)]
pub(super) struct Rate {
    start: f64,
    calls: u32,
    bytes: usize,
}

impl Rate {
    /// Counts a call of `len` bytes at `now`; over 30 calls or 8000 bytes in the second, the
    /// message trtc-sdk-v5 throws for `api`, and nothing is counted.
    pub(super) fn admit(&mut self, api: &str, len: usize, now: f64) -> Result<(), CustomRefused> {
        if now - self.start >= 1000.0 {
            *self = Rate {
                start: now,
                calls: 0,
                bytes: 0,
            };
        }
        let over = if self.calls >= CUSTOM_PER_SEC {
            " call times is over 30 in a second."
        } else if self.bytes + len > CUSTOM_BYTES_PER_SEC {
            " size is over 8000 in a second."
        } else {
            self.calls += 1;
            self.bytes += len;
            return Ok(());
        };
        Err(CustomRefused::Thrown(["api ", api, over].concat()))
    }
}

impl RoomClient {
    /// Sends a checked custom message ([`check_message`]) to everyone else in the room.
    pub fn send_custom(&mut self, cmd_id: u8, data: &[u8], now: f64) -> Result<(), CustomRefused> {
        let conn =
            match (self.joined_conn(), self.role()) {
                (Some(_), Some(Role::Audience)) => {
                    return Err(CustomRefused::Rejected(RtcErrorInfo::new(
                        ErrorCode::InvalidOperation,
                        Some(extra::ROLE_AUDIENCE),
                        F,
                        "an audience cannot send custom messages: switchRole('anchor') first.",
                    )))
                }
                (Some(conn), _) => conn,
                _ => return Err(CustomRefused::Rejected(RtcErrorInfo::new(
                    ErrorCode::InvalidOperation,
                    Some(extra::NOT_JOINED),
                    F,
                    "sendCustomMessage() needs a joined room: call it after enterRoom() resolves.",
                ))),
            };
        self.custom_rate.admit(F, data.len(), now)?;
        self.push(Effect::Send {
            conn,
            msg: ClientMsg::Custom {
                cmd_id,
                data: trtc_proto::b64::encode(data),
            },
        });
        Ok(())
    }

    /// A custom message relayed by the server.
    pub(super) fn custom_received(&mut self, user_id: String, cmd_id: u8, seq: u64, data: &str) {
        match trtc_proto::b64::decode(data) {
            Some(data) => self.emit(Event::Custom {
                user_id,
                cmd_id,
                seq,
                data,
            }),
            None => self.log_warn("ignored a custom message whose data is not base64"),
        }
    }
}
