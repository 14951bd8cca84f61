//! The parameter validator: TRTC's rule order and messages (reference §10).
//!
//! Each rule is checked in this order and the first failure is returned: required (5001), type
//! (5002), not empty (5003), not negative (5006), min (5007), max (5008), allowed values (5005),
//! nested properties, array items.

use crate::error::{extra, RtcErrorInfo};
use crate::value::{format_number, Value};

/// An accepted type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    String,
    Number,
    Boolean,
    Object,
    Array,
    Function,
    Null,
    /// Any `HTMLElement`.
    Element,
    /// A `MediaStreamTrack`.
    Track,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::String => "string",
            Ty::Number => "number",
            Ty::Boolean => "boolean",
            Ty::Object => "object",
            Ty::Array => "array",
            Ty::Function => "function",
            Ty::Null => "null",
            Ty::Element => "HTMLElement",
            Ty::Track => "MediaStreamTrack",
        }
    }

    fn matches(self, v: &Value) -> bool {
        match (self, v) {
            (Ty::String, Value::String(_)) => true,
            (Ty::Number, Value::Number(_)) => true,
            (Ty::Boolean, Value::Bool(_)) => true,
            (Ty::Object, Value::Object(_)) => true,
            (Ty::Array, Value::Array(_)) => true,
            (Ty::Function, Value::Function) => true,
            (Ty::Null, Value::Null) => true,
            (Ty::Element, Value::Host { element, .. }) => *element,
            (Ty::Track, Value::Host { class, .. }) => class == "MediaStreamTrack",
            _ => false,
        }
    }
}

/// An allowed literal value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Lit {
    Str(&'static str),
    Bool(bool),
    Num(f64),
}

impl Lit {
    fn matches(self, v: &Value) -> bool {
        match (self, v) {
            (Lit::Str(a), Value::String(b)) => a == b,
            (Lit::Bool(a), Value::Bool(b)) => a == *b,
            (Lit::Num(a), Value::Number(b)) => a == *b,
            _ => false,
        }
    }

    fn display(self) -> String {
        match self {
            Lit::Str(s) => s.to_string(),
            Lit::Bool(b) => b.to_string(),
            Lit::Num(n) => format_number(n),
        }
    }
}

/// One validation rule for one key.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub key: &'static str,
    pub required: bool,
    /// Empty = any type.
    pub types: &'static [Ty],
    pub allow_empty: bool,
    pub not_negative: bool,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Empty = any value.
    pub values: &'static [Lit],
    /// Rules for the properties of an object value.
    pub properties: &'static [Rule],
    /// The rule for each item of an array value.
    pub array_item: Option<&'static Rule>,
}

impl Rule {
    pub const DEFAULT: Rule = Rule {
        key: "",
        required: false,
        types: &[],
        allow_empty: true,
        not_negative: false,
        min: None,
        max: None,
        values: &[],
        properties: &[],
        array_item: None,
    };
}

/// Validates `value` against `rule` for API `fn_name`.
pub fn validate(rule: &Rule, value: &Value, fn_name: &str) -> Result<(), RtcErrorInfo> {
    let k = rule.key;
    let fail = |code: i32, msg: String| Err(RtcErrorInfo::invalid_parameter(code, fn_name, &msg));
    if value.is_undefined() {
        if rule.required {
            return fail(
                extra::REQUIRED,
                format!("'{k}' is a required param when calling {fn_name}(), received: undefined."),
            );
        }
        return Ok(());
    }
    if !rule.types.is_empty() && !rule.types.iter().any(|t| t.matches(value)) {
        let want: Vec<_> = rule.types.iter().map(|t| t.name()).collect();
        return fail(
            extra::TYPE,
            format!(
                "'{k}' must be type of {} when calling {fn_name}(), received type: {}.",
                want.join("|"),
                value.type_name()
            ),
        );
    }
    if !rule.allow_empty {
        let empty = match value {
            Value::String(s) => s.trim().is_empty(),
            Value::Number(n) => *n == 0.0 || n.is_nan(),
            _ => false,
        };
        if empty {
            return fail(
                extra::EMPTY,
                format!(
                    "'{k}' cannot be empty when calling {fn_name}(), received: '{}'.",
                    value.display()
                ),
            );
        }
    }
    if let Value::Number(n) = value {
        if rule.not_negative && *n < 0.0 {
            return fail(
                extra::LESS_THAN_ZERO,
                format!(
                    "'{k}' cannot be less than 0 when calling {fn_name}(), received: {}.",
                    format_number(*n)
                ),
            );
        }
        if let Some(min) = rule.min {
            if *n < min || n.is_nan() {
                return fail(
                    extra::MIN,
                    format!(
                        "'{k}' must be greater than or equal to {} when calling {fn_name}(), received: {}.",
                        format_number(min),
                        format_number(*n)
                    ),
                );
            }
        }
        if let Some(max) = rule.max {
            if *n > max || n.is_nan() {
                return fail(
                    extra::MAX,
                    format!(
                        "'{k}' must be less than or equal to {} when calling {fn_name}(), received: {}.",
                        format_number(max),
                        format_number(*n)
                    ),
                );
            }
        }
    }
    if !rule.values.is_empty() && !rule.values.iter().any(|l| l.matches(value)) {
        let allowed: Vec<_> = rule.values.iter().map(|l| l.display()).collect();
        return fail(
            extra::RANGE,
            format!(
                "'{k}' must be one of {} when calling {fn_name}(), received: {}.",
                allowed.join("|"),
                value.display()
            ),
        );
    }
    if let Value::Object(_) = value {
        for p in rule.properties {
            validate(p, value.get(p.key), fn_name)?;
        }
    }
    if let (Some(item), Value::Array(items)) = (rule.array_item, value) {
        for v in items {
            validate(item, v, fn_name)?;
        }
    }
    Ok(())
}

