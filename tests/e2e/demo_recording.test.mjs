// The demo's Recording panel (issue 17): in a room with a camera page, Start records it (a file
// per user, then mixed), the list shows the task and its file while it is written, Stop ends it,
// and the listed link downloads the whole Matroska file. Without FFmpeg (or without
// --record-dir) the panel shows what the server said and the page carries on; without --dev it
// says recording needs dev mode.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pageErrors, startServer, launchBrowser, openSdkPage, devSig, enter, root } from './harness.mjs';

const PUBLISH = 'await window.trtc.startLocalVideo(); await window.trtc.startLocalAudio();';

let server, browser, dir;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trtc-demo-rec-'));
  server = await startServer(['--dev', '--record-dir', dir]);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the camera pages');
});

/** The demo in a context of its own, entered into `roomId` as `userId` (no camera). */
async function demoInRoom(on, roomId, userId) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await page.goto(new URL(`/?roomId=${roomId}&userId=${userId}`, on.url).href);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
  assert.ok(await page.isDisabled('#btn-start-recording'), 'no recording before entering a room');
  await page.click('#btn-enter');
  await page.waitForFunction(() => document.querySelector('#connection-state').textContent === 'CONNECTED', null, { timeout: 10000 });
  await page.waitForSelector('#btn-start-recording:not([disabled])', { timeout: 5000 });
  return page;
}

/** Starts a recording in `mode` from the panel, lets it run until its file passes 30 KB (`ms` × 4 at most), stops it; the task's row. */
async function recordFor(page, mode, ms) {
  await page.selectOption('#recording-mode', mode);
  await page.click('#btn-start-recording');
  await page.waitForSelector('#recording-state[data-state="RECORDING"]', { timeout: 10000 });
  assert.ok(await page.isDisabled('#btn-start-recording'), 'one recording at a time from the page');
  // The file shows up while it is written (the list refreshes itself), without a link yet.
  const task = await page.$eval('#recording-list .recording-task', (li) => li.dataset.taskId);
  const row = `#recording-list [data-task-id="${task}"]`;
  await page.waitForSelector(`${row} .recording-file[data-state="recording"]`, { timeout: 20000 });
  assert.equal(await page.$(`${row} a.recording-file-name`), null, 'no link while the file is written');
  const firstSize = await page.textContent(`${row} .recording-file-meta`);
  // Until the row has refreshed and the file passed 30 KB (at most `ms` × 4).
  await page.waitForFunction(({ row, firstSize }) => {
    const meta = document.querySelector(`${row} .recording-file-meta`)?.textContent || '';
    const m = meta.match(/([\d.]+) (KB|MB)/);
    return meta !== firstSize && m && Number(m[1]) * (m[2] === 'MB' ? 1024 : 1) > 30;
  }, { row, firstSize }, { timeout: ms * 4 });
  const laterSize = await page.textContent(`${row} .recording-file-meta`);
  assert.notEqual(laterSize, firstSize, `the row refreshes while recording (${firstSize} → ${laterSize})`);
  await page.click('#btn-stop-recording');
  await page.waitForSelector('#recording-state[data-state="OFF"]', { timeout: 20000 });
  await page.waitForSelector(`${row}[data-status="Exited"] a.recording-file-name`, { timeout: 10000 });
  assert.ok(!(await page.isDisabled('#btn-start-recording')), 'Start again once stopped');
  return row;
}

/** Clicks each listed link of `row`; checks each download is a whole, non-trivial Matroska file. */
async function downloadAll(page, row, what) {
  const links = await page.$$(`${row} a.recording-file-name`);
  assert.ok(links.length >= 1, `${what}: a link`);
  const got = [];
  for (const link of links) {
    const name = await link.textContent();
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    assert.equal(download.suggestedFilename(), name);
    const file = await download.path();
    const bytes = fs.readFileSync(file);
    assert.ok(bytes.length > 20000, `${what}: ${name} is ${bytes.length} bytes`);
    assert.deepEqual([...bytes.subarray(0, 4)], [0x1a, 0x45, 0xdf, 0xa3], `${what}: Matroska (EBML)`);
    // The same bytes as the server wrote.
    const onDisk = fs.readdirSync(dir).map((t) => path.join(dir, t, name)).find((p) => fs.existsSync(p));
    assert.ok(onDisk, `${what}: ${name} is in --record-dir`);
    assert.equal(fs.statSync(onDisk).size, bytes.length, `${what}: the whole file`);
    // The type the server gives it.
    const type = await page.evaluate(async (href) => (await fetch(href)).headers.get('content-type'), await link.getAttribute('href'));
    assert.equal(type, 'video/x-matroska');
    got.push({ name, bytes: bytes.length });
  }
  return got;
}

