//! Typed local-capture configurations, parsed from a value the validator has accepted.
//!
//! Host objects (a `view` element, a custom track) are recorded as present; the glue reads the
//! JS handles from the original argument.

use crate::capture::FacingMode;
use crate::encoding::QosPreference;
use crate::error::{extra, RtcErrorInfo};
use crate::profile::{self, AudioProfile, VideoProfile};
use crate::value::Value;

/// Where to render a local or remote video.
#[derive(Debug, Clone, PartialEq)]
pub enum ViewArg {
    /// Not given: keep what there is (update) or render nowhere (start).
    Unset,
    /// `null`: render nowhere.
    Null,
    /// An element id.
    Id(String),
    /// An element, or an array of elements (the glue reads them).
    Elements,
}

impl ViewArg {
    fn parse(v: &Value) -> ViewArg {
        match v {
            Value::Undefined => ViewArg::Unset,
            Value::Null => ViewArg::Null,
            Value::String(s) => ViewArg::Id(s.clone()),
            _ => ViewArg::Elements,
        }
    }
}

/// The error for a `view` id that is not in the document.
pub fn missing_view(function_name: &str, id: &str) -> RtcErrorInfo {
    RtcErrorInfo::invalid_parameter(
        extra::ELEMENT_ID,
        function_name,
        &format!(
            "'view' refers to no element: there is no element with id '{id}' in the document when calling {function_name}(). Create the element first, or pass the HTMLElement itself."
        ),
    )
}

/// `option.fillMode`: how a video fits its view (the CSS `object-fit` of the video element).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FillMode {
    /// The whole picture, letterboxed.
    Contain,
    /// The view filled, the picture cropped to fit (the default of a camera's view).
    Cover,
    /// The view filled, the picture stretched.
    Fill,
}

impl FillMode {
    /// The CSS `object-fit` value.
    pub fn css(self) -> &'static str {
        match self {
            FillMode::Contain => "contain",
            FillMode::Cover => "cover",
            FillMode::Fill => "fill",
        }
    }
    fn parse(v: &Value) -> Option<FillMode> {
        Self::parse_str(v.as_str())
    }

    /// The mode named by `'contain'`, `'cover'` or `'fill'`; `None` for anything else.
    pub fn parse_str(s: Option<&str>) -> Option<FillMode> {
        match s? {
            "contain" => Some(FillMode::Contain),
            "cover" => Some(FillMode::Cover),
            "fill" => Some(FillMode::Fill),
            _ => None,
        }
    }
}

/// `option.mirror`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mirror {
    /// `false`: nothing is mirrored.
    None,
    /// `true` or `'view'`: the local preview is mirrored, the published video is not.
    View,
    /// `'publish'`: the published video is mirrored, the local preview is not.
    Publish,
    /// `'both'`: the preview and the published video are mirrored.
    Both,
}

impl Mirror {
    /// Without `option.mirror`: the preview is mirrored, as in a looking glass.
    pub const DEFAULT: Mirror = Mirror::View;
    /// Whether the local preview is mirrored.
    pub fn mirrors_view(self) -> bool {
        matches!(self, Mirror::View | Mirror::Both)
    }
    /// Whether what the others see is mirrored (`'publish'`, `'both'`).
    pub fn mirrors_publish(self) -> bool {
        matches!(self, Mirror::Publish | Mirror::Both)
    }
    fn parse(v: &Value) -> Option<Mirror> {
        match v {
            Value::Bool(true) => Some(Mirror::View),
            Value::Bool(false) => Some(Mirror::None),
            Value::String(s) => match s.as_str() {
                "view" => Some(Mirror::View),
                "publish" => Some(Mirror::Publish),
                "both" => Some(Mirror::Both),
                _ => None,
            },
            _ => None,
        }
    }
}

/// `option.profile` of a camera.
#[derive(Debug, Clone, PartialEq)]
pub enum ProfileArg {
    /// Not given: the current profile stays (the default one on start).
    Unset,
    /// A key of the camera table, or a custom `{width, height, frameRate?, bitrate?}`.
    Known(VideoProfile),
    /// A key that is not in the table: ignored with a warning, as trtc-sdk-v5 does.
    UnknownKey(String),
}

