// trtc-wasm demo: local devices (camera, microphone, volume), rooms (enter/exit,
// invite link, remote users with video, volume and mute), recordings of the room (through
// the server's dev endpoints) and the event log.
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
  shareScreen: $('btn-share-screen'),
  stopScreen: $('btn-stop-screen'),
  startMic: $('btn-start-mic'),
  stopMic: $('btn-stop-mic'),
  muteMic: $('btn-mute-mic'),
  volumeMeter: $('volume-meter'),
  volumeBar: $('volume-bar'),
  volumeValue: $('volume-value'),
  lastError: $('last-error'),
  eventLog: $('event-log'),
  clearLog: $('btn-clear-log'),
  roomForm: $('room-form'),
  roomId: $('room-id'),
  userId: $('user-id'),
  enter: $('btn-enter'),
  exit: $('btn-exit'),
  connectionState: $('connection-state'),
  networkQuality: $('network-quality'),
  roomMessage: $('room-message'),
  inviteLink: $('invite-link'),
  copyInvite: $('btn-copy-invite'),
  remoteGrid: $('remote-grid'),
  remoteEmpty: $('remote-empty'),
  remoteCount: $('remote-count'),
  messageList: $('message-list'),
  messageForm: $('message-form'),
  messageText: $('message-text'),
  sendMessage: $('btn-send-message'),
  recordingState: $('recording-state'),
  recordingMode: $('recording-mode'),
  startRecording: $('btn-start-recording'),
  stopRecording: $('btn-stop-recording'),
  recordingMessage: $('recording-message'),
  recordingList: $('recording-list'),
  recordingEmpty: $('recording-empty'),
};

// Chat over custom messages: cmdId 1, UTF-8 text.
const CHAT_CMD_ID = 1;
const MAX_MESSAGES = 100;

const MAX_LOG_ENTRIES = 200;
const MAX_PAYLOAD_CHARS = 300;

const state = {
  cameraOn: false,
  cameraMuted: false,
  micOn: false,
  micMuted: false,
  screenOn: false,
  // One pending SDK call per resource; its buttons are disabled meanwhile.
  busy: { camera: false, mic: false, screen: false, room: false },
  // The room we are in ({roomId, userId}) or null.
  room: null,
  connection: 'DISCONNECTED',
  // userId -> remote user record (see remoteUser()).
  remotes: new Map(),
  // Remote users whose audio we muted; the SDK forgets this on exitRoom, so do we.
  mutedRemotes: new Set(),
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

  ui.shareScreen.disabled = state.busy.screen || state.screenOn;
  ui.stopScreen.disabled = state.busy.screen || !state.screenOn;

  const busyMic = state.busy.mic;
  ui.startMic.disabled = busyMic || state.micOn;
  ui.stopMic.disabled = busyMic || !state.micOn;
  ui.muteMic.disabled = busyMic || !state.micOn;
  ui.muteMic.textContent = state.micMuted ? 'Unmute mic' : 'Mute mic';
  ui.muteMic.setAttribute('aria-pressed', String(state.micMuted));

  if (!state.micOn) setVolume(0);

  const busyRoom = state.busy.room;
  const inRoom = state.room !== null;
  ui.enter.disabled = busyRoom || inRoom;
  ui.exit.disabled = busyRoom || !inRoom;
  ui.roomId.disabled = busyRoom || inRoom;
  ui.userId.disabled = busyRoom || inRoom;
  ui.enter.textContent = busyRoom && !inRoom ? 'Entering…' : 'Enter room';
  ui.messageText.disabled = !inRoom;
  ui.sendMessage.disabled = !inRoom;
  renderRecordingButtons();
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
    // small: a 160x120 stream beside the camera's, for viewers who pick "Small" on its tile.
    trtc.startLocalVideo({ view: 'local-view', option: { cameraId, profile, small: true } }));
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

// ---------------------------------------------------------------- room

const MAX_ROOM_ID = 4294967294;

function randomDigits(n) {
  const min = 10 ** (n - 1);
  return String(min + Math.floor(Math.random() * (9 * min)));
}

