// Type declarations for trtc-wasm: the API of trtc-sdk-v5 5.17.1, so that
// `import TRTC from 'trtc-wasm'` type-checks the same code that `import TRTC from 'trtc-sdk-v5'` does.
// Written for this package; shapes follow the trtc-sdk-v5 typings, narrowed where the runtime is stricter.
// Runtime values exported by index.js: `default` (TRTC), `TRTC` and `RtcError`. Everything else here is a type.

// ---------------------------------------------------------------------------------------------
// Small shared types
// ---------------------------------------------------------------------------------------------

/** `'main'` is the camera (or a screen share published in the camera slot); `'sub'` is the screen share. */
export type StreamType = 'main' | 'sub';
/** Role in a `live` scene. */
export type UserRole = 'anchor' | 'audience';
/** Room scene. */
export type Scene = 'rtc' | 'live';
/** How a video fits its view. */
export type VideoFillMode = 'contain' | 'cover' | 'fill';
/** What the encoder keeps when bandwidth is short. */
export type QosPreference = 'smooth' | 'clear';
/** 0 TRACE, 1 DEBUG, 2 INFO (default), 3 WARN, 4 ERROR, 5 NONE. */
export type LogLevel = 0 | 1 | 2 | 3 | 4 | 5;
/** Where a video is rendered: an element id, an element, several elements, or `null` for no rendering. */
export type View = string | HTMLElement | HTMLElement[] | null;
/** The media kind in publish and autoplay events. */
export type MediaType = 'audio' | 'video' | 'screen';

/** A custom video encoding profile; `bitrate` is in kbps. */
export interface VideoProfile {
  width: number;
  height: number;
  frameRate: number;
  bitrate: number;
}

/** An audio encoding profile; `bitrate` is in kbps. */
export interface AudioProfile {
  sampleRate: number;
  channelCount: number;
  bitrate: number;
}

/** Camera profile keys (the `_2` variants are lower-bitrate; `480p_2` is the default, `120p_2` the default small stream). */
export type VideoProfileName =
  | '120p'
  | '120p_2'
  | '180p'
  | '180p_2'
  | '240p'
  | '240p_2'
  | '360p'
  | '360p_2'
  | '480p'
  | '480p_2'
  | '720p'
  | '1080p'
  | '1440p'
  | '4K';

/** Screen-share profile keys (`_2` = 30 fps; `1080p` is the default). */
export type ScreenProfileName =
  | '480p'
  | '480p_2'
  | '720p'
  | '720p_2'
  | '1080p'
  | '1080p_2'
  | '1440p'
  | '1440p_2'
  | '4K'
  | '4K_2';

/** Audio profile keys (all 48 kHz): standard 40 kbps mono, standard-stereo 64, high 128 mono, high-stereo 192. */
export type AudioProfileName = 'standard' | 'standard-stereo' | 'high' | 'high-stereo';

// ---------------------------------------------------------------------------------------------
// Static constant tables
// ---------------------------------------------------------------------------------------------

/** Shape of `TRTC.EVENT`: event keys and their string values. */
export interface TRTCEventTable {
  readonly ERROR: 'error';
  readonly AUTOPLAY_FAILED: 'autoplay-failed';
  readonly KICKED_OUT: 'kicked-out';
  readonly REMOTE_USER_ENTER: 'remote-user-enter';
  readonly REMOTE_USER_EXIT: 'remote-user-exit';
  readonly REMOTE_AUDIO_AVAILABLE: 'remote-audio-available';
  readonly REMOTE_AUDIO_UNAVAILABLE: 'remote-audio-unavailable';
  readonly REMOTE_VIDEO_AVAILABLE: 'remote-video-available';
  readonly REMOTE_VIDEO_UNAVAILABLE: 'remote-video-unavailable';
  readonly AUDIO_VOLUME: 'audio-volume';
  readonly AUDIO_FRAME: 'audio-frame';
  readonly NETWORK_QUALITY: 'network-quality';
  readonly CONNECTION_STATE_CHANGED: 'connection-state-changed';
  readonly AUDIO_PLAY_STATE_CHANGED: 'audio-play-state-changed';
  readonly VIDEO_PLAY_STATE_CHANGED: 'video-play-state-changed';
  readonly SCREEN_SHARE_STOPPED: 'screen-share-stopped';
  readonly DEVICE_CHANGED: 'device-changed';
  readonly PUBLISH_STATE_CHANGED: 'publish-state-changed';
  readonly TRACK: 'track';
  readonly STATISTICS: 'statistics';
  readonly SEI_MESSAGE: 'sei-message';
  readonly CUSTOM_MESSAGE: 'custom-message';
  /** Present at runtime in trtc-sdk-v5 but not in its typings. */
  readonly VIDEO_DECODE_DOWNGRADE_STATE_CHANGED: 'video-decode-downgrade-state-changed';
  /** Internal event (note the camelCase value); present at runtime, undocumented. */
  readonly LAYER_DATA: 'layerData';
  readonly FIRST_VIDEO_FRAME: 'first-video-frame';
  readonly PERMISSION_STATE_CHANGE: 'permission-state-change';
  readonly VIDEO_SIZE_CHANGED: 'video-size-changed';
  readonly REALTIME_TRANSCRIBER_MESSAGE: 'realtime-transcriber-message';
  readonly REALTIME_TRANSCRIBER_STATE_CHANGED: 'realtime-transcriber-state-changed';
  readonly PICTURE_IN_PICTURE_STATE_CHANGED: 'picture-in-picture-state-changed';
  readonly FULL_SCREEN_STATE_CHANGED: 'full-screen-state-changed';
}

/** Every event name (the values of `TRTC.EVENT`). */
export type TRTCEventName = TRTCEventTable[keyof TRTCEventTable];

