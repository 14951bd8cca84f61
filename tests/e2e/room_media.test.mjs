// Media through the server's SFU: two and four pages see (decoded frames) and hear (volume from
// the fake microphone's beep) each other; late joiners get a picture at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pageErrors, startServer, launchBrowser, openSdkPage, devSig, enter, waitEvent, TRACK_PCS } from './harness.mjs';

let server, browser;
before(async () => {
  server = await startServer(['--dev']);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the pages');
});

const PUBLISH = 'await window.trtc.startLocalVideo(); await window.trtc.startLocalAudio(); window.trtc.enableAudioVolumeEvaluation(200);';

/** In the page: render `userId`'s video into a new box; resolves with frames decoded after `ms`. */
async function watch(page, userId, timeout = 15000) {
  return page.evaluate(async ({ userId, timeout }) => {
    const box = document.createElement('div');
    box.id = 'remote-' + userId;
    box.style.width = '320px'; box.style.height = '240px';
    document.body.appendChild(box);
    await window.trtc.startRemoteVideo({ userId, streamType: 'main', view: box });
    const end = performance.now() + timeout;
    for (;;) {
      const v = box.querySelector('video');
      const q = v && v.getVideoPlaybackQuality();
      if (v && v.videoWidth > 0 && q.totalVideoFrames > 10) return { width: v.videoWidth, height: v.videoHeight, frames: q.totalVideoFrames };
      if (performance.now() > end) return { width: v ? v.videoWidth : -1, frames: q ? q.totalVideoFrames : -1, timeout: true };
      await new Promise((r) => setTimeout(r, 100));
    }
  }, { userId, timeout });
}

/** Max AUDIO_VOLUME of `userId` seen in the page within `ms`. */
async function remoteVolume(page, userId, ms = 3000) {
  return page.evaluate(async ({ userId, ms }) => {
    let max = -1;
    const h = ({ result }) => { for (const r of result) if (r.userId === userId) max = Math.max(max, r.volume); };
    window.trtc.on('audio-volume', h);
    await new Promise((r) => setTimeout(r, ms));
    window.trtc.off('audio-volume', h);
    return max;
  }, { userId, ms });
}

