import { assert, eq, rejects } from './helpers.js';

// Runs without --use-fake-ui-for-media-stream: the browser denies capture.
export async function deniedPermission(TRTC) {
  const trtc = TRTC.create();
  const v = await rejects(trtc.startLocalVideo(), 5300, 5302, 'startLocalVideo');
  eq(v.originError.name, 'NotAllowedError', 'originError');
  assert(/permission/i.test(v.message), 'the message says permission was denied: ' + v.message);
  await rejects(trtc.startLocalAudio(), 5300, 5302, 'startLocalAudio');
  eq([trtc.getVideoTrack(), trtc.getAudioTrack()], [null, null], 'nothing captured');
  const p = await TRTC.getPermissions({ request: true });
  assert(p.camera !== 'granted' && p.microphone !== 'granted', 'not granted: ' + JSON.stringify(p));
  trtc.destroy();
}
