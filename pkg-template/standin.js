// The `TRTC` class every entry of the package exports (index.js, trtc.js, trtc.cjs), bundled into
// each by scripts/build-sdk.sh.
//
// Loading the WebAssembly module is asynchronous, so `TRTC` is a stand-in that exists at once,
// with the static tables (EVENT, TYPE, ERROR_CODE, VERSION, frameWorkType) and RtcError. It takes
// every call on the line after the import or the script tag (`TRTC.create()`, `trtc.on(...)`,
// `trtc.enterRoom(...)`), queues what needs the module and runs it, in order, once the module is
// ready; `TRTC.create()` after that returns the real instance. If the module cannot load, queued
// and later calls reject with an RtcError instead of waiting forever.
//
// Where there is no browser (no window or document: Node, server-side rendering, a test runner
// without a DOM) nothing is loaded and nothing touches the network: the static tables are there,
// `TRTC.isSupported()` resolves `{result: false}`, `TRTC.create()` throws and the other static
// methods reject with an RtcError ENV_NOT_SUPPORTED that says the SDK needs a browser.

/** `isSupported()` detail keys, `is${key}Supported`, in trtc-sdk-v5's order. */
const SUPPORT_KEYS = ['Browser', 'WebRTC', 'WebCodecs', 'MediaDevices', 'ScreenShare', 'SmallStream',
  'H264Encode', 'Vp8Encode', 'H265Encode', 'H264Decode', 'Vp8Decode', 'H265Decode'];
/** Instance methods that return the instance. */
const CHAINED = ['on', 'off', 'once', 'addListener', 'removeListener', 'removeAllListeners'];
/** Synchronous instance methods that return nothing: queued. */
const VOID = ['destroy', 'setRemoteAudioVolume', 'enableAudioVolumeEvaluation'];
/** Asynchronous static methods. */
const STATIC_ASYNC = ['getCameraList', 'getMicrophoneList', 'getSpeakerList', 'setCurrentSpeaker', 'getPermissions'];

/** True in a page: the only place the SDK runs (Node, SSR and DOM-less workers are not). */
export const inBrowser = typeof window == 'object' && typeof document == 'object';

/**
 * @param Glue     wasm-bindgen's TRTC class (defined before the module loads; usable after)
 * @param load     () => Promise: loads and starts the module; called at once, in a browser only
 * @param statics  the static tables (pkg/statics.json, from scripts/gen-statics.mjs)
 * @param RtcError the class of every rejection
 */
export function makeTRTC(Glue, load, statics, RtcError) {
  let ready = false;
  // Once the SDK cannot run here: (functionName) => the RtcError its calls fail with.
  let failure = null;
  const queue = [];
  const methods = new Set(Object.getOwnPropertyNames(Glue.prototype));
  methods.delete('constructor');

  // A call that returns a promise: run now if it can, else once the module is ready (or failed).
  const later = (name, fn) => new Promise((resolve, reject) => {
    const run = () => (failure ? reject(failure(name)) : new Promise((r) => r(fn())).then(resolve, reject));
    if (ready || failure) run(); else queue.push(run);
  });
  // A call that returns nothing: queued; dropped if the module fails (that failure is reported).
  const sync = (fn) => failure || queue.push(() => failure || fn());
  const drain = () => {
    for (const run of queue.splice(0)) {
      // A queued synchronous call that throws surfaces as an uncaught error, as it would have
      // when called; the calls after it still run.
      try { run(); } catch (e) { setTimeout(() => { throw e; }); }
    }
  };

  class TRTC {
    static create(options) {
      if (ready) return Glue.create(options);
      if (failure) throw failure('create');
      let inner = null;
      let broken = null;
      sync(() => {
        try { inner = Glue.create(options); } catch (e) { broken = e; throw e; }
      });
      const call = (name, args) => {
        if (!inner) throw broken;
        return inner[name](...args);
      };
      const proxy = new Proxy(new TRTC(), {
        get(target, name) {
          // What the app put on the instance stays there.
          if (Object.prototype.hasOwnProperty.call(target, name)) return target[name];
          if (inner) {
            const v = inner[name];
            if (CHAINED.includes(name)) return (...a) => (v.apply(inner, a), proxy);
            return typeof v == 'function' ? v.bind(inner) : v;
          }
          // Only the class's own methods; anything else (`then`, symbols, `toString`) is the
          // stand-in's, so the instance is not mistaken for a promise.
          if (!methods.has(name)) return target[name];
          if (CHAINED.includes(name)) return (...a) => (sync(() => call(name, a)), proxy);
          if (VOID.includes(name)) return (...a) => { sync(() => call(name, a)); };
          if (name == 'getAudioTrack' || name == 'getVideoTrack') return () => null;
          if (name == 'getVideoSnapshot') return () => '';
          return (...a) => later(name, () => call(name, a));
        },
      });
      return proxy;
    }

    static setLogLevel(...a) {
      if (ready) Glue.setLogLevel(...a); else sync(() => Glue.setLogLevel(...a));
    }

    static isSupported() {
      if (ready) return Glue.isSupported();
      const no = () => ({ result: false, detail: Object.fromEntries(SUPPORT_KEYS.map((k) => [`is${k}Supported`, false])) });
      return failure ? Promise.resolve(no()) : new Promise((r) => queue.push(() => r(failure ? no() : Glue.isSupported())));
    }

    /** Real instances (after the module is ready) and stand-ins alike. */
    static [Symbol.hasInstance](x) {
      return x instanceof Glue || Object.prototype.isPrototypeOf.call(TRTC.prototype, x);
    }
  }
  for (const name of STATIC_ASYNC) TRTC[name] = (...a) => (ready ? Glue[name](...a) : later(name, () => Glue[name](...a)));
  Object.assign(TRTC, statics, { RtcError });

  if (!inBrowser) {
    failure = (fn) => new RtcError(5200, 'ENV_NOT_SUPPORTED', undefined, fn,
      `trtc-wasm: ${fn}() needs a browser: there is no window or document here (Node, SSR, a test without a DOM)`);
  } else {
    load().then(() => { ready = true; drain(); }, (e) => {
      console.error('trtc-wasm: the SDK could not start:', e);
      const wasm = typeof WebAssembly == 'object';
      failure = (fn) => new RtcError(wasm ? 5500 : 5200, wasm ? 'OPERATION_FAILED' : 'ENV_NOT_SUPPORTED', undefined, fn,
        `trtc-wasm: ${fn}(): the SDK's trtc_wasm_bg.wasm did not load (${(e && e.message) || e}); serve it with the app or set window.TRTC_WASM_URL`, e);
      drain();
    });
  }
  return TRTC;
}
