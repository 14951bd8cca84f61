//! The demo's recording endpoints (`/trtc/dev/recording…`, issue 17): refused without `--dev`
//! (as every dev endpoint), bad queries are `400`, unknown tasks and files `404`, names that are
//! not a task's own files never reach the disk; without `--record-dir` or FFmpeg the recorder's
//! `503` comes through; and, when FFmpeg is installed, a bot's call is recorded (a file per user,
//! and mixed), stopped, listed with its files, and each file downloads whole.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::Value;

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM first: the server ends its recordings and reaps their engines.
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let end = Instant::now() + Duration::from_secs(15);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Reply {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("JSON ({e}): {}", self.text()))
    }
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_trtc-server"))
            .args(["--listen", "127.0.0.1:0", "--udp", "127.0.0.1:0"])
            .args(args)
            .env("RUST_LOG", "warn")
            .env_remove("TRTC_RECORD_DIR")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the trtc-server binary starts");
        let mut out = child.stdout.take().expect("stdout");
        let mut line = Vec::new();
        let mut byte = [0u8];
        while out.read(&mut byte).expect("stdout") == 1 && byte[0] != b'\n' {
            line.push(byte[0]);
        }
        let line = String::from_utf8_lossy(&line).into_owned();
        let addr = line
            .split("listening on http://")
            .nth(1)
            .unwrap_or_else(|| panic!("trtc-server printed its URL, not {line:?}"))
            .trim()
            .trim_end_matches('/')
            .parse()
            .expect("host:port");
        Server { child, addr }
    }

    /// One HTTP/1.1 request, the path sent as given.
    fn http(&self, method: &str, path: &str) -> Reply {
        let mut s = TcpStream::connect(self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).expect("a reply");
        let at = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("headers");
        let head = String::from_utf8_lossy(&raw[..at]).into_owned();
        let status = head[9..12].parse().expect("a status");
        let mut body = raw[at + 4..].to_vec();
        if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            body = dechunk(&body);
        }
        Reply { status, head, body }
    }

    fn list(&self) -> Value {
        let r = self.http("GET", "/trtc/dev/recordings");
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
    }

    /// The listed task `id`.
    fn task(&self, id: &str) -> Value {
        let list = self.list();
        list["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["taskId"] == id)
            .unwrap_or_else(|| panic!("task {id} listed: {list}"))
            .clone()
    }

    /// Polls the listing of `id` until `pred` holds (at most `secs`).
    fn wait_task(&self, id: &str, secs: u64, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            let t = self.task(id);
            if pred(&t) {
                return t;
            }
            assert!(Instant::now() < end, "{what}: {t}");
            sleep(Duration::from_millis(250));
        }
    }

    /// Puts a bot (a VP8 + Opus publisher) into `room` and waits until a recording there is
    /// no longer refused for want of users; then starts one in `mode`.
    fn start_with_bot(&self, room: u32, mode: &str) -> Reply {
        let bot = self.http(
            "POST",
            &format!("/trtc/dev/bot?userId=bot{room}&roomId={room}"),
        );
        assert_eq!(bot.status, 200, "{}", bot.text());
        let end = Instant::now() + Duration::from_secs(15);
        loop {
            let r = self.http(
                "POST",
                &format!("/trtc/dev/recording?roomId={room}&mode={mode}"),
            );
            if !(r.status == 404 && r.text().contains("RoomNotExist")) || Instant::now() > end {
                return r;
            }
            sleep(Duration::from_millis(200));
        }
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let at = b.windows(2).position(|w| w == b"\r\n").expect("chunk size");
        let size = usize::from_str_radix(
            std::str::from_utf8(&b[..at])
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .trim(),
            16,
        )
        .expect("hex size");
        b = &b[at + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size + 2..];
    }
}

const OFF: &str = "dev mode is off";

