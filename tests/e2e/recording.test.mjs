// Cloud recording through the real server (admin API: CreateCloudRecording, Describe…, Modify…,
// Delete…): a two-user call recorded a file per user by FFmpeg, a user who joins (and leaves)
// while it runs gets a file of its own, the recorder is never seen by the room; refused
// requests (unknown room or TaskId, bad fields, recording off, no engine) change nothing; an
// engine killed mid-recording is reported by Describe and the server carries on; Modify's deny
// lists end a user's file; a room without publishers for MaxIdleTime ends the task; a server
// stopped with SIGTERM finishes its files and leaves no engine running.
// Files are checked with ffprobe/ffmpeg: codecs, duration, decodable frames, audible audio.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pageErrors, startServer, launchBrowser, openSdkPage, enter, waitEvent, root } from './harness.mjs';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const TLSSigAPIv2 = require(path.join(root, 'tools/node_modules/tls-sig-api-v2'));
const APP = 1400000777;
const KEY = 'recording-e2e-secret-key-0123456789';
const PUBLISH = 'await window.trtc.startLocalVideo(); await window.trtc.startLocalAudio();';

let server, bare, noEngine, browser, dir;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trtc-rec-'));
  server = await startServer(['--app', `${APP}:${KEY}`, '--record-dir', dir]);
  bare = await startServer(['--app', `${APP}:${KEY}`]);
  noEngine = await startServer(['--app', `${APP}:${KEY}`, '--record-dir', path.join(dir, 'none'), '--ffmpeg', '/nonexistent/ffmpeg']);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await Promise.all([server, bare, noEngine].map((s) => s?.stop()));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the pages');
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sign = (user) => new TLSSigAPIv2.Api(APP, KEY).genUserSig(user, 3600);
const creds = (userId) => ({ sdkAppId: APP, userId, userSig: sign(userId) });
const auth = () => `sdkappid=${APP}&identifier=administrator&usersig=${encodeURIComponent(sign('administrator'))}&random=7`;

async function admin(action, body, on = server, query = auth()) {
  const res = await fetch(new URL(`/trtc/admin/v1/${action}?${query}`, on.url), {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const createBody = (roomId, userId, params = {}) => ({
  SdkAppId: APP, RoomId: String(roomId), UserId: userId, UserSig: sign(userId),
  RecordParams: { RecordMode: 1, ...params },
  StorageParams: {},
});

const describe = async (TaskId) => {
  const r = await admin('DescribeCloudRecording', { SdkAppId: APP, TaskId });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
};

/** Polls Describe until `pred(body)` holds (bounded). */
async function waitTask(TaskId, pred, what, timeout = 20000) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await describe(TaskId);
    if (pred(last)) return last;
    await sleep(200);
  }
  assert.fail(`${what}: the task is ${JSON.stringify(last)}`);
}

const recordingOf = (body, user) => body.StorageFileList.filter((f) => f.UserId === user && f.Engine.State === 'recording');

async function publisher(userId, room) {
  const page = await openSdkPage(browser, server.url);
  assert.deepEqual(await enter(page, creds(userId), { roomId: room }, PUBLISH), { ok: true }, userId);
  return page;
}

async function probe(file) {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_frames', '-show_streams', '-show_format', '-of', 'json', file]);
  return JSON.parse(stdout);
}

async function meanVolume(file) {
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-i', file, '-map', '0:a', '-af', 'volumedetect', '-f', 'null', '-']);
  const m = stderr.match(/mean_volume: (-?[\d.]+) dB/);
  assert.ok(m, `volumedetect said: ${stderr.slice(-500)}`);
  return Number(m[1]);
}

/** Checks one finished file: H.264 + Opus, as long as it was recorded, decodable, audible. */
async function checkFile(f) {
  const file = path.join(dir, f.FileName);
  assert.ok(fs.existsSync(file), `${file} exists`);
  const info = await probe(file);
  const codecs = info.streams.map((s) => s.codec_name).sort();
  assert.deepEqual(codecs, ['h264', 'opus'], `${f.UserId}: streams ${JSON.stringify(codecs)}`);
  const duration = Number(info.format.duration);
  const recorded = (f.EndTimeStamp - f.BeginTimeStamp) / 1000;
  assert.ok(Math.abs(duration - recorded) <= 1, `${f.UserId}: file lasts ${duration} s, recorded ${recorded} s`);
  const video = info.streams.find((s) => s.codec_type === 'video');
  assert.ok(Number(video.nb_read_frames) > 0, `${f.UserId}: video frames ${video.nb_read_frames}`);
  assert.ok(video.width > 0 && video.height > 0, `${f.UserId}: a picture size`);
  const audio = info.streams.find((s) => s.codec_type === 'audio');
  assert.ok(Number(audio.nb_read_frames) > 0, `${f.UserId}: audio frames ${audio.nb_read_frames}`);
  // Every frame decodes: exit 0 and no decoder's error (the null muxer may remark on a repeated
  // timestamp, which is not a decoding error).
  const decode = await run('ffmpeg', ['-v', 'error', '-nostdin', '-i', file, '-f', 'null', '-']);
  const decodeErrors = decode.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('[null @'));
  assert.deepEqual(decodeErrors, [], `${f.UserId}: decoding reported errors`);
  const volume = await meanVolume(file);
  assert.ok(volume > -60, `${f.UserId}: mean volume ${volume} dB (the fake mic beeps)`);
  return { user: f.UserId, duration, recorded, bytes: fs.statSync(file).size, frames: Number(video.nb_read_frames) };
}

