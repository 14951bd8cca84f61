//! The room client's view of remote users: server messages in, TRTC room events out.
//!
//! Invariants: a user is entered before any of its streams is available; a user's available
//! streams become unavailable before it exits; no event repeats a state already reported.

use crate::vec_map::VecMap;
use trtc_proto::{MediaKind, RemoteUser, ServerMsg};

/// An event for the app, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomEvent {
    /// `REMOTE_USER_ENTER`: this user is now in the room (or became an anchor).
    UserEnter(String),
    /// `REMOTE_USER_EXIT`: this user left; its available streams were reported unavailable first.
    UserExit {
        /// Who left.
        user_id: String,
        /// 0 normal, 1 timeout, 2 kicked, 3 role change (the server's [`ServerMsg::UserExit`]
        /// reason).
        reason: u8,
    },
    /// `REMOTE_AUDIO_AVAILABLE` / `REMOTE_VIDEO_AVAILABLE` or their `_UNAVAILABLE` counterparts.
    Available {
        /// Whose stream.
        user_id: String,
        /// Audio, or the main video.
        kind: MediaKind,
        /// Whether the stream is now published (and unmuted).
        available: bool,
    },
}

/// Which streams a remote user has available now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RemoteStreams {
    /// The user publishes audio.
    pub audio: bool,
    /// The user publishes its main video.
    pub video: bool,
    /// The user shares its screen (the sub stream).
    pub sub_video: bool,
    /// The user's shared screen comes with system audio.
    pub sub_audio: bool,
}

impl RemoteStreams {
    /// Whether the stream of `kind` is available.
    pub fn get(&self, kind: MediaKind) -> bool {
        match kind {
            MediaKind::Audio => self.audio,
            MediaKind::Video => self.video,
            MediaKind::SubVideo => self.sub_video,
            MediaKind::SubAudio => self.sub_audio,
        }
    }
    fn set(&mut self, kind: MediaKind, on: bool) {
        *flag_mut(
            &mut self.audio,
            &mut self.video,
            &mut self.sub_video,
            &mut self.sub_audio,
            kind,
        ) = on;
    }
}

/// The flag of `kind` among a user's four.
fn flag_mut<'a>(
    audio: &'a mut bool,
    video: &'a mut bool,
    sub_video: &'a mut bool,
    sub_audio: &'a mut bool,
    kind: MediaKind,
) -> &'a mut bool {
    match kind {
        MediaKind::Audio => audio,
        MediaKind::Video => video,
        MediaKind::SubVideo => sub_video,
        MediaKind::SubAudio => sub_audio,
    }
}

/// A user's availability flag for `kind`, as a server message carries it.
pub fn user_flag(u: &mut RemoteUser, kind: MediaKind) -> &mut bool {
    flag_mut(
        &mut u.audio,
        &mut u.video,
        &mut u.sub_video,
        &mut u.sub_audio,
        kind,
    )
}

/// Each kind of [`MediaKind::ALL`] with whether `u` has it available.
pub fn user_kinds(u: &RemoteUser) -> [(MediaKind, bool); 4] {
    [
        (MediaKind::Audio, u.audio),
        (MediaKind::Video, u.video),
        (MediaKind::SubVideo, u.sub_video),
        (MediaKind::SubAudio, u.sub_audio),
    ]
}

/// The remote users in the room and their available streams, in order of arrival.
#[derive(Debug, Default)]
pub struct RemoteUsers {
    users: VecMap<String, RemoteStreams>,
}

impl RemoteUsers {
    /// Nobody in the room.
    pub fn new() -> Self {
        Self::default()
    }

    /// The streams of `user_id`; `None` when that user is not in the room.
    pub fn get(&self, user_id: &str) -> Option<RemoteStreams> {
        self.users.get(user_id).copied()
    }

    /// The users in the room, in order of arrival.
    pub fn ids(&self) -> Vec<String> {
        self.users.keys().cloned().collect()
    }

    fn enter(&mut self, u: &RemoteUser, out: &mut Vec<RoomEvent>) {
        if !self.users.contains_key(&u.user_id) {
            self.users
                .insert(u.user_id.clone(), RemoteStreams::default());
            out.push(RoomEvent::UserEnter(u.user_id.clone()));
        }
        for (kind, on) in user_kinds(u) {
            self.availability(&u.user_id, kind, on, out);
        }
    }

