//! One connection of the room client: the signalling WebSocket and the peer connection to the
//! server's SFU. It translates their events into room-client inputs (through the `sink` it is
//! given) and carries out what the client asks of a connection: send, apply an offer, put the
//! local tracks on the upstream slots, collect statistics, close.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use trtc_core::client::{ConnId, Input};
use trtc_core::encoding::{prefer_video_codecs, set_opus_stereo, SmallLayer, VideoCodec};
use trtc_core::quality::{self, LinkState, Stat};
use trtc_core::room::IceConfig;
use trtc_core::vec_map::VecMap;
use trtc_proto::{ClientMsg, MediaKind, TrackSlot};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    MediaStreamTrack, RtcPeerConnection, RtcPeerConnectionState, RtcRtpTransceiver,
    RtcRtpTransceiverDirection, WebSocket,
};

use crate::listener::Listener;
use crate::local::Local;
use crate::oneshot::Cancel;
use crate::value::{get, object};

/// The peer connection's configuration: one bundled transport, and the ICE servers and policy.
/// With SEI, the encoded frames go through the SDK (`crate::sei`).
fn rtc_configuration(ice: &IceConfig, sei: bool) -> JsValue {
    let servers = js_sys::Array::new();
    for s in &ice.servers {
        let urls: js_sys::Array = s.urls.iter().map(|u| JsValue::from_str(u)).collect();
        let mut pairs = vec![("urls", JsValue::from(urls))];
        if !s.username.is_empty() {
            pairs.push(("username", JsValue::from_str(&s.username)));
            pairs.push(("credential", JsValue::from_str(&s.credential)));
        }
        servers.push(&object(&pairs));
    }
    let policy = if ice.relay_only { "relay" } else { "all" };
    object(&[
        ("bundlePolicy", "max-bundle".into()),
        ("rtcpMuxPolicy", "require".into()),
        ("iceServers", servers.into()),
        ("iceTransportPolicy", policy.into()),
        ("encodedInsertableStreams", sei.into()),
    ])
}

/// Where a connection's happenings go (the room driver, weakly held).
pub type Sink = Rc<dyn Fn(Input)>;

pub struct Conn {
    pub id: ConnId,
    ws: WebSocket,
    pc: RtcPeerConnection,
    listeners: RefCell<Vec<Listener>>,
    /// What each mid of the last applied offer carries.
    slots: crate::sei::Slots,
    /// With SEI: the instance's SEI state, and the frame pipes of the transceivers, by mid.
    sei: Option<Rc<crate::sei::Sei>>,
    pipes: RefCell<VecMap<String, Vec<crate::sei::Pipe>>>,
    /// Received tracks by (user, kind), with the transceiver that receives each.
    tracks: RefCell<VecMap<(String, MediaKind), (MediaStreamTrack, RtcRtpTransceiver)>>,
    /// A `getStats()` is in flight: a slow one is not stacked up.
    stats_busy: Cell<bool>,
    /// Ends the waits on the peer connection's promises when it closes (a closed connection
    /// leaves some of them unsettled for ever).
    closed: Cancel,
}

impl Conn {
    /// Uses other ICE servers from now on (before the first offer: the server issued TURN
    /// relays). A configuration the browser refuses is logged and the old one kept.
    pub fn set_ice(&self, ice: &IceConfig) {
        if let Err(e) = self.pc.set_configuration_with_configuration(
            rtc_configuration(ice, self.sei.is_some()).unchecked_ref(),
        ) {
            crate::log::warn(&format!(
                "the server's TURN relays were not taken: {}",
                crate::value::describe(&e)
            ));
        }
    }

