#!/usr/bin/env bash
# Write benchmark: protocol/ + the daemon's flash job writing to one espsim
# board, stub and ROM paths, firmware-like and random data, 115200/460800/
# 921600 baud, 1 MiB each (the ROM 115200 random case alone takes ~90 s).
#
# usage: bench/run.sh BUILD_DIR [--json] [--smoke]
#   --json    print the figures as JSON
#   --smoke   64 KiB at 921600 only, and check the output is well formed
#             (what ctest runs as bench/smoke)
# Environment: JIGD_STUB_DIR overrides the flasher stub folder.
# Use an optimised build without sanitizers for figures worth quoting
# (cmake -DCMAKE_BUILD_TYPE=Release): under ASan at -O0 the host spends
# 1-2 ms building and escaping each 16 KiB block, which is the build's
# cost, not the design's.
set -euo pipefail

build=${1:?usage: bench/run.sh BUILD_DIR [--json] [--smoke]}
shift
json= smoke=
for arg in "$@"; do
    case $arg in
    --json) json=--json ;;
    --smoke) smoke=1 ;;
    *) echo "bench/run.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done
here=$(cd "$(dirname "$0")" && pwd)
stub_dir=${JIGD_STUB_DIR:-$here/../node_modules/esptool-js/lib/targets/stub_flasher}
espsim=$build/fixtures/espsim/espsim
bench=$build/bench/bench_write
[[ -x $espsim && -x $bench ]] || { echo "bench/run.sh: build espsim and bench_write in $build first" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-write.XXXXXX")
sim_pid=
cleanup() {
    if [[ -n $sim_pid ]]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# One board plus the control socket, on free ports (guessed, retried).
for attempt in 1 2 3 4 5 6 7 8; do
    port=$((20000 + RANDOM % 40000))
    # espsim's default adapter latency (2 ms) stays: it is part of what a
    # host has to live with, and the floor does not include it.
    (trap '' PIPE; exec "$espsim" --boards 1 --chip esp32 --base-port "$port" \
        --control-port $((port + 1)) --flash-dir "$work") >"$work/sim.log" 2>&1 &
    sim_pid=$!
    for _ in $(seq 50); do
        grep -q "espsim: ready" "$work/sim.log" && break 2
        kill -0 "$sim_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; sim_pid=
done
[[ -n $sim_pid ]] || { cat "$work/sim.log" >&2; echo "bench/run.sh: espsim did not start" >&2; exit 1; }

args=(--port "rfc2217://127.0.0.1:$port" --control-port $((port + 1)) --stub-dir "$stub_dir")
if [[ -z $smoke ]]; then
    "$bench" "${args[@]}" $json
    exit
fi

# Smoke: every case must finish, verify, and give figures that make sense
# (something crossed the wire, the floor is positive, efficiency in (0, 1.5)).
"$bench" "${args[@]}" --size 65536 --bauds 921600 --json >"$work/out.json"
cat "$work/out.json"
python3 - "$work/out.json" <<'PY'
import json, sys
cases = json.load(open(sys.argv[1]))["cases"]
assert len(cases) == 4, f"expected 4 cases, got {len(cases)}"
for c in cases:
    name = f'{c["path"]}/{c["data"]}'
    assert c["ok"], f'{name} failed: {c.get("error")}'
    assert c["bytes"] == 65536, name
    # At least the data itself (or its compressed form) crossed the wire.
    assert c["wire_bytes"] >= (c["compressed_bytes"] or c["bytes"]), name
    assert c["floor_s"] > 0 and c["achieved_s"] > 0, name
    assert 0 < c["efficiency"] < 1.5, f'{name}: efficiency {c["efficiency"]}'
    if c["data"] == "firmware":
        ratio = c["bytes"] / c["compressed_bytes"]
        assert 1.8 < ratio < 3.5, f"firmware-like data compresses {ratio:.2f}:1"
print("bench smoke ok")
PY
