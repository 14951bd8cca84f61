//! The whole signalling path of the server without sockets: `Hub::handle_text_at` (rate gate →
//! `ClientMsg::decode` → userSig check → the room `Registry` → effects), with connects,
//! closes, drops, timer ticks, binary frames and admin removals in between, on a Hub with small
//! caps so every cap is reached. Joins carry real userSigs (signed here, sometimes for the
//! wrong user or app, sometimes expired) so the registry is reached past the auth check; raw
//! frames reach the decoder with anything.
//!
//! Properties, checked after every step: nothing panics (the registry's own indexing asserts
//! its consistency in `rooms()`); no app holds more rooms, and no room more users, than the
//! caps; a userId is in a room at most once.

#![no_main]

use std::collections::{HashMap, HashSet};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use trtc_proto::{ClientMsg, Join, MediaKind, Role, RoomId, Scene, PROTOCOL_VERSION};
use trtc_server::hub::{Hub, Outbox};
use trtc_server::limits::Limits;
use trtc_server::room::Apps;

const APP: u64 = 1_400_000_001;
const KEY: &str = "fuzz-key";
const OTHER_APP: u64 = 1_400_000_002;
const OTHER_KEY: &str = "other-fuzz-key";
const T0_MS: u64 = 1_800_000_000_000;
const MAX_ROOMS: usize = 3;
const MAX_USERS: usize = 3;
const USERS: [&str; 5] = ["alice", "bob", "carol", "dave", ""];

#[derive(Arbitrary, Debug)]
enum Sig {
    Good,
    OtherUser,
    OtherApp,
    Expired,
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum Op {
    /// A raw text frame.
    Text {
        client: u8,
        text: String,
    },
    /// A join built from small vocabularies, with a userSig.
    Join {
        client: u8,
        user: u8,
        other_app: bool,
        room: u8,
        str_room: bool,
        live: bool,
        audience: bool,
        session: Option<u8>,
        sig: Sig,
        version: Option<u32>,
        /// A privateMapKey: any text (the server verifies it with the app's key).
        private_map_key: Option<String>,
    },
    Publish {
        client: u8,
        audio: bool,
        video: bool,
        sub_video: bool,
        sub_audio: bool,
        /// The camera carries a small stream too (`option.small`).
        small: bool,
    },
    Mute {
        client: u8,
        video: bool,
        muted: bool,
    },
    Subscribe {
        client: u8,
        user: u8,
        video: bool,
        on: bool,
        /// The small stream (`option.small` of startRemoteVideo).
        small: bool,
    },
    Answer {
        client: u8,
        sdp: String,
    },
    Leave {
        client: u8,
    },
    SwitchRole {
        client: u8,
        anchor: bool,
        private_map_key: Option<String>,
    },
    Ping {
        client: u8,
        seq: u64,
    },
    Binary {
        client: u8,
    },
    /// Many pings at once (the rate gate).
    Flood {
        client: u8,
        count: u8,
    },
    Advance {
        ms: u16,
    },
    AdvanceSecs {
        secs: u8,
    },
    Tick,
    Connect,
    Disconnect {
        client: u8,
    },
    Dropped {
        client: u8,
    },
    AdminRemove {
        room: u8,
        users: Vec<u8>,
    },
    AdminDismiss {
        room: u8,
    },
}

fn room_id(room: u8, str_room: bool) -> RoomId {
    if str_room {
        RoomId::Str(format!("r{}", room % 5))
    } else {
        // 0 is invalid: refused with BAD_ROOM.
        RoomId::Num(u32::from(room % 6))
    }
}

struct World {
    hub: std::sync::Arc<Hub>,
    clients: Vec<(u64, Outbox)>,
    now_ms: u64,
}

impl World {
    fn client(&self, i: u8) -> Option<u64> {
        if self.clients.is_empty() {
            return None;
        }
        Some(self.clients[usize::from(i) % self.clients.len()].0)
    }

    fn text(&self, i: u8, text: &str) {
        if let Some(c) = self.client(i) {
            self.hub.handle_text_at(c, text, self.now_ms);
        }
    }

    fn remove(&mut self, c: u64) {
        self.clients.retain(|(x, _)| *x != c);
    }

