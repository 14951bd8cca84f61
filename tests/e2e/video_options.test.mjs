// Video options that change what another page sees, through the real server: `mute: '<image
// url>'` sends the image, `mirror: 'publish'` mirrors the published picture, and
// `receiveWhenViewVisible` receives a remote video only while its view is visible (with
// `poster` on the SDK's <video>).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pageErrors, startServer, launchBrowser, openSdkPage, devSig, enter, waitEvent, TRACK_PCS } from './harness.mjs';

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

/** In page b: renders `userId`'s video into a new div `#id` (extra `option`s given). */
async function show(page, userId, id, option = {}, style = 'width: 320px; height: 240px') {
  await page.evaluate(async ({ userId, id, option, style }) => {
    const div = document.createElement('div');
    div.id = id;
    div.style.cssText = style;
    document.body.append(div);
    await window.trtc.startRemoteVideo({ userId, streamType: 'main', view: id, option });
  }, { userId, id, option, style });
}

/** Waits until the first video in `#id` decodes a frame for which `pred(size, pixelAt)` holds. */
async function waitPicture(page, id, pred, timeout = 15000) {
  await page.waitForFunction(({ id, pred }) => {
    const v = document.querySelector(`#${id} video`);
    if (!v || !v.videoWidth) return false;
    const c = document.createElement('canvas');
    c.width = v.videoWidth; c.height = v.videoHeight;
    const g = c.getContext('2d');
    g.drawImage(v, 0, 0);
    const at = (fx, fy) => Array.from(g.getImageData(Math.floor(fx * c.width), Math.floor(fy * c.height), 1, 1).data.slice(0, 3));
    return (0, eval)(pred)({ w: c.width, h: c.height }, at);
  }, { id, pred }, { timeout, polling: 200 });
}

const RED = '([r, g, b]) => r > 170 && g < 90 && b < 90';
const BLUE = '([r, g, b]) => b > 170 && r < 90 && g < 90';

// The fake camera is 4:3 and green; the image is 3:1 and red. (Sizes are compared by aspect:
// on a loaded machine the encoder may scale a stream down.)
const CAMERA = `(s, at) => Math.abs(s.w / s.h - 4 / 3) < 0.02 && !(${RED})(at(0.5, 0.5))`;
const IMAGE = `(s, at) => s.w <= 300 && Math.abs(s.w / s.h - 3) < 0.05 && (${RED})(at(0.5, 0.5)) && (${RED})(at(0.1, 0.9))`;

test('mute with an image URL sends the image and shows it locally; unmuting sends the camera again', async () => {
  const [a, b] = await Promise.all([0, 1].map(() => openSdkPage(browser, server.url)));
  const LOCAL = `const d = document.createElement('div');
    d.id = 'local'; d.style.cssText = 'width: 320px; height: 240px';
    document.body.append(d);
    await window.trtc.startLocalVideo({ view: 'local' });`;
  assert.deepEqual(await enter(a, await devSig(server.url, 'img-a'), { roomId: 4201 }, LOCAL), { ok: true });
  assert.deepEqual(await enter(b, await devSig(server.url, 'img-b'), { roomId: 4201 }), { ok: true });
  await waitEvent(b, 'remote-video-available', { userId: 'img-a' });
  await show(b, 'img-a', 'v');
  await waitPicture(b, 'v', CAMERA);
  // A 300×100 red PNG (a data URL is same-origin).
  await a.evaluate(async () => {
    const c = document.createElement('canvas');
    c.width = 300; c.height = 100;
    const g = c.getContext('2d');
    g.fillStyle = '#f00'; g.fillRect(0, 0, 300, 100);
    await window.trtc.updateLocalVideo({ mute: c.toDataURL('image/png') });
  });
  await waitPicture(b, 'v', IMAGE);
  // The local preview shows the image too.
  await waitPicture(a, 'local', IMAGE);
  assert.equal((await b.evaluate(() => window.events.filter(([n]) => n === 'remote-video-unavailable').length)), 0,
    'the others keep seeing video while the image is sent');
  await a.evaluate(() => window.trtc.updateLocalVideo({ mute: false }));
  await waitPicture(b, 'v', CAMERA);
  await waitPicture(a, 'local', CAMERA);
  // Bad input leaves the state as it was.
  const bad = await a.evaluate(async () => {
    try { await window.trtc.updateLocalVideo({ mute: 7 }); return 'resolved'; } catch (e) { return [e.code, e.extraCode]; }
  });
  assert.deepEqual(bad, [5000, 5002]);
  await waitPicture(b, 'v', CAMERA);
  for (const p of [a, b]) await p.close();
});