fn parse_video_profile(
    v: &Value,
    function_name: &str,
    name: &str,
) -> Result<ProfileArg, RtcErrorInfo> {
    parse_profile(
        v,
        function_name,
        name,
        profile::video_profile,
        profile::default_video_profile(),
    )
}

/// A profile key looked up with `lookup`, or a custom object whose missing frame rate and
/// bitrate come from `base`; `name` is the option's name in error messages.
fn parse_profile(
    v: &Value,
    function_name: &str,
    name: &str,
    lookup: fn(&str) -> Option<VideoProfile>,
    base: VideoProfile,
) -> Result<ProfileArg, RtcErrorInfo> {
    match v {
        Value::Undefined => Ok(ProfileArg::Unset),
        Value::String(key) => Ok(match lookup(key) {
            Some(p) => ProfileArg::Known(p),
            None => ProfileArg::UnknownKey(key.clone()),
        }),
        Value::Object(_) => {
            let field = |k: &str, default: u32| -> Result<u32, RtcErrorInfo> {
                match v.get(k) {
                    Value::Undefined => Ok(default),
                    Value::Number(n) if *n > 0.0 && n.is_finite() => Ok(*n as u32),
                    other => Err(RtcErrorInfo::invalid_parameter(
                        extra::TYPE,
                        function_name,
                        &format!(
                            "'{name}.{k}' must be a positive number when calling {function_name}(), received: {}.",
                            other.display()
                        ),
                    )),
                }
            };
            let w = field("width", 0)?;
            let h = field("height", 0)?;
            if w == 0 || h == 0 {
                return Err(RtcErrorInfo::invalid_parameter(
                    extra::REQUIRED,
                    function_name,
                    &format!(
                        "a custom '{name}' needs 'width' and 'height' when calling {function_name}(), e.g. {{width: 640, height: 480, frameRate: 15, bitrate: 500}}."
                    ),
                ));
            }
            Ok(ProfileArg::Known(VideoProfile {
                width: w,
                height: h,
                frame_rate: field("frameRate", base.frame_rate)?,
                bitrate: field("bitrate", base.bitrate)?,
            }))
        }
        _ => Ok(ProfileArg::Unset),
    }
}

/// `mute` of a local video.
#[derive(Debug, Clone, PartialEq)]
pub enum VideoMute {
    /// `false`: the camera's picture is sent.
    Unmute,
    /// `true`: black frames are sent; the camera stays open.
    Mute,
    /// The camera is muted and this image (a URL, same-origin or CORS-enabled) is published
    /// instead; the others keep seeing video.
    Image(String),
}

/// The argument of `startLocalVideo` / `updateLocalVideo`. `None` members were not given: start
/// uses the defaults, update keeps what there is.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalVideoConfig {
    /// Where the preview is rendered.
    pub view: ViewArg,
    /// Whether the camera is published once in a room (default true).
    pub publish: Option<bool>,
    /// `forcePublish`: the camera takes the main stream even while a screen shared as the main
    /// stream is published (default false: the screen keeps it).
    pub force_publish: Option<bool>,
    /// Whether the published picture is the camera's, black, or an image.
    pub mute: Option<VideoMute>,
    /// `option.cameraId`: the camera to capture (on update: switch to it).
    pub camera_id: Option<String>,
    /// `option.useFrontCamera`: the front (`User`) or back (`Environment`) camera.
    pub facing: Option<FacingMode>,
    /// Whether `option.videoTrack` was given: the app's own track replaces the capture.
    pub custom_track: bool,
    /// `option.profile`: resolution, frame rate and bitrate.
    pub profile: ProfileArg,
    /// `option.small`: the small stream published beside the camera's.
    pub small: SmallArg,
    /// `option.fillMode` of the preview (default `Cover`).
    pub fill_mode: Option<FillMode>,
    /// `option.mirror` (default [`Mirror::DEFAULT`]).
    pub mirror: Option<Mirror>,
    /// `option.qosPreference` (the camera's default: [`QosPreference::Smooth`]).
    pub qos: Option<QosPreference>,
}

