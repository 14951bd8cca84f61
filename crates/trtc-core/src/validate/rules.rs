use super::{Lit, Rule, Ty};

const FILL_MODES: &[Lit] = &[Lit::Str("contain"), Lit::Str("cover"), Lit::Str("fill")];
const MIRRORS: &[Lit] = &[
    Lit::Bool(true),
    Lit::Bool(false),
    Lit::Str("view"),
    Lit::Str("publish"),
    Lit::Str("both"),
];

const VIDEO_OPTION: &[Rule] = &[
    Rule {
        key: "cameraId",
        types: &[Ty::String],
        ..Rule::DEFAULT
    },
    Rule {
        key: "useFrontCamera",
        types: &[Ty::Boolean],
        ..Rule::DEFAULT
    },
    Rule {
        key: "videoTrack",
        types: &[Ty::Track],
        ..Rule::DEFAULT
    },
    Rule {
        key: "profile",
        types: &[Ty::String, Ty::Object],
        ..Rule::DEFAULT
    },
    Rule {
        key: "fillMode",
        types: &[Ty::String],
        values: FILL_MODES,
        ..Rule::DEFAULT
    },
    Rule {
        key: "mirror",
        types: &[Ty::Boolean, Ty::String],
        values: MIRRORS,
        ..Rule::DEFAULT
    },
    Rule {
        key: "qosPreference",
        types: &[Ty::String],
        values: &[Lit::Str("smooth"), Lit::Str("clear")],
        ..Rule::DEFAULT
    },
    Rule {
        key: "small",
        types: &[Ty::Boolean, Ty::String, Ty::Object],
        ..Rule::DEFAULT
    },
    Rule {
        key: "avoidCropping",
        types: &[Ty::Boolean],
        ..Rule::DEFAULT
    },
    Rule {
        key: "rotation",
        types: &[Ty::Number],
        values: &[
            Lit::Num(0.0),
            Lit::Num(90.0),
            Lit::Num(180.0),
            Lit::Num(270.0),
        ],
        ..Rule::DEFAULT
    },
];

const VIDEO_CONFIG: &[Rule] = &[
    Rule {
        key: "view",
        types: &[Ty::String, Ty::Element, Ty::Array, Ty::Null],
        ..Rule::DEFAULT
    },
    Rule {
        key: "publish",
        types: &[Ty::Boolean],
        ..Rule::DEFAULT
    },
    Rule {
        key: "forcePublish",
        types: &[Ty::Boolean],
        ..Rule::DEFAULT
    },
    Rule {
        key: "mute",
        types: &[Ty::Boolean, Ty::String],
        ..Rule::DEFAULT
    },
    Rule {
        key: "option",
        types: &[Ty::Object],
        properties: VIDEO_OPTION,
        ..Rule::DEFAULT
    },
];

/// `startLocalVideo(config?)`.
pub const START_LOCAL_VIDEO: Rule = Rule {
    key: "config",
    types: &[Ty::Object],
    properties: VIDEO_CONFIG,
    ..Rule::DEFAULT
};
/// `updateLocalVideo(config)`: the config is required.
pub const UPDATE_LOCAL_VIDEO: Rule = Rule {
    required: true,
    ..START_LOCAL_VIDEO
};

const SCREEN_OPTION: &[Rule] = &[
    Rule {
        key: "profile",
        types: &[Ty::String, Ty::Object],
        ..Rule::DEFAULT
    },
    Rule {
        key: "fillMode",
        types: &[Ty::String],
        values: FILL_MODES,
        ..Rule::DEFAULT
    },
    Rule {
        key: "systemAudio",
        types: &[Ty::Boolean],
        ..Rule::DEFAULT
    },
    Rule {
        key: "echoCancellation",
        types: &[Ty::Boolean],
        ..Rule::DEFAULT
    },
    Rule {
        key: "autoGainControl",
        types: &[Ty::Boolean],
        ..Rule::DEFAULT
    },
    Rule {
        key: "noiseSuppression",
        types: &[Ty::Boolean],
        ..Rule::DEFAULT
    },
    Rule {
        key: "videoTrack",
        types: &[Ty::Track],
        ..Rule::DEFAULT
    },
    Rule {
        key: "audioTrack",
        types: &[Ty::Track],
        ..Rule::DEFAULT
    },
    Rule {
        key: "captureElement",
        types: &[Ty::Element],
        ..Rule::DEFAULT
    },
    Rule {
        key: "preferDisplaySurface",
        types: &[Ty::String],
        values: &[
            Lit::Str("current-tab"),
            Lit::Str("tab"),
            Lit::Str("window"),
            Lit::Str("monitor"),
        ],
        ..Rule::DEFAULT
    },
    Rule {
        key: "selfBrowserSurface",
        types: &[Ty::String],
        values: &[Lit::Str("include"), Lit::Str("exclude")],
        ..Rule::DEFAULT
    },
    Rule {
        key: "qosPreference",
        types: &[Ty::String],
        values: &[Lit::Str("smooth"), Lit::Str("clear")],
        ..Rule::DEFAULT
    },
];

