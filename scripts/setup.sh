#!/usr/bin/env bash
# Installs what the build and the tests need, skipping what is already there:
# the wasm32 target, wasm-bindgen-cli at the Cargo.lock version, Debian chromium + chromium-driver,
# and the npm tools (binaryen's wasm-opt). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  say "installing wasm-bindgen-cli $want (have: ${have:-none}); this takes several minutes"
  cargo install wasm-bindgen-cli --version "=$want" --locked || cargo install wasm-bindgen-cli --version "=$want"
fi

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: chromium and chromium-driver are missing; install them as root: apt-get install chromium chromium-driver" >&2
    exit 1
  fi
  say "installing chromium and chromium-driver"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver
fi

if [ ! -x tools/node_modules/.bin/wasm-opt ]; then
  say "installing npm tools"
  (cd tools && npm ci --no-audit --no-fund)
fi
