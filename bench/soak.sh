#!/usr/bin/env bash
# Soak bench (issue 11): many units through one jigd, the way a shift runs a
# line, to see whether anything grows that should not. jigd runs 8 manual
# slots on an espsim rack with a small bundle and the full identity pipeline
# (a serial, a key and certificate, per-unit NVS and esp_secure_cert for
# every board); an operator (soak_operator.mjs) swaps each finished board for
# a blank one with a new MAC and starts the slot at once, and every ~200th
# unit goes into a board with one espsim fault knob set (corrupt, drop,
# silent, brownout). Prints units per hour, jigd's RSS and open fds at the
# start (after the first 8 units), middle and end, the database's size per
# unit, the slowest fsync (jigd runs under bench/slow_fsync.c with
# SLOW_FSYNC_MS=0, so nothing is added: it only measures), and passed/failed
# counts; then checks the record: every attempt ended, no serial on two
# units, PRAGMA integrity_check, the audit chain. See bench/README.md.
#
# usage: bench/soak.sh BUILD_DIR [--units N] [--slots S] [--bundle-kib K]
#                      [--fault-every F] [--json] [--smoke]
#   --units N        stop once N units have a result (default 10000)
#   --slots S        slots and boards (default 8)
#   --bundle-kib K   the bundle's random data part in KiB (default 64); the
#                    per-unit NVS (16 KiB) and esp_secure_cert (8 KiB) come on top
#   --fault-every F  a fault on every F-th unit (default 200; 0 = none)
#   --json           the figures as one JSON object instead of a report
#   --smoke          24 units, a fault every 6th (each knob once), and a check
#                    that the figures are well formed (ctest's bench/soak_smoke)
# Environment: JIGD_SHARED_DIR (the shared/ folder with vectors/),
# JIGD_STUB_DIR; SOAK_RESULTS=FILE keeps every unit (one JSON object a line:
# slot, MAC, fault, result, serial, seconds), SOAK_JSON=FILE the figures as
# JSON beside the report. Exits 1 when the run stops
# short or an end check fails; it never judges speed. Use a Release build.
set -euo pipefail

build=${1:?usage: bench/soak.sh BUILD_DIR [--units N] [--slots S] [--bundle-kib K] [--json] [--smoke]}
shift
json= smoke= units= slots=8 kib=64 fault_every=
while [ $# -gt 0 ]; do
    case $1 in
    --units) units=$2; shift ;;
    --slots) slots=$2; shift ;;
    --bundle-kib) kib=$2; shift ;;
    --fault-every) fault_every=$2; shift ;;
    --json) json=1 ;;
    --smoke) smoke=1 ;;
    *) echo "bench/soak.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
if [ -n "$smoke" ]; then
    units=${units:-24} fault_every=${fault_every:-6}
fi
units=${units:-10000} fault_every=${fault_every:-200}

here=$(cd "$(dirname "$0")" && pwd)
vectors=${JIGD_SHARED_DIR:-$here/../../shared}/vectors
stub_dir=${JIGD_STUB_DIR:-$here/../node_modules/esptool-js/lib/targets/stub_flasher}
espsim=$build/fixtures/espsim/espsim
jigd=$build/bin/jigd
db_tool=$build/tests/jigd/unit_db_tool
slow_fsync=$build/bench/libslow_fsync.so
for b in "$espsim" "$jigd" "$db_tool"; do
    [[ -x $b ]] || { echo "bench/soak.sh: $b is missing: build espsim, jigd, unit_db_tool and slow_fsync in $build" >&2; exit 2; }
done
[[ -f $slow_fsync ]] || { echo "bench/soak.sh: $slow_fsync is missing: build the slow_fsync target" >&2; exit 2; }
[[ -d $vectors/image ]] || { echo "bench/soak.sh: no test vectors at $vectors (set JIGD_SHARED_DIR)" >&2; exit 2; }
[[ -d $stub_dir ]] || { echo "bench/soak.sh: no flasher stubs at $stub_dir (npm ci, or set JIGD_STUB_DIR)" >&2; exit 2; }
for t in sqlite3 jq node curl; do
    command -v "$t" > /dev/null || { echo "bench/soak.sh: needs $t" >&2; exit 2; }
