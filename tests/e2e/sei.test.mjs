// sendSEIMessage / SEI_MESSAGE through the real server: a page created with enableSEI writes
// the bytes into its H.264 camera (or screen) frames, the SFU forwards them, and a subscriber
// created with enableSEI gets them with the sender's userId, the stream type and the payload
// type, while its video keeps decoding; a page without enableSEI installs nothing and plays
// as before; the reference's checks in order (a rejected promise) and its per-second limit
// (a synchronous throw).
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

/** Creates `window.trtc` (with `options`), keeps each SEI_MESSAGE decoded in `window.seis`
 * and each peer connection's configuration in `window.pcConfigs`. */
const create = (options) => `
  window.pcConfigs = [];
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = function (config) { window.pcConfigs.push(config); return new Native(config); };
  window.RTCPeerConnection.prototype = Native.prototype;
  window.trtc = window.TRTC.create(${JSON.stringify(options)});
  window.seis = [];
  window.trtc.on(window.TRTC.EVENT.SEI_MESSAGE, (m) => window.seis.push({
    userId: m.userId, streamType: m.streamType, seiPayloadType: m.seiPayloadType,
    isBuffer: m.data instanceof ArrayBuffer, bytes: Array.from(new Uint8Array(m.data)) }));`;

/** In the page: the outcome of one sendSEIMessage call (`bytes` an array, or a size, or null
 * for a non-buffer; `options` omitted when undefined). */
async function send(page, bytes, options) {
  return page.evaluate(async ({ bytes, options }) => {
    const buf = bytes === null ? 'not a buffer' : typeof bytes === 'number' ? new ArrayBuffer(bytes) : new Uint8Array(bytes).buffer;
    let ret;
    try {
      ret = options === undefined ? window.trtc.sendSEIMessage(buf) : window.trtc.sendSEIMessage(buf, options);
    } catch (e) {
      return { thrown: String(e.message) };
    }
    if (ret === undefined) return { ok: true };
    try { await ret; return { resolved: true }; } catch (e) { return { rejected: e.extraCode, code: e.code, fn: e.functionName }; }
  }, { bytes, options: options === undefined ? undefined : options });
}

/** In the page: render `userId`'s `streamType` into a new box `id`. */
async function render(page, userId, streamType, id) {
  return page.evaluate(async ({ userId, streamType, id }) => {
    const box = document.createElement('div');
    box.id = id;
    box.style.width = '320px'; box.style.height = '240px';
    document.body.appendChild(box);
    await window.trtc.startRemoteVideo({ userId, streamType, view: box });
  }, { userId, streamType, id });
}

/** Waits until the box's video has decoded more than `after` frames; the count. */
async function decoded(page, id, after) {
  const h = await page.waitForFunction(({ id, after }) => {
    const v = document.querySelector(`#${id} video`);
    const n = v ? v.getVideoPlaybackQuality().totalVideoFrames : 0;
    return v && v.videoWidth > 0 && n > after && n;
  }, { id, after }, { timeout: 20000 });
  return h.jsonValue();
}

const waitRemoteVideo = (page, userId, streamType) => waitEvent(page, 'remote-video-available', { userId, streamType }, 15000);

