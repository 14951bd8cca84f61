//! The userSig check the server runs on every join (`trtc_usersig::verify`: length cap,
//! TLS-sig base64, bounded zlib inflate, JSON, fields, HMAC, expiry).
//!
//! The first byte picks what the rest is:
//! * `0`: a userSig as a client sends it (verified for app 1400000000, user "alice");
//! * `1`: the JSON document inside one: the harness compresses and encodes it, so the fuzzer
//!   works on the JSON and field checks rather than on zlib;
//! * anything else: parameters for `sign` / `sign_with_userbuf` (arbitrary user ids, times,
//!   keys, userbufs), then `verify` of the result must agree with them, and a one-byte change
//!   of the token must never verify as something else.
//!
//! Properties: never panics; any `Ok` names the requested app and user; what was signed
//! verifies exactly when `time - MAX_CLOCK_SKEW_SECS <= now <= time + expire`.

#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use trtc_usersig::{sign, sign_with_userbuf, verify, VerifyError, MAX_CLOCK_SKEW_SECS};

const APP: u64 = 1_400_000_000;
const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const USER: &str = "alice";
const NOW: u64 = 1_700_000_000;

#[derive(Arbitrary, Debug)]
struct Signed {
    app: u64,
    key: String,
    user: String,
    expire: u64,
    time: u64,
    /// `now` relative to `time`.
    delta: i64,
    userbuf: Option<Vec<u8>>,
    /// Byte index and xor of a one-byte change to the token.
    flip: Option<(u16, u8)>,
}

fn check_ok(got: &Result<trtc_usersig::Claims, VerifyError>, app: u64, user: &str) {
    if let Ok(c) = got {
        assert_eq!(c.sdk_app_id, app);
        assert_eq!(c.identifier, user);
    }
    if let Err(e) = got {
        assert!(!e.to_string().is_empty());
        let _ = e.code();
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode {
        0 => {
            let Ok(sig) = std::str::from_utf8(rest) else {
                return;
            };
            check_ok(&verify(sig, APP, KEY, USER, NOW), APP, USER);
        }
        1 => {
            let sig = trtc_fuzz::encode_usersig_doc(rest);
            check_ok(&verify(&sig, APP, KEY, USER, NOW), APP, USER);
        }
        _ => {
            let Ok(s) = Signed::arbitrary(&mut Unstructured::new(rest)) else {
                return;
            };
            let token = match &s.userbuf {
                None => sign(s.app, &s.key, &s.user, s.expire, s.time),
                Some(b) => sign_with_userbuf(s.app, &s.key, &s.user, s.expire, s.time, b),
            };
            let now = s.time.saturating_add_signed(s.delta);
            let got = verify(&token, s.app, &s.key, &s.user, now);
            check_ok(&got, s.app, &s.user);
            let in_time = now <= s.time.saturating_add(s.expire)
                && s.time <= now.saturating_add(MAX_CLOCK_SKEW_SECS);
            match &got {
                Ok(c) => {
                    assert!(in_time, "accepted at {now}: {c:?}");
                    assert_eq!((c.time, c.expire), (s.time, s.expire));
                    assert_eq!(c.userbuf, s.userbuf);
                }
                // Too long to be a userSig is the only other refusal of what was signed.
                Err(VerifyError::TooLong { .. }) => {}
                Err(VerifyError::Expired { .. } | VerifyError::NotYetValid { .. }) => {
                    assert!(!in_time, "refused at {now}: {got:?}")
                }
                Err(e) => panic!("what was signed is refused: {e:?}"),
            }
            if let Some((at, xor)) = s.flip {
                let mut bytes = token.into_bytes();
                if bytes.is_empty() || xor == 0 {
                    return;
                }
                let i = usize::from(at) % bytes.len();
                bytes[i] ^= xor;
                let Ok(changed) = String::from_utf8(bytes) else {
                    return;
                };
                if let Ok(c) = verify(&changed, s.app, &s.key, &s.user, now) {
                    // Only a change the encoding ignores (padding, trailing bits) can pass.
                    assert_eq!(got.as_ref().ok(), Some(&c), "{changed}");
                }
            }
        }
    }
});