/** Shape of `TRTC.TYPE`. */
export interface TRTCTypeTable {
  readonly SCENE_LIVE: 'live';
  readonly SCENE_RTC: 'rtc';
  readonly ROLE_ANCHOR: 'anchor';
  readonly ROLE_AUDIENCE: 'audience';
  readonly STREAM_TYPE_MAIN: 'main';
  readonly STREAM_TYPE_SUB: 'sub';
  readonly AUDIO_PROFILE_STANDARD: 'standard';
  readonly AUDIO_PROFILE_STANDARD_STEREO: 'standard-stereo';
  readonly AUDIO_PROFILE_HIGH: 'high';
  readonly AUDIO_PROFILE_HIGH_STEREO: 'high-stereo';
  readonly QOS_PREFERENCE_SMOOTH: 'smooth';
  readonly QOS_PREFERENCE_CLEAR: 'clear';
  /** Android output routing: speakerphone. */
  readonly SPEAKER: 'Speakerphone';
  /** Android output routing: earpiece. */
  readonly HEADSET: 'Headset earpiece';
}

/** Shape of `TRTC.ERROR_CODE`: the eight top-level error codes. */
export interface TRTCErrorCodeTable {
  /** An argument breaks the API rules. */
  readonly INVALID_PARAMETER: 5000;
  /** A precondition is not met (not in a room, user or stream absent, repeated call, ...). */
  readonly INVALID_OPERATION: 5100;
  /** The browser or environment lacks a capability. */
  readonly ENV_NOT_SUPPORTED: 5200;
  /** Capture or device failure (camera, microphone, screen). */
  readonly DEVICE_ERROR: 5300;
  /** The server refused (`extraCode` carries the server's code). */
  readonly SERVER_ERROR: 5400;
  /** Failed after the SDK's own retries. */
  readonly OPERATION_FAILED: 5500;
  /** Aborted by lifecycle or queue rules; usually safe to ignore. */
  readonly OPERATION_ABORT: 5998;
  /** Anything else. */
  readonly UNKNOWN_ERROR: 5999;
}

/** The key of an error code; also the `name` of an `RtcError`. */
export type ErrorCodeName = keyof TRTCErrorCodeTable;
/** One of the eight numeric error codes. */
export type ErrorCodeValue = TRTCErrorCodeTable[ErrorCodeName];

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/**
 * The error of every failed call and of the `ERROR` event.
 * `name` is the code's key (e.g. `'DEVICE_ERROR'`), so `String(err)` reads `"DEVICE_ERROR: ..."`.
 */
declare class RtcError extends Error {
  /** Instances are made by the SDK; the argument order is internal. */
  constructor(
    code: ErrorCodeValue,
    name: ErrorCodeName,
    extraCode?: number,
    functionName?: string,
    message?: string,
    originError?: Error | DOMException,
    handler?: () => void,
  );
  /** Key of `code` in `TRTC.ERROR_CODE`. */
  name: ErrorCodeName;
  /** One of `TRTC.ERROR_CODE`. */
  code: ErrorCodeValue;
  /** Finer cause (5001..5508), or the server's code for `SERVER_ERROR`. */
  extraCode?: number;
  /** The API that failed, e.g. `'enterRoom'`; `''` for errors of the `ERROR` event. */
  functionName: string;
  message: string;
  /** Extra details, when any. */
  data?: any;
  /** Present for OS-level permission denials (extraCode 5302): opens the system privacy settings. */
  handler?: () => void;
  /** The underlying error, e.g. the DOMException of getUserMedia. */
  originError?: Error | DOMException;
  /** Returns an `RtcError` unchanged; wraps anything else as `UNKNOWN_ERROR`. */
  static convertFrom(originError: unknown, functionName?: string, functionParams?: unknown): RtcError;
}

// ---------------------------------------------------------------------------------------------
// Option objects
// ---------------------------------------------------------------------------------------------

/** A TURN server used for media relay. */
export interface TurnServer {
  url: string;
  username?: string;
  credential?: string;
  credentialType?: 'password';
}
/** Same as `TurnServer` (name used by trtc-sdk-v5's typings). */
export type TurnServerOptions = TurnServer;

/** Proxy settings of `enterRoom({proxy})`. */
export interface ProxyServer {
  /** WebSocket signalling proxy URL. */
  websocketProxy?: string;
  /** Log upload proxy URL. */
  loggerProxy?: string;
  turnServer?: TurnServer | TurnServer[];
  /** `'relay'` forces media through TURN. Default `'all'`. */
  iceTransportPolicy?: RTCIceTransportPolicy;
  webtransportProxy?: string;
  scheduleProxy?: string;
  unifiedProxy?: string;
}

/** Any object that registers as a plugin: a class with a static `Name`. */
export interface TRTCPlugin {
  new (...args: any[]): unknown;
  readonly Name: string;
}

/** A plugin with the URL of its deployed assets. */
export interface PluginWithAssets {
  plugin: TRTCPlugin;
  assetsPath?: string;
}

/** Options of `TRTC.create()`. */
export interface TRTCOptions {
  /** Plugin classes to register (same as `trtc.use()`). */
  plugins?: TRTCPlugin[];
  /** Enable sending and receiving SEI messages. Default false. */
  enableSEI?: boolean;
  /** Show the SDK's own "click to resume playback" dialog. Default true (`enterRoom` overrides it). */
  enableAutoPlayDialog?: boolean;
  /** Base URL of the deployed `assets/` folder. */
  assetsPath?: string;
  /** `1` makes `AUDIO_VOLUME` report a dB-based volume (trtc-wasm: dBFS -100..0 mapped onto 0..100). */
  volumeType?: number;
  /** Switch device automatically when recapturing. Default true. */
  enableAutoSwitchWhenRecapturing?: boolean;
  /** Let `setRemoteAudioVolume` work on iOS. */
  enableVolumeControlInIOS?: boolean;
  /** trtc-wasm: the signalling server (or proxy settings) for every room of this instance. */
  proxy?: string | ProxyServer;
}

/** Playout delay bounds in ms. */
export interface PlayoutDelay {
  /** 0..1000 */
  min: number;
  /** 0..10000 */
  max: number;
}

/** Quick start for audiences (used only when scene is `live` or role is `audience`). */
export interface QuickStartConfig {
  remoteUserId: string;
  small?: boolean;
  domain?: string | string[];
}

