// Leaks over many calls, through the real server. One page publishes camera and microphone; the
// page under test runs CYCLES cycles of
//   enterRoom → startLocalVideo + startLocalAudio (published) → startRemoteVideo of the publisher
//   (and its audio, received by default) → first remote frame → exitRoom → stop local capture,
// once with one TRTC instance throughout and once with TRTC.create() … destroy() every cycle.
// Afterwards nothing may be left: no RTCPeerConnection that is not closed, no AudioContext beyond
// the SDK's one shared context, no media element still in the page or holding a stream, no live
// track. JS heap (after a forced GC) must stay within 10% of its level after cycle 10, wasm
// memory within 10% or two 64 KiB pages of it and within a page over the second half of the run
// (see the assertion). The curve is printed.
//
// The printed "still reachable after GC" counts are diagnostic: Chromium keeps stopped
// getUserMedia tracks reachable even in a page without the SDK (checked by hand: 20 of 20 after
// two forced GCs), so ended tracks accumulate by a few hundred bytes of JS heap per cycle whatever
// the SDK does; peer connections and media elements of past cycles must be collectable (0).
//
// LEAK_CYCLES=N overrides the number of cycles (default 100).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pageErrors, startServer, launchBrowser, openSdkPage, devSig, enter } from './harness.mjs';

const CYCLES = Number(process.env.LEAK_CYCLES || 100);
const BASELINE_CYCLE = 10;
const TOLERANCE = 0.10;

let server, browser, publisher;
before(async () => {
  server = await startServer(['--dev']);
  browser = await launchBrowser();
  publisher = await openSdkPage(browser, server.url);
  const sig = await devSig(server.url, 'publisher');
  assert.deepEqual(await enter(publisher, sig, { roomId: 7001 },
    "await window.trtc.startLocalVideo({ option: { profile: '240p' } }); await window.trtc.startLocalAudio();"), { ok: true });
});
after(async () => {
  await browser?.close();
  await server?.stop();
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the pages');
});

/** Counts what the page creates: peer connections, audio contexts, media elements, tracks. */
function instrument() {
  const made = { pcs: [], contexts: [], elements: [], tracks: [] };
  window.__made = made;
  const keep = (list, obj) => { list.push(new WeakRef(obj)); return obj; };
  const PC = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends PC {
    constructor(...args) {
      super(...args);
      keep(made.pcs, this);
      this.addEventListener('track', (e) => keep(made.tracks, e.track));
    }
  };
  const AC = window.AudioContext;
  window.AudioContext = class extends AC {
    constructor(...args) { super(...args); keep(made.contexts, this); }
  };
  const createElement = Document.prototype.createElement;
  Document.prototype.createElement = function (name, ...rest) {
    const el = createElement.call(this, name, ...rest);
    if (/^(video|audio)$/i.test(name)) keep(made.elements, el);
    return el;
  };
  const md = navigator.mediaDevices;
  const gum = md.getUserMedia.bind(md);
  md.getUserMedia = async (constraints) => {
    const stream = await gum(constraints);
    for (const t of stream.getTracks()) keep(made.tracks, t);
    return stream;
  };
  const clone = MediaStreamTrack.prototype.clone;
  MediaStreamTrack.prototype.clone = function () { return keep(made.tracks, clone.call(this)); };
  window.__leftovers = () => {
    const live = (list) => list.map((w) => w.deref()).filter(Boolean);
    return {
      peerConnections: live(made.pcs).filter((pc) => pc.signalingState !== 'closed').length,
      audioContexts: live(made.contexts).filter((c) => c.state !== 'closed').length,
      mediaElements: live(made.elements).filter((e) => e.isConnected || e.srcObject).length,
      liveTracks: live(made.tracks).filter((t) => t.readyState === 'live').map((t) => t.kind),
      // Objects of past cycles still reachable after a GC (diagnostic: a growing count is a leak).
      reachable: Object.fromEntries(Object.entries(made).map(([k, list]) => [k, `${live(list).length}/${list.length}`])),
    };
  };
}

async function openInstrumented() {
  const page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.addInitScript(instrument);
  await page.goto(new URL('/blank.html', server.url).href);
  await page.evaluate(() => window.trtcReady);
  await page.evaluate(() => {
    for (const id of ['local', 'remote']) {
      const div = document.createElement('div');
      div.id = id;
      div.style.cssText = 'width:160px;height:120px';
      document.body.append(div);
    }
  });
  return page;
}

/** One cycle in the page; `fresh`: create the TRTC instance now and destroy it at the end. */
async function cycle(page, sig, fresh) {
  const r = await page.evaluate(async ({ sig, fresh }) => {
    const TRTC = window.TRTC;
    if (fresh || !window.trtc) window.trtc = TRTC.create();
    const trtc = window.trtc;
    const frame = new Promise((resolve) => {
      const onFrame = ({ userId }) => {
        if (userId === 'publisher') { trtc.off(TRTC.EVENT.FIRST_VIDEO_FRAME, onFrame); resolve(); }
      };
      trtc.on(TRTC.EVENT.FIRST_VIDEO_FRAME, onFrame);
    });
    const available = new Promise((resolve) => {
      const onAvailable = ({ userId }) => {
        if (userId === 'publisher') { trtc.off(TRTC.EVENT.REMOTE_VIDEO_AVAILABLE, onAvailable); resolve(); }
      };
      trtc.on(TRTC.EVENT.REMOTE_VIDEO_AVAILABLE, onAvailable);
    });
    const timeout = (what) => new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), 10000));
    try {
      await trtc.enterRoom({ ...sig, roomId: 7001 });
      await trtc.startLocalVideo({ view: 'local', option: { profile: '240p' } });
      await trtc.startLocalAudio();
      await Promise.race([available, timeout('REMOTE_VIDEO_AVAILABLE')]);
      await trtc.startRemoteVideo({ userId: 'publisher', streamType: TRTC.TYPE.STREAM_TYPE_MAIN, view: 'remote' });
      await Promise.race([frame, timeout('FIRST_VIDEO_FRAME')]);
      await trtc.exitRoom();
      await trtc.stopLocalVideo();
      await trtc.stopLocalAudio();
      if (fresh) { trtc.destroy(); window.trtc = null; }
      return 'ok';
    } catch (e) {
      return `${e.name || 'Error'} ${e.code ?? ''} ${e.message}`;
    }
  }, { sig, fresh });
  assert.equal(r, 'ok');
}

