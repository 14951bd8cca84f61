// The dev-mode bot participant: one page alone in a room asks the server for a bot
// (POST /trtc/dev/bot) and then sees its moving test pattern decoded and hears its tone through
// the SFU; DELETE takes it out (REMOTE_USER_EXIT). Outside dev mode there are no bots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pageErrors, startServer, launchBrowser, openSdkPage, devSig, enter, waitEvent } from './harness.mjs';

let server, browser;
before(async () => {
  server = await startServer(['--dev']);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the pages');
});

const bot = (method, query) => fetch(new URL(`/trtc/dev/bot?${query}`, server.url), { method });

test('a bot publishes a picture and a tone that one page decodes and hears', async () => {
  const page = await openSdkPage(browser, server.url);
  assert.deepEqual(await enter(page, await devSig(server.url, 'solo'), { roomId: 7100 },
    'window.trtc.enableAudioVolumeEvaluation(200);'), { ok: true });
  const res = await bot('POST', 'userId=bot&roomId=7100');
  assert.equal(res.status, 200, await res.text());
  await waitEvent(page, 'remote-user-enter', { userId: 'bot' });
  await waitEvent(page, 'remote-video-available', { userId: 'bot' });
  await waitEvent(page, 'remote-audio-available', { userId: 'bot' });
  // The picture: real VP8 frames, 320x240, that keep changing.
  const seen = await page.evaluate(async () => {
    const box = document.createElement('div');
    box.style.width = '320px'; box.style.height = '240px';
    document.body.appendChild(box);
    await window.trtc.startRemoteVideo({ userId: 'bot', streamType: 'main', view: box });
    const end = performance.now() + 15000;
    let v;
    while (performance.now() < end) {
      v = box.querySelector('video');
      if (v && v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 20) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const shot = () => window.trtc.getVideoSnapshot({ userId: 'bot', streamType: 'main' });
    const a = shot();
    await new Promise((r) => setTimeout(r, 500));
    const b = shot();
    return { width: v && v.videoWidth, height: v && v.videoHeight, frames: v && v.getVideoPlaybackQuality().totalVideoFrames, moving: a !== b && a.length > 100 };
  });
  assert.deepEqual([seen.width, seen.height], [320, 240], JSON.stringify(seen));
  assert.ok(seen.frames > 20 && seen.moving, JSON.stringify(seen));
  // The tone: AUDIO_VOLUME of the bot above 0.
  const loudest = await page.evaluate(async () => {
    let max = 0;
    const h = ({ result }) => { for (const r of result) if (r.userId === 'bot') max = Math.max(max, r.volume); };
    window.trtc.on('audio-volume', h);
    await new Promise((r) => setTimeout(r, 2500));
    window.trtc.off('audio-volume', h);
    return max;
  });
  assert.ok(loudest > 5, `the bot is heard (volume ${loudest})`);
  // A second bot of the same name is refused; DELETE takes the bot out.
  assert.equal((await bot('POST', 'userId=bot&roomId=7100')).status, 409);
  assert.equal((await bot('DELETE', 'userId=bot&roomId=7100')).status, 204);
  await waitEvent(page, 'remote-user-exit', { userId: 'bot', reason: 0 });
  assert.equal((await bot('DELETE', 'userId=bot&roomId=7100')).status, 404);
  assert.equal((await bot('POST', 'userId=bot')).status, 400, 'a room is required');
  await page.close();
});

test('without --dev there are no bots', async () => {
  const plain = await startServer(['--app', '1400000009:k']);
  const res = await fetch(new URL('/trtc/dev/bot?userId=bot&roomId=1', plain.url), { method: 'POST' });
  assert.equal(res.status, 404);
  await plain.stop();
});
