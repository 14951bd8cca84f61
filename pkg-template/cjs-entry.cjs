// Source of the CommonJS entry `trtc.cjs` (`require('trtc-wasm')`, package.json "main"), as
// trtc-sdk-v5's UMD main: `module.exports` is TRTC, with `default`, `TRTC` and `RtcError` on it.
// It works in a page (the wasm inside, see inline.js) and loads nothing in Node (standin.js).
const { TRTC } = require('./inline.js');

TRTC.default = TRTC;
TRTC.TRTC = TRTC;
module.exports = TRTC;
