// Writes pkg/statics.json (TRTC.EVENT, TYPE, ERROR_CODE, VERSION, frameWorkType) by loading the
// built wasm in Node: every entry's stand-in TRTC (pkg-template/standin.js) serves them before the
// wasm is ready, and where it never loads (Node, SSR).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../pkg');
const m = await import(path.join(pkg, 'trtc_wasm.js'));
m.initSync({ module: readFileSync(path.join(pkg, 'trtc_wasm_bg.wasm')) });
m.__trtcInstall();
const { EVENT, TYPE, ERROR_CODE, VERSION, frameWorkType } = m.TRTC;
writeFileSync(path.join(pkg, 'statics.json'), JSON.stringify({ EVENT, TYPE, ERROR_CODE, VERSION, frameWorkType }));
