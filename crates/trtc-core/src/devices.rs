//! Device hot-plug: which devices came and went between two `enumerateDevices()` lists
//! (`DEVICE_CHANGED` with `add` / `remove`), and which device to recapture from when the one in
//! use stops.

/// One entry of `enumerateDevices()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// `videoinput`, `audioinput` or `audiooutput`.
    pub kind: String,
    /// Empty before the page has permission.
    pub device_id: String,
}

/// `DEVICE_CHANGED`'s `type` for a device kind (`None` for kinds it does not report).
pub fn event_type(kind: &str) -> Option<&'static str> {
    match kind {
        "videoinput" => Some("camera"),
        "audioinput" => Some("microphone"),
        "audiooutput" => Some("speaker"),
        _ => None,
    }
}

/// What changed from `before` to `now`: `(index in its list, added)` — an added device is an
/// index into `now`, a removed one into `before`. Kinds whose ids are hidden (empty, no
/// permission yet) in either list are not compared: ids that appear once permission is granted
/// are not new devices.
pub fn diff(before: &[Device], now: &[Device]) -> Vec<(usize, bool)> {
    let hidden = |list: &[Device], kind: &str| {
        list.iter()
            .any(|d| d.kind == kind && d.device_id.is_empty())
    };
    let comparable = |kind: &str| !hidden(before, kind) && !hidden(now, kind);
    let has = |list: &[Device], d: &Device| {
        list.iter()
            .any(|x| x.kind == d.kind && x.device_id == d.device_id)
    };
    let mut out = Vec::new();
    for (i, d) in before.iter().enumerate() {
        if event_type(&d.kind).is_some() && comparable(&d.kind) && !has(now, d) {
            out.push((i, false));
        }
    }
    for (i, d) in now.iter().enumerate() {
        if event_type(&d.kind).is_some() && comparable(&d.kind) && !has(before, d) {
            out.push((i, true));
        }
    }
    out
}

/// The devices to try when the one in use (`current`) stopped: the same one first when it is
/// still there, then — when `auto_switch` (`enableAutoSwitchWhenRecapturing`) — the others of
/// its kind in list order, skipping the `default` / `communications` aliases. Empty: nothing to
/// capture from.
pub fn recapture_order(
    available: &[Device],
    kind: &str,
    current: &str,
    auto_switch: bool,
) -> Vec<String> {
    let ids = available
        .iter()
        .filter(|d| d.kind == kind && !d.device_id.is_empty())
        .map(|d| d.device_id.as_str());
    let mut out: Vec<String> = Vec::new();
    if ids.clone().any(|id| id == current) {
        out.push(current.to_string());
    }
    if auto_switch {
        for id in ids {
            if id != current && id != "default" && id != "communications" {
                out.push(id.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(kind: &str, id: &str) -> Device {
        Device {
            kind: kind.into(),
            device_id: id.into(),
        }
    }

    #[test]
    fn added_and_removed_devices_by_kind_and_id() {
        let before = vec![
            d("videoinput", "cam1"),
            d("audioinput", "mic1"),
            d("audiooutput", "spk"),
        ];
        let now = vec![
            d("videoinput", "cam1"),
            d("videoinput", "usb"),
            d("audiooutput", "spk"),
        ];
        assert_eq!(diff(&before, &now), [(1, false), (1, true)]);
        assert_eq!(diff(&now, &now), []);
        // The same id under another kind is another device.
        assert_eq!(
            diff(&[d("videoinput", "x")], &[d("audioinput", "x")]),
            [(0, false), (0, true)]
        );
    }

    #[test]
    fn hidden_ids_are_not_changes() {
        let before = vec![d("videoinput", ""), d("audioinput", "")];
        let now = vec![d("videoinput", "cam1"), d("audioinput", "")];
        assert_eq!(diff(&before, &now), []);
        // A kind with ids on both sides is still compared.
        let before = vec![d("videoinput", "cam1"), d("audioinput", "")];
        let now = vec![d("audioinput", "")];
        assert_eq!(diff(&before, &now), [(0, false)]);
    }

    #[test]
    fn recapture_tries_the_same_device_then_the_others() {
        let list = vec![
            d("videoinput", "cam1"),
            d("videoinput", "cam2"),
            d("audioinput", "default"),
            d("audioinput", "mic1"),
        ];
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            recapture_order(&list, "videoinput", "cam2", true),
            ids(&["cam2", "cam1"])
        );
        assert_eq!(
            recapture_order(&list, "videoinput", "cam2", false),
            ids(&["cam2"])
        );
        // Unplugged: the others only, or nothing without auto switch.
        assert_eq!(
            recapture_order(&list, "videoinput", "gone", true),
            ids(&["cam1", "cam2"])
        );
        assert!(recapture_order(&list, "videoinput", "gone", false).is_empty());
        assert_eq!(
            recapture_order(&list, "audioinput", "mic1", true),
            ids(&["mic1"])
        );
        assert_eq!(
            recapture_order(&list, "audioinput", "default", true),
            ids(&["default", "mic1"])
        );
        assert!(recapture_order(&[], "audioinput", "x", true).is_empty());
    }
}