    fn check(&mut self) {
        // Drain what was sent (a client's queue is bounded: one that is not drained is cut off).
        for (_, rx) in &mut self.clients {
            while rx.try_recv().is_ok() {}
        }
        let rooms = self.hub.rooms();
        let mut per_app: HashMap<u64, usize> = HashMap::new();
        for ((app, room), users) in &rooms {
            *per_app.entry(*app).or_default() += 1;
            assert!(users.len() <= MAX_USERS, "{room:?} holds {users:?}");
            let distinct: HashSet<&String> = users.iter().collect();
            assert_eq!(distinct.len(), users.len(), "{room:?} holds {users:?}");
        }
        for (app, n) in per_app {
            assert!(n <= MAX_ROOMS, "app {app} holds {n} rooms");
        }
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let hub = Hub::new(
        Apps::new([(APP, KEY.to_string()), (OTHER_APP, OTHER_KEY.to_string())]),
        None,
        None,
    );
    hub.set_client_timeout(20);
    hub.set_live_linger(5);
    hub.set_limits(Limits {
        max_rooms_per_app: MAX_ROOMS,
        max_users_per_room: MAX_USERS,
        msgs_per_sec: 20,
        msg_burst: 10,
        flood_disconnect_secs: 2,
        max_rooms_per_user: 2,
        room_creations_per_user_per_min: 4,
        ..Limits::default()
    });
    let mut w = World {
        clients: (0..4).map(|_| hub.connect()).collect(),
        hub,
        now_ms: T0_MS,
    };
    for op in ops.into_iter().take(256) {
        match op {
            Op::Text { client, text } => w.text(client, &text),
            Op::Join {
                client,
                user,
                other_app,
                room,
                str_room,
                live,
                audience,
                session,
                sig,
                version,
                private_map_key,
            } => {
                let user_id = USERS[usize::from(user) % USERS.len()].to_string();
                let (app, key) = if other_app {
                    (OTHER_APP, OTHER_KEY)
                } else {
                    (APP, KEY)
                };
                let now = w.now_ms / 1000;
                let user_sig = match sig {
                    Sig::Good => trtc_usersig::sign(app, key, &user_id, 3600, now),
                    Sig::OtherUser => trtc_usersig::sign(app, key, "mallory", 3600, now),
                    Sig::OtherApp => trtc_usersig::sign(app + 7, key, &user_id, 3600, now),
                    Sig::Expired => trtc_usersig::sign(app, key, &user_id, 10, now - 100),
                    Sig::Raw(s) => s,
                };
                let msg = ClientMsg::Join(Join {
                    version: version.unwrap_or(PROTOCOL_VERSION),
                    sdk_app_id: app,
                    user_id,
                    user_sig,
                    room: room_id(room, str_room),
                    scene: if live { Scene::Live } else { Scene::Rtc },
                    role: if audience {
                        Role::Audience
                    } else {
                        Role::Anchor
                    },
                    session: session.map(|s| format!("s{}", s % 4)),
                    private_map_key,
                });
                w.text(client, &msg.encode());
            }
            Op::Publish {
                client,
                audio,
                video,
                sub_video,
                sub_audio,
                small,
            } => w.text(
                client,
                &ClientMsg::Publish {
                    audio,
                    video,
                    sub_video,
                    sub_audio,
                    small,
                }
                .encode(),
            ),
            Op::Mute {
                client,
                video,
                muted,
            } => {
                let kind = if video {
                    MediaKind::Video
                } else {
                    MediaKind::Audio
                };
                w.text(client, &ClientMsg::Mute { kind, muted }.encode())
            }
            Op::Subscribe {
                client,
                user,
                video,
                on,
                small,
            } => {
                let kind = if video {
                    MediaKind::Video
                } else {
                    MediaKind::Audio
                };
                let user_id = USERS[usize::from(user) % USERS.len()].to_string();
                w.text(
                    client,
                    &ClientMsg::Subscribe {
                        user_id,
                        kind,
                        on,
                        small,
                    }
                    .encode(),
                )
            }
            Op::Answer { client, sdp } => w.text(client, &ClientMsg::Answer { sdp }.encode()),
            Op::Leave { client } => w.text(client, &ClientMsg::Leave.encode()),
            Op::SwitchRole {
                client,
                anchor,
                private_map_key,
            } => {
                let role = if anchor { Role::Anchor } else { Role::Audience };
                let msg = ClientMsg::SwitchRole {
                    role,
                    private_map_key,
                };
                w.text(client, &msg.encode())
            }
            Op::Ping { client, seq } => w.text(client, &ClientMsg::Ping { seq }.encode()),
            Op::Binary { client } => {
                if let Some(c) = w.client(client) {
                    w.hub.handle_binary_at(c, w.now_ms);
                }
            }
            Op::Flood { client, count } => {
                let ping = ClientMsg::Ping { seq: 1 }.encode();
                for _ in 0..count {
                    w.text(client, &ping);
                    w.now_ms += 5;
                }
            }
            Op::Advance { ms } => w.now_ms += u64::from(ms),
            Op::AdvanceSecs { secs } => w.now_ms += u64::from(secs) * 1000,
            Op::Tick => w.hub.tick_at(w.now_ms),
            Op::Connect => {
                if w.clients.len() < 16 {
                    let c = w.hub.connect();
                    w.clients.push(c);
                }
            }
            Op::Disconnect { client } => {
                if let Some(c) = w.client(client) {
                    w.hub.disconnect_at(c, w.now_ms);
                    w.remove(c);
                }
            }
            Op::Dropped { client } => {
                if let Some(c) = w.client(client) {
                    w.hub.dropped_at(c, w.now_ms);
                    w.remove(c);
                }
            }
            Op::AdminRemove { room, users } => {
                let users: Vec<String> = users
                    .iter()
                    .take(6)
                    .map(|u| USERS[usize::from(*u) % USERS.len()].to_string())
                    .collect();
                let _ = w
                    .hub
                    .remove_users(APP, &room_id(room, room % 2 == 1), &users);
            }
            Op::AdminDismiss { room } => {
                let _ = w.hub.dismiss_room(APP, &room_id(room, room % 2 == 1));
            }
        }
        w.check();
    }
});
