//! Public constants of trtc-sdk-v5, as ordered tables. The order is the runtime's key order.

/// `TRTC.EVENT`: 31 keys, values as in trtc-sdk-v5 5.17.1 (note `LAYER_DATA` is camelCase).
pub const EVENTS: &[(&str, &str)] = &[
    ("ERROR", "error"),
    ("AUTOPLAY_FAILED", "autoplay-failed"),
    ("KICKED_OUT", "kicked-out"),
    ("REMOTE_USER_ENTER", "remote-user-enter"),
    ("REMOTE_USER_EXIT", "remote-user-exit"),
    ("REMOTE_AUDIO_AVAILABLE", "remote-audio-available"),
    ("REMOTE_AUDIO_UNAVAILABLE", "remote-audio-unavailable"),
    ("REMOTE_VIDEO_AVAILABLE", "remote-video-available"),
    ("REMOTE_VIDEO_UNAVAILABLE", "remote-video-unavailable"),
    ("AUDIO_VOLUME", "audio-volume"),
    ("AUDIO_FRAME", "audio-frame"),
    ("NETWORK_QUALITY", "network-quality"),
    ("CONNECTION_STATE_CHANGED", "connection-state-changed"),
    ("AUDIO_PLAY_STATE_CHANGED", "audio-play-state-changed"),
    ("VIDEO_PLAY_STATE_CHANGED", "video-play-state-changed"),
    ("SCREEN_SHARE_STOPPED", "screen-share-stopped"),
    ("DEVICE_CHANGED", "device-changed"),
    ("PUBLISH_STATE_CHANGED", "publish-state-changed"),
    ("TRACK", "track"),
    ("STATISTICS", "statistics"),
    ("SEI_MESSAGE", "sei-message"),
    ("CUSTOM_MESSAGE", "custom-message"),
    (
        "VIDEO_DECODE_DOWNGRADE_STATE_CHANGED",
        "video-decode-downgrade-state-changed",
    ),
    ("LAYER_DATA", "layerData"),
    ("FIRST_VIDEO_FRAME", "first-video-frame"),
    ("PERMISSION_STATE_CHANGE", "permission-state-change"),
    ("VIDEO_SIZE_CHANGED", "video-size-changed"),
    (
        "REALTIME_TRANSCRIBER_MESSAGE",
        "realtime-transcriber-message",
    ),
    (
        "REALTIME_TRANSCRIBER_STATE_CHANGED",
        "realtime-transcriber-state-changed",
    ),
    (
        "PICTURE_IN_PICTURE_STATE_CHANGED",
        "picture-in-picture-state-changed",
    ),
    ("FULL_SCREEN_STATE_CHANGED", "full-screen-state-changed"),
];

/// `TRTC.TYPE`: 14 keys.
pub const TYPES: &[(&str, &str)] = &[
    ("SCENE_LIVE", "live"),
    ("SCENE_RTC", "rtc"),
    ("ROLE_ANCHOR", "anchor"),
    ("ROLE_AUDIENCE", "audience"),
    ("STREAM_TYPE_MAIN", "main"),
    ("STREAM_TYPE_SUB", "sub"),
    ("AUDIO_PROFILE_STANDARD", "standard"),
    ("AUDIO_PROFILE_STANDARD_STEREO", "standard-stereo"),
    ("AUDIO_PROFILE_HIGH", "high"),
    ("AUDIO_PROFILE_HIGH_STEREO", "high-stereo"),
    ("QOS_PREFERENCE_SMOOTH", "smooth"),
    ("QOS_PREFERENCE_CLEAR", "clear"),
    ("SPEAKER", "Speakerphone"),
    ("HEADSET", "Headset earpiece"),
];

