// switchRoom: leave one room and enter another without stopping capture; the local streams
// are published in the new room (decoded there), the old room sees an exit; the reference's
// refusals.
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

const PUBLISH = 'await window.trtc.startLocalVideo(); await window.trtc.startLocalAudio();';

async function switchRoom(page, params) {
  return page.evaluate(async (params) => {
    try { await window.trtc.switchRoom(params); return { ok: true }; } catch (e) { return { code: e.code, extraCode: e.extraCode, fn: e.functionName, message: e.message }; }
  }, params);
}

test('switchRoom moves a publishing user to another room without stopping capture', async () => {
  const [a, b, c] = await Promise.all([0, 1, 2].map(() => openSdkPage(browser, server.url)));
  // Not in a room yet: 5101.
  await a.evaluate(() => { window.trtc = window.TRTC.create(); });
  const early = await switchRoom(a, { userSig: 'x', roomId: 5002 });
  assert.equal(early.extraCode, 5101);
  assert.equal(early.fn, 'switchRoom');

  const alice = await devSig(server.url, 'alice');
  assert.deepEqual(await enter(a, alice, { roomId: 5001 }, PUBLISH), { ok: true });
  assert.deepEqual(await enter(b, await devSig(server.url, 'bob'), { roomId: 5001 }), { ok: true });
  assert.deepEqual(await enter(c, await devSig(server.url, 'carol'), { roomId: 5002 }, PUBLISH), { ok: true });
  await waitEvent(b, 'remote-video-available', { userId: 'alice' });
  const trackBefore = await a.evaluate(() => { window.trackBefore = window.trtc.getVideoTrack(); return window.trackBefore.id; });

  assert.equal((await switchRoom(a, { userSig: alice.userSig, roomId: 5001 })).extraCode, 5020, 'the same room');
  assert.equal((await switchRoom(a, { userSig: alice.userSig, strRoomId: '5002' })).extraCode, 5019, 'another id type');
  assert.equal((await switchRoom(a, { roomId: 5002 })).extraCode, 5001, 'userSig required');

  const t0 = Date.now();
  assert.deepEqual(await switchRoom(a, { userSig: alice.userSig, roomId: 5002 }), { ok: true });
  // The old room sees alice go; the new one sees her come with her streams, and decodes them.
  await waitEvent(b, 'remote-user-exit', { userId: 'alice' });
  await waitEvent(c, 'remote-user-enter', { userId: 'alice' });
  await waitEvent(c, 'remote-video-available', { userId: 'alice' });
  await waitEvent(a, 'remote-user-enter', { userId: 'carol' });
  const frames = await c.evaluate(async () => {
    const box = document.createElement('div');
    box.style.width = '320px'; box.style.height = '240px';
    document.body.appendChild(box);
    await window.trtc.startRemoteVideo({ userId: 'alice', streamType: 'main', view: box });
    const end = performance.now() + 15000;
    for (;;) {
      const v = box.querySelector('video');
      if (v && v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 10) return v.getVideoPlaybackQuality().totalVideoFrames;
      if (performance.now() > end) return -1;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  assert.ok(frames > 10, `carol decodes alice after the switch: ${frames}`);
  console.log(`  alice's video decoded in the new room ${Date.now() - t0} ms after switchRoom`);
  // Capture was never stopped: the same live track.
  const after = await a.evaluate(() => ({ same: window.trtc.getVideoTrack() === window.trackBefore, state: window.trackBefore.readyState }));
  assert.deepEqual(after, { same: true, state: 'live' });
  for (const p of [a, b, c]) await p.close();
});