/// The rules of the public API.
pub mod rules {
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
    pub const HANDLER: Rule = Rule {
        key: "handler",
        required: true,
        types: &[Ty::Function],
        ..Rule::DEFAULT
    };
}

#[cfg(test)]
mod tests {
    use super::rules::*;
    use super::*;

    fn obj(props: &[(&str, Value)]) -> Value {
        Value::Object(
            props
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }
    fn s(x: &str) -> Value {
        Value::String(x.into())
    }
    fn n(x: f64) -> Value {
        Value::Number(x)
    }
    fn div() -> Value {
        Value::Host {
            class: "HTMLDivElement".into(),
            element: true,
        }
    }

    /// (rule, value, expected extraCode or None for ok)
    #[test]
    fn rule_table() {
        let rows: Vec<(&Rule, Value, Option<i32>)> = vec![
            (&START_LOCAL_VIDEO, Value::Undefined, None),
            (&UPDATE_LOCAL_VIDEO, Value::Undefined, Some(5001)),
            (&START_LOCAL_VIDEO, n(1.0), Some(5002)),
            (&START_LOCAL_VIDEO, obj(&[("view", n(3.0))]), Some(5002)),
            (&START_LOCAL_VIDEO, obj(&[("view", s("local"))]), None),
            (&START_LOCAL_VIDEO, obj(&[("view", div())]), None),
            (&START_LOCAL_VIDEO, obj(&[("view", Value::Null)]), None),
            (
                &START_LOCAL_VIDEO,
                obj(&[("view", Value::Array(vec![div()]))]),
                None,
            ),
            (
                &START_LOCAL_VIDEO,
                obj(&[(
                    "view",
                    Value::Host {
                        class: "Text".into(),
                        element: false,
                    },
                )]),
                Some(5002),
            ),
            (
                &START_LOCAL_VIDEO,
                obj(&[("option", obj(&[("fillMode", s("stretch"))]))]),
                Some(5005),
            ),
            (
                &START_LOCAL_VIDEO,
                obj(&[("option", obj(&[("fillMode", s("contain"))]))]),
                None,
            ),
            (
                &START_LOCAL_VIDEO,
                obj(&[("option", obj(&[("mirror", s("both"))]))]),
                None,
            ),
            (
                &START_LOCAL_VIDEO,
                obj(&[("option", obj(&[("mirror", s("left"))]))]),
                Some(5005),
            ),
            (
                &START_LOCAL_VIDEO,
                obj(&[("option", obj(&[("cameraId", n(1.0))]))]),
                Some(5002),
            ),
            (
                &START_LOCAL_VIDEO,
                obj(&[("option", obj(&[("videoTrack", s("t"))]))]),
                Some(5002),
            ),
            (
                &START_LOCAL_VIDEO,
                obj(&[(
                    "option",
                    obj(&[(
                        "videoTrack",
                        Value::Host {
                            class: "MediaStreamTrack".into(),
                            element: false,
                        },
                    )]),
                )]),
                None,
            ),
            (
                &START_LOCAL_VIDEO,
                obj(&[("option", obj(&[("profile", n(1.0))]))]),
                Some(5002),
            ),
            (
                &START_LOCAL_VIDEO,
                obj(&[("option", obj(&[("rotation", n(45.0))]))]),
                Some(5005),
            ),
            (
                &START_LOCAL_VIDEO,
                obj(&[("publish", s("yes"))]),
                Some(5002),
            ),
            (
                &START_LOCAL_AUDIO,
                obj(&[("option", obj(&[("captureVolume", n(-1.0))]))]),
                Some(5006),
            ),
            (
                &START_LOCAL_AUDIO,
                obj(&[("option", obj(&[("captureVolume", n(300.0))]))]),
                None,
            ),
            (
                &START_LOCAL_AUDIO,
                obj(&[("option", obj(&[("earMonitorVolume", n(101.0))]))]),
                Some(5008),
            ),
            (
                &START_LOCAL_AUDIO,
                obj(&[("option", obj(&[("earMonitorVolume", n(-1.0))]))]),
                Some(5007),
            ),
            (
                &START_LOCAL_AUDIO,
                obj(&[("option", obj(&[("profile", s("ultra"))]))]),
                Some(5005),
            ),
            (
                &START_LOCAL_AUDIO,
                obj(&[("option", obj(&[("echoCancellation", s("all"))]))]),
                None,
            ),
            (&START_LOCAL_AUDIO, obj(&[("mute", s("microphone"))]), None),
            (
                &START_LOCAL_AUDIO,
                obj(&[("mute", s("speaker"))]),
                Some(5005),
            ),
            (&UPDATE_LOCAL_AUDIO, Value::Null, Some(5002)),
            (&VOLUME_INTERVAL, s("200"), Some(5002)),
            (&VOLUME_INTERVAL, n(200.0), None),
            (&SPEAKER_ID, s("  "), Some(5003)),
            (&SPEAKER_ID, Value::Undefined, Some(5001)),
            (
                &GET_PERMISSIONS,
                obj(&[("types", Value::Array(vec![s("camera"), s("screen")]))]),
                Some(5005),
            ),
            (
                &GET_PERMISSIONS,
                obj(&[("types", Value::Array(vec![s("microphone")]))]),
                None,
            ),
            (&EVENT_NAME, s(""), Some(5003)),
            (&HANDLER, s("f"), Some(5002)),
            (&HANDLER, Value::Function, None),
        ];
        for (i, (rule, value, want)) in rows.into_iter().enumerate() {
            let got = validate(rule, &value, "fn")
                .err()
                .map(|e| e.extra_code.unwrap());
            assert_eq!(got, want, "row {i}: {value:?}");
        }
    }

    #[test]
    fn messages_follow_trtc_formats() {
        let e = validate(&UPDATE_LOCAL_VIDEO, &Value::Undefined, "updateLocalVideo").unwrap_err();
        assert_eq!(
            e.message,
            "'config' is a required param when calling updateLocalVideo(), received: undefined."
        );
        let e = validate(
            &START_LOCAL_VIDEO,
            &obj(&[("view", n(3.0))]),
            "startLocalVideo",
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "'view' must be type of string|HTMLElement|array|null when calling startLocalVideo(), received type: number."
        );
        let e = validate(
            &START_LOCAL_VIDEO,
            &obj(&[("option", obj(&[("fillMode", s("x"))]))]),
            "startLocalVideo",
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "'fillMode' must be one of contain|cover|fill when calling startLocalVideo(), received: x."
        );
        assert_eq!(e.function_name, "startLocalVideo");
    }

    #[test]
    fn order_required_before_type_before_empty() {
        let r = Rule {
            key: "k",
            required: true,
            types: &[Ty::String],
            allow_empty: false,
            ..Rule::DEFAULT
        };
        assert_eq!(
            validate(&r, &Value::Undefined, "f").unwrap_err().extra_code,
            Some(5001)
        );
        assert_eq!(
            validate(&r, &Value::Null, "f").unwrap_err().extra_code,
            Some(5002)
        );
        assert_eq!(
            validate(&r, &s(" \t"), "f").unwrap_err().extra_code,
            Some(5003)
        );
        let r = Rule {
            key: "k",
            types: &[Ty::Number],
            allow_empty: false,
            ..Rule::DEFAULT
        };
        assert_eq!(
            validate(&r, &n(0.0), "f").unwrap_err().extra_code,
            Some(5003)
        );
        assert_eq!(
            validate(&r, &n(f64::NAN), "f").unwrap_err().extra_code,
            Some(5003)
        );
    }
}
