#!/usr/bin/env bash
# The first hour at a new station (issue 16): what keeps a slot from
# flashing is said at start, per slot, in the log and in the slot's JSON,
# instead of a slot sitting armed in silence or a board being given a
# serial before the station finds out it cannot flash it.
#
# usage: first_hour.sh CASE ESPSIM JIGD JIGCTL VECTORS_DIR STUB_DIR
#
# cases:
#   blocked_slots  a by-path port that does not exist and a usb-serial
#                  adapter that is not plugged in are no-port from the
#                  start, their alarm and a log line naming the port; an
#                  auto and a manual slot with no bundle say so in their
#                  alarm, and jigctl status shows it; every log line,
#                  the HTTP ones too, begins with its time
#   no_stub        a bundle loaded with a stub_dir that lacks the chip's
#                  stub: the slot's alarm names the file before any board
#                  is touched (no byte to the board, no unit, no serial);
#                  once the stub is installed the slot flashes by itself
#   clock_behind   jigd run under a clock five years slow (FAKE_CLOCK, the
#                  fake_clock.c preload): the slot's alarm names the clock
#                  and this jigd's build date before any board is touched
#                  (no byte, no unit, no serial); started again on the
#                  right clock, the same station flashes the board
#   start_refusals jigd without -c reads /etc/jigd/jigd.conf and says so
#                  when it is missing; a data_dir that does not exist is
#                  refused with how to make it, and is not made; one slot
#                  is "1 slot"
set -uo pipefail
case_name=$1 espsim=$2 jigd=$3 jigctl=$4 vectors=$5 stub_dir=$6

work=$(mktemp -d /tmp/jigd_first_hour.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "FAIL ($case_name): $*" >&2
    echo "--- jigd log (tail) ---" >&2
    tail -n 30 "$work/jigd.err" >&2 2>/dev/null
    exit 1
}

. "$(dirname "$0")/station_rig.sh"
pick_station_ports

api() {            # METHOD PATH
    curl -sf -X "$1" -H 'Content-Type: application/json' "http://127.0.0.1:$api_port$2"
}
slot_field() { api GET "/api/v1/slots/$1" | jq -r "$2"; }

station_head() {   # [extra station lines]
    printf '[station]\nname = first-hour\nlisten = 127.0.0.1:%d\napi_trust_local = yes\n' \
        "$api_port"
    printf 'data_dir = %s\nboot_log_seconds = 1\n%b\n' "$work/data" "${1:-}"
}

jigd_env=()        # NAME=VALUE... for jigd alone (the fake clock)
run_jigd() {
    mkdir -p "$work/data"
    env "${jigd_env[@]}" "$jigd" -c "$work/jigd.conf" 2> "$work/jigd.err" &
    jigd_pid=$!
    pids+=($jigd_pid)
    wait_for 10 "jigd's API" api GET /api/v1/station
}

stop_jigd() {
    kill -TERM "$jigd_pid"
    local rc=0
    wait "$jigd_pid" || rc=$?
    [ "$rc" = 0 ] || fail "jigd exited with $rc after SIGTERM"
    ! grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$work/jigd.err" \
        || fail "sanitizer report in jigd's log"
}

expect_alarm() {   # SLOT CAUSE-FIXED-STRING
    local j
    j=$(api GET "/api/v1/slots/$1")
    jq -r '.alarm.cause // empty' <<< "$j" | grep -F -- "$2" > /dev/null \
        || fail "slot $1's alarm does not name '$2': $(jq -c .alarm <<< "$j")"
    [ -n "$(jq -r '.alarm.advice // empty' <<< "$j")" ] || fail "slot $1's alarm has no advice"
}