/** Parameters of `enterRoom()`. Give `roomId` or `strRoomId`; if both are given `roomId` wins. */
export interface EnterRoomConfig {
  sdkAppId: number;
  userId: string;
  userSig: string;
  /** Integer 1..4294967294. A string here fails with 5016; use `strRoomId` for string IDs. */
  roomId?: number;
  /** 1..64 characters of letters, digits, spaces and `!#$%&()+-:;<=.>?@[]^_{}|~,`. */
  strRoomId?: string;
  /** Default `'anchor'`. */
  role?: UserRole;
  /** Default `'rtc'`. */
  scene?: Scene;
  /** Play remote audio automatically. Default true. */
  autoReceiveAudio?: boolean;
  /** Subscribe to remote video automatically (rendering still needs `startRemoteVideo`). Default false. */
  autoReceiveVideo?: boolean;
  /** Default true. */
  enableAutoPlayDialog?: boolean;
  privateMapKey?: string;
  latencyLevel?: number;
  businessInfo?: string;
  userDefineRecordId?: string;
  /** A string is a WebSocket proxy URL. */
  proxy?: string | ProxyServer;
  playoutDelay?: PlayoutDelay;
  quickStart?: QuickStartConfig;
}

/** Parameters of `switchRoom()`; the target must use the same kind of ID as the current room. */
export interface SwitchRoomConfig {
  userSig: string;
  roomId?: number;
  strRoomId?: string;
  privateMapKey?: string;
}

/** Options of `switchRole()`. */
export interface SwitchRoleOption {
  privateMapKey?: string;
  latencyLevel?: number;
}

/** `option` of `startLocalVideo()` / `updateLocalVideo()`. */
export interface LocalVideoOption {
  cameraId?: string;
  /** true: front (`user`), false: rear (`environment`). */
  useFrontCamera?: boolean;
  /** Custom capture: publish this track instead of opening the camera. */
  videoTrack?: MediaStreamTrack;
  /** Default `'480p_2'` (640x480, 15 fps, 500 kbps). */
  profile?: VideoProfileName | VideoProfile;
  /** Default `'cover'`. */
  fillMode?: VideoFillMode;
  /** Default `'view'` (mirror the preview only). */
  mirror?: boolean | 'view' | 'publish' | 'both';
  /** Small stream: `true` = 160x120 15 fps 100 kbps. */
  small?: boolean | VideoProfileName | VideoProfile;
  /** Default `'smooth'`. */
  qosPreference?: QosPreference;
  avoidCropping?: boolean;
  rotation?: 0 | 90 | 180 | 270;
}

/** Parameters of `startLocalVideo()` / `updateLocalVideo()`. */
export interface LocalVideoConfig {
  view?: View;
  /** Default true. */
  publish?: boolean;
  /** Publish even while a screen share occupies the main stream. Default false. */
  forcePublish?: boolean;
  /** `true` mutes; a string is an image URL published instead of the camera. */
  mute?: boolean | string;
  option?: LocalVideoOption;
}

/** `option` of `startLocalAudio()`. */
export interface LocalAudioOption {
  microphoneId?: string;
  /** Custom capture: publish this track instead of opening the microphone. */
  audioTrack?: MediaStreamTrack;
  /** Default `'standard'`. */
  profile?: AudioProfileName;
  /** 0 and up; default 100; above 100 amplifies. */
  captureVolume?: number;
  /** 0..100; above 0 turns on ear monitoring. */
  earMonitorVolume?: number;
  /** Default true. */
  echoCancellation?: boolean | 'remote-only' | 'all';
  /** Default true. */
  autoGainControl?: boolean;
  /** Default true. */
  noiseSuppression?: boolean;
}

/** Parameters of `startLocalAudio()`. */
export interface LocalAudioConfig {
  /** Default true. */
  publish?: boolean;
  /** `'microphone'` also releases the device. */
  mute?: boolean | 'microphone';
  /** Keep `AUDIO_VOLUME` reporting while muted. */
  muteKeepVolumeDetection?: boolean;
  option?: LocalAudioOption;
}

/** `option` of `updateLocalAudio()` (the profile is fixed at start). */
export type UpdateLocalAudioOption = Omit<LocalAudioOption, 'profile'>;

/** Parameters of `updateLocalAudio()`. */
export interface UpdateLocalAudioConfig extends Omit<LocalAudioConfig, 'option'> {
  option?: UpdateLocalAudioOption;
}

/** `option` of `startScreenShare()`. */
export interface ScreenShareOption {
  /** Default `'1080p'` (1920x1080, 5 fps, 1600 kbps). */
  profile?: ScreenProfileName | VideoProfile;
  /** Default `'contain'`. */
  fillMode?: VideoFillMode;
  /** Capture tab or system audio too. Default false. */
  systemAudio?: boolean;
  echoCancellation?: boolean;
  autoGainControl?: boolean;
  noiseSuppression?: boolean;
  audioTrack?: MediaStreamTrack;
  videoTrack?: MediaStreamTrack;
  /** Capture this element only (Chrome 104+). */
  captureElement?: HTMLElement;
  /** Default `'monitor'` (Chrome 94+). */
  preferDisplaySurface?: 'current-tab' | 'tab' | 'window' | 'monitor';
  selfBrowserSurface?: 'include' | 'exclude';
  /** Default `'clear'`. */
  qosPreference?: QosPreference;
}

/** Parameters of `startScreenShare()`. */
export interface ScreenShareConfig {
  view?: View;
  /** Default true. */
  publish?: boolean;
  /** Default `'sub'`; `'main'` publishes the screen in the camera slot. */
  streamType?: StreamType;
  muteSystemAudio?: boolean;
  option?: ScreenShareOption;
}

/** `option` of `updateScreenShare()`. */
export interface UpdateScreenShareOption {
  fillMode?: VideoFillMode;
  qosPreference?: QosPreference;
  audioTrack?: MediaStreamTrack;
  videoTrack?: MediaStreamTrack;
}

/** Parameters of `updateScreenShare()`. */
export interface UpdateScreenShareConfig extends Omit<ScreenShareConfig, 'option'> {
  option?: UpdateScreenShareOption;
}

/** `option` of `startRemoteVideo()` / `updateRemoteVideo()`. */
export interface RemoteVideoOption {
  /** Default `'cover'` for main, `'contain'` for sub. */
  fillMode?: VideoFillMode;
  mirror?: boolean;
  /** Receive the small stream. */
  small?: boolean;
  /** Receive only while the view is visible. */
  receiveWhenViewVisible?: boolean;
  /** Root for the visibility check. trtc-wasm: default the viewport (trtc-sdk-v5 documents `document.body`). */
  viewRoot?: HTMLElement;
  canvasRender?: boolean;
  /** Image shown before the first frame. */
  poster?: string;
  draggable?: boolean;
  /** Update only, while playing. */
  pictureInPicture?: boolean;
  /** Update only, while playing. */
  fullScreen?: boolean;
}

