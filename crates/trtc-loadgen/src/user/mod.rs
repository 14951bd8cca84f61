//! One simulated user: a WebSocket to the server's signalling, one UDP socket (or one ICE-TCP
//! connection, [`Common::transport`]) and one str0m `Rtc` in RTP mode (the loadgen packetises its own media and counts received packets without
//! depacketising or decoding them).
//!
//! The room protocol is the browser SDK's own: a `trtc_core::client::RoomClient` decides what
//! to send (join, publish, subscriptions as streams become available, answers, heartbeats,
//! leave) and this module carries its effects out over tokio — the WebSocket, and the offers
//! applied to the `Rtc`. A lost connection or a kick ends the user with an error (the load
//! client does not reconnect). The RTP receive path only counts: per SSRC, RFC 3550 loss and
//! jitter, bytes and keyframes.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use str0m::change::SdpOffer;
use str0m::format::Codec;
use str0m::media::{Mid, Pt, Rids};
use str0m::rtp::Ssrc;
use str0m::{Input, Rtc};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tracing::{debug, warn};
use trtc_core::client::{
    ConnId, ConnState, Effect, Event as RoomEvent, ExitCause, Input as RoomInput, LocalMedia,
    LogLevel, RoomClient,
};
use trtc_core::room::{EnterRoomConfig, RoomRef};
use trtc_proto::{ClientMsg, MediaKind as Kind, RoomId, ServerMsg, TrackSlot};

use crate::media::{VideoConfig, VideoSource};
use crate::stats::{RtpRx, RxSnapshot};

mod net;
mod report;
mod rtp;
mod tap;

pub use report::{SentReport, TrackReport, UserReport};
pub use tap::{plain_rtp, Tap, TapCodec, TapFormat, TapPacket};
pub use trtc_core::room::Scene;
pub use trtc_sfu::Transport;

use net::{Net, Recv};

/// The run's phases, broadcast to every user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Joining, connecting, warming up: nothing is measured yet.
    Warmup,
    /// The measurement window is open.
    Measure,
    /// Leave now and report.
    Stop,
}

/// What every user of a run shares.
#[derive(Debug, Clone)]
pub struct Common {
    /// `ws://host:port/trtc/ws`.
    pub ws_url: String,
    /// The application's SDKAppID, for the userSigs and `enterRoom`.
    pub sdk_app_id: u64,
    /// The application's secret key; each user signs its own userSig with it.
    pub key: String,
    /// The room every user joins.
    pub room: RoomId,
    /// Local IP the UDP sockets (or TCP connections) bind to (and advertise as the host
    /// candidate).
    pub bind_ip: IpAddr,
    /// UDP (a host candidate), or ICE over TCP (an active candidate, RFC 6544: one connection
    /// to the SFU's passive candidate, RFC 4571 frames).
    pub transport: Transport,
    /// What each video publisher sends.
    pub video: VideoConfig,
    /// Payload size of each 20 ms audio packet, bytes (Opus-sized filler).
    pub audio_bytes: usize,
    /// Real media to publish instead of the synthetic filler (the bot participant); `None` for
    /// load.
    pub clip: Option<Arc<crate::clip::Clip>>,
    /// Video publishers also send a small stream (`option.small`: a second simulcast
    /// encoding, rid `l`) made like this; `None`: the big one only.
    pub small: Option<VideoConfig>,
    /// Every video subscription asks for the small stream (`option.small: true`); the SFU
    /// sends the big one of a publisher without one.
    pub subscribe_small: bool,
    /// The room's scene. In [`Scene::Live`] publishers enter as anchors and users that publish
    /// nothing as the audience.
    pub scene: Scene,
}

/// One user's part.
#[derive(Debug, Clone)]
pub struct UserSpec {
    /// The userId it joins with (unique in the run).
    pub user_id: String,
    /// Whether it publishes audio.
    pub publish_audio: bool,
    /// Whether it publishes video.
    pub publish_video: bool,
    /// Whether it receives the others' audio (`autoReceiveAudio`).
    pub subscribe_audio: bool,
    /// Whether it receives the others' video (`autoReceiveVideo`).
    pub subscribe_video: bool,
    /// The room it joins; `None`: the run's ([`Common::room`]).
    pub room: Option<RoomId>,
}

