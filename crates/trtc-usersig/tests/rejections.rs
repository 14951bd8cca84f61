//! Every reason `verify` rejects a userSig: the variant, its numeric code, and a message that
//! tells the developer what to do.

mod common;

use serde_json::{json, Value};
use trtc_usersig::{code, sign, sign_with_userbuf, verify, VerifyError, MAX_CLOCK_SKEW_SECS};

const APP: u64 = 1400000000;
const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const NOW: u64 = 1_700_000_000;
const EXPIRE: u64 = 86400;

fn good() -> String {
    sign(APP, KEY, "alice", EXPIRE, NOW)
}

fn field_set(name: &'static str, value: Value) -> impl FnOnce(&mut serde_json::Map<String, Value>) {
    move |doc| {
        doc.insert(name.to_owned(), value);
    }
}

struct Case {
    name: &'static str,
    user_sig: String,
    app: u64,
    key: &'static str,
    user: &'static str,
    now: u64,
    want: VerifyError,
    code: i32,
    /// Words the message must contain.
    says: &'static [&'static str],
}

fn case(
    name: &'static str,
    user_sig: String,
    want: VerifyError,
    code: i32,
    says: &'static [&'static str],
) -> Case {
    Case {
        name,
        user_sig,
        app: APP,
        key: KEY,
        user: "alice",
        now: NOW,
        want,
        code,
        says,
    }
}

fn invalid(field: &'static str, detail: &str) -> VerifyError {
    VerifyError::InvalidField {
        field,
        detail: detail.to_owned(),
    }
}

const NOT_INTEGER: &str = "must be a non-negative integer (a JSON number or a decimal string)";

