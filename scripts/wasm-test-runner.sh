#!/usr/bin/env bash
# Cargo runner for wasm32 test binaries: runs wasm-bindgen-test-runner (headless Chromium via
# chromedriver, flags in webdriver.json) inside a loopback-only network namespace, so the browser
# never sends traffic beyond this machine. A test binary whose name starts with `permission_`
# runs with tests/webdriver/no-fake-ui.json (no auto-accepted permission prompt).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
wasm="$1"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}"
case "$(basename "$wasm")" in
  permission_*) export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$root/tests/webdriver/no-fake-ui.json" ;;
  *) export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$root/webdriver.json" ;;
esac
if [ "$(id -u)" = 0 ] && [ -z "${TRTC_NO_NETNS:-}" ]; then
  exec unshare -n sh -c 'ip link set lo up && exec wasm-bindgen-test-runner "$@"' runner "$@"
fi
echo "wasm-test-runner: not root; running without a network namespace" >&2
exec wasm-bindgen-test-runner "$@"
