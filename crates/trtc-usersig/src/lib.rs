//! Tencent TLS-sig API v2 `userSig`: sign and verify.
//!
//! This crate owns the `userSig` format only: building one from `sdkAppId` + secret key +
//! `userId`, and checking one a client presents. It knows nothing about rooms, config files or
//! HTTP; the room server looks up the secret key for an `sdkAppId` and calls [`verify`] (for a
//! join, and for an admin API request signed as the admin identifier); its dev mode, the tests
//! and the load generator call [`sign`].
//!
//! # Format
//!
//! The same as Tencent's `tls-sig-api-v2` libraries (npm package `tls-sig-api-v2`, and its Go,
//! Java, Python, PHP… siblings), so tokens made by an existing backend verify here and tokens made
//! here verify at Tencent:
//!
//! 1. Content to sign, each line ending in `\n`:
//!    `TLS.identifier:<userId>`, `TLS.sdkappid:<sdkAppId>`, `TLS.time:<issued, unix s>`,
//!    `TLS.expire:<lifetime, s>` and, only when a userbuf is present,
//!    `TLS.userbuf:<standard base64 of the userbuf>`.
//! 2. `TLS.sig` = standard base64 (padded) of HMAC-SHA256 over that content, keyed with the UTF-8
//!    bytes of the secret key string.
//! 3. A JSON object, in this field order:
//!    `{"TLS.ver":"2.0","TLS.identifier":"…","TLS.sdkappid":N,"TLS.time":N,"TLS.expire":N,
//!    ["TLS.userbuf":"…",] "TLS.sig":"…"}`. The reference library writes the three numeric fields
//!    as JSON numbers; [`verify`] also accepts them as decimal strings.
//! 4. The JSON is zlib-compressed (deflate with the zlib header and checksum), encoded as standard
//!    base64, then `+` → `*`, `/` → `-`, `=` → `_`.
//!
//! # Invariants
//!
//! * **No IO and no clock reads.** Time is passed in as unix seconds (`now_unix`), so the crate
//!   works on `wasm32-unknown-unknown` and tests are deterministic.
//! * **Never panics on input.** Any string given to [`verify`] yields `Ok` or a [`VerifyError`].
//!   Input is bounded before work is done: a `userSig` longer than [`MAX_USER_SIG_LEN`] bytes is
//!   rejected before decoding, and decompression stops after [`MAX_JSON_LEN`] bytes of output, so
//!   a small "zlib bomb" cannot make it allocate more.
//! * **Constant-time signature check.** The HMAC tag is compared with [`hmac::Mac::verify_slice`],
//!   which compares in constant time.
//! * A token is valid from `time - MAX_CLOCK_SKEW_SECS` up to and including `time + expire`.
//!
//! # Example
//!
//! ```
//! let key = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
//! let now = 1_700_000_000;
//! let sig = trtc_usersig::sign(1400000000, key, "alice", 86400, now);
//!
//! let claims = trtc_usersig::verify(&sig, 1400000000, key, "alice", now + 60).unwrap();
//! assert_eq!(claims.identifier, "alice");
//! assert_eq!(claims.expires_at(), now + 86400);
//!
//! let err = trtc_usersig::verify(&sig, 1400000000, key, "bob", now).unwrap_err();
//! assert_eq!(err, trtc_usersig::VerifyError::WrongUser {
//!     expected: "bob".into(),
//!     found: "alice".into(),
//! });
//! assert_eq!(err.code(), trtc_usersig::code::WRONG_USER);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::borrow::Cow;
use std::fmt;
use std::io::Write as _;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use flate2::write::ZlibEncoder;
use flate2::{Compression, Decompress, FlushDecompress, Status};
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::Sha256;

/// Longest `userSig` [`verify`] will decode, in bytes. Real ones are 150–400 bytes.
pub const MAX_USER_SIG_LEN: usize = 4 * 1024;

/// Largest decompressed JSON document [`verify`] will accept, in bytes.
pub const MAX_JSON_LEN: usize = 16 * 1024;