test('a call is recorded a file per user; a user who joins and leaves meanwhile gets its own file', async () => {
  const room = 7001;
  const alice = await publisher('alice', room);
  const bob = await publisher('bob', room);
  await waitEvent(alice, 'remote-video-available', { userId: 'bob' }, 15000);
  await waitEvent(bob, 'remote-video-available', { userId: 'alice' }, 15000);

  const created = await admin('CreateCloudRecording', createBody(room, 'recorder_7001'));
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const { TaskId } = created.body;
  assert.match(TaskId, /^[0-9a-f]{32}$/);
  assert.match(created.body.RequestId, /^[0-9a-f-]{36}$/);

  await waitTask(TaskId, (b) => recordingOf(b, 'alice').length === 1 && recordingOf(b, 'bob').length === 1,
    'alice and bob are recorded');
  const t0 = Date.now();
  // A user who comes while the recording runs, and goes before it ends.
  await sleep(2000);
  const carol = await publisher('carol', room);
  const withCarol = await waitTask(TaskId, (b) => recordingOf(b, 'carol').length === 1, 'carol is recorded');
  assert.equal(withCarol.Status, 'InProgress');
  await sleep(4000);
  await carol.close();
  const carolDone = await waitTask(TaskId, (b) => b.StorageFileList.some((f) => f.UserId === 'carol' && f.Engine.State === 'finished'),
    'carol left: her file is finished');
  assert.equal(recordingOf(carolDone, 'alice').length, 1, 'alice is still recorded');
  // The recording window: ~10 s of the call.
  await sleep(Math.max(0, 10000 - (Date.now() - t0)));

  // A figure, not a check: the CPU time the engines took (-c copy: no decoding).
  const live = await describe(TaskId);
  const cpu = live.StorageFileList.filter((f) => f.Engine.State === 'recording').map((f) => {
    const stat = fs.readFileSync(`/proc/${f.Engine.Pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return { user: f.UserId, cpuSeconds: (Number(stat[11]) + Number(stat[12])) / 100, wallSeconds: (Date.now() - f.BeginTimeStamp) / 1000 };
  });
  console.log('engine CPU:', JSON.stringify(cpu));

  const deleted = await admin('DeleteCloudRecording', { SdkAppId: APP, TaskId });
  assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
  assert.equal(deleted.body.TaskId, TaskId);
  const done = await describe(TaskId);
  assert.equal(done.Status, 'Exited');
  assert.equal(done.StorageFileList.length, 3, JSON.stringify(done.StorageFileList));
  assert.deepEqual(done.StorageFileList.map((f) => f.UserId).sort(), ['alice', 'bob', 'carol']);
  for (const f of done.StorageFileList) {
    assert.equal(f.Engine.State, 'finished', JSON.stringify(f));
    assert.equal(f.TrackType, 'audio_video');
    assert.ok(f.FileName.startsWith(`${TaskId}/${APP}_${room}__UserId_s_`), f.FileName);
  }
  const figures = [];
  for (const f of done.StorageFileList) figures.push(await checkFile(f));
  console.log('recorded files:', JSON.stringify(figures));
  const alicesFile = figures.find((f) => f.user === 'alice');
  assert.ok(alicesFile.duration >= 9, `alice recorded for the whole window: ${alicesFile.duration} s`);

  // The recorder was never seen in the room.
  for (const page of [alice, bob]) {
    const seen = await page.evaluate(() => window.events.filter(([n, p]) => n.startsWith('remote-user') && p.userId === 'recorder_7001').length);
    assert.equal(seen, 0, 'no remote-user-enter/exit for the recorder');
  }
  // Deleting again: the task has ended, its report stays.
  assert.equal((await describe(TaskId)).Status, 'Exited');
  await alice.close();
  await bob.close();
});

test('refused recording requests get the API error shape and change nothing', async () => {
  const room = 7002;
  const page = await publisher('dave', room);
  const before = fs.readdirSync(dir).sort();
  const refused = async (action, body, status, code, on = server, query = auth()) => {
    const r = await admin(action, body, on, query);
    assert.equal(r.status, status, `${action} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.Error.Code, code, JSON.stringify(r.body));
    assert.ok(r.body.Error.Message.length > 10, 'a message that says what to do');
    assert.match(r.body.RequestId, /^[0-9a-f-]{36}$/);
  };
  await refused('CreateCloudRecording', createBody(9999, 'rec'), 404, 'FailedOperation.RoomNotExist');
  await refused('CreateCloudRecording', { ...createBody(room, 'rec', { RecordMode: 2 }), MixLayoutParams: { MixLayoutMode: 4 } }, 400, 'UnsupportedOperation.MixLayoutMode');
  await refused('CreateCloudRecording', createBody(room, 'rec', { RecordMode: 7 }), 400, 'InvalidParameter.RecordMode');
  await refused('CreateCloudRecording', createBody(room, 'rec', { StreamType: 5 }), 400, 'InvalidParameter.StreamType');
  await refused('CreateCloudRecording', createBody(room, 'rec', { MaxIdleTime: 100000 }), 400, 'InvalidParameter.MaxIdleTime');
  await refused('CreateCloudRecording', createBody('abc', 'rec'), 400, 'InvalidParameter.RoomId');
  await refused('CreateCloudRecording', { ...createBody(room, 'rec'), UserSig: sign('someone-else') }, 400, 'InvalidParameter.UserSig');
  await refused('CreateCloudRecording', createBody(room, 'dave'), 400, 'InvalidParameter.UserId');
  await refused('CreateCloudRecording', createBody(room, '../../x\n'), 400, 'InvalidParameter.UserId');
  await refused('CreateCloudRecording', createBody(room, 'rec', { SubscribeStreamUserIds: { SubscribeAudioUserIds: Array(33).fill('u') } }),
    400, 'InvalidParameter.SubscribeStreamUserIds');
  await refused('CreateCloudRecording', createBody(room, 'rec'), 401, 'AuthFailure.InvalidAuthorization', server, '');
  for (const action of ['DescribeCloudRecording', 'DeleteCloudRecording']) {
    await refused(action, { SdkAppId: APP, TaskId: '0123456789abcdef0123456789abcdef' }, 404, 'InvalidParameter.TaskId');
    await refused(action, { SdkAppId: APP, TaskId: '../../etc' }, 404, 'InvalidParameter.TaskId');
  }
  await refused('ModifyCloudRecording', { SdkAppId: APP, TaskId: 'feed', SubscribeStreamUserIds: {} }, 404, 'InvalidParameter.TaskId');
  // Recording off (no --record-dir), and no engine (--ffmpeg names no program).
  const other = await openSdkPage(browser, bare.url);
  assert.deepEqual(await enter(other, creds('erin'), { roomId: room }, PUBLISH), { ok: true });
  await refused('CreateCloudRecording', createBody(room, 'rec'), 503, 'FailedOperation.RecordingNotEnabled', bare);
  const third = await openSdkPage(browser, noEngine.url);
  assert.deepEqual(await enter(third, creds('fred'), { roomId: room }, PUBLISH), { ok: true });
  await refused('CreateCloudRecording', createBody(room, 'rec'), 503, 'FailedOperation.EngineUnavailable', noEngine);
  // Nothing changed: no task directory, nobody new in the rooms.
  assert.deepEqual(fs.readdirSync(dir).sort(), before);
  const rooms = await fetch(new URL(`/trtc/admin/v1/rooms?${auth()}`, server.url)).then((r) => r.json());
  assert.deepEqual(rooms.Rooms.find((r) => r.RoomId === room)?.UserIds, ['dave']);
  assert.ok(!rooms.Rooms.some((r) => r.UserIds.includes('rec')), JSON.stringify(rooms.Rooms));
  await Promise.all([page, other, third].map((p) => p.close()));
});

test('an engine killed mid-recording is reported by Describe; the server carries on; Modify and MaxIdleTime', async () => {
  const room = 7003;
  const page = await publisher('gina', room);
  await sleep(500);
  const created = await admin('CreateCloudRecording', createBody(room, 'recorder_7003', { MaxIdleTime: 5 }));
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const { TaskId } = created.body;
  const running = await waitTask(TaskId, (b) => recordingOf(b, 'gina').length === 1, 'gina is recorded');
  const { Pid } = recordingOf(running, 'gina')[0].Engine;
  assert.ok(Pid > 0);
  const { stdout } = await run('pgrep', ['-f', `${TaskId}/`]);
  assert.ok(stdout.split('\n').map(Number).includes(Pid), `pgrep finds the engine ${Pid}: ${stdout}`);
  process.kill(Pid, 'SIGKILL');
  const after = await waitTask(TaskId, (b) => b.StorageFileList.some((f) => f.Engine.State === 'crashed'), 'the crash is reported');
  const crashed = after.StorageFileList.find((f) => f.Engine.State === 'crashed');
  assert.equal(crashed.Engine.Signal, 9);
  assert.ok(crashed.EndTimeStamp >= crashed.BeginTimeStamp);
  assert.ok(after.EngineFailures >= 1);
  // The server still serves, and the task records gina again in a new file.
  const again = await waitTask(TaskId, (b) => recordingOf(b, 'gina').length === 1, 'gina is recorded again');
  assert.equal(again.StorageFileList.length, 2);
  const rooms = await fetch(new URL(`/trtc/admin/v1/rooms?${auth()}`, server.url));
  assert.equal(rooms.status, 200);
  // ModifyCloudRecording: gina on the deny lists ends her file; off them, she is recorded anew.
  const bad = await admin('ModifyCloudRecording', { SdkAppId: APP, TaskId, SubscribeStreamUserIds: { UnSubscribeVideoUserIds: [''] } });
  assert.equal(bad.body.Error?.Code, 'InvalidParameter.SubscribeStreamUserIds', JSON.stringify(bad.body));
  const deny = await admin('ModifyCloudRecording', { SdkAppId: APP, TaskId,
    SubscribeStreamUserIds: { UnSubscribeAudioUserIds: ['gina'], UnSubscribeVideoUserIds: ['gina'] } });
  assert.equal(deny.status, 200, JSON.stringify(deny.body));
  assert.equal(deny.body.TaskId, TaskId);
  const denied = await waitTask(TaskId, (b) => b.StorageFileList.every((f) => f.EndTimeStamp), 'gina is no longer recorded');
  assert.equal(denied.Status, 'Idle');
  const allow = await admin('ModifyCloudRecording', { SdkAppId: APP, TaskId, SubscribeStreamUserIds: {} });
  assert.equal(allow.status, 200, JSON.stringify(allow.body));
  const allowed = await waitTask(TaskId, (b) => recordingOf(b, 'gina').length === 1, 'gina is recorded again after the lists changed');
  assert.equal(allowed.StorageFileList.length, 3);
  // MaxIdleTime: gina leaves; with no publisher for 5 s the task ends by itself.
  await page.close();
  const ended = await waitTask(TaskId, (b) => b.Status === 'Exited', 'the task ends when the room is idle', 20000);
  assert.match(ended.ExitReason, /MaxIdleTime|room is gone|out of the room/);
  const deleted = await admin('DeleteCloudRecording', { SdkAppId: APP, TaskId });
  assert.equal(deleted.status, 200, 'deleting an ended task is fine');
});

test('stopping the server (SIGTERM) finishes the files and leaves no engine behind', async () => {
  const own = await startServer(['--app', `${APP}:${KEY}`, '--record-dir', path.join(dir, 'own')]);
  const page = await openSdkPage(browser, own.url);
  try {
    assert.deepEqual(await enter(page, creds('hana'), { roomId: 7004 }, PUBLISH), { ok: true });
    await sleep(500);
    const created = await admin('CreateCloudRecording', createBody(7004, 'recorder_7004'), own);
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const { TaskId } = created.body;
    const end = Date.now() + 20000;
    let file;
    while (!file && Date.now() < end) {
      const d = await admin('DescribeCloudRecording', { SdkAppId: APP, TaskId }, own);
      file = d.body.StorageFileList?.find((f) => f.Engine.State === 'recording');
      if (!file) await sleep(200);
    }
    assert.ok(file, 'hana is recorded');
    await sleep(3000);
    await own.stop();
    assert.throws(() => process.kill(file.Engine.Pid, 0), { code: 'ESRCH' }, 'the engine is gone');
    const info = await probe(path.join(dir, 'own', file.FileName));
    assert.deepEqual(info.streams.map((s) => s.codec_name).sort(), ['h264', 'opus']);
    assert.ok(Number(info.format.duration) >= 2, `the file was finished: ${info.format.duration} s`);
  } finally {
    await page.close();
  }
});
