// What the app asked of the encoder reaches it (issue 11, items 3 and 4): the camera profile's
// bitrate and frame rate, qosPreference, the audio profile's bitrate and stereo (end to end
// through the SFU), the preferred codec (H.264, VP8 with useVp8), and the small stream's and
// the shared screen's bitrates.
//
// The fake camera's green pattern is easy to encode: unconstrained, 640×480 at 15 fps takes
// ~280 kbps (H.264) / ~360 kbps (VP8) here, below every table profile of that size, so the
// camera is given a custom profile well under that (150, then 100 kbps) — without the cap the
// figures would be ~280. The audio is the app's own track of white noise (the fake microphone's
// beep and silence would let Opus undershoot any target), on the right channel only, so the
// receiver can tell a stereo decode (left silent) from a mono one (both the same).
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

// window.noiseTrack: stereo white noise on the right channel, silence on the left.
const NOISE = `
  const ctx = new AudioContext({ sampleRate: 48000 });
  const buf = ctx.createBuffer(1, 96000, 48000);
  const d = buf.getChannelData(0);
  for (let i = 0; i < d.length; i++) d[i] = (Math.random() * 2 - 1) * 0.5;
  const src = ctx.createBufferSource(); src.buffer = buf; src.loop = true;
  const merger = ctx.createChannelMerger(2);
  src.connect(merger, 0, 1);
  const dest = ctx.createMediaStreamDestination(); dest.channelCount = 2;
  merger.connect(dest); src.start();
  window.noiseTrack = dest.stream.getAudioTracks()[0];`;

const profile = (bitrate) => ({ width: 640, height: 480, frameRate: 15, bitrate });

/** The page's upstream senders' settings (its last peer connection, see TRACK_PCS). */
function senders(page) {
  return page.evaluate(() => {
    const pc = window.pcs[window.pcs.length - 1];
    const out = {};
    for (const s of pc.getSenders()) {
      if (!s.track) continue;
      const p = s.getParameters();
      out[s.track.kind] = { ...p.encodings[0], degradationPreference: p.degradationPreference, contentHint: s.track.contentHint };
    }
    return out;
  });
}

/** The mean of `pick(statistics)` over `n` STATISTICS events that come after now. */
async function meanOfNext(page, pick, n = 3) {
  const from = await page.evaluate(() => window.events.length);
  await page.waitForFunction(({ from, n }) => window.events.slice(from).filter(([e]) => e === 'statistics').length >= n,
    { from, n }, { timeout: 4000 + 2000 * n });
  const values = await page.evaluate(({ from, n }) => window.events.slice(from).filter(([e]) => e === 'statistics')
    .slice(0, n).map(([, p]) => p), { from, n });
  const xs = values.map(pick);
  return { mean: xs.reduce((a, b) => a + b, 0) / xs.length, xs };
}

const within = (x, target) => x >= target * 0.75 && x <= target * 1.25;

/** The RMS of the left and right channels of `userId`'s decoded audio, over ~1 s. */
function channels(page, userId) {
  return page.evaluate(async (userId) => {
    const ctx = new AudioContext();
    const src = ctx.createMediaStreamSource(new MediaStream([window.trtc.getAudioTrack(userId)]));
    const split = ctx.createChannelSplitter(2);
    src.connect(split);
    const an = [0, 1].map((i) => { const a = ctx.createAnalyser(); a.fftSize = 2048; split.connect(a, i); return a; });
    const rms = [0, 0];
    const buf = new Float32Array(2048);
    for (let n = 0; n < 20; n++) {
      await new Promise((r) => setTimeout(r, 50));
      an.forEach((a, i) => { a.getFloatTimeDomainData(buf); rms[i] += Math.sqrt(buf.reduce((s, x) => s + x * x, 0) / buf.length) / 20; });
    }
    await ctx.close();
    return rms;
  }, userId);
}

