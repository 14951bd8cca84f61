#!/usr/bin/env bash
# The main job: builds the SDK into pkg/, builds the server, and serves the demo (www/) and the
# package (pkg/) on localhost. Prints the URL; Ctrl-C stops it.
# Options go to the server, e.g. scripts/dev.sh --listen 127.0.0.1:9000
# The demo's recordings go to target/dev-recordings/ unless --record-dir (or TRTC_RECORD_DIR) is
# given; they need FFmpeg (apt-get install ffmpeg), and without it the demo says so.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build-sdk.sh
cargo build --release -p trtc-server
record=(--record-dir target/dev-recordings)
for arg in "$@"; do
  case "$arg" in --record-dir|--record-dir=*) record=() ;; esac
done
[ -n "${TRTC_RECORD_DIR:-}" ] && record=()
[ ${#record[@]} -gt 0 ] && echo "Recordings from the demo go to ${record[1]}/ (pass --record-dir DIR for another place)."
command -v ffmpeg >/dev/null || echo "No ffmpeg on PATH: the demo cannot record (apt-get install ffmpeg)."
echo "Open the URL below in Chrome (camera and microphone work on localhost)."
exec target/release/trtc-server --dev --www www --pkg pkg "${record[@]}" "$@"
