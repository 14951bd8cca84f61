// Autoplay: when the browser refuses to play remote audio, AUTOPLAY_FAILED fires with a resume();
// the SDK's prompt appears; a real click on the page resumes playback.
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

test('AUTOPLAY_FAILED fires, the prompt shows, and a real click resumes the audio', async () => {
  const a = await talker.newPage();
  const entered = new Promise((r) => a.on('console', (m) => { if (m.text() === 'ENTERED') r(); }));
  await a.goto(new URL('/listener.html?roomId=5001&userId=talker&publish=1', pages.url).href);
  await entered;
  const b = await listener.newPage();
  b.on('pageerror', (e) => pageErrors.push(String(e)));
  const failed = consoleEvent(b, 'autoplay-failed', (p) => p.userId === 'talker');
  const playing = consoleEvent(b, 'audio-play-state-changed', (p) => p.userId === 'talker' && p.state === 'PLAYING', 30000);
  let played = false;
  playing.then(() => { played = true; }, () => {});
  await b.goto(new URL('/listener.html?roomId=5001&userId=listener', pages.url).href);
  const f = await failed;
  assert.deepEqual([f.userId, f.mediaType, f.hasResume], ['talker', 'audio', true]);
  await b.waitForSelector('[data-trtc-autoplay]', { timeout: 5000 });
  assert.equal(played, false, 'not playing before the gesture');
  // A real click (user activation) on the page, away from the prompt.
  await b.mouse.click(10, 10);
  await playing;
  await b.waitForSelector('[data-trtc-autoplay]', { state: 'detached', timeout: 5000 });
  assert.equal(await b.evaluate(() => window.trtc.getAudioTrack('talker')?.readyState), 'live', "getAudioTrack('talker')");
  await a.close();
  await b.close();
});
