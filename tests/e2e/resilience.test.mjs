// A call survives what breaks calls: heartbeats keep idle users, a dropped signalling socket and
// a server restart are recovered without the other side seeing anyone leave, a client gone for
// good is removed after the (shortened) timeout with reason 1, and giving up ends in ERROR.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pageErrors, startServer, launchBrowser, openSdkPage, devSig, enter, waitEvent, eventNames } from './harness.mjs';

const TIMEOUT = 6; // --client-timeout, seconds
let server, browser, port;
before(async () => {
  server = await startServer(['--dev', '--client-timeout', String(TIMEOUT)]);
  port = new URL(server.url).port;
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the pages');
});

const PUBLISH_AND_RENDER = `
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

async function pair(room, a, b) {
  const pa = await openSdkPage(browser, server.url);
  const pb = await openSdkPage(browser, server.url);
  assert.deepEqual(await enter(pa, await devSig(server.url, a), { roomId: room }, PUBLISH_AND_RENDER), { ok: true });
  assert.deepEqual(await enter(pb, await devSig(server.url, b), { roomId: room }, PUBLISH_AND_RENDER), { ok: true });
  await framesFlow(pa, b);
  await framesFlow(pb, a);
  return [pa, pb];
}

test('heartbeats keep idle users in the room past the timeout', async () => {
  const [a, b] = await pair(9001, 'idle-a', 'idle-b');
  await new Promise((r) => setTimeout(r, (TIMEOUT + 3) * 1000)); // idle for longer than the timeout
  assert.deepEqual(await eventNames(a, ['remote-user-exit']), []);
  assert.deepEqual(await eventNames(b, ['remote-user-exit']), []);
  await a.close(); await b.close();
});

test('the server drops a client socket: it reconnects, the other side sees no exit, frames flow', async () => {
  const [a, b] = await pair(9002, 'drop-a', 'drop-b');
  const res = await fetch(new URL('/trtc/dev/drop?userId=drop-a', server.url));
  assert.equal(res.status, 200);
  await a.waitForFunction(() => window.events.some(([n, p]) => n === 'connection-state-changed' && p.isReconnecting === true), null, { timeout: 5000 });
  await a.waitForFunction(() => window.events.filter(([n, p]) => n === 'connection-state-changed' && p.state === 'CONNECTED').length === 2, null, { timeout: 15000 });
  await framesFlow(b, 'drop-a');
  await framesFlow(a, 'drop-b');
  assert.deepEqual(await eventNames(b, ['remote-user-exit']), [], 'no exit seen by the other side');
  await sameCallAfterReconnect(a, 'drop-b');
  await a.close(); await b.close();
});

test('the server process restarts: both rejoin, nobody is lost, frames flow again', async () => {
  const [a, b] = await pair(9003, 'restart-a', 'restart-b');
  await server.stop();
  server = await startServer(['--dev', '--client-timeout', String(TIMEOUT), '--listen', `127.0.0.1:${port}`]);
  for (const p of [a, b]) {
    await p.waitForFunction(() => window.events.filter(([n, e]) => n === 'connection-state-changed' && e.state === 'CONNECTED').length === 2, null, { timeout: 20000 });
  }
  await framesFlow(a, 'restart-b');
  await framesFlow(b, 'restart-a');
  for (const [p, other] of [[a, 'restart-b'], [b, 'restart-a']]) {
    assert.deepEqual(await eventNames(p, ['remote-user-exit']), []);
    await sameCallAfterReconnect(p, other, false);
  }
  await a.close(); await b.close();
});

/**
 * After a reconnection: the state went CONNECTING (isReconnecting) → CONNECTED once more, and
 * the other user entered once and never exited — the app sees the same call. With `streamsOnce`
 * (the server kept the session) its streams were announced once; otherwise (a restarted server
 * had to hear from both again) a stream may have gone and come back, in that order, and is
 * available at the end.
 */
async function sameCallAfterReconnect(page, other, streamsOnce = true) {
  const got = await page.evaluate((other) => ({
    states: window.events.filter(([n]) => n === 'connection-state-changed').map(([, p]) => [p.prevState, p.state, !!p.isReconnecting]),
    enters: window.events.filter(([n, p]) => n === 'remote-user-enter' && p.userId === other).length,
    streams: ['audio', 'video'].map((kind) => window.events
      .filter(([n, p]) => p && p.userId === other && (n === `remote-${kind}-available` || n === `remote-${kind}-unavailable`))
      .map(([n]) => (n.endsWith('-unavailable') ? 0 : 1))),
  }), other);
  assert.deepEqual(got.states, [
    ['DISCONNECTED', 'CONNECTING', false], ['CONNECTING', 'CONNECTED', false],
    ['CONNECTED', 'CONNECTING', true], ['CONNECTING', 'CONNECTED', false],
  ], JSON.stringify(got.states));
  assert.equal(got.enters, 1, `${other} entered once`);
  for (const seq of got.streams) {
    if (streamsOnce) {
      assert.deepEqual(seq, [1], `${other}'s streams announced once: ${JSON.stringify(got.streams)}`);
    } else {
      assert.ok(seq.length % 2 === 1 && seq.every((v, i) => v === (i % 2 === 0 ? 1 : 0)),
        `${other}'s streams alternate available/unavailable and end available: ${JSON.stringify(got.streams)}`);
    }
  }
}

