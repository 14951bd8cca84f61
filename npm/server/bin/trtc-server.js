#!/usr/bin/env node
// `npx trtc-server [options]`: runs the prebuilt trtc-server for this platform (checked against
// its sha256), serving the demo and the trtc-wasm SDK package unless --www / --pkg are given.
'use strict';
const { spawn } = require('node:child_process');
const { binaryPath, defaultArgs } = require('../lib/binary.js');

let bin;
try {
  bin = binaryPath();
} catch (e) {
  console.error(`trtc-server: ${e.message}`);
  process.exit(1);
}
const args = process.argv.slice(2);
const child = spawn(bin, [...defaultArgs(args), ...args], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => child.kill(sig));
}
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
