//! Just enough STUN (RFC 5389) to route a datagram: the USERNAME attribute's local part.
//!
//! The SFU is ICE-lite: it never sends checks, the browser does, and a browser's check carries
//! `USERNAME = <our ufrag>:<its ufrag>` (RFC 8445 §7.2.2). The part before the colon names the
//! `Rtc` the check is for. Integrity (MESSAGE-INTEGRITY with that `Rtc`'s password) is checked
//! afterwards by str0m, on that one `Rtc` only.
//!
//! Every length read from the datagram is bounded by the datagram; hostile bytes give `None`,
//! never a panic.

/// STUN's fixed header: type (2), length (2), magic cookie (4), transaction id (12).
const HEADER: usize = 20;
/// RFC 5389 §6.
const MAGIC_COOKIE: [u8; 4] = 0x2112_A442u32.to_be_bytes();
/// RFC 5389 §15.3.
const USERNAME: u16 = 0x0006;
/// RFC 5389 §15.3: "MUST contain a UTF-8 encoded sequence of less than 513 bytes".
const USERNAME_MAX: usize = 513;

/// Whether the first byte says STUN (RFC 7983 demultiplexing: 0–3).
pub(crate) fn looks_like_stun(data: &[u8]) -> bool {
    data.first().is_some_and(|b| *b < 4)
}

/// The value of the USERNAME attribute of a STUN message, if it is one and has one.
pub(crate) fn username(data: &[u8]) -> Option<&[u8]> {
    let header = data.get(..HEADER)?;
    // The two top bits of a STUN message are zero; the cookie tells STUN from older protocols.
    if header[0] & 0xC0 != 0 || header[4..8] != MAGIC_COOKIE {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
    if len % 4 != 0 {
        return None;
    }
    // The declared body must be there (bytes past it are not looked at).
    let mut rest = data.get(HEADER..HEADER + len)?;
    // Attributes: type (2), length (2), value padded to a multiple of 4. Each turn consumes at
    // least 4 bytes, so this ends.
    while rest.len() >= 4 {
        let kind = u16::from_be_bytes([rest[0], rest[1]]);
        let alen = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
        let value = rest.get(4..4 + alen)?;
        if kind == USERNAME {
            return (alen <= USERNAME_MAX).then_some(value);
        }
        let padded = alen.div_ceil(4) * 4;
        rest = rest.get(4 + padded..)?;
    }
    None
}

/// The ufrag of the receiving side: USERNAME up to its first colon (`local:remote`). `None` if
/// the datagram is not STUN, has no USERNAME, or the local part is empty or missing its colon.
pub(crate) fn local_ufrag(data: &[u8]) -> Option<&[u8]> {
    let user = username(data)?;
    let colon = user.iter().position(|b| *b == b':')?;
    let local = &user[..colon];
    (!local.is_empty()).then_some(local)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A STUN binding request with the given attributes (type, value), padded as RFC 5389 says.
    pub(crate) fn message(attrs: &[(u16, &[u8])]) -> Vec<u8> {
        let mut body = vec![];
        for (kind, value) in attrs {
            body.extend(kind.to_be_bytes());
            body.extend((value.len() as u16).to_be_bytes());
            body.extend(*value);
            while body.len() % 4 != 0 {
                body.push(0);
            }
        }
        let mut m = vec![0x00, 0x01];
        m.extend((body.len() as u16).to_be_bytes());
        m.extend(MAGIC_COOKIE);
        m.extend([7u8; 12]);
        m.extend(body);
        m
    }

    /// A binding request as a browser sends it: PRIORITY, USERNAME, then integrity-like bytes.
    pub(crate) fn binding_request(username: &[u8]) -> Vec<u8> {
        message(&[
            (0x0024, &[0, 0, 1, 2]),
            (0xC057, &[0, 1, 0, 10]),
            (USERNAME, username),
            (0x0008, &[0x5a; 20]),
            (0x8028, &[1, 2, 3, 4]),
        ])
    }

    #[test]
    fn finds_the_local_ufrag() {
        let m = binding_request(b"abcd1234:xyz");
        assert_eq!(username(&m), Some(&b"abcd1234:xyz"[..]));
        assert_eq!(local_ufrag(&m), Some(&b"abcd1234"[..]));
        // Odd lengths are padded; the value is not.
        let m = message(&[(0x0024, &[1, 2, 3]), (USERNAME, b"u:v")]);
        assert_eq!(local_ufrag(&m), Some(&b"u"[..]));
        // Only the first colon splits.
        let m = binding_request(b"a:b:c");
        assert_eq!(local_ufrag(&m), Some(&b"a"[..]));
        // Trailing bytes after the declared length are not read.
        let mut m = binding_request(b"a:b");
        m.extend([0xff; 9]);
        assert_eq!(local_ufrag(&m), Some(&b"a"[..]));
    }

    #[test]
    fn no_ufrag_without_a_proper_username() {
        assert_eq!(local_ufrag(&message(&[])), None);
        assert_eq!(local_ufrag(&message(&[(0x0024, &[0, 0, 1, 2])])), None);
        assert_eq!(local_ufrag(&binding_request(b"nocolon")), None);
        assert_eq!(local_ufrag(&binding_request(b":remote")), None);
        assert_eq!(local_ufrag(&binding_request(&[b'a'; 600])), None);
        // Not STUN: top bits, cookie, unaligned length.
        let good = binding_request(b"a:b");
        let mut m = good.clone();
        m[0] = 0x40;
        assert_eq!(username(&m), None);
        let mut m = good.clone();
        m[5] ^= 1;
        assert_eq!(username(&m), None);
        let mut m = good.clone();
        m[3] = m[3].wrapping_add(1);
        assert_eq!(username(&m), None);
    }

    #[test]
    fn hostile_bytes_never_panic() {
        let good = binding_request(b"abcd1234:xyz");
        // Every truncation, with the header's length as it was and fixed up to the rest.
        for cut in 0..good.len() {
            let m = &good[..cut];
            let _ = local_ufrag(m);
            if cut >= HEADER {
                let mut m = m.to_vec();
                let body = ((cut - HEADER) as u16).to_be_bytes();
                m[2..4].copy_from_slice(&body);
                let _ = local_ufrag(&m);
            }
        }
        // Attribute lengths past the end, at the end, huge.
        for alen in [0u16, 1, 3, 4, 5, 8, 12, 13, 0x7fff, 0xffff] {
            let mut m = message(&[]);
            m.extend(USERNAME.to_be_bytes());
            m.extend(alen.to_be_bytes());
            m.extend(b"ab:c");
            let body = ((m.len() - HEADER) as u16).to_be_bytes();
            m[2..4].copy_from_slice(&body);
            let u = username(&m);
            assert!(u.is_none_or(|u| u.len() == usize::from(alen)));
            // A declared body longer than the datagram.
            m[2..4].copy_from_slice(&0xfffcu16.to_be_bytes());
            assert_eq!(username(&m), None);
        }
        // Deterministic noise, with a STUN header in front or not.
        let mut x = 0x1234_5678_9abc_def0u64;
        for len in 0..400usize {
            let mut m: Vec<u8> = (0..len)
                .map(|_| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (x >> 56) as u8
                })
                .collect();
            let _ = local_ufrag(&m);
            if m.len() >= HEADER {
                m[0] = 0;
                m[4..8].copy_from_slice(&MAGIC_COOKIE);
                let body = (((m.len() - HEADER) & !3) as u16).to_be_bytes();
                m[2..4].copy_from_slice(&body);
                let _ = local_ufrag(&m);
            }
        }
    }
}
