// Writes pkg/statics.json (TRTC.EVENT, TYPE, ERROR_CODE, VERSION, frameWorkType): trtc-sdk-v5's
// tables, from its public surface (reference/trtc-sdk-v5-surface.json; trtc_core::tables holds
// the same and is tested against it). Every entry's stand-in TRTC (pkg-template/standin.js) serves
// them before the wasm is ready, and where it never loads (Node, SSR); once it is, the entry hands
// them to the wasm's __trtcInstall for the real class, so the wasm does not build them.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const surface = JSON.parse(readFileSync(path.join(root, 'reference/trtc-sdk-v5-surface.json'), 'utf8'));
const { events: EVENT, types: TYPE, errorCodes: ERROR_CODE } = surface;
const { VERSION, frameWorkType } = surface.staticProperties;
writeFileSync(path.join(root, 'pkg/statics.json'), JSON.stringify({ EVENT, TYPE, ERROR_CODE, VERSION, frameWorkType }));