/// `option.small` of `startLocalVideo` / `updateLocalVideo`.
#[derive(Debug, Clone, PartialEq)]
pub enum SmallArg {
    /// Not given: on start no small stream, on update what there is stays.
    Unset,
    /// `false`: no small stream.
    Off,
    /// `true` ([`profile::DEFAULT_SMALL_PROFILE_KEY`]), a key of the camera table, or a custom
    /// `{width, height, frameRate?, bitrate?}`.
    Profile(VideoProfile),
    /// A key that is not in the table: ignored with a warning, as an unknown `profile` is.
    UnknownKey(String),
}

impl SmallArg {
    /// The small stream's profile beside the camera's `main` one: `Ok(None)` for none, and
    /// `Err(warning)` when it must be ignored (an unknown key, or not smaller than `main` in
    /// width or height) — the caller keeps what there was.
    pub fn resolve(&self, main: VideoProfile) -> Result<Option<VideoProfile>, String> {
        match self {
            SmallArg::Unset | SmallArg::Off => Ok(None),
            SmallArg::UnknownKey(k) => Err(format!(
                "unknown small stream profile '{k}' ignored; use a camera profile key such as '120p_2'"
            )),
            SmallArg::Profile(p) if p.width >= main.width || p.height >= main.height => {
                Err(format!(
                    "option.small ({}x{}) ignored: the small stream must be smaller than the camera's profile ({}x{})",
                    p.width, p.height, main.width, main.height
                ))
            }
            SmallArg::Profile(p) => Ok(Some(*p)),
        }
    }
}

fn parse_small(v: &Value, function_name: &str) -> Result<SmallArg, RtcErrorInfo> {
    Ok(match v {
        Value::Bool(true) => SmallArg::Profile(
            profile::video_profile(profile::DEFAULT_SMALL_PROFILE_KEY).expect("in the table"),
        ),
        Value::Bool(false) => SmallArg::Off,
        Value::String(key) => match profile::video_profile(key) {
            Some(p) => SmallArg::Profile(p),
            None => SmallArg::UnknownKey(key.clone()),
        },
        Value::Object(_) => match parse_video_profile(v, function_name, "small")? {
            ProfileArg::Known(p) => SmallArg::Profile(p),
            _ => SmallArg::Unset,
        },
        _ => SmallArg::Unset,
    })
}

impl LocalVideoConfig {
    /// Parses a config the validator accepted (`Undefined` = all defaults).
    pub fn parse(v: &Value, function_name: &str) -> Result<Self, RtcErrorInfo> {
        let o = v.get("option");
        Ok(LocalVideoConfig {
            view: ViewArg::parse(v.get("view")),
            publish: v.get("publish").as_bool(),
            force_publish: v.get("forcePublish").as_bool(),
            mute: match v.get("mute") {
                Value::Bool(true) => Some(VideoMute::Mute),
                Value::Bool(false) => Some(VideoMute::Unmute),
                Value::String(url) => Some(VideoMute::Image(url.clone())),
                _ => None,
            },
            camera_id: o.get("cameraId").as_str().map(str::to_string),
            facing: o.get("useFrontCamera").as_bool().map(|front| {
                if front {
                    FacingMode::User
                } else {
                    FacingMode::Environment
                }
            }),
            custom_track: !o.get("videoTrack").is_undefined(),
            profile: parse_video_profile(o.get("profile"), function_name, "profile")?,
            small: parse_small(o.get("small"), function_name)?,
            fill_mode: FillMode::parse(o.get("fillMode")),
            mirror: Mirror::parse(o.get("mirror")),
            qos: o
                .get("qosPreference")
                .as_str()
                .and_then(QosPreference::parse),
        })
    }

    /// Whether the camera itself must change (a new capture).
    pub fn changes_device(&self) -> bool {
        self.camera_id.is_some() || self.facing.is_some() || self.custom_track
    }
}

/// Which stream a shared screen is published as (`streamType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreenStream {
    /// `'sub'` (default): next to the camera.
    Sub,
    /// `'main'`: in the camera's place.
    Main,
}

