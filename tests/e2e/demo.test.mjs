// The demo page as a newcomer uses it: pick devices, preview the camera, see the volume bar move;
// then two people in one room: tiles, remote video/audio state, mute, invite link, exit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, root } from './harness.mjs';

let server, browser;
before(async () => {
  server = await startServer(['--dev']);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the demo lists devices, previews the camera and shows the microphone volume', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
  assert.equal(await page.textContent('#sdk-version'), '5.17.1');
  assert.equal(await page.textContent('#sdk-supported'), 'yes');
  await page.waitForFunction(() => document.querySelectorAll('#camera-select option').length >= 2, null, { timeout: 10000 });
  const mics = await page.$$eval('#microphone-select option', (o) => o.map((x) => x.textContent));
  assert.ok(mics.some((l) => /Fake/.test(l)), `microphone labels: ${mics}`);

  // A camera plugged in shows up in the picker, and goes when unplugged (DEVICE_CHANGED).
  await page.evaluate(() => {
    const real = navigator.mediaDevices.enumerateDevices.bind(navigator.mediaDevices);
    window.plugged = [];
    navigator.mediaDevices.enumerateDevices = async () => [...(await real()), ...window.plugged];
    window.plugged = [{ deviceId: 'usb-cam', groupId: 'usb', kind: 'videoinput', label: 'USB Camera' }];
    navigator.mediaDevices.dispatchEvent(new Event('devicechange'));
  });
  await page.waitForFunction(() => [...document.querySelectorAll('#camera-select option')].some((o) => o.textContent === 'USB Camera'), null, { timeout: 10000 });
  await page.evaluate(() => { window.plugged = []; navigator.mediaDevices.dispatchEvent(new Event('devicechange')); });
  await page.waitForFunction(() => ![...document.querySelectorAll('#camera-select option')].some((o) => o.textContent === 'USB Camera'), null, { timeout: 10000 });

  await page.click('#btn-start-camera');
  await page.waitForFunction(() => {
    const v = document.querySelector('#local-view video');
    return v && v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 5;
  }, null, { timeout: 10000 });

  // Switch camera live from the picker.
  const second = await page.$eval('#camera-select', (s) => s.options[1].value);
  await page.selectOption('#camera-select', second);
  await page.waitForFunction((id) => {
    const v = document.querySelector('#local-view video');
    const t = v && v.srcObject && v.srcObject.getVideoTracks()[0];
    return t && t.getSettings().deviceId === id;
  }, second, { timeout: 10000 });

  await page.click('#btn-start-mic');
  await page.waitForFunction(() => Number(document.querySelector('#volume-value').textContent) > 0, null, { timeout: 10000 });

  const log = await page.textContent('#event-log');
  assert.match(log, /device-changed/);
  assert.match(log, /first-video-frame/);

  const dir = path.join(root, 'tests/artifacts');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, 'demo-desktop.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(dir, 'demo-phone.png'), fullPage: true });

  await page.click('#btn-stop-camera');
  await page.waitForFunction(() => !document.querySelector('#local-view video'), null, { timeout: 5000 });
  assert.deepEqual(errors, []);
  await page.close();
});

const artifacts = path.join(root, 'tests/artifacts');

/** Opens the demo in its own browser context; records page errors. */
async function openDemo(query, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await page.goto(new URL(query, server.url).href);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
  return page;
}

async function startMedia(page) {
  await page.click('#btn-start-camera');
  await page.waitForFunction(() => {
    const v = document.querySelector('#local-view video');
    return v && v.videoWidth > 0;
  }, null, { timeout: 10000 });
  await page.click('#btn-start-mic');
  await page.waitForSelector('#btn-stop-mic:not([disabled])', { timeout: 10000 });
}

async function enterFromForm(page) {
  await page.click('#btn-enter');
  await page.waitForFunction(() => document.querySelector('#connection-state').textContent === 'CONNECTED', null, { timeout: 10000 });
  await page.waitForSelector('#btn-exit:not([disabled])', { timeout: 10000 });
}

const tile = (id) => `#remote-grid [data-user-id="${id}"]`;

