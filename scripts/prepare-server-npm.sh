#!/usr/bin/env bash
# Prepares tests/e2e/server_npm.test.mjs: builds the server's npm packages (scripts/build-server-npm.sh:
# static musl binaries for x64 and arm64, the launcher + test kit package), packs the SDK, and
# installs the tarballs into target/npm-app/ — a project with no cargo on PATH — as an app team
# would (`npm install trtc-wasm trtc-wasm-server`). Needs the registry (tls-sig-api-v2), so it runs
# before, outside, the tests' network namespace.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -f pkg/package.json ] || { echo "prepare-server-npm: pkg/ is not built; run scripts/build-sdk.sh" >&2; exit 1; }
scripts/build-server-npm.sh "$@"
version=$(awk -F'"' '/^version = /{print $2; exit}' crates/trtc-server/Cargo.toml)
npm pack ./pkg --pack-destination target/npm --silent >/dev/null

app=target/npm-app
rm -rf "$app" && mkdir -p "$app"
echo '{ "name": "npm-app", "private": true }' > "$app/package.json"
# PATH without cargo: the server must come from npm alone.
nocargo=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v -e '\.cargo' -e 'rustup' | paste -sd: -)
if PATH=$nocargo command -v cargo >/dev/null; then
  echo "prepare-server-npm: cargo is still on the reduced PATH" >&2; exit 1
fi
case $(uname -m) in x86_64) cpu=x64 ;; aarch64) cpu=arm64 ;; *) cpu=$(uname -m) ;; esac
# The platform package as the registry would give it (npm skips the other one: wrong cpu).
tarballs=("../npm/trtc-wasm-$version.tgz" "../npm/trtc-wasm-server-$version.tgz"
  "../npm/trtc-wasm-server-linux-$cpu-$version.tgz")
echo "prepare-server-npm: npm install ${tarballs[*]} (no cargo on PATH)"
(cd "$app" && PATH=$nocargo npm install --no-audit --no-fund --loglevel=error "${tarballs[@]}")
ls "$app/node_modules" | grep trtc

# The example of the README (examples/app-test): an app written against trtc-sdk-v5, built with
# Vite aliasing the import to trtc-wasm, tested in Playwright with the kit; its npm packages come
# from the tarballs above instead of the registry.
ex=target/example-app
rm -rf "$ex" && cp -r examples/app-test "$ex"
node - "$ex/package.json" "$version" "$cpu" <<'JS'
const fs = require('fs');
const [file, v, cpu] = process.argv.slice(2);
const p = JSON.parse(fs.readFileSync(file, 'utf8'));
p.dependencies['trtc-wasm'] = `file:../npm/trtc-wasm-${v}.tgz`;
p.devDependencies['trtc-wasm-server'] = `file:../npm/trtc-wasm-server-${v}.tgz`;
p.devDependencies[`trtc-wasm-server-linux-${cpu}`] = `file:../npm/trtc-wasm-server-linux-${cpu}-${v}.tgz`;
fs.writeFileSync(file, JSON.stringify(p, null, 2) + '\n');
JS
echo "prepare-server-npm: the example app (npm install, vite build)"
(cd "$ex" && PATH=$nocargo npm install --no-audit --no-fund --loglevel=error && PATH=$nocargo npx vite build --logLevel warn)
