//! The live scene: switching between anchor and audience, and emptied live rooms lingering.

use trtc_proto::{code, Role, ServerMsg};

use super::{Auth, ClientId, Effect, ExitReason, Registry, RoomKey};

impl<A: Auth> Registry<A> {
    /// Live scene: to anchor, the user becomes visible (others see it enter) and may publish;
    /// to audience, what it published is withdrawn, then others see it exit (reason 3).
    pub(super) fn switch_role(&mut self, client: ClientId, role: Role) -> Vec<Effect> {
        let m = &self.members[&client];
        if !m.live {
            return vec![Effect::Send(
                client,
                ServerMsg::RoleRefused {
                    code: code::BAD_MESSAGE,
                    message:
                        "switchRole works in the live scene only; this client entered an rtc room"
                            .into(),
                },
            )];
        }
        let answer = Effect::Send(client, ServerMsg::RoleSwitched { role });
        let to_anchor = role == Role::Anchor;
        if m.anchor == to_anchor {
            return vec![answer];
        }
        let others = self.others(client);
        let user_id = m.user_id.clone();
        let mut fx = Vec::new();
        if to_anchor {
            self.members.get_mut(&client).expect("joined").anchor = true;
            for o in &others {
                fx.push(Effect::Send(
                    *o,
                    ServerMsg::UserEnter {
                        user_id: user_id.clone(),
                    },
                ));
            }
        } else {
            fx.extend(self.publish(client, [false; 4], false));
            self.members.get_mut(&client).expect("joined").anchor = false;
            for o in &others {
                fx.push(Effect::Send(
                    *o,
                    ServerMsg::UserExit {
                        user_id: user_id.clone(),
                        reason: ExitReason::RoleChange as u8,
                    },
                ));
            }
        }
        fx.push(answer);
        fx
    }

    pub(super) fn tick_rooms(&mut self, now_unix: u64) {
        let due: Vec<RoomKey> = self
            .lingering
            .iter()
            .filter(|(_, deadline)| now_unix >= **deadline)
            .map(|(k, _)| k.clone())
            .collect();
        for key in due {
            self.lingering.remove(&key);
            if self.rooms.get(&key).is_some_and(Vec::is_empty) {
                self.rooms.remove(&key);
            }
        }
    }
}
