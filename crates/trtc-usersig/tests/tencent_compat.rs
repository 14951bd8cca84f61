//! Compatibility with Tencent's own library: userSigs made by the npm package `tls-sig-api-v2`
//! verify here, and ours carry the same JSON document.
//!
//! The fixtures in `fixtures/tls-sig-api-v2.json` were produced by `fixtures/generate.mjs`; the
//! comment at its top says how to regenerate them. They are valid for 20 years from their `time`,
//! and the tests verify at `time + 60` anyway.

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::Deserialize;
use trtc_usersig::{sign, sign_with_userbuf, verify, Claims, VerifyError};

#[derive(Deserialize)]
struct Fixtures {
    package: String,
    version: String,
    cases: Vec<Fixture>,
}

#[derive(Deserialize)]
struct Fixture {
    name: String,
    method: String,
    sdkappid: u64,
    key: String,
    userid: String,
    expire: u64,
    time: u64,
    /// Standard base64, as in the JSON document.
    userbuf: Option<String>,
    /// The JSON document the package compressed, exactly.
    json: String,
    usersig: String,
}

fn fixtures() -> Fixtures {
    let fixtures: Fixtures =
        serde_json::from_str(include_str!("fixtures/tls-sig-api-v2.json")).unwrap();
    assert_eq!(fixtures.package, "tls-sig-api-v2");
    assert!(!fixtures.version.is_empty());
    assert!(fixtures.cases.len() >= 5);
    assert!(fixtures.cases.iter().any(|f| f.userbuf.is_some()));
    fixtures
}

impl Fixture {
    fn userbuf_bytes(&self) -> Option<Vec<u8>> {
        self.userbuf.as_ref().map(|b| STANDARD.decode(b).unwrap())
    }
    fn verify_at(&self, user_sig: &str, now: u64) -> Result<Claims, VerifyError> {
        verify(user_sig, self.sdkappid, &self.key, &self.userid, now)
    }
}

#[test]
fn user_sigs_made_by_tls_sig_api_v2_verify() {
    let f = fixtures();
    for case in &f.cases {
        let claims = case
            .verify_at(&case.usersig, case.time + 60)
            .unwrap_or_else(|e| panic!("{} ({}): {e}", case.name, case.method));
        assert_eq!(
            claims,
            Claims {
                identifier: case.userid.clone(),
                sdk_app_id: case.sdkappid,
                time: case.time,
                expire: case.expire,
                userbuf: case.userbuf_bytes(),
            },
            "{}",
            case.name
        );
    }
}

#[test]
fn user_sigs_made_by_tls_sig_api_v2_are_rejected_for_the_wrong_key_user_app_or_time() {
    for case in &fixtures().cases {
        let now = case.time + 60;
        let sig = &case.usersig;
        let wrong_key = format!("{}x", case.key);
        assert_eq!(
            verify(sig, case.sdkappid, &wrong_key, &case.userid, now),
            Err(VerifyError::BadSignature),
            "{}",
            case.name
        );
        assert!(
            matches!(
                verify(sig, case.sdkappid, &case.key, "someone-else", now),
                Err(VerifyError::WrongUser { .. })
            ),
            "{}",
            case.name
        );
        assert!(
            matches!(
                verify(sig, case.sdkappid + 1, &case.key, &case.userid, now),
                Err(VerifyError::WrongApp { .. })
            ),
            "{}",
            case.name
        );
        assert!(
            matches!(
                case.verify_at(sig, case.time + case.expire + 1),
                Err(VerifyError::Expired { .. })
            ),
            "{}",
            case.name
        );
    }
}

#[test]
fn our_sign_writes_the_same_json_document_as_tls_sig_api_v2() {
    // Same inputs and time → byte-identical JSON: same fields, order, types, escaping and HMAC.
    // (The compressed bytes may differ: zlib implementations need not agree.)
    for case in &fixtures().cases {
        let ours = match case.userbuf_bytes() {
            None => sign(
                case.sdkappid,
                &case.key,
                &case.userid,
                case.expire,
                case.time,
            ),
            Some(buf) => sign_with_userbuf(
                case.sdkappid,
                &case.key,
                &case.userid,
                case.expire,
                case.time,
                &buf,
            ),
        };
        assert_eq!(common::decode_json(&ours), case.json, "{}", case.name);
        assert_eq!(
            common::decode_json(&case.usersig),
            case.json,
            "{}",
            case.name
        );
    }
}

