//! One browser connection: its str0m `Rtc` and its state, grouped by concern.
//!
//! | group | what | changed by |
//! |---|---|---|
//! | [`Conn`] | the connection's life: new → connecting → connected (↔ ICE lost) → failed | `media` (str0m events), `timers` (deadlines), `negotiate` (first offer, bad answers) |
//! | [`Negotiation`] | the outstanding offer and what the next one must carry | `negotiate` |
//! | [`Tracks`] | what the peer publishes and its slots and subscriptions | the control calls, `negotiate` |
//! | [`Wake`] | when the `Rtc` must be polled again | `media`, `timers` |
//!
//! Nothing here knows other peers: cross-peer work (forwarding, keyframe requests) is done by
//! the [`Sfu`](crate::Sfu) on top of these.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Instant;

use str0m::change::SdpPendingOffer;
use str0m::format::{Codec, CodecConfig, FormatParams};
use str0m::media::{MediaKind, Mid, Rid};
use str0m::net::TcpType;
use str0m::{Candidate, Input, Rtc};
use tracing::warn;

use crate::{Kind, PeerId, Slot};

/// One browser connection.
pub(crate) struct Peer {
    /// The str0m connection (ICE-lite, DTLS, SRTP).
    pub(crate) rtc: Rtc,
    /// Our ICE username fragment in `rtc`: STUN checks from the browser name it first, and the
    /// SFU routes them by it ([`crate::media::RouteIndex`]).
    pub(crate) ufrag: String,
    /// Where the connection is in its life.
    pub(crate) conn: Conn,
    /// Offer/answer state.
    pub(crate) neg: Negotiation,
    /// What it publishes, its slots and its subscriptions.
    pub(crate) tracks: Tracks,
    /// When to poll the `Rtc`.
    pub(crate) wake: Wake,
    /// Fault injection ([`crate::Sfu::block`]): datagrams to and from the peer are dropped until
    /// then.
    pub(crate) blocked_until: Option<Instant>,
    /// Write errors so far (logged at warn only the first few times).
    pub(crate) write_errors: u64,
}

/// The connection's life. Only `Connected` and `IceLost` count as connected (media is
/// forwarded to the peer, keyframes are asked for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Conn {
    /// No offer made yet: nothing to wait for.
    New,
    /// Offered: ICE and DTLS must be up by `deadline` ([`crate::SfuConfig::connect_timeout`]).
    Connecting {
        /// When the peer is dropped ("not connected in time").
        deadline: Instant,
    },
    /// ICE and DTLS are up.
    Connected,
    /// Was connected, then ICE went `Disconnected` (missed consent checks). Dropped at
    /// `deadline` ([`crate::timers::ICE_RECOVERY`] later) unless ICE recovers first.
    IceLost {
        /// When the peer is dropped ("ICE disconnected for 15 s").
        deadline: Instant,
    },
    /// Must be dropped, for this reason. Set while polling, answering or at a deadline; the
    /// drive loop drops the peer in the same round ([`crate::Sfu::remove_peer`] +
    /// [`crate::SfuEvent::Disconnected`]).
    Failed(String),
}

impl Conn {
    /// ICE and DTLS came up at least once and the peer has not failed.
    pub(crate) fn is_connected(&self) -> bool {
        matches!(self, Conn::Connected | Conn::IceLost { .. })
    }

    /// The peer must be dropped.
    pub(crate) fn is_failed(&self) -> bool {
        matches!(self, Conn::Failed(_))
    }

    /// When the peer is dropped unless something happens first.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self {
            Conn::Connecting { deadline } | Conn::IceLost { deadline } => Some(*deadline),
            _ => None,
        }
    }

    /// Marks the peer failed, unless it already is (the first reason stays).
    pub(crate) fn fail(&mut self, reason: impl Into<String>) {
        if !self.is_failed() {
            *self = Conn::Failed(reason.into());
        }
    }
}

/// Offer/answer state. The server makes every offer; at most one is outstanding.
#[derive(Default)]
pub(crate) struct Negotiation {
    /// The outstanding offer, if any.
    pub(crate) pending: Option<SdpPendingOffer>,
    /// Something changed that may need an offer (folded into the next one).
    pub(crate) dirty: bool,
    /// Answers str0m rejected in a row.
    pub(crate) failed_answers: u32,
    /// An answer was accepted at least once.
    pub(crate) answered: bool,
    /// Whether the first offer put the data-channel m-line first. It is never stopped, so it
    /// stays the BUNDLE tag: stopping a media m-line that was the tag resets the browser's
    /// transport (the connection goes back to "new" and closes).
    pub(crate) anchored: bool,
}

