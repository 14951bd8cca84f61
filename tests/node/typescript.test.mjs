// TypeScript projects that resolve the package as Node does (module/moduleResolution node16):
// an ES module (.mts) and a CommonJS module (.cts) import TRTC and RtcError by package name, the
// types come from the exports map (index.d.ts for import, index.d.cts for require), and the
// compiled CommonJS runs in Node against trtc.cjs with and without esModuleInterop.
// Uses the TypeScript of tests/types (scripts/check-types.sh installs it; run that first).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = path.join(root, 'pkg');
const tsc = path.join(root, 'tests/types/node_modules/.bin/tsc');

const APP = `
  const trtc = (() => { try { return TRTC.create(); } catch (e) { return e; } })();
  const code: number = TRTC.ERROR_CODE.ENV_NOT_SUPPORTED;
  const event: 'error' = TRTC.EVENT.ERROR;
  console.log(JSON.stringify({ code, event, rtcError: trtc instanceof RtcError, name: (trtc as InstanceType<typeof RtcError>).name }));
`;

let dir;
before(() => {
  assert.ok(existsSync(path.join(pkg, 'package.json')), 'pkg/ is not built: run scripts/build-sdk.sh');
  assert.ok(existsSync(tsc), 'TypeScript is not installed in tests/types: run scripts/check-types.sh');
  dir = mkdtempSync(path.join(os.tmpdir(), 'trtc-ts-'));
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(pkg, path.join(dir, 'node_modules/trtc-wasm'), 'dir');
  writeFileSync(path.join(dir, 'package.json'), '{"name":"app","private":true}\n');
  writeFileSync(path.join(dir, 'esm.mts'), `import TRTC, { RtcError } from 'trtc-wasm';\n${APP}`);
  writeFileSync(path.join(dir, 'cjs.cts'), `import TRTC, { RtcError } from 'trtc-wasm';\n${APP}`);
});
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

for (const esModuleInterop of [true, false]) {
  test(`node16 resolution, esModuleInterop ${esModuleInterop}: .mts and .cts type-check and run`, () => {
    const out = `out-${esModuleInterop}`;
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        module: 'node16', moduleResolution: 'node16', target: 'es2022', strict: true, esModuleInterop,
        lib: ['es2022', 'dom'], types: [], outDir: out, skipLibCheck: false,
      },
      files: ['esm.mts', 'cjs.cts'],
    }));
    try {
      execFileSync(tsc, ['-p', dir, '--pretty', 'false'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
    }
    const want = { code: 5200, event: 'error', rtcError: true, name: 'ENV_NOT_SUPPORTED' };
    for (const file of ['esm.mjs', 'cjs.cjs']) {
      const printed = execFileSync(process.execPath, [path.join(dir, out, file)], { encoding: 'utf8' });
      assert.deepEqual(JSON.parse(printed), want, file);
    }
  });
}