const SCREEN_CONFIG: &[Rule] = &[
    Rule {
        key: "view",
        types: &[Ty::String, Ty::Element, Ty::Array, Ty::Null],
        ..Rule::DEFAULT
    },
    Rule {
        key: "publish",
        types: &[Ty::Boolean],
        ..Rule::DEFAULT
    },
    Rule {
        key: "streamType",
        types: &[Ty::String],
        values: &[Lit::Str("main"), Lit::Str("sub")],
        ..Rule::DEFAULT
    },
    Rule {
        key: "muteSystemAudio",
        types: &[Ty::Boolean],
        ..Rule::DEFAULT
    },
    Rule {
        key: "option",
        types: &[Ty::Object],
        properties: SCREEN_OPTION,
        ..Rule::DEFAULT
    },
];

/// `startScreenShare(config?)`.
pub const START_SCREEN_SHARE: Rule = Rule {
    key: "config",
    types: &[Ty::Object],
    properties: SCREEN_CONFIG,
    ..Rule::DEFAULT
};
/// `updateScreenShare(config)`: the config is required.
pub const UPDATE_SCREEN_SHARE: Rule = Rule {
    required: true,
    ..START_SCREEN_SHARE
};

const AUDIO_OPTION: &[Rule] = &[
    Rule {
        key: "microphoneId",
        types: &[Ty::String],
        ..Rule::DEFAULT
    },
    Rule {
        key: "audioTrack",
        types: &[Ty::Track],
        ..Rule::DEFAULT
    },
    Rule {
        key: "profile",
        types: &[Ty::String],
        values: &[
            Lit::Str("standard"),
            Lit::Str("standard-stereo"),
            Lit::Str("high"),
            Lit::Str("high-stereo"),
        ],
        ..Rule::DEFAULT
    },
    Rule {
        key: "captureVolume",
        types: &[Ty::Number],
        not_negative: true,
        ..Rule::DEFAULT
    },
    Rule {
        key: "earMonitorVolume",
        types: &[Ty::Number],
        min: Some(0.0),
        max: Some(100.0),
        ..Rule::DEFAULT
    },
    Rule {
        key: "echoCancellation",
        types: &[Ty::Boolean, Ty::String],
        values: &[
            Lit::Bool(true),
            Lit::Bool(false),
            Lit::Str("remote-only"),
            Lit::Str("all"),
        ],
        ..Rule::DEFAULT
    },
    Rule {
        key: "autoGainControl",
        types: &[Ty::Boolean],
        ..Rule::DEFAULT
    },
    Rule {
        key: "noiseSuppression",
        types: &[Ty::Boolean],
        ..Rule::DEFAULT
    },
];

const AUDIO_CONFIG: &[Rule] = &[
    Rule {
        key: "publish",
        types: &[Ty::Boolean],
        ..Rule::DEFAULT
    },
    Rule {
        key: "mute",
        types: &[Ty::Boolean, Ty::String],
        values: &[Lit::Bool(true), Lit::Bool(false), Lit::Str("microphone")],
        ..Rule::DEFAULT
    },
    Rule {
        key: "muteKeepVolumeDetection",
        types: &[Ty::Boolean],
        ..Rule::DEFAULT
    },
    Rule {
        key: "option",
        types: &[Ty::Object],
        properties: AUDIO_OPTION,
        ..Rule::DEFAULT
    },
];

/// `startLocalAudio(config?)`.
pub const START_LOCAL_AUDIO: Rule = Rule {
    key: "config",
    types: &[Ty::Object],
    properties: AUDIO_CONFIG,
    ..Rule::DEFAULT
};
/// `updateLocalAudio(config)`: the config is required.
pub const UPDATE_LOCAL_AUDIO: Rule = Rule {
    required: true,
    ..START_LOCAL_AUDIO
};

/// `enableAudioVolumeEvaluation(interval, enableInBackground)`.
pub const VOLUME_INTERVAL: Rule = Rule {
    key: "interval",
    types: &[Ty::Number],
    ..Rule::DEFAULT
};
/// `enableAudioVolumeEvaluation`'s second argument: a boolean if given.
pub const VOLUME_IN_BACKGROUND: Rule = Rule {
    key: "enableInBackground",
    types: &[Ty::Boolean],
    ..Rule::DEFAULT
};

/// `TRTC.getCameraList(requestPermission)` and friends.
pub const REQUEST_PERMISSION: Rule = Rule {
    key: "requestPermission",
    types: &[Ty::Boolean],
    ..Rule::DEFAULT
};

/// `TRTC.setCurrentSpeaker(speakerId)`.
pub const SPEAKER_ID: Rule = Rule {
    key: "speakerId",
    required: true,
    types: &[Ty::String],
    allow_empty: false,
    ..Rule::DEFAULT
};

