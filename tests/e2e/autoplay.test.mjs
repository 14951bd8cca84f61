// Autoplay: when the browser refuses to play remote audio, AUTOPLAY_FAILED fires with a resume()
// for each user; the SDK's prompt appears; one real click on the page (or on the prompt) resumes
// every stream, and the audio is then measured above 0. Without the dialog, the app's resume()
// does it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pageErrors, startServer, launchBrowser, CHROMIUM_ARGS } from './harness.mjs';

let pages, talker, listener;
before(async () => {
  // The listener page enters by itself on load (tests/e2e/pages/listener.html).
  pages = await startServer(['--dev', '--www', 'tests/e2e/pages']);
  talker = await launchBrowser();
  // The listener's browser refuses unmuted playback until the user interacts with the page.
  listener = await launchBrowser(['--autoplay-policy=document-user-activation-required'],
    CHROMIUM_ARGS.filter((a) => !a.startsWith('--autoplay-policy')));
});
after(async () => {
  await talker?.close();
  await listener?.close();
  await pages?.stop();
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the pages');
});

/** Resolves with the payload of the first console line "EVENT <name> <json>" matching. */
function consoleEvent(page, name, pred = () => true, timeout = 15000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { page.off('console', h); reject(new Error(`no ${name} within ${timeout} ms`)); }, timeout);
    const h = (msg) => {
      const m = msg.text().match(/^EVENT (\S+) (.*)$/);
      if (!m || m[1] !== name) return;
      const p = JSON.parse(m[2]);
      if (!pred(p)) return;
      clearTimeout(timer); page.off('console', h); resolve(p);
    };
    page.on('console', h);
  });
}

/** Resolves when the page logs "VOLUME <userId>" (that user's audio measured above 0). */
function heard(page, userId, timeout = 10000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { page.off('console', h); reject(new Error(`${userId} not heard within ${timeout} ms`)); }, timeout);
    const h = (msg) => {
      if (msg.text() !== `VOLUME ${userId}`) return;
      clearTimeout(timer); page.off('console', h); resolve();
    };
    page.on('console', h);
  });
}

/** Talkers publishing into `roomId` (camera + microphone), in the talker browser. */
async function talkers(roomId, ids) {
  const out = [];
  for (const id of ids) {
    const a = await talker.newPage();
    const entered = new Promise((r) => a.on('console', (m) => { if (m.text() === 'ENTERED') r(); }));
    await a.goto(new URL(`/listener.html?roomId=${roomId}&userId=${id}&publish=1`, pages.url).href);
    await entered;
    out.push(a);
  }
  return out;
}

/** Opens the listener page in the browser that refuses autoplay; returns it and its promises. */
async function openListener(roomId, ids, query = '') {
  const b = await listener.newPage();
  b.on('pageerror', (e) => pageErrors.push(String(e)));
  const failed = ids.map((id) => consoleEvent(b, 'autoplay-failed', (p) => p.userId === id));
  const playing = ids.map((id) => consoleEvent(b, 'audio-play-state-changed', (p) => p.userId === id && p.state === 'PLAYING', 30000));
  const state = { played: false };
  Promise.all(playing).then(() => { state.played = true; }, () => {});
  await b.goto(new URL(`/listener.html?roomId=${roomId}&userId=listener${query}`, pages.url).href);
  return { b, failed, playing, state };
}

test('AUTOPLAY_FAILED fires for each user, the prompt shows, and one real click resumes them all', async () => {
  const ts = await talkers(5001, ['talker', 'talker2']);
  const { b, failed, playing, state } = await openListener(5001, ['talker', 'talker2']);
  for (const f of await Promise.all(failed)) {
    assert.deepEqual([f.mediaType, f.hasResume], ['audio', true], JSON.stringify(f));
  }
  await b.waitForSelector('[data-trtc-autoplay]', { timeout: 5000 });
  assert.equal(state.played, false, 'not playing before the gesture');
  // One real click (user activation) on the page, away from the prompt, unlocks both streams.
  const heardBoth = Promise.all([heard(b, 'talker'), heard(b, 'talker2')]);
  await b.mouse.click(10, 10);
  await Promise.all(playing);
  await heardBoth;
  await b.waitForSelector('[data-trtc-autoplay]', { state: 'detached', timeout: 5000 });
  assert.equal(await b.evaluate(() => window.trtc.getAudioTrack('talker')?.readyState), 'live', "getAudioTrack('talker')");
  for (const a of ts) await a.close();
  await b.close();
});

test("a click on the SDK's prompt resumes playback and removes the prompt", async () => {
  const ts = await talkers(5002, ['talker']);
  const { b, failed, playing, state } = await openListener(5002, ['talker']);
  await Promise.all(failed);
  const prompt = await b.waitForSelector('[data-trtc-autoplay]', { timeout: 5000 });
  assert.equal(state.played, false);
  const h = heard(b, 'talker');
  await prompt.click();
  await Promise.all(playing);
  await h;
  await b.waitForSelector('[data-trtc-autoplay]', { state: 'detached', timeout: 5000 });
  for (const a of ts) await a.close();
  await b.close();
});

test('enableAutoPlayDialog:false shows no prompt, and the resume() of AUTOPLAY_FAILED plays the audio, every time it is called', async () => {
  const ts = await talkers(5003, ['talker']);
  const { b, failed, playing, state } = await openListener(5003, ['talker'], '&dialog=0');
  const [f] = await Promise.all(failed);
  assert.equal(f.hasResume, true);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await b.locator('[data-trtc-autoplay]').count(), 0, 'no SDK prompt');
  assert.equal(state.played, false);
  // The app's own button calls resume() on mousedown: a user gesture with no click, so the
  // SDK's own click/touch/key listeners stay out of it.
  const h = heard(b, 'talker');
  const box = await b.locator('#app-resume').boundingBox();
  await b.mouse.move(box.x + 5, box.y + 5);
  const resumes = [];
  b.on('console', (m) => { if (/^RESUME/.test(m.text())) resumes.push(m.text()); });
  await b.mouse.down();
  await Promise.all(playing);
  await h;
  await b.mouse.up();
  // The same resume() works again, every time (it lives as long as the instance).
  for (let i = 0; i < 2; i++) {
    await b.mouse.down();
    await b.mouse.up();
  }
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(resumes, ['RESUMED', 'RESUMED', 'RESUMED']);
  for (const a of ts) await a.close();
  await b.close();
});
