// trtc-wasm: the ES module entry. `import TRTC from 'trtc-wasm'` as with trtc-sdk-v5.
import init, { TRTC, __trtcInstall, __trtcRtcError } from './trtc_wasm.js';

await init({ module_or_path: new URL('./trtc_wasm_bg.wasm', import.meta.url) });
__trtcInstall();

/** The error class of every rejection (trtc-sdk-v5 types it but does not export it). */
export const RtcError = __trtcRtcError();
export { TRTC };
export default TRTC;