test('two pages: decoded video and audible audio both ways through the SFU', async () => {
  const a = await openSdkPage(browser, server.url);
  const b = await openSdkPage(browser, server.url);
  assert.deepEqual(await enter(a, await devSig(server.url, 'alice'), { roomId: 3001 }, PUBLISH), { ok: true });
  // Bob follows trtc-sdk-v5's quick start: startRemoteVideo from the REMOTE_VIDEO_AVAILABLE
  // handler (alice is already in the room, so this fires while enterRoom settles).
  const QUICK_START = PUBLISH + `
    window.trtc.on('remote-video-available', ({ userId }) => {
      const box = document.createElement('div');
      box.id = 'remote-' + userId;
      box.style.width = '320px'; box.style.height = '240px';
      document.body.appendChild(box);
      window.trtc.startRemoteVideo({ userId, streamType: 'main', view: box })
        .catch((e) => { window.startError = e.code + '/' + e.extraCode + ' ' + e.message; });
    });`;
  assert.deepEqual(await enter(b, await devSig(server.url, 'bob'), { roomId: 3001 }, QUICK_START), { ok: true });
  await waitEvent(a, 'remote-video-available', { userId: 'bob' });
  await waitEvent(b, 'remote-video-available', { userId: 'alice' });
  const ab = await watch(a, 'bob');
  await b.waitForFunction(() => {
    const v = document.querySelector('#remote-alice video');
    return window.startError || (v && v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 10);
  }, null, { timeout: 15000 });
  assert.equal(await b.evaluate(() => window.startError), undefined);
  const ba = await b.evaluate(() => ({ width: document.querySelector('#remote-alice video').videoWidth }));
  assert.ok(!ab.timeout && ab.width > 0, `alice decodes bob: ${JSON.stringify(ab)}`);
  assert.ok(!ba.timeout && ba.width > 0, `bob decodes alice: ${JSON.stringify(ba)}`);
  await waitEvent(b, 'first-video-frame', { userId: 'alice' });
  await waitEvent(b, 'video-play-state-changed', { userId: 'alice', type: 'video', state: 'PLAYING' });
  await waitEvent(b, 'audio-play-state-changed', { userId: 'alice', type: 'audio', state: 'PLAYING' });
  await waitEvent(a, 'publish-state-changed', { mediaType: 'video', state: 'started' });
  // The beep came through the SFU.
  const [va, vb] = await Promise.all([remoteVolume(a, 'bob'), remoteVolume(b, 'alice')]);
  assert.ok(va > 0, `alice hears bob (volume ${va})`);
  assert.ok(vb > 0, `bob hears alice (volume ${vb})`);
  // Preconditions: a user without video (5102), a stream type they do not have (5103).
  const pre = await b.evaluate(async () => {
    const codes = [];
    for (const cfg of [{ userId: 'nobody', streamType: 'main' }, { userId: 'alice', streamType: 'sub' }]) {
      try { await window.trtc.startRemoteVideo({ ...cfg, view: null }); codes.push('resolved'); } catch (e) { codes.push([e.code, e.extraCode]); }
    }
    return codes;
  });
  assert.deepEqual(pre, [[5100, 5102], [5100, 5103]]);
  // updateRemoteVideo changes how it is shown; the remote track is reachable.
  const upd = await b.evaluate(async () => {
    await window.trtc.updateRemoteVideo({ userId: 'alice', streamType: 'main', option: { fillMode: 'contain', mirror: true } });
    const v = document.querySelector('#remote-alice video');
    return [v.style.objectFit, v.style.transform, window.trtc.getVideoTrack({ userId: 'alice' }).readyState];
  });
  assert.deepEqual(upd, ['contain', 'scaleX(-1)', 'live']);
  // muteRemoteAudio silences alice for bob (volume 0); unmuting brings her back.
  await b.evaluate(() => window.trtc.muteRemoteAudio('alice', true));
  await new Promise((r) => setTimeout(r, 500)); // let the analysis window move past the change
  assert.equal(await remoteVolume(b, 'alice', 1500), 0, 'muted remote audio reads 0');
  await b.evaluate(() => window.trtc.muteRemoteAudio('*', false));
  assert.ok(await remoteVolume(b, 'alice') > 0, 'unmuted: audible again');
  // stopRemoteVideo('*') removes the video element; the user stays.
  await b.evaluate(() => window.trtc.stopRemoteVideo({ userId: '*' }));
  assert.equal(await b.evaluate(() => document.querySelector('#remote-alice video')), null);
  // Stop: the other side sees it unavailable and the video element goes.
  await a.evaluate(() => window.trtc.stopLocalVideo());
  await waitEvent(b, 'remote-video-unavailable', { userId: 'alice' });
  await a.close();
  await waitEvent(b, 'remote-user-exit', { userId: 'alice' });
  await b.close();
});

test('four pages in one room: each renders the three others', async () => {
  const users = ['p0', 'p1', 'p2', 'p3'];
  const pages = [];
  for (const u of users) {
    const p = await openSdkPage(browser, server.url);
    assert.deepEqual(await enter(p, await devSig(server.url, u), { roomId: 3002 }, PUBLISH), { ok: true });
    pages.push(p);
  }
  for (let i = 0; i < 4; i++) {
    for (const u of users.filter((x) => x !== users[i])) {
      await waitEvent(pages[i], 'remote-video-available', { userId: u }, 15000);
    }
  }
  const results = await Promise.all(pages.flatMap((p, i) => users.filter((u) => u !== users[i]).map((u) => watch(p, u, 20000).then((r) => [users[i], u, r]))));
  for (const [viewer, u, r] of results) assert.ok(!r.timeout && r.width > 0, `${viewer} renders ${u}: ${JSON.stringify(r)}`);
  await Promise.all(pages.map((p) => p.close()));
});

