//! What the encoder is told, decided here and carried out by the browser glue
//! (`src/encoding.rs`): the sender parameters of a video or audio profile, what a QoS preference
//! means, the order of the video codecs the publisher prefers, and the Opus `stereo` parameter
//! of a session description.
//!
//! - A video profile (camera, small stream, screen) becomes the sender's first encoding's
//!   `maxBitrate` (bps) and `maxFramerate`; `qosPreference` becomes the sender's
//!   `degradationPreference` and the track's `contentHint` ([`VideoEncoding`]).
//! - An audio profile becomes `maxBitrate`, and whether Opus is sent in stereo
//!   ([`AudioEncoding`]).
//! - Codecs: H.264 first, then VP8, as trtc-sdk-v5 prefers them (its `useVp8` swaps the two).
//!   A browser answering an offer sends with the first codec *of the offer* that it can encode
//!   (Chromium 156 does so even when `setCodecPreferences` reordered its answer), so the SDK
//!   reorders the payload types of the camera's m-line in its copy of the server's offer
//!   ([`prefer_video_codecs`]); a codec the browser cannot encode is passed over by the browser
//!   itself, so a browser without H.264 sends VP8.
//! - Stereo: the server offers Opus with `stereo=1; sprop-stereo=1` everywhere. A browser
//!   encodes two channels only when the description it was given says `stereo=1`, and decodes
//!   two only when its own description says so; [`set_opus_stereo`] rewrites the one parameter in
//!   the m-sections named, leaving everything else as it was.

use crate::profile::{AudioProfile, VideoProfile};

/// `option.qosPreference`: what to give up when the network or the CPU cannot carry the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QosPreference {
    /// `'smooth'` (the camera's default): keep the frame rate, lower the resolution.
    Smooth,
    /// `'clear'` (the screen share's default): keep the resolution, lower the frame rate.
    Clear,
}

impl QosPreference {
    /// `'smooth'` or `'clear'`; `None` for anything else.
    pub fn parse(s: &str) -> Option<QosPreference> {
        match s {
            "smooth" => Some(QosPreference::Smooth),
            "clear" => Some(QosPreference::Clear),
            _ => None,
        }
    }

    /// The sender's `degradationPreference`.
    pub fn degradation_preference(self) -> &'static str {
        match self {
            QosPreference::Smooth => "maintain-framerate",
            QosPreference::Clear => "maintain-resolution",
        }
    }

    /// The track's `contentHint`: the encoder favours movement or detail.
    pub fn content_hint(self) -> &'static str {
        match self {
            QosPreference::Smooth => "motion",
            QosPreference::Clear => "detail",
        }
    }
}

/// What a video sender and its track are given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoEncoding {
    /// The first encoding's `maxBitrate`, bits per second.
    pub max_bitrate: u32,
    /// The first encoding's `maxFramerate`.
    pub max_framerate: u32,
    /// The sender's `degradationPreference`.
    pub degradation_preference: &'static str,
    /// The track's `contentHint`.
    pub content_hint: &'static str,
}

impl VideoEncoding {
    /// The encoding of `profile` (bitrate in kbps) with `qos`.
    pub fn new(profile: &VideoProfile, qos: QosPreference) -> VideoEncoding {
        VideoEncoding {
            max_bitrate: profile.bitrate.saturating_mul(1000),
            max_framerate: profile.frame_rate,
            degradation_preference: qos.degradation_preference(),
            content_hint: qos.content_hint(),
        }
    }
}

/// The small stream's encoding (rid `l` of a camera sender negotiated with simulcast): the
/// camera's picture scaled down to the small profile's size, at its frame rate and bitrate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SmallLayer {
    /// `scaleResolutionDownBy` (at least 1).
    pub scale: f64,
    /// `maxBitrate`, bits per second.
    pub max_bitrate: u32,
    /// `maxFramerate`.
    pub max_framerate: u32,
}