    /// Opens the socket to `url` (or takes `open`, a socket to it that is open already: a
    /// preconnection's) and creates the peer connection.
    pub fn open(
        id: ConnId,
        url: &str,
        open: Option<WebSocket>,
        ice: &IceConfig,
        sei: Option<Rc<crate::sei::Sei>>,
        sink: Sink,
    ) -> Result<Rc<Conn>, JsValue> {
        let taken = open.is_some();
        let ws = match open {
            Some(ws) => ws,
            None => WebSocket::new(url)?,
        };
        let pc = RtcPeerConnection::new_with_configuration(
            rtc_configuration(ice, sei.is_some()).unchecked_ref(),
        )
        .inspect_err(|_| {
            let _ = ws.close();
        })?;
        let conn = Rc::new(Conn {
            id,
            ws,
            pc,
            listeners: RefCell::new(Vec::new()),
            slots: Rc::default(),
            sei,
            pipes: RefCell::new(VecMap::new()),
            tracks: RefCell::new(VecMap::new()),
            stats_busy: Cell::new(false),
            closed: Cancel::default(),
        });
        let mut listeners = Vec::new();
        let s = sink.clone();
        // A socket open already is said to be by the driver, once it holds this connection.
        if !taken {
            listeners.push(Listener::new(&conn.ws, "open", move |_| {
                s(Input::SocketOpened(id))
            }));
        }
        let s = sink.clone();
        listeners.push(Listener::new(&conn.ws, "message", move |ev| {
            let Some(text) = get(&ev, "data").as_string() else {
                return;
            };
            match crate::wire::decode(&text) {
                Ok(msg) => s(Input::Message(id, msg)),
                Err(e) => crate::log::warn(&format!("ignored a server message: {e}")),
            }
        }));
        let s = sink.clone();
        listeners.push(Listener::new(&conn.ws, "close", move |_| {
            s(Input::SocketClosed {
                conn: id,
                error: None,
            })
        }));
        let pc = conn.pc.clone();
        listeners.push(Listener::new(
            &conn.pc,
            "connectionstatechange",
            move |_| {
                let state = pc.connection_state();
                crate::log::info(&format!("media connection: {state:?}"));
                match state {
                    RtcPeerConnectionState::Failed => sink(Input::MediaFailed(id)),
                    RtcPeerConnectionState::Connected => sink(Input::MediaConnected(id)),
                    _ => {}
                }
            },
        ));
        *conn.listeners.borrow_mut() = listeners;
        Ok(conn)
    }

    pub fn send(&self, msg: &ClientMsg) {
        if self.ws.ready_state() == WebSocket::OPEN {
            let _ = self.ws.send_with_str(&msg.to_json());
        }
    }

    /// Closes the socket and the peer connection; nothing of them reaches the sink again.
    /// `reconnecting` closes with [`trtc_proto::CLOSE_RECONNECTING`]: not a leave.
    pub fn close(&self, reconnecting: bool) {
        let listeners = std::mem::take(&mut *self.listeners.borrow_mut());
        drop(listeners);
        let _ = if reconnecting {
            self.ws
                .close_with_code_and_reason(trtc_proto::CLOSE_RECONNECTING, "reconnecting")
        } else {
            self.ws.close()
        };
        self.pc.close();
        self.closed.cancel();
        self.tracks.borrow_mut().clear();
        self.slots.borrow_mut().clear();
        self.pipes.borrow_mut().clear();
    }

    /// Every received track: (user, kind, track).
    pub fn received(&self) -> Vec<(String, MediaKind, MediaStreamTrack)> {
        self.tracks
            .borrow()
            .iter()
            .map(|((u, k), (t, _))| (u.clone(), *k, Clone::clone(t)))
            .collect()
    }

    /// The received track of `user_id`'s `kind`, if any.
    pub fn track(&self, user_id: &str, kind: MediaKind) -> Option<MediaStreamTrack> {
        self.tracks
            .borrow()
            .get(&(user_id.to_string(), kind))
            .map(|(t, _)| Clone::clone(t))
    }

