// The built package against trtc-sdk-v5's public surface (reference/trtc-sdk-v5-surface.json):
// every key present with the same value; every method exists; the ones not implemented yet
// reject (or throw) with an RtcError naming them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pageErrors, startServer, launchBrowser, openSdkPage, root } from './harness.mjs';

const surface = JSON.parse(readFileSync(path.join(root, 'reference/trtc-sdk-v5-surface.json'), 'utf8'));
// Methods that exist but are not implemented yet (README: "Not done yet").
const NOT_YET = ['startPlugin', 'updatePlugin', 'stopPlugin', 'use'];

let server, browser, page;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  page = await openSdkPage(browser, server.url);
});
after(async () => {
  await browser?.close();
  await server?.stop();
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the pages');
});

test('TRTC.EVENT, TYPE and ERROR_CODE match the reference key by key, in order', async () => {
  const got = await page.evaluate(() => ({
    events: Object.entries(TRTC.EVENT), types: Object.entries(TRTC.TYPE), errorCodes: Object.entries(TRTC.ERROR_CODE),
    version: TRTC.VERSION, frameWorkType: TRTC.frameWorkType,
  }));
  assert.deepEqual(got.events, Object.entries(surface.events));
  assert.deepEqual(got.types, Object.entries(surface.types));
  assert.deepEqual(got.errorCodes, Object.entries(surface.errorCodes));
  assert.equal(got.version, surface.staticProperties.VERSION);
  assert.equal(got.frameWorkType, surface.staticProperties.frameWorkType);
});

test('every static and instance method exists; sync and async as in trtc-sdk-v5', async () => {
  const r = await page.evaluate((s) => {
    const trtc = TRTC.create();
    const out = {
      statics: s.staticMethods.filter((m) => typeof TRTC[m] !== 'function'),
      instance: s.instanceMethods.filter((m) => typeof trtc[m] !== 'function'),
      emitter: ['once', 'emit', 'addListener', 'removeListener', 'removeAllListeners', 'listeners', 'listenerCount', 'eventNames']
        .filter((m) => typeof trtc[m] !== 'function'),
    };
    trtc.destroy();
    return out;
  }, surface);
  assert.deepEqual(r, { statics: [], instance: [], emitter: [] });
});

test('methods not implemented yet reject with an RtcError that names them', async () => {
  const r = await page.evaluate(async (names) => {
    const trtc = TRTC.create();
    const out = {};
    for (const name of names) {
      let err;
      try {
        const arg = name.endsWith('Plugin') ? 'AudioMixer' : undefined;
        await trtc[name](arg);
      } catch (e) { err = e; }
      out[name] = err ? [err instanceof RtcError, err.name, err.functionName, err.message.includes(name)] : 'resolved';
    }
    let unknown;
    try { await trtc.callExperimentalAPI('noSuchApi'); } catch (e) { unknown = [e.code, e.extraCode, e.message]; }
    out.unknownExperimental = unknown;
    trtc.destroy();
    return out;
  }, NOT_YET);
  for (const name of NOT_YET) {
    assert.equal(r[name][0], true, `${name}: an RtcError`);
    assert.equal(r[name][2], name, `${name}: functionName`);
    assert.equal(r[name][3], true, `${name}: the message names it`);
  }
  assert.deepEqual(r.unknownExperimental, [5000, 5005, 'experimental api noSuchApi does not exist. thrown from callExperimentalAPI()']);
});

test('once, listeners, emit and getVideoSnapshot', async () => {
  const r = await page.evaluate(async () => {
    const trtc = TRTC.create();
    let n = 0;
    const h = () => n++;
    const chained = trtc.once('x', h) === trtc;
    const before = [trtc.listenerCount('x'), trtc.eventNames()];
    trtc.emit('x', {}); trtc.emit('x', {});
    const box = document.createElement('div');
    document.body.appendChild(box);
    const empty = trtc.getVideoSnapshot();
    await trtc.startLocalVideo({ view: box });
    const v = box.querySelector('video');
    for (let i = 0; i < 100 && !(v.videoWidth > 0); i++) await new Promise((res) => setTimeout(res, 50));
    const shot = trtc.getVideoSnapshot({ userId: '' });
    trtc.destroy();
    return { chained, before, calls: n, after: trtc.listenerCount('x'), empty, shot: shot.slice(0, 22), shotLen: shot.length };
  });
  assert.equal(r.chained, true);
  assert.deepEqual(r.before, [1, ['x']]);
  assert.equal(r.calls, 1, 'once fires once');
  assert.equal(r.after, 0);
  assert.equal(r.empty, '', 'no video: empty string');
  assert.equal(r.shot, 'data:image/png;base64,');
  assert.ok(r.shotLen > 1000, 'a real picture');
});