/** Parameters of `startRemoteVideo()` / `updateRemoteVideo()`. */
export interface RemoteVideoConfig {
  userId: string;
  streamType: StreamType;
  view?: View;
  option?: RemoteVideoOption;
}

/** Parameters of `stopRemoteVideo()`: `userId: '*'` stops every remote video; otherwise `streamType` is needed. */
export interface StopRemoteVideoConfig {
  userId: string;
  streamType?: StreamType;
}

/** Argument of `getAudioTrack()` / `getVideoTrack()`; `userId` `''` or absent = local. */
export interface TrackConfig {
  userId?: string;
  streamType?: StreamType;
  /** Return (a clone of) the processed output track. */
  processed?: boolean;
}

/** Argument of `getVideoSnapshot()`. */
export interface VideoFrameConfig {
  userId?: string;
  streamType?: StreamType;
}

/** Options of `sendSEIMessage()`. */
export interface SEIMessageOptions {
  /** Default 243. */
  seiPayloadType?: 5 | 243;
  /** Send on the screen-share stream. Default false. */
  toSubStream?: boolean;
}

/** Argument of `sendCustomMessage()`. */
export interface CustomMessageData {
  /** Integer 1..10. */
  cmdId: number;
  /** 1..1000 bytes. */
  data: ArrayBuffer;
}

/**
 * A device in the results of `TRTC.getCameraList()` and friends: a plain copy of the browser's
 * MediaDeviceInfo (an empty label becomes `<kind>_<index>`), with `getCapabilities` for inputs that have it.
 */
export interface DeviceInfo extends MediaDeviceInfo {
  getCapabilities?(): MediaTrackCapabilities;
}

/** Argument of `TRTC.getPermissions()`. */
export interface PermissionOption {
  /** Ask the user when not yet decided. Default true. */
  request?: boolean;
  /** Default both. */
  types?: ('camera' | 'microphone')[];
}

/** Result of `TRTC.getPermissions()`; `null` when the state cannot be read. */
export interface PermissionResult {
  camera: PermissionState | null;
  microphone: PermissionState | null;
}

/** Result of `TRTC.isSupported()`. */
export interface IsSupportedResult {
  /** Browser, WebRTC and media devices available, and H.264 or VP8 for both encode and decode. */
  result: boolean;
  detail: {
    isBrowserSupported: boolean;
    isWebRTCSupported: boolean;
    isWebCodecsSupported: boolean;
    isMediaDevicesSupported: boolean;
    isScreenShareSupported: boolean;
    isSmallStreamSupported: boolean;
    isH264EncodeSupported: boolean;
    isVp8EncodeSupported: boolean;
    isH265EncodeSupported: boolean;
    isH264DecodeSupported: boolean;
    isVp8DecodeSupported: boolean;
    isH265DecodeSupported: boolean;
  };
}

// ---------------------------------------------------------------------------------------------
// Event payloads
// ---------------------------------------------------------------------------------------------

/** Signalling connection states (`RECONNECTING`/`RECONNECTED` are declared for compatibility, never emitted). */
export type ConnectionState = 'DISCONNECTED' | 'CONNECTING' | 'CONNECTED' | 'RECONNECTING' | 'RECONNECTED';
/** Player states of the play-state events. */
export type PlayerState = 'PLAYING' | 'PAUSED' | 'STOPPED';
/** Reasons of the play-state events. */
export type PlayerStateReason = 'playing' | 'pause' | 'mute' | 'unmute' | 'ended';
/** 0 unknown, 1 excellent, 2 good, 3 average, 4 poor, 5 very poor, 6 disconnected. */
export type NetworkQualityValue = 0 | 1 | 2 | 3 | 4 | 5 | 6;
/** `kick`: same userId joined elsewhere; `banned`: removed by the server; `room_disband`: room dismissed. */
export type KickedOutReason = 'kick' | 'banned' | 'room_disband';
/** 0 normal leave, 1 timeout, 2 kicked, 3 role changed to audience. */
export type RemoteUserExitReason = 0 | 1 | 2 | 3;
/** Publish states of `PUBLISH_STATE_CHANGED`. */
export type PublishState = 'starting' | 'started' | 'stopped';
/** Device kinds of `DEVICE_CHANGED`. */
export type DeviceType = 'camera' | 'microphone' | 'speaker';
/** Device actions of `DEVICE_CHANGED`. */
export type DeviceAction = 'add' | 'remove' | 'active';

/** `AUTOPLAY_FAILED`: the browser blocked playback until a user gesture. */
export interface AutoplayFailedEvent {
  userId: string;
  mediaType: MediaType;
  /** Retry playback; call it from a user gesture. */
  resume(): Promise<void>;
}

/** `KICKED_OUT`. */
export interface KickedOutEvent {
  reason: KickedOutReason;
}

/** `REMOTE_USER_ENTER`, `REMOTE_AUDIO_AVAILABLE`, `REMOTE_AUDIO_UNAVAILABLE`. */
export interface RemoteUserEvent {
  userId: string;
}

/** `REMOTE_USER_EXIT`. */
export interface RemoteUserExitEvent {
  userId: string;
  reason?: RemoteUserExitReason;
}

/** `REMOTE_VIDEO_AVAILABLE`, `REMOTE_VIDEO_UNAVAILABLE`. */
export interface RemoteVideoEvent {
  userId: string;
  streamType: StreamType;
}

/** One entry of `AUDIO_VOLUME`; `userId` `''` is the local microphone. */
export interface AudioVolumeItem {
  userId: string;
  /** Integer 0..100 (dB-based with `volumeType: 1`). */
  volume: number;
  /** Raw level 0..1. */
  floatVolume: number;
}

/** `AUDIO_VOLUME`: entries sorted loudest first. */
export interface AudioVolumeEvent {
  result: AudioVolumeItem[];
}

/** `AUDIO_FRAME`: 40 ms of float PCM (one array per channel when stereo). */
export type AudioFrameEvent =
  | { userId: string; sampleRate: number; channelCount: 1; data: Float32Array }
  | { userId: string; sampleRate: number; channelCount: 2; data: [Float32Array, Float32Array] };