/// What the peer publishes, its slots (m-lines) and its subscriptions.
#[derive(Default)]
pub(crate) struct Tracks {
    /// What the peer publishes (audio, video), as set by the caller.
    pub(crate) publish: Kinds<bool>,
    /// Upstream slots (the peer sends, we receive). `open` once the answer was accepted.
    pub(crate) recv: Vec<RecvSlot>,
    /// Downstream slots (we send media of `source` to the peer).
    pub(crate) send: Vec<SendSlot>,
    /// Remote tracks the caller wants a slot for / forwarded, by (source, kind).
    pub(crate) subs: BTreeMap<Key, Sub>,
    /// Upstream kinds whose slot was removed while media was arriving (for `Publishing`).
    pub(crate) publishing_off: Vec<Kind>,
    /// The peer sends a small layer of its video too ([`crate::Sfu::set_small`]): its video
    /// upstream slot is negotiated with simulcast ([`RID_BIG`], [`RID_SMALL`]).
    pub(crate) small: bool,
}

impl Tracks {
    /// The open send slot carrying `source`'s `kind`.
    pub(crate) fn send_mid(&self, source: PeerId, kind: Kind) -> Option<Mid> {
        self.send
            .iter()
            .find(|s| s.open && !s.idle && s.source == source && s.kind == kind)
            .map(|s| s.mid)
    }

    /// The send slot (open or being negotiated, not idle) that carries `source`'s `kind`.
    pub(crate) fn send_slot(&self, source: PeerId, kind: Kind) -> Option<&SendSlot> {
        self.send
            .iter()
            .find(|s| !s.idle && s.source == source && s.kind == kind)
    }

    /// Whether an open send slot carries `source`'s `kind`.
    pub(crate) fn send_open(&self, source: PeerId, kind: Kind) -> bool {
        self.send_mid(source, kind).is_some()
    }

    /// Whether the peer's open video upstream carries a small layer.
    pub(crate) fn small_open(&self) -> bool {
        self.small
            && self
                .recv
                .iter()
                .any(|r| r.open && r.kind == Kind::Video && r.simulcast)
    }

    /// The open upstream slot of `kind`.
    pub(crate) fn recv_open_mut(&mut self, kind: Kind) -> Option<&mut RecvSlot> {
        self.recv.iter_mut().find(|r| r.open && r.kind == kind)
    }

    /// Every slot, upstream first, as the caller sees them.
    pub(crate) fn slots(&self) -> Vec<Slot> {
        let recv = self.recv.iter().map(|r| Slot {
            mid: r.mid.to_string(),
            source: None,
            kind: r.kind,
        });
        let send = self.send.iter().filter(|s| !s.idle).map(|s| Slot {
            mid: s.mid.to_string(),
            source: Some(s.source),
            kind: s.kind,
        });
        recv.chain(send).collect()
    }
}

/// When the peer's `Rtc` must be polled.
#[derive(Default)]
pub(crate) struct Wake {
    /// The `Rtc` was handed something (input, a change, a frame): poll it. Whoever sets it also
    /// pushes the id to `Sfu::to_poll`.
    pub(crate) touched: bool,
    /// Frames were written since the last poll: str0m sends them only after it has seen the
    /// time again, so the poll starts with a timeout input instead of finding one due.
    pub(crate) wrote: bool,
    /// str0m's next timeout for this `Rtc`.
    pub(crate) next_timeout: Option<Instant>,
    /// `next_timeout` as last pushed to the timer heap.
    pub(crate) timer_queued: Option<Instant>,
    /// [`Conn::deadline`] as last pushed to the timer heap.
    pub(crate) deadline_queued: Option<Instant>,
}

/// A value per kind (main audio and video, sub video and audio).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Kinds<T> {
    pub(crate) audio: T,
    pub(crate) video: T,
    pub(crate) sub_video: T,
    pub(crate) sub_audio: T,
}

impl<T: Copy> Kinds<T> {
    pub(crate) fn get(&self, k: Kind) -> T {
        match k {
            Kind::Audio => self.audio,
            Kind::Video => self.video,
            Kind::SubVideo => self.sub_video,
            Kind::SubAudio => self.sub_audio,
        }
    }
}

