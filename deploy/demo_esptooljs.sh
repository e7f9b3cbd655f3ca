#!/usr/bin/env bash
# `make demo-esptooljs`: flash a rack of simulated boards with Espressif's
# own client, esptool-js, and show it happening (`make demo` shows jigd).
#
# Usage: deploy/demo_esptooljs.sh BUILD_DIR
# Runs once and exits, so it is safe in scripts and CI; with a terminal on
# stdin it offers to run again until you press Ctrl-C or type q.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${1:?usage: deploy/demo_esptooljs.sh BUILD_DIR (the cmake build directory, e.g. build/release)}
espsim="$build_dir/fixtures/espsim/espsim"
if [[ ! -x "$espsim" ]]; then
  found=$(find "$build_dir" -type f -name espsim -perm -u+x 2>/dev/null | head -n 1 || true)
  [[ -n "$found" ]] && espsim=$found
fi
if [[ ! -x "$espsim" ]]; then
  echo "demo: no espsim binary under $build_dir; build it first (make build-release, or" >&2
  echo "      cmake --build $build_dir --target espsim)." >&2
  exit 1
fi
if ! command -v node >/dev/null || [[ ! -d node_modules/esptool-js ]]; then
  echo "demo: needs node and node_modules/esptool-js; run deploy/setup.sh (or npm ci) first." >&2
  exit 1
fi

echo "jigd demo: simulated boards (espsim, $espsim) flashed by esptool-js, Espressif's own client."
echo "Each board is a TCP port speaking RFC 2217, like a remote serial port on a test jig."
echo
while :; do
  node tests/conformance/demo_flash.mjs "$espsim" 2
  [[ -t 0 ]] || break
  echo
  read -r -p "Press Enter to flash again, or q then Enter (or Ctrl-C) to stop: " answer || break
  [[ "$answer" == q* ]] && break
done
