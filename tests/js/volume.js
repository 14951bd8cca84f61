import { assert, eq, rejects, maxLocalVolume } from './helpers.js';

async function countEvents(trtc, TRTC, ms) {
  let n = 0;
  const h = () => n++;
  trtc.on(TRTC.EVENT.AUDIO_VOLUME, h);
  await new Promise((r) => setTimeout(r, ms));
  trtc.off(TRTC.EVENT.AUDIO_VOLUME, h);
  return n;
}

export async function intervalRules(TRTC) {
  const trtc = TRTC.create();
  // Clamped to >= 100 ms: asking for 10 ms gives about 10 events per second, not 100.
  trtc.enableAudioVolumeEvaluation(10);
  const fast = await countEvents(trtc, TRTC, 1000);
  assert(fast >= 6 && fast <= 12, `~10 events in 1 s at the 100 ms floor (got ${fast})`);
  trtc.enableAudioVolumeEvaluation(500);
  const slow = await countEvents(trtc, TRTC, 1600);
  assert(slow >= 2 && slow <= 4, `~3 events in 1.6 s at 500 ms (got ${slow})`);
  // <= 0 turns it off.
  trtc.enableAudioVolumeEvaluation(0);
  eq(await countEvents(trtc, TRTC, 600), 0, 'off with 0');
  trtc.enableAudioVolumeEvaluation(200);
  trtc.enableAudioVolumeEvaluation(-1);
  eq(await countEvents(trtc, TRTC, 600), 0, 'off with -1');
  // A non-number throws synchronously with 5002.
  let err;
  try { trtc.enableAudioVolumeEvaluation('200'); } catch (e) { err = e; }
  assert(err, 'throws');
  eq([err.code, err.extraCode, err.functionName], [5000, 5002, 'enableAudioVolumeEvaluation'], 'sync RtcError');
  trtc.destroy();
}

export async function hiddenPageRules(TRTC) {
  const trtc = TRTC.create();
  // Simulate a hidden page.
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
  try {
    trtc.enableAudioVolumeEvaluation(100);
    eq(await countEvents(trtc, TRTC, 600), 0, 'no events while hidden');
    trtc.enableAudioVolumeEvaluation(100, true);
    assert(await countEvents(trtc, TRTC, 600) >= 3, 'events while hidden with enableInBackground');
  } finally {
    delete document.hidden;
  }
  trtc.enableAudioVolumeEvaluation(100);
  assert(await countEvents(trtc, TRTC, 600) >= 3, 'events again once visible');
  trtc.destroy();
}

export async function oneAudioContext(TRTC) {
  const Real = window.AudioContext;
  let made = 0;
  window.AudioContext = class extends Real { constructor(...a) { super(...a); made++; } };
  // Every media-stream source the SDK makes, and the context it is made in.
  const contexts = new Set();
  let sources = 0;
  const createSource = BaseAudioContext.prototype.createMediaStreamSource || Real.prototype.createMediaStreamSource;
  const owner = Object.prototype.hasOwnProperty.call(Real.prototype, 'createMediaStreamSource') ? Real.prototype : BaseAudioContext.prototype;
  owner.createMediaStreamSource = function (...a) { contexts.add(this); sources++; return createSource.apply(this, a); };
  try {
    const a = TRTC.create(), b = TRTC.create();
    a.enableAudioVolumeEvaluation(100);
    b.enableAudioVolumeEvaluation(100);
    await a.startLocalAudio();
    await b.startLocalAudio();
    await a.stopLocalAudio();
    await a.startLocalAudio();
    assert((await maxLocalVolume(a, TRTC, 1500)).max > 0, 'a measures');
    assert((await maxLocalVolume(b, TRTC, 1500)).max > 0, 'b measures');
    assert(made <= 1, `one AudioContext for the whole SDK (made ${made})`);
    assert(sources >= 3, `the SDK made its sources while watched (${sources})`);
    eq(contexts.size, 1, 'two instances and three microphone graphs share one context');
    a.destroy();
    b.destroy();
  } finally {
    window.AudioContext = Real;
    owner.createMediaStreamSource = createSource;
  }
}