/// An upstream slot: the peer sends this kind on `mid`.
pub(crate) struct RecvSlot {
    pub(crate) mid: Mid,
    pub(crate) kind: Kind,
    /// Negotiated (the answer was accepted).
    pub(crate) open: bool,
    /// Media is arriving (for `Publishing` events).
    pub(crate) active: bool,
    /// A keyframe request is owed to this track.
    pub(crate) kf_wanted: bool,
    /// When the last keyframe request was sent.
    pub(crate) kf_last: Option<Instant>,
    /// Negotiated with simulcast: the big layer arrives with rid [`RID_BIG`], the small one
    /// with [`RID_SMALL`]; keyframes are asked per rid.
    pub(crate) simulcast: bool,
    /// A keyframe request is owed to the small layer (simulcast only).
    pub(crate) kf_small_wanted: bool,
    /// When the last keyframe request for the small layer was sent.
    pub(crate) kf_small_last: Option<Instant>,
}

impl RecvSlot {
    /// Whether a keyframe request is owed to `layer`.
    pub(crate) fn kf_wanted_mut(&mut self, layer: Layer) -> &mut bool {
        match layer {
            Layer::Small if self.simulcast => &mut self.kf_small_wanted,
            _ => &mut self.kf_wanted,
        }
    }

    /// When the last keyframe request for `layer` was sent.
    pub(crate) fn kf_last(&self, layer: Layer) -> Option<Instant> {
        match layer {
            Layer::Small if self.simulcast => self.kf_small_last,
            _ => self.kf_last,
        }
    }

    /// The rid to ask a keyframe of `layer` with (`None`: not simulcast).
    pub(crate) fn rid(&self, layer: Layer) -> Option<Rid> {
        self.simulcast.then(|| layer.rid().into())
    }
}

/// The rid of the big (full-size) layer of a simulcast video upstream.
pub const RID_BIG: &str = "h";
/// The rid of the small layer.
pub const RID_SMALL: &str = "l";

/// One encoding of a publisher's video: the big one (every publisher's; the only one without
/// simulcast) or the small one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Layer {
    #[default]
    Big,
    Small,
}

impl Layer {
    /// The layer a frame with this rid belongs to (no rid, or any other: the big one).
    pub(crate) fn of_rid(rid: Option<Rid>) -> Layer {
        match rid {
            Some(r) if &*r == RID_SMALL => Layer::Small,
            _ => Layer::Big,
        }
    }

    pub(crate) fn rid(self) -> &'static str {
        match self {
            Layer::Big => RID_BIG,
            Layer::Small => RID_SMALL,
        }
    }

    /// The layer a subscriber gets: the small one when it asked for it and the source sends
    /// one, else the big one.
    pub(crate) fn target(want_small: bool, small_open: bool) -> Layer {
        if want_small && small_open {
            Layer::Small
        } else {
            Layer::Big
        }
    }
}

/// A downstream slot: we send `source`'s `kind` to the peer on `mid`.
pub(crate) struct SendSlot {
    pub(crate) mid: Mid,
    pub(crate) source: PeerId,
    pub(crate) kind: Kind,
    /// Negotiated (the answer was accepted).
    pub(crate) open: bool,
    /// Carries nothing (inactive), kept to be reused for the next track of its media type, so
    /// that a subscriber's SDP grows with the tracks it receives at once, not with every track
    /// it ever received. `source` and `kind` are then those of its last track. (A video no
    /// longer forwarded is not idle: its slot keeps its track until another one needs it; see
    /// `Peer::make_offer`.)
    pub(crate) idle: bool,
    /// Its m-line was added by the outstanding offer (a rejected answer takes it away again).
    pub(crate) fresh: bool,
}

/// A remote track: (source, kind). `Kind` is not `Ord`, hence its index in [`Kind::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Key {
    pub(crate) source: PeerId,
    kind: u8,
}

impl Key {
    pub(crate) fn new(source: PeerId, kind: Kind) -> Key {
        Key {
            source,
            kind: Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0) as u8,
        }
    }

    pub(crate) fn kind(self) -> Kind {
        Kind::ALL[self.kind as usize]
    }
}

