//! Camera, screen and audio profiles (reference §7.1–7.3). Bitrates in kbps.

use serde::Serialize;

/// A video encoding target: the capture's ideal size and frame rate, and the encoder's bitrate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoProfile {
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// Frames per second.
    pub frame_rate: u32,
    /// The encoder's maximum bitrate, kbps.
    pub bitrate: u32,
}

const fn vp(width: u32, height: u32, frame_rate: u32, bitrate: u32) -> VideoProfile {
    VideoProfile {
        width,
        height,
        frame_rate,
        bitrate,
    }
}

/// Camera profiles, including the runtime's `_2` variants.
pub const VIDEO_PROFILES: &[(&str, VideoProfile)] = &[
    ("120p", vp(160, 120, 15, 200)),
    ("120p_2", vp(160, 120, 15, 100)),
    ("180p", vp(320, 180, 15, 350)),
    ("180p_2", vp(320, 180, 15, 150)),
    ("240p", vp(320, 240, 15, 400)),
    ("240p_2", vp(320, 240, 15, 200)),
    ("360p", vp(640, 360, 15, 800)),
    ("360p_2", vp(640, 360, 15, 400)),
    ("480p", vp(640, 480, 15, 900)),
    ("480p_2", vp(640, 480, 15, 500)),
    ("720p", vp(1280, 720, 15, 1500)),
    ("1080p", vp(1920, 1080, 15, 2000)),
    ("1440p", vp(2560, 1440, 30, 4860)),
    ("4K", vp(3840, 2160, 30, 9000)),
];

/// Screen-share profiles.
pub const SCREEN_PROFILES: &[(&str, VideoProfile)] = &[
    ("480p", vp(640, 480, 5, 900)),
    ("480p_2", vp(640, 480, 30, 1000)),
    ("720p", vp(1280, 720, 5, 1200)),
    ("720p_2", vp(1280, 720, 30, 3000)),
    ("1080p", vp(1920, 1080, 5, 1600)),
    ("1080p_2", vp(1920, 1080, 30, 4000)),
    ("1440p", vp(2560, 1440, 5, 2000)),
    ("1440p_2", vp(2560, 1440, 30, 4860)),
    ("4K", vp(3840, 2160, 5, 4000)),
    ("4K_2", vp(3840, 2160, 30, 9000)),
];

/// The camera's profile when the app gives none: 640×480, 15 fps, 500 kbps.
pub const DEFAULT_VIDEO_PROFILE_KEY: &str = "480p_2";
/// The small (second) stream's profile for `option.small: true`: 160×120, 15 fps, 100 kbps.
pub const DEFAULT_SMALL_PROFILE_KEY: &str = "120p_2";
/// The screen share's profile when the app gives none: 1920×1080, 5 fps, 1600 kbps.
pub const DEFAULT_SCREEN_PROFILE_KEY: &str = "1080p";

/// The camera profile named `key` in [`VIDEO_PROFILES`]; `None` for an unknown key (which the SDK
/// ignores with a warning).
pub fn video_profile(key: &str) -> Option<VideoProfile> {
    VIDEO_PROFILES
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, p)| *p)
}

/// The screen-share profile named `key` in [`SCREEN_PROFILES`].
pub fn screen_profile(key: &str) -> Option<VideoProfile> {
    SCREEN_PROFILES
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, p)| *p)
}

/// The profile of [`DEFAULT_VIDEO_PROFILE_KEY`].
pub fn default_video_profile() -> VideoProfile {
    video_profile(DEFAULT_VIDEO_PROFILE_KEY).expect("default profile is in the table")
}

/// The profile of [`DEFAULT_SCREEN_PROFILE_KEY`].
pub fn default_screen_profile() -> VideoProfile {
    screen_profile(DEFAULT_SCREEN_PROFILE_KEY).expect("default screen profile is in the table")
}

/// An audio capture and encoding target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AudioProfile {
    /// Hz (48 000 for every profile).
    pub sample_rate: u32,
    /// 1 mono, 2 stereo.
    pub channel_count: u32,
    /// The encoder's bitrate, kbps.
    pub bitrate: u32,
}

/// The microphone profiles of `option.profile` (reference §7.3; `high` is 128 kbps, as the runtime
/// has it).
pub const AUDIO_PROFILES: &[(&str, AudioProfile)] = &[
    (
        "standard",
        AudioProfile {
            sample_rate: 48000,
            channel_count: 1,
            bitrate: 40,
        },
    ),
    (
        "standard-stereo",
        AudioProfile {
            sample_rate: 48000,
            channel_count: 2,
            bitrate: 64,
        },
    ),
    (
        "high",
        AudioProfile {
            sample_rate: 48000,
            channel_count: 1,
            bitrate: 128,
        },
    ),
    (
        "high-stereo",
        AudioProfile {
            sample_rate: 48000,
            channel_count: 2,
            bitrate: 192,
        },
    ),
];

/// The microphone's profile when the app gives none: 48 kHz mono, 40 kbps.
pub const DEFAULT_AUDIO_PROFILE_KEY: &str = "standard";

/// The microphone profile named `key` in [`AUDIO_PROFILES`].
pub fn audio_profile(key: &str) -> Option<AudioProfile> {
    AUDIO_PROFILES
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, p)| *p)
}

/// The profile of [`DEFAULT_AUDIO_PROFILE_KEY`].
pub fn default_audio_profile() -> AudioProfile {
    audio_profile(DEFAULT_AUDIO_PROFILE_KEY).expect("default profile is in the table")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        assert_eq!(default_video_profile(), vp(640, 480, 15, 500));
        assert_eq!(
            video_profile(DEFAULT_SMALL_PROFILE_KEY),
            Some(vp(160, 120, 15, 100))
        );
        assert_eq!(
            screen_profile(DEFAULT_SCREEN_PROFILE_KEY),
            Some(vp(1920, 1080, 5, 1600))
        );
        assert_eq!(default_audio_profile().bitrate, 40);
        assert_eq!(audio_profile("high").unwrap().bitrate, 128);
        assert_eq!(video_profile("9000p"), None);
    }

    #[test]
    fn table_sizes() {
        assert_eq!(VIDEO_PROFILES.len(), 14);
        assert_eq!(SCREEN_PROFILES.len(), 10);
        assert_eq!(AUDIO_PROFILES.len(), 4);
    }
}
