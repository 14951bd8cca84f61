//! TRTC's `privateMapKey`: a TLS-sig v2 token whose `TLS.userbuf` names the one room a user may
//! enter and what it may do there (the privilege bits), as `tls-sig-api-v2`'s `genPrivateMapKey`
//! and `genPrivateMapKeyWithStringRoomID` make it. [`verify_private_map_key`] checks the token
//! like a userSig and reads the buffer.
//!
//! The buffer, big-endian: version (1 byte: 0 numeric room, 1 string room), userId length (2)
//! and bytes, sdkAppId (4), room number (4; 0 for a string room), expiry (4, unix seconds),
//! privilege bits (4), account type (4), and for version 1 the string room's length (2) and
//! bytes.

use crate::{verify, VerifyError};

/// The privilege bits of a privateMapKey.
pub mod privilege {
    /// May create the room (enter it while it is empty).
    pub const CREATE: u32 = 1;
    /// May enter the room.
    pub const ENTER: u32 = 2;
    /// May send audio.
    pub const SEND_AUDIO: u32 = 4;
    /// May receive audio.
    pub const RECV_AUDIO: u32 = 8;
    /// May send video.
    pub const SEND_VIDEO: u32 = 16;
    /// May receive video.
    pub const RECV_VIDEO: u32 = 32;
    /// May send the sub stream (screen sharing).
    pub const SEND_SUB: u32 = 64;
    /// May receive the sub stream.
    pub const RECV_SUB: u32 = 128;

    /// The right a bit stands for, for messages.
    pub fn name(bit: u32) -> &'static str {
        match bit {
            CREATE => "create the room",
            ENTER => "enter the room",
            SEND_AUDIO => "send audio",
            RECV_AUDIO => "receive audio",
            SEND_VIDEO => "send video",
            RECV_VIDEO => "receive video",
            SEND_SUB => "send the sub stream",
            RECV_SUB => "receive the sub stream",
            _ => "unknown",
        }
    }
}

/// The room a privateMapKey is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrivateRoom {
    /// `genPrivateMapKey`'s numeric room.
    Num(u32),
    /// `genPrivateMapKeyWithStringRoomID`'s string room.
    Str(String),
}

/// What a valid privateMapKey grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateMap {
    /// The one room it is for.
    pub room: PrivateRoom,
    /// The privilege bits ([`privilege`]).
    pub privileges: u32,
    /// The buffer's own expiry, unix seconds.
    pub expires_at: u64,
}

impl PrivateMap {
    /// Whether the key grants `bit`.
    pub fn allows(&self, bit: u32) -> bool {
        self.privileges & bit != 0
    }
}

/// Why a privateMapKey was refused. `Display` says what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrivateMapError {
    /// The token itself failed the userSig checks (signature, user, app, expiry, encoding).
    Token(VerifyError),
    /// It carries no userbuf, or one that is not a privateMapKey's.
    Malformed(&'static str),
    /// Its buffer names another user or app than the token.
    Mismatch(&'static str),
    /// The buffer's own expiry has passed.
    Expired,
}

impl std::fmt::Display for PrivateMapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PrivateMapError::Token(e) => write!(f, "the privateMapKey does not verify: {e}"),
            PrivateMapError::Malformed(why) => write!(
                f,
                "the privateMapKey is not one: {why}; make it with tls-sig-api-v2's genPrivateMapKey or genPrivateMapKeyWithStringRoomID"
            ),
            PrivateMapError::Mismatch(what) => write!(
                f,
                "the privateMapKey's {what} differs from its signature's; make a new one"
            ),
            PrivateMapError::Expired => {
                write!(f, "the privateMapKey has expired; make a new one")
            }
        }
    }
}

/// Reads a privateMapKey's buffer; `user_id` and `sdk_app_id` must be the ones in it.
pub fn parse_userbuf(
    buf: &[u8],
    user_id: &str,
    sdk_app_id: u64,
) -> Result<PrivateMap, PrivateMapError> {
    let mut r = Reader { buf, at: 0 };
    let bad = PrivateMapError::Malformed;
    let version = r.u8().ok_or(bad("the buffer is empty"))?;
    if version > 1 {
        return Err(bad("unknown buffer version"));
    }
    let user_len = r.u16().ok_or(bad("the buffer is cut short"))? as usize;
    let user = r.bytes(user_len).ok_or(bad("the buffer is cut short"))?;
    let app = r.u32().ok_or(bad("the buffer is cut short"))?;
    let room_num = r.u32().ok_or(bad("the buffer is cut short"))?;
    let expires_at = r.u32().ok_or(bad("the buffer is cut short"))?;
    let privileges = r.u32().ok_or(bad("the buffer is cut short"))?;
    let _account_type = r.u32().ok_or(bad("the buffer is cut short"))?;
    let room = if version == 1 {
        let len = r.u16().ok_or(bad("the buffer is cut short"))? as usize;
        let s = r.bytes(len).ok_or(bad("the buffer is cut short"))?;
        PrivateRoom::Str(String::from_utf8(s.to_vec()).map_err(|_| bad("the room is not text"))?)
    } else {
        PrivateRoom::Num(room_num)
    };
    if r.at != buf.len() {
        return Err(bad("bytes after the buffer's end"));
    }
    if user != user_id.as_bytes() {
        return Err(PrivateMapError::Mismatch("userId"));
    }
    if u64::from(app) != sdk_app_id {
        return Err(PrivateMapError::Mismatch("sdkAppId"));
    }
    Ok(PrivateMap {
        room,
        privileges,
        expires_at: u64::from(expires_at),
    })
}

