// A small app written the way trtc-sdk-v5's quick start writes it, only importing 'trtc-wasm'.
// It must type-check under `strict` with no casts: see scripts/check-types.sh.
import TRTC, { RtcError } from 'trtc-wasm';
import type { EnterRoomConfig, NetworkQuality, TRTCStatistics } from 'trtc-wasm';

const sdkAppId = 1400000000;
const userId = 'alice';
const userSig = 'signed-by-the-app-server';

function log(...args: unknown[]): void {
  console.log('[app]', ...args);
}

function remoteViewId(userId: string, streamType: 'main' | 'sub'): string {
  const id = `${userId}_${streamType}`;
  if (!document.getElementById(id)) {
    const div = document.createElement('div');
    div.id = id;
    document.getElementById('remote-list')?.appendChild(div);
  }
  return id;
}

async function checkEnvironment(): Promise<boolean> {
  const { result, detail } = await TRTC.isSupported();
  if (!result) log('browser not supported; H.264 encode:', detail.isH264EncodeSupported);
  const cameras = await TRTC.getCameraList();
  const microphones = await TRTC.getMicrophoneList();
  const speakers = await TRTC.getSpeakerList(false);
  log(cameras.map(c => c.label), microphones.map(m => m.deviceId), speakers.length);
  if (speakers[0]) await TRTC.setCurrentSpeaker(speakers[0].deviceId);
  const { camera, microphone } = await TRTC.getPermissions({ request: false, types: ['camera', 'microphone'] });
  log('permissions', camera, microphone);
  return result && cameras.length > 0 && microphones.length > 0;
}

function installListeners(trtc: TRTC): void {
  trtc
    .on(TRTC.EVENT.REMOTE_VIDEO_AVAILABLE, ({ userId, streamType }) => {
      const view = remoteViewId(userId, streamType);
      trtc.startRemoteVideo({ userId, streamType, view }).catch((e: unknown) => log('startRemoteVideo', e));
    })
    .on(TRTC.EVENT.REMOTE_VIDEO_UNAVAILABLE, async ({ userId, streamType }) => {
      await trtc.stopRemoteVideo({ userId, streamType });
    })
    .on(TRTC.EVENT.REMOTE_AUDIO_AVAILABLE, event => log('audio of', event.userId))
    .on(TRTC.EVENT.REMOTE_USER_ENTER, ({ userId }) => log('enter', userId))
    .on(TRTC.EVENT.REMOTE_USER_EXIT, ({ userId, reason }) => log('exit', userId, reason === 2 ? 'kicked' : reason));

  trtc.on(TRTC.EVENT.AUDIO_VOLUME, event => {
    const result = event.result;
    for (let i = 0; i < result.length; i++) {
      const { userId, volume, floatVolume } = result[i];
      const isMe = userId === '';
      log(isMe ? 'my volume' : `volume of ${userId}`, volume, floatVolume.toFixed(3));
    }
  });

  trtc.on(TRTC.EVENT.KICKED_OUT, event => {
    switch (event.reason) {
      case 'kick':
        log('the same userId entered elsewhere');
        break;
      case 'banned':
      case 'room_disband':
        log('removed from the room:', event.reason);
        break;
    }
  });

  trtc.on(TRTC.EVENT.ERROR, error => {
    // An RtcError: unrecoverable, the SDK has already left the room.
    log(`error ${error.code}/${error.extraCode ?? '-'} in ${error.functionName || 'runtime'}: ${error.message}`);
    if (error.extraCode === 5501) log('firewall');
  });

  trtc.on(TRTC.EVENT.AUTOPLAY_FAILED, ({ userId, mediaType, resume }) => {
    log('autoplay blocked for', userId || 'local', mediaType);
    const button = document.createElement('button');
    button.textContent = 'Play';
    button.onclick = async () => {
      await resume();
      button.remove();
    };
    document.body.appendChild(button);
  });

  trtc.on(TRTC.EVENT.CONNECTION_STATE_CHANGED, ({ prevState, state, isReconnecting }) => {
    log(`connection ${prevState} -> ${state}`, isReconnecting ? '(reconnecting)' : '');
  });

  trtc.on(TRTC.EVENT.NETWORK_QUALITY, onQuality);

  trtc.on(TRTC.EVENT.STATISTICS, (stats: TRTCStatistics) => {
    const remote = stats.remoteStatistics.map(r => `${r.userId}:${r.video[0]?.frameRate ?? 0}fps`);
    log('rtt', stats.rtt, 'sent', stats.bytesSent, remote.join(','));
  });

  trtc.on(TRTC.EVENT.DEVICE_CHANGED, async ({ type, action, device }) => {
    if (type === 'camera' && action === 'add') {
      await trtc.updateLocalVideo({ option: { cameraId: device.deviceId } });
    }
  });

  trtc.on(TRTC.EVENT.PUBLISH_STATE_CHANGED, ({ mediaType, state, reason, error }) => {
    log(`publish ${mediaType}: ${state}`, reason, error?.code);
  });

  trtc.on(TRTC.EVENT.SCREEN_SHARE_STOPPED, () => log('screen share stopped by the user'));

  trtc.on(TRTC.EVENT.VIDEO_PLAY_STATE_CHANGED, e => log(e.userId, e.streamType, e.state, e.reason));
  trtc.on(TRTC.EVENT.AUDIO_PLAY_STATE_CHANGED, e => log(e.userId, e.state, e.reason));
  trtc.on(TRTC.EVENT.FIRST_VIDEO_FRAME, ({ userId, width, height }) => log('first frame', userId, width, height));
  trtc.on(TRTC.EVENT.PERMISSION_STATE_CHANGE, ({ camera }) => log('camera permission', camera));
  trtc.on(TRTC.EVENT.CUSTOM_MESSAGE, ({ userId, cmdId, seq, data }) => {
    log('message', userId, cmdId, seq, new TextDecoder().decode(data));
  });
}