    /// Applies an offer: upstream slots send the local tracks, the others receive; returns the
    /// answer's SDP (which the room client sends).
    ///
    /// Opus: the server offers `stereo=1` everywhere; the upstream audio keeps it only for a
    /// stereo profile (the browser encodes what the offer asks), and the answer asks for stereo
    /// on every audio m-line (the browser decodes what its answer says). The camera's and the
    /// screen's m-lines list `codecs` first (H.264 then VP8 unless `useVp8`; SEI needs H.264):
    /// the browser sends with the first codec of the offer it can encode. The audio profile is read
    /// when the offer comes: a profile changed with no new offer between (a stop and a start in
    /// the same instant) keeps the old channel count until the next offer.
    pub async fn apply_offer(
        &self,
        sdp: &str,
        slots: &[TrackSlot],
        local: &Local,
        codecs: &[VideoCodec],
    ) -> Result<String, String> {
        let mids = |upstream: bool, kind: MediaKind| -> Vec<&str> {
            slots
                .iter()
                .filter(|s| s.user_id.is_none() == upstream && s.kind == kind)
                .map(|s| s.mid.as_str())
                .collect()
        };
        let stereo = local.audio_encoding().is_some_and(|e| e.stereo);
        let sdp = set_opus_stereo(sdp, &mids(true, MediaKind::Audio), stereo);
        let mut video_mids = mids(true, MediaKind::Video);
        video_mids.extend(mids(true, MediaKind::SubVideo));
        let sdp = prefer_video_codecs(&sdp, &video_mids, codecs);
        let desc = object(&[("type", "offer".into()), ("sdp", JsValue::from_str(&sdp))]);
        self.wait(self.pc.set_remote_description(desc.unchecked_ref()))
            .await?;
        let by_mid: VecMap<String, TrackSlot> =
            slots.iter().map(|s| (s.mid.clone(), s.clone())).collect();
        let mut received = VecMap::new();
        for t in self.pc.get_transceivers().iter() {
            let t: RtcRtpTransceiver = t.unchecked_into();
            let Some(mid) = t.mid() else { continue };
            // m-lines the server stopped stay stopped; their direction cannot change.
            if is_stopped(&t) {
                continue;
            }
            if let Some(sei) = &self.sei {
                if self.pipes.borrow().get(&mid).is_none() {
                    let pipes = sei.pipe(&t, &mid, &self.slots);
                    self.pipes.borrow_mut().insert(mid.clone(), pipes);
                }
            }
            match by_mid.get(&mid) {
                Some(TrackSlot {
                    user_id: None,
                    kind,
                    ..
                }) => {
                    set_direction(&t, RtcRtpTransceiverDirection::Sendonly);
                    let _ = t
                        .sender()
                        .replace_track(local.publish_track(*kind).as_ref());
                }
                Some(TrackSlot {
                    user_id: Some(user),
                    kind,
                    ..
                }) => {
                    set_direction(&t, RtcRtpTransceiverDirection::Recvonly);
                    received.insert((user.clone(), *kind), (t.receiver().track(), t));
                }
                None => set_direction(&t, RtcRtpTransceiverDirection::Inactive),
            }
        }
        let answer = self.wait(self.pc.create_answer()).await?;
        let answer_sdp = get(&answer, "sdp").as_string().unwrap_or_default();
        // Every audio m-line of the answer says the same, stopped ones too (the server refuses
        // an answer that describes one payload type two ways); on the upstream one it says
        // nothing of what the browser sends, which follows the offer.
        let answer_sdp = set_opus_stereo(&answer_sdp, &["*"], true);
        let answer = object(&[("type", "answer".into()), ("sdp", answer_sdp.into())]);
        self.wait(self.pc.set_local_description(answer.unchecked_ref()))
            .await?;
        *self.slots.borrow_mut() = by_mid;
        *self.tracks.borrow_mut() = received;
        self.apply_encodings(local);
        Ok(self
            .pc
            .local_description()
            .map(|d| d.sdp())
            .unwrap_or_default())
    }

    /// Gives the upstream senders their encoder settings: the camera's (or a screen's shared as
    /// the main stream) with its small stream's layer, the microphone's, the screen's. Called
    /// after every offer (once the answer is set: a simulcast sender has its rids then) and
    /// every change of what is published.
    fn apply_encodings(&self, local: &Local) {
        let slots = self.slots.borrow().clone();
        for t in self.pc.get_transceivers().iter() {
            let t: RtcRtpTransceiver = t.unchecked_into();
            let Some(mid) = t.mid() else { continue };
            let Some(TrackSlot {
                user_id: None,
                kind,
                ..
            }) = slots.get(&mid)
            else {
                continue;
            };
            let sender = t.sender();
            match kind {
                // The camera's sender: its profile on rid `h` (or its one encoding) and, once
                // negotiated with simulcast, the small stream on rid `l` — one step.
                MediaKind::Video => {
                    if let Some(enc) = local.video_encoding() {
                        let small = local
                            .small_stream()
                            .map(|(p, (w, h))| SmallLayer::new(&p, w, h));
                        crate::encoding::apply_camera(
                            &sender,
                            sender.track().as_ref(),
                            &enc,
                            small,
                        );
                    }
                }
                MediaKind::Audio => {
                    if let Some(enc) = local.audio_encoding() {
                        crate::encoding::apply_audio(&sender, &enc);
                    }
                }
                MediaKind::SubVideo => {
                    if let Some(enc) = local.screen_encoding() {
                        crate::encoding::apply_video(&sender, sender.track().as_ref(), &enc);
                    }
                }
                // System audio is sent as the browser captured it.
                MediaKind::SubAudio => {}
            }
        }
    }

