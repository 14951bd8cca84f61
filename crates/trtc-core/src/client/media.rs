//! What is published, what is received, and the offers that carry both.

use super::*;
use crate::quality::{Context, RemoteTrack};
use crate::room_client::RoomEvent;

impl RoomClient {
    /// What is published as the room should see it, per kind of [`MediaKind::ALL`]: an
    /// audience publishes nothing.
    fn effective_publish(&self, role: Role) -> [bool; 4] {
        if role == Role::Audience {
            [false; 4]
        } else {
            let l = &self.local;
            [l.audio, l.video, l.screen, l.screen && l.screen_audio]
        }
    }

    /// Tells the server what is published now and puts the local tracks on the upstream
    /// slots; `PUBLISH_STATE_CHANGED` for what starts or stops (the system audio of a shared
    /// screen has no state of its own).
    pub(super) fn sync_publish(&mut self) {
        let Some(role) = self.room.as_ref().map(|r| r.role) else {
            return;
        };
        let kinds = self.effective_publish(role);
        let mutes = (self.local.audio_muted, self.local.video_muted);
        let room = self.room.as_mut().expect("checked");
        let Some(link) = Self::link_mut(&mut room.phase) else {
            return;
        };
        let conn = link.conn;
        let mut fx = Vec::new();
        let mut events = Vec::new();
        let [audio, video, sub_video, sub_audio] = kinds;
        // The small stream rides the camera only (the screen has none).
        let small = video && self.local_small;
        let small_changed = std::mem::replace(&mut link.sent_small, small) != small;
        let changed = std::mem::replace(&mut link.sent_publish, kinds) != kinds;
        if changed || small_changed {
            fx.push(Effect::Send {
                conn,
                msg: ClientMsg::Publish {
                    audio,
                    video,
                    sub_video,
                    sub_audio,
                    small,
                },
            });
        }
        if changed {
            for (kind, on) in MediaKind::ALL.into_iter().zip(kinds) {
                if kind == MediaKind::SubAudio {
                    continue;
                }
                let started = room.published.contains(&kind);
                let starting = room.starting.contains(&kind);
                if on && !started && !starting {
                    room.starting.push(kind);
                    events.push((kind, PublishState::Starting, PublishState::Stopped, None));
                } else if !on && (started || starting) {
                    room.published.retain(|k| *k != kind);
                    room.starting.retain(|k| *k != kind);
                    let prev = if started {
                        PublishState::Started
                    } else {
                        PublishState::Starting
                    };
                    events.push((kind, PublishState::Stopped, prev, Some("api-call")));
                }
            }
        }
        let before = std::mem::replace(&mut link.sent_mute, mutes);
        for (kind, was, now) in [
            (MediaKind::Audio, before.0, mutes.0),
            (MediaKind::Video, before.1, mutes.1),
        ] {
            if was != now {
                fx.push(Effect::Send {
                    conn,
                    msg: ClientMsg::Mute { kind, muted: now },
                });
            }
        }
        fx.push(Effect::RefreshSenders { conn });
        for e in fx {
            self.push(e);
        }
        for (kind, state, prev, reason) in events {
            self.emit(Event::PublishState {
                kind,
                state,
                prev,
                reason,
                error: None,
            });
        }
    }

    /// The server refused the last `publish` (a right of the privateMapKey is missing): what was
    /// starting stops with `reason: 'error'` and the server's code and message. The server kept
    /// what it had, which is what started; the next change (or switchRole with a new key) asks
    /// again.
    pub(super) fn publish_refused(&mut self, code: i64, message: &str) {
        let Some(room) = self.room.as_mut() else {
            return;
        };
        let refused = std::mem::take(&mut room.starting);
        let published = room.published.clone();
        if let Some(link) = Self::link_mut(&mut room.phase) {
            for (i, kind) in MediaKind::ALL.into_iter().enumerate() {
                link.sent_publish[i] = published.contains(&kind);
            }
        }
        self.log_warn(format!("the server refused to publish: {message}"));
        for kind in refused {
            self.emit(Event::PublishState {
                kind,
                state: PublishState::Stopped,
                prev: PublishState::Starting,
                reason: Some("error"),
                error: Some(RtcErrorInfo::new(
                    crate::error::ErrorCode::ServerError,
                    i32::try_from(code).ok(),
                    "",
                    &format!("publishing was refused by the server: {message}"),
                )),
            });
        }
    }

