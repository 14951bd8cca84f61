// Devices that come, go and stop. Fake devices cannot be unplugged, so the page stands in for
// the browser: it changes what enumerateDevices() returns and fires devicechange, and it stops
// a captured track and fires its 'ended' event, as an unplugged camera does. Recovery is checked
// where it matters: the other page keeps decoding frames.
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

const RECORD = `window.events = window.events || [];
  if (!window.recording) { window.recording = true;
    for (const name of Object.values(TRTC.EVENT)) if (name !== 'audio-frame') window.trtc.on(name, (p) => window.events.push([name, JSON.parse(JSON.stringify(p ?? null))])); }`;

test('DEVICE_CHANGED add and remove follow the device list', async () => {
  const a = await openSdkPage(browser, server.url);
  await a.evaluate(async (rec) => {
    window.trtc = window.TRTC.create();
    (0, eval)(rec);
    const real = navigator.mediaDevices.enumerateDevices.bind(navigator.mediaDevices);
    window.extra = [];
    navigator.mediaDevices.enumerateDevices = async () => [...(await real()), ...window.extra];
    await window.TRTC.getCameraList(); // permission, so ids are visible
    await new Promise((r) => setTimeout(r, 300));
  }, RECORD);
  await a.evaluate(() => {
    window.extra = [{ deviceId: 'usb-cam-1', groupId: 'g1', kind: 'videoinput', label: 'USB Camera', toJSON() { return this; } }];
    navigator.mediaDevices.dispatchEvent(new Event('devicechange'));
  });
  await waitEvent(a, 'device-changed', { type: 'camera', action: 'add' });
  const added = await a.evaluate(() => window.events.find(([n, p]) => n === 'device-changed' && p.action === 'add')[1]);
  assert.equal(added.device.deviceId, 'usb-cam-1');
  assert.equal(added.device.label, 'USB Camera');
  await a.evaluate(() => {
    window.extra = [];
    navigator.mediaDevices.dispatchEvent(new Event('devicechange'));
  });
  await waitEvent(a, 'device-changed', { type: 'camera', action: 'remove' });
  const changes = await a.evaluate(() => window.events.filter(([n, p]) => n === 'device-changed' && p.action !== 'active').map(([, p]) => [p.type, p.action, p.device.deviceId]));
  assert.deepEqual(changes, [['camera', 'add', 'usb-cam-1'], ['camera', 'remove', 'usb-cam-1']], 'nothing else changed');
  await a.close();
});

/** In the page: frames of `userId`'s rendered video so far. */
const framesOf = (page, userId) => page.evaluate((u) => {
  const v = document.querySelector(`#remote-${u} video`);
  return v ? v.getVideoPlaybackQuality().totalVideoFrames : -1;
}, userId);

test('the camera track ends (unplugged): the SDK captures again and the other side keeps getting frames', async () => {
  const a = await openSdkPage(browser, server.url);
  const b = await openSdkPage(browser, server.url);
  assert.deepEqual(await enter(a, await devSig(server.url, 'gina'), { roomId: 6101 },
    'await window.trtc.startLocalVideo(); await window.trtc.startLocalAudio();'), { ok: true });
  assert.deepEqual(await enter(b, await devSig(server.url, 'hugo'), { roomId: 6101 }), { ok: true });
  await waitEvent(b, 'remote-video-available', { userId: 'gina' });
  await b.evaluate(async () => {
    const box = document.createElement('div');
    box.id = 'remote-gina'; box.style.width = '320px'; box.style.height = '240px';
    document.body.appendChild(box);
    await window.trtc.startRemoteVideo({ userId: 'gina', streamType: 'main', view: box });
  });
  await b.waitForFunction(() => (document.querySelector('#remote-gina video')?.getVideoPlaybackQuality().totalVideoFrames ?? 0) > 10, null, { timeout: 15000 });

  const actives = () => a.evaluate(() => window.events.filter(([n, p]) => n === 'device-changed' && p.type === 'camera' && p.action === 'active').length);
  const before = await actives();
  const oldId = await a.evaluate(() => {
    const t = window.trtc.getVideoTrack();
    window.oldTrack = t;
    t.stop();
    t.dispatchEvent(new Event('ended'));
    return t.id;
  });
  await a.waitForFunction((id) => { const t = window.trtc.getVideoTrack(); return t && t.id !== id && t.readyState === 'live'; }, oldId, { timeout: 10000 });
  await a.waitForFunction((n) => window.events.filter(([e, p]) => e === 'device-changed' && p.type === 'camera' && p.action === 'active').length > n, before, { timeout: 10000 });
  // Frames keep coming to the other page after the old track was stopped.
  const f0 = await framesOf(b, 'gina');
  await b.waitForFunction((f) => document.querySelector('#remote-gina video').getVideoPlaybackQuality().totalVideoFrames > f + 15, f0, { timeout: 10000 });
  assert.equal(await a.evaluate(() => window.events.some(([n]) => n === 'error')), false, 'no ERROR');

  // The microphone too.
  const oldMic = await a.evaluate(() => { const t = window.trtc.getAudioTrack(); t.stop(); t.dispatchEvent(new Event('ended')); return t.id; });
  await a.waitForFunction((id) => { const t = window.trtc.getAudioTrack(); return t && t.id !== id && t.readyState === 'live'; }, oldMic, { timeout: 10000 });
  await waitEvent(a, 'device-changed', { type: 'microphone', action: 'active' });
  await a.close();
  await b.close();
});

test('when the camera cannot be captured again: ERROR 5308, and the room carries on', async () => {
  const a = await openSdkPage(browser, server.url);
  assert.deepEqual(await enter(a, await devSig(server.url, 'ivan'), { roomId: 6102 }, 'await window.trtc.startLocalVideo();'), { ok: true });
  await a.evaluate(() => {
    navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Could not start video source', 'NotReadableError'));
    const t = window.trtc.getVideoTrack();
    t.stop();
    t.dispatchEvent(new Event('ended'));
  });
  await waitEvent(a, 'error', { extraCode: 5308 }, 20000);
  const err = await a.evaluate(() => window.events.find(([n, p]) => n === 'error' && p.extraCode === 5308)[1]);
  assert.equal(err.code, 5300);
  assert.match(err.message, /camera stopped and could not be captured again/);
  assert.equal(await a.evaluate(() => window.events.filter(([n]) => n === 'connection-state-changed').at(-1)[1].state), 'CONNECTED');
  await a.close();
});

test('PERMISSION_STATE_CHANGE when the camera or microphone permission changes', async () => {
  const context = await browser.newContext();
  const a = await context.newPage();
  a.on('pageerror', (e) => pageErrors.push(String(e)));
  await a.goto(new URL('/blank.html', server.url).href);
  await a.evaluate(() => window.trtcReady);
  await a.evaluate((rec) => { window.trtc = window.TRTC.create(); (0, eval)(rec); }, RECORD);
  await new Promise((r) => setTimeout(r, 300)); // the SDK has queried the permissions
  // Granting only the camera leaves the microphone denied; clearing restores the defaults.
  await context.grantPermissions(['camera'], { origin: new URL(server.url).origin });
  await waitEvent(a, 'permission-state-change', { camera: 'granted', microphone: 'denied' });
  await context.clearPermissions();
  await waitEvent(a, 'permission-state-change', { camera: 'granted', microphone: 'granted' });
  await context.close();
});
