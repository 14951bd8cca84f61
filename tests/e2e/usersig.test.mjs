// userSigs from Tencent's own generator (npm tls-sig-api-v2) are accepted by trtc-server; bad ones
// are refused with SERVER_ERROR 5400 and an extraCode and message that say why.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pageErrors, startServer, launchBrowser, openSdkPage, enter, root } from './harness.mjs';

const require = createRequire(import.meta.url);
const TLSSigAPIv2 = require(path.join(root, 'tools/node_modules/tls-sig-api-v2'));
const APP = 1400000777;
const KEY = 'e2e-secret-key-0123456789abcdef';
const OTHER_APP = 1400000888;
const OTHER_KEY = 'another-secret';

let server, browser;
before(async () => {
  server = await startServer(['--app', `${APP}:${KEY}`, '--app', `${OTHER_APP}:${OTHER_KEY}`]);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the pages');
});

const sign = (app, key, user, expire = 3600) => new TLSSigAPIv2.Api(app, key).genUserSig(user, expire);

test("Tencent's tls-sig-api-v2 userSigs are accepted", async () => {
  const page = await openSdkPage(browser, server.url);
  const r = await enter(page, { sdkAppId: APP, userId: 'dave', userSig: sign(APP, KEY, 'dave') }, { roomId: 2001 });
  assert.deepEqual(r, { ok: true });
  await page.close();
});

test('tampered, expired, wrong-user, wrong-app and unknown-app userSigs are refused with 5400', async () => {
  const page = await openSdkPage(browser, server.url);
  const good = sign(APP, KEY, 'erin');
  const mid = Math.floor(good.length / 2);
  const tampered = good.slice(0, mid) + (good[mid] === 'A' ? 'B' : 'A') + good.slice(mid + 1);
  const expired = sign(APP, KEY, 'erin', 1);
  await new Promise((r) => setTimeout(r, 2100)); // let the 1-second userSig expire
  const rows = [
    ['tampered', { sdkAppId: APP, userId: 'erin', userSig: tampered }, -100018],
    ['expired', { sdkAppId: APP, userId: 'erin', userSig: expired }, 70001],
    ['wrong user', { sdkAppId: APP, userId: 'mallory', userSig: good }, 70013],
    ['wrong app', { sdkAppId: OTHER_APP, userId: 'erin', userSig: good }, 70014],
    ['other key', { sdkAppId: APP, userId: 'erin', userSig: sign(APP, OTHER_KEY, 'erin') }, -100018],
    ['unknown app', { sdkAppId: 1400000999, userId: 'erin', userSig: sign(1400000999, KEY, 'erin') }, -1004],
  ];
  for (const [what, creds, extra] of rows) {
    const r = await enter(page, creds, { roomId: 2002 });
    assert.equal(r.ok, false, what);
    assert.deepEqual([r.code, r.extraCode, r.name, r.functionName], [5400, extra, 'SERVER_ERROR', 'enterRoom'], `${what}: ${r.message}`);
    assert.ok(r.message.length > 30, `${what}: a message that says why: ${r.message}`);
  }
  // Nothing was joined, and a good userSig still works on the same instance.
  assert.deepEqual(await enter(page, { sdkAppId: APP, userId: 'erin', userSig: good }, { roomId: 2002 }), { ok: true });
  await page.close();
});
