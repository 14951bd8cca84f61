// A small app written for Tencent's trtc-sdk-v5, unchanged: it enters the room named in the URL
// and shows the first remote user's video. Its build aliases 'trtc-sdk-v5' to 'trtc-wasm'.
import TRTC from 'trtc-sdk-v5';

const q = new URLSearchParams(location.search);
const state = document.getElementById('state');
const trtc = TRTC.create();

trtc.on(TRTC.EVENT.REMOTE_VIDEO_AVAILABLE, ({ userId, streamType }) => {
  trtc.startRemoteVideo({ userId, streamType, view: 'remote' });
  state.textContent = `watching ${userId}`;
});
trtc.on(TRTC.EVENT.ERROR, (e) => { state.textContent = `error ${e.code}`; });

trtc
  .enterRoom({
    sdkAppId: Number(q.get('sdkAppId')),
    userId: q.get('userId'),
    userSig: q.get('userSig'),
    roomId: Number(q.get('roomId')),
  })
  .then(() => { if (state.textContent === 'starting') state.textContent = 'in the room'; })
  .catch((e) => { state.textContent = `enterRoom failed: ${e.code} ${e.message}`; });
