// Misuse that must NOT type-check. Each `@ts-expect-error` fails the build if its line compiles,
// so this file proves the declarations reject these mistakes.
import TRTC, { RtcError } from 'trtc-wasm';
import type { EnterRoomConfig } from 'trtc-wasm';

export async function misuse(trtc: TRTC): Promise<void> {
  // Missing userSig.
  // @ts-expect-error userSig is required
  const noSig: EnterRoomConfig = { sdkAppId: 1400000000, userId: 'alice', roomId: 1 };
  void noSig;

  // roomId is a number; string IDs go in strRoomId.
  // @ts-expect-error roomId must be a number
  await trtc.enterRoom({ sdkAppId: 1400000000, userId: 'alice', userSig: 'sig', roomId: '8888' });

  // sdkAppId is a number.
  // @ts-expect-error sdkAppId must be a number
  await trtc.enterRoom({ sdkAppId: '1400000000', userId: 'alice', userSig: 'sig', roomId: 8888 });

  // Unknown fill mode.
  // @ts-expect-error fillMode is 'contain' | 'cover' | 'fill'
  await trtc.startLocalVideo({ view: 'local', option: { fillMode: 'stretch' } });

  // Unknown camera profile.
  // @ts-expect-error not a camera profile key
  await trtc.startLocalVideo({ option: { profile: '900p' } });

  // The audio profile cannot be changed by updateLocalAudio.
  // @ts-expect-error profile is start-only
  await trtc.updateLocalAudio({ option: { profile: 'high' } });

  // A wrong event payload field.
  // @ts-expect-error REMOTE_VIDEO_AVAILABLE has userId and streamType, not mediaType
  trtc.on(TRTC.EVENT.REMOTE_VIDEO_AVAILABLE, ({ userId, mediaType }) => console.log(userId, mediaType));

  // A wrong field type inside a payload.
  trtc.on(TRTC.EVENT.AUDIO_VOLUME, ({ result }) => {
    // @ts-expect-error volume is a number
    const v: string = result[0].volume;
    void v;
  });

  // An unknown event name.
  // @ts-expect-error not an event of TRTC.EVENT
  trtc.on('remote-video-added', () => {});

  // startRemoteVideo needs a streamType.
  // @ts-expect-error streamType is required
  await trtc.startRemoteVideo({ userId: 'bob', view: 'remote' });

  // streamType is 'main' | 'sub'.
  // @ts-expect-error 'big' is not a stream type
  await trtc.stopRemoteVideo({ userId: 'bob', streamType: 'big' });

  // enableAudioVolumeEvaluation takes a number of ms.
  // @ts-expect-error interval is a number
  trtc.enableAudioVolumeEvaluation('200');

  // setRemoteAudioVolume is synchronous: there is nothing to await or chain.
  // @ts-expect-error returns void, not a promise
  trtc.setRemoteAudioVolume('bob', 50).then(() => {});

  // The EVENT table is read-only and literal.
  // @ts-expect-error EVENT values cannot be reassigned
  TRTC.EVENT.ERROR = 'oops';

  // RtcError.code is one of the eight codes; 5302 is an extraCode.
  const err = RtcError.convertFrom(new Error('x'));
  // @ts-expect-error no overlap between ErrorCodeValue and 5302
  if (err.code === 5302) console.log('never');

  // Instances come from TRTC.create(), not `new`.
  // @ts-expect-error the constructor is private
  new TRTC();

  // Plugin options are checked by name.
  // @ts-expect-error AudioMixer needs an id
  await trtc.startPlugin('AudioMixer', { url: '/bgm.mp3' });
  // @ts-expect-error unknown plugin name
  await trtc.startPlugin('NoSuchPlugin', {});

  // Log levels are 0..5.
  // @ts-expect-error 6 is not a log level
  TRTC.setLogLevel(6);

  // getCameraList is static.
  // @ts-expect-error not an instance method in the types
  await trtc.getCameraList();
}
