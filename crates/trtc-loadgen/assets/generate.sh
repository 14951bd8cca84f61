#!/usr/bin/env bash
# Regenerates the bot participant's media clips (committed; this is how they were made).
# Needs Debian's ffmpeg and node. Video: FFmpeg's moving test pattern, VP8 320x240 15 fps, a
# keyframe every 15 frames, 2 s; audio: a 440 Hz tone with a beep envelope, Opus 20 ms frames,
# 2 s, stored as length-prefixed packets (u16 big-endian length, then the packet).
set -euo pipefail
cd "$(dirname "$0")"
ffmpeg -loglevel error -y -f lavfi -i testsrc=size=320x240:rate=15 -t 2 \
  -c:v libvpx -b:v 250k -g 15 -keyint_min 15 -auto-alt-ref 0 -lag-in-frames 0 \
  -deadline realtime -cpu-used 8 -f ivf bot-vp8.ivf
ffmpeg -loglevel error -y -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=2" \
  -af "volume='if(lt(mod(t,1),0.5),1,0.05)':eval=frame" -ac 1 \
  -c:a libopus -b:a 32k -frame_duration 20 -application audio /tmp/bot-tone.ogg
node - /tmp/bot-tone.ogg bot-opus.bin <<'JS'
// Ogg pages → Opus packets (RFC 3533 lacing), skipping OpusHead and OpusTags.
const fs = require('fs');
const [src, dst] = process.argv.slice(2);
const b = fs.readFileSync(src);
const packets = [];
let cur = [];
for (let at = 0; at < b.length;) {
  if (b.toString('latin1', at, at + 4) !== 'OggS') throw new Error('not an Ogg page at ' + at);
  const n = b[at + 26];
  const lace = b.subarray(at + 27, at + 27 + n);
  let p = at + 27 + n;
  for (const l of lace) {
    cur.push(b.subarray(p, p + l));
    p += l;
    if (l < 255) { packets.push(Buffer.concat(cur)); cur = []; }
  }
  at = p;
}
const audio = packets.filter((p) => !p.subarray(0, 8).toString('latin1').startsWith('Opus'));
const out = Buffer.concat(audio.flatMap((p) => [Buffer.from([p.length >> 8, p.length & 255]), p]));
fs.writeFileSync(dst, out);
console.log(`${audio.length} Opus packets, ${out.length} bytes`);
JS
ls -l bot-vp8.ivf bot-opus.bin