test('SEI messages reach a subscriber of the main and the sub stream with their bytes; a page without enableSEI plays as before', async () => {
  const [a, b, c] = await Promise.all([0, 1, 2].map(() => openSdkPage(browser, server.url)));
  await a.evaluate(create({ enableSEI: true }));
  await b.evaluate(create({ enableSEI: true }));
  await c.evaluate(create({}));
  // The camera with a small stream: messages go with the big one only.
  assert.deepEqual(await enter(a, await devSig(server.url, 'alice'), { roomId: 7001 },
    'await window.trtc.startLocalVideo({ option: { small: true } });'), { ok: true });
  assert.deepEqual(await enter(b, await devSig(server.url, 'bob'), { roomId: 7001 }), { ok: true });
  assert.deepEqual(await enter(c, await devSig(server.url, 'carol'), { roomId: 7001 }), { ok: true });
  assert.deepEqual(await a.evaluate(() => window.pcConfigs.map((c) => c.encodedInsertableStreams)), [true]);
  assert.deepEqual(await c.evaluate(() => window.pcConfigs.map((c) => c.encodedInsertableStreams)), [false],
    'no encoded transform without enableSEI');
  for (const p of [b, c]) {
    await waitRemoteVideo(p, 'alice', 'main');
    await render(p, 'alice', 'main', 'alice-main');
  }
  const before = await decoded(b, 'alice-main', 10);
  const beforeC = await decoded(c, 'alice-main', 10);

  // Bytes that need emulation prevention, sizes that need 0xFF size bytes, both payload types.
  const messages = [
    [[104, 105], undefined],
    [[0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 3], { seiPayloadType: 243 }],
    [Array.from({ length: 300 }, (_, i) => i % 256), { seiPayloadType: 5 }],
    [Array.from({ length: 1000 }, (_, i) => (i * 7) % 256), {}],
  ];
  for (const [bytes, options] of messages) {
    assert.deepEqual(await send(a, bytes, options), { ok: true });
    // One message per frame or several in one: both must arrive, in order.
  }
  await b.waitForFunction((n) => window.seis.length >= n, messages.length, { timeout: 10000 });
  const want = messages.map(([bytes, options]) => ({
    userId: 'alice', streamType: 'main', seiPayloadType: options?.seiPayloadType ?? 243, isBuffer: true, bytes,
  }));
  assert.deepEqual(await b.evaluate(() => window.seis), want);
  // The video kept decoding with the SEI in it, on both pages; nothing reached the page
  // without enableSEI.
  await decoded(b, 'alice-main', before + 20);
  await decoded(c, 'alice-main', beforeC + 20);
  assert.deepEqual(await c.evaluate(() => window.seis), []);

  // The small stream carries none: bob switches to it and gets nothing while it plays.
  await b.evaluate(() => window.trtc.updateRemoteVideo({ userId: 'alice', streamType: 'main', option: { small: true } }));
  await b.waitForFunction(() => document.querySelector('#alice-main video').videoWidth <= 320, null, { timeout: 20000 });
  const small = await decoded(b, 'alice-main', 0);
  const seen = await b.evaluate(() => window.seis.length);
  assert.deepEqual(await send(a, [1, 2, 3], undefined), { ok: true });
  await decoded(b, 'alice-main', small + 20);
  assert.equal(await b.evaluate(() => window.seis.length), seen, 'no SEI on the small stream');
  // Back on the big stream, messages arrive again.
  await b.evaluate(() => window.trtc.updateRemoteVideo({ userId: 'alice', streamType: 'main', option: { small: false } }));
  await b.waitForFunction(() => document.querySelector('#alice-main video').videoWidth === 640, null, { timeout: 20000 });
  assert.deepEqual(await send(a, [9, 8, 7], undefined), { ok: true });
  await b.waitForFunction((n) => window.seis.length > n, seen, { timeout: 10000 });
  assert.deepEqual((await b.evaluate(() => window.seis)).at(-1).bytes, [9, 8, 7]);

  // toSubStream: with the shared screen.
  assert.equal((await send(a, [5], { toSubStream: true })).rejected, 5109, 'no screen shared yet');
  await a.evaluate(() => window.trtc.startScreenShare());
  await waitRemoteVideo(b, 'alice', 'sub');
  await render(b, 'alice', 'sub', 'alice-sub');
  await decoded(b, 'alice-sub', 2);
  const n = await b.evaluate(() => window.seis.length);
  assert.deepEqual(await send(a, [42, 0, 0, 1], { toSubStream: true, seiPayloadType: 5 }), { ok: true });
  await b.waitForFunction((n) => window.seis.length > n, n, { timeout: 15000 });
  assert.deepEqual((await b.evaluate(() => window.seis)).slice(n), [
    { userId: 'alice', streamType: 'sub', seiPayloadType: 5, isBuffer: true, bytes: [42, 0, 0, 1] },
  ]);
  for (const p of [a, b, c]) await p.close();
});

test('checks in the reference order as rejected promises; over 30 a second throws', async () => {
  const a = await openSdkPage(browser, server.url);
  // 5108 without enableSEI, 5207 (before it) in a browser without encoded transforms.
  await a.evaluate(create({}));
  assert.deepEqual(await send(a, 5000), { rejected: 5108, code: 5100, fn: 'sendSEIMessage' });
  const saved = await a.evaluate(() => {
    window.savedCes = RTCRtpSender.prototype.createEncodedStreams;
    delete RTCRtpSender.prototype.createEncodedStreams;
    return typeof window.savedCes;
  });
  assert.equal(saved, 'function');
  assert.deepEqual(await send(a, 5000), { rejected: 5207, code: 5200, fn: 'sendSEIMessage' });
  await a.evaluate(() => { RTCRtpSender.prototype.createEncodedStreams = window.savedCes; });

  await a.evaluate(create({ enableSEI: true }));
  const rows = [
    [[null], 5002], [[1001], 5018], [[0], 5017], [[0, { seiPayloadType: 6 }], 5005],
    [[1, { toSubStream: 1 }], 5002], [[1], 5101], [[1, {}], 5101],
  ];
  for (const [[bytes, options], code] of rows) {
    const r = await send(a, bytes, options);
    assert.equal(r.rejected, code, `${JSON.stringify([bytes, options])}: ${JSON.stringify(r)}`);
    assert.equal(r.fn, 'sendSEIMessage');
  }
  assert.deepEqual(await enter(a, await devSig(server.url, 'erin'), { roomId: 7002 }), { ok: true });
  // Joined, nothing published: 5109 only when options are passed.
  assert.deepEqual(await send(a, 1), { ok: true });
  assert.equal((await send(a, 1, {})).rejected, 5109);
  await a.evaluate(() => window.trtc.startLocalVideo());
  assert.deepEqual(await send(a, 1, {}), { ok: true });
  assert.equal((await send(a, 1, { toSubStream: true })).rejected, 5109);
  const burst = await a.evaluate(() => {
    const out = [];
    for (let i = 0; i < 35; i++) {
      try { out.push(window.trtc.sendSEIMessage(new ArrayBuffer(1)) === undefined ? 'ok' : 'promise'); }
      catch (e) { out.push(e.message); }
    }
    return out;
  });
  // Up to 30 in the second (a few were sent just before), then every call throws.
  const ok = burst.indexOf('api sendSEIMessage call times is over 30 in a second.');
  assert.ok(ok >= 27 && ok <= 30, JSON.stringify(burst));
  assert.deepEqual(burst, [...Array(ok).fill('ok'), ...Array(35 - ok).fill('api sendSEIMessage call times is over 30 in a second.')]);
  await a.close();
});
