#!/usr/bin/env bash
# Builds the SDK into pkg/: release wasm (the `sdk` profile: release with panic = "abort", see
# Cargo.toml) → wasm-bindgen (ES module) → wasm-opt → package files.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --profile sdk --lib --target wasm32-unknown-unknown -p trtc-wasm
rm -rf pkg
wasm-bindgen --target web --out-dir pkg --out-name trtc_wasm \
  target/wasm32-unknown-unknown/sdk/trtc_wasm.wasm
# Debian's wasm-opt breaks wasm-bindgen output; binaryen from npm works.
# -Oz, then flatten + rereloop and a second -Oz until nothing changes: ~0.7% smaller gzip
# than one -Oz (bench/size), the same behaviour.
tools/node_modules/.bin/wasm-opt -Oz --flatten --rereloop -Oz --merge-similar-functions -Oz --converge \
  --strip-debug --strip-producers \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-reference-types --enable-multivalue --enable-mutable-globals \
  pkg/trtc_wasm_bg.wasm -o pkg/trtc_wasm_bg.wasm
cp -r pkg-template/. pkg/
rm -f pkg/.gitignore
# The script-tag build: one classic script that sets window.TRTC, with the wasm inside it
# gzip-compressed and base64-encoded (inflated by the browser's DecompressionStream).
node scripts/gen-statics.mjs
gzip -9 -n -c pkg/trtc_wasm_bg.wasm > pkg/trtc_wasm_bg.wasm.gz
tools/node_modules/.bin/esbuild pkg/script-entry.js --bundle --format=iife --minify \
  --loader:.gz=base64 --target=es2020 --log-level=warning --log-override:empty-import-meta=silent \
  --outfile=pkg/trtc.js
rm -f pkg/script-entry.js pkg/statics.json pkg/trtc_wasm_bg.wasm.gz
echo "build-sdk: pkg/ ready ($(wc -c < pkg/trtc_wasm_bg.wasm) bytes of wasm, trtc.js $(wc -c < pkg/trtc.js) bytes)"