/// What the main video stream carries when the camera and a screen shared as the main stream
/// both want it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MainVideo {
    /// Nothing is published as the main video.
    Nothing,
    /// The camera (also while a main-stream screen waits, when the camera has `forcePublish`).
    Camera,
    /// The screen shared with `streamType: 'main'`.
    Screen,
}

impl MainVideo {
    /// `camera`: the camera runs and is to be published; `force_publish`: its `forcePublish`;
    /// `screen`: a screen shared as the main stream is to be published. The screen wins unless
    /// the camera forces its way in, as trtc-sdk-v5's `forcePublish` says.
    pub fn choose(camera: bool, force_publish: bool, screen: bool) -> Self {
        match (camera, screen) {
            (true, true) if force_publish => MainVideo::Camera,
            (_, true) => MainVideo::Screen,
            (true, false) => MainVideo::Camera,
            (false, false) => MainVideo::Nothing,
        }
    }
}

/// The argument of `startScreenShare` / `updateScreenShare`. `None` members were not given:
/// start uses the defaults, update keeps what there is.
#[derive(Debug, Clone, PartialEq)]
pub struct ScreenShareConfig {
    /// Where the local preview is rendered.
    pub view: ViewArg,
    /// Whether the screen is published once in a room (default true).
    pub publish: Option<bool>,
    /// `streamType` (default `Sub`; start only).
    pub stream_type: Option<ScreenStream>,
    /// `muteSystemAudio`: stop sending the system audio (it keeps being captured).
    pub mute_system_audio: Option<bool>,
    /// `option.profile` (default 1080p, 5 fps, 1600 kbps; start only).
    pub profile: ProfileArg,
    /// `option.fillMode` of the preview (default `Contain`).
    pub fill_mode: Option<FillMode>,
    /// `option.systemAudio`: ask the browser for the system (tab) audio too (default false).
    pub system_audio: bool,
    /// `option.qosPreference` (default `Clear`).
    pub qos: Option<QosPreference>,
    /// `option.preferDisplaySurface` (default `'monitor'`): what the browser's picker offers
    /// first.
    pub prefer_display_surface: Option<String>,
    /// Whether `option.videoTrack` was given: the app's own track is shared.
    pub custom_video: bool,
    /// Whether `option.audioTrack` was given.
    pub custom_audio: bool,
    /// Whether `option.captureElement` was given (Element Capture: only that element).
    pub capture_element: bool,
}

impl ScreenShareConfig {
    /// Parses a config the validator accepted (`Undefined` = all defaults).
    pub fn parse(v: &Value, function_name: &str) -> Result<Self, RtcErrorInfo> {
        let o = v.get("option");
        Ok(ScreenShareConfig {
            view: ViewArg::parse(v.get("view")),
            publish: v.get("publish").as_bool(),
            stream_type: match v.get("streamType").as_str() {
                Some("main") => Some(ScreenStream::Main),
                Some("sub") => Some(ScreenStream::Sub),
                _ => None,
            },
            mute_system_audio: v.get("muteSystemAudio").as_bool(),
            profile: parse_profile(
                o.get("profile"),
                function_name,
                "profile",
                profile::screen_profile,
                profile::default_screen_profile(),
            )?,
            fill_mode: FillMode::parse(o.get("fillMode")),
            system_audio: o.get("systemAudio").as_bool().unwrap_or(false),
            qos: o
                .get("qosPreference")
                .as_str()
                .and_then(QosPreference::parse),
            prefer_display_surface: o.get("preferDisplaySurface").as_str().map(str::to_string),
            custom_video: !o.get("videoTrack").is_undefined(),
            custom_audio: !o.get("audioTrack").is_undefined(),
            capture_element: !o.get("captureElement").is_undefined(),
        })
    }
}

/// `mute` of a local microphone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioMute {
    /// `false`: the microphone's sound is sent.
    Unmute,
    /// Silence, device kept open.
    Mute,
    /// Release the device (the mic light goes off); unmute captures again.
    Microphone,
}

