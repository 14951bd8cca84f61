// The README's example (examples/app-test, prepared in target/example-app by
// scripts/prepare-server-npm.sh): an app written against trtc-sdk-v5, its import aliased to
// trtc-wasm, runs its own Playwright test against the npm server and its bot, with no cargo and
// no cloud.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { root } from './harness.mjs';

const ex = path.join(root, 'target/example-app');
const PATH = process.env.PATH.split(':').filter((p) => !/\.cargo|rustup/.test(p)).join(':');

test("the example app's own test passes (trtc-sdk-v5 code, trtc-wasm, a local server, a bot)", () => {
  assert.ok(existsSync(path.join(ex, 'dist/index.html')), 'run scripts/prepare-server-npm.sh first');
  // Its own test run, not a child of this one (node --test would report to us instead).
  const env = { ...process.env, PATH };
  delete env.NODE_TEST_CONTEXT;
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', 'call.test.mjs'], {
    cwd: ex, env, encoding: 'utf8', timeout: 120000,
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /# pass 1/);
});