test('two users in one room see each other: tiles, video and audio state, mute, exit', async (t) => {
  const a = await openDemo('/?roomId=4242&userId=alice');
  const b = await openDemo('/?roomId=4242&userId=bob');

  // The form takes its defaults from the URL; the invite link drops the user id.
  assert.equal(await a.inputValue('#room-id'), '4242');
  assert.equal(await a.inputValue('#user-id'), 'alice');
  assert.equal(await b.inputValue('#user-id'), 'bob');
  const invite = new URL('/?roomId=4242', server.url).href;
  assert.equal(await a.textContent('#invite-link'), invite);
  assert.equal(await a.getAttribute('#invite-link', 'href'), invite);
  assert.equal(await a.textContent('#connection-state'), 'DISCONNECTED');

  // Both start camera and mic first, then enter: the SDK publishes on join.
  await startMedia(a);
  await startMedia(b);
  await enterFromForm(a);
  await enterFromForm(b);
  assert.equal(await a.textContent('#connection-state'), 'CONNECTED');
  assert.equal(await b.textContent('#connection-state'), 'CONNECTED');
  assert.ok(await a.isDisabled('#btn-enter'));
  assert.ok(await a.isDisabled('#room-id'));

  // Each sees one tile for the other, with video and audio available.
  await a.waitForSelector(`${tile('bob')}[data-video="on"][data-audio="on"]`, { timeout: 10000 });
  await b.waitForSelector(`${tile('alice')}[data-video="on"][data-audio="on"]`, { timeout: 10000 });
  assert.equal(await a.$$eval('#remote-grid [data-user-id]', (els) => els.length), 1);
  assert.equal(await b.$$eval('#remote-grid [data-user-id]', (els) => els.length), 1);
  assert.equal(await a.textContent(`${tile('bob')} .tile-name`), 'bob');
  assert.ok(!(await a.isVisible(`${tile('bob')} .mic-off`)), 'mic on: no "mic off" badge');

  // Each renders the other's video (decoded frames through the SFU) inside the tile's box.
  for (const [page, other] of [[a, 'bob'], [b, 'alice']]) {
    await page.waitForFunction((u) => {
      const v = document.querySelector(`[data-user-id="${u}"] .remote-video video`);
      return v && v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 5;
    }, other, { timeout: 15000 });
  }
  // Per-user bitrate (STATISTICS) and the network quality (NETWORK_QUALITY) are shown.
  await a.waitForFunction(() => Number(document.querySelector('[data-user-id="bob"] .tile-stats').dataset.kbps) > 0,
    null, { timeout: 10000 });
  await a.waitForFunction(() => ['1', '2'].includes(document.querySelector('#network-quality').dataset.downlink),
    null, { timeout: 10000 });
  // And hears it: bob's meter moves with the beep of his fake microphone.
  await a.waitForFunction(() => Number(document.querySelector('[data-user-id="bob"] .tile-meter').getAttribute('aria-valuenow')) > 0,
    null, { timeout: 10000 });

  // Volume: AUDIO_VOLUME entries for bob drive his tile's meter (a number 0..100).
  const level = await a.getAttribute(`${tile('bob')} .tile-meter`, 'aria-valuenow');
  assert.match(level, /^\d+$/);

  mkdirSync(artifacts, { recursive: true });
  await a.screenshot({ path: path.join(artifacts, 'demo-call-desktop.png'), fullPage: true });
  await a.setViewportSize({ width: 390, height: 844 });
  await a.screenshot({ path: path.join(artifacts, 'demo-call-phone.png'), fullPage: true });
  await a.setViewportSize({ width: 1280, height: 900 });

  // A message from alice shows on both pages, hers marked as hers.
  await a.fill('#message-text', 'hello bob ✓');
  await a.click('#btn-send-message');
  await b.waitForSelector('#message-list li .text', { timeout: 10000 });
  assert.equal(await b.textContent('#message-list li .from'), 'alice');
  assert.equal(await b.textContent('#message-list li .text'), 'hello bob ✓');
  assert.equal(await a.textContent('#message-list li.mine .text'), 'hello bob ✓');
  assert.equal(await a.inputValue('#message-text'), '', 'the box is cleared');

  // Mute bob's audio for alice, and back.
  await a.click(`${tile('bob')} .tile-mute`);
  await a.waitForSelector(`${tile('bob')} .tile-mute[aria-pressed="true"]`, { timeout: 5000 });
  assert.equal(await a.textContent(`${tile('bob')} .tile-mute`), 'Unmute');
  await a.click(`${tile('bob')} .tile-mute`);
  await a.waitForSelector(`${tile('bob')} .tile-mute[aria-pressed="false"]`, { timeout: 5000 });

  // Bob mutes his camera: alice's tile shows "camera off"; unmuting brings it back
  // (stop then start again, never two starts in a row: no error shows up).
  await b.click('#btn-mute-camera');
  await a.waitForSelector(`${tile('bob')}[data-video="off"]`, { timeout: 10000 });
  assert.equal(await a.textContent(`${tile('bob')} .placeholder-text`), 'Camera off');
  assert.ok(await a.isVisible(`${tile('bob')} .placeholder`));
  await b.click('#btn-mute-camera');
  await a.waitForSelector(`${tile('bob')}[data-video="on"]`, { timeout: 10000 });

  // Bob stops his microphone: "mic off" on his tile.
  await b.click('#btn-stop-mic');
  await a.waitForSelector(`${tile('bob')}[data-audio="off"] .mic-off`, { state: 'visible', timeout: 10000 });

  // Bob exits: his tile goes from alice's page; bob's page is back to the form.
  await b.click('#btn-exit');
  await a.waitForSelector(tile('bob'), { state: 'detached', timeout: 10000 });
  await b.waitForFunction(() => document.querySelector('#connection-state').textContent === 'DISCONNECTED', null, { timeout: 10000 });
  assert.equal(await b.$$eval('#remote-grid [data-user-id]', (els) => els.length), 0);
  assert.ok(!(await b.isDisabled('#btn-enter')));
  assert.ok(await b.isDisabled('#btn-exit'));
  assert.ok(await a.isVisible('#remote-empty'));

  for (const [name, page] of [['alice', a], ['bob', b]]) {
    assert.deepEqual(page.errors, [], `${name}: page errors`);
    assert.equal(await page.isVisible('#last-error'), false,
      `${name}: ${await page.textContent('#last-error')}`);
  }
  await a.context().close();
  await b.context().close();
});

