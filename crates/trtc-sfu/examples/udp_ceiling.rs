//! The kernel's part of forwarding on this machine: one thread does nothing but write datagrams
//! of a forwarded packet's size to many loopback sockets with `sendmmsg` (32 a call, as the SFU
//! worker does), another thread reads them; prints the datagrams written per second of the
//! writing thread's CPU time. That is the ceiling of an SFU core whose own work per packet were
//! zero (on loopback the writing call also runs the receiving side: the receiver's socket queue
//! and its wake-up). `bench/README.md` compares it with the real server's figure.
//!
//! ```sh
//! cargo run --release -p trtc-sfu --example udp_ceiling -- [RECEIVERS=500] [SECONDS=5] [BYTES=1200]
//! ```
//! (inside `scripts/in-netns.sh`, like the other benches).

#[cfg(target_os = "linux")]
fn main() {
    linux::main();
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("udp_ceiling measures Linux's sendmmsg; nothing to do here");
}

#[cfg(target_os = "linux")]
mod linux {
    use std::io::IoSlice;
    use std::net::{SocketAddr, UdpSocket};
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use rustix::net::{sendmmsg, MMsgHdr, SendAncillaryBuffer, SendFlags, SocketAddrAny};
    use rustix::time::{clock_gettime, ClockId};

    const BATCH: usize = 32;

    fn thread_cpu() -> Duration {
        let t = clock_gettime(ClockId::ThreadCPUTime);
        Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
    }

    pub(super) fn main() {
        let args: Vec<u64> = std::env::args()
            .skip(1)
            .filter_map(|a| a.parse().ok())
            .collect();
        let receivers = args.first().copied().unwrap_or(500).max(1) as usize;
        let seconds = args.get(1).copied().unwrap_or(5).max(1);
        let bytes = args.get(2).copied().unwrap_or(1200).clamp(1, 1472) as usize;

        let sockets: Vec<UdpSocket> = (0..receivers)
            .map(|_| {
                let s = UdpSocket::bind("127.0.0.1:0").expect("bind a receiver");
                s.set_nonblocking(true).expect("non-blocking receiver");
                let _ = socket2::SockRef::from(&s).set_recv_buffer_size(1 << 20);
                s
            })
            .collect();
        let dests: Vec<SocketAddr> = sockets
            .iter()
            .map(|s| s.local_addr().expect("receiver address"))
            .collect();

        // The reading side: every socket in turn, until told to stop.
        let stop = Arc::new(AtomicBool::new(false));
        let read = Arc::new(AtomicU64::new(0));
        let reader = {
            let (stop, read) = (stop.clone(), read.clone());
            std::thread::spawn(move || {
                let mut buf = [0u8; 2048];
                while !stop.load(Ordering::Relaxed) {
                    for s in &sockets {
                        while s.recv_from(&mut buf).is_ok() {
                            read.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        };

        let sender = UdpSocket::bind("127.0.0.1:0").expect("bind the sender");
        let payload = vec![0x5au8; bytes];
        let addrs: Vec<SocketAddrAny> = dests.iter().map(|a| (*a).into()).collect();
        let mut next = 0usize;
        let mut sent = 0u64;
        let mut failed = 0u64;
        let cpu0 = thread_cpu();
        let t0 = Instant::now();
        let end = t0 + Duration::from_secs(seconds);
        while Instant::now() < end {
            for _ in 0..64 {
                let iovs: Vec<[IoSlice<'_>; 1]> =
                    (0..BATCH).map(|_| [IoSlice::new(&payload)]).collect();
                let mut controls: Vec<SendAncillaryBuffer<'_, '_, '_>> =
                    (0..BATCH).map(|_| SendAncillaryBuffer::default()).collect();
                let mut msgs: Vec<MMsgHdr<'_>> = iovs
                    .iter()
                    .zip(controls.iter_mut())
                    .enumerate()
                    .map(|(i, (iov, control))| {
                        MMsgHdr::new_with_addr(&addrs[(next + i) % addrs.len()], iov, control)
                    })
                    .collect();
                match sendmmsg(&sender, &mut msgs, SendFlags::empty()) {
                    Ok(n) => {
                        sent += n as u64;
                        next = (next + n.max(1)) % addrs.len();
                    }
                    Err(_) => {
                        failed += 1;
                        next = (next + 1) % addrs.len();
                    }
                }
            }
        }
        let wall = t0.elapsed().as_secs_f64();
        let cpu = thread_cpu().saturating_sub(cpu0).as_secs_f64();
        // Let the reader take what is still queued (every datagram, or 2 s at most).
        let drained = Instant::now() + Duration::from_secs(2);
        while read.load(Ordering::Relaxed) < sent && Instant::now() < drained {
            std::thread::yield_now();
        }
        stop.store(true, Ordering::Relaxed);
        let _ = reader.join();
        let got = read.load(Ordering::Relaxed);
        println!(
            "{receivers} receivers, {bytes}-byte datagrams, {seconds} s: written {:.0}/s, writing thread {:.1}% of a core, \
             {:.0} datagrams/s per core of the writing thread; read {:.1}% of them; failed calls {failed}",
            sent as f64 / wall,
            cpu / wall * 100.0,
            sent as f64 / cpu.max(1e-9),
            got as f64 / (sent.max(1) as f64) * 100.0,
        );
    }
}