/** One probe of `pingResults`. */
export interface PingResult {
  domain: string;
  cost: number;
}

/** Server-configured probe results of `NETWORK_QUALITY`. */
export interface PingResults {
  isPoorNetwork?: boolean;
  timestamp?: number;
  data?: PingResult[];
}

/** `NETWORK_QUALITY` (every 2 s in a room); RTT in ms, loss in %. */
export interface NetworkQuality {
  uplinkNetworkQuality: NetworkQualityValue;
  downlinkNetworkQuality: NetworkQualityValue;
  uplinkRTT: number;
  uplinkLoss: number;
  downlinkRTT: number;
  downlinkLoss: number;
  pingResults?: PingResults;
}

/** `CONNECTION_STATE_CHANGED`. */
export interface ConnectionStateChangedEvent {
  prevState: ConnectionState;
  state: ConnectionState;
  /** Only when `state` is `'CONNECTING'`. */
  isReconnecting?: boolean;
}

/** `AUDIO_PLAY_STATE_CHANGED`. */
export interface AudioPlayStateChangedEvent {
  userId: string;
  state: PlayerState;
  reason: PlayerStateReason;
  type?: 'audio';
}

/** `VIDEO_PLAY_STATE_CHANGED`. */
export interface VideoPlayStateChangedEvent {
  userId: string;
  streamType: StreamType;
  state: PlayerState;
  reason: PlayerStateReason;
  type?: 'video';
}

/** `DEVICE_CHANGED`. */
export interface DeviceChangedEvent {
  type: DeviceType;
  action: DeviceAction;
  device: DeviceInfo;
}

/** `PUBLISH_STATE_CHANGED`. */
export interface PublishStateChangedEvent {
  mediaType: MediaType;
  state: PublishState;
  prevState: PublishState;
  /** When stopped: `timeout` (still retrying), `error` (see `error`), or `api-call`. */
  reason?: 'timeout' | 'error' | 'api-call';
  error?: RtcError;
}

/** `TRACK`: a track became available. */
export interface TRTCTrackEvent {
  userId: string;
  streamType?: StreamType;
  track: MediaStreamTrack;
  sourceTrack: MediaStreamTrack;
}

/** Video layer kinds in statistics. */
export type VideoLayerType = 'big' | 'small' | 'sub';

/** Local part of `STATISTICS`. */
export interface LocalStatistic {
  audio: {
    /** kbps */
    bitrate: number;
    /** 0..1 */
    audioLevel: number;
  };
  video: {
    width: number;
    height: number;
    frameRate: number;
    bitrate: number;
    videoType: VideoLayerType;
  }[];
}

/** Per-remote-user part of `STATISTICS`. */
export interface RemoteStatistic {
  userId: string;
  audio: {
    bitrate: number;
    audioLevel: number;
    jitterBufferDelay: number;
    point2pointDelay?: number;
  };
  video: {
    width: number;
    height: number;
    frameRate: number;
    bitrate: number;
    videoType: VideoLayerType;
    jitterBufferDelay: number;
    point2pointDelay?: number;
    codec?: string;
  }[];
}

/** `STATISTICS` (every 2 s in a room). */
export interface TRTCStatistics {
  /** ms */
  rtt: number;
  /** % */
  upLoss: number;
  /** % */
  downLoss: number;
  bytesSent: number;
  bytesReceived: number;
  localStatistics: LocalStatistic;
  remoteStatistics: RemoteStatistic[];
}

/** `SEI_MESSAGE`: an SEI message in a received H.264 video (needs `enableSEI`). */
export interface SEIMessageEvent {
  data: ArrayBuffer;
  userId: string;
  streamType: StreamType;
  seiPayloadType: 5 | 243;
}

/** `CUSTOM_MESSAGE`. */
export interface CustomMessage extends CustomMessageData {
  userId: string;
  seq: number;
}

/** `VIDEO_DECODE_DOWNGRADE_STATE_CHANGED` (runtime-only event of trtc-sdk-v5's decoder fallback). */
export interface VideoDecodeDowngradeStateChangedEvent {
  userId: string;
  streamType: StreamType;
  type: string;
  renderer: string;
  reason: string;
  prevState: string;
  state: string;
}

/** `FIRST_VIDEO_FRAME`; `userId` `''` is local. */
export interface FirstVideoFrameEvent {
  userId: string;
  streamType: StreamType;
  width: number;
  height: number;
}

/** `PERMISSION_STATE_CHANGE`. */
export interface PermissionStateChangeEvent {
  camera: PermissionState;
  microphone: PermissionState;
}

/** `VIDEO_SIZE_CHANGED`. */
export interface VideoSizeChangedEvent {
  userId: string;
  streamType: StreamType;
  newWidth: number;
  newHeight: number;
}

/** A translation in `REALTIME_TRANSCRIBER_MESSAGE`. */
export interface TranslationText {
  language: string;
  text: string;
}

/** `REALTIME_TRANSCRIBER_MESSAGE`. */
export interface RealtimeTranscriberMessageEvent {
  segmentId: string;
  speakerUserId: string;
  sourceText: string;
  translationTexts: TranslationText[];
  timestamp: number;
  isCompleted: boolean;
  robotId: string;
}

/** `REALTIME_TRANSCRIBER_STATE_CHANGED`. */
export interface RealtimeTranscriberStateEvent {
  state: 'started' | 'stopped';
  roomId: string | number;
  transcriberRobotId: string;
  sourceLanguage?: string;
  error?: number;
  errorMessage?: string;
}

/** `PICTURE_IN_PICTURE_STATE_CHANGED`. */
export interface PictureInPictureStateChangedEvent {
  userId: string;
  streamType: StreamType;
  isPictureInPicture: boolean;
  pictureInPictureWindow?: PictureInPictureWindow;
}

/** `FULL_SCREEN_STATE_CHANGED`. */
export interface FullScreenStateChangedEvent {
  userId: string;
  streamType: StreamType;
  isFullScreen: boolean;
}

/**
 * Event name → payload (the first handler argument). `void` means the handler gets no argument.
 * `trtc.on(TRTC.EVENT.X, handler)` types `handler` from this map.
 */
