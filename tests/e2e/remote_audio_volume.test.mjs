// setRemoteAudioVolume: up to 100 the remote user's audio element plays at volume/100; above 100
// the SDK amplifies (Web Audio gain of volume/100, the element muted so nothing plays twice).
// Measured on the real audio: alice's beep through the SFU, read after the SDK's gain and
// beside it (the same remote track, unamplified) in bob's page.
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

// In bob's page, before the SDK plays anything: note every GainNode and every played element.
const INSTRUMENT = `
  window.gains = [];
  const createGain = BaseAudioContext.prototype.createGain;
  BaseAudioContext.prototype.createGain = function (...a) { const g = createGain.apply(this, a); window.gains.push(g); return g; };
  window.played = new Set();
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function (...a) { window.played.add(this); return play.apply(this, a); };
`;

/**
 * In bob's page: for `ms`, the peak of alice's audio after the SDK's newest gain node and of
 * her unamplified track, read at the same moments. Returns the peaks and the median ratio.
 */
async function measure(page, ms = 3000) {
  return page.evaluate(async (ms) => {
    const track = window.trtc.getAudioTrack('alice');
    const gain = window.gains.at(-1);
    const ctx = gain.context;
    const after = ctx.createAnalyser();
    const beside = ctx.createAnalyser();
    after.fftSize = beside.fftSize = 2048;
    gain.connect(after);
    const src = ctx.createMediaStreamSource(new MediaStream([track]));
    src.connect(beside);
    const a = new Float32Array(2048);
    const b = new Float32Array(2048);
    const peak = (x) => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const ratios = [];
    let maxAfter = 0;
    let maxBeside = 0;
    const end = performance.now() + ms;
    while (performance.now() < end) {
      after.getFloatTimeDomainData(a);
      beside.getFloatTimeDomainData(b);
      const pa = peak(a);
      const pb = peak(b);
      maxAfter = Math.max(maxAfter, pa);
      maxBeside = Math.max(maxBeside, pb);
      if (pb > 0.02) ratios.push(pa / pb);
      await new Promise((r) => setTimeout(r, 20));
    }
    gain.disconnect(after);
    src.disconnect();
    ratios.sort((x, y) => x - y);
    return { maxAfter, maxBeside, ratio: ratios.length ? ratios[ratios.length >> 1] : null, n: ratios.length };
  }, ms);
}

/** Bob's audio element playing alice's track: its volume and muted flag. */
async function element(page) {
  return page.evaluate(() => {
    const id = window.trtc.getAudioTrack('alice').id;
    const el = [...window.played].find((e) => e instanceof HTMLAudioElement && e.srcObject && e.srcObject.getAudioTracks().some((t) => t.id === id));
    return el ? { volume: el.volume, muted: el.muted, paused: el.paused } : null;
  });
}

test('above 100 the remote audio is amplified by volume/100; at or below, the element plays at volume/100', async () => {
  const a = await openSdkPage(browser, server.url);
  const b = await openSdkPage(browser, server.url);
  assert.deepEqual(await enter(a, await devSig(server.url, 'alice'), { roomId: 3301 }, 'await window.trtc.startLocalAudio();'), { ok: true });
  assert.deepEqual(await enter(b, await devSig(server.url, 'bob'), { roomId: 3301 }, INSTRUMENT + 'window.trtc.enableAudioVolumeEvaluation(200);'), { ok: true });
  await waitEvent(b, 'remote-audio-available', { userId: 'alice' });
  await waitEvent(b, 'audio-play-state-changed', { userId: 'alice', state: 'PLAYING' });
  assert.deepEqual(await element(b), { volume: 1, muted: false, paused: false }, 'default 100: the element plays');
  assert.equal(await b.evaluate(() => window.gains.length), 0, 'no gain stage at 100');

  await b.evaluate(() => window.trtc.setRemoteAudioVolume('alice', 300));
  assert.equal(await b.evaluate(() => window.gains.length), 1, 'a gain stage for alice');
  assert.equal(await b.evaluate(() => window.gains[0].gain.value), 3);
  assert.deepEqual(await element(b), { volume: 1, muted: true, paused: false }, 'the element stays playing, muted');
  const loud = await measure(b);
  console.log('volume 300:', JSON.stringify(loud));
  assert.ok(loud.maxBeside > 0.02 && loud.n >= 5, `the beep arrives: ${JSON.stringify(loud)}`);
  assert.ok(loud.ratio > 2.8 && loud.ratio < 3.2, `3× louder after the gain: ${JSON.stringify(loud)}`);

  // Muting an amplified user silences the gain stage; AUDIO_VOLUME reads 0.
  await b.evaluate(() => window.trtc.muteRemoteAudio('alice', true));
  assert.equal(await b.evaluate(() => window.gains[0].gain.value), 0);
  await b.evaluate(() => window.trtc.muteRemoteAudio('alice', false));
  assert.equal(await b.evaluate(() => window.gains.at(-1).gain.value), 3, 'unmuted: 3× again');

  // Back to 50: the gain stage is disconnected (silent) and the element plays at 0.5.
  await b.evaluate(() => window.trtc.setRemoteAudioVolume('alice', 50));
  assert.deepEqual(await element(b), { volume: 0.5, muted: false, paused: false });
  await new Promise((r) => setTimeout(r, 300));
  const quiet = await measure(b, 1500);
  assert.equal(quiet.maxAfter, 0, `nothing after the old gain stage: ${JSON.stringify(quiet)}`);
  assert.ok(quiet.maxBeside > 0.02, 'alice still arrives');

  // '*' applies to everyone; 200 doubles.
  await b.evaluate(() => window.trtc.setRemoteAudioVolume('*', 200));
  const twice = await measure(b);
  console.log('volume 200:', JSON.stringify(twice));
  assert.ok(twice.ratio > 1.8 && twice.ratio < 2.2, `2× louder: ${JSON.stringify(twice)}`);
  assert.deepEqual(await element(b), { volume: 1, muted: true, paused: false });

  // Bad input throws synchronously and changes nothing.
  const bad = await b.evaluate(() => { try { window.trtc.setRemoteAudioVolume('alice', -1); return null; } catch (e) { return [e.code, e.extraCode]; } });
  assert.equal(bad[0], 5000);
  assert.equal(await b.evaluate(() => window.gains.at(-1).gain.value), 2);
  await a.close();
  await b.close();
});
