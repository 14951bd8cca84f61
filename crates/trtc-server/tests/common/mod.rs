//! Shared fixture: a temp dir laid out like a deployment, and a one-request driver.

#![allow(dead_code)]

use std::fs;
use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::Response;
use tower::ServiceExt;

pub const SECRET: &str = "SECRET-OUTSIDE-THE-ROOTS";

/// `<tmp>/www`, `<tmp>/pkg`, and files *outside* them that must never be served.
pub struct Site {
    pub dir: tempfile::TempDir,
    pub app: axum::Router,
}

pub fn site() -> Site {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(root, "www/index.html", "<!doctype html><title>demo</title>");
    write(root, "www/app.js", "import TRTC from '/pkg/index.js';");
    write(root, "www/style.css", "body{}");
    write(root, "www/sub/index.html", "sub index");
    write(root, "pkg/index.js", "export default class TRTC {}");
    write(root, "pkg/snippet.mjs", "export const x = 1;");
    write(root, "pkg/trtc_wasm_bg.wasm", "\0asm\x01\0\0\0");
    write(root, "pkg/index.d.ts", "export default TRTC;");
    write(root, "Cargo.toml", SECRET);
    write(root, "secret.txt", SECRET);
    let app = trtc_server::app(&trtc_server::Config {
        www: root.join("www"),
        pkg: root.join("pkg"),
    });
    Site { dir, app }
}

fn write(root: &Path, rel: &str, contents: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, contents).unwrap();
}

pub struct Got {
    pub status: StatusCode,
    pub content_type: Option<String>,
    pub body: String,
}

/// Sends one `GET` with `uri` taken literally (no client-side normalisation).
pub async fn get(site: &Site, uri: &str) -> Got {
    let req = Request::get(uri).body(Body::empty()).expect("request");
    let res: Response = site.app.clone().oneshot(req).await.expect("infallible");
    let status = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .expect("body");
    Got {
        status,
        content_type,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}
