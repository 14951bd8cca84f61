import { assert, eq, rejects, nextEvent, collect, makeView, framesAdvance, waitFor } from './helpers.js';

export async function previewRendersFrames(TRTC) {
  const trtc = TRTC.create();
  const view = makeView('local-preview');
  const first = nextEvent(trtc, TRTC.EVENT.FIRST_VIDEO_FRAME, 5000);
  const active = nextEvent(trtc, TRTC.EVENT.DEVICE_CHANGED, 5000);
  const playing = nextEvent(trtc, TRTC.EVENT.VIDEO_PLAY_STATE_CHANGED, 5000, (e) => e.state === 'PLAYING');
  await trtc.startLocalVideo({ view: 'local-preview' });
  const video = view.querySelector('video');
  assert(video, 'the SDK put a <video> in the view');
  await framesAdvance(video);
  eq([video.videoWidth, video.videoHeight], [640, 480], 'default profile 480p_2 is 640x480');
  const f = await first;
  eq([f.userId, f.streamType, f.width, f.height], ['', 'main', 640, 480], 'FIRST_VIDEO_FRAME');
  const d = await active;
  eq([d.type, d.action], ['camera', 'active'], 'DEVICE_CHANGED');
  assert(d.device.label.startsWith('fake_device'), 'the device that was opened: ' + d.device.label);
  const p = await playing;
  eq([p.type, p.userId, p.streamType, p.state, p.reason], ['video', '', 'main', 'PLAYING', 'playing'], 'VIDEO_PLAY_STATE_CHANGED');
  eq(video.style.objectFit, 'cover', 'default fillMode');
  eq(video.style.transform, 'scaleX(-1)', 'default mirror mirrors the preview');
  eq(video.muted, true, 'local preview is muted');
  const track = trtc.getVideoTrack();
  assert(track instanceof MediaStreamTrack && track.readyState === 'live', 'getVideoTrack() is the live camera');
  eq(trtc.getVideoTrack({ userId: '', streamType: 'main' }), track, 'getVideoTrack({userId:""})');
  eq(trtc.getVideoTrack({ userId: 'someone' }), null, 'no remote user here');
  const stopped = nextEvent(trtc, TRTC.EVENT.VIDEO_PLAY_STATE_CHANGED, 2000, (e) => e.state === 'STOPPED');
  await trtc.stopLocalVideo();
  eq(track.readyState, 'ended', 'stop ends the camera track');
  eq(view.querySelector('video'), null, 'stop removes the <video>');
  eq((await stopped).reason, 'ended', 'STOPPED reason');
  eq(trtc.getVideoTrack(), null, 'no track after stop');
  await trtc.stopLocalVideo();
  trtc.destroy();
  view.remove();
}

export async function viewForms(TRTC) {
  const trtc = TRTC.create();
  // An element, fill mode and no mirror.
  const el = makeView();
  await trtc.startLocalVideo({ view: el, option: { fillMode: 'contain', mirror: false, profile: '360p' } });
  const v = el.querySelector('video');
  await framesAdvance(v);
  eq([v.style.objectFit, v.style.transform], ['contain', 'none'], 'fillMode contain, mirror false');
  eq([v.videoWidth, v.videoHeight], [640, 360], 'profile 360p');
  // Move it to two views, change fill and mirror live.
  const a = makeView(), b = makeView();
  await trtc.updateLocalVideo({ view: [a, b], option: { fillMode: 'fill', mirror: 'both' } });
  eq(el.querySelector('video'), null, 'old view emptied');
  for (const c of [a, b]) {
    const vv = c.querySelector('video');
    assert(vv, 'a video in each view');
    await framesAdvance(vv);
    eq([vv.style.objectFit, vv.style.transform], ['fill', 'scaleX(-1)'], 'updated fill and mirror');
  }
  // view: null keeps capturing without rendering.
  await trtc.updateLocalVideo({ view: null });
  eq([a.querySelector('video'), b.querySelector('video')], [null, null], 'no render with view null');
  eq(trtc.getVideoTrack().readyState, 'live', 'still capturing');
  await trtc.stopLocalVideo();
  // Start with no view at all; custom profile object.
  await trtc.startLocalVideo({ option: { profile: { width: 320, height: 240, frameRate: 10, bitrate: 300 } } });
  const s = trtc.getVideoTrack().getSettings();
  eq([s.width, s.height], [320, 240], 'custom profile applied');
  // Change profile live.
  await trtc.updateLocalVideo({ option: { profile: '720p' } });
  const s2 = trtc.getVideoTrack().getSettings();
  eq([s2.width, s2.height], [1280, 720], 'profile switched to 720p');
  // An unknown profile key is ignored (as trtc-sdk-v5 does): the current profile stays.
  await trtc.updateLocalVideo({ option: { profile: 'no-such-profile' } });
  eq(trtc.getVideoTrack().getSettings().width, 1280, 'unknown key ignored');
  trtc.destroy();
}