    /// The server refused to forward `user_id`'s `kind`: not asked again (until a new key or
    /// a new join); a `startRemoteVideo` waiting for it rejects, its view is let go.
    pub(super) fn subscribe_refused(
        &mut self,
        user_id: &str,
        kind: MediaKind,
        code: i64,
        message: &str,
    ) {
        let Some(room) = self.room.as_mut() else {
            return;
        };
        let error = RtcErrorInfo::new(
            crate::error::ErrorCode::ServerError,
            i32::try_from(code).ok(),
            "startRemoteVideo",
            &format!("startRemoteVideo() was refused by the server ({code}): {message}"),
        );
        room.refused
            .insert((user_id.to_string(), kind), error.clone());
        self.log_warn(format!(
            "the server refused to send {user_id}'s {}: {message}",
            kind.name()
        ));
        self.settle_sub_waits(&|u, k, _, _| (u, k) == (user_id, kind), Err(error));
    }

    /// `startRemoteVideo` waits until the server took its subscription: a ping sent after it
    /// is answered after any refusal.
    pub(super) fn await_subscription(&mut self, op: OpId, user_id: String, kind: MediaKind) {
        let refused = self
            .room
            .as_ref()
            .and_then(|r| r.refused.get(&(user_id.clone(), kind)))
            .cloned();
        let Some(conn) = self.joined_conn().filter(|_| refused.is_none()) else {
            // Refused already (the same answer again), or reconnecting: the subscription is
            // asked again on the next join.
            let result = refused.map_or(Ok(()), Err);
            self.push(Effect::Settle { op, result });
            return;
        };
        let room = self.room.as_mut().expect("joined");
        let Phase::Joined { link } = &mut room.phase else {
            return;
        };
        link.ping_seq += 1;
        let seq = link.ping_seq;
        room.sub_waits.push((op, user_id, kind, conn, seq));
        self.push(Effect::Send {
            conn,
            msg: ClientMsg::Ping { seq },
        });
    }

    /// The server answered the ping `seq` on `conn`: subscriptions asked before it were taken.
    pub(super) fn ponged(&mut self, conn: ConnId, seq: u64) {
        self.settle_sub_waits(&|_, _, c, s| c == conn && s <= seq, Ok(()));
    }

    /// Settles the waiting `startRemoteVideo` calls `which` picks with `result`.
    pub(super) fn settle_sub_waits(
        &mut self,
        which: &dyn Fn(&str, MediaKind, ConnId, u64) -> bool,
        result: Result<(), RtcErrorInfo>,
    ) {
        let Some(room) = self.room.as_mut() else {
            return;
        };
        let mut done = Vec::new();
        room.sub_waits.retain(|(op, u, k, c, s)| {
            let hit = which(u, *k, *c, *s);
            if hit {
                done.push(*op);
            }
            !hit
        });
        for op in done {
            self.push(Effect::Settle {
                op,
                result: result.clone(),
            });
        }
    }

    /// Whether to receive `user_id`'s `kind` when it is available: audio (and a shared
    /// screen's system audio) unless the app muted it (or autoReceiveAudio is off and it did
    /// not unmute it); video, main or sub, when the app renders it (or autoReceiveVideo is on
    /// and it did not stop it).
    pub(super) fn wants(&self, user_id: &str, kind: MediaKind) -> bool {
        let Some(room) = self.room.as_ref() else {
            return false;
        };
        if kind.is_video() {
            room.render
                .get(&(user_id.to_string(), kind))
                .copied()
                .unwrap_or(room.config.auto_receive_video)
        } else {
            match self.mute.get(user_id).copied().or(self.mute_all) {
                Some(muted) => !muted,
                None => room.config.auto_receive_audio,
            }
        }
    }

