//! The tokio driver: owns the UDP socket, runs [`Sfu`] on real time, talks through channels.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, warn};

use crate::core::{Sfu, SfuConfig};
use crate::{Kind, PeerId, SfuEvent};

/// Events waiting for the caller before the driver waits for it (backpressure).
const EVENT_QUEUE: usize = 1024;
/// Largest datagram we read (str0m's MTU is ~1150; browsers stay under 1500).
const RECV_BUF: usize = 2048;

enum Command {
    AddPeer(PeerId),
    RemovePeer(PeerId),
    SetPublish(PeerId, bool, bool),
    Source(PeerId, PeerId, Kind, bool),
    Subscribe(PeerId, PeerId, Kind, bool),
    Answer(PeerId, String, oneshot::Sender<Result<(), String>>),
    Block(PeerId, Duration),
}

/// Commands for a running SFU ([`spawn`]). Cheap to clone. The driver task ends when every
/// handle is dropped. Commands to a driver that has ended are ignored.
#[derive(Clone)]
pub struct SfuHandle {
    tx: mpsc::UnboundedSender<Command>,
    local_addr: SocketAddr,
    candidates: Vec<SocketAddr>,
}

impl SfuHandle {
    /// The UDP socket's local address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The host candidates advertised in offers.
    pub fn candidates(&self) -> &[SocketAddr] {
        &self.candidates
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

    /// See [`Sfu::block`]: drops the peer's datagrams for `duration` from now.
    pub fn block(&self, peer: PeerId, duration: Duration) {
        self.send(Command::Block(peer, duration));
    }

    /// See [`Sfu::accept_answer`].
    pub async fn accept_answer(&self, peer: PeerId, sdp: String) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Answer(peer, sdp, tx));
        rx.await
            .unwrap_or_else(|_| Err("the SFU has stopped".into()))
    }
}

/// Starts the SFU on `socket` (on the current tokio runtime) with the default [`SfuConfig`].
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
    let local_addr = socket
        .local_addr()
        .unwrap_or_else(|_| SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
    let candidates = candidates_for(local_addr, &advertise);
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = mpsc::channel(EVENT_QUEUE);
    let sfu = Sfu::with_config(candidates.clone(), config);
    info!(%local_addr, ?candidates, "SFU listening");
    tokio::spawn(run(socket, sfu, candidates[0], cmd_rx, ev_tx));
    (
        SfuHandle {
            tx: cmd_tx,
            local_addr,
            candidates,
        },
        ev_rx,
    )
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

async fn run(
    socket: UdpSocket,
    mut sfu: Sfu,
    local: SocketAddr,
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::Sender<SfuEvent>,
) {
    let mut buf = vec![0u8; RECV_BUF];
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
            r = socket.recv_from(&mut buf) => match r {
                Ok((n, from)) => sfu.handle_datagram(from, local, &buf[..n], Instant::now()),
                // E.g. ICMP port unreachable reported on a later read: not fatal.
                Err(e) => debug!("UDP receive error: {e}"),
            },
            _ = tokio::time::sleep_until(wake.into()) => sfu.handle_timeout(Instant::now()),
        }

        while let Some((to, _from, data)) = sfu.poll_transmit() {
            if let Err(e) = socket.send_to(&data, to).await {
                log_send_error(to, &e);
            }
        }
        while let Some(ev) = sfu.poll_event() {
            if events_open && events.send(ev).await.is_err() {
                debug!("SFU event receiver dropped; events are discarded from now on");
                events_open = false;
            }
        }
    }
}

fn log_send_error(to: SocketAddr, e: &io::Error) {
    // The peer may be gone; its Rtc notices by itself.
    debug!(%to, "UDP send failed: {e}");
    if e.kind() == io::ErrorKind::PermissionDenied {
        warn!(%to, "UDP send not permitted: {e}");
    }
}

fn apply(sfu: &mut Sfu, cmd: Command, now: Instant) {
    match cmd {
        Command::AddPeer(p) => sfu.add_peer(p, now),
        Command::Block(p, d) => sfu.block(p, now + d),
        Command::RemovePeer(p) => sfu.remove_peer(p),
        Command::SetPublish(p, a, v) => sfu.set_publish(p, a, v, now),
        Command::Source(s, src, k, true) => sfu.add_source(s, src, k, now),
        Command::Source(s, src, k, false) => sfu.remove_source(s, src, k, now),
        Command::Subscribe(s, src, k, on) => sfu.subscribe(s, src, k, on, now),
        Command::Answer(p, sdp, reply) => {
            let _ = reply.send(sfu.accept_answer(p, &sdp, now));
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