    /// Waits for one of the peer connection's promises, or until the connection closes.
    async fn wait(&self, p: js_sys::Promise) -> Result<JsValue, String> {
        match self.closed.guard(JsFuture::from(p)).await {
            Some(r) => r.map_err(describe),
            None => Err("the connection closed".into()),
        }
    }

    /// Puts the current local tracks on the upstream slots.
    pub fn refresh_senders(&self, local: &Local) {
        let slots = self.slots.borrow().clone();
        for t in self.pc.get_transceivers().iter() {
            let t: RtcRtpTransceiver = t.unchecked_into();
            let Some(mid) = t.mid() else { continue };
            if let Some(TrackSlot {
                user_id: None,
                kind,
                ..
            }) = slots.get(&mid)
            {
                let _ = t
                    .sender()
                    .replace_track(local.publish_track(*kind).as_ref());
            }
        }
        self.apply_encodings(local);
    }

    /// `getStats()` turned into the room client's [`Input::Stats`] (skipped while one runs).
    pub fn collect_stats(self: &Rc<Self>, sink: Sink) {
        if self.stats_busy.replace(true) {
            return;
        }
        let conn = Rc::clone(self);
        let pending = conn.pc.get_stats();
        wasm_bindgen_futures::spawn_local(async move {
            let report = conn.closed.guard(JsFuture::from(pending)).await;
            conn.stats_busy.set(false);
            let Some(Ok(report)) = report else { return };
            let state = get(&conn.pc, "connectionState").as_string();
            let link = LinkState::from_connection_state(state.as_deref().unwrap_or("new"));
            let track_ids = conn
                .tracks
                .borrow()
                .values()
                .filter_map(|(track, t)| Some((t.mid()?, track.id())))
                .collect();
            sink(Input::Stats {
                conn: conn.id,
                stats: parse_stats(&report),
                link,
                track_ids,
            });
        });
    }
}

fn describe(e: JsValue) -> String {
    let name = get(&e, "name").as_string().unwrap_or_default();
    let message = get(&e, "message").as_string().unwrap_or_default();
    format!("{name}: {message}")
}

fn is_stopped(t: &RtcRtpTransceiver) -> bool {
    ["currentDirection", "direction"]
        .iter()
        .any(|k| get(t, k).as_string().as_deref() == Some("stopped"))
}

/// Sets a transceiver's direction; a stopped one throws, which is logged, not raised.
fn set_direction(t: &RtcRtpTransceiver, d: RtcRtpTransceiverDirection) {
    if let Err(e) = js_sys::Reflect::set(t, &JsValue::from_str("direction"), &JsValue::from(d)) {
        crate::log::debug(&format!(
            "transceiver direction not set: {}",
            crate::value::describe(&e)
        ));
    }
}

/// An `RTCStatsReport` as [`Stat`]s, with the fields the tracker reads.
fn parse_stats(report: &JsValue) -> Vec<Stat> {
    // The report is maplike: `Array.from` gives its `[id, stats]` entries.
    js_sys::Array::from(report)
        .iter()
        .map(|entry| {
            let value = entry
                .dyn_ref::<js_sys::Array>()
                .map(|e| e.get(1))
                .unwrap_or(JsValue::UNDEFINED);
            let mut stat = Stat::default();
            for name in quality::NUMBER_FIELDS {
                if let Some(n) = get(&value, name).as_f64() {
                    stat.set_number(name, n);
                }
            }
            for name in quality::TEXT_FIELDS {
                let v = get(&value, name);
                if let Some(s) = v.as_string() {
                    stat.set_text(name, &s);
                } else if let Some(b) = v.as_bool() {
                    stat.set_text(name, if b { "true" } else { "false" });
                }
            }
            stat
        })
        .collect()
}
