// Smoke app: the published package as an app consumes it, bundled from the npm-packed tarball by
// Vite 5, Vite 7, webpack 5 and esbuild, each at its default settings (scripts/prepare-smoke.sh).
// No top-level await, here or in the package: every default target takes it.
// ?roomId=&userId= → enters the room and renders every remote video into #remote.
import TRTC, { RtcError } from 'trtc-wasm';

const q = new URLSearchParams(location.search);
const userId = q.get('userId') || 'smoke';
const roomId = Number(q.get('roomId') || 7700);

window.smoke = { entered: false, remoteVideo: null, error: null, rtcError: null };
const status = (s) => { document.title = `smoke: ${s}`; };

// On the line after the import, before the module is ready: the calls run once it is.
const trtc = TRTC.create();
window.trtc = trtc;
window.smoke.sync = {
  event: TRTC.EVENT.REMOTE_VIDEO_AVAILABLE,
  code: TRTC.ERROR_CODE.ENV_NOT_SUPPORTED,
  version: TRTC.VERSION,
  chained: trtc.on(TRTC.EVENT.ERROR, (e) => { window.smoke.error = `ERROR event: ${e.code} ${e.message}`; }) === trtc,
};
trtc.on(TRTC.EVENT.REMOTE_VIDEO_AVAILABLE, ({ userId: remote, streamType }) => {
  trtc.startRemoteVideo({ userId: remote, streamType, view: 'remote' }).then(() => {
    window.smoke.remoteVideo = remote;
    status(`rendering ${remote}`);
  }, (e) => {
    window.smoke.error = `startRemoteVideo: ${e.code} ${e.message}`;
    status('error');
  });
});
// Rejections are the package's RtcError.
trtc.startRemoteVideo({}).catch((e) => { window.smoke.rtcError = [e instanceof RtcError, e.code]; });

fetch(`/trtc/dev/usersig?userId=${encodeURIComponent(userId)}`)
  .then((res) => {
    if (!res.ok) throw new Error(`dev usersig: HTTP ${res.status}`);
    return res.json();
  })
  .then(({ sdkAppId, userSig }) => trtc.enterRoom({ sdkAppId, userId, userSig, roomId }))
  .then(() => {
    window.smoke.entered = true;
    if (!window.smoke.remoteVideo) status('entered');
  }, (e) => {
    window.smoke.error = `enterRoom: ${e.code ?? ''} ${e.message}`;
    status('error');
  });
