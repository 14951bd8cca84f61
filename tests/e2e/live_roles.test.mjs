// Live scene: an audience receives the anchor but is invisible and sends nothing; switchRole
// turns it into an anchor (others see it enter and its streams appear) and back (its streams go,
// then it exits with reason 3), keeping its local capture.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pageErrors, startServer, launchBrowser, openSdkPage, devSig, enter, waitEvent, eventNames } from './harness.mjs';

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

const RENDER = `
  window.trtc.on('remote-video-available', ({ userId }) => {
    const box = document.createElement('div');
    box.id = 'remote-' + userId; box.style.width = '320px'; box.style.height = '240px';
    document.body.appendChild(box);
    window.trtc.startRemoteVideo({ userId, streamType: 'main', view: box }).catch((e) => { window.startError = e.code + '/' + e.extraCode; });
  });
  window.trtc.on('remote-video-unavailable', ({ userId }) => { document.getElementById('remote-' + userId)?.remove(); });`;

const frames = (page, userId) => page.waitForFunction((u) => {
  const v = document.querySelector(`#remote-${u} video`);
  return v && v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 5;
}, userId, { timeout: 15000 });

test('audience renders the anchor, stays invisible, and switchRole works both ways', async () => {
  const anchor = await openSdkPage(browser, server.url);
  const fan = await openSdkPage(browser, server.url);
  assert.deepEqual(await enter(anchor, await devSig(server.url, 'anchor'), { roomId: 8001, scene: 'live', role: 'anchor' },
    `await window.trtc.startLocalVideo(); await window.trtc.startLocalAudio(); ${RENDER}`), { ok: true });
  // The audience captures its camera before entering: previewed, not published.
  assert.deepEqual(await enter(fan, await devSig(server.url, 'fan'), { roomId: 8001, scene: 'live', role: 'audience' },
    `await window.trtc.startLocalVideo(); ${RENDER}`), { ok: true });
  await frames(fan, 'anchor');
  // That nothing about the audience ever reaches the anchor is shown on the host, over 10 s of
  // virtual time (crates/trtc-core/tests/room_control.rs); here: nothing by now.
  assert.deepEqual(await eventNames(anchor, ['remote-user-enter', 'remote-video-available']), [], 'the audience is invisible');
  assert.deepEqual(await fan.evaluate(() => window.events.filter(([n]) => n === 'publish-state-changed')), [], 'the audience publishes nothing');

  // To anchor: the other side sees ENTER, then VIDEO_AVAILABLE, and renders it.
  await fan.evaluate(() => window.trtc.switchRole('anchor'));
  await waitEvent(anchor, 'remote-user-enter', { userId: 'fan' });
  await waitEvent(anchor, 'remote-video-available', { userId: 'fan' });
  assert.deepEqual((await eventNames(anchor, ['remote-user-enter', 'remote-video-available'])).map(([n]) => n),
    ['remote-user-enter', 'remote-video-available']);
  await frames(anchor, 'fan');
  await waitEvent(fan, 'publish-state-changed', { mediaType: 'video', state: 'started' });

  // Back to audience: VIDEO_UNAVAILABLE, then EXIT with reason 3; the local camera keeps running.
  await fan.evaluate(() => window.trtc.switchRole('audience'));
  await waitEvent(anchor, 'remote-user-exit', { userId: 'fan', reason: 3 });
  const tail = (await eventNames(anchor, ['remote-video-unavailable', 'remote-user-exit'])).slice(-2);
  assert.deepEqual(tail, [['remote-video-unavailable', 'fan'], ['remote-user-exit', 'fan']]);
  assert.equal(await fan.evaluate(() => window.trtc.getVideoTrack().readyState), 'live');
  await waitEvent(fan, 'publish-state-changed', { mediaType: 'video', state: 'stopped' });
  // Still receiving the anchor.
  assert.ok(await fan.evaluate(() => document.querySelector('#remote-anchor video').getVideoPlaybackQuality().totalVideoFrames > 0));
  // Bad role: 5000/5005.
  const bad = await fan.evaluate(() => window.trtc.switchRole('host').then(() => 'resolved', (e) => [e.code, e.extraCode]));
  assert.deepEqual(bad, [5000, 5005]);
  await anchor.close();
  await fan.close();
});
