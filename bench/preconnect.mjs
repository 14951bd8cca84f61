// What callExperimentalAPI('preconnect') saves: enterRoom() → resolved through a signalling path
// with a round-trip time (a TCP relay on loopback that holds every chunk DELAY_MS each way), with
// and without a preconnection made beforehand, in headless Chromium through the real trtc-server.
// Media goes straight to the SFU (not delayed). Prints the median and min–max over RUNS joins of
// each kind (alternating) and the saving.
//
//   cargo build --release -p trtc-server && scripts/build-sdk.sh
//   scripts/in-netns.sh node bench/preconnect.mjs [RUNS=15] [DELAY_MS=25]
import net from 'node:net';
import { startServer, launchBrowser, openSdkPage, devSig, enter } from '../tests/e2e/harness.mjs';

const RUNS = Number(process.argv[2] || 15);
const DELAY_MS = Number(process.argv[3] || 25);

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const fmt = (xs) => `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, n=${xs.length})`;

/** A relay to `port` on loopback that delays each chunk by `ms`, in order, both ways. */
function delayingRelay(port, ms) {
  const pipe = (from, to) => {
    let last = 0;
    from.on('data', (chunk) => {
      const at = Math.max(Date.now() + ms, last);
      last = at;
      setTimeout(() => to.writable && to.write(chunk), at - Date.now());
    });
    from.on('end', () => setTimeout(() => to.end(), Math.max(0, last - Date.now())));
    from.on('error', () => to.destroy());
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    pipe(client, upstream);
    pipe(upstream, client);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const server = await startServer(['--dev']);
const relay = await delayingRelay(Number(new URL(server.url).port), DELAY_MS);
const proxy = `ws://127.0.0.1:${relay.address().port}`;
const browser = await launchBrowser();
const times = { plain: [], preconnected: [] };
try {
  for (let i = 0; i < RUNS; i++) {
    for (const kind of ['plain', 'preconnected']) {
      const page = await openSdkPage(browser, server.url);
      const user = `${kind}-${i}`;
      const sig = await devSig(server.url, user);
      await page.evaluate(async ({ sig, proxy, kind }) => {
        window.trtc = window.TRTC.create({ proxy });
        if (kind === 'preconnected') await window.trtc.callExperimentalAPI('preconnect', { enable: true, ...sig });
      }, { sig, proxy, kind });
      const t0 = Date.now();
      const r = await enter(page, sig, { roomId: 7600 });
      if (!r.ok) throw new Error(JSON.stringify(r));
      times[kind].push(Date.now() - t0);
      await page.evaluate(() => window.trtc.exitRoom());
      await page.close();
    }
  }
  console.log(`signalling through a relay adding ${DELAY_MS} ms each way (RTT ${2 * DELAY_MS} ms), ${RUNS} joins each:`);
  console.log(`  enterRoom, socket opened by enterRoom:  ${fmt(times.plain)}`);
  console.log(`  enterRoom, after preconnect:            ${fmt(times.preconnected)}`);
  console.log(`  saved: ${(median(times.plain) - median(times.preconnected)).toFixed(0)} ms (median), ${(median(times.plain) / median(times.preconnected)).toFixed(2)}x`);
} finally {
  await browser.close();
  relay.close();
  await server.stop();
}
