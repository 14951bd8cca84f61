import { assert, eq, rejects, makeView, framesAdvance, nextEvent } from './helpers.js';

/** Records DOM listeners added from now on and not removed since; `stop()` restores the page. */
function watchListeners() {
  const live = [];
  const add = EventTarget.prototype.addEventListener;
  const remove = EventTarget.prototype.removeEventListener;
  EventTarget.prototype.addEventListener = function (type, fn, opts) {
    live.push([this, type, fn]);
    return add.call(this, type, fn, opts);
  };
  EventTarget.prototype.removeEventListener = function (type, fn, opts) {
    const i = live.findIndex(([t, k, f]) => t === this && k === type && f === fn);
    if (i >= 0) live.splice(i, 1);
    return remove.call(this, type, fn, opts);
  };
  return {
    live: () => live.map(([t, k]) => `${t.constructor.name}:${k}`),
    stop() {
      EventTarget.prototype.addEventListener = add;
      EventTarget.prototype.removeEventListener = remove;
    },
  };
}

export async function destroyCleansUp(TRTC) {
  const watch = watchListeners();
  try {
    await destroyCleansUpWatched(TRTC, watch);
  } finally {
    watch.stop();
  }
}

async function destroyCleansUpWatched(TRTC, watch) {
  const trtc = TRTC.create();
  const view = makeView();
  let calls = 0;
  trtc.on(TRTC.EVENT.AUDIO_VOLUME, () => calls++);
  trtc.enableAudioVolumeEvaluation(100);
  await trtc.startLocalVideo({ view });
  await trtc.startLocalAudio({ option: { earMonitorVolume: 10 } });
  await framesAdvance(view.querySelector('video'));
  const tracks = [trtc.getVideoTrack(), trtc.getAudioTrack()];
  trtc.on(TRTC.EVENT.DEVICE_CHANGED, () => {});
  trtc.on(TRTC.EVENT.ERROR, () => {});
  assert(watch.live().length > 0, 'the SDK listens to the page while capturing (the watch works)');
  trtc.destroy();
  eq(JSON.stringify(watch.live()), '[]', 'every DOM listener the SDK added is removed');
  for (const name of Object.values(TRTC.EVENT)) {
    eq(trtc.listeners(name).length, 0, `no ${name} listener left`);
  }
  for (const t of tracks) eq(t.readyState, 'ended', `${t.kind} track ended`);
  eq(view.querySelector('video'), null, 'the preview element is removed');
  eq(document.querySelectorAll('[data-trtc-video]').length, 0, 'no SDK element left in the page');
  const before = calls;
  await new Promise((r) => setTimeout(r, 400));
  eq(calls, before, 'no events after destroy: listeners and timers are gone');
  const e = await rejects(trtc.startLocalVideo(), 5100, undefined, 'startLocalVideo');
  assert(e.message.includes('destroyed'), e.message);
  await rejects(trtc.startLocalAudio(), 5100, undefined, 'startLocalAudio');
  trtc.destroy(); // twice is harmless
}

export async function destroyDuringStart(TRTC) {
  const trtc = TRTC.create();
  const p = trtc.startLocalVideo({ view: makeView() }).then(() => null, (e) => e);
  trtc.destroy();
  const err = await p;
  assert(err && (err.code === 5100 || err.code === 5998), 'a pending start fails after destroy');
  eq(document.querySelectorAll('[data-trtc-video]').length, 0, 'nothing rendered');
}

export async function onOffSemantics(TRTC) {
  const trtc = TRTC.create();
  let n = 0;
  const h = () => n++;
  eq(trtc.on(TRTC.EVENT.DEVICE_CHANGED, h), trtc, 'on returns this');
  trtc.on(TRTC.EVENT.DEVICE_CHANGED, h); // twice: fires once
  const ctx = { hits: 0 };
  trtc.on(TRTC.EVENT.DEVICE_CHANGED, function () { this.hits++; }, ctx);
  // A throwing handler does not break the SDK or the other handlers.
  trtc.on(TRTC.EVENT.DEVICE_CHANGED, () => { throw new Error('app bug'); });
  const seen = nextEvent(trtc, TRTC.EVENT.DEVICE_CHANGED, 5000);
  await trtc.startLocalAudio();
  await seen;
  eq(n, 1, 'a handler added twice fires once');
  eq(ctx.hits, 1, 'context is this');
  eq(trtc.off(TRTC.EVENT.DEVICE_CHANGED, h), trtc, 'off returns this');
  await trtc.updateLocalAudio({ option: { microphoneId: (await TRTC.getMicrophoneList())[1].deviceId } });
  await new Promise((r) => setTimeout(r, 300));
  eq(n, 1, 'removed handler not called');
  eq(ctx.hits, 2, 'the other handler still is');
  // '*' removes everything.
  trtc.off('*');
  await trtc.updateLocalAudio({ option: { microphoneId: (await TRTC.getMicrophoneList())[2].deviceId } });
  await new Promise((r) => setTimeout(r, 300));
  eq(ctx.hits, 2, "off('*') removed every handler");
  // Chaining.
  trtc.on('a', h).on('b', h).off('a', h);
  trtc.destroy();
}
