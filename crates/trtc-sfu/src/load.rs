//! Whether an SFU worker keeps up, and a warning for the operator when it does not.
//!
//! A room lives on one worker thread, so a room that grows past what one core forwards makes
//! its worker fall behind: the socket's receive buffer fills, the kernel drops datagrams
//! (media and ICE/DTLS alike), and late joiners never connect. Nothing else says so. Every
//! [`WINDOW`] the driver hands the meter two readings:
//!
//! * the worker thread's CPU time (user + system, `CLOCK_THREAD_CPUTIME_ID`): a worker at
//!   [`BUSY_LIMIT`] of a core or more is at its limit;
//! * its UDP socket's drop counter (`/proc/net/udp`, the `drops` column of the socket's line):
//!   datagrams lost before the worker read them, whatever the cause (the thread busy, or
//!   starved of CPU by other processes).
//!
//! Either one makes a window overloaded; the meter answers with a [`LoadNote`] to log: the
//! first overloaded window, then at most one every [`REPEAT`] while it lasts, and one when it
//! ends. Both readings are Linux's; elsewhere the driver has none and the meter says nothing.

use std::time::{Duration, Instant};

/// How often the driver reads the worker's load.
pub(crate) const WINDOW: Duration = Duration::from_secs(5);
/// Thread CPU time over wall time at which a worker is at its limit.
pub(crate) const BUSY_LIMIT: f64 = 0.9;
/// Shortest time between two warnings about one overload.
pub(crate) const REPEAT: Duration = Duration::from_secs(60);

/// What one window measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Window {
    /// Thread CPU time over the window's wall time (1.0 = one core), if read.
    pub busy: Option<f64>,
    /// Datagrams the socket dropped in the window, if read at both ends.
    pub drops: Option<u64>,
}

/// What the driver should log at the end of a window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum LoadNote {
    /// The worker is at its limit (or its socket drops datagrams).
    Overloaded(Window),
    /// An overload reported before has ended.
    Recovered(Window),
}

/// One worker's readings between windows, and whether it was last seen overloaded.
#[derive(Debug)]
pub(crate) struct LoadMeter {
    start: Instant,
    cpu: Option<Duration>,
    drops: Option<u64>,
    overloaded: bool,
    warned: Option<Instant>,
}

impl LoadMeter {
    /// A meter whose first window starts at `now` with these readings.
    pub(crate) fn new(now: Instant, cpu: Option<Duration>, drops: Option<u64>) -> Self {
        LoadMeter {
            start: now,
            cpu,
            drops,
            overloaded: false,
            warned: None,
        }
    }

    /// When the current window ends.
    pub(crate) fn due(&self) -> Instant {
        self.start + WINDOW
    }

    /// Ends the window at `now` with the thread's CPU time and the socket's drop counter (both
    /// cumulative; `None` where they cannot be read), starts the next, and says what to log.
    pub(crate) fn close(
        &mut self,
        now: Instant,
        cpu: Option<Duration>,
        drops: Option<u64>,
    ) -> (Window, Option<LoadNote>) {
        let wall = now.saturating_duration_since(self.start).as_secs_f64();
        let busy = match (self.cpu, cpu) {
            (Some(a), Some(b)) if wall > 0.0 => Some(b.saturating_sub(a).as_secs_f64() / wall),
            _ => None,
        };
        // A counter that went down belongs to another socket (or was reset): no reading.
        let dropped = match (self.drops, drops) {
            (Some(a), Some(b)) if b >= a => Some(b - a),
            _ => None,
        };
        self.start = now;
        self.cpu = cpu;
        self.drops = drops;
        let w = Window {
            busy,
            drops: dropped,
        };
        let over = busy.is_some_and(|b| b >= BUSY_LIMIT) || dropped.is_some_and(|d| d > 0);
        let note = if over {
            let first = !self.overloaded;
            self.overloaded = true;
            let again = self
                .warned
                .is_none_or(|t| now.saturating_duration_since(t) >= REPEAT);
            (first || again).then(|| {
                self.warned = Some(now);
                LoadNote::Overloaded(w)
            })
        } else if self.overloaded {
            self.overloaded = false;
            Some(LoadNote::Recovered(w))
        } else {
            None
        };
        (w, note)
    }
}

/// The `drops` column of the line for socket `inode` in a `/proc/net/udp` or `/proc/net/udp6`
/// table (`sl local rem st tx:rx tr:tm retrnsmt uid timeout inode ref pointer drops`).
pub(crate) fn udp_drops(table: &str, inode: u64) -> Option<u64> {
    table.lines().skip(1).find_map(|line| {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.get(9)?.parse::<u64>().ok()? != inode {
            return None;
        }
        cols.get(12)?.parse().ok()
    })
}

