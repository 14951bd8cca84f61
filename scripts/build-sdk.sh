#!/usr/bin/env bash
# Builds the SDK into pkg/: release wasm (the `sdk` profile: release with panic = "abort", see
# Cargo.toml) → wasm-bindgen (ES module) → wasm-opt → the package's entries (esbuild).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --profile sdk --lib --target wasm32-unknown-unknown -p trtc-wasm
rm -rf pkg
wasm-bindgen --target web --out-dir pkg --out-name trtc_wasm \
  target/wasm32-unknown-unknown/sdk/trtc_wasm.wasm
# Debian's wasm-opt breaks wasm-bindgen output; binaryen from npm works.
# -Oz, then flatten + rereloop and a second -Oz until nothing changes: ~0.7% smaller gzip
# than one -Oz (bench/size), the same behaviour. --low-memory-unused: nothing lives in the low
# 1 KiB (rustc puts the stack first, growing down from 1 MiB, and the data above it), so
# `load(p + k)` can fold k into the instruction's offset: ~0.6% smaller gzip.
tools/node_modules/.bin/wasm-opt --low-memory-unused -Oz --flatten --rereloop -Oz --merge-similar-functions -Oz --converge \
  --strip-debug --strip-producers \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-reference-types --enable-multivalue --enable-mutable-globals \
  pkg/trtc_wasm_bg.wasm -o pkg/trtc_wasm_bg.wasm
cp -r pkg-template/. pkg/
rm -f pkg/.gitignore
# The same declarations for `require` (TypeScript reads a .d.ts in a "type": "module" package as ESM).
cp pkg/index.d.ts pkg/index.d.cts
# The entries (esbuild, minified), around the stand-in TRTC of standin.js (usable at once; the
# module loads behind it):
#   index.js   ES module (import): the entry + stand-in + static tables; imports the wasm-bindgen
#              glue beside it (trtc_wasm.js, snippets/, minified in place) and loads
#              trtc_wasm_bg.wasm from beside it (new URL(…, import.meta.url))
#   trtc.js    classic script that sets window.TRTC, all in one file, the wasm inside it
#              gzip-compressed (Zopfli) and base64-encoded (inflated by the browser's DecompressionStream)
#   trtc.cjs   CommonJS (require): the same with module.exports = TRTC
# statics.json (TRTC.EVENT, TYPE, …) comes from trtc-sdk-v5's surface in reference/ (the wasm does
# not build these tables; the entries hand them to it). `trtc-wasm-glue` names
# wasm-bindgen's copy of src/js/glue.js, where RtcError lives (its path has a hash).
node scripts/gen-statics.mjs
# trtc.js's copy of the wasm: gzip by Zopfli (~5% smaller than gzip -9; any gzip inflater reads it).
node scripts/zopfli-gzip.mjs pkg/trtc_wasm_bg.wasm pkg/trtc_wasm_bg.wasm.gz
glues=(pkg/snippets/*/src/js/glue.js)
[ ${#glues[@]} -eq 1 ] && [ -f "${glues[0]}" ] || { echo "build-sdk: expected one wasm-bindgen snippet glue.js, found: ${glues[*]}" >&2; exit 1; }
glue=${glues[0]#pkg/}
esbuild_bin=$PWD/tools/node_modules/.bin/esbuild
esbuild() {
  # duplicate-object-key: wasm-bindgen's import object names the snippet module twice.
  "$esbuild_bin" --minify --target=es2020 --log-level=warning \
    --log-override:duplicate-object-key=silent "$@"
}
cd pkg  # (relative paths: the alias and externals are written into index.js as given)
esbuild trtc_wasm.js --format=esm --allow-overwrite --outfile=trtc_wasm.js
esbuild "$glue" --format=esm --allow-overwrite --outfile="$glue"
esbuild esm-entry.js --bundle --format=esm --alias:trtc-wasm-glue="./$glue" \
  --external:./trtc_wasm.js --external:'./snippets/*' --outfile=index.js
# These carry the glue too; import.meta is empty in their formats and unused (the wasm is inside).
inline=(--bundle --alias:trtc-wasm-glue="./$glue" --loader:.gz=base64 --log-override:empty-import-meta=silent)
esbuild script-entry.js "${inline[@]}" --format=iife --outfile=trtc.js
esbuild cjs-entry.cjs "${inline[@]}" --format=cjs --platform=neutral --outfile=trtc.cjs
rm -f esm-entry.js script-entry.js cjs-entry.cjs inline.js standin.js statics.json trtc_wasm_bg.wasm.gz
cd ..
echo "build-sdk: pkg/ ready ($(wc -c < pkg/trtc_wasm_bg.wasm) bytes of wasm; index.js $(wc -c < pkg/index.js), trtc.js $(wc -c < pkg/trtc.js), trtc.cjs $(wc -c < pkg/trtc.cjs) bytes)"