#[test]
fn our_sign_has_the_field_set_and_types_of_tls_sig_api_v2() {
    use serde_json::Value;
    fn shape(doc: &serde_json::Map<String, Value>) -> Vec<(String, &'static str)> {
        let mut v: Vec<(String, &'static str)> = doc
            .iter()
            .map(|(k, v)| {
                let kind = match v {
                    Value::String(_) => "string",
                    Value::Number(n) if n.is_u64() => "integer",
                    _ => "other",
                };
                (k.clone(), kind)
            })
            .collect();
        // A set: serde_json keeps insertion order when another crate enables preserve_order.
        v.sort();
        v
    }
    let f = fixtures();
    let plain = f.cases.iter().find(|c| c.userbuf.is_none()).unwrap();
    let with_buf = f.cases.iter().find(|c| c.userbuf.is_some()).unwrap();
    let ours_plain = sign(1400000000, "k", "alice", 600, 1_700_000_000);
    let ours_buf = sign_with_userbuf(1400000000, "k", "alice", 600, 1_700_000_000, b"buf");
    let theirs_plain = serde_json::from_str(&plain.json).unwrap();
    let theirs_buf = serde_json::from_str(&with_buf.json).unwrap();
    assert_eq!(
        shape(&common::decode_doc(&ours_plain)),
        shape(&theirs_plain)
    );
    assert_eq!(shape(&common::decode_doc(&ours_buf)), shape(&theirs_buf));
    // A set (the Map sorts keys); the order is checked by the byte-identical JSON test.
    let mut want = [
        ("TLS.ver", "string"),
        ("TLS.identifier", "string"),
        ("TLS.sdkappid", "integer"),
        ("TLS.time", "integer"),
        ("TLS.expire", "integer"),
        ("TLS.userbuf", "string"),
        ("TLS.sig", "string"),
    ]
    .map(|(k, t)| (k.to_owned(), t));
    want.sort();
    assert_eq!(shape(&theirs_buf), want);
}

#[test]
fn numeric_fields_written_as_strings_also_verify() {
    // Some signers write sdkappid/time/expire as JSON strings; the signed text is the same.
    for case in &fixtures().cases {
        let mut json = case.json.clone();
        for (field, value) in [
            ("TLS.sdkappid", case.sdkappid),
            ("TLS.time", case.time),
            ("TLS.expire", case.expire),
        ] {
            let number = format!("\"{field}\":{value}");
            assert!(json.contains(&number), "{}: {number}", case.name);
            json = json.replace(&number, &format!("\"{field}\":\"{value}\""));
        }
        let sig = common::encode_json(&json);
        let claims = case.verify_at(&sig, case.time + 60).unwrap();
        assert_eq!(claims.time, case.time, "{}", case.name);
    }
}

#[test]
fn private_map_keys_from_the_npm_generator_grant_their_room_and_privileges() {
    use trtc_usersig::private_map::{verify_private_map_key, PrivateRoom};
    let f = fixtures();
    let mut seen = 0;
    for c in &f.cases {
        let want = match c.method.as_str() {
            "genPrivateMapKey" => (PrivateRoom::Num(10000), 255),
            "genPrivateMapKeyWithStringRoomID" => (PrivateRoom::Str("room-1000000040".into()), 42),
            _ => continue,
        };
        let m = verify_private_map_key(&c.usersig, c.sdkappid, &c.key, &c.userid, c.time + 60)
            .unwrap_or_else(|e| panic!("{}: {e}", c.name));
        assert_eq!((m.room, m.privileges), want, "{}", c.name);
        assert!(m.expires_at > c.time, "{}", c.name);
        seen += 1;
    }
    assert_eq!(seen, 2);
}
