// The stand-in TRTC (pkg-template/standin.js) every entry exports, driven in Node with a fake
// module in place of the wasm and a fake window/document, so that it behaves as in a page: calls
// made before the module is ready are queued and run in order once it is; the instance is never
// mistaken for a promise; a module that fails to load rejects queued calls with an RtcError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RtcError } from '../../src/js/glue.js';

const STATICS = { EVENT: { ERROR: 'error' }, TYPE: { SCENE_RTC: 'rtc' }, ERROR_CODE: { ENV_NOT_SUPPORTED: 5200 }, VERSION: '5.17.1', frameWorkType: 30 };

/** A fresh standin.js evaluated as in a page (its inBrowser is read at import). */
async function standIn() {
  globalThis.window = globalThis;
  globalThis.document = {};
  try {
    return await import(`../../pkg-template/standin.js?page=${Math.random()}`);
  } finally {
    delete globalThis.window;
    delete globalThis.document;
  }
}

/** A fake wasm-bindgen class recording calls into `log`, and a load() the test settles. */
function fakeModule() {
  const log = [];
  class Glue {
    static create(options) { log.push(`create ${JSON.stringify(options)}`); return new Glue(); }
    static setLogLevel(level) { log.push(`setLogLevel ${level}`); }
    static isSupported() { log.push('isSupported'); return Promise.resolve({ result: true }); }
    static getCameraList() { log.push('getCameraList'); return Promise.resolve(['camera']); }
    on(event) { log.push(`on ${event}`); return this; }
    off(event) { log.push(`off ${event}`); return this; }
    enterRoom(p) { log.push(`enterRoom ${p.roomId}`); return Promise.resolve('entered'); }
    exitRoom() { log.push('exitRoom'); return Promise.reject(new RtcError(5100, 'INVALID_OPERATION', undefined, 'exitRoom', 'no')); }
    setRemoteAudioVolume(userId, volume) { log.push(`setRemoteAudioVolume ${volume}`); if (volume < 0) throw new RtcError(5000, 'INVALID_PARAMETER', undefined, 'setRemoteAudioVolume', 'bad volume'); }
    enableAudioVolumeEvaluation(ms) { log.push(`enableAudioVolumeEvaluation ${ms}`); }
    destroy() { log.push('destroy'); }
    getVideoTrack() { return 'track'; }
    getVideoSnapshot() { return 'data:'; }
  }
  let settle;
  const loading = new Promise((resolve, reject) => { settle = { resolve, reject }; });
  return { Glue, log, load: () => loading, settle };
}

/** Runs `fn` with setTimeout and console.error captured; returns what they got. */
async function capturing(fn) {
  const timers = [];
  const errors = [];
  const { setTimeout: st } = globalThis;
  const ce = console.error;
  globalThis.setTimeout = (f) => { timers.push(f); };
  console.error = (...a) => { errors.push(a.map(String).join(' ')); };
  try { await fn(); } finally { globalThis.setTimeout = st; console.error = ce; }
  return { timers, errors };
}

const tick = () => new Promise((r) => setImmediate(r));

