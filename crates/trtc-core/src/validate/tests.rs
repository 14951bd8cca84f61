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
    let remote = |option: Value| {
        obj(&[
            ("userId", s("u")),
            ("streamType", s("main")),
            ("option", option),
        ])
    };
    let rows: Vec<(&Rule, Value, Option<i32>)> = vec![
        (
            &REMOTE_VIDEO,
            remote(obj(&[
                ("receiveWhenViewVisible", Value::Bool(true)),
                ("viewRoot", div()),
                ("poster", s("p.png")),
            ])),
            None,
        ),
        (
            &REMOTE_VIDEO,
            remote(obj(&[("receiveWhenViewVisible", s("yes"))])),
            Some(5002),
        ),
        (
            &REMOTE_VIDEO,
            remote(obj(&[("viewRoot", s("body"))])),
            Some(5002),
        ),
        (
            &REMOTE_VIDEO,
            remote(obj(&[("poster", n(1.0))])),
            Some(5002),
        ),
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
