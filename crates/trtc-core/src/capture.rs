//! getUserMedia constraint plans with TRTC's retries (reference §8).
//!
//! `NotReadableError`, `OverconstrainedError` and `AbortError` are retried, [`RETRY_DELAY_MS`]
//! apart, with looser constraints: a lower frame rate, then the device alone, then any device.
//! When the app named a device, retries keep that exact device: they may lower resolution and
//! frame rate but never switch devices, so a bad id fails instead of silently opening another.

use trtc_proto::ObjectWriter;

use crate::profile::{AudioProfile, VideoProfile};

/// The wait, in ms, between a retryable failure and the next attempt.
pub const RETRY_DELAY_MS: u32 = 500;
/// Frame rate of the second attempt.
pub const LOW_FRAME_RATE: u32 = 10;

/// Whether a getUserMedia failure with this DOMException name is worth another attempt.
pub fn is_retryable(dom_name: &str) -> bool {
    matches!(
        dom_name,
        "NotReadableError" | "OverconstrainedError" | "AbortError"
    )
}

/// Which way a camera faces (`facingMode` of getUserMedia), for `useFrontCamera`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FacingMode {
    /// The front camera, towards the user (`'user'`).
    User,
    /// The back camera, away from the user (`'environment'`).
    Environment,
}

impl FacingMode {
    /// The `facingMode` constraint value.
    pub fn as_str(self) -> &'static str {
        match self {
            FacingMode::User => "user",
            FacingMode::Environment => "environment",
        }
    }
}

/// What the app asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoRequest {
    /// `cameraId`: a device the capture must use (`deviceId: {exact}`); `None` = any camera.
    pub device_id: Option<String>,
    /// `useFrontCamera`, as a facing mode; ignored when a device is named.
    pub facing: Option<FacingMode>,
    /// The resolution and frame rate asked for (`ideal`, not required).
    pub profile: VideoProfile,
}

/// One attempt's video constraints; serialises to the getUserMedia `video` member.
#[derive(Debug, Clone, PartialEq)]
pub enum VideoConstraints {
    /// `video: true`: any camera.
    Any,
    /// Constraints as an object; a `None` member is left out.
    Set {
        /// The device, as `deviceId: {exact}`: that camera or a failure.
        device_id: Option<String>,
        /// `facingMode` (only without a device id).
        facing: Option<FacingMode>,
        /// (width, height) as `ideal`.
        size: Option<(u32, u32)>,
        /// Frames per second, as `ideal`.
        frame_rate: Option<u32>,
    },
}

impl VideoConstraints {
    /// The exact device this attempt asks for, if any.
    pub fn device_id(&self) -> Option<&str> {
        match self {
            VideoConstraints::Set { device_id, .. } => device_id.as_deref(),
            VideoConstraints::Any => None,
        }
    }
}

fn ideal(n: u32) -> String {
    ObjectWriter::new().uint("ideal", u64::from(n)).finish()
}

fn exact(id: &str) -> String {
    ObjectWriter::new().str("exact", id).finish()
}

impl VideoConstraints {
    /// The getUserMedia `video` member as JSON text.
    pub fn to_json(&self) -> String {
        match self {
            VideoConstraints::Any => "true".into(),
            VideoConstraints::Set {
                device_id,
                facing,
                size,
                frame_rate,
            } => {
                let mut w = ObjectWriter::new();
                if let Some(id) = device_id {
                    w.raw("deviceId", &exact(id));
                }
                if let Some(f) = facing {
                    w.str("facingMode", f.as_str());
                }
                if let Some((width, height)) = size {
                    w.raw("width", &ideal(*width));
                    w.raw("height", &ideal(*height));
                }
                if let Some(fps) = frame_rate {
                    w.raw("frameRate", &ideal(*fps));
                }
                w.finish()
            }
        }
    }
}

/// The attempts for a camera capture, in order.
pub fn video_plan(req: &VideoRequest) -> Vec<VideoConstraints> {
    let p = req.profile;
    let set = |size, frame_rate| VideoConstraints::Set {
        device_id: req.device_id.clone(),
        facing: if req.device_id.is_some() {
            None
        } else {
            req.facing
        },
        size,
        frame_rate,
    };
    let mut plan = vec![
        set(Some((p.width, p.height)), Some(p.frame_rate)),
        set(
            Some((p.width, p.height)),
            Some(LOW_FRAME_RATE.min(p.frame_rate)),
        ),
        set(None, None),
    ];
    if req.device_id.is_none() {
        plan.push(VideoConstraints::Any);
    }
    dedup(plan)
}

/// What the app asked for from the microphone.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioRequest {
    /// `microphoneId`: a device the capture must use (`deviceId: {exact}`); `None` = any
    /// microphone.
    pub device_id: Option<String>,
    /// The sample rate and channel count asked for (`ideal`).
    pub profile: AudioProfile,
    /// Whether the browser's echo cancellation (AEC) is on.
    pub echo_cancellation: bool,
    /// Whether the browser's noise suppression (ANS) is on.
    pub noise_suppression: bool,
    /// Whether the browser's automatic gain control (AGC) is on.
    pub auto_gain_control: bool,
}

