// Many servers through Redis: a redis-server and three trtc-server nodes on loopback. Pages
// served by different nodes enter the same room: the nodes that do not own it redirect them to
// the one that does, and they see and hear each other there. Killing that node brings both back
// on a live node (their own reconnect path: each attempt starts at the node the page came from,
// which takes the room over once the dead node's heartbeat has expired), frames flowing, nobody
// seen leaving. A node sent SIGTERM drains: its clients go to another node and it exits, long
// before its drain timeout, with none left.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { pageErrors, startServer, launchBrowser, openSdkPage, devSig, enter, waitEvent, root } from './harness.mjs';

const require = createRequire(import.meta.url);
const TLSSigAPIv2 = require(path.join(root, 'tools/node_modules/tls-sig-api-v2'));
// Dev mode's built-in app (its key is public): the admin API of every node takes its userSigs.
const APP = 1400000001;
const KEY = 'trtc-wasm-dev-mode-key-not-secret';
const adminQuery = () => `sdkappid=${APP}&identifier=administrator&usersig=${encodeURIComponent(new TLSSigAPIv2.Api(APP, KEY).genUserSig('administrator', 3600))}&random=1`;

let redis, redisPort, browser;
const nodes = {};

/** A free loopback TCP port (redis-server has no port 0). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** One command to Redis (inline protocol); resolves with the raw reply. */
function redisCmd(...args) {
  return new Promise((resolve, reject) => {
    const c = net.connect(redisPort, '127.0.0.1');
    let out = '';
    c.setTimeout(2000, () => { c.destroy(); reject(new Error('redis: no answer')); });
    c.on('error', reject);
    c.on('data', (d) => { out += d; if (out.endsWith('\r\n')) { c.end(); resolve(out); } });
    c.write(args.join(' ') + '\r\n');
  });
}

/** Waits (bounded) until `check()` is truthy. */
async function until(what, check, timeout = 15000) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await check().catch(() => false);
    if (v) return v;
    if (Date.now() > end) throw new Error(`not within ${timeout} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startNode(id) {
  nodes[id] = await startServer(['--dev', '--redis', `redis://127.0.0.1:${redisPort}`, '--node-id', id, '--drain-timeout', '60']);
}

before(async () => {
  redisPort = await freePort();
  redis = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(redisPort), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await until('redis-server answers', async () => (await redisCmd('PING')).startsWith('+PONG'));
  for (const id of ['n1', 'n2', 'n3']) await startNode(id);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  for (const n of Object.values(nodes)) await n.stop().catch(() => {});
  redis?.kill('SIGTERM');
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the pages');
});

const PUBLISH_AND_RENDER = `
  window.trtc.enableAudioVolumeEvaluation(200);
  await window.trtc.startLocalVideo(); await window.trtc.startLocalAudio();
  window.trtc.on('remote-video-available', ({ userId }) => {
    let box = document.getElementById('remote-' + userId);
    if (!box) { box = document.createElement('div'); box.id = 'remote-' + userId; box.style.width = '320px'; box.style.height = '240px'; document.body.appendChild(box); }
    window.trtc.startRemoteVideo({ userId, streamType: 'main', view: box });
  });`;

