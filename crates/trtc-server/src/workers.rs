//! Starting the SFU workers (`--sfu-threads N`): the sockets each one binds, and its limits.
//!
//! Each worker is a `trtc_sfu` driver on a thread of its own with **its own** UDP socket and,
//! unless ICE-TCP is off, its own TCP listener, so nothing on the media path crosses threads:
//! a browser's packets arrive on the socket of the worker that owns its peer, because that
//! worker's addresses are the only candidates in that peer's offers. (One port shared with
//! `SO_REUSEPORT` would not do: the kernel would spread a client's packets over workers that do
//! not know its peer.)
//!
//! Ports, for worker `k` (0-based):
//!
//! * UDP: worker 0 binds `--udp` as given; worker `k` binds the same IP and **port + k**, or a
//!   free port of its own when `--udp`'s port is 0.
//! * TCP (`--tcp ADDR`): the same rule on ADDR. By default (no `--tcp`): worker `k`'s UDP IP and
//!   the port number asked of UDP for it (`--udp` port + k), or a free port when that is 0.
//!   `--tcp off`: no listener at all.
//! * Candidates: the `--ice-ip` addresses (or the socket's own) with the worker's own ports.
//!
//! Limits: a worker's core keeps every per-SFU limit of `trtc_sfu` (offers, answers, peers'
//! state) for its own peers. Of the ICE-TCP caps, the totals (`--tcp-max-conns`, and the cap on
//! connections not checked yet) are **process-wide**: each worker gets an equal share, rounded
//! up; the per-address caps (`--tcp-max-conns-per-ip`, `--tcp-max-unchecked-per-ip`) apply **per
//! worker** (a shared count would put a lock on every accept, and one address's browsers are
//! normally in few rooms): one address may hold up to N times them in all.

use std::net::{IpAddr, SocketAddr};

use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc;

/// What [`spawn_workers`] needs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// How many workers (at least one).
    pub threads: usize,
    /// `--udp`: `host:port`, port 0 for free ports.
    pub udp: String,
    /// `--tcp`: `None` for the default (after `--udp`), `off`, or `host:port`.
    pub tcp: Option<String>,
    /// `--ice-ip`: the IPs put in candidates (empty: each socket's own).
    pub advertise: Vec<IpAddr>,
    /// ICE-TCP limits, with the totals for the whole process (module docs).
    pub tcp_limits: trtc_sfu::TcpConfig,
    /// The core's settings, the same for every worker.
    pub sfu: trtc_sfu::SfuConfig,
}

/// The port worker `k` asks for when worker 0 asked for `base`: `base + k`, or 0 (a free port)
/// when `base` is 0. An error when it does not fit in a port number.
pub fn worker_port(base: u16, k: usize) -> Result<u16, String> {
    if base == 0 {
        return Ok(0);
    }
    u16::try_from(usize::from(base) + k)
        .map_err(|_| format!("port {base} + {k} (worker {k}) is beyond 65535"))
}

/// The port number asked in `host:port` (None when there is none to read).
fn asked_port(addr: &str) -> Option<u16> {
    addr.trim()
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse::<u16>().ok())
}

/// A worker's share of a process-wide cap: `total / workers`, rounded up, at least 1.
pub fn share(total: usize, workers: usize) -> usize {
    total.div_ceil(workers.max(1)).max(1)
}

/// The ICE-TCP limits of one of `workers` workers (module docs).
pub fn worker_tcp_limits(total: &trtc_sfu::TcpConfig, workers: usize) -> trtc_sfu::TcpConfig {
    trtc_sfu::TcpConfig {
        max_conns: share(total.max_conns, workers),
        max_pending: share(total.max_pending, workers),
        ..total.clone()
    }
}

/// The name of worker `k`'s thread: `trtc-sfu` alone, `trtc-sfu-K` among several.
pub fn thread_name(k: usize, workers: usize) -> String {
    if workers <= 1 {
        "trtc-sfu".into()
    } else {
        format!("trtc-sfu-{k}")
    }
}

