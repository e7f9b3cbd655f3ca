#!/usr/bin/env bash
# jigd under a Type=notify unit, without systemd: a socket stands in for
# NOTIFY_SOCKET and records what jigd says. READY=1 must come only once the
# REST API answers (systemd reports "started" then), WATCHDOG=1 at half of
# WATCHDOG_USEC, and on SIGTERM STOPPING=1 and an exit with status 0 (the
# watchdog timer must not keep the loop alive).
#
# usage: sd_notify.sh JIGD
set -uo pipefail
jigd=$1

work=$(mktemp -d /tmp/jigd_sd_notify.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL (sd_notify): $*" >&2
    echo "--- notifications ---" >&2; cat "$work/notify.log" >&2 2>/dev/null
    echo "--- jigd log (tail) ---" >&2; tail -n 20 "$work/jigd.err" >&2 2>/dev/null
    exit 1
}
. "$(dirname "$0")/station_rig.sh"
pick_station_ports

# The listener: one line per datagram, "<monotonic seconds> <message>"; on
# READY=1 it asks the API at once and notes whether it answered.
cat > "$work/listen.py" <<PY
import socket, sys, time, urllib.request
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "w", buffering=1)
while True:
    msg = s.recv(4096).decode()
    for line in msg.split("\n"):
        out.write(f"{time.monotonic():.3f} {line}\n")
        if line == "READY=1":
            try:
                urllib.request.urlopen("http://127.0.0.1:$api_port/api/v1/station", timeout=2)
                out.write("api-answered-at-ready\n")
            except Exception as e:
                out.write(f"api-silent-at-ready {e}\n")
PY
python3 "$work/listen.py" "$work/notify.sock" "$work/notify.log" &
pids+=($!)
wait_for 5 "the notify socket" test -S "$work/notify.sock"

mkdir -p "$work/data"
printf '[station]\nname = notify\nlisten = 127.0.0.1:%d\ndata_dir = %s\nstub_dir =\n' \
    "$api_port" "$work/data" > "$work/jigd.conf"
printf '[slot 1]\nport = rfc2217://127.0.0.1:%d\ntrigger = manual\n' "$board_port" \
    >> "$work/jigd.conf"

NOTIFY_SOCKET=$work/notify.sock WATCHDOG_USEC=400000 \
    "$jigd" -c "$work/jigd.conf" 2> "$work/jigd.err" &
jigd_pid=$!
pids+=($jigd_pid)
wait_for 10 "READY=1" grep -q "READY=1" "$work/notify.log"
grep -q "api-answered-at-ready" "$work/notify.log" \
    || fail "READY=1 came before the REST API answered"
sleep 1.2
n=$(grep -c " WATCHDOG=1$" "$work/notify.log")
# 200 ms period: 6 in 1.2 s, some slack for a loaded machine.
[ "$n" -ge 4 ] || fail "$n watchdog pings in 1.2 s with WATCHDOG_USEC=400000 (want about 6)"
grep -q "systemd watchdog: a ping every 200 ms" "$work/jigd.err" \
    || fail "jigd does not log the watchdog period"

kill -TERM "$jigd_pid"
rc=0
timeout 20 tail --pid="$jigd_pid" -f /dev/null || fail "jigd did not stop on SIGTERM"
wait "$jigd_pid" || rc=$?
[ "$rc" = 0 ] || fail "jigd exited with $rc after SIGTERM"
grep -q " STOPPING=1$" "$work/notify.log" || fail "no STOPPING=1"
! grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$work/jigd.err" \
    || fail "sanitizer report in jigd's log"

# Outside systemd (no NOTIFY_SOCKET) nothing is said about a watchdog.
"$jigd" -c "$work/jigd.conf" 2> "$work/plain.err" &
jigd_pid=$!
pids+=($jigd_pid)
wait_for 10 "jigd's API" curl -sf "http://127.0.0.1:$api_port/api/v1/station"
kill -TERM "$jigd_pid"; wait "$jigd_pid"
! grep -q "watchdog" "$work/plain.err" || fail "a watchdog without systemd asking for one"
echo "ok (sd_notify)"
