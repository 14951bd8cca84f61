// Type-level checks of the declarations and a call of every method the quick start does not use.
import TRTC, { TRTC as NamedTRTC, RtcError } from 'trtc-wasm';
import type {
  AudioFrameEvent,
  EnterRoomConfig,
  ErrorCodeName,
  ErrorCodeValue,
  LocalAudioConfig,
  ProxyServer,
  RemoteVideoConfig,
  ScreenShareConfig,
  StopRemoteVideoConfig,
  SwitchRoomConfig,
  TRTCEventHandler,
  TRTCEventMap,
  TRTCEventName,
  TRTCEventTypes,
  TRTCOptions,
  UpdateLocalAudioConfig,
  UpdateScreenShareConfig,
  VideoProfile,
} from 'trtc-wasm';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectTrue<T extends true>(): T | void {}

// --- exports -------------------------------------------------------------------------------
expectTrue<Equals<typeof TRTC, typeof NamedTRTC>>();
const asError: Error = RtcError.convertFrom(new DOMException('denied', 'NotAllowedError'), 'startLocalVideo');
void asError;

// --- constant tables have literal types ---------------------------------------------------
expectTrue<Equals<typeof TRTC.EVENT.AUDIO_VOLUME, 'audio-volume'>>();
expectTrue<Equals<typeof TRTC.EVENT.LAYER_DATA, 'layerData'>>();
expectTrue<Equals<typeof TRTC.TYPE.STREAM_TYPE_SUB, 'sub'>>();
expectTrue<Equals<typeof TRTC.TYPE.HEADSET, 'Headset earpiece'>>();
expectTrue<Equals<typeof TRTC.ERROR_CODE.DEVICE_ERROR, 5300>>();
expectTrue<Equals<typeof TRTC.ERROR_CODE.OPERATION_ABORT, 5998>>();
expectTrue<Equals<typeof TRTC.VERSION, string>>();
expectTrue<Equals<typeof TRTC.frameWorkType, number>>();

// The event map covers exactly the values of TRTC.EVENT.
expectTrue<Equals<keyof TRTCEventMap, TRTCEventName>>();
expectTrue<Equals<TRTCEventName, (typeof TRTC.EVENT)[keyof typeof TRTC.EVENT]>>();
expectTrue<Equals<TRTCEventTypes['screen-share-stopped'], []>>();
expectTrue<Equals<TRTCEventMap['error'], RtcError>>();

// RtcError fields.
expectTrue<Equals<RtcError['code'], ErrorCodeValue>>();
expectTrue<Equals<ErrorCodeValue, 5000 | 5100 | 5200 | 5300 | 5400 | 5500 | 5998 | 5999>>();
expectTrue<Equals<RtcError['name'], ErrorCodeName>>();
expectTrue<Equals<RtcError['extraCode'], number | undefined>>();
expectTrue<Equals<RtcError['functionName'], string>>();
expectTrue<Equals<RtcError['handler'], (() => void) | undefined>>();

// Async methods return promises; sync ones do not.
type Instance = ReturnType<typeof TRTC.create>;
expectTrue<Equals<ReturnType<Instance['enterRoom']>, Promise<void>>>();
expectTrue<Equals<ReturnType<Instance['destroy']>, void>>();
expectTrue<Equals<ReturnType<Instance['getVideoSnapshot']>, string>>();
expectTrue<Equals<ReturnType<Instance['getAudioTrack']>, MediaStreamTrack | null>>();

