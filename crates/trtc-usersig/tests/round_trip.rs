//! What `sign` makes, `verify` accepts, and the claims come back unchanged.

use trtc_usersig::{sign, sign_with_userbuf, verify, Claims};

const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const NOW: u64 = 1_700_000_000;

#[test]
fn sign_then_verify_returns_the_claims() {
    /// (sdkAppId, key, userId, expire, userbuf)
    type Row<'a> = (u64, &'a str, &'a str, u64, Option<&'a [u8]>);
    let table: &[Row] = &[
        (1400000000, KEY, "alice", 86400, None),
        (1400188366, "another key", "user_01-abc", 180 * 86400, None),
        (20001234, "k", "12345", 1, None),
        (1, "", "", 0, None),
        (u64::from(u32::MAX), KEY, "用户一", 630720000, None),
        (1400000002, "k", "we\"ird\\id\t/x", 3600, None),
        (1400000000, KEY, "bob", 300, Some(b"\x00\x01room-42\xff")),
        (1400000000, KEY, "carol", 300, Some(b"")),
        (u64::MAX, KEY, "max", u64::MAX - NOW, None),
    ];
    for &(app, key, user, expire, userbuf) in table {
        let sig = match userbuf {
            None => sign(app, key, user, expire, NOW),
            Some(buf) => sign_with_userbuf(app, key, user, expire, NOW, buf),
        };
        let claims =
            verify(&sig, app, key, user, NOW).unwrap_or_else(|e| panic!("{app}/{user:?}: {e}"));
        assert_eq!(
            claims,
            Claims {
                identifier: user.to_owned(),
                sdk_app_id: app,
                time: NOW,
                expire,
                userbuf: userbuf.map(<[u8]>::to_vec),
            },
            "{app}/{user:?}"
        );
        assert_eq!(claims.expires_at(), NOW.saturating_add(expire));
    }
}

#[test]
fn valid_from_issue_through_the_last_second_of_its_lifetime() {
    let sig = sign(1400000000, KEY, "alice", 600, NOW);
    for now in [NOW - 300, NOW, NOW + 1, NOW + 599, NOW + 600] {
        assert!(
            verify(&sig, 1400000000, KEY, "alice", now).is_ok(),
            "now = {now}"
        );
    }
}

#[test]
fn surrounding_whitespace_is_ignored() {
    let sig = sign(1400000000, KEY, "alice", 600, NOW);
    let padded = format!("  {sig}\r\n");
    assert!(verify(&padded, 1400000000, KEY, "alice", NOW).is_ok());
}

#[test]
fn unpadded_base64_is_accepted() {
    let sig = sign(1400000000, KEY, "alice", 600, NOW);
    let trimmed = sig.trim_end_matches('_');
    assert!(verify(trimmed, 1400000000, KEY, "alice", NOW).is_ok());
}

#[test]
fn signing_is_deterministic_for_the_same_inputs() {
    assert_eq!(
        sign(1400000000, KEY, "alice", 600, NOW),
        sign(1400000000, KEY, "alice", 600, NOW)
    );
    assert_ne!(
        sign(1400000000, KEY, "alice", 600, NOW),
        sign(1400000000, KEY, "alice", 600, NOW + 1)
    );
}

#[test]
fn output_uses_only_the_tls_sig_alphabet() {
    let sig = sign_with_userbuf(1400000000, KEY, "alice", 600, NOW, &[0xfb; 64]);
    assert!(sig
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'_')));
}
