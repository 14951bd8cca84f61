//! Public constants of trtc-sdk-v5, as ordered tables. The order is the runtime's key order.
//!
//! The SDK's wasm does not build `TRTC.EVENT`/`TYPE`/`ERROR_CODE` from these: the package's entries
//! carry them (scripts/gen-statics.mjs, from the same reference surface these are tested against).

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
    /// An unrecoverable error outside any API call; the payload is an `RtcError` (the SDK has left
    /// the room first).
    pub const ERROR: &str = "error";
    /// The browser refused to play a track without a user gesture: `{userId, mediaType, resume()}`.
    pub const AUTOPLAY_FAILED: &str = "autoplay-failed";
    /// One tick of the volume evaluation: `{result: {userId, volume, floatVolume}[]}`, loudest
    /// first.
    pub const AUDIO_VOLUME: &str = "audio-volume";
    /// An audio track started, paused or stopped playing: `{userId, state, reason}`.
    pub const AUDIO_PLAY_STATE_CHANGED: &str = "audio-play-state-changed";
    /// A video track started, paused or stopped playing: `{userId, streamType, state, reason}`.
    pub const VIDEO_PLAY_STATE_CHANGED: &str = "video-play-state-changed";
    /// The user ended the screen share in the browser's own UI; the SDK stopped it (no payload).
    pub const SCREEN_SHARE_STOPPED: &str = "screen-share-stopped";
    /// A camera, microphone or speaker was added, removed or became the active one:
    /// `{type, action, device}`.
    pub const DEVICE_CHANGED: &str = "device-changed";
    /// The first frame of a video was rendered: `{userId, streamType, width, height}` (`''` =
    /// local).
    pub const FIRST_VIDEO_FRAME: &str = "first-video-frame";
    /// A rendered video changed size: `{userId, streamType, newWidth, newHeight}`.
    pub const VIDEO_SIZE_CHANGED: &str = "video-size-changed";
    /// The camera or microphone permission changed: `{camera, microphone}`, each
    /// `'granted'|'denied'|'prompt'`.
    pub const PERMISSION_STATE_CHANGE: &str = "permission-state-change";
    /// The server removed this user from the room: `{reason: 'kick'|'banned'|'room_disband'}`.
    pub const KICKED_OUT: &str = "kicked-out";
    /// A remote user entered the room: `{userId}`.
    pub const REMOTE_USER_ENTER: &str = "remote-user-enter";
    /// A remote user left the room: `{userId, reason?}`.
    pub const REMOTE_USER_EXIT: &str = "remote-user-exit";
    /// A remote user started publishing audio: `{userId}`.
    pub const REMOTE_AUDIO_AVAILABLE: &str = "remote-audio-available";
    /// A remote user stopped publishing audio: `{userId}`.
    pub const REMOTE_AUDIO_UNAVAILABLE: &str = "remote-audio-unavailable";
    /// A remote user started publishing a video stream: `{userId, streamType}`.
    pub const REMOTE_VIDEO_AVAILABLE: &str = "remote-video-available";
    /// A remote user stopped publishing a video stream: `{userId, streamType}`.
    pub const REMOTE_VIDEO_UNAVAILABLE: &str = "remote-video-unavailable";
    /// The signalling connection changed state: `{prevState, state, isReconnecting?}`.
    pub const CONNECTION_STATE_CHANGED: &str = "connection-state-changed";
    /// A local stream's publishing changed state: `{mediaType, state, prevState, reason?, error?}`.
    pub const PUBLISH_STATE_CHANGED: &str = "publish-state-changed";
    /// Every 2 s in a room: the uplink and downlink quality (0..=6), RTTs and loss (see
    /// [`crate::quality::NetworkQuality`]).
    pub const NETWORK_QUALITY: &str = "network-quality";
    /// Every 2 s in a room: bitrates, sizes, frame rates and delays of the local and remote streams
    /// (see [`crate::quality::Statistics`]).
    pub const STATISTICS: &str = "statistics";
    /// Another user's custom message: `{userId, cmdId, seq, data}`.
    pub const CUSTOM_MESSAGE: &str = "custom-message";
    /// An SEI message in a received H.264 video: `{data, userId, streamType, seiPayloadType}`.
    pub const SEI_MESSAGE: &str = "sei-message";
    /// 40 ms of PCM (`callExperimentalAPI('enableAudioFrameEvent')`):
    /// `{userId, sampleRate, channelCount, data}`.
    pub const AUDIO_FRAME: &str = "audio-frame";
    /// A local or remote track became available: `{userId, streamType, track, sourceTrack}`.
    pub const TRACK: &str = "track";
    /// A remote video entered or left picture-in-picture:
    /// `{userId, streamType, isPictureInPicture, pictureInPictureWindow?}`.
    pub const PICTURE_IN_PICTURE_STATE_CHANGED: &str = "picture-in-picture-state-changed";
    /// A video entered or left full screen: `{userId, streamType, isFullScreen}`.
    pub const FULL_SCREEN_STATE_CHANGED: &str = "full-screen-state-changed";
}

/// The API level this SDK matches (`TRTC.VERSION`).
pub const API_VERSION: &str = "5.17.1";
/// `TRTC.frameWorkType`.
pub const FRAMEWORK_TYPE: u32 = 30;

/// Log levels of `TRTC.setLogLevel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// The most detailed level: every message is printed.
    Trace = 0,
    /// Debugging detail and everything above it.
    Debug = 1,
    /// Ordinary progress (room and stream lifecycle) and above; the default.
    Info = 2,
    /// Warnings and errors.
    Warn = 3,
    /// Errors only.
    Error = 4,
    /// Nothing is printed (`allows` is false for every message).
    None = 5,
}

impl LogLevel {
    /// The level before the app calls `TRTC.setLogLevel`.
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
            event::CUSTOM_MESSAGE,
            event::SEI_MESSAGE,
            event::AUDIO_FRAME,
            event::TRACK,
            event::PICTURE_IN_PICTURE_STATE_CHANGED,
            event::FULL_SCREEN_STATE_CHANGED,
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
