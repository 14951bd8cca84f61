// Screen sharing as the sub stream through the real server: the fake display (1280×720 with an
// audio track, from --use-fake-ui-for-media-stream) is published next to the camera; the other
// page decodes both at their own sizes, hears the system audio's track, sees the share end when
// the track ends (SCREEN_SHARE_STOPPED there, REMOTE_VIDEO_UNAVAILABLE sub here) and a picture
// again after sharing again; bad input and refusals give the reference's codes.
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

/** In the page: render `userId`'s `streamType` into the box `id` (made once). */
async function render(page, userId, streamType, id) {
  return page.evaluate(async ({ userId, streamType, id }) => {
    let box = document.getElementById(id);
    if (!box) {
      box = document.createElement('div');
      box.id = id;
      box.style.width = '320px'; box.style.height = '240px';
      document.body.appendChild(box);
    }
    try { await window.trtc.startRemoteVideo({ userId, streamType, view: box }); return { ok: true }; }
    catch (e) { return { code: e.code, extraCode: e.extraCode, message: e.message }; }
  }, { userId, streamType, id });
}

/** Waits until the box's video has decoded more than `after` frames; its size and count. */
async function decoded(page, id, after = 10) {
  const h = await page.waitForFunction(({ id, after }) => {
    const v = document.querySelector(`#${id} video`);
    const n = v ? v.getVideoPlaybackQuality().totalVideoFrames : 0;
    return v && v.videoWidth > 0 && n > after && { width: v.videoWidth, height: v.videoHeight, frames: n, fit: v.style.objectFit };
  }, { id, after }, { timeout: 20000 });
  return h.jsonValue();
}

/**
 * Whether a decoded size is `[w, h]` as sent, or scaled down by the encoder (a loaded machine's
 * CPU adaptation: 3/4 or 1/2 steps) — the same shape, at least half the width.
 */
function sentAs(d, [w, h]) {
  return d.width <= w && d.width >= w / 2 && Math.abs(d.width / d.height - w / h) < 0.02;
}

const SHARE = `await window.trtc.startLocalVideo();
  await window.trtc.startScreenShare({ option: { systemAudio: true } });`;
// The same with a screen profile key: it sets the capture size.
const SHARE_720 = SHARE.replace('systemAudio: true', "systemAudio: true, profile: '720p'");

test('camera and screen at once, decoded on the other page at their own sizes', async () => {
  const a = await openSdkPage(browser, server.url);
  const b = await openSdkPage(browser, server.url);
  assert.deepEqual(await enter(a, await devSig(server.url, 'alice'), { roomId: 6001 }, SHARE_720), { ok: true });
  const local = await a.evaluate(() => {
    const t = window.trtc.getVideoTrack({ streamType: 'sub' });
    const s = t.getSettings();
    return { kind: t.kind, width: s.width, height: s.height, hint: t.contentHint,
      audio: window.trtc.getAudioTrack({ streamType: 'sub' })?.kind ?? null,
      camera: window.trtc.getVideoTrack().getSettings().width };
  });
  assert.deepEqual(local, { kind: 'video', width: 1280, height: 720, hint: 'detail', audio: 'audio', camera: 640 });
  await waitEvent(a, 'publish-state-changed', { mediaType: 'screen', state: 'started' });
  assert.deepEqual(await enter(b, await devSig(server.url, 'bob'), { roomId: 6001 }), { ok: true });
  await waitEvent(b, 'remote-video-available', { userId: 'alice', streamType: 'main' });
  await waitEvent(b, 'remote-video-available', { userId: 'alice', streamType: 'sub' });
  assert.deepEqual(await render(b, 'alice', 'main', 'cam'), { ok: true });
  assert.deepEqual(await render(b, 'alice', 'sub', 'screen'), { ok: true });
  const cam = await decoded(b, 'cam');
  const screen = await decoded(b, 'screen', 3);
  assert.ok(sentAs(cam, [640, 480]), JSON.stringify(cam));
  assert.ok(sentAs(screen, [1280, 720]), JSON.stringify(screen));
  assert.equal(screen.fit, 'contain', 'a shared screen is shown whole by default');
  assert.equal(cam.fit, 'cover');
  // The remote tracks by stream type; the system audio arrives (its track unmutes on RTP).
  await b.waitForFunction(() => {
    const t = window.trtc.getAudioTrack({ userId: 'alice', streamType: 'sub' });
    return t && t.kind === 'audio' && !t.muted;
  }, null, { timeout: 10000 });
  const tracks = await b.evaluate(() => {
    const main = window.trtc.getVideoTrack({ userId: 'alice', streamType: 'main' });
    const sub = window.trtc.getVideoTrack({ userId: 'alice', streamType: 'sub' });
    return { main: main?.kind, sub: sub?.kind, different: main !== sub && main.id !== sub.id };
  });
  assert.deepEqual(tracks, { main: 'video', sub: 'video', different: true });
  const published = await a.evaluate(() => window.events
    .filter(([n, p]) => n === 'publish-state-changed' && p.mediaType === 'screen').map(([, p]) => `${p.prevState}->${p.state}`));
  assert.deepEqual(published, ['stopped->starting', 'starting->started']);
  for (const p of [a, b]) await p.close();
});