function randomUserId() {
  const bytes = new Uint8Array(3);
  crypto.getRandomValues(bytes);
  return `user-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function parseRoomId(text) {
  const value = Number(String(text).trim());
  return Number.isInteger(value) && value >= 1 && value <= MAX_ROOM_ID ? value : null;
}

// A link to the same room for somebody else: the room id only, so the guest
// gets a fresh user id (the same user id twice kicks the first one out).
function inviteUrl(roomId) {
  const url = new URL(location.pathname, location.origin);
  url.searchParams.set('roomId', String(roomId));
  return url.href;
}

function updateInvite() {
  const roomId = state.room ? state.room.roomId : parseRoomId(ui.roomId.value);
  if (roomId === null) {
    ui.inviteLink.textContent = 'Enter a room id from 1 to 4294967294';
    ui.inviteLink.removeAttribute('href');
    ui.copyInvite.disabled = true;
    return;
  }
  const url = inviteUrl(roomId);
  ui.inviteLink.href = url;
  ui.inviteLink.textContent = url;
  ui.copyInvite.disabled = false;
}

function setRoomMessage(text, kind = 'info') {
  ui.roomMessage.textContent = text;
  ui.roomMessage.className = `room-message ${kind}`;
  ui.roomMessage.hidden = !text;
}

function setConnectionState(value) {
  state.connection = value;
  ui.connectionState.textContent = value;
  ui.connectionState.dataset.state = value;
}

// Fetches a test userSig from trtc-server's dev endpoint.
async function fetchDevUserSig(userId) {
  let res;
  try {
    res = await fetch(`/trtc/dev/usersig?userId=${encodeURIComponent(userId)}`, { cache: 'no-store' });
  } catch (err) {
    throw new Error(`cannot reach the server for a userSig (${err.message})`);
  }
  if (res.status === 404) {
    const error = new Error('No userSig: the server does not run in dev mode. Start trtc-server with --dev, '
      + 'or have your application server supply userSigs.');
    error.devModeOff = true;
    throw error;
  }
  if (!res.ok) {
    const text = (await res.text().catch(() => '')).trim();
    throw new Error(`the server refused a userSig: HTTP ${res.status}${text ? ` ${text}` : ''}`);
  }
  const body = await res.json();
  if (typeof body.sdkAppId !== 'number' || typeof body.userSig !== 'string') {
    throw new Error('the server answered the userSig request with unexpected JSON');
  }
  return body;
}

async function enterRoom() {
  const roomId = parseRoomId(ui.roomId.value);
  const userId = ui.userId.value.trim();
  if (roomId === null) {
    setRoomMessage('The room id must be a whole number from 1 to 4294967294.', 'error');
    ui.roomId.focus();
    return;
  }
  if (!userId) {
    setRoomMessage('Enter a user id.', 'error');
    ui.userId.focus();
    return;
  }
  state.busy.room = true;
  setRoomMessage('');
  render();
  try {
    let sig;
    try {
      sig = await fetchDevUserSig(userId);
    } catch (err) {
      setRoomMessage(err.message, 'error');
      showError('userSig', err);
      return;
    }
    try {
      await trtc.enterRoom({ sdkAppId: sig.sdkAppId, userId, userSig: sig.userSig, roomId });
    } catch (err) {
      setRoomMessage(`Could not enter room ${roomId}: ${formatError(err)}`, 'error');
      showError('enterRoom', err);
      return;
    }
    log('info', 'enterRoom', 'ok');
    state.room = { roomId, userId };
    for (const user of state.remotes.values()) syncRemoteVideo(user);
    for (const userId of availableScreens) showRemoteScreen(userId);
    rememberRoomInUrl(roomId, userId);
    refreshRecordings();
    setStatus(`In room ${roomId} as ${userId}.`);
    setRoomMessage(state.cameraOn || state.micOn
      ? ''
      : 'You are in the room. Start the camera or the microphone to be seen and heard.');
  } finally {
    state.busy.room = false;
    render();
    updateInvite();
    renderRemoteCount();
  }
}

// Keeps the room in the address bar, so a reload lands in the same room. The user
// id is kept only when it was there already (a shared address must not carry it).
function rememberRoomInUrl(roomId, userId) {
  const url = new URL(location.href);
  url.searchParams.set('roomId', String(roomId));
  if (url.searchParams.has('userId')) url.searchParams.set('userId', userId);
  history.replaceState(null, '', url);
}

// After exitRoom, KICKED_OUT or a fatal ERROR: forget the room and its users.
function leftRoom(message, kind = 'info') {
  state.room = null;
  state.mutedRemotes.clear();
  for (const userId of [...state.remotes.keys()]) removeRemote(userId);
  availableScreens.clear();
  for (const userId of [...screens.keys()]) hideRemoteScreen(userId);
  setRoomMessage(message, kind);
  setStatus('Not in a room.');
  render();
  updateInvite();
}

async function exitRoom() {
  state.busy.room = true;
  render();
  try {
    await trtc.exitRoom();
    log('info', 'exitRoom', 'ok');
    leftRoom('');
  } catch (err) {
    showError('exitRoom', err);
  } finally {
    state.busy.room = false;
    render();
  }
}

ui.roomForm.addEventListener('submit', (e) => {
  e.preventDefault();
  if (!ui.enter.disabled) enterRoom();
});
ui.exit.addEventListener('click', () => exitRoom());

// ---------------------------------------------------------------- messages

function addMessage(from, text, mine) {
  const li = document.createElement('li');
  if (mine) li.className = 'mine';
  const who = document.createElement('span');
  who.className = 'from';
  who.textContent = mine ? `${from} (you)` : from;
  const body = document.createElement('span');
  body.className = 'text';
  body.textContent = text;
  li.append(who, body);
  ui.messageList.append(li);
  while (ui.messageList.childElementCount > MAX_MESSAGES) ui.messageList.firstElementChild.remove();
  ui.messageList.scrollTop = ui.messageList.scrollHeight;
}

ui.messageForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = ui.messageText.value.trim();
  if (!text || !state.room) return;
  const data = new TextEncoder().encode(text).buffer;
  try {
    // Returns nothing when sent; a rejected promise for bad input; throws over 30 a second.
    const refused = trtc.sendCustomMessage({ cmdId: CHAT_CMD_ID, data });
    if (refused) await refused;
  } catch (err) {
    showError('sendCustomMessage', err);
    return;
  }
  addMessage(state.room.userId, text, true);
  ui.messageText.value = '';
});

trtc.on(TRTC.EVENT.CUSTOM_MESSAGE, ({ userId, cmdId, data }) => {
  if (cmdId !== CHAT_CMD_ID) return;
  addMessage(userId, new TextDecoder().decode(data), false);
});
ui.roomId.addEventListener('input', () => updateInvite());

ui.copyInvite.addEventListener('click', async () => {
  const url = ui.inviteLink.href;
  let ok = false;
  try {
    await navigator.clipboard.writeText(url);
    ok = true;
  } catch {
    // No clipboard API (insecure context) or no permission: select the text instead.
    const range = document.createRange();
    range.selectNodeContents(ui.inviteLink);
    const selection = getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    try { ok = document.execCommand('copy'); } catch { ok = false; }
  }
  ui.copyInvite.textContent = ok ? 'Copied' : 'Press Ctrl+C';
  clearTimeout(ui.copyInvite.resetTimer);
  ui.copyInvite.resetTimer = setTimeout(() => { ui.copyInvite.textContent = 'Copy link'; }, 1500);
});

// ---------------------------------------------------------------- remote users

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Creates (once) the tile of a remote user. Events may come in any order, so every
// remote event goes through here.
function remoteUser(userId) {
  let user = state.remotes.get(userId);
  if (user) return user;

  const tile = el('article', 'tile');
  tile.dataset.userId = userId;
  tile.dataset.video = 'off';
  tile.dataset.audio = 'off';
  tile.setAttribute('aria-label', `Remote user ${userId}`);

  const stage = el('div', 'stage');
  const video = el('div', 'remote-video');
  const placeholder = el('div', 'placeholder');
  const avatar = el('span', 'avatar', userId.slice(0, 1).toUpperCase());
  const placeholderText = el('span', 'placeholder-text', 'Camera off');
  placeholder.append(avatar, placeholderText);
  const micOff = el('span', 'mic-off', 'mic off');
  stage.append(video, placeholder, micOff);

  const bar = el('div', 'tile-bar');
  const name = el('span', 'tile-name', userId);
  name.title = userId;
  const meter = el('div', 'tile-meter');
  meter.setAttribute('role', 'meter');
  meter.setAttribute('aria-label', `${userId} volume`);
  meter.setAttribute('aria-valuemin', '0');
  meter.setAttribute('aria-valuemax', '100');
  meter.setAttribute('aria-valuenow', '0');
  const level = el('div', 'tile-level');
  meter.append(level);
  const mute = el('button', 'tile-mute', 'Mute');
  mute.type = 'button';
  mute.setAttribute('aria-pressed', 'false');
  mute.title = `Mute ${userId} for you`;
  const small = el('button', 'tile-small', 'Small');
  small.type = 'button';
  small.setAttribute('aria-pressed', 'false');
  small.title = `Receive ${userId}'s small stream (160x120) instead of the full one`;
  const stats = el('span', 'tile-stats', '');
  stats.title = `What you receive from ${userId} (STATISTICS)`;
  bar.append(name, stats, meter, small, mute);

  tile.append(stage, bar);

  user = {
    userId,
    tile,
    video,
    placeholderText,
    meter,
    level,
    mute,
    smallButton: small,
    small: false, // receive the small stream (option.small)
    stats,
    videoAvailable: false,
    videoStarted: false, // startRemoteVideo called and not stopped since
    audioAvailable: false,
    muted: state.mutedRemotes.has(userId),
    queue: Promise.resolve(), // this user's SDK calls, in order
    removed: false,
  };
  mute.addEventListener('click', () => toggleRemoteMute(user));
  small.addEventListener('click', () => toggleRemoteSmall(user));
  state.remotes.set(userId, user);
  ui.remoteGrid.append(tile);
  renderRemote(user);
  renderRemoteCount();
  return user;
}

