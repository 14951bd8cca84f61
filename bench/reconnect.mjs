// Reconnect time on loopback, through the real trtc-server: the server breaks one client's
// signalling connection (dev mode's /trtc/dev/drop); measured from the drop until the other
// side decodes new frames from that client again, and until the dropped client is CONNECTED
// again. Prints the median and min–max over RUNS drops.
//
//   cargo build --release -p trtc-server && scripts/build-sdk.sh
//   scripts/in-netns.sh node bench/reconnect.mjs [RUNS=10]
import { startServer, launchBrowser, openSdkPage, devSig, enter } from '../tests/e2e/harness.mjs';

const RUNS = Number(process.argv[2] || 10);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const fmt = (xs) => `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, n=${xs.length})`;

const RENDER = `
  await window.trtc.startLocalVideo({ option: { profile: '240p' } }); await window.trtc.startLocalAudio();
  window.trtc.on('remote-video-available', ({ userId }) => {
    let box = document.getElementById('remote-' + userId);
    if (!box) { box = document.createElement('div'); box.id = 'remote-' + userId; box.style.width = '320px'; box.style.height = '240px'; document.body.appendChild(box); }
    window.trtc.startRemoteVideo({ userId, streamType: 'main', view: box });
  });`;

const server = await startServer(['--dev']);
const browser = await launchBrowser();
const connected = [], frames = [];
try {
  const a = await openSdkPage(browser, server.url);
  const b = await openSdkPage(browser, server.url);
  await enter(a, await devSig(server.url, 'bench-a'), { roomId: 7100 }, RENDER);
  await enter(b, await devSig(server.url, 'bench-b'), { roomId: 7100 }, RENDER);
  await b.waitForFunction(() => document.querySelector('#remote-bench-a video')?.videoWidth > 0, null, { timeout: 15000 });
  for (let run = 0; run < RUNS; run++) {
    // Watch in the pages; each reports the wall-clock time (Date.now(), the machine's one clock)
    // of what it waits for, and the figures count from just before the drop request.
    const bWatch = b.evaluate(() => new Promise((resolve) => {
      const t0 = performance.now();
      let el = document.querySelector('#remote-bench-a video'), base = el ? el.getVideoPlaybackQuality().totalVideoFrames : 0;
      let stalled = false, last = base, lastChange = t0;
      const tick = () => {
        const v = document.querySelector('#remote-bench-a video');
        if (v !== el) { el = v; base = v ? v.getVideoPlaybackQuality().totalVideoFrames : 0; last = base; stalled = true; }
        const f = el ? el.getVideoPlaybackQuality().totalVideoFrames : 0;
        const now = performance.now();
        if (f !== last) { last = f; if (now - lastChange > 300) stalled = true; lastChange = now; }
        if (stalled && el && el.videoWidth > 0 && f > base + 2) return resolve(Date.now());
        if (now - t0 > 30000) return resolve(-1);
        setTimeout(tick, 20);
      };
      tick();
    }));
    const aWatch = a.evaluate(() => new Promise((resolve) => {
      const h = (e) => { if (e.state === 'CONNECTED') { window.trtc.off('connection-state-changed', h); resolve(Date.now()); } };
      window.trtc.on('connection-state-changed', h);
    }));
    await new Promise((r) => setTimeout(r, 50));
    const dropAt = Date.now();
    const res = await fetch(new URL('/trtc/dev/drop?userId=bench-a', server.url));
    if (!res.ok) throw new Error(`drop: ${res.status}`);
    const [ac, bf] = await Promise.all([aWatch, bWatch]);
    if (bf < 0) throw new Error('frames did not come back within 30 s');
    connected.push(ac - dropAt);
    frames.push(bf - dropAt);
    await new Promise((r) => setTimeout(r, 1000));
  }
  console.log(`socket drop → CONNECTED again: ${fmt(connected)}`);
  console.log(`socket drop → the other side decodes new frames: ${fmt(frames)}`);
} finally {
  await browser.close();
  await server.stop();
}
