// The experimental APIs of callExperimentalAPI (reference §4.10) and the TRACK event, through
// the real server: AUDIO_FRAME PCM at the asked rate and channel count, pausing and resuming a
// remote player, picture-in-picture and full screen (headless Chromium allows both when the call
// comes with a user gesture, as Playwright's evaluate gives; a refusal would reject with
// OPERATION_FAILED and the browser's error), and bad input rejected with the reference codes.
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

// Before enterRoom: capture, and keep TRACK and AUDIO_FRAME payloads in a form JSON keeps.
const SETUP = `
  window.tracks = [];
  window.trtc.on(window.TRTC.EVENT.TRACK, (e) => window.tracks.push({ userId: e.userId, streamType: e.streamType,
    kind: e.track && e.track.kind, isTrack: e.track instanceof MediaStreamTrack, source: e.sourceTrack instanceof MediaStreamTrack }));
  window.frames = [];
  window.trtc.on(window.TRTC.EVENT.AUDIO_FRAME, (f) => {
    const chans = f.channelCount === 2 ? f.data : [f.data];
    window.frames.push({ userId: f.userId, sampleRate: f.sampleRate, channelCount: f.channelCount,
      arrays: chans.length, f32: chans.every((c) => c instanceof Float32Array), len: chans[0].length,
      peak: Math.max(...chans.map((c) => c.reduce((m, s) => Math.max(m, Math.abs(s)), 0))) });
    if (window.frames.length > 2000) window.frames.splice(0, 1000);
  });
  await window.trtc.startLocalAudio();
  await window.trtc.startLocalVideo();
`;

async function call(page, name, options) {
  return page.evaluate(async ({ name, options }) => {
    try { await window.trtc.callExperimentalAPI(name, options); return { ok: true }; }
    catch (e) { return { code: e.code, extraCode: e.extraCode, message: e.message, fn: e.functionName, origin: e.originError && e.originError.name }; }
  }, { name, options });
}

/** Frames of `userId` recorded since index `from`, once there are `n` of them (bounded wait). */
async function framesOf(page, userId, n, from = 0) {
  await page.waitForFunction(({ userId, n, from }) => window.frames.slice(from).filter((f) => f.userId === userId).length >= n,
    { userId, n, from }, { timeout: 15000 });
  return page.evaluate(({ userId, from }) => window.frames.slice(from).filter((f) => f.userId === userId), { userId, from });
}

