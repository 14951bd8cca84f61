import { assert, eq, rejects, nextEvent, collect, waitFor, maxLocalVolume } from './helpers.js';

export async function volumeFromTheBeep(TRTC) {
  const trtc = TRTC.create();
  trtc.enableAudioVolumeEvaluation(100);
  const active = nextEvent(trtc, TRTC.EVENT.DEVICE_CHANGED, 5000);
  await trtc.startLocalAudio();
  const d = await active;
  eq([d.type, d.action], ['microphone', 'active'], 'DEVICE_CHANGED');
  const track = trtc.getAudioTrack();
  assert(track instanceof MediaStreamTrack && track.kind === 'audio' && track.readyState === 'live', 'getAudioTrack()');
  eq(trtc.getAudioTrack(''), track, "getAudioTrack('')");
  eq(trtc.getAudioTrack({ userId: '' }), track, "getAudioTrack({userId:''})");
  eq(trtc.getAudioTrack('remote-user'), null, 'no remote user');
  // The fake microphone beeps periodically: sample over 2 s.
  const loud = await maxLocalVolume(trtc, TRTC, 2000);
  console.log('volume with the beep', JSON.stringify(loud));
  assert(loud.events >= 10, `about 10 events/s at 100 ms (got ${loud.events} in 2 s)`);
  assert(loud.max > 0, `volume > 0 from the beep (max ${loud.max})`);
  // The payload's shape.
  const ev = await nextEvent(trtc, TRTC.EVENT.AUDIO_VOLUME, 1000);
  eq(ev.result.length, 1, 'one entry: the local microphone');
  const e = ev.result[0];
  eq(Object.keys(e), ['userId', 'volume', 'floatVolume'], 'entry keys');
  assert(Number.isInteger(e.volume) && e.volume >= 0 && e.volume <= 100, 'volume 0..100');
  assert(e.floatVolume >= 0 && e.floatVolume <= 1 && e.volume === Math.floor(e.floatVolume * 100), 'floatVolume');
  // Muted: 0.
  await trtc.updateLocalAudio({ mute: true });
  eq(track.enabled, false, 'mute disables the track');
  const muted = await maxLocalVolume(trtc, TRTC, 1500);
  eq(muted.max, 0, 'volume 0 while muted');
  await trtc.updateLocalAudio({ mute: false });
  const back = await maxLocalVolume(trtc, TRTC, 2000);
  assert(back.max > 0, `volume back after unmute (${back.max})`);
  // captureVolume 0 silences the measured (and later published) signal.
  await trtc.updateLocalAudio({ option: { captureVolume: 0 } });
  eq((await maxLocalVolume(trtc, TRTC, 1500)).max, 0, 'captureVolume 0 → volume 0');
  await trtc.updateLocalAudio({ option: { captureVolume: 100 } });
  assert((await maxLocalVolume(trtc, TRTC, 2000)).max > 0, 'captureVolume 100 → volume back');
  await trtc.stopLocalAudio();
  eq(track.readyState, 'ended', 'stop ends the mic track');
  eq(trtc.getAudioTrack(), null, 'no track after stop');
  const none = await nextEvent(trtc, TRTC.EVENT.AUDIO_VOLUME, 1000);
  eq(none.result, [], 'no entries without a microphone');
  trtc.destroy();
}

export async function muteMicrophoneReleasesTheDevice(TRTC) {
  const trtc = TRTC.create();
  trtc.enableAudioVolumeEvaluation(100);
  await trtc.startLocalAudio();
  const t0 = trtc.getAudioTrack();
  await trtc.updateLocalAudio({ mute: 'microphone' });
  eq(t0.readyState, 'ended', "mute:'microphone' releases the device");
  eq(trtc.getAudioTrack(), null, 'no track while released');
  eq((await maxLocalVolume(trtc, TRTC, 1000)).max, 0, 'volume 0');
  await trtc.updateLocalAudio({ mute: false });
  const t1 = trtc.getAudioTrack();
  assert(t1 && t1.readyState === 'live', 'captured again on unmute');
  assert((await maxLocalVolume(trtc, TRTC, 2000)).max > 0, 'volume back');
  // muteKeepVolumeDetection: muted but still measured.
  await trtc.updateLocalAudio({ mute: true, muteKeepVolumeDetection: true });
  assert((await maxLocalVolume(trtc, TRTC, 2000)).max > 0, 'volume measured while muted with muteKeepVolumeDetection');
  trtc.destroy();
}

