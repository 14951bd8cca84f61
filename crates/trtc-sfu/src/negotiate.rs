//! Offers and answers: the server makes every offer, at most one per peer is outstanding, and
//! what changed meanwhile goes in the next one.
//!
//! A peer's slots follow what is wanted: a receive slot per kind it publishes, a send slot per
//! audio `(source, kind)` it added while the source publishes that kind and per video it is
//! forwarded; send slots no longer used are reused, never stopped (see `Peer::make_offer`), so
//! the SDP stays as big as what is received at once. [`Sfu::negotiate`] (run
//! lazily from [`Sfu::poll_event`]) reconciles the slots of every peer marked `neg.dirty` and
//! emits [`SfuEvent::Offer`]; [`Sfu::accept_answer`] completes it.

use std::collections::BTreeMap;
use std::time::Instant;

use str0m::media::{Direction, Simulcast, SimulcastLayer};
use tracing::{debug, warn};

use crate::peer::{kind_name, to_str0m, Conn, Key, Kinds, Peer, RecvSlot, SendSlot, Sub};
use crate::peer::{RID_BIG, RID_SMALL};
use crate::{Kind, PeerId, Sfu, SfuEvent};

/// After this many answers in a row that str0m rejects, the peer is closed.
pub const MAX_FAILED_ANSWERS: u32 = 3;

impl Sfu {
    /// Makes an offer for every peer that needs one and has none outstanding.
    pub(crate) fn negotiate(&mut self, now: Instant) {
        // Every path that marks a peer dirty sets `negotiate_pending`; a peer that stays dirty
        // (offer outstanding, failing) is flagged again by `accept_answer` / `drop_peer`.
        if !std::mem::take(&mut self.negotiate_pending) {
            return;
        }
        let publishing: BTreeMap<PeerId, Kinds<bool>> = self
            .peers
            .iter()
            .map(|(&id, p)| (id, p.tracks.publish))
            .collect();
        for (&id, p) in self.peers.iter_mut() {
            if !p.neg.dirty || p.neg.pending.is_some() || !p.rtc.is_alive() || p.conn.is_failed() {
                continue;
            }
            p.neg.dirty = false;
            // make_offer touches the peer (and may make subscriptions wait for a keyframe).
            self.to_poll.push(id);
            self.timers.kf_dirty = true;
            let Some(sdp) = p.make_offer(id, &publishing) else {
                continue;
            };
            if p.conn == Conn::New {
                p.conn = Conn::Connecting {
                    deadline: now + self.config.connect_timeout,
                };
                self.timers.sync_deadline(id, p);
            }
            let slots = p.tracks.slots();
            debug!(peer = id, ?slots, "offer");
            self.events.push_back(SfuEvent::Offer {
                peer: id,
                sdp,
                slots,
            });
        }
        if self.timers.kf_dirty {
            // Left set: the next drive runs the keyframe service too.
            self.refresh_keyframe_wake();
        }
    }

    /// The browser's answer to the outstanding offer: [`parse_answer`] then
    /// [`Sfu::apply_answer`], on this thread. The server parses elsewhere and applies here.
    ///
    /// [`parse_answer`]: crate::parse_answer
    pub fn accept_answer(&mut self, peer: PeerId, sdp: &str, now: Instant) -> Result<(), String> {
        if !self.has_pending_offer(peer) {
            // Nothing to answer: not worth parsing.
            return self.apply_answer(peer, Err(String::new()), now);
        }
        let parsed = crate::parse_answer(sdp);
        self.apply_answer(peer, parsed, now)
    }

