//! The pure parts of mixing: where each user's picture goes on the canvas (TRTC's
//! `MixLayoutMode`: grid, float, screen share), drawing a picture into its place (I420,
//! aspect kept, nearest neighbour), and summing audio. No IO.

/// TRTC's `MixLayoutMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayoutMode {
    /// 1: the big picture fills the canvas, the others float over it in small windows
    /// (a column of up to 4 from the bottom right, then more columns leftwards).
    Float,
    /// 2: the big picture on the left, the others in a sidebar on the right (up to
    /// [`SIDEBAR_MAX`] of them).
    ScreenShare,
    /// 3 (the default): a grid, 1, 2 side by side, 2×2, 3×3 or 4×4.
    Grid,
}

/// Most pictures on one canvas (the rest are heard, not seen).
pub const MAX_PICTURES: usize = 16;
/// Most small pictures in the screen-share layout's sidebar (two columns of four).
pub const SIDEBAR_MAX: usize = 8;

/// A place on the canvas, in pixels; every value even (I420's chroma is half size).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// Left.
    pub x: u32,
    /// Top.
    pub y: u32,
    /// Width.
    pub w: u32,
    /// Height.
    pub h: u32,
}

fn even(v: u32) -> u32 {
    v & !1
}

/// Where the pictures of `n` users go on a `width`×`height` canvas: `(index of the user,
/// place)`, in drawing order (a later one is drawn over an earlier one). `big` is the index of
/// the user shown large in the float and screen-share layouts (the first when out of range).
/// At most [`MAX_PICTURES`] places (fewer in the screen-share layout).
pub fn places(
    mode: LayoutMode,
    n: usize,
    big: usize,
    width: u32,
    height: u32,
) -> Vec<(usize, Rect)> {
    let n = n.min(MAX_PICTURES);
    if n == 0 {
        return vec![];
    }
    let (w, h) = (even(width), even(height));
    let full = Rect { x: 0, y: 0, w, h };
    let big = if big < n { big } else { 0 };
    let others = (0..n).filter(|&i| i != big);
    match mode {
        _ if n == 1 => vec![(0, full)],
        LayoutMode::Grid => {
            let (cols, rows) = match n {
                2 => (2, 1),
                3..=4 => (2, 2),
                5..=9 => (3, 3),
                _ => (4, 4),
            };
            let (cw, ch) = (even(w / cols), even(h / rows));
            (0..n)
                .map(|i| {
                    let (c, r) = (i as u32 % cols, i as u32 / cols);
                    (
                        i,
                        Rect {
                            x: c * cw,
                            y: r * ch,
                            w: cw,
                            h: ch,
                        },
                    )
                })
                .collect()
        }
        LayoutMode::Float => {
            let (sw, sh) = (even(w / 4), even(h / 4));
            let mut v = vec![(big, full)];
            for (k, i) in others.enumerate() {
                let (col, row) = (k as u32 / 4, k as u32 % 4);
                v.push((
                    i,
                    Rect {
                        x: w - (col + 1) * sw,
                        y: h - (row + 1) * sh,
                        w: sw,
                        h: sh,
                    },
                ));
            }
            v
        }
        LayoutMode::ScreenShare => {
            let k = (n - 1).min(SIDEBAR_MAX) as u32;
            let cols = k.div_ceil(4);
            let (sw, sh) = (even(w / 4), even(h / 4));
            let mut v = vec![(
                big,
                Rect {
                    x: 0,
                    y: 0,
                    w: w - cols * sw,
                    h,
                },
            )];
            for (k, i) in others.take(SIDEBAR_MAX).enumerate() {
                let (col, row) = (k as u32 / 4, k as u32 % 4);
                v.push((
                    i,
                    Rect {
                        x: w - (cols - col) * sw,
                        y: row * sh,
                        w: sw,
                        h: sh,
                    },
                ));
            }
            v
        }
    }
}

/// An I420 picture: `w`×`h` (even), planes Y, U, V one after the other.
pub fn frame_len(w: u32, h: u32) -> usize {
    let (w, h) = (w as usize, h as usize);
    w * h + 2 * (w / 2) * (h / 2)
}

