// Source of the script-tag build `trtc.js` (bundled by scripts/build-sdk.sh with esbuild into one
// classic script that sets `window.TRTC`; the wasm is inlined).
//
// The module is compiled and instantiated synchronously, so `TRTC.create()`, `TRTC.EVENT` and
// `trtc.on(...)` work on the very next line of a classic script. Where a browser refuses a
// synchronous compile, a stand-in `TRTC` with the same static tables takes every call at once,
// queues it, and runs it in order as soon as the module is ready — nothing is lost.
import { initSync, TRTC as RealTRTC, __trtcInstall, __trtcRtcError } from './trtc_wasm.js';
import wasmBytes from './trtc_wasm_bg.wasm';
import statics from './statics.json';

function loadSync() {
  if (globalThis.__TRTC_FORCE_ASYNC) throw new Error('asynchronous load requested');
  initSync({ module: wasmBytes });
  __trtcInstall();
}

function finish() {
  RealTRTC.RtcError = __trtcRtcError();
  return RealTRTC;
}

let exported;
try {
  loadSync();
  exported = finish();
} catch (syncError) {
  exported = makeQueuedTRTC(
    WebAssembly.compile(wasmBytes).then((module) => {
      initSync({ module });
      __trtcInstall();
      return finish();
    }),
  );
}
globalThis.TRTC = exported;

/** A stand-in TRTC class that queues calls until the real one is ready. */
function makeQueuedTRTC(ready) {
  let Real = null;
  ready.then((R) => { Real = R; });
  const queue = [];
  const later = (fn) => new Promise((resolve, reject) => {
    queue.push(() => { try { Promise.resolve(fn()).then(resolve, reject); } catch (e) { reject(e); } });
  });
  ready.then(() => { for (const run of queue.splice(0)) run(); });
  const CHAINED = new Set(['on', 'off', 'once', 'addListener', 'removeListener', 'removeAllListeners']);
  const SYNC_NULL = new Set(['getAudioTrack', 'getVideoTrack']);
  class TRTC {
    static create(options) {
      if (Real) return Real.create(options);
      const facade = new TRTC();
      let inner = null;
      queue.push(() => { inner = Real.create(options); });
      const proxy = new Proxy(facade, {
        get(target, name) {
          if (inner) {
            if (CHAINED.has(name)) return (...args) => { inner[name](...args); return proxy; };
            const v = inner[name];
            return typeof v === 'function' ? v.bind(inner) : v;
          }
          if (typeof name !== 'string') return undefined;
          if (CHAINED.has(name)) return (...args) => { queue.push(() => inner[name](...args)); return proxy; };
          if (SYNC_NULL.has(name)) return () => null;
          if (name === 'getVideoSnapshot') return () => '';
          if (name === 'destroy' || name === 'setRemoteAudioVolume' || name === 'enableAudioVolumeEvaluation') {
            return (...args) => { queue.push(() => inner[name](...args)); };
          }
          return (...args) => later(() => inner[name](...args));
        },
      });
      return proxy;
    }
  }
  Object.assign(TRTC, statics);
  ready.then((R) => { TRTC.RtcError = R.RtcError; });
  for (const name of ['setLogLevel']) TRTC[name] = (...a) => (Real ? Real[name](...a) : queue.push(() => Real[name](...a)));
  for (const name of ['isSupported', 'getCameraList', 'getMicrophoneList', 'getSpeakerList', 'setCurrentSpeaker', 'getPermissions']) {
    TRTC[name] = (...a) => (Real ? Real[name](...a) : later(() => Real[name](...a)));
  }
  return TRTC;
}
