// Calls where UDP is blocked: an nftables rule drops every UDP packet; two pages still see
// (decoded frames, advancing) and hear each other, over ICE-TCP to the SFU's passive candidate
// (getStats: the selected candidate pair is tcp). Prints the time to the first frame, with UDP
// blocked and, for comparison in the same run, with it open.
//
// The rule would break every other test that runs at the same time in the namespace, so this
// file runs its test in a network namespace of its own (a nested `unshare -n`, as root): the
// outer run starts this same file inside it, where the rule is installed before and deleted
// after (also on failure; the namespace goes away with the run anyway).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { pageErrors, startServer, launchBrowser, openSdkPage, devSig, enter, waitEvent, TRACK_PCS } from './harness.mjs';

const INNER = 'TRTC_UDP_BLOCKED_NETNS';
const TABLE = 'trtc_udp_blocked';
const NFT = existsSync('/usr/sbin/nft') ? '/usr/sbin/nft' : 'nft';

if (!process.env[INNER]) {
  test('UDP blocked (in a network namespace of its own)', async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('needs root: a network namespace and an nftables rule');
      return;
    }
    const env = { ...process.env, [INNER]: '1' };
    delete env.NODE_TEST_CONTEXT; // the inner run reports for itself
    const child = spawn('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$@"', 'netns',
      process.execPath, '--test', '--test-reporter=spec', '--test-timeout=500000', fileURLToPath(import.meta.url)],
    { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => process.stdout.write(d));
    child.stderr.on('data', (d) => process.stderr.write(d));
    const status = await new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
    assert.equal(status, 0, 'the test inside the namespace passed (its report is above)');
  });
} else {
  const nft = (...args) => execFileSync(NFT, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  // Every packet leaves through the output hook, loopback included: drop UDP there.
  const blockUdp = () => execFileSync(NFT, ['-f', '-'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    input: `table inet ${TABLE} {\n  chain out {\n    type filter hook output priority 0; policy accept;\n    meta l4proto udp counter drop\n  }\n}\n`,
  });
  const unblockUdp = () => { try { nft('delete', 'table', 'inet', TABLE); } catch { /* not there */ } };
  /** UDP packets the rule dropped so far. */
  const dropped = () => Number(/packets (\d+)/.exec(nft('list', 'table', 'inet', TABLE))?.[1] ?? NaN);

  let server, browser;
  before(async () => {
    server = await startServer(['--dev']);
    browser = await launchBrowser();
  });
  after(async () => {
    try {
      await browser?.close();
      await server?.stop();
    } finally {
      unblockUdp();
    }
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the pages');
  });

  /** Whether a UDP datagram gets from one loopback socket to another within 300 ms. */
  async function udpGetsThrough() {
    const rx = dgram.createSocket('udp4');
    const tx = dgram.createSocket('udp4');
    try {
      await new Promise((r) => rx.bind(0, '127.0.0.1', r));
      const got = new Promise((r) => { rx.once('message', () => r(true)); setTimeout(() => r(false), 300); });
      tx.send('ping', rx.address().port, '127.0.0.1', () => {});
      return await got;
    } finally {
      rx.close(); tx.close();
    }
  }

  const PUBLISH = TRACK_PCS + 'await window.trtc.startLocalVideo(); await window.trtc.startLocalAudio(); window.trtc.enableAudioVolumeEvaluation(200);';

  /** In the page: `userId`'s video in a new box; resolves when it has decoded frames. */
  async function watch(page, userId, timeout = 30000) {
    return page.evaluate(async ({ userId, timeout }) => {
      const box = document.createElement('div');
      box.id = 'remote-' + userId;
      box.style.width = '320px'; box.style.height = '240px';
      document.body.appendChild(box);
      await window.trtc.startRemoteVideo({ userId, streamType: 'main', view: box });
      const end = performance.now() + timeout;
      for (;;) {
        const v = box.querySelector('video');
        const q = v && v.getVideoPlaybackQuality();
        if (v && v.videoWidth > 0 && q.totalVideoFrames > 0) return { width: v.videoWidth, frames: q.totalVideoFrames };
        if (performance.now() > end) return { width: v ? v.videoWidth : -1, frames: q ? q.totalVideoFrames : -1, timeout: true };
        await new Promise((r) => setTimeout(r, 20));
      }
    }, { userId, timeout });
  }

  /** Decoded frames of `userId`'s video now. */
  const framesOf = (page, userId) => page.evaluate((u) => document.querySelector(`#remote-${u} video`).getVideoPlaybackQuality().totalVideoFrames, userId);

  /** Max AUDIO_VOLUME of `userId` seen in the page within `ms`. */
  async function remoteVolume(page, userId, ms = 3000) {
    return page.evaluate(async ({ userId, ms }) => {
      let max = -1;
      const h = ({ result }) => { for (const r of result) if (r.userId === userId) max = Math.max(max, r.volume); };
      window.trtc.on('audio-volume', h);
      await new Promise((r) => setTimeout(r, ms));
      window.trtc.off('audio-volume', h);
      return max;
    }, { userId, ms });
  }

  /** The selected candidate pair of the page's open peer connection, from getStats. */
  async function selectedPair(page) {
    return page.evaluate(async () => {
      const pc = window.pcs.filter((p) => p.connectionState !== 'closed').at(-1);
      const stats = [...(await pc.getStats()).values()];
      const byId = new Map(stats.map((s) => [s.id, s]));
      const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
      const pair = transport && byId.get(transport.selectedCandidatePairId);
      const local = pair && byId.get(pair.localCandidateId);
      const remote = pair && byId.get(pair.remoteCandidateId);
      return pair && {
        state: pair.state,
        local: { protocol: local.protocol, type: local.candidateType, tcpType: local.tcpType },
        remote: { protocol: remote.protocol, type: remote.candidateType, port: remote.port },
      };
    });
  }

  /** Two pages in `room`; alice publishes first, then bob enters; both watch each other. The
   *  time from bob's enterRoom to his first decoded frame of alice, and the pages. */
  async function call(room, a, b) {
    const pa = await openSdkPage(browser, server.url);
    const pb = await openSdkPage(browser, server.url);
    assert.deepEqual(await enter(pa, await devSig(server.url, a), { roomId: room }, PUBLISH), { ok: true });
    const sig = await devSig(server.url, b);
    const t0 = Date.now();
    assert.deepEqual(await enter(pb, sig, { roomId: room }, PUBLISH), { ok: true });
    await waitEvent(pb, 'remote-video-available', { userId: a }, 15000);
    const ba = await watch(pb, a);
    const firstFrameMs = Date.now() - t0;
    assert.ok(!ba.timeout && ba.width > 0, `${b} decodes ${a}: ${JSON.stringify(ba)}`);
    await waitEvent(pa, 'remote-video-available', { userId: b }, 15000);
    const ab = await watch(pa, b);
    assert.ok(!ab.timeout && ab.width > 0, `${a} decodes ${b}: ${JSON.stringify(ab)}`);
    return { pa, pb, firstFrameMs };
  }

  test('two pages call with all UDP dropped: frames and audio both ways, over TCP', async () => {
    assert.equal(await udpGetsThrough(), true, 'UDP works before the rule');
    blockUdp();
    assert.equal(await udpGetsThrough(), false, 'the rule drops UDP');
    const before = dropped();

    const { pa, pb, firstFrameMs } = await call(7101, 'tcp-a', 'tcp-b');
    // Frames keep coming, both ways.
    const [fa, fb] = [await framesOf(pa, 'tcp-b'), await framesOf(pb, 'tcp-a')];
    await new Promise((r) => setTimeout(r, 2000));
    const [fa2, fb2] = [await framesOf(pa, 'tcp-b'), await framesOf(pb, 'tcp-a')];
    assert.ok(fa2 > fa + 10 && fb2 > fb + 10, `frames advance: a ${fa}→${fa2}, b ${fb}→${fb2}`);
    const [va, vb] = await Promise.all([remoteVolume(pa, 'tcp-b'), remoteVolume(pb, 'tcp-a')]);
    assert.ok(va > 0, `tcp-a hears tcp-b (volume ${va})`);
    assert.ok(vb > 0, `tcp-b hears tcp-a (volume ${vb})`);
    for (const page of [pa, pb]) {
      const pair = await selectedPair(page);
      assert.equal(pair?.local.protocol, 'tcp', JSON.stringify(pair));
      assert.equal(pair.remote.protocol, 'tcp', JSON.stringify(pair));
      assert.equal(pair.state, 'succeeded', JSON.stringify(pair));
    }
    // The browsers did try UDP (the server's UDP candidate comes first), and it was dropped.
    assert.ok(dropped() > before, `UDP packets were dropped (${dropped() - before})`);
    console.log(`time to first frame with UDP blocked (enterRoom → first decoded remote frame): ${firstFrameMs} ms; selected pair: ${JSON.stringify(await selectedPair(pb))}`);
    await pa.close(); await pb.close();

    // The same call with UDP open, for comparison: it goes over UDP.
    unblockUdp();
    assert.equal(await udpGetsThrough(), true);
    const open = await call(7102, 'udp-a', 'udp-b');
    assert.equal((await selectedPair(open.pb))?.local.protocol, 'udp');
    console.log(`time to first frame with UDP open (same run): ${open.firstFrameMs} ms`);
    await open.pa.close(); await open.pb.close();
  });
}