#[test]
fn without_dev_mode_the_endpoints_are_404() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&["--record-dir", dir.path().to_str().unwrap()]);
    for (method, path) in [
        ("POST", "/trtc/dev/recording?roomId=8"),
        ("POST", "/trtc/dev/recording?roomId=8&mode=mix"),
        (
            "DELETE",
            "/trtc/dev/recording?taskId=0123456789abcdef0123456789abcdef",
        ),
        ("GET", "/trtc/dev/recordings"),
        (
            "GET",
            "/trtc/dev/recording/file?taskId=0123456789abcdef0123456789abcdef&name=a.mkv",
        ),
        (
            "GET",
            "/trtc/dev/recording/file?taskId=..&name=../../etc/passwd",
        ),
        // Other methods too.
        ("GET", "/trtc/dev/recording?roomId=8"),
        ("PUT", "/trtc/dev/recordings"),
        (
            "POST",
            "/trtc/dev/recording/file?taskId=0123456789abcdef0123456789abcdef&name=a.mkv",
        ),
    ] {
        let r = server.http(method, path);
        assert_eq!(r.status, 404, "{method} {path}: {}", r.text());
        assert!(r.text().contains(OFF), "{method} {path}: {}", r.text());
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn bad_queries_are_400_unknown_tasks_404_and_nothing_is_echoed_whole() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&["--dev", "--record-dir", dir.path().to_str().unwrap()]);
    let listed = server.list();
    assert_eq!(listed["enabled"], true, "{listed}");
    assert_eq!(listed["tasks"], serde_json::json!([]), "{listed}");

    let long = "9".repeat(500);
    let long_name = format!("{}.mkv", "a".repeat(300));
    let unknown = "0123456789abcdef0123456789abcdef";
    let cases: Vec<(&str, String, u16, &str)> = vec![
        (
            "POST",
            "/trtc/dev/recording".into(),
            400,
            "roomId or strRoomId",
        ),
        (
            "GET",
            "/trtc/dev/recording?roomId=8".into(),
            405,
            "POST /trtc/dev/recording starts",
        ),
        (
            "PUT",
            "/trtc/dev/recording/file".into(),
            405,
            "POST /trtc/dev/recording starts",
        ),
        (
            "POST",
            "/trtc/dev/recording?roomId=8&strRoomId=x".into(),
            400,
            "one of them",
        ),
        (
            "POST",
            "/trtc/dev/recording?roomId=abc".into(),
            400,
            "InvalidParameter.RoomId",
        ),
        (
            "POST",
            "/trtc/dev/recording?roomId=0".into(),
            400,
            "InvalidParameter.RoomId",
        ),
        (
            "POST",
            format!("/trtc/dev/recording?roomId={long}"),
            400,
            "InvalidParameter.RoomId",
        ),
        (
            "POST",
            format!("/trtc/dev/recording?strRoomId={long}"),
            400,
            "InvalidParameter.RoomId",
        ),
        (
            "POST",
            "/trtc/dev/recording?roomId=8&roomId=9".into(),
            400,
            "unreadable",
        ),
        (
            "POST",
            "/trtc/dev/recording?roomId=8&mode=all".into(),
            400,
            "mode \"all\"",
        ),
        (
            "POST",
            format!("/trtc/dev/recording?roomId=8&mode={long}"),
            400,
            "neither",
        ),
        (
            "POST",
            "/trtc/dev/recording?roomId=4321".into(),
            404,
            "FailedOperation.RoomNotExist",
        ),
        ("DELETE", "/trtc/dev/recording".into(), 400, "give taskId"),
        (
            "DELETE",
            "/trtc/dev/recording?taskId=..%2F..%2Fetc".into(),
            400,
            "not a task id",
        ),
        (
            "DELETE",
            format!("/trtc/dev/recording?taskId={long}"),
            400,
            "not a task id",
        ),
        (
            "DELETE",
            format!("/trtc/dev/recording?taskId={unknown}"),
            404,
            "no such recording task",
        ),
        (
            "GET",
            format!("/trtc/dev/recording/file?taskId={unknown}"),
            400,
            "give name",
        ),
        (
            "GET",
            "/trtc/dev/recording/file?name=a.mkv".into(),
            400,
            "give taskId",
        ),
        (
            "GET",
            format!("/trtc/dev/recording/file?taskId={unknown}&name=a.mkv"),
            404,
            "no such recording task",
        ),
        (
            "GET",
            "/trtc/dev/recording/file?taskId=..&name=a.mkv".into(),
            400,
            "not a task id",
        ),
        (
            "GET",
            format!("/trtc/dev/recording/file?taskId={unknown}&name=../../etc/passwd"),
            400,
            "not a recording's file name",
        ),
        (
            "GET",
            format!("/trtc/dev/recording/file?taskId={unknown}&name=..%2F..%2Fetc%2Fpasswd"),
            400,
            "not a recording's file name",
        ),
        (
            "GET",
            format!("/trtc/dev/recording/file?taskId={unknown}&name=%2Fetc%2Fpasswd"),
            400,
            "not a recording's file name",
        ),
        (
            "GET",
            format!("/trtc/dev/recording/file?taskId={unknown}&name=.."),
            400,
            "not a recording's file name",
        ),
        (
            "GET",
            format!("/trtc/dev/recording/file?taskId={unknown}&name={long_name}"),
            400,
            "not a recording's file name",
        ),
    ];
    for (method, path, status, says) in cases {
        let r = server.http(method, &path);
        let text = r.text();
        assert_eq!(r.status, status, "{method} {path}: {text}");
        assert!(text.contains(says), "{method} {path}: {text}");
        assert!(
            text.len() < 400,
            "{method} {path}: the input is not echoed whole: {text}"
        );
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn without_record_dir_or_engine_the_recorders_503_comes_through() {
    let off = Server::start(&["--dev"]);
    assert_eq!(off.list()["enabled"], false);
    let r = off.http("POST", "/trtc/dev/recording?roomId=8");
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(
        r.text()
            .starts_with("FailedOperation.RecordingNotEnabled: "),
        "{}",
        r.text()
    );
    assert!(r.text().contains("--record-dir"), "{}", r.text());

    let dir = tempfile::tempdir().unwrap();
    let no_engine = Server::start(&[
        "--dev",
        "--record-dir",
        dir.path().to_str().unwrap(),
        "--ffmpeg",
        "/nonexistent/ffmpeg",
    ]);
    let r = no_engine.start_with_bot(6101, "single");
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(
        r.text().starts_with("FailedOperation.EngineUnavailable: "),
        "{}",
        r.text()
    );
    assert_eq!(no_engine.list()["tasks"], serde_json::json!([]));
}

fn ffmpeg_installed() -> bool {
    Command::new("ffmpeg")
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn recording(file: &Value) -> bool {
    file["state"] == "recording"
}

#[test]
fn a_bots_call_is_recorded_stopped_listed_and_downloaded() {
    if !ffmpeg_installed() {
        eprintln!("skipped: no ffmpeg on PATH (apt-get install ffmpeg)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&["--dev", "--record-dir", dir.path().to_str().unwrap()]);
    let room = 6201;
    let started = server.start_with_bot(room, "single");
    assert_eq!(started.status, 200, "{}", started.text());
    let single = started.json();
    assert_eq!(single["mode"], "single");
    assert_eq!(single["recorder"], "dev-recorder");
    let single = single["taskId"].as_str().unwrap().to_string();
    assert_eq!(single.len(), 32);
    // One task per mode and room.
    let again = server.http("POST", &format!("/trtc/dev/recording?roomId={room}"));
    assert_eq!(again.status, 409, "{}", again.text());
    assert!(again.text().starts_with("FailedOperation.TaskExist"));
    let mix = server.http(
        "POST",
        &format!("/trtc/dev/recording?roomId={room}&mode=mix"),
    );
    assert_eq!(mix.status, 200, "{}", mix.text());
    let mix = mix.json()["taskId"].as_str().unwrap().to_string();

    let live = server.wait_task(&single, 20, "the bot is recorded", |t| {
        t["status"] == "InProgress" && t["files"].as_array().unwrap().iter().any(recording)
    });
    assert_eq!(live["roomId"], room);
    let file = &live["files"][0];
    assert_eq!(file["userId"], format!("bot{room}"));
    assert_eq!(file["url"], Value::Null, "no link while it is written");
    let name = file["name"].as_str().unwrap().to_string();
    // Not while it is written.
    let early = server.http(
        "GET",
        &format!("/trtc/dev/recording/file?taskId={single}&name={name}"),
    );
    assert_eq!(early.status, 409, "{}", early.text());
    server.wait_task(&mix, 20, "the mix is written", |t| {
        t["files"].as_array().unwrap().iter().any(recording)
    });
    // The list: newest first.
    let ids: Vec<Value> = server.list()["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["taskId"].clone())
        .collect();
    assert_eq!(ids, [Value::from(mix.clone()), Value::from(single.clone())]);
    // Recorded long enough: each file past 20 kB while it is written.
    for id in [&single, &mix] {
        server.wait_task(id, 20, "the file grows past 20 kB", |t| {
            t["files"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| recording(f) && f["size"].as_u64().is_some_and(|n| n > 20_000))
        });
    }

    for (id, mode) in [(&single, "single"), (&mix, "mix")] {
        let stopped = server.http("DELETE", &format!("/trtc/dev/recording?taskId={id}"));
        assert_eq!(stopped.status, 200, "{}", stopped.text());
        let t = stopped.json();
        assert_eq!(t["status"], "Exited", "{t}");
        assert_eq!(t["mode"], mode);
        let files = t["files"].as_array().unwrap();
        assert_eq!(files.len(), 1, "{t}");
        let f = &files[0];
        assert_eq!(f["state"], "finished", "{t}");
        assert_eq!(f["finished"], true, "{t}");
        let size = f["size"].as_u64().expect("a size");
        assert!(size > 20_000, "{mode}: {size} bytes in 4 s: {t}");
        assert!(f["end"].as_u64().unwrap() > f["begin"].as_u64().unwrap());
        let url = f["url"].as_str().expect("a link once finished");
        let got = server.http("GET", url);
        assert_eq!(got.status, 200, "{url}: {}", got.text());
        assert_eq!(
            got.header("content-type").as_deref(),
            Some("video/x-matroska")
        );
        let disposition = got.header("content-disposition").unwrap_or_default();
        assert!(disposition.starts_with("attachment;"), "{disposition}");
        assert!(disposition.contains(f["name"].as_str().unwrap()));
        assert_eq!(got.body.len() as u64, size, "{mode}: the whole file");
        assert_eq!(
            &got.body[..4],
            &[0x1a, 0x45, 0xdf, 0xa3],
            "{mode}: Matroska (EBML)"
        );
        if mode == "single" {
            assert_eq!(f["name"], name);
        }
        // The second stop: the task has ended, its report stays.
        let twice = server.http("DELETE", &format!("/trtc/dev/recording?taskId={id}"));
        assert_eq!(twice.status, 200, "{}", twice.text());
    }

    // Only the names the task reported: not another task's, nor anything beside them.
    let mix_name = server.task(&mix)["files"][0]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let sdp = Path::new(&single).join("0.sdp");
    assert!(
        dir.path().join(&sdp).exists(),
        "the engine's SDP is beside the file"
    );
    for (path, status) in [
        (
            format!("/trtc/dev/recording/file?taskId={single}&name={mix_name}"),
            404,
        ),
        (
            format!("/trtc/dev/recording/file?taskId={single}&name=0.sdp"),
            404,
        ),
        (
            format!("/trtc/dev/recording/file?taskId={single}&name=x{name}"),
            404,
        ),
        (
            format!("/trtc/dev/recording/file?taskId={single}&name={single}%2F{name}"),
            400,
        ),
        (
            format!("/trtc/dev/recording/file?taskId={single}&name=..%2F{mix}%2F{mix_name}"),
            400,
        ),
        (
            format!("/trtc/dev/recording/file?taskId={single}&name=%2E%2E"),
            400,
        ),
    ] {
        let r = server.http("GET", &path);
        assert_eq!(r.status, status, "{path}: {}", r.text());
        assert!(r
            .header("content-type")
            .unwrap_or_default()
            .starts_with("text/plain"));
    }
    let _ = server.http(
        "DELETE",
        &format!("/trtc/dev/bot?userId=bot{room}&roomId={room}"),
    );
}
