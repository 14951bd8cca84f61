// DEVICE_CHANGED {action:'active'} when capture starts on a device, and VIDEO_SIZE_CHANGED when a
// rendered video's size changes (the sender switches profile), locally and remotely.
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

test('DEVICE_CHANGED active for the camera and microphone that capture starts on', async () => {
  const a = await openSdkPage(browser, server.url);
  assert.deepEqual(await enter(a, await devSig(server.url, 'dina'), { roomId: 6001 },
    'await window.trtc.startLocalVideo(); await window.trtc.startLocalAudio();'), { ok: true });
  await waitEvent(a, 'device-changed', { type: 'camera', action: 'active' });
  await waitEvent(a, 'device-changed', { type: 'microphone', action: 'active' });
  const devices = await a.evaluate(() => window.events.filter(([n]) => n === 'device-changed').map(([, p]) => p));
  const cam = devices.find((d) => d.type === 'camera');
  const camTrackDevice = await a.evaluate(() => window.trtc.getVideoTrack().getSettings().deviceId);
  assert.equal(cam.device.deviceId, camTrackDevice, 'the device the track was opened on');
  assert.equal(cam.device.kind, 'videoinput');
  await a.close();
});

test('VIDEO_SIZE_CHANGED when the sender switches profile: remote and local views', async () => {
  const a = await openSdkPage(browser, server.url);
  const b = await openSdkPage(browser, server.url);
  const localView = `const v = document.createElement('div'); v.id = 'local'; v.style.width = '320px'; v.style.height = '240px'; document.body.appendChild(v);
    await window.trtc.startLocalVideo({ view: v, option: { profile: '480p_2' } });`;
  assert.deepEqual(await enter(a, await devSig(server.url, 'erik'), { roomId: 6002 }, localView), { ok: true });
  assert.deepEqual(await enter(b, await devSig(server.url, 'faye'), { roomId: 6002 }), { ok: true });
  await waitEvent(b, 'remote-video-available', { userId: 'erik' });
  await b.evaluate(async () => {
    const box = document.createElement('div');
    box.style.width = '320px'; box.style.height = '240px';
    document.body.appendChild(box);
    await window.trtc.startRemoteVideo({ userId: 'erik', streamType: 'main', view: box });
  });
  await waitEvent(b, 'first-video-frame', { userId: 'erik' }, 15000);
  await waitEvent(a, 'first-video-frame', { userId: '' }, 15000);
  await a.evaluate(() => window.trtc.updateLocalVideo({ option: { profile: '360p' } }));
  await b.waitForFunction(() => window.events.some(([n, p]) => n === 'video-size-changed' && p.userId === 'erik' && p.newWidth === 640 && p.newHeight === 360),
    null, { timeout: 20000 });
  await a.waitForFunction(() => window.events.some(([n, p]) => n === 'video-size-changed' && p.userId === '' && p.newHeight === 360),
    null, { timeout: 20000 });
  // (The encoder may pass through a smaller size first while it adapts; the payload checked is
  // the one of the new profile's size.)
  const got = await b.evaluate(() => window.events.find(([n, p]) => n === 'video-size-changed' && p.newHeight === 360)[1]);
  assert.deepEqual(got, { userId: 'erik', streamType: 'main', newWidth: 640, newHeight: 360 });
  await a.close();
  await b.close();
});
