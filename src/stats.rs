//! `NETWORK_QUALITY` and `STATISTICS`: every 2 s while in a room, `getStats()` on the room's
//! peer connection, turned into both payloads by `trtc_core::quality::Tracker`.
//!
//! The [`StatsLoop`] is owned by the room's `RoomConn` from the moment `enterRoom` resolves; the
//! room drops it when it closes (exitRoom, destroy, kick, lost signalling), which stops the
//! timer. The timer's callback holds only weak references, and no `RefCell` borrow is held
//! across the `getStats()` await or while the app's handlers run.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use trtc_core::quality::{self, Context, LinkState, RemoteTrack, Stat, Tracker};
use trtc_core::tables::event;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::room::RoomConn;
use crate::trtc::Inner;
use crate::value::get;

/// The running collection of one room; dropping it stops the timer.
pub struct StatsLoop {
    _timer: gloo_timers::callback::Interval,
}

/// State shared by the ticks of one loop.
struct Shared {
    inner: Weak<Inner>,
    conn: Weak<RoomConn>,
    tracker: RefCell<Tracker>,
    /// A `getStats()` is in flight: a slow one is not stacked up.
    busy: Cell<bool>,
}

/// Starts collecting for `conn`: a baseline snapshot now, then events every 2 s.
pub fn start(inner: &Rc<Inner>, conn: &Rc<RoomConn>) -> StatsLoop {
    let shared = Rc::new(Shared {
        inner: Rc::downgrade(inner),
        conn: Rc::downgrade(conn),
        tracker: RefCell::new(Tracker::new()),
        busy: Cell::new(false),
    });
    collect(&shared, false);
    let timer = gloo_timers::callback::Interval::new(quality::INTERVAL_MS, move || {
        collect(&shared, true);
    });
    StatsLoop { _timer: timer }
}

fn collect(shared: &Rc<Shared>, emit: bool) {
    let Some(conn) = shared.conn.upgrade() else {
        return;
    };
    if !conn.is_joined() || shared.busy.replace(true) {
        return;
    }
    let pending = conn.pc.get_stats();
    drop(conn);
    let shared = Rc::clone(shared);
    wasm_bindgen_futures::spawn_local(async move {
        let report = JsFuture::from(pending).await;
        shared.busy.set(false);
        let (Some(inner), Some(conn), Ok(report)) =
            (shared.inner.upgrade(), shared.conn.upgrade(), report)
        else {
            return;
        };
        if !conn.is_joined() || inner.destroyed.get() {
            return;
        }
        let stats = parse(&report);
        let ctx = context(&inner, &conn);
        let out = shared.tracker.borrow_mut().update(&stats, &ctx);
        if !emit {
            return;
        }
        inner.emit(event::NETWORK_QUALITY, &to_js(&out.network.to_json()));
        // A NETWORK_QUALITY handler may have left the room.
        if conn.is_joined() {
            inner.emit(event::STATISTICS, &to_js(&out.statistics.to_json()));
        }
    });
}

/// An `RTCStatsReport` as [`Stat`]s, with the fields the tracker reads.
fn parse(report: &JsValue) -> Vec<Stat> {
    // The report is maplike: `Array.from` gives its `[id, stats]` entries.
    js_sys::Array::from(report)
        .iter()
        .map(|entry| {
            let value = entry
                .dyn_ref::<js_sys::Array>()
                .map(|e| e.get(1))
                .unwrap_or(JsValue::UNDEFINED);
            let mut stat = Stat::default();
            for name in quality::NUMBER_FIELDS {
                if let Some(n) = get(&value, name).as_f64() {
                    stat.set_number(name, n);
                }
            }
            for name in quality::TEXT_FIELDS {
                let v = get(&value, name);
                if let Some(s) = v.as_string() {
                    stat.set_text(name, &s);
                } else if let Some(b) = v.as_bool() {
                    stat.set_text(name, if b { "true" } else { "false" });
                }
            }
            stat
        })
        .collect()
}

/// What the room looks like now (every borrow ends here).
fn context(inner: &Inner, conn: &RoomConn) -> Context {
    let (audio_published, video_published, _, _) = inner.local_publish_state();
    let pc_state = get(&conn.pc, "connectionState").as_string();
    let link = LinkState::from_connection_state(pc_state.as_deref().unwrap_or("new"));
    let publishers = {
        let remote = conn.remote.borrow();
        remote
            .ids()
            .into_iter()
            .filter(|u| remote.get(u).is_some_and(|s| s.audio || s.video))
            .collect()
    };
    let remote_tracks = conn
        .tracks
        .borrow()
        .iter()
        .map(|((user_id, kind), (track, transceiver))| RemoteTrack {
            user_id: user_id.clone(),
            kind: *kind,
            mid: transceiver.mid(),
            track_id: track.id(),
        })
        .collect();
    Context {
        audio_published,
        video_published,
        uplink: if conn.is_joined() {
            link
        } else {
            LinkState::Down
        },
        downlink: link,
        publishers,
        remote_tracks,
    }
}

/// A payload (JSON text from trtc-core) as a plain JS object.
pub fn to_js(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap_or(JsValue::NULL)
}