test('the demo starts and stops a recording of its room and lists the files to download', async () => {
  const room = 5353;
  const camera = await openSdkPage(browser, server.url);
  assert.deepEqual(await enter(camera, await devSig(server.url, 'camera'), { roomId: room }, PUBLISH), { ok: true });
  const page = await demoInRoom(server, room, 'host');
  await page.waitForSelector('#remote-grid [data-user-id="camera"][data-video="on"]', { timeout: 15000 });
  assert.ok(await page.isVisible('#recording-empty'), 'no recordings yet');

  const single = await recordFor(page, 'single', 5000);
  const singleFiles = await page.$$eval(`${single} .recording-file`, (els) => els.map((e) => e.textContent));
  assert.equal(singleFiles.length, 1, `one publisher, one file: ${singleFiles}`);
  assert.match(singleFiles[0], /camera · [\d.]+ (KB|MB) · \d+ s · finished/);
  const perUser = await downloadAll(page, single, 'a file per user');

  const mix = await recordFor(page, 'mix', 5000);
  assert.match(await page.textContent(`${mix} .recording-task-name`), /room 5353 · mixed/);
  const mixed = await downloadAll(page, mix, 'mixed');
  // Both tasks listed, the newest first.
  assert.deepEqual(await page.$$eval('#recording-list .recording-task', (els) => els.map((e) => e.dataset.status)), ['Exited', 'Exited']);
  assert.ok(!(await page.isVisible('#recording-empty')));
  console.log('downloaded:', JSON.stringify({ perUser, mixed }));

  const artifacts = path.join(root, 'tests/artifacts');
  fs.mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, 'demo-recording.png'), fullPage: true });
  assert.equal(await page.isVisible('#recording-message'), false, 'no error shown');
  assert.deepEqual(page.errors, []);
  await page.context().close();
  await camera.close();
});

test('without FFmpeg, --record-dir or --dev the panel shows why and the demo carries on', async () => {
  const noEngine = await startServer(['--dev', '--record-dir', path.join(dir, 'none'), '--ffmpeg', '/nonexistent/ffmpeg']);
  const noDir = await startServer(['--dev']);
  const noDev = await startServer(['--record-dir', path.join(dir, 'nodev')]);
  try {
    const page = await demoInRoom(noEngine, 5454, 'solo');
    await page.click('#btn-start-recording');
    await page.waitForSelector('#recording-message.error', { timeout: 10000 });
    const message = await page.textContent('#recording-message');
    assert.match(message, /^Could not start the recording: HTTP 503 FailedOperation\.EngineUnavailable: /);
    assert.match(await page.textContent('#last-error'), /startRecording/);
    await page.waitForSelector('#btn-start-recording:not([disabled])', { timeout: 5000 });
    assert.equal(await page.getAttribute('#recording-state', 'data-state'), 'OFF');
    assert.equal(await page.textContent('#connection-state'), 'CONNECTED', 'still in the room');
    assert.deepEqual(page.errors, []);
    await page.context().close();

    const off = await demoInRoom(noDir, 5455, 'solo');
    assert.match(await off.textContent('#recording-message'), /Recording is off on this server: start it with --record-dir/);
    await off.click('#btn-start-recording');
    await off.waitForFunction(() => /RecordingNotEnabled/.test(document.querySelector('#recording-message').textContent), null, { timeout: 10000 });
    assert.match(await off.textContent('#recording-message'), /HTTP 503 FailedOperation\.RecordingNotEnabled/);
    assert.deepEqual(off.errors, []);
    await off.context().close();

    // Without --dev: no userSig, no room, and the panel says why it cannot record.
    const plain = await browser.newPage();
    const errors = [];
    plain.on('pageerror', (e) => errors.push(String(e)));
    await plain.goto(new URL('/?roomId=5456', noDev.url).href);
    await plain.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
    assert.match(await plain.textContent('#recording-message'), /needs the server in dev mode \(--dev/);
    assert.ok(await plain.isDisabled('#btn-start-recording'));
    assert.deepEqual(errors, []);
    await plain.close();
  } finally {
    await noEngine.stop();
    await noDir.stop();
    await noDev.stop();
  }
});
