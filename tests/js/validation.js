import { assert, eq, rejects, makeView, framesAdvance } from './helpers.js';

export async function parameterErrors(TRTC) {
  const trtc = TRTC.create();
  const rows = [
    ['startLocalVideo', () => trtc.startLocalVideo({ view: 'no-such-element' }), 5009],
    ['startLocalVideo', () => trtc.startLocalVideo({ view: 42 }), 5002],
    ['startLocalVideo', () => trtc.startLocalVideo('camera'), 5002],
    ['startLocalVideo', () => trtc.startLocalVideo({ option: { fillMode: 'stretch' } }), 5005],
    ['startLocalVideo', () => trtc.startLocalVideo({ option: { mirror: 'left' } }), 5005],
    ['startLocalVideo', () => trtc.startLocalVideo({ option: { cameraId: 7 } }), 5002],
    ['startLocalVideo', () => trtc.startLocalVideo({ option: { videoTrack: 'track' } }), 5002],
    ['startLocalVideo', () => trtc.startLocalVideo({ option: { profile: { width: 320 } } }), 5001],
    ['startLocalVideo', () => trtc.startLocalVideo({ publish: 'yes' }), 5002],
    ['updateLocalVideo', () => trtc.updateLocalVideo(), 5001],
    ['startLocalAudio', () => trtc.startLocalAudio({ option: { captureVolume: -1 } }), 5006],
    ['startLocalAudio', () => trtc.startLocalAudio({ option: { earMonitorVolume: 101 } }), 5008],
    ['startLocalAudio', () => trtc.startLocalAudio({ option: { profile: 'ultra' } }), 5005],
    ['startLocalAudio', () => trtc.startLocalAudio({ mute: 'speaker' }), 5005],
    ['startLocalAudio', () => trtc.startLocalAudio({ option: { microphoneId: false } }), 5002],
    ['updateLocalAudio', () => trtc.updateLocalAudio(), 5001],
  ];
  for (const [fn, call, extra] of rows) {
    const p = call();
    assert(p instanceof Promise, `${fn} returns a promise even for bad input (no sync throw)`);
    await rejects(p, 5000, extra, fn);
  }
  const e = await rejects(trtc.startLocalVideo({ option: { fillMode: 'stretch' } }), 5000, 5005, 'startLocalVideo');
  eq(e.message, "'fillMode' must be one of contain|cover|fill when calling startLocalVideo(), received: stretch.", 'TRTC message format');
  eq(String(e).startsWith('INVALID_PARAMETER: '), true, 'name is the code key');
  const own = Object.keys(e);
  for (const k of ['message', 'name', 'code', 'extraCode', 'functionName', 'data', 'handler', 'originError']) {
    assert(own.includes(k), `own enumerable field ${k}`);
  }
  eq(trtc.getVideoTrack(), null, 'nothing was captured by a rejected call');
  trtc.destroy();
}

export async function badInputLeavesStateIntact(TRTC) {
  const trtc = TRTC.create();
  const view = makeView();
  await trtc.startLocalVideo({ view, option: { fillMode: 'contain' } });
  const track = trtc.getVideoTrack();
  await rejects(trtc.updateLocalVideo({ view: 'missing-view', option: { fillMode: 'fill' } }), 5000, 5009, 'updateLocalVideo');
  await rejects(trtc.updateLocalVideo({ option: { fillMode: 'bogus' } }), 5000, 5005, 'updateLocalVideo');
  const v = view.querySelector('video');
  assert(v, 'the preview is still there');
  eq(v.style.objectFit, 'contain', 'fill mode unchanged');
  eq(trtc.getVideoTrack(), track, 'same track');
  await framesAdvance(v);
  trtc.destroy();
}

export async function eventApiArguments(TRTC) {
  const trtc = TRTC.create();
  let err;
  try { trtc.on(TRTC.EVENT.ERROR, 'not a function'); } catch (e) { err = e; }
  eq([err && err.code, err && err.extraCode], [5000, 5002], 'on() with a non-function throws');
  trtc.destroy();
}