    pub(super) fn subscribe(&mut self, user_id: &str, kind: MediaKind, on: bool) {
        let small = kind == MediaKind::Video
            && self
                .room
                .as_ref()
                .and_then(|r| r.small.get(user_id).copied())
                .unwrap_or(false);
        let refused = on
            && self
                .room
                .as_ref()
                .is_some_and(|r| r.refused.contains_key(&(user_id.to_string(), kind)));
        if let Some(conn) = self.joined_conn().filter(|_| !refused) {
            self.push(Effect::Send {
                conn,
                msg: ClientMsg::Subscribe {
                    user_id: user_id.to_string(),
                    kind,
                    on,
                    small,
                },
            });
        }
    }

    /// `startRemoteVideo` / `updateRemoteVideo` `option.small`: which of `user_id`'s streams to
    /// receive, the small one or the big one (the camera's; the screen has no small stream).
    /// Kept for the room; while the video is received the server is told at once (it switches
    /// on the new stream's next keyframe).
    pub(super) fn remote_small(&mut self, user_id: String, small: bool) {
        let Some(room) = self.room.as_mut() else {
            return;
        };
        let before = room.small.insert(user_id.clone(), small).unwrap_or(false);
        let available = room.users.get(&user_id).is_some_and(|s| s.video);
        if before != small && available && self.wants(&user_id, MediaKind::Video) {
            self.subscribe(&user_id, MediaKind::Video, true);
        }
    }

    /// `startRemoteVideo` / `stopRemoteVideo` of the main (`Video`) or sub (`SubVideo`) stream.
    pub(super) fn remote_video(&mut self, user_id: String, kind: MediaKind, on: bool) {
        let Some(room) = self.room.as_mut() else {
            return;
        };
        let key = (user_id.clone(), kind);
        let before = room.render.insert(key.clone(), on);
        let available = room.users.get(&user_id).is_some_and(|s| s.get(kind));
        let Some(conn) = self.joined_conn() else {
            return;
        };
        if on {
            self.subscribe(&user_id, kind, true);
            self.show_if_ready(conn, &user_id, kind);
        } else {
            if available || before == Some(true) {
                self.subscribe(&user_id, kind, false);
            }
            let room = self.room.as_mut().expect("checked");
            if let Some(link) = Self::link_mut(&mut room.phase) {
                link.shown_video.retain(|k| k != &key);
            }
        }
    }

    /// `muteRemoteAudio`: the intent is kept (before entering, and across rooms); in a room the
    /// subscription follows it.
    pub(super) fn mute_remote_audio(&mut self, target: Target, mute: bool) {
        let users = match &target {
            Target::All => {
                self.mute_all = Some(mute);
                self.mute.clear();
                self.remote_users()
            }
            Target::User(u) => {
                self.mute.insert(u.clone(), mute);
                vec![u.clone()]
            }
        };
        for u in users {
            for kind in [MediaKind::Audio, MediaKind::SubAudio] {
                if self.remote(&u).is_some_and(|s| s.get(kind)) {
                    let on = self.wants(&u, kind);
                    self.subscribe(&u, kind, on);
                }
            }
        }
    }

    /// Applies the next waiting offer of `conn` unless one is being applied.
    pub(super) fn apply_next_offer(&mut self, conn: ConnId) {
        let Some(link) = self.link_of(conn) else {
            return;
        };
        if link.applying.is_some() {
            return;
        }
        let Some((sdp, slots)) = link.offers.pop_front() else {
            return;
        };
        link.applying = Some(slots.clone());
        self.push(Effect::ApplyOffer { conn, sdp, slots });
    }