test('the share ended from its track: SCREEN_SHARE_STOPPED, the sub stream goes, sharing again shows frames', async () => {
  const a = await openSdkPage(browser, server.url);
  const b = await openSdkPage(browser, server.url);
  assert.deepEqual(await enter(a, await devSig(server.url, 'carol'), { roomId: 6002 }, SHARE), { ok: true });
  assert.deepEqual(await enter(b, await devSig(server.url, 'dan'), { roomId: 6002 }), { ok: true });
  await waitEvent(b, 'remote-video-available', { userId: 'carol', streamType: 'sub' });
  assert.deepEqual(await render(b, 'carol', 'sub', 'screen'), { ok: true });
  const first = await decoded(b, 'screen', 3);
  // The default screen profile, 1080p (1920×1080, 5 fps), decoded at its size.
  assert.ok(sentAs(first, [1920, 1080]), JSON.stringify(first));
  // The user presses the browser's "Stop sharing": the track ends.
  await a.evaluate(() => {
    const t = window.trtc.getVideoTrack({ streamType: 'sub' });
    t.stop();
    t.dispatchEvent(new Event('ended'));
  });
  await waitEvent(a, 'screen-share-stopped');
  await waitEvent(a, 'publish-state-changed', { mediaType: 'screen', state: 'stopped' });
  await waitEvent(b, 'remote-video-unavailable', { userId: 'carol', streamType: 'sub' });
  assert.equal(await a.evaluate(() => window.trtc.getVideoTrack({ streamType: 'sub' })), null);
  // The view goes with the stream (once the server's next offer took its slot away).
  await b.waitForFunction(() => document.querySelector('#screen video') === null, null, { timeout: 10000 });
  // The camera was not touched.
  assert.equal(await b.evaluate(() => window.events.some(([n, p]) => n === 'remote-video-unavailable' && p.streamType === 'main')), false);
  // Sharing again: available again, and a picture in the same box (no black screen).
  await a.evaluate(() => window.trtc.startScreenShare());
  await b.waitForFunction(() => window.events.filter(([n, p]) => n === 'remote-video-available' && p.streamType === 'sub').length === 2,
    null, { timeout: 10000 });
  const again = await decoded(b, 'screen', 3);
  assert.ok(sentAs(again, [1920, 1080]), JSON.stringify({ first, again }));
  for (const p of [a, b]) await p.close();
});

test("streamType 'main': the screen goes out in the camera's place", async () => {
  const a = await openSdkPage(browser, server.url);
  const b = await openSdkPage(browser, server.url);
  const MAIN = `await window.trtc.startLocalVideo();
    await window.trtc.startScreenShare({ streamType: 'main', option: { profile: '720p' } });`;
  assert.deepEqual(await enter(a, await devSig(server.url, 'gus'), { roomId: 6004 }, MAIN), { ok: true });
  assert.deepEqual(await enter(b, await devSig(server.url, 'hal'), { roomId: 6004 }), { ok: true });
  await waitEvent(b, 'remote-video-available', { userId: 'gus', streamType: 'main' });
  assert.deepEqual(await render(b, 'gus', 'main', 'cam'), { ok: true });
  const main = await decoded(b, 'cam', 3);
  assert.ok(sentAs(main, [1280, 720]), `the screen, not the 640×480 camera: ${JSON.stringify(main)}`);
  assert.equal(await b.evaluate(() => window.events.some(([n, p]) => n === 'remote-video-available' && p.streamType === 'sub')), false);
  // The camera (4:3) or the screen (16:9) by the decoded picture's shape.
  const width = (w) => b.waitForFunction((ratio) => {
    const v = document.querySelector('#cam video');
    return v && v.videoHeight > 0 && Math.abs(v.videoWidth / v.videoHeight - ratio) < 0.02;
  }, w === 640 ? 4 / 3 : 16 / 9, { timeout: 15000 });
  // forcePublish: the camera takes the main stream back while the screen is still shared…
  await a.evaluate(() => window.trtc.updateLocalVideo({ forcePublish: true }));
  await width(640);
  // …and gives it back to the screen when it stops forcing.
  await a.evaluate(() => window.trtc.updateLocalVideo({ forcePublish: false }));
  await width(1280);
  // Stopping the share gives the slot back to the camera.
  await a.evaluate(() => window.trtc.stopScreenShare());
  await width(640);
  for (const p of [a, b]) await p.close();
});

