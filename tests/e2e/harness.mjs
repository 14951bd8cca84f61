// End-to-end harness: starts the real trtc-server and a headless Chromium with fake devices.
// Run inside a loopback-only network namespace (scripts/in-netns.sh).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const require = createRequire(import.meta.url);
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { chromium } = require(path.join(root, 'tools/node_modules/playwright-core'));

/** Starts target/release/trtc-server on a free port; resolves with {url, stop}. */
export function startServer(args = []) {
  const bin = path.join(root, 'target/release/trtc-server');
  const proc = spawn(bin, ['--listen', '127.0.0.1:0', '--www', 'www', '--pkg', 'pkg', ...args], {
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
        resolve({ url: m[1], stop: () => new Promise((r) => { proc.once('exit', r); proc.kill('SIGTERM'); }) });
      }
    });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`trtc-server exited with ${code}`)); });
  });
}

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--use-fake-device-for-media-stream=device-count=2', '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required', '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

export async function launchBrowser(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}