done
[ "$units" -ge $((3 * slots)) ] || { echo "bench/soak.sh: --units must be at least 3 × slots" >&2; exit 2; }

. "$here/bench_rig.sh"
bench_rig soak

. "$here/../tests/jigd/station_rig.sh"
. "$here/../tests/jigd/identity_bundle.sh"
pick_station_ports

identity_bundle "$work" "$vectors" "$kib" 1 || fail "cannot make the bundle"

mkdir -p "$work/flash"
"$espsim" --boards "$slots" --chip esp32 --base-port "$board_port" --control-port "$ctl_port" \
    --flash-dir "$work/flash" > "$work/espsim.out" 2> "$work/espsim.err" &
sim_pid=$!
wait_for 10 "espsim to listen" grep -q "ready" "$work/espsim.out"

# boot_log_seconds = 1, the least jigd takes: the soak is about what piles
# up over many units, not about the factory app's report. A key pool of two
# per slot so that no board waits for its key in the steady state.
{
    printf '[station]\nname = soak-line\nlisten = 127.0.0.1:%d\napi_trust_local = yes\n' "$api_port"
    printf 'data_dir = %s\nbundle = %s\nstub_dir = %s\n' "$work" "$work/bundle1" "$stub_dir"
    printf 'boot_log_seconds = 1\nmax_baud = 921600\n'
    identity_conf_lines "" "key_pool_size = $((2 * slots))"
    for i in $(seq 1 "$slots"); do
        printf '[slot %d]\nport = rfc2217://127.0.0.1:%d\ntrigger = manual\n' "$i" $((board_port + i - 1))
    done
} > "$work/jigd.conf"

