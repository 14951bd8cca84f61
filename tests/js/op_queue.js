import { assert, eq, rejects, failGetUserMedia, makeView, framesAdvance } from './helpers.js';

function settle(p) { return p.then((v) => ({ ok: true, v }), (e) => ({ ok: false, e })); }

export async function duplicateStart(TRTC) {
  const trtc = TRTC.create();
  const spy = failGetUserMedia('none', 0);
  try {
    const [a, b] = await Promise.all([settle(trtc.startLocalVideo()), settle(trtc.startLocalVideo())]);
    assert(a.ok, 'the first start resolves');
    assert(!b.ok && b.e.code === 5998, 'the duplicate start is aborted with 5998');
    assert(b.e.message.includes('duplicate start'), b.e.message);
    eq(spy.calls.length, 1, 'the camera was opened once');
    // Start again once started: resolves without capturing again.
    await trtc.startLocalVideo();
    eq(spy.calls.length, 1, 'no second capture');
  } finally {
    spy.restore();
  }
  trtc.destroy();
}

export async function stopDuringStart(TRTC) {
  const trtc = TRTC.create();
  const opened = [];
  const md = navigator.mediaDevices, real = md.getUserMedia.bind(md);
  md.getUserMedia = async (c) => { const s = await real(c); opened.push(...s.getTracks()); return s; };
  try {
    const start = settle(trtc.startLocalVideo({ view: makeView() }));
    const stop = settle(trtc.stopLocalVideo());
    const [a, b] = await Promise.all([start, stop]);
    assert(!a.ok && a.e.code === 5998, 'stop during a pending start aborts it (5998)');
    assert(b.ok, 'the stop resolves');
    assert(opened.length >= 1, 'the camera was being opened');
    for (const t of opened) eq(t.readyState, 'ended', 'what the aborted start opened was released');
    eq(trtc.getVideoTrack(), null, 'no camera');
    eq(document.querySelectorAll('[data-trtc-video]').length, 0, 'no preview element');
    // And a later start works.
    await trtc.startLocalVideo();
    eq(trtc.getVideoTrack().readyState, 'live', 'restart works');
  } finally {
    md.getUserMedia = real;
  }
  trtc.destroy();
}

export async function updatesAreSerialised(TRTC) {
  const trtc = TRTC.create();
  await rejects(trtc.updateLocalVideo({ option: { fillMode: 'fill' } }), 5998, undefined, 'updateLocalVideo');
  await rejects(trtc.updateLocalAudio({ mute: true }), 5998, undefined, 'updateLocalAudio');
  const view = makeView();
  const cams = await TRTC.getCameraList();
  // start + several updates issued together run in order; the last camera wins.
  const ops = [
    trtc.startLocalVideo({ view }),
    trtc.updateLocalVideo({ option: { cameraId: cams[1].deviceId } }),
    trtc.updateLocalVideo({ option: { fillMode: 'contain' } }),
    trtc.updateLocalVideo({ option: { cameraId: cams[0].deviceId } }),
  ];
  await Promise.all(ops);
  eq(trtc.getVideoTrack().getSettings().deviceId, cams[0].deviceId, 'the last switch wins');
  eq(view.querySelectorAll('video').length, 1, 'one preview');
  eq(view.querySelector('video').style.objectFit, 'contain', 'the fill update applied');
  await framesAdvance(view.querySelector('video'));
  // stop, then an update: the update is refused.
  const stop = trtc.stopLocalVideo();
  const upd = settle(trtc.updateLocalVideo({ option: { fillMode: 'fill' } }));
  await stop;
  const u = await upd;
  assert(!u.ok && u.e.code === 5998, 'update after a stop is aborted');
  trtc.destroy();
}
