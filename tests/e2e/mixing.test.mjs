// Mixed cloud recording (CreateCloudRecording with RecordMode 2) and relay to a CDN
// (StartPublishCdnStream, to FFmpeg as an RTMP server on loopback) through the real server: a
// two-user call recorded ~12 s into one file (H.264 + AAC at the size asked), a third user who
// joins and leaves meanwhile appears in the grid and goes (and in the relay's pushes, before
// and after an UpdatePublishCdnStream to the float layout); a killed encoder is reported by
// Describe and replaced by a new file; bad mixing parameters are refused and change nothing.
// Files are checked with ffprobe/ffmpeg: codecs, size, duration, decodable frames, audible
// audio, and the picture's layout at chosen instants (Describe's MixUsers says who is shown when);
// a shared screen is a source of its own, shown large in the screen-share layout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pageErrors, startServer, launchBrowser, openSdkPage, enter, waitEvent, root } from './harness.mjs';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const TLSSigAPIv2 = require(path.join(root, 'tools/node_modules/tls-sig-api-v2'));
const APP = 1400000778;
const KEY = 'mixing-e2e-secret-key-0123456789';
const PUBLISH = 'await window.trtc.startLocalVideo(); await window.trtc.startLocalAudio();';
const [W, H] = [640, 360];

let server, browser, dir;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trtc-mix-'));
  server = await startServer(['--app', `${APP}:${KEY}`, '--record-dir', dir]);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the pages');
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sign = (user) => new TLSSigAPIv2.Api(APP, KEY).genUserSig(user, 3600);
const creds = (userId) => ({ sdkAppId: APP, userId, userSig: sign(userId) });
const auth = () => `sdkappid=${APP}&identifier=administrator&usersig=${encodeURIComponent(sign('administrator'))}&random=7`;

async function admin(action, body) {
  const res = await fetch(new URL(`/trtc/admin/v1/${action}?${auth()}`, server.url), {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const mixedBody = (roomId, userId, extra = {}) => ({
  SdkAppId: APP, RoomId: String(roomId), UserId: userId, UserSig: sign(userId),
  RecordParams: { RecordMode: 2 },
  MixTranscodeParams: { VideoParams: { Width: W, Height: H, Fps: 15, BitRate: 600000, Gop: 2 }, AudioParams: { SampleRate: 48000, Channel: 2, BitRate: 64000 } },
  MixLayoutParams: { MixLayoutMode: 3 },
  ...extra,
});

const describe = async (TaskId) => {
  const r = await admin('DescribeCloudRecording', { SdkAppId: APP, TaskId });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
};

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

const recording = (b) => b.StorageFileList.filter((f) => f.Engine.State === 'recording');

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

/**
 * How far from black a region (fractions of the picture) of the frame at `t` s is: the mean
 * of |U-128| + |V-128| (0 for black and greys; Chromium's fake camera is green, ~70).
 */
async function colour(file, t, [x0, y0, x1, y1]) {
  const [w, h] = [32, 18]; // the chroma planes of a 64x36 I420 frame
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-nostdin', '-ss', String(t), '-i', file, '-frames:v', '1',
    '-vf', 'scale=64:36:flags=neighbor,format=yuv420p', '-f', 'rawvideo', '-'], { encoding: 'buffer' });
  assert.equal(stdout.length, 64 * 36 + 2 * w * h, `a frame at ${t} s`);
  const [u, v] = [64 * 36, 64 * 36 + w * h];
  let sum = 0, n = 0;
  for (let y = Math.floor(y0 * h); y < Math.floor(y1 * h); y++) {
    for (let x = Math.floor(x0 * w); x < Math.floor(x1 * w); x++) {
      sum += Math.abs(stdout[u + y * w + x] - 128) + Math.abs(stdout[v + y * w + x] - 128);
      n++;
    }
  }
  return sum / n;
}

/** Checks a finished mixed file: one H.264 video at W×H and one AAC audio, as long as it was recorded, decodable, audible. */
async function checkMixed(f) {
  const file = path.join(dir, f.FileName);
  assert.ok(fs.existsSync(file), `${file} exists`);
  const info = await probe(file);
  assert.deepEqual(info.streams.map((s) => s.codec_name).sort(), ['aac', 'h264'], JSON.stringify(info.streams.map((s) => s.codec_name)));
  const video = info.streams.find((s) => s.codec_type === 'video');
  assert.deepEqual([video.width, video.height], [W, H]);
  const duration = Number(info.format.duration);
  const recorded = (f.EndTimeStamp - f.BeginTimeStamp) / 1000;
  assert.ok(Math.abs(duration - recorded) <= 1, `file lasts ${duration} s, recorded ${recorded} s`);
  const frames = Number(video.nb_read_frames);
  assert.ok(Math.abs(frames - 15 * recorded) <= 15, `${frames} frames in ${recorded} s at 15 fps`);
  const audio = info.streams.find((s) => s.codec_type === 'audio');
  assert.equal(Number(audio.sample_rate), 48000);
  assert.equal(audio.channels, 2);
  assert.ok(Number(audio.nb_read_frames) > 0);
  const decode = await run('ffmpeg', ['-v', 'error', '-nostdin', '-i', file, '-f', 'null', '-']);
  const decodeErrors = decode.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('[null @'));
  assert.deepEqual(decodeErrors, [], 'decoding reported errors');
  const volume = await meanVolume(file);
  assert.ok(volume > -60, `mean volume ${volume} dB (the fake mics beep)`);
  return { file, duration, recorded, frames, volume, bytes: fs.statSync(file).size };
}

