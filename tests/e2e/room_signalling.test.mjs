// Rooms through the real server: presence, stream availability, mute, exit, separate rooms.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pageErrors, startServer, launchBrowser, openSdkPage, devSig, enter, waitEvent, eventNames, TRACK_PCS } from './harness.mjs';

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

test('two users see each other enter, publish, mute and exit', async () => {
  const a = await openSdkPage(browser, server.url);
  const b = await openSdkPage(browser, server.url);
  const sa = await devSig(server.url, 'alice');
  const sb = await devSig(server.url, 'bob');
  // Alice starts her camera and microphone before entering: they are published on join.
  assert.deepEqual(await enter(a, sa, { roomId: 1001 },
    'await window.trtc.startLocalVideo(); await window.trtc.startLocalAudio();'), { ok: true });
  assert.deepEqual(await enter(b, sb, { roomId: 1001 }), { ok: true });
  await waitEvent(b, 'remote-user-enter', { userId: 'alice' });
  await waitEvent(b, 'remote-audio-available', { userId: 'alice' });
  await waitEvent(b, 'remote-video-available', { userId: 'alice', streamType: 'main' });
  await waitEvent(a, 'remote-user-enter', { userId: 'bob' });
  const states = await a.evaluate(() => window.events.filter(([n]) => n === 'connection-state-changed').map(([, p]) => p.state));
  assert.deepEqual(states, ['CONNECTING', 'CONNECTED']);
  const publish = await a.evaluate(() => window.events.filter(([n]) => n === 'publish-state-changed').map(([, p]) => [p.mediaType, p.state]));
  assert.ok(publish.some(([m, s]) => m === 'video' && s === 'starting'), JSON.stringify(publish));

  // Bob publishes after entering.
  await b.evaluate(() => window.trtc.startLocalAudio());
  await waitEvent(a, 'remote-audio-available', { userId: 'bob' });

  // Mute round trip.
  await a.evaluate(() => window.trtc.updateLocalVideo({ mute: true }));
  await waitEvent(b, 'remote-video-unavailable', { userId: 'alice' });
  await a.evaluate(() => window.trtc.updateLocalVideo({ mute: false }));
  await b.waitForFunction(() => window.events.filter(([n, p]) => n === 'remote-video-available' && p.userId === 'alice').length === 2);
  await a.evaluate(() => window.trtc.updateLocalAudio({ mute: true }));
  await waitEvent(b, 'remote-audio-unavailable', { userId: 'alice' });
  await a.evaluate(() => window.trtc.updateLocalAudio({ mute: false }));
  await b.waitForFunction(() => window.events.filter(([n, p]) => n === 'remote-audio-available' && p.userId === 'alice').length === 2);

  // Bob stops his microphone: Alice sees it unavailable.
  await b.evaluate(() => window.trtc.stopLocalAudio());
  await waitEvent(a, 'remote-audio-unavailable', { userId: 'bob' });

  // Entering again while in the room is refused.
  const again = await enter(a, sa, { roomId: 1001 });
  assert.deepEqual([again.code, again.extraCode], [5100, 5104]);

  // Alice exits: Bob sees her video go, then her exit (reason 0). Her capture keeps running.
  await a.evaluate(() => window.trtc.exitRoom());
  await waitEvent(b, 'remote-user-exit', { userId: 'alice', reason: 0 });
  const order = await eventNames(b, ['remote-video-unavailable', 'remote-user-exit']);
  assert.deepEqual(order.slice(-2), [['remote-video-unavailable', 'alice'], ['remote-user-exit', 'alice']]);
  assert.equal(await a.evaluate(() => window.trtc.getVideoTrack().readyState), 'live');
  // exitRoom twice is fine; enterRoom works again.
  await a.evaluate(() => window.trtc.exitRoom());
  assert.deepEqual(await enter(a, sa, { roomId: 1001 }), { ok: true });
  await b.waitForFunction(() => window.events.filter(([n, p]) => n === 'remote-user-enter' && p.userId === 'alice').length === 2);
  await a.close();
  // A closed tab leaves at once (the SDK sends its exit on pagehide): a normal exit, reason 0,
  // not a vanished client removed by the server's timeout (reason 1, 90 s later).
  await b.waitForFunction(() => window.events.filter(([n, p]) => n === 'remote-user-exit' && p.userId === 'alice').length === 2,
    null, { timeout: 5000 });
  const exits = await b.evaluate(() => window.events.filter(([n, p]) => n === 'remote-user-exit' && p.userId === 'alice').map(([, p]) => p.reason));
  assert.deepEqual(exits, [0, 0]);
  await b.close();
});