    /// Completes the outstanding offer with an answer parsed by [`crate::parse_answer`] (`Err`:
    /// it did not parse or was refused by the checks there).
    ///
    /// One answer per offer: whatever the answer, the offer is used up. An answer that did not
    /// parse, or that str0m rejects, counts as a failed answer: a new offer follows, unless this
    /// happened [`MAX_FAILED_ANSWERS`] times in a row, which closes the peer. With no offer
    /// outstanding (or an unknown peer) it is an error and nothing changes.
    pub fn apply_answer(
        &mut self,
        peer: PeerId,
        answer: Result<crate::ParsedAnswer, String>,
        now: Instant,
    ) -> Result<(), String> {
        let now = self.tick(now);
        let Some(p) = self.peers.get_mut(&peer) else {
            return Err(format!("unknown peer {peer}"));
        };
        let Some(pending) = p.neg.pending.take() else {
            return Err("no offer is outstanding".into());
        };
        let result = match answer {
            Ok(answer) => p
                .rtc
                .sdp_api()
                .accept_answer(pending, answer.0)
                .map_err(|e| format!("answer rejected: {e}")),
            // The pending offer is dropped: str0m rolls its changes back.
            Err(e) => Err(e),
        };
        p.wake.touched = true;
        self.to_poll.push(peer);
        self.negotiate_pending = true;
        self.timers.kf_dirty = true;
        // Queued changes, if any, go in the next offer (or the rejected one is made again).
        p.neg.dirty = true;
        let out = match result {
            Ok(()) => {
                p.neg.failed_answers = 0;
                p.neg.answered = true;
                for s in &mut p.tracks.recv {
                    s.open = true;
                }
                for s in &mut p.tracks.send {
                    s.open = true;
                    s.fresh = false;
                }
                debug!(peer, "answer accepted");
                if p.tracks.small {
                    // Its small layer may just have been negotiated.
                    self.layers_changed(peer);
                }
                Ok(())
            }
            Err(e) => {
                p.neg.failed_answers += 1;
                let n = p.neg.failed_answers;
                warn!(peer, "answer rejected ({n} in a row): {e}");
                if n >= MAX_FAILED_ANSWERS {
                    p.conn
                        .fail(format!("{n} answers rejected in a row; last: {e}"));
                } else if !p.neg.answered {
                    // str0m may have taken parts of the rejected answer (ICE credentials, DTLS
                    // role and fingerprint) before refusing it: start over with a fresh Rtc.
                    self.replace_rtc(peer, now);
                } else if !p.rtc.is_alive() {
                    p.conn.fail(format!("answer rejected: {e}"));
                } else {
                    // Slots the rejected offer added never existed; upstream ones it stopped
                    // stay stopped. A send slot it re-pointed to another track is idle again
                    // (the next offer sets every send slot's direction to ours).
                    p.tracks.recv.retain(|s| s.open);
                    p.tracks.send.retain(|s| s.open || !s.fresh);
                    for s in p.tracks.send.iter_mut().filter(|s| !s.open) {
                        s.idle = true;
                        s.open = true;
                    }
                }
                Err(e)
            }
        };
        self.drive(now);
        out
    }

    /// Gives a peer that never had an answer accepted a fresh `Rtc` (new ICE credentials, new
    /// DTLS identity) and no slots; its connection deadline stays.
    fn replace_rtc(&mut self, peer: PeerId, now: Instant) {
        let Some(old) = self.peers.get(&peer).map(|p| p.ufrag.clone()) else {
            return;
        };
        self.index.remove_ufrag(&old, peer);
        let (rtc, ufrag) = self.fresh_rtc(peer, now);
        if let Some(p) = self.peers.get_mut(&peer) {
            p.rtc = rtc;
            p.ufrag = ufrag;
            // The new Rtc's first offer carries the data channel again (the BUNDLE tag).
            p.neg.anchored = false;
            p.tracks.recv.clear();
            p.tracks.send.clear();
            p.wake.next_timeout = None;
            p.wake.timer_queued = None;
        }
    }
}