const PERMISSION_TYPE: Rule = Rule {
    key: "types",
    types: &[Ty::String],
    values: &[Lit::Str("camera"), Lit::Str("microphone")],
    ..Rule::DEFAULT
};

/// `TRTC.getPermissions(option)`.
pub const GET_PERMISSIONS: Rule = Rule {
    key: "option",
    types: &[Ty::Object],
    properties: &[
        Rule {
            key: "request",
            types: &[Ty::Boolean],
            ..Rule::DEFAULT
        },
        Rule {
            key: "types",
            types: &[Ty::Array],
            array_item: Some(&PERMISSION_TYPE),
            ..Rule::DEFAULT
        },
    ],
    ..Rule::DEFAULT
};

const STREAM_TYPES: &[Lit] = &[Lit::Str("main"), Lit::Str("sub")];

const REMOTE_VIDEO_CONFIG: &[Rule] = &[
    Rule {
        key: "userId",
        required: true,
        types: &[Ty::String],
        ..Rule::DEFAULT
    },
    Rule {
        key: "streamType",
        required: true,
        types: &[Ty::String],
        values: STREAM_TYPES,
        ..Rule::DEFAULT
    },
    Rule {
        key: "view",
        types: &[Ty::String, Ty::Element, Ty::Array, Ty::Null],
        ..Rule::DEFAULT
    },
    Rule {
        key: "option",
        types: &[Ty::Object],
        properties: &[
            Rule {
                key: "fillMode",
                types: &[Ty::String],
                values: FILL_MODES,
                ..Rule::DEFAULT
            },
            Rule {
                key: "mirror",
                types: &[Ty::Boolean],
                ..Rule::DEFAULT
            },
            Rule {
                key: "receiveWhenViewVisible",
                types: &[Ty::Boolean],
                ..Rule::DEFAULT
            },
            Rule {
                key: "viewRoot",
                types: &[Ty::Element],
                ..Rule::DEFAULT
            },
            Rule {
                key: "poster",
                types: &[Ty::String],
                ..Rule::DEFAULT
            },
            Rule {
                key: "pictureInPicture",
                types: &[Ty::Boolean],
                ..Rule::DEFAULT
            },
            Rule {
                key: "fullScreen",
                types: &[Ty::Boolean],
                ..Rule::DEFAULT
            },
            Rule {
                key: "small",
                types: &[Ty::Boolean],
                ..Rule::DEFAULT
            },
        ],
        ..Rule::DEFAULT
    },
];

/// `startRemoteVideo(config)` / `updateRemoteVideo(config)`.
pub const REMOTE_VIDEO: Rule = Rule {
    key: "config",
    required: true,
    types: &[Ty::Object],
    properties: REMOTE_VIDEO_CONFIG,
    ..Rule::DEFAULT
};

/// `stopRemoteVideo(config)`; `streamType` is checked separately (5014 unless `'*'`).
pub const STOP_REMOTE_VIDEO: Rule = Rule {
    key: "config",
    required: true,
    types: &[Ty::Object],
    properties: &[
        Rule {
            key: "userId",
            required: true,
            types: &[Ty::String],
            ..Rule::DEFAULT
        },
        Rule {
            key: "streamType",
            types: &[Ty::String],
            values: STREAM_TYPES,
            ..Rule::DEFAULT
        },
    ],
    ..Rule::DEFAULT
};

/// `muteRemoteAudio(userId, mute)`.
pub const REMOTE_USER_ID: Rule = Rule {
    key: "userId",
    required: true,
    types: &[Ty::String],
    ..Rule::DEFAULT
};
/// `switchRole(role)`.
pub const ROLE: Rule = Rule {
    key: "role",
    required: true,
    types: &[Ty::String],
    values: &[Lit::Str("anchor"), Lit::Str("audience")],
    ..Rule::DEFAULT
};

/// `muteRemoteAudio(userId, mute)`'s `mute`: a required boolean.
pub const MUTE: Rule = Rule {
    key: "mute",
    required: true,
    types: &[Ty::Boolean],
    ..Rule::DEFAULT
};

/// `setRemoteAudioVolume(userId, volume)`.
pub const REMOTE_VOLUME: Rule = Rule {
    key: "volume",
    required: true,
    types: &[Ty::Number],
    min: Some(0.0),
    ..Rule::DEFAULT
};

/// `on(event, handler)` / `off(event, handler)`.
pub const EVENT_NAME: Rule = Rule {
    key: "event",
    required: true,
    types: &[Ty::String],
    allow_empty: false,
    ..Rule::DEFAULT
};
/// `on`/`off`'s handler: a required function.
pub const HANDLER: Rule = Rule {
    key: "handler",
    required: true,
    types: &[Ty::Function],
    ..Rule::DEFAULT
};