test('AUDIO_FRAME: 40 ms of PCM at the asked rate and channels, local and remote; TRACK for each track', async () => {
  const [a, b] = await Promise.all([0, 1].map(() => openSdkPage(browser, server.url)));
  assert.deepEqual(await enter(a, await devSig(server.url, 'alice'), { roomId: 4101 }, SETUP), { ok: true });
  // bob's instance reports dB-based volumes (TRTC.create({volumeType: 1})).
  await b.evaluate(() => { window.trtc = window.TRTC.create({ volumeType: 1 }); window.trtc.enableAudioVolumeEvaluation(100); });
  assert.deepEqual(await enter(b, await devSig(server.url, 'bob'), { roomId: 4101 }, SETUP), { ok: true });

  // Listening to AUDIO_FRAME alone turned on the microphone's frames at 48 kHz mono (§4.6).
  const heard = await framesOf(a, '', 5);
  assert.deepEqual(heard.map((f) => [f.sampleRate, f.channelCount, f.len]).slice(0, 5), Array(5).fill([48000, 1, 1920]));
  // The microphone at 16 kHz mono: 640 samples a frame; the fake beep is periodic, so look at 2 s.
  assert.deepEqual(await call(a, 'enableAudioFrameEvent', { enable: true, userId: '', sampleRate: 16000, channelCount: 1 }), { ok: true });
  // (The 48 kHz tap was released when the call resolved.)
  let mark = await a.evaluate(() => window.frames.length);
  const local = await framesOf(a, '', 50, mark);
  for (const f of local) assert.deepEqual({ ...f, peak: 0 }, { userId: '', sampleRate: 16000, channelCount: 1, arrays: 1, f32: true, len: 640, peak: 0 });
  assert.ok(Math.max(...local.map((f) => f.peak)) > 0.01, 'the microphone frames are not silent');

  // Every remote user at 48 kHz stereo: two arrays of 1920 samples.
  assert.deepEqual(await call(a, 'enableAudioFrameEvent', { enable: true, userId: '*', sampleRate: 48000, channelCount: 2 }), { ok: true });
  const remote = await framesOf(a, 'bob', 50);
  for (const f of remote) assert.deepEqual({ ...f, peak: 0 }, { userId: 'bob', sampleRate: 48000, channelCount: 2, arrays: 2, f32: true, len: 1920, peak: 0 });
  assert.ok(Math.max(...remote.map((f) => f.peak)) > 0.01, 'bob\'s frames are not silent');

  // Turned off, the microphone's frames stop (the remote ones go on).
  assert.deepEqual(await call(a, 'enableAudioFrameEvent', { enable: false, userId: '' }), { ok: true });
  mark = await a.evaluate(() => window.frames.length);
  await framesOf(a, 'bob', 25, mark);
  assert.equal(await a.evaluate((m) => window.frames.slice(m + 2).filter((f) => f.userId === '').length, mark), 0);

  // Bad input: the validator's codes, nothing turned on.
  const bad = [
    [['enableAudioFrameEvent', { enable: true, userId: '', sampleRate: 22050 }], 5005],
    [['enableAudioFrameEvent', { enable: true, userId: '', channelCount: 3 }], 5005],
    [['enableAudioFrameEvent', { enable: true }], 5001],
    [['enableAudioFrameEvent', { enable: 'yes', userId: '' }], 5002],
    [['enableAudioFrameEvent', { enable: true, userId: '', port: {} }], 5004],
    [['pauseRemotePlayer', {}], 5001],
    [['resumeRemotePlayer', { userId: 'bob', streamType: 'big' }], 5005],
    [['requestFullScreen', undefined], 5001],
    [['nope', {}], 5005],
  ];
  for (const [[name, options], extra] of bad) {
    const r = await call(a, name, options);
    assert.equal(r.code, 5000, `${name} ${JSON.stringify(options)}: ${JSON.stringify(r)}`);
    assert.equal(r.extraCode, extra, `${name} ${JSON.stringify(options)}: ${JSON.stringify(r)}`);
    assert.equal(r.fn, 'callExperimentalAPI');
  }
  assert.match((await call(a, 'nope', {})).message, /^experimental api nope does not exist\./);
  assert.deepEqual(await call(a, 'preconnect', { enable: false }), { ok: true });

  // volumeType 1: volume is the level's dBFS mapped from -100..0 onto 0..100.
  await b.waitForFunction(() => window.events.some(([n, p]) => n === 'audio-volume' && p.result.some((r) => r.floatVolume > 0.001)), null, { timeout: 10000 });
  const volumes = await b.evaluate(() => window.events.filter(([n]) => n === 'audio-volume').flatMap(([, p]) => p.result).filter((r) => r.floatVolume > 0.001));
  for (const r of volumes) {
    const db = Math.floor(20 * Math.log10(Math.min(r.floatVolume, 1)) + 100);
    assert.ok(Math.abs(r.volume - db) <= 1, `volume ${r.volume} for level ${r.floatVolume} (want ${db})`);
  }
  assert.ok(volumes.some((r) => r.volume > 30), 'dB volumes are not the linear ones');

  // TRACK: the local microphone and camera (captured and published), bob's received tracks.
  const tracks = await a.evaluate(() => window.tracks);
  for (const want of [{ userId: '', kind: 'audio' }, { userId: '', kind: 'video' }, { userId: 'bob', kind: 'audio' }]) {
    assert.ok(tracks.some((t) => t.userId === want.userId && t.kind === want.kind && t.streamType === 'main' && t.isTrack && t.source),
      `TRACK ${JSON.stringify(want)} in ${JSON.stringify(tracks)}`);
  }
  // With a port, the frames go to it instead of the event; destroy() releases every tap.
  await a.evaluate(async () => {
    const ch = new MessageChannel();
    window.ported = [];
    ch.port2.onmessage = (e) => window.ported.push([e.data.userId, e.data.sampleRate, e.data.channelCount, e.data.data.length]);
    await window.trtc.callExperimentalAPI('enableAudioFrameEvent', { enable: true, userId: '', sampleRate: 8000, port: ch.port1 });
    window.markPort = window.frames.length;
  });
  await a.waitForFunction(() => window.ported.length >= 5, null, { timeout: 10000 });
  assert.deepEqual((await a.evaluate(() => window.ported)).slice(0, 5), Array(5).fill(['', 8000, 1, 320]));
  assert.equal(await a.evaluate(() => window.frames.slice(window.markPort).filter((f) => f.userId === '').length), 0);
  const posted = await a.evaluate(async () => {
    window.trtc.destroy();
    await new Promise((r) => setTimeout(r, 300)); // messages already posted drain
    const n = window.ported.length;
    await new Promise((r) => setTimeout(r, 1000));
    return [n, window.ported.length];
  });
  assert.equal(posted[1], posted[0], 'no frame after destroy()');
  for (const p of [a, b]) await p.close();
});