export interface TRTCEventMap {
  'error': RtcError;
  'autoplay-failed': AutoplayFailedEvent;
  'kicked-out': KickedOutEvent;
  'remote-user-enter': RemoteUserEvent;
  'remote-user-exit': RemoteUserExitEvent;
  'remote-audio-available': RemoteUserEvent;
  'remote-audio-unavailable': RemoteUserEvent;
  'remote-video-available': RemoteVideoEvent;
  'remote-video-unavailable': RemoteVideoEvent;
  'audio-volume': AudioVolumeEvent;
  'audio-frame': AudioFrameEvent;
  'network-quality': NetworkQuality;
  'connection-state-changed': ConnectionStateChangedEvent;
  'audio-play-state-changed': AudioPlayStateChangedEvent;
  'video-play-state-changed': VideoPlayStateChangedEvent;
  'screen-share-stopped': void;
  'device-changed': DeviceChangedEvent;
  'publish-state-changed': PublishStateChangedEvent;
  'track': TRTCTrackEvent;
  'statistics': TRTCStatistics;
  'sei-message': SEIMessageEvent;
  'custom-message': CustomMessage;
  'video-decode-downgrade-state-changed': VideoDecodeDowngradeStateChangedEvent;
  /** Internal, undocumented payload. */
  'layerData': unknown;
  'first-video-frame': FirstVideoFrameEvent;
  'permission-state-change': PermissionStateChangeEvent;
  'video-size-changed': VideoSizeChangedEvent;
  'realtime-transcriber-message': RealtimeTranscriberMessageEvent;
  'realtime-transcriber-state-changed': RealtimeTranscriberStateEvent;
  'picture-in-picture-state-changed': PictureInPictureStateChangedEvent;
  'full-screen-state-changed': FullScreenStateChangedEvent;
}

/** Event name → handler argument list (the tuple form used by trtc-sdk-v5's typings). */
export type TRTCEventTypes = {
  [K in keyof TRTCEventMap]: [TRTCEventMap[K]] extends [void] ? [] : [payload: TRTCEventMap[K]];
};

/** The handler type for event `K`. */
export type TRTCEventHandler<K extends keyof TRTCEventMap> = (...args: TRTCEventTypes[K]) => void;

// ---------------------------------------------------------------------------------------------
// Plugins
// ---------------------------------------------------------------------------------------------

/** `startPlugin('AudioMixer', ...)`: give `url` (mp3/ogg/wav/flac, `blob:` or `data:`) or `track`. */
export type AudioMixerOptions = {
  id: string;
  loop?: boolean;
  volume?: number;
  playbackRate?: number;
  onTimeUpdate?: (currentTime: number, duration: number) => void;
  onDurationChange?: (duration: number) => void;
  onEnded?: (event: Event) => void;
} & ({ url: string; track?: MediaStreamTrack } | { url?: string; track: MediaStreamTrack });

/** `updatePlugin('AudioMixer', ...)`. */
export interface UpdateAudioMixerOptions {
  id: string;
  loop?: boolean;
  volume?: number;
  playbackRate?: number;
  seekFrom?: number;
  operation?: 'pause' | 'resume' | 'stop';
  onTimeUpdate?: (currentTime: number, duration: number) => void;
  onDurationChange?: (duration: number) => void;
  onEnded?: (event: Event) => void;
}

/** `stopPlugin('AudioMixer', ...)`; `id: '*'` stops every track. */
export interface StopAudioMixerOptions {
  id: string;
}

/** AI denoiser mode: 0 normal, 1 far-field reduction. */
export type DenoiserMode = 0 | 1;

/** `startPlugin('AIDenoiser', ...)`. */
export interface AIDenoiserOptions {
  sdkAppId: number;
  userId: string;
  userSig: string;
  assetsPath?: string;
  mode?: DenoiserMode;
}

/** `updatePlugin('AIDenoiser', ...)`. */
export interface UpdateDenoiserOptions {
  mode: DenoiserMode;
}

/** A reference signal for the audio processor. */
export type AudioSource = HTMLAudioElement | MediaStreamTrack | AudioNode;

/** `startPlugin('AudioProcessor', ...)`. */
export interface AudioProcessorOptions {
  sdkAppId: number;
  userId: string;
  userSig: string;
  assetsPath?: string;
  audioReference?: AudioSource[];
}
/** Same as `AudioProcessorOptions` (name used by trtc-sdk-v5's typings). */
export type InitAudioProcessorOptions = AudioProcessorOptions;

/** `updatePlugin('AudioProcessor', ...)`. */
export interface UpdateAudioProcessorOptions {
  audioReference?: AudioSource[];
}

/** `updatePlugin('Debug', ...)`. */
export interface UpdateDebugOptions {
  visible: boolean;
}

/** Options of plugins shipped as separate packages; see each plugin's documentation. */
export type ExternalPluginOptions = object;

/** Plugin name → `startPlugin` options (`undefined`: no options). */
export interface PluginStartOptionsMap {
  AudioMixer: AudioMixerOptions;
  AIDenoiser: AIDenoiserOptions;
  AudioProcessor: AudioProcessorOptions;
  Debug: undefined;
  CDNStreaming: ExternalPluginOptions;
  VirtualBackground: ExternalPluginOptions;
  Watermark: ExternalPluginOptions;
  VideoMixer: ExternalPluginOptions;
  Beauty: ExternalPluginOptions;
  BasicBeauty: ExternalPluginOptions;
  DeviceDetector: ExternalPluginOptions | undefined;
  CrossRoom: ExternalPluginOptions;
  CustomEncryption: ExternalPluginOptions;
  SmallStreamAutoSwitcher: ExternalPluginOptions | undefined;
  Chorus: ExternalPluginOptions;
  LEBPlayer: ExternalPluginOptions;
  RealtimeTranscriber: ExternalPluginOptions;
  FaceDetection: ExternalPluginOptions | undefined;
  VoiceChanger: ExternalPluginOptions;
}

