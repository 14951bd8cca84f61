//! Helpers shared by the integration tests: the outer userSig layers (TLS-sig base64 and zlib),
//! written independently of the crate so tests can look inside tokens and forge altered ones.

#![allow(dead_code)]

use std::io::{Read, Write};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;

/// Standard base64, then `+` → `*`, `/` → `-`, `=` → `_`.
pub fn tls_base64(bytes: &[u8]) -> String {
    STANDARD
        .encode(bytes)
        .replace('+', "*")
        .replace('/', "-")
        .replace('=', "_")
}

pub fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut enc = ZlibEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// A userSig whose JSON document is exactly `json`.
pub fn encode_json(json: &str) -> String {
    tls_base64(&zlib(json.as_bytes()))
}

/// The JSON document inside a userSig, as text (panics on a malformed one: tests only).
pub fn decode_json(user_sig: &str) -> String {
    let b64 = user_sig
        .replace('*', "+")
        .replace('-', "/")
        .replace('_', "=");
    let compressed = STANDARD.decode(b64).unwrap();
    let mut json = String::new();
    ZlibDecoder::new(&compressed[..])
        .read_to_string(&mut json)
        .unwrap();
    json
}

/// The JSON document inside a userSig, parsed (field order kept as a list of pairs is not
/// needed: compare `decode_json` text for order).
pub fn decode_doc(user_sig: &str) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::from_str(&decode_json(user_sig)).unwrap() {
        serde_json::Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// Re-encodes a userSig after `edit` changed its JSON document (the signature is kept as is).
pub fn tamper(
    user_sig: &str,
    edit: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
) -> String {
    let mut doc = decode_doc(user_sig);
    edit(&mut doc);
    encode_json(&serde_json::Value::Object(doc).to_string())
}
