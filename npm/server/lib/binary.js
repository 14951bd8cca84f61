// Finds the trtc-server binary: $TRTC_SERVER_BINARY (a binary of your own, used as it is), or
// the platform package's (trtc-wasm-server-<os>-<cpu>), whose sha256 must match the one this
// package was built with (checksums.json).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

// Written by scripts/build-server-npm.sh; absent in a checkout (then only TRTC_SERVER_BINARY works).
let CHECKSUMS = {};
try {
  CHECKSUMS = require('./checksums.json');
} catch {
  // not a built package
}

function platformKey() {
  return `${process.platform}-${process.arch}`;
}

/** The directory of the installed package `name`, looked up from here (no exports map needed). */
function packageDir(name) {
  for (let d = __dirname; ; d = path.dirname(d)) {
    for (const base of [path.join(d, 'node_modules'), path.basename(d) === 'node_modules' ? d : null]) {
      if (base && fs.existsSync(path.join(base, name, 'package.json'))) return path.join(base, name);
    }
    if (path.dirname(d) === d) return null;
  }
}

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** The path of the server binary to run; throws with what to do when there is none. */
function binaryPath() {
  const own = process.env.TRTC_SERVER_BINARY;
  if (own) {
    if (!fs.existsSync(own)) throw new Error(`TRTC_SERVER_BINARY=${own} does not exist`);
    return own;
  }
  const key = platformKey();
  const want = CHECKSUMS[key];
  if (!want) {
    throw new Error(`no prebuilt trtc-server for ${key} (there are: ${Object.keys(CHECKSUMS).join(', ')}). ` +
      'Build it from source (cargo build --release -p trtc-server) and set TRTC_SERVER_BINARY to its path.');
  }
  const name = `trtc-wasm-server-${key}`;
  const dir = packageDir(name);
  if (!dir) {
    throw new Error(`the package ${name} is not installed (npm skips optional dependencies with --omit=optional ` +
      'or when their os/cpu do not match): install it, or set TRTC_SERVER_BINARY to a trtc-server binary.');
  }
  const bin = path.join(dir, 'bin', 'trtc-server');
  const got = sha256(bin);
  if (got !== want) {
    throw new Error(`${bin} has sha256 ${got}, expected ${want}: the binary is not the one this package ` +
      'was built with. Reinstall the package, or set TRTC_SERVER_BINARY to a binary you trust.');
  }
  return bin;
}

/** `--www` (the demo in this package) and `--pkg` (the trtc-wasm SDK) unless `args` has them. */
function defaultArgs(args) {
  const out = [];
  if (!args.some((a) => a === '--www' || a.startsWith('--www='))) {
    out.push('--www', path.join(__dirname, '..', 'www'));
  }
  if (!args.some((a) => a === '--pkg' || a.startsWith('--pkg='))) {
    // Without the SDK package /pkg/ stays empty: the app serves the SDK itself.
    const sdk = packageDir('trtc-wasm');
    if (sdk) out.push('--pkg', sdk);
  }
  return out;
}

module.exports = { binaryPath, defaultArgs, packageDir, platformKey, sha256 };
