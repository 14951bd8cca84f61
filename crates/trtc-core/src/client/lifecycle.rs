//! Entering, leaving, losing and regaining the room: the join outcome, heartbeats, the
//! reconnect backoff and the reconcile window.

use super::*;
use crate::error::{extra, ErrorCode};
use crate::reconnect::{server_silent, HEARTBEAT_INTERVAL_MS};
use crate::room::{RoomRef, Scene};
use trtc_proto::{code, RemoteUser};

const ENTER: &str = "enterRoom";
const SWITCH_ROLE: &str = "switchRole";

/// `enterRoom` while in a room, or entering one (5104, `REPEAT_CALL`).
pub fn repeat_enter() -> RtcErrorInfo {
    RtcErrorInfo::new(
        ErrorCode::InvalidOperation,
        Some(extra::REPEAT_CALL),
        ENTER,
        "enterRoom() was called again while in a room (or entering one); call exitRoom() first.",
    )
}

/// How an `enterRoom` or a reconnect attempt ended without joining.
enum JoinFailure {
    /// No answer within [`JOIN_TIMEOUT_MS`].
    TimedOut,
    /// The socket closed (or could not be made: the reason).
    Closed(Option<String>),
    /// The server refused the join.
    Refused { code: i64, message: String },
}

impl RoomClient {
    pub(super) fn enter(
        &mut self,
        op: OpId,
        config: EnterRoomConfig,
        url: String,
        session: String,
        give_up_ms: f64,
        now: f64,
    ) {
        if self.room.is_some() {
            self.push(Effect::Settle {
                op,
                result: Err(repeat_enter()),
            });
            return;
        }
        let role = if config.scene == Scene::Live && config.role == crate::room::Role::Audience {
            Role::Audience
        } else {
            Role::Anchor
        };
        let conn = self.new_conn();
        self.room = Some(Room {
            config,
            url: url.clone(),
            entry_url: url.clone(),
            redirects: 0,
            session,
            give_up_ms,
            role,
            role_switches: VecDeque::new(),
            refused: VecMap::new(),
            sub_waits: Vec::new(),
            phase: Phase::Entering {
                op,
                link: Link::new(conn, now),
                deadline: now + JOIN_TIMEOUT_MS,
            },
            users: RemoteUsers::new(),
            render: VecMap::new(),
            small: VecMap::new(),
            published: Vec::new(),
            starting: Vec::new(),
            reconcile: None,
            media_ever: false,
            media_failures: 0,
            media_down_since: None,
            offered_tcp: false,
            server_turn: false,
        });
        self.connect(conn);
        self.emit(Event::ConnectionState {
            prev: ConnState::Disconnected,
            state: ConnState::Connecting,
            reconnecting: false,
        });
    }

    /// The `join` message for the room (also on every reconnect attempt, with the same session).
    fn join_msg(room: &Room) -> ClientMsg {
        let c = &room.config;
        ClientMsg::Join(trtc_proto::Join {
            version: trtc_proto::PROTOCOL_VERSION,
            sdk_app_id: if c.sdk_app_id.is_finite() && c.sdk_app_id > 0.0 {
                c.sdk_app_id as u64
            } else {
                0
            },
            user_id: c.user_id.clone(),
            user_sig: c.user_sig.clone(),
            room: match &c.room {
                RoomRef::Num(n) => trtc_proto::RoomId::Num(*n),
                RoomRef::Str(s) => trtc_proto::RoomId::Str(s.clone()),
            },
            scene: match c.scene {
                Scene::Rtc => trtc_proto::Scene::Rtc,
                Scene::Live => trtc_proto::Scene::Live,
            },
            role: room.role,
            session: Some(room.session.clone()),
            private_map_key: c.private_map_key.clone(),
        })
    }

    /// The link `conn` names, whatever the phase (entering, joined, or a reconnect attempt).
    pub(super) fn link_of(&mut self, conn: ConnId) -> Option<&mut Link> {
        match &mut self.room.as_mut()?.phase {
            Phase::Entering { link, .. } | Phase::Joined { link } if link.conn == conn => {
                Some(link)
            }
            Phase::Reconnecting {
                attempt: Some((link, _)),
                ..
            } if link.conn == conn => Some(link),
            _ => None,
        }
    }

