//! The room-id rules the SDK and the server share: ranges, lengths and the character set.

use trtc_proto::room_id::{
    valid_num_room_id, valid_str_room_id, NUM_ROOM_ID_MAX, ROOM_ID_MAX, STR_ROOM_ID_MAX_LEN,
};
use trtc_proto::RoomId;

#[test]
fn the_two_maxima_are_one_number() {
    assert_eq!(f64::from(NUM_ROOM_ID_MAX), ROOM_ID_MAX);
    assert_eq!(NUM_ROOM_ID_MAX, u32::MAX - 1);
}

#[test]
fn numeric_room_ids() {
    let rows = [
        (0, false),
        (1, true),
        (8, true),
        (NUM_ROOM_ID_MAX, true),
        (u32::MAX, false),
    ];
    for (n, want) in rows {
        assert_eq!(valid_num_room_id(n), want, "{n}");
        assert_eq!(RoomId::Num(n).is_valid(), want, "{n}");
    }
}

#[test]
fn string_room_ids() {
    let longest = "a".repeat(STR_ROOM_ID_MAX_LEN);
    let too_long = "a".repeat(STR_ROOM_ID_MAX_LEN + 1);
    let rows: Vec<(&str, bool)> = vec![
        ("", false),
        ("a", true),
        ("room 1!", true),
        ("tab\there", true),
        ("lines\r\n\x0b\x0c", true),
        ("!#$%&()+-:;<=.>?@[]^_{}|~,", true),
        ("AZaz09", true),
        (&longest, true),
        (&too_long, false),
        ("café", false),
        ("quote\"", false),
        ("slash/", false),
        ("back\\slash", false),
        ("star*", false),
        ("apostrophe'", false),
        ("nul\0", false),
        ("中文", false),
    ];
    for (s, want) in rows {
        assert_eq!(valid_str_room_id(s), want, "{s:?}");
        assert_eq!(RoomId::Str(s.to_string()).is_valid(), want, "{s:?}");
    }
}

#[test]
fn length_counts_characters_not_bytes() {
    // 64 one-byte characters pass; a 64-character id cannot hold multi-byte ones anyway (only
    // ASCII is allowed), so a byte count and a character count agree on every valid id.
    let s = " ".repeat(STR_ROOM_ID_MAX_LEN);
    assert!(valid_str_room_id(&s));
    assert!(!valid_str_room_id(&format!("{s}é")));
}

#[test]
fn the_character_set_is_exactly_the_documented_one() {
    const PUNCTUATION: &str = "!#$%&()+-:;<=.>?@[]^_{}|~,";
    for b in 0u8..=255 {
        let c = char::from(b);
        let want = c.is_ascii_alphanumeric()
            || matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
            || PUNCTUATION.contains(c);
        assert_eq!(valid_str_room_id(&c.to_string()), want, "{c:?}");
    }
}