# Every line of the log begins with its UTC time, whichever part wrote it.
expect_stamped_log() {
    local bare
    bare=$(grep -vE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z ' "$work/jigd.err")
    [ -z "$bare" ] || fail "log lines without a time: $bare"
}

case $case_name in
blocked_slots)
    missing=/dev/serial/by-path/pci-0000:00:14.0-usb-0:9.9:1.0-port0
    {
        station_head
        printf '[slot 1]\nport = %s\n' "$missing"
        printf '[slot 2]\nport = usb-serial:NO-SUCH-ADAPTER\ntrigger = manual\n'
        printf '[slot 3]\nport = rfc2217://127.0.0.1:%d\n' "$board_port"
        printf '[slot 4]\nport = rfc2217://127.0.0.1:%d\ntrigger = manual\n' $((board_port + 1))
    } > "$work/jigd.conf"
    run_jigd
    wait_for 5 "slot 1 to be no-port" bash -c "[ \"\$(curl -sf http://127.0.0.1:$api_port/api/v1/slots/1 | jq -r .state)\" = no-port ]"
    [ "$(slot_field 2 .state)" = no-port ] || fail "slot 2 is $(slot_field 2 .state), not no-port"
    expect_alarm 1 "$missing does not exist"
    expect_alarm 2 "usb-serial:NO-SUCH-ADAPTER: no USB serial adapter"
    grep -F "\"slot\":1," "$work/jigd.err" | grep -F "$missing does not exist" > /dev/null \
        || fail "no log line names slot 1's missing port"
    # No bundle: both resting slots say so, the manual one too.
    wait_for 5 "slot 3's alarm" bash -c "curl -sf http://127.0.0.1:$api_port/api/v1/slots/3 | jq -e .alarm.cause"
    expect_alarm 3 "no bundle is loaded"
    expect_alarm 4 "no bundle is loaded"
    [ "$(slot_field 3 .state)" = armed ] || fail "slot 3 is $(slot_field 3 .state)"
    "$jigctl" --url "http://127.0.0.1:$api_port" status > "$work/status.txt" \
        || fail "jigctl status failed"
    grep -F "slot 1 is blocked: port $missing does not exist" "$work/status.txt" > /dev/null \
        || fail "jigctl status does not say what blocks slot 1: $(cat "$work/status.txt")"
    grep -F "slot 3 is blocked: no bundle is loaded" "$work/status.txt" > /dev/null \
        || fail "jigctl status does not say what blocks slot 3: $(cat "$work/status.txt")"
    # A refused start is an HTTP log line: it too carries the time.
    api POST /api/v1/slots/4/start > /dev/null && fail "slot 4 started without a bundle"
    grep -q "jigd: http: POST /api/v1/slots/4/start" "$work/jigd.err" \
        || fail "the refused start is not in the log"
    grep -q "station first-hour with 4 slots" "$work/jigd.err" || fail "no station line"
    stop_jigd
    expect_stamped_log
    ;;
no_stub)
    mkdir -p "$work/flash" "$work/stubs"
    "$espsim" --boards 1 --chip esp32 --base-port "$board_port" --flash-dir "$work/flash" \
        --control-port "$ctl_port" > "$work/espsim.out" 2> "$work/espsim.err" &
    pids+=($!)
    wait_for 10 "espsim ready" grep -q "ready" "$work/espsim.out"
    bash "$(dirname "$0")/make_bundle.sh" "$vectors" "$work/bundle" || fail "make_bundle"
    {
        station_head "bundle = $work/bundle\nstub_dir = $work/stubs"
        printf '[slot 1]\nport = rfc2217://127.0.0.1:%d\n' "$board_port"
    } > "$work/jigd.conf"
    run_jigd
    wait_for 20 "slot 1's alarm" bash -c "curl -sf http://127.0.0.1:$api_port/api/v1/slots/1 | jq -e .alarm.cause"
    expect_alarm 1 "no flasher stub for ESP32: cannot open $work/stubs/esp32.json"
    grep -F "$work/stubs/esp32.json" "$work/jigd.err" | grep -q '"kind":"error"' \
        || fail "no error line in the log names the missing stub"
    ! grep -q -- "--no-stub" "$work/jigd.err" || fail "jigd advises --no-stub, which it does not have"
    sleep 2     # several probe periods: an armed slot would have synced by now
    [ "$(control status 1 | sed 's/^ok //' | jq .rx_bytes)" = 0 ] \
        || fail "the board heard from jigd although its stub is missing"
    [ "$(sqlite3 -batch "$work/data/station.db" 'SELECT count(*) FROM units')" = 0 ] \
        || fail "a unit (and its serial) was made although the stub is missing"
    # The stub installed while jigd runs: the slot goes on by itself.
    cp "$stub_dir/esp32.json" "$work/stubs/"
    wait_for 60 "slot 1 to pass" bash -c "[ \"\$(curl -sf http://127.0.0.1:$api_port/api/v1/slots/1 | jq -r .last_result)\" = pass ]"
    [ "$(slot_field 1 .alarm)" = null ] || fail "slot 1's alarm stands: $(slot_field 1 .alarm)"
    stop_jigd
    ;;
