// Small JS helpers the Rust glue needs and cannot express through web-sys.

/** The error type of every rejection: `name` is the code's key, as in trtc-sdk-v5. */
export class RtcError extends Error {
  constructor(code, name, extraCode, functionName, message, originError, handler) {
    super(message);
    Object.defineProperty(this, 'message', { value: message, enumerable: true, writable: true, configurable: true });
    this.name = name;
    this.code = code;
    this.extraCode = extraCode;
    this.functionName = functionName;
    this.data = undefined;
    this.handler = handler;
    this.originError = originError;
  }
  /** An RtcError passes through; anything else becomes UNKNOWN_ERROR. */
  static convertFrom(err, functionName = '') {
    if (err instanceof RtcError) return err;
    const message = (err && err.message) ? String(err.message) : String(err);
    return new RtcError(5999, 'UNKNOWN_ERROR', undefined, functionName, message, err, undefined);
  }
}

export function makeRtcError(code, name, extraCode, functionName, message, originError, settingsKind) {
  let handler;
  if (settingsKind) {
    const ua = (globalThis.navigator && navigator.userAgent) || '';
    const mac = { camera: 'Privacy_Camera', microphone: 'Privacy_Microphone' }[settingsKind];
    const win = { camera: 'privacy-webcam', microphone: 'privacy-microphone' }[settingsKind];
    if (/Windows/.test(ua) && win) handler = () => { window.open('ms-settings:' + win); };
    else if (/Mac OS X/.test(ua) && mac) handler = () => { window.open('x-apple.systempreferences:com.apple.preference.security?' + mac); };
  }
  return new RtcError(code, name, extraCode === null ? undefined : extraCode, functionName, message, originError, handler);
}

/** `Object.prototype.toString` tag of a value, e.g. `HTMLDivElement`. */
export function toStringTag(v) {
  return Object.prototype.toString.call(v).slice(8, -1);
}

/** Installs static properties (none when `statics` is undefined) on the class and makes
 * `on`/`off` return `this`. */
export function installClass(ctor, statics, chained) {
  for (const [k, v] of Object.entries(statics || {})) {
    if (!Object.prototype.hasOwnProperty.call(ctor, k)) ctor[k] = v;
  }
  if (ctor.__trtcChained) return;
  Object.defineProperty(ctor, '__trtcChained', { value: true });
  for (const name of chained) {
    if (typeof ctor.prototype[name] !== 'function') continue;
    const f = ctor.prototype[name];
    ctor.prototype[name] = function (...args) { f.apply(this, args); return this; };
  }
}

/** The class of an instance (to reach the exported class from Rust). */
export function constructorOf(obj) {
  return obj.constructor;
}

/** Sets the members of `encoding` on a sender's main encoding (rid `h` of a simulcast sender,
 * else the first) and, when given, its `degradationPreference`. A simulcast sender (two
 * encodings) also gets its layers in the same call: `h` active at full size, `l` the members
 * of `small` (active) or inactive when `small` is null. One `setParameters`, only when something
 * differs. Resolves to whether it was called; rejects as `setParameters` does. */
export function setSendParameters(sender, encoding, degradationPreference, small) {
  try {
    const p = sender.getParameters();
    const list = p.encodings || [];
    const main = list.find((e) => e.rid === 'h') || list[0];
    if (!main) return Promise.resolve(false);
    let changed = false;
    const put = (e, members) => {
      for (const k in members) if (e[k] !== members[k]) { e[k] = members[k]; changed = true; }
    };
    put(main, encoding);
    if (list.length > 1) {
      put(main, { active: true, scaleResolutionDownBy: 1 });
      const low = list.find((e) => e.rid === 'l');
      if (low) put(low, small ? { active: true, ...small } : { active: false });
    }
    if (degradationPreference && p.degradationPreference !== degradationPreference) {
      p.degradationPreference = degradationPreference;
      changed = true;
    }
    return changed ? sender.setParameters(p).then(() => true) : Promise.resolve(false);
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Routes the encoded frames of an RTCRtpSender or RTCRtpReceiver (of a peer connection made
 * with `encodedInsertableStreams`) through `f(frame)`, or straight through when `f` is null.
 * A throwing `f` (e.g. dropped with its connection) passes the frame on unchanged. False when
 * the streams cannot be taken (already taken, or unsupported). */
export function pipeEncoded(endpoint, f) {
  let s;
  try { s = endpoint.createEncodedStreams(); } catch (e) { return false; }
  const t = f && new TransformStream({ transform(frame, c) { try { f(frame); } catch (e) {} c.enqueue(frame); } });
  (t ? s.readable.pipeThrough(t) : s.readable).pipeTo(s.writable).catch(() => {});
  return true;
}