/// A peer's interest in one remote track.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sub {
    /// The caller added this source: a send slot exists while the source publishes this kind.
    pub(crate) added: bool,
    /// Forward media (`subscribe(on)`).
    pub(crate) forward: bool,
    /// Video: no keyframe written to this subscriber since forwarding started.
    pub(crate) waiting_kf: bool,
    /// Video: a keyframe was already requested for the current wait.
    pub(crate) kf_asked: bool,
    /// Video: the subscriber asked for the small layer ([`crate::Sfu::set_layer`]).
    pub(crate) want_small: bool,
    /// Video: the layer being forwarded. Another target layer is switched to on its first
    /// keyframe; until then this one keeps flowing.
    pub(crate) layer: Layer,
    /// Video: added to the source's RTP time so that a layer switch does not jump the
    /// subscriber's timestamps (the layers' RTP clocks have their own offsets).
    pub(crate) ts_offset: i64,
    /// Video: the last RTP time written (after `ts_offset`), for the next switch.
    pub(crate) last_ts: Option<i64>,
    /// Video: when forwarding last stopped. Its slot is kept (parked) for a quick resubscription
    /// until another video needs it; the one stopped longest ago is turned over first.
    pub(crate) stopped: Option<Instant>,
}

impl Peer {
    /// A new peer around `rtc` (see [`new_rtc`]): nothing offered yet, to be polled.
    pub(crate) fn new(rtc: Rtc, ufrag: String) -> Peer {
        Peer {
            rtc,
            ufrag,
            conn: Conn::New,
            neg: Negotiation {
                dirty: true,
                ..Negotiation::default()
            },
            tracks: Tracks::default(),
            wake: Wake {
                touched: true,
                ..Wake::default()
            },
            blocked_until: None,
            write_errors: 0,
        }
    }

    /// Datagrams to and from the peer are dropped at `now` (fault injection).
    pub(crate) fn blocked(&self, now: Instant) -> bool {
        self.blocked_until.is_some_and(|u| now < u)
    }
}

/// A server-side `Rtc`: ICE-lite, advertising `udp` host candidates and `tcp` passive host
/// candidates (RFC 6544: the browser connects); and its local ICE ufrag.
pub(crate) fn new_rtc(
    peer: PeerId,
    udp: &[SocketAddr],
    tcp: &[SocketAddr],
    now: Instant,
) -> (Rtc, String) {
    let mut config = Rtc::builder().set_ice_lite(true);
    opus_stereo(config.codec_config());
    let mut rtc = config.build(now);
    let udp_candidates = udp.iter().map(|a| (*a, Candidate::host(*a, "udp")));
    let tcp_candidates = tcp.iter().map(|a| {
        let c = Candidate::builder()
            .tcp()
            .host(*a)
            .tcptype(TcpType::Passive)
            .build();
        (*a, c)
    });
    for (addr, c) in udp_candidates.chain(tcp_candidates) {
        match c {
            Ok(c) => {
                let proto = c.proto();
                if rtc.add_local_candidate(c).is_none() {
                    warn!(peer, "{proto} host candidate {addr} refused by str0m");
                }
            }
            Err(e) => warn!(peer, "bad host candidate {addr}: {e}"),
        }
    }
    // str0m's ICE agent schedules nothing until it has seen the time once.
    if let Err(e) = rtc.handle_input(Input::Timeout(now)) {
        warn!(peer, "new Rtc refused the time: {e}");
    }
    let ufrag = rtc.direct_api().local_ice_credentials().ufrag;
    (rtc, ufrag)
}

/// Opus with `stereo=1; sprop-stereo=1` in every offer: the server receives stereo (a browser
/// encodes two channels only when the description it was given says `stereo=1`) and may send
/// it (`sprop-stereo=1`). Whether a publisher sends one channel or two is its choice (the SDK
/// keeps `stereo=1` only for the stereo audio profiles); a subscriber that asks for stereo
/// decodes both. The other parameters are str0m's defaults (`minptime=10; useinbandfec=1`).
fn opus_stereo(codecs: &mut CodecConfig) {
    let Some(opus) = codecs
        .params()
        .iter()
        .find(|p| p.spec().codec == Codec::Opus)
        .map(|p| (p.pt(), p.spec()))
    else {
        return;
    };
    let (pt, spec) = opus;
    codecs.enable_opus(false, false);
    codecs.add_config(
        pt,
        None,
        Codec::Opus,
        spec.clock_rate,
        spec.channels,
        FormatParams {
            stereo: Some(true),
            sprop_stereo: Some(true),
            ..spec.format
        },
    );
}

pub(crate) fn to_str0m(k: Kind) -> MediaKind {
    if k.is_video() {
        MediaKind::Video
    } else {
        MediaKind::Audio
    }
}

pub(crate) fn kind_name(k: Kind) -> &'static str {
    k.name()
}
