// TURN as trtc-sdk-v5 configures it (enterRoom's proxy.turnServer / iceTransportPolicy), TURN
// credentials issued by the server (--turn-url / --turn-secret, coturn's shared-secret scheme),
// and ERROR 5501 when no path gets through. Against Debian's coturn, started here on 127.0.0.2
// (relaying from 127.0.0.3). "UDP blocked" is an nftables rule in this test's network namespace
// that drops the UDP of this test's server and relay only (other test files may share the
// namespace), and lets the relay's own UDP to the SFU through: the relay is outside the firewall.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { pageErrors, startServer, launchBrowser, openSdkPage, devSig, enter, waitEvent, TRACK_PCS } from './harness.mjs';

const ROOT = process.getuid?.() === 0;
const skip = ROOT ? false : 'needs root (a network namespace with nftables and coturn)';
const TURN_IP = '127.0.0.2';
const RELAY_IP = '127.0.0.3';
const TURN_PORT = 3478 + Math.floor(Math.random() * 1000);
let sfuPort = 23000 + Math.floor(Math.random() * 2000);
// SFU workers per server: worker k listens on --udp's port + k (UDP and ICE-TCP), so a server
// holds WORKERS ports from its base and the rules below block all of them.
const WORKERS = 2;
const SECRET = 'turn-test-secret-' + Math.random().toString(36).slice(2);
const TABLE = `trtc_turn_${process.pid}`;

let coturn, browser;
const servers = [];

function nft(...args) {
  execFileSync('nft', args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * Drops UDP to and from the server's SFU ports (every worker's; except with the relay) and to
 * the TURN port; with `tcpToo`, also TCP to the SFU's ICE-TCP ports (the same numbers,
 * trtc-server's default).
 */
function blockUdp(s, tcpToo = false) {
  const ports = `${s.sfuPort}-${s.sfuPort + WORKERS - 1}`;
  nft('add', 'table', 'inet', TABLE);
  nft('add', 'chain', 'inet', TABLE, 'out', '{ type filter hook output priority 0; policy accept; }');
  nft('add', 'rule', 'inet', TABLE, 'out', 'ip', 'daddr', '!=', RELAY_IP, 'ip', 'saddr', '!=', RELAY_IP, 'udp', 'dport', ports, 'drop');
  nft('add', 'rule', 'inet', TABLE, 'out', 'ip', 'daddr', '!=', RELAY_IP, 'ip', 'saddr', '!=', RELAY_IP, 'udp', 'sport', ports, 'drop');
  nft('add', 'rule', 'inet', TABLE, 'out', 'udp', 'dport', String(TURN_PORT), 'drop');
  if (tcpToo) nft('add', 'rule', 'inet', TABLE, 'out', 'tcp', 'dport', ports, 'drop');
}

function unblock() {
  try {
    execFileSync('nft', ['delete', 'table', 'inet', TABLE], { stdio: 'ignore' });
  } catch { /* not there */ }
}

/** coturn's shared-secret credentials: `expiry:userId`, base64 HMAC-SHA1. */
function restCredential(userId, expiryUnix) {
  const username = `${expiryUnix}:${userId}`;
  return { username, credential: createHmac('sha1', SECRET).update(username).digest('base64') };
}

async function startCoturn() {
  const proc = spawn('turnserver', [
    '-n', '--no-cli', '--no-tls', '--no-dtls', '--fingerprint',
    '--listening-ip', TURN_IP, '--relay-ip', RELAY_IP, '--listening-port', String(TURN_PORT),
    '--min-port', '40000', '--max-port', '40200', '--allow-loopback-peers',
    '--realm', 'trtc.test', '--use-auth-secret', '--static-auth-secret', SECRET,
    '--log-file', 'stdout', '--simple-log',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  proc.log = () => log;
  // Ready when it accepts TCP on its port.
  const net = await import('node:net');
  const end = Date.now() + 10000;
  for (;;) {
    const ok = await new Promise((r) => {
      const s = net.connect(TURN_PORT, TURN_IP, () => { s.destroy(); r(true); });
      s.on('error', () => r(false));
    });
    if (ok) return proc;
    if (Date.now() > end || proc.exitCode !== null) throw new Error('coturn did not start:\n' + log);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  if (skip) return;
  coturn = await startCoturn();
  browser = await launchBrowser();
});
after(async () => {
  unblock();
  await browser?.close();
  for (const s of servers) await s.stop();
  coturn?.kill('SIGTERM');
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the pages');
});

async function server(args = []) {
  sfuPort += WORKERS;
  const s = await startServer(['--dev', '--udp', `127.0.0.1:${sfuPort}`, '--sfu-threads', String(WORKERS), ...args]);
  s.sfuPort = sfuPort;
  servers.push(s);
  return s;
}

const PUBLISH = 'await window.trtc.startLocalVideo(); await window.trtc.startLocalAudio();';

/** In the page: renders `userId`'s video; resolves with its size once frames are decoded. */
async function watch(page, userId, timeout = 20000) {
  return page.evaluate(async ({ userId, timeout }) => {
    const box = document.createElement('div');
    box.style.width = '320px'; box.style.height = '240px';
    document.body.appendChild(box);
    await window.trtc.startRemoteVideo({ userId, streamType: 'main', view: box });
    const end = performance.now() + timeout;
    for (;;) {
      const v = box.querySelector('video');
      const q = v && v.getVideoPlaybackQuality();
      if (v && v.videoWidth > 0 && q.totalVideoFrames > 10) return { width: v.videoWidth, frames: q.totalVideoFrames, ms: performance.now() };
      if (performance.now() > end) return { timeout: true, width: v ? v.videoWidth : -1 };
      await new Promise((r) => setTimeout(r, 100));
    }
  }, { userId, timeout });
}

/** The selected candidate pair of the page's live peer connection: local type and protocols. */
async function selectedPair(page) {
  return page.evaluate(async () => {
    const pc = window.pcs.filter((p) => p.connectionState === 'connected').at(-1);
    if (!pc) return null;
    const stats = await pc.getStats();
    let pair = null;
    stats.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId); });
    if (!pair) return null;
    const local = stats.get(pair.localCandidateId);
    const remote = stats.get(pair.remoteCandidateId);
    return { localType: local.candidateType, relayProtocol: local.relayProtocol, protocol: local.protocol, remoteAddress: remote.address };
  });
}

