#!/usr/bin/env bash
# Builds the npm packages of the server into target/npm/:
#   trtc-wasm-server-<version>.tgz               launcher (bin trtc-server), test kit, the demo
#   trtc-wasm-server-linux-x64-<version>.tgz     static (musl) binary for x86_64
#   trtc-wasm-server-linux-arm64-<version>.tgz   static (musl) binary for aarch64
# Cross builds use cargo-zigbuild with Zig from PyPI (installed by scripts/setup.sh).
#   scripts/build-server-npm.sh [x64] [arm64]     (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."

want=("$@")
[ ${#want[@]} -eq 0 ] && want=(x64 arm64)
version=$(awk -F'"' '/^version = /{print $2; exit}' crates/trtc-server/Cargo.toml)
out=target/npm
rm -rf "$out" && mkdir -p "$out"
export PATH="$HOME/.cargo/bin:$PATH"

declare -A triple=([x64]=x86_64-unknown-linux-musl [arm64]=aarch64-unknown-linux-musl)
checksums="{"
for cpu in "${want[@]}"; do
  t=${triple[$cpu]}
  echo "build-server-npm: trtc-server for $t"
  cargo zigbuild --release -p trtc-server --target "$t"
  bin=target/$t/release/trtc-server
  dir=$out/linux-$cpu
  mkdir -p "$dir/bin"
  cp "$bin" "$dir/bin/trtc-server"
  chmod 755 "$dir/bin/trtc-server"
  sum=$(sha256sum "$dir/bin/trtc-server" | cut -d' ' -f1)
  [ "$checksums" != "{" ] && checksums+=","
  checksums+="\"linux-$cpu\":\"$sum\""
  cat > "$dir/package.json" <<JSON
{
  "name": "trtc-wasm-server-linux-$cpu",
  "version": "$version",
  "description": "trtc-server for Linux $cpu (statically linked, musl); installed by trtc-wasm-server",
  "os": ["linux"],
  "cpu": ["$cpu"],
  "files": ["bin/"],
  "license": "MIT OR Apache-2.0"
}
JSON
  (cd "$dir" && npm pack --silent --pack-destination ..)
  echo "build-server-npm: linux-$cpu $(wc -c < "$dir/bin/trtc-server") bytes, sha256 $sum"
done
checksums+="}"

main=$out/main
mkdir -p "$main"
cp -r npm/server/bin npm/server/lib npm/server/index.js npm/server/index.d.ts npm/server/README.md "$main/"
cp -r www "$main/www"
echo "$checksums" > "$main/lib/checksums.json"
sed "s/@VERSION@/$version/g" npm/server/package.template.json > "$main/package.json"
(cd "$main" && npm pack --silent --pack-destination ..)
ls -l "$out"/*.tgz
