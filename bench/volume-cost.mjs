// What enableAudioVolumeEvaluation(200) costs the page's main thread, with 1, 4 and 16 remote
// audio users, through the real trtc-server. Each remote user is a page publishing its fake
// microphone (a periodic beep); the measured page receives them all (autoReceiveAudio) and has
// an AUDIO_VOLUME handler. Chromium's own per-page counters (CDP Performance.getMetrics:
// ScriptDuration = JS and wasm, TaskDuration = every main-thread task) are sampled over windows
// with evaluation off and on, alternating; printed as the median ms of main-thread time per
// second (= ‰ of one core) with min–max, and the difference on − off.
//
//   cargo build --release -p trtc-server && scripts/build-sdk.sh
//   scripts/in-netns.sh node bench/volume-cost.mjs [WINDOW_SECONDS=5] [ROUNDS=3] [SIZES=1,4,16]
//   PROFILE=1 … also prints a CPU profile (top self times) of one window with evaluation on
import { readFileSync } from 'node:fs';
import { startServer, launchBrowser, openSdkPage, devSig, enter } from '../tests/e2e/harness.mjs';

const WINDOW_S = Number(process.argv[2] || 5);
const ROUNDS = Number(process.argv[3] || 3);
const SIZES = (process.argv[4] || '1,4,16').split(',').map(Number);
const INTERVAL_MS = 200;

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const fmt = (xs) => `${median(xs).toFixed(2).padStart(6)} ms/s (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function metrics(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const get = (name) => metrics.find((m) => m.name === name).value;
  return { script: get('ScriptDuration'), task: get('TaskDuration'), at: get('Timestamp') };
}

// The measured page runs in a browser of its own, so its renderer processes (from CDP
// SystemInfo.getProcessInfo) are its own; the CPU time of each renderer's main thread (tid = pid)
// is read from /proc schedstat (ns actually run). CDP's durations are wall-clock: on a saturated
// machine (16 talking pages on 2 cores) a preempted task counts the time it waited; CPU time
// does not.
let browserCdp = null;
async function rendererMainThreads() {
  const { processInfo } = await browserCdp.send('SystemInfo.getProcessInfo');
  return processInfo.filter((p) => p.type === 'renderer').map((p) => `/proc/${p.id}/task/${p.id}/schedstat`);
}

/** CPU ms the measured page's renderer main thread(s) have run so far. */
function mainThreadCpuMs(threads) {
  let ns = 0;
  for (const t of threads) {
    try { ns += Number(readFileSync(t, 'utf8').split(' ')[0]); } catch { /* gone */ }
  }
  return ns / 1e6;
}

/** Main-thread ms per wall-clock second over one window: CDP durations and /proc CPU time. */
async function window_(cdp) {
  const threads = await rendererMainThreads();
  const a = await metrics(cdp);
  const ca = mainThreadCpuMs(threads);
  await sleep(WINDOW_S * 1000);
  const b = await metrics(cdp);
  const cb = mainThreadCpuMs(threads);
  const wall = b.at - a.at;
  return { script: ((b.script - a.script) / wall) * 1000, task: ((b.task - a.task) / wall) * 1000, cpu: (cb - ca) / wall };
}

/** PROFILE=1: a CPU profile of one window with evaluation on; prints the top self times. */
async function profile(cdp, page) {
  await page.evaluate((ms) => { window.ticks = 0; window.trtc.on('audio-volume', () => { window.ticks++; }); window.trtc.enableAudioVolumeEvaluation(ms); }, INTERVAL_MS);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await cdp.send('Profiler.start');
  await sleep(WINDOW_S * 1000);
  const { profile: prof } = await cdp.send('Profiler.stop');
  const dt = new Map();
  for (let i = 0; i < prof.samples.length; i++) dt.set(prof.samples[i], (dt.get(prof.samples[i]) || 0) + (prof.timeDeltas[i] || 0));
  const self = new Map();
  for (const node of prof.nodes) {
    const f = node.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber}`;
    self.set(key, (self.get(key) || 0) + (dt.get(node.id) || 0));
  }
  const top = [...self.entries()].filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(program)')).sort((a, b) => b[1] - a[1]).slice(0, 15);
  const ticks = await page.evaluate(() => window.ticks);
  console.log(`profile, ${WINDOW_S} s with evaluation on, ${ticks} AUDIO_VOLUME events (self time, ms per second):`);
  for (const [k, us] of top) console.log(`  ${(us / 1000 / WINDOW_S).toFixed(2).padStart(7)}  ${k}`);
}