/**
 * Two pages call in `room` with `extra(userId)` added to enterRoom's params (and
 * `TRTC.create(createOptions)`); both decode the other. Returns the pages.
 */
async function call(s, room, extra, createOptions) {
  const a = await openSdkPage(browser, s.url);
  const b = await openSdkPage(browser, s.url);
  if (createOptions) {
    for (const p of [a, b]) await p.evaluate((o) => { window.trtc = window.TRTC.create(o); }, createOptions);
  }
  const t0 = Date.now();
  assert.deepEqual(await enter(a, await devSig(s.url, 'alice'), { ...room, ...extra('alice') }, TRACK_PCS + PUBLISH), { ok: true });
  assert.deepEqual(await enter(b, await devSig(s.url, 'bob'), { ...room, ...extra('bob') }, TRACK_PCS + PUBLISH), { ok: true });
  await waitEvent(a, 'remote-video-available', { userId: 'bob' }, 15000);
  await waitEvent(b, 'remote-video-available', { userId: 'alice' }, 15000);
  const [ab, ba] = await Promise.all([watch(a, 'bob'), watch(b, 'alice')]);
  assert.ok(!ab.timeout && ab.width > 0, `alice decodes bob: ${JSON.stringify(ab)}`);
  assert.ok(!ba.timeout && ba.width > 0, `bob decodes alice: ${JSON.stringify(ba)}`);
  console.log(`  first remote frames on both pages ${Date.now() - t0} ms after the first enterRoom`);
  return [a, b];
}

const close = async (pages) => { for (const p of pages) await p.close(); };

test("proxy.turnServer with iceTransportPolicy 'relay': the call goes through coturn", { skip }, async () => {
  const s = await server();
  const expiry = Math.floor(Date.now() / 1000) + 3600;
  const pages = await call(s, { roomId: 7101 }, (user) => ({
    proxy: { turnServer: { url: `${TURN_IP}:${TURN_PORT}`, ...restCredential(user, expiry), credentialType: 'password' }, iceTransportPolicy: 'relay' },
  }));
  for (const p of pages) {
    const pair = await selectedPair(p);
    assert.equal(pair?.localType, 'relay', `a relay candidate pair: ${JSON.stringify(pair)}`);
    assert.equal(pair.relayProtocol, 'udp');
  }
  await close(pages);
});

