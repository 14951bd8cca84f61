// The admin REST API through the real server: RemoveUser kicks a user out (KICKED_OUT banned, the
// others see REMOTE_USER_EXIT reason 2), DismissRoom ends a room for everyone (KICKED_OUT
// room_disband), the same by strRoomId; refused requests (no auth, another app, unknown room…)
// change nothing. Admin userSigs come from Tencent's npm generator (tls-sig-api-v2).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pageErrors, startServer, launchBrowser, openSdkPage, enter, waitEvent, root, TRACK_PCS } from './harness.mjs';

const require = createRequire(import.meta.url);
const TLSSigAPIv2 = require(path.join(root, 'tools/node_modules/tls-sig-api-v2'));
const APP = 1400000555;
const KEY = 'admin-e2e-secret-key-0123456789';
const OTHER_APP = 1400000556;
const OTHER_KEY = 'admin-e2e-other-key';

let server, browser;
before(async () => {
  server = await startServer(['--app', `${APP}:${KEY}`, '--app', `${OTHER_APP}:${OTHER_KEY}`]);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the pages');
});

const sign = (app, key, user, expire = 3600) => new TLSSigAPIv2.Api(app, key).genUserSig(user, expire);
const creds = (userId) => ({ sdkAppId: APP, userId, userSig: sign(APP, KEY, userId) });
/** The admin query string, as TRTC's server API takes it. */
const auth = (app = APP, key = KEY, identifier = 'administrator') =>
  `sdkappid=${app}&identifier=${identifier}&usersig=${encodeURIComponent(sign(app, key, identifier))}&random=${Math.floor(Math.random() * 4294967295)}`;