impl SmallLayer {
    /// The layer of `small` sent from a camera track of `width` x `height`.
    pub fn new(small: &VideoProfile, width: f64, height: f64) -> SmallLayer {
        let scale = (width / f64::from(small.width.max(1)))
            .max(height / f64::from(small.height.max(1)))
            .max(1.0);
        SmallLayer {
            scale,
            max_bitrate: small.bitrate.saturating_mul(1000),
            max_framerate: small.frame_rate,
        }
    }
}

/// What an audio sender is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioEncoding {
    /// The first encoding's `maxBitrate`, bits per second (the Opus encoder's target).
    pub max_bitrate: u32,
    /// Whether Opus is sent in stereo (`stereo=1` kept in the description the browser encodes
    /// for).
    pub stereo: bool,
}

impl AudioEncoding {
    /// The encoding of `profile` (bitrate in kbps).
    pub fn new(profile: &AudioProfile) -> AudioEncoding {
        AudioEncoding {
            max_bitrate: profile.bitrate.saturating_mul(1000),
            stereo: profile.channel_count >= 2,
        }
    }
}

/// A video codec the publisher may prefer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoCodec {
    /// H.264 (`video/H264`).
    H264,
    /// VP8 (`video/VP8`).
    Vp8,
}

impl VideoCodec {
    /// The codec's name in a MIME type (`video/<name>`), as browsers spell it.
    pub fn name(self) -> &'static str {
        match self {
            VideoCodec::H264 => "H264",
            VideoCodec::Vp8 => "VP8",
        }
    }
}

/// The publisher's codecs, most preferred first: H.264 then VP8, as trtc-sdk-v5; with its
/// `useVp8` (an `enterRoom` field it reads though the typings do not list it), VP8 then H.264.
pub fn preferred_codecs(use_vp8: bool) -> [VideoCodec; 2] {
    if use_vp8 {
        [VideoCodec::Vp8, VideoCodec::H264]
    } else {
        [VideoCodec::H264, VideoCodec::Vp8]
    }
}

/// The order of a list of codecs by preference, as indexes into `names` (a codec's name, e.g.
/// `H264`, or a MIME type, `video/H264`; any case): every entry of the preferred codecs first,
/// by preference, then all the others (VP9, AV1, and `rtx`, `red`, `ulpfec`) in the order
/// given. Within one codec the given order stays (an offer's H.264 entries list packetization
/// mode 1 first). A preferred codec that is not listed is skipped; with none of them the order
/// is unchanged.
pub fn codec_order(names: &[&str], preferred: &[VideoCodec]) -> Vec<usize> {
    let rank = |mime: &str| -> usize {
        let name = parts(mime, b'/').pop().unwrap_or(mime);
        preferred
            .iter()
            .position(|c| c.name().eq_ignore_ascii_case(name))
            .unwrap_or(preferred.len())
    };
    let mut order: Vec<usize> = (0..names.len()).collect();
    crate::sort::sort_by(&mut order, |a, b| rank(names[*a]).cmp(&rank(names[*b])));
    order
}

/// `s` cut at every `sep` (an ASCII byte), as `s.split(sep)`: one small function for every
/// split here (the standard library's char searchers cost wasm bytes per use).
fn parts(s: &str, sep: u8) -> Vec<&str> {
    let mut out = Vec::new();
    let mut from = 0;
    for (i, b) in s.bytes().enumerate() {
        if b == sep {
            out.push(&s[from..i]);
            from = i + 1;
        }
    }
    out.push(&s[from..]);
    out
}

/// The lines of `sdp` without their ends, grouped in sections (the session part, then one per
/// `m=` line), and the line end it uses (`\r\n` as browsers and the server write, or `\n`).
fn sections(sdp: &str) -> (Vec<Vec<&str>>, &'static str) {
    let crlf = crate::text::contains(sdp, "\r\n");
    let mut out: Vec<Vec<&str>> = vec![Vec::new()];
    for l in parts(sdp, b'\n') {
        let l = l.strip_suffix('\r').unwrap_or(l);
        if l.starts_with("m=") {
            out.push(Vec::new());
        }
        out.last_mut().expect("one at least").push(l);
    }
    (out, if crlf { "\r\n" } else { "\n" })
}