/// How far in the future a `TLS.time` may lie before [`verify`] answers
/// [`VerifyError::NotYetValid`]: tolerance for the signing server's clock running ahead.
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;

/// The only `TLS.ver` this crate signs and accepts.
pub const TLS_VERSION: &str = "2.0";

pub mod code {
    //! Numeric error codes returned by [`VerifyError::code`](crate::VerifyError::code).
    //!
    //! Where Tencent documents a code for the same reason in its account-system error table
    //! (TRTC Web SDK "account errors", IM "账号错误码"), that code is used, so a developer who searches
    //! it finds Tencent's explanation. Everything else is TRTC's generic "userSig check failed".
    //!
    //! | reason | code |
    //! |---|---|
    //! | expired ([`VerifyError::Expired`](crate::VerifyError::Expired)) | [`EXPIRED`] = 70001 |
    //! | empty ([`VerifyError::Empty`](crate::VerifyError::Empty)) | [`EMPTY`] = 70002 |
    //! | wrong user ([`VerifyError::WrongUser`](crate::VerifyError::WrongUser)) | [`WRONG_USER`] = 70013 |
    //! | wrong app ([`VerifyError::WrongApp`](crate::VerifyError::WrongApp)) | [`WRONG_APP`] = 70014 |
    //! | bad signature, bad encoding, missing/invalid field, too long/large, not yet valid | [`CHECK_FAILED`] = -100018 |
    //!
    //! (-100013 is TRTC's `ACCOUNT_NO_MONEY` and is never used here.)

    /// TRTC's generic code for a failed userSig check ("UserSig 校验失败").
    pub const CHECK_FAILED: i32 = -100018;
    /// Tencent account error 70001: the userSig has expired.
    pub const EXPIRED: i32 = 70001;
    /// Tencent account error 70002: the userSig is empty.
    pub const EMPTY: i32 = 70002;
    /// Tencent account error 70013: the userId in the request differs from the userSig's.
    pub const WRONG_USER: i32 = 70013;
    /// Tencent account error 70014: the sdkAppId in the request differs from the userSig's.
    pub const WRONG_APP: i32 = 70014;
}

type HmacSha256 = Hmac<Sha256>;

/// Standard-alphabet base64 decoder that accepts input with or without `=` padding and with
/// non-zero trailing bits (Node's decoder is as lenient). The HMAC covers the JSON, not this
/// outer encoding, so leniency here cannot let a forged token through.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Longest user id echoed back inside a [`VerifyError::WrongUser`], in chars.
const MAX_ECHOED_USER_ID_CHARS: usize = 64;

/// What a valid `userSig` says, returned by [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// `TLS.identifier`: the userId the token was issued for.
    pub identifier: String,
    /// `TLS.sdkappid`.
    pub sdk_app_id: u64,
    /// `TLS.time`: when it was issued, unix seconds.
    pub time: u64,
    /// `TLS.expire`: lifetime in seconds from `time`.
    pub expire: u64,
    /// `TLS.userbuf`, decoded from base64, when present (e.g. a TRTC `privateMapKey`'s room and
    /// privilege bits). It is covered by the signature.
    pub userbuf: Option<Vec<u8>>,
}

impl Claims {
    /// Last valid second, `time + expire` (saturating).
    pub fn expires_at(&self) -> u64 {
        self.time.saturating_add(self.expire)
    }
}

