// The app's call flow in headless Chromium, with no cloud: a local trtc-server from npm serves
// the built app, signs its userSig, and puts a bot that publishes a test pattern into the room.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer, chromiumArgs } from 'trtc-wasm-server';

test('the app enters the room and shows the remote user', async () => {
  const server = await startServer({
    bot: { roomId: 8888, userId: 'teacher' },
    args: ['--www', fileURLToPath(new URL('./dist', import.meta.url))],
  });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [...chromiumArgs, '--no-sandbox', '--headless=new'],
  });
  try {
    const page = await browser.newPage();
    const userSig = encodeURIComponent(server.userSig('student'));
    await page.goto(`${server.url}/?sdkAppId=${server.sdkAppId}&userId=student&userSig=${userSig}&roomId=8888`);
    await page.waitForFunction(() => {
      const v = document.querySelector('#remote video');
      return v && v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 10;
    }, null, { timeout: 20000 });
    assert.equal(await page.textContent('#state'), 'watching teacher');
  } finally {
    await browser.close();
    await server.stop();
  }
});