function renderRemote(user) {
  user.tile.dataset.video = user.videoAvailable ? 'on' : 'off';
  user.tile.dataset.audio = user.audioAvailable ? 'on' : 'off';
  user.placeholderText.textContent = user.videoAvailable ? 'Connecting video…' : 'Camera off';
  user.mute.textContent = user.muted ? 'Unmute' : 'Mute';
  user.mute.setAttribute('aria-pressed', String(user.muted));
  user.mute.title = `${user.muted ? 'Unmute' : 'Mute'} ${user.userId} for you`;
  if (!user.audioAvailable) setRemoteVolume(user, 0);
}

function renderRemoteCount() {
  const n = state.remotes.size;
  ui.remoteCount.textContent = n ? `(${n})` : '';
  ui.remoteEmpty.hidden = n > 0;
  ui.remoteEmpty.textContent = state.room
    ? 'No one else is in the room. Send them the invite link.'
    : 'Enter a room to see the other people in it.';
}

function setRemoteVolume(user, volume) {
  const v = Math.max(0, Math.min(100, Math.round(volume) || 0));
  user.level.style.width = `${v}%`;
  user.meter.setAttribute('aria-valuenow', String(v));
}

// Queues an SDK call for one remote user, after the previous ones.
function queueFor(user, fn) {
  user.queue = user.queue.then(fn).catch((err) => console.error(err));
  return user.queue;
}

