// A page served over plain http from a host that is not localhost is not a secure context: the
// browser hides navigator.mediaDevices. Capture then fails with ENV_NOT_SUPPORTED 5200 /
// extraCode 5201 and a message that says to serve over https, device lists are empty (as in
// trtc-sdk-v5), and a track the app brings (here a canvas capture) still works. The host name resolves to the loopback server through --host-resolver-rules, so no
// traffic leaves the machine.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pageErrors, startServer, launchBrowser } from './harness.mjs';

const HOST = 'insecure.test';
let server, browser, page;
before(async () => {
  server = await startServer();
  browser = await launchBrowser([`--host-resolver-rules=MAP ${HOST} 127.0.0.1`]);
  const url = new URL(server.url);
  url.hostname = HOST;
  page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(new URL('/blank.html', url).href);
  await page.evaluate(() => window.trtcReady);
});
after(async () => {
  await browser?.close();
  await server?.stop();
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the pages');
});

const catchErr = (expr) => page.evaluate(async (expr) => {
  try {
    await (0, eval)(`(async () => ${expr})()`);
    return { ok: true };
  } catch (e) {
    return { name: e.name, code: e.code, extraCode: e.extraCode, functionName: e.functionName, message: e.message, isRtcError: e instanceof window.TRTC_RtcError };
  }
}, expr);

test('the page is not a secure context', async () => {
  const env = await page.evaluate(() => ({ secure: window.isSecureContext, md: typeof navigator.mediaDevices, origin: location.origin }));
  assert.equal(env.secure, false, JSON.stringify(env));
  assert.equal(env.md, 'undefined');
  assert.match(env.origin, /^http:\/\/insecure\.test:\d+$/);
});

test('camera and microphone fail with 5200/5201 and say what to do; device lists are empty', async () => {
  await page.evaluate(async () => {
    const mod = await import('/pkg/index.js');
    window.TRTC_RtcError = mod.RtcError;
    window.trtc = window.TRTC.create();
  });
  const rows = [
    ['trtc.startLocalVideo({ view: null })', 'startLocalVideo'],
    ['trtc.startLocalAudio()', 'startLocalAudio'],
  ];
  for (const [expr, fn] of rows) {
    const e = await catchErr(expr);
    assert.equal(e.code, 5200, `${expr}: ${JSON.stringify(e)}`);
    assert.equal(e.extraCode, 5201, expr);
    assert.equal(e.name, 'ENV_NOT_SUPPORTED', expr);
    assert.equal(e.functionName, fn, expr);
    assert.equal(e.isRtcError, true, expr);
    assert.match(e.message, /secure context/, expr);
    assert.match(e.message, /https/, expr);
  }
  // A failed start leaves nothing behind: no video element, no track.
  const left = await page.evaluate(() => ({ videos: document.querySelectorAll('video').length, track: window.trtc.getVideoTrack() }));
  assert.deepEqual(left, { videos: 0, track: null });

  // Device lists are empty there, as trtc-sdk-v5's are (reference §3).
  const lists = await page.evaluate(async () => [await window.TRTC.getCameraList(), await window.TRTC.getMicrophoneList(), await window.TRTC.getSpeakerList()]);
  assert.deepEqual(lists, [[], [], []]);

  const support = await page.evaluate(() => window.TRTC.isSupported());
  assert.equal(support.detail.isMediaDevicesSupported, false);
  assert.equal(support.result, false);
});

test('a track the app brings (canvas) is accepted without a secure context', async () => {
  const r = await page.evaluate(async () => {
    const canvas = document.createElement('canvas');
    canvas.width = 320; canvas.height = 240;
    const ctx = canvas.getContext('2d');
    let n = 0;
    window.painter = setInterval(() => { ctx.fillStyle = `hsl(${(n += 10) % 360} 80% 50%)`; ctx.fillRect(0, 0, 320, 240); }, 40);
    const track = canvas.captureStream(25).getVideoTracks()[0];
    const view = document.createElement('div');
    view.id = 'local';
    document.body.append(view);
    await window.trtc.startLocalVideo({ view: 'local', option: { videoTrack: track } });
    return { same: window.trtc.getVideoTrack() === track, state: track.readyState, videos: view.querySelectorAll('video').length };
  });
  assert.deepEqual(r, { same: true, state: 'live', videos: 1 });
  await page.evaluate(async () => { await window.trtc.stopLocalVideo(); clearInterval(window.painter); });
});
