// callExperimentalAPI('preconnect') through the real server: the socket it opens proves the user,
// outlives the server's join timeout (a plain socket opened beside it is closed), and enterRoom
// as that user takes it over (no second socket) and is seen by the room; a preconnection the
// server closed at --preconnect-keep, or one for another user, is not taken (enterRoom connects
// by itself); bad input and refusals reject with the reference's codes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pageErrors, startServer, launchBrowser, openSdkPage, devSig, enter, waitEvent } from './harness.mjs';

const KEEP_S = 3;
const [OPEN, CLOSED] = [1, 3]; // WebSocket.readyState
let server, browser;
before(async () => {
  server = await startServer(['--dev', '--join-timeout', '1', '--preconnect-keep', String(KEEP_S)]);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the pages');
});

/** A page whose WebSockets are counted in `window.sockets` (the SDK's `new WebSocket` is the
 *  page's global at call time), with `window.trtc` created. */
async function countingPage() {
  const page = await openSdkPage(browser, server.url);
  await page.evaluate(() => {
    const Plain = window.WebSocket;
    window.PlainWebSocket = Plain;
    window.sockets = [];
    window.WebSocket = class extends Plain {
      constructor(...args) { super(...args); window.sockets.push(this); }
    };
    window.trtc = window.TRTC.create();
  });
  return page;
}

async function preconnect(page, options) {
  return page.evaluate(async (options) => {
    try { await window.trtc.callExperimentalAPI('preconnect', options); return { ok: true }; }
    catch (e) { return { code: e.code, extraCode: e.extraCode, message: e.message, fn: e.functionName }; }
  }, options);
}

const states = (page) => page.evaluate(() => window.sockets.map((s) => s.readyState));

test('enterRoom takes the preconnected socket, kept past the join timeout, and the room sees the user', async () => {
  const [a, b] = [await countingPage(), await openSdkPage(browser, server.url)];
  const alice = await devSig(server.url, 'alice');
  const t0 = Date.now();
  assert.deepEqual(await preconnect(a, { enable: true, ...alice, roomId: 5301 }), { ok: true });
  const preconnectMs = Date.now() - t0;
  assert.deepEqual(await states(a), [OPEN]);
  // Preconnecting again for the same user and server keeps the same socket.
  assert.deepEqual(await preconnect(a, { enable: true, ...alice, roomId: 5301 }), { ok: true });
  assert.equal(await a.evaluate(() => window.sockets.length), 1);
  // A plain socket opened now, which joins nothing, is closed at the join timeout (1 s)...
  await a.evaluate((url) => { window.plain = new window.PlainWebSocket(url.replace(/^http/, 'ws') + 'trtc/ws'); }, server.url);
  await a.waitForFunction(() => window.plain.readyState === WebSocket.CLOSED, null, { timeout: 8000 });
  // ... the preconnected one is still open.
  assert.deepEqual(await states(a), [OPEN]);

  assert.deepEqual(await enter(b, await devSig(server.url, 'bob'), { roomId: 5301 }, 'await window.trtc.startLocalVideo();'), { ok: true });
  const t1 = Date.now();
  assert.deepEqual(await enter(a, alice, { roomId: 5301 }, 'window.trtc.on(window.TRTC.EVENT.REMOTE_VIDEO_AVAILABLE, () => {});'), { ok: true });
  const enterMs = Date.now() - t1;
  assert.equal(await a.evaluate(() => window.sockets.length), 1, 'enterRoom opened no socket of its own');
  await waitEvent(b, 'remote-user-enter', { userId: 'alice' });
  await waitEvent(a, 'remote-video-available', { userId: 'bob' });
  // A member like any other: it stays past --preconnect-keep.
  await b.evaluate(() => window.trtc.exitRoom());
  await waitEvent(a, 'remote-user-exit', { userId: 'bob' }, 10000);
  assert.deepEqual(await states(a), [OPEN]);
  // In a room, preconnect is refused; enable: false is harmless.
  const refused = await preconnect(a, { enable: true, ...alice });
  assert.equal(refused.code, 5100, JSON.stringify(refused));
  assert.match(refused.message, /before enterRoom/);
  assert.deepEqual(await preconnect(a, { enable: false }), { ok: true });
  assert.deepEqual(await states(a), [OPEN]);
  console.log(`preconnect resolved in ${preconnectMs} ms; enterRoom on the preconnected socket in ${enterMs} ms`);
  await Promise.all([a.close(), b.close()]);
});

