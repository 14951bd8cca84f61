//! The SFU's UDP socket IO, batched where the OS allows it.
//!
//! Linux: datagrams are read with `recvmmsg` (up to [`MMSG_BATCH`] per system call, through
//! `nix`) and written with `sendmmsg` (up to [`MMSG_BATCH`] per call, through `rustix`).
//! Elsewhere: one `try_recv_from` / `try_send_to` per datagram, as before (the `portable`
//! functions, also built for the tests on Linux).
//!
//! No GSO: an SFU's outgoing datagrams of one step go to many destinations with sizes that
//! differ, so runs of equal-size segments to one address (what GSO needs) are rare; `sendmmsg`
//! takes any mix.
//!
//! Sending keeps the driver's behaviour: a full socket buffer (`WouldBlock`) waits for the
//! socket to be writable and then goes on with the same datagram; any other error drops that
//! one datagram (logged) and goes on with the next.

use std::io;
use std::net::SocketAddr;

use tokio::net::UdpSocket;
use tracing::{debug, warn};

/// Largest datagram we read (str0m's MTU is ~1150; browsers stay under 1500).
pub(crate) const RECV_BUF: usize = 2048;
/// Datagrams per `recvmmsg` / `sendmmsg` call (and most outgoing datagrams held before they
/// are written).
pub(crate) const MMSG_BATCH: usize = 32;

/// The UDP socket and the outgoing datagrams not yet written.
pub(crate) struct UdpIo {
    socket: UdpSocket,
    /// Outgoing datagrams waiting for [`UdpIo::flush`]; at most [`MMSG_BATCH`].
    pending: Vec<(SocketAddr, Vec<u8>)>,
}

/// Receive buffers, and what the last read put in them. Apart from [`UdpIo`] so that the
/// datagrams can be handled (and their packets sent) one by one while they are borrowed.
pub(crate) struct RecvBatch {
    /// [`MMSG_BATCH`] buffers of [`RECV_BUF`] bytes on Linux, one elsewhere.
    bufs: Vec<Vec<u8>>,
    /// Buffer index, length and source of each datagram of the last read.
    got: Vec<(usize, usize, SocketAddr)>,
}

impl RecvBatch {
    pub(crate) fn new() -> Self {
        let n = if cfg!(target_os = "linux") {
            MMSG_BATCH
        } else {
            1
        };
        RecvBatch {
            bufs: vec![vec![0u8; RECV_BUF]; n],
            got: Vec::with_capacity(n),
        }
    }

    /// How many datagrams the last read kept.
    pub(crate) fn len(&self) -> usize {
        self.got.len()
    }

    /// The `i`th datagram of the last read: its source and bytes.
    pub(crate) fn get(&self, i: usize) -> (SocketAddr, &[u8]) {
        let (b, n, from) = self.got[i];
        (from, &self.bufs[b][..n.min(RECV_BUF)])
    }
}

impl UdpIo {
    pub(crate) fn new(socket: UdpSocket) -> Self {
        UdpIo {
            socket,
            pending: Vec::with_capacity(MMSG_BATCH),
        }
    }

    /// Waits until the socket may have a datagram.
    pub(crate) async fn readable(&self) -> io::Result<()> {
        self.socket.readable().await
    }

    /// Reads what has arrived without waiting, up to one batch, into `batch` ([`RecvBatch::get`]).
    /// How many datagrams were read (a few may have been left out of `batch`: see
    /// `recv_mmsg`); `WouldBlock`: nothing was there.
    pub(crate) fn try_recv_batch(&self, batch: &mut RecvBatch) -> io::Result<usize> {
        #[cfg(target_os = "linux")]
        {
            self.try_recv_mmsg(batch)
        }
        #[cfg(not(target_os = "linux"))]
        {
            self.try_recv_one(batch)
        }
    }

    /// Queues a datagram; writes the queue once it holds a batch. `recycle` gets each buffer
    /// back once its datagram has been written (or dropped).
    pub(crate) async fn send(
        &mut self,
        to: SocketAddr,
        data: Vec<u8>,
        recycle: &mut impl FnMut(Vec<u8>),
    ) {
        self.pending.push((to, data));
        if self.pending.len() >= MMSG_BATCH {
            self.flush(recycle).await;
        }
    }

    /// Writes every queued datagram, waiting for the socket while its buffer is full.
    pub(crate) async fn flush(&mut self, recycle: &mut impl FnMut(Vec<u8>)) {
        #[cfg(target_os = "linux")]
        self.flush_mmsg().await;
        #[cfg(not(target_os = "linux"))]
        self.flush_one_by_one().await;
        for (_, data) in self.pending.drain(..) {
            recycle(data);
        }
    }

