#!/usr/bin/env bash
# Station benchmark (issue 3): jigd flashing 1, 8 and 32 simulated ESP32
# boards at once with a 1 MiB and a 4 MiB bundle at 921600 baud, and the same
# job done by esptool-js (one Node process per board) on the same kind of
# rack, in the same run. Prints per-slot efficiency (floor / achieved, floor
# from espsim's counters as in bench_write), wall time and its 8-vs-1 and
# 32-vs-1 ratios, CPU and peak RSS of jigd (and of the Node processes), and
# espsim's own CPU with the machine's busy share, so that a figure limited by
# the machine rather than by jigd says so. See bench/README.md.
#
# usage: bench/station.sh BUILD_DIR [--json] [--smoke] [--slots "1 8 32"]
#                         [--sizes "1024 4096"] [--tools "jigd esptool-js"]
#                         [--fsync-ms N]
#   --json    the figures as JSON instead of a table
#   --smoke   2 slots, a 64 KiB bundle, both tools, --fsync-ms 1; checks that
#             every board passed, holds the bundle, and that the figures are
#             well formed (what ctest runs as bench/station_smoke)
#   --sizes   bundle sizes in KiB (all parts together)
#   --fsync-ms  every fsync of jigd takes N ms longer (bench/slow_fsync.c, as
#             on an SD card); the report adds jigd's fsync count and time
# Environment: JIGD_SHARED_DIR (the shared/ folder with vectors/),
# JIGD_STUB_DIR; STATION_BENCH_RESULTS=FILE keeps the raw batches (one JSON
# object a line) so that `node bench/station_report.mjs [--json] <FILE` can
# print them again. Use a Release build without sanitizers for figures.
set -euo pipefail

build=${1:?usage: bench/station.sh BUILD_DIR [--json] [--smoke]}
shift
json= smoke= slot_counts="1 8 32" sizes="1024 4096" tools="jigd esptool-js" fsync_ms=
while [ $# -gt 0 ]; do
    case $1 in
    --json) json=1 ;;
    --smoke) smoke=1 slot_counts=2 sizes=64 ;;
    --slots) slot_counts=$2; shift ;;
    --sizes) sizes=$2; shift ;;
    --tools) tools=$2; shift ;;
    --fsync-ms) fsync_ms=$2; shift ;;
    *) echo "bench/station.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
