//! A stable insertion sort for the SDK's short lists (users in a room, volume entries).
//!
//! The standard library's stable sort (driftsort) is ~3.5 KB of wasm per element type; this is a
//! few hundred bytes, and O(n²) is nothing for the dozens of entries it sees.

use std::cmp::Ordering;

/// Sorts `v` by `cmp`, stable (equal elements keep their order), as `slice::sort_by` does.
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && cmp(&v[j], &v[j - 1]) == Ordering::Less {
            v.swap(j, j - 1);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_the_standard_stable_sort() {
        // Pairs sorted by the first field only: the second shows the order of equal keys.
        let mut seed = 7u32;
        for len in 0..40 {
            let mut v: Vec<(u32, usize)> = (0..len)
                .map(|i| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    ((seed >> 16) % 5, i)
                })
                .collect();
            let mut want = v.clone();
            want.sort_by_key(|a| a.0);
            sort_by(&mut v, |a, b| a.0.cmp(&b.0));
            assert_eq!(v, want, "len {len}");
        }
    }
}
