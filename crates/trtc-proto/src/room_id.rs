//! Which room ids exist: the rules the SDK checks `enterRoom`'s `roomId` / `strRoomId` against
//! (`trtc-core` re-exports them) and the server checks a join and the admin API's room ids
//! against. One definition, so a room id the SDK lets through is one the server takes.
//!
//! * A numeric `roomId` is an integer from 1 to [`NUM_ROOM_ID_MAX`] (4294967294, TRTC's range).
//! * A `strRoomId` is 1 to [`STR_ROOM_ID_MAX_LEN`] characters, each an ASCII letter or digit,
//!   ASCII whitespace (space, tab, newline, vertical tab, form feed, carriage return) or one of
//!   `!#$%&()+-:;<=.>?@[]^_{}|~,`.
//! * Numeric and string room ids are separate namespaces: `roomId 8` and `strRoomId "8"` are two
//!   rooms ([`crate::RoomId`]).

use crate::RoomId;

/// The largest numeric `roomId`, as the JavaScript number the SDK checks against.
/// [`NUM_ROOM_ID_MAX`] is the same value as a `u32`.
pub const ROOM_ID_MAX: f64 = 4_294_967_294.0;

/// The largest numeric `roomId` ([`ROOM_ID_MAX`] as a `u32`; `u32::MAX` is not a room id).
pub const NUM_ROOM_ID_MAX: u32 = 4_294_967_294;

/// The longest `strRoomId`, in characters.
pub const STR_ROOM_ID_MAX_LEN: usize = 64;

fn is_str_room_char(c: char) -> bool {
    // ASCII punctuation but " ' * / \ ` is exactly !#$%&()+-:;<=.>?@[]^_{}|~, (a test checks);
    // tests on chars rather than a search in a string keep the SDK's wasm smaller.
    c.is_ascii_alphanumeric()
        || matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
        || (c.is_ascii_punctuation() && !matches!(c, '"' | '\'' | '*' | '/' | '\\' | '`'))
}

/// Whether `n` is a numeric `roomId`: 1 to [`NUM_ROOM_ID_MAX`].
pub fn valid_num_room_id(n: u32) -> bool {
    (1..=NUM_ROOM_ID_MAX).contains(&n)
}

/// Whether a `strRoomId` is valid: 1..=64 characters of the allowed set (module docs).
pub fn valid_str_room_id(s: &str) -> bool {
    let n = s.chars().count();
    (1..=STR_ROOM_ID_MAX_LEN).contains(&n) && s.chars().all(is_str_room_char)
}

impl RoomId {
    /// Whether this is a room id a client may enter ([`valid_num_room_id`],
    /// [`valid_str_room_id`]).
    pub fn is_valid(&self) -> bool {
        match self {
            RoomId::Num(n) => valid_num_room_id(*n),
            RoomId::Str(s) => valid_str_room_id(s),
        }
    }
}
