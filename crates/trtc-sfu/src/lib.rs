//! The SFU media plane of `trtc-server`: one [`str0m`] `Rtc` per browser, all of them on one UDP
//! socket (and, for browsers whose UDP is blocked, one TCP listener: ICE-TCP, RFC 6544),
//! forwarding audio and video frames from publishers to subscribers.
//!
//! # What this crate owns
//!
//! * [`Sfu`] — a sans-IO core: no sockets, no clock. Packets (UDP datagrams, or frames of a TCP
//!   connection), commands and the current time go in; packets to send
//!   ([`Sfu::poll_transmit`]), [`SfuEvent`]s ([`Sfu::poll_event`]) and the next deadline
//!   ([`Sfu::next_timeout`]) come out. Everything is unit-testable by wiring str0m client `Rtc`s
//!   to it in memory (see `tests/`).
//! * [`spawn`] / [`spawn_with_tcp`] — a tokio driver that owns a [`tokio::net::UdpSocket`] (and a
//!   [`tokio::net::TcpListener`] with its connections), runs the core on a thread of its own and
//!   talks through channels ([`SfuHandle`] for commands, an `mpsc::Receiver<SfuEvent>` for
//!   events). [`spawn_named`] starts one of several independent workers (the server runs one
//!   per core, each with its own sockets and peers; the room layer keeps a room's peers on one
//!   worker, since forwarding never crosses from one `Sfu` to another).
//! * [`rfc4571`] — the framing of packets on a TCP stream (pure; the load client uses it too).
//!
//! It does **not** own rooms, users, auth or signalling: the caller (the room layer) decides
//! who exists ([`Sfu::add_peer`]/[`Sfu::remove_peer`]), what each peer sends
//! ([`Sfu::set_publish`]), which remote tracks each peer gets a slot for
//! ([`Sfu::add_source`]/[`Sfu::remove_source`]) and which of those are actually forwarded
//! ([`Sfu::subscribe`]). Peers of different rooms never see each other's media because the room
//! layer never links them.
//!
//! # The contract with the room layer
//!
//! | call | when | effect |
//! |---|---|---|
//! | [`Sfu::add_peer`] | a member joins | a peer exists; no offer until it has a slot |
//! | [`Sfu::set_publish`] | `publish` message | its receive slots; everyone who added it as a source gains/loses send slots |
//! | [`Sfu::add_source`] / [`Sfu::remove_source`] | a member may see another's track (normally: everyone in the room, both kinds, once) | audio: the subscriber has a send slot for it while the source publishes it; video: it may have one (see `subscribe`) |
//! | [`Sfu::subscribe`] | audio: automatically; video: on demand | forward or not (an audio slot stays either way); video `on` gets a slot (or finds the one it kept) and asks for a keyframe; `off` keeps the slot until another video needs one |
//! | [`Sfu::set_small`] | `publish` with `small` (before its [`Sfu::set_publish`]) | the peer's video upstream is negotiated with simulcast (a big and a small layer) |
//! | [`Sfu::set_layer`] | `subscribe` of a video with `small` | which layer that subscriber gets |
//! | [`Sfu::accept_answer`] (or [`parse_answer`] anywhere, then [`Sfu::apply_answer`]) | `answer` message | completes the outstanding offer; queued changes then make the next one |
//! | [`Sfu::remove_peer`] | leave / signalling socket closed / after `Disconnected` it is already gone | the peer and its tracks disappear everywhere |
//!
//! and it carries [`SfuEvent::Offer`] to the browser (the slots map 1:1 to
//! `trtc_proto::TrackSlot`). A subscription (forwarding flag) survives its slot going away and
//! coming back (the source unpublishes and republishes); `remove_source` drops both.
//!
//! ```no_run
//! # async fn room_layer() -> std::io::Result<()> {
//! use trtc_sfu::{Kind, SfuEvent};
//! let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
//! let (sfu, mut events) = trtc_sfu::spawn(socket, vec![]);
//! sfu.add_peer(1);
//! sfu.add_peer(2);
//! sfu.set_publish(1, true, true);
//! sfu.add_source(2, 1, Kind::Audio);
//! sfu.add_source(2, 1, Kind::Video);
//! sfu.subscribe(2, 1, Kind::Audio, true);
//! while let Some(ev) = events.recv().await {
//!     if let SfuEvent::Offer { peer, sdp, slots } = ev {
//!         // send {sdp, slots} to the browser of `peer`; later: sfu.accept_answer(peer, answer).await
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! # Layout
//!
//! | file | owns |
//! |---|---|
//! | `sfu.rs` | [`Sfu`] (its state), [`SfuConfig`], the queries and the room layer's control calls (`add_peer`, `set_publish`, `add_source`, `subscribe`, `remove_peer`, `block`), `poll_event` |
//! | `media.rs` | the media path, top to bottom: [`Sfu::handle_datagram`] → route (`RouteIndex`) → str0m input → poll (`Sfu::drive`) → forward (`Fanout`, `Peer::write`) → [`Sfu::poll_transmit`] |
//! | `stun.rs` | the STUN USERNAME parse routing needs (RFC 5389), bounded, panic-free |
//! | `rfc4571.rs` | RFC 4571 framing: a TCP byte stream cut into packets, bounded |
//! | `negotiate.rs` | offers (slots reconciled with what is wanted), [`Sfu::accept_answer`], [`MAX_FAILED_ANSWERS`] |
//! | `answer_check.rs` | [`parse_answer`]: the caps and the check str0m needs before it sees an answer, and str0m's parse (callable off the SFU's thread) |
//! | `timers.rs` | every deadline: str0m timeouts, connect and ICE-recovery deadlines, keyframe retries and coalescing; [`Sfu::handle_timeout`], [`Sfu::next_timeout`] |
//! | `peer.rs` | one peer's state, grouped: connection life (`Conn`), negotiation, tracks and slots, wake-up state |
//! | `driver.rs` | [`spawn`]: the tokio driver (UDP socket, timers, commands) and [`SfuHandle`] |
//! | `tcp.rs` | the driver's ICE-TCP part: the listener, its connections, their limits ([`TcpConfig`]) |
//!
//! # The model
//!
//! * One `Rtc` (ICE-lite, DTLS, SRTP, NACK/RTX as str0m does by default) per [`PeerId`]. A
//!   packet is routed in O(1) to one peer: STUN by our ICE ufrag, the local part of its
//!   USERNAME (`local:remote`: the browser's checks name our ufrag first); anything else by its
//!   transport and source address, learned from the STUN checks that peer accepted. That peer's
//!   `Rtc` then `accepts` it (STUN integrity, a known address) or not. A packet that names no
//!   peer, or that its peer does not accept, is dropped.
//! * The server advertises the host candidates given to [`Sfu::new`] (UDP) and
//!   [`Sfu::with_candidates`] (UDP and TCP passive, RFC 6544); the first one of each transport
//!   is the address of the local socket or listener and is used as the `to` address of the
//!   driver's packets. Browsers prefer UDP (str0m gives TCP host candidates a lower priority);
//!   TCP carries the call where UDP does not get through. Over TCP a packet is an RFC 4571
//!   frame; to the core it is the same packet, with [`Transport::Tcp`] and the connection's
//!   remote address as its source.
//! * **The server makes every offer** (no glare). At most one offer per peer is outstanding;
//!   changes made meanwhile are queued and folded into the next offer once the answer is
//!   accepted. Offers are made lazily in [`Sfu::poll_event`], so the changes of several calls
//!   in a row go in one offer. An offer is emitted as [`SfuEvent::Offer`] together with the
//!   full list of [`Slot`]s (what every `mid` carries) as they will be once the browser
//!   answers.
//! * **Slots.** A peer has a *receive* slot (its own upstream, [`Slot::source`] `None`) for each
//!   kind it publishes (per [`Sfu::set_publish`]), and a *send* slot for each
//!   `(source, kind)` such that the caller added that source for this peer
//!   ([`Sfu::add_source`]) **and** the source peer exists and publishes that kind. A slot that
//!   stops being wanted is stopped (`port 0` in the next offer); a new one is added with a new
//!   `mid` (str0m may recycle the m-line).
//! * **Forwarding.** Media of `(source, kind)` is written to a subscriber only while the send
//!   slot is negotiated, the subscriber is connected, and [`Sfu::subscribe`] turned forwarding
//!   on (of a simulcast video, only the subscriber's layer). Frame mode: str0m depacketises the publisher's RTP into frames and repacketises them
//!   for each subscriber; payload types are mapped by codec (`match_params`).
//! * **Big and small streams (simulcast).** A publisher that sends a small stream
//!   ([`Sfu::set_small`]) gets a video upstream slot offered with `a=simulcast:recv h;l`
//!   (rids [`RID_BIG`], [`RID_SMALL`]): the browser answers with two encodings of its camera on
//!   one transceiver, and the SDK scales `l` down with `RTCRtpSender.setParameters`. Simulcast
//!   rather than a second track: one capture and one encoder pipeline in the browser (the
//!   encoder shares work between the layers), one m-line and one `(source, kind)` key here, so
//!   a subscriber's slot, its keyframe bookkeeping and the rest of the room model stay as they
//!   are; a layer is only a filter on which frames reach which subscriber. Each subscription
//!   forwards one layer: the small one while the subscriber asked for it ([`Sfu::set_layer`])
//!   and the source sends one, else the big one. A change of layer is made on a keyframe of the
//!   new layer, asked for at once (per rid) and again every `keyframe_retry`; until it comes
//!   the old layer keeps flowing, so the picture never stops. The subscriber's RTP time is
//!   kept going across a switch (each layer's clock may start elsewhere). A change of
//!   `set_small` while video is published replaces the video upstream slot (a browser cannot
//!   add rids to a transceiver it has).
//! * **Keyframes.** A subscriber's PLI/FIR is forwarded to the publisher as a PLI. A video
//!   subscription that starts (forwarding on, slot negotiated, subscriber connected) asks the
//!   publisher for a keyframe, and asks again every [`SfuConfig::keyframe_retry`] until a
//!   keyframe has been written to that subscriber. Requests to one publisher track are at least
//!   [`SfuConfig::keyframe_min_interval`] apart (Chrome ignores a request within 300 ms of the
//!   previous one): requests inside that window are coalesced into one sent when it ends.
//!   Until its first keyframe, a video subscription gets no delta frames (a decoder cannot
//!   start on one).
//!
//! # Invariants
//!
//! * Bad input never panics and never affects other peers: one answer per offer — an answer
//!   that does not parse or that str0m rejects is an `Err`, the offer is dropped and re-made
//!   (after [`MAX_FAILED_ANSWERS`] in a row the peer is closed); an answer with no offer
//!   outstanding is an `Err` and changes nothing;
//!   garbage datagrams are dropped; a str0m error while running closes that peer only.
//! * Unknown peer ids are ignored (logged), never a panic.
//! * A peer that fails (ICE gone for 15 s, DTLS error, remote close, or not connected within
//!   [`SfuConfig::connect_timeout`] of its first offer) is removed exactly as by
//!   [`Sfu::remove_peer`], and [`SfuEvent::Disconnected`] is emitted. After `remove_peer` or
//!   `Disconnected` the id is forgotten everywhere (other peers' sources and subscriptions to it
//!   are dropped too); `add_peer` with the same id starts afresh.
//! * [`Sfu::remove_peer`] emits no event; it closes the `Rtc` politely (DTLS close_notify).
//! * Routing asks at most one peer per datagram ([`Sfu::route_probes`]): the ufrag index holds
//!   each live `Rtc`'s ufrag exactly once, the address index only addresses whose STUN check a
//!   live peer accepted.
//! * The indexes (routes, fanout, the timer heap, the poll list) are derived from the peers'
//!   state: they may be stale in the "maybe" direction (a dead timer entry, a peer polled for
//!   nothing) but never miss a peer.
//!
//! # Cost
//!
//! The work per datagram is proportional to the peers it concerns, not to every peer: datagrams
//! are routed by a hash lookup (ufrag or source address; one peer asked at most), media of a
//! track goes only to the peers subscribed to it, only peers that were handed something or whose
//! timeout is due are polled, and the keyframe and negotiation bookkeeping runs only when
//! something changed. What remains per forwarded packet is str0m's (packetising, SRTP, RTCP)
//! and the kernel's; `bench/sfu-profile` counts it, `bench/sfu-capacity` measures a real server.
//!
//! # Not done (yet)
//!
//! Bandwidth estimation and layers chosen by it (a subscriber gets the layer it asked for),
//! more than two layers, stats export,
//! ICE restarts, one socket serving several local addresses, TLS over TCP (`ssltcp`).