/** In the page: the current time of the first video in `#id`, or -1. */
const videoTime = (page, id) => page.evaluate((id) => document.querySelector(`#${id} video`)?.currentTime ?? -1, id);

test('pauseRemotePlayer stops the remote video, resumeRemotePlayer plays it; picture-in-picture and full screen', async () => {
  const [a, b] = await Promise.all([0, 1].map(() => openSdkPage(browser, server.url)));
  assert.deepEqual(await enter(a, await devSig(server.url, 'carol'), { roomId: 4102 }, SETUP), { ok: true });
  assert.deepEqual(await enter(b, await devSig(server.url, 'dan'), { roomId: 4102 }, SETUP), { ok: true });
  // No remote video on screen yet: 5102.
  assert.equal((await call(a, 'requestPictureInPicture', { enable: true })).extraCode, 5102);
  await waitEvent(a, 'remote-video-available', { userId: 'dan' });
  await a.evaluate(async () => {
    const div = document.createElement('div');
    div.id = 'dan';
    div.style.cssText = 'width: 320px; height: 240px';
    document.body.append(div);
    await window.trtc.startRemoteVideo({ userId: 'dan', streamType: 'main', view: 'dan' });
  });
  await a.waitForFunction(() => document.querySelector('#dan video')?.videoWidth > 0, null, { timeout: 15000 });
  const t0 = await videoTime(a, 'dan');
  await a.waitForFunction((t0) => document.querySelector('#dan video').currentTime > t0 + 0.3, t0, { timeout: 10000 });

  assert.deepEqual(await call(a, 'pauseRemotePlayer', { userId: 'dan', streamType: 'main' }), { ok: true });
  await waitEvent(a, 'video-play-state-changed', { userId: 'dan', state: 'PAUSED' });
  const p0 = await videoTime(a, 'dan');
  // A paused player does not advance (compared over more than the fake camera's frame time).
  await a.waitForTimeout(700);
  assert.equal(await videoTime(a, 'dan'), p0, 'the paused video did not advance');
  assert.equal(await a.evaluate(() => document.querySelector('#dan video').paused), true);
  assert.deepEqual(await call(a, 'resumeRemotePlayer', { userId: '*' }), { ok: true });
  await a.waitForFunction((p0) => document.querySelector('#dan video').currentTime > p0 + 0.3, p0, { timeout: 10000 });
  assert.ok((await a.evaluate(() => window.events.filter(([n, p]) => n === 'video-play-state-changed' && p.userId === 'dan').map(([, p]) => p.state)))
    .slice(-1)[0] === 'PLAYING');

  // Picture-in-picture and full screen: headless Chromium (with Playwright's user gesture)
  // allows both; the event follows each way.
  for (const [name, event, flag] of [
    ['requestPictureInPicture', 'picture-in-picture-state-changed', 'isPictureInPicture'],
    ['requestFullScreen', 'full-screen-state-changed', 'isFullScreen'],
  ]) {
    assert.deepEqual(await call(a, name, { enable: true }), { ok: true }, name);
    await waitEvent(a, event, { userId: 'dan', streamType: 'main', [flag]: true });
    assert.deepEqual(await call(a, name, { enable: false }), { ok: true }, name);
    await waitEvent(a, event, { userId: 'dan', streamType: 'main', [flag]: false });
  }
  // updateRemoteVideo's option.pictureInPicture / option.fullScreen do the same for that user.
  for (const [key, event, flag] of [
    ['pictureInPicture', 'picture-in-picture-state-changed', 'isPictureInPicture'],
    ['fullScreen', 'full-screen-state-changed', 'isFullScreen'],
  ]) {
    for (const on of [true, false]) {
      await a.evaluate(async ({ key, on }) => {
        window.events = [];
        await window.trtc.updateRemoteVideo({ userId: 'dan', streamType: 'main', option: { [key]: on } });
      }, { key, on });
      await waitEvent(a, event, { userId: 'dan', streamType: 'main', [flag]: on });
    }
  }
  // Leaving when not in either resolves quietly.
  assert.deepEqual(await call(a, 'requestFullScreen', { enable: false }), { ok: true });
  for (const p of [a, b]) await p.close();
});

