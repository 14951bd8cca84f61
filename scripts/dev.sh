#!/usr/bin/env bash
# The main job: builds the SDK into pkg/, builds the server, and serves the demo (www/) and the
# package (pkg/) on localhost. Prints the URL; Ctrl-C stops it.
# Options go to the server, e.g. scripts/dev.sh --listen 127.0.0.1:9000
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build-sdk.sh
cargo build --release -p trtc-server
echo "Open the URL below in Chrome (camera and microphone work on localhost)."
exec target/release/trtc-server --dev --www www --pkg pkg "$@"
