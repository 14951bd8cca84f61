// Gzip-compresses a file with Zopfli (@gfx/zopfli from tools/, a WebAssembly build): the wasm that
// trtc.js carries, ~5% smaller than `gzip -9` and inflated by the browser's DecompressionStream
// like any gzip stream. Usage: node scripts/zopfli-gzip.mjs IN OUT
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const [input, output] = process.argv.slice(2);
const require = createRequire(new URL('../tools/package.json', import.meta.url));
let zopfli;
try {
  zopfli = require('@gfx/zopfli');
} catch {
  console.error('zopfli-gzip: @gfx/zopfli is missing from tools/node_modules: run scripts/setup.sh (or npm ci in tools/)');
  process.exit(1);
}
// 15 iterations (Zopfli's default); 100 gave 20 bytes more on this module, not less.
writeFileSync(output, await zopfli.gzipAsync(readFileSync(input), { numiterations: 15 }));
