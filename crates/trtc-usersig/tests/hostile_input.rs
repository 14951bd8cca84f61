//! `verify` never panics and stays bounded, whatever it is given: oversize input, zlib bombs,
//! truncations, random mutations and random strings.

mod common;

use trtc_usersig::{sign, verify, VerifyError, MAX_JSON_LEN, MAX_USER_SIG_LEN};

const APP: u64 = 1400000000;
const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const NOW: u64 = 1_700_000_000;

fn check(user_sig: &str) -> Result<trtc_usersig::Claims, VerifyError> {
    verify(user_sig, APP, KEY, "alice", NOW)
}

#[test]
fn longer_than_the_cap_is_rejected_before_decoding() {
    let oversize = "A".repeat(MAX_USER_SIG_LEN + 1);
    assert_eq!(
        check(&oversize),
        Err(VerifyError::TooLong {
            len: MAX_USER_SIG_LEN + 1
        })
    );
    // The cap counts bytes, not chars.
    let multibyte = "é".repeat(MAX_USER_SIG_LEN / 2 + 1);
    assert!(matches!(
        check(&multibyte),
        Err(VerifyError::TooLong { .. })
    ));
    // At the cap, decoding is attempted (and fails on content, not size).
    let at_cap = "A".repeat(MAX_USER_SIG_LEN);
    assert!(matches!(check(&at_cap), Err(VerifyError::Zlib(_))));
}

#[test]
fn a_zlib_bomb_is_cut_off_at_the_json_cap() {
    // ~2 MB of spaces compresses to ~2 KB: under the userSig cap, far over the JSON cap.
    let bomb_json = format!("{{\"TLS.ver\":\"2.0\"{}}}", " ".repeat(2_000_000));
    let bomb = common::encode_json(&bomb_json);
    assert!(
        bomb.len() <= MAX_USER_SIG_LEN,
        "bomb is {} bytes",
        bomb.len()
    );
    assert_eq!(check(&bomb), Err(VerifyError::TooLarge));
}

#[test]
fn json_exactly_at_the_cap_is_accepted_and_one_byte_more_is_not() {
    // Whitespace does not change the signed content, so a padded document still verifies.
    let json = common::decode_json(&sign(APP, KEY, "alice", 600, NOW));
    let pad = |total: usize| {
        let mut padded = json.clone();
        padded.insert_str(1, &" ".repeat(total - json.len()));
        assert_eq!(padded.len(), total);
        common::encode_json(&padded)
    };
    assert!(check(&pad(MAX_JSON_LEN)).is_ok());
    assert_eq!(check(&pad(MAX_JSON_LEN + 1)), Err(VerifyError::TooLarge));
}

#[test]
fn deeply_nested_json_is_an_error_not_a_stack_overflow() {
    let nested = format!("{}{}", "[".repeat(8000), "]".repeat(8000));
    let sig = common::encode_json(&nested);
    assert!(matches!(check(&sig), Err(VerifyError::Json(_))));
}

#[test]
fn garbage_is_rejected() {
    let table = [
        "garbage",
        "eJy",
        "*",
        "____",
        "-",
        "eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwhWZiflZpXlQqeKU7MSCgswUJStDEwMogMiUZOamKlkZ",
        "用户一",
        "\u{0}\u{0}\u{0}\u{0}",
        "null",
        "{\"TLS.ver\":\"2.0\"}",
    ];
    for garbage in table {
        assert!(check(garbage).is_err(), "{garbage:?}");
    }
}

#[test]
fn every_truncation_of_a_valid_user_sig_is_rejected() {
    let sig = sign(APP, KEY, "alice", 600, NOW);
    let full = sig.trim_end_matches('_');
    for end in 0..full.len() {
        assert!(check(&full[..end]).is_err(), "prefix of {end} bytes");
    }
}

/// xorshift64*: a tiny deterministic generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-_+/= .";

#[test]
fn single_character_mutations_never_panic_and_never_change_the_claims() {
    let sig = sign(APP, KEY, "alice", 600, NOW);
    let original = check(&sig).unwrap();
    for pos in 0..sig.len() {
        for &c in ALPHABET {
            let mut mutated = sig.clone().into_bytes();
            mutated[pos] = c;
            let mutated = String::from_utf8(mutated).unwrap();
            // Ok is possible only where the change is invisible after decoding (ignored
            // trailing bits or padding); then the claims must be the original ones.
            if let Ok(claims) = check(&mutated) {
                assert_eq!(claims, original, "{mutated}");
            }
        }
    }
}

#[test]
fn random_byte_mutations_and_random_strings_never_panic() {
    let sig = sign(APP, KEY, "alice", 600, NOW);
    let original = check(&sig).unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..5_000 {
        let mut bytes = sig.clone().into_bytes();
        for _ in 0..=rng.below(4) {
            let i = rng.below(bytes.len());
            bytes[i] = ALPHABET[rng.below(ALPHABET.len())];
        }
        let mutated = String::from_utf8(bytes).unwrap();
        if let Ok(claims) = check(&mutated) {
            assert_eq!(claims, original, "{mutated}");
        }
    }
    for _ in 0..5_000 {
        let len = rng.below(600);
        let s: String = (0..len)
            .map(|_| ALPHABET[rng.below(ALPHABET.len())] as char)
            .collect();
        assert!(check(&s).is_err(), "{s}");
    }
    // Random bytes inside a well-formed outer layer reach the JSON parser.
    for _ in 0..2_000 {
        let len = rng.below(300);
        let payload: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let s = common::tls_base64(&common::zlib(&payload));
        assert!(check(&s).is_err());
    }
}
