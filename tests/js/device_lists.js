import { assert, eq, rejects, nextEvent } from './helpers.js';

export async function listsHaveLabels(TRTC) {
  const cameras = await TRTC.getCameraList();
  const mics = await TRTC.getMicrophoneList();
  const speakers = await TRTC.getSpeakerList();
  console.log('devices', JSON.stringify({ cameras, mics, speakers }));
  assert(cameras.length >= 1, 'at least one camera');
  assert(mics.length >= 1, 'at least one microphone');
  for (const d of [...cameras, ...mics, ...speakers]) {
    assert(typeof d.deviceId === 'string' && d.deviceId.length > 0, 'deviceId');
    assert(typeof d.label === 'string' && d.label.length > 0, 'label');
    assert(typeof d.groupId === 'string', 'groupId');
  }
  for (const c of cameras) eq(c.kind, 'videoinput', 'camera kind');
  for (const m of mics) eq(m.kind, 'audioinput', 'mic kind');
  for (const s of speakers) eq(s.kind, 'audiooutput', 'speaker kind');
  // The lists match what the browser reports.
  const real = await navigator.mediaDevices.enumerateDevices();
  eq(cameras.map((c) => c.deviceId), real.filter((d) => d.kind === 'videoinput').map((d) => d.deviceId), 'camera ids');
  // A plain object, with the label the browser gave.
  eq(cameras[0].label, real.find((d) => d.kind === 'videoinput').label, 'label from the browser');
  // requestPermission=false still lists (labels are there once permission was granted).
  const again = await TRTC.getCameraList(false);
  eq(again.length, cameras.length, 'same count without requesting permission');
  await rejects(TRTC.getCameraList('yes'), 5000, 5002, 'getCameraList');
}

export async function permissionsAreReported(TRTC) {
  const both = await TRTC.getPermissions({ request: true });
  eq(both, { camera: 'granted', microphone: 'granted' }, 'both granted with the fake UI');
  const cam = await TRTC.getPermissions({ types: ['camera'], request: false });
  eq(cam, { camera: 'granted', microphone: null }, 'only the camera asked');
  const dflt = await TRTC.getPermissions();
  eq(dflt, { camera: 'granted', microphone: 'granted' }, 'no argument = both, request');
  await rejects(TRTC.getPermissions({ types: ['screen'] }), 5000, 5005, 'getPermissions');
}

export async function currentSpeaker(TRTC) {
  const trtc = TRTC.create();
  await rejects(TRTC.setCurrentSpeaker(''), 5000, 5003, 'setCurrentSpeaker');
  await rejects(TRTC.setCurrentSpeaker('no-such-speaker'), 5300, 5301, 'setCurrentSpeaker');
  const speakers = await TRTC.getSpeakerList();
  if (speakers.length > 0) {
    const ev = nextEvent(trtc, TRTC.EVENT.DEVICE_CHANGED, 2000, (e) => e.type === 'speaker');
    await TRTC.setCurrentSpeaker(speakers[0].deviceId);
    const e = await ev;
    eq([e.type, e.action, e.device.deviceId], ['speaker', 'active', speakers[0].deviceId], 'DEVICE_CHANGED');
  }
  trtc.destroy();
}
