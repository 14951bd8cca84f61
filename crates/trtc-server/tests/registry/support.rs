//! What the registry tests share: a fake userSig check, joins, and readers of effects.

pub use trtc_proto::{
    code, ClientMsg, Join, MediaKind, RemoteUser, Role, RoomId, Scene, ServerMsg, PROTOCOL_VERSION,
};
pub use trtc_server::room::{
    AdminError, Apps, Auth, ClientId, Effect, ExitReason, MediaCmd, Registry,
};

/// Accepts a userSig equal to "ok:<userId>".
pub struct FakeAuth;
impl Auth for FakeAuth {
    fn check(&self, _app: u64, user: &str, sig: &str, _now: u64) -> Result<(), (i64, String)> {
        if sig == format!("ok:{user}") {
            Ok(())
        } else {
            Err((code::USER_SIG_INVALID, "bad".into()))
        }
    }
}

pub fn join(user: &str, room: RoomId) -> ClientMsg {
    ClientMsg::Join(Join {
        version: PROTOCOL_VERSION,
        sdk_app_id: 1,
        user_id: user.into(),
        user_sig: format!("ok:{user}"),
        room,
        scene: Default::default(),
        role: Default::default(),
        session: None,
        private_map_key: None,
    })
}

pub fn sent(fx: &[Effect], to: ClientId) -> Vec<ServerMsg> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Send(c, m) if *c == to => Some(m.clone()),
            _ => None,
        })
        .collect()
}

pub fn media(fx: &[Effect]) -> Vec<MediaCmd> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Media(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

/// `(client, user, room)` joined in this order, all in app 1.
pub fn populated(rows: &[(ClientId, &str, RoomId)]) -> Registry<FakeAuth> {
    let mut r = Registry::new(FakeAuth);
    for (c, user, room) in rows {
        let fx = r.handle(*c, join(user, room.clone()), 0);
        assert!(matches!(sent(&fx, *c)[0], ServerMsg::Joined { .. }));
    }
    r
}

pub fn kicked(reason: &str) -> ServerMsg {
    ServerMsg::Kicked {
        reason: reason.into(),
    }
}

pub fn exit(user: &str) -> ServerMsg {
    ServerMsg::UserExit {
        user_id: user.into(),
        reason: ExitReason::Kicked as u8,
    }
}

pub fn closed(fx: &[Effect]) -> Vec<ClientId> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Close(c) => Some(*c),
            _ => None,
        })
        .collect()
}

/// The standard scene: room 8 with a, b, c (clients 1–3); strRoomId "8" with d (4);
/// room 9 with e (5); app 2 is empty.
pub fn scene() -> Registry<FakeAuth> {
    populated(&[
        (1, "a", RoomId::Num(8)),
        (2, "b", RoomId::Num(8)),
        (3, "c", RoomId::Num(8)),
        (4, "d", RoomId::Str("8".into())),
        (5, "e", RoomId::Num(9)),
    ])
}

pub fn live_join(user: &str, room: u32, role: Role) -> ClientMsg {
    ClientMsg::Join(Join {
        version: PROTOCOL_VERSION,
        sdk_app_id: 1,
        user_id: user.into(),
        user_sig: format!("ok:{user}"),
        room: RoomId::Num(room),
        scene: Scene::Live,
        role,
        session: None,
        private_map_key: None,
    })
}

pub fn session_join(user: &str, room: u32, session: &str) -> ClientMsg {
    ClientMsg::Join(Join {
        version: PROTOCOL_VERSION,
        sdk_app_id: 1,
        user_id: user.into(),
        user_sig: format!("ok:{user}"),
        room: RoomId::Num(room),
        scene: Scene::Rtc,
        role: Role::Anchor,
        session: Some(session.into()),
        private_map_key: None,
    })
}

pub fn join_failed_code(fx: &[Effect], client: ClientId) -> Option<i64> {
    match &sent(fx, client)[..] {
        [ServerMsg::JoinFailed { code, message }] => {
            assert!(message.contains("--max-"), "says which cap: {message}");
            Some(*code)
        }
        _ => None,
    }
}