/// The inode in a `/proc/self/fd/N` link to a socket (`socket:[INODE]`).
pub(crate) fn socket_inode(link: &str) -> Option<u64> {
    link.strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// The calling thread's CPU time (user + system), where the OS gives it.
pub(crate) fn thread_cpu() -> Option<Duration> {
    #[cfg(target_os = "linux")]
    {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
        Some(Duration::new(
            u64::try_from(t.tv_sec).ok()?,
            u32::try_from(t.tv_nsec).ok()?,
        ))
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// The socket's inode (what `/proc/net/udp` lists it by), where the OS gives it.
pub(crate) fn inode_of(socket: &tokio::net::UdpSocket) -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let link = std::fs::read_link(format!("/proc/self/fd/{}", socket.as_raw_fd())).ok()?;
        socket_inode(link.to_str()?)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = socket;
        None
    }
}

/// Datagrams the socket `inode` has dropped since it was made (IPv4 or IPv6 table).
pub(crate) fn socket_drops(inode: Option<u64>) -> Option<u64> {
    let inode = inode?;
    ["/proc/net/udp", "/proc/net/udp6"].iter().find_map(|t| {
        let table = std::fs::read_to_string(t).ok()?;
        udp_drops(&table, inode)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn window(m: &mut LoadMeter, at: Instant, cpu_ms: u64, drops: u64) -> Option<LoadNote> {
        m.close(at, Some(MS * cpu_ms as u32), Some(drops)).1
    }

    #[test]
    fn a_quiet_worker_says_nothing() {
        let t0 = Instant::now();
        let mut m = LoadMeter::new(t0, Some(Duration::ZERO), Some(7));
        let (w, note) = m.close(t0 + WINDOW, Some(MS * 1000), Some(7));
        assert_eq!(note, None);
        assert_eq!(w.drops, Some(0));
        assert!((w.busy.unwrap() - 0.2).abs() < 1e-9, "{w:?}");
        assert_eq!(m.due(), t0 + WINDOW * 2);
    }

    #[test]
    fn a_busy_worker_is_reported_then_repeated_at_most_every_minute_then_recovered() {
        let t0 = Instant::now();
        let mut m = LoadMeter::new(t0, Some(Duration::ZERO), Some(0));
        let mut cpu = 0;
        let mut notes = vec![];
        // 20 windows (100 s) at 95 % of a core, then one at 10 %.
        for i in 1..=21u32 {
            cpu += if i <= 20 { 4750 } else { 500 };
            notes.push(window(&mut m, t0 + WINDOW * i, cpu, 0));
        }
        let over: Vec<usize> = notes
            .iter()
            .enumerate()
            .filter(|(_, n)| matches!(n, Some(LoadNote::Overloaded(_))))
            .map(|(i, _)| i + 1)
            .collect();
        // The first window, then 60 s later (window 13); not at 100 s (only 40 s after).
        assert_eq!(over, vec![1, 13]);
        match notes[20] {
            Some(LoadNote::Recovered(w)) => assert!((w.busy.unwrap() - 0.1).abs() < 1e-9),
            ref n => panic!("{n:?}"),
        }
    }

    #[test]
    fn socket_drops_alone_make_an_overload() {
        let t0 = Instant::now();
        let mut m = LoadMeter::new(t0, None, Some(100));
        match m.close(t0 + WINDOW, None, Some(350)).1 {
            Some(LoadNote::Overloaded(w)) => assert_eq!(
                w,
                Window {
                    busy: None,
                    drops: Some(250)
                }
            ),
            n => panic!("{n:?}"),
        }
        // A counter that went backwards is no reading: nothing to say, and the overload ends.
        assert!(matches!(
            m.close(t0 + WINDOW * 2, None, Some(3)).1,
            Some(LoadNote::Recovered(Window { drops: None, .. }))
        ));
    }

    #[test]
    fn without_readings_the_meter_is_silent() {
        let t0 = Instant::now();
        let mut m = LoadMeter::new(t0, None, None);
        for i in 1..5u32 {
            assert_eq!(m.close(t0 + WINDOW * i, None, None).1, None);
        }
    }

    #[test]
    fn the_drops_column_of_the_socket_line() {
        let table = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n\
            \x20 120: 0100007F:34B6 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 40717 2 0000000000000000 12\n\
            \x20 201: 0100007F:3507 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 40999 2 0000000000000000 3456\n";
        assert_eq!(udp_drops(table, 40999), Some(3456));
        assert_eq!(udp_drops(table, 40717), Some(12));
        assert_eq!(udp_drops(table, 1), None);
        assert_eq!(udp_drops("", 40999), None);
        assert_eq!(udp_drops("header\n 1: short line 40999\n", 40999), None);
    }

    /// The readings on a real socket: one that is sent to and never read drops what overflows
    /// its receive buffer, and the thread's CPU time grows with work.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_socket_that_is_not_read_counts_its_drops() {
        let rx = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        socket2::SockRef::from(&rx)
            .set_recv_buffer_size(4096)
            .unwrap();
        let inode = inode_of(&rx);
        assert!(inode.is_some(), "no inode for the socket");
        assert_eq!(socket_drops(inode), Some(0));
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let to = rx.local_addr().unwrap();
        for _ in 0..200 {
            tx.send_to(&[7u8; 1000], to).unwrap();
        }
        let dropped = socket_drops(inode).unwrap();
        assert!(
            dropped > 100,
            "{dropped} drops of 200 sent into a 4 KiB buffer"
        );

        let before = thread_cpu().unwrap();
        let mut x = 0u64;
        let spin = Instant::now();
        while spin.elapsed() < MS * 20 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(1));
        }
        assert!(thread_cpu().unwrap() >= before + MS * 10, "{x}");
    }

    #[test]
    fn the_inode_of_a_socket_link() {
        assert_eq!(socket_inode("socket:[40999]"), Some(40999));
        assert_eq!(socket_inode("pipe:[40999]"), None);
        assert_eq!(socket_inode("socket:[x]"), None);
        assert_eq!(socket_inode("/dev/null"), None);
    }
}
