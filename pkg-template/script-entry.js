// Source of the script-tag build `trtc.js`: one classic script that sets `window.TRTC` (the
// stand-in of standin.js, usable on the next line; the wasm inside, see inline.js).
import { TRTC } from './inline.js';

globalThis.TRTC = TRTC;
