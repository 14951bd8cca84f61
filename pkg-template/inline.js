// The TRTC of the script-tag build trtc.js and of the CommonJS entry trtc.cjs (bundled by
// scripts/build-sdk.sh with esbuild): the stand-in of standin.js, with the wasm inside.
//
// The wasm travels gzip-compressed and base64-encoded (a third smaller over the wire than base64
// of the raw module) and is inflated with the browser's DecompressionStream. Where that is
// missing, it is fetched from beside the script instead (set `window.TRTC_WASM_URL` first to
// point elsewhere).
import { initSync, TRTC as Glue, __trtcInstall } from './trtc_wasm.js';
import { RtcError } from 'trtc-wasm-glue';
import wasmGzipBase64 from './trtc_wasm_bg.wasm.gz';
import statics from './statics.json';
import { makeTRTC } from './standin.js';

const scriptUrl = typeof document == 'object' && document.currentScript ? document.currentScript.src : '';

async function wasmBytes() {
  if (typeof DecompressionStream === 'function') {
    const gz = Uint8Array.from(atob(wasmGzipBase64), (c) => c.charCodeAt(0));
    const stream = new Blob([gz]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Response(stream).arrayBuffer();
  }
  const url = new URL(globalThis.TRTC_WASM_URL || 'trtc_wasm_bg.wasm', scriptUrl || location.href);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not load ${url} (HTTP ${res.status}); serve trtc_wasm_bg.wasm beside the script or set window.TRTC_WASM_URL`);
  return res.arrayBuffer();
}

export const TRTC = makeTRTC(Glue, () => wasmBytes()
  .then((bytes) => WebAssembly.compile(bytes))
  .then((module) => { initSync({ module }); __trtcInstall(statics); }), statics, RtcError);
export { RtcError };
