//! The `trtc-server` binary as an operator runs it: it is ready (prints its URL) in under a
//! second, and on SIGINT or SIGTERM it closes its clients' sockets with a WebSocket close frame
//! and exits with status 0.

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
async fn ready_in_under_a_second_and_a_clean_exit_on_sigint_and_sigterm() {
    for sig in ["INT", "TERM"] {
        let (mut child, url, ready) = start();
        println!("SIG{sig}: ready after {ready:?}");
        assert!(
            ready < Duration::from_secs(1),
            "ready after {ready:?} (test build)"
        );
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
            match tokio::time::timeout(Duration::from_secs(3), ws.next()).await {
                Ok(Some(Ok(Message::Text(t)))) if t.contains("pong") => break,
                Ok(Some(Ok(_))) => continue,
                other => panic!("SIG{sig}: no pong: {other:?}"),
            }
        }
        signal(&child, sig);
        // The client sees a close frame (not a reset), then the end of the stream.
        let closed = tokio::time::timeout(Duration::from_secs(3), async {
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
        .expect("the server closes the socket within 3 s");
        assert!(closed.is_some(), "SIG{sig}: a close frame");
        let status = wait_exit(&mut child, Duration::from_secs(3));
        assert!(status.success(), "SIG{sig}: exit status {status:?}");
    }
}
