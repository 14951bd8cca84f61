//! The media path of one user: producing its RTP, feeding datagrams to the `Rtc` and sending
//! what it transmits, and counting the RTP it receives.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::media::{KeyframeRequestKind, MediaKind, Mid, Rid};
use str0m::net::{Protocol, Receive};
use str0m::rtp::{RtpPacket, RtpWrite, SeqNo};
use str0m::{Event, Input, Output};
use tracing::debug;
use trtc_proto::MediaKind as Kind;

use super::net::Net;
use super::{plain_rtp, Sim, TapFormat, TapPacket, Track};
use crate::media::{self, AUDIO_PTIME, AUDIO_TS_STEP};
use crate::stats::{RtpRx, RxSnapshot};

impl Sim {
    pub(super) fn on_datagram(
        &mut self,
        proto: Protocol,
        from: SocketAddr,
        data: &[u8],
    ) -> Result<(), String> {
        let Ok(contents) = data.try_into() else {
            return Ok(());
        };
        let input = Input::Receive(
            Instant::now(),
            Receive {
                proto,
                source: from,
                destination: self.local,
                contents,
            },
        );
        if let Err(e) = self.rtc.handle_input(input) {
            debug!(user = %self.spec.user_id, "input refused: {e}");
        }
        Ok(())
    }

    pub(super) fn on_timer(&mut self, now: Instant) -> Result<(), String> {
        if self.connected {
            self.produce(now);
        }
        self.rtc
            .handle_input(Input::Timeout(now))
            .map_err(|e| format!("str0m: {e}"))
    }

    /// Writes the audio packets and video frames that are due.
    fn produce(&mut self, now: Instant) {
        let late_after = Duration::from_millis(100);
        if let Some(u) = &mut self.audio {
            while now >= u.next {
                if now - u.next > late_after {
                    self.late += 1;
                    u.next = now;
                }
                let payload = match &self.common.clip {
                    Some(clip) => clip.audio[(u.n % clip.audio.len() as u64) as usize].clone(),
                    None => media::opus_payload(u.n, self.common.audio_bytes),
                };
                let len = payload.len() as u64;
                let ts = u
                    .ts_base
                    .wrapping_add((u.n as u32).wrapping_mul(AUDIO_TS_STEP));
                if let Some(tx) = self.rtc.direct_api().stream_tx_by_mid(u.mid, None) {
                    tx.write_rtp(RtpWrite::new(u.pt, SeqNo::from(u.seq), ts, now, payload));
                    u.seq += 1;
                    self.sent.audio_pkts += 1;
                    self.sent.audio_bytes += len;
                }
                u.n += 1;
                u.next += AUDIO_PTIME;
            }
        }
        if let Some(u) = &mut self.video {
            let interval = self.video_src.config().frame_interval();
            while now >= u.next {
                if now - u.next > late_after {
                    self.late += 1;
                    u.next = now;
                }
                let frame = self.video_src.next_frame();
                let ts = u.ts_base.wrapping_add(frame.rtp_ts);
                let mut api = self.rtc.direct_api();
                // With a small stream the big one is the simulcast encoding with rid `h`.
                let rid = self.small.as_ref().map(|_| Rid::from(trtc_sfu::RID_BIG));
                let Some(tx) = api.stream_tx_by_mid(u.mid, rid) else {
                    u.next += interval;
                    continue;
                };
                let last = frame.payloads.len() - 1;
                for (i, p) in frame.payloads.into_iter().enumerate() {
                    self.sent.video_pkts += 1;
                    self.sent.video_bytes += p.len() as u64;
                    let w = RtpWrite::new(u.pt, SeqNo::from(u.seq), ts, now, p)
                        .marker(i == last)
                        .nackable(true);
                    tx.write_rtp(w);
                    u.seq += 1;
                }
                self.sent.frames += 1;
                if frame.key {
                    self.sent.keyframes += 1;
                }
                if frame.requested {
                    self.sent.requested_keyframes += 1;
                }
                u.n += 1;
                u.next += interval;
            }
        }
        if let (Some(u), Some(src)) = (&mut self.small, &mut self.small_src) {
            let interval = src.config().frame_interval();
            while now >= u.next {
                if now - u.next > late_after {
                    u.next = now;
                }
                let frame = src.next_frame();
                let ts = u.ts_base.wrapping_add(frame.rtp_ts);
                let mut api = self.rtc.direct_api();
                let rid = Rid::from(trtc_sfu::RID_SMALL);
                if let Some(tx) = api.stream_tx_by_mid(u.mid, Some(rid)) {
                    let last = frame.payloads.len() - 1;
                    for (i, p) in frame.payloads.into_iter().enumerate() {
                        self.sent.small_pkts += 1;
                        self.sent.small_bytes += p.len() as u64;
                        let w = RtpWrite::new(u.pt, SeqNo::from(u.seq), ts, now, p)
                            .marker(i == last)
                            .nackable(true);
                        tx.write_rtp(w);
                        u.seq += 1;
                    }
                }
                u.n += 1;
                u.next += interval;
            }
        }
    }

