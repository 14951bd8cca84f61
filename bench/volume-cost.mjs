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

/** Main-thread ms per wall-clock second over one window. */
async function window_(cdp) {
  const a = await metrics(cdp);
  await sleep(WINDOW_S * 1000);
  const b = await metrics(cdp);
  const wall = b.at - a.at;
  return { script: ((b.script - a.script) / wall) * 1000, task: ((b.task - a.task) / wall) * 1000 };
}

const server = await startServer(['--dev']);
// The publishers run in a browser of their own: the measured page's renderer and audio then
// share the machine with them but not a browser process (and its audio service).
const browser = await launchBrowser();
const talkers = await launchBrowser();
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
    await page.evaluate(() => window.trtc.enableAudioVolumeEvaluation(-1));
    const pick = (xs, k) => xs.map((x) => x[k]);
    const diff = (k) => on.map((x, j) => x[k] - off[j][k]);
    rows.push({ n, off, on, diff: { script: diff('script'), task: diff('task') } });
    console.log(`${String(n).padStart(2)} remote audio users, enableAudioVolumeEvaluation(${INTERVAL_MS}), ${ROUNDS} × ${WINDOW_S} s windows each:`);
    console.log(`   script (JS + wasm)   off ${fmt(pick(off, 'script'))}   on ${fmt(pick(on, 'script'))}   on − off ${fmt(diff('script'))}`);
    console.log(`   all main-thread tasks off ${fmt(pick(off, 'task'))}   on ${fmt(pick(on, 'task'))}   on − off ${fmt(diff('task'))}`);
    await cdp.detach();
    await page.close();
    for (const p of publishers) await p.close();
  }
  const last = rows.at(-1);
  const cost = median(last.diff.task);
  console.log(`evaluation cost at ${last.n} users: ${cost.toFixed(2)} ms per second of main-thread time = ${(cost / 10).toFixed(2)}% of one core (aim ≤ 1%)`);
  console.log(`VOLUME_COST_JSON ${JSON.stringify({ date: new Date().toISOString().slice(0, 10), interval_ms: INTERVAL_MS, window_s: WINDOW_S, rounds: ROUNDS, rows })}`);
} finally {
  await browser.close();
  await talkers.close();
  await server.stop();
}
