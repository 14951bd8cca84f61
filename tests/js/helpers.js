// Helpers for the browser tests' scenarios.

export function describeError(e) {
  if (e && typeof e === 'object') {
    const extra = e.code !== undefined ? ` [code ${e.code}, extraCode ${e.extraCode}]` : '';
    return `${e.name}: ${e.message}${extra}\n${e.stack || ''}`;
  }
  return String(e);
}

/** The static tables as scripts/gen-statics.mjs writes them into the package's statics.json. */
export function staticsOf(surfaceJson) {
  const s = JSON.parse(surfaceJson);
  return { EVENT: s.events, TYPE: s.types, ERROR_CODE: s.errorCodes, VERSION: s.staticProperties.VERSION, frameWorkType: s.staticProperties.frameWorkType };
}

export function assert(cond, msg) {
  if (!cond) throw new Error('assertion failed: ' + msg);
}

export function eq(actual, expected, msg) {
  const a = JSON.stringify(actual), b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${msg}: expected ${b}, got ${a}`);
}

/** Waits until `pred()` is truthy, polling every 50 ms, failing after `ms`. */
export async function waitFor(pred, ms, what) {
  const end = performance.now() + ms;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (performance.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves with the first payload of `event`, or fails after `ms`. */
export function nextEvent(trtc, event, ms, pred = () => true) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { trtc.off(event, h); reject(new Error(`no '${event}' within ${ms} ms`)); }, ms);
    const h = (p) => { if (!pred(p)) return; clearTimeout(timer); trtc.off(event, h); resolve(p); };
    trtc.on(event, h);
  });
}

/** Collects every payload of `event` into an array. */
export function collect(trtc, event) {
  const list = [];
  trtc.on(event, (p) => list.push(p));
  return list;
}

/** Expects `p` to reject with an RtcError of this code/extraCode; returns the error. */
export async function rejects(p, code, extraCode, fn) {
  let err;
  try { await p; } catch (e) { err = e; }
  assert(err, `expected a rejection with ${code}/${extraCode}, but it resolved`);
  eq([err.code, err.extraCode], [code, extraCode], `code/extraCode (${err.message})`);
  if (fn) eq(err.functionName, fn, 'functionName');
  assert(err.name === Object.keys(ERROR_KEYS).find((k) => ERROR_KEYS[k] === code), `name ${err.name}`);
  assert(typeof err.message === 'string' && err.message.length > 20, 'a message that says what to do');
  return err;
}
const ERROR_KEYS = { INVALID_PARAMETER: 5000, INVALID_OPERATION: 5100, ENV_NOT_SUPPORTED: 5200, DEVICE_ERROR: 5300, SERVER_ERROR: 5400, OPERATION_FAILED: 5500, OPERATION_ABORT: 5998, UNKNOWN_ERROR: 5999 };

/** A fresh view container in the document. */
export function makeView(id) {
  const el = document.createElement('div');
  el.id = id || 'view-' + Math.random().toString(36).slice(2);
  el.style.width = '320px';
  el.style.height = '240px';
  document.body.appendChild(el);
  return el;
}

/** Whether a <video> shows real, advancing frames. */
export async function framesAdvance(video, ms = 5000) {
  await waitFor(() => video.videoWidth > 0, ms, 'videoWidth > 0');
  const q0 = video.getVideoPlaybackQuality().totalVideoFrames;
  await waitFor(() => video.getVideoPlaybackQuality().totalVideoFrames > q0 + 3, ms, 'frames advancing');
  return true;
}

/**
 * Max `volume` of the local user over `ms` of AUDIO_VOLUME events, after `settle` ms (the
 * analysis window still holds sound from before a change for a moment).
 */
export async function maxLocalVolume(trtc, TRTC, ms, settle = 400) {
  await new Promise((r) => setTimeout(r, settle));
  let max = -1, n = 0;
  const h = ({ result }) => { n++; for (const r of result) if (r.userId === '') max = Math.max(max, r.volume); };
  trtc.on(TRTC.EVENT.AUDIO_VOLUME, h);
  await new Promise((r) => setTimeout(r, ms));
  trtc.off(TRTC.EVENT.AUDIO_VOLUME, h);
  return { max, events: n };
}

/** Replaces getUserMedia with one that rejects with a DOMException named `name` (first `times` calls, or always). */
export function failGetUserMedia(name, times = Infinity) {
  const md = navigator.mediaDevices;
  const real = md.getUserMedia.bind(md);
  const calls = [];
  md.getUserMedia = async (c) => {
    calls.push(JSON.parse(JSON.stringify(c)));
    if (calls.length <= times) throw new DOMException('injected ' + name, name);
    return real(c);
  };
  return { calls, restore: () => { md.getUserMedia = real; } };
}
