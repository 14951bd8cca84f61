// The demo page as a newcomer uses it: pick devices, preview the camera, see the volume bar move.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, root } from './harness.mjs';

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the demo lists devices, previews the camera and shows the microphone volume', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
  assert.equal(await page.textContent('#sdk-version'), '5.17.1');
  assert.equal(await page.textContent('#sdk-supported'), 'yes');
  await page.waitForFunction(() => document.querySelectorAll('#camera-select option').length >= 2, null, { timeout: 10000 });
  const mics = await page.$$eval('#microphone-select option', (o) => o.map((x) => x.textContent));
  assert.ok(mics.some((l) => /Fake/.test(l)), `microphone labels: ${mics}`);

  await page.click('#btn-start-camera');
  await page.waitForFunction(() => {
    const v = document.querySelector('#local-view video');
    return v && v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 5;
  }, null, { timeout: 10000 });

  // Switch camera live from the picker.
  const second = await page.$eval('#camera-select', (s) => s.options[1].value);
  await page.selectOption('#camera-select', second);
  await page.waitForFunction((id) => {
    const v = document.querySelector('#local-view video');
    const t = v && v.srcObject && v.srcObject.getVideoTracks()[0];
    return t && t.getSettings().deviceId === id;
  }, second, { timeout: 10000 });

  await page.click('#btn-start-mic');
  await page.waitForFunction(() => Number(document.querySelector('#volume-value').textContent) > 0, null, { timeout: 10000 });

  const log = await page.textContent('#event-log');
  assert.match(log, /device-changed/);
  assert.match(log, /first-video-frame/);

  const dir = path.join(root, 'tests/artifacts');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, 'demo-desktop.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(dir, 'demo-phone.png'), fullPage: true });

  await page.click('#btn-stop-camera');
  await page.waitForFunction(() => !document.querySelector('#local-view video'), null, { timeout: 5000 });
  assert.deepEqual(errors, []);
  await page.close();
});
