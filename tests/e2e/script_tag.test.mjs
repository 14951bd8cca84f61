// The script-tag build: `<script src="trtc.js">` then a classic script that uses TRTC at once,
// enters a room on the real server and renders a remote video — with the wasm trtc.js carries
// (inflated by DecompressionStream) and, in a browser without DecompressionStream, with the
// trtc_wasm_bg.wasm fetched from beside the script. Calls made before the module is ready are
// queued and run, never lost.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pageErrors, startServer, launchBrowser } from './harness.mjs';

let server, browser;
before(async () => {
  server = await startServer(['--dev', '--www', 'tests/e2e/pages']);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the pages');
});

async function open(url) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.wasmRequests = [];
  page.on('request', (r) => { if (r.url().endsWith('.wasm')) page.wasmRequests.push(new URL(r.url()).pathname); });
  await page.goto(new URL(url, server.url).href);
  return page;
}

for (const mode of ['inline', 'fetch']) {
  test(`trtc.js (${mode}): TRTC at the top of a classic script, a room, a remote video`, async () => {
    const room = mode === 'inline' ? 6001 : 6002;
    const talker = await open(`/listener.html?roomId=${room}&userId=talker&publish=1`);
    await talker.waitForFunction(() => window.trtc && window.trtc.getVideoTrack(), null, { timeout: 10000 });
    const page = await open(`/script-tag.html?roomId=${room}&userId=viewer${mode === 'fetch' ? '&fetch=1' : ''}`);
    assert.deepEqual(await page.evaluate(() => window.sync),
      { event: 'remote-video-available', type: 'rtc', code: 5300, chained: true });
    assert.equal(await page.evaluate(() => window.entered), 'ok');
    await page.waitForFunction(() => {
      const v = document.querySelector('#remote video');
      return v && v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 5;
    }, null, { timeout: 15000 });
    const log = await page.evaluate(() => window.log);
    for (const line of ['enter talker', 'video talker', 'rendering talker', 'frame talker']) assert.ok(log.includes(line), `${line} in ${log}`);
    assert.equal(await page.evaluate(() => TRTC.RtcError && typeof TRTC.RtcError), 'function');
    // The wasm comes from inside trtc.js unless the browser cannot inflate it.
    assert.deepEqual(page.wasmRequests, mode === 'fetch' ? ['/pkg/trtc_wasm_bg.wasm'] : []);
    await page.close();
    await talker.close();
  });
}