/// Fills an I420 canvas with black.
pub fn clear(canvas: &mut [u8], w: u32, h: u32) {
    let y = (w * h) as usize;
    canvas[..y].fill(16);
    canvas[y..frame_len(w, h)].fill(128);
}

/// The part of `cell` a `sw`×`sh` picture takes with its aspect kept, centred (even values).
pub fn fit(sw: u32, sh: u32, cell: Rect) -> Rect {
    if sw == 0 || sh == 0 || cell.w == 0 || cell.h == 0 {
        return Rect { w: 0, h: 0, ..cell };
    }
    // Width-limited or height-limited, whichever is tighter.
    let (dw, dh) = if u64::from(sw) * u64::from(cell.h) >= u64::from(sh) * u64::from(cell.w) {
        (
            cell.w,
            (u64::from(cell.w) * u64::from(sh) / u64::from(sw)) as u32,
        )
    } else {
        (
            (u64::from(cell.h) * u64::from(sw) / u64::from(sh)) as u32,
            cell.h,
        )
    };
    let (dw, dh) = (even(dw).max(2).min(cell.w), even(dh).max(2).min(cell.h));
    Rect {
        x: cell.x + even((cell.w - dw) / 2),
        y: cell.y + even((cell.h - dh) / 2),
        w: dw,
        h: dh,
    }
}

/// Draws the I420 picture `src` (`sw`×`sh`) into `cell` of the I420 `canvas` (`cw`×`ch`),
/// scaled (nearest neighbour) with its aspect kept. Nothing is drawn when a size does not
/// match its buffer or the cell is not on the canvas.
pub fn draw(canvas: &mut [u8], cw: u32, ch: u32, src: &[u8], sw: u32, sh: u32, cell: Rect) {
    if canvas.len() < frame_len(cw, ch)
        || src.len() < frame_len(sw, sh)
        || cell.x + cell.w > cw
        || cell.y + cell.h > ch
        || sw < 2
        || sh < 2
    {
        return;
    }
    let r = fit(sw, sh, cell);
    let planes = |w: u32, h: u32| {
        let y = (w * h) as usize;
        let c = ((w / 2) * (h / 2)) as usize;
        [(0, w, h), (y, w / 2, h / 2), (y + c, w / 2, h / 2)]
    };
    for (plane, (&(doff, dstride, _), &(soff, sstride, sheight))) in
        planes(cw, ch).iter().zip(planes(sw, sh).iter()).enumerate()
    {
        let div = if plane == 0 { 1 } else { 2 };
        let (rx, ry, rw, rh) = (r.x / div, r.y / div, r.w / div, r.h / div);
        if rw == 0 || rh == 0 {
            continue;
        }
        let cols: Vec<usize> = (0..rw)
            .map(|i| (u64::from(i) * u64::from(sstride) / u64::from(rw)) as usize)
            .collect();
        for j in 0..rh {
            let sy = (u64::from(j) * u64::from(sheight) / u64::from(rh)) as usize;
            let srow = &src[soff + sy * sstride as usize..][..sstride as usize];
            let drow = &mut canvas[doff + ((ry + j) * dstride + rx) as usize..][..rw as usize];
            for (d, &sx) in drow.iter_mut().zip(&cols) {
                *d = srow[sx];
            }
        }
    }
}

/// Adds `src` (PCM samples) into the running sums `acc`.
pub fn add_pcm(acc: &mut [i32], src: impl IntoIterator<Item = i16>) {
    for (a, s) in acc.iter_mut().zip(src) {
        *a += i32::from(s);
    }
}