/** Plugin name → `updatePlugin` options. */
export interface PluginUpdateOptionsMap {
  AudioMixer: UpdateAudioMixerOptions;
  AIDenoiser: UpdateDenoiserOptions;
  AudioProcessor: UpdateAudioProcessorOptions;
  Debug: UpdateDebugOptions;
  CDNStreaming: ExternalPluginOptions;
  VirtualBackground: ExternalPluginOptions;
  Watermark: ExternalPluginOptions;
  VideoMixer: ExternalPluginOptions;
  Beauty: ExternalPluginOptions;
  BasicBeauty: ExternalPluginOptions;
  CrossRoom: ExternalPluginOptions;
  Chorus: ExternalPluginOptions;
  LEBPlayer: ExternalPluginOptions;
  FaceDetection: ExternalPluginOptions;
  VoiceChanger: ExternalPluginOptions;
}

/** Plugin name → `stopPlugin` options (`undefined`: no options). */
export interface PluginStopOptionsMap {
  AudioMixer: StopAudioMixerOptions;
  AIDenoiser: undefined;
  AudioProcessor: undefined;
  Debug: undefined;
  CDNStreaming: ExternalPluginOptions;
  VirtualBackground: undefined;
  Watermark: undefined;
  VideoMixer: undefined;
  Beauty: undefined;
  BasicBeauty: undefined;
  DeviceDetector: undefined;
  CrossRoom: ExternalPluginOptions | undefined;
  CustomEncryption: undefined;
  SmallStreamAutoSwitcher: undefined;
  Chorus: undefined;
  LEBPlayer: undefined;
  RealtimeTranscriber: ExternalPluginOptions | undefined;
  FaceDetection: undefined;
  VoiceChanger: undefined;
}

/** A plugin name accepted by `startPlugin`. */
export type PluginName = keyof PluginStartOptionsMap;

/** The options argument: optional when the map allows `undefined`, required otherwise. */
export type OptionsArg<O> = undefined extends O ? [options?: O] : [options: O];

// ---------------------------------------------------------------------------------------------
// callExperimentalAPI
// ---------------------------------------------------------------------------------------------

/** `enableAudioFrameEvent`: turn `AUDIO_FRAME` delivery on or off. */
export interface EnableAudioFrameEventOptions {
  enable: boolean;
  /** `''` = local microphone, `'*'` = every remote user. */
  userId: string;
  /** Default 48000. */
  sampleRate?: 8000 | 16000 | 32000 | 44100 | 48000;
  /** Default 1. */
  channelCount?: 1 | 2;
  /** Deliver frames to this port instead of the event. */
  port?: MessagePort;
}

/** `resumeRemotePlayer` / `pauseRemotePlayer`. */
export interface RemotePlayerOptions {
  userId: string;
  streamType?: StreamType;
}

/** `requestPictureInPicture`. */
export interface RequestPictureInPictureOptions {
  enable: boolean;
}

/** `requestFullScreen`. */
export interface RequestFullScreenOptions {
  enable: boolean;
}

/** One selectable stream of `switchPlaybackQuality`. */
export interface PlaybackQualityStream {
  name: string;
  userId: string;
  streamType?: StreamType;
  bitrate: number;
}

/** The stream before/after a quality switch. */
export interface ResolutionConfig {
  userId: string;
  streamType: StreamType;
  name: string;
}

/** `switchPlaybackQuality`. */
export interface SwitchPlaybackQualityOptions {
  quality?: string;
  streamList?: PlaybackQualityStream[];
  onSwitched?: (from: ResolutionConfig, to: ResolutionConfig) => void;
}

/**
 * `preconnect`: open the signalling connection and prove the user before `enterRoom` (which,
 * as the same user through the same server, takes it over), or close it. `proxy` (trtc-wasm's,
 * as `enterRoom` takes it) names the server; default: `TRTC.create({proxy})`, else the page's
 * origin.
 */
export type PreconnectParams =
  | {
      enable: true;
      sdkAppId: number;
      userId: string;
      userSig: string;
      roomId?: number;
      strRoomId?: string;
      proxy?: string | ProxyServer;
    }
  | { enable: false };

/** Experimental API name → options. */
export interface ExperimentalAPIFunctionMap {
  enableAudioFrameEvent: EnableAudioFrameEventOptions;
  resumeRemotePlayer: RemotePlayerOptions;
  pauseRemotePlayer: RemotePlayerOptions;
  requestPictureInPicture: RequestPictureInPictureOptions;
  requestFullScreen: RequestFullScreenOptions;
  switchPlaybackQuality: SwitchPlaybackQualityOptions;
  preconnect: PreconnectParams;
}

// ---------------------------------------------------------------------------------------------
// The TRTC class
// ---------------------------------------------------------------------------------------------

/** The real-time audio/video client. Make instances with `TRTC.create()`. */
declare class TRTC {
  private constructor();

  /** Event names, e.g. `TRTC.EVENT.REMOTE_VIDEO_AVAILABLE === 'remote-video-available'`. */
  static readonly EVENT: TRTCEventTable;
  /** Constant values for scene, role, stream type, audio profile, QoS and Android audio routing. */
  static readonly TYPE: TRTCTypeTable;
  /** The eight `RtcError.code` values. */
  static readonly ERROR_CODE: TRTCErrorCodeTable;
  /** The trtc-sdk-v5 API version this SDK implements (`'5.17.1'`). */
  static readonly VERSION: string;
  static frameWorkType: number;

  /** Creates an instance. */
  static create(options?: TRTCOptions): TRTC;
  /** Sets the console log level; `enableUploadLog` is accepted for compatibility. */
  static setLogLevel(level: LogLevel, enableUploadLog?: boolean): void;
  /** Checks what the browser supports. */
  static isSupported(): Promise<IsSupportedResult>;
  /** Reads (and by default requests) camera and microphone permission. */
  static getPermissions(option: PermissionOption): Promise<PermissionResult>;
  /** Lists cameras; by default briefly opens the device first so that labels are filled in. */
  static getCameraList(requestPermission?: boolean): Promise<DeviceInfo[]>;
  /** Lists microphones; by default briefly opens the device first so that labels are filled in. */
  static getMicrophoneList(requestPermission?: boolean): Promise<DeviceInfo[]>;
  /** Lists audio outputs. */
  static getSpeakerList(requestPermission?: boolean): Promise<DeviceInfo[]>;
  /** Routes the audio of every instance to this output device. */
  static setCurrentSpeaker(speakerId: string): Promise<void>;

  /** Registers a plugin class. */
  use(plugin: TRTCPlugin | PluginWithAssets): void;

