//! The tokio driver: owns the UDP socket (and the ICE-TCP listener, `tcp.rs`), runs [`Sfu`] on
//! real time, talks through channels.
//!
//! The driver runs on a thread of its own with a single-threaded tokio runtime: the socket's
//! readiness, the TCP connections' tasks, the timers and the core all live on that thread, so a
//! datagram never wakes another thread and the core's state stays in one CPU's caches.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, error, info, warn};

use crate::load::{self, LoadMeter, LoadNote};
use crate::sfu::{Sfu, SfuConfig};
use crate::tcp::{Tcp, TcpConfig};
use crate::udp::{RecvBatch, UdpIo};
use crate::{Kind, Packet, PeerId, SfuEvent, Transport};

/// Events waiting for the caller before the driver waits for it (backpressure).
const EVENT_QUEUE: usize = 1024;
/// Receive buffer asked for the socket (the kernel caps it at `net.core.rmem_max`). One
/// publisher frame fanned out to hundreds of subscribers keeps the driver busy for milliseconds,
/// while their RTCP keeps arriving; the default buffer (~200 KiB, a few hundred datagrams)
/// overflows and drops publishers' media with it.
const SOCKET_RECV_BUFFER: usize = 4 << 20;
/// Datagrams read in one go once the socket is readable, before events and timers are looked at
/// again (bounds the time the other branches wait). On Linux they come `MMSG_BATCH` to a
/// system call (`udp.rs`).
const RECV_BATCH: usize = 64;

enum Command {
    AddPeer(PeerId),
    RemovePeer(PeerId),
    SetPublish(PeerId, bool, bool),
    SetPublishAll(PeerId, [bool; 4]),
    Source(PeerId, PeerId, Kind, bool),
    Subscribe(PeerId, PeerId, Kind, bool),
    SetSmall(PeerId, bool),
    SetLayer(PeerId, PeerId, bool),
    Answer(PeerId, String, oneshot::Sender<Result<(), String>>),
    Parsed(
        PeerId,
        Result<crate::ParsedAnswer, String>,
        oneshot::Sender<Result<(), String>>,
    ),
    Block(PeerId, Duration),
}

/// Commands for a running SFU ([`spawn`]). Cheap to clone. The driver task ends when every
/// handle is dropped. Commands to a driver that has ended are ignored.
#[derive(Clone)]
pub struct SfuHandle {
    tx: mpsc::UnboundedSender<Command>,
    local_addr: SocketAddr,
    candidates: Vec<SocketAddr>,
    tcp_addr: Option<SocketAddr>,
    tcp_candidates: Vec<SocketAddr>,
}

impl SfuHandle {
    /// The UDP socket's local address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The UDP host candidates advertised in offers.
    pub fn candidates(&self) -> &[SocketAddr] {
        &self.candidates
    }

    /// The ICE-TCP listener's local address, if there is one.
    pub fn tcp_local_addr(&self) -> Option<SocketAddr> {
        self.tcp_addr
    }

    /// The TCP passive host candidates advertised in offers (none without a listener).
    pub fn tcp_candidates(&self) -> &[SocketAddr] {
        &self.tcp_candidates
    }

    fn send(&self, c: Command) {
        if self.tx.send(c).is_err() {
            debug!("SFU driver has ended; command ignored");
        }
    }

    /// See [`Sfu::add_peer`].
    pub fn add_peer(&self, peer: PeerId) {
        self.send(Command::AddPeer(peer));
    }

    /// See [`Sfu::remove_peer`].
    pub fn remove_peer(&self, peer: PeerId) {
        self.send(Command::RemovePeer(peer));
    }

    /// See [`Sfu::set_publish`].
    pub fn set_publish(&self, peer: PeerId, audio: bool, video: bool) {
        self.send(Command::SetPublish(peer, audio, video));
    }

    /// See [`Sfu::set_publish_all`].
    pub fn set_publish_all(&self, peer: PeerId, kinds: [bool; 4]) {
        self.send(Command::SetPublishAll(peer, kinds));
    }

    /// See [`Sfu::add_source`].
    pub fn add_source(&self, subscriber: PeerId, source: PeerId, kind: Kind) {
        self.send(Command::Source(subscriber, source, kind, true));
    }

    /// See [`Sfu::remove_source`].
    pub fn remove_source(&self, subscriber: PeerId, source: PeerId, kind: Kind) {
        self.send(Command::Source(subscriber, source, kind, false));
    }

    /// See [`Sfu::subscribe`].
    pub fn subscribe(&self, subscriber: PeerId, source: PeerId, kind: Kind, on: bool) {
        self.send(Command::Subscribe(subscriber, source, kind, on));
    }

    /// See [`Sfu::set_small`].
    pub fn set_small(&self, peer: PeerId, small: bool) {
        self.send(Command::SetSmall(peer, small));
    }

