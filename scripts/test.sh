#!/usr/bin/env bash
# Runs every test: formatting and lints, host tests, the SDK build, browser tests in headless
# Chromium with fake devices, and the demo end to end. Installs what is missing first.
# Browser tests run inside a loopback-only network namespace (see scripts/wasm-test-runner.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step prints the seconds since the start, so a slow step shows in CI's log.
start=$SECONDS
step() { printf '\n=== [%ds] %s\n' "$((SECONDS - start))" "$*"; }

step "setup"
scripts/setup.sh

step "format and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p trtc-wasm --all-targets --target wasm32-unknown-unknown -- -D warnings
node scripts/check-modules.mjs src crates/*/src

step "host tests"
cargo test --workspace

step "fuzz targets build; their kept inputs and seeds run as tests"
# fuzz/ is a workspace of its own (cargo-fuzz); built here on stable so it cannot rot unseen.
(cd fuzz && cargo fmt --check)
CARGO_TARGET_DIR="$PWD/target" cargo test --manifest-path fuzz/Cargo.toml

step "TypeScript declarations"
scripts/check-types.sh

step "SDK package"
scripts/build-sdk.sh

step "size budget"
bench/size --no-peers

step "the package in Node: import and require, SSR-safe, TypeScript node16, the stand-in's queue"
node --test tests/node/

step "browser tests (wasm-bindgen-test in headless Chromium)"
cargo test -p trtc-wasm --target wasm32-unknown-unknown

step "package smoke apps (npm pack; Vite 5 and 7, webpack 5, esbuild builds; needs the registry)"
scripts/prepare-smoke.sh

step "the server's npm packages (static x64 and arm64 binaries; installed with no cargo on PATH)"
scripts/prepare-server-npm.sh

step "end to end: the demo, rooms, media, resilience, the packed packages"
# The server they run is the static binary the npm package ships, for this machine's CPU (built
# by the step above): the binary users install, and no second release build. Without it (another
# CPU), target/release.
case "$(uname -m)" in
  x86_64) musl=x86_64-unknown-linux-musl ;;
  aarch64) musl=aarch64-unknown-linux-musl ;;
  *) musl= ;;
esac
if [ -n "$musl" ] && [ -x "target/$musl/release/trtc-server" ]; then
  export TRTC_E2E_SERVER="$PWD/target/$musl/release/trtc-server"
  echo "e2e server: $TRTC_E2E_SERVER"
else
  cargo build --release -p trtc-server
fi
# Per file: the soak holds its room for 3 minutes.
scripts/in-netns.sh node --test --test-timeout=600000 tests/e2e/

echo
echo "all tests passed in $((SECONDS - start)) s"