// Brings the SDK's remote video in line with availability: starts it into the
// tile's video box when available, stops it when not. Never starts twice.
function syncRemoteVideo(user) {
  queueFor(user, async () => {
    if (user.removed) return;
    // Users already in the room are announced while enterRoom() is still pending, when
    // startRemoteVideo() is refused (5101); enterRoom() calls this again once joined.
    if (!state.room) return;
    if (user.videoAvailable && !user.videoStarted) {
      user.videoStarted = true;
      try {
        await trtc.startRemoteVideo({
          userId: user.userId, streamType: 'main', view: user.video, option: { small: user.small },
        });
        log('info', 'startRemoteVideo', user.userId);
      } catch (err) {
        user.videoStarted = false;
        showError(`startRemoteVideo ${user.userId}`, err);
      }
    } else if (!user.videoAvailable && user.videoStarted) {
      user.videoStarted = false;
      try {
        await trtc.stopRemoteVideo({ userId: user.userId, streamType: 'main' });
      } catch (err) {
        showError(`stopRemoteVideo ${user.userId}`, err);
      }
    }
  });
}

// Big/small: the SFU switches on the next keyframe of the other stream (a user who publishes
// no small stream stays big).
function toggleRemoteSmall(user) {
  user.small = !user.small;
  user.smallButton.setAttribute('aria-pressed', String(user.small));
  queueFor(user, async () => {
    if (!user.videoStarted) return; // startRemoteVideo passes it
    try {
      await trtc.updateRemoteVideo({ userId: user.userId, streamType: 'main', option: { small: user.small } });
      log('info', 'updateRemoteVideo', `${user.userId} small ${user.small}`);
    } catch (err) {
      showError(`updateRemoteVideo ${user.userId}`, err);
    }
  });
}