test("a client's network blocked for a few seconds: the call carries on, nobody leaves", async () => {
  const [a, b] = await pair(9006, 'block-a', 'block-b');
  const res = await fetch(new URL('/trtc/dev/block?userId=block-a&ms=2500', server.url));
  assert.equal(res.status, 200);
  // While blocked, no new frames of block-a reach block-b.
  await new Promise((r) => setTimeout(r, 1000));
  const stalled = await b.evaluate(async () => {
    const v = document.querySelector('#remote-block-a video');
    const f0 = v.getVideoPlaybackQuality().totalVideoFrames;
    await new Promise((r) => setTimeout(r, 1000));
    return v.getVideoPlaybackQuality().totalVideoFrames - f0;
  });
  assert.ok(stalled <= 2, `frames stalled while blocked (${stalled} new)`);
  // Then frames flow again both ways, and nobody left.
  await framesFlow(b, 'block-a', 10, 25000);
  await framesFlow(a, 'block-b', 10, 25000);
  assert.deepEqual(await eventNames(a, ['remote-user-exit']), []);
  assert.deepEqual(await eventNames(b, ['remote-user-exit']), []);
  await a.close(); await b.close();
});

test('a client gone for good is removed after the timeout with reason 1', async () => {
  const [a, b] = await pair(9004, 'stay', 'vanish');
  // Block its main thread: no heartbeat, no answer, yet its socket stays open — what the
  // server sees of a laptop that went to sleep or a network that died silently.
  b.evaluate((ms) => { const end = Date.now() + ms; while (Date.now() < end) { /* busy */ } }, (TIMEOUT + 6) * 1000)
    .catch(() => {});
  // Not before the timeout (shown on the host: crates/trtc-server/tests/registry/sessions.rs),
  // then with reason 1.
  await waitEvent(a, 'remote-user-exit', { userId: 'vanish', reason: 1 }, (TIMEOUT + 6) * 1000);
  await a.close();
  await b.close();
});

test('media lost while signalling flows (UDP refused): the server says so, the SDK reconnects at once', async () => {
  const [a, b] = await pair(9007, 'udp-a', 'udp-b');
  const t0 = Date.now();
  const res = await fetch(new URL('/trtc/dev/block?userId=udp-a&ms=60000&only=media', server.url));
  assert.equal(res.status, 200);
  // The SFU gives a silent peer 15 s to come back, then drops it and tells the client, which
  // reconnects (a new session connection: the block does not follow it) long before the
  // browser itself would call the connection failed.
  await a.waitForFunction(() => window.events.filter(([n, p]) => n === 'connection-state-changed' && p.state === 'CONNECTED').length === 2,
    null, { timeout: 40000 });
  const took = Date.now() - t0;
  console.log(`media blocked: reconnected after ${took} ms`);
  assert.ok(took < 25000, `reconnected after ${took} ms`);
  await framesFlow(b, 'udp-a', 10, 20000);
  await framesFlow(a, 'udp-b', 10, 20000);
  await sameCallAfterReconnect(a, 'udp-b');
  assert.deepEqual(await eventNames(b, ['remote-user-exit']), []);
  await a.close(); await b.close();
});

