// privateMapKey made by Tencent's own generator (npm tls-sig-api-v2), enforced by a server started
// with --require-private-map-key: the right room with the enter right gets in; another room's key,
// or none, is refused with SERVER_ERROR 5400 / -100006 and a message that says why.
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