test('Share screen: the other sees it in a tile of its own; the browser ending it turns the button back', async () => {
  const a = await openDemo('/?roomId=4243&userId=carol');
  const b = await openDemo('/?roomId=4243&userId=dan');
  await startMedia(a);
  await enterFromForm(a);
  await enterFromForm(b);
  await a.click('#btn-share-screen');
  await a.waitForSelector('#screen-view video', { timeout: 10000 });
  assert.ok(await a.isDisabled('#btn-share-screen'));
  assert.ok(!(await a.isDisabled('#btn-stop-screen')));
  // Dan: carol's camera tile and, apart, her screen's tile with its picture.
  const screenTile = '#remote-grid [data-screen-of="carol"]';
  await b.waitForSelector(`${tile('carol')}[data-video="on"]`, { timeout: 10000 });
  await b.waitForFunction((sel) => {
    const v = document.querySelector(`${sel} video`);
    return v && v.videoWidth >= 1280 && v.getVideoPlaybackQuality().totalVideoFrames > 2;
  }, screenTile, { timeout: 15000 });
  assert.equal(await b.textContent(`${screenTile} .tile-name`), 'carol · screen');
  await b.screenshot({ path: path.join(artifacts, 'demo-screen-share.png') });
  // Carol ends it in the browser's UI: the track ends, the buttons turn back, the tile goes.
  await a.evaluate(() => {
    const t = window.trtc.getVideoTrack({ streamType: 'sub' });
    t.stop();
    t.dispatchEvent(new Event('ended'));
  });
  await a.waitForFunction(() => !document.querySelector('#btn-share-screen').disabled, null, { timeout: 10000 });
  assert.ok(await a.isDisabled('#btn-stop-screen'));
  await b.waitForSelector(screenTile, { state: 'detached', timeout: 10000 });
  assert.ok(await b.isVisible(tile('carol')), 'the camera tile stays');
  for (const p of [a, b]) await p.close();
});

test('without --dev the demo says where userSigs come from', async () => {
  const plain = await startServer();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(new URL('/?roomId=77', plain.url).href);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
    assert.match(await page.inputValue('#user-id'), /^user-[0-9a-f]+$/);
    await page.click('#btn-enter');
    await page.waitForSelector('#room-message:not([hidden])', { timeout: 10000 });
    assert.match(await page.textContent('#room-message'), /--dev/);
    assert.equal(await page.textContent('#connection-state'), 'DISCONNECTED');
    assert.ok(!(await page.isDisabled('#btn-enter')));
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    await plain.stop();
  }
});