    fn availability(&mut self, user_id: &str, kind: MediaKind, on: bool, out: &mut Vec<RoomEvent>) {
        if let Some(s) = self.users.get_mut(user_id) {
            if s.get(kind) != on {
                s.set(kind, on);
                out.push(RoomEvent::Available {
                    user_id: user_id.to_string(),
                    kind,
                    available: on,
                });
            }
        }
    }

    fn exit(&mut self, user_id: &str, reason: u8, out: &mut Vec<RoomEvent>) {
        if !self.users.contains_key(user_id) {
            return;
        }
        for kind in [
            MediaKind::SubVideo,
            MediaKind::SubAudio,
            MediaKind::Video,
            MediaKind::Audio,
        ] {
            self.availability(user_id, kind, false, out);
        }
        self.users.remove(user_id);
        out.push(RoomEvent::UserExit {
            user_id: user_id.to_string(),
            reason,
        });
    }

    /// Applies a server message; returns the events it causes.
    pub fn apply(&mut self, msg: &ServerMsg) -> Vec<RoomEvent> {
        let mut out = Vec::new();
        match msg {
            ServerMsg::Joined { users, .. } => {
                for u in users {
                    self.enter(u, &mut out);
                }
            }
            ServerMsg::UserEnter { user_id } => self.enter(
                &RemoteUser {
                    user_id: user_id.clone(),
                    audio: false,
                    video: false,
                    sub_video: false,
                    sub_audio: false,
                },
                &mut out,
            ),
            ServerMsg::UserExit { user_id, reason } => self.exit(user_id, *reason, &mut out),
            ServerMsg::MediaState {
                user_id,
                kind,
                available,
            } => self.availability(user_id, *kind, *available, &mut out),
            _ => {}
        }
        out
    }

    /// Forgets everyone (the local user left); no events, as trtc-sdk-v5 does on exitRoom.
    pub fn clear(&mut self) {
        self.users.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RoomEvent::*;

    fn avail(u: &str, kind: MediaKind, on: bool) -> RoomEvent {
        Available {
            user_id: u.into(),
            kind,
            available: on,
        }
    }

    #[test]
    fn event_order_table() {
        let mut r = RemoteUsers::new();
        let rows: Vec<(ServerMsg, Vec<RoomEvent>)> = vec![
            (
                ServerMsg::Joined {
                    user_id: "me".into(),
                    users: vec![RemoteUser {
                        user_id: "a".into(),
                        audio: true,
                        video: true,
                        sub_video: false,
                        sub_audio: false,
                    }],
                },
                vec![
                    UserEnter("a".into()),
                    avail("a", MediaKind::Audio, true),
                    avail("a", MediaKind::Video, true),
                ],
            ),
            (
                ServerMsg::UserEnter {
                    user_id: "b".into(),
                },
                vec![UserEnter("b".into())],
            ),
            (
                ServerMsg::UserEnter {
                    user_id: "b".into(),
                },
                vec![],
            ),
            (
                ServerMsg::MediaState {
                    user_id: "b".into(),
                    kind: MediaKind::Video,
                    available: true,
                },
                vec![avail("b", MediaKind::Video, true)],
            ),
            (
                ServerMsg::MediaState {
                    user_id: "b".into(),
                    kind: MediaKind::Video,
                    available: true,
                },
                vec![],
            ),
            (
                ServerMsg::MediaState {
                    user_id: "zed".into(),
                    kind: MediaKind::Video,
                    available: true,
                },
                vec![],
            ),
            (
                ServerMsg::UserExit {
                    user_id: "a".into(),
                    reason: 0,
                },
                vec![
                    avail("a", MediaKind::Video, false),
                    avail("a", MediaKind::Audio, false),
                    UserExit {
                        user_id: "a".into(),
                        reason: 0,
                    },
                ],
            ),
            (
                ServerMsg::UserExit {
                    user_id: "a".into(),
                    reason: 0,
                },
                vec![],
            ),
            (ServerMsg::Pong { seq: 1 }, vec![]),
        ];
        for (i, (msg, want)) in rows.into_iter().enumerate() {
            assert_eq!(r.apply(&msg), want, "row {i}");
        }
        assert_eq!(r.ids(), vec!["b".to_string()]);
        assert_eq!(
            r.get("b"),
            Some(RemoteStreams {
                audio: false,
                video: true,
                ..RemoteStreams::default()
            })
        );
        r.clear();
        assert!(r.ids().is_empty());
    }
}