test('errors: bad config, a refusal, no getDisplayMedia, a second start, a missing sub stream', async () => {
  const a = await openSdkPage(browser, server.url);
  const call = (expr) => a.evaluate(async (expr) => {
    try { await (0, eval)(`(async () => ${expr})()`); return 'ok'; }
    catch (e) { return `${e.code}/${e.extraCode} ${e.functionName}`; }
  }, expr);
  await a.evaluate(() => { window.trtc = window.TRTC.create(); });
  assert.equal(await a.evaluate(async () => (await window.TRTC.isSupported()).detail.isScreenShareSupported), true);
  assert.equal(await call(`window.trtc.startScreenShare({ streamType: 'big' })`), '5000/5005 startScreenShare');
  assert.equal(await call(`window.trtc.startScreenShare({ option: { systemAudio: 'yes' } })`), '5000/5002 startScreenShare');
  assert.equal(await call(`window.trtc.startScreenShare({ option: { preferDisplaySurface: 'desk' } })`), '5000/5005 startScreenShare');
  assert.equal(await call(`window.trtc.startScreenShare({ view: 'no-such-id' })`), '5000/5009 startScreenShare');
  assert.equal(await call(`window.trtc.updateScreenShare()`), '5000/5001 updateScreenShare');
  assert.equal(await call(`window.trtc.updateScreenShare({ publish: false })`), '5998/undefined updateScreenShare');
  assert.equal(await a.evaluate(() => window.trtc.getVideoTrack({ streamType: 'sub' })), null, 'nothing shared after refusals');
  // The user refuses in the picker.
  const real = await a.evaluate(() => {
    window.realGdm = navigator.mediaDevices.getDisplayMedia;
    navigator.mediaDevices.getDisplayMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
    return true;
  });
  assert.ok(real);
  assert.equal(await call(`window.trtc.startScreenShare()`), '5300/5302 startScreenShare');
  // A browser without getDisplayMedia.
  await a.evaluate(() => { navigator.mediaDevices.getDisplayMedia = undefined; });
  assert.equal(await call(`window.trtc.startScreenShare()`), '5200/5205 startScreenShare');
  assert.equal(await a.evaluate(async () => (await window.TRTC.isSupported()).detail.isScreenShareSupported), false);
  await a.evaluate(() => { navigator.mediaDevices.getDisplayMedia = window.realGdm; });
  // A second start while sharing resolves and keeps the one share (the reference's queue rule).
  assert.equal(await call(`window.trtc.startScreenShare()`), 'ok');
  const id = await a.evaluate(() => window.trtc.getVideoTrack({ streamType: 'sub' }).id);
  assert.equal(await call(`window.trtc.startScreenShare()`), 'ok');
  assert.equal(await a.evaluate(() => window.trtc.getVideoTrack({ streamType: 'sub' }).id), id);
  assert.equal(await call(`window.trtc.stopScreenShare()`), 'ok');
  assert.equal(await a.evaluate(() => window.trtc.getVideoTrack({ streamType: 'sub' })), null);
  assert.equal(await call(`window.trtc.stopScreenShare()`), 'ok', 'stopping nothing resolves');
  // startRemoteVideo of a sub stream a user does not publish.
  const b = await openSdkPage(browser, server.url);
  assert.deepEqual(await enter(b, await devSig(server.url, 'erin'), { roomId: 6003 }, 'await window.trtc.startLocalVideo();'), { ok: true });
  assert.deepEqual(await enter(a, await devSig(server.url, 'fay'), { roomId: 6003 }), { ok: true });
  await waitEvent(a, 'remote-video-available', { userId: 'erin', streamType: 'main' });
  const r = await render(a, 'erin', 'sub', 'none');
  assert.equal(`${r.code}/${r.extraCode}`, '5100/5103', JSON.stringify(r));
  for (const p of [a, b]) await p.close();
});