bundle_loaded() {
    [ -n "$(curl -sf "http://127.0.0.1:$api_port/api/v1/station" | jq -r '.bundle.version // empty')" ]
}
# slow_fsync with nothing added: it times every fsync and says at exit which
# took longest. A sanitizer build wants its runtime first; this is a timer.
LD_PRELOAD="$slow_fsync" SLOW_FSYNC_MS=0 \
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    "$jigd" -c "$work/jigd.conf" 2> "$work/jigd.err" &
jigd_pid=$!
wait_for 60 "jigd to load the bundle" bundle_loaded

faults_said="a fault on every ${fault_every}th unit"
[ "$fault_every" != 0 ] || faults_said="no faults"
[ -n "$json" ] || echo "soak: $units units through $slots slots, $kib KiB bundle, $faults_said" >&2
node "$here/soak_operator.mjs" --api "$api_port" --control-port "$ctl_port" --slots "$slots" \
    --units "$units" --jigd-pid "$jigd_pid" --data-dir "$work" --fault-every "$fault_every" \
    --units-log "$work/units.jsonl" > "$work/run.json" \
    || fail "the soak stopped: $(cat "$work/run.json")"
[ -z "${SOAK_RESULTS:-}" ] || cp "$work/units.jsonl" "$SOAK_RESULTS"

# SIGTERM must end jigd cleanly; slow_fsync's last words come at its exit.
kill -TERM "$jigd_pid"
rc=0
wait "$jigd_pid" || rc=$?
jigd_pid=
[ "$rc" = 0 ] || fail "jigd exited with $rc after SIGTERM"
! grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$work/jigd.err" \
    || fail "sanitizer report in jigd's log"
line=$(grep '^slow_fsync: ' "$work/jigd.err" | tail -n 1)
[[ $line =~ ^slow_fsync:\ ([0-9]+)\ calls,\ ([0-9.]+)\ s.*longest\ ([0-9.]+)\ ms ]] \
    || fail "slow_fsync said nothing (is $slow_fsync the current build?)"
fsync_calls=${BASH_REMATCH[1]} fsync_s=${BASH_REMATCH[2]} fsync_longest_ms=${BASH_REMATCH[3]}
stop "$sim_pid"; sim_pid=
# jigd's close checkpointed the WAL into station.db: its size alone is now
# what the units cost, without the WAL's preallocated pages.
db_closed=$(( $(stat -c %s "$work/station.db") + $(stat -c %s "$work/station.db-wal" 2>/dev/null || echo 0) ))

# ---- the record, with jigd stopped --------------------------------------------

db() { sqlite3 -batch "$work/station.db" "$@"; }
attempts=$(db "SELECT count(*) FROM attempts")
unended=$(db "SELECT count(*) FROM attempts WHERE result = 'running' OR ended_at IS NULL")
db_units=$(db "SELECT count(*) FROM units")
dup_serials=$(db "SELECT count(*) FROM (SELECT serial FROM units GROUP BY serial HAVING count(*) > 1)")
# Each passed attempt's unit is one board: a serial shared by two passed
# boards would show here even if the units table were right.
ok_attempts=$(db "SELECT count(*) FROM attempts WHERE result = 'ok'")
ok_units=$(db "SELECT count(DISTINCT unit_id) FROM attempts WHERE result = 'ok'")
integrity=$(db "PRAGMA integrity_check" | tr '\n' ' ' | sed 's/ $//')
audit_rc=0
audit=$("$db_tool" audit-verify "$work/station.db" 2>&1) || audit_rc=$?
jq -c --argjson kib "$kib" --argjson fault_every "$fault_every" \
    --argjson calls "$fsync_calls" --argjson s "$fsync_s" --argjson longest "$fsync_longest_ms" \
    --argjson attempts "$attempts" --argjson unended "$unended" --argjson db_units "$db_units" \
    --argjson dup "$dup_serials" --argjson ok_attempts "$ok_attempts" --argjson ok_units "$ok_units" \
    --arg integrity "$integrity" --argjson audit_ok "$([ "$audit_rc" = 0 ] && echo true || echo false)" \
    --arg audit "$audit" --argjson closed "$db_closed" --arg date "$(date -u +%Y-%m-%dT%H:%MZ)" --arg machine "$(nproc) cores, $(uname -m)" \
    '{date: $date, machine: $machine, bundle_kib: $kib, fault_every: $fault_every} + .
     + {db_closed_bytes: $closed, fsync: {calls: $calls, s: $s, longest_ms: $longest},
        checks: {attempts: $attempts, unended: $unended, db_units: $db_units,
                 duplicate_serials: $dup, ok_attempts: $ok_attempts, ok_units: $ok_units,
                 integrity: $integrity, audit_ok: $audit_ok, audit: $audit}}' \
    "$work/run.json" > "$work/soak.json"

checks_ok() {
    jq -e '.checks as $c | $c.unended == 0 and $c.duplicate_serials == 0
           and $c.ok_attempts == $c.ok_units and $c.ok_attempts == .passed
           and $c.integrity == "ok" and $c.audit_ok' "$work/soak.json" > /dev/null
}

if [ -n "$json" ]; then
    cat "$work/soak.json"
else
    r() { jq -r "$1" "$work/soak.json"; }
    printf '%s\n' "$(r '"soak: \(.units) units, \(.slots) slots, \(.bundle_kib) KiB bundle + per-unit NVS and esp_secure_cert, \(if .fault_every > 0 then "a fault on every \(.fault_every)th unit" else "no faults" end) (\(.date), \(.machine))"')"
    printf '%s\n' "$(r '"units:      \(.passed) passed, \(.failed) failed; faulted boards: " + ([.faults | to_entries[] | "\(.key) \(.value.passed)/\(.value.units) passed"] | join(", ")) + "; healthy boards failed: \(.healthy_failed)"')"
    printf '%s\n' "$(r '"throughput: \(.units_per_hour | floor) units/hour over the run (\(.wall_s | floor) s), \(.steady_units_per_hour | floor) units/hour from the start sample on; a unit takes \(.unit_s.p50) s (median), \(.unit_s.p99) s (p99), \(.unit_s.max) s (longest)"')"
    printf '%-8s %7s %9s %9s %5s %12s %10s\n' sample units time_s rss_KiB fds db_bytes db_B/unit
    for s in start middle end; do
        jq -r --arg s "$s" '.samples[$s] | [$s, .units, (.t_s | floor), .rss_kib, .fds, .db_bytes, (.db_bytes / .units | floor)] | @tsv' \
            "$work/soak.json" | while IFS=$'\t' read -r a b c d e f g; do
            printf '%-8s %7s %9s %9s %5s %12s %10s\n' "$a" "$b" "$c" "$d" "$e" "$f" "$g"
        done
    done
    printf '%s\n' "$(r '"jigd:       peak RSS (VmHWM) \(.rss_hwm_kib) KiB; RSS end − start \(.samples.end.rss_kib - .samples.start.rss_kib) KiB, fds end − start \(.samples.end.fds - .samples.start.fds)"')"
    # The trace's second half, as read (a slope per 1000 units from a short
    # run would mostly be warm-up scaled up; the JSON has it).
    printf '%s\n' "$(r '.units as $n | [.trace[] | select(.[0] >= $n / 2)] as $h
        | if ($h | length) > 1 then "            second half, not drained: RSS \($h[0][1]) KiB at unit \($h[0][0]), \($h[-1][1]) KiB at unit \($h[-1][0]) (\(.rss_slope_kib_per_1000_units | . * 10 | round / 10) KiB per 1000 units fitted)" else empty end')"
    printf '%s\n' "$(r '"database:   \(.db_bytes_per_unit | floor) bytes per unit (station.db + -wal at the end / units), \(.db_bytes_per_unit_steady | floor) from start to end; \(.db_closed_bytes / .units | floor) once jigd closed it (WAL checkpointed)"')"
    printf '%s\n' "$(r '"commits:    slowest fsync \(.fsync.longest_ms) ms, which stands for the slowest durable commit (a synchronous=FULL commit is durable when its fsync returns); \(.fsync.calls) fsyncs, \(.fsync.s) s in all"')"
    printf '%s\n' "$(r '"slots:      last unit'"'"'s baud " + (.slot_baud | map(tostring) | join(" "))')"
    printf '%s\n' "$(r '.checks | "checks:     \(.attempts) attempts, \(.unended) without an end; \(.db_units) units, \(.duplicate_serials) serials on two units; \(.ok_attempts) passed attempts on \(.ok_units) units; integrity_check \(.integrity); \(.audit)"')"
fi
[ -z "${SOAK_JSON:-}" ] || cp "$work/soak.json" "$SOAK_JSON"
checks_ok || fail "an end check failed: $(jq -c .checks "$work/soak.json")"
[ -n "$smoke" ] || exit 0

# Smoke: the run finished with figures of the right shape; nothing on speed.
jq -e --argjson n "$units" '.units == $n and .passed + .failed == $n and .passed > 0
       and .wall_s > 0 and .units_per_hour > 0 and .steady_units_per_hour > 0
       and all(.samples.start, .samples.middle, .samples.end; . != null
               and .rss_kib > 0 and .fds > 0 and .db_bytes > 0)
       and .samples.start.units < .samples.middle.units and .samples.middle.units < .samples.end.units
       and .db_bytes_per_unit > 0 and .fsync.calls > 0 and .fsync.longest_ms > 0
       and ([.faults[].units] | add) > 0
       and .checks.attempts >= $n' "$work/soak.json" > /dev/null \
    || fail "smoke: figures out of shape: $(cat "$work/soak.json")"
echo "soak smoke ok" >&2