/// Why [`verify`] rejected a `userSig`. `Display` gives a message that says what to do;
/// [`VerifyError::code`] gives the numeric code (see [`code`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// The userSig is empty (or only whitespace).
    Empty,
    /// The userSig is longer than [`MAX_USER_SIG_LEN`] bytes.
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The userSig is not base64 in the TLS-sig alphabet.
    Base64(String),
    /// The decoded bytes are not a complete zlib stream.
    Zlib(String),
    /// The zlib stream decompresses to more than [`MAX_JSON_LEN`] bytes.
    TooLarge,
    /// The decompressed document is not a JSON object.
    Json(String),
    /// A required `TLS.*` field is absent.
    MissingField(&'static str),
    /// A `TLS.*` field has the wrong type or value.
    InvalidField {
        /// The JSON field name, e.g. `"TLS.time"`.
        field: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// `TLS.sdkappid` differs from the sdkAppId of the request.
    WrongApp {
        /// The sdkAppId of the request.
        expected: u64,
        /// The sdkAppId inside the userSig.
        found: u64,
    },
    /// `TLS.identifier` differs from the userId of the request.
    WrongUser {
        /// The userId of the request (at most 64 chars kept).
        expected: String,
        /// The userId inside the userSig (at most 64 chars kept).
        found: String,
    },
    /// The HMAC does not match: signed with another key, or altered after signing.
    BadSignature,
    /// `now > time + expire`.
    Expired {
        /// `TLS.time`.
        time: u64,
        /// `TLS.expire`.
        expire: u64,
        /// The `now_unix` passed to [`verify`].
        now: u64,
    },
    /// `TLS.time` is more than [`MAX_CLOCK_SKEW_SECS`] after `now`.
    NotYetValid {
        /// `TLS.time`.
        time: u64,
        /// The `now_unix` passed to [`verify`].
        now: u64,
    },
}

impl VerifyError {
    /// The numeric code for this reason; see [`code`] for the table.
    pub fn code(&self) -> i32 {
        match self {
            VerifyError::Expired { .. } => code::EXPIRED,
            VerifyError::Empty => code::EMPTY,
            VerifyError::WrongUser { .. } => code::WRONG_USER,
            VerifyError::WrongApp { .. } => code::WRONG_APP,
            VerifyError::TooLong { .. }
            | VerifyError::Base64(_)
            | VerifyError::Zlib(_)
            | VerifyError::TooLarge
            | VerifyError::Json(_)
            | VerifyError::MissingField(_)
            | VerifyError::InvalidField { .. }
            | VerifyError::BadSignature
            | VerifyError::NotYetValid { .. } => code::CHECK_FAILED,
        }
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const REGENERATE: &str =
            "generate it with a TLS-sig API v2 library (e.g. the npm package tls-sig-api-v2)";
        match self {
            VerifyError::Empty => write!(
                f,
                "userSig is empty; pass the userSig your backend generated for this userId"
            ),
            VerifyError::TooLong { len } => write!(
                f,
                "userSig is {len} bytes, more than the {MAX_USER_SIG_LEN}-byte limit; \
                 it is not a TLS-sig v2 userSig, {REGENERATE}"
            ),
            VerifyError::Base64(detail) => write!(
                f,
                "userSig is not valid TLS-sig base64 ({detail}); pass it exactly as generated, \
                 not URL-encoded or cut short"
            ),
            VerifyError::Zlib(detail) => write!(
                f,
                "userSig does not decompress ({detail}); it is truncated or not a TLS-sig v2 \
                 userSig, {REGENERATE}"
            ),
            VerifyError::TooLarge => write!(
                f,
                "userSig decompresses to more than {MAX_JSON_LEN} bytes; rejected, {REGENERATE}"
            ),
            VerifyError::Json(detail) => write!(
                f,
                "userSig does not hold a JSON object ({detail}); {REGENERATE}"
            ),
            VerifyError::MissingField(field) => {
                write!(f, "userSig has no \"{field}\" field; {REGENERATE}")
            }
            VerifyError::InvalidField { field, detail } => write!(
                f,
                "userSig field \"{field}\" is invalid: {detail}; {REGENERATE}"
            ),
            VerifyError::WrongApp { expected, found } => write!(
                f,
                "userSig was issued for sdkAppId {found}, but the request is for sdkAppId \
                 {expected}; sign it with this app's sdkAppId and secret key"
            ),
            VerifyError::WrongUser { expected, found } => write!(
                f,
                "userSig was issued for userId {found:?}, but the request is for userId \
                 {expected:?}; generate a userSig for this userId"
            ),
            VerifyError::BadSignature => write!(
                f,
                "userSig signature does not match: it was signed with a different secret key \
                 or altered after signing; sign it with the secret key of this sdkAppId"
            ),
            VerifyError::Expired { time, expire, now } => write!(
                f,
                "userSig expired at {} (issued {time}, valid {expire} s, now {now}); \
                 generate a new one",
                time.saturating_add(*expire)
            ),
            VerifyError::NotYetValid { time, now } => write!(
                f,
                "userSig was issued at {time}, {} s after now ({now}), more than the allowed \
                 {MAX_CLOCK_SKEW_SECS} s clock skew; check the clock of the server that signs \
                 userSigs",
                time.saturating_sub(*now)
            ),
        }
    }
}

impl std::error::Error for VerifyError {}

/// Makes a `userSig` for `user_id` in app `sdk_app_id`, signed with the app's secret `key`,
/// issued at `now_unix` and valid for `expire_secs` seconds. Same output format as
/// `tls-sig-api-v2`'s `genUserSig(userid, expire)`.
pub fn sign(sdk_app_id: u64, key: &str, user_id: &str, expire_secs: u64, now_unix: u64) -> String {
    sign_doc(sdk_app_id, key, user_id, expire_secs, now_unix, None)
}

/// Like [`sign`], with a `TLS.userbuf` (covered by the signature), as `tls-sig-api-v2`'s
/// `genSig(userid, expire, userBuf)`; its `genPrivateMapKey` is this with a TRTC privilege
/// buffer. [`Claims::userbuf`] returns the bytes.
pub fn sign_with_userbuf(
    sdk_app_id: u64,
    key: &str,
    user_id: &str,
    expire_secs: u64,
    now_unix: u64,
    userbuf: &[u8],
) -> String {
    sign_doc(
        sdk_app_id,
        key,
        user_id,
        expire_secs,
        now_unix,
        Some(userbuf),
    )
}

/// The JSON document inside a userSig, in the field order Tencent's libraries write.
#[derive(Serialize)]
struct SigDoc<'a> {
    #[serde(rename = "TLS.ver")]
    ver: &'a str,
    #[serde(rename = "TLS.identifier")]
    identifier: &'a str,
    #[serde(rename = "TLS.sdkappid")]
    sdkappid: u64,
    #[serde(rename = "TLS.time")]
    time: u64,
    #[serde(rename = "TLS.expire")]
    expire: u64,
    #[serde(rename = "TLS.userbuf", skip_serializing_if = "Option::is_none")]
    userbuf: Option<&'a str>,
    #[serde(rename = "TLS.sig")]
    sig: &'a str,
}