#![warn(missing_docs)]

use std::net::SocketAddr;

mod answer_check;
mod driver;
mod load;
mod media;
mod negotiate;
mod peer;
pub mod rfc4571;
mod sfu;
mod stun;
mod tcp;
mod timers;
mod udp;

pub use crate::answer_check::{
    parse_answer, ParsedAnswer, MAX_ANSWER_BYTES, MAX_LINES_PER_SECTION,
};
pub use crate::driver::{spawn, spawn_named, spawn_with_config, spawn_with_tcp, SfuHandle};
pub use crate::negotiate::MAX_FAILED_ANSWERS;
pub use crate::peer::{RID_BIG, RID_SMALL};
pub use crate::sfu::{Sfu, SfuConfig};
pub use crate::tcp::TcpConfig;

/// Identifies a peer (one browser connection). Chosen by the caller, e.g. the signalling layer.
pub type PeerId = u64;

/// How a packet travels: a UDP datagram, or an RFC 4571 frame on a TCP connection (ICE-TCP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// A UDP datagram.
    Udp,
    /// A frame on a TCP connection; its address is the connection's remote end.
    Tcp,
}

/// A packet for the driver to send ([`Sfu::poll_transmit`]).
#[derive(Debug)]
pub struct Packet {
    /// UDP, or the TCP connection whose remote end is `to`.
    pub transport: Transport,
    /// Where to.
    pub to: SocketAddr,
    /// The local address it is sent from (the first candidate of its transport).
    pub from: SocketAddr,
    /// The bytes (without RFC 4571's length prefix). Hand them back with [`Sfu::recycle`]
    /// once sent, if convenient.
    pub data: Vec<u8>,
}