async function toggleRemoteMute(user) {
  const mute = !user.muted;
  user.mute.disabled = true;
  try {
    await trtc.muteRemoteAudio(user.userId, mute);
    user.muted = mute;
    if (mute) state.mutedRemotes.add(user.userId); else state.mutedRemotes.delete(user.userId);
    log('info', 'muteRemoteAudio', `${user.userId} ${mute}`);
  } catch (err) {
    showError(`muteRemoteAudio ${user.userId}`, err);
  } finally {
    user.mute.disabled = false;
    renderRemote(user);
  }
}

// The user left (or we did): the SDK has already dropped their video and audio.
function removeRemote(userId) {
  const user = state.remotes.get(userId);
  if (!user) return;
  user.removed = true;
  state.remotes.delete(userId);
  user.tile.remove();
  renderRemoteCount();
}

trtc.on(TRTC.EVENT.REMOTE_USER_ENTER, ({ userId }) => { remoteUser(userId); });

trtc.on(TRTC.EVENT.REMOTE_USER_EXIT, ({ userId }) => { removeRemote(userId); });

trtc.on(TRTC.EVENT.REMOTE_VIDEO_AVAILABLE, ({ userId, streamType }) => {
  if (streamType !== 'main') return; // shared screens have tiles of their own (below)
  const user = remoteUser(userId);
  user.videoAvailable = true;
  renderRemote(user);
  syncRemoteVideo(user);
});

trtc.on(TRTC.EVENT.REMOTE_VIDEO_UNAVAILABLE, ({ userId, streamType }) => {
  if (streamType !== 'main') return;
  const user = state.remotes.get(userId);
  if (!user) return;
  user.videoAvailable = false;
  renderRemote(user);
  syncRemoteVideo(user);
});

trtc.on(TRTC.EVENT.REMOTE_AUDIO_AVAILABLE, ({ userId }) => {
  const user = remoteUser(userId);
  user.audioAvailable = true;
  renderRemote(user);
});

trtc.on(TRTC.EVENT.REMOTE_AUDIO_UNAVAILABLE, ({ userId }) => {
  const user = state.remotes.get(userId);
  if (!user) return;
  user.audioAvailable = false;
  renderRemote(user);
});

trtc.on(TRTC.EVENT.CONNECTION_STATE_CHANGED, ({ state: value }) => {
  setConnectionState(value);
  // Lost without exitRoom() (our own exit is busy.room): the SDK has left the room.
  if (value === 'DISCONNECTED' && state.room && !state.busy.room) {
    leftRoom('The connection to the server was lost: you are out of the room.', 'error');
  }
});

trtc.on(TRTC.EVENT.KICKED_OUT, ({ reason }) => {
  const why = {
    kick: 'the same user id entered the room somewhere else',
    banned: 'the server removed you from the room',
    room_disband: 'the room was closed',
  }[reason] || reason;
  leftRoom(`You left the room: ${why}.`, 'error');
});

trtc.on(TRTC.EVENT.ERROR, () => {
  // Fatal: the SDK has left the room already.
  if (state.room) leftRoom('You left the room after an error (see the event log).', 'error');
});

trtc.on(TRTC.EVENT.PUBLISH_STATE_CHANGED, ({ mediaType, state: value, reason }) => {
  if (value === 'stopped' && reason === 'error') {
    setRoomMessage(`Publishing your ${mediaType} failed (see the event log).`, 'error');
  }
});

// ---------------------------------------------------------------- screen sharing

// The screen goes out as the sub stream, next to the camera; the others see it in a tile of
// its own. The browser asks what to share (a screen, a window or a tab).
ui.shareScreen.addEventListener('click', async () => {
  const ok = await call('screen', 'startScreenShare', () =>
    trtc.startScreenShare({ view: 'screen-view', option: { systemAudio: true } }));
  if (ok) { state.screenOn = true; render(); }
});

ui.stopScreen.addEventListener('click', async () => {
  await call('screen', 'stopScreenShare', () => trtc.stopScreenShare());
  state.screenOn = false;
  render();
});

