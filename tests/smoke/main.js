// Smoke app: the published package as a Vite user consumes it.
// ?roomId=&userId= → enters the room and renders every remote video into #remote.
import TRTC from 'trtc-wasm';

const q = new URLSearchParams(location.search);
const userId = q.get('userId') || 'vite';
const roomId = Number(q.get('roomId') || 7700);

window.smoke = { entered: false, remoteVideo: null, error: null };
const status = (s) => { document.title = `vite smoke: ${s}`; };

const trtc = TRTC.create();
window.trtc = trtc;
trtc.on(TRTC.EVENT.REMOTE_VIDEO_AVAILABLE, ({ userId: remote, streamType }) => {
  trtc.startRemoteVideo({ userId: remote, streamType, view: 'remote' }).then(() => {
    window.smoke.remoteVideo = remote;
    status(`rendering ${remote}`);
  }, (e) => {
    window.smoke.error = `startRemoteVideo: ${e.code} ${e.message}`;
    status('error');
  });
});

try {
  const res = await fetch(`/trtc/dev/usersig?userId=${encodeURIComponent(userId)}`);
  if (!res.ok) throw new Error(`dev usersig: HTTP ${res.status}`);
  const { sdkAppId, userSig } = await res.json();
  await trtc.enterRoom({ sdkAppId, userId, userSig, roomId });
  window.smoke.entered = true;
  if (!window.smoke.remoteVideo) status('entered');
} catch (e) {
  window.smoke.error = `enterRoom: ${e.code ?? ''} ${e.message}`;
  status('error');
}
