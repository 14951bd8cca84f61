// The server from npm (scripts/prepare-server-npm.sh installs the packed tarballs into
// target/npm-app with no cargo on PATH): `npx trtc-server --dev` serves the demo and the SDK and
// two pages call through it; the test kit's startServer() signs userSigs and puts a bot into a
// room that one page sees; the launcher refuses a binary whose sha256 does not match, and runs
// one of your own from TRTC_SERVER_BINARY.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, openSync, readSync, writeSync, closeSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { root, pageErrors, launchBrowser, openSdkPage, enter, waitEvent } from './harness.mjs';

const app = path.join(root, 'target/npm-app');
const bin = path.join(app, 'node_modules/.bin/trtc-server');
// What the app team has: node and npm, no Rust toolchain.
const PATH = process.env.PATH.split(':').filter((p) => !/\.cargo|rustup/.test(p)).join(':');

let browser;
before(async () => {
  assert.ok(existsSync(bin), `${bin} is missing: run scripts/prepare-server-npm.sh`);
  assert.notEqual(spawnSync('sh', ['-c', 'command -v cargo'], { env: { ...process.env, PATH } }).status, 0,
    'cargo is not on the PATH of these tests');
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the pages');
});

/** Runs `npx trtc-server …` from the app; resolves with {url, stop}. */
function npxServer(args, env = {}) {
  // Exactly what the README says: npx finds the package's bin in the app (no download: --no).
  const proc = spawn('npx', ['--no', '--', 'trtc-server', ...args], {
    cwd: app, env: { ...process.env, PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  });
  let err = '';
  proc.stderr.on('data', (d) => { err += d; });
  process.once('exit', () => { try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ } });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no URL within 10 s:\n${err}`)), 10000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+?)\/?\s/);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], stop: () => new Promise((r) => { proc.once('exit', r); process.kill(-proc.pid, 'SIGTERM'); }) });
      }
    });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`exited with ${code}:\n${err}`)); });
  });
}

async function frames(page, userId) {
  await page.evaluate(async (userId) => {
    const box = document.createElement('div');
    box.id = `v-${userId}`;
    document.body.appendChild(box);
    await window.trtc.startRemoteVideo({ userId, streamType: 'main', view: box });
  }, userId);
  await page.waitForFunction((userId) => {
    const v = document.querySelector(`#v-${userId} video`);
    return v && v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 10;
  }, userId, { timeout: 15000 });
}

test('npx trtc-server --dev from npm serves a room that two pages join', async () => {
  const server = await npxServer(['--dev', '--listen', '127.0.0.1:0']);
  try {
    await twoPages(server);
  } finally {
    await server.stop();
  }
});

async function twoPages(server) {
  const sig = async (userId) => (await fetch(`${server.url}/trtc/dev/usersig?userId=${userId}`)).json();
  // The demo is served too.
  assert.match(await (await fetch(`${server.url}/`)).text(), /<html/i);
  const a = await openSdkPage(browser, server.url);
  const b = await openSdkPage(browser, server.url);
  const PUBLISH = 'await window.trtc.startLocalVideo();';
  assert.deepEqual(await enter(a, await sig('ann'), { roomId: 7200 }, PUBLISH), { ok: true });
  assert.deepEqual(await enter(b, await sig('bo'), { roomId: 7200 }, PUBLISH), { ok: true });
  await waitEvent(a, 'remote-video-available', { userId: 'bo' });
  await waitEvent(b, 'remote-video-available', { userId: 'ann' });
  await frames(a, 'bo');
  await frames(b, 'ann');
  await a.close(); await b.close();
}

test("the test kit: startServer() with a bot, and the page that enters with the kit's userSig sees it", async () => {
  const require = createRequire(path.join(app, 'package.json'));
  const kit = require('trtc-wasm-server');
  assert.ok(kit.chromiumArgs.includes('--use-fake-device-for-media-stream'));
  const savedPath = process.env.PATH;
  process.env.PATH = PATH;
  let server;
  try {
    server = await kit.startServer({ bot: { roomId: 7201 } });
  } finally {
    process.env.PATH = savedPath;
  }
  try {
    await kitPage(server);
  } finally {
    await server.stop();
  }
});

async function kitPage(server) {
  const page = await openSdkPage(browser, server.url);
  const creds = { sdkAppId: server.sdkAppId, userId: 'tester', userSig: server.userSig('tester') };
  assert.deepEqual(await enter(page, creds, { roomId: 7201 }), { ok: true });
  await waitEvent(page, 'remote-video-available', { userId: 'bot' });
  await frames(page, 'bot');
  // A userSig the kit did not sign is refused by its server.
  const bad = await enter(await openSdkPage(browser, server.url), { ...creds, userSig: server.userSig('someone-else') }, { roomId: 7201 });
  assert.equal(bad.code, 5400);
}

test('the launcher checks the binary: a changed one is refused, TRTC_SERVER_BINARY runs your own', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trtc-npm-'));
  try {
    // A copy of the two packages, then one byte of the binary changed.
    for (const p of ['trtc-wasm-server', `trtc-wasm-server-linux-${process.arch}`, 'tls-sig-api-v2', 'trtc-wasm']) {
      cpSync(path.join(app, 'node_modules', p), path.join(dir, 'node_modules', p), { recursive: true, dereference: true });
    }
    const copied = path.join(dir, 'node_modules', `trtc-wasm-server-linux-${process.arch}`, 'bin', 'trtc-server');
    const fd = openSync(copied, 'r+');
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, 1000);
    byte[0] ^= 0xff;
    writeSync(fd, byte, 0, 1, 1000);
    closeSync(fd);
    const launcher = path.join(dir, 'node_modules', 'trtc-wasm-server', 'bin', 'trtc-server.js');
    const r = spawnSync(process.execPath, [launcher, '--help'], { env: { ...process.env, PATH }, encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /has sha256 [0-9a-f]{64}, expected [0-9a-f]{64}/);
    // Your own binary: used as it is (here: the one from npm, not changed).
    const own = spawnSync(process.execPath, [launcher, '--help'], {
      env: { ...process.env, PATH, TRTC_SERVER_BINARY: path.join(app, 'node_modules', `trtc-wasm-server-linux-${process.arch}`, 'bin', 'trtc-server') },
      encoding: 'utf8',
    });
    assert.equal(own.status, 0, own.stderr);
    assert.match(own.stdout, /trtc-wasm room server/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