// Ended from the browser's own "Stop sharing" button.
trtc.on(TRTC.EVENT.SCREEN_SHARE_STOPPED, () => {
  state.screenOn = false;
  render();
});

// userId -> the tile showing that user's shared screen; the users sharing one now (announced
// while enterRoom() is still pending too: their tiles come once it resolves).
const screens = new Map();
const availableScreens = new Set();

function showRemoteScreen(userId) {
  if (screens.has(userId) || !state.room) return;
  const tile = el('article', 'tile screen-tile');
  tile.dataset.screenOf = userId;
  tile.setAttribute('aria-label', `${userId}'s screen`);
  const stage = el('div', 'stage');
  const video = el('div', 'remote-video');
  stage.append(video);
  const bar = el('div', 'tile-bar');
  bar.append(el('span', 'tile-name', `${userId} · screen`));
  tile.append(stage, bar);
  screens.set(userId, tile);
  ui.remoteGrid.append(tile);
  trtc.startRemoteVideo({ userId, streamType: 'sub', view: video })
    .then(() => log('info', 'startRemoteVideo', `${userId} sub`))
    .catch((err) => showError(`startRemoteVideo ${userId} sub`, err));
}

function hideRemoteScreen(userId) {
  const tile = screens.get(userId);
  if (!tile) return;
  screens.delete(userId);
  tile.remove();
  trtc.stopRemoteVideo({ userId, streamType: 'sub' }).catch((err) => showError(`stopRemoteVideo ${userId} sub`, err));
}

trtc.on(TRTC.EVENT.REMOTE_VIDEO_AVAILABLE, ({ userId, streamType }) => {
  if (streamType !== 'sub') return;
  availableScreens.add(userId);
  showRemoteScreen(userId);
});
trtc.on(TRTC.EVENT.REMOTE_VIDEO_UNAVAILABLE, ({ userId, streamType }) => {
  if (streamType !== 'sub') return;
  availableScreens.delete(userId);
  hideRemoteScreen(userId);
});
trtc.on(TRTC.EVENT.REMOTE_USER_EXIT, ({ userId }) => {
  availableScreens.delete(userId);
  hideRemoteScreen(userId);
});

// ---------------------------------------------------------------- recording

// The server records a room with FFmpeg (its cloud-recording API); the demo cannot sign the
// admin userSig that API takes, so it goes through the dev endpoints (dev mode only):
// POST/DELETE /trtc/dev/recording, GET /trtc/dev/recordings, GET /trtc/dev/recording/file.
const RECORDING_POLL_MS = 1000;
const recording = {
  taskId: null, // the running task this page stops (started here, or found running in our room)
  busy: false, // a start or stop is pending
  available: true, // false: the server has no dev mode
  tasks: [], // the last listing, newest first
  listed: '', // its JSON, to redraw only on change
  timer: 0,
};

function setRecordingMessage(text, kind = 'info') {
  ui.recordingMessage.textContent = text;
  ui.recordingMessage.className = `room-message ${kind}`;
  ui.recordingMessage.hidden = !text;
}

function runningTask() {
  return recording.tasks.find((t) => t.taskId === recording.taskId && t.status !== 'Exited') || null;
}

function renderRecordingButtons() {
  const running = runningTask();
  ui.startRecording.disabled = recording.busy || !recording.available || !state.room || running !== null;
  ui.stopRecording.disabled = recording.busy || !running;
  ui.recordingMode.disabled = recording.busy || running !== null;
  ui.startRecording.textContent = recording.busy && !running ? 'Starting…' : 'Start recording';
  ui.stopRecording.textContent = recording.busy && running ? 'Stopping…' : 'Stop recording';
  const value = running ? 'RECORDING' : 'OFF';
  ui.recordingState.dataset.state = value;
  ui.recordingState.textContent = running ? `RECORDING ${roomLabel(running)}` : 'NOT RECORDING';
}

function roomLabel(task) {
  return task.strRoomId !== undefined ? `room "${task.strRoomId}"` : `room ${task.roomId}`;
}