    #[cfg(target_os = "linux")]
    fn try_recv_mmsg(&self, batch: &mut RecvBatch) -> io::Result<usize> {
        let RecvBatch { bufs, got } = batch;
        got.clear();
        self.socket.try_io(tokio::io::Interest::READABLE, || {
            linux::recv_mmsg(&self.socket, bufs, got)
        })
    }

    #[cfg(target_os = "linux")]
    async fn flush_mmsg(&mut self) {
        let mut start = 0;
        while start < self.pending.len() {
            let rest = &self.pending[start..];
            match self.socket.try_io(tokio::io::Interest::WRITABLE, || {
                linux::send_mmsg(&self.socket, rest)
            }) {
                // `sendmmsg` says 0 only for no message at all; never loop on it.
                Ok(n) => start += n.max(1),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if let Err(e) = self.socket.writable().await {
                        log_send_error(self.pending[start].0, &e);
                        start += 1;
                    }
                }
                // The first datagram failed (had one been written, the count would say so).
                Err(e) => {
                    log_send_error(self.pending[start].0, &e);
                    start += 1;
                }
            }
        }
    }
}

/// One datagram per system call: the path off Linux (and a test of it on Linux).
#[cfg(any(not(target_os = "linux"), test))]
mod portable {
    use super::*;

    impl UdpIo {
        pub(crate) fn try_recv_one(&self, batch: &mut RecvBatch) -> io::Result<usize> {
            batch.got.clear();
            let (n, from) = self.socket.try_recv_from(&mut batch.bufs[0])?;
            batch.got.push((0, n, from));
            Ok(1)
        }

