//! One engine process: an `ffmpeg` child that reads plain RTP on loopback ports (described by
//! an SDP file) and writes one Matroska file with the streams copied as they are (`-c copy`).
//! Owned: stopped with SIGINT (FFmpeg then finishes the file), killed if it does not end in
//! time, killed when dropped, and always waited for (reaped). Its stderr is kept, bounded.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};

/// The last this many bytes of an engine's stderr are kept.
pub const STDERR_TAIL: usize = 2048;
/// How long a stopped engine has to finish its file before it is killed.
pub const STOP_GRACE: Duration = Duration::from_secs(8);

/// The tail of a child's stderr.
#[derive(Debug, Default, Clone)]
pub struct Tail(Arc<Mutex<Vec<u8>>>);

impl Tail {
    fn push(&self, bytes: &[u8]) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        t.extend_from_slice(bytes);
        if t.len() > STDERR_TAIL {
            let cut = t.len() - STDERR_TAIL;
            t.drain(..cut);
        }
    }

    /// What was kept, as text.
    pub fn text(&self) -> String {
        let t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&t).trim().to_string()
    }
}

/// How an engine ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    /// Whether we asked it to end (a stop, or the task ending); otherwise it crashed.
    pub asked: bool,
    /// Its exit code, if it exited.
    pub code: Option<i32>,
    /// The signal that ended it, if one did.
    pub signal: Option<i32>,
}

impl Ended {
    fn of(status: ExitStatus, asked: bool) -> Self {
        use std::os::unix::process::ExitStatusExt;
        Ended {
            asked,
            code: status.code(),
            signal: status.signal(),
        }
    }
}

/// A running engine.
#[derive(Debug)]
pub struct Engine {
    child: Child,
    pid: Option<u32>,
    tail: Tail,
    /// The file it writes.
    pub out: PathBuf,
}

/// The command line: read `sdp`, copy every stream into `out` (Matroska).
pub fn args(sdp: &Path, out: &Path) -> Vec<std::ffi::OsString> {
    let mut v: Vec<std::ffi::OsString> = [
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "warning",
        "-protocol_whitelist",
        "file,udp,rtp",
        // Its RTP and RTCP sockets on loopback only (by default FFmpeg binds every address).
        "-localaddr",
        "127.0.0.1",
        // With no packet for about twice this (seconds), FFmpeg finishes the file and exits:
        // how an engine stopped with SIGINT ends when its user sends nothing any more.
        "-listen_timeout",
        "2",
        // A keyframe is a burst of packets: room for it in the socket's buffer.
        "-buffer_size",
        "1048576",
        "-i",
    ]
    .iter()
    .map(Into::into)
    .collect();
    v.push(sdp.into());
    for a in ["-map", "0", "-c", "copy", "-f", "matroska", "-y"] {
        v.push(a.into());
    }
    v.push(out.into());
    v
}

impl Engine {
    /// Starts `ffmpeg` (the program `ffmpeg`) on `sdp`, writing `out`.
    pub fn spawn(ffmpeg: &Path, sdp: &Path, out: &Path) -> std::io::Result<Engine> {
        Engine::spawn_with(ffmpeg, args(sdp, out), out, false, false)
    }

    /// Starts `ffmpeg` with `args` (which write `out`, or its stdout), its stdin and stdout
    /// piped to us when asked (then taken with [`Engine::take_stdin`] and
    /// [`Engine::take_stdout`]), otherwise null.
    pub fn spawn_with(
        ffmpeg: &Path,
        args: Vec<std::ffi::OsString>,
        out: &Path,
        stdin: bool,
        stdout: bool,
    ) -> std::io::Result<Engine> {
        let pipe = |yes: bool| if yes { Stdio::piped() } else { Stdio::null() };
        let mut child = Command::new(ffmpeg)
            .args(args)
            .stdin(pipe(stdin))
            .stdout(pipe(stdout))
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let tail = Tail::default();
        if let Some(mut err) = child.stderr.take() {
            let t = tail.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                while let Ok(n) = err.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    t.push(&buf[..n]);
                }
            });
        }
        Ok(Engine {
            pid: child.id(),
            child,
            tail,
            out: out.to_path_buf(),
        })
    }

    /// Its stdin, when spawned with it piped (once).
    pub fn take_stdin(&mut self) -> Option<tokio::process::ChildStdin> {
        self.child.stdin.take()
    }

    /// Its stdout, when spawned with it piped (once).
    pub fn take_stdout(&mut self) -> Option<tokio::process::ChildStdout> {
        self.child.stdout.take()
    }

    /// Kills it (nothing to finish: a decoder) and reaps it.
    pub async fn kill(mut self) -> (Ended, String) {
        let _ = self.child.start_kill();
        let ended = match self.child.wait().await {
            Ok(s) => Ended::of(s, true),
            Err(_) => Ended {
                asked: true,
                code: None,
                signal: None,
            },
        };
        (ended, self.tail.text())
    }

    /// Waits up to `limit` for it to exit by itself (its inputs closed); then as
    /// [`Engine::stop`].
    pub async fn finish(mut self, limit: Duration) -> (Ended, String) {
        if let Ok(Ok(s)) = tokio::time::timeout(limit, self.child.wait()).await {
            return (Ended::of(s, true), self.tail.text());
        }
        let (mut ended, tail) = self.stop().await;
        ended.asked = true;
        (ended, tail)
    }

    /// Its process id.
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// Its stderr so far (the last [`STDERR_TAIL`] bytes).
    pub fn stderr(&self) -> String {
        self.tail.text()
    }

    /// `Some` once it has exited by itself (reaped); `None` while it runs.
    pub fn exited(&mut self) -> Option<Ended> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(Ended::of(status, false)),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!("cannot wait for the engine: {e}");
                None
            }
        }
    }

    /// Asks it to finish the file (SIGINT), kills it after [`STOP_GRACE`], and reaps it.
    pub async fn stop(mut self) -> (Ended, String) {
        if let Ok(Some(status)) = self.child.try_wait() {
            return (Ended::of(status, false), self.tail.text());
        }
        if let Some(pid) = self.pid.and_then(|p| i32::try_from(p).ok()) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGINT,
            );
        }
        let status = match tokio::time::timeout(STOP_GRACE, self.child.wait()).await {
            Ok(Ok(s)) => Some(s),
            _ => {
                tracing::warn!(pid = ?self.pid, "the engine did not finish in time: killing it");
                let _ = self.child.start_kill();
                self.child.wait().await.ok()
            }
        };
        let ended = match status {
            Some(s) => Ended::of(s, true),
            None => Ended {
                asked: true,
                code: None,
                signal: None,
            },
        };
        (ended, self.tail.text())
    }
}