async function main(): Promise<void> {
  TRTC.setLogLevel(1);
  if (!(await checkEnvironment())) return;

  const trtc = TRTC.create();
  installListeners(trtc);

  const params: EnterRoomConfig = { sdkAppId, userId, userSig, roomId: 8888 };
  try {
    await trtc.enterRoom(params);
    trtc.enableAudioVolumeEvaluation(200);

    await trtc.startLocalVideo({ view: 'local', option: { profile: '720p' } });
    await trtc.startLocalAudio();

    // Mute and unmute the camera and microphone.
    await trtc.updateLocalVideo({ mute: true });
    await trtc.updateLocalVideo({ mute: false });
    await trtc.updateLocalAudio({ mute: true });
    await trtc.updateLocalAudio({ mute: false, option: { captureVolume: 150 } });

    await trtc.muteRemoteAudio('*', false);
    trtc.setRemoteAudioVolume('bob', 80);
    const mic = trtc.getAudioTrack();
    const camera = trtc.getVideoTrack({ streamType: TRTC.TYPE.STREAM_TYPE_MAIN });
    log(mic?.label, camera?.getSettings().width);

    await trtc.stopLocalVideo();
    await trtc.stopLocalAudio();
    await trtc.exitRoom();

    // A string room ID instead of a number.
    await trtc.enterRoom({ sdkAppId, userId, userSig, strRoomId: 'team-standup', scene: TRTC.TYPE.SCENE_LIVE, role: 'anchor' });
    await trtc.switchRole(TRTC.TYPE.ROLE_AUDIENCE);
    await trtc.exitRoom();
  } catch (err) {
    if (err instanceof RtcError) {
      if (err.code === TRTC.ERROR_CODE.DEVICE_ERROR) {
        log('device problem', err.extraCode, err.originError?.name);
        if (err.handler) err.handler(); // opens the OS privacy settings
      } else if (err.code === TRTC.ERROR_CODE.OPERATION_ABORT) {
        // ignorable
      } else {
        log(`${err.name} (${err.code}) from ${err.functionName}(): ${err.message}`);
      }
    } else {
      throw err;
    }
  } finally {
    trtc.off(TRTC.EVENT.NETWORK_QUALITY, onQuality);
    trtc.off('*');
    trtc.destroy();
  }
}

function onQuality(q: NetworkQuality): void {
  if (q.uplinkNetworkQuality >= 4) log('poor uplink', q.uplinkRTT, q.uplinkLoss);
  if (q.downlinkNetworkQuality === 6) log('all downlinks disconnected');
}

main().catch((e: unknown) => log('fatal', RtcError.convertFrom(e, 'main').message));
