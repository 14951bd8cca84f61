//! How one user's media travels: a UDP socket, or ICE over TCP (an active candidate, RFC 6544:
//! one connection to the SFU's passive candidate, opened when str0m first sends to it, packets
//! framed as RFC 4571 says).

use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, SocketAddr};

use str0m::net::{Protocol, TcpType};
use str0m::Candidate;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpSocket, UdpSocket};
use trtc_sfu::rfc4571::{self, FrameReader};
use trtc_sfu::Transport;

/// The port an active TCP candidate names (RFC 6544 §4.5: "9", the discard port; the real one
/// is the connection's).
const ACTIVE_PORT: u16 = 9;

/// What arrived.
pub(super) enum Recv {
    /// A datagram of this many bytes (in the caller's buffer) from this address.
    Datagram(usize, SocketAddr),
    /// Bytes on the TCP connection; its whole frames are in [`Net::take_frames`]. 0: the server
    /// closed it.
    Stream(usize),
}

/// The TCP side: the connection (once there is one) and what waits to be written.
pub(super) struct TcpLink {
    bind_ip: IpAddr,
    /// The SFU's TCP candidate the connection goes to (the first one str0m sent to).
    server: Option<SocketAddr>,
    read: Option<OwnedReadHalf>,
    write: Option<OwnedWriteHalf>,
    frames: FrameReader,
    /// Framed packets to write.
    out: Vec<u8>,
    /// Packets str0m addressed to another TCP candidate (not sent: one connection per user).
    pub(super) elsewhere: u64,
}

/// A user's media transport.
pub(super) enum Net {
    Udp(UdpSocket),
    Tcp(TcpLink),
}

impl Net {
    /// Binds what `transport` needs on `bind_ip`; the str0m candidate to add and the address it
    /// receives on (the destination of what arrives).
    pub(super) async fn bind(
        transport: Transport,
        bind_ip: IpAddr,
    ) -> Result<(Net, Candidate, SocketAddr), String> {
        match transport {
            Transport::Udp => {
                let socket = UdpSocket::bind((bind_ip, 0))
                    .await
                    .map_err(|e| format!("UDP bind: {e}"))?;
                let local = socket.local_addr().map_err(|e| e.to_string())?;
                // Room for bursts while the process is busy with other users (capped by
                // rmem_max).
                let _ = socket2::SockRef::from(&socket).set_recv_buffer_size(1 << 20);
                let cand = Candidate::host(local, "udp").map_err(|e| format!("candidate: {e}"))?;
                Ok((Net::Udp(socket), cand, local))
            }
            Transport::Tcp => {
                let local = SocketAddr::new(bind_ip, ACTIVE_PORT);
                let cand = Candidate::builder()
                    .tcp()
                    .host(local)
                    .tcptype(TcpType::Active)
                    .build()
                    .map_err(|e| format!("candidate: {e}"))?;
                let link = TcpLink {
                    bind_ip,
                    server: None,
                    read: None,
                    write: None,
                    frames: FrameReader::new(rfc4571::MAX_FRAME),
                    out: Vec::new(),
                    elsewhere: 0,
                };
                Ok((Net::Tcp(link), cand, local))
            }
        }
    }

    /// str0m's protocol for what arrives.
    pub(super) fn protocol(&self) -> Protocol {
        match self {
            Net::Udp(_) => Protocol::Udp,
            Net::Tcp(_) => Protocol::Tcp,
        }
    }

    /// The server's address of what arrives on the TCP connection.
    pub(super) fn tcp_server(&self) -> Option<SocketAddr> {
        match self {
            Net::Tcp(l) => l.server,
            Net::Udp(_) => None,
        }
    }

    /// Waits for something to arrive (never, over TCP before the connection exists).
    /// Cancel-safe.
    pub(super) async fn recv(&mut self, buf: &mut [u8]) -> io::Result<Recv> {
        match self {
            Net::Udp(s) => s
                .recv_from(buf)
                .await
                .map(|(n, from)| Recv::Datagram(n, from)),
            Net::Tcp(l) => match l.read.as_mut() {
                Some(r) => {
                    let n = r.read(l.frames.spare()).await?;
                    l.frames.filled(n);
                    Ok(Recv::Stream(n))
                }
                None => std::future::pending().await,
            },
        }
    }

    /// A datagram that has arrived already, without waiting (UDP only).
    pub(super) fn try_recv(&self, buf: &mut [u8]) -> Option<(usize, SocketAddr)> {
        match self {
            Net::Udp(s) => s.try_recv_from(buf).ok(),
            Net::Tcp(_) => None,
        }
    }

    /// The whole frames read from the TCP connection so far (walk them with
    /// [`rfc4571::frames`]).
    pub(super) fn take_frames(&mut self) -> Result<Option<Vec<u8>>, String> {
        match self {
            Net::Tcp(l) => l.frames.take_frames().map_err(|e| format!("TCP: {e}")),
            Net::Udp(_) => Ok(None),
        }
    }

    /// Sends (UDP, if the socket takes it now; else it goes to `backlog`) or queues (TCP) one
    /// packet str0m transmits.
    pub(super) fn queue(
        &mut self,
        proto: Protocol,
        to: SocketAddr,
        data: &[u8],
        backlog: &mut VecDeque<(SocketAddr, Vec<u8>)>,
    ) {
        match self {
            Net::Udp(socket) => {
                if proto != Protocol::Udp {
                    return;
                }
                if backlog.is_empty() {
                    match socket.try_send_to(data, to) {
                        Ok(_) => return,
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        Err(e) => {
                            tracing::debug!("UDP send: {e}");
                            return;
                        }
                    }
                }
                backlog.push_back((to, data.to_vec()));
            }
            Net::Tcp(l) => {
                if proto != Protocol::Tcp {
                    return;
                }
                if *l.server.get_or_insert(to) != to {
                    l.elsewhere += 1;
                    return;
                }
                let _ = rfc4571::encode(&mut l.out, data);
            }
        }
    }

    /// Sends what is queued, waiting for the socket or connection as long as it takes (over
    /// TCP, opening the connection first).
    pub(super) async fn drain(
        &mut self,
        backlog: &mut VecDeque<(SocketAddr, Vec<u8>)>,
    ) -> Result<(), String> {
        match self {
            Net::Udp(socket) => {
                while let Some((to, data)) = backlog.pop_front() {
                    if let Err(e) = socket.send_to(&data, to).await {
                        tracing::debug!("UDP send: {e}");
                    }
                }
                Ok(())
            }
            Net::Tcp(l) => {
                if l.out.is_empty() {
                    return Ok(());
                }
                if l.write.is_none() {
                    let Some(server) = l.server else {
                        return Ok(());
                    };
                    let socket = match l.bind_ip {
                        IpAddr::V4(_) => TcpSocket::new_v4(),
                        IpAddr::V6(_) => TcpSocket::new_v6(),
                    }
                    .map_err(|e| format!("TCP socket: {e}"))?;
                    socket
                        .bind(SocketAddr::new(l.bind_ip, 0))
                        .map_err(|e| format!("TCP bind: {e}"))?;
                    let stream = socket
                        .connect(server)
                        .await
                        .map_err(|e| format!("TCP connect to {server}: {e}"))?;
                    let _ = stream.set_nodelay(true);
                    let (r, w) = stream.into_split();
                    l.read = Some(r);
                    l.write = Some(w);
                }
                if let Some(w) = l.write.as_mut() {
                    w.write_all(&l.out)
                        .await
                        .map_err(|e| format!("TCP write: {e}"))?;
                }
                l.out.clear();
                Ok(())
            }
        }
    }
}