    pub(super) fn socket_opened(&mut self, conn: ConnId) {
        let Some(link) = self.link_of(conn) else {
            return;
        };
        link.opened = true;
        let room = self.room.as_ref().expect("a link has a room");
        let msg = Self::join_msg(room);
        let user = room.config.user_id.clone();
        self.push(Effect::Send { conn, msg });
        self.log_info(format!("signalling connected; joining as '{user}'"));
    }

    pub(super) fn socket_closed(&mut self, conn: ConnId, error: Option<String>, now: f64) {
        let Some(room) = self.room.as_ref() else {
            return;
        };
        match &room.phase {
            Phase::Entering { link, .. } if link.conn == conn => {
                self.join_failed(JoinFailure::Closed(error), now)
            }
            Phase::Joined { link } if link.conn == conn => {
                self.log_warn("lost the connection to the server; reconnecting");
                self.connection_lost(now);
            }
            Phase::Reconnecting {
                attempt: Some((link, _)),
                ..
            } if link.conn == conn => self.join_failed(JoinFailure::Closed(error), now),
            _ => {}
        }
    }

    pub(super) fn message(&mut self, conn: ConnId, msg: ServerMsg, now: f64) {
        let Some(link) = self.link_of(conn) else {
            return;
        };
        link.last_heard = now;
        match msg {
            ServerMsg::Joined { users, .. } => self.joined(conn, users, now),
            ServerMsg::JoinFailed { code, message } => {
                if !self.is_joined() {
                    self.join_failed(JoinFailure::Refused { code, message }, now);
                }
            }
            ServerMsg::Error { code, message } if code == code::MEDIA_LOST => {
                if self.joined_conn() == Some(conn) {
                    self.log_warn(format!("the server lost our media connection: {message}"));
                    self.media_lost(now);
                }
            }
            ServerMsg::Error { code, message } => {
                self.log_warn(format!("the server refused a message ({code}): {message}"));
            }
            ServerMsg::Kicked { reason } => {
                if self.joined_conn() == Some(conn) {
                    self.leave(Leaving::Kicked(reason));
                }
            }
            ServerMsg::Offer { sdp, slots } => {
                if crate::text::contains(&sdp, " tcp ") || crate::text::contains(&sdp, " TCP ") {
                    if let Some(room) = self.room.as_mut() {
                        room.offered_tcp = true;
                    }
                }
                if let Some(link) = self.link_of(conn) {
                    link.offers.push_back((sdp, slots));
                }
                self.apply_next_offer(conn);
            }
            ServerMsg::IceServers { mut servers } => {
                let Some(room) = self.room.as_mut() else {
                    return;
                };
                // The app's own relays win; a server's are used only when it configured none.
                if !room.config.ice.servers.is_empty() || servers.is_empty() {
                    return;
                }
                servers.truncate(trtc_proto::MAX_ICE_SERVERS);
                room.server_turn = true;
                let ice = crate::room::IceConfig {
                    servers,
                    relay_only: room.config.ice.relay_only,
                };
                self.push(Effect::SetIce { conn, ice });
            }
            ServerMsg::Custom {
                user_id,
                cmd_id,
                seq,
                data,
            } => {
                if self.joined_conn() == Some(conn) {
                    self.custom_received(user_id, cmd_id, seq, &data);
                }
            }
            // The preconnection's answer, read before the socket was handed over.
            ServerMsg::Pong { seq } => self.ponged(conn, seq),
            ServerMsg::Preconnected { .. } => {}
            ServerMsg::RoleSwitched { role } => {
                if self.joined_conn() == Some(conn) {
                    self.role_answer(Ok(role));
                }
            }
            ServerMsg::RoleRefused { code, message } => {
                if self.joined_conn() == Some(conn) {
                    self.role_answer(Err((code, message)));
                }
            }
            ServerMsg::SubscribeRefused {
                user_id,
                kind,
                code,
                message,
            } => {
                if self.joined_conn() == Some(conn) {
                    self.subscribe_refused(&user_id, kind, code, &message);
                }
            }
            ServerMsg::PublishRefused { code, message } => {
                if self.joined_conn() == Some(conn) {
                    self.publish_refused(code, &message);
                }
            }
            ServerMsg::Redirect { url } => self.redirected(conn, url, now),
            msg @ (ServerMsg::UserEnter { .. }
            | ServerMsg::UserExit { .. }
            | ServerMsg::MediaState { .. }) => {
                if self.joined_conn() == Some(conn) {
                    self.room_message(msg);
                }
            }
        }
    }