async function admin(action, body, query = auth()) {
  const res = await fetch(new URL(`/trtc/admin/v1/${action}?${query}`, server.url), {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function rooms(query = auth()) {
  const res = await fetch(new URL(`/trtc/admin/v1/rooms?${query}`, server.url));
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.Rooms;
}

/** Polls the room list until `pred(rooms)` holds. */
async function waitRooms(pred, what, timeout = 10000) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await rooms();
    if (pred(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what}: room list is ${JSON.stringify(last)}`);
}

/** Opens one page per user and enters them into `room` in order; each sees all the others. */
async function fill(users, room, before = {}) {
  const pages = [];
  for (const u of users) {
    const page = await openSdkPage(browser, server.url);
    assert.deepEqual(await enter(page, creds(u), room, before[u] || ''), { ok: true }, u);
    pages.push(page);
  }
  for (const [i, page] of pages.entries()) {
    for (const u of users.filter((_, j) => j > i)) await waitEvent(page, 'remote-user-enter', { userId: u });
  }
  return pages;
}

const count = (page, name, match = {}) => page.evaluate(({ name, match }) => window.events.filter(([n, p]) =>
  n === name && Object.entries(match).every(([k, v]) => p && p[k] === v)).length, { name, match });

async function closeAll(pages) {
  await Promise.all(pages.map((p) => p.close()));
  await waitRooms((r) => r.length === 0, 'every page closed');
}

test('RemoveUser: the user is kicked out (banned), the others see it exit (reason 2), it can enter again', async () => {
  const [alice, bob, carol] = await fill(['alice', 'bob', 'carol'], { roomId: 3001 },
    { alice: TRACK_PCS + 'await window.trtc.startLocalVideo();' });
  for (const page of [bob, carol]) await waitEvent(page, 'remote-video-available', { userId: 'alice' });
  assert.deepEqual(await rooms(), [{ RoomId: 3001, UserIds: ['alice', 'bob', 'carol'] }]);

  const r = await admin('RemoveUser', { SdkAppId: APP, RoomId: 3001, UserIds: ['alice'] });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(typeof r.body.RequestId, 'string');
  assert.equal(r.body.Error, undefined);

  await waitEvent(alice, 'kicked-out', { reason: 'banned' });
  for (const page of [bob, carol]) {
    await waitEvent(page, 'remote-user-exit', { userId: 'alice', reason: 2 });
    // Her published video is gone for everyone, before her exit.
    const order = await page.evaluate(() => window.events.filter(([n, p]) => p && p.userId === 'alice' &&
      ['remote-video-unavailable', 'remote-user-exit'].includes(n)).map(([n]) => n));
    assert.deepEqual(order, ['remote-video-unavailable', 'remote-user-exit']);
  }
  await alice.waitForFunction(() => window.pcs.length > 0 && window.pcs.every((pc) => pc.signalingState === 'closed'), null, { timeout: 5000 });
  assert.equal(await count(bob, 'kicked-out'), 0);
  // Out of the room, but her camera keeps running.
  assert.equal(await alice.evaluate(() => window.trtc.getVideoTrack().readyState), 'live');
  const states = await alice.evaluate(() => window.events.filter(([n]) => n === 'connection-state-changed').map(([, p]) => p.state));
  assert.equal(states.at(-1), 'DISCONNECTED');
  assert.deepEqual(await rooms(), [{ RoomId: 3001, UserIds: ['bob', 'carol'] }]);

  // She can enter again (a userSig is not revoked by RemoveUser); the others see her come back.
  assert.deepEqual(await enter(alice, creds('alice'), { roomId: 3001 }), { ok: true });
  for (const page of [bob, carol]) {
    await page.waitForFunction(() => window.events.filter(([n, p]) => n === 'remote-user-enter' && p.userId === 'alice').length === 2);
  }
  assert.deepEqual(await rooms(), [{ RoomId: 3001, UserIds: ['bob', 'carol', 'alice'] }]);
  await closeAll([alice, bob, carol]);
});

test('DismissRoom: every member is kicked out (room_disband) and the room is gone', async () => {
  const pages = await fill(['dan', 'eve', 'fay'], { roomId: 3002 });
  const r = await admin('DismissRoom', { SdkAppId: APP, RoomId: 3002 });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  for (const page of pages) await waitEvent(page, 'kicked-out', { reason: 'room_disband' });
  assert.deepEqual(await rooms(), []);
  // Dismissed again: the room does not exist any more.
  const again = await admin('DismissRoom', { SdkAppId: APP, RoomId: 3002 });
  assert.equal(again.status, 404);
  assert.equal(again.body.Error.Code, 'FailedOperation.RoomNotExist');
  // Entering again starts a new room.
  assert.deepEqual(await enter(pages[0], creds('dan'), { roomId: 3002 }), { ok: true });
  assert.deepEqual(await rooms(), [{ RoomId: 3002, UserIds: ['dan'] }]);
  await closeAll(pages);
});

test('by strRoomId: RemoveUserByStrRoomId and DismissRoomByStrRoomId leave roomId 3003 alone', async () => {
  const str = await fill(['gus', 'hal', 'ida'], { strRoomId: '3003' });
  const [num] = await fill(['jon'], { roomId: 3003 });
  assert.deepEqual(await rooms(), [
    { RoomId: 3003, UserIds: ['jon'] },
    { StrRoomId: '3003', UserIds: ['gus', 'hal', 'ida'] },
  ]);
  // Tencent's field for the string room is RoomId (a string); StrRoomId is accepted too.
  const r = await admin('RemoveUserByStrRoomId', { SdkAppId: APP, RoomId: '3003', UserIds: ['hal'] });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await waitEvent(str[1], 'kicked-out', { reason: 'banned' });
  for (const page of [str[0], str[2]]) await waitEvent(page, 'remote-user-exit', { userId: 'hal', reason: 2 });
  const d = await admin('DismissRoomByStrRoomId', { SdkAppId: APP, StrRoomId: '3003' });
  assert.equal(d.status, 200, JSON.stringify(d.body));
  for (const page of [str[0], str[2]]) await waitEvent(page, 'kicked-out', { reason: 'room_disband' });
  assert.equal(await count(str[1], 'kicked-out'), 1, 'hal was kicked once');
  assert.deepEqual(await rooms(), [{ RoomId: 3003, UserIds: ['jon'] }]);
  assert.equal(await count(num, 'kicked-out'), 0);
  assert.equal(await count(num, 'remote-user-exit'), 0);
  await closeAll([...str, num]);
});

test('refused requests (no auth, bad or other app userSig, unknown room or user) change nothing', async () => {
  const pages = await fill(['kim', 'lea'], { roomId: 3004 });
  const list = await rooms();
  const good = sign(APP, KEY, 'administrator');
  // Tamper inside the compressed document (the middle), not in its trailing checksum bytes,
  // which a change may leave with the same signed content.
  const mid = Math.floor(good.length / 2);
  const forged = good.slice(0, mid) + (good[mid] === 'A' ? 'B' : 'A') + good.slice(mid + 1);
  const remove = { SdkAppId: APP, RoomId: 3004, UserIds: ['kim'] };
  const expired = sign(APP, KEY, 'administrator', 1);
  await new Promise((r) => setTimeout(r, 2100)); // let the 1-second userSig expire
  const rows = [
    ['no auth', 'RemoveUser', remove, '', 401, 'AuthFailure.InvalidAuthorization'],
    ['no usersig', 'DismissRoom', { SdkAppId: APP, RoomId: 3004 }, `sdkappid=${APP}&identifier=administrator&random=1`, 401, 'AuthFailure.InvalidAuthorization'],
    ['forged userSig', 'RemoveUser', remove, `sdkappid=${APP}&identifier=administrator&usersig=${encodeURIComponent(forged)}&random=1`, 403, 'AuthFailure.SignatureFailure'],
    ['expired userSig', 'RemoveUser', remove, `sdkappid=${APP}&identifier=administrator&usersig=${encodeURIComponent(expired)}`, 403, 'AuthFailure.SignatureExpire'],
    ["another app's admin userSig", 'DismissRoom', { SdkAppId: APP, RoomId: 3004 }, `sdkappid=${APP}&identifier=administrator&usersig=${encodeURIComponent(sign(OTHER_APP, OTHER_KEY, 'administrator'))}`, 403, 'UnauthorizedOperation.SdkAppId'],
    ['body for another app than the userSig', 'DismissRoom', { SdkAppId: APP, RoomId: 3004 }, auth(OTHER_APP, OTHER_KEY), 403, 'UnauthorizedOperation.SdkAppId'],
    ["a user's userSig", 'RemoveUser', remove, auth(APP, KEY, 'lea'), 403, 'AuthFailure.UnauthorizedOperation'],
    ['unknown room', 'DismissRoom', { SdkAppId: APP, RoomId: 3005 }, auth(), 404, 'FailedOperation.RoomNotExist'],
    ['strRoomId "3004" is another room', 'DismissRoomByStrRoomId', { SdkAppId: APP, RoomId: '3004' }, auth(), 404, 'FailedOperation.RoomNotExist'],
    ['unknown user (with a known one)', 'RemoveUser', { SdkAppId: APP, RoomId: 3004, UserIds: ['kim', 'zed'] }, auth(), 404, 'FailedOperation.UserNotExist'],
  ];
  for (const [what, action, body, query, status, code] of rows) {
    const r = await admin(action, body, query);
    assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.Error.Code, code, what);
    assert.ok(r.body.Error.Message.length > 20, `${what}: a message that says why: ${r.body.Error.Message}`);
    assert.deepEqual(await rooms(), list, `${what}: room list unchanged`);
  }
  // The other app's admin sees only its own (empty) room list.
  assert.deepEqual(await rooms(auth(OTHER_APP, OTHER_KEY)), []);
  // That a refused request kicks no one is shown on the host, with no waiting: the registry's
  // admin refusals return no effect at all (crates/trtc-server/tests/registry/admin.rs).
  for (const page of pages) {
    assert.equal(await count(page, 'kicked-out'), 0);
    assert.equal(await count(page, 'remote-user-exit'), 0);
  }
  await closeAll(pages);
});
