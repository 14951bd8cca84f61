// The test kit: start a trtc-server from your app's test suite, sign userSigs for it, put a bot
// participant into a room, and launch Chromium with fake devices on loopback.
'use strict';
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const { binaryPath, defaultArgs } = require('./lib/binary.js');
const TLSSigAPIv2 = require('tls-sig-api-v2');

/**
 * Chromium flags for tests: fake camera (a moving test pattern), microphone (a periodic beep)
 * and screen (getDisplayMedia without a picker), autoplay allowed, ICE candidates on loopback
 * (run the browser in a loopback-only network namespace so it gathers nothing else).
 */
const chromiumArgs = [
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

function room(spec) {
  if (spec && spec.strRoomId !== undefined) return `strRoomId=${encodeURIComponent(spec.strRoomId)}`;
  if (spec && spec.roomId !== undefined) return `roomId=${Number(spec.roomId)}`;
  throw new Error('a bot needs { roomId } or { strRoomId }');
}

/**
 * Starts trtc-server in dev mode on a free loopback port. Options:
 * - `sdkAppId` (default 1400000001) and `key` (default: random): the app it accepts;
 * - `bot`: `{ roomId | strRoomId, userId = 'bot' }` (or an array of them) put into rooms at once;
 * - `args`: more server options (see `trtc-server --help`);
 * - `timeoutMs` (default 10000) to wait for it to listen.
 * Resolves with `{ url, sdkAppId, userSig(userId, expireSecs?), addBot(spec), removeBot(spec), stop() }`.
 */
async function startServer(options = {}) {
  const sdkAppId = options.sdkAppId ?? 1400000001;
  const key = options.key ?? crypto.randomBytes(24).toString('hex');
  const extra = options.args ?? [];
  const args = ['--listen', '127.0.0.1:0', '--udp', '127.0.0.1:0', '--dev', '--app', `${sdkAppId}:${key}`, ...extra];
  const proc = spawn(binaryPath(), [...defaultArgs(args), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => { proc.kill(); reject(new Error(`trtc-server did not listen within ${options.timeoutMs ?? 10000} ms:\n${err}`)); },
      options.timeoutMs ?? 10000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+?)\/?\s/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.stderr.on('data', (d) => { err += d; if (err.length > 65536) err = err.slice(-32768); });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`trtc-server exited with ${code}:\n${err}`)); });
  });
  proc.stdout.resume();
  proc.stderr.resume();
  // The server never keeps a test process alive by itself, and goes with it.
  proc.unref();
  proc.stdout.unref?.();
  proc.stderr.unref?.();
  const kill = () => proc.kill('SIGKILL');
  process.once('exit', kill);
  proc.once('exit', () => process.off('exit', kill));
  const signer = new TLSSigAPIv2.Api(sdkAppId, key);
  const botCall = async (method, spec) => {
    const userId = spec.userId ?? 'bot';
    const res = await fetch(`${url}/trtc/dev/bot?userId=${encodeURIComponent(userId)}&${room(spec)}`, { method });
    if (!res.ok) throw new Error(`${method} bot: ${res.status} ${await res.text()}`);
  };
  const server = {
    url,
    sdkAppId,
    userSig: (userId, expireSecs = 86400) => signer.genUserSig(userId, expireSecs),
    addBot: (spec) => botCall('POST', spec),
    removeBot: (spec) => botCall('DELETE', spec),
    stop: () => new Promise((resolve) => {
      if (proc.exitCode !== null) return resolve();
      proc.ref();
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    }),
  };
  for (const spec of [options.bot ?? []].flat()) await server.addBot(spec);
  return server;
}

module.exports = { startServer, chromiumArgs, binaryPath };