    /// The server accepted the join on `conn` (the first, or a reconnect attempt).
    fn joined(&mut self, conn: ConnId, users: Vec<RemoteUser>, now: f64) {
        let room = self.room.as_mut().expect("a link has a room");
        let placeholder = Phase::Reconnecting {
            policy: Reconnect::new(now, 0.0),
            attempt: None,
            next_attempt: f64::INFINITY,
            next_down_report: f64::INFINITY,
        };
        let (mut link, op, attempts) = match std::mem::replace(&mut room.phase, placeholder) {
            Phase::Entering { op, link, .. } if link.conn == conn => (link, Some(op), 0),
            Phase::Reconnecting {
                attempt: Some((link, _)),
                policy,
                ..
            } if link.conn == conn => (link, None, policy.attempts()),
            other => {
                // Already joined on this link: a repeated answer changes nothing.
                room.phase = other;
                return;
            }
        };
        link.last_heard = now;
        link.next_ping = now + f64::from(HEARTBEAT_INTERVAL_MS);
        link.next_stats = now + f64::from(crate::quality::INTERVAL_MS);
        room.phase = Phase::Joined { link };
        room.redirects = 0;
        match op {
            Some(op) => self.push(Effect::Settle { op, result: Ok(()) }),
            None => self.log_info(format!("reconnected after {attempts} attempt(s)")),
        }
        self.emit(Event::ConnectionState {
            prev: ConnState::Connecting,
            state: ConnState::Connected,
            reconnecting: false,
        });
        // The first statistics snapshot is the baseline of the later ones.
        self.push(Effect::CollectStats { conn });
        self.resend_role_switches(conn);
        // Subscriptions asked on a lost connection are asked again now (a refusal is logged).
        self.settle_sub_waits(&|_, _, c, _| c != conn, Ok(()));
        self.sync_publish();
        self.apply_joined(users, op.is_none(), now);
    }

    /// The users of a `joined` answer. After a reconnection, users and streams we knew that are
    /// not in it (yet) get [`RECONCILE_WINDOW_MS`] to come back before they are reported gone,
    /// so a server restart, where everyone re-joins and re-publishes, flickers nothing.
    fn apply_joined(&mut self, users: Vec<RemoteUser>, reconnected: bool, now: f64) {
        let room = self.room.as_mut().expect("joined");
        let mut effective = users.clone();
        if reconnected {
            let mut rec = room.reconcile.take().unwrap_or_default();
            rec.deadline = now + RECONCILE_WINDOW_MS;
            for known in room.users.ids() {
                let Some(was) = room.users.get(&known) else {
                    continue;
                };
                match effective.iter_mut().find(|u| u.user_id == known) {
                    None => {
                        if !rec.users.contains(&known) {
                            rec.users.push(known);
                        }
                    }
                    Some(u) => {
                        rec.users.retain(|x| x != &known);
                        for kind in MediaKind::ALL {
                            let now_on = crate::room_client::user_flag(u, kind);
                            let key = (known.clone(), kind);
                            if was.get(kind) && !*now_on {
                                *now_on = true;
                                if !rec.streams.contains(&key) {
                                    rec.streams.push(key);
                                }
                            } else {
                                rec.streams.retain(|s| s != &key);
                            }
                        }
                    }
                }
            }
            if !rec.users.is_empty() || !rec.streams.is_empty() {
                room.reconcile = Some(rec);
            }
        }
        // Receive what is there now (again, after a reconnection).
        for u in &users {
            for (kind, on) in crate::room_client::user_kinds(u) {
                if on && self.wants(&u.user_id, kind) {
                    self.subscribe(&u.user_id, kind, true);
                }
            }
        }
        let room = self.room.as_mut().expect("joined");
        let events = room.users.apply(&ServerMsg::Joined {
            user_id: String::new(),
            users: effective,
        });
        for e in events {
            self.room_event(e);
        }
    }

