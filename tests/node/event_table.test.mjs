// The event table: each of trtc-sdk-v5's 31 TRTC.EVENT keys with the browser test that shows it
// firing with the reference payload, or why it does not fire yet. Fails when a key is missing,
// when a named test does not exist or does not look for the event, when the SDK emits an event
// marked "not yet" (its test must be named here), or when an event with a test is not emitted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const surface = JSON.parse(readFileSync(path.join(root, 'reference/trtc-sdk-v5-surface.json'), 'utf8'));

const T = (file, title) => ({ file, title });
const NOT_YET = (why) => ({ notYet: why });

export const EVENT_TABLE = {
  ERROR: T('resilience', 'when the server never comes back, the SDK gives up with ERROR 5502 and leaves'),
  AUTOPLAY_FAILED: T('autoplay', 'AUTOPLAY_FAILED fires for each user, the prompt shows, and one real click resumes them all'),
  KICKED_OUT: T('room_signalling', 'a second entry of the same userId kicks the first (KICKED_OUT kick)'),
  REMOTE_USER_ENTER: T('room_signalling', 'two users see each other enter, publish, mute and exit'),
  REMOTE_USER_EXIT: T('room_signalling', 'two users see each other enter, publish, mute and exit'),
  REMOTE_AUDIO_AVAILABLE: T('room_signalling', 'two users see each other enter, publish, mute and exit'),
  REMOTE_AUDIO_UNAVAILABLE: T('room_signalling', 'two users see each other enter, publish, mute and exit'),
  REMOTE_VIDEO_AVAILABLE: T('room_signalling', 'two users see each other enter, publish, mute and exit'),
  REMOTE_VIDEO_UNAVAILABLE: T('room_signalling', 'two users see each other enter, publish, mute and exit'),
  AUDIO_VOLUME: T('room_media', 'two pages: decoded video and audible audio both ways through the SFU'),
  AUDIO_FRAME: T('experimental', 'AUDIO_FRAME: 40 ms of PCM at the asked rate and channels, local and remote; TRACK for each track'),
  NETWORK_QUALITY: T('quality_stats', 'two publishing pages: quality 1–2 with loopback RTT, statistics that follow the media'),
  CONNECTION_STATE_CHANGED: T('room_signalling', 'two users see each other enter, publish, mute and exit'),
  AUDIO_PLAY_STATE_CHANGED: T('room_media', 'two pages: decoded video and audible audio both ways through the SFU'),
  VIDEO_PLAY_STATE_CHANGED: T('room_media', 'two pages: decoded video and audible audio both ways through the SFU'),
  SCREEN_SHARE_STOPPED: T('screen_share', 'the share ended from its track: SCREEN_SHARE_STOPPED, the sub stream goes, sharing again shows frames'),
  DEVICE_CHANGED: T('device_and_size_events', 'DEVICE_CHANGED active for the camera and microphone that capture starts on'),
  PUBLISH_STATE_CHANGED: T('room_media', 'two pages: decoded video and audible audio both ways through the SFU'),
  TRACK: T('experimental', 'AUDIO_FRAME: 40 ms of PCM at the asked rate and channels, local and remote; TRACK for each track'),
  STATISTICS: T('quality_stats', 'two publishing pages: quality 1–2 with loopback RTT, statistics that follow the media'),
  SEI_MESSAGE: T('sei', 'SEI messages reach a subscriber of the main and the sub stream with their bytes; a page without enableSEI plays as before'),
  CUSTOM_MESSAGE: T('custom_message', 'custom messages reach everyone else in the room, in order, and no other room'),
  VIDEO_DECODE_DOWNGRADE_STATE_CHANGED: NOT_YET('undocumented: trtc-sdk-v5 fires it when it falls back from hardware to software H.264 decoding; the browser decodes what the SFU forwards itself'),
  LAYER_DATA: NOT_YET('undocumented: the virtual-background plugin\'s data; plugins are not implemented'),
  FIRST_VIDEO_FRAME: T('room_media', 'two pages: decoded video and audible audio both ways through the SFU'),
  PERMISSION_STATE_CHANGE: T('devices', 'PERMISSION_STATE_CHANGE when the camera or microphone permission changes'),
  VIDEO_SIZE_CHANGED: T('device_and_size_events', 'VIDEO_SIZE_CHANGED when the sender switches profile: remote and local views'),
  REALTIME_TRANSCRIBER_MESSAGE: NOT_YET('real-time transcription is a Tencent cloud service; out of scope'),
  REALTIME_TRANSCRIBER_STATE_CHANGED: NOT_YET('real-time transcription is a Tencent cloud service; out of scope'),
  PICTURE_IN_PICTURE_STATE_CHANGED: T('experimental', 'pauseRemotePlayer stops the remote video, resumeRemotePlayer plays it; picture-in-picture and full screen'),
  FULL_SCREEN_STATE_CHANGED: T('experimental', 'pauseRemotePlayer stops the remote video, resumeRemotePlayer plays it; picture-in-picture and full screen'),
};

/** The Rust sources of the SDK, concatenated. */
function sdkSources() {
  const out = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.rs')) out.push(readFileSync(p, 'utf8'));
    }
  };
  walk(path.join(root, 'src'));
  return out.join('\n');
}

test('every TRTC.EVENT key is in the table, in the reference order', () => {
  assert.deepEqual(Object.keys(EVENT_TABLE), Object.keys(surface.events));
  assert.equal(Object.keys(EVENT_TABLE).length, 31);
});

test('each event with a test: the test exists and looks for the event', () => {
  for (const [key, row] of Object.entries(EVENT_TABLE)) {
    if (row.notYet) continue;
    const file = path.join(root, 'tests/e2e', `${row.file}.test.mjs`);
    const text = readFileSync(file, 'utf8');
    const quoted = [`'${row.title}'`, `"${row.title}"`].some((q) => text.includes(`test(${q}`));
    assert.ok(quoted, `${key}: ${row.file}.test.mjs has no test '${row.title}'`);
    const name = surface.events[key];
    assert.ok(text.includes(`'${name}'`) || text.includes(`"${name}"`) || text.includes(`EVENT.${key}`),
      `${key}: ${row.file}.test.mjs never names '${name}'`);
  }
});

test('the SDK emits exactly the events that have a test', () => {
  const src = sdkSources();
  for (const [key, row] of Object.entries(EVENT_TABLE)) {
    const emitted = src.includes(`event::${key}`);
    if (row.notYet) {
      assert.ok(!emitted, `${key} is emitted by the SDK: name the test that shows it firing (not yet: ${row.notYet})`);
    } else {
      assert.ok(emitted, `${key} has a test but the SDK does not emit it`);
    }
  }
});
