#!/usr/bin/env bash
# Installs what the build and the tests need, skipping what is already there:
# the wasm32 target, rustfmt and clippy, wasm-bindgen-cli at the Cargo.lock version, Debian
# chromium + chromium-driver, nodejs + npm, iproute2, nftables, coturn and redis-server, the npm tools (binaryen's wasm-opt), and
# the cross-build tools of the server's npm packages (musl targets, Zig, cargo-zigbuild). Safe to
# run again.
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

for c in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$c"; then
    say "adding the rustup component $c"
    rustup component add "$c"
  fi
done

# Debian packages: the browser and its driver, node + npm (tests, tools), ip (the loopback-only
# network namespace the browser tests run in), nft and coturn (UDP-blocked and TURN tests),
# ffmpeg (recording tests).
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
command -v ip >/dev/null || missing+=(iproute2)
command -v unshare >/dev/null || missing+=(util-linux)
# The firewall tests: nftables rules in the test's network namespace, coturn as the TURN relay.
command -v nft >/dev/null || [ -x /usr/sbin/nft ] || missing+=(nftables)
command -v turnserver >/dev/null || missing+=(coturn)
# The recording tests: FFmpeg writes the files (the server runs without it), ffprobe checks them.
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
# The cluster tests (trtc-server --redis): each starts a redis-server of its own on loopback.
command -v redis-server >/dev/null || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing Debian packages; install them as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  say "installing ${missing[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

# Static server binaries for the npm packages (scripts/build-server-npm.sh): musl targets,
# cargo-zigbuild, and Zig from PyPI as the cross C compiler (aws-lc and mimalloc have C).
for t in x86_64-unknown-linux-musl aarch64-unknown-linux-musl; do
  if ! rustup target list --installed | grep -qx "$t"; then
    say "adding the $t target"
    rustup target add "$t"
  fi
done
if ! python3 -m ziglang version >/dev/null 2>&1; then
  say "installing Zig (PyPI ziglang) for cross builds"
  python3 -m pip install --quiet "ziglang==0.15.1" || python3 -m pip install --quiet --break-system-packages "ziglang==0.15.1"
fi
if [ "$(cargo-zigbuild --version 2>/dev/null | awk '{print $2}')" != "0.24.1" ]; then
  say "installing cargo-zigbuild 0.24.1; this takes a few minutes"
  cargo install cargo-zigbuild --version "=0.24.1" --locked
fi

if [ ! -x tools/node_modules/.bin/wasm-opt ] || [ ! -f tools/node_modules/@gfx/zopfli/package.json ]; then
  say "installing npm tools"
  (cd tools && npm ci --no-audit --no-fund)
fi
