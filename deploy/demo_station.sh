#!/usr/bin/env bash
# The station demo: espsim with 8 simulated ESP32 boards, jigd flashing them
# (auto trigger: a board is flashed as soon as it answers), and an
# "operator" that takes each finished board out and puts it back a few
# seconds later, so the slots keep cycling.
#
# usage: deploy/demo_station.sh BUILD_DIR
#
# With a terminal on stdout it shows `jigctl watch` itself (otherwise it says
# how to run it from another terminal). With a terminal on stdin it runs until
# Ctrl-C; without one (CI, a pipe) it runs until every slot has passed twice,
# at most DEMO_SECONDS (default 90), and exits 0 only if that happened.
#
# Each board put back is a new unit from the reel: blank flash and a MAC of
# its own (espsim's `insert I blank mac=...`).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

build_dir=${1:?usage: deploy/demo_station.sh BUILD_DIR (e.g. build/release)}
build_dir=$(cd "$build_dir" && pwd)
espsim=$build_dir/fixtures/espsim/espsim
jigd=$build_dir/bin/jigd
jigctl=$build_dir/bin/jigctl
for b in "$espsim" "$jigd" "$jigctl"; do
    [[ -x $b ]] || { echo "demo: $b is missing: build first (cmake --build $build_dir)" >&2; exit 1; }
done
vectors=${JIGD_SHARED_DIR:-$repo/../shared}/vectors
[[ -d $vectors ]] || { echo "demo: no shared vectors at $vectors (set JIGD_SHARED_DIR)" >&2; exit 1; }
stub_dir=$repo/node_modules/esptool-js/lib/targets/stub_flasher
[[ -d $stub_dir ]] || { echo "demo: no flasher stubs at $stub_dir: run npm ci" >&2; exit 1; }

boards=8
bounded=true        # stdin not a terminal: CI or a pipe, so stop by itself
[[ -t 0 ]] && bounded=false
watch_here=false    # stdout a terminal: show jigctl watch right here
[[ -t 1 ]] && watch_here=true
deadline=$((SECONDS + ${DEMO_SECONDS:-90}))

work=$(mktemp -d /tmp/jigd_demo.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
# Ctrl-C is how an operator ends the demo: a clean stop, not an error (make
# would otherwise report "Error 130").
stopped() {
    echo
    echo "jigd demo: stopped"
    exit 0
}
trap stopped INT TERM

. tests/jigd/station_rig.sh
pick_station_ports
export JIGD_URL=http://127.0.0.1:$api_port
# The first thing the demo says: where to look (web-ui/, served by jigd).
echo "jigd demo: the dashboard is at $JIGD_URL/ (open it in a browser on this machine)"

bash tests/jigd/make_bundle.sh "$vectors" "$work/bundle-a" 256 1

mkdir -p "$work/flash"
"$espsim" --boards $boards --chip esp32 --base-port $board_port --flash-dir "$work/flash" \
    --control-port $ctl_port > "$work/espsim.out" 2> "$work/espsim.err" &
pids+=($!)

{
    echo "[station]"
    echo "name = demo-line"
    echo "listen = 127.0.0.1:$api_port"
    # A demo on this machine: jigctl start/abort/identify work without a
    # token (docs/config.md, api_trust_local, for what that trusts).
    echo "api_trust_local = yes"
    echo "data_dir = $work"
    echo "bundle = $work/bundle-a"
    echo "stub_dir = $stub_dir"
    echo "boot_log_seconds = 2"
    echo "led_gpio = 2"
    # Type a label and Enter quickly on the dashboard (as a scanner does):
    # the next board of the first ready slot carries it.
    echo "board_code = optional"
    for i in $(seq 1 $boards); do
        printf '[slot %d]\nport = rfc2217://127.0.0.1:%d\ntrigger = auto\n' "$i" $((board_port + i - 1))
    done
} > "$work/jigd.conf"

for _ in $(seq 50); do grep -q ready "$work/espsim.out" && break; sleep 0.1; done
"$jigd" -c "$work/jigd.conf" 2> "$work/jigd.log" &
jigd_pid=$!
pids+=($jigd_pid)

# jigctl watch gives up on a jigd that does not answer yet: wait for it.
for _ in $(seq 100); do
    curl -sf "$JIGD_URL/api/v1/station" > /dev/null && break
    kill -0 "$jigd_pid" 2>/dev/null || { echo "demo: jigd did not start; see $work/jigd.log" >&2; tail -20 "$work/jigd.log" >&2; exit 1; }
    sleep 0.1
done
echo "jigd demo: $boards simulated ESP32 boards (espsim) flashed by jigd on $JIGD_URL"
echo "  work folder: $work (jigd's log: $work/jigd.log)"
$watch_here || echo "  watch it live from another terminal:  JIGD_URL=$JIGD_URL $jigctl watch"

# The operator: a board that is done comes out 3 s later, and 2 s after that
# a new board goes into its place.
declare -A done_at out_at
units_made=0
new_mac=
next_mac() { # sets new_mac (no subshell, so the count carries on)
    units_made=$((units_made + 1))
    printf -v new_mac '7c:df:a1:10:%02x:%02x' $((units_made / 256 % 256)) $((units_made % 256))
}
operator_round() {
    local slots
    slots=$(curl -sf "$JIGD_URL/api/v1/slots" | jq -c '.slots[]') || return 0
    local now=$SECONDS
    while read -r s; do
        [[ -n $s ]] || continue
        local i waiting
        i=$(jq -r .slot <<< "$s")
        waiting=$(jq -r .waiting_for_removal <<< "$s")
        if [[ -n ${out_at[$i]:-} ]]; then
            if ((now - out_at[$i] >= 2)); then
                next_mac
                control insert "$i" blank "mac=$new_mac" > /dev/null || true
                unset "out_at[$i]"
            fi
        elif [[ $waiting == true ]]; then
            : "${done_at[$i]:=$now}"
            if ((now - done_at[$i] >= 3)); then
                control remove "$i" > /dev/null || true
                out_at[$i]=$now
                unset "done_at[$i]"
            fi
        fi
    done <<< "$slots"
}

all_passed_twice() {
    local n
    n=$(curl -sf "$JIGD_URL/api/v1/slots" | jq '[.slots[] | select(.passed >= 2)] | length') || return 1
    [[ $n == "$boards" ]]
}

if $watch_here; then
    "$jigctl" watch &
    pids+=($!)
fi
if ! $bounded; then
    echo "  Ctrl-C stops the demo."
    while kill -0 "$jigd_pid" 2>/dev/null; do
        operator_round
        sleep 0.5
    done
    exit 0
fi

while ((SECONDS < deadline)); do
    kill -0 "$jigd_pid" 2>/dev/null || { echo "demo: jigd died; see $work/jigd.log" >&2; tail -20 "$work/jigd.log" >&2; exit 1; }
    operator_round
    if all_passed_twice; then
        echo "demo: every slot passed twice:"
        "$jigctl" status || true
        kill -TERM "$jigd_pid"
        wait "$jigd_pid" || { echo "demo: jigd did not stop cleanly" >&2; exit 1; }
        exit 0
    fi
    sleep 0.5
done
echo "demo: not every slot passed twice within ${DEMO_SECONDS:-90} s:" >&2
"$jigctl" status >&2 || true
tail -30 "$work/jigd.log" >&2
exit 1