/// One attempt's audio constraints; serialises to the getUserMedia `audio` member.
#[derive(Debug, Clone, PartialEq)]
pub enum AudioConstraints {
    /// `audio: true`: any microphone, the browser's defaults.
    Any,
    /// Constraints as an object; a `None` member is left out.
    Set {
        /// The device, as `deviceId: {exact}`: that microphone or a failure.
        device_id: Option<String>,
        /// (echoCancellation, noiseSuppression, autoGainControl)
        processing: Option<(bool, bool, bool)>,
        /// (sampleRate, channelCount)
        format: Option<(u32, u32)>,
    },
}

impl AudioConstraints {
    /// The exact device this attempt asks for, if any.
    pub fn device_id(&self) -> Option<&str> {
        match self {
            AudioConstraints::Set { device_id, .. } => device_id.as_deref(),
            AudioConstraints::Any => None,
        }
    }
}

impl AudioConstraints {
    /// The getUserMedia `audio` member as JSON text.
    pub fn to_json(&self) -> String {
        match self {
            AudioConstraints::Any => "true".into(),
            AudioConstraints::Set {
                device_id,
                processing,
                format,
            } => {
                let mut w = ObjectWriter::new();
                if let Some(id) = device_id {
                    w.raw("deviceId", &exact(id));
                }
                if let Some((ec, ns, agc)) = processing {
                    w.bool("echoCancellation", *ec)
                        .bool("noiseSuppression", *ns)
                        .bool("autoGainControl", *agc);
                }
                if let Some((rate, channels)) = format {
                    w.raw("sampleRate", &ideal(*rate));
                    w.raw("channelCount", &ideal(*channels));
                }
                w.finish()
            }
        }
    }
}

/// The attempts for a microphone capture, in order.
pub fn audio_plan(req: &AudioRequest) -> Vec<AudioConstraints> {
    let processing = Some((
        req.echo_cancellation,
        req.noise_suppression,
        req.auto_gain_control,
    ));
    let format = Some((req.profile.sample_rate, req.profile.channel_count));
    let set = |processing, format| AudioConstraints::Set {
        device_id: req.device_id.clone(),
        processing,
        format,
    };
    let mut plan = vec![
        set(processing, format),
        set(processing, None),
        set(None, None),
    ];
    if req.device_id.is_none() {
        plan.push(AudioConstraints::Any);
    }
    dedup(plan)
}

fn dedup<T: PartialEq>(plan: Vec<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(plan.len());
    for c in plan {
        if out.last() != Some(&c) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{default_audio_profile, default_video_profile};

    #[test]
    fn named_camera_never_falls_back_to_another_device() {
        let req = VideoRequest {
            device_id: Some("cam-2".into()),
            facing: Some(FacingMode::User),
            profile: default_video_profile(),
        };
        let plan = video_plan(&req);
        assert_eq!(plan.len(), 3);
        for c in &plan {
            assert_eq!(c.device_id(), Some("cam-2"));
        }
        assert_eq!(
            plan[0].to_json(),
            r#"{"deviceId":{"exact":"cam-2"},"width":{"ideal":640},"height":{"ideal":480},"frameRate":{"ideal":15}}"#
        );
        assert_eq!(plan[2].to_json(), r#"{"deviceId":{"exact":"cam-2"}}"#);
    }

    #[test]
    fn unnamed_camera_ends_with_any_device() {
        let req = VideoRequest {
            device_id: None,
            facing: None,
            profile: default_video_profile(),
        };
        let plan = video_plan(&req);
        assert_eq!(plan.last(), Some(&VideoConstraints::Any));
        assert_eq!(VideoConstraints::Any.to_json(), "true");
        assert_eq!(plan.len(), 4);
        let req = VideoRequest {
            device_id: None,
            facing: Some(FacingMode::Environment),
            profile: default_video_profile(),
        };
        assert_eq!(
            video_plan(&req)[2].to_json(),
            r#"{"facingMode":"environment"}"#
        );
    }

    #[test]
    fn second_attempt_lowers_frame_rate() {
        let req = VideoRequest {
            device_id: None,
            facing: None,
            profile: default_video_profile(),
        };
        match &video_plan(&req)[1] {
            VideoConstraints::Set { frame_rate, .. } => {
                assert_eq!(*frame_rate, Some(LOW_FRAME_RATE))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn audio_plans() {
        let mut req = AudioRequest {
            device_id: Some("mic".into()),
            profile: default_audio_profile(),
            echo_cancellation: true,
            noise_suppression: false,
            auto_gain_control: true,
        };
        let plan = audio_plan(&req);
        assert_eq!(plan.len(), 3);
        assert!(plan.iter().all(|c| c.device_id() == Some("mic")));
        assert_eq!(
            plan[0].to_json(),
            r#"{"deviceId":{"exact":"mic"},"echoCancellation":true,"noiseSuppression":false,"autoGainControl":true,"sampleRate":{"ideal":48000},"channelCount":{"ideal":1}}"#
        );
        req.device_id = None;
        assert_eq!(audio_plan(&req).last(), Some(&AudioConstraints::Any));
    }

    #[test]
    fn retryable_names() {
        for (n, r) in [
            ("NotReadableError", true),
            ("OverconstrainedError", true),
            ("AbortError", true),
            ("NotAllowedError", false),
            ("NotFoundError", false),
            ("SecurityError", false),
        ] {
            assert_eq!(is_retryable(n), r, "{n}");
        }
    }
}