fn sign_doc(
    sdk_app_id: u64,
    key: &str,
    user_id: &str,
    expire: u64,
    time: u64,
    userbuf: Option<&[u8]>,
) -> String {
    let userbuf = userbuf.map(|bytes| STANDARD.encode(bytes));
    let tag = signing_mac(
        key,
        user_id,
        &sdk_app_id.to_string(),
        &time.to_string(),
        &expire.to_string(),
        userbuf.as_deref(),
    )
    .finalize()
    .into_bytes();
    let sig = STANDARD.encode(tag);
    let doc = SigDoc {
        ver: TLS_VERSION,
        identifier: user_id,
        sdkappid: sdk_app_id,
        time,
        expire,
        userbuf: userbuf.as_deref(),
        sig: &sig,
    };
    let json = serde_json::to_vec(&doc).expect("a struct of strings and integers serializes");
    let mut zlib = ZlibEncoder::new(Vec::new(), Compression::default());
    zlib.write_all(&json).expect("writing to a Vec cannot fail");
    let compressed = zlib.finish().expect("writing to a Vec cannot fail");
    STANDARD
        .encode(compressed)
        .chars()
        .map(|c| match c {
            '+' => '*',
            '/' => '-',
            '=' => '_',
            c => c,
        })
        .collect()
}