/// The sums as 16-bit little-endian PCM, clipped.
pub fn pcm_bytes(acc: &[i32]) -> Vec<u8> {
    acc.iter()
        .flat_map(|&s| (s.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16).to_le_bytes())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inside(r: Rect, w: u32, h: u32) -> bool {
        r.x + r.w <= w && r.y + r.h <= h && r.w > 0 && r.h > 0
    }

    fn overlap(a: Rect, b: Rect) -> bool {
        a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
    }

    #[test]
    fn grids() {
        assert!(places(LayoutMode::Grid, 0, 0, 640, 360).is_empty());
        assert_eq!(
            places(LayoutMode::Grid, 1, 0, 640, 360),
            vec![(
                0,
                Rect {
                    x: 0,
                    y: 0,
                    w: 640,
                    h: 360
                }
            )]
        );
        let two = places(LayoutMode::Grid, 2, 0, 640, 360);
        assert_eq!(
            two[1].1,
            Rect {
                x: 320,
                y: 0,
                w: 320,
                h: 360
            }
        );
        for n in 1..=20 {
            let p = places(LayoutMode::Grid, n, 0, 640, 360);
            assert_eq!(p.len(), n.min(MAX_PICTURES), "{n} users");
            for (k, &(i, r)) in p.iter().enumerate() {
                assert_eq!(i, k);
                assert!(inside(r, 640, 360), "{n}: {r:?}");
                assert!(r.x % 2 == 0 && r.y % 2 == 0 && r.w % 2 == 0 && r.h % 2 == 0);
                for &(_, s) in &p[..k] {
                    assert!(!overlap(r, s), "{n}: {r:?} overlaps {s:?}");
                }
            }
        }
        // 3x3 for 5 users: the fifth is in the middle.
        assert_eq!(
            places(LayoutMode::Grid, 5, 0, 640, 360)[4].1,
            Rect {
                x: 212,
                y: 120,
                w: 212,
                h: 120
            }
        );
    }

    #[test]
    fn float_and_screen_share() {
        let f = places(LayoutMode::Float, 3, 1, 640, 360);
        assert_eq!(
            f[0],
            (
                1,
                Rect {
                    x: 0,
                    y: 0,
                    w: 640,
                    h: 360
                }
            ),
            "the big one first, full"
        );
        assert_eq!(
            f[1],
            (
                0,
                Rect {
                    x: 480,
                    y: 270,
                    w: 160,
                    h: 90
                }
            )
        );
        assert_eq!(
            f[2],
            (
                2,
                Rect {
                    x: 480,
                    y: 180,
                    w: 160,
                    h: 90
                }
            )
        );
        for n in 1..=20 {
            let p = places(LayoutMode::Float, n, 99, 640, 360);
            assert_eq!(p.len(), n.min(MAX_PICTURES));
            assert_eq!(p[0].0, 0, "an unknown big index: the first user");
            for (k, &(_, r)) in p.iter().enumerate().skip(1) {
                assert!(inside(r, 640, 360));
                for &(_, s) in &p[1..k] {
                    assert!(!overlap(r, s));
                }
            }
        }
        let s = places(LayoutMode::ScreenShare, 3, 2, 640, 360);
        assert_eq!(
            s[0],
            (
                2,
                Rect {
                    x: 0,
                    y: 0,
                    w: 480,
                    h: 360
                }
            )
        );
        assert_eq!(
            s[1],
            (
                0,
                Rect {
                    x: 480,
                    y: 0,
                    w: 160,
                    h: 90
                }
            )
        );
        assert_eq!(
            s[2],
            (
                1,
                Rect {
                    x: 480,
                    y: 90,
                    w: 160,
                    h: 90
                }
            )
        );
        for n in 1..=20 {
            let p = places(LayoutMode::ScreenShare, n, 0, 640, 360);
            assert_eq!(p.len(), n.min(SIDEBAR_MAX + 1));
            for (k, &(_, r)) in p.iter().enumerate() {
                assert!(inside(r, 640, 360), "{n}: {r:?}");
                for &(_, o) in &p[..k] {
                    assert!(!overlap(r, o), "{n}: {r:?} overlaps {o:?}");
                }
            }
        }
        // Odd canvases stay on the canvas.
        for mode in [LayoutMode::Grid, LayoutMode::Float, LayoutMode::ScreenShare] {
            for &(_, r) in &places(mode, 7, 0, 17, 11) {
                assert!(r.x + r.w <= 16 && r.y + r.h <= 10, "{mode:?} {r:?}");
            }
        }
    }

    #[test]
    fn fitting_keeps_the_aspect() {
        let cell = Rect {
            x: 320,
            y: 0,
            w: 320,
            h: 360,
        };
        // 16:9 into a tall cell: full width, centred vertically.
        assert_eq!(
            fit(640, 360, cell),
            Rect {
                x: 320,
                y: 90,
                w: 320,
                h: 180
            }
        );
        // 9:16 into a wide cell: full height, centred horizontally.
        let wide = Rect {
            x: 0,
            y: 0,
            w: 640,
            h: 360,
        };
        assert_eq!(
            fit(360, 640, wide),
            Rect {
                x: 218,
                y: 0,
                w: 202,
                h: 360
            }
        );
        assert_eq!(fit(0, 10, wide).w, 0);
    }

    #[test]
    fn drawing() {
        let (cw, ch) = (8, 4);
        let mut canvas = vec![0u8; frame_len(cw, ch)];
        clear(&mut canvas, cw, ch);
        assert!(canvas[..32].iter().all(|&v| v == 16) && canvas[32..].iter().all(|&v| v == 128));
        // A 4x4 picture: Y rows 0..3 of value 10*row, U 1, V 2.
        let mut src = vec![0u8; frame_len(4, 4)];
        for r in 0..4 {
            src[r * 4..r * 4 + 4].fill(10 * r as u8);
        }
        src[16..20].fill(1);
        src[20..24].fill(2);
        // Into the right half (4x4): drawn 1:1.
        draw(
            &mut canvas,
            cw,
            ch,
            &src,
            4,
            4,
            Rect {
                x: 4,
                y: 0,
                w: 4,
                h: 4,
            },
        );
        for r in 0..4 {
            assert_eq!(&canvas[r * 8..r * 8 + 4], &[16; 4], "left half untouched");
            assert_eq!(&canvas[r * 8 + 4..r * 8 + 8], &[10 * r as u8; 4]);
        }
        assert_eq!(&canvas[32..36], &[128, 128, 1, 1]);
        assert_eq!(&canvas[40..44], &[128, 128, 2, 2]);
        // Scaled down into 2x2 at the left: rows 0 and 2.
        draw(
            &mut canvas,
            cw,
            ch,
            &src,
            4,
            4,
            Rect {
                x: 0,
                y: 0,
                w: 2,
                h: 2,
            },
        );
        assert_eq!(&canvas[0..2], &[0, 0]);
        assert_eq!(&canvas[8..10], &[20, 20]);
        // Wrong sizes and cells off the canvas draw nothing.
        let before = canvas.clone();
        draw(
            &mut canvas,
            cw,
            ch,
            &src[..10],
            4,
            4,
            Rect {
                x: 0,
                y: 0,
                w: 4,
                h: 4,
            },
        );
        draw(
            &mut canvas,
            cw,
            ch,
            &src,
            4,
            4,
            Rect {
                x: 6,
                y: 0,
                w: 4,
                h: 4,
            },
        );
        draw(
            &mut canvas[..10],
            cw,
            ch,
            &src,
            4,
            4,
            Rect {
                x: 0,
                y: 0,
                w: 2,
                h: 2,
            },
        );
        assert_eq!(canvas, before);
    }

    #[test]
    fn audio_sums_clip() {
        let mut acc = vec![0i32; 3];
        add_pcm(&mut acc, [100, i16::MAX, -20000]);
        add_pcm(&mut acc, [-50, 10, -20000]);
        add_pcm(&mut acc, [1]);
        assert_eq!(acc, vec![51, i32::from(i16::MAX) + 10, -40000]);
        let b = pcm_bytes(&acc);
        assert_eq!(b.len(), 6);
        assert_eq!(i16::from_le_bytes([b[0], b[1]]), 51);
        assert_eq!(i16::from_le_bytes([b[2], b[3]]), i16::MAX);
        assert_eq!(i16::from_le_bytes([b[4], b[5]]), i16::MIN);
    }
}