test('a preconnection the server closed, or one for another user, is not taken; enterRoom connects by itself', async () => {
  const a = await countingPage();
  const carol = await devSig(server.url, 'carol');
  assert.deepEqual(await preconnect(a, { enable: true, ...carol, strRoomId: 'pre-5302' }), { ok: true });
  // Kept KEEP_S seconds from its opening, then told and closed by the server.
  await a.waitForFunction(() => window.sockets[0].readyState === WebSocket.CLOSED, null, { timeout: (KEEP_S + 5) * 1000 });
  const t0 = Date.now();
  assert.deepEqual(await enter(a, carol, { strRoomId: 'pre-5302' }), { ok: true });
  console.log(`enterRoom on a socket of its own in ${Date.now() - t0} ms`);
  assert.deepEqual(await states(a), [CLOSED, OPEN]);
  await a.evaluate(() => window.trtc.exitRoom());

  // Preconnected as dave, entering as erin: dave's socket is closed, erin's opened.
  const b = await countingPage();
  assert.deepEqual(await preconnect(b, { enable: true, ...(await devSig(server.url, 'dave')) }), { ok: true });
  assert.deepEqual(await enter(b, await devSig(server.url, 'erin'), { strRoomId: 'pre-5302' }), { ok: true });
  await b.waitForFunction(() => window.sockets.length === 2 && window.sockets[0].readyState === WebSocket.CLOSED
    && window.sockets[1].readyState === WebSocket.OPEN, null, { timeout: 5000 });
  // enable: false closes a preconnection; then enterRoom opens its own.
  const c = await countingPage();
  const frank = await devSig(server.url, 'frank');
  assert.deepEqual(await preconnect(c, { enable: true, ...frank }), { ok: true });
  assert.deepEqual(await preconnect(c, { enable: false }), { ok: true });
  await c.waitForFunction(() => window.sockets[0].readyState === WebSocket.CLOSED, null, { timeout: 5000 });
  assert.deepEqual(await enter(c, frank, { strRoomId: 'pre-5302' }), { ok: true });
  assert.equal(await c.evaluate(() => window.sockets.length), 2);
  await Promise.all([a.close(), b.close(), c.close()]);
});

test('bad input and refusals: the reference codes, a clear message, nothing left open', async () => {
  const a = await countingPage();
  const gina = await devSig(server.url, 'gina');
  const bad = [
    [undefined, 5000, 5001],
    [{}, 5000, 5001],
    [{ enable: 'yes' }, 5000, 5002],
    [{ enable: true }, 5000, 5001],
    [{ enable: true, ...gina, userSig: '' }, 5000, 5003],
    [{ enable: true, ...gina, sdkAppId: String(gina.sdkAppId) }, 5000, 5002],
    [{ enable: true, ...gina, roomId: '8' }, 5000, 5002],
  ];
  for (const [options, code, extra] of bad) {
    const r = await preconnect(a, options);
    assert.equal(r.code, code, `${JSON.stringify(options)}: ${JSON.stringify(r)}`);
    assert.equal(r.extraCode, extra, `${JSON.stringify(options)}: ${JSON.stringify(r)}`);
    assert.equal(r.fn, 'callExperimentalAPI');
  }
  assert.equal(await a.evaluate(() => window.sockets.length), 0, 'bad input opens nothing');
  // Another user's userSig: the server's refusal, and the socket is closed.
  const forged = await preconnect(a, { enable: true, ...gina, userId: 'mallory' });
  assert.equal(forged.code, 5400, JSON.stringify(forged));
  assert.equal(typeof forged.extraCode, 'number');
  assert.match(forged.message, /preconnect.*mallory/);
  await a.waitForFunction(() => window.sockets.every((s) => s.readyState === WebSocket.CLOSED), null, { timeout: 5000 });
  // No server there.
  const away = await preconnect(a, { enable: true, ...gina, proxy: 'ws://127.0.0.1:9' });
  assert.equal(away.code, 5500, JSON.stringify(away));
  assert.match(away.message, /cannot reach the signalling server at ws:\/\/127\.0\.0\.1:9/);
  // Not a WebSocket URL.
  const notUrl = await preconnect(a, { enable: true, ...gina, proxy: 'ftp://x' });
  assert.equal(notUrl.code, 5000, JSON.stringify(notUrl));
  // After all that, a good preconnect and enterRoom still work on this instance.
  assert.deepEqual(await preconnect(a, { enable: true, ...gina }), { ok: true });
  const opened = await a.evaluate(() => window.sockets.length);
  assert.deepEqual(await enter(a, gina, { roomId: 5303 }), { ok: true });
  assert.equal(await a.evaluate(() => window.sockets.length), opened);
  await a.close();
});