/** The Opus fmtp parameters of the audio m-sections of an SDP, by mid. */
function opusParams(sdp) {
  const out = {};
  for (const section of sdp.split(/\r\n(?=m=)/).filter((s) => s.startsWith('m=audio'))) {
    const mid = section.match(/a=mid:(\S+)/)?.[1];
    const pt = section.match(/a=rtpmap:(\d+) opus\//i)?.[1];
    const fmtp = pt && section.match(new RegExp(`a=fmtp:${pt} (.*)`))?.[1];
    out[mid] = (fmtp || '').split(';').map((p) => p.trim()).filter(Boolean).sort();
  }
  return out;
}

test('profile bitrate, frame rate, qosPreference, audio stereo and codec reach the encoder', async () => {
  const a = await openSdkPage(browser, server.url);
  const b = await openSdkPage(browser, server.url);
  const c = await openSdkPage(browser, server.url);
  assert.deepEqual(await enter(a, await devSig(server.url, 'alice'), { roomId: 3301 }, TRACK_PCS + NOISE + `
    await window.trtc.startLocalVideo({ option: { profile: ${JSON.stringify(profile(150))} } });
    await window.trtc.startLocalAudio({ option: { profile: 'high-stereo', audioTrack: window.noiseTrack } });`), { ok: true });
  // carol prefers VP8 (useVp8), publishes a small camera and mono audio.
  assert.deepEqual(await enter(c, await devSig(server.url, 'carol'), { roomId: 3301, useVp8: true }, TRACK_PCS + NOISE + `
    await window.trtc.startLocalVideo({ option: { profile: '120p_2' } });
    await window.trtc.startLocalAudio({ option: { profile: 'standard', audioTrack: window.noiseTrack } });`), { ok: true });
  assert.deepEqual(await enter(b, await devSig(server.url, 'bob'), { roomId: 3301 }, TRACK_PCS + `
    window.trtc.on('remote-video-available', ({ userId }) => {
      const box = document.createElement('div'); document.body.appendChild(box);
      window.trtc.startRemoteVideo({ userId, streamType: 'main', view: box }).catch(() => {});
    });`), { ok: true });
  const started = Date.now();
  await waitEvent(a, 'publish-state-changed', { mediaType: 'video', state: 'started' });
  await a.waitForFunction(() => window.pcs.at(-1).getSenders().some((s) => s.track?.kind === 'video' && s.getParameters().encodings[0]?.maxBitrate));

  // The senders carry the profiles and the default qosPreference ('smooth').
  const s = await senders(a);
  console.log('alice senders', JSON.stringify(s));
  assert.equal(s.video.maxBitrate, 150000);
  assert.equal(s.video.maxFramerate, 15);
  assert.equal(s.video.degradationPreference, 'maintain-framerate');
  assert.equal(s.video.contentHint, 'motion');
  assert.equal(s.audio.maxBitrate, 192000);

  // Stereo through the SFU: the server offers it on every Opus m-line; alice (high-stereo)
  // keeps stereo=1 for what she sends, carol (standard) asks her encoder for mono; bob's answer
  // asks to decode stereo.
  const desc = (p) => p.evaluate(() => {
    const pc = window.pcs.at(-1);
    const up = pc.getTransceivers().find((t) => t.sender.track?.kind === 'audio')?.mid;
    return { remote: pc.remoteDescription.sdp, local: pc.localDescription.sdp, up };
  });
  const [da, db, dc] = [await desc(a), await desc(b), await desc(c)];
  const has = (params, ...want) => want.every((w) => params.includes(w));
  const bobOffer = Object.values(opusParams(db.remote));
  assert.ok(bobOffer.length >= 2 && bobOffer.every((p) => has(p, 'stereo=1', 'sprop-stereo=1')),
    `the server's offer to bob: ${JSON.stringify(bobOffer)}`);
  assert.ok(Object.values(opusParams(db.local)).every((p) => has(p, 'stereo=1')), 'bob asks to decode stereo');
  assert.ok(has(opusParams(da.remote)[da.up], 'stereo=1', 'sprop-stereo=1'), `alice encodes stereo: ${da.up} ${da.remote}`);
  assert.ok(has(opusParams(dc.remote)[dc.up], 'stereo=0', 'sprop-stereo=1'), `carol encodes mono: ${dc.up} ${dc.remote}`);

  // Bob decodes two channels of alice's audio (left silent, right noise), one of carol's.
  await waitEvent(b, 'remote-audio-available', { userId: 'alice' });
  await waitEvent(b, 'remote-audio-available', { userId: 'carol' });
  await b.waitForFunction(() => window.trtc.getAudioTrack('alice') && window.trtc.getAudioTrack('carol'));
  // Audio is flowing from both: bob's STATISTICS show a level for each.
  await b.waitForFunction(() => {
    const st = window.events.filter(([e]) => e === 'statistics').at(-1)?.[1];
    const level = (u) => st?.remoteStatistics.find((r) => r.userId === u)?.audio.audioLevel ?? 0;
    return level('alice') > 0 && level('carol') > 0;
  }, null, { timeout: 10000 });
  const [al, ar] = await channels(b, 'alice');
  const [cl, cr] = await channels(b, 'carol');
  console.log(`bob hears alice L ${al.toFixed(4)} R ${ar.toFixed(4)}, carol L ${cl.toFixed(4)} R ${cr.toFixed(4)}`);
  assert.ok(ar > 0.05 && al < ar / 20, `alice's stereo decoded: L ${al} R ${ar}`);
  assert.ok(cl > 0.02 && Math.abs(cl - cr) < cl / 10, `carol's mono, the same on both: L ${cl} R ${cr}`);

  // The codecs: H.264 first; VP8 for carol (useVp8).
  const codecs = await b.waitForFunction(() => {
    const st = window.events.filter(([e]) => e === 'statistics').at(-1)?.[1];
    const codec = (u) => st?.remoteStatistics.find((r) => r.userId === u)?.video[0]?.codec;
    return codec('alice') && codec('carol') && { alice: codec('alice'), carol: codec('carol') };
  }, null, { timeout: 10000 }).then((h) => h.jsonValue());
  assert.deepEqual(codecs, { alice: 'H264', carol: 'VP8' });

  // After ~10 s the sent bitrates are within ±25% of the targets.
  await new Promise((r) => setTimeout(r, Math.max(0, 10000 - (Date.now() - started))));
  const video = await meanOfNext(a, (st) => st.localStatistics.video[0]?.bitrate ?? 0);
  const audio = await meanOfNext(a, (st) => st.localStatistics.audio.bitrate);
  const carolAudio = await meanOfNext(c, (st) => st.localStatistics.audio.bitrate, 2);
  console.log(`alice video ${JSON.stringify(video)} kbps (target 150), audio ${JSON.stringify(audio)} (192); carol audio ${JSON.stringify(carolAudio)} (40)`);
  assert.ok(within(video.mean, 150), `alice's video ${video.mean} kbps within ±25% of 150`);
  assert.ok(within(audio.mean, 192), `alice's audio ${audio.mean} kbps within ±25% of 192`);
  assert.ok(within(carolAudio.mean, 40), `carol's audio ${carolAudio.mean} kbps within ±25% of 40`);

  // A bad qosPreference is refused and changes nothing.
  const bad = await a.evaluate(() => window.trtc.updateLocalVideo({ option: { qosPreference: 'fast' } })
    .then(() => 'resolved', (e) => ({ code: e.code, name: e.name })));
  assert.deepEqual(bad, { code: 5000, name: 'INVALID_PARAMETER' });
  assert.equal((await senders(a)).video.degradationPreference, 'maintain-framerate');

  // updateLocalVideo: a lower bitrate and 'clear' reach the same sender.
  await a.evaluate((p) => window.trtc.updateLocalVideo({ option: { profile: p, qosPreference: 'clear' } }), profile(100));
  await a.waitForFunction(() => window.pcs.at(-1).getSenders().some((s) => s.track?.kind === 'video' && s.getParameters().encodings[0].maxBitrate === 100000));
  const s2 = (await senders(a)).video;
  assert.equal(s2.degradationPreference, 'maintain-resolution');
  assert.equal(s2.contentHint, 'detail');
  await new Promise((r) => setTimeout(r, 8000));
  const lower = await meanOfNext(a, (st) => st.localStatistics.video[0]?.bitrate ?? 0);
  console.log(`alice video after the update ${JSON.stringify(lower)} kbps (target 100)`);
  assert.ok(within(lower.mean, 100), `alice's video ${lower.mean} kbps within ±25% of 100`);

  // After a reconnect (a new peer connection) the new senders get the same settings.
  const pcsBefore = await a.evaluate(() => window.pcs.length);
  const drop = await fetch(new URL('/trtc/dev/drop?userId=alice', server.url));
  assert.equal(drop.status, 200);
  await a.waitForFunction((n) => window.pcs.length > n && window.pcs.at(-1).connectionState === 'connected'
    && window.pcs.at(-1).getSenders().some((s) => s.track?.kind === 'video' && s.getParameters().encodings[0]?.maxBitrate === 100000),
  pcsBefore, { timeout: 20000 });
  const s3 = await senders(a);
  assert.equal(s3.video.degradationPreference, 'maintain-resolution');
  assert.equal(s3.audio.maxBitrate, 192000);
});

test("the small stream's and the shared screen's bitrates reach their encoders", async () => {
  // dora publishes the camera with a small stream beside it and shares her screen (H.264, as
  // the camera). Uncapped, the fake camera's 160×120 small layer takes ~245 kbps here and the
  // fake display at 1280×720, 5 fps ~285 kbps (the camera ~275), so figures near the targets
  // below show each cap reached its encoder. (With a cap between ~90 kbps and that, the screen's
  // encoder — 'clear', content hint 'detail' — settles at ~85 kbps by itself within the first
  // 10 s; caps of 60 and 80 give 58–61 and 75–78.)
  const d = await openSdkPage(browser, server.url);
  const e = await openSdkPage(browser, server.url);
  const small = { width: 160, height: 120, frameRate: 15, bitrate: 40 };
  const screen = { width: 1280, height: 720, frameRate: 5, bitrate: 60 };
  assert.deepEqual(await enter(d, await devSig(server.url, 'dora'), { roomId: 3302 }, `
    await window.trtc.startLocalVideo({ option: { profile: ${JSON.stringify(profile(200))}, small: ${JSON.stringify(small)} } });
    await window.trtc.startScreenShare({ option: { profile: ${JSON.stringify(screen)} } });`), { ok: true });
  // ed watches both (the camera big: a viewer of the small layer asks for keyframes of it, and
  // each one is a burst over a 40 kbps cap that made one run read 52; the sender encodes the small
  // layer whoever watches it).
  assert.deepEqual(await enter(e, await devSig(server.url, 'ed'), { roomId: 3302 }, `
    window.trtc.on('remote-video-available', ({ userId, streamType }) => {
      const box = document.createElement('div'); document.body.appendChild(box);
      window.trtc.startRemoteVideo({ userId, streamType, view: box }).catch(() => {});
    });`), { ok: true });
  const started = Date.now();
  await waitEvent(d, 'publish-state-changed', { mediaType: 'screen', state: 'started' });
  // The local STATISTICS list the camera's two layers and the screen.
  const types = await d.waitForFunction(() => {
    const st = window.events.filter(([n]) => n === 'statistics').at(-1)?.[1];
    const t = st?.localStatistics.video.map((v) => v.videoType).sort();
    return t?.length === 3 && t;
  }, null, { timeout: 15000 }).then((h) => h.jsonValue());
  assert.deepEqual(types, ['big', 'small', 'sub']);
  await new Promise((r) => setTimeout(r, Math.max(0, 10000 - (Date.now() - started))));
  const of = (type, key = 'bitrate') => (st) => st.localStatistics.video.find((v) => v.videoType === type)?.[key] ?? 0;
  const [big, low, sub] = [await meanOfNext(d, of('big'), 5), await meanOfNext(d, of('small'), 5), await meanOfNext(d, of('sub'), 5)];
  const subSize = await meanOfNext(d, of('sub', 'width'), 1);
  console.log(`dora big ${JSON.stringify(big)} kbps (200), small ${JSON.stringify(low)} (40), screen ${JSON.stringify(sub)} (60), screen width ${subSize.mean}`);
  assert.ok(within(big.mean, 200), `the camera ${big.mean} kbps within ±25% of 200`);
  assert.ok(within(low.mean, 40), `the small stream ${low.mean} kbps within ±25% of 40`);
  assert.ok(within(sub.mean, 60), `the screen ${sub.mean} kbps within ±25% of 60`);
  assert.equal(subSize.mean, 1280);
  for (const p of [d, e]) await p.close();
});