/// Whether a section is an m-section of `kind` (`audio`, `video`) named by one of `mids` (`*`
/// names them all).
fn named(section: &[&str], kind: &str, mids: &[&str]) -> bool {
    section
        .first()
        .and_then(|m| m.strip_prefix("m="))
        .map(|m| parts(m, b' ')[0])
        == Some(kind)
        && (mids.contains(&"*")
            || section
                .iter()
                .any(|l| l.strip_prefix("a=mid:").is_some_and(|m| mids.contains(&m))))
}

/// `(payload type, codec name, the rest)` of an `a=<attr>:<pt> <rest>` line (`rtpmap`,
/// `fmtp`); the codec name is the rest up to a `/`.
fn attr<'a>(line: &'a str, attr: &str) -> Option<(&'a str, &'a str, &'a str)> {
    let rest = line
        .strip_prefix("a=")?
        .strip_prefix(attr)?
        .strip_prefix(':')?;
    let i = rest.bytes().position(|b| b == b' ')?;
    let value = &rest[i + 1..];
    Some((&rest[..i], parts(value, b'/')[0], value))
}

/// `sdp` with the payload types of the video m-sections named by `mids` reordered by
/// [`codec_order`] (an `rtx` payload type counts as not preferred and keeps its place among
/// the rest); every other line unchanged. Payload types without an `a=rtpmap` (static ones)
/// count as not preferred.
pub fn prefer_video_codecs(sdp: &str, mids: &[&str], preferred: &[VideoCodec]) -> String {
    let (sections, eol) = sections(sdp);
    let mut out: Vec<String> = Vec::new();
    for section in &sections {
        let mut lines: Vec<String> = section.iter().map(|l| l.to_string()).collect();
        if named(section, "video", mids) {
            let words = parts(section[0], b' ');
            let (head, pts) = words.split_at(words.len().min(3));
            let names: Vec<&str> = pts
                .iter()
                .map(|pt| {
                    section
                        .iter()
                        .find_map(|l| attr(l, "rtpmap").filter(|(p, ..)| p == pt))
                        .map_or("", |(_, name, _)| name)
                })
                .collect();
            let mut m = head.join(" ");
            for i in codec_order(&names, preferred) {
                m.push(' ');
                m.push_str(pts[i]);
            }
            lines[0] = m;
        }
        out.extend(lines);
    }
    out.join(eol)
}

