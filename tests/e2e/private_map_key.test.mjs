// privateMapKey made by Tencent's own generator (npm tls-sig-api-v2), enforced by a server started
// with --require-private-map-key: the right room with the enter right gets in; another room's key,
// or none, is refused with SERVER_ERROR 5400 / -100006 and a message that says why; so are a
// switchRole and a startRemoteVideo the key does not allow, which change nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pageErrors, startServer, launchBrowser, openSdkPage, enter, waitEvent, root } from './harness.mjs';

const require = createRequire(import.meta.url);
const TLSSigAPIv2 = require(path.join(root, 'tools/node_modules/tls-sig-api-v2'));
const APP = 1400000778;
const KEY = 'e2e-private-map-key-secret';
const api = new TLSSigAPIv2.Api(APP, KEY);

let server, browser;
before(async () => {
  server = await startServer(['--app', `${APP}:${KEY}`, '--require-private-map-key']);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the pages');
});

const who = (userId) => ({ sdkAppId: APP, userId, userSig: api.genUserSig(userId, 3600) });

test('keys from genPrivateMapKey / genPrivateMapKeyWithStringRoomID decide who enters which room', async () => {
  const page = await openSdkPage(browser, server.url);
  // The right numeric room, all rights.
  assert.deepEqual(await enter(page, who('alice'), { roomId: 7201, privateMapKey: api.genPrivateMapKey('alice', 3600, 7201, 255) }), { ok: true });
  await page.evaluate(() => window.trtc.exitRoom());
  // A string room.
  assert.deepEqual(await enter(page, who('alice'), { strRoomId: 'class-7', privateMapKey: api.genPrivateMapKeyWithStringRoomID('alice', 3600, 'class-7', 255) }), { ok: true });
  await page.evaluate(() => window.trtc.exitRoom());
  // Another room's key.
  const other = await enter(page, who('alice'), { roomId: 7202, privateMapKey: api.genPrivateMapKey('alice', 3600, 7201, 255) });
  assert.equal(other.code, 5400);
  assert.equal(other.extraCode, -100006);
  assert.match(other.message, /privateMapKey is for roomId 7201/);
  // No key on a server that requires one.
  const none = await enter(page, who('alice'), { roomId: 7201 });
  assert.equal(none.extraCode, -100006);
  assert.match(none.message, /requires a privateMapKey/);
  // Enter without the right to create a room nobody is in yet.
  const noCreate = await enter(page, who('alice'), { roomId: 7203, privateMapKey: api.genPrivateMapKey('alice', 3600, 7203, 2 | 8 | 32) });
  assert.equal(noCreate.extraCode, -100006);
  assert.match(noCreate.message, /create the room/);
  await page.close();
});

test('a publish the key does not allow: PUBLISH_STATE_CHANGED stopped with the error; switchRole with a new key publishes', async () => {
  const page = await openSdkPage(browser, server.url);
  // Create, enter and receive only.
  const viewerKey = api.genPrivateMapKey('carol', 3600, 7204, 1 | 2 | 8 | 32);
  assert.deepEqual(await enter(page, who('carol'), { roomId: 7204, scene: 'live', role: 'anchor', privateMapKey: viewerKey }), { ok: true });
  await page.evaluate(() => window.trtc.startLocalVideo());
  await waitEvent(page, 'publish-state-changed', { mediaType: 'video', state: 'stopped' });
  const stopped = await page.evaluate(() => window.events.find(([n, p]) => n === 'publish-state-changed' && p.state === 'stopped')[1]);
  assert.equal(stopped.prevState, 'starting');
  assert.equal(stopped.reason, 'error');
  assert.equal(stopped.error.code, 5400);
  assert.equal(stopped.error.extraCode, -100006);
  assert.match(stopped.error.message, /send video/);
  assert.match(stopped.error.message, /privateMapKey/);
  // An anchor's key through switchRole: the camera is published.
  const anchorKey = api.genPrivateMapKey('carol', 3600, 7204, 255);
  await page.evaluate(async (key) => {
    await window.trtc.switchRole('audience');
    await window.trtc.switchRole('anchor', { privateMapKey: key });
  }, anchorKey);
  await waitEvent(page, 'publish-state-changed', { mediaType: 'video', state: 'started' });
  await page.close();
});

test('switchRole and startRemoteVideo the key does not allow reject with 5400 / -100006 and change nothing', async () => {
  const anchor = await openSdkPage(browser, server.url);
  assert.deepEqual(await enter(anchor, who('dave'), { roomId: 7205, scene: 'live', role: 'anchor', privateMapKey: api.genPrivateMapKey('dave', 3600, 7205, 255) }), { ok: true });
  await anchor.evaluate(() => window.trtc.startLocalVideo());
  await waitEvent(anchor, 'publish-state-changed', { mediaType: 'video', state: 'started' });
  // Erin may enter and receive audio, not video; autoReceiveVideo off so startRemoteVideo asks.
  const viewer = await openSdkPage(browser, server.url);
  assert.deepEqual(await enter(viewer, who('erin'), { roomId: 7205, scene: 'live', role: 'audience', autoReceiveVideo: false, privateMapKey: api.genPrivateMapKey('erin', 3600, 7205, 2 | 8) }), { ok: true });
  await waitEvent(viewer, 'remote-video-available', { userId: 'dave' });
  const tried = await viewer.evaluate(async () => {
    const view = document.createElement('div');
    view.id = 'dave-view';
    document.body.append(view);
    try {
      await window.trtc.startRemoteVideo({ userId: 'dave', streamType: 'main', view });
      return { ok: true };
    } catch (e) {
      return { code: e.code, extraCode: e.extraCode, functionName: e.functionName, message: e.message, children: view.children.length };
    }
  });
  assert.equal(tried.code, 5400, JSON.stringify(tried));
  assert.equal(tried.extraCode, -100006);
  assert.equal(tried.functionName, 'startRemoteVideo');
  assert.match(tried.message, /receive video/);
  assert.equal(tried.children, 0, 'the view is let go');
  // switchRole to anchor with a key for another room: rejected, still an audience.
  const switched = await viewer.evaluate(async (key) => {
    try {
      await window.trtc.switchRole('anchor', { privateMapKey: key });
      return { ok: true };
    } catch (e) {
      return { code: e.code, extraCode: e.extraCode, functionName: e.functionName, message: e.message };
    }
  }, api.genPrivateMapKey('erin', 3600, 7299, 255));
  assert.equal(switched.code, 5400, JSON.stringify(switched));
  assert.equal(switched.extraCode, -100006);
  assert.equal(switched.functionName, 'switchRole');
  assert.match(switched.message, /privateMapKey is for roomId 7299/);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await anchor.evaluate(() => window.events.some(([n, p]) => n === 'remote-user-enter' && p.userId === 'erin')), false, 'erin stays invisible');
  // A key with every right: switchRole resolves once the server switched, and the video plays.
  await viewer.evaluate((key) => window.trtc.switchRole('anchor', { privateMapKey: key }), api.genPrivateMapKey('erin', 3600, 7205, 255));
  await waitEvent(anchor, 'remote-user-enter', { userId: 'erin' });
  await viewer.evaluate(() => window.trtc.startRemoteVideo({ userId: 'dave', streamType: 'main', view: 'dave-view' }));
  await viewer.waitForFunction(() => { const v = document.querySelector('#dave-view video'); return v && v.videoWidth > 0; }, null, { timeout: 15000 });
  await viewer.close();
  await anchor.close();
});