/** The video of `userId` in the page shows `n` new frames (on whichever <video> is there now). */
async function framesFlow(page, userId, n = 10, timeout = 30000) {
  await page.evaluate(async ({ u, n, timeout }) => {
    const end = performance.now() + timeout;
    let el = null, base = 0;
    for (;;) {
      const v = document.querySelector(`#remote-${u} video`);
      if (v && v !== el) { el = v; base = v.getVideoPlaybackQuality().totalVideoFrames; }
      if (v && v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > base + n) return;
      if (performance.now() > end) throw new Error(`no new frames of ${u} within ${timeout} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, { u: userId, n, timeout });
}

/** The page hears `userId`: an AUDIO_VOLUME report of it above silence, after `since` events. */
async function hears(page, userId, since = 0, timeout = 15000) {
  await page.waitForFunction(({ u, since }) => window.events.slice(since).some(([n, p]) =>
    n === 'audio-volume' && p.result.some((r) => r.userId === u && r.volume > 0)), { u: userId, since }, { timeout });
}

async function ownerOf(room) {
  const r = await redisCmd('GET', `trtc:room:1400000001:n:${room}`);
  const m = r.match(/^\$\d+\r\n(.*)\r\n$/);
  return m ? m[1] : null;
}

async function connectedCount(page) {
  return page.evaluate(() => window.events.filter(([n, p]) => n === 'connection-state-changed' && p.state === 'CONNECTED').length);
}

test('the admin API answers on every node: rooms of the whole cluster, RemoveUser on the owner', async () => {
  const u1 = await openSdkPage(browser, nodes.n1.url);
  const u2 = await openSdkPage(browser, nodes.n2.url);
  assert.deepEqual(await enter(u1, await devSig(nodes.n1.url, 'u1'), { roomId: 9311 }), { ok: true });
  assert.deepEqual(await enter(u2, await devSig(nodes.n2.url, 'u2'), { strRoomId: 'cluster-9312' }), { ok: true });
  // Any node lists both rooms, whichever node hosts them.
  for (const n of ['n1', 'n2', 'n3']) {
    const res = await fetch(new URL(`/trtc/admin/v1/rooms?${adminQuery()}`, nodes[n].url));
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    const got = body.Rooms.map((r) => [r.RoomId ?? r.StrRoomId, r.UserIds]).sort((x, y) => String(x[0]).localeCompare(String(y[0])));
    assert.deepEqual(got, [[9311, ['u1']], ['cluster-9312', ['u2']]], `on ${n}`);
  }
  // RemoveUser sent to n3 kicks u1 out of its room on n1.
  const res = await fetch(new URL(`/trtc/admin/v1/RemoveUser?${adminQuery()}`, nodes.n3.url), {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ SdkAppId: APP, RoomId: 9311, UserIds: ['u1'] }),
  });
  assert.equal(res.status, 200, JSON.stringify(await res.json()));
  await waitEvent(u1, 'kicked-out', { reason: 'banned' });
  // A userSig that is not the admin's is refused wherever it is sent.
  const bad = await fetch(new URL(`/trtc/admin/v1/DismissRoomByStrRoomId?sdkappid=${APP}&usersig=bad`, nodes.n3.url), {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ SdkAppId: APP, RoomId: 'cluster-9312' }),
  });
  assert.equal(bad.status, 403);
  assert.equal(await u2.evaluate(() => window.trtc && window.events.some(([n]) => n === 'kicked-out')), false);
  await u1.close(); await u2.close();
});

test('pages on different nodes meet on the owner, and come back on a live node when it dies', async () => {
  const ROOM = 9301;
  // The room opens on n1 (an opener entering there), then a on n2 and b on n3 enter it: both are
  // redirected to n1.
  const opener = await openSdkPage(browser, nodes.n1.url);
  assert.deepEqual(await enter(opener, await devSig(nodes.n1.url, 'opener'), { roomId: ROOM }), { ok: true });
  assert.equal(await ownerOf(ROOM), 'n1');
  const a = await openSdkPage(browser, nodes.n2.url);
  const b = await openSdkPage(browser, nodes.n3.url);
  assert.deepEqual(await enter(a, await devSig(nodes.n2.url, 'a'), { roomId: ROOM }, PUBLISH_AND_RENDER), { ok: true });
  assert.deepEqual(await enter(b, await devSig(nodes.n3.url, 'b'), { roomId: ROOM }, PUBLISH_AND_RENDER), { ok: true });
  await framesFlow(a, 'b');
  await framesFlow(b, 'a');
  await hears(a, 'b');
  await hears(b, 'a');
  // Nobody opened the room anywhere but n1.
  assert.equal(await ownerOf(ROOM), 'n1');
  await opener.close();

  // The owner dies (no goodbye: its claim and heartbeat are left to expire).
  process.kill(nodes.n1.pid, 'SIGKILL');
  delete nodes.n1;
  for (const p of [a, b]) {
    await until('reconnected', async () => (await connectedCount(p)) >= 2, 60000);
  }
  const owner = await ownerOf(ROOM);
  assert.ok(owner === 'n2' || owner === 'n3', `a live node owns the room now: ${owner}`);
  const seen = await Promise.all([a, b].map((p) => p.evaluate(() => window.events.length)));
  await framesFlow(a, 'b');
  await framesFlow(b, 'a');
  await hears(a, 'b', seen[0]);
  await hears(b, 'a', seen[1]);
  for (const [p, other] of [[a, 'b'], [b, 'a']]) {
    const got = await p.evaluate((o) => ({
      exits: window.events.filter(([n, e]) => n === 'remote-user-exit' && e.userId === o).length,
      errors: window.events.filter(([n]) => n === 'error').map(([, e]) => e),
      audio: window.events.filter(([n, e]) => n.startsWith('remote-audio-') && e.userId === o).map(([n]) => n).at(-1),
    }), other);
    assert.equal(got.exits, 0, `${other} was never seen leaving`);
    assert.deepEqual(got.errors, []);
    assert.equal(got.audio, 'remote-audio-available', `${other}'s audio is available again`);
  }
  await a.close(); await b.close();
});

test('a drained node sends its clients to another node and exits with none left', async () => {
  const ROOM = 9321;
  // n3 owns the room: c entered there, d on n2 was redirected to it.
  const c = await openSdkPage(browser, nodes.n3.url);
  const d = await openSdkPage(browser, nodes.n2.url);
  assert.deepEqual(await enter(c, await devSig(nodes.n3.url, 'c'), { roomId: ROOM }, PUBLISH_AND_RENDER), { ok: true });
  assert.deepEqual(await enter(d, await devSig(nodes.n2.url, 'd'), { roomId: ROOM }, PUBLISH_AND_RENDER), { ok: true });
  assert.equal(await ownerOf(ROOM), 'n3');
  await framesFlow(c, 'd');
  await framesFlow(d, 'c');

  const t0 = Date.now();
  const code = await nodes.n3.stop(); // SIGTERM
  delete nodes.n3;
  const took = Date.now() - t0;
  assert.equal(code, 0, 'n3 exits cleanly');
  assert.ok(took < 20000, `n3 exits once its clients have gone, not at its 60 s drain timeout (${took} ms)`);
  for (const p of [c, d]) {
    await until('reconnected', async () => (await connectedCount(p)) >= 2, 30000);
  }
  assert.equal(await ownerOf(ROOM), 'n2');
  await framesFlow(c, 'd');
  await framesFlow(d, 'c');
  for (const [p, other] of [[c, 'd'], [d, 'c']]) {
    const got = await p.evaluate((o) => ({
      exits: window.events.filter(([n, e]) => n === 'remote-user-exit' && e.userId === o).length,
      errors: window.events.filter(([n]) => n === 'error').map(([, e]) => e),
    }), other);
    assert.deepEqual(got, { exits: 0, errors: [] }, `${other} was never seen leaving`);
  }
  await c.close(); await d.close();
});