    /// Polls the `Rtc` until it waits for time, sending (UDP) or queueing (TCP, or a full UDP
    /// socket: [`Net::drain`] sends those) what it transmits.
    pub(super) fn flush(&mut self, net: &mut Net) -> Result<(), String> {
        loop {
            let out = self.rtc.poll_output().map_err(|e| format!("str0m: {e}"))?;
            match out {
                Output::Timeout(t) => {
                    self.rtc_timeout = t;
                    return Ok(());
                }
                Output::Transmit(t) => {
                    net.queue(t.proto, t.destination, &t.contents, &mut self.backlog);
                }
                Output::Event(e) => self.on_event(e),
            }
        }
    }

    fn on_event(&mut self, e: Event) {
        match e {
            Event::Connected => {
                self.connected = true;
                if let Some(conn) = self.client.joined_conn() {
                    let t = self.since_t0();
                    self.client
                        .handle(trtc_core::client::Input::MediaConnected(conn), t);
                }
                self.report.connect_ms = Some(self.since_t0());
                let now = Instant::now();
                for u in [&mut self.audio, &mut self.video].into_iter().flatten() {
                    u.next = now;
                }
            }
            Event::RtpPacket(p) => self.on_rtp(p),
            Event::KeyframeRequest(r) if self.video.as_ref().is_some_and(|u| u.mid == r.mid) => {
                self.keyframe_requests += 1;
                match (r.rid, &mut self.small_src) {
                    (Some(rid), Some(src)) if &*rid == trtc_sfu::RID_SMALL => {
                        src.request_keyframe()
                    }
                    _ => self.video_src.request_keyframe(),
                }
            }
            _ => {}
        }
    }

    fn on_rtp(&mut self, p: RtpPacket) {
        let ssrc = p.header.ssrc;
        let idx = match self.tracks.iter().position(|t| t.ssrc == ssrc) {
            Some(i) => i,
            None => {
                if self.report.first_rtp_ms.is_none() {
                    self.report.first_rtp_ms = Some(self.since_t0());
                }
                let mid = self.rtc.direct_api().stream_rx(&ssrc).map(|s| s.mid());
                let slot =
                    mid.and_then(|m| self.slots.iter().find(|s| Mid::from(s.mid.as_str()) == m));
                let kind = match slot {
                    Some(s) => s.kind,
                    None => match mid.and_then(|m| self.rtc.media(m)).map(|m| m.kind()) {
                        Some(MediaKind::Video) => Kind::Video,
                        _ => Kind::Audio,
                    },
                };
                let source = slot
                    .and_then(|s| s.user_id.clone())
                    .unwrap_or_else(|| "?".into());
                let clock = if kind.is_video() {
                    media::VIDEO_CLOCK
                } else {
                    48_000
                };
                self.tracks.push(Track {
                    ssrc,
                    source,
                    kind,
                    rx: RtpRx::new(clock),
                    keyframes: 0,
                    start: RxSnapshot::default(),
                    start_keyframes: 0,
                    format: None,
                });
                self.tracks.len() - 1
            }
        };
        let arrival = p.timestamp.saturating_duration_since(self.t0);
        let t = &mut self.tracks[idx];
        t.rx.on_packet(
            p.header.sequence_number,
            p.header.timestamp,
            arrival,
            p.payload.len(),
        );
        if t.kind == Kind::Video
            && media::vp8_payload_info(&p.payload).is_some_and(|(start, key)| start && key)
        {
            t.keyframes += 1;
        }
        if self.tap.is_some() {
            self.tap_packet(idx, &p);
        }
    }

    /// Hands a received packet to the tap as plain RTP, with its source, kind and format.
    fn tap_packet(&mut self, idx: usize, p: &RtpPacket) {
        let pt = *p.header.payload_type;
        let t = &self.tracks[idx];
        let format = match t.format {
            Some((seen, f)) if seen == pt => f,
            _ => {
                let f = self
                    .rtc
                    .codec_config()
                    .find(|c| *c.pt() == pt)
                    .and_then(|c| {
                        let spec = c.spec();
                        TapFormat::of(spec.codec, pt, spec.clock_rate.get(), spec.channels)
                    });
                self.tracks[idx].format = Some((pt, f));
                f
            }
        };
        let (Some(format), Some(sink)) = (format, &self.tap) else {
            return;
        };
        let t = &self.tracks[idx];
        let packet = TapPacket {
            user_id: t.source.clone(),
            kind: t.kind,
            format,
            rtp: plain_rtp(
                p.header.marker,
                pt,
                p.header.sequence_number,
                p.header.timestamp,
                *p.header.ssrc,
                &p.payload,
            ),
        };
        if sink.try_send(packet).is_err() {
            self.tap_dropped += 1;
        }
    }

    /// Asks the publisher of `user`'s video for a keyframe (a PLI from this subscriber, which
    /// the SFU forwards).
    pub(super) fn ask_keyframe(&mut self, user: &str) {
        let ssrcs: Vec<_> = self
            .tracks
            .iter()
            // Its camera and its shared screen: a recorder asks for whichever it waits for.
            .filter(|t| t.kind.is_video() && t.source == user)
            .map(|t| t.ssrc)
            .collect();
        for ssrc in ssrcs {
            if let Some(rx) = self.rtc.direct_api().stream_rx(&ssrc) {
                rx.request_keyframe(KeyframeRequestKind::Pli);
            }
        }
    }
}
