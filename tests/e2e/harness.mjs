// End-to-end harness: starts the real trtc-server and a headless Chromium with fake devices.
// Run inside a loopback-only network namespace (scripts/in-netns.sh).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const require = createRequire(import.meta.url);
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { chromium } = require(path.join(root, 'tools/node_modules/playwright-core'));

/**
 * Starts the server on a free port; resolves with {url, pid, stop}. The binary: TRTC_E2E_SERVER
 * (scripts/test.sh sets it to the static build the npm package ships), else target/release/trtc-server.
 */
export function startServer(args = []) {
  const bin = process.env.TRTC_E2E_SERVER || path.join(root, 'target/release/trtc-server');
  const base = [...(args.includes('--listen') ? [] : ['--listen', '127.0.0.1:0']), '--pkg', 'pkg', ...(args.includes('--www') ? [] : ['--www', 'www'])];
  // TRTC_SERVER_PREFIX="heaptrack -o /tmp/x" runs the server under a tool (diagnostics only).
  const prefix = (process.env.TRTC_SERVER_PREFIX || '').split(' ').filter(Boolean);
  const proc = spawn(prefix[0] || bin, [...prefix.slice(1), ...(prefix.length ? [bin] : []), ...base, ...args], {
    cwd: root, stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('trtc-server did not print its URL within 10 s')), 10000);
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], pid: proc.pid, stop: () => new Promise((r) => { proc.once('exit', r); proc.kill('SIGTERM'); }) });
      }
    });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`trtc-server exited with ${code}`)); });
    // A binary that is not there (TRTC_E2E_SERVER wrong, or target/release not built).
    proc.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${bin}: ${e.message}; set TRTC_E2E_SERVER to a trtc-server binary or run cargo build --release -p trtc-server`));
    });
  });
}

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--use-fake-device-for-media-stream=device-count=2', '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required', '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

export async function launchBrowser(extraArgs = [], baseArgs = CHROMIUM_ARGS) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [...baseArgs, ...extraArgs],
  });
}

/** Uncaught errors of every page opened with openSdkPage (tests assert it stays empty). */
export const pageErrors = [];

/** Opens the blank SDK page; resolves when `window.TRTC` is loaded. */
export async function openSdkPage(browser, url) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => { console.error('pageerror:', String(e)); pageErrors.push(String(e)); });
  await page.goto(new URL('/blank.html', url).href);
  await page.evaluate(() => window.trtcReady);
  return page;
}

/** A dev-mode userSig from the server. */
export async function devSig(url, userId) {
  const res = await fetch(new URL(`/trtc/dev/usersig?userId=${encodeURIComponent(userId)}`, url));
  if (!res.ok) throw new Error(`dev usersig: ${res.status}`);
  return res.json();
}

/**
 * In the page: creates `window.trtc`, records every event into `window.events` as
 * [name, payload-without-functions], and enters `room` (an object with roomId or strRoomId).
 */
export async function enter(page, { sdkAppId, userId, userSig }, room, before = '') {
  return page.evaluate(async ({ sdkAppId, userId, userSig, room, before }) => {
    const TRTC = window.TRTC;
    window.trtc = window.trtc || TRTC.create();
    window.events = window.events || [];
    if (!window.recording) {
      window.recording = true;
      for (const name of Object.values(TRTC.EVENT)) {
        // AUDIO_FRAME is left out: listening to it turns on PCM delivery (reference §4.6).
        if (name !== 'audio-frame') window.trtc.on(name, (p) => window.events.push([name, JSON.parse(JSON.stringify(p ?? null))]));
      }
    }
    if (before) await (0, eval)(`(async () => { ${before} })()`);
    try {
      await window.trtc.enterRoom({ sdkAppId, userId, userSig, ...room });
      return { ok: true };
    } catch (e) {
      return { ok: false, code: e.code, extraCode: e.extraCode, name: e.name, message: e.message, functionName: e.functionName };
    }
  }, { sdkAppId, userId, userSig, room, before });
}

/** Waits until the page recorded an event matching `pred(name, payload)`. */
export async function waitEvent(page, name, match = {}, timeout = 10000) {
  await page.waitForFunction(({ name, match }) => (window.events || []).some(([n, p]) =>
    n === name && Object.entries(match).every(([k, v]) => p && p[k] === v)), { name, match }, { timeout });
}

export async function eventNames(page, filter) {
  return page.evaluate((filter) => window.events.filter(([n]) => filter.includes(n)).map(([n, p]) => [n, p && p.userId]), filter);
}

/**
 * Script for `enter(…, before)`: keeps every RTCPeerConnection the page makes in
 * `window.pcs`, so a test can check they were closed.
 */
export const TRACK_PCS = `
  if (!window.pcs) {
    window.pcs = [];
    const Native = window.RTCPeerConnection;
    window.RTCPeerConnection = function (...args) { const pc = new Native(...args); window.pcs.push(pc); return pc; };
    window.RTCPeerConnection.prototype = Native.prototype;
  }
`;

/** The signaling states of the page's tracked peer connections (see TRACK_PCS). */
export async function pcStates(page) {
  return page.evaluate(() => (window.pcs || []).map((pc) => pc.signalingState));
}
