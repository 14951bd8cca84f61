// trtc-wasm: the ES module entry, `import TRTC from 'trtc-wasm'` as with trtc-sdk-v5. Bundled by
// scripts/build-sdk.sh with standin.js and the static tables into pkg/index.js, which imports the
// wasm-bindgen glue beside it (trtc_wasm.js, snippets/) and loads trtc_wasm_bg.wasm from there.
//
// No top-level await (Vite 5/6 and other es2020 targets refuse it): `TRTC` is the stand-in of
// standin.js, usable on the next line; calls made before the module is ready run once it is.
import init, { TRTC as Glue, __trtcInstall } from './trtc_wasm.js';
// `trtc-wasm-glue` is wasm-bindgen's copy of src/js/glue.js (an alias set by build-sdk.sh: its
// path has a hash), the module the SDK makes its errors with: RtcError is the class of every
// rejection (trtc-sdk-v5 types it but does not export it).
import { RtcError } from 'trtc-wasm-glue';
import statics from './statics.json';
import { makeTRTC } from './standin.js';

/** Where the module is: bundlers (Vite and webpack, tested) see `new URL('…', import.meta.url)`
 * and emit the file. Where import.meta is empty (esbuild's default iife output), beside the
 * script; `window.TRTC_WASM_URL` overrides both. */
function wasmUrl() {
  return globalThis.TRTC_WASM_URL || (import.meta.url
    ? new URL('./trtc_wasm_bg.wasm', import.meta.url)
    : new URL('trtc_wasm_bg.wasm', (document.currentScript && document.currentScript.src) || location.href));
}

const TRTC = makeTRTC(Glue, () => init({ module_or_path: wasmUrl() }).then(() => __trtcInstall(statics)), statics, RtcError);

export { TRTC, RtcError };
export default TRTC;