/** JS heap after a forced GC, and the wasm module's memory, in bytes. */
async function memory(page, cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  const wasm = await page.evaluate(async () => {
    const glue = await import('/pkg/trtc_wasm.js');
    const exports = await glue.default();
    return exports.memory.buffer.byteLength;
  });
  return { heap: usedSize, wasm };
}

const kb = (n) => `${(n / 1024).toFixed(0)} KB`;

async function run(fresh) {
  const page = await openInstrumented();
  const cdp = await page.context().newCDPSession(page);
  const sig = await devSig(server.url, fresh ? 'cycler-fresh' : 'cycler');
  const curve = [];
  const started = Date.now();
  for (let i = 1; i <= CYCLES; i++) {
    await cycle(page, sig, fresh);
    if (i === 1 || i % 5 === 0 || i === BASELINE_CYCLE || i === CYCLES) curve.push({ cycle: i, ...(await memory(page, cdp)) });
  }
  // The publisher saw every exit: the server holds nothing for the cycling user either.
  await publisher.waitForFunction((userId) => window.events.filter(([n, p]) => n === 'remote-user-exit' && p.userId === userId).length,
    sig.userId, { timeout: 10000 });
  const seen = await publisher.evaluate((userId) => ['remote-user-enter', 'remote-user-exit'].map((name) =>
    window.events.filter(([n, p]) => n === name && p.userId === userId).length), sig.userId);
  assert.deepEqual(seen, [CYCLES, CYCLES], 'the publisher saw every enter and every exit');
  const seconds = (Date.now() - started) / 1000;
  await cdp.send('HeapProfiler.collectGarbage');
  const { reachable, ...left } = await page.evaluate(() => window.__leftovers());
  console.log(`${fresh ? 'create/destroy every cycle' : 'one instance'}: ${CYCLES} cycles in ${seconds.toFixed(0)} s`);
  for (const p of curve) console.log(`  after cycle ${String(p.cycle).padStart(3)}: JS heap ${kb(p.heap).padStart(8)}   wasm memory ${kb(p.wasm).padStart(8)}`);
  console.log(`  leftovers: ${JSON.stringify(left)}; still reachable after GC: ${JSON.stringify(reachable)}`);
  assert.deepEqual(left, { peerConnections: 0, audioContexts: left.audioContexts, mediaElements: 0, liveTracks: [] });
  assert.ok(left.audioContexts <= 1, `at most the SDK's one shared AudioContext, got ${left.audioContexts}`);
  // Nothing of past cycles is kept by the SDK: their peer connections and elements were
  // collected (the last cycle's may still be on its way out: a GC right after a close can miss
  // it, as seen once in 100; one kept per cycle would show as ~100).
  const kept = (s) => Number(s.split('/')[0]);
  assert.ok(kept(reachable.pcs) <= 2, `peer connections of past cycles are collected: ${reachable.pcs}`);
  assert.ok(kept(reachable.elements) <= 6, `media elements of past cycles are collected: ${reachable.elements}`);
  if (CYCLES > BASELINE_CYCLE) {
    const base = curve.find((p) => p.cycle === BASELINE_CYCLE);
    const last = curve.at(-1);
    assert.ok(last.heap <= base.heap * (1 + TOLERANCE),
      `JS heap grew from ${kb(base.heap)} after cycle ${BASELINE_CYCLE} to ${kb(last.heap)} after cycle ${last.cycle}`);
    // Wasm memory only grows, by 64 KiB pages: from a ~1.2 MB base one page is 5%, and with
    // instances made and freed each cycle the allocator settles one or two pages up and stays
    // there (300 cycles: 1216 KB to cycle 15, 1344 KB from cycle 75 to 300). So: within 10% or
    // two pages of cycle 10's, and no more than one page of growth over the second half of the
    // run (a leak keeps growing: ~1 KB a cycle would add a page every ~60 cycles).
    const PAGE = 64 * 1024;
    assert.ok(last.wasm <= Math.max(base.wasm * (1 + TOLERANCE), base.wasm + 2 * PAGE),
      `wasm memory grew from ${kb(base.wasm)} after cycle ${BASELINE_CYCLE} to ${kb(last.wasm)} after cycle ${last.cycle}`);
    const mid = curve.filter((p) => p.cycle <= CYCLES / 2).at(-1);
    assert.ok(last.wasm <= mid.wasm + PAGE,
      `wasm memory still grows: ${kb(mid.wasm)} after cycle ${mid.cycle}, ${kb(last.wasm)} after cycle ${last.cycle}`);
  }
  await page.close();
}

test(`${CYCLES} cycles of enter → publish → subscribe → exit with one TRTC instance leave nothing behind`, { timeout: 900000 }, async () => {
  await run(false);
});

test(`${CYCLES} cycles with TRTC.create() … destroy() each time leave nothing behind`, { timeout: 900000 }, async () => {
  await run(true);
});