test("mirror 'publish' mirrors what the others see; 'view' does not", async () => {
  const [a, b] = await Promise.all([0, 1].map(() => openSdkPage(browser, server.url)));
  // A custom track: left half red, right half blue, redrawn so the stream keeps flowing.
  const START = `
    const c = document.createElement('canvas');
    c.width = 320; c.height = 240;
    const g = c.getContext('2d');
    window.paint = setInterval(() => { g.fillStyle = '#f00'; g.fillRect(0, 0, 160, 240); g.fillStyle = '#00f'; g.fillRect(160, 0, 160, 240); }, 50);
    await window.trtc.startLocalVideo({ option: { videoTrack: c.captureStream(20).getVideoTracks()[0], mirror: 'publish' } });`;
  assert.deepEqual(await enter(a, await devSig(server.url, 'mir-a'), { roomId: 4202 }, START), { ok: true });
  assert.deepEqual(await enter(b, await devSig(server.url, 'mir-b'), { roomId: 4202 }), { ok: true });
  await waitEvent(b, 'remote-video-available', { userId: 'mir-a' });
  await show(b, 'mir-a', 'v');
  await waitPicture(b, 'v', `(s, at) => (${BLUE})(at(0.25, 0.5)) && (${RED})(at(0.75, 0.5))`);
  await a.evaluate(() => window.trtc.updateLocalVideo({ option: { mirror: 'view' } }));
  await waitPicture(b, 'v', `(s, at) => (${RED})(at(0.25, 0.5)) && (${BLUE})(at(0.75, 0.5))`);
  await a.evaluate(() => window.trtc.updateLocalVideo({ option: { mirror: 'both' } }));
  await waitPicture(b, 'v', `(s, at) => (${BLUE})(at(0.25, 0.5)) && (${RED})(at(0.75, 0.5))`);
  await a.evaluate(() => clearInterval(window.paint));
  for (const p of [a, b]) await p.close();
});

test('receiveWhenViewVisible: no video while the view is hidden, frames once it shows', async () => {
  const [a, b] = await Promise.all([0, 1].map(() => openSdkPage(browser, server.url)));
  assert.deepEqual(await enter(a, await devSig(server.url, 'vis-a'), { roomId: 4203 }, 'await window.trtc.startLocalVideo();'), { ok: true });
  assert.deepEqual(await enter(b, await devSig(server.url, 'vis-b'), { roomId: 4203 }, TRACK_PCS), { ok: true });
  await waitEvent(b, 'remote-video-available', { userId: 'vis-a' });
  const poster = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
  await show(b, 'vis-a', 'v', { receiveWhenViewVisible: true, poster }, 'width: 320px; height: 240px; display: none');
  // Hidden: nothing is received (no view, no decoded frames) — checked over 2 s.
  const decoded = () => b.evaluate(async () => {
    let frames = 0;
    for (const pc of window.pcs || []) {
      const stats = await pc.getStats();
      stats.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded || 0; });
    }
    return frames;
  });
  await b.waitForTimeout(2000);
  assert.equal(await b.evaluate(() => document.querySelectorAll('#v video').length), 0);
  assert.equal(await decoded(), 0, 'no video frames decoded while hidden');
  // Shown: subscribed and rendered, with the poster on the SDK's <video>.
  await b.evaluate(() => { document.getElementById('v').style.display = 'block'; });
  await waitPicture(b, 'v', CAMERA);
  assert.equal(await b.evaluate(() => document.querySelector('#v video').getAttribute('poster')), poster);
  assert.ok(await decoded() > 0);
  // Hidden again: the view goes; shown again: frames again.
  await b.evaluate(() => { document.getElementById('v').style.display = 'none'; });
  await b.waitForFunction(() => document.querySelectorAll('#v video').length === 0, null, { timeout: 10000 });
  // Unsubscribed: the decoded count stops growing (once frames in flight are done).
  await b.waitForTimeout(500);
  const d1 = await decoded();
  await b.waitForTimeout(1000);
  assert.ok(await decoded() <= d1, 'no frames arrive while hidden again');
  await b.evaluate(() => { document.getElementById('v').style.display = 'block'; });
  await waitPicture(b, 'v', CAMERA);
  // New views without the option: the watch moves to them (the old view no longer counts).
  await b.evaluate(async () => {
    const d = document.createElement('div');
    d.id = 'w'; d.style.cssText = 'width: 320px; height: 240px';
    document.body.append(d);
    await window.trtc.updateRemoteVideo({ userId: 'vis-a', streamType: 'main', view: 'w' });
  });
  await waitPicture(b, 'w', CAMERA);
  await b.evaluate(() => { document.getElementById('w').style.display = 'none'; });
  await b.waitForFunction(() => document.querySelectorAll('#w video').length === 0, null, { timeout: 10000 });
  await b.evaluate(() => { document.getElementById('w').style.display = 'block'; });
  await waitPicture(b, 'w', CAMERA);
  // Bad option types: the validator's codes.
  const bad = await b.evaluate(async () => {
    const out = [];
    for (const option of [{ receiveWhenViewVisible: 'yes' }, { viewRoot: 'body' }, { poster: 1 }, { pictureInPicture: 1 }, { fullScreen: 'on' }]) {
      try { await window.trtc.updateRemoteVideo({ userId: 'vis-a', streamType: 'main', option }); out.push('resolved'); }
      catch (e) { out.push(e.extraCode); }
    }
    return out;
  });
  assert.deepEqual(bad, [5002, 5002, 5002, 5002, 5002]);
  for (const p of [a, b]) await p.close();
});
