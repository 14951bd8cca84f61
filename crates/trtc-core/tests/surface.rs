//! Our tables against the reference surface of trtc-sdk-v5 (`reference/trtc-sdk-v5-surface.json`).

use serde_json::Value as Json;
use trtc_core::{error, profile, tables};

fn surface() -> Json {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../reference/trtc-sdk-v5-surface.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "read {}: {e} (the repository's reference/ directory)",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("surface json")
}

fn pairs(v: &Json) -> Vec<(String, Json)> {
    v.as_object()
        .expect("object")
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[test]
fn events_match_in_order() {
    let want = pairs(&surface()["events"]);
    let got: Vec<_> = tables::EVENTS
        .iter()
        .map(|(k, v)| (k.to_string(), Json::from(*v)))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn types_match_in_order() {
    let want = pairs(&surface()["types"]);
    let got: Vec<_> = tables::TYPES
        .iter()
        .map(|(k, v)| (k.to_string(), Json::from(*v)))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn error_codes_match() {
    let want = pairs(&surface()["errorCodes"]);
    let got: Vec<_> = error::ErrorCode::ALL
        .iter()
        .map(|c| (c.key().to_string(), Json::from(c.value())))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn device_error_map_matches() {
    for (name, code) in pairs(&surface()["deviceErrorNameToExtraCode"]) {
        let name = if name == "*" {
            "SomethingElse"
        } else {
            name.as_str()
        };
        assert_eq!(Json::from(error::device_extra_code(name)), code, "{name}");
    }
}

#[test]
fn extra_codes_we_use_match() {
    let s = surface();
    let x = &s["extraCodes"];
    let used = [
        ("INVALID_PARAMETER_REQUIRED", error::extra::REQUIRED),
        ("INVALID_PARAMETER_TYPE", error::extra::TYPE),
        ("INVALID_PARAMETER_EMPTY", error::extra::EMPTY),
        ("INVALID_PARAMETER_INSTANCE", error::extra::INSTANCE),
        ("INVALID_PARAMETER_RANGE", error::extra::RANGE),
        (
            "INVALID_PARAMETER_LESS_THAN_ZERO",
            error::extra::LESS_THAN_ZERO,
        ),
        ("INVALID_PARAMETER_MIN", error::extra::MIN),
        ("INVALID_PARAMETER_MAX", error::extra::MAX),
        ("INVALID_ELEMENT_ID", error::extra::ELEMENT_ID),
        ("INVALID_ELEMENT_ID_TYPE", error::extra::ELEMENT_ID_TYPE),
        ("INVALID_OPERATION_NOT_JOINED", error::extra::NOT_JOINED),
        ("INVALID_OPERATION_REPEAT_CALL", error::extra::REPEAT_CALL),
        ("NOT_SUPPORTED_HTTP", error::extra::NOT_SUPPORTED_HTTP),
        ("NOT_SUPPORTED_WEBRTC", error::extra::NOT_SUPPORTED_WEBRTC),
    ];
    for (k, v) in used {
        assert_eq!(x[k], Json::from(v), "{k}");
    }
}

#[test]
fn profiles_match() {
    let s = surface();
    for (key, p) in profile::VIDEO_PROFILES {
        assert_eq!(
            serde_json::to_value(p).unwrap(),
            s["videoProfiles"][key],
            "{key}"
        );
    }
    assert_eq!(
        pairs(&s["videoProfiles"]).len(),
        profile::VIDEO_PROFILES.len()
    );
    for (key, p) in profile::SCREEN_PROFILES {
        assert_eq!(
            serde_json::to_value(p).unwrap(),
            s["screenProfiles"][key],
            "{key}"
        );
    }
    for (key, p) in profile::AUDIO_PROFILES {
        assert_eq!(
            serde_json::to_value(p).unwrap(),
            s["audioProfiles"][key],
            "{key}"
        );
    }
    assert_eq!(
        serde_json::to_value(profile::default_video_profile()).unwrap(),
        s["defaults"]["cameraProfile"]
    );
    assert_eq!(
        s["defaults"]["audioProfile"],
        Json::from(profile::DEFAULT_AUDIO_PROFILE_KEY)
    );
}

#[test]
fn statics_match() {
    let s = surface();
    assert_eq!(
        s["staticProperties"]["VERSION"],
        Json::from(tables::API_VERSION)
    );
    assert_eq!(
        s["staticProperties"]["frameWorkType"],
        Json::from(tables::FRAMEWORK_TYPE)
    );
    assert_eq!(
        s["logLevels"]["INFO"],
        Json::from(tables::LogLevel::DEFAULT as u32)
    );
    assert_eq!(
        s["defaults"]["audioVolumeMinIntervalMs"],
        Json::from(trtc_core::volume::MIN_INTERVAL_MS as u32)
    );
}
