// The published package as users consume it (built by scripts/prepare-smoke.sh into target/smoke):
// `import TRTC, { RtcError } from 'trtc-wasm'` bundled from the npm-packed tarball by Vite 7,
// Vite 5, webpack 5 and esbuild at their default settings, and the tarball's trtc.js on a plain
// `<script src="trtc.js">` page. Each uses TRTC on the line after the import (before the module
// is ready), enters a room on the real server and renders the video of a talker
// (tests/e2e/pages/listener.html, copied next to each page); a rejection is the exported RtcError.
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
  { name: 'Vite 7 (default settings): import TRTC from \'trtc-wasm\'', dir: 'vite7', room: 7700, userId: 'vite7' },
  { name: 'plain HTML: <script src="trtc.js"> from the npm-packed tarball', dir: 'html', room: 7701, userId: 'html' },
  { name: 'Vite 5 (default settings, es2020 target): import TRTC from \'trtc-wasm\'', dir: 'vite5', room: 7702, userId: 'vite5' },
  { name: 'webpack 5 (no config): import TRTC from \'trtc-wasm\'', dir: 'webpack5', room: 7703, userId: 'webpack5' },
  { name: 'esbuild --bundle (iife, the wasm copied beside): import TRTC from \'trtc-wasm\'', dir: 'esbuild', room: 7704, userId: 'esbuild' },
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
      assert.deepEqual(smoke, {
        entered: true, remoteVideo: 'talker', error: null, rtcError: [true, 5000],
        sync: { event: 'remote-video-available', code: 5200, version: '5.17.1', chained: true },
      });
      assert.match(await page.title(), /rendering talker/);
      await page.close();
      await talker.close();
    } finally {
      await server.stop();
    }
    assert.deepEqual(errors, [], 'no page errors or console errors');
  });
}