test('switchPlaybackQuality plays another level in the same view and calls onSwitched', async () => {
  const [hd, sd, v] = await Promise.all([0, 1, 2].map(() => openSdkPage(browser, server.url)));
  assert.deepEqual(await enter(hd, await devSig(server.url, 'q-hd'), { roomId: 5105 }, 'await window.trtc.startLocalVideo();'), { ok: true });
  assert.deepEqual(await enter(sd, await devSig(server.url, 'q-sd'), { roomId: 5105 },
    "await window.trtc.startLocalVideo({ option: { profile: '120p' } });"), { ok: true });
  assert.deepEqual(await enter(v, await devSig(server.url, 'q-viewer'), { roomId: 5105 }), { ok: true });
  for (const u of ['q-hd', 'q-sd']) await waitEvent(v, 'remote-video-available', { userId: u });
  // One <video> in the view, decoding `width` or less (the encoder may scale down a loaded stream:
  // hd is told from sd, 160 wide, by being wider, not by its full 640).
  const shows = (maxWidth, minWidth) => v.waitForFunction(({ maxWidth, minWidth }) => {
    const list = document.querySelectorAll('#v video');
    return list.length === 1 && list[0].videoWidth >= minWidth && list[0].videoWidth <= maxWidth;
  }, { maxWidth, minWidth }, { timeout: 20000 });
  const streamList = [{ name: 'hd', userId: 'q-hd', bitrate: 500 }, { name: 'sd', userId: 'q-sd', streamType: 'main', bitrate: 100 }];
  // No level plays yet: INVALID_OPERATION.
  assert.equal((await call(v, 'switchPlaybackQuality', { quality: 'sd', streamList })).code, 5100);
  await v.evaluate(async () => {
    const d = document.createElement('div');
    d.id = 'v'; d.style.cssText = 'width: 320px; height: 240px';
    document.body.append(d);
    await window.trtc.startRemoteVideo({ userId: 'q-hd', streamType: 'main', view: 'v' });
  });
  await shows(640, 161);
  const r = await v.evaluate(async (streamList) => {
    window.switched = [];
    await window.trtc.callExperimentalAPI('switchPlaybackQuality', { quality: 'sd', streamList, onSwitched: (from, to) => window.switched.push([from, to]) });
    return window.switched;
  }, streamList);
  assert.deepEqual(r, [[{ userId: 'q-hd', streamType: 'main', name: 'hd' }, { userId: 'q-sd', streamType: 'main', name: 'sd' }]]);
  await shows(160, 1);
  // The cached list serves the next call; the level that plays already changes nothing.
  assert.deepEqual(await call(v, 'switchPlaybackQuality', { quality: 'sd' }), { ok: true });
  await v.evaluate(() => window.trtc.callExperimentalAPI('switchPlaybackQuality', { quality: 'hd', onSwitched: (from, to) => window.switched.push([from.name, to.name]) }));
  await shows(640, 161);
  assert.deepEqual((await v.evaluate(() => window.switched)).slice(1), [['sd', 'hd']]);
  // 'auto' (switching by bandwidth) is not available; an unknown level and bad lists are 5000s.
  assert.equal((await call(v, 'switchPlaybackQuality', { quality: 'auto' })).code, 5200);
  for (const [options, extra] of [[{ quality: '4k' }, 5005], [{ streamList: {} }, 5002], [{ streamList: [{ name: 'x' }] }, 5001], [undefined, 5001]]) {
    const e = await call(v, 'switchPlaybackQuality', options);
    assert.deepEqual([e.code, e.extraCode, e.fn], [5000, extra, 'callExperimentalAPI'], JSON.stringify(options));
  }
  for (const p of [hd, sd, v]) await p.close();
});
