//! Nothing outside the `www` and `pkg` roots is ever served, however the `..` is spelled.

mod common;

use axum::http::StatusCode;
use common::{get, site, SECRET};

const ATTEMPTS: &[&str] = &[
    "/../Cargo.toml",
    "/../secret.txt",
    "/../../secret.txt",
    "/sub/../../secret.txt",
    "/pkg/../Cargo.toml",
    "/pkg/../../Cargo.toml",
    "/%2e%2e/Cargo.toml",
    "/%2E%2E/secret.txt",
    "/%2e%2e%2fCargo.toml",
    "/..%2fsecret.txt",
    "/..%2Fsecret.txt",
    "/%2e./secret.txt",
    "/.%2e/secret.txt",
    "/pkg/%2e%2e/Cargo.toml",
    "/pkg/%2e%2e%2f%2e%2e%2fCargo.toml",
    "/pkg/..%5cCargo.toml",
    "/..%5csecret.txt",
    "/%252e%252e/secret.txt",
];

#[tokio::test]
async fn dot_dot_requests_never_escape_the_roots() {
    let site = site();
    for &uri in ATTEMPTS {
        let got = get(&site, uri).await;
        assert!(
            !got.body.contains(SECRET),
            "{uri} leaked a file outside the roots"
        );
        assert!(
            got.status == StatusCode::NOT_FOUND || got.status == StatusCode::BAD_REQUEST,
            "{uri} answered {}",
            got.status
        );
    }
}

#[tokio::test]
async fn absolute_paths_inside_the_request_are_not_followed() {
    let site = site();
    let secret = site.dir.path().join("secret.txt");
    let uri = format!("/{}", secret.display()).replace("//", "/");
    let got = get(&site, &uri).await;
    assert!(!got.body.contains(SECRET), "{uri} leaked");
    assert_eq!(got.status, StatusCode::NOT_FOUND, "{uri}");
}
