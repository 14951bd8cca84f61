//! What is published, what is received, and the offers that carry both.

use super::*;
use crate::quality::{Context, RemoteTrack};
use crate::room_client::RoomEvent;

impl RoomClient {
    /// (audio, video) published as the room should see it: an audience publishes nothing.
    fn effective_publish(&self, role: Role) -> (bool, bool) {
        if role == Role::Audience {
            (false, false)
        } else {
            (self.local.audio, self.local.video)
        }
    }

    /// Tells the server what is published now and puts the local tracks on the upstream
    /// slots; `PUBLISH_STATE_CHANGED` for what starts or stops.
    pub(super) fn sync_publish(&mut self) {
        let Some(role) = self.room.as_ref().map(|r| r.role) else {
            return;
        };
        let (audio, video) = self.effective_publish(role);
        let mutes = (self.local.audio_muted, self.local.video_muted);
        let room = self.room.as_mut().expect("checked");
        let Some(link) = Self::link_mut(&mut room.phase) else {
            return;
        };
        let conn = link.conn;
        let mut fx = Vec::new();
        let mut events = Vec::new();
        let small = video && self.local_small;
        let small_changed = std::mem::replace(&mut link.sent_small, small) != small;
        let changed = std::mem::replace(&mut link.sent_publish, (audio, video)) != (audio, video);
        if changed || small_changed {
            fx.push(Effect::Send {
                conn,
                msg: ClientMsg::Publish {
                    audio,
                    video,
                    small,
                },
            });
        }
        if changed {
            for (kind, on) in [(MediaKind::Audio, audio), (MediaKind::Video, video)] {
                let started = room.published.contains(&kind);
                if on && !started {
                    events.push((kind, PublishState::Starting, PublishState::Stopped, None));
                } else if !on && started {
                    room.published.retain(|k| *k != kind);
                    events.push((
                        kind,
                        PublishState::Stopped,
                        PublishState::Started,
                        Some("api-call"),
                    ));
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
            });
        }
    }

    /// Whether to receive `user_id`'s `kind` when it is available: audio unless the app muted
    /// it (or autoReceiveAudio is off and it did not unmute it); video when the app renders it
    /// (or autoReceiveVideo is on and it did not stop it).
    pub(super) fn wants(&self, user_id: &str, kind: MediaKind) -> bool {
        let Some(room) = self.room.as_ref() else {
            return false;
        };
        match kind {
            MediaKind::Audio => match self.mute.get(user_id).copied().or(self.mute_all) {
                Some(muted) => !muted,
                None => room.config.auto_receive_audio,
            },
            MediaKind::Video => room
                .render
                .get(user_id)
                .copied()
                .unwrap_or(room.config.auto_receive_video),
        }
    }

    pub(super) fn subscribe(&mut self, user_id: &str, kind: MediaKind, on: bool) {
        let small = kind == MediaKind::Video
            && self
                .room
                .as_ref()
                .and_then(|r| r.small.get(user_id).copied())
                .unwrap_or(false);
        if let Some(conn) = self.joined_conn() {
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
    /// receive, the small one or the big one. Kept for the room; while the video is received
    /// the server is told at once (it switches on the new stream's next keyframe).
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

    /// `startRemoteVideo` / `stopRemoteVideo`.
    pub(super) fn remote_video(&mut self, user_id: String, on: bool) {
        let Some(room) = self.room.as_mut() else {
            return;
        };
        let before = room.render.insert(user_id.clone(), on);
        let available = room.users.get(&user_id).is_some_and(|s| s.video);
        let Some(conn) = self.joined_conn() else {
            return;
        };
        if on {
            self.subscribe(&user_id, MediaKind::Video, true);
            self.show_if_ready(conn, &user_id);
        } else {
            if available || before == Some(true) {
                self.subscribe(&user_id, MediaKind::Video, false);
            }
            let room = self.room.as_mut().expect("checked");
            if let Some(link) = Self::link_mut(&mut room.phase) {
                link.shown_video.retain(|u| u != &user_id);
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
            if self.remote(&u).is_some_and(|s| s.audio) {
                let on = self.wants(&u, MediaKind::Audio);
                self.subscribe(&u, MediaKind::Audio, on);
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
        for (user, kind) in &gone {
            link.tracks.remove(&(user.clone(), *kind));
            match kind {
                MediaKind::Audio => {
                    if take(&mut link.playing_audio, user) {
                        fx.push(Effect::StopAudio {
                            user_id: user.clone(),
                        });
                    }
                }
                MediaKind::Video => {
                    if take(&mut link.shown_video, user) {
                        fx.push(Effect::HideVideo {
                            user_id: user.clone(),
                        });
                    }
                }
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
            match kind {
                MediaKind::Audio => self.play_if_ready(conn, &user),
                MediaKind::Video => self.show_if_ready(conn, &user),
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
        let (audio, video) = self.effective_publish(role);
        let room = self.room.as_mut().expect("joined");
        let upstream = Self::link_mut(&mut room.phase)
            .expect("joined")
            .upstream
            .clone();
        let mut started = Vec::new();
        for (kind, on) in [(MediaKind::Audio, audio), (MediaKind::Video, video)] {
            if on && upstream.contains(&kind) && !room.published.contains(&kind) {
                room.published.push(kind);
                started.push(kind);
            }
        }
        for kind in started {
            self.emit(Event::PublishState {
                kind,
                state: PublishState::Started,
                prev: PublishState::Starting,
                reason: None,
            });
        }
    }

    /// Plays a received audio track (every remote audio plays; muting is the element's).
    fn play_if_ready(&mut self, conn: ConnId, user: &str) {
        let Some(link) = self.link_of(conn) else {
            return;
        };
        if link
            .tracks
            .contains_key(&(user.to_string(), MediaKind::Audio))
            && !link.playing_audio.iter().any(|u| u == user)
        {
            link.playing_audio.push(user.to_string());
            self.push(Effect::PlayAudio {
                conn,
                user_id: user.to_string(),
            });
        }
    }

    /// Renders a received video track when the app asked for it.
    fn show_if_ready(&mut self, conn: ConnId, user: &str) {
        let rendering = self
            .room
            .as_ref()
            .is_some_and(|r| r.render.get(user) == Some(&true));
        let Some(link) = self.link_of(conn) else {
            return;
        };
        if rendering
            && link
                .tracks
                .contains_key(&(user.to_string(), MediaKind::Video))
            && !link.shown_video.iter().any(|u| u == user)
        {
            link.shown_video.push(user.to_string());
            self.push(Effect::ShowVideo {
                conn,
                user_id: user.to_string(),
            });
        }
    }

    /// Carries out a room event: a user who exits takes their media with them first.
    pub(super) fn room_event(&mut self, e: RoomEvent) {
        match e {
            RoomEvent::UserEnter(user_id) => self.emit(Event::UserEnter(user_id)),
            RoomEvent::UserExit { user_id, reason } => {
                let room = self.room.as_mut().expect("in a room");
                room.render.remove(&user_id);
                if let Some(link) = Self::link_mut(&mut room.phase) {
                    link.tracks.retain(|(u, _), _| u != &user_id);
                    link.playing_audio.retain(|u| u != &user_id);
                    link.shown_video.retain(|u| u != &user_id);
                }
                self.push(Effect::ForgetUser {
                    user_id: user_id.clone(),
                });
                self.emit(Event::UserExit { user_id, reason });
            }
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

/// Removes `user` from `list`; whether it was there.
fn take(list: &mut Vec<String>, user: &str) -> bool {
    let before = list.len();
    list.retain(|u| u != user);
    list.len() != before
}
