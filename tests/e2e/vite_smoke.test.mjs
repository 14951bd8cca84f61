// The published package as users consume it (built by scripts/prepare-smoke.sh into target/smoke):
// `import TRTC from 'trtc-wasm'` bundled by Vite from the npm-packed tarball, and the tarball's
// trtc.js on a plain `<script src="trtc.js">` page. Each enters a room on the real server and
// renders the video of a talker (tests/e2e/pages/listener.html, copied next to each page).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { root, startServer, launchBrowser } from './harness.mjs';

const SMOKE = path.join(root, 'target/smoke');
const PREPARE = 'run scripts/prepare-smoke.sh first (outside the network namespace: it needs npm)';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

/** Opens `url`, collecting uncaught errors and console errors into `errors`. */
async function open(url, errors, label) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => errors.push(`${label} pageerror: ${e}`));
  page.on('console', (m) => {
    // The browser's own request for /favicon.ico (neither page has one) is not the SDK's.
    if (m.type() !== 'error' || /\/favicon\.ico$/.test(m.location()?.url || '')) return;
    errors.push(`${label} console.error: ${m.text()} (${m.location()?.url})`);
  });
  await page.goto(url);
  return page;
}

const cases = [
  { name: 'Vite app: import TRTC from \'trtc-wasm\' (npm-packed tarball, vite build)', dir: 'vite-app/dist', room: 7700, userId: 'vite' },
  { name: 'plain HTML: <script src="trtc.js"> from the npm-packed tarball', dir: 'html', room: 7701, userId: 'html' },
];

for (const c of cases) {
  test(c.name, async () => {
    const www = path.join(SMOKE, c.dir);
    for (const f of ['index.html', 'listener.html']) {
      assert.ok(existsSync(path.join(www, f)), `${path.relative(root, path.join(www, f))} is missing: ${PREPARE}`);
    }
    const server = await startServer(['--dev', '--www', path.relative(root, www)]);
    const errors = [];
    try {
      const talker = await open(new URL(`/listener.html?roomId=${c.room}&userId=talker&publish=1`, server.url).href, errors, 'talker');
      await talker.waitForFunction(() => window.trtc && window.trtc.getVideoTrack(), null, { timeout: 10000 });
      const page = await open(new URL(`/index.html?roomId=${c.room}&userId=${c.userId}`, server.url).href, errors, c.userId);
      try {
        await page.waitForFunction(() => {
          const v = document.querySelector('#remote video');
          return window.smoke?.entered && v && v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 5;
        }, null, { timeout: 20000 });
      } catch (e) {
        const state = await page.evaluate(() => ({ title: document.title, smoke: window.smoke, video: !!document.querySelector('#remote video') }));
        throw new Error(`no decoded remote video within 20 s: ${JSON.stringify(state)}; errors: ${JSON.stringify(errors)}`, { cause: e });
      }
      const smoke = await page.evaluate(() => window.smoke);
      assert.deepEqual(smoke, { entered: true, remoteVideo: 'talker', error: null });
      assert.match(await page.title(), /rendering talker/);
      await page.close();
      await talker.close();
    } finally {
      await server.stop();
    }
    assert.deepEqual(errors, [], 'no page errors or console errors');
  });
}