/// The argument of `startLocalAudio` / `updateLocalAudio`. `None` members were not given: start
/// uses the defaults, update keeps what there is.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalAudioConfig {
    /// Whether the microphone is published once in a room (default true).
    pub publish: Option<bool>,
    /// Whether the sound is sent, silenced, or the device released.
    pub mute: Option<AudioMute>,
    /// Whether volume evaluation keeps measuring the microphone while it is muted.
    pub mute_keep_volume_detection: Option<bool>,
    /// `option.microphoneId`: the microphone to capture (on update: switch to it).
    pub microphone_id: Option<String>,
    /// Whether `option.audioTrack` was given: the app's own track replaces the capture.
    pub custom_track: bool,
    /// `option.profile`: sample rate, channels and bitrate (start only; `None` for an unknown key).
    pub profile: Option<AudioProfile>,
    /// `option.captureVolume`: gain in percent, ≥ 0; 100 = unchanged, above 100 amplifies.
    pub capture_volume: Option<f64>,
    /// `option.earMonitorVolume`: 0..=100; above 0 the user hears their own microphone.
    pub ear_monitor_volume: Option<f64>,
    /// `option.echoCancellation`; `'remote-only'` and `'all'` count as on.
    pub echo_cancellation: Option<bool>,
    /// `option.noiseSuppression` (default on).
    pub noise_suppression: Option<bool>,
    /// `option.autoGainControl` (default on).
    pub auto_gain_control: Option<bool>,
}