// --- every remaining method ----------------------------------------------------------------
export async function everything(): Promise<void> {
  const options: TRTCOptions = {
    enableSEI: true,
    enableAutoPlayDialog: false,
    assetsPath: '/trtc-assets/',
    volumeType: 1,
    enableAutoSwitchWhenRecapturing: true,
    enableVolumeControlInIOS: true,
  };
  const trtc = TRTC.create(options);

  // Device lists are MediaDeviceInfo-compatible, with getCapabilities() on inputs that have it.
  const cameras = await TRTC.getCameraList(false);
  const asInfo: MediaDeviceInfo[] = cameras;
  const maxWidth = cameras[0]?.getCapabilities?.().width?.max;
  void [asInfo, maxWidth];

  const proxy: ProxyServer = {
    websocketProxy: 'wss://proxy.example.com/ws',
    turnServer: [{ url: 'turn:turn.example.com:3478', username: 'u', credential: 'p', credentialType: 'password' }],
    iceTransportPolicy: 'relay',
  };
  const enter: EnterRoomConfig = {
    sdkAppId: 1400000000,
    userId: 'bob',
    userSig: 'sig',
    roomId: 4294967294,
    role: 'audience',
    scene: 'live',
    autoReceiveAudio: true,
    autoReceiveVideo: false,
    enableAutoPlayDialog: true,
    privateMapKey: 'key',
    latencyLevel: 1,
    businessInfo: '{}',
    userDefineRecordId: 'rec_1',
    proxy,
    playoutDelay: { min: 100, max: 1000 },
    quickStart: { remoteUserId: 'alice', small: true, domain: ['a.example.com'] },
  };
  await trtc.enterRoom(enter);
  await trtc.enterRoom({ ...enter, proxy: 'wss://proxy.example.com/ws' });
  await trtc.switchRole('anchor', { privateMapKey: 'k', latencyLevel: 2 });
  const switchTo: SwitchRoomConfig = { userSig: 'sig2', roomId: 9 };
  await trtc.switchRoom(switchTo);

  const audio: LocalAudioConfig = {
    publish: true,
    mute: 'microphone',
    muteKeepVolumeDetection: true,
    option: {
      microphoneId: 'default',
      profile: TRTC.TYPE.AUDIO_PROFILE_HIGH_STEREO,
      captureVolume: 120,
      earMonitorVolume: 50,
      echoCancellation: 'remote-only',
      autoGainControl: false,
      noiseSuppression: true,
    },
  };
  await trtc.startLocalAudio(audio);
  const audioUpdate: UpdateLocalAudioConfig = { option: { microphoneId: 'usb', echoCancellation: 'all' } };
  await trtc.updateLocalAudio(audioUpdate);

  const custom: VideoProfile = { width: 960, height: 540, frameRate: 24, bitrate: 1200 };
  await trtc.startLocalVideo({
    view: [document.createElement('div')],
    publish: false,
    forcePublish: true,
    mute: 'https://example.com/muted.png',
    option: {
      useFrontCamera: false,
      profile: custom,
      fillMode: 'contain',
      mirror: 'both',
      small: '120p_2',
      qosPreference: TRTC.TYPE.QOS_PREFERENCE_CLEAR,
      avoidCropping: true,
      rotation: 90,
    },
  });
  await trtc.updateLocalVideo({ view: null, option: { small: true, profile: '480p_2' } });

  const screen: ScreenShareConfig = {
    view: 'screen',
    streamType: 'main',
    muteSystemAudio: true,
    option: {
      profile: '1080p_2',
      systemAudio: true,
      captureElement: document.body,
      preferDisplaySurface: 'current-tab',
      selfBrowserSurface: 'exclude',
      qosPreference: 'smooth',
    },
  };
  await trtc.startScreenShare(screen);
  const screenUpdate: UpdateScreenShareConfig = { publish: false, option: { fillMode: 'cover' } };
  await trtc.updateScreenShare(screenUpdate);
  await trtc.stopScreenShare();

  const remote: RemoteVideoConfig = {
    userId: 'alice',
    streamType: TRTC.TYPE.STREAM_TYPE_SUB,
    view: document.createElement('div'),
    option: {
      fillMode: 'fill',
      mirror: true,
      small: true,
      receiveWhenViewVisible: true,
      viewRoot: document.body,
      canvasRender: false,
      poster: 'poster.png',
      draggable: false,
    },
  };
  await trtc.startRemoteVideo(remote);
  await trtc.updateRemoteVideo({ ...remote, option: { pictureInPicture: true, fullScreen: false } });
  const stopAll: StopRemoteVideoConfig = { userId: '*' };
  await trtc.stopRemoteVideo(stopAll);
  await trtc.muteRemoteAudio('alice', true);
  trtc.setRemoteAudioVolume('*', 100);

  // Plugins and experimental APIs.
  await trtc.startPlugin('AudioMixer', { id: 'bgm', url: '/bgm.mp3', loop: true, onTimeUpdate: (t, d) => void (t / d) });
  await trtc.updatePlugin('AudioMixer', { id: 'bgm', operation: 'pause' });
  await trtc.stopPlugin('AudioMixer', { id: '*' });
  await trtc.startPlugin('AIDenoiser', { sdkAppId: 1, userId: 'bob', userSig: 'sig', mode: 1 });
  await trtc.updatePlugin('AIDenoiser', { mode: 0 });
  await trtc.stopPlugin('AIDenoiser');
  await trtc.startPlugin('Debug');
  await trtc.updatePlugin('Debug', { visible: true });
  await trtc.startPlugin('DeviceDetector');
  await trtc.stopPlugin('CrossRoom');
  await trtc.callExperimentalAPI('enableAudioFrameEvent', { enable: true, userId: '', sampleRate: 16000, channelCount: 1 });
  await trtc.callExperimentalAPI('resumeRemotePlayer', { userId: '*' });
  await trtc.callExperimentalAPI('preconnect', { enable: false });
  await trtc.callExperimentalAPI('preconnect', { enable: true, sdkAppId: 1400000001, userId: 'u', userSig: 's', roomId: 8, proxy: 'ws://127.0.0.1:8080' });
  await trtc.callExperimentalAPI('switchPlaybackQuality', {
    streamList: [{ name: 'hd', userId: 'alice', bitrate: 2000 }],
    onSwitched: (from, to) => void `${from.name}->${to.name}`,
  });
  class MyPlugin {
    static readonly Name = 'MyPlugin';
  }
  trtc.use(MyPlugin);
  trtc.use({ plugin: MyPlugin, assetsPath: '/assets/' });

  // Messages, tracks, snapshots.
  trtc.sendSEIMessage(new Uint8Array([1, 2, 3]).buffer, { seiPayloadType: 5, toSubStream: false });
  trtc.sendCustomMessage({ cmdId: 1, data: new TextEncoder().encode('hi').buffer as ArrayBuffer });
  const t1: MediaStreamTrack | null = trtc.getAudioTrack('alice');
  const t2 = trtc.getAudioTrack({ userId: '', streamType: 'sub', processed: true });
  const t3 = trtc.getVideoTrack({ userId: 'alice', streamType: 'main' });
  const snap: string = trtc.getVideoSnapshot({ userId: '', streamType: 'main' });
  void [t1, t2, t3, snap];

  // Event handlers can be declared apart, removed, and chained.
  const onFrame: TRTCEventHandler<'audio-frame'> = (frame: AudioFrameEvent) => {
    const first: Float32Array = frame.channelCount === 1 ? frame.data : frame.data[0];
    void first;
  };
  const same: TRTC = trtc.on(TRTC.EVENT.AUDIO_FRAME, onFrame, { ctx: 1 }).off(TRTC.EVENT.AUDIO_FRAME, onFrame);
  same.off(TRTC.EVENT.AUDIO_FRAME);

  // eventemitter3-style members present on the runtime.
  const onceChain: TRTC = trtc
    .once(TRTC.EVENT.REMOTE_USER_ENTER, ({ userId }) => void userId)
    .addListener(TRTC.EVENT.KICKED_OUT, ({ reason }) => void reason)
    .removeListener(TRTC.EVENT.KICKED_OUT)
    .removeAllListeners(TRTC.EVENT.REMOTE_USER_ENTER)
    .removeAllListeners();
  const handlers = trtc.listeners(TRTC.EVENT.AUDIO_VOLUME);
  handlers.forEach(h => h({ result: [] }));
  const count: number = trtc.listenerCount(TRTC.EVENT.ERROR);
  const names: string[] = trtc.eventNames();
  const delivered: boolean = trtc.emit(TRTC.EVENT.SCREEN_SHARE_STOPPED) || trtc.emit('remote-user-enter', { userId: 'x' });
  void [onceChain, count, names, delivered];
  trtc.on(TRTC.EVENT.SEI_MESSAGE, ({ data, seiPayloadType }) => void [data.byteLength, seiPayloadType]);
  trtc.on(TRTC.EVENT.TRACK, ({ track, sourceTrack }) => void [track.kind, sourceTrack.id]);
  trtc.on(TRTC.EVENT.VIDEO_SIZE_CHANGED, ({ newWidth, newHeight }) => void (newWidth * newHeight));
  trtc.on(TRTC.EVENT.REALTIME_TRANSCRIBER_MESSAGE, m => void m.translationTexts.map(t => t.text));
  trtc.on(TRTC.EVENT.REALTIME_TRANSCRIBER_STATE_CHANGED, s => void s.state);
  trtc.on(TRTC.EVENT.PICTURE_IN_PICTURE_STATE_CHANGED, p => void p.pictureInPictureWindow?.width);
  trtc.on(TRTC.EVENT.FULL_SCREEN_STATE_CHANGED, f => void f.isFullScreen);
  trtc.on(TRTC.EVENT.VIDEO_DECODE_DOWNGRADE_STATE_CHANGED, d => void d.renderer);
  trtc.on('layerData', (data: unknown) => void data);

  await trtc.stopLocalAudio();
  await trtc.stopLocalVideo();
  await trtc.exitRoom();
  trtc.destroy();
}