export async function customTrack(TRTC) {
  const trtc = TRTC.create();
  const stream = await navigator.mediaDevices.getUserMedia({ video: true });
  const mine = stream.getVideoTracks()[0];
  const view = makeView();
  await trtc.startLocalVideo({ view, option: { videoTrack: mine } });
  eq(trtc.getVideoTrack(), mine, 'the app track is used as is');
  await framesAdvance(view.querySelector('video'));
  await trtc.stopLocalVideo();
  eq(mine.readyState, 'live', 'the app owns its track: the SDK does not stop it');
  mine.stop();
  trtc.destroy();
}

export async function cameraSwitch(TRTC) {
  const trtc = TRTC.create();
  const cams = await TRTC.getCameraList();
  assert(cams.length >= 2, 'two fake cameras (device-count=2)');
  const view = makeView();
  const changes = collect(trtc, TRTC.EVENT.DEVICE_CHANGED);
  await trtc.startLocalVideo({ view, option: { cameraId: cams[0].deviceId } });
  const t0 = trtc.getVideoTrack();
  eq(t0.getSettings().deviceId, cams[0].deviceId, 'opened the named camera');
  await trtc.updateLocalVideo({ option: { cameraId: cams[1].deviceId } });
  const t1 = trtc.getVideoTrack();
  eq(t1.getSettings().deviceId, cams[1].deviceId, 'switched to the second camera');
  eq(t0.readyState, 'ended', 'the first camera was released');
  await framesAdvance(view.querySelector('video'));
  eq(view.querySelectorAll('video').length, 1, 'one video element throughout');
  await waitFor(() => changes.length >= 2, 3000, 'two DEVICE_CHANGED');
  eq(changes.map((c) => [c.type, c.action, c.device.deviceId]),
    [['camera', 'active', cams[0].deviceId], ['camera', 'active', cams[1].deviceId]], 'DEVICE_CHANGED on start and switch');
  // A bad cameraId fails with 5300/5304 and the current camera keeps running and previewing.
  await rejects(trtc.updateLocalVideo({ option: { cameraId: 'no-such-camera' } }), 5300, 5304, 'updateLocalVideo');
  eq(trtc.getVideoTrack(), t1, 'same track after the failed switch');
  eq(t1.readyState, 'live', 'still live');
  await framesAdvance(view.querySelector('video'));
  trtc.destroy();
}

export async function muteVideo(TRTC) {
  const trtc = TRTC.create();
  const view = makeView();
  await trtc.startLocalVideo({ view });
  await framesAdvance(view.querySelector('video'));
  const paused = nextEvent(trtc, TRTC.EVENT.VIDEO_PLAY_STATE_CHANGED, 2000, (e) => e.state === 'PAUSED');
  await trtc.updateLocalVideo({ mute: true });
  eq(trtc.getVideoTrack().enabled, false, 'muted: the track sends black');
  eq((await paused).reason, 'mute', 'PAUSED reason mute');
  const resumed = nextEvent(trtc, TRTC.EVENT.VIDEO_PLAY_STATE_CHANGED, 2000, (e) => e.state === 'PLAYING');
  await trtc.updateLocalVideo({ mute: false });
  eq(trtc.getVideoTrack().enabled, true, 'unmuted');
  eq((await resumed).reason, 'unmute', 'PLAYING reason unmute');
  trtc.destroy();
}

export async function useFrontCamera(TRTC) {
  // Record what the SDK asks getUserMedia for.
  const md = navigator.mediaDevices;
  const real = md.getUserMedia;
  const asked = [];
  md.getUserMedia = (c) => { asked.push(JSON.parse(JSON.stringify(c))); return real.call(md, c); };
  try {
    const trtc = TRTC.create();
    const rows = [[true, 'user'], [false, 'environment']];
    for (const [front, facing] of rows) {
      asked.length = 0;
      const view = makeView();
      await trtc.startLocalVideo({ view, option: { useFrontCamera: front } });
      eq(asked[0] && asked[0].video && asked[0].video.facingMode, facing, `useFrontCamera ${front}`);
      eq(asked[0].video.deviceId, undefined, 'no device named');
      await framesAdvance(view.querySelector('video'));
      await trtc.stopLocalVideo();
    }
    // A named camera wins over useFrontCamera.
    const cams = await TRTC.getCameraList();
    asked.length = 0;
    await trtc.startLocalVideo({ view: null, option: { cameraId: cams[1].deviceId, useFrontCamera: true } });
    eq(trtc.getVideoTrack().getSettings().deviceId, cams[1].deviceId, 'the named camera');
    trtc.destroy();
  } finally {
    md.getUserMedia = real;
  }
}