test('a call is recorded into one mixed file; a user who joins and leaves appears in the grid and goes', async () => {
  const room = 7101;
  const alice = await publisher('alice', room);
  const bob = await publisher('bob', room);
  await waitEvent(alice, 'remote-video-available', { userId: 'bob' }, 15000);
  await waitEvent(bob, 'remote-video-available', { userId: 'alice' }, 15000);

  const created = await admin('CreateCloudRecording', mixedBody(room, 'recorder_7101'));
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const { TaskId } = created.body;
  const live = await waitTask(TaskId, (b) => recording(b).length === 1, 'the mix is recorded');
  assert.equal(live.Status, 'InProgress');
  const begin = live.StorageFileList[0].BeginTimeStamp;
  const at = (ms) => sleep(Math.max(0, begin + ms - Date.now()));
  const shown = (b) => (b.MixUsers || []).filter((u) => u.Picture).map((u) => u.UserId).sort().join();

  await waitTask(TaskId, (b) => shown(b) === 'alice,bob', 'alice and bob are shown');
  const both = Date.now();
  await sleep(1500);
  const carol = await publisher('carol', room);
  await waitTask(TaskId, (b) => shown(b) === 'alice,bob,carol', 'carol is shown');
  const carolIn = Date.now();
  await sleep(2500);
  await carol.close();
  await waitTask(TaskId, (b) => shown(b) === 'alice,bob' && b.MixUsers.length === 2, 'carol has gone from the mix');
  const carolOut = Date.now();
  await at(Math.max(12000, carolOut - begin + 2500));

  const deleted = await admin('DeleteCloudRecording', { SdkAppId: APP, TaskId });
  assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
  const done = await describe(TaskId);
  assert.equal(done.Status, 'Exited');
  assert.equal(done.StorageFileList.length, 1, JSON.stringify(done.StorageFileList));
  const [f] = done.StorageFileList;
  assert.equal(f.Engine.State, 'finished', JSON.stringify(f));
  assert.equal(f.TrackType, 'audio_video');
  assert.equal(f.FileName, `${TaskId}/${APP}_${room}__mix_0.mkv`);
  assert.deepEqual(fs.readdirSync(path.join(dir, TaskId)), [`${APP}_${room}__mix_0.mkv`], 'the decoders\' SDP files are gone');
  assert.equal(done.EngineFailures, 0);
  const figures = await checkMixed(f);
  assert.ok(figures.duration >= 11, `the whole call: ${figures.duration} s`);

  // The layout: alice and bob side by side (16:9 pictures in 320×360 halves: black bars above
  // and below), carol makes it a 2×2 grid (her picture fills the bottom-left cell), and when
  // she has gone it is side by side again. The bottom strip of the left half tells them apart.
  const rel = (wall) => (wall - f.BeginTimeStamp) / 1000;
  const strip = [0.05, 0.85, 0.45, 1];
  const times = { before: rel(both + 700), during: rel(carolIn + 1000), after: rel(carolOut + 1000) };
  const l = {};
  for (const [k, t] of Object.entries(times)) l[k] = await colour(figures.file, t, strip);
  const centres = { left: await colour(figures.file, times.before, [0.1, 0.4, 0.4, 0.6]), right: await colour(figures.file, times.before, [0.6, 0.4, 0.9, 0.6]) };
  console.log('mixed file:', JSON.stringify({ ...figures, times, stripColour: l, centres }));
  assert.ok(l.before < 5, `two users: the bottom of the left half is black (${l.before})`);
  assert.ok(l.during > 30, `three users: a picture in the bottom-left cell (${l.during})`);
  assert.ok(l.after < 5, `carol gone: side by side again (${l.after})`);
  assert.ok(centres.left > 30 && centres.right > 30, `alice and bob are shown: ${JSON.stringify(centres)}`);
  await alice.close();
  await bob.close();
});

