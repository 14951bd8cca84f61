// Soak: an 8-participant room held through the real server. Every participant is a page that
// publishes its camera (120p) and microphone and renders the other seven. Once a minute it prints
// the server's RSS and CPU time, the users in the room (admin API), and the fewest frames any of
// the 56 remote videos decoded in that minute; it fails when a user is lost (an exit, a kick, a
// reconnection, a page with fewer than 7 remote users), a remote video stalls for a minute, or
// the server's RSS rises more than 10% above its level after the first (warm-up) minute.
//
// SOAK_MINUTES=N sets the length (default 3, what CI runs); the full soak is 30 minutes:
//   cargo build --release -p trtc-server && scripts/build-sdk.sh
//   SOAK_MINUTES=30 scripts/in-netns.sh node --test --test-timeout=0 tests/e2e/soak.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pageErrors, startServer, launchBrowser, openSdkPage, enter, root } from './harness.mjs';

const require = createRequire(import.meta.url);
const TLSSigAPIv2 = require(path.join(root, 'tools/node_modules/tls-sig-api-v2'));
const APP = 1400000777;
const KEY = 'soak-secret-key-0123456789';
const sign = (user) => new TLSSigAPIv2.Api(APP, KEY).genUserSig(user, 86400);

const MINUTES = Number(process.env.SOAK_MINUTES || 3);
const USERS = 8;
const ROOM = 7500;
const MINUTE_MS = 60000;

let server, browser;
before(async () => {
  server = await startServer(['--app', `${APP}:${KEY}`]);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the pages');
});

/** The server's resident memory (KB) and CPU time (s), from /proc. */
function serverUsage() {
  const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
  const rssKb = Number(status.match(/VmRSS:\s+(\d+)/)[1]);
  const stat = readFileSync(`/proc/${server.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  return { rssKb, cpuS: ticks / 100 };
}

async function roomUsers() {
  const q = `sdkappid=${APP}&identifier=administrator&usersig=${encodeURIComponent(sign('administrator'))}&random=1`;
  const res = await fetch(new URL(`/trtc/admin/v1/rooms?${q}`, server.url));
  const body = await res.json();
  const room = (body.Rooms || []).find((r) => r.RoomId === ROOM);
  return room ? room.UserIds.length : 0;
}

const RENDER = `
  await window.trtc.startLocalVideo({ option: { profile: '120p' } });
  await window.trtc.startLocalAudio();
  window.trtc.on('remote-video-available', ({ userId }) => {
    let box = document.getElementById('remote-' + userId);
    if (!box) {
      box = document.createElement('div');
      box.id = 'remote-' + userId;
      box.className = 'remote';
      box.dataset.userId = userId;
      box.style.cssText = 'width:160px;height:120px;display:inline-block';
      document.body.appendChild(box);
    }
    window.trtc.startRemoteVideo({ userId, streamType: 'main', view: box });
  });`;

/** In a page: frames decoded so far per remote user, and the room events that mean trouble. */
const probe = () => ({
  frames: Object.fromEntries([...document.querySelectorAll('.remote')].map((box) => {
    const v = box.querySelector('video');
    return [box.dataset.userId, v ? v.getVideoPlaybackQuality().totalVideoFrames : 0];
  })),
  trouble: window.events.filter(([n, p]) => n === 'remote-user-exit' || n === 'kicked-out' || n === 'error'
    || (n === 'connection-state-changed' && p.state !== 'CONNECTED')).length,
});

test(`soak: ${USERS} participants for ${MINUTES} min, nobody lost, server memory flat`, { timeout: (MINUTES + 3) * MINUTE_MS }, async () => {
  const pages = [];
  for (let i = 0; i < USERS; i++) {
    const page = await openSdkPage(browser, server.url);
    assert.deepEqual(await enter(page, { sdkAppId: APP, userId: `soak-${i}`, userSig: sign(`soak-${i}`) }, { roomId: ROOM }, RENDER), { ok: true });
    pages.push(page);
  }
  for (const page of pages) {
    await page.waitForFunction((n) => [...document.querySelectorAll('.remote video')].filter((v) => v.videoWidth > 0).length === n,
      USERS - 1, { timeout: 60000 });
  }
  // Entering is done (its CONNECTING is not trouble): count from here.
  let last = await Promise.all(pages.map((p) => p.evaluate(probe)));
  const baseTrouble = last.map((r) => r.trouble);
  let lastUsage = serverUsage();
  let warm = null;
  const rows = [];
  for (let minute = 1; minute <= MINUTES; minute++) {
    await new Promise((r) => setTimeout(r, MINUTE_MS));
    const now = await Promise.all(pages.map((p) => p.evaluate(probe)));
    const usage = serverUsage();
    const users = await roomUsers();
    let fewest = Infinity;
    for (const [i, page] of now.entries()) {
      assert.equal(page.trouble - baseTrouble[i], 0, `soak-${i} saw a user leave, a kick, an error or a reconnection`);
      assert.equal(Object.keys(page.frames).length, USERS - 1, `soak-${i} renders ${Object.keys(page.frames).length} remote users`);
      for (const [user, frames] of Object.entries(page.frames)) fewest = Math.min(fewest, frames - (last[i].frames[user] ?? 0));
    }
    const cpu = ((usage.cpuS - lastUsage.cpuS) / 60) * 100;
    rows.push({ minute, rssKb: usage.rssKb, cpu, users, fewest });
    console.log(`minute ${String(minute).padStart(2)}: server RSS ${(usage.rssKb / 1024).toFixed(1)} MB, server CPU ${cpu.toFixed(1)}% of a core, ${users} users in the room, fewest frames decoded by one of ${USERS * (USERS - 1)} remote videos: ${fewest}`);
    assert.equal(users, USERS, 'every participant is still in the room');
    assert.ok(fewest > 60, `a remote video decoded only ${fewest} frames in minute ${minute}`);
    if (minute === 1) warm = usage.rssKb;
    else assert.ok(usage.rssKb <= warm * 1.1, `server RSS ${usage.rssKb} KB is over 110% of ${warm} KB after the warm-up minute`);
    last = now;
    lastUsage = usage;
  }
  const rss = rows.map((r) => r.rssKb);
  console.log(`SOAK_JSON ${JSON.stringify({ date: new Date().toISOString().slice(0, 10), users: USERS, minutes: MINUTES, rows, rssMaxOverWarm: Math.max(...rss) / rss[0] })}`);
  for (const page of pages) await page.close();
});