    /// An offer was applied: send the answer, follow the received tracks, and report publishing
    /// started for upstream slots the offer negotiated.
    pub(super) fn offer_applied(&mut self, conn: ConnId, answer: Result<String, String>, now: f64) {
        let Some(link) = self.link_of(conn) else {
            return;
        };
        let Some(slots) = link.applying.take() else {
            return;
        };
        let sdp = match answer {
            Ok(sdp) => sdp,
            Err(e) => {
                self.log_warn(format!("negotiation failed: {e}"));
                self.apply_next_offer(conn);
                return;
            }
        };
        self.push(Effect::Send {
            conn,
            msg: ClientMsg::Answer { sdp },
        });
        let link = self.link_of(conn).expect("checked");
        // Something to carry now: the media connection must come up (a room with nothing to
        // send or receive has none).
        if !link.media_connected && link.media_deadline.is_infinite() {
            link.media_deadline = now + MEDIA_CONNECT_TIMEOUT_MS;
        }
        link.upstream = slots
            .iter()
            .filter(|s| s.user_id.is_none())
            .map(|s| s.kind)
            .collect();
        link.sub_mids = slots
            .iter()
            .filter(|s| s.user_id.is_none() && s.kind.is_sub())
            .map(|s| s.mid.clone())
            .collect();
        let received: VecMap<(String, MediaKind), String> = slots
            .iter()
            .filter_map(|s| Some(((s.user_id.clone()?, s.kind), s.mid.clone())))
            .collect();
        // Tracks that went away, or came back on another mid (the sender reconnected).
        let gone: Vec<(String, MediaKind)> = link
            .tracks
            .iter()
            .filter(|(k, mid)| received.get(*k) != Some(*mid))
            .map(|(k, _)| k.clone())
            .collect();
        let mut fx = Vec::new();
        for key in &gone {
            link.tracks.remove(key);
            let (user_id, kind) = (key.0.clone(), key.1);
            if kind.is_video() {
                if take(&mut link.shown_video, key) {
                    fx.push(Effect::HideVideo { user_id, kind });
                }
            } else if take(&mut link.playing_audio, key) {
                fx.push(Effect::StopAudio { user_id, kind });
            }
        }
        let new: Vec<(String, MediaKind)> = received
            .keys()
            .filter(|k| !link.tracks.contains_key(*k))
            .cloned()
            .collect();
        link.tracks = received;
        for e in fx {
            self.push(e);
        }
        for (user, kind) in new {
            if kind.is_video() {
                self.show_if_ready(conn, &user, kind);
            } else {
                self.play_if_ready(conn, &user, kind);
            }
        }
        self.publish_started(conn);
        self.apply_next_offer(conn);
    }

    /// Publishing started for each published kind that now has an upstream slot.
    fn publish_started(&mut self, conn: ConnId) {
        if self.joined_conn() != Some(conn) {
            return;
        }
        let role = self.room.as_ref().map(|r| r.role).expect("joined");
        let kinds = self.effective_publish(role);
        let room = self.room.as_mut().expect("joined");
        let upstream = Self::link_mut(&mut room.phase)
            .expect("joined")
            .upstream
            .clone();
        let mut started = Vec::new();
        for (kind, on) in MediaKind::ALL.into_iter().zip(kinds) {
            if kind != MediaKind::SubAudio
                && on
                && upstream.contains(&kind)
                && !room.published.contains(&kind)
            {
                room.published.push(kind);
                room.starting.retain(|k| *k != kind);
                started.push(kind);
            }
        }
        for kind in started {
            self.emit(Event::PublishState {
                kind,
                state: PublishState::Started,
                prev: PublishState::Starting,
                reason: None,
                error: None,
            });
        }
    }

    /// Plays a received audio track (every remote audio plays; muting is the element's).
    fn play_if_ready(&mut self, conn: ConnId, user: &str, kind: MediaKind) {
        let Some(link) = self.link_of(conn) else {
            return;
        };
        let key = (user.to_string(), kind);
        if link.tracks.contains_key(&key) && !link.playing_audio.contains(&key) {
            link.playing_audio.push(key);
            self.push(Effect::PlayAudio {
                conn,
                user_id: user.to_string(),
                kind,
            });
        }
    }