/// HMAC-SHA256 keyed with `key`, fed the content-to-sign. Numbers are passed as the text the
/// signer concatenated, so a token whose JSON holds them as strings verifies too.
fn signing_mac(
    key: &str,
    identifier: &str,
    sdkappid: &str,
    time: &str,
    expire: &str,
    userbuf_base64: Option<&str>,
) -> HmacSha256 {
    let mut mac =
        HmacSha256::new_from_slice(key.as_bytes()).expect("HMAC accepts keys of any length");
    let lines = [
        ("TLS.identifier:", Some(identifier)),
        ("TLS.sdkappid:", Some(sdkappid)),
        ("TLS.time:", Some(time)),
        ("TLS.expire:", Some(expire)),
        ("TLS.userbuf:", userbuf_base64),
    ];
    for (label, value) in lines {
        if let Some(value) = value {
            mac.update(label.as_bytes());
            mac.update(value.as_bytes());
            mac.update(b"\n");
        }
    }
    mac
}

/// Checks that `user_sig` is a TLS-sig v2 userSig for `user_id` in app `sdk_app_id`, signed with
/// `key`, and valid at `now_unix`. Returns what it claims, or the first reason it fails, checked
/// in this order: encoding (length, base64, zlib, JSON, fields), app, user, signature, expiry,
/// issue time in the future.
pub fn verify(
    user_sig: &str,
    sdk_app_id: u64,
    key: &str,
    user_id: &str,
    now_unix: u64,
) -> Result<Claims, VerifyError> {
    let doc = decode_json(user_sig)?;

    let version = string_field(&doc, "TLS.ver")?;
    if version != TLS_VERSION {
        return Err(VerifyError::InvalidField {
            field: "TLS.ver",
            detail: format!(
                "version {:?} is not supported, only \"{TLS_VERSION}\" (TLS-sig API v2)",
                clip(version)
            ),
        });
    }
    let identifier = string_field(&doc, "TLS.identifier")?;
    let (app, app_text) = integer_field(&doc, "TLS.sdkappid")?;
    let (time, time_text) = integer_field(&doc, "TLS.time")?;
    let (expire, expire_text) = integer_field(&doc, "TLS.expire")?;
    let sig = string_field(&doc, "TLS.sig")?;
    let userbuf_base64 = match doc.get("TLS.userbuf") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => {
            return Err(VerifyError::InvalidField {
                field: "TLS.userbuf",
                detail: "must be a base64 string".into(),
            })
        }
    };
    let userbuf = userbuf_base64
        .map(|b64| {
            LENIENT_BASE64
                .decode(b64)
                .map_err(|e| VerifyError::InvalidField {
                    field: "TLS.userbuf",
                    detail: format!("not base64 ({e})"),
                })
        })
        .transpose()?;

    if app != sdk_app_id {
        return Err(VerifyError::WrongApp {
            expected: sdk_app_id,
            found: app,
        });
    }
    if identifier != user_id {
        return Err(VerifyError::WrongUser {
            expected: clip(user_id),
            found: clip(identifier),
        });
    }

    let mac = signing_mac(
        key,
        identifier,
        &app_text,
        &time_text,
        &expire_text,
        userbuf_base64,
    );
    let tag = LENIENT_BASE64
        .decode(sig)
        .map_err(|_| VerifyError::BadSignature)?;
    // Constant-time comparison; also rejects a tag of the wrong length.
    mac.verify_slice(&tag)
        .map_err(|_| VerifyError::BadSignature)?;

    if now_unix > time.saturating_add(expire) {
        return Err(VerifyError::Expired {
            time,
            expire,
            now: now_unix,
        });
    }
    if time > now_unix.saturating_add(MAX_CLOCK_SKEW_SECS) {
        return Err(VerifyError::NotYetValid {
            time,
            now: now_unix,
        });
    }

    Ok(Claims {
        identifier: identifier.to_owned(),
        sdk_app_id: app,
        time,
        expire,
        userbuf,
    })
}

