#!/usr/bin/env bash
# Prepares the package smoke tests (tests/e2e/vite_smoke.test.mjs) from the built pkg/:
#   target/smoke/trtc-wasm-<version>.tgz  `npm pack` of pkg/
#   target/smoke/vite-app/dist/           tests/smoke/ (a Vite app that does `import TRTC from 'trtc-wasm'`)
#                                         built by Vite with the tarball installed from npm
#   target/smoke/html/                    the tarball's trtc.js and a plain `<script src="trtc.js">` page
# Both folders also get tests/e2e/pages/listener.html (the talker). Needs registry access (npm
# install), so it runs before, outside, the test's network namespace. Idempotent: rebuilds all.
set -euo pipefail
cd "$(dirname "$0")/.."

VITE_VERSION=7.3.8   # ^20.19.0 || >=22.12.0
out=target/smoke

[ -f pkg/package.json ] && [ -f pkg/trtc.js ] || { echo "prepare-smoke: pkg/ is not built; run scripts/build-sdk.sh" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out"

echo "prepare-smoke: npm pack pkg/"
tgz=$(npm pack ./pkg --pack-destination "$out" --silent | tail -n 1)
[ -f "$out/$tgz" ] || { echo "prepare-smoke: npm pack produced no $out/$tgz" >&2; exit 1; }

echo "prepare-smoke: Vite app (vite@$VITE_VERSION + $tgz)"
app="$out/vite-app"
mkdir -p "$app"
cp tests/smoke/package.json tests/smoke/index.html tests/smoke/main.js tests/smoke/vite.config.js "$app/"
(
  cd "$app"
  npm install --save-exact --no-audit --no-fund --loglevel=error "vite@$VITE_VERSION" "../$tgz"
  npx --no-install vite build --logLevel warn
)
[ -f "$app/dist/index.html" ] || { echo "prepare-smoke: vite build produced no dist/index.html" >&2; exit 1; }
cp tests/e2e/pages/listener.html "$app/dist/"

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
    window.smoke = { entered: false, remoteVideo: null, error: null };
    const status = (s) => { document.title = 'html smoke: ' + s; };
    const trtc = TRTC.create();
    window.trtc = trtc;
    trtc.on(TRTC.EVENT.REMOTE_VIDEO_AVAILABLE, ({ userId: remote, streamType }) => {
      trtc.startRemoteVideo({ userId: remote, streamType, view: 'remote' }).then(() => {
        window.smoke.remoteVideo = remote;
        status('rendering ' + remote);
      }, (e) => { window.smoke.error = 'startRemoteVideo: ' + e.code + ' ' + e.message; status('error'); });
    });
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
echo "  $app/dist/ (vite $(node -p "require('./$app/node_modules/vite/package.json').version")):"
(cd "$app/dist" && find . -type f | sort | sed 's|^\./|    |')
echo "  $html/:"
(cd "$html" && find . -type f | sort | sed 's|^\./|    |')