    /// A user or stream message of the joined room.
    fn room_message(&mut self, msg: ServerMsg) {
        let room = self.room.as_mut().expect("joined");
        if let Some(rec) = room.reconcile.as_mut() {
            match &msg {
                ServerMsg::UserEnter { user_id } => {
                    rec.users.retain(|u| u != user_id);
                    if let Some(was) = room.users.get(user_id) {
                        // A user we knew, entering a restarted server afresh: its streams come
                        // back when it publishes again; until then they stay as they were.
                        for kind in MediaKind::ALL {
                            let key = (user_id.clone(), kind);
                            if was.get(kind) && !rec.streams.contains(&key) {
                                rec.streams.push(key);
                            }
                        }
                        return;
                    }
                }
                ServerMsg::MediaState { user_id, kind, .. } => {
                    rec.users.retain(|u| u != user_id);
                    rec.streams.retain(|s| !(&s.0 == user_id && s.1 == *kind));
                }
                ServerMsg::UserExit { user_id, .. } => {
                    rec.users.retain(|u| u != user_id);
                    rec.streams.retain(|s| &s.0 != user_id);
                }
                _ => {}
            }
        }
        if let ServerMsg::MediaState {
            user_id,
            kind,
            available: true,
        } = &msg
        {
            if self.wants(user_id, *kind) {
                self.subscribe(user_id, *kind, true);
            }
        }
        let room = self.room.as_mut().expect("joined");
        let events = room.users.apply(&msg);
        for e in events {
            self.room_event(e);
        }
    }

    /// The connection of the joined room was lost: reconnect in the background.
    pub(super) fn connection_lost(&mut self, now: f64) {
        let Some(room) = self.room.as_mut() else {
            return;
        };
        let Phase::Joined { link } = &room.phase else {
            return;
        };
        let conn = link.conn;
        let mut policy = Reconnect::new(now, room.give_up_ms);
        let first = policy.next_delay(now);
        room.phase = Phase::Reconnecting {
            policy,
            attempt: None,
            next_attempt: first.map_or(f64::INFINITY, |d| now + d),
            next_down_report: now + f64::from(crate::quality::INTERVAL_MS),
        };
        self.push(Effect::Disconnect {
            conn,
            reconnecting: true,
        });
        self.emit(Event::ConnectionState {
            prev: ConnState::Connected,
            state: ConnState::Connecting,
            reconnecting: true,
        });
        self.report_down();
        match first {
            None => self.give_up("the server could not be reached again in time"),
            // The first attempt goes at once, after the old connection is closed.
            Some(d) if d <= 0.0 => self.start_attempt(now),
            Some(_) => {}
        }
    }

    /// The media connection of `conn` is up: the room's media works.
    pub(super) fn media_connected(&mut self, conn: ConnId) {
        let Some(link) = self.link_of(conn) else {
            return;
        };
        link.media_connected = true;
        link.media_deadline = f64::INFINITY;
        let room = self.room.as_mut().expect("a link has a room");
        room.media_ever = true;
        room.media_failures = 0;
        room.media_down_since = None;
    }

    /// The joined connection's media failed (the browser or the server says so, or it did not
    /// connect in time). If this room's media never worked, a few such joins mean no path gets
    /// through: [`FIREWALL_RESTRICTION`]; otherwise reconnect as for any lost connection.
    pub(super) fn media_lost(&mut self, now: f64) {
        let Some(room) = self.room.as_mut() else {
            return;
        };
        let Phase::Joined { link } = &room.phase else {
            return;
        };
        let down_since = *room.media_down_since.get_or_insert(now);
        if link.media_connected || room.media_ever {
            // Signalling keeps working while media does not: give up after the same time as
            // for a lost connection, instead of joining again for ever.
            if now - down_since >= room.give_up_ms {
                self.give_up("the media connection could not be established again in time");
            } else {
                self.connection_lost(now);
            }
            return;
        }
        room.media_failures += 1;
        if room.media_failures < MEDIA_ATTEMPTS {
            self.log_warn("the media connection did not connect; trying again");
            self.connection_lost(now);
            return;
        }
        let err = RtcErrorInfo::new(
            ErrorCode::OperationFailed,
            Some(FIREWALL_RESTRICTION),
            "",
            &firewall_message(room),
        );
        self.leave(Leaving::GaveUp(err));
    }