/// Undoes the outer layers: TLS-sig base64 → zlib → JSON object. Bounded in input and output.
fn decode_json(user_sig: &str) -> Result<Map<String, Value>, VerifyError> {
    let user_sig = user_sig.trim_matches(|c: char| c.is_ascii_whitespace());
    if user_sig.is_empty() {
        return Err(VerifyError::Empty);
    }
    if user_sig.len() > MAX_USER_SIG_LEN {
        return Err(VerifyError::TooLong {
            len: user_sig.len(),
        });
    }
    let base64: Vec<u8> = user_sig
        .bytes()
        .map(|b| match b {
            b'*' => b'+',
            b'-' => b'/',
            b'_' => b'=',
            b => b,
        })
        .collect();
    let compressed = LENIENT_BASE64
        .decode(&base64)
        .map_err(|e| VerifyError::Base64(e.to_string()))?;

    // Output space is fixed at MAX_JSON_LEN + 1 bytes: the decoder cannot write past it, so a
    // highly compressible input costs at most that much memory.
    let mut json = Vec::with_capacity(MAX_JSON_LEN + 1);
    let mut zlib = Decompress::new(true);
    match zlib.decompress_vec(&compressed, &mut json, FlushDecompress::Finish) {
        Ok(Status::StreamEnd) => {}
        Ok(_) if json.len() > MAX_JSON_LEN => return Err(VerifyError::TooLarge),
        Ok(_) => return Err(VerifyError::Zlib("truncated zlib stream".into())),
        Err(e) => return Err(VerifyError::Zlib(e.to_string())),
    }
    if json.len() > MAX_JSON_LEN {
        return Err(VerifyError::TooLarge);
    }

    match serde_json::from_slice::<Value>(&json) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(VerifyError::Json("top level is not an object".into())),
        Err(e) => Err(VerifyError::Json(e.to_string())),
    }
}

fn string_field<'a>(
    doc: &'a Map<String, Value>,
    field: &'static str,
) -> Result<&'a str, VerifyError> {
    match doc.get(field) {
        None => Err(VerifyError::MissingField(field)),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(VerifyError::InvalidField {
            field,
            detail: "must be a string".into(),
        }),
    }
}

/// A non-negative integer given as a JSON number or a decimal string; returns the value and the
/// text the signer concatenated into the content-to-sign.
fn integer_field<'a>(
    doc: &'a Map<String, Value>,
    field: &'static str,
) -> Result<(u64, Cow<'a, str>), VerifyError> {
    let invalid = || VerifyError::InvalidField {
        field,
        detail: "must be a non-negative integer (a JSON number or a decimal string)".into(),
    };
    match doc.get(field) {
        None => Err(VerifyError::MissingField(field)),
        Some(Value::Number(n)) => {
            let v = n.as_u64().ok_or_else(invalid)?;
            Ok((v, v.to_string().into()))
        }
        Some(Value::String(s)) => {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid());
            }
            let v = s.parse::<u64>().map_err(|_| invalid())?;
            Ok((v, s.as_str().into()))
        }
        Some(_) => Err(invalid()),
    }
}

/// At most [`MAX_ECHOED_USER_ID_CHARS`] chars of `s`, with `…` when cut, for error messages.
fn clip(s: &str) -> String {
    match s.char_indices().nth(MAX_ECHOED_USER_ID_CHARS) {
        None => s.to_owned(),
        Some((end, _)) => format!("{}…", &s[..end]),
    }
}

/// Time-limited TURN credentials in the shared-secret scheme coturn checks with
/// `use-auth-secret` / `static-auth-secret` (the "TURN REST API"): the username is
/// `expiry:userId` (expiry in unix seconds), the password the base64 HMAC-SHA1 of the username
/// keyed with the secret. Returns `(username, credential)`.
pub fn turn_credential(secret: &str, user_id: &str, expiry_unix: u64) -> (String, String) {
    let username = format!("{expiry_unix}:{user_id}");
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(username.as_bytes());
    let credential = STANDARD.encode(mac.finalize().into_bytes());
    (username, credential)
}

#[cfg(test)]
mod turn_tests {
    use super::turn_credential;

    #[test]
    fn turn_credential_is_coturns_shared_secret_scheme() {
        // Checked against coturn's scheme with a reference computation:
        // printf '%s' '1700000000:alice' | openssl dgst -sha1 -hmac 'north' -binary | base64
        let (u, c) = turn_credential("north", "alice", 1_700_000_000);
        assert_eq!(u, "1700000000:alice");
        assert_eq!(c, "Cd/49soE35ICqcJF/bCTn8Z4OyE=");
    }
}