test('a network blocked for 10 s: the SDK notices the silent server, reconnects, nobody is lost', async () => {
  // A server whose client timeout outlasts the block (the resilience server's is 6 s).
  const patient = await startServer(['--dev', '--client-timeout', '30']);
  try {
    const pa = await openSdkPage(browser, patient.url);
    const pb = await openSdkPage(browser, patient.url);
    assert.deepEqual(await enter(pa, await devSig(patient.url, 'net-a'), { roomId: 9008 }, PUBLISH_AND_RENDER), { ok: true });
    assert.deepEqual(await enter(pb, await devSig(patient.url, 'net-b'), { roomId: 9008 }, PUBLISH_AND_RENDER), { ok: true });
    await framesFlow(pa, 'net-b');
    await framesFlow(pb, 'net-a');
    const t0 = Date.now();
    const res = await fetch(new URL('/trtc/dev/block?userId=net-a&ms=10000', patient.url));
    assert.equal(res.status, 200);
    // Three unanswered heartbeats (~7 s): the SDK stops trusting the open socket.
    await pa.waitForFunction(() => window.events.some(([n, p]) => n === 'connection-state-changed' && p.isReconnecting === true), null, { timeout: 12000 });
    const noticed = Date.now() - t0;
    console.log(`network blocked: reconnecting after ${noticed} ms`);
    assert.ok(noticed >= 6000 && noticed < 10000, `noticed after ${noticed} ms`);
    await pa.waitForFunction(() => window.events.filter(([n, p]) => n === 'connection-state-changed' && p.state === 'CONNECTED').length === 2,
      null, { timeout: 30000 });
    // While it was down, NETWORK_QUALITY said 6 (disconnected) both ways.
    const down = await pa.evaluate(() => {
      const at = window.events.findIndex(([n, p]) => n === 'connection-state-changed' && p.isReconnecting);
      return window.events.slice(at).filter(([n]) => n === 'network-quality')
        .map(([, q]) => [q.uplinkNetworkQuality, q.downlinkNetworkQuality]);
    });
    assert.ok(down.some(([u, d]) => u === 6 && d === 6), `quality 6 while reconnecting: ${JSON.stringify(down)}`);
    await framesFlow(pb, 'net-a', 10, 20000);
    await framesFlow(pa, 'net-b', 10, 20000);
    await sameCallAfterReconnect(pa, 'net-b');
    assert.deepEqual(await eventNames(pb, ['remote-user-exit']), [], 'no exit seen by the other side');
    await pa.close(); await pb.close();
  } finally {
    await patient.stop();
  }
});

test('when the server never comes back, the SDK gives up with ERROR 5502 and leaves', async () => {
  const p = await openSdkPage(browser, server.url);
  const r = await p.evaluate(async (url) => {
    const trtc = TRTC.create({ reconnectTimeout: 3000 });
    window.trtc = trtc;
    window.events = [];
    for (const name of Object.values(TRTC.EVENT)) if (name !== 'audio-frame') trtc.on(name, (e) => window.events.push([name, e && (e.code ? { code: e.code, extraCode: e.extraCode } : JSON.parse(JSON.stringify(e)))]));
    const { sdkAppId, userSig } = await (await fetch('/trtc/dev/usersig?userId=loner')).json();
    await trtc.enterRoom({ sdkAppId, userId: 'loner', userSig, roomId: 9005 });
    return 'ok';
  }, server.url);
  assert.equal(r, 'ok');
  await server.stop();
  try {
    await waitEvent(p, 'error', { code: 5500, extraCode: 5502 }, 15000);
    const states = await p.evaluate(() => window.events.filter(([n]) => n === 'connection-state-changed').map(([, e]) => e.state));
    assert.deepEqual(states, ['CONNECTING', 'CONNECTED', 'CONNECTING', 'DISCONNECTED']);
  } finally {
    server = await startServer(['--dev', '--client-timeout', String(TIMEOUT), '--listen', `127.0.0.1:${port}`]);
  }
  await p.close();
});
