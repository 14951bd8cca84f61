//! Substring search for the few places that look for a `&str` inside another.
//!
//! `str::contains`/`find`/`replace`/`split_once` with a `&str` pattern link the standard
//! library's two-way searcher (~3 KB of wasm); these scan bytes, which is all the SDK's short
//! strings (messages, user agents, an SDP) need.

/// The byte index of the first `needle` in `haystack`, as `haystack.find(needle)`.
pub fn find(haystack: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
}

/// Whether `needle` occurs in `haystack`, as `haystack.contains(needle)`.
pub fn contains(haystack: &str, needle: &str) -> bool {
    find(haystack, needle).is_some()
}

/// `haystack` with every `from` replaced by `to`, as `haystack.replace(from, to)` (`from` not
/// empty).
pub fn replace(haystack: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some(i) = find(rest, from).filter(|_| !from.is_empty()) {
        out.push_str(&rest[..i]);
        out.push_str(to);
        rest = &rest[i + from.len()..];
    }
    out.push_str(rest);
    out
}

/// `(before, after)` around the first `delimiter`, as `s.split_once(delimiter)`.
pub fn split_once<'a>(s: &'a str, delimiter: &str) -> Option<(&'a str, &'a str)> {
    find(s, delimiter).map(|i| (&s[..i], &s[i + delimiter.len()..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_the_standard_library() {
        let hays = [
            "",
            "a",
            "abc",
            "abcabc",
            "x tcp y",
            "héllo wörld",
            "aaa",
            "Safari/605 Version/17",
        ];
        let needles = [
            "", "a", "bc", "abc", "c", " tcp ", "ö", "aa", "Version/", "zz",
        ];
        for h in hays {
            for n in needles {
                assert_eq!(find(h, n), h.find(n), "{h:?} {n:?}");
                assert_eq!(contains(h, n), h.contains(n), "{h:?} {n:?}");
                assert_eq!(split_once(h, n), h.split_once(n), "{h:?} {n:?}");
                if !n.is_empty() {
                    assert_eq!(replace(h, n, "<>"), h.replace(n, "<>"), "{h:?} {n:?}");
                }
            }
        }
    }
}