[ -z "$smoke" ] || fsync_ms=${fsync_ms:-1}
here=$(cd "$(dirname "$0")" && pwd)
vectors=${JIGD_SHARED_DIR:-$here/../../shared}/vectors
stub_dir=${JIGD_STUB_DIR:-$here/../node_modules/esptool-js/lib/targets/stub_flasher}
espsim=$build/fixtures/espsim/espsim
jigd=$build/bin/jigd
baud=921600
[[ -x $espsim && -x $jigd ]] || { echo "bench/station.sh: build espsim and jigd in $build first" >&2; exit 2; }
jigd_env=()
if [ -n "$fsync_ms" ]; then
    slow_fsync=$build/bench/libslow_fsync.so
    [[ -f $slow_fsync ]] || { echo "bench/station.sh: --fsync-ms needs $slow_fsync (build the slow_fsync target)" >&2; exit 2; }
    # A sanitizer build wants its runtime first; the preload is only a timer.
    jigd_env=(env LD_PRELOAD="$slow_fsync" SLOW_FSYNC_MS="$fsync_ms"
              ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0")
fi
[[ -d $vectors/image ]] || { echo "bench/station.sh: no test vectors at $vectors (set JIGD_SHARED_DIR)" >&2; exit 2; }
[[ -d $here/../node_modules/esptool-js ]] || { echo "bench/station.sh: esptool-js is not installed (npm ci)" >&2; exit 2; }

. "$here/bench_rig.sh"
bench_rig station

. "$(dirname "$0")/../tests/jigd/station_rig.sh"
pick_station_ports

start_espsim() {   # N: a fresh rack, every board's flash erased
    rm -rf "$work/flash" && mkdir -p "$work/flash"
    "$espsim" --boards "$1" --chip esp32 --flash-size 8MB --base-port "$board_port" \
        --control-port "$ctl_port" --flash-dir "$work/flash" >"$work/espsim.out" 2>"$work/espsim.err" &
    sim_pid=$!
    wait_for 10 "espsim to listen" grep -q "ready" "$work/espsim.out"
}

bundle_loaded() {
    [ -n "$(curl -sf "http://127.0.0.1:$api_port/api/v1/station" | jq -r '.bundle.version // empty')" ]
}

start_jigd() {     # N BUNDLE_DIR: manual slots, bundle loaded (compressed) before the batch
    {
        printf '[station]\nname = bench\nlisten = 127.0.0.1:%d\napi_trust_local = yes\n' "$api_port"
        printf 'data_dir = %s\nbundle = %s\nstub_dir = %s\n' "$work/data" "$2" "$stub_dir"
        # 1 s is the least boot log jigd takes; the batch is timed to the reset.
        printf 'boot_log_seconds = 1\nmax_baud = %d\n' "$baud"
        for i in $(seq 1 "$1"); do
            printf '[slot %d]\nport = rfc2217://127.0.0.1:%d\ntrigger = manual\n' "$i" $((board_port + i - 1))
        done
    } >"$work/jigd.conf"
    rm -rf "$work/data" && mkdir -p "$work/data"
    "${jigd_env[@]}" "$jigd" -c "$work/jigd.conf" 2>"$work/jigd.err" &
    jigd_pid=$!
    wait_for 60 "jigd to load the bundle" bundle_loaded
}

# Every board whose slot passed must hold the bundle (the bootloader aside:
# its header's flash size is patched by both flashers) before its figures
# count. A slot that failed is a result (the report shows it), not a reason
# to throw the run away.
check_flash() {    # RUN_JSON BUNDLE_DIR
    local i off file
    for i in $(jq -r '.per_slot[] | select(.ok) | .slot' "$1"); do
        while read -r off file; do
            [ "$file" = bootloader.bin ] && continue
            cmp -s -n "$(stat -c %s "$2/$file")" -i "0:$((off))" "$2/$file" "$work/flash/board$i.bin" \
                || fail "board $i passed but its flash at $off does not hold $file"
        done < <(jq -r '.parts[] | "\(.offset) \(.file)"' "$2/manifest.json")
    done
}

run_jigd() {       # N BUNDLE_DIR
    start_espsim "$1"
    start_jigd "$1" "$2"
    node "$here/station_jigd.mjs" --api "$api_port" --control-port "$ctl_port" --slots "$1" \
        --jigd-pid "$jigd_pid" --espsim-pid "$sim_pid" --baud "$baud" >"$work/run.json" \
        || fail "jigd batch of $1: $(cat "$work/run.json")"
    stop "$jigd_pid"; jigd_pid=
    # Under a sanitizer build the smoke run doubles as a clean-exit check.
    ! grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$work/jigd.err" \
        || fail "sanitizer report in jigd's log"
    [ -z "$fsync_ms" ] || add_fsync_figures
    stop "$sim_pid"; sim_pid=
}

# slow_fsync's last words (jigd has exited): its calls and their time.
add_fsync_figures() {
    local line calls secs
    line=$(grep '^slow_fsync: ' "$work/jigd.err" | tail -n 1)
    [[ $line =~ ^slow_fsync:\ ([0-9]+)\ calls,\ ([0-9.]+)\ s ]] || fail "slow_fsync said nothing"
    calls=${BASH_REMATCH[1]} secs=${BASH_REMATCH[2]}
    jq -c --argjson ms "$fsync_ms" --argjson calls "$calls" --argjson s "$secs" \
        '. + {fsync: {added_ms: $ms, calls: $calls, s: $s}}' "$work/run.json" >"$work/run.json.new"
    mv "$work/run.json.new" "$work/run.json"
}

run_esptooljs() {  # N BUNDLE_DIR
    start_espsim "$1"
    node "$here/station_esptooljs.mjs" --base-port "$board_port" --control-port "$ctl_port" \
        --slots "$1" --espsim-pid "$sim_pid" --bundle "$2" --baud "$baud" >"$work/run.json" \
        || fail "esptool-js batch of $1: $(cat "$work/run.json")"
    stop "$sim_pid"; sim_pid=
}

: >"$work/results.jsonl"
for kib in $sizes; do
    bundle="$work/bundle-$kib"
    bash "$here/make_station_bundle.sh" "$vectors" "$bundle" "$kib" || fail "cannot make the $kib KiB bundle"
    bytes=0
    for f in $(jq -r '.parts[].file' "$bundle/manifest.json"); do
        bytes=$((bytes + $(stat -c %s "$bundle/$f")))
    done
    for n in $slot_counts; do
        for tool in $tools; do
            [ -n "$json" ] || echo "running: $tool, $n slots, $kib KiB bundle" >&2
            case $tool in
            jigd) run_jigd "$n" "$bundle" ;;
            esptool-js) run_esptooljs "$n" "$bundle" ;;
            *) fail "unknown tool $tool (jigd, esptool-js)" ;;
            esac
            check_flash "$work/run.json" "$bundle"
            jq -c --arg tool "$tool" --argjson kib "$kib" --argjson bytes "$bytes" --argjson baud "$baud" \
                '{tool: $tool, bundle_kib: $kib, bundle_bytes: $bytes, baud: $baud} + .' \
                "$work/run.json" >>"$work/results.jsonl"
        done
    done
done

[ -z "${STATION_BENCH_RESULTS:-}" ] || cp "$work/results.jsonl" "$STATION_BENCH_RESULTS"
report_args=()
[ -z "$json" ] || report_args+=(--json)
node "$here/station_report.mjs" "${report_args[@]}" <"$work/results.jsonl" | tee "$work/report.out"
[ -n "$smoke" ] || exit 0

# Smoke: every slot of both tools passed with sane figures.
jq -s -e 'length == 2 and all(.[]; .bundle_bytes as $bytes | .slots == 2
          and (.per_slot | length) == 2
          and all(.per_slot[]; .ok and .floor_s > 0 and .achieved_s > .floor_s * 0.5
                  and .efficiency > 0 and .efficiency < 1.5
                  and .wire_bytes >= 0.9 * $bytes)
          and .wall_s > 0 and .cpu_s >= 0 and .peak_rss_kib > 0
          and (.tool != "jigd" or .fsync.calls > 0))' \
    "$work/results.jsonl" >/dev/null || fail "smoke: figures out of shape: $(cat "$work/results.jsonl")"
echo "station smoke ok"