export async function microphoneSwitch(TRTC) {
  const trtc = TRTC.create();
  const mics = await TRTC.getMicrophoneList();
  assert(mics.length >= 2, 'several fake microphones');
  const changes = collect(trtc, TRTC.EVENT.DEVICE_CHANGED);
  await trtc.startLocalAudio({ option: { microphoneId: mics[1].deviceId, profile: 'high', echoCancellation: false } });
  const t0 = trtc.getAudioTrack();
  eq(t0.getSettings().deviceId, mics[1].deviceId, 'opened the named microphone');
  eq(t0.getSettings().echoCancellation, false, 'echoCancellation false honoured');
  await trtc.updateLocalAudio({ option: { microphoneId: mics[2].deviceId } });
  const t1 = trtc.getAudioTrack();
  eq(t1.getSettings().deviceId, mics[2].deviceId, 'switched microphone');
  eq(t0.readyState, 'ended', 'old microphone released');
  await waitFor(() => changes.length >= 2, 3000, 'two DEVICE_CHANGED');
  eq(changes.map((c) => [c.type, c.device.deviceId]), [['microphone', mics[1].deviceId], ['microphone', mics[2].deviceId]], 'DEVICE_CHANGED');
  await rejects(trtc.updateLocalAudio({ option: { microphoneId: 'no-such-mic' } }), 5300, 5304, 'updateLocalAudio');
  eq(trtc.getAudioTrack(), t1, 'current microphone kept after a failed switch');
  eq(t1.readyState, 'live', 'still live');
  trtc.destroy();
}

export async function earMonitorPlayState(TRTC) {
  const trtc = TRTC.create();
  const states = collect(trtc, TRTC.EVENT.AUDIO_PLAY_STATE_CHANGED);
  await trtc.startLocalAudio({ option: { earMonitorVolume: 50 } });
  await trtc.updateLocalAudio({ option: { earMonitorVolume: 0 } });
  await trtc.updateLocalAudio({ option: { earMonitorVolume: 30 } });
  await trtc.stopLocalAudio();
  eq(states.map((s) => [s.type, s.userId, s.state]), [
    ['audio', '', 'PLAYING'], ['audio', '', 'STOPPED'], ['audio', '', 'PLAYING'], ['audio', '', 'STOPPED']], 'local playback states');
  trtc.destroy();
}

export async function audioProcessingOptions(TRTC) {
  const trtc = TRTC.create();
  // Defaults: the browser's echo cancellation, noise suppression and gain control are on.
  await trtc.startLocalAudio();
  const on = trtc.getAudioTrack().getSettings();
  eq([on.echoCancellation, on.noiseSuppression, on.autoGainControl], [true, true, true], 'defaults on');
  await trtc.stopLocalAudio();
  await trtc.startLocalAudio({ option: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
  const off = trtc.getAudioTrack().getSettings();
  eq([off.echoCancellation, off.noiseSuppression, off.autoGainControl], [false, false, false], 'all three off');
  await trtc.stopLocalAudio();
  await trtc.startLocalAudio({ option: { noiseSuppression: false } });
  const one = trtc.getAudioTrack().getSettings();
  eq([one.echoCancellation, one.noiseSuppression, one.autoGainControl], [true, false, true], 'only noiseSuppression off');
  trtc.destroy();
}

export async function customAudioTrack(TRTC) {
  const trtc = TRTC.create();
  // The app's own audio: a 440 Hz tone from Web Audio.
  const ctx = new AudioContext();
  await ctx.resume();
  const osc = ctx.createOscillator();
  const dest = ctx.createMediaStreamDestination();
  osc.connect(dest);
  osc.start();
  const mine = dest.stream.getAudioTracks()[0];
  trtc.enableAudioVolumeEvaluation(100);
  await trtc.startLocalAudio({ option: { audioTrack: mine } });
  eq(trtc.getAudioTrack(), mine, 'the app track is used as is');
  const loud = await maxLocalVolume(trtc, TRTC, 1000);
  assert(loud.max > 0, `volume measured from the app's track (max ${loud.max})`);
  await trtc.stopLocalAudio();
  eq(mine.readyState, 'live', 'the app owns its track: the SDK does not stop it');
  mine.stop();
  osc.stop();
  await ctx.close();
  trtc.destroy();
}