    /// NETWORK_QUALITY while the connection is down: 6 (disconnected) both ways.
    fn report_down(&mut self) {
        self.emit(Event::NetworkQuality(
            crate::quality::NetworkQuality::disconnected(),
        ));
    }

    fn join_failed(&mut self, why: JoinFailure, now: f64) {
        let Some(room) = self.room.as_mut() else {
            return;
        };
        match &mut room.phase {
            Phase::Entering { .. } => {
                let url = room.url.clone();
                let info = match why {
                    JoinFailure::TimedOut => RtcErrorInfo::new(
                        ErrorCode::OperationFailed,
                        None,
                        ENTER,
                        &format!("enterRoom() failed: no answer from the signalling server at {url} within {} s. Check that trtc-server runs there and 'proxy' points to it.", JOIN_TIMEOUT_MS as u32 / 1000),
                    ),
                    JoinFailure::Closed(Some(_)) => RtcErrorInfo::invalid_parameter(
                        extra::TYPE,
                        ENTER,
                        &format!("the signalling URL '{url}' is not a valid WebSocket URL; check 'proxy'"),
                    ),
                    JoinFailure::Closed(None) => RtcErrorInfo::new(
                        ErrorCode::OperationFailed,
                        None,
                        ENTER,
                        &format!("enterRoom() failed: cannot reach the signalling server at {url}. Check that trtc-server runs there and 'proxy' points to it."),
                    ),
                    JoinFailure::Refused { code, message } => RtcErrorInfo::new(
                        ErrorCode::ServerError,
                        Some(code as i32),
                        ENTER,
                        &format!("enterRoom() failed: {message}"),
                    ),
                };
                self.leave(Leaving::EnterFailed(info));
            }
            Phase::Reconnecting {
                attempt, policy, ..
            } => {
                let Some((link, _)) = attempt.take() else {
                    return;
                };
                let next = policy.next_delay(now);
                if let Phase::Reconnecting { next_attempt, .. } = &mut room.phase {
                    *next_attempt = next.map_or(f64::INFINITY, |d| now + d);
                }
                self.push(Effect::Disconnect {
                    conn: link.conn,
                    reconnecting: true,
                });
                match why {
                    JoinFailure::Refused { code, message } => {
                        // The server refuses this user now (e.g. the userSig expired).
                        self.give_up(&format!("the server refused to rejoin ({code}): {message}"))
                    }
                    _ if next.is_none() => {
                        self.give_up("the server could not be reached again in time")
                    }
                    _ => {}
                }
            }
            Phase::Joined { .. } => {}
        }
    }

    /// Reconnection failed for good: an `ERROR` event, then the room is left.
    fn give_up(&mut self, why: &str) {
        let err = RtcErrorInfo::new(
            ErrorCode::OperationFailed,
            Some(REJOIN_FAILED),
            "",
            &format!("Lost the connection to the room and could not rejoin: {why}. Call enterRoom() again when the network is back."),
        );
        self.leave(Leaving::GaveUp(err));
    }

    pub(super) fn exit(&mut self, op: Option<OpId>, cause: ExitCause) {
        if self.room.is_some() {
            self.leave(Leaving::Exit(cause));
        }
        if let Some(op) = op {
            self.push(Effect::Settle { op, result: Ok(()) });
        }
    }

