#!/usr/bin/env bash
# Prepares the package smoke tests (tests/e2e/package_smoke.test.mjs) from the built pkg/:
#   target/smoke/trtc-wasm-<version>.tgz   `npm pack` of pkg/
#   target/smoke/{vite7,vite5,webpack5,esbuild}/
#       tests/smoke/main.js (`import TRTC, { RtcError } from 'trtc-wasm'`, no top-level await)
#       built against the tarball by that bundler at its default settings: `vite build` with no
#       config; `webpack` with no config (src/index.js → dist/main.js, --mode production, which
#       it falls back to anyway); `esbuild main.js --bundle --outfile=dist/main.js` (an iife), with
#       trtc_wasm_bg.wasm copied beside the bundle as the README says (esbuild does not emit it)
#   target/smoke/html/                      the tarball's trtc.js and a plain `<script src="trtc.js">` page
# Each folder also gets tests/e2e/pages/listener.html (the talker).
#
# The bundlers are pinned in tests/smoke/package.json + package-lock.json and installed once, with
# `npm ci`, into target/smoke-deps/ (again only when those files change); each run then installs
# the new tarball there with npm. Needs registry access the first time, so it runs before,
# outside, the test's network namespace. Idempotent: rebuilds every app.
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/smoke
deps=target/smoke-deps

[ -f pkg/package.json ] && [ -f pkg/trtc.js ] && [ -f pkg/trtc.cjs ] || { echo "prepare-smoke: pkg/ is not built; run scripts/build-sdk.sh" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out" "$deps"

echo "prepare-smoke: npm pack pkg/"
tgz=$(npm pack ./pkg --pack-destination "$out" --silent | tail -n 1)
[ -f "$out/$tgz" ] || { echo "prepare-smoke: npm pack produced no $out/$tgz" >&2; exit 1; }

# The bundlers: npm ci when node_modules is missing or was installed from another package.json/lock.
stamp=$deps/node_modules/.smoke-stamp
want=$(cat tests/smoke/package.json tests/smoke/package-lock.json | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  echo "prepare-smoke: installing the bundlers (npm ci in $deps)"
  rm -rf "$deps"
  mkdir -p "$deps"
  cp tests/smoke/package.json tests/smoke/package-lock.json "$deps/"
  (cd "$deps" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
fi
echo "prepare-smoke: npm install $tgz"
rm -rf "$deps/node_modules/trtc-wasm"
(cd "$deps" && npm install --no-save --no-audit --no-fund --loglevel=error "../smoke/$tgz")

version() { node -p "require('./$deps/node_modules/$1/package.json').version"; }
# app <name> <command…>: a fresh copy of the app in $deps/<name> (so that it resolves the packages
# installed there), built by the command run inside it; its dist/ is served from $out/<name>.
app() {
  local name=$1; shift
  local dir=$deps/$name
  rm -rf "$dir"
  mkdir -p "$dir"
  case $name in
    vite*) cp tests/smoke/index.html tests/smoke/main.js "$dir/" ;;
    webpack*) mkdir -p "$dir/src" && cp tests/smoke/main.js "$dir/src/index.js" ;;
    *) cp tests/smoke/main.js "$dir/" ;;
  esac
  local t0=$SECONDS
  (cd "$dir" && "$@")
  [ -f "$dir/dist/index.html" ] || cp tests/smoke/classic.html "$dir/dist/index.html"
  cp -r "$dir/dist" "$out/$name"
  cp tests/e2e/pages/listener.html "$out/$name/"
  echo "prepare-smoke: $name built in $((SECONDS - t0)) s"
}

echo "prepare-smoke: Vite 7 app (vite@$(version vite7), default settings)"
app vite7 node ../node_modules/vite7/bin/vite.js build --logLevel warn
echo "prepare-smoke: Vite 5 app (vite@$(version vite5), default settings)"
app vite5 node ../node_modules/vite5/bin/vite.js build --logLevel warn
echo "prepare-smoke: webpack 5 app (webpack@$(version webpack), webpack-cli@$(version webpack-cli), no config)"
app webpack5 ../node_modules/.bin/webpack --mode production --no-stats
echo "prepare-smoke: esbuild app (esbuild@$(version esbuild), --bundle)"
app esbuild sh -c '../node_modules/.bin/esbuild main.js --bundle --outfile=dist/main.js --log-level=error &&
  cp ../node_modules/trtc-wasm/trtc_wasm_bg.wasm dist/'

echo "prepare-smoke: plain HTML page with the packaged trtc.js"
html="$out/html"
mkdir -p "$html"
tar -xzf "$out/$tgz" -C "$html" --strip-components=1 package/trtc.js
cp tests/e2e/pages/listener.html "$html/"
cat > "$html/index.html" <<'HTML'
<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>html smoke: loading</title>
  <script src="trtc.js"></script>
</head>
<body>
  <div id="remote" style="width:320px;height:240px"></div>
  <script>
    // ?roomId=&userId= → enters the room and renders every remote video into #remote.
    const q = new URLSearchParams(location.search);
    const userId = q.get('userId') || 'html';
    window.smoke = { entered: false, remoteVideo: null, error: null, rtcError: null };
    const status = (s) => { document.title = 'html smoke: ' + s; };
    const trtc = TRTC.create();
    window.trtc = trtc;
    window.smoke.sync = {
      event: TRTC.EVENT.REMOTE_VIDEO_AVAILABLE, code: TRTC.ERROR_CODE.ENV_NOT_SUPPORTED, version: TRTC.VERSION,
      chained: trtc.on(TRTC.EVENT.ERROR, (e) => { window.smoke.error = 'ERROR event: ' + e.code + ' ' + e.message; }) === trtc,
    };
    trtc.on(TRTC.EVENT.REMOTE_VIDEO_AVAILABLE, ({ userId: remote, streamType }) => {
      trtc.startRemoteVideo({ userId: remote, streamType, view: 'remote' }).then(() => {
        window.smoke.remoteVideo = remote;
        status('rendering ' + remote);
      }, (e) => { window.smoke.error = 'startRemoteVideo: ' + e.code + ' ' + e.message; status('error'); });
    });
    trtc.startRemoteVideo({}).catch((e) => { window.smoke.rtcError = [e instanceof TRTC.RtcError, e.code]; });
    fetch('/trtc/dev/usersig?userId=' + encodeURIComponent(userId))
      .then((r) => { if (!r.ok) throw new Error('dev usersig: HTTP ' + r.status); return r.json(); })
      .then(({ sdkAppId, userSig }) => trtc.enterRoom({ sdkAppId, userId, userSig, roomId: Number(q.get('roomId') || 7701) }))
      .then(() => { window.smoke.entered = true; if (!window.smoke.remoteVideo) status('entered'); },
        (e) => { window.smoke.error = 'enterRoom: ' + (e.code ?? '') + ' ' + e.message; status('error'); });
  </script>
</body>
</html>
HTML

echo "prepare-smoke: built"
echo "  $out/$tgz ($(du -h "$out/$tgz" | cut -f1))"
for d in vite7 vite5 webpack5 esbuild html; do
  echo "  $out/$d/:"
  (cd "$out/$d" && find . -type f | sort | while read -r f; do printf '    %-40s %9s B\n' "${f#./}" "$(wc -c < "$f")"; done)
done