test('two rooms side by side: media stays in its room (no cross-talk)', async () => {
  // Room 3201 (ann, ben) and strRoomId "3201" (cid, dee): same number, separate rooms.
  const rooms = [['ann', { roomId: 3201 }], ['ben', { roomId: 3201 }], ['cid', { strRoomId: '3201' }], ['dee', { strRoomId: '3201' }]];
  const pages = [];
  for (const [user, room] of rooms) {
    const p = await openSdkPage(browser, server.url);
    assert.deepEqual(await enter(p, await devSig(server.url, user), room, PUBLISH), { ok: true }, user);
    pages.push(p);
  }
  const [ann, ben, cid, dee] = pages;
  await waitEvent(ann, 'remote-video-available', { userId: 'ben' });
  await waitEvent(cid, 'remote-video-available', { userId: 'dee' });
  const w = await Promise.all([watch(ann, 'ben'), watch(cid, 'dee')]);
  assert.ok(w.every((x) => !x.timeout && x.width > 0), JSON.stringify(w));
  await new Promise((r) => setTimeout(r, 2000));
  // What each page's peer connection receives: the streams of its room's other user only.
  for (const [page, other] of [[ann, 'ben'], [ben, 'ann'], [cid, 'dee'], [dee, 'cid']]) {
    const got = await page.evaluate(async () => {
      const tracks = window.trtc && ['ann', 'ben', 'cid', 'dee'].filter((u) => window.trtc.getAudioTrack(u) || window.trtc.getVideoTrack({ userId: u }));
      const users = window.events.filter(([n]) => n === 'remote-user-enter').map(([, p]) => p.userId);
      return { tracks, users };
    });
    assert.deepEqual(got.users, [other], JSON.stringify(got));
    assert.deepEqual(got.tracks, [other], JSON.stringify(got));
  }
  // The beep each page hears is its room-mate's: volumes name only that user.
  const heard = await Promise.all(pages.map((p) => p.evaluate(() => [...new Set(window.events
    .filter(([n]) => n === 'audio-volume').flatMap(([, p]) => p.result.map((r) => r.userId)).filter((u) => u !== ''))])));
  assert.deepEqual(heard, [['ben'], ['ann'], ['dee'], ['cid']]);
  await Promise.all(pages.map((p) => p.close()));
});

test('proxy: a page served by one server enters a room on another', async () => {
  const other = await startServer(['--dev']);
  try {
    const host = await openSdkPage(browser, other.url);
    assert.deepEqual(await enter(host, await devSig(other.url, 'host'), { roomId: 3301 }, PUBLISH), { ok: true });
    const guest = await openSdkPage(browser, server.url); // served by `server`
    const sig = await devSig(other.url, 'guest');
    const r = await guest.evaluate(async ({ sig, url }) => {
      window.trtc = window.TRTC.create();
      window.events = [];
      for (const name of Object.values(window.TRTC.EVENT)) if (name !== 'audio-frame') window.trtc.on(name, (p) => window.events.push([name, JSON.parse(JSON.stringify(p ?? null))]));
      await window.trtc.enterRoom({ ...sig, roomId: 3301, proxy: url });
      return 'ok';
    }, { sig: { sdkAppId: sig.sdkAppId, userId: 'guest', userSig: sig.userSig }, url: other.url });
    assert.equal(r, 'ok');
    await waitEvent(host, 'remote-user-enter', { userId: 'guest' });
    await waitEvent(guest, 'remote-video-available', { userId: 'host' });
    const w = await watch(guest, 'host');
    assert.ok(!w.timeout && w.width > 0, JSON.stringify(w));
    // The page's own server never saw the guest.
    const own = await fetch(new URL('/trtc/dev/drop?userId=guest', server.url));
    assert.equal(own.status, 404, 'not in a room on the page\'s server');
    assert.match(await own.text(), /not in a room/);
    await host.close();
    await guest.close();
  } finally {
    await other.stop();
  }
});

