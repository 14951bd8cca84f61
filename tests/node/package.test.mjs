// The built package (pkg/, from scripts/build-sdk.sh) in Node, as server-side rendering and test
// runners load it: `import` (ESM, index.js) and `require` (CommonJS, trtc.cjs) by package name,
// through package.json's exports. Importing touches no window, document or network; the static
// tables are there; isSupported() resolves {result: false}; create() throws and the other static
// methods reject with an RtcError ENV_NOT_SUPPORTED (5200) that says the SDK needs a browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = path.join(root, 'pkg');
const surface = JSON.parse(readFileSync(path.join(root, 'reference/trtc-sdk-v5-surface.json'), 'utf8'));
// isSupported()'s detail keys, in order, from the reference's table of static methods.
const api = readFileSync(path.join(root, 'reference/trtc-sdk-v5-api.md'), 'utf8');
const SUPPORT_KEYS = /`detail` keys: ([^.]+)\./.exec(api)[1].split(',').map((k) => k.trim().replace(/`/g, ''));
const ASYNC_STATICS = surface.staticMethods.filter((m) => !['create', 'setLogLevel', 'isSupported'].includes(m));

let dir;
let fetches = 0;
const realFetch = globalThis.fetch;
const loaded = {};

before(async () => {
  assert.ok(existsSync(path.join(pkg, 'package.json')), 'pkg/ is not built: run scripts/build-sdk.sh');
  // An app with the package installed: node_modules/trtc-wasm → pkg/.
  dir = mkdtempSync(path.join(os.tmpdir(), 'trtc-node-'));
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(pkg, path.join(dir, 'node_modules/trtc-wasm'), 'dir');
  writeFileSync(path.join(dir, 'package.json'), '{"name":"app","private":true}\n');
  writeFileSync(path.join(dir, 'esm.mjs'), "export * from 'trtc-wasm';\nexport { default } from 'trtc-wasm';\n");
  globalThis.fetch = (...args) => { fetches += 1; return realFetch(...args); };
  loaded.esm = await import(pathToFileURL(path.join(dir, 'esm.mjs')).href);
  const require = createRequire(path.join(dir, 'app.cjs'));
  loaded.cjsPath = require.resolve('trtc-wasm');
  loaded.cjs = require('trtc-wasm');
});

after(() => {
  globalThis.fetch = realFetch;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('importing and requiring the package touch no window, document or network', () => {
  assert.equal(typeof globalThis.window, 'undefined');
  assert.equal(typeof globalThis.document, 'undefined');
  assert.equal(fetches, 0, 'no fetch');
  assert.equal(path.basename(loaded.cjsPath), 'trtc.cjs', 'require resolves the CommonJS entry');
});

test('ESM: default, TRTC and RtcError exports', () => {
  const { default: TRTC, TRTC: named, RtcError } = loaded.esm;
  assert.equal(typeof TRTC, 'function');
  assert.equal(named, TRTC);
  assert.equal(typeof RtcError, 'function');
  assert.equal(TRTC.RtcError, RtcError);
  assert.ok(new RtcError(5000, 'INVALID_PARAMETER', undefined, 'f', 'm') instanceof Error);
});

test('CommonJS: module.exports is TRTC, with default, TRTC and RtcError on it', () => {
  const TRTC = loaded.cjs;
  assert.equal(typeof TRTC, 'function');
  assert.equal(TRTC.default, TRTC);
  assert.equal(TRTC.TRTC, TRTC);
  assert.equal(typeof TRTC.RtcError, 'function');
  assert.notEqual(TRTC, loaded.esm.default, 'two entries, two module instances (ESM and CommonJS)');
});

for (const kind of ['esm', 'cjs']) {
  const get = () => (kind === 'esm'
    ? { TRTC: loaded.esm.default, RtcError: loaded.esm.RtcError }
    : { TRTC: loaded.cjs, RtcError: loaded.cjs.RtcError });

  test(`${kind}: EVENT, TYPE, ERROR_CODE, VERSION and frameWorkType match the reference, at once`, () => {
    const { TRTC } = get();
    assert.deepEqual(Object.entries(TRTC.EVENT), Object.entries(surface.events));
    assert.deepEqual(Object.entries(TRTC.TYPE), Object.entries(surface.types));
    assert.deepEqual(Object.entries(TRTC.ERROR_CODE), Object.entries(surface.errorCodes));
    assert.equal(TRTC.VERSION, surface.staticProperties.VERSION);
    assert.equal(TRTC.frameWorkType, surface.staticProperties.frameWorkType);
    for (const m of surface.staticMethods) assert.equal(typeof TRTC[m], 'function', `TRTC.${m}`);
  });

  test(`${kind}: isSupported() resolves {result: false} with every detail key false`, async () => {
    const { TRTC } = get();
    assert.equal(SUPPORT_KEYS.length, 12);
    const support = await TRTC.isSupported();
    assert.deepEqual(support, { result: false, detail: Object.fromEntries(SUPPORT_KEYS.map((k) => [k, false])) });
    assert.deepEqual(Object.keys(support.detail), SUPPORT_KEYS, 'the reference order');
  });

  const needsBrowser = (RtcError, name) => (e) => {
    assert.ok(e instanceof RtcError, `${name}: an RtcError (${e})`);
    assert.equal(e.code, 5200);
    assert.equal(e.name, 'ENV_NOT_SUPPORTED');
    assert.equal(e.functionName, name);
    assert.match(e.message, new RegExp(`${name}\\(\\) needs a browser`));
    return true;
  };

  test(`${kind}: create() throws ENV_NOT_SUPPORTED (5200), saying it needs a browser`, () => {
    const { TRTC, RtcError } = get();
    assert.throws(() => TRTC.create(), needsBrowser(RtcError, 'create'));
    assert.throws(() => TRTC.create({ sdkAppId: 1 }), needsBrowser(RtcError, 'create'));
  });

  test(`${kind}: device and permission calls reject with ENV_NOT_SUPPORTED; setLogLevel does nothing`, async () => {
    const { TRTC, RtcError } = get();
    assert.deepEqual(ASYNC_STATICS, ['getPermissions', 'getCameraList', 'getMicrophoneList', 'getSpeakerList', 'setCurrentSpeaker']);
    for (const name of ASYNC_STATICS) {
      const p = TRTC[name]();
      assert.ok(p instanceof Promise, `${name} returns a promise`);
      await assert.rejects(p, needsBrowser(RtcError, name));
    }
    assert.equal(TRTC.setLogLevel(1), undefined);
    assert.equal(fetches, 0, 'still no fetch');
  });
}

test('the packed package holds every file package.json points to', () => {
  const meta = JSON.parse(readFileSync(path.join(pkg, 'package.json'), 'utf8'));
  const [{ files }] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', pkg],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  const packed = new Set(files.map((f) => f.path));
  const targets = new Set([meta.main, meta.module, meta.types]);
  const walk = (v) => { if (typeof v === 'string') targets.add(v); else Object.values(v).forEach(walk); };
  walk(meta.exports);
  for (const t of targets) assert.ok(packed.has(t.replace(/^\.\//, '')), `${t} is in the tarball (${[...packed].join(', ')})`);
  assert.ok(packed.has('trtc_wasm_bg.wasm'));
  const js = [...packed].filter((f) => /\.c?js$/.test(f)).map((f) => f.replace(/^snippets\/[^/]+\//, 'snippets/*/')).sort();
  assert.deepEqual(js, ['index.js', 'snippets/*/src/js/glue.js', 'trtc.cjs', 'trtc.js', 'trtc_wasm.js'], 'the runtime files');
});