        pub(crate) async fn flush_one_by_one(&mut self) {
            for (to, data) in &self.pending {
                let sent = match self.socket.try_send_to(data, *to) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        self.socket.send_to(data, *to).await
                    }
                    r => r,
                };
                if let Err(e) = sent {
                    log_send_error(*to, &e);
                }
            }
        }
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::io::{self, IoSlice, IoSliceMut};
    use std::net::{SocketAddr, SocketAddrV4, SocketAddrV6};
    use std::os::fd::AsRawFd;

    use nix::sys::socket::{MsgFlags, MultiHeaders, SockaddrStorage};
    use rustix::net::{MMsgHdr, SendAncillaryBuffer, SendFlags, SocketAddrAny};
    use tokio::net::UdpSocket;

    /// `recvmmsg` into `bufs`; `got` gets each datagram's buffer index, length and source (a
    /// datagram whose source is neither IPv4 nor IPv6 is left out). How many were read.
    pub(super) fn recv_mmsg(
        socket: &UdpSocket,
        bufs: &mut [Vec<u8>],
        got: &mut Vec<(usize, usize, SocketAddr)>,
    ) -> io::Result<usize> {
        got.clear();
        let mut headers = MultiHeaders::<SockaddrStorage>::preallocate(bufs.len(), None);
        let mut iovs: Vec<[IoSliceMut<'_>; 1]> =
            bufs.iter_mut().map(|b| [IoSliceMut::new(b)]).collect();
        let received = nix::sys::socket::recvmmsg(
            socket.as_raw_fd(),
            &mut headers,
            iovs.iter_mut(),
            MsgFlags::MSG_DONTWAIT,
            None,
        )?;
        let mut count = 0;
        for (i, m) in received.enumerate() {
            count += 1;
            if let Some(from) = m.address.as_ref().and_then(to_std) {
                got.push((i, m.bytes, from));
            }
        }
        Ok(count)
    }

    fn to_std(a: &SockaddrStorage) -> Option<SocketAddr> {
        if let Some(v4) = a.as_sockaddr_in() {
            return Some(SocketAddr::V4(SocketAddrV4::from(*v4)));
        }
        if let Some(v6) = a.as_sockaddr_in6() {
            return Some(SocketAddr::V6(SocketAddrV6::from(*v6)));
        }
        None
    }

    /// `sendmmsg` of `pending` (at most [`super::MMSG_BATCH`]): how many were written.
    pub(super) fn send_mmsg(
        socket: &UdpSocket,
        pending: &[(SocketAddr, Vec<u8>)],
    ) -> io::Result<usize> {
        let addrs: Vec<SocketAddrAny> = pending.iter().map(|(a, _)| (*a).into()).collect();
        let iovs: Vec<[IoSlice<'_>; 1]> = pending.iter().map(|(_, d)| [IoSlice::new(d)]).collect();
        let mut controls: Vec<SendAncillaryBuffer<'_, '_, '_>> = pending
            .iter()
            .map(|_| SendAncillaryBuffer::default())
            .collect();
        let mut msgs: Vec<MMsgHdr<'_>> = addrs
            .iter()
            .zip(&iovs)
            .zip(controls.iter_mut())
            .map(|((a, iov), c)| MMsgHdr::new_with_addr(a, iov, c))
            .collect();
        Ok(rustix::net::sendmmsg(
            socket,
            &mut msgs,
            SendFlags::DONTWAIT,
        )?)
    }
}

pub(crate) fn log_send_error(to: SocketAddr, e: &io::Error) {
    // The peer may be gone; its Rtc notices by itself.
    debug!(%to, "UDP send failed: {e}");
    if e.kind() == io::ErrorKind::PermissionDenied {
        warn!(%to, "UDP send not permitted: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// More than three batches, each datagram telling its number.
    const N: usize = 3 * MMSG_BATCH + 5;

    fn payload(i: usize) -> Vec<u8> {
        format!("datagram {i}").into_bytes()
    }

    /// `N` datagrams sent to a `UdpIo` are all read (in order, with their source), then all
    /// sent back through it to the sender ("forwarded"), with every buffer recycled once.
    /// `portable`: the one-datagram-per-call path (the one off Linux).
    async fn more_than_a_batch_round_trip(portable: bool) {
        let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let io_addr = sock.local_addr().unwrap();
        let mut io = UdpIo::new(sock);
        let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let peer_addr = peer.local_addr().unwrap();
        for i in 0..N {
            peer.send_to(&payload(i), io_addr).await.unwrap();
        }

        let mut batch = RecvBatch::new();
        let mut seen = Vec::new();
        let mut reads = 0;
        while seen.len() < N {
            tokio::time::timeout(Duration::from_secs(5), io.readable())
                .await
                .expect("datagrams lost")
                .unwrap();
            let r = if portable {
                io.try_recv_one(&mut batch)
            } else {
                io.try_recv_batch(&mut batch)
            };
            match r {
                Ok(n) => {
                    reads += 1;
                    assert!(n <= MMSG_BATCH);
                    assert_eq!(n, batch.len());
                    for i in 0..batch.len() {
                        let (from, data) = batch.get(i);
                        assert_eq!(from, peer_addr);
                        seen.push(data.to_vec());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("receive error: {e}"),
            }
        }
        assert_eq!(seen, (0..N).map(payload).collect::<Vec<_>>());
        if portable || cfg!(not(target_os = "linux")) {
            assert_eq!(reads, N);
        } else {
            // All were queued before the first read: whole batches.
            assert_eq!(reads, N.div_ceil(MMSG_BATCH));
        }

        let mut recycled = 0;
        for data in seen {
            if portable {
                io.pending.push((peer_addr, data));
            } else {
                io.send(peer_addr, data, &mut |_| recycled += 1).await;
                assert!(io.pending.len() < MMSG_BATCH);
            }
        }
        if portable {
            io.flush_one_by_one().await;
            recycled += io.pending.drain(..).count();
        } else {
            io.flush(&mut |_| recycled += 1).await;
        }
        assert_eq!(recycled, N);
        assert!(io.pending.is_empty());
        expect_payloads(&peer, io_addr, N).await;
    }

    #[tokio::test]
    async fn more_than_a_batch_is_received_and_forwarded() {
        more_than_a_batch_round_trip(false).await;
    }

    #[tokio::test]
    async fn the_portable_path_receives_and_forwards_too() {
        more_than_a_batch_round_trip(true).await;
    }

    /// A datagram to an address the socket cannot reach (IPv6 from an IPv4 socket) is dropped
    /// on its own: the ones around it still go.
    #[tokio::test]
    async fn a_failed_datagram_does_not_stop_the_batch() {
        let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let io_addr = sock.local_addr().unwrap();
        let mut io = UdpIo::new(sock);
        let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let peer_addr = peer.local_addr().unwrap();
        let bad: SocketAddr = "[::1]:9".parse().unwrap();
        let mut recycled = 0;
        for i in 0..4 {
            io.send(peer_addr, payload(i), &mut |_| recycled += 1).await;
            io.send(bad, payload(100 + i), &mut |_| recycled += 1).await;
        }
        io.flush(&mut |_| recycled += 1).await;
        assert_eq!(recycled, 8);
        expect_payloads(&peer, io_addr, 4).await;
    }

    /// `peer` receives `payload(0)` … `payload(n - 1)` from `from`, in order.
    async fn expect_payloads(peer: &UdpSocket, from: SocketAddr, n: usize) {
        let mut buf = [0u8; 64];
        for i in 0..n {
            let (len, got) = tokio::time::timeout(Duration::from_secs(5), peer.recv_from(&mut buf))
                .await
                .expect("datagrams lost")
                .unwrap();
            assert_eq!(got, from);
            assert_eq!(&buf[..len], &payload(i)[..]);
        }
    }
}