test('a killed mixing encoder is reported and replaced; bad mixing parameters are refused', async () => {
  const room = 7102;
  const page = await publisher('dora', room);
  const before = fs.readdirSync(dir).sort();
  for (const [extra, code] of [
    [{ MixTranscodeParams: { VideoParams: { Width: 99999 } } }, 'InvalidParameter.MixTranscodeParams'],
    [{ MixTranscodeParams: { VideoParams: { Width: 641, Height: 360 } } }, 'InvalidParameter.MixTranscodeParams'],
    [{ MixTranscodeParams: { AudioParams: { SampleRate: 8000 } } }, 'InvalidParameter.MixTranscodeParams'],
    [{ MixLayoutParams: { MixLayoutMode: 4 } }, 'UnsupportedOperation.MixLayoutMode'],
    [{ MixLayoutParams: { MixLayoutMode: 7 } }, 'InvalidParameter.MixLayoutMode'],
    [{ RecordParams: { RecordMode: 2, StreamType: 1 } }, 'UnsupportedOperation.StreamType'],
  ]) {
    const r = await admin('CreateCloudRecording', mixedBody(room, 'rec', extra));
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.Error.Code, code, JSON.stringify(r.body));
  }
  assert.deepEqual(fs.readdirSync(dir).sort(), before, 'no task directory');

  const created = await admin('CreateCloudRecording', mixedBody(room, 'recorder_7102', { MixLayoutParams: { MixLayoutMode: 1 } }));
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const { TaskId } = created.body;
  const live = await waitTask(TaskId, (b) => recording(b).length === 1, 'the mix is recorded');
  await sleep(2000);
  process.kill(recording(live)[0].Engine.Pid, 'SIGKILL');
  const again = await waitTask(TaskId, (b) => b.StorageFileList.length === 2 && recording(b).length === 1, 'a new file after the crash');
  assert.equal(again.StorageFileList[0].Engine.State, 'crashed');
  assert.equal(again.StorageFileList[0].Engine.Signal, 9);
  assert.ok(again.EngineFailures >= 1);
  const rooms = await fetch(new URL(`/trtc/admin/v1/rooms?${auth()}`, server.url));
  assert.equal(rooms.status, 200, 'the server carries on');
  await sleep(3000);
  assert.equal((await admin('DeleteCloudRecording', { SdkAppId: APP, TaskId })).status, 200);
  const done = await describe(TaskId);
  const second = done.StorageFileList[1];
  assert.equal(second.Engine.State, 'finished', JSON.stringify(second));
  const info = await probe(path.join(dir, second.FileName));
  assert.deepEqual(info.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
  const duration = Number(info.format.duration);
  const recorded = (second.EndTimeStamp - second.BeginTimeStamp) / 1000;
  assert.ok(Math.abs(duration - recorded) <= 1, `the new file lasts ${duration} s, recorded ${recorded} s`);
  // Float layout, one user: dora fills the canvas.
  assert.ok(await colour(path.join(dir, second.FileName), duration - 0.5, [0.3, 0.3, 0.7, 0.7]) > 30, 'dora is shown');
  await page.close();
});

