// NETWORK_QUALITY and STATISTICS (reference §6.3): every 2 s after enterRoom, from getStats() on
// the room's peer connection. Two pages publish camera+mic and render each other; a third
// publishes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pageErrors, startServer, launchBrowser, openSdkPage, devSig, enter } from './harness.mjs';

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

// Publish, and render every remote video as soon as it is available.
const PUBLISH_AND_RENDER = `
  await window.trtc.startLocalVideo();
  await window.trtc.startLocalAudio();
  window.trtc.on('remote-video-available', ({ userId }) => {
    const box = document.createElement('div');
    box.id = 'remote-' + userId;
    box.style.width = '320px'; box.style.height = '240px';
    document.body.appendChild(box);
    window.trtc.startRemoteVideo({ userId, streamType: 'main', view: box }).catch(() => {});
  });`;

/** Events `name` recorded from index `from` on. */
function recorded(page, name, from = 0) {
  return page.evaluate(({ name, from }) => window.events.slice(from)
    .filter(([n]) => n === name).map(([, p]) => p), { name, from });
}

/** Waits (polling the recorded events) until `pred(payload)` holds for a recorded `name`
 * event from index `from`; returns that payload, or fails with the last ones seen. */
async function waitFor(page, name, pred, { from = 0, timeout = 8000, what = name } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const list = await recorded(page, name, from);
    const hit = list.find(pred);
    if (hit) return hit;
    if (Date.now() > end) {
      assert.fail(`${what}: not seen within ${timeout} ms; last: ${JSON.stringify(list.slice(-2))}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

const sane = (q) => [1, 2].includes(q.uplinkNetworkQuality) && [1, 2].includes(q.downlinkNetworkQuality)
  && q.uplinkRTT >= 0 && q.uplinkRTT < 200 && q.downlinkRTT >= 0 && q.downlinkRTT < 200
  && q.uplinkLoss >= 0 && q.downlinkLoss >= 0;

const flowing = (other, size) => (s) => {
  const lv = s.localStatistics.video[0];
  const rv = s.remoteStatistics.find((r) => r.userId === other)?.video[0];
  return s.bytesSent > 0 && s.bytesReceived > 0 && lv && lv.bitrate > 0 && lv.frameRate > 0
    && lv.width === size.width && lv.height === size.height
    && rv && rv.bitrate > 0 && rv.frameRate > 0;
};

test('two publishing pages: quality 1–2 with loopback RTT, statistics that follow the media', async () => {
  const a = await openSdkPage(browser, server.url);
  const b = await openSdkPage(browser, server.url);
  assert.deepEqual(await enter(a, await devSig(server.url, 'alice'), { roomId: 3101 }, PUBLISH_AND_RENDER), { ok: true });
  assert.deepEqual(await enter(b, await devSig(server.url, 'bob'), { roomId: 3101 }, PUBLISH_AND_RENDER), { ok: true });
  const captured = (p) => p.evaluate(() => {
    const { width, height } = window.trtc.getVideoTrack().getSettings();
    return { width, height };
  });
  const [sizeA, sizeB] = await Promise.all([captured(a), captured(b)]);

  // Within ~6 s (three intervals) of bob's entry both see good quality and flowing media.
  const [qa, qb] = await Promise.all([
    waitFor(a, 'network-quality', sane, { what: 'alice NETWORK_QUALITY 1–2' }),
    waitFor(b, 'network-quality', sane, { what: 'bob NETWORK_QUALITY 1–2' }),
  ]);
  const [sa, sb] = await Promise.all([
    waitFor(a, 'statistics', flowing('bob', sizeA), { what: 'alice STATISTICS with media both ways' }),
    waitFor(b, 'statistics', flowing('alice', sizeB), { what: 'bob STATISTICS with media both ways' }),
  ]);
  console.log('alice NETWORK_QUALITY', JSON.stringify(qa));
  console.log('bob NETWORK_QUALITY', JSON.stringify(qb));
  console.log('alice STATISTICS', JSON.stringify(sa));
  console.log('bob STATISTICS', JSON.stringify(sb));
  // The payload has the shape of trtc-sdk-v5's.
  assert.deepEqual(Object.keys(qa).sort(), ['downlinkLoss', 'downlinkNetworkQuality', 'downlinkRTT', 'uplinkLoss', 'uplinkNetworkQuality', 'uplinkRTT']);
  assert.deepEqual(Object.keys(sa).sort(), ['bytesReceived', 'bytesSent', 'downLoss', 'localStatistics', 'remoteStatistics', 'rtt', 'upLoss']);
  assert.equal(sa.localStatistics.video[0].videoType, 'big');
  assert.ok(sa.localStatistics.audio.bitrate > 0, `alice sends audio: ${JSON.stringify(sa.localStatistics.audio)}`);
  const bobSeen = sa.remoteStatistics.find((r) => r.userId === 'bob');
  assert.deepEqual(Object.keys(bobSeen.audio).sort(), ['audioLevel', 'bitrate', 'jitterBufferDelay', 'point2pointDelay']);
  assert.ok(bobSeen.audio.bitrate > 0, `alice receives bob's audio: ${JSON.stringify(bobSeen.audio)}`);
  assert.deepEqual(Object.keys(bobSeen.video[0]).sort(),
    ['bitrate', 'codec', 'frameRate', 'height', 'jitterBufferDelay', 'point2pointDelay', 'videoType', 'width']);
  assert.ok(bobSeen.video[0].width > 0 && bobSeen.video[0].codec !== '', JSON.stringify(bobSeen.video[0]));

  // The beep is in the remote audio level (at some tick: it sounds once a second).
  const level = await waitFor(a, 'statistics', (s) => s.remoteStatistics.find((r) => r.userId === 'bob')?.audio.audioLevel > 0,
    { timeout: 15000, what: "alice's STATISTICS with bob's audioLevel > 0" });
  console.log('bob audio seen by alice', JSON.stringify(level.remoteStatistics.find((r) => r.userId === 'bob').audio));

  // Events come every 2 s: over 4.5 s, two or three of each.
  const countNow = async () => (await recorded(b, 'network-quality')).length;
  const n0 = await countNow();
  await new Promise((r) => setTimeout(r, 4500));
  const ticks = (await countNow()) - n0;
  assert.ok(ticks >= 2 && ticks <= 3, `NETWORK_QUALITY every 2 s (${ticks} in 4.5 s)`);

  // Alice stops her camera: bob's figures for her video go to 0 (or the entry goes).
  const from = await b.evaluate(() => window.events.length);
  await a.evaluate(() => window.trtc.stopLocalVideo());
  const gone = await waitFor(b, 'statistics', (s) => {
    const r = s.remoteStatistics.find((x) => x.userId === 'alice');
    return r && (r.video.length === 0 || r.video.every((v) => v.bitrate === 0));
  }, { from, timeout: 8000, what: "bob's STATISTICS without alice's video" });
  console.log('bob STATISTICS after alice stopped her camera', JSON.stringify(gone.remoteStatistics));
  const aliceNow = await waitFor(a, 'statistics', (s) => s.localStatistics.video.length === 0,
    { from: await a.evaluate(() => window.events.length), what: "alice's STATISTICS without local video" });
  assert.ok(aliceNow.localStatistics.audio.bitrate > 0, 'alice still sends audio');

  // Then her microphone: her audio figures go to 0 on both sides.
  const from2 = await b.evaluate(() => window.events.length);
  const fromA = await a.evaluate(() => window.events.length);
  await a.evaluate(() => window.trtc.stopLocalAudio());
  await waitFor(b, 'statistics', (s) => {
    const r = s.remoteStatistics.find((x) => x.userId === 'alice');
    return !r || r.audio.bitrate === 0;
  }, { from: from2, timeout: 8000, what: "bob's STATISTICS without alice's audio" });
  await waitFor(a, 'statistics', (s) => s.localStatistics.audio.bitrate === 0,
    { from: fromA, timeout: 8000, what: "alice's STATISTICS without local audio" });

  // A page that publishes nothing: uplink quality 0; it still sees the others' downlink.
  const c = await openSdkPage(browser, server.url);
  assert.deepEqual(await enter(c, await devSig(server.url, 'carol'), { roomId: 3101 }), { ok: true });
  const qc = await waitFor(c, 'network-quality', (q) => [1, 2].includes(q.downlinkNetworkQuality),
    { what: 'carol NETWORK_QUALITY with a downlink' });
  console.log('carol NETWORK_QUALITY', JSON.stringify(qc));
  const carol = await recorded(c, 'network-quality');
  assert.ok(carol.length > 0 && carol.every((q) => q.uplinkNetworkQuality === 0),
    `carol publishes nothing: uplink 0 (${JSON.stringify(carol.map((q) => q.uplinkNetworkQuality))})`);
  const sc = (await recorded(c, 'statistics')).at(-1);
  assert.deepEqual(sc.localStatistics.video, []);

  // After exitRoom no more events.
  await b.evaluate(() => window.trtc.exitRoom());
  const left = await countNow();
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(await countNow(), left, 'no NETWORK_QUALITY after exitRoom');

  await Promise.all([a.close(), b.close(), c.close()]);
});

test('alone in a room and not publishing: quality 0 both ways', async () => {
  const p = await openSdkPage(browser, server.url);
  assert.deepEqual(await enter(p, await devSig(server.url, 'solo'), { roomId: 3102 }), { ok: true });
  const q = await waitFor(p, 'network-quality', () => true, { timeout: 5000 });
  assert.equal(q.uplinkNetworkQuality, 0);
  assert.equal(q.downlinkNetworkQuality, 0);
  const s = await waitFor(p, 'statistics', () => true, { timeout: 5000 });
  assert.deepEqual(s.remoteStatistics, []);
  assert.deepEqual(s.localStatistics.video, []);
  // destroy stops the timer too.
  const before = (await recorded(p, 'network-quality')).length;
  await p.evaluate(() => window.trtc.destroy());
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal((await recorded(p, 'network-quality')).length, before, 'no events after destroy');
  await p.close();
});