/// `sdp` with the Opus `stereo` parameter set to `stereo` (`1` or `0`) in the audio m-sections
/// whose `a=mid` is one of `mids` (`*`: all of them, stopped ones too); every other line, and every other section, unchanged. An
/// Opus payload type without an `a=fmtp` line gets one after its `a=rtpmap`. Line endings are
/// kept.
pub fn set_opus_stereo(sdp: &str, mids: &[&str], stereo: bool) -> String {
    let value = if stereo { "stereo=1" } else { "stereo=0" };
    let (sections, eol) = sections(sdp);
    let mut out: Vec<String> = Vec::new();
    for section in &sections {
        if !named(section, "audio", mids) {
            out.extend(section.iter().map(|l| l.to_string()));
            continue;
        }
        let opus: Vec<&str> = section
            .iter()
            .filter_map(|l| attr(l, "rtpmap"))
            .filter(|(_, name, _)| name.eq_ignore_ascii_case("opus"))
            .map(|(pt, ..)| pt)
            .collect();
        let has_fmtp = |pt: &str| {
            section
                .iter()
                .any(|l| attr(l, "fmtp").is_some_and(|f| f.0 == pt))
        };
        for l in section {
            match (attr(l, "fmtp"), attr(l, "rtpmap")) {
                (Some((pt, _, params)), _) if opus.contains(&pt) => {
                    let mut line = String::from("a=fmtp:") + pt + " ";
                    for p in parts(params, b';') {
                        let p = p.trim();
                        if !p.is_empty() && !p.starts_with("stereo=") {
                            line = line + p + ";";
                        }
                    }
                    out.push(line + value);
                }
                (_, Some((pt, ..))) if opus.contains(&pt) && !has_fmtp(pt) => {
                    out.push(l.to_string());
                    out.push(String::from("a=fmtp:") + pt + " " + value);
                }
                _ => out.push(l.to_string()),
            }
        }
    }
    out.join(eol)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{audio_profile, screen_profile, video_profile};

    #[test]
    fn the_small_layer_scales_the_camera_down_to_its_profile() {
        let small = video_profile("120p_2").unwrap();
        let l = SmallLayer::new(&small, 640.0, 480.0);
        assert_eq!(l.scale, 4.0);
        assert_eq!(l.max_bitrate, small.bitrate * 1000);
        assert_eq!(l.max_framerate, small.frame_rate);
        // Never scaled up; the larger ratio keeps it inside the profile's box.
        assert_eq!(SmallLayer::new(&small, 100.0, 80.0).scale, 1.0);
        assert_eq!(SmallLayer::new(&small, 1280.0, 480.0).scale, 8.0);
    }

    #[test]
    fn qos_preferences() {
        let rows = [
            ("smooth", "maintain-framerate", "motion"),
            ("clear", "maintain-resolution", "detail"),
        ];
        for (name, degradation, hint) in rows {
            let q = QosPreference::parse(name).unwrap();
            assert_eq!(q.degradation_preference(), degradation, "{name}");
            assert_eq!(q.content_hint(), hint, "{name}");
        }
        assert_eq!(QosPreference::parse("Smooth"), None);
        assert_eq!(QosPreference::parse(""), None);
    }

    #[test]
    fn video_profiles_become_sender_parameters() {
        let rows = [
            (video_profile("480p_2"), QosPreference::Smooth, 500_000, 15),
            (video_profile("720p"), QosPreference::Smooth, 1_500_000, 15),
            (video_profile("120p_2"), QosPreference::Smooth, 100_000, 15),
            (video_profile("1440p"), QosPreference::Clear, 4_860_000, 30),
            (screen_profile("1080p"), QosPreference::Clear, 1_600_000, 5),
            (
                screen_profile("720p_2"),
                QosPreference::Clear,
                3_000_000,
                30,
            ),
        ];
        for (p, qos, bitrate, fps) in rows {
            let e = VideoEncoding::new(&p.unwrap(), qos);
            assert_eq!((e.max_bitrate, e.max_framerate), (bitrate, fps), "{p:?}");
            assert_eq!(e.degradation_preference, qos.degradation_preference());
            assert_eq!(e.content_hint, qos.content_hint());
        }
        // A custom profile's bitrate cannot overflow the bps figure.
        let huge = VideoProfile {
            width: 1,
            height: 1,
            frame_rate: 1,
            bitrate: u32::MAX,
        };
        assert_eq!(
            VideoEncoding::new(&huge, QosPreference::Smooth).max_bitrate,
            u32::MAX
        );
    }

    #[test]
    fn audio_profiles_become_sender_parameters() {
        let rows = [
            ("standard", 40_000, false),
            ("standard-stereo", 64_000, true),
            ("high", 128_000, false),
            ("high-stereo", 192_000, true),
        ];
        for (key, bitrate, stereo) in rows {
            let e = AudioEncoding::new(&audio_profile(key).unwrap());
            assert_eq!((e.max_bitrate, e.stereo), (bitrate, stereo), "{key}");
        }
    }

    /// Chromium 156's `RTCRtpSender.getCapabilities('video')` here, in its order (the names
    /// may be MIME types).
    const CHROMIUM: &[&str] = &[
        "video/VP8",
        "video/rtx",
        "video/H264",
        "video/H264",
        "video/AV1",
        "video/VP9",
        "video/red",
        "video/ulpfec",
    ];

    fn names(order: &[usize], caps: &[&str]) -> Vec<String> {
        order.iter().map(|&i| format!("{i}:{}", caps[i])).collect()
    }

    #[test]
    fn h264_first_then_vp8_then_the_rest_in_browser_order() {
        let order = codec_order(CHROMIUM, &preferred_codecs(false));
        assert_eq!(
            names(&order, CHROMIUM),
            [
                "2:video/H264",
                "3:video/H264",
                "0:video/VP8",
                "1:video/rtx",
                "4:video/AV1",
                "5:video/VP9",
                "6:video/red",
                "7:video/ulpfec"
            ]
        );
        // useVp8 swaps the two.
        let order = codec_order(CHROMIUM, &preferred_codecs(true));
        assert_eq!(&order[..3], &[0, 2, 3]);
        // Every entry is kept once.
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..CHROMIUM.len()).collect::<Vec<_>>());
    }

    #[test]
    fn the_offer_lists_h264_first() {
        // The video m-line of the server's offer (str0m 0.25's defaults), trimmed.
        let offer = "v=0\r\n\
m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n\
a=mid:a\r\n\
a=rtpmap:111 opus/48000/2\r\n\
m=video 9 UDP/TLS/RTP/SAVPF 96 97 127 121 98 99 45\r\n\
a=mid:v\r\n\
a=rtpmap:96 VP8/90000\r\n\
a=rtpmap:97 rtx/90000\r\n\
a=fmtp:97 apt=96\r\n\
a=rtpmap:127 H264/90000\r\n\
a=rtpmap:121 rtx/90000\r\n\
a=rtpmap:98 VP9/90000\r\n\
a=rtpmap:99 rtx/90000\r\n\
a=rtpmap:45 AV1/90000\r\n\
m=video 9 UDP/TLS/RTP/SAVPF 96 127\r\n\
a=mid:w\r\n\
a=rtpmap:96 VP8/90000\r\n\
a=rtpmap:127 H264/90000\r\n";
        let got = prefer_video_codecs(offer, &["v"], &preferred_codecs(false));
        assert_eq!(
            got,
            offer.replace(
                "SAVPF 96 97 127 121 98 99 45",
                "SAVPF 127 96 97 121 98 99 45"
            )
        );
        // useVp8: VP8, then H.264 ahead of the rtx entries; `w` lists them so already.
        let got = prefer_video_codecs(offer, &["v", "w"], &preferred_codecs(true));
        assert_eq!(
            got,
            offer.replace(
                "SAVPF 96 97 127 121 98 99 45",
                "SAVPF 96 127 97 121 98 99 45"
            )
        );
        let got = prefer_video_codecs(offer, &["w", "a"], &preferred_codecs(false));
        assert_eq!(got, offer.replace("SAVPF 96 127\r\n", "SAVPF 127 96\r\n"));
        // Payload types without a name keep their place among the rest; nothing named: as is.
        let bare = "m=video 9 RTP/AVP 34 96 31\na=mid:v\na=rtpmap:96 H264/90000";
        assert_eq!(
            prefer_video_codecs(bare, &["v"], &preferred_codecs(false)),
            "m=video 9 RTP/AVP 96 34 31\na=mid:v\na=rtpmap:96 H264/90000"
        );
        assert_eq!(
            prefer_video_codecs(offer, &[], &preferred_codecs(false)),
            offer
        );
        for junk in [
            "",
            "m=video",
            "m=video 9\na=mid:v",
            "m=\na=mid:v\na=rtpmap:",
        ] {
            let _ = prefer_video_codecs(junk, &["v"], &preferred_codecs(false));
        }
    }

    #[test]
    fn falls_back_to_what_the_browser_can_encode() {
        // No H.264 encoder (e.g. a Chromium built without it): VP8 first.
        let no_h264 = ["video/rtx", "video/VP9", "video/VP8"];
        let order = codec_order(&no_h264, &preferred_codecs(false));
        assert_eq!(order, [2, 0, 1]);
        // Neither: the browser's order, unchanged.
        let neither = ["video/AV1", "video/rtx", "video/VP9"];
        assert_eq!(codec_order(&neither, &preferred_codecs(false)), [0, 1, 2]);
        // Case does not matter; nothing at all is nothing.
        assert_eq!(
            codec_order(&["video/vp8", "video/h264"], &preferred_codecs(false)),
            [1, 0]
        );
        assert!(codec_order(&[], &preferred_codecs(false)).is_empty());
    }

    const OFFER: &str = "v=0\r\n\
o=- 1 2 IN IP4 0.0.0.0\r\n\
s=-\r\n\
a=group:BUNDLE d a1 v1 a2\r\n\
m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n\
a=mid:d\r\n\
m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n\
a=mid:a1\r\n\
a=recvonly\r\n\
a=rtpmap:111 opus/48000/2\r\n\
a=fmtp:111 minptime=10;stereo=1;sprop-stereo=1;useinbandfec=1\r\n\
m=video 9 UDP/TLS/RTP/SAVPF 96\r\n\
a=mid:v1\r\n\
a=rtpmap:96 VP8/90000\r\n\
m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n\
a=mid:a2\r\n\
a=sendonly\r\n\
a=rtpmap:111 opus/48000/2\r\n\
a=fmtp:111 minptime=10;stereo=1;sprop-stereo=1;useinbandfec=1\r\n";

    #[test]
    fn stereo_is_set_in_the_named_sections_only() {
        let mono = set_opus_stereo(OFFER, &["a1"], false);
        let want = OFFER.replacen(
            "a=fmtp:111 minptime=10;stereo=1;sprop-stereo=1;useinbandfec=1",
            "a=fmtp:111 minptime=10;sprop-stereo=1;useinbandfec=1;stereo=0",
            1,
        );
        assert_eq!(mono, want);
        // Setting what is there already changes only the parameter's place.
        let again = set_opus_stereo(&mono, &["a1"], false);
        assert_eq!(again, mono);
        // Both audio sections, back to stereo.
        let both = set_opus_stereo(&mono, &["a1", "a2"], true);
        assert_eq!(
            both.matches("sprop-stereo=1;useinbandfec=1;stereo=1")
                .count(),
            2,
            "{both}"
        );
        // `*`: every audio section.
        assert_eq!(set_opus_stereo(&mono, &["*"], true), both);
        // No section named, or a video one: unchanged.
        assert_eq!(set_opus_stereo(OFFER, &[], false), OFFER);
        assert_eq!(set_opus_stereo(OFFER, &["v1", "d"], false), OFFER);
    }

    #[test]
    fn an_answer_without_stereo_gets_it() {
        // Chromium's answer: `\r\n`, fmtp after the rtpmap, no stereo.
        let answer = "m=audio 9 UDP/TLS/RTP/SAVPF 111 63\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\na=fmtp:111 minptime=10;useinbandfec=1\r\na=rtpmap:63 red/48000/2\r\na=fmtp:63 111/111\r\n";
        let got = set_opus_stereo(answer, &["0"], true);
        assert_eq!(
            got,
            answer.replace(
                "a=fmtp:111 minptime=10;useinbandfec=1",
                "a=fmtp:111 minptime=10;useinbandfec=1;stereo=1"
            )
        );
        // No fmtp line at all: one is added after the rtpmap; `\n` endings stay `\n`.
        let bare =
            "m=audio 9 RTP/AVP 109 0\na=mid:x\na=rtpmap:109 OPUS/48000/2\na=rtpmap:0 PCMU/8000\n";
        assert_eq!(
            set_opus_stereo(bare, &["x"], true),
            "m=audio 9 RTP/AVP 109 0\na=mid:x\na=rtpmap:109 OPUS/48000/2\na=fmtp:109 stereo=1\na=rtpmap:0 PCMU/8000\n"
        );
        // Garbage in, garbage out, no panic.
        for junk in [
            "",
            "m=audio",
            "a=fmtp:",
            "m=audio\na=mid:x\na=rtpmap:1\na=fmtp:1",
        ] {
            let _ = set_opus_stereo(junk, &["x"], true);
        }
    }
}