    /// Leaves the room: closes its connections, reports what stopped, settles a pending
    /// `enterRoom`, and drops the room's effects not yet carried out.
    fn leave(&mut self, how: Leaving) {
        let Some(room) = self.room.take() else {
            return;
        };
        // An app handler may leave while earlier effects of the room wait: they are moot now.
        // If the room's first CONNECTING was not delivered yet, no state change is reported.
        let connecting_undelivered = self.out.iter().any(|e| {
            matches!(
                e,
                Effect::Emit(Event::ConnectionState {
                    prev: ConnState::Disconnected,
                    ..
                })
            )
        });
        self.out.retain(Effect::survives_leave);
        let (prev, link, attempt, enter_op) = match room.phase {
            Phase::Entering { op, link, .. } => (ConnState::Connecting, Some(link), None, Some(op)),
            Phase::Joined { link } => (ConnState::Connected, Some(link), None, None),
            Phase::Reconnecting { attempt, .. } => {
                (ConnState::Connecting, None, attempt.map(|a| a.0), None)
            }
        };
        if let (Some(l), Leaving::Exit(_)) = (&link, &how) {
            if l.opened {
                self.push(Effect::Send {
                    conn: l.conn,
                    msg: ClientMsg::Leave,
                });
            }
        }
        for l in link.iter().chain(attempt.iter()) {
            self.push(Effect::Disconnect {
                conn: l.conn,
                reconnecting: false,
            });
        }
        if let Some(op) = enter_op {
            let err = match &how {
                Leaving::EnterFailed(info) => info.clone(),
                Leaving::Exit(ExitCause::Destroy) => RtcErrorInfo::destroyed(ENTER),
                _ => RtcErrorInfo::abort(ENTER, "exitRoom was called"),
            };
            self.push(Effect::Settle {
                op,
                result: Err(err),
            });
        }
        for (op, ..) in room.sub_waits {
            self.push(Effect::Settle {
                op,
                result: Err(RtcErrorInfo::abort(
                    "startRemoteVideo",
                    "the room was left before the server answered",
                )),
            });
        }
        for switch in room.role_switches {
            let err = match &how {
                Leaving::Exit(ExitCause::Destroy) => RtcErrorInfo::destroyed(SWITCH_ROLE),
                _ => {
                    RtcErrorInfo::abort(SWITCH_ROLE, "the room was left before the server answered")
                }
            };
            self.push(Effect::Settle {
                op: switch.op,
                result: Err(err),
            });
        }
        for kind in room.published {
            self.emit(Event::PublishState {
                kind,
                state: PublishState::Stopped,
                prev: PublishState::Started,
                reason: Some("api-call"),
                error: None,
            });
        }
        if !connecting_undelivered {
            self.emit(Event::ConnectionState {
                prev,
                state: ConnState::Disconnected,
                reconnecting: false,
            });
        }
        match how {
            Leaving::Kicked(reason) => self.emit(Event::Kicked(reason)),
            Leaving::GaveUp(err) => self.emit(Event::Error(err)),
            Leaving::Exit(_) | Leaving::EnterFailed(_) => {}
        }
    }

    /// `switchRole`: asks the server, which answers [`ServerMsg::RoleSwitched`] or
    /// [`ServerMsg::RoleRefused`]; the role changes (and publishing follows it) on the answer.
    pub(super) fn switch_role(&mut self, op: OpId, role: Role, private_map_key: Option<String>) {
        let Some(room) = self.room.as_mut() else {
            self.push(Effect::Settle {
                op,
                result: Err(RtcErrorInfo::abort(SWITCH_ROLE, "not in a room")),
            });
            return;
        };
        if room.config.scene != Scene::Live {
            self.log_warn("switchRole() has no effect in the rtc scene");
            self.push(Effect::Settle { op, result: Ok(()) });
            return;
        }
        let will_be = room.role_switches.back().map_or(room.role, |s| s.role);
        if will_be == role && private_map_key.is_none() {
            self.push(Effect::Settle { op, result: Ok(()) });
            return;
        }
        let conn = match &room.phase {
            Phase::Entering { link, .. } | Phase::Joined { link } => Some(link.conn),
            Phase::Reconnecting { attempt, .. } => attempt.as_ref().map(|a| a.0.conn),
        };
        room.role_switches.push_back(RoleSwitch {
            op,
            role,
            private_map_key: private_map_key.clone(),
            sent_on: conn,
        });
        if let Some(conn) = conn {
            self.push(Effect::Send {
                conn,
                msg: ClientMsg::SwitchRole {
                    role,
                    private_map_key,
                },
            });
        }
    }