test('publishers in turn: each is decoded on the m-lines the one before left, which stay few', async () => {
  // The server reuses a left publisher's inactive m-lines for the next one's streams, and a
  // video the watcher stops keeps its m-line until another video needs one: the watcher's
  // session keeps 3 m-lines (data, audio, video) for four publishers in turn, and each new
  // publisher is decoded and heard on them, with a TRACK event of its own.
  const w = await openSdkPage(browser, server.url);
  assert.deepEqual(await enter(w, await devSig(server.url, 'watcher'), { roomId: 3005 },
    TRACK_PCS + 'window.trtc.enableAudioVolumeEvaluation(200);'), { ok: true });
  // Every transceiver (stopped ones too) and the m-lines of the server's last offer.
  const session = () => w.evaluate(() => {
    const pcs = window.pcs.filter((pc) => pc.connectionState !== 'closed');
    const sdp = pcs.map((pc) => (pc.remoteDescription ? pc.remoteDescription.sdp : '')).join('');
    return {
      transceivers: pcs.flatMap((pc) => pc.getTransceivers()).length,
      mLines: sdp.split('\r\n').filter((l) => l.startsWith('m=')).length,
      sdp,
    };
  });
  const counts = [];
  for (let i = 0; i < 4; i++) {
    const user = `turn${i}`;
    const p = await openSdkPage(browser, server.url);
    assert.deepEqual(await enter(p, await devSig(server.url, user), { roomId: 3005 }, PUBLISH), { ok: true });
    await waitEvent(w, 'remote-video-available', { userId: user });
    const seen = await watch(w, user);
    assert.ok(!seen.timeout && seen.width > 0, `${user} decoded: ${JSON.stringify(seen)}`);
    assert.ok(await remoteVolume(w, user, 2000) > 0, `${user} heard`);
    await waitEvent(w, 'track', { userId: user, streamType: 'main' });
    const { transceivers, mLines } = await session();
    counts.push([transceivers, mLines]);
    await p.close();
    await waitEvent(w, 'remote-user-exit', { userId: user });
    await w.evaluate((user) => window.trtc.stopRemoteVideo({ userId: user, streamType: 'main' }), user);
  }
  assert.deepEqual(counts, [[2, 3], [2, 3], [2, 3], [2, 3]], '[transceivers, m-lines] while each publisher is watched');

  // Two publishers who stay: the watcher renders one, then the other instead, then the first
  // again: one video m-line is passed between them (each decoded); a stop and a start of the
  // same video at once changes nothing in the session (no offer).
  const stay = [];
  for (const user of ['stay0', 'stay1']) {
    const p = await openSdkPage(browser, server.url);
    assert.deepEqual(await enter(p, await devSig(server.url, user), { roomId: 3005 }, PUBLISH), { ok: true });
    await waitEvent(w, 'remote-video-available', { userId: user });
    stay.push(p);
  }
  const shown = [];
  for (const user of ['stay0', 'stay1', 'stay0']) {
    const seen = await watch(w, user);
    assert.ok(!seen.timeout && seen.width > 0, `${user} decoded: ${JSON.stringify(seen)}`);
    shown.push((await session()).mLines);
    if (user === 'stay1') {
      const before = (await session()).sdp;
      await w.evaluate(async () => {
        await window.trtc.stopRemoteVideo({ userId: 'stay1', streamType: 'main' });
        await window.trtc.startRemoteVideo({ userId: 'stay1', streamType: 'main', view: 'remote-stay1' });
      });
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal((await session()).sdp, before, 'no offer for a stop and a start');
    }
    await w.evaluate((user) => {
      document.getElementById('remote-' + user).remove();
      return window.trtc.stopRemoteVideo({ userId: user, streamType: 'main' });
    }, user);
  }
  // The data channel, two audio m-lines (every remote audio plays), one video m-line.
  assert.deepEqual(shown, [4, 4, 4], 'm-lines while each is rendered in turn');
  for (const p of stay) await p.close();
  await w.close();
});
