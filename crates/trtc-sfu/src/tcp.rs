//! The driver's ICE-TCP part (RFC 6544 passive candidates): the listener, its connections and
//! their limits.
//!
//! Every browser that reaches us over TCP opens a connection to the listener and sends RFC 4571
//! frames ([`crate::rfc4571`]): STUN checks first, then DTLS, RTP and RTCP, exactly what it
//! would send over UDP. Each frame goes to the core as a packet ([`Sfu::handle_receive`] with
//! [`Transport::Tcp`] and the connection's remote address), and the core's packets for that
//! address go back on that connection.
//!
//! All of it runs on the SFU's thread: per connection a reader task (frames in, to the driver's
//! loop through one bounded channel shared by all connections; when it is full the readers wait
//! and TCP's flow control slows the senders) and a writer task (packets out, from a bounded
//! queue of its own; when it is full the packet is dropped, as a full UDP path would drop it).
//! The loop owns every connection's state ([`Tcp`]) and decides when one is closed.
//!
//! # Hostile connections
//!
//! Anyone can open a TCP connection; only a STUN check that a peer's `Rtc` accepts (integrity
//! with that peer's ICE password) makes it *checked*. Until then a connection
//!
//! * counts against [`TcpConfig::max_pending`] and [`TcpConfig::max_pending_per_ip`] (and the
//!   totals, [`TcpConfig::max_conns`] and [`TcpConfig::max_conns_per_ip`]): over a limit, a new
//!   connection is closed as soon as it is accepted;
//! * may send only STUN: any other frame closes it;
//! * may send at most [`TcpConfig::max_unchecked_frames`] frames that no peer accepts;
//! * is closed [`TcpConfig::auth_timeout`] after it was accepted.
//!
//! A frame is at most 65,535 bytes by the format ([`crate::rfc4571::MAX_FRAME`]); a reader holds
//! at most one frame and a read's worth of bytes. A checked connection is closed when nothing
//! on it was accepted for [`TcpConfig::idle_timeout`] (browsers check the selected pair every few
//! seconds, and a backup pair every 25 s), when its writer could not write for
//! [`TcpConfig::write_stall`], and when its peer would have more than
//! [`TcpConfig::max_conns_per_peer`] connections.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tracing::{debug, info, warn};

use crate::rfc4571::{self, FrameReader};
use crate::{stun, PeerId, Sfu, Transport};

/// Limits of the ICE-TCP listener. [`TcpConfig::default`] suits a server of a few thousand
/// browsers; every number bounds what one remote can make the server hold.
#[derive(Debug, Clone)]
pub struct TcpConfig {
    /// Connections at once, all remotes together (each holds a descriptor and up to a frame of
    /// buffer and [`TcpConfig::write_queue`] packets).
    pub max_conns: usize,
    /// Connections at once from one IP address. Offices that block UDP put many browsers behind
    /// one address, so this is large; [`TcpConfig::max_pending_per_ip`] is the small one.
    pub max_conns_per_ip: usize,
    /// Connections not checked yet (no STUN check accepted), all remotes together.
    pub max_pending: usize,
    /// Connections not checked yet from one IP address. Browsers behind one NAT that enter at
    /// the same moment each open one, and it stays unchecked for a round trip or so.
    pub max_pending_per_ip: usize,
    /// Checked connections of one peer (a browser opens one per local address and server
    /// candidate).
    pub max_conns_per_peer: usize,
    /// A connection must pass a STUN check this soon after it was accepted.
    pub auth_timeout: Duration,
    /// Frames no peer accepted that a connection may send before its first accepted check.
    pub max_unchecked_frames: usize,
    /// A checked connection is closed after this long without an accepted packet.
    pub idle_timeout: Duration,
    /// Packets waiting to be written, per connection; more are dropped.
    pub write_queue: usize,
    /// A connection whose writes make no progress this long is closed.
    pub write_stall: Duration,
}

impl Default for TcpConfig {
    fn default() -> Self {
        TcpConfig {
            max_conns: 4096,
            max_conns_per_ip: 1024,
            max_pending: 1024,
            max_pending_per_ip: 128,
            max_conns_per_peer: 8,
            auth_timeout: Duration::from_secs(10),
            max_unchecked_frames: 16,
            idle_timeout: Duration::from_secs(60),
            write_queue: 512,
            write_stall: Duration::from_secs(10),
        }
    }
}

/// Messages of the buffers of frames the readers read, shared by every connection.
const IN_QUEUE: usize = 1024;
/// How often deadlines are looked at.
const SWEEP: Duration = Duration::from_millis(500);
/// A writer sends at most this much in one write (what has queued up meanwhile).
const WRITE_BATCH: usize = 64 * 1024;
/// After an accept error (e.g. out of descriptors), accepting waits this long.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