test('rooms are separate: roomId 1002, strRoomId "1002" and room 1003', async () => {
  const pages = await Promise.all([0, 1, 2, 3].map(() => openSdkPage(browser, server.url)));
  const rooms = [{ roomId: 1002 }, { strRoomId: '1002' }, { roomId: 1003 }, { roomId: 1002 }];
  for (let i = 0; i < 4; i++) {
    assert.deepEqual(await enter(pages[i], await devSig(server.url, `u${i}`), rooms[i]), { ok: true });
  }
  await waitEvent(pages[0], 'remote-user-enter', { userId: 'u3' });
  // That no event ever crosses rooms is shown on the host (crates/trtc-server/tests/registry/
  // lifecycle.rs, rooms are separate namespaces); here: none by the time u0 saw u3.
  for (const i of [1, 2]) {
    const enters = await eventNames(pages[i], ['remote-user-enter']);
    assert.deepEqual(enters, [], `page ${i} saw no one`);
  }
  const seen = await eventNames(pages[3], ['remote-user-enter']);
  assert.deepEqual(seen, [['remote-user-enter', 'u0']]);
  await Promise.all(pages.map((p) => p.close()));
});

test('a second entry of the same userId kicks the first (KICKED_OUT kick)', async () => {
  const first = await openSdkPage(browser, server.url);
  const second = await openSdkPage(browser, server.url);
  const sig = await devSig(server.url, 'carol');
  assert.deepEqual(await enter(first, sig, { roomId: 1004 }, TRACK_PCS + 'await window.trtc.startLocalAudio();'), { ok: true });
  await first.waitForFunction(() => window.pcs.length > 0);
  assert.deepEqual(await enter(second, sig, { roomId: 1004 }), { ok: true });
  await waitEvent(first, 'kicked-out', { reason: 'kick' });
  // The kicked client is cleanly out: its peer connection closed, DISCONNECTED, its microphone
  // still capturing (as after exitRoom).
  await first.waitForFunction(() => window.pcs.every((pc) => pc.signalingState === 'closed'), null, { timeout: 5000 });
  const after = await first.evaluate(() => ({
    mic: window.trtc.getAudioTrack().readyState,
    state: window.events.filter(([n]) => n === 'connection-state-changed').map(([, p]) => p.state).at(-1),
  }));
  assert.deepEqual(after, { mic: 'live', state: 'DISCONNECTED' });
  // It can enter again.
  assert.deepEqual(await enter(first, await devSig(server.url, 'carol2'), { roomId: 1004 }), { ok: true });
  await waitEvent(second, 'remote-user-enter', { userId: 'carol2' });
  await first.close();
  await second.close();
});

test('pagehide (the tab is closing) leaves the room like exitRoom()', async () => {
  const a = await openSdkPage(browser, server.url);
  const b = await openSdkPage(browser, server.url);
  assert.deepEqual(await enter(a, await devSig(server.url, 'hana'), { roomId: 1005 }), { ok: true });
  assert.deepEqual(await enter(b, await devSig(server.url, 'ivan'), { roomId: 1005 }), { ok: true });
  await waitEvent(b, 'remote-user-enter', { userId: 'hana' });
  // The event the browser fires as a tab closes; the page itself stays open here, so what the SDK
  // did is visible: it told the server (Ivan sees a normal exit) and is out of the room.
  await a.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false })));
  await waitEvent(b, 'remote-user-exit', { userId: 'hana', reason: 0 });
  const states = await a.evaluate(() => window.events.filter(([n]) => n === 'connection-state-changed').map(([, p]) => p.state));
  assert.equal(states.at(-1), 'DISCONNECTED');
  assert.deepEqual(await enter(a, await devSig(server.url, 'hana'), { roomId: 1005 }), { ok: true });
  await a.close();
  await b.close();
});
