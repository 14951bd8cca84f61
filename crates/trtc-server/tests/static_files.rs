//! Serving `www/` at `/` and `pkg/` at `/pkg/` with the content types browsers require.

mod common;

use axum::http::StatusCode;
use common::{get, site};

#[tokio::test]
async fn root_serves_index_html() {
    let site = site();
    let got = get(&site, "/").await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(got.content_type.unwrap().starts_with("text/html"));
    assert!(got.body.contains("<title>demo</title>"));

    let got = get(&site, "/index.html").await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(got.body.contains("<title>demo</title>"));

    let got = get(&site, "/sub/").await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, "sub index");
}

#[tokio::test]
async fn wasm_is_application_wasm() {
    let site = site();
    let got = get(&site, "/pkg/trtc_wasm_bg.wasm").await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.content_type.as_deref(), Some("application/wasm"));
    assert!(got.body.starts_with("\0asm"));
}

#[tokio::test]
async fn javascript_is_text_javascript() {
    let site = site();
    for uri in ["/pkg/index.js", "/pkg/snippet.mjs", "/app.js"] {
        let got = get(&site, uri).await;
        assert_eq!(got.status, StatusCode::OK, "{uri}");
        assert_eq!(
            got.content_type.as_deref(),
            Some("text/javascript"),
            "{uri}"
        );
    }
    assert!(get(&site, "/pkg/index.js")
        .await
        .body
        .contains("class TRTC"));
}

#[tokio::test]
async fn css_is_text_css() {
    let site = site();
    let got = get(&site, "/style.css").await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(got.content_type.unwrap().starts_with("text/css"));
}

#[tokio::test]
async fn missing_files_are_404() {
    let site = site();
    for uri in [
        "/nope.html",
        "/nope.js",
        "/pkg/nope.wasm",
        "/pkg/",
        "/sub/nope",
    ] {
        let got = get(&site, uri).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND, "{uri}");
        assert_ne!(got.content_type.as_deref(), Some("application/wasm"));
        assert_ne!(got.content_type.as_deref(), Some("text/javascript"));
    }
}

#[tokio::test]
async fn pkg_files_are_not_served_from_www_and_vice_versa() {
    let site = site();
    assert_eq!(get(&site, "/index.js").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        get(&site, "/pkg/app.js").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn roots_are_read_per_request() {
    let site = site();
    assert_eq!(get(&site, "/late.js").await.status, StatusCode::NOT_FOUND);
    std::fs::write(site.dir.path().join("www/late.js"), "late").unwrap();
    let got = get(&site, "/late.js").await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, "late");
}