    /// The server's answer to the oldest `switchRole` sent: `Ok(role)` held now, or refused.
    fn role_answer(&mut self, answer: Result<Role, (i64, String)>) {
        let Some(room) = self.room.as_mut() else {
            return;
        };
        let Some(switch) = room.role_switches.pop_front() else {
            return;
        };
        match answer {
            Ok(role) => {
                room.role = role;
                if let Some(key) = switch.private_map_key {
                    room.config.private_map_key = Some(key);
                    // The new key's rights may allow what the old one did not.
                    let refused: Vec<_> = room.refused.drain().map(|(k, _)| k).collect();
                    for (user_id, kind) in refused {
                        let available = self
                            .room
                            .as_ref()
                            .and_then(|r| r.users.get(&user_id))
                            .is_some_and(|s| s.get(kind));
                        if available && self.wants(&user_id, kind) {
                            self.subscribe(&user_id, kind, true);
                        }
                    }
                }
                self.push(Effect::Settle {
                    op: switch.op,
                    result: Ok(()),
                });
                self.sync_publish();
            }
            Err((code, message)) => {
                self.log_warn(format!("the server refused switchRole: {message}"));
                self.push(Effect::Settle {
                    op: switch.op,
                    result: Err(RtcErrorInfo::new(
                        crate::error::ErrorCode::ServerError,
                        i32::try_from(code).ok(),
                        SWITCH_ROLE,
                        &format!("switchRole() was refused by the server ({code}): {message}"),
                    )),
                });
            }
        }
    }

    /// After a (re)join on `conn`: the role switches not answered go again, in order (the
    /// join carried the role held before them).
    fn resend_role_switches(&mut self, conn: ConnId) {
        let Some(room) = self.room.as_mut() else {
            return;
        };
        let mut msgs = Vec::new();
        for s in room.role_switches.iter_mut() {
            if s.sent_on != Some(conn) {
                s.sent_on = Some(conn);
                msgs.push(ClientMsg::SwitchRole {
                    role: s.role,
                    private_map_key: s.private_map_key.clone(),
                });
            }
        }
        for msg in msgs {
            self.push(Effect::Send { conn, msg });
        }
    }

    pub(super) fn timer(&mut self, now: f64) {
        self.reconcile_due(now);
        let Some(room) = self.room.as_mut() else {
            return;
        };
        match &mut room.phase {
            Phase::Entering { deadline, .. } => {
                if now >= *deadline {
                    self.join_failed(JoinFailure::TimedOut, now);
                }
            }
            Phase::Joined { link } => {
                let conn = link.conn;
                if now >= link.media_deadline {
                    link.media_deadline = f64::INFINITY;
                    self.log_warn("the media connection did not connect in time");
                    self.media_lost(now);
                    return;
                }
                let Some(Phase::Joined { link }) = self.room.as_mut().map(|r| &mut r.phase) else {
                    return;
                };
                if now >= link.next_stats {
                    link.next_stats = now + f64::from(crate::quality::INTERVAL_MS);
                    self.push(Effect::CollectStats { conn });
                }
                let Some(Phase::Joined { link }) = self.room.as_mut().map(|r| &mut r.phase) else {
                    return;
                };
                if now >= link.next_ping {
                    if server_silent(now, link.last_heard) {
                        self.log_warn("no word from the server for too long; reconnecting");
                        self.connection_lost(now);
                        return;
                    }
                    link.next_ping = now + f64::from(HEARTBEAT_INTERVAL_MS);
                    link.ping_seq += 1;
                    let seq = link.ping_seq;
                    self.push(Effect::Send {
                        conn,
                        msg: ClientMsg::Ping { seq },
                    });
                }
            }
            Phase::Reconnecting {
                attempt,
                next_attempt,
                next_down_report,
                ..
            } => {
                let report = now >= *next_down_report;
                if report {
                    *next_down_report = now + f64::from(crate::quality::INTERVAL_MS);
                }
                let timed_out = matches!(attempt, Some((_, deadline)) if now >= *deadline);
                let start = attempt.is_none() && now >= *next_attempt;
                if report {
                    self.report_down();
                }
                if timed_out {
                    self.log_warn("a reconnect attempt got no answer in time");
                    self.join_failed(JoinFailure::TimedOut, now);
                } else if start {
                    self.start_attempt(now);
                }
            }
        }
    }

    fn start_attempt(&mut self, now: f64) {
        let conn = self.new_conn();
        let Some(room) = self.room.as_mut() else {
            return;
        };
        let Phase::Reconnecting { attempt, .. } = &mut room.phase else {
            return;
        };
        *attempt = Some((Link::new(conn, now), now + JOIN_TIMEOUT_MS));
        // Each attempt starts where enterRoom was pointed: the node the room was on may be gone,
        // and a cluster redirects to the room's node (another one, once it took the room over).
        room.redirects = 0;
        room.url = room.entry_url.clone();
        self.connect(conn);
    }

