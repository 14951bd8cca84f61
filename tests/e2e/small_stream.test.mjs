// Big and small streams (reference §4.3 option.small, §4.5 option.small): alice publishes her
// camera with a small stream (simulcast through the SFU), bob switches between big and small with
// updateRemoteVideo and his decoded size follows both ways without the picture stopping; asking
// for the small stream of a user who publishes none gives the big one; STATISTICS says which.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pageErrors, startServer, launchBrowser, openSdkPage, devSig, enter, waitEvent, TRACK_PCS } from './harness.mjs';

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

/** In the page: renders `userId`'s video (option `small`) in a new box and counts its frames. */
async function watch(page, userId, small) {
  await page.evaluate(async ({ userId, small }) => {
    const box = document.createElement('div');
    box.id = 'remote-' + userId;
    box.style.width = '320px'; box.style.height = '240px';
    document.body.appendChild(box);
    await window.trtc.startRemoteVideo({ userId, streamType: 'main', view: box, option: { small } });
    window.frames_ = window.frames_ || {};
    const f = window.frames_[userId] = { count: 0, last: 0, maxGap: 0, widths: [] };
    const video = () => box.querySelector('video');
    const tick = (now, meta) => {
      if (f.last) f.maxGap = Math.max(f.maxGap, now - f.last);
      f.last = now;
      f.count++;
      if (f.widths[f.widths.length - 1] !== meta.width) f.widths.push(meta.width);
      video().requestVideoFrameCallback(tick);
    };
    for (;;) {
      if (video()) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    video().requestVideoFrameCallback(tick);
  }, { userId, small });
}

/** Waits until `userId`'s video decodes at `width` with 10 frames since the last switch;
 * returns its frame record. */
async function decodedWidth(page, userId, width, timeout = 15000) {
  await page.waitForFunction(({ userId, width }) => {
    const v = document.querySelector('#remote-' + userId + ' video');
    const f = window.frames_[userId];
    return v && v.videoWidth === width && f.count > (f.countAtSwitch || 0) + 10;
  }, { userId, width }, { timeout });
  return page.evaluate((userId) => ({ ...window.frames_[userId] }), userId);
}

/** Resets the gap record, then switches `userId`'s stream with updateRemoteVideo. */
async function switchTo(page, userId, small) {
  return page.evaluate(async ({ userId, small }) => {
    const f = window.frames_[userId];
    f.maxGap = 0;
    f.countAtSwitch = f.count;
    await window.trtc.updateRemoteVideo({ userId, streamType: 'main', option: { small } });
  }, { userId, small });
}

/** The next STATISTICS payload in the page matching `pred`. */
async function statistics(page, pred, timeout = 15000) {
  return page.evaluate(({ pred, timeout }) => new Promise((resolve, reject) => {
    const test = (0, eval)(pred);
    let last;
    const timer = setTimeout(() => { window.trtc.off('statistics', h); reject(new Error('no matching STATISTICS; the last: ' + JSON.stringify(last))); }, timeout);
    const h = (s) => { last = s; if (test(s)) { clearTimeout(timer); window.trtc.off('statistics', h); resolve(s); } };
    window.trtc.on('statistics', h);
  }), { pred: pred.toString(), timeout });
}

test('the small stream: switched both ways on updateRemoteVideo without a freeze; none published gives big', async () => {
  const alice = await openSdkPage(browser, server.url);
  const carol = await openSdkPage(browser, server.url);
  const bob = await openSdkPage(browser, server.url);
  // Alice: 640x480 camera with the default small stream (120p_2: 160x120).
  assert.deepEqual(await enter(alice, await devSig(server.url, 'alice'), { roomId: 3301 },
    TRACK_PCS + `await window.trtc.startLocalVideo({ option: { small: true } });`), { ok: true });
  // Carol: no small stream.
  assert.deepEqual(await enter(carol, await devSig(server.url, 'carol'), { roomId: 3301 },
    `await window.trtc.startLocalVideo();`), { ok: true });
  assert.deepEqual(await enter(bob, await devSig(server.url, 'bob'), { roomId: 3301 }), { ok: true });
  await waitEvent(bob, 'remote-video-available', { userId: 'alice' });
  await waitEvent(bob, 'remote-video-available', { userId: 'carol' });

  // Alice's camera sender, set in one step with the encoder settings: rid h the camera profile's
  // bitrate and frame rate (480p default: 500 kbps, 15 fps), rid l the small profile's, scaled
  // 640x480 -> 160x120; the sender's degradationPreference from qosPreference (smooth).
  await alice.waitForFunction(() => window.pcs.at(-1).getSenders().some((s) => s.track?.kind === 'video'
    && s.getParameters().encodings.find((e) => e.rid === 'l')?.maxBitrate === 100000
    && s.getParameters().encodings.find((e) => e.rid === 'h')?.maxBitrate === 500000), null, { timeout: 15000 });
  const layers = await alice.evaluate(() => {
    const s = window.pcs.at(-1).getSenders().find((x) => x.track?.kind === 'video');
    const p = s.getParameters();
    const pick = (e) => ({ active: e.active, maxBitrate: e.maxBitrate, maxFramerate: e.maxFramerate, scale: e.scaleResolutionDownBy });
    return { h: pick(p.encodings.find((e) => e.rid === 'h')), l: pick(p.encodings.find((e) => e.rid === 'l')), dp: p.degradationPreference };
  });
  assert.deepEqual(layers, {
    h: { active: true, maxBitrate: 500000, maxFramerate: 15, scale: 1 },
    l: { active: true, maxBitrate: 100000, maxFramerate: 15, scale: 4 },
    dp: 'maintain-framerate',
  });

  // Big first.
  await watch(bob, 'alice', false);
  await decodedWidth(bob, 'alice', 640);

  // Small: the decoded width drops to 160, and frames kept coming through the switch.
  await switchTo(bob, 'alice', true);
  let f = await decodedWidth(bob, 'alice', 160);
  assert.ok(f.count > f.countAtSwitch + 5, `frames through the switch: ${JSON.stringify(f)}`);
  assert.ok(f.maxGap < 1000, `no freeze going small: longest gap ${f.maxGap} ms`);
  // Bob's STATISTICS say he receives alice's small stream; alice's that she sends one.
  const sb = await statistics(bob, (s) => s.remoteStatistics.some((u) => u.userId === 'alice' && u.video.some((v) => v.videoType === 'small' && v.width === 160)));
  assert.ok(sb, 'bob: videoType small');
  const sa = await statistics(alice, (s) => s.localStatistics.video.some((v) => v.videoType === 'small' && v.width > 0 && v.width <= 160));
  console.log('alice local video', JSON.stringify(sa.localStatistics.video));
  assert.ok(sa.localStatistics.video.some((v) => v.videoType === 'big' && v.width === 640));

  // Back to big: 640 again, no freeze.
  await switchTo(bob, 'alice', false);
  f = await decodedWidth(bob, 'alice', 640);
  assert.ok(f.count > f.countAtSwitch + 5, `frames through the switch: ${JSON.stringify(f)}`);
  assert.ok(f.maxGap < 1000, `no freeze going big: longest gap ${f.maxGap} ms`);
  assert.deepEqual(f.widths.filter((w, i, a) => w !== a[i - 1]), [640, 160, 640], 'the sizes bob saw, in order');

  // Carol publishes no small stream: asking for it gives her big one.
  await watch(bob, 'carol', true);
  const c = await decodedWidth(bob, 'carol', 640);
  assert.deepEqual(c.widths, [640]);

  for (const p of [alice, carol, bob]) await p.close();
});

test('option.small that is not smaller than the camera is ignored with a warning; bad values are refused', async () => {
  const page = await openSdkPage(browser, server.url);
  const warnings = [];
  page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
  const r = await page.evaluate(async () => {
    const trtc = window.TRTC.create();
    const out = {};
    await trtc.startLocalVideo({ option: { small: '720p' } });
    try { await trtc.updateLocalVideo({ option: { small: 5 } }); } catch (e) { out.number = [e.code, e.extraCode, e.functionName]; }
    try { await trtc.updateLocalVideo({ option: { small: { width: 160 } } }); } catch (e) { out.noHeight = [e.code, e.extraCode]; }
    await trtc.stopLocalVideo();
    trtc.destroy();
    return out;
  });
  assert.ok(warnings.some((w) => w.includes('small') && w.includes('smaller')), `warned: ${JSON.stringify(warnings)}`);
  assert.deepEqual(r.number, [5000, 5002, 'updateLocalVideo']);
  assert.deepEqual(r.noHeight, [5000, 5001]);
  await page.close();
});