impl LocalAudioConfig {
    /// Parses a config the validator accepted (`Undefined` = all defaults). Unlike the video config
    /// nothing here can fail: every value was checked by the rules.
    pub fn parse(v: &Value) -> Self {
        let o = v.get("option");
        LocalAudioConfig {
            publish: v.get("publish").as_bool(),
            mute: match v.get("mute") {
                Value::Bool(true) => Some(AudioMute::Mute),
                Value::Bool(false) => Some(AudioMute::Unmute),
                Value::String(s) if s == "microphone" => Some(AudioMute::Microphone),
                _ => None,
            },
            mute_keep_volume_detection: v.get("muteKeepVolumeDetection").as_bool(),
            microphone_id: o.get("microphoneId").as_str().map(str::to_string),
            custom_track: !o.get("audioTrack").is_undefined(),
            profile: o.get("profile").as_str().and_then(profile::audio_profile),
            capture_volume: o.get("captureVolume").as_f64(),
            ear_monitor_volume: o.get("earMonitorVolume").as_f64(),
            echo_cancellation: match o.get("echoCancellation") {
                Value::Bool(b) => Some(*b),
                Value::String(_) => Some(true),
                _ => None,
            },
            noise_suppression: o.get("noiseSuppression").as_bool(),
            auto_gain_control: o.get("autoGainControl").as_bool(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(props: &[(&str, Value)]) -> Value {
        Value::Object(
            props
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn video_defaults() {
        let c = LocalVideoConfig::parse(&Value::Undefined, "startLocalVideo").unwrap();
        assert_eq!(c.view, ViewArg::Unset);
        assert_eq!(c.profile, ProfileArg::Unset);
        assert_eq!(c.qos, None);
        assert!(!c.changes_device());
    }

    #[test]
    fn video_options() {
        let v = obj(&[
            ("view", Value::String("local".into())),
            ("mute", Value::Bool(true)),
            (
                "option",
                obj(&[
                    ("cameraId", Value::String("c1".into())),
                    ("profile", Value::String("720p".into())),
                    ("fillMode", Value::String("contain".into())),
                    ("mirror", Value::Bool(false)),
                    ("qosPreference", Value::String("clear".into())),
                ]),
            ),
        ]);
        let c = LocalVideoConfig::parse(&v, "startLocalVideo").unwrap();
        assert_eq!(c.view, ViewArg::Id("local".into()));
        assert_eq!(c.mute, Some(VideoMute::Mute));
        assert_eq!(c.camera_id.as_deref(), Some("c1"));
        assert_eq!(
            c.profile,
            ProfileArg::Known(profile::video_profile("720p").unwrap())
        );
        assert_eq!(c.fill_mode, Some(FillMode::Contain));
        assert_eq!(c.mirror, Some(Mirror::None));
        assert_eq!(c.qos, Some(QosPreference::Clear));
        assert!(c.changes_device());
    }

    #[test]
    fn profiles() {
        let rows: Vec<(Value, Result<ProfileArg, i32>)> = vec![
            (
                Value::String("nope".into()),
                Ok(ProfileArg::UnknownKey("nope".into())),
            ),
            (
                obj(&[
                    ("width", Value::Number(320.0)),
                    ("height", Value::Number(240.0)),
                ]),
                Ok(ProfileArg::Known(VideoProfile {
                    width: 320,
                    height: 240,
                    frame_rate: 15,
                    bitrate: 500,
                })),
            ),
            (obj(&[("width", Value::Number(320.0))]), Err(5001)),
            (
                obj(&[
                    ("width", Value::String("a".into())),
                    ("height", Value::Number(1.0)),
                ]),
                Err(5002),
            ),
        ];
        for (v, want) in rows {
            let c =
                LocalVideoConfig::parse(&obj(&[("option", obj(&[("profile", v.clone())]))]), "f");
            match want {
                Ok(p) => assert_eq!(c.unwrap().profile, p),
                Err(code) => assert_eq!(c.unwrap_err().extra_code, Some(code), "{v:?}"),
            }
        }
    }

    #[test]
    fn audio_options() {
        let v = obj(&[
            ("mute", Value::String("microphone".into())),
            (
                "option",
                obj(&[
                    ("captureVolume", Value::Number(50.0)),
                    ("echoCancellation", Value::String("remote-only".into())),
                    ("profile", Value::String("high".into())),
                ]),
            ),
        ]);
        let c = LocalAudioConfig::parse(&v);
        assert_eq!(c.mute, Some(AudioMute::Microphone));
        assert_eq!(c.capture_volume, Some(50.0));
        assert_eq!(c.echo_cancellation, Some(true));
        assert_eq!(c.profile.unwrap().bitrate, 128);
    }

    #[test]
    fn mirror_and_fill_css() {
        assert!(Mirror::DEFAULT.mirrors_view());
        assert!(!Mirror::Publish.mirrors_view());
        assert_eq!(FillMode::Cover.css(), "cover");
        let e = missing_view("startLocalVideo", "nope");
        assert_eq!(e.extra_code, Some(5009));
        assert!(e.message.contains("'nope'"));
    }
}

#[cfg(test)]
mod screen_tests {
    use super::*;
    use crate::validate::{rules, validate};

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }
    fn s(x: &str) -> Value {
        Value::String(x.into())
    }

    #[test]
    fn main_video_goes_to_the_screen_unless_the_camera_forces_publish() {
        use MainVideo::*;
        assert_eq!(MainVideo::choose(false, false, false), Nothing);
        assert_eq!(MainVideo::choose(false, true, false), Nothing);
        assert_eq!(MainVideo::choose(true, false, false), Camera);
        assert_eq!(MainVideo::choose(true, true, false), Camera);
        assert_eq!(MainVideo::choose(true, false, true), Screen);
        assert_eq!(MainVideo::choose(true, true, true), Camera);
        assert_eq!(MainVideo::choose(false, true, true), Screen);
        let v = obj(&[("forcePublish", Value::Bool(true))]);
        validate(&rules::START_LOCAL_VIDEO, &v, "startLocalVideo").unwrap();
        let c = LocalVideoConfig::parse(&v, "startLocalVideo").unwrap();
        assert_eq!(c.force_publish, Some(true));
        let c = LocalVideoConfig::parse(&Value::Undefined, "startLocalVideo").unwrap();
        assert_eq!(c.force_publish, None);
        let bad = obj(&[("forcePublish", s("yes"))]);
        assert!(validate(&rules::START_LOCAL_VIDEO, &bad, "startLocalVideo").is_err());
    }

    #[test]
    fn screen_share_config_defaults_and_values() {
        let c = ScreenShareConfig::parse(&Value::Undefined, "startScreenShare").unwrap();
        assert_eq!(c.stream_type, None);
        assert_eq!(c.profile, ProfileArg::Unset);
        assert!(!c.system_audio);
        let v = obj(&[
            ("streamType", s("main")),
            ("publish", Value::Bool(false)),
            (
                "option",
                obj(&[
                    ("profile", s("720p")),
                    ("systemAudio", Value::Bool(true)),
                    ("qosPreference", s("smooth")),
                    ("preferDisplaySurface", s("window")),
                    ("fillMode", s("cover")),
                ]),
            ),
        ]);
        validate(&rules::START_SCREEN_SHARE, &v, "startScreenShare").unwrap();
        let c = ScreenShareConfig::parse(&v, "startScreenShare").unwrap();
        assert_eq!(c.stream_type, Some(ScreenStream::Main));
        assert_eq!(c.publish, Some(false));
        assert_eq!(
            c.profile,
            ProfileArg::Known(profile::screen_profile("720p").unwrap())
        );
        assert!(c.system_audio);
        assert_eq!(c.qos, Some(QosPreference::Smooth));
        assert_eq!(c.prefer_display_surface.as_deref(), Some("window"));
        assert_eq!(c.fill_mode, Some(FillMode::Cover));
        // A custom profile takes the screen's defaults for what it leaves out.
        let v = obj(&[(
            "option",
            obj(&[(
                "profile",
                obj(&[
                    ("width", Value::Number(800.0)),
                    ("height", Value::Number(600.0)),
                ]),
            )]),
        )]);
        let c = ScreenShareConfig::parse(&v, "startScreenShare").unwrap();
        assert_eq!(
            c.profile,
            ProfileArg::Known(VideoProfile {
                width: 800,
                height: 600,
                frame_rate: 5,
                bitrate: 1600
            })
        );
    }

    #[test]
    fn bad_screen_share_configs_are_refused_with_their_codes() {
        let rows: Vec<(Value, i32)> = vec![
            (s("x"), extra::TYPE),
            (obj(&[("streamType", s("big"))]), extra::RANGE),
            (obj(&[("publish", s("yes"))]), extra::TYPE),
            (
                obj(&[("option", obj(&[("systemAudio", s("y"))]))]),
                extra::TYPE,
            ),
            (
                obj(&[("option", obj(&[("preferDisplaySurface", s("desk"))]))]),
                extra::RANGE,
            ),
            (
                obj(&[("option", obj(&[("fillMode", s("zoom"))]))]),
                extra::RANGE,
            ),
            (
                obj(&[("option", obj(&[("qosPreference", s("sharp"))]))]),
                extra::RANGE,
            ),
        ];
        for (v, code) in rows {
            let e = validate(&rules::START_SCREEN_SHARE, &v, "startScreenShare").unwrap_err();
            assert_eq!(e.extra_code, Some(code), "{v:?}: {}", e.message);
            assert_eq!(e.function_name, "startScreenShare");
        }
        let e = validate(
            &rules::UPDATE_SCREEN_SHARE,
            &Value::Undefined,
            "updateScreenShare",
        )
        .unwrap_err();
        assert_eq!(e.extra_code, Some(extra::REQUIRED));
        let v = obj(&[(
            "option",
            obj(&[("profile", obj(&[("width", Value::Number(-1.0))]))]),
        )]);
        assert!(ScreenShareConfig::parse(&v, "startScreenShare").is_err());
    }
}

#[cfg(test)]
mod small_tests {
    use super::*;
    use crate::validate::{rules, validate};

    fn with_small(small: Value) -> Value {
        Value::Object(
            [(
                "option".to_string(),
                Value::Object([("small".to_string(), small)].into_iter().collect()),
            )]
            .into_iter()
            .collect(),
        )
    }

    fn size(w: f64, h: f64) -> Value {
        Value::Object(
            [
                ("width".to_string(), Value::Number(w)),
                ("height".to_string(), Value::Number(h)),
            ]
            .into_iter()
            .collect(),
        )
    }

    fn small_of(v: Value) -> SmallArg {
        let cfg = with_small(v);
        validate(&rules::START_LOCAL_VIDEO, &cfg, "startLocalVideo").unwrap();
        LocalVideoConfig::parse(&cfg, "startLocalVideo")
            .unwrap()
            .small
    }

    #[test]
    fn small_true_is_120p_2_and_keys_and_objects_are_profiles() {
        let main = profile::default_video_profile();
        let p = small_of(Value::Bool(true)).resolve(main).unwrap().unwrap();
        assert_eq!(
            (p.width, p.height, p.frame_rate, p.bitrate),
            (160, 120, 15, 100)
        );
        let p = small_of(Value::String("180p".into()))
            .resolve(main)
            .unwrap()
            .unwrap();
        assert_eq!((p.width, p.height), (320, 180));
        let p = small_of(size(320.0, 240.0)).resolve(main).unwrap().unwrap();
        assert_eq!((p.width, p.height), (320, 240));
        assert_eq!(small_of(Value::Bool(false)), SmallArg::Off);
        assert_eq!(small_of(Value::Bool(false)).resolve(main), Ok(None));
        let unset = LocalVideoConfig::parse(&Value::Undefined, "startLocalVideo").unwrap();
        assert_eq!(unset.small, SmallArg::Unset);
    }

    #[test]
    fn a_small_stream_not_smaller_than_the_camera_is_ignored_with_a_warning() {
        let main = profile::default_video_profile(); // 640x480
        for v in [
            Value::String("480p".into()),
            Value::String("720p".into()),
            size(640.0, 100.0),
            size(100.0, 480.0),
        ] {
            let warning = small_of(v.clone()).resolve(main).unwrap_err();
            assert!(warning.contains("smaller"), "{v:?}: {warning}");
        }
        let warning = small_of(Value::String("nope".into()))
            .resolve(main)
            .unwrap_err();
        assert!(warning.contains("'nope'"), "{warning}");
        // Smaller than a bigger camera profile: fine.
        let hd = profile::video_profile("720p").unwrap();
        assert!(small_of(Value::String("480p".into()))
            .resolve(hd)
            .unwrap()
            .is_some());
    }

    #[test]
    fn bad_small_values_are_parameter_errors() {
        // Wrong type: refused by the rules (INVALID_PARAMETER, extraCode of a wrong type).
        for v in [Value::Number(1.0), Value::Null] {
            let e = validate(
                &rules::START_LOCAL_VIDEO,
                &with_small(v.clone()),
                "startLocalVideo",
            )
            .unwrap_err();
            assert_eq!(e.code, crate::error::ErrorCode::InvalidParameter, "{v:?}");
            assert_eq!(e.extra_code, Some(extra::TYPE), "{v:?}");
        }
        // A custom object without a size, or with a bad number.
        let e = LocalVideoConfig::parse(
            &with_small(Value::Object(Default::default())),
            "startLocalVideo",
        )
        .unwrap_err();
        assert_eq!(e.extra_code, Some(extra::REQUIRED));
        assert!(e.message.contains("'small'"), "{}", e.message);
        let e = LocalVideoConfig::parse(&with_small(size(-1.0, 120.0)), "updateLocalVideo")
            .unwrap_err();
        assert_eq!(e.extra_code, Some(extra::TYPE));
        assert!(e.message.contains("'small.width'"), "{}", e.message);
        // Remote: a boolean only.
        let remote = |small: Value| {
            Value::Object(
                [
                    ("userId".to_string(), Value::String("bob".into())),
                    ("streamType".to_string(), Value::String("main".into())),
                    (
                        "option".to_string(),
                        Value::Object([("small".to_string(), small)].into_iter().collect()),
                    ),
                ]
                .into_iter()
                .collect(),
            )
        };
        assert!(validate(
            &rules::REMOTE_VIDEO,
            &remote(Value::Bool(true)),
            "startRemoteVideo"
        )
        .is_ok());
        let e = validate(
            &rules::REMOTE_VIDEO,
            &remote(Value::String("small".into())),
            "updateRemoteVideo",
        )
        .unwrap_err();
        assert_eq!(e.extra_code, Some(extra::TYPE));
    }
}