    /// Renders a received video track (main or sub) when the app asked for it.
    fn show_if_ready(&mut self, conn: ConnId, user: &str, kind: MediaKind) {
        let key = (user.to_string(), kind);
        let rendering = self
            .room
            .as_ref()
            .is_some_and(|r| r.render.get(&key) == Some(&true));
        let Some(link) = self.link_of(conn) else {
            return;
        };
        if rendering && link.tracks.contains_key(&key) && !link.shown_video.contains(&key) {
            link.shown_video.push(key);
            self.push(Effect::ShowVideo {
                conn,
                user_id: user.to_string(),
                kind,
            });
        }
    }

    /// Carries out a room event: a user who exits takes their media with them first.
    pub(super) fn room_event(&mut self, e: RoomEvent) {
        match e {
            RoomEvent::UserEnter(user_id) => self.emit(Event::UserEnter(user_id)),
            RoomEvent::UserExit { user_id, reason } => {
                let room = self.room.as_mut().expect("in a room");
                room.render.retain(|(u, _), _| u != &user_id);
                if let Some(link) = Self::link_mut(&mut room.phase) {
                    link.tracks.retain(|(u, _), _| u != &user_id);
                    link.playing_audio.retain(|(u, _)| u != &user_id);
                    link.shown_video.retain(|(u, _)| u != &user_id);
                }
                self.push(Effect::ForgetUser {
                    user_id: user_id.clone(),
                });
                self.emit(Event::UserExit { user_id, reason });
            }
            // The system audio of a shared screen has no event: it plays with the user's audio.
            RoomEvent::Available {
                kind: MediaKind::SubAudio,
                ..
            } => {}
            RoomEvent::Available {
                user_id,
                kind,
                available,
            } => self.emit(Event::Available {
                user_id,
                kind,
                available,
            }),
        }
    }

    /// A `getStats()` report of `conn`: `NETWORK_QUALITY` and `STATISTICS` from the second on
    /// (the first is the baseline).
    pub(super) fn stats(
        &mut self,
        conn: ConnId,
        stats: &[Stat],
        link_state: LinkState,
        track_ids: &[(String, String)],
    ) {
        if self.joined_conn() != Some(conn) {
            return;
        }
        let (audio_published, video_published) = (self.local.audio, self.local.video);
        let screen_published = self.local.screen;
        let room = self.room.as_mut().expect("joined");
        let publishers = room
            .users
            .ids()
            .into_iter()
            .filter(|u| room.users.get(u).is_some_and(|s| s.audio || s.video))
            .collect();
        let link = Self::link_mut(&mut room.phase).expect("joined");
        let remote_tracks = link
            .tracks
            .iter()
            .map(|((user_id, kind), mid)| RemoteTrack {
                small: *kind == MediaKind::Video
                    && room.small.get(user_id).copied().unwrap_or(false),
                user_id: user_id.clone(),
                kind: *kind,
                mid: Some(mid.clone()),
                track_id: track_ids
                    .iter()
                    .find(|(m, _)| m == mid)
                    .map(|(_, t)| t.clone())
                    .unwrap_or_default(),
            })
            .collect();
        let ctx = Context {
            audio_published,
            video_published,
            screen_published,
            sub_mids: link.sub_mids.clone(),
            uplink: link_state,
            downlink: link_state,
            publishers,
            remote_tracks,
        };
        let report = link.tracker.update(stats, &ctx);
        link.stats_taken += 1;
        if link.stats_taken > 1 {
            self.emit(Event::NetworkQuality(report.network));
            self.emit(Event::Statistics(Box::new(report.statistics)));
        }
    }
}

/// Removes `key` from `list`; whether it was there.
fn take(list: &mut Vec<(String, MediaKind)>, key: &(String, MediaKind)) -> bool {
    let before = list.len();
    list.retain(|k| k != key);
    list.len() != before
}
