// sendCustomMessage / CUSTOM_MESSAGE through the real server: everyone else in the room gets
// each message once, in order, with the sender's seq and the bytes sent; nothing crosses rooms;
// the reference's rejections (a rejected promise, not a throw) and its per-second limit (a
// synchronous throw).
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

// Keeps every CUSTOM_MESSAGE with its data decoded (the recorded payloads lose ArrayBuffers).
const RECORD = `window.customs = [];
  window.trtc.on(window.TRTC.EVENT.CUSTOM_MESSAGE, (m) => window.customs.push({
    userId: m.userId, cmdId: m.cmdId, seq: m.seq, isBuffer: m.data instanceof ArrayBuffer,
    text: new TextDecoder().decode(m.data) }));`;

/** In the page: the outcome of one sendCustomMessage call. */
async function send(page, cmdId, text, size) {
  return page.evaluate(async ({ cmdId, text, size }) => {
    const data = size !== undefined ? new ArrayBuffer(size) : text === null ? 'not a buffer' : new TextEncoder().encode(text).buffer;
    let ret;
    try {
      ret = window.trtc.sendCustomMessage({ cmdId, data });
    } catch (e) {
      return { thrown: String(e.message), isRtcError: e.name === 'RtcError' };
    }
    if (ret === undefined) return { ok: true };
    try { await ret; return { resolved: true }; } catch (e) { return { rejected: e.extraCode, code: e.code, message: e.message, fn: e.functionName }; }
  }, { cmdId, text, size });
}

test('custom messages reach everyone else in the room, in order, and no other room', async () => {
  const [a, b, c, d] = await Promise.all([0, 1, 2, 3].map(() => openSdkPage(browser, server.url)));
  // Before enterRoom: 5101 as a rejected promise.
  await a.evaluate(() => { window.trtc = window.TRTC.create(); });
  assert.deepEqual((await send(a, 1, 'early')).rejected, 5101);
  for (const [p, u, room] of [[a, 'alice', 4001], [b, 'bob', 4001], [c, 'carol', 4001], [d, 'dave', 4002]]) {
    assert.deepEqual(await enter(p, await devSig(server.url, u), { roomId: room }, RECORD), { ok: true });
  }
  const sent = ['one', 'two', 'ünïcødé ✓', 'x'.repeat(1000)];
  for (const [i, t] of sent.entries()) assert.deepEqual(await send(a, (i % 10) + 1, t), { ok: true });
  assert.deepEqual(await send(b, 7, 'from bob'), { ok: true });
  for (const p of [b, c]) await p.waitForFunction((n) => window.customs.filter((m) => m.userId === 'alice').length === n, sent.length, { timeout: 10000 });
  await a.waitForFunction(() => window.customs.length === 1, null, { timeout: 10000 });
  const want = sent.map((text, i) => ({ userId: 'alice', cmdId: (i % 10) + 1, seq: i + 1, isBuffer: true, text }));
  assert.deepEqual((await b.evaluate(() => window.customs)), want);
  assert.deepEqual((await c.evaluate(() => window.customs)).filter((m) => m.userId === 'alice'), want);
  assert.deepEqual(await a.evaluate(() => window.customs), [{ userId: 'bob', cmdId: 7, seq: 1, isBuffer: true, text: 'from bob' }], 'not echoed to the sender');
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(await d.evaluate(() => window.customs), [], 'nothing crosses rooms');
  for (const p of [a, b, c, d]) await p.close();
});

test('bad input is a rejected promise with the reference codes; over 30 a second throws', async () => {
  const a = await openSdkPage(browser, server.url);
  const b = await openSdkPage(browser, server.url);
  assert.deepEqual(await enter(a, await devSig(server.url, 'erin'), { roomId: 4003 }, RECORD), { ok: true });
  assert.deepEqual(await enter(b, await devSig(server.url, 'fred'), { roomId: 4003 }, RECORD), { ok: true });
  const rows = [
    [[0, 'x'], 5007], [[11, 'x'], 5008], [['1', 'x'], 5002], [[1, null], 5002],
    [[1, undefined, 0], 5017], [[1, undefined, 1001], 5018],
  ];
  for (const [[cmd, text, size], code] of rows) {
    const r = await send(a, cmd, text, size);
    assert.equal(r.rejected, code, `${JSON.stringify([cmd, text, size])}: ${JSON.stringify(r)}`);
    assert.equal(r.code, 5000);
    assert.equal(r.fn, 'sendCustomMessage');
  }
  const burst = await a.evaluate(() => {
    const out = [];
    for (let i = 0; i < 31; i++) {
      try { out.push(window.trtc.sendCustomMessage({ cmdId: 1, data: new Uint8Array([i]).buffer }) === undefined ? 'ok' : 'promise'); } catch (e) { out.push('thrown: ' + e.message); }
    }
    return out;
  });
  assert.deepEqual(burst.slice(0, 30), Array(30).fill('ok'));
  assert.equal(burst[30], 'thrown: api sendCustomMessage call times is over 30 in a second.');
  await b.waitForFunction(() => window.customs.length === 30, null, { timeout: 10000 });
  assert.deepEqual(await b.evaluate(() => window.customs.map((m) => m.seq)), Array.from({ length: 30 }, (_, i) => i + 1));
  await a.close();
  await b.close();
});

test('an audience in a live room gets the messages but cannot send (5107)', async () => {
  const a = await openSdkPage(browser, server.url);
  const v = await openSdkPage(browser, server.url);
  assert.deepEqual(await enter(a, await devSig(server.url, 'host'), { roomId: 4004, scene: 'live', role: 'anchor' }, RECORD), { ok: true });
  assert.deepEqual(await enter(v, await devSig(server.url, 'fan'), { roomId: 4004, scene: 'live', role: 'audience' }, RECORD), { ok: true });
  assert.equal((await send(v, 1, 'hi')).rejected, 5107);
  assert.deepEqual(await send(a, 2, 'welcome'), { ok: true });
  await v.waitForFunction(() => window.customs.length === 1, null, { timeout: 10000 });
  assert.equal(await v.evaluate(() => window.customs[0].text), 'welcome');
  await a.close();
  await v.close();
});