/// Binds every worker's sockets, then starts the workers. Returns their handles (index =
/// worker) and their event streams, or what could not be bound. Call it inside a tokio runtime.
pub async fn spawn_workers(
    opts: &WorkerOptions,
) -> Result<
    (
        Vec<trtc_sfu::SfuHandle>,
        Vec<mpsc::Receiver<trtc_sfu::SfuEvent>>,
    ),
    String,
> {
    let n = opts.threads.max(1);
    let mut bound = Vec::with_capacity(n);
    let udp0 = UdpSocket::bind(&opts.udp)
        .await
        .map_err(|e| format!("cannot bind the media socket {}: {e}", opts.udp))?;
    let local0 = udp0
        .local_addr()
        .map_err(|e| format!("cannot read the media socket's address: {e}"))?;
    let udp_base = asked_port(&opts.udp).unwrap_or(local0.port());
    let tcp_off = opts
        .tcp
        .as_deref()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("off"));
    let mut tcp_ip: Option<IpAddr> = None;
    let tcp_base = opts.tcp.as_deref().and_then(asked_port).unwrap_or(0);
    let mut udp0 = Some(udp0);
    for k in 0..n {
        let udp = match udp0.take() {
            Some(u) => u,
            None => {
                let addr = SocketAddr::new(local0.ip(), worker_port(udp_base, k)?);
                UdpSocket::bind(addr).await.map_err(|e| {
                    format!("cannot bind the media socket of SFU worker {k} on {addr}: {e}")
                })?
            }
        };
        let tcp = if tcp_off {
            None
        } else {
            let addr = match (opts.tcp.as_deref(), tcp_ip) {
                // Worker 0 takes --tcp as it is written (a host name too).
                (Some(t), None) => t.trim().to_string(),
                (Some(_), Some(ip)) => SocketAddr::new(ip, worker_port(tcp_base, k)?).to_string(),
                (None, _) => {
                    let ip = udp
                        .local_addr()
                        .map_err(|e| format!("cannot read the media socket's address: {e}"))?
                        .ip();
                    SocketAddr::new(ip, worker_port(udp_base, k)?).to_string()
                }
            };
            let l = TcpListener::bind(&addr).await.map_err(|e| {
                format!(
                    "cannot listen for ICE-TCP on {addr} (SFU worker {k}): {e} (set --tcp ADDR, or --tcp off for UDP only)"
                )
            })?;
            if tcp_ip.is_none() {
                tcp_ip = l.local_addr().ok().map(|a| a.ip());
            }
            Some((l, worker_tcp_limits(&opts.tcp_limits, n)))
        };
        bound.push((udp, tcp));
    }
    let mut handles = Vec::with_capacity(n);
    let mut events = Vec::with_capacity(n);
    for (k, (udp, tcp)) in bound.into_iter().enumerate() {
        let (h, ev) = trtc_sfu::spawn_named(
            udp,
            tcp,
            opts.advertise.clone(),
            opts.sfu.clone(),
            &thread_name(k, n),
        );
        handles.push(h);
        events.push(ev);
    }
    Ok((handles, events))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_follow_the_base_or_are_free() {
        assert_eq!(worker_port(0, 0), Ok(0));
        assert_eq!(worker_port(0, 5), Ok(0), "port 0: a free port each");
        assert_eq!(worker_port(5000, 0), Ok(5000));
        assert_eq!(worker_port(5000, 3), Ok(5003));
        assert_eq!(worker_port(65535, 0), Ok(65535));
        assert!(worker_port(65535, 1).is_err());
        assert_eq!(asked_port("127.0.0.1:4000"), Some(4000));
        assert_eq!(asked_port("[::1]:4000"), Some(4000));
        assert_eq!(asked_port("localhost"), None);
    }

    #[test]
    fn process_wide_caps_are_shared_out_and_per_address_caps_kept() {
        assert_eq!(share(4096, 1), 4096);
        assert_eq!(share(4096, 2), 2048);
        assert_eq!(share(5, 2), 3, "rounded up");
        assert_eq!(share(1, 4), 1, "never 0");
        let total = trtc_sfu::TcpConfig {
            max_conns: 100,
            max_pending: 10,
            max_conns_per_ip: 7,
            max_pending_per_ip: 3,
            ..trtc_sfu::TcpConfig::default()
        };
        let w = worker_tcp_limits(&total, 4);
        assert_eq!((w.max_conns, w.max_pending), (25, 3));
        assert_eq!((w.max_conns_per_ip, w.max_pending_per_ip), (7, 3));
        assert_eq!(thread_name(0, 1), "trtc-sfu");
        assert_eq!(thread_name(1, 2), "trtc-sfu-1");
    }

    fn opts(threads: usize, udp: &str, tcp: Option<&str>) -> WorkerOptions {
        WorkerOptions {
            threads,
            udp: udp.into(),
            tcp: tcp.map(Into::into),
            advertise: vec![],
            tcp_limits: trtc_sfu::TcpConfig::default(),
            sfu: trtc_sfu::SfuConfig::default(),
        }
    }

    #[tokio::test]
    async fn each_worker_has_sockets_of_its_own() {
        let (w, ev) = spawn_workers(&opts(3, "127.0.0.1:0", None)).await.unwrap();
        assert_eq!((w.len(), ev.len()), (3, 3));
        let mut udp: Vec<u16> = w.iter().map(|h| h.local_addr().port()).collect();
        let mut tcp: Vec<u16> = w
            .iter()
            .map(|h| h.tcp_local_addr().unwrap().port())
            .collect();
        for h in &w {
            assert_eq!(h.candidates(), &[h.local_addr()], "its own port advertised");
            assert_eq!(h.tcp_candidates(), &[h.tcp_local_addr().unwrap()]);
        }
        udp.sort_unstable();
        udp.dedup();
        tcp.sort_unstable();
        tcp.dedup();
        assert_eq!((udp.len(), tcp.len()), (3, 3), "distinct ports");

        let (w, _) = spawn_workers(&opts(2, "127.0.0.1:0", Some("off")))
            .await
            .unwrap();
        assert!(w.iter().all(|h| h.tcp_local_addr().is_none()));
    }

    #[tokio::test]
    async fn with_a_base_port_worker_k_takes_port_plus_k() {
        // Find a base whose next ports are free for both UDP and TCP (others may hold some).
        let mut tried = vec![];
        for i in 0..40u16 {
            let base = 21_000 + (std::process::id() as u16 % 500) * 16 + i * 7;
            match spawn_workers(&opts(2, &format!("127.0.0.1:{base}"), None)).await {
                Ok((w, _)) => {
                    let udp: Vec<u16> = w.iter().map(|h| h.local_addr().port()).collect();
                    let tcp: Vec<u16> = w
                        .iter()
                        .map(|h| h.tcp_local_addr().unwrap().port())
                        .collect();
                    assert_eq!(udp, [base, base + 1]);
                    assert_eq!(tcp, [base, base + 1], "TCP follows UDP by default");
                    let t = base + 100;
                    if let Ok((w, _)) =
                        spawn_workers(&opts(2, "127.0.0.1:0", Some(&format!("127.0.0.1:{t}"))))
                            .await
                    {
                        let tcp: Vec<u16> = w
                            .iter()
                            .map(|h| h.tcp_local_addr().unwrap().port())
                            .collect();
                        assert_eq!(tcp, [t, t + 1]);
                    }
                    return;
                }
                Err(e) => tried.push(e),
            }
        }
        panic!("no free port pair found: {tried:?}");
    }

    #[tokio::test]
    async fn a_port_taken_is_an_error_naming_the_worker() {
        let taken = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let port = taken.local_addr().unwrap().port();
        // Worker 1 would need `port`: worker 0 asks for the one below it.
        let err =
            match spawn_workers(&opts(2, &format!("127.0.0.1:{}", port - 1), Some("off"))).await {
                Ok(_) => panic!("port {port} is taken"),
                Err(e) => e,
            };
        // Worker 0's port may be taken too on a busy machine; either way the error says which.
        assert!(
            err.contains("of SFU worker 1 on") || err.contains(&format!(":{}", port - 1)),
            "{err}"
        );
    }
}