clock_behind)
    [ -f "${FAKE_CLOCK:-}" ] || fail "FAKE_CLOCK must name the fake_clock preload (tests/jigd/fake_clock.c)"
    mkdir -p "$work/flash"
    "$espsim" --boards 1 --chip esp32 --base-port "$board_port" --flash-dir "$work/flash" \
        --control-port "$ctl_port" > "$work/espsim.out" 2> "$work/espsim.err" &
    pids+=($!)
    wait_for 10 "espsim ready" grep -q "ready" "$work/espsim.out"
    bash "$(dirname "$0")/make_bundle.sh" "$vectors" "$work/bundle" || fail "make_bundle"
    {
        station_head "bundle = $work/bundle\nstub_dir = $stub_dir"
        printf '[slot 1]\nport = rfc2217://127.0.0.1:%d\ntrigger = manual\n' "$board_port"
    } > "$work/jigd.conf"
    # A station whose clock is five years slow. (A sanitizer build wants its
    # runtime first among the libraries; this one only shifts the clock.)
    jigd_env=(LD_PRELOAD="$FAKE_CLOCK" FAKE_CLOCK_OFFSET_S=$((-5 * 365 * 86400))
              ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0")
    run_jigd
    wait_for 20 "slot 1's alarm" bash -c "curl -sf http://127.0.0.1:$api_port/api/v1/slots/1 | jq -e .alarm.cause"
    cause=$(slot_field 1 .alarm.cause)
    grep -q "before this jigd was built" <<< "$cause" && grep -qE "20[0-9]{2}-[0-9]{2}-[0-9]{2}" <<< "$cause" \
        || fail "slot 1's alarm does not name the clock against the build date: $cause"
    code=$(curl -s -o "$work/refusal.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
           "http://127.0.0.1:$api_port/api/v1/slots/1/start")
    [ "$code" = 409 ] || fail "a start on a clock five years slow answered $code: $(cat "$work/refusal.json")"
    [ "$(control status 1 | sed 's/^ok //' | jq .rx_bytes)" = 0 ] \
        || fail "the board heard from jigd although the clock cannot date its certificate"
    [ "$(sqlite3 -batch "$work/data/station.db" 'SELECT count(*) FROM units')" = 0 ] \
        || fail "a unit (and its serial) was made on a clock five years slow"
    stop_jigd
    # The clock set right (NTP came): the same station, the same CA, flashes.
    jigd_env=()
    run_jigd
    wait_for 10 "slot 1's alarm to clear" bash -c "curl -sf http://127.0.0.1:$api_port/api/v1/slots/1 | jq -e '.alarm == null'"
    api POST /api/v1/slots/1/start > /dev/null || fail "the start on the right clock was refused"
    wait_for 60 "slot 1 to pass" bash -c "[ \"\$(curl -sf http://127.0.0.1:$api_port/api/v1/slots/1 | jq -r .last_result)\" = pass ]"
    stop_jigd
    ;;
start_refusals)
    # Without -c: the documented default, named when it is missing.
    if [ ! -e /etc/jigd/jigd.conf ]; then
        rc=0
        "$jigd" 2> "$work/noconf.err" || rc=$?
        [ "$rc" = 2 ] || fail "jigd without -c and no /etc/jigd/jigd.conf exited $rc"
        grep -F "/etc/jigd/jigd.conf" "$work/noconf.err" | grep -F -- "-c FILE" > /dev/null \
            || fail "jigd without -c does not name the default: $(cat "$work/noconf.err")"
        ! grep -q "^usage" "$work/noconf.err" || fail "jigd without -c printed its usage"
    fi
    # A data_dir that does not exist is not made.
    {
        printf '[station]\nname = first-hour\nlisten = 127.0.0.1:%d\n' "$api_port"
        printf 'data_dir = %s\n' "$work/new-station"
        printf '[slot 1]\nport = rfc2217://127.0.0.1:%d\n' "$board_port"
    } > "$work/jigd.conf"
    rc=0
    "$jigd" -c "$work/jigd.conf" 2> "$work/jigd.err" || rc=$?
    [ "$rc" = 2 ] || fail "jigd with a missing data_dir exited $rc"
    [ ! -e "$work/new-station" ] || fail "jigd created data_dir (and a new CA) by itself"
    grep -F "data_dir $work/new-station does not exist" "$work/jigd.err" | grep -F "install -d" \
        > /dev/null || fail "the refusal does not say how to make data_dir"
    expect_stamped_log
    # Made: it starts, and one slot is one slot.
    mkdir "$work/new-station"
    "$jigd" -c "$work/jigd.conf" 2> "$work/jigd.err" &
    jigd_pid=$!
    pids+=($jigd_pid)
    wait_for 10 "jigd's station line" grep -q "station first-hour with" "$work/jigd.err"
    grep -q "station first-hour with 1 slot$" "$work/jigd.err" \
        || fail "$(grep "station first-hour with" "$work/jigd.err")"
    stop_jigd
    ;;
*)
    echo "unknown case $case_name" >&2
    exit 2
    ;;
esac
echo "ok ($case_name)"
