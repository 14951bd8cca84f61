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
# The script-tag build trtc.js: one classic script that sets window.TRTC, the stand-in TRTC of
# standin.js (usable at once; the module loads behind it), with the wasm inside it gzip-compressed
# and base64-encoded (inflated by the browser's DecompressionStream; see inline.js).
# statics.json (TRTC.EVENT, TYPE, …) comes from the built wasm run in Node. `trtc-wasm-glue` names
# wasm-bindgen's copy of src/js/glue.js, where RtcError lives (its path has a hash).
node scripts/gen-statics.mjs
gzip -9 -n -c pkg/trtc_wasm_bg.wasm > pkg/trtc_wasm_bg.wasm.gz
glues=(pkg/snippets/*/src/js/glue.js)
[ ${#glues[@]} -eq 1 ] && [ -f "${glues[0]}" ] || { echo "build-sdk: expected one wasm-bindgen snippet glue.js, found: ${glues[*]}" >&2; exit 1; }
glue=${glues[0]#pkg/}
esbuild_bin=$PWD/tools/node_modules/.bin/esbuild
esbuild() {
  # duplicate-object-key: wasm-bindgen's import object names the snippet module twice.
  "$esbuild_bin" --minify --target=es2020 --log-level=warning \
    --log-override:duplicate-object-key=silent "$@"
}
cd pkg  # (relative paths: the alias is resolved from here)
# import.meta is empty in an iife and unused (the wasm is inside).
esbuild script-entry.js --bundle --alias:trtc-wasm-glue="./$glue" --loader:.gz=base64 \
  --log-override:empty-import-meta=silent --format=iife --outfile=trtc.js
rm -f script-entry.js inline.js standin.js statics.json trtc_wasm_bg.wasm.gz
cd ..
echo "build-sdk: pkg/ ready ($(wc -c < pkg/trtc_wasm_bg.wasm) bytes of wasm, trtc.js $(wc -c < pkg/trtc.js) bytes)"