impl UserSpec {
    /// The room it joins, as a text (the report's `room`).
    pub fn room_name(&self, common: &Common) -> String {
        match self.room.as_ref().unwrap_or(&common.room) {
            RoomId::Num(n) => n.to_string(),
            RoomId::Str(s) => s.clone(),
        }
    }

    /// Whether it publishes anything.
    pub fn publishes(&self) -> bool {
        self.publish_audio || self.publish_video
    }
}

/// A received stream.
struct Track {
    ssrc: Ssrc,
    source: String,
    kind: Kind,
    rx: RtpRx,
    keyframes: u64,
    start: RxSnapshot,
    start_keyframes: u64,
    /// The last payload type seen and its format (tapped users only).
    format: Option<(u8, Option<TapFormat>)>,
}

/// Upstream state of one kind.
struct Upstream {
    mid: Mid,
    pt: Pt,
    seq: u64,
    ts_base: u32,
    next: Instant,
    n: u64,
}

struct Sim {
    spec: UserSpec,
    common: Arc<Common>,
    rtc: Rtc,
    /// The address packets arrive at (a TCP candidate's: its RFC 6544 port 9).
    local: SocketAddr,
    t0: Instant,
    slots: Vec<TrackSlot>,
    audio: Option<Upstream>,
    video: Option<Upstream>,
    video_src: VideoSource,
    /// The small stream's upstream (its own sequence numbers and clock) while the SFU
    /// negotiated the video with simulcast, and its source.
    small: Option<Upstream>,
    small_src: Option<VideoSource>,
    sent: SentReport,
    tracks: Vec<Track>,
    keyframe_requests: u64,
    late: u64,
    connected: bool,
    report: UserReport,
    /// The room protocol, as the browser SDK runs it.
    client: RoomClient,
    /// Why the signalling connection ended, for the error when the client reports it lost.
    lost: Option<String>,
    /// Datagrams the socket could not take at once.
    backlog: VecDeque<(SocketAddr, Vec<u8>)>,
    rtc_timeout: Instant,
    ready_signalled: bool,
    measure_start: Option<(Instant, SentReport, u64, u64)>,
    /// A tapped user's packet sink ([`run_tapped`]).
    tap: Option<tokio::sync::mpsc::Sender<TapPacket>>,
    /// Packets the tap's sink had no room for.
    tap_dropped: u64,
}

/// Ends a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A small per-user number, so streams do not all start alike.
fn seed(user_id: &str) -> u64 {
    user_id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Runs one user until the phase becomes [`Phase::Stop`] (or it fails). `ready` is incremented
/// once the user is connected and, if it subscribes to anything, receiving media.
pub async fn run_user(
    spec: UserSpec,
    common: Arc<Common>,
    phase: watch::Receiver<Phase>,
    ready: Arc<AtomicUsize>,
) -> UserReport {
    let user_id = spec.user_id.clone();
    let publisher = spec.publishes();
    let room = spec.room_name(&common);
    match run(spec, common, phase, ready, None).await {
        Ok(r) => r,
        Err(e) => {
            warn!(user = %user_id, "failed: {e}");
            UserReport {
                user_id,
                room,
                publisher,
                error: Some(e),
                ..Default::default()
            }
        }
    }
}

/// Runs a tapped user (see [`Tap`]) until the phase becomes [`Phase::Stop`], or it fails (the
/// room was dismissed, it was removed, the server went). It publishes nothing; `spec`'s
/// subscribe flags say which kinds it receives. It joins as an audience of the live scene, so
/// other members never see it.
pub async fn run_tapped(
    spec: UserSpec,
    common: Arc<Common>,
    phase: watch::Receiver<Phase>,
    tap: Tap,
) -> UserReport {
    let user_id = spec.user_id.clone();
    let spec = UserSpec {
        publish_audio: false,
        publish_video: false,
        ..spec
    };
    match run(
        spec,
        common,
        phase,
        Arc::new(AtomicUsize::new(0)),
        Some(tap),
    )
    .await
    {
        Ok(r) => r,
        Err(e) => {
            warn!(user = %user_id, "tapped user failed: {e}");
            UserReport {
                user_id,
                error: Some(e),
                ..Default::default()
            }
        }
    }
}

/// The next userId whose video wants a keyframe, or never when there is no tap.
async fn next_keyframe_ask(rx: &mut Option<tokio::sync::mpsc::Receiver<String>>) -> Option<String> {
    match rx {
        Some(r) => r.recv().await,
        None => std::future::pending().await,
    }
}

/// The signalling WebSocket of one user: the writer, and what the reader task received.
struct Signalling {
    conn: ConnId,
    sink: SplitSink<WsStream, Message>,
    rx: tokio::sync::mpsc::UnboundedReceiver<Result<Message, WsError>>,
    _reader: AbortOnDrop,
}

type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;
type WsError = tokio_tungstenite::tungstenite::Error;

/// Opens the signalling WebSocket; the reader runs as a task of its own, so the media loop
/// wakes for signalling only when a message has arrived.
async fn connect(conn: ConnId, url: &str) -> Result<Signalling, String> {
    // Signalling messages are small; tungstenite's default 128 KiB read chunk would be zeroed
    // on every read.
    let config = WebSocketConfig::default().read_buffer_size(16 * 1024);
    let (ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), false)
        .await
        .map_err(|e| format!("WebSocket connect to {url}: {e}"))?;
    let (sink, mut stream) = ws.split();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        while let Some(m) = stream.next().await {
            let end = m.is_err();
            if tx.send(m).is_err() || end {
                break;
            }
        }
    });
    Ok(Signalling {
        conn,
        sink,
        rx,
        _reader: AbortOnDrop(reader),
    })
}