/// Event names used by the SDK itself.
pub mod event {
    pub const ERROR: &str = "error";
    pub const AUTOPLAY_FAILED: &str = "autoplay-failed";
    pub const AUDIO_VOLUME: &str = "audio-volume";
    pub const AUDIO_PLAY_STATE_CHANGED: &str = "audio-play-state-changed";
    pub const VIDEO_PLAY_STATE_CHANGED: &str = "video-play-state-changed";
    pub const DEVICE_CHANGED: &str = "device-changed";
    pub const FIRST_VIDEO_FRAME: &str = "first-video-frame";
    pub const VIDEO_SIZE_CHANGED: &str = "video-size-changed";
    pub const PERMISSION_STATE_CHANGE: &str = "permission-state-change";
    pub const KICKED_OUT: &str = "kicked-out";
    pub const REMOTE_USER_ENTER: &str = "remote-user-enter";
    pub const REMOTE_USER_EXIT: &str = "remote-user-exit";
    pub const REMOTE_AUDIO_AVAILABLE: &str = "remote-audio-available";
    pub const REMOTE_AUDIO_UNAVAILABLE: &str = "remote-audio-unavailable";
    pub const REMOTE_VIDEO_AVAILABLE: &str = "remote-video-available";
    pub const REMOTE_VIDEO_UNAVAILABLE: &str = "remote-video-unavailable";
    pub const CONNECTION_STATE_CHANGED: &str = "connection-state-changed";
    pub const PUBLISH_STATE_CHANGED: &str = "publish-state-changed";
    pub const NETWORK_QUALITY: &str = "network-quality";
    pub const STATISTICS: &str = "statistics";
}

/// The API level this SDK matches (`TRTC.VERSION`).
pub const API_VERSION: &str = "5.17.1";
/// `TRTC.frameWorkType`.
pub const FRAMEWORK_TYPE: u32 = 30;

/// Log levels of `TRTC.setLogLevel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Trace = 0,
    Debug = 1,
    Info = 2,
    Warn = 3,
    Error = 4,
    None = 5,
}

impl LogLevel {
    pub const DEFAULT: LogLevel = LogLevel::Info;

    /// The level for a number passed by the app; `None` when it is not 0..=5.
    pub fn from_number(n: f64) -> Option<LogLevel> {
        if n.fract() != 0.0 {
            return None;
        }
        Some(match n as i64 {
            0 => LogLevel::Trace,
            1 => LogLevel::Debug,
            2 => LogLevel::Info,
            3 => LogLevel::Warn,
            4 => LogLevel::Error,
            5 => LogLevel::None,
            _ => return None,
        })
    }

    /// Whether a message at `msg` level is printed when the threshold is `self`.
    pub fn allows(self, msg: LogLevel) -> bool {
        self != LogLevel::None && msg >= self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_sizes_match_the_reference() {
        assert_eq!(EVENTS.len(), 31);
        assert_eq!(TYPES.len(), 14);
    }

    #[test]
    fn event_values_are_unique() {
        let mut v: Vec<_> = EVENTS.iter().map(|e| e.1).collect();
        v.sort();
        v.dedup();
        assert_eq!(v.len(), EVENTS.len());
    }

    #[test]
    fn sdk_event_constants_are_in_the_table() {
        for name in [
            event::ERROR,
            event::AUTOPLAY_FAILED,
            event::AUDIO_VOLUME,
            event::AUDIO_PLAY_STATE_CHANGED,
            event::VIDEO_PLAY_STATE_CHANGED,
            event::DEVICE_CHANGED,
            event::FIRST_VIDEO_FRAME,
            event::VIDEO_SIZE_CHANGED,
            event::PERMISSION_STATE_CHANGE,
            event::KICKED_OUT,
            event::REMOTE_USER_ENTER,
            event::REMOTE_USER_EXIT,
            event::REMOTE_AUDIO_AVAILABLE,
            event::REMOTE_AUDIO_UNAVAILABLE,
            event::REMOTE_VIDEO_AVAILABLE,
            event::REMOTE_VIDEO_UNAVAILABLE,
            event::CONNECTION_STATE_CHANGED,
            event::PUBLISH_STATE_CHANGED,
        ] {
            assert!(EVENTS.iter().any(|e| e.1 == name), "{name}");
        }
    }

    #[test]
    fn log_levels() {
        let cases = [
            (0.0, Some(LogLevel::Trace)),
            (2.0, Some(LogLevel::Info)),
            (5.0, Some(LogLevel::None)),
            (6.0, None),
            (-1.0, None),
            (1.5, None),
        ];
        for (n, want) in cases {
            assert_eq!(LogLevel::from_number(n), want, "{n}");
        }
        assert!(LogLevel::Info.allows(LogLevel::Warn));
        assert!(!LogLevel::Warn.allows(LogLevel::Info));
        assert!(!LogLevel::None.allows(LogLevel::Error));
    }
}