/// Whether `program` runs (`-version` exits 0 within 5 s): checked when a task is created, so a
/// missing engine is a clear error then.
pub async fn available(program: &Path) -> Result<(), String> {
    let run = Command::new(program)
        .arg("-version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .status();
    match tokio::time::timeout(Duration::from_secs(5), run).await {
        Ok(Ok(s)) if s.success() => Ok(()),
        Ok(Ok(s)) => Err(format!("'{}' -version failed ({s})", program.display())),
        Ok(Err(e)) => Err(format!(
            "cannot run the recording engine '{}': {e} (install FFmpeg: apt-get install ffmpeg, or give its path with --ffmpeg)",
            program.display()
        )),
        Err(_) => Err(format!("'{}' -version did not answer within 5 s", program.display())),
    }
}

/// Whether every port in `ports` has a UDP socket bound on loopback, per `/proc/net/udp`
/// (`None`: that file cannot be read, e.g. not Linux).
pub fn udp_ports_bound(ports: &[u16]) -> Option<bool> {
    let table = std::fs::read_to_string("/proc/net/udp").ok()?;
    Some(ports_in_proc_udp(&table, ports))
}

/// [`udp_ports_bound`] on the text of `/proc/net/udp`.
pub fn ports_in_proc_udp(table: &str, ports: &[u16]) -> bool {
    let bound: Vec<u16> = table
        .lines()
        .skip(1)
        .filter_map(|l| {
            let local = l.split_whitespace().nth(1)?;
            let (_, port) = local.split_once(':')?;
            u16::from_str_radix(port, 16).ok()
        })
        .collect();
    ports.iter().all(|p| bound.contains(p))
}

/// A pair of free loopback UDP ports `(p, p + 1)` with `p` even (RTP and RTCP, as the engine
/// binds them). Free when looked at: they are released for the engine to bind.
pub fn free_port_pair() -> std::io::Result<u16> {
    for _ in 0..64 {
        let a = std::net::UdpSocket::bind(("127.0.0.1", 0))?;
        let p = a.local_addr()?.port();
        if p % 2 != 0 || p == u16::MAX {
            continue;
        }
        if std::net::UdpSocket::bind(("127.0.0.1", p + 1)).is_ok() {
            return Ok(p);
        }
    }
    Err(std::io::Error::other(
        "no free pair of UDP ports on loopback",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_net_udp() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n\
           1: 0100007F:9C40 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0\n\
           2: 0100007F:9C42 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0\n";
        assert!(ports_in_proc_udp(table, &[40000, 40002]));
        assert!(!ports_in_proc_udp(table, &[40000, 40004]));
        assert!(ports_in_proc_udp(table, &[]));
    }

    #[test]
    fn port_pairs_are_even_and_free() {
        let p = free_port_pair().unwrap();
        assert_eq!(p % 2, 0);
        std::net::UdpSocket::bind(("127.0.0.1", p)).unwrap();
        std::net::UdpSocket::bind(("127.0.0.1", p + 1)).unwrap();
    }

    #[test]
    fn tail_is_bounded() {
        let t = Tail::default();
        for _ in 0..100 {
            t.push(&[b'x'; 100]);
        }
        t.push(b"end");
        let s = t.text();
        assert_eq!(s.len(), STDERR_TAIL);
        assert!(s.ends_with("end"));
    }

    #[test]
    fn command_line() {
        let a = args(Path::new("/r/t/a.sdp"), Path::new("/r/t/a.mkv"));
        let a: Vec<String> = a.iter().map(|s| s.to_string_lossy().into_owned()).collect();
        let at = |x: &str| a.iter().position(|y| y == x).unwrap();
        assert_eq!(a[at("-i") + 1], "/r/t/a.sdp");
        assert_eq!(a[at("-c") + 1], "copy");
        assert_eq!(a.last().unwrap(), "/r/t/a.mkv");
        assert!(a.contains(&"-nostdin".to_string()));
        assert_eq!(a[at("-localaddr") + 1], "127.0.0.1");
    }
}