type ConnId = u64;

/// What the tasks of the connections tell the loop.
pub(crate) enum TcpIn {
    /// Whole frames read from a connection (walk them with [`rfc4571::frames`]).
    Frames(ConnId, Vec<u8>),
    /// The connection ended on its side (end of stream, error, broken framing, stalled write).
    Ended(ConnId, String),
}

/// What [`Tcp::next`] woke up for.
pub(crate) enum TcpEvent {
    Accepted(io::Result<(TcpStream, SocketAddr)>),
    In(TcpIn),
    Sweep,
}

enum State {
    /// No STUN check accepted yet: `frames` not accepted so far.
    Pending { frames: usize },
    /// A STUN check of `peer` was accepted; `last_ok` is when something was last accepted.
    Checked { peer: PeerId, last_ok: Instant },
}

struct Conn {
    remote: SocketAddr,
    opened: Instant,
    state: State,
    out: mpsc::Sender<Vec<u8>>,
    reader: AbortHandle,
    writer: AbortHandle,
    dropped: u64,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.reader.abort();
        self.writer.abort();
    }
}

#[derive(Default, Clone, Copy)]
struct IpCount {
    all: usize,
    pending: usize,
}

/// Counts of what was refused, for logs (each logged the first few times).
#[derive(Default)]
struct Refusals {
    limit: u64,
    full_queue: u64,
}

/// The listener and every connection's state; owned by the driver's loop.
pub(crate) struct Tcp {
    listener: TcpListener,
    /// The address str0m knows our TCP candidate by (the first TCP candidate): the destination
    /// of every frame handed to the core.
    local: SocketAddr,
    config: TcpConfig,
    conns: HashMap<ConnId, Conn>,
    by_addr: HashMap<SocketAddr, ConnId>,
    per_ip: HashMap<IpAddr, IpCount>,
    per_peer: HashMap<PeerId, usize>,
    pending: usize,
    next_id: ConnId,
    in_tx: mpsc::Sender<TcpIn>,
    in_rx: mpsc::Receiver<TcpIn>,
    sweep: tokio::time::Interval,
    accept_paused_until: Option<tokio::time::Instant>,
    refused: Refusals,
}

impl Tcp {
    /// Call inside the runtime that will run the loop.
    pub(crate) fn new(listener: TcpListener, local: SocketAddr, config: TcpConfig) -> Tcp {
        let (in_tx, in_rx) = mpsc::channel(IN_QUEUE);
        let mut sweep = tokio::time::interval(SWEEP);
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Tcp {
            listener,
            local,
            config,
            conns: HashMap::new(),
            by_addr: HashMap::new(),
            per_ip: HashMap::new(),
            per_peer: HashMap::new(),
            pending: 0,
            next_id: 1,
            in_tx,
            in_rx,
            sweep,
            accept_paused_until: None,
            refused: Refusals::default(),
        }
    }

    /// The next thing to do: a connection to admit, frames or an end from a connection, or the
    /// time to look at deadlines. Cancel-safe (the loop selects on it).
    pub(crate) async fn next(&mut self) -> TcpEvent {
        let paused = self.accept_paused_until;
        let listener = &self.listener;
        let accept = async move {
            if let Some(until) = paused {
                tokio::time::sleep_until(until).await;
            }
            listener.accept().await
        };
        tokio::select! {
            m = self.in_rx.recv() => match m {
                Some(m) => TcpEvent::In(m),
                // Never: `self` holds a sender.
                None => TcpEvent::Sweep,
            },
            r = accept => TcpEvent::Accepted(r),
            _ = self.sweep.tick() => TcpEvent::Sweep,
        }
    }

    /// What else the readers have sent, without waiting.
    pub(crate) fn try_next(&mut self) -> Option<TcpIn> {
        self.in_rx.try_recv().ok()
    }

    /// Handles what [`Tcp::next`] returned.
    pub(crate) fn handle(&mut self, ev: TcpEvent, sfu: &mut Sfu) {
        match ev {
            TcpEvent::Accepted(Ok((stream, remote))) => {
                self.accept_paused_until = None;
                self.admit(stream, remote, Instant::now());
            }
            TcpEvent::Accepted(Err(e)) => {
                warn!("TCP accept failed: {e}");
                self.accept_paused_until = Some(tokio::time::Instant::now() + ACCEPT_PAUSE);
            }
            TcpEvent::In(m) => self.handle_in(m, sfu),
            TcpEvent::Sweep => self.sweep(Instant::now(), sfu),
        }
    }