const server = await startServer(['--dev']);
// The publishers run in a browser of their own: the measured page's renderer and audio then
// share the machine with them but not a browser process (and its audio service).
const browser = await launchBrowser();
const talkers = await launchBrowser();
browserCdp = await browser.newBrowserCDPSession();
const rows = [];
try {
  for (const [i, n] of SIZES.entries()) {
    const roomId = 7300 + i;
    const publishers = [];
    for (let k = 0; k < n; k++) {
      const p = await openSdkPage(talkers, server.url);
      const r = await enter(p, await devSig(server.url, `speaker-${n}-${k}`), { roomId }, 'await window.trtc.startLocalAudio();');
      if (!r.ok) throw new Error(`publisher ${k}: ${JSON.stringify(r)}`);
      publishers.push(p);
    }
    const page = await openSdkPage(browser, server.url);
    const r = await enter(page, await devSig(server.url, `listener-${n}`), { roomId },
      "window.volumes = 0; window.trtc.on('audio-volume', ({ result }) => { window.volumes += result.length; });"
      // Keep the page's AudioContexts, to say what state they are in if the levels stay at 0.
      + "window.contexts = []; const AC = window.AudioContext; window.AudioContext = function (...a) { const c = new AC(...a); window.contexts.push(c); return c; }; window.AudioContext.prototype = AC.prototype;");
    if (!r.ok) throw new Error(`listener: ${JSON.stringify(r)}`);
    await page.waitForFunction((n) => window.events.filter(([name]) => name === 'remote-audio-available').length >= n, n, { timeout: 60000 })
      .catch(async (e) => {
        const seen = await page.evaluate(() => window.events.map(([name]) => name).filter((x) => x.startsWith('remote') || x === 'error'));
        throw new Error(`the listener did not see ${n} remote audio users: ${JSON.stringify(seen)}`, { cause: e });
      });
    // Audio flowing and decoded: every remote user reads a volume once evaluation runs.
    await page.evaluate(() => window.trtc.enableAudioVolumeEvaluation(200));
    // (The fake microphone beeps once a second, each page at its own phase: count users heard at all.)
    await page.waitForFunction((n) => new Set(window.events.filter(([name]) => name === 'audio-volume')
      .flatMap(([, p]) => p.result.filter((u) => u.userId !== '' && u.volume > 0).map((u) => u.userId))).size === n, n, { timeout: 30000 })
      .catch(async (e) => {
        const heard = await page.evaluate(() => {
          const last = window.events.filter(([name]) => name === 'audio-volume').at(-1);
          return last ? last[1].result.map((u) => `${u.userId}:${u.volume}`) : [];
        });
        const contexts = await page.evaluate(() => window.contexts.map((c) => `${c.state}@${c.sampleRate}Hz t=${c.currentTime.toFixed(1)}`));
        throw new Error(`not every remote user was heard; the last AUDIO_VOLUME: ${heard.join(' ')}; AudioContexts: ${contexts.join(', ')}`, { cause: e });
      });
    await page.evaluate(() => window.trtc.enableAudioVolumeEvaluation(-1));
    // The recorder in `enter` copies every event's payload; drop it so it does not count.
    await page.evaluate(() => { window.trtc.off('audio-volume', '*'); window.events = []; window.trtc.on('audio-volume', () => {}); });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable', { timeDomain: 'timeTicks' });
    await sleep(2000);
    const off = [], on = [];
    for (let round = 0; round < ROUNDS; round++) {
      await page.evaluate(() => window.trtc.enableAudioVolumeEvaluation(-1));
      off.push(await window_(cdp));
      await page.evaluate((ms) => window.trtc.enableAudioVolumeEvaluation(ms), INTERVAL_MS);
      on.push(await window_(cdp));
    }
    if (process.env.PROFILE) await profile(cdp, page);
    await page.evaluate(() => window.trtc.enableAudioVolumeEvaluation(-1));
    const pick = (xs, k) => xs.map((x) => x[k]);
    const diff = (k) => on.map((x, j) => x[k] - off[j][k]);
    rows.push({ n, off, on, diff: { script: diff('script'), task: diff('task'), cpu: diff('cpu') } });
    console.log(`${String(n).padStart(2)} remote audio users, enableAudioVolumeEvaluation(${INTERVAL_MS}), ${ROUNDS} × ${WINDOW_S} s windows each:`);
    console.log(`   script (JS + wasm)   off ${fmt(pick(off, 'script'))}   on ${fmt(pick(on, 'script'))}   on − off ${fmt(diff('script'))}`);
    console.log(`   all main-thread tasks off ${fmt(pick(off, 'task'))}   on ${fmt(pick(on, 'task'))}   on − off ${fmt(diff('task'))}`);
    console.log(`   main-thread CPU time  off ${fmt(pick(off, 'cpu'))}   on ${fmt(pick(on, 'cpu'))}   on − off ${fmt(diff('cpu'))}`);
    await cdp.detach();
    await page.close();
    for (const p of publishers) await p.close();
  }
  const last = rows.at(-1);
  const cost = median(last.diff.cpu);
  console.log(`evaluation cost at ${last.n} users: ${cost.toFixed(2)} ms of main-thread CPU per second = ${(cost / 10).toFixed(2)}% of one core (aim ≤ 1%); CDP task time on − off ${median(last.diff.task).toFixed(2)} ms/s`);
  console.log(`VOLUME_COST_JSON ${JSON.stringify({ date: new Date().toISOString().slice(0, 10), interval_ms: INTERVAL_MS, window_s: WINDOW_S, rounds: ROUNDS, rows })}`);
} finally {
  await browser.close();
  await talkers.close();
  await server.stop();
}
