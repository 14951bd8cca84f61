// trtc-wasm demo: local devices only (camera, microphone, volume, events).
// Plain ES module, no build step. Uses only the public trtc-sdk-v5 API.
import TRTC from '/pkg/index.js';

const $ = (id) => document.getElementById(id);

const ui = {
  version: $('sdk-version'),
  supported: $('sdk-supported'),
  supportList: $('support-list'),
  status: $('status'),
  cameraSelect: $('camera-select'),
  microphoneSelect: $('microphone-select'),
  profileSelect: $('profile-select'),
  refreshDevices: $('btn-refresh-devices'),
  startCamera: $('btn-start-camera'),
  stopCamera: $('btn-stop-camera'),
  muteCamera: $('btn-mute-camera'),
  startMic: $('btn-start-mic'),
  stopMic: $('btn-stop-mic'),
  muteMic: $('btn-mute-mic'),
  volumeMeter: $('volume-meter'),
  volumeBar: $('volume-bar'),
  volumeValue: $('volume-value'),
  lastError: $('last-error'),
  eventLog: $('event-log'),
  clearLog: $('btn-clear-log'),
};

const MAX_LOG_ENTRIES = 200;
const MAX_PAYLOAD_CHARS = 300;

const state = {
  cameraOn: false,
  cameraMuted: false,
  micOn: false,
  micMuted: false,
  // One pending SDK call per resource; its buttons are disabled meanwhile.
  busy: { camera: false, mic: false },
};

const trtc = TRTC.create();
// Handy for debugging in the console and for browser tests.
window.TRTC = TRTC;
window.trtc = trtc;

// ---------------------------------------------------------------- formatting

function formatError(err) {
  if (err && typeof err === 'object' && 'code' in err) {
    return `${err.code}/${err.extraCode}: ${err.message}`;
  }
  return String(err && err.message ? err.message : err);
}

// JSON-ish, trimmed; copes with tracks, buffers, functions, errors and cycles.
function formatPayload(payload) {
  if (payload === undefined) return '';
  const seen = new WeakSet();
  let text;
  try {
    text = JSON.stringify(payload, (key, value) => {
      if (typeof value === 'function') return '[function]';
      if (typeof MediaStreamTrack !== 'undefined' && value instanceof MediaStreamTrack) {
        return `[${value.kind} track ${value.label || value.id}]`;
      }
      if (value instanceof ArrayBuffer) return `[ArrayBuffer ${value.byteLength}]`;
      if (ArrayBuffer.isView(value)) return `[${value.constructor.name} ${value.length}]`;
      if (value instanceof Error) {
        return { name: value.name, code: value.code, extraCode: value.extraCode, message: value.message };
      }
      if (typeof Element !== 'undefined' && value instanceof Element) return `[<${value.tagName.toLowerCase()}>]`;
      if (value && typeof value === 'object') {
        if (seen.has(value)) return '[circular]';
        seen.add(value);
      }
      return value;
    });
  } catch (e) {
    text = String(payload);
  }
  if (text === undefined) text = String(payload);
  return text.length > MAX_PAYLOAD_CHARS ? `${text.slice(0, MAX_PAYLOAD_CHARS)}…` : text;
}