    /// Frames from a connection, or its end.
    pub(crate) fn handle_in(&mut self, m: TcpIn, sfu: &mut Sfu) {
        match m {
            TcpIn::Frames(id, buf) => self.on_frames(id, &buf, sfu, Instant::now()),
            TcpIn::Ended(id, why) => self.close(id, &why, sfu),
        }
    }

    fn admit(&mut self, stream: TcpStream, remote: SocketAddr, now: Instant) {
        let ip = remote.ip();
        let count = self.per_ip.get(&ip).copied().unwrap_or_default();
        let refuse = if self.conns.len() >= self.config.max_conns {
            Some("too many TCP connections")
        } else if count.all >= self.config.max_conns_per_ip {
            Some("too many TCP connections from this address")
        } else if self.pending >= self.config.max_pending {
            Some("too many unchecked TCP connections")
        } else if count.pending >= self.config.max_pending_per_ip {
            Some("too many unchecked TCP connections from this address")
        } else {
            None
        };
        if let Some(why) = refuse {
            self.refused.limit += 1;
            let n = self.refused.limit;
            if n <= 5 || n.is_power_of_two() {
                warn!(%remote, refused = n, "TCP connection refused: {why}");
            }
            // Dropping the stream closes it.
            return;
        }
        if let Err(e) = stream.set_nodelay(true) {
            debug!(%remote, "TCP_NODELAY: {e}");
        }
        let id = self.next_id;
        self.next_id += 1;
        let (read, write) = stream.into_split();
        let (out_tx, out_rx) = mpsc::channel(self.config.write_queue.max(1));
        let reader = tokio::spawn(read_loop(read, id, self.in_tx.clone())).abort_handle();
        let writer = tokio::spawn(write_loop(
            write,
            out_rx,
            id,
            self.in_tx.clone(),
            self.config.write_stall,
        ))
        .abort_handle();
        let c = self.per_ip.entry(ip).or_default();
        c.all += 1;
        c.pending += 1;
        self.pending += 1;
        if let Some(old) = self.by_addr.insert(remote, id) {
            // The same remote address again: the old connection is gone (the address is a
            // connection's identity towards the listener).
            debug!(%remote, "TCP connection replaced");
            self.forget(old);
        }
        self.conns.insert(
            id,
            Conn {
                remote,
                opened: now,
                state: State::Pending { frames: 0 },
                out: out_tx,
                reader,
                writer,
                dropped: 0,
            },
        );
        debug!(%remote, conn = id, open = self.conns.len(), "TCP connection accepted");
    }

    fn on_frames(&mut self, id: ConnId, buf: &[u8], sfu: &mut Sfu, now: Instant) {
        for frame in rfc4571::frames(buf) {
            let Some(c) = self.conns.get_mut(&id) else {
                return;
            };
            let remote = c.remote;
            if let State::Checked { last_ok, .. } = &mut c.state {
                if sfu
                    .handle_receive(Transport::Tcp, remote, self.local, frame, now)
                    .is_some()
                {
                    *last_ok = now;
                }
                continue;
            }
            // Not checked yet: STUN only, and it must be accepted soon.
            if !stun::looks_like_stun(frame) {
                self.close(id, "a packet other than STUN before a check", sfu);
                return;
            }
            let Some(peer) = sfu.handle_receive(Transport::Tcp, remote, self.local, frame, now)
            else {
                if let Some(Conn {
                    state: State::Pending { frames },
                    ..
                }) = self.conns.get_mut(&id)
                {
                    *frames += 1;
                    if *frames >= self.config.max_unchecked_frames {
                        self.close(id, "no STUN check accepted", sfu);
                        return;
                    }
                }
                continue;
            };
            let n = self.per_peer.get(&peer).copied().unwrap_or(0);
            if n >= self.config.max_conns_per_peer {
                self.close(id, "too many TCP connections for one peer", sfu);
                return;
            }
            if let Some(c) = self.conns.get_mut(&id) {
                c.state = State::Checked { peer, last_ok: now };
                self.per_peer.insert(peer, n + 1);
                self.pending -= 1;
                if let Some(ip) = self.per_ip.get_mut(&remote.ip()) {
                    ip.pending -= 1;
                }
                info!(peer, %remote, conn = id, "ICE-TCP connection checked");
            }
        }
    }

