import { assert, eq, rejects, makeView, framesAdvance, failGetUserMedia } from './helpers.js';

// Every DOMException row of the table, for the camera and the microphone.
const ROWS = [
  ['NotFoundError', 5301], ['NotReadableError', 5303], ['OverconstrainedError', 5304],
  ['InvalidStateError', 5305], ['SecurityError', 5306], ['AbortError', 5307], ['TypeError', 5300],
];
const RETRIED = ['NotReadableError', 'OverconstrainedError', 'AbortError'];

export async function everyRow(TRTC) {
  const trtc = TRTC.create();
  for (const [name, extra] of ROWS) {
    for (const [fn, start] of [['startLocalVideo', (o) => trtc.startLocalVideo(o)], ['startLocalAudio', (o) => trtc.startLocalAudio(o)]]) {
      const stub = failGetUserMedia(name);
      try {
        const err = await rejects(start(), 5300, extra, fn);
        assert(err.originError instanceof DOMException && err.originError.name === name, `originError is the ${name}`);
        assert(err.message.includes(fn === 'startLocalVideo' ? 'camera' : 'microphone'), 'message names the device: ' + err.message);
        // No device was named: retried with looser constraints, the last attempt takes any device.
        const want = RETRIED.includes(name) ? 4 : 1;
        eq(stub.calls.length, want, `${fn} ${name} attempts`);
        if (want === 4) {
          const kind = fn === 'startLocalVideo' ? 'video' : 'audio';
          eq(stub.calls[3][kind], true, 'last attempt: any device');
        }
      } finally {
        stub.restore();
      }
    }
  }
  // Nothing was left running, and a later start works.
  eq(trtc.getVideoTrack(), null, 'no camera after the failures');
  await trtc.startLocalVideo();
  eq(trtc.getVideoTrack().readyState, 'live', 'start works afterwards');
  trtc.destroy();
}

export async function retryThenSucceed(TRTC) {
  const trtc = TRTC.create();
  const stub = failGetUserMedia('NotReadableError', 1);
  try {
    const view = makeView();
    await trtc.startLocalVideo({ view });
    eq(stub.calls.length, 2, 'one failure then a success');
    eq(stub.calls[1].video.frameRate.ideal, 10, 'the retry lowers the frame rate');
    await framesAdvance(view.querySelector('video'));
  } finally {
    stub.restore();
  }
  trtc.destroy();
}

export async function namedDeviceNeverSwitches(TRTC) {
  const trtc = TRTC.create();
  // A real OverconstrainedError from a non-existent exact deviceId.
  const spy = failGetUserMedia('none', 0);
  try {
    await rejects(trtc.startLocalVideo({ option: { cameraId: 'no-such-camera' } }), 5300, 5304, 'startLocalVideo');
    eq(spy.calls.length, 3, 'retried with lower frame rate, then the device alone');
    for (const c of spy.calls) eq(c.video.deviceId, { exact: 'no-such-camera' }, 'every attempt keeps the named camera');
    spy.calls.length = 0;
    await rejects(trtc.startLocalAudio({ option: { microphoneId: 'no-such-mic' } }), 5300, 5304, 'startLocalAudio');
    for (const c of spy.calls) eq(c.audio.deviceId, { exact: 'no-such-mic' }, 'every attempt keeps the named microphone');
  } finally {
    spy.restore();
  }
  eq([trtc.getVideoTrack(), trtc.getAudioTrack()], [null, null], 'nothing opened');
  trtc.destroy();
}

export async function failedSwitchKeepsCurrent(TRTC) {
  const trtc = TRTC.create();
  const view = makeView();
  await trtc.startLocalVideo({ view });
  const before = trtc.getVideoTrack();
  const stub = failGetUserMedia('NotReadableError');
  try {
    const cams = await TRTC.getCameraList(false);
    await rejects(trtc.updateLocalVideo({ option: { cameraId: cams[1].deviceId } }), 5300, 5303, 'updateLocalVideo');
  } finally {
    stub.restore();
  }
  eq(trtc.getVideoTrack(), before, 'same camera');
  eq(before.readyState, 'live', 'still running');
  await framesAdvance(view.querySelector('video'));
  trtc.destroy();
}