    /// Opens `conn` to the room's signalling URL (one copy in the wasm for its three callers).
    #[inline(never)]
    fn connect(&mut self, conn: ConnId) {
        let Some(room) = self.room.as_ref() else {
            return;
        };
        let url = room.url.clone();
        let ice = room.config.ice.clone();
        self.push(Effect::Connect { conn, url, ice });
    }

    /// A cluster node sent the join on `conn` to the room's node at `url`: join there (a URL of
    /// the right shape, [`MAX_REDIRECTS`] times in a row at most), in place of `conn`. A
    /// redirect not followed is logged; the server's close then fails the join as usual.
    fn redirected(&mut self, conn: ConnId, url: String, now: f64) {
        let next = self.next_conn + 1;
        let Some(room) = self.room.as_mut() else {
            return;
        };
        if room.redirects >= MAX_REDIRECTS || !trtc_proto::valid_redirect_url(&url) {
            // Not followed: the server's close then ends this join as usual.
            return;
        }
        let (link, deadline) = match &mut room.phase {
            Phase::Entering { link, deadline, .. }
            | Phase::Reconnecting {
                attempt: Some((link, deadline)),
                ..
            } if link.conn == conn => (link, deadline),
            _ => return,
        };
        *link = Link::new(next, now);
        *deadline = now + JOIN_TIMEOUT_MS;
        room.redirects += 1;
        room.url = url;
        let new = self.new_conn();
        debug_assert_eq!(new, next);
        self.push(Effect::Disconnect {
            conn,
            reconnecting: true,
        });
        self.connect(new);
    }

    /// The reconcile window ended: what did not come back is reported gone.
    fn reconcile_due(&mut self, now: f64) {
        let Some(room) = self.room.as_mut() else {
            return;
        };
        if !room.reconcile.as_ref().is_some_and(|r| now >= r.deadline) {
            return;
        }
        let rec = room.reconcile.take().expect("checked");
        let mut events = Vec::new();
        for (user_id, kind) in rec.streams {
            events.extend(room.users.apply(&ServerMsg::MediaState {
                user_id,
                kind,
                available: false,
            }));
        }
        for user_id in rec.users {
            events.extend(
                room.users
                    .apply(&ServerMsg::UserExit { user_id, reason: 1 }),
            );
        }
        for e in events {
            self.room_event(e);
        }
    }
}

/// How the room is being left.
enum Leaving {
    Exit(ExitCause),
    Kicked(String),
    GaveUp(RtcErrorInfo),
    EnterFailed(RtcErrorInfo),
}

/// What the 5501 error says: what was tried, and what to configure.
fn firewall_message(room: &Room) -> String {
    let ice = &room.config.ice;
    let relays: Vec<&str> = ice
        .servers
        .iter()
        .flat_map(|s| s.urls.iter().map(String::as_str))
        .collect();
    let turn = if !relays.is_empty() {
        format!("through the TURN relay(s) {}", relays.join(", "))
    } else if room.server_turn {
        "through the TURN relay(s) the server issued".to_string()
    } else {
        String::new()
    };
    let tried = if ice.relay_only {
        if turn.is_empty() {
            "only through TURN relays (iceTransportPolicy 'relay'), but none is configured"
                .to_string()
        } else {
            format!("only {turn} (iceTransportPolicy 'relay')")
        }
    } else {
        let direct = if room.offered_tcp {
            "directly over UDP and TCP"
        } else {
            "directly over UDP (the server offered no TCP)"
        };
        if turn.is_empty() {
            format!("{direct}, with no TURN relay configured")
        } else {
            format!("{direct}, and {turn}")
        }
    };
    format!("The media connection to the server could not be established {tried}, {MEDIA_ATTEMPTS} attempts of {} s each: a firewall blocks it. Allow UDP (or TCP) to the server's media port, or relay through a TURN server that is reachable (enterRoom's proxy.turnServer, or trtc-server's --turn-url and --turn-secret).", MEDIA_CONNECT_TIMEOUT_MS as u32 / 1000)
}
