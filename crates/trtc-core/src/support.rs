//! The `TRTC.isSupported()` verdict and capture preconditions.

/// What the glue measured in the browser. Field order is the order of `detail`'s keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SupportDetail {
    /// The user agent is a browser and version TRTC supports ([`is_browser_supported`]).
    pub is_browser_supported: bool,
    /// `RTCPeerConnection` exists.
    pub is_webrtc_supported: bool,
    /// `VideoEncoder` and `VideoDecoder` exist.
    pub is_webcodecs_supported: bool,
    /// `navigator.mediaDevices` has `getUserMedia` and `enumerateDevices`.
    pub is_media_devices_supported: bool,
    /// `navigator.mediaDevices.getDisplayMedia` exists.
    pub is_screen_share_supported: bool,
    /// A second (small) video stream can be sent: WebRTC, a supported browser and
    /// `RTCRtpTransceiver`.
    pub is_small_stream_supported: bool,
    /// `RTCRtpSender.getCapabilities('video')` lists `video/H264`.
    pub is_h264_encode_supported: bool,
    /// `RTCRtpSender.getCapabilities('video')` lists `video/VP8`.
    pub is_vp8_encode_supported: bool,
    /// `RTCRtpSender.getCapabilities('video')` lists `video/H265`.
    pub is_h265_encode_supported: bool,
    /// `RTCRtpReceiver.getCapabilities('video')` lists `video/H264`.
    pub is_h264_decode_supported: bool,
    /// `RTCRtpReceiver.getCapabilities('video')` lists `video/VP8`.
    pub is_vp8_decode_supported: bool,
    /// `RTCRtpReceiver.getCapabilities('video')` lists `video/H265`.
    pub is_h265_decode_supported: bool,
}

impl SupportDetail {
    /// `(key, value)` in the order of trtc-sdk-v5's `detail`.
    pub fn entries(&self) -> [(&'static str, bool); 12] {
        [
            ("isBrowserSupported", self.is_browser_supported),
            ("isWebRTCSupported", self.is_webrtc_supported),
            ("isWebCodecsSupported", self.is_webcodecs_supported),
            ("isMediaDevicesSupported", self.is_media_devices_supported),
            ("isScreenShareSupported", self.is_screen_share_supported),
            ("isSmallStreamSupported", self.is_small_stream_supported),
            ("isH264EncodeSupported", self.is_h264_encode_supported),
            ("isVp8EncodeSupported", self.is_vp8_encode_supported),
            ("isH265EncodeSupported", self.is_h265_encode_supported),
            ("isH264DecodeSupported", self.is_h264_decode_supported),
            ("isVp8DecodeSupported", self.is_vp8_decode_supported),
            ("isH265DecodeSupported", self.is_h265_decode_supported),
        ]
    }

    /// `result` = browser && WebRTC && mediaDevices && (H.264 or VP8 encode) && (… decode).
    pub fn result(&self) -> bool {
        self.is_browser_supported
            && self.is_webrtc_supported
            && self.is_media_devices_supported
            && (self.is_h264_encode_supported || self.is_vp8_encode_supported)
            && (self.is_h264_decode_supported || self.is_vp8_decode_supported)
    }
}

/// Minimum major versions we support, by engine token in the user agent.
const MIN_VERSIONS: &[(&str, u32)] = &[
    ("Edg/", 80),
    ("OPR/", 60),
    ("Firefox/", 56),
    ("Chrome/", 56),
    ("Version/", 11), // Safari
];

/// Whether the browser named by `user_agent` is one we support.
pub fn is_browser_supported(user_agent: &str) -> bool {
    for (token, min) in MIN_VERSIONS {
        if let Some(pos) = crate::text::find(user_agent, token) {
            if *token == "Version/" && !crate::text::contains(user_agent, "Safari/") {
                continue;
            }
            let rest = &user_agent[pos + token.len()..];
            let major: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
            return major.parse::<u32>().map(|v| v >= *min).unwrap_or(false);
        }
    }
    false
}

/// Capture needs a secure context unless the app brings its own track.
pub fn capture_allowed(is_secure_context: bool, custom_track: bool) -> bool {
    is_secure_context || custom_track
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers() {
        let rows = [
            ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36", true),
            ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36", true),
            ("Mozilla/5.0 AppleWebKit/537.36 Chrome/50.0 Safari/537.36", false),
            ("Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 Edg/120.0", true),
            ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", true),
            ("Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15", true),
            ("Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/10.1 Safari/605.1.15", false),
            ("curl/8.0", false),
        ];
        for (ua, want) in rows {
            assert_eq!(is_browser_supported(ua), want, "{ua}");
        }
    }

    #[test]
    fn verdict() {
        let all = SupportDetail {
            is_browser_supported: true,
            is_webrtc_supported: true,
            is_media_devices_supported: true,
            is_vp8_encode_supported: true,
            is_vp8_decode_supported: true,
            ..Default::default()
        };
        assert!(all.result());
        assert!(!SupportDetail {
            is_vp8_decode_supported: false,
            ..all
        }
        .result());
        assert!(SupportDetail {
            is_vp8_decode_supported: false,
            is_h264_decode_supported: true,
            ..all
        }
        .result());
        assert!(!SupportDetail {
            is_webrtc_supported: false,
            ..all
        }
        .result());
        assert_eq!(all.entries().len(), 12);
    }

    #[test]
    fn capture_preconditions() {
        assert!(capture_allowed(true, false));
        assert!(capture_allowed(false, true));
        assert!(!capture_allowed(false, false));
    }
}