/// Checks `key` as a privateMapKey of `user_id` in app `sdk_app_id` signed with `secret`, valid
/// at `now_unix`, and returns what it grants.
pub fn verify_private_map_key(
    key: &str,
    sdk_app_id: u64,
    secret: &str,
    user_id: &str,
    now_unix: u64,
) -> Result<PrivateMap, PrivateMapError> {
    let claims =
        verify(key, sdk_app_id, secret, user_id, now_unix).map_err(PrivateMapError::Token)?;
    let buf = claims
        .userbuf
        .ok_or(PrivateMapError::Malformed("it has no TLS.userbuf"))?;
    let map = parse_userbuf(&buf, user_id, sdk_app_id)?;
    if map.expires_at < now_unix {
        return Err(PrivateMapError::Expired);
    }
    Ok(map)
}

struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.buf.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.bytes(1)?[0])
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes(self.bytes(2)?.try_into().ok()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.bytes(4)?.try_into().ok()?))
    }
}

/// A privateMapKey's buffer, as the generator lays it out (for tests and tools).
pub fn userbuf(
    user_id: &str,
    sdk_app_id: u32,
    room: &PrivateRoom,
    expires_at: u32,
    privileges: u32,
) -> Vec<u8> {
    let mut b = Vec::new();
    b.push(u8::from(matches!(room, PrivateRoom::Str(_))));
    b.extend_from_slice(&(user_id.len() as u16).to_be_bytes());
    b.extend_from_slice(user_id.as_bytes());
    b.extend_from_slice(&sdk_app_id.to_be_bytes());
    b.extend_from_slice(
        &match room {
            PrivateRoom::Num(n) => *n,
            PrivateRoom::Str(_) => 0,
        }
        .to_be_bytes(),
    );
    b.extend_from_slice(&expires_at.to_be_bytes());
    b.extend_from_slice(&privileges.to_be_bytes());
    b.extend_from_slice(&0u32.to_be_bytes());
    if let PrivateRoom::Str(s) = room {
        b.extend_from_slice(&(s.len() as u16).to_be_bytes());
        b.extend_from_slice(s.as_bytes());
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign_with_userbuf;

    const APP: u64 = 1_400_000_001;
    const KEY: &str = "secret";
    const NOW: u64 = 1_800_000_000;

    fn key(user: &str, room: &PrivateRoom, privileges: u32, expires_at: u32) -> String {
        let buf = userbuf(user, APP as u32, room, expires_at, privileges);
        sign_with_userbuf(APP, KEY, user, 86_400, NOW - 10, &buf)
    }

    #[test]
    fn numeric_and_string_rooms_with_their_privileges() {
        let k = key(
            "alice",
            &PrivateRoom::Num(8),
            2 | 4 | 8 | 32,
            (NOW + 300) as u32,
        );
        let m = verify_private_map_key(&k, APP, KEY, "alice", NOW).unwrap();
        assert_eq!(m.room, PrivateRoom::Num(8));
        assert!(m.allows(privilege::ENTER) && m.allows(privilege::SEND_AUDIO));
        assert!(!m.allows(privilege::SEND_VIDEO));
        let k = key(
            "bob",
            &PrivateRoom::Str("lobby 1".into()),
            255,
            (NOW + 300) as u32,
        );
        let m = verify_private_map_key(&k, APP, KEY, "bob", NOW).unwrap();
        assert_eq!(m.room, PrivateRoom::Str("lobby 1".into()));
        assert_eq!(m.privileges, 255);
    }

    #[test]
    fn refusals() {
        let good = key("alice", &PrivateRoom::Num(8), 255, (NOW + 300) as u32);
        assert!(matches!(
            verify_private_map_key(&good, APP, "other", "alice", NOW),
            Err(PrivateMapError::Token(_))
        ));
        assert!(matches!(
            verify_private_map_key(&good, APP, KEY, "eve", NOW),
            Err(PrivateMapError::Token(_))
        ));
        let expired = key("alice", &PrivateRoom::Num(8), 255, (NOW - 1) as u32);
        assert_eq!(
            verify_private_map_key(&expired, APP, KEY, "alice", NOW),
            Err(PrivateMapError::Expired)
        );
        // A plain userSig is not a privateMapKey.
        let sig = crate::sign(APP, KEY, "alice", 86_400, NOW);
        assert!(matches!(
            verify_private_map_key(&sig, APP, KEY, "alice", NOW),
            Err(PrivateMapError::Malformed(_))
        ));
        // A buffer for another user, signed for alice.
        let buf = userbuf(
            "mallory",
            APP as u32,
            &PrivateRoom::Num(8),
            (NOW + 300) as u32,
            255,
        );
        let k = sign_with_userbuf(APP, KEY, "alice", 86_400, NOW, &buf);
        assert_eq!(
            verify_private_map_key(&k, APP, KEY, "alice", NOW),
            Err(PrivateMapError::Mismatch("userId"))
        );
    }

    #[test]
    fn hostile_buffers_are_refused_not_panicked_on() {
        let full = userbuf("alice", APP as u32, &PrivateRoom::Str("r".into()), 1, 2);
        for n in 0..full.len() {
            assert!(
                parse_userbuf(&full[..n], "alice", APP).is_err(),
                "cut at {n}"
            );
        }
        let mut long = full.clone();
        long.push(0);
        assert!(parse_userbuf(&long, "alice", APP).is_err());
        let mut v2 = full.clone();
        v2[0] = 2;
        assert!(parse_userbuf(&v2, "alice", APP).is_err());
        // A length that points past the end.
        let mut huge = full;
        huge[1] = 0xff;
        assert!(parse_userbuf(&huge, "alice", APP).is_err());
        assert!(parse_userbuf(&full_ok(), "alice", APP).is_ok());
    }

    fn full_ok() -> Vec<u8> {
        userbuf("alice", APP as u32, &PrivateRoom::Num(3), 1, 2)
    }
}
