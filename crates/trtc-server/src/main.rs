//! `trtc-server` binary: parses options, binds, serves [`trtc_server::app`] until SIGINT/SIGTERM.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// trtc-wasm room server (currently: serves the demo `www/` and the SDK `pkg/`).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on, `host:port`; port 0 picks a free port.
    #[arg(long, env = "TRTC_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Directory served at `/`.
    #[arg(long, env = "TRTC_WWW", default_value = "www")]
    www: PathBuf,
    /// Directory served at `/pkg/`.
    #[arg(long, env = "TRTC_PKG", default_value = "pkg")]
    pkg: PathBuf,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    let args = Args::parse();
    for (name, dir) in [("www", &args.www), ("pkg", &args.pkg)] {
        if !dir.is_dir() {
            tracing::warn!("{name} directory {} does not exist (yet)", dir.display());
        }
    }

    let listener = match TcpListener::bind(&args.listen).await {
        Ok(listener) => listener,
        Err(err) => {
            tracing::error!("cannot listen on {}: {err}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    let addr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(err) => {
            tracing::error!("cannot read the bound address: {err}");
            return ExitCode::FAILURE;
        }
    };
    // The one line on stdout: scripts and tests read the real port from it.
    println!("trtc-server listening on http://{addr}/");
    tracing::info!(www = %args.www.display(), pkg = %args.pkg.display(), "serving");

    let config = trtc_server::Config {
        www: args.www,
        pkg: args.pkg,
    };
    let served = axum::serve(listener, trtc_server::app(&config))
        .with_graceful_shutdown(shutdown_signal())
        .await;
    match served {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(err) => {
            tracing::error!("server error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for SIGINT: {err}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(err) => {
                tracing::error!("cannot listen for SIGTERM: {err}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}