impl Peer {
    /// Reconciles the slots with what is wanted; returns the offer SDP if anything changed.
    /// Only called with no offer outstanding, so every slot is open here.
    fn make_offer(
        &mut self,
        id: PeerId,
        publishing: &BTreeMap<PeerId, Kinds<bool>>,
    ) -> Option<String> {
        self.wake.touched = true;
        let tracks = &mut self.tracks;
        let mut api = self.rtc.sdp_api();

        // First m-line of the first offer: a data channel that lives as long as the peer (the
        // BUNDLE tag). Only when there is media to negotiate, so no offer is made for nothing.
        if !self.neg.anchored {
            let wants_media = Kind::ALL.iter().any(|k| tracks.publish.get(*k))
                || tracks.subs.iter().any(|(k, sub)| {
                    sub.added && publishing.get(&k.source).is_some_and(|p| p.get(k.kind()))
                });
            if wants_media {
                api.add_channel("trtc".into());
                self.neg.anchored = true;
            }
        }

        // Upstream.
        let publish = tracks.publish;
        let small = tracks.small;
        let publishing_off = &mut tracks.publishing_off;
        tracks.recv.retain(|r| {
            // A camera video slot whose simulcast no longer matches is replaced (a browser
            // cannot add rids to a transceiver it has); the screen (sub video) has no small
            // layer.
            if publish.get(r.kind) && r.simulcast == (r.kind == Kind::Video && small) {
                return true;
            }
            api.stop_media(r.mid);
            if r.active {
                publishing_off.push(r.kind);
            }
            false
        });
        for kind in Kind::ALL {
            if publish.get(kind) && !tracks.recv.iter().any(|r| r.kind == kind) {
                let simulcast = kind == Kind::Video && small;
                let layers = simulcast.then(|| {
                    let mut s = Simulcast::new();
                    s.add_recv_layer(SimulcastLayer::new(RID_BIG));
                    s.add_recv_layer(SimulcastLayer::new(RID_SMALL));
                    s
                });
                let mid = api.add_media(to_str0m(kind), Direction::RecvOnly, None, None, layers);
                tracks.recv.push(RecvSlot {
                    mid,
                    kind,
                    open: false,
                    active: false,
                    kf_wanted: false,
                    kf_last: None,
                    simulcast,
                    kf_small_wanted: false,
                    kf_small_last: None,
                });
            }
        }

        // Downstream: a slot per track forwarded (audio: added; video: added and asked for, so
        // a subscriber rendering nine of fifty videos has nine video m-lines). Slots are reused
        // for the next track of their media type, so the SDP follows what is received, not the
        // room's history:
        // - a video no longer forwarded (`stopRemoteVideo`) keeps its slot, still sending (no
        //   offer; the SFU just stops writing to it), so that asking for it again needs no
        //   offer either; the slot is turned over to another video only when one needs a slot
        //   and no idle one is left (the one stopped longest ago first);
        // - a track whose source stopped publishing it or left (or that was removed) goes idle
        //   (inactive) at once, to be reused by the next track of its type.
        // The offer's slots say whose track each m-line carries now.
        let publishes =
            |source: PeerId, kind: Kind| publishing.get(&source).is_some_and(|k| k.get(kind));
        let wanted = |source: PeerId, kind: Kind, subs: &BTreeMap<Key, Sub>| {
            subs.get(&Key::new(source, kind))
                .is_some_and(|s| s.added && (s.forward || !kind.is_video()))
                && publishes(source, kind)
        };
        // Kept: still carries its track (wanted, or a video added but not forwarded now).
        let kept = |source: PeerId, kind: Kind, subs: &BTreeMap<Key, Sub>| {
            subs.get(&Key::new(source, kind)).is_some_and(|s| s.added) && publishes(source, kind)
        };
        let subs = &mut tracks.subs;
        for s in tracks.send.iter_mut() {
            if !s.idle && !kept(s.source, s.kind, subs) {
                s.idle = true;
            }
        }
        let new: Vec<Key> = subs
            .keys()
            .filter(|k| {
                wanted(k.source, k.kind(), subs)
                    && !tracks
                        .send
                        .iter()
                        .any(|s| !s.idle && s.source == k.source && s.kind == k.kind())
            })
            .copied()
            .collect();
        // Reused slots: made inactive, then sending again below. A slot that was sending
        // (parked, or idled in this very offer) would otherwise be no change for str0m, which
        // would make no offer for it; this way it is offered, and what was queued for its
        // previous track is dropped.
        let mut turned = Vec::new();
        for k in new {
            let (source, kind) = (k.source, k.kind());
            let send = &tracks.send;
            let same_type = |i: &usize| send[*i].kind.is_video() == kind.is_video();
            // An idle slot that last carried this very track, else any idle one of its type,
            // else the parked video (kept, not forwarded) stopped longest ago.
            let idle = (0..send.len())
                .filter(|i| send[*i].idle && send[*i].open)
                .filter(same_type)
                .min_by_key(|i| !(send[*i].source == source && send[*i].kind == kind));
            let parked = || {
                (0..send.len())
                    .filter(|i| !send[*i].idle && send[*i].open)
                    .filter(same_type)
                    .filter(|i| !wanted(send[*i].source, send[*i].kind, subs))
                    .min_by_key(|i| {
                        subs.get(&Key::new(send[*i].source, send[*i].kind))
                            .and_then(|s| s.stopped)
                    })
            };
            let reuse = idle.or_else(parked);
            if let Some(i) = reuse {
                let s = &mut tracks.send[i];
                turned.push(s.mid);
                *s = SendSlot {
                    mid: s.mid,
                    source,
                    kind,
                    open: false,
                    idle: false,
                    fresh: false,
                };
            } else {
                let stream = format!("trtc-{source}");
                let track = format!("trtc-{source}-{}", kind_name(kind));
                let mid = api.add_media(
                    to_str0m(kind),
                    Direction::SendOnly,
                    Some(stream),
                    Some(track),
                    None,
                );
                tracks.send.push(SendSlot {
                    mid,
                    source,
                    kind,
                    open: false,
                    idle: false,
                    fresh: true,
                });
            }
            // A new transceiver: its decoder needs a keyframe to start.
            if let Some(sub) = subs.get_mut(&k) {
                sub.waiting_kf = sub.forward && kind.is_video();
                sub.kf_asked = false;
            }
        }
        for mid in turned {
            api.set_direction(mid, Direction::Inactive);
        }
        for s in &tracks.send {
            // Converges str0m's directions with ours (after a rolled-back offer too); a
            // direction already set is no change.
            let dir = if s.idle {
                Direction::Inactive
            } else {
                Direction::SendOnly
            };
            api.set_direction(s.mid, dir);
        }

        if !api.has_changes() {
            return None;
        }
        match api.apply() {
            Some((offer, pending)) => {
                self.neg.pending = Some(pending);
                Some(offer.to_sdp_string())
            }
            None => {
                // Only direct changes (none of ours are); nothing to send.
                debug!(peer = id, "changes applied without negotiation");
                for s in &mut tracks.recv {
                    s.open = true;
                }
                for s in &mut tracks.send {
                    s.open = true;
                    s.fresh = false;
                }
                None
            }
        }
    }
}