test('calls made before the module is ready run in order once it is', async () => {
  const { makeTRTC } = await standIn();
  const m = fakeModule();
  const TRTC = makeTRTC(m.Glue, m.load, STATICS, RtcError);
  assert.equal(TRTC.EVENT.ERROR, 'error', 'static tables at once');
  assert.equal(TRTC.VERSION, '5.17.1');
  assert.equal(TRTC.RtcError, RtcError);

  TRTC.setLogLevel(1);
  const trtc = TRTC.create({ a: 1 });
  assert.equal(trtc.on('error', () => {}), trtc, 'on chains to the stand-in');
  assert.equal(trtc.getVideoTrack(), null, 'no track before the module');
  assert.equal(trtc.getVideoSnapshot(), '');
  assert.equal(trtc.enableAudioVolumeEvaluation(200), undefined);
  const entered = trtc.enterRoom({ roomId: 8 });
  const exited = trtc.exitRoom();
  const cameras = TRTC.getCameraList();
  const support = TRTC.isSupported();
  assert.equal(trtc.then, undefined, 'not a thenable');
  assert.equal(await Promise.resolve(trtc), trtc, 'awaiting the instance does not wait for the module');
  assert.equal(trtc.noSuchMethod, undefined, 'only the class\'s methods');
  assert.ok(trtc instanceof TRTC);
  trtc.appData = 'mine';
  await tick();
  assert.deepEqual(m.log, [], 'nothing ran before the module');

  m.settle.resolve();
  assert.equal(await entered, 'entered');
  await assert.rejects(exited, (e) => e instanceof RtcError && e.code === 5100);
  assert.deepEqual(await cameras, ['camera']);
  assert.deepEqual(await support, { result: true });
  assert.deepEqual(m.log, ['setLogLevel 1', 'create {"a":1}', 'on error', 'enableAudioVolumeEvaluation 200',
    'enterRoom 8', 'exitRoom', 'getCameraList', 'isSupported']);

  // Ready: the stand-in instance forwards; new instances are the real ones.
  assert.equal(trtc.getVideoTrack(), 'track');
  assert.equal(trtc.off('error'), trtc);
  assert.equal(trtc.appData, 'mine', 'a property the app set stays');
  const real = TRTC.create();
  assert.ok(real instanceof m.Glue);
  assert.ok(real instanceof TRTC, 'instanceof TRTC holds for real instances');
  TRTC.setLogLevel(2);
  assert.deepEqual(m.log.slice(-3), ['off error', 'create undefined', 'setLogLevel 2']);
});

test('a queued call that throws is reported and the calls after it still run', async () => {
  const { makeTRTC } = await standIn();
  const m = fakeModule();
  const TRTC = makeTRTC(m.Glue, m.load, STATICS, RtcError);
  const trtc = TRTC.create();
  trtc.setRemoteAudioVolume('*', -1);
  trtc.destroy();
  const { timers } = await capturing(async () => { m.settle.resolve(); await tick(); });
  assert.deepEqual(m.log, ['create undefined', 'setRemoteAudioVolume -1', 'destroy']);
  assert.equal(timers.length, 1, 'the error is rethrown outside the queue');
  assert.throws(timers[0], (e) => e instanceof RtcError && e.code === 5000);
});

test('a module that fails to load rejects queued and later calls with an RtcError', async () => {
  const { makeTRTC } = await standIn();
  const m = fakeModule();
  const TRTC = makeTRTC(m.Glue, m.load, STATICS, RtcError);
  const trtc = TRTC.create();
  trtc.on('error', () => {});
  const cause = new TypeError('Failed to fetch');
  const failed = (name) => (e) => {
    assert.ok(e instanceof RtcError);
    assert.deepEqual([e.code, e.name, e.functionName, e.originError], [5500, 'OPERATION_FAILED', name, cause]);
    assert.match(e.message, /trtc_wasm_bg\.wasm did not load \(Failed to fetch\)/);
    return true;
  };
  const entered = assert.rejects(trtc.enterRoom({ roomId: 8 }), failed('enterRoom'));
  const cameras = assert.rejects(TRTC.getCameraList(), failed('getCameraList'));
  const support = TRTC.isSupported();
  const { errors, timers } = await capturing(async () => { m.settle.reject(cause); await tick(); });
  assert.equal(errors.length, 1);
  assert.match(errors[0], /trtc-wasm: the SDK could not start: TypeError: Failed to fetch/);
  assert.equal(timers.length, 0, 'queued calls that return nothing are dropped quietly');
  await entered;
  await cameras;
  await assert.rejects(trtc.exitRoom(), failed('exitRoom'), 'a later call on the instance');
  assert.deepEqual((await support).result, false);
  assert.throws(() => TRTC.create(), failed('create'));
  assert.equal(trtc.on('x', () => {}), trtc, 'still chains');
  assert.deepEqual(m.log, [], 'the module was never called');
});