    /// See [`Sfu::set_layer`].
    pub fn set_layer(&self, subscriber: PeerId, source: PeerId, small: bool) {
        self.send(Command::SetLayer(subscriber, source, small));
    }

    /// See [`Sfu::block`]: drops the peer's datagrams for `duration` from now.
    pub fn block(&self, peer: PeerId, duration: Duration) {
        self.send(Command::Block(peer, duration));
    }

    /// See [`Sfu::accept_answer`]: the answer is parsed on the SFU's thread. The server parses
    /// on a thread of its own and calls [`SfuHandle::apply_answer`].
    pub async fn accept_answer(&self, peer: PeerId, sdp: String) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Answer(peer, sdp, tx));
        rx.await
            .unwrap_or_else(|_| Err("the SFU has stopped".into()))
    }

    /// See [`Sfu::apply_answer`]: an answer parsed by [`crate::parse_answer`] (or why it did
    /// not parse, which counts as a failed answer).
    pub async fn apply_answer(
        &self,
        peer: PeerId,
        answer: Result<crate::ParsedAnswer, String>,
    ) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Parsed(peer, answer, tx));
        rx.await
            .unwrap_or_else(|_| Err("the SFU has stopped".into()))
    }
}

/// Starts the SFU on `socket` with the default [`SfuConfig`], on a thread of its own (named
/// `trtc-sfu`, running a current-thread tokio runtime). Call it inside a tokio runtime (the
/// socket is one of its sockets); should that thread not start, the driver runs as a task of the
/// current runtime instead.
///
/// `advertise`: the IP addresses to put in host candidates, with the socket's port. Empty: the
/// socket's own address (an unspecified address becomes loopback). The first candidate is taken
/// as the local address of every datagram, so advertise one address per socket.
pub fn spawn(socket: UdpSocket, advertise: Vec<IpAddr>) -> (SfuHandle, mpsc::Receiver<SfuEvent>) {
    spawn_with_config(socket, advertise, SfuConfig::default())
}

/// [`spawn`] with a config.
pub fn spawn_with_config(
    socket: UdpSocket,
    advertise: Vec<IpAddr>,
    config: SfuConfig,
) -> (SfuHandle, mpsc::Receiver<SfuEvent>) {
    spawn_with_tcp(socket, None, advertise, config)
}

/// [`spawn_with_config`], and ICE over TCP on `tcp`'s listener (RFC 6544 passive candidates
/// with the listener's port and the `advertise` IPs, or its own address; RFC 4571 framing),
/// with its limits. See `tcp.rs` for what a connection may do before and after its STUN check.
pub fn spawn_with_tcp(
    socket: UdpSocket,
    tcp: Option<(TcpListener, TcpConfig)>,
    advertise: Vec<IpAddr>,
    config: SfuConfig,
) -> (SfuHandle, mpsc::Receiver<SfuEvent>) {
    spawn_named(socket, tcp, advertise, config, "trtc-sfu")
}

/// [`spawn_with_tcp`] on a thread named `name` (one SFU worker among several: each has its own
/// sockets, core, thread and runtime, and shares nothing with the others).
pub fn spawn_named(
    socket: UdpSocket,
    tcp: Option<(TcpListener, TcpConfig)>,
    advertise: Vec<IpAddr>,
    config: SfuConfig,
    name: &str,
) -> (SfuHandle, mpsc::Receiver<SfuEvent>) {
    let local_addr = socket
        .local_addr()
        .unwrap_or_else(|_| SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
    let candidates = candidates_for(local_addr, &advertise);
    let tcp = tcp.and_then(|(listener, cfg)| match listener.local_addr() {
        Ok(addr) => Some((listener, addr, cfg)),
        Err(e) => {
            error!("ICE-TCP listener unusable: {e}");
            None
        }
    });
    let tcp_addr = tcp.as_ref().map(|t| t.1);
    let tcp_candidates = tcp_addr
        .map(|a| candidates_for(a, &advertise))
        .unwrap_or_default();
    let sock = socket2::SockRef::from(&socket);
    if let Err(e) = sock.set_recv_buffer_size(SOCKET_RECV_BUFFER) {
        warn!("cannot enlarge the UDP receive buffer: {e}");
    }
    debug!(
        bytes = sock.recv_buffer_size().unwrap_or(0),
        "UDP receive buffer"
    );
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = mpsc::channel(EVENT_QUEUE);
    let sfu = Sfu::with_candidates(candidates.clone(), tcp_candidates.clone(), config);
    info!(%local_addr, ?candidates, ?tcp_addr, ?tcp_candidates, thread = name, "SFU listening");
    let local = candidates[0];
    let tcp_local = tcp_candidates.first().copied();
    let handle = SfuHandle {
        tx: cmd_tx,
        local_addr,
        candidates,
        tcp_addr,
        tcp_candidates,
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            warn!("no runtime of its own for the SFU ({e}); it shares the caller's");
            let tcp = tcp
                .zip(tcp_local)
                .map(|((l, _, cfg), local)| Tcp::new(l, local, cfg));
            tokio::spawn(run(socket, tcp, sfu, local, cmd_rx, ev_tx));
            return (handle, ev_rx);
        }
    };
    // The sockets move to the SFU's runtime as std sockets, and become tokio's there.
    let std_socket = match socket.into_std() {
        Ok(s) => s,
        Err(e) => {
            error!("SFU socket unusable: {e}");
            return (handle, ev_rx);
        }
    };
    let std_tcp = match tcp.zip(tcp_local) {
        Some(((listener, _, cfg), local)) => match listener.into_std() {
            Ok(l) => Some((l, local, cfg)),
            Err(e) => {
                error!("ICE-TCP listener unusable: {e}");
                None
            }
        },
        None => None,
    };
    let started = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            rt.block_on(async move {
                let socket = match UdpSocket::from_std(std_socket) {
                    Ok(s) => s,
                    Err(e) => return error!("SFU socket unusable: {e}"),
                };
                let tcp = std_tcp.and_then(|(l, local, cfg)| match TcpListener::from_std(l) {
                    Ok(l) => Some(Tcp::new(l, local, cfg)),
                    Err(e) => {
                        error!("ICE-TCP listener unusable: {e}");
                        None
                    }
                });
                run(socket, tcp, sfu, local, cmd_rx, ev_tx).await
            })
        });
    if let Err(e) = started {
        error!("cannot start the SFU thread: {e}");
    }
    (handle, ev_rx)
}