function timeNow() {
  const d = new Date();
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

// ---------------------------------------------------------------- event log

// kind: 'event' | 'error' | 'info'. Consecutive entries with the same kind and
// name are folded into one row with a counter (AUDIO_VOLUME fires 10×/s).
function log(kind, name, detail) {
  const last = ui.eventLog.lastElementChild;
  if (last && last.dataset.kind === kind && last.dataset.name === name) {
    const count = Number(last.dataset.count) + 1;
    last.dataset.count = String(count);
    last.querySelector('.time').textContent = timeNow();
    last.querySelector('.detail').textContent = detail;
    last.querySelector('.count').textContent = `×${count}`;
    return;
  }
  const li = document.createElement('li');
  li.className = kind;
  li.dataset.kind = kind;
  li.dataset.name = name;
  li.dataset.count = '1';
  for (const [cls, text] of [['time', timeNow()], ['name', name], ['detail', detail], ['count', '']]) {
    const span = document.createElement('span');
    span.className = cls;
    span.textContent = text;
    li.append(span);
  }
  const atBottom = ui.eventLog.scrollHeight - ui.eventLog.scrollTop - ui.eventLog.clientHeight < 24;
  ui.eventLog.append(li);
  while (ui.eventLog.childElementCount > MAX_LOG_ENTRIES) ui.eventLog.firstElementChild.remove();
  if (atBottom) ui.eventLog.scrollTop = ui.eventLog.scrollHeight;
}

function showError(where, err) {
  const text = formatError(err);
  log('error', where, text);
  ui.lastError.textContent = `${where}: ${text}`;
  ui.lastError.hidden = false;
  console.error(where, err);
}

function setStatus(text, isError = false) {
  ui.status.textContent = text;
  ui.status.className = isError ? 'status error' : 'status';
}

// Runs one SDK call on `resource` ('camera' | 'mic'): that resource's buttons
// are disabled meanwhile, and a failure goes to the log.
async function call(resource, name, fn) {
  state.busy[resource] = true;
  render();
  try {
    await fn();
    log('info', name, 'ok');
    return true;
  } catch (err) {
    showError(name, err);
    return false;
  } finally {
    state.busy[resource] = false;
    render();
  }
}

// ---------------------------------------------------------------- UI state

function render() {
  const busyCamera = state.busy.camera;
  ui.startCamera.disabled = busyCamera || state.cameraOn;
  ui.stopCamera.disabled = busyCamera || !state.cameraOn;
  ui.muteCamera.disabled = busyCamera || !state.cameraOn;
  ui.muteCamera.textContent = state.cameraMuted ? 'Unmute camera' : 'Mute camera';
  ui.muteCamera.setAttribute('aria-pressed', String(state.cameraMuted));

  const busyMic = state.busy.mic;
  ui.startMic.disabled = busyMic || state.micOn;
  ui.stopMic.disabled = busyMic || !state.micOn;
  ui.muteMic.disabled = busyMic || !state.micOn;
  ui.muteMic.textContent = state.micMuted ? 'Unmute mic' : 'Mute mic';
  ui.muteMic.setAttribute('aria-pressed', String(state.micMuted));

  if (!state.micOn) setVolume(0);
}

function setVolume(volume) {
  const v = Math.max(0, Math.min(100, Math.round(volume) || 0));
  ui.volumeBar.style.width = `${v}%`;
  ui.volumeMeter.setAttribute('aria-valuenow', String(v));
  ui.volumeValue.textContent = String(v);
}

// ---------------------------------------------------------------- devices

function fillSelect(select, devices, emptyText) {
  const previous = select.value;
  select.replaceChildren();
  if (devices.length === 0) {
    const option = new Option(emptyText, '');
    option.disabled = true;
    select.append(option);
    select.value = '';
    return;
  }
  for (const device of devices) {
    select.append(new Option(device.label || device.deviceId, device.deviceId));
  }
  if (devices.some((d) => d.deviceId === previous)) select.value = previous;
}

async function refreshDevices() {
  try {
    const [cameras, microphones] = await Promise.all([
      TRTC.getCameraList(),
      TRTC.getMicrophoneList(),
    ]);
    fillSelect(ui.cameraSelect, cameras, 'No camera found');
    fillSelect(ui.microphoneSelect, microphones, 'No microphone found');
  } catch (err) {
    showError('getDeviceList', err);
  }
}

// ---------------------------------------------------------------- camera

ui.startCamera.addEventListener('click', async () => {
  const cameraId = ui.cameraSelect.value || undefined;
  const profile = ui.profileSelect.value;
  const ok = await call('camera', 'startLocalVideo', () =>
    trtc.startLocalVideo({ view: 'local-view', option: { cameraId, profile } }));
  if (ok) {
    state.cameraOn = true;
    state.cameraMuted = false;
    render();
    refreshDevices(); // labels become available once permission is granted
  }
});

ui.stopCamera.addEventListener('click', async () => {
  await call('camera', 'stopLocalVideo', () => trtc.stopLocalVideo());
  state.cameraOn = false;
  state.cameraMuted = false;
  render();
});

ui.muteCamera.addEventListener('click', async () => {
  const mute = !state.cameraMuted;
  if (await call('camera', 'updateLocalVideo', () => trtc.updateLocalVideo({ mute }))) {
    state.cameraMuted = mute;
    render();
  }
});

ui.cameraSelect.addEventListener('change', () => {
  const cameraId = ui.cameraSelect.value;
  if (state.cameraOn && cameraId) {
    call('camera', 'updateLocalVideo', () => trtc.updateLocalVideo({ option: { cameraId } }));
  }
});

ui.profileSelect.addEventListener('change', () => {
  const profile = ui.profileSelect.value;
  if (state.cameraOn) {
    call('camera', 'updateLocalVideo', () => trtc.updateLocalVideo({ option: { profile } }));
  }
});

// ---------------------------------------------------------------- microphone

ui.startMic.addEventListener('click', async () => {
  const microphoneId = ui.microphoneSelect.value || undefined;
  const ok = await call('mic', 'startLocalAudio', () =>
    trtc.startLocalAudio({ option: { microphoneId } }));
  if (ok) {
    state.micOn = true;
    state.micMuted = false;
    render();
    refreshDevices();
  }
});

ui.stopMic.addEventListener('click', async () => {
  await call('mic', 'stopLocalAudio', () => trtc.stopLocalAudio());
  state.micOn = false;
  state.micMuted = false;
  render();
});

ui.muteMic.addEventListener('click', async () => {
  const mute = !state.micMuted;
  if (await call('mic', 'updateLocalAudio', () => trtc.updateLocalAudio({ mute }))) {
    state.micMuted = mute;
    render();
  }
});

ui.microphoneSelect.addEventListener('change', () => {
  const microphoneId = ui.microphoneSelect.value;
  if (state.micOn && microphoneId) {
    call('mic', 'updateLocalAudio', () => trtc.updateLocalAudio({ option: { microphoneId } }));
  }
});

// ---------------------------------------------------------------- misc buttons

ui.refreshDevices.addEventListener('click', () => refreshDevices());

ui.clearLog.addEventListener('click', () => {
  ui.eventLog.replaceChildren();
  ui.lastError.hidden = true;
  ui.lastError.textContent = '';
});

// ---------------------------------------------------------------- SDK events

for (const name of Object.values(TRTC.EVENT)) {
  trtc.on(name, (payload) => {
    if (name === TRTC.EVENT.ERROR) {
      showError(`event ${name}`, payload);
    } else {
      log('event', name, formatPayload(payload));
    }
  });
}

trtc.on(TRTC.EVENT.AUDIO_VOLUME, ({ result }) => {
  const local = (result || []).find((entry) => entry.userId === '');
  setVolume(local ? local.volume : 0);
});

trtc.on(TRTC.EVENT.DEVICE_CHANGED, ({ action }) => {
  if (action === 'add' || action === 'remove') refreshDevices();
});

// ---------------------------------------------------------------- start-up

async function init() {
  ui.version.textContent = TRTC.VERSION;
  render();

  try {
    trtc.enableAudioVolumeEvaluation(100);
  } catch (err) {
    showError('enableAudioVolumeEvaluation', err);
  }

  try {
    const { result, detail } = await TRTC.isSupported();
    ui.supported.textContent = result ? 'yes' : 'no';
    ui.supported.className = result ? 'yes' : 'no';
    ui.supportList.replaceChildren();
    for (const [key, value] of Object.entries(detail || {})) {
      const li = document.createElement('li');
      li.className = value ? 'yes' : 'no';
      li.dataset.key = key;
      li.textContent = key;
      ui.supportList.append(li);
    }
  } catch (err) {
    ui.supported.textContent = 'unknown';
    showError('isSupported', err);
  }

  await refreshDevices();
  setStatus('Ready. Only local devices for now: start the camera or the microphone.');
  document.body.dataset.ready = 'true';
}

init().catch((err) => {
  setStatus(`Start-up failed: ${formatError(err)}`, true);
  showError('init', err);
});