#[test]
fn each_failure_reason_is_reported_with_its_code_and_a_message() {
    let flip_sig = common::tamper(&good(), |doc| {
        let sig = doc["TLS.sig"].as_str().unwrap();
        let flipped = if sig.starts_with('A') { "B" } else { "A" };
        let new = format!("{flipped}{}", &sig[1..]);
        doc.insert("TLS.sig".into(), Value::String(new));
    });
    let cases = vec![
        case(
            "tampered signature",
            flip_sig,
            VerifyError::BadSignature,
            code::CHECK_FAILED,
            &["signature", "secret key"],
        ),
        case(
            "signature that is not base64",
            common::tamper(&good(), field_set("TLS.sig", json!("!!"))),
            VerifyError::BadSignature,
            code::CHECK_FAILED,
            &["signature"],
        ),
        case(
            "truncated signature",
            common::tamper(&good(), |doc| {
                let sig = doc["TLS.sig"].as_str().unwrap()[..20].to_owned();
                doc.insert("TLS.sig".into(), Value::String(sig));
            }),
            VerifyError::BadSignature,
            code::CHECK_FAILED,
            &["signature"],
        ),
        Case {
            user: "mallory",
            ..case(
                "identifier changed inside the JSON, old signature kept",
                common::tamper(&good(), field_set("TLS.identifier", json!("mallory"))),
                VerifyError::BadSignature,
                code::CHECK_FAILED,
                &["altered"],
            )
        },
        Case {
            now: NOW + 10 * EXPIRE,
            ..case(
                "expire lengthened inside the JSON, old signature kept",
                common::tamper(&good(), field_set("TLS.expire", json!(100 * EXPIRE))),
                VerifyError::BadSignature,
                code::CHECK_FAILED,
                &["signature"],
            )
        },
        case(
            "userbuf added inside the JSON, old signature kept",
            common::tamper(&good(), field_set("TLS.userbuf", json!("AAAA"))),
            VerifyError::BadSignature,
            code::CHECK_FAILED,
            &["signature"],
        ),
        case(
            "userbuf removed from the JSON, old signature kept",
            common::tamper(
                &sign_with_userbuf(APP, KEY, "alice", EXPIRE, NOW, b"room"),
                |doc| {
                    doc.remove("TLS.userbuf");
                },
            ),
            VerifyError::BadSignature,
            code::CHECK_FAILED,
            &["signature"],
        ),
        Case {
            key: "not the key",
            ..case(
                "wrong key",
                good(),
                VerifyError::BadSignature,
                code::CHECK_FAILED,
                &["different secret key"],
            )
        },
        Case {
            user: "bob",
            ..case(
                "wrong user",
                good(),
                VerifyError::WrongUser {
                    expected: "bob".into(),
                    found: "alice".into(),
                },
                code::WRONG_USER,
                &["\"alice\"", "\"bob\"", "generate a userSig for this userId"],
            )
        },
        Case {
            user: "Alice",
            ..case(
                "user ids are case-sensitive",
                good(),
                VerifyError::WrongUser {
                    expected: "Alice".into(),
                    found: "alice".into(),
                },
                code::WRONG_USER,
                &["userId"],
            )
        },
        Case {
            app: 1400000001,
            ..case(
                "wrong app",
                good(),
                VerifyError::WrongApp {
                    expected: 1400000001,
                    found: APP,
                },
                code::WRONG_APP,
                &["1400000000", "1400000001", "sdkAppId"],
            )
        },
        Case {
            now: NOW + EXPIRE + 1,
            ..case(
                "expired one second after time + expire",
                good(),
                VerifyError::Expired {
                    time: NOW,
                    expire: EXPIRE,
                    now: NOW + EXPIRE + 1,
                },
                code::EXPIRED,
                &[
                    "expired at 1700086400",
                    "issued 1700000000",
                    "valid 86400 s",
                    "generate a new one",
                ],
            )
        },
        Case {
            now: NOW + 10,
            ..case(
                "zero lifetime",
                sign(APP, KEY, "alice", 0, NOW),
                VerifyError::Expired {
                    time: NOW,
                    expire: 0,
                    now: NOW + 10,
                },
                code::EXPIRED,
                &["expired"],
            )
        },
        Case {
            now: NOW - MAX_CLOCK_SKEW_SECS - 1,
            ..case(
                "issued further in the future than the allowed clock skew",
                good(),
                VerifyError::NotYetValid {
                    time: NOW,
                    now: NOW - MAX_CLOCK_SKEW_SECS - 1,
                },
                code::CHECK_FAILED,
                &["301 s after now", "clock"],
            )
        },
        case(
            "empty",
            String::new(),
            VerifyError::Empty,
            code::EMPTY,
            &["empty"],
        ),
        case(
            "only whitespace",
            " \n\t".into(),
            VerifyError::Empty,
            code::EMPTY,
            &["empty"],
        ),
        case(
            "invalid base64",
            "eJyr!!!not*base64".into(),
            VerifyError::Base64("Invalid symbol 33, offset 4.".into()),
            code::CHECK_FAILED,
            &["base64"],
        ),
        case(
            "base64 but not zlib",
            common::tls_base64(b"hello, world"),
            VerifyError::Zlib("deflate decompression error".into()),
            code::CHECK_FAILED,
            &["decompress"],
        ),
        case(
            "zlib stream cut before its end",
            {
                let z = common::zlib(br#"{"TLS.ver":"2.0","TLS.identifier":"alice"}"#);
                common::tls_base64(&z[..z.len() - 6])
            },
            VerifyError::Zlib("truncated zlib stream".into()),
            code::CHECK_FAILED,
            &["truncated"],
        ),
        case(
            "zlib stream missing only its checksum",
            {
                let z = common::zlib(br#"{"TLS.ver":"2.0"}"#);
                common::tls_base64(&z[..z.len() - 4])
            },
            VerifyError::Zlib("truncated zlib stream".into()),
            code::CHECK_FAILED,
            &["truncated"],
        ),
        case(
            "zlib stream with a bad checksum",
            {
                let mut z = common::zlib(br#"{"TLS.ver":"2.0"}"#);
                let last = z.len() - 1;
                z[last] ^= 1;
                common::tls_base64(&z)
            },
            VerifyError::Zlib("deflate decompression error".into()),
            code::CHECK_FAILED,
            &["decompress"],
        ),
        case(
            "not JSON",
            common::encode_json("TLS.ver=2.0"),
            VerifyError::Json("expected value at line 1 column 1".into()),
            code::CHECK_FAILED,
            &["JSON"],
        ),
        case(
            "JSON but not an object",
            common::encode_json(r#"["TLS.ver","2.0"]"#),
            VerifyError::Json("top level is not an object".into()),
            code::CHECK_FAILED,
            &["JSON object"],
        ),
        case(
            "missing signature",
            common::tamper(&good(), |doc| {
                doc.remove("TLS.sig");
            }),
            VerifyError::MissingField("TLS.sig"),
            code::CHECK_FAILED,
            &["\"TLS.sig\"", "tls-sig-api-v2"],
        ),
        case(
            "missing identifier",
            common::tamper(&good(), |doc| {
                doc.remove("TLS.identifier");
            }),
            VerifyError::MissingField("TLS.identifier"),
            code::CHECK_FAILED,
            &["TLS.identifier"],
        ),
        case(
            "missing time",
            common::tamper(&good(), |doc| {
                doc.remove("TLS.time");
            }),
            VerifyError::MissingField("TLS.time"),
            code::CHECK_FAILED,
            &["TLS.time"],
        ),
        case(
            "missing version",
            common::tamper(&good(), |doc| {
                doc.remove("TLS.ver");
            }),
            VerifyError::MissingField("TLS.ver"),
            code::CHECK_FAILED,
            &["TLS.ver"],
        ),
        case(
            "unsupported version",
            common::tamper(&good(), field_set("TLS.ver", json!("1.0"))),
            invalid(
                "TLS.ver",
                "version \"1.0\" is not supported, only \"2.0\" (TLS-sig API v2)",
            ),
            code::CHECK_FAILED,
            &["not supported"],
        ),
        case(
            "identifier that is not a string",
            common::tamper(&good(), field_set("TLS.identifier", json!(12345))),
            invalid("TLS.identifier", "must be a string"),
            code::CHECK_FAILED,
            &["must be a string"],
        ),
        case(
            "negative time",
            common::tamper(&good(), field_set("TLS.time", json!(-1))),
            invalid("TLS.time", NOT_INTEGER),
            code::CHECK_FAILED,
            &["TLS.time", "non-negative integer"],
        ),
        case(
            "fractional expire",
            common::tamper(&good(), field_set("TLS.expire", json!(86400.5))),
            invalid("TLS.expire", NOT_INTEGER),
            code::CHECK_FAILED,
            &["TLS.expire"],
        ),
        case(
            "sdkappid beyond u64",
            common::tamper(&good(), field_set("TLS.sdkappid", json!(1e30))),
            invalid("TLS.sdkappid", NOT_INTEGER),
            code::CHECK_FAILED,
            &["TLS.sdkappid"],
        ),
        case(
            "time as a non-numeric string",
            common::tamper(&good(), field_set("TLS.time", json!("soon"))),
            invalid("TLS.time", NOT_INTEGER),
            code::CHECK_FAILED,
            &["TLS.time"],
        ),
        case(
            "time as a signed string",
            common::tamper(&good(), field_set("TLS.time", json!("+1700000000"))),
            invalid("TLS.time", NOT_INTEGER),
            code::CHECK_FAILED,
            &["TLS.time"],
        ),
        case(
            "expire as an empty string",
            common::tamper(&good(), field_set("TLS.expire", json!(""))),
            invalid("TLS.expire", NOT_INTEGER),
            code::CHECK_FAILED,
            &["TLS.expire"],
        ),
        case(
            "sdkappid as a string too long for u64",
            common::tamper(
                &good(),
                field_set("TLS.sdkappid", json!("99999999999999999999999")),
            ),
            invalid("TLS.sdkappid", NOT_INTEGER),
            code::CHECK_FAILED,
            &["TLS.sdkappid"],
        ),
        case(
            "sdkappid as a bool",
            common::tamper(&good(), field_set("TLS.sdkappid", json!(true))),
            invalid("TLS.sdkappid", NOT_INTEGER),
            code::CHECK_FAILED,
            &["TLS.sdkappid"],
        ),
        case(
            "userbuf that is not a string",
            common::tamper(&good(), field_set("TLS.userbuf", json!([1, 2]))),
            invalid("TLS.userbuf", "must be a base64 string"),
            code::CHECK_FAILED,
            &["TLS.userbuf"],
        ),
        case(
            "userbuf that is not base64",
            common::tamper(&good(), field_set("TLS.userbuf", json!("%%%"))),
            invalid("TLS.userbuf", "not base64 (Invalid symbol 37, offset 0.)"),
            code::CHECK_FAILED,
            &["TLS.userbuf", "not base64"],
        ),
    ];

    for c in cases {
        let got = verify(&c.user_sig, c.app, c.key, c.user, c.now);
        let err = match got {
            Ok(claims) => panic!("{}: accepted, {claims:?}", c.name),
            Err(err) => err,
        };
        assert_eq!(err, c.want, "{}", c.name);
        assert_eq!(err.code(), c.code, "{}: code", c.name);
        let message = err.to_string();
        for word in c.says {
            assert!(
                message.contains(word),
                "{}: {message:?} lacks {word:?}",
                c.name
            );
        }
    }
}

#[test]
fn codes_are_the_documented_table() {
    let table: &[(VerifyError, i32)] = &[
        (VerifyError::BadSignature, -100018),
        (VerifyError::Base64(String::new()), -100018),
        (VerifyError::Zlib(String::new()), -100018),
        (VerifyError::Json(String::new()), -100018),
        (VerifyError::TooLong { len: 5000 }, -100018),
        (VerifyError::TooLarge, -100018),
        (VerifyError::MissingField("TLS.sig"), -100018),
        (invalid("TLS.time", ""), -100018),
        (VerifyError::NotYetValid { time: 2, now: 1 }, -100018),
        (VerifyError::Empty, 70002),
        (
            VerifyError::Expired {
                time: 1,
                expire: 1,
                now: 3,
            },
            70001,
        ),
        (
            VerifyError::WrongUser {
                expected: "a".into(),
                found: "b".into(),
            },
            70013,
        ),
        (
            VerifyError::WrongApp {
                expected: 1,
                found: 2,
            },
            70014,
        ),
    ];
    for (err, want) in table {
        assert_eq!(err.code(), *want, "{err:?}");
        assert_ne!(err.code(), -100013, "-100013 is ACCOUNT_NO_MONEY");
    }
}

#[test]
fn wrong_user_message_clips_and_escapes_a_hostile_user_id() {
    let long_user = format!("evil\u{1b}[31m{}", "x".repeat(5000));
    let sig = sign(APP, KEY, &long_user, EXPIRE, NOW);
    let err = verify(&sig, APP, KEY, "alice", NOW).unwrap_err();
    let VerifyError::WrongUser { found, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(found.chars().count(), 65, "64 chars and an ellipsis");
    let message = err.to_string();
    assert!(
        message.contains("\\u{1b}"),
        "control chars escaped: {message}"
    );
    assert!(message.len() < 400, "{}", message.len());
}

#[test]
fn app_and_user_are_checked_before_the_signature() {
    // A developer who passes the wrong userId learns that, not "bad signature".
    let sig = sign(APP, "some other key", "alice", EXPIRE, NOW);
    assert!(matches!(
        verify(&sig, APP, KEY, "bob", NOW),
        Err(VerifyError::WrongUser { .. })
    ));
    assert!(matches!(
        verify(&sig, APP + 1, KEY, "alice", NOW),
        Err(VerifyError::WrongApp { .. })
    ));
}

#[test]
fn expiry_is_only_reported_for_a_genuine_signature() {
    let forged = sign(APP, "attacker key", "alice", EXPIRE, NOW);
    assert_eq!(
        verify(&forged, APP, KEY, "alice", NOW + 2 * EXPIRE),
        Err(VerifyError::BadSignature)
    );
}