/// The next signalling message, or never when there is no socket.
async fn next_message(sig: &mut Option<Signalling>) -> Option<Result<Message, WsError>> {
    match sig {
        Some(s) => s.rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn run(
    spec: UserSpec,
    common: Arc<Common>,
    mut phase: watch::Receiver<Phase>,
    ready: Arc<AtomicUsize>,
    tap: Option<Tap>,
) -> Result<UserReport, String> {
    let t0 = Instant::now();
    let (tap_packets, mut keyframe_asks) = match tap {
        Some(t) => (Some(t.packets), Some(t.keyframes)),
        None => (None, None),
    };
    // A tapped user is an audience of the live scene: unseen by the others. Otherwise the run's
    // scene; in the live scene a user that publishes nothing is the audience.
    let audience = common.scene == Scene::Live && !spec.publishes();
    let (scene, role) = if tap_packets.is_some() || audience {
        (Scene::Live, trtc_core::room::Role::Audience)
    } else {
        (common.scene, trtc_core::room::Role::Anchor)
    };
    let (mut net, cand, local) = Net::bind(common.transport, common.bind_ip).await?;

    let now = Instant::now();
    let mut rtc = Rtc::builder().set_rtp_mode(true).build(now);
    rtc.add_local_candidate(cand);
    rtc.handle_input(Input::Timeout(now))
        .map_err(|e| e.to_string())?;

    let config = EnterRoomConfig {
        sdk_app_id: common.sdk_app_id as f64,
        user_id: spec.user_id.clone(),
        user_sig: trtc_usersig::sign(
            common.sdk_app_id,
            &common.key,
            &spec.user_id,
            86_400,
            now_unix(),
        ),
        room: match spec.room.as_ref().unwrap_or(&common.room) {
            RoomId::Num(n) => RoomRef::Num(*n),
            RoomId::Str(s) => RoomRef::Str(s.clone()),
        },
        scene,
        role,
        auto_receive_audio: spec.subscribe_audio,
        auto_receive_video: spec.subscribe_video,
        enable_autoplay_dialog: false,
        websocket_proxy: None,
        ice: Default::default(),
        private_map_key: None,
        use_vp8: false,
    };
    let video_src = match &common.clip {
        Some(clip) => VideoSource::with_clip(common.video.clone(), clip.clone()),
        None => VideoSource::new(common.video.clone()),
    };
    let mut sim = Sim {
        report: UserReport {
            user_id: spec.user_id.clone(),
            room: spec.room_name(&common),
            publisher: spec.publishes(),
            ..Default::default()
        },
        client: RoomClient::new(),
        lost: None,
        spec,
        common: common.clone(),
        rtc,
        local,
        t0,
        slots: vec![],
        audio: None,
        video: None,
        video_src,
        small: None,
        small_src: common.small.clone().map(VideoSource::new),
        sent: SentReport::default(),
        tracks: vec![],
        keyframe_requests: 0,
        late: 0,
        connected: false,
        backlog: VecDeque::new(),
        rtc_timeout: now,
        ready_signalled: false,
        measure_start: None,
        tap: tap_packets,
        tap_dropped: 0,
    };
    let publish = LocalMedia {
        audio: sim.spec.publish_audio,
        video: sim.spec.publish_video,
        ..LocalMedia::default()
    };
    let t = sim.since_t0();
    if sim.spec.publish_video && common.small.is_some() {
        sim.client.handle(RoomInput::LocalSmall(true), t);
    }
    sim.client.handle(RoomInput::Local(publish), t);
    sim.client.handle(
        RoomInput::Enter {
            op: 1,
            config,
            url: common.ws_url.clone(),
            session: format!("loadgen-{}-{}", sim.spec.user_id, seed(&sim.spec.user_id)),
            // The load client does not reconnect: a lost connection ends the user.
            give_up_ms: 0.0,
        },
        t,
    );
    let mut sig: Option<Signalling> = None;
    sim.carry_out(&mut sig).await?;

    let mut buf = vec![0u8; 2048];
    let sleep = tokio::time::sleep_until(sim.next_deadline().into());
    tokio::pin!(sleep);
    let mut armed = sim.next_deadline();

    enum Wake {
        Ws(Option<Result<Message, WsError>>),
        Net(std::io::Result<Recv>),
        Timer,
        Phase(bool),
        Keyframe(Option<String>),
    }

    loop {
        let wake = tokio::select! {
            m = next_message(&mut sig) => Wake::Ws(m),
            r = net.recv(&mut buf) => Wake::Net(r),
            () = &mut sleep => Wake::Timer,
            c = phase.changed() => Wake::Phase(c.is_ok()),
            k = next_keyframe_ask(&mut keyframe_asks) => Wake::Keyframe(k),
        };
        let conn = sig.as_ref().map(|s| s.conn).unwrap_or(0);
        match wake {
            Wake::Ws(None) | Wake::Ws(Some(Ok(Message::Close(_)))) => {
                sim.lost = Some("the server closed the signalling connection".into());
                let t = sim.since_t0();
                sim.client
                    .handle(RoomInput::SocketClosed { conn, error: None }, t);
            }
            Wake::Ws(Some(Err(e))) => {
                sim.lost = Some(format!("signalling: {e}"));
                let t = sim.since_t0();
                sim.client
                    .handle(RoomInput::SocketClosed { conn, error: None }, t);
            }
            // As the browser SDK does (it parses with the browser's JSON): no size limit on
            // what the server sends. Offers for big rooms exceed trtc_proto::MAX_MESSAGE_BYTES.
            Wake::Ws(Some(Ok(Message::Text(t)))) => {
                match serde_json::from_str::<ServerMsg>(t.as_str()) {
                    Ok(msg) => {
                        let t = sim.since_t0();
                        sim.client.handle(RoomInput::Message(conn, msg), t);
                    }
                    Err(e) => warn!(user = %sim.spec.user_id, "undecodable server message: {e}"),
                }
            }
            Wake::Ws(Some(Ok(_))) => {}
            Wake::Net(Ok(Recv::Datagram(n, from))) => {
                sim.on_datagram(net.protocol(), from, &buf[..n])?;
                sim.flush(&mut net)?;
                // Take what else is queued before going back to the runtime.
                for _ in 0..32 {
                    let Some((n, from)) = net.try_recv(&mut buf) else {
                        break;
                    };
                    sim.on_datagram(net.protocol(), from, &buf[..n])?;
                    sim.flush(&mut net)?;
                }
            }
            Wake::Net(Ok(Recv::Stream(0))) => {
                return Err("the SFU closed the TCP connection".into());
            }
            Wake::Net(Ok(Recv::Stream(_))) => {
                if let (Some(frames), Some(from)) = (net.take_frames()?, net.tcp_server()) {
                    // One at a time, as datagrams: str0m wants to be polled after each input.
                    for frame in trtc_sfu::rfc4571::frames(&frames) {
                        sim.on_datagram(net.protocol(), from, frame)?;
                        sim.flush(&mut net)?;
                    }
                }
            }
            Wake::Net(Err(e)) if matches!(net, Net::Tcp(_)) => {
                return Err(format!("TCP receive: {e}"));
            }
            Wake::Net(Err(e)) => debug!(user = %sim.spec.user_id, "UDP receive: {e}"),
            Wake::Timer => {
                let now = Instant::now();
                let t = sim.since_t0();
                if sim.client.next_wake().is_some_and(|w| w <= t) {
                    sim.client.handle(RoomInput::Timer, t);
                }
                sim.on_timer(now)?;
            }
            Wake::Keyframe(Some(user)) => sim.ask_keyframe(&user),
            // The asking end is gone: the tap's owner stops the user through the phase.
            Wake::Keyframe(None) => keyframe_asks = None,
            Wake::Phase(alive) => {
                let p = if alive {
                    *phase.borrow_and_update()
                } else {
                    Phase::Stop
                };
                match p {
                    Phase::Warmup => {}
                    Phase::Measure => sim.mark(),
                    Phase::Stop => {
                        if sim.tap_dropped > 0 {
                            warn!(user = %sim.spec.user_id, dropped = sim.tap_dropped, "tapped packets dropped (the sink was full)");
                        }
                        let report = sim.finish();
                        let t = sim.since_t0();
                        sim.client.handle(
                            RoomInput::Exit {
                                op: None,
                                cause: ExitCause::Api,
                            },
                            t,
                        );
                        let _ = sim.carry_out(&mut sig).await;
                        return Ok(report);
                    }
                }
            }
        }
        sim.carry_out(&mut sig).await?;
        sim.flush(&mut net)?;
        net.drain(&mut sim.backlog).await?;
        if !sim.ready_signalled && sim.is_ready() {
            sim.ready_signalled = true;
            ready.fetch_add(1, Ordering::Relaxed);
        }
        let deadline = sim.next_deadline();
        if deadline != armed {
            armed = deadline;
            sleep.as_mut().reset(deadline.into());
        }
    }
}

impl Sim {
    fn since_t0(&self) -> f64 {
        ms(self.t0.elapsed())
    }

    fn is_ready(&self) -> bool {
        if !self.connected {
            return false;
        }
        let wants = self
            .slots
            .iter()
            .any(|s| s.user_id.is_some() && self.subscribes(s.kind));
        !wants || !self.tracks.is_empty()
    }

    fn subscribes(&self, kind: Kind) -> bool {
        // The load client neither shares screens nor subscribes to them.
        match kind {
            Kind::Audio => self.spec.subscribe_audio,
            Kind::Video => self.spec.subscribe_video,
            Kind::SubVideo | Kind::SubAudio => false,
        }
    }

    fn next_deadline(&self) -> Instant {
        let mut t = self.rtc_timeout;
        if let Some(ms) = self.client.next_wake() {
            t = t.min(self.t0 + Duration::from_secs_f64(ms.max(0.0) / 1000.0));
        }
        if self.connected {
            for u in [&self.audio, &self.video].into_iter().flatten() {
                t = t.min(u.next);
            }
        }
        t
    }

    /// Carries out the room client's effects: the WebSocket, offers applied to the `Rtc`.
    /// Ends the user (an error) when the room is lost, refused or kicked it.
    async fn carry_out(&mut self, sig: &mut Option<Signalling>) -> Result<(), String> {
        while let Some(effect) = self.client.poll() {
            match effect {
                Effect::Connect { conn, url, .. } => {
                    let t = self.since_t0();
                    match connect(conn, &url).await {
                        Ok(s) => {
                            *sig = Some(s);
                            self.client.handle(RoomInput::SocketOpened(conn), t);
                        }
                        Err(e) => {
                            self.lost = Some(e.clone());
                            self.client.handle(
                                RoomInput::SocketClosed {
                                    conn,
                                    error: Some(e),
                                },
                                t,
                            );
                        }
                    }
                }
                Effect::Send { mut msg, .. } => {
                    if let ClientMsg::Subscribe {
                        kind: Kind::Video,
                        small,
                        ..
                    } = &mut msg
                    {
                        // --subscribe-small: every video subscription asks for the small stream.
                        *small |= self.common.subscribe_small;
                    }
                    if let Some(s) = sig.as_mut() {
                        s.sink
                            .send(Message::Text(msg.encode().into()))
                            .await
                            .map_err(|e| format!("signalling send: {e}"))?;
                    }
                }
                Effect::ApplyOffer { conn, sdp, slots } => {
                    self.report.offer_bytes = self.report.offer_bytes.max(Some(sdp.len()));
                    let answer = self.on_offer(&sdp, slots);
                    let t = self.since_t0();
                    self.client
                        .handle(RoomInput::OfferApplied { conn, answer }, t);
                }
                Effect::Disconnect { reconnecting, .. } => {
                    if let Some(mut s) = sig.take() {
                        let _ = s.sink.send(Message::Close(None)).await;
                        let _ = s.sink.close().await;
                    }
                    if reconnecting {
                        return Err(self
                            .lost
                            .take()
                            .unwrap_or_else(|| "lost the connection to the server".into()));
                    }
                }
                Effect::Emit(RoomEvent::ConnectionState {
                    state: ConnState::Connected,
                    ..
                }) => self.report.join_ms = Some(self.since_t0()),
                Effect::Emit(RoomEvent::Kicked(reason)) => return Err(format!("kicked: {reason}")),
                Effect::Emit(RoomEvent::Error(e)) => return Err(e.message),
                Effect::Settle { result: Err(e), .. } => {
                    return Err(match e.extra_code {
                        Some(code) => format!("join failed ({code}): {}", e.message),
                        None => format!("join failed: {}", e.message),
                    })
                }
                Effect::Log(LogLevel::Warn, m) => warn!(user = %self.spec.user_id, "{m}"),
                Effect::Log(LogLevel::Info, m) => debug!(user = %self.spec.user_id, "{m}"),
                // Media is counted, not played; statistics are the load client's own.
                Effect::Emit(_)
                | Effect::Settle { .. }
                | Effect::RefreshSenders { .. }
                | Effect::PlayAudio { .. }
                | Effect::StopAudio { .. }
                | Effect::ShowVideo { .. }
                | Effect::HideVideo { .. }
                | Effect::ForgetUser { .. }
                // The load client connects directly; it does not use TURN relays.
                | Effect::SetIce { .. }
                | Effect::CollectStats { .. } => {}
            }
        }
        Ok(())
    }

    /// Applies an offer to the `Rtc`; the answer's SDP.
    fn on_offer(&mut self, sdp: &str, slots: Vec<TrackSlot>) -> Result<String, String> {
        let offer = SdpOffer::from_sdp_string(sdp).map_err(|e| format!("offer: {e}"))?;
        let answer = self
            .rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| format!("offer refused: {e}"))?
            .to_sdp_string();
        // Upstream slots, with the payload type to send with.
        let now = Instant::now();
        let h = seed(&self.spec.user_id);
        for (kind, codec) in [(Kind::Audio, Codec::Opus), (Kind::Video, Codec::Vp8)] {
            let publishes = if kind == Kind::Audio {
                self.spec.publish_audio
            } else {
                self.spec.publish_video
            };
            let slot = slots
                .iter()
                .find(|s| s.user_id.is_none() && s.kind == kind)
                .map(|s| Mid::from(s.mid.as_str()));
            let entry = if kind == Kind::Audio {
                &mut self.audio
            } else {
                &mut self.video
            };
            match slot {
                Some(mid) if publishes => {
                    if entry.as_ref().is_some_and(|u| u.mid == mid) {
                        continue;
                    }
                    let pt = self
                        .rtc
                        .codec_config()
                        .find(|p| p.spec().codec == codec)
                        .map(|p| p.pt())
                        .ok_or_else(|| format!("no {codec:?} payload type"))?;
                    *entry = Some(Upstream {
                        mid,
                        pt,
                        seq: 1000 + (h % 20_000),
                        ts_base: (h >> 16) as u32,
                        next: now,
                        n: 0,
                    });
                }
                _ => *entry = None,
            }
        }
        // Simulcast (the SFU offered the video with rids because this user sends a small
        // stream): the small stream's upstream on the same mid.
        let simulcast = self.video.as_ref().is_some_and(|u| {
            matches!(self.rtc.media(u.mid).map(|m| m.rids_tx()), Some(Rids::Specific(r)) if !r.is_empty())
        });
        match (&self.video, simulcast) {
            (Some(v), true) if self.small.as_ref().is_none_or(|s| s.mid != v.mid) => {
                self.small = Some(Upstream {
                    mid: v.mid,
                    pt: v.pt,
                    seq: 1000 + (h >> 8) % 20_000,
                    ts_base: (h >> 24) as u32,
                    next: now,
                    n: 0,
                });
            }
            (Some(_), true) => {}
            _ => self.small = None,
        }
        // Later packets on a reused mid belong to the new slot's source.
        for t in &mut self.tracks {
            if let Some(mid) = self.rtc.direct_api().stream_rx(&t.ssrc).map(|s| s.mid()) {
                if let Some(s) = slots.iter().find(|s| Mid::from(s.mid.as_str()) == mid) {
                    t.source = s.user_id.clone().unwrap_or_else(|| "?".into());
                }
            }
        }
        self.slots = slots;
        Ok(answer)
    }
}