test('a shared screen is mixed as a source of its own: the screen-share layout shows it large, the cameras in the sidebar', async () => {
  const room = 7104;
  const alice = await publisher('alice', room);
  const bob = await publisher('bob', room);
  await bob.evaluate(() => window.trtc.startScreenShare());
  await waitEvent(alice, 'remote-video-available', { userId: 'bob', streamType: 'sub' }, 15000);
  const created = await admin('CreateCloudRecording', mixedBody(room, 'recorder_7104', { MixLayoutParams: { MixLayoutMode: 2, MaxResolutionUserId: 'bob' } }));
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const { TaskId } = created.body;
  const sources = (b) => (b.MixUsers || []).filter((u) => u.Picture).map((u) => `${u.UserId}/${u.StreamType}`).sort().join();
  await waitTask(TaskId, (b) => sources(b) === 'alice/main,bob/main,bob/sub', 'both cameras and bob\'s screen are shown');
  const sharing = Date.now();
  await sleep(2000);
  await bob.evaluate(() => window.trtc.stopScreenShare());
  await waitTask(TaskId, (b) => sources(b) === 'alice/main,bob/main' && b.MixUsers.length === 2, 'the screen has gone from the mix');
  const stopped = Date.now();
  await sleep(2000);
  assert.equal((await admin('DeleteCloudRecording', { SdkAppId: APP, TaskId })).status, 200);
  const done = await describe(TaskId);
  const [f] = done.StorageFileList;
  assert.equal(f.Engine.State, 'finished', JSON.stringify(f));
  const figures = await checkMixed(f);
  // Three sources: bob's screen in the big place (left), alice's and bob's cameras in the
  // sidebar's first two cells (right quarter, 90 px each). Two: bob's camera is big, one cell.
  const rel = (wall) => (wall - f.BeginTimeStamp) / 1000;
  const big = [0.1, 0.3, 0.6, 0.7];
  const secondCell = [0.8, 0.3, 0.95, 0.45];
  const c = {
    bigSharing: await colour(figures.file, rel(sharing + 700), big),
    cellSharing: await colour(figures.file, rel(sharing + 700), secondCell),
    bigAfter: await colour(figures.file, rel(stopped + 1000), big),
    cellAfter: await colour(figures.file, rel(stopped + 1000), secondCell),
  };
  console.log('screen-share mix:', JSON.stringify({ ...figures, colours: c }));
  assert.ok(c.cellSharing > 30, `sharing: a camera in the sidebar's second cell (${c.cellSharing})`);
  assert.ok(c.cellAfter < 5, `not sharing: the second cell is black (${c.cellAfter})`);
  assert.ok(c.bigAfter > 30, `not sharing: bob's camera is big (${c.bigAfter})`);
  await alice.close();
  await bob.close();
});

/** Whether something listens on TCP `port` (per /proc/net/tcp: no connection made). */
const listening = (port) => fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)
  .some((l) => { const f = l.trim().split(/\s+/); return f[1]?.endsWith(`:${port.toString(16).toUpperCase().padStart(4, '0')}`) && f[3] === '0A'; });

async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

