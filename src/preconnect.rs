//! `callExperimentalAPI('preconnect')`: the signalling socket opened before `enterRoom`. It
//! proves the user to the server (`ClientMsg::Preconnect`), which then keeps it open for the
//! `join` (`ServerMsg::Preconnected`); `enterRoom` as the same user through the same server takes
//! it over instead of opening one ([`crate::room::RoomDriver`]), so the room is entered without
//! waiting for a connection.
//!
//! Owned by the room driver's slot: dropping a [`Preconnection`] removes its listeners and
//! closes its socket, unless `enterRoom` took the socket ([`Preconnection::into_socket`]). A
//! socket the server closed (its keep time is up, or the server made room) is simply not taken:
//! `enterRoom` connects by itself.

use std::cell::Cell;
use std::rc::Rc;

use trtc_core::error::{ErrorCode, RtcErrorInfo};
use trtc_core::experimental::{preconnect_answer, Preconnect, FN};
use trtc_proto::{ClientMsg, PROTOCOL_VERSION};
use web_sys::WebSocket;

use crate::listener::Listener;
use crate::oneshot;
use crate::value::get;

/// How long the server has to answer the proof.
const ANSWER_MS: u32 = 10_000;

/// The outcome of the proof: kept for this many ms, or the error to reject with.
pub type Answer = Result<u64, RtcErrorInfo>;

pub struct Preconnection {
    /// Whom it is for.
    pub target: Preconnect,
    /// Where it goes.
    pub url: String,
    /// `None` once taken by `enterRoom`.
    ws: Option<WebSocket>,
    shared: Rc<Shared>,
    listeners: Vec<Listener>,
    _timeout: gloo_timers::callback::Timeout,
}

/// What the socket's listeners and the answer's timeout share.
struct Shared {
    ws: WebSocket,
    /// The `preconnect` message.
    proof: String,
    url: String,
    /// The server keeps the socket (its answer came).
    kept: Cell<bool>,
    /// Until the answer.
    tx: Cell<Option<oneshot::Sender<Answer>>>,
}

impl Shared {
    fn settle(&self, answer: Answer) {
        self.kept.set(answer.is_ok());
        if let Some(tx) = self.tx.take() {
            tx.send(answer);
        }
    }

    fn failed(&self, why: &str) {
        if self.kept.get() {
            return;
        }
        self.settle(Err(RtcErrorInfo::new(
            ErrorCode::OperationFailed,
            None,
            FN,
            &format!(
                "callExperimentalAPI('preconnect') failed: {why} the signalling server at {}. Check that trtc-server runs there and 'proxy' points to it.",
                self.url
            ),
        )));
    }

    /// A socket event; `None`: the time for the answer is up.
    fn on(&self, ev: Option<web_sys::Event>) {
        let Some(ev) = ev else {
            return self.failed(&format!("no answer within {} s from", ANSWER_MS / 1000));
        };
        match ev.type_().as_str() {
            "open" => {
                let _ = self.ws.send_with_str(&self.proof);
            }
            "message" => {
                let text = get(&ev, "data").as_string().unwrap_or_default();
                let answer = crate::wire::decode(&text)
                    .ok()
                    .and_then(|m| preconnect_answer(&m));
                if let Some(answer) = answer {
                    self.settle(answer);
                }
            }
            _ => self.failed("cannot reach"),
        }
    }
}

impl Preconnection {
    /// Opens the socket to `url` and sends the proof; the receiver gets the server's answer (or
    /// `None` when this preconnection was dropped first).
    pub fn open(
        target: Preconnect,
        url: String,
    ) -> Result<(Preconnection, oneshot::Receiver<Answer>), wasm_bindgen::JsValue> {
        let ws = WebSocket::new(&url)?;
        let (tx, rx) = oneshot::channel();
        let shared = Rc::new(Shared {
            ws: ws.clone(),
            proof: ClientMsg::Preconnect {
                version: PROTOCOL_VERSION,
                sdk_app_id: target.sdk_app_id as u64,
                user_id: target.user_id.clone(),
                user_sig: target.user_sig.clone(),
            }
            .to_json(),
            url: url.clone(),
            kept: Cell::new(false),
            tx: Cell::new(Some(tx)),
        });
        let listeners = ["open", "message", "close"]
            .into_iter()
            .map(|kind| {
                let s = shared.clone();
                Listener::new(&ws, kind, move |ev| s.on(Some(ev)))
            })
            .collect();
        let s = shared.clone();
        let timeout = gloo_timers::callback::Timeout::new(ANSWER_MS, move || s.on(None));
        Ok((
            Preconnection {
                target,
                url,
                ws: Some(ws),
                shared,
                listeners,
                _timeout: timeout,
            },
            rx,
        ))
    }

    /// Whether `enterRoom` can take the socket now: the server keeps it and it is open.
    pub fn usable(&self) -> bool {
        self.shared.kept.get()
            && self
                .ws
                .as_ref()
                .is_some_and(|ws| ws.ready_state() == WebSocket::OPEN)
    }

    /// The open socket, for `enterRoom`; this preconnection's listeners go.
    pub fn into_socket(mut self) -> Option<WebSocket> {
        self.listeners.clear();
        self.ws.take()
    }
}

impl Drop for Preconnection {
    fn drop(&mut self) {
        self.listeners.clear();
        if let Some(ws) = self.ws.take() {
            let _ = ws.close();
        }
    }
}
