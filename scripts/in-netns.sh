#!/usr/bin/env bash
# Runs a command inside a new loopback-only network namespace (as root), so browsers and
# servers it starts can reach 127.0.0.1 and nothing else. Without root it runs the command as is.
set -euo pipefail
if [ "$(id -u)" = 0 ] && [ -z "${TRTC_NO_NETNS:-}" ]; then
  exec unshare -n sh -c 'ip link set lo up && exec "$@"' in-netns "$@"
fi
echo "in-netns: not root; running without a network namespace" >&2
exec "$@"