test('a relay pushes the room\'s mix to an RTMP server as H.264 + AAC while users come and go; bad relays are refused', async () => {
  const room = 7103;
  const erin = await publisher('erin', room);
  // The CDN: FFmpeg as an RTMP server on loopback, writing what it gets (one push each).
  const receivers = [];
  async function receive(name) {
    const port = await freePort();
    const url = `rtmp://127.0.0.1:${port}/live/${name}`;
    const out = path.join(dir, `${name}.flv`);
    const proc = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'warning', '-listen', '1', '-i', url, '-c', 'copy', '-y', out],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    const r = { url, out, proc, err: '', exited: new Promise((res) => proc.once('exit', res)) };
    proc.stderr.on('data', (d) => { r.err = (r.err + d).slice(-2000); });
    receivers.push(r);
    const until = Date.now() + 10000;
    while (!listening(port) && Date.now() < until) await sleep(50);
    assert.ok(listening(port), 'the RTMP receiver listens');
    return r;
  }
  const ended = async (r) => {
    const code = await Promise.race([r.exited, sleep(15000).then(() => 'timeout')]);
    assert.equal(code, 0, `the receiver ended with the push: ${r.err}`);
  };
  try {
    const first = await receive('x');
    const { url } = first;

    const startBody = (extra = {}) => ({
      SdkAppId: APP, RoomId: String(room), RoomIdType: 1,
      AgentParams: { UserId: 'relay_7103', UserSig: sign('relay_7103'), MaxIdleTime: 30 },
      WithTranscoding: 1,
      AudioParams: { AudioEncode: { SampleRate: 48000, Channel: 2, BitRate: 64 } },
      VideoParams: { VideoEncode: { Width: W, Height: H, Fps: 15, BitRate: 600, Gop: 2 }, LayoutParams: { MixLayoutMode: 3 } },
      PublishCdnParams: [{ PublishCdnUrl: url, IsTencentCdn: 0 }],
      ...extra,
    });
    const before = fs.readdirSync(dir).sort();
    for (const [action, body, status, code] of [
      ['StartPublishCdnStream', startBody({ RoomId: '9999' }), 404, 'FailedOperation.RoomNotExist'],
      ['StartPublishCdnStream', startBody({ PublishCdnParams: [{ PublishCdnUrl: 'http://127.0.0.1/live/x' }] }), 400, 'InvalidParameter.PublishCdnUrl'],
      ['StartPublishCdnStream', startBody({ PublishCdnParams: [{ PublishCdnUrl: `${url}|file:/tmp/x.flv` }] }), 400, 'InvalidParameter.PublishCdnUrl'],
      ['StartPublishCdnStream', startBody({ PublishCdnParams: [{ PublishCdnUrl: `rtmp://127.0.0.1/${'a'.repeat(600)}` }] }), 400, 'InvalidParameter.PublishCdnUrl'],
      ['StartPublishCdnStream', startBody({ PublishCdnParams: [] }), 400, 'InvalidParameter.PublishCdnParams'],
      ['StartPublishCdnStream', startBody({ WithTranscoding: 0 }), 400, 'InvalidParameter.SingleSubscribeParams'],
      ['StopPublishCdnStream', { SdkAppId: APP, TaskId: '0123456789abcdef0123456789abcdef' }, 404, 'InvalidParameter.TaskId'],
      ['UpdatePublishCdnStream', { SdkAppId: APP, TaskId: '0123456789abcdef0123456789abcdef', SequenceNumber: 1 }, 404, 'InvalidParameter.TaskId'],
    ]) {
      const r = await admin(action, body);
      assert.equal(r.status, status, `${action}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.Error.Code, code, JSON.stringify(r.body));
      assert.match(r.body.RequestId, /^[0-9a-f-]{36}$/);
    }
    assert.deepEqual(fs.readdirSync(dir).sort(), before, 'no task directory');
    assert.ok(first.proc.exitCode === null, `nothing was pushed to the receiver: ${first.err}`);

    const started = await admin('StartPublishCdnStream', startBody());
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const { TaskId } = started.body;
    const shown = (b) => (b.MixUsers || []).filter((u) => u.Picture).map((u) => u.UserId).sort().join();
    const live = await waitTask(TaskId, (b) => recording(b).length === 1 && shown(b) === 'erin', 'erin is pushed');
    assert.equal(live.StorageFileList[0].FileName, url);
    const erinAlone = Date.now();
    await sleep(1500);
    const fay = await publisher('fay', room);
    await waitTask(TaskId, (b) => shown(b) === 'erin,fay', 'fay is in the mix');
    const both = Date.now();
    await sleep(2000);
    // Refused while it runs, changing nothing: a bad URL, the recording API's Delete.
    const badUpdate = await admin('UpdatePublishCdnStream', { SdkAppId: APP, TaskId, SequenceNumber: 1, PublishCdnParams: [{ PublishCdnUrl: 'rtmp://' }] });
    assert.equal(badUpdate.body.Error?.Code, 'InvalidParameter.PublishCdnUrl', JSON.stringify(badUpdate.body));
    const wrongApi = await admin('DeleteCloudRecording', { SdkAppId: APP, TaskId });
    assert.equal(wrongApi.body.Error?.Code, 'InvalidParameter.TaskId', JSON.stringify(wrongApi.body));
    const still = await describe(TaskId);
    assert.deepEqual([still.Status, still.StorageFileList.length, recording(still)[0]?.Engine.Pid], ['InProgress', 1, live.StorageFileList[0].Engine.Pid]);
    // Update: the float layout with erin large, pushed to another server.
    const second = await receive('y');
    const updated = await admin('UpdatePublishCdnStream', { SdkAppId: APP, TaskId, SequenceNumber: 2,
      VideoParams: { VideoEncode: { Width: W, Height: H, Fps: 15, BitRate: 600, Gop: 2 },
        LayoutParams: { MixLayoutMode: 1, MaxVideoUser: { UserMediaStream: { UserInfo: { UserId: 'erin' } } } } },
      PublishCdnParams: [{ PublishCdnUrl: second.url }] });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    await ended(first);
    const moved = await waitTask(TaskId, (b) => recording(b).length === 1 && b.StorageFileList.length === 2, 'the push starts again');
    assert.equal(moved.StorageFileList[1].FileName, second.url);
    await sleep(2500);
    const floating = Date.now();
    await erin.close();
    await waitTask(TaskId, (b) => shown(b) === 'fay' && b.MixUsers.length === 1, 'erin has left the mix');
    const fayAlone = Date.now();
    await sleep(2000);
    const stopped = await admin('StopPublishCdnStream', { SdkAppId: APP, TaskId });
    assert.equal(stopped.status, 200, JSON.stringify(stopped.body));
    const done = await describe(TaskId);
    assert.equal(done.Status, 'Exited');
    const [push, push2] = done.StorageFileList;
    assert.equal(push.Engine.State, 'finished', JSON.stringify(push));
    assert.equal(push2.Engine.State, 'finished', JSON.stringify(push2));
    await ended(second);

    const out = first.out;
    const info = await probe(out);
    assert.deepEqual(info.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    const video = info.streams.find((s) => s.codec_type === 'video');
    assert.deepEqual([video.width, video.height], [W, H]);
    const duration = Number(info.format.duration);
    const pushed = (push.EndTimeStamp - push.BeginTimeStamp) / 1000;
    assert.ok(Math.abs(duration - pushed) <= 1.5, `received ${duration} s of a ${pushed} s push`);
    // One user fills the height (4:3 in 16:9: pillarboxed); two are side by side (black below).
    const rel = (wall) => (wall - push.BeginTimeStamp) / 1000;
    const strip = [0.05, 0.85, 0.45, 1];
    const times = { erin: rel(erinAlone + 700), both: rel(both + 1000) };
    const c = {};
    for (const [k, t] of Object.entries(times)) c[k] = await colour(out, t, strip);
    // The second push: float, erin large (pillarboxed, full height), fay in the bottom-right
    // window; then fay alone.
    const info2 = await probe(second.out);
    assert.deepEqual(info2.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    const [duration2, pushed2] = [Number(info2.format.duration), (push2.EndTimeStamp - push2.BeginTimeStamp) / 1000];
    assert.ok(Math.abs(duration2 - pushed2) <= 1.5, `received ${duration2} s of the second ${pushed2} s push`);
    const rel2 = (wall) => (wall - push2.BeginTimeStamp) / 1000;
    const corner = [0.9, 0.86, 0.96, 0.99]; // right of erin's picture, inside the window
    const c2 = {
      floatStrip: await colour(second.out, rel2(floating - 500), strip),
      floatCorner: await colour(second.out, rel2(floating - 500), corner),
      fay: await colour(second.out, rel2(fayAlone + 1000), strip),
      sideBySideCorner: await colour(out, times.both, corner),
    };
    console.log('relay:', JSON.stringify({ duration, pushed, duration2, pushed2, times, stripColour: c, second: c2, bytes: fs.statSync(out).size }));
    assert.ok(c.erin > 30, `erin alone fills the height (${c.erin})`);
    assert.ok(c.both < 5, `erin and fay side by side (${c.both})`);
    assert.ok(c2.sideBySideCorner < 5, `side by side: nothing in the bottom-right corner (${c2.sideBySideCorner})`);
    assert.ok(c2.floatStrip > 30 && c2.floatCorner > 30, `float: erin large, fay in the corner window (${JSON.stringify(c2)})`);
    assert.ok(c2.fay > 30, `fay alone after erin left (${c2.fay})`);
    await fay.close();
  } finally {
    for (const r of receivers) if (r.proc.exitCode === null) r.proc.kill('SIGKILL');
    await erin.close().catch(() => {});
  }
});
