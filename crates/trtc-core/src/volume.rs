//! Audio level math and the volume-evaluation schedule (reference §6.2).

/// Smallest evaluation interval.
pub const MIN_INTERVAL_MS: f64 = 100.0;
/// Default interval of `enableAudioVolumeEvaluation()`.
pub const DEFAULT_INTERVAL_MS: f64 = 2000.0;
/// Length of one level block (the level is the loudest block in the window).
pub const BLOCK_MS: f64 = 10.0;
/// The smallest analysis window, in samples (an `AnalyserNode.fftSize`).
pub const MIN_WINDOW: u32 = 2048;
/// The largest `AnalyserNode.fftSize`.
pub const MAX_WINDOW: u32 = 32768;

/// The interval actually used: `None` turns evaluation off (`interval <= 0` or not a number),
/// otherwise `floor(max(interval, 100))` ms.
pub fn effective_interval(interval: f64) -> Option<u32> {
    if interval.is_nan() || interval <= 0.0 {
        None
    } else {
        Some(interval.max(MIN_INTERVAL_MS).min(u32::MAX as f64).floor() as u32)
    }
}

/// The analysis window (a power of two, an `AnalyserNode.fftSize`) that covers one interval,
/// so a short sound between two ticks is not missed; bounded to 2048..=32768 samples.
pub fn analysis_window(sample_rate: f64, interval_ms: u32) -> u32 {
    let want = (sample_rate * interval_ms as f64 / 1000.0).ceil().max(1.0) as u32;
    want.checked_next_power_of_two()
        .unwrap_or(MAX_WINDOW)
        .clamp(MIN_WINDOW, MAX_WINDOW)
}

/// The level (0..=1) of a window of samples: the loudest 10 ms block's RMS, scaled so that a
/// full-scale sine reads 1.
pub fn level(samples: &[f32], sample_rate: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let block = ((sample_rate * BLOCK_MS / 1000.0) as usize).max(1);
    let mut loudest = 0.0f64;
    for chunk in samples.chunks(block) {
        let sum: f64 = chunk.iter().map(|s| (*s as f64) * (*s as f64)).sum();
        let rms = (sum / chunk.len() as f64).sqrt();
        loudest = loudest.max(rms);
    }
    (loudest * std::f64::consts::SQRT_2).clamp(0.0, 1.0)
}

/// `volume` for a level: `floor(level × 100)`, 0..=100.
pub fn volume_of(level: f64) -> u32 {
    (level.clamp(0.0, 1.0) * 100.0).floor() as u32
}

/// `volume` for a level with `TRTC.create({volumeType: 1})`: dB-based, the level's dBFS
/// (`20·log10(level)`) mapped linearly from -100..=0 dB onto 0..=100 and floored, so a level
/// of 0.01 (-40 dB) reads 60 instead of 1.
pub fn db_volume_of(level: f64) -> u32 {
    // The largest v in 0..=100 with 10^((v - 100) / 20) <= level, found by 1 dB steps from
    // -100 dB (no logarithm: that would bring libm's into the wasm).
    const STEP: f64 = 1.122_018_454_301_963_3; // 10^(1/20)
    if !(level.is_finite() && level > 0.0) {
        return 0;
    }
    let level = level * (1.0 + 1e-12);
    let mut threshold = 1e-5;
    let mut v = 0;
    while v < 100 && threshold * STEP <= level {
        threshold *= STEP;
        v += 1;
    }
    v
}

/// One entry of `AUDIO_VOLUME.result`.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeEntry {
    /// Whose audio: a remote user, or `''` for the local microphone.
    pub user_id: String,
    /// `floor(level × 100)`, 0..=100.
    pub volume: u32,
    /// The level itself, 0..=1.
    pub float_volume: f64,
}

impl VolumeEntry {
    /// The entry for `level`, clamped to 0..=1 (a level that is not finite counts as 0);
    /// with `db`, `volume` is [`db_volume_of`] the level.
    pub fn with_type(user_id: &str, level: f64, db: bool) -> Self {
        let mut e = Self::new(user_id, level);
        if db {
            e.volume = db_volume_of(e.float_volume);
        }
        e
    }

    /// The entry for `level`, clamped to 0..=1 (a level that is not finite counts as 0).
    pub fn new(user_id: &str, level: f64) -> Self {
        let level = if level.is_finite() {
            level.clamp(0.0, 1.0)
        } else {
            0.0
        };
        VolumeEntry {
            user_id: user_id.to_string(),
            volume: volume_of(level),
            float_volume: level,
        }
    }
}