function formatBytes(n) {
  if (typeof n !== 'number') return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

function formatSeconds(file) {
  const end = typeof file.end === 'number' ? file.end : Date.now();
  return `${Math.max(0, Math.round((end - file.begin) / 1000))} s`;
}

const MODE_LABEL = { single: 'a file per user', mix: 'mixed' };

function renderRecordingList() {
  ui.recordingList.replaceChildren();
  for (const task of recording.tasks) {
    const li = el('li', 'recording-task');
    li.dataset.taskId = task.taskId;
    li.dataset.status = task.status;
    const head = el('div', 'recording-task-head');
    head.append(
      el('span', 'recording-task-name', `${roomLabel(task)} · ${MODE_LABEL[task.mode] || task.mode}`),
      el('span', 'recording-task-status', task.status),
    );
    if (task.exitReason) head.title = task.exitReason;
    const files = el('ul', 'recording-files');
    for (const file of task.files) {
      const item = el('li', 'recording-file');
      item.dataset.name = file.name;
      item.dataset.state = file.state;
      // Only finished files have a link (the server refuses one still being written).
      const name = file.url ? el('a', 'recording-file-name', file.name) : el('span', 'recording-file-name', file.name);
      if (file.url) {
        name.href = file.url;
        name.download = file.name;
      }
      const who = file.userId ? file.userId : 'everyone';
      item.append(name, el('span', 'recording-file-meta',
        `${who} · ${formatBytes(file.size)} · ${formatSeconds(file)} · ${file.state}`));
      files.append(item);
    }
    if (task.files.length === 0) files.append(el('li', 'recording-file muted', 'No file yet: nobody publishes.'));
    li.append(head, files);
    ui.recordingList.append(li);
  }
  ui.recordingEmpty.hidden = recording.tasks.length > 0;
}

// The server's answer as text ("FailedOperation.EngineUnavailable: …" and the like), for a
// refused request.
async function refusal(res) {
  const text = (await res.text().catch(() => '')).trim();
  if (res.status === 404 && /dev mode is off/.test(text)) {
    recording.available = false;
    return 'recording from the demo needs the server in dev mode (--dev, as scripts/dev.sh runs it)';
  }
  return `HTTP ${res.status}${text ? ` ${text}` : ''}`;
}

// Lists the demo's recordings; polls again while one runs.
async function refreshRecordings() {
  clearTimeout(recording.timer);
  let body;
  try {
    const res = await fetch('/trtc/dev/recordings', { cache: 'no-store' });
    if (!res.ok) {
      const why = await refusal(res);
      if (!recording.available) setRecordingMessage(`No recording: ${why}.`, 'error');
      renderRecordingButtons();
      return;
    }
    body = await res.json();
  } catch (err) {
    log('error', 'recordings', formatError(err));
    if (recording.tasks.some((t) => t.status !== 'Exited')) {
      clearTimeout(recording.timer);
      recording.timer = setTimeout(refreshRecordings, RECORDING_POLL_MS * 5);
    }
    return;
  }
  recording.tasks = Array.isArray(body.tasks) ? body.tasks : [];
  if (!body.enabled && !ui.recordingMessage.textContent) {
    setRecordingMessage('Recording is off on this server: start it with --record-dir DIR (scripts/dev.sh passes one).');
  }
  // A task running in our room (started from another tab, or before a reload) is ours to stop.
  if (!runningTask() && state.room) {
    const found = recording.tasks.find((t) => t.status !== 'Exited' && t.roomId === state.room.roomId);
    recording.taskId = found ? found.taskId : null;
  }
  const listed = JSON.stringify(recording.tasks);
  if (listed !== recording.listed || recording.tasks.some((t) => t.status !== 'Exited')) {
    recording.listed = listed;
    renderRecordingList();
  }
  renderRecordingButtons();
  if (recording.tasks.some((t) => t.status !== 'Exited')) {
    clearTimeout(recording.timer); // one poll at a time, however many refreshes overlapped
    recording.timer = setTimeout(refreshRecordings, RECORDING_POLL_MS);
  }
}

ui.startRecording.addEventListener('click', async () => {
  if (!state.room) return;
  const mode = ui.recordingMode.value;
  recording.busy = true;
  setRecordingMessage('');
  renderRecordingButtons();
  try {
    const query = new URLSearchParams({ roomId: String(state.room.roomId), mode });
    const res = await fetch(`/trtc/dev/recording?${query}`, { method: 'POST', cache: 'no-store' });
    if (!res.ok) {
      const why = await refusal(res);
      setRecordingMessage(`Could not start the recording: ${why}`, 'error');
      showError('startRecording', new Error(why));
      return;
    }
    const { taskId } = await res.json();
    recording.taskId = taskId;
    log('info', 'startRecording', `${MODE_LABEL[mode]}, task ${taskId}`);
  } catch (err) {
    setRecordingMessage(`Could not start the recording: ${formatError(err)}`, 'error');
    showError('startRecording', err);
  } finally {
    recording.busy = false;
    await refreshRecordings();
  }
});

ui.stopRecording.addEventListener('click', async () => {
  const running = runningTask();
  if (!running) return;
  recording.busy = true;
  renderRecordingButtons();
  try {
    // Answers once the files are finished (FFmpeg closes them).
    const res = await fetch(`/trtc/dev/recording?taskId=${encodeURIComponent(running.taskId)}`,
      { method: 'DELETE', cache: 'no-store' });
    if (!res.ok) {
      const why = await refusal(res);
      setRecordingMessage(`Could not stop the recording: ${why}`, 'error');
      showError('stopRecording', new Error(why));
      return;
    }
    setRecordingMessage('');
    log('info', 'stopRecording', `task ${running.taskId}`);
  } catch (err) {
    showError('stopRecording', err);
  } finally {
    recording.busy = false;
    await refreshRecordings();
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

// AUDIO_FRAME is left out: listening to it turns on the microphone's PCM, 25 events a second.
for (const name of Object.values(TRTC.EVENT).filter((n) => n !== TRTC.EVENT.AUDIO_FRAME)) {
  trtc.on(name, (payload) => {
    if (name === TRTC.EVENT.ERROR) {
      showError(`event ${name}`, payload);
    } else {
      log('event', name, formatPayload(payload));
    }
  });
}

trtc.on(TRTC.EVENT.AUDIO_VOLUME, ({ result }) => {
  const entries = result || [];
  const local = entries.find((entry) => entry.userId === '');
  setVolume(local ? local.volume : 0);
  const volumes = new Map(entries.map((entry) => [entry.userId, entry.volume]));
  for (const user of state.remotes.values()) setRemoteVolume(user, volumes.get(user.userId) || 0);
});

// Network quality (0 unknown, 1 excellent … 5 very bad, 6 disconnected) and per-user bitrate.
const QUALITY = ['–', 'excellent', 'good', 'poor', 'bad', 'very bad', 'down'];
trtc.on(TRTC.EVENT.NETWORK_QUALITY, (q) => {
  ui.networkQuality.textContent =
    `↑ ${QUALITY[q.uplinkNetworkQuality]} · ↓ ${QUALITY[q.downlinkNetworkQuality]} · ${q.uplinkRTT} ms`;
  ui.networkQuality.dataset.uplink = String(q.uplinkNetworkQuality);
  ui.networkQuality.dataset.downlink = String(q.downlinkNetworkQuality);
});

trtc.on(TRTC.EVENT.STATISTICS, ({ remoteStatistics }) => {
  for (const r of remoteStatistics || []) {
    const user = state.remotes.get(r.userId);
    if (!user) continue;
    const kbps = (r.audio ? r.audio.bitrate : 0) + (r.video || []).reduce((sum, v) => sum + v.bitrate, 0);
    const video = (r.video || [])[0];
    user.stats.textContent = `${kbps} kbps${video ? ` · ${video.width}×${video.height}@${video.frameRate}` : ''}`;
    user.stats.dataset.kbps = String(kbps);
  }
});

trtc.on(TRTC.EVENT.DEVICE_CHANGED, ({ action }) => {
  if (action === 'add' || action === 'remove') refreshDevices();
});

// ---------------------------------------------------------------- start-up

async function init() {
  ui.version.textContent = TRTC.VERSION;
  const params = new URLSearchParams(location.search);
  ui.roomId.value = String(parseRoomId(params.get('roomId') || '') ?? randomDigits(4));
  ui.userId.value = (params.get('userId') || '').trim() || randomUserId();
  setConnectionState('DISCONNECTED');
  updateInvite();
  renderRemoteCount();
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
  await refreshRecordings();
  setStatus('Ready. Start the camera and the microphone, then enter the room (or the other way round).');
  document.body.dataset.ready = 'true';
}

init().catch((err) => {
  setStatus(`Start-up failed: ${formatError(err)}`, true);
  showError('init', err);
});
