// Source of the script-tag build `trtc.js` (bundled by scripts/build-sdk.sh with esbuild into one
// classic script that sets `window.TRTC`).
//
// The wasm travels inside the script, gzip-compressed and base64-encoded (a third smaller over
// the wire than base64 of the raw module), and is inflated with the browser's
// DecompressionStream. Where that is missing, the script fetches `trtc_wasm_bg.wasm` from beside
// itself instead (set `window.TRTC_WASM_URL` first to point elsewhere).
//
// Both are asynchronous, so `TRTC` starts as a stand-in with the same static tables: it takes
// every call at once (`TRTC.create()`, `TRTC.EVENT`, `trtc.on(...)` work on the very next line of
// a classic script), queues what needs the module, and runs it in order as soon as the module is
// ready — nothing is lost.
import { initSync, TRTC as RealTRTC, __trtcInstall, __trtcRtcError } from './trtc_wasm.js';
import wasmGzipBase64 from './trtc_wasm_bg.wasm.gz';
import statics from './statics.json';

const scriptUrl = typeof document !== 'undefined' && document.currentScript ? document.currentScript.src : '';

async function wasmBytes() {
  if (typeof DecompressionStream === 'function') {
    const gz = Uint8Array.from(atob(wasmGzipBase64), (c) => c.charCodeAt(0));
    const stream = new Blob([gz]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Response(stream).arrayBuffer();
  }
  const url = new URL(globalThis.TRTC_WASM_URL || 'trtc_wasm_bg.wasm', scriptUrl || location.href);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`trtc.js: could not load ${url} (HTTP ${res.status}); serve trtc_wasm_bg.wasm beside trtc.js or set window.TRTC_WASM_URL`);
  return res.arrayBuffer();
}

const ready = wasmBytes()
  .then((bytes) => WebAssembly.compile(bytes))
  .then((module) => {
    initSync({ module });
    __trtcInstall();
    RealTRTC.RtcError = __trtcRtcError();
    return RealTRTC;
  });
ready.catch((e) => console.error('trtc.js: the SDK could not start:', e));
globalThis.TRTC = makeQueuedTRTC(ready);

/** A stand-in TRTC class that queues calls until the real one is ready. */
function makeQueuedTRTC(ready) {
  let Real = null;
  const queue = [];
  // Set when the module failed to load: queued and later calls reject with it.
  let failed = null;
  const later = (fn) => new Promise((resolve, reject) => {
    const run = () => { if (failed) { reject(failed); return; } try { Promise.resolve(fn()).then(resolve, reject); } catch (e) { reject(e); } };
    if (failed) run(); else queue.push(run);
  });
  const drain = () => {
    for (const run of queue.splice(0)) {
      try { run(); } catch (e) { if (!failed) throw e; }
    }
  };
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
  ready.then((R) => { Real = R; TRTC.RtcError = R.RtcError; drain(); }, (e) => { failed = e; drain(); });
  for (const name of ['setLogLevel']) TRTC[name] = (...a) => (Real ? Real[name](...a) : queue.push(() => Real[name](...a)));
  for (const name of ['isSupported', 'getCameraList', 'getMicrophoneList', 'getSpeakerList', 'setCurrentSpeaker', 'getPermissions']) {
    TRTC[name] = (...a) => (Real ? Real[name](...a) : later(() => Real[name](...a)));
  }
  return TRTC;
}