/// Sorts entries loudest first (stable, so equal volumes keep their order).
pub fn sort_loudest_first(entries: &mut [VolumeEntry]) {
    crate::sort::sort_by(entries, |a, b| b.volume.cmp(&a.volume));
}

/// Whether a tick emits: not while the page is hidden unless `enableInBackground`.
pub fn should_emit(page_hidden: bool, in_background: bool) -> bool {
    !page_hidden || in_background
}

#[cfg(test)]
mod tests {
    #[test]
    fn db_volume_maps_minus_100_to_0_db_onto_0_to_100() {
        use super::db_volume_of;
        assert_eq!(db_volume_of(1.0), 100);
        assert_eq!(db_volume_of(0.1), 80);
        assert_eq!(db_volume_of(0.01), 60);
        assert_eq!(db_volume_of(1e-6), 0);
        assert_eq!(db_volume_of(0.0), 0);
        assert_eq!(db_volume_of(f64::NAN), 0);
        assert_eq!(db_volume_of(7.0), 100);
        for v in 0..=100u32 {
            let level = 10f64.powf((v as f64 - 100.0) / 20.0);
            assert_eq!(db_volume_of(level), v, "at {v} dB above -100");
            assert_eq!(db_volume_of(level * 1.05), v, "just above {v}");
        }
        let e = super::VolumeEntry::with_type("a", 0.01, true);
        assert_eq!((e.volume, e.float_volume), (60, 0.01));
        assert_eq!(super::VolumeEntry::with_type("a", 0.01, false).volume, 1);
    }

    use super::*;

    #[test]
    fn intervals() {
        let rows = [
            (2000.0, Some(2000)),
            (100.0, Some(100)),
            (50.0, Some(100)),
            (150.7, Some(150)),
            (0.0, None),
            (-5.0, None),
            (f64::NAN, None),
        ];
        for (i, want) in rows {
            assert_eq!(effective_interval(i), want, "{i}");
        }
    }

    #[test]
    fn windows() {
        assert_eq!(analysis_window(48000.0, 100), 8192);
        assert_eq!(analysis_window(48000.0, 200), 16384);
        assert_eq!(analysis_window(48000.0, 2000), MAX_WINDOW);
        assert_eq!(analysis_window(8000.0, 100), MIN_WINDOW);
    }

    fn sine(amplitude: f32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| amplitude * (i as f32 * 2.0 * std::f32::consts::PI * 440.0 / 48000.0).sin())
            .collect()
    }

    #[test]
    fn levels() {
        assert_eq!(level(&[], 48000.0), 0.0);
        assert_eq!(level(&vec![0.0; 4800], 48000.0), 0.0);
        let full = level(&sine(1.0, 4800), 48000.0);
        assert!((full - 1.0).abs() < 0.01, "{full}");
        let half = level(&sine(0.5, 4800), 48000.0);
        assert!((half - 0.5).abs() < 0.01, "{half}");
        // A 20 ms beep inside 500 ms of silence is still seen.
        let mut s = vec![0.0; 24000];
        s[12000..12960].copy_from_slice(&sine(0.8, 960));
        let beep = level(&s, 48000.0);
        assert!(beep > 0.7, "{beep}");
        // Square wave clips to 1.
        assert_eq!(level(&vec![1.0; 480], 48000.0), 1.0);
    }

    #[test]
    fn volumes() {
        for (l, v) in [
            (0.0, 0),
            (0.004, 0),
            (0.01, 1),
            (0.999, 99),
            (1.0, 100),
            (2.0, 100),
            (-1.0, 0),
        ] {
            assert_eq!(volume_of(l), v, "{l}");
        }
        let e = VolumeEntry::new("", f64::NAN);
        assert_eq!((e.volume, e.float_volume), (0, 0.0));
    }

    #[test]
    fn sorting() {
        let mut v = vec![
            VolumeEntry::new("a", 0.1),
            VolumeEntry::new("b", 0.9),
            VolumeEntry::new("c", 0.1),
        ];
        sort_loudest_first(&mut v);
        let ids: Vec<_> = v.iter().map(|e| e.user_id.as_str()).collect();
        assert_eq!(ids, ["b", "a", "c"]);
    }

    #[test]
    fn background() {
        assert!(should_emit(false, false));
        assert!(!should_emit(true, false));
        assert!(should_emit(true, true));
    }
}
