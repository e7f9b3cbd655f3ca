#!/usr/bin/env bash
# Swapping bundles on a running station (jigd + espsim, through the REST
# API with a token):
#   - two loads asked back to back, the first slow (zlib level 9 on data
#     that deflates slowly) and the second small: the second, the last one
#     asked for, is active, and the first is dropped with an event saying so;
#   - the bundle chosen over the API is still the active one after jigd
#     restarts, and the log says why; once jigd.conf names another bundle
#     after that choice, jigd.conf wins again, and the log says so;
#   - a manifest.json that is a FIFO is refused at once, the active bundle
#     stays, and SIGTERM still stops jigd within seconds.
# usage: bundle_swap.sh ESPSIM JIGD VECTORS_DIR STUB_DIR
set -uo pipefail
espsim=$1 jigd=$2 vectors=$3 stub_dir=$4

work=$(mktemp -d /tmp/jigd_bundle_swap.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
    wait 2>/dev/null
    [ -z "${JIGD_TEST_LOG:-}" ] || cp "$work/jigd.err" "$JIGD_TEST_LOG" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "FAIL (bundle_swap): $*" >&2
    echo "--- jigd log (tail) ---" >&2
    tail -n 30 "$work/jigd.err" >&2 2>/dev/null
    exit 1
}

. "$(dirname "$0")/station_rig.sh"
pick_station_ports

# The token works whether or not this jigd insists on one.
token=$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)
printf '%s\n' "$token" > "$work/api_token" && chmod 600 "$work/api_token"

api() {            # METHOD PATH [JSON]
    local body=()
    [ $# -lt 3 ] || body=(-H 'Content-Type: application/json' -d "$3")
    curl -sf -X "$1" -H "Authorization: Bearer $token" "${body[@]}" \
        "http://127.0.0.1:$api_port$2"
}

active_version() { api GET /api/v1/station | jq -r '.bundle.version // empty'; }
is_active() { [ "$(active_version)" = "$1" ]; }
not_loading() { [ "$(api GET /api/v1/station | jq -r .bundle_loading)" = false ]; }
load() { api POST /api/v1/bundle/load "{\"path\": \"$1\"}" > /dev/null || fail "load of $1 refused"; }

make_bundle() {    # NAME DATA_KIB SEED
    bash "$(dirname "$0")/make_bundle.sh" "$vectors" "$work/$1" "$2" "$3" || fail "make_bundle $1"
}

# A bundle whose data part zlib level 9 deflates slowly (random a/b bytes:
# every position has long match chains to walk): a second or more of work
# on the thread pool, against milliseconds for a small bundle.
make_slow_bundle() {  # NAME SEED KIB
    make_bundle "$1" 0 "$2"
    head -c $(($3 * 1024)) /dev/urandom | LC_ALL=C tr '\000-\377' '[a*128][b*128]' > "$work/$1/data.bin"
    local sha
    sha=$(sha256sum "$work/$1/data.bin" | cut -d' ' -f1)
    jq --arg s "$sha" '.parts += [{"offset": "0x20000", "role": "data", "file": "data.bin", "sha256": $s}]' \
        "$work/$1/manifest.json" > "$work/m.json" && mv "$work/m.json" "$work/$1/manifest.json"
}

write_conf() {     # BUNDLE_DIR
    cat > "$work/jigd.conf" <<CONF
[station]
name = swap-line
listen = 127.0.0.1:$api_port
data_dir = $work
api_token_file = $work/api_token
bundle = $1
stub_dir = $stub_dir
boot_log_seconds = 1
[slot 1]
port = rfc2217://127.0.0.1:$board_port
trigger = manual
CONF
}

start_jigd() {     # VERSION: the bundle expected active once loaded
    "$jigd" -c "$work/jigd.conf" 2>> "$work/jigd.err" &
    jigd_pid=$!
    pids+=("$jigd_pid")
    wait_for 10 "jigd's API" api GET /api/v1/station
    wait_for 30 "bundle $1 to be active" is_active "$1"
}

stop_jigd() {      # SIGTERM must end jigd within a few seconds, cleanly
    kill -TERM "$jigd_pid"
    local end=$((SECONDS + 5))
    while kill -0 "$jigd_pid" 2>/dev/null; do
        [ $SECONDS -lt $end ] || fail "jigd still running 5 s after SIGTERM"
        sleep 0.1
    done
    local rc=0
    wait "$jigd_pid" || rc=$?
    [ "$rc" = 0 ] || fail "jigd exited with $rc after SIGTERM"
    ! grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$work/jigd.err" \
        || fail "sanitizer report in jigd's log"
}

mkdir -p "$work/flash"
"$espsim" --boards 1 --chip esp32 --base-port "$board_port" --flash-dir "$work/flash" \
    --control-port "$ctl_port" > "$work/espsim.out" 2> "$work/espsim.err" &
pids+=($!)
wait_for 10 "espsim ready" grep -q ready "$work/espsim.out"

make_bundle bundle1 0 1
make_bundle bundle2 16 2
make_slow_bundle slow 3 128
write_conf "$work/bundle1"
start_jigd 1.0.1

# 1. The last load asked for wins, however long the earlier one takes.
load "$work/slow"
load "$work/bundle2"
wait_for 60 "both loads to end" not_loading
[ "$(active_version)" = 1.0.2 ] \
    || fail "after loading slow then bundle2, $(active_version) is active, not 1.0.2"
grep -q "bundle $work/slow loaded but not made active" "$work/jigd.err" \
    || fail "no event says the slow load was dropped (or it was not slower)"
grep "not made active" "$work/jigd.err" | grep -qF "$work/bundle2" \
    || fail "the dropped load's event does not name the later one"

# 2. The operator's choice survives a restart, and the log says why.
stop_jigd
[ -f "$work/active_bundle.json" ] || fail "no active_bundle.json in data_dir"
start_jigd 1.0.2
grep -F "$work/bundle2" "$work/jigd.err" | grep -q "chosen over the API" \
    || fail "the log does not say the bundle is the operator's choice"

#    jigd.conf edited after that choice: the edit is the newer word.
stop_jigd
write_conf "$work/slow"
start_jigd 1.0.3
grep -q "jigd.conf's bundle changed" "$work/jigd.err" \
    || fail "the log does not say why jigd.conf's bundle won over the saved choice"

# 3. A FIFO for a manifest: refused at once, nothing else disturbed.
mkdir "$work/fifo" && mkfifo "$work/fifo/manifest.json"
refused_before=$(grep -c '"bundle refused"' "$work/jigd.err")
load "$work/fifo"
fifo_refused() { [ "$(grep -c '"bundle refused"' "$work/jigd.err")" -gt "$refused_before" ]; }
wait_for 3 "the FIFO manifest to be refused" fifo_refused
grep '"bundle refused"' "$work/jigd.err" | tail -n 1 | grep -q "manifest.json is a FIFO" \
    || fail "the refusal does not say the manifest is a FIFO"
[ "$(active_version)" = 1.0.3 ] || fail "the refused bundle replaced the active one"
stop_jigd
echo "bundle_swap: ok"