export async function roomParameterErrors(TRTC) {
  const trtc = TRTC.create();
  const base = { sdkAppId: 1400000001, userId: 'alice', userSig: 'sig' };
  const rows = [
    [undefined, 5000, 5001],
    [{ userId: 'a', userSig: 's', roomId: 1 }, 5000, 5001],
    [{ ...base, sdkAppId: 0, roomId: 1 }, 5000, 5003],
    [{ ...base, sdkAppId: '1400', roomId: 1 }, 5000, 5002],
    [{ ...base, userId: '  ', roomId: 1 }, 5000, 5003],
    [{ ...base, userSig: '', roomId: 1 }, 5000, 5003],
    [{ ...base, roomId: 1, scene: 'meeting' }, 5000, 5005],
    [{ ...base, roomId: 1, role: 'host' }, 5000, 5005],
    [{ ...base, roomId: '123' }, 5000, 5016],
    [{ ...base, roomId: 1.5 }, 5000, 5013],
    [{ ...base, roomId: 4294967295 }, 5000, 5013],
    [{ ...base, roomId: -1 }, 5000, 5013],
    [{ ...base, strRoomId: 'café' }, 5000, 5012],
    [{ ...base, strRoomId: 'x'.repeat(65) }, 5000, 5012],
    [{ ...base }, 5000, 5015],
    [{ ...base, roomId: 0 }, 5000, 5015],
    [{ ...base, strRoomId: '' }, 5000, 5015],
  ];
  for (const [params, code, extra] of rows) {
    const e = await rejects(trtc.enterRoom(params), code, extra, 'enterRoom');
    if (extra === 5013) assert(e.message.startsWith("'EnterRoomConfig' must be an integer between [1, 4294967294]"), e.message);
  }
  // Nothing listens on port 9: the connection fails fast with OPERATION_FAILED, naming the URL.
  const e = await rejects(trtc.enterRoom({ ...base, roomId: 1, proxy: 'ws://127.0.0.1:9' }), 5500, undefined, 'enterRoom');
  assert(e.message.includes('ws://127.0.0.1:9/trtc/ws'), e.message);
  // The server can also be set once, in TRTC.create().
  const viaCreate = TRTC.create({ proxy: { websocketProxy: 'ws://127.0.0.1:9' } });
  const e2 = await rejects(viaCreate.enterRoom({ ...base, roomId: 1 }), 5500, undefined, 'enterRoom');
  assert(e2.message.includes('ws://127.0.0.1:9/trtc/ws'), e2.message);
  viaCreate.destroy();
  // Remote APIs before entering a room.
  await rejects(trtc.startRemoteVideo({ userId: 'bob', streamType: 'main', view: null }), 5100, 5101, 'startRemoteVideo');
  await rejects(trtc.startRemoteVideo({ userId: 'bob' }), 5000, 5001, 'startRemoteVideo');
  await rejects(trtc.startRemoteVideo({ userId: 'bob', streamType: 'big' }), 5000, 5005, 'startRemoteVideo');
  await rejects(trtc.stopRemoteVideo({ userId: 'bob' }), 5000, 5014, 'stopRemoteVideo');
  await trtc.stopRemoteVideo({ userId: '*' });
  await rejects(trtc.muteRemoteAudio(5, true), 5000, 5002, 'muteRemoteAudio');
  await rejects(trtc.muteRemoteAudio('bob'), 5000, 5001, 'muteRemoteAudio');
  await trtc.muteRemoteAudio('bob', true); // allowed before entering
  let err;
  try { trtc.setRemoteAudioVolume('bob', -1); } catch (x) { err = x; }
  eq([err && err.code, err && err.extraCode], [5000, 5007], 'setRemoteAudioVolume throws synchronously');
  trtc.setRemoteAudioVolume('*', 150);
  await trtc.exitRoom(); // resolves when not in a room
  trtc.destroy();
  await rejects(trtc.enterRoom({ ...base, roomId: 1 }), 5100, undefined, 'enterRoom');
}