    /// Closes connections past their deadline.
    fn sweep(&mut self, now: Instant, sfu: &mut Sfu) {
        let mut late = vec![];
        for (id, c) in &self.conns {
            match c.state {
                State::Pending { .. } if now >= c.opened + self.config.auth_timeout => {
                    late.push((*id, "no STUN check accepted in time"));
                }
                State::Checked { last_ok, .. } if now >= last_ok + self.config.idle_timeout => {
                    late.push((*id, "idle"));
                }
                _ => {}
            }
        }
        for (id, why) in late {
            self.close(id, why, sfu);
        }
    }

    /// Queues a packet for the connection whose remote end is `to`. Dropped (and counted) when
    /// there is no such connection or its queue is full. Returns whether it was queued.
    pub(crate) fn send(&mut self, to: SocketAddr, data: Vec<u8>) -> bool {
        let Some(c) = self.by_addr.get(&to).and_then(|id| self.conns.get_mut(id)) else {
            debug!(%to, "no TCP connection for a packet; dropped");
            return false;
        };
        match c.out.try_send(data) {
            Ok(()) => true,
            Err(_) => {
                c.dropped += 1;
                self.refused.full_queue += 1;
                if c.dropped <= 3 || c.dropped.is_power_of_two() {
                    debug!(%to, dropped = c.dropped, "TCP write queue full; packet dropped");
                }
                false
            }
        }
    }

    /// Closes a connection (if still open) and forgets it everywhere.
    fn close(&mut self, id: ConnId, why: &str, sfu: &mut Sfu) {
        let Some(c) = self.forget(id) else {
            return;
        };
        if self.by_addr.get(&c.remote) == Some(&id) {
            self.by_addr.remove(&c.remote);
            sfu.forget_tcp(c.remote);
        }
        debug!(remote = %c.remote, conn = id, open = self.conns.len(), "TCP connection closed: {why}");
    }

    /// Removes a connection's state and its counts; dropping the returned value ends its tasks
    /// (which closes the socket).
    fn forget(&mut self, id: ConnId) -> Option<Conn> {
        let c = self.conns.remove(&id)?;
        let ip = c.remote.ip();
        let pending = matches!(c.state, State::Pending { .. });
        if let Some(n) = self.per_ip.get_mut(&ip) {
            n.all -= 1;
            if pending {
                n.pending -= 1;
            }
            if n.all == 0 {
                self.per_ip.remove(&ip);
            }
        }
        if pending {
            self.pending -= 1;
        }
        if let State::Checked { peer, .. } = c.state {
            if let Some(n) = self.per_peer.get_mut(&peer) {
                *n -= 1;
                if *n == 0 {
                    self.per_peer.remove(&peer);
                }
            }
        }
        Some(c)
    }
}

/// Reads frames until the stream ends or breaks; hands them to the loop in one buffer per read.
async fn read_loop(mut read: OwnedReadHalf, id: ConnId, to_loop: mpsc::Sender<TcpIn>) {
    let mut frames = FrameReader::new(rfc4571::MAX_FRAME);
    let why = loop {
        match read.read(frames.spare()).await {
            Ok(0) => break "closed by the remote".to_string(),
            Ok(n) => {
                frames.filled(n);
                match frames.take_frames() {
                    Ok(Some(buf)) => {
                        if to_loop.send(TcpIn::Frames(id, buf)).await.is_err() {
                            return;
                        }
                    }
                    Ok(None) => {}
                    Err(e) => break format!("framing: {e}"),
                }
            }
            Err(e) => break format!("read: {e}"),
        }
    };
    let _ = to_loop.send(TcpIn::Ended(id, why)).await;
}

/// Writes the queued packets, framed, as many as have queued up per write.
async fn write_loop(
    mut write: OwnedWriteHalf,
    mut queue: mpsc::Receiver<Vec<u8>>,
    id: ConnId,
    to_loop: mpsc::Sender<TcpIn>,
    stall: Duration,
) {
    let mut out = Vec::with_capacity(WRITE_BATCH);
    while let Some(first) = queue.recv().await {
        out.clear();
        // str0m's packets are a few hundred bytes to an MTU: never too long to frame.
        let _ = rfc4571::encode(&mut out, &first);
        while out.len() < WRITE_BATCH {
            match queue.try_recv() {
                Ok(p) => {
                    let _ = rfc4571::encode(&mut out, &p);
                }
                Err(_) => break,
            }
        }
        let why = match tokio::time::timeout(stall, write.write_all(&out)).await {
            Ok(Ok(())) => continue,
            Ok(Err(e)) => format!("write: {e}"),
            Err(_) => format!("no write progress for {stall:?}"),
        };
        let _ = to_loop.send(TcpIn::Ended(id, why)).await;
        return;
    }
}
