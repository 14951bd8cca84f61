import { assert, eq } from './helpers.js';

export async function staticTables(TRTC, surfaceText) {
  const surface = JSON.parse(surfaceText);
  eq(Object.entries(TRTC.EVENT), Object.entries(surface.events), 'TRTC.EVENT');
  eq(Object.keys(TRTC.EVENT).length, 31, 'EVENT has 31 keys');
  eq(Object.entries(TRTC.TYPE), Object.entries(surface.types), 'TRTC.TYPE');
  eq(Object.entries(TRTC.ERROR_CODE), Object.entries(surface.errorCodes), 'TRTC.ERROR_CODE');
  eq(TRTC.VERSION, surface.staticProperties.VERSION, 'TRTC.VERSION');
  eq(TRTC.frameWorkType, surface.staticProperties.frameWorkType, 'TRTC.frameWorkType');
  assert(TRTC.EVENT === TRTC.EVENT, 'the same object each time');
  for (const m of surface.staticMethods) eq(typeof TRTC[m], 'function', `TRTC.${m}`);
}

export async function createIsSynchronous(TRTC) {
  const trtc = TRTC.create();
  assert(trtc instanceof TRTC, 'an instance of TRTC');
  const other = TRTC.create({ enableAutoPlayDialog: false });
  assert(other !== trtc, 'a new instance per call');
  for (const m of ['on', 'off', 'destroy', 'startLocalVideo', 'updateLocalVideo', 'stopLocalVideo',
    'startLocalAudio', 'updateLocalAudio', 'stopLocalAudio', 'enableAudioVolumeEvaluation',
    'getAudioTrack', 'getVideoTrack']) {
    eq(typeof trtc[m], 'function', m);
  }
  trtc.destroy();
  other.destroy();
}

export async function isSupportedMeasuresTheBrowser(TRTC) {
  const { result, detail } = await TRTC.isSupported();
  eq(Object.keys(detail), ['isBrowserSupported', 'isWebRTCSupported', 'isWebCodecsSupported',
    'isMediaDevicesSupported', 'isScreenShareSupported', 'isSmallStreamSupported',
    'isH264EncodeSupported', 'isVp8EncodeSupported', 'isH265EncodeSupported',
    'isH264DecodeSupported', 'isVp8DecodeSupported', 'isH265DecodeSupported'], 'detail keys');
  // Computed from the real browser, not invented: compare with what the page itself sees.
  eq(detail.isWebRTCSupported, typeof RTCPeerConnection === 'function', 'isWebRTCSupported');
  eq(detail.isWebCodecsSupported, typeof VideoEncoder === 'function', 'isWebCodecsSupported');
  eq(detail.isScreenShareSupported, typeof navigator.mediaDevices.getDisplayMedia === 'function', 'isScreenShareSupported');
  const enc = RTCRtpSender.getCapabilities('video').codecs.map((c) => c.mimeType.toLowerCase());
  const dec = RTCRtpReceiver.getCapabilities('video').codecs.map((c) => c.mimeType.toLowerCase());
  eq(detail.isVp8EncodeSupported, enc.includes('video/vp8'), 'VP8 encode');
  eq(detail.isH264EncodeSupported, enc.includes('video/h264'), 'H264 encode');
  eq(detail.isH264DecodeSupported, dec.includes('video/h264'), 'H264 decode');
  // The small stream is a simulcast encoding set up with setParameters on a VP8/H.264 encoder.
  eq(detail.isSmallStreamSupported, typeof RTCRtpSender.prototype.setParameters === 'function'
    && (enc.includes('video/vp8') || enc.includes('video/h264')), 'isSmallStreamSupported');
  eq(detail.isSmallStreamSupported, true, 'small streams in headless Chromium');
  eq(detail.isBrowserSupported, true, 'Chromium is supported');
  eq(result, true, 'result for headless Chromium');
}

export async function setLogLevelAcceptsLevels(TRTC) {
  for (let l = 0; l <= 5; l++) eq(TRTC.setLogLevel(l), undefined, `level ${l}`);
  // Out of range: ignored with a warning, no throw.
  TRTC.setLogLevel(9);
  TRTC.setLogLevel(2);
}
