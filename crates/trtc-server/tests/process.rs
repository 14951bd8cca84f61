//! The `trtc-server` binary as an operator runs it: it becomes ready (prints its URL), and on
//! SIGINT or SIGTERM it closes its clients' sockets with a WebSocket close frame and exits with
//! status 0. The time limits here only catch a hang (a busy CI machine must not fail them); how
//! long startup takes is printed, not asserted.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

/// Starts the binary on free ports; returns it, its URL and how long it took to print it.
fn start() -> (Child, String, Duration) {
    let t0 = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_trtc-server"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--udp",
            "127.0.0.1:0",
            "--app",
            "1400000001:process-test-key",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the trtc-server binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("trtc-server printed its URL before closing stdout")
            .expect("utf-8");
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.trim().to_string();
        }
    };
    (child, url, t0.elapsed())
}

fn signal(child: &Child, name: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("kill runs")
        .success();
    assert!(ok, "kill -{name}");
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let end = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() > end {
            let _ = child.kill();
            panic!("trtc-server did not exit within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn ready_then_a_clean_exit_on_sigint_and_sigterm() {
    for sig in ["INT", "TERM"] {
        let (mut child, url, ready) = start();
        println!("SIG{sig}: ready after {ready:?} (test build)");
        let ws_url = format!("{}trtc/ws", url.replacen("http://", "ws://", 1));
        let (mut ws, _) = tokio_tungstenite::connect_async(&ws_url)
            .await
            .expect("a WebSocket to the signalling endpoint");
        // A ping answered: the server has taken the connection on (the upgrade response can
        // come before the connection is registered with the hub).
        ws.send(Message::text(r#"{"type":"ping","seq":1}"#))
            .await
            .expect("ping sent");
        loop {
            match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
                Ok(Some(Ok(Message::Text(t)))) if t.contains("pong") => break,
                Ok(Some(Ok(_))) => continue,
                other => panic!("SIG{sig}: no pong: {other:?}"),
            }
        }
        signal(&child, sig);
        // The client sees a close frame (not a reset), then the end of the stream.
        let closed = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                match ws.next().await {
                    Some(Ok(Message::Close(frame))) => return Some(frame),
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => panic!("SIG{sig}: socket error instead of a close frame: {e}"),
                    None => return None,
                }
            }
        })
        .await
        .expect("the server closes the socket");
        assert!(closed.is_some(), "SIG{sig}: a close frame");
        // Reading on sends our answer to the close (the handshake completes) and then sees the
        // end of the stream.
        let end = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("the stream ends");
        assert!(
            matches!(
                end,
                None | Some(Err(tokio_tungstenite::tungstenite::Error::ConnectionClosed))
            ),
            "SIG{sig}: after the close: {end:?}"
        );
        let stop = Instant::now();
        let status = wait_exit(&mut child, Duration::from_secs(10));
        assert!(status.success(), "SIG{sig}: exit status {status:?}");
        println!(
            "SIG{sig}: exited {:?} after the closing handshake",
            stop.elapsed()
        );
    }
}

/// Starts the binary with these media options; returns it and its stderr lines so far, up to
/// the "media (SFU)" line (or its exit).
fn start_media(args: &[&str]) -> (Child, Vec<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trtc-server"))
        .args(["--listen", "127.0.0.1:0", "--app", "1400000001:k"])
        .args(args)
        .env("RUST_LOG", "info")
        .env_remove("TRTC_TCP")
        .env_remove("TRTC_UDP")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the trtc-server binary starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = vec![];
    for line in BufReader::new(stderr).lines() {
        let line = line.expect("utf-8");
        let done = line.contains("media (SFU)");
        lines.push(line);
        if done {
            break;
        }
    }
    (child, lines)
}

/// A port number free for both UDP and TCP on 127.0.0.1 (at the time of asking).
fn free_port() -> u16 {
    loop {
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = tcp.local_addr().unwrap().port();
        if std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

fn connects(port: u16) -> bool {
    std::net::TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(1),
    )
    .is_ok()
}

#[test]
fn ice_tcp_listens_where_the_tcp_option_says() {
    // Default: the port number of --udp.
    let port = free_port();
    let (mut child, log) = start_media(&["--udp", &format!("127.0.0.1:{port}")]);
    let media = log.last().expect("a media line");
    assert!(
        media.contains(&format!("tcp=Some(127.0.0.1:{port})")),
        "{media}"
    );
    assert!(connects(port), "ICE-TCP on the --udp port {port}");
    let _ = child.kill();
    let _ = child.wait();

    // --udp port 0: a TCP port of its own, the one advertised.
    let (mut child, log) = start_media(&["--udp", "127.0.0.1:0"]);
    let media = log.last().expect("a media line");
    let tcp: u16 = media
        .split("tcp=Some(127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("a TCP address in {media}"));
    assert_ne!(tcp, 0);
    assert!(
        media.contains(&format!("tcp_candidates=[127.0.0.1:{tcp}]")),
        "{media}"
    );
    assert!(connects(tcp));
    let _ = child.kill();
    let _ = child.wait();

    // An address of its own, and off.
    let other = free_port();
    let (mut child, log) = start_media(&["--tcp", &format!("127.0.0.1:{other}")]);
    assert!(log
        .last()
        .unwrap()
        .contains(&format!("tcp=Some(127.0.0.1:{other})")));
    assert!(connects(other));
    let _ = child.kill();
    let _ = child.wait();
    let port = free_port();
    let (mut child, log) = start_media(&["--udp", &format!("127.0.0.1:{port}"), "--tcp", "off"]);
    let media = log.last().unwrap();
    assert!(
        media.contains("tcp=None") && media.contains("tcp_candidates=[]"),
        "{media}"
    );
    assert!(!connects(port));
    let _ = child.kill();
    let _ = child.wait();

    // A port that is taken: a clear error, exit status 1.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let (mut child, log) = start_media(&["--tcp", &format!("127.0.0.1:{port}")]);
    let status = wait_exit(&mut child, Duration::from_secs(5));
    assert!(!status.success());
    assert!(
        log.iter().any(|l| l.contains("cannot listen for ICE-TCP")),
        "{log:?}"
    );
}

/// A server that cannot start (its media port is taken) exits without printing the URL line
/// scripts and test kits wait for, so they never get the address of a server that is gone.
#[test]
fn no_url_line_from_a_server_that_cannot_start() {
    let taken = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = Command::new(env!("CARGO_BIN_EXE_trtc-server"))
        .args(["--listen", "127.0.0.1:0", "--app", "1400000001:k"])
        .args(["--udp", &format!("127.0.0.1:{port}"), "--tcp", "off"])
        .env_remove("TRTC_TCP")
        .env_remove("TRTC_UDP")
        .output()
        .expect("the trtc-server binary runs");
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("listening on"), "stdout: {stdout}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot bind the media socket"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