fn candidates_for(local: SocketAddr, advertise: &[IpAddr]) -> Vec<SocketAddr> {
    if advertise.is_empty() {
        let ip = match local.ip() {
            IpAddr::V4(v) if v.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(v) if v.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        return vec![SocketAddr::new(ip, local.port())];
    }
    advertise
        .iter()
        .map(|ip| SocketAddr::new(*ip, local.port()))
        .collect()
}

/// The next thing the ICE-TCP part has, or never without it.
async fn next_tcp(tcp: &mut Option<Tcp>) -> crate::tcp::TcpEvent {
    match tcp {
        Some(t) => t.next().await,
        None => std::future::pending().await,
    }
}

async fn run(
    socket: UdpSocket,
    mut tcp: Option<Tcp>,
    mut sfu: Sfu,
    local: SocketAddr,
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::Sender<SfuEvent>,
) {
    let inode = load::inode_of(&socket);
    let mut meter = LoadMeter::new(
        Instant::now(),
        load::thread_cpu(),
        load::socket_drops(inode),
    );
    let mut udp = UdpIo::new(socket);
    let mut batch = RecvBatch::new();
    let mut events_open = true;
    loop {
        // str0m may ask for "now" again; never spin faster than 1 ms.
        let now = Instant::now();
        let wake = sfu
            .next_timeout()
            .unwrap_or(now + Duration::from_secs(1))
            .max(now + Duration::from_millis(1));

        tokio::select! {
            cmd = commands.recv() => {
                let Some(cmd) = cmd else {
                    debug!("all SFU handles dropped; stopping");
                    break;
                };
                apply(&mut sfu, cmd, Instant::now());
                // Take whatever else is queued, so one offer covers it all.
                while let Ok(cmd) = commands.try_recv() {
                    apply(&mut sfu, cmd, Instant::now());
                }
            }
            r = udp.readable() => match r {
                Ok(()) => {
                    // Whatever has arrived, a batch to a system call where the OS allows it,
                    // without going back to the runtime for each; each datagram's packets go
                    // to the outgoing batch before the next is handled.
                    let mut read = 0;
                    while read < RECV_BATCH {
                        match udp.try_recv_batch(&mut batch) {
                            Ok(0) => break,
                            Ok(n) => read += n,
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                            // E.g. ICMP port unreachable reported on a later read: not fatal.
                            Err(e) => {
                                debug!("UDP receive error: {e}");
                                break;
                            }
                        }
                        for i in 0..batch.len() {
                            let (from, data) = batch.get(i);
                            sfu.handle_datagram(from, local, data, Instant::now());
                            send_all(&mut udp, &mut tcp, &mut sfu).await;
                        }
                    }
                }
                Err(e) => debug!("UDP receive error: {e}"),
            },
            ev = next_tcp(&mut tcp) => {
                if let Some(t) = tcp.as_mut() {
                    t.handle(ev, &mut sfu);
                    send_all(&mut udp, &mut tcp, &mut sfu).await;
                    // What else the connections have read, as for UDP.
                    for _ in 1..RECV_BATCH {
                        let Some(m) = tcp.as_mut().and_then(Tcp::try_next) else {
                            break;
                        };
                        if let Some(t) = tcp.as_mut() {
                            t.handle_in(m, &mut sfu);
                        }
                        send_all(&mut udp, &mut tcp, &mut sfu).await;
                    }
                }
            }
            _ = tokio::time::sleep_until(wake.into()) => sfu.handle_timeout(Instant::now()),
        }

        send_all(&mut udp, &mut tcp, &mut sfu).await;
        udp.flush(&mut |data| sfu.recycle(data)).await;
        while let Some(ev) = sfu.poll_event() {
            if events_open && events.send(ev).await.is_err() {
                debug!("SFU event receiver dropped; events are discarded from now on");
                events_open = false;
            }
        }
        let now = Instant::now();
        if now >= meter.due() {
            let (_, note) = meter.close(now, load::thread_cpu(), load::socket_drops(inode));
            if let Some(note) = note {
                log_load(note, sfu.peer_count());
            }
        }
    }
}

/// Tells the operator that this worker falls behind, or has caught up again ([`load`]).
fn log_load(note: LoadNote, peers: usize) {
    let thread = std::thread::current();
    let worker = thread.name().unwrap_or("trtc-sfu");
    let pct = |w: load::Window| w.busy.map(|b| (b * 1000.0).round() / 10.0);
    match note {
        LoadNote::Overloaded(w) => warn!(
            worker,
            peers,
            cpu_pct = pct(w),
            dropped = w.drops,
            "SFU worker overloaded over the last {} s: its CPU is at the limit of one core or its \
             socket dropped datagrams, so the rooms on it lose media and new peers may fail to \
             connect; a room stays on one worker: run more workers (--sfu-threads, one per core), \
             more nodes (--redis), or smaller rooms (--max-users-per-room)",
            load::WINDOW.as_secs()
        ),
        LoadNote::Recovered(w) => info!(
            worker,
            peers,
            cpu_pct = pct(w),
            dropped = w.drops,
            "SFU worker keeps up again"
        ),
    }
}

/// Takes every packet the core has queued. UDP: to the outgoing batch, written once it is full
/// (and by the caller's [`UdpIo::flush`] at the end of the step), waiting for the socket when
/// its buffer is full; the buffers go back to the core for reuse. TCP: to the connection's
/// write queue (dropped when it is full or the connection is gone).
async fn send_all(udp: &mut UdpIo, tcp: &mut Option<Tcp>, sfu: &mut Sfu) {
    while let Some(Packet {
        transport,
        to,
        data,
        ..
    }) = sfu.poll_transmit()
    {
        if transport == Transport::Tcp {
            match tcp.as_mut() {
                Some(t) => {
                    t.send(to, data);
                }
                None => debug!(%to, "a TCP packet without a listener; dropped"),
            }
            continue;
        }
        udp.send(to, data, &mut |data| sfu.recycle(data)).await;
    }
}

fn apply(sfu: &mut Sfu, cmd: Command, now: Instant) {
    match cmd {
        Command::AddPeer(p) => sfu.add_peer(p, now),
        Command::Block(p, d) => sfu.block(p, now + d),
        Command::RemovePeer(p) => sfu.remove_peer(p),
        Command::SetPublish(p, a, v) => sfu.set_publish(p, a, v, now),
        Command::SetPublishAll(p, k) => sfu.set_publish_all(p, k, now),
        Command::Source(s, src, k, true) => sfu.add_source(s, src, k, now),
        Command::Source(s, src, k, false) => sfu.remove_source(s, src, k, now),
        Command::Subscribe(s, src, k, on) => sfu.subscribe(s, src, k, on, now),
        Command::SetSmall(p, small) => sfu.set_small(p, small, now),
        Command::SetLayer(s, src, small) => sfu.set_layer(s, src, small, now),
        Command::Answer(p, sdp, reply) => {
            let _ = reply.send(sfu.accept_answer(p, &sdp, now));
        }
        Command::Parsed(p, answer, reply) => {
            let _ = reply.send(sfu.apply_answer(p, answer, now));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_default_to_the_socket_address() {
        let local: SocketAddr = "0.0.0.0:5000".parse().unwrap();
        assert_eq!(
            candidates_for(local, &[]),
            vec!["127.0.0.1:5000".parse().unwrap()]
        );
        let local: SocketAddr = "127.0.0.1:5001".parse().unwrap();
        assert_eq!(candidates_for(local, &[]), vec![local]);
        let ips: Vec<IpAddr> = vec!["127.0.0.2".parse().unwrap()];
        assert_eq!(
            candidates_for(local, &ips),
            vec!["127.0.0.2:5001".parse().unwrap()]
        );
    }
}