test('UDP blocked: TURN over TCP carries the call (turnServer array, ?transport=tcp)', { skip }, async () => {
  const s = await server();
  const expiry = Math.floor(Date.now() / 1000) + 3600;
  blockUdp(s);
  try {
    const pages = await call(s, { roomId: 7102 }, (user) => ({
      proxy: {
        turnServer: [{ url: `turn:${TURN_IP}:${TURN_PORT}?transport=tcp`, ...restCredential(user, expiry) }],
        iceTransportPolicy: 'relay',
      },
    }));
    for (const p of pages) {
      const pair = await selectedPair(p);
      assert.equal(pair?.localType, 'relay', JSON.stringify(pair));
      assert.equal(pair.relayProtocol, 'tcp', `the browser reaches coturn over TCP: ${JSON.stringify(pair)}`);
    }
    await close(pages);
  } finally {
    unblock();
  }
});

test('--turn-url / --turn-secret: the server issues coturn credentials and the SDK uses them', { skip }, async () => {
  const s = await server(['--turn-url', `turn:${TURN_IP}:${TURN_PORT}?transport=tcp`, '--turn-secret', SECRET, '--turn-ttl', '600']);
  blockUdp(s);
  try {
    // TRTC.create({iceTransportPolicy:'relay'}) as the only configuration: no turnServer.
    const pages = await call(s, { roomId: 7103 }, () => ({}), { iceTransportPolicy: 'relay' });
    for (const p of pages) {
      const pair = await selectedPair(p);
      assert.equal(pair?.localType, 'relay', JSON.stringify(pair));
    }
    await close(pages);
  } finally {
    unblock();
  }
});

test('expired TURN credentials are refused by coturn: with relay only, ERROR 5501 names the relay', { skip }, async () => {
  const s = await server();
  const expired = Math.floor(Date.now() / 1000) - 60;
  const a = await openSdkPage(browser, s.url);
  const t0 = Date.now();
  const r = await enter(a, await devSig(s.url, 'carol'), {
    roomId: 7104,
    proxy: { turnServer: { url: `${TURN_IP}:${TURN_PORT}`, ...restCredential('carol', expired) }, iceTransportPolicy: 'relay' },
  }, PUBLISH);
  assert.deepEqual(r, { ok: true }, 'signalling works; the media cannot');
  await waitEvent(a, 'error', { extraCode: 5501 }, 40000);
  const err = await a.evaluate(() => window.events.find(([n, p]) => n === 'error' && p.extraCode === 5501)[1]);
  console.log(`  5501 after ${Date.now() - t0} ms: ${err.message}`);
  assert.match(err.message, new RegExp(`only through the TURN relay\\(s\\) turn:${TURN_IP.replaceAll('.', '\\.')}:${TURN_PORT}`));
  const refusals = coturn.log().split('\n').filter((l) => l.includes('carol') && /error 401|Unauthorized|cannot find credentials/i.test(l));
  console.log(`  coturn: ${refusals[0]}`);
  assert.ok(refusals.length > 0, 'coturn refused the expired credentials:\n' + coturn.log().split('\n').filter((l) => l.includes('carol')).slice(0, 5).join('\n'));
  await a.close();
});

test('UDP and TCP to the server blocked and no TURN: ERROR 5501 within 25 s, and no reconnect loop', { skip }, async () => {
  const s = await server();
  blockUdp(s, true);
  try {
    const a = await openSdkPage(browser, s.url);
    const t0 = Date.now();
    assert.deepEqual(await enter(a, await devSig(s.url, 'dave'), { roomId: 7105 }, PUBLISH), { ok: true });
    await waitEvent(a, 'error', { extraCode: 5501 }, 40000);
    const ms = Date.now() - t0;
    const err = await a.evaluate(() => window.events.find(([n, p]) => n === 'error' && p.extraCode === 5501)[1]);
    console.log(`  5501 after ${ms} ms: ${err.message}`);
    assert.ok(ms < 25000, `within 25 s (${ms} ms)`);
    assert.match(err.message, /directly over UDP and TCP, with no TURN relay configured/);
    assert.match(err.message, /proxy\.turnServer/);
    // Out of the room; nothing more happens.
    const n = await a.evaluate(() => window.events.length);
    await new Promise((r) => setTimeout(r, 3000));
    const later = await a.evaluate((n) => window.events.slice(n).map(([e]) => e), n);
    assert.deepEqual(later.filter((e) => e === 'connection-state-changed'), [], 'no reconnecting after 5501');
    await a.close();
  } finally {
    unblock();
  }
});