  /** Joins a room. Local audio/video started before joining is published once joined. */
  enterRoom(params: EnterRoomConfig): Promise<void>;
  /** Leaves the room; local capture keeps running. Resolves even when not in a room. */
  exitRoom(): Promise<void>;
  /** Changes the role in a `live` room. */
  switchRole(role: UserRole, option?: SwitchRoleOption): Promise<void>;
  /** Moves to another room without leaving first. */
  switchRoom(params: SwitchRoomConfig): Promise<void>;
  /** Stops everything and releases the instance; later calls fail. */
  destroy(): void;

  /** Opens the microphone and publishes it (when in a room and `publish` is not false). */
  startLocalAudio(config?: LocalAudioConfig): Promise<void>;
  /** Changes the running microphone: device, mute, volume, publish. */
  updateLocalAudio(config: UpdateLocalAudioConfig): Promise<void>;
  /** Stops the microphone. */
  stopLocalAudio(): Promise<void>;

  /** Opens the camera, previews it in `view` and publishes it. */
  startLocalVideo(config?: LocalVideoConfig): Promise<void>;
  /** Changes the running camera: view, device, profile, mute, publish, mirror. */
  updateLocalVideo(config: LocalVideoConfig): Promise<void>;
  /** Stops the camera. */
  stopLocalVideo(): Promise<void>;

  /** Starts a screen share. */
  startScreenShare(config?: ScreenShareConfig): Promise<void>;
  /** Changes the running screen share. */
  updateScreenShare(config: UpdateScreenShareConfig): Promise<void>;
  /** Stops the screen share. */
  stopScreenShare(): Promise<void>;

  /** Plays a remote user's video in `view`; call after `REMOTE_VIDEO_AVAILABLE`. */
  startRemoteVideo(config: RemoteVideoConfig): Promise<void>;
  /** Changes a playing remote video: view, fill mode, small stream. */
  updateRemoteVideo(config: RemoteVideoConfig): Promise<void>;
  /** Stops a remote video; `userId: '*'` stops all. */
  stopRemoteVideo(config: StopRemoteVideoConfig): Promise<void>;

  /** Mutes or unmutes a remote user's audio (`'*'` = everyone). Works before entering a room. */
  muteRemoteAudio(userId: string, mute: boolean): Promise<void>;
  /** Sets a remote user's playback volume (`'*'` = everyone): 0..100, above 100 amplifies. Throws on bad input. */
  setRemoteAudioVolume(userId: string, volume: number): void;

  /** Starts a plugin by name. */
  startPlugin<N extends keyof PluginStartOptionsMap>(
    name: N,
    ...options: OptionsArg<PluginStartOptionsMap[N]>
  ): Promise<any>;
  /** Updates a running plugin. */
  updatePlugin<N extends keyof PluginUpdateOptionsMap>(
    name: N,
    ...options: OptionsArg<PluginUpdateOptionsMap[N]>
  ): Promise<any>;
  /** Stops a plugin. */
  stopPlugin<N extends keyof PluginStopOptionsMap>(
    name: N,
    ...options: OptionsArg<PluginStopOptionsMap[N]>
  ): Promise<any>;

  /**
   * Emits `AUDIO_VOLUME` every `interval` ms (default 2000, minimum 100; 0 or less turns it off).
   * Throws on a non-number interval.
   */
  enableAudioVolumeEvaluation(interval?: number, enableInBackground?: boolean): void;

  /** Adds an event listener; the same handler added twice is called once. */
  on<K extends keyof TRTCEventMap>(event: K, handler: TRTCEventHandler<K>, context?: unknown): this;
  /** Removes a listener; without `handler`, every listener of `event`; `'*'` removes all listeners. */
  off<K extends keyof TRTCEventMap>(event: K, handler?: TRTCEventHandler<K>, context?: unknown): this;
  off(event: '*'): this;
  /** Like `on`, but the handler runs at most once. */
  once<K extends keyof TRTCEventMap>(event: K, handler: TRTCEventHandler<K>, context?: unknown): this;
  /** Same as `on` (eventemitter3 name). */
  addListener<K extends keyof TRTCEventMap>(event: K, handler: TRTCEventHandler<K>, context?: unknown): this;
  /** Same as `off` (eventemitter3 name). */
  removeListener<K extends keyof TRTCEventMap>(event: K, handler?: TRTCEventHandler<K>, context?: unknown): this;
  /** Removes every listener of `event`, or of all events. */
  removeAllListeners(event?: keyof TRTCEventMap): this;
  /** The handlers of `event`. */
  listeners<K extends keyof TRTCEventMap>(event: K): TRTCEventHandler<K>[];
  /** How many handlers `event` has. */
  listenerCount(event: keyof TRTCEventMap): number;
  /** The events that have handlers. */
  eventNames(): (keyof TRTCEventMap)[];
  /** Calls the handlers of `event` with `payload`; true when there were any (eventemitter3 behaviour). */
  emit<K extends keyof TRTCEventMap>(event: K, ...args: TRTCEventTypes[K]): boolean;

  /** The audio track of a user (`''`/none = local microphone; `streamType: 'sub'` = local screen audio). */
  getAudioTrack(configOrUserId?: string | TrackConfig): MediaStreamTrack | null;
  /** The video track of a user (none = local camera; `streamType: 'sub'` = screen). */
  getVideoTrack(config?: TrackConfig): MediaStreamTrack | null;
  /** A data-URL snapshot of a playing video, or `''`. */
  getVideoSnapshot(config?: VideoFrameConfig): string;

  /** Sends SEI data (1..1000 bytes) with the next frame of the published H.264 video (needs
   * `TRTC.create({enableSEI: true})`). Typed `void` as in trtc-sdk-v5, but a failed check returns
   * a rejected promise; over 30 calls or 8000 bytes a second throws. */
  sendSEIMessage(buffer: ArrayBuffer, options?: SEIMessageOptions): void;
  /** Sends a small message to everyone in the room (anchors only). */
  sendCustomMessage(message: CustomMessageData): void;

  /** Calls an experimental API by name. */
  callExperimentalAPI<N extends keyof ExperimentalAPIFunctionMap>(
    name: N,
    ...options: OptionsArg<ExperimentalAPIFunctionMap[N]>
  ): Promise<void>;
}

export default TRTC;
export { TRTC, RtcError };