/// Audio or video; the signalling protocol's kind.
pub use trtc_proto::MediaKind as Kind;

/// What one `mid` of an offer carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// The m-line's `a=mid`.
    pub mid: String,
    /// The remote peer whose media this slot sends to the peer; `None` for the peer's own
    /// upstream (a slot the browser sends on).
    pub source: Option<PeerId>,
    /// Audio or video.
    pub kind: Kind,
}

/// Output of the SFU for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SfuEvent {
    /// Send this offer to the browser; pass its answer to [`Sfu::accept_answer`]. `slots` lists
    /// every live slot of the peer once this offer is answered.
    Offer {
        /// The peer the offer is for.
        peer: PeerId,
        /// The offer SDP.
        sdp: String,
        /// Every slot the peer has once this offer is answered.
        slots: Vec<Slot>,
    },
    /// ICE and DTLS are up; media can flow.
    Connected {
        /// The peer now connected.
        peer: PeerId,
    },
    /// The peer failed (ICE/DTLS failure or timeout, remote close, repeated bad answers) and has
    /// been removed from the SFU.
    Disconnected {
        /// The peer removed.
        peer: PeerId,
        /// Why, for logs.
        reason: String,
    },
    /// First media of that kind arrived from the peer (`active: true`), or it stopped arriving
    /// (str0m's pause detection, or the upstream slot was removed).
    Publishing {
        /// The publisher.
        peer: PeerId,
        /// The kind of its media.
        kind: Kind,
        /// Media arrives (`true`) or stopped arriving.
        active: bool,
    },
}
