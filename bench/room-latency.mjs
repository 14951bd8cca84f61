// Room latency on loopback, through the real trtc-server and its SFU, in headless Chromium:
//   enterRoom() → resolved, and startRemoteVideo() → first decoded frame,
// for rooms of 2, 4 and 8 (the measured page joins a room where N-1 pages already publish).
// Prints the median and min–max over RUNS joins per size.
//
//   cargo build --release -p trtc-server && scripts/build-sdk.sh
//   scripts/in-netns.sh node bench/room-latency.mjs [RUNS=20] [SIZES=2,4,8]
import { startServer, launchBrowser, openSdkPage, devSig, enter } from '../tests/e2e/harness.mjs';

const RUNS = Number(process.argv[2] || 20);
const SIZES = (process.argv[3] || '2,4,8').split(',').map(Number);

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const fmt = (xs) => `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, n=${xs.length})`;

const server = await startServer(['--dev']);
const browser = await launchBrowser();
const results = [];
try {
  for (const size of SIZES) {
    const room = 7000 + size;
    const publishers = [];
    for (let i = 0; i < size - 1; i++) {
      const p = await openSdkPage(browser, server.url);
      const r = await enter(p, await devSig(server.url, `pub${i}`), { roomId: room },
        "await window.trtc.startLocalVideo({ option: { profile: '240p' } }); await window.trtc.startLocalAudio();");
      if (!r.ok) throw new Error(JSON.stringify(r));
      publishers.push(p);
    }
    const page = await openSdkPage(browser, server.url);
    const sig = await devSig(server.url, 'measured');
    const enterMs = [], frameMs = [];
    for (let run = 0; run < RUNS; run++) {
      const t = await page.evaluate(async ({ sig, room }) => {
        const TRTC = window.TRTC;
        window.trtc = window.trtc || TRTC.create();
        const trtc = window.trtc;
        const box = document.createElement('div');
        box.style.width = '320px'; box.style.height = '240px';
        document.body.appendChild(box);
        const available = new Promise((r) => {
          const h = ({ userId }) => { if (userId === 'pub0') { trtc.off('remote-video-available', h); r(); } };
          trtc.on('remote-video-available', h);
        });
        const t0 = performance.now();
        await trtc.enterRoom({ sdkAppId: sig.sdkAppId, userId: 'measured', userSig: sig.userSig, roomId: room });
        const entered = performance.now() - t0;
        await available;
        const first = new Promise((r) => {
          const h = ({ userId }) => { if (userId === 'pub0') { trtc.off('first-video-frame', h); r(); } };
          trtc.on('first-video-frame', h);
        });
        const t1 = performance.now();
        await trtc.startRemoteVideo({ userId: 'pub0', streamType: 'main', view: box });
        await Promise.race([first, new Promise((_, j) => setTimeout(() => j(new Error('no first frame in 10 s')), 10000))]);
        const frame = performance.now() - t1;
        await trtc.exitRoom();
        box.remove();
        return { entered, frame };
      }, { sig, room });
      enterMs.push(t.entered);
      frameMs.push(t.frame);
    }
    results.push({ size, enterMs, frameMs });
    console.log(`room of ${size}: enterRoom ${fmt(enterMs)}; startRemoteVideo→first frame ${fmt(frameMs)}`);
    await page.close();
    await Promise.all(publishers.map((p) => p.close()));
  }
} finally {
  await browser.close();
  await server.stop();
}
