//! The admin actions on rooms (TRTC's `RemoveUser` and `DismissRoom`), all or nothing, and the
//! removal of clients they share with a userId entering a room twice.

use trtc_proto::{kick_reason, RoomId, ServerMsg};

use super::{describe, Auth, ClientId, Effect, ExitReason, MediaCmd, Registry, RoomKey};

/// Why an admin action was refused. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminError {
    /// The app has no such room (no one is in it).
    NoSuchRoom {
        /// The app asked about.
        sdk_app_id: u64,
        /// The room asked for.
        room: RoomId,
    },
    /// These users are not in the room (in the order asked).
    NoSuchUsers {
        /// The room asked about.
        room: RoomId,
        /// The userIds not in it.
        user_ids: Vec<String>,
    },
    /// The request names no user.
    NoUsers,
}

impl std::fmt::Display for AdminError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AdminError::NoSuchRoom { sdk_app_id, room } => write!(
                f,
                "sdkAppId {sdk_app_id} has no room with {} (a room exists while someone is in it; numeric and string room ids are separate)",
                describe(room)
            ),
            AdminError::NoSuchUsers { room, user_ids } => write!(
                f,
                "not in {}: {}; no one was removed",
                describe(room),
                user_ids
                    .iter()
                    .map(|u| format!("{u:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            AdminError::NoUsers => write!(f, "UserIds is empty: name at least one user to remove"),
        }
    }
}

impl std::error::Error for AdminError {}

impl<A: Auth> Registry<A> {
    /// Admin: removes users from a room (TRTC's `RemoveUser`). Each gets
    /// [`ServerMsg::Kicked`] `banned` and its connection is closed; the others see
    /// [`ServerMsg::UserExit`] with reason [`ExitReason::Kicked`]. All or nothing: an unknown
    /// room or user refuses the whole request. Repeated userIds count once.
    pub fn remove_users(
        &mut self,
        sdk_app_id: u64,
        room: &RoomId,
        user_ids: &[String],
    ) -> Result<Vec<Effect>, AdminError> {
        if user_ids.is_empty() {
            return Err(AdminError::NoUsers);
        }
        let key: RoomKey = (sdk_app_id, room.clone());
        let Some(ids) = self.rooms.get(&key) else {
            return Err(AdminError::NoSuchRoom {
                sdk_app_id,
                room: room.clone(),
            });
        };
        let mut clients = Vec::new();
        let mut missing: Vec<String> = Vec::new();
        for (i, user) in user_ids.iter().enumerate() {
            if user_ids[..i].contains(user) {
                continue;
            }
            let found: Vec<ClientId> = ids
                .iter()
                .copied()
                .filter(|c| self.members[c].user_id == *user)
                .collect();
            if found.is_empty() {
                missing.push(user.clone());
            }
            clients.extend(found);
        }
        if !missing.is_empty() {
            return Err(AdminError::NoSuchUsers {
                room: room.clone(),
                user_ids: missing,
            });
        }
        Ok(self.kick(&clients, kick_reason::BANNED))
    }

    /// Admin: dismisses a room (TRTC's `DismissRoom`): every member gets [`ServerMsg::Kicked`]
    /// `room_disband` and its connection is closed; the room is gone.
    pub fn dismiss(&mut self, sdk_app_id: u64, room: &RoomId) -> Result<Vec<Effect>, AdminError> {
        let key: RoomKey = (sdk_app_id, room.clone());
        let Some(ids) = self.rooms.get(&key).cloned() else {
            return Err(AdminError::NoSuchRoom {
                sdk_app_id,
                room: room.clone(),
            });
        };
        Ok(self.kick(&ids, kick_reason::ROOM_DISBAND))
    }

    /// Removes clients from their rooms: each is told [`ServerMsg::Kicked`] with `reason`, its
    /// peer removed and its connection closed; the members who stay see each one exit (reason
    /// [`ExitReason::Kicked`]), and are not told about one another's removal twice.
    pub(super) fn kick(&mut self, clients: &[ClientId], reason: &str) -> Vec<Effect> {
        let mut fx = Vec::new();
        let mut gone = Vec::new();
        for &c in clients {
            let Some(m) = self.remove_member(c) else {
                continue;
            };
            fx.push(Effect::Send(
                c,
                ServerMsg::Kicked {
                    reason: reason.to_string(),
                },
            ));
            if m.peer {
                fx.push(Effect::Media(MediaCmd::RemovePeer { peer: c }));
            }
            fx.push(Effect::Close(c));
            if let Some(ids) = self.rooms.get_mut(&m.room) {
                ids.retain(|x| *x != c);
            }
            gone.push(m);
        }
        for m in gone.iter().filter(|m| m.anchor) {
            for other in self.rooms.get(&m.room).into_iter().flatten() {
                fx.push(Effect::Send(
                    *other,
                    ServerMsg::UserExit {
                        user_id: m.user_id.clone(),
                        reason: ExitReason::Kicked as u8,
                    },
                ));
            }
        }
        for m in &gone {
            if self.rooms.get(&m.room).is_some_and(Vec::is_empty) {
                self.rooms.remove(&m.room);
            }
        }
        fx
    }
}
