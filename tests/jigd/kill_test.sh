#!/usr/bin/env bash
# Crash safety: jigd killed with SIGKILL at random moments of an 8-slot auto
# run, again and again, restarting it each time, while boards come and go
# (espsim's `insert I blank mac=...`: a new board with a new MAC). Then:
#   - no serial is on two units, no MAC on two live units;
#   - every attempt has an end state, and those cut off are 'interrupted';
#   - PRAGMA integrity_check is ok and the audit chain verifies;
#   - a last, clean run flashes every board in the jig, and each board's
#     NVS carries the serial the database gives its MAC.
#
# usage: kill_test.sh ESPSIM JIGD UNIT_DB_TOOL VECTORS_DIR STUB_DIR
# KILLS (default 16) sets how many times jigd dies.
set -uo pipefail
espsim=$1 jigd=$2 tool=$3 vectors=$4 stub_dir=$5
kills=${KILLS:-16}

work=$(mktemp -d /tmp/jigd_kill.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
    wait 2>/dev/null
    [ -z "${JIGD_TEST_LOG:-}" ] || cat "$work"/jigd.err.* > "$JIGD_TEST_LOG" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "FAIL (kill_test): $*" >&2
    tail -n 30 "$work/jigd.err" >&2 2>/dev/null
    exit 1
}

. "$(dirname "$0")/station_rig.sh"
pick_station_ports

db() { sqlite3 -batch "$work/station.db" "$@"; }

# ---- the station --------------------------------------------------------------

bash "$(dirname "$0")/make_bundle.sh" "$vectors" "$work/bundle1" 16 1 || fail "make_bundle"
cat > "$work/unit.csv" <<'CSV'
key,type,encoding,value
factory,namespace,,
serial,data,string,{serial}
mac,data,string,{mac}
cert,data,string,{cert_pem}
key,data,string,{key_pem}
CSV
{
    printf '[station]\nname = kill-line\nlisten = 127.0.0.1:%d\ndata_dir = %s\n' "$api_port" "$work"
    printf 'bundle = %s/bundle1\nstub_dir = %s\nboot_log_seconds = 1\n' "$work" "$stub_dir"
    printf '[identity]\nkey_pool_size = 8\n[unit]\nserial_format = K-{seq:06}\nnvs_template = unit.csv\n'
    for i in $(seq 1 8); do
        printf '[slot %d]\nport = rfc2217://127.0.0.1:%d\ntrigger = auto\n' "$i" $((board_port + i - 1))
    done
} > "$work/jigd.conf"

mkdir -p "$work/flash"
"$espsim" --boards 8 --chip esp32 --base-port "$board_port" --flash-dir "$work/flash" \
    --control-port "$ctl_port" > "$work/espsim.out" 2> "$work/espsim.err" &
pids+=($!)
wait_for 10 "espsim" grep -q ready "$work/espsim.out"

start_jigd() {     # RUN
    "$jigd" -c "$work/jigd.conf" 2> "$work/jigd.err.$1" &
    jigd_pid=$!
    pids+=($jigd_pid)
    ln -sf "$work/jigd.err.$1" "$work/jigd.err"
}

api_up() { curl -sf "http://127.0.0.1:$api_port/api/v1/station" > /dev/null; }

mac_seq=256
new_board() {      # I: a fresh board with a MAC never seen
    mac_seq=$((mac_seq + 1))
    control remove "$1" > /dev/null
    control insert "$1" blank "mac=7c:df:a1:01:$(printf '%02x:%02x' $((mac_seq >> 8 & 255)) $((mac_seq & 255)))" > /dev/null
}

# ---- the kills ----------------------------------------------------------------

for k in $(seq 1 "$kills"); do
    start_jigd "$k"
    wait_for 15 "jigd (run $k) to listen" api_up
    # Anywhere from the first sync to past the end of a unit (~3.5 s).
    sleep "$(( RANDOM % 6 )).$(( RANDOM % 10 ))"
    kill -KILL "$jigd_pid"
    wait "$jigd_pid" 2>/dev/null
    # Two boards swapped for new ones, so serials keep being allocated.
    new_board $((RANDOM % 8 + 1))
    new_board $((RANDOM % 8 + 1))
done

# ---- a clean run to the end ----------------------------------------------------

start_jigd final
wait_for 15 "jigd (final run) to listen" api_up
slots_done() {
    for i in $(seq 1 8); do
        [ "$(curl -sf "http://127.0.0.1:$api_port/api/v1/slots/$i" | jq -r .last_result)" = pass ] \
            || return 1
    done
}
wait_for 60 "every board to pass in the final run" slots_done
kill -TERM "$jigd_pid"
wait "$jigd_pid" || fail "jigd exited with $? after SIGTERM"
grep -q "AddressSanitizer\|LeakSanitizer\|runtime error" "$work"/jigd.err.* \
    && fail "sanitizer report in a jigd log"

# ---- the record ------------------------------------------------------------------

[ "$(db 'PRAGMA integrity_check')" = ok ] || fail "integrity_check: $(db 'PRAGMA integrity_check')"
dup=$(db "SELECT serial FROM units GROUP BY serial HAVING count(*) > 1")
[ -z "$dup" ] || fail "serials on two units: $dup"
dup=$(db "SELECT mac FROM units WHERE voided = 0 GROUP BY mac HAVING count(*) > 1")
[ -z "$dup" ] || fail "MACs on two live units: $dup"
running=$(db "SELECT count(*) FROM attempts WHERE result = 'running' OR ended_at IS NULL")
[ "$running" = 0 ] || fail "$running attempts have no end state"
interrupted=$(db "SELECT count(*) FROM attempts WHERE result = 'interrupted'")
[ "$interrupted" -gt 0 ] || fail "no attempt was interrupted: the kills missed every unit"
# Each start swept what the kill before it cut off, and said so.
swept=$(cat "$work"/jigd.err.* | sed -n 's/.*jigd: \([0-9]*\) attempt(s) a previous jigd left running.*/\1/p' \
        | awk '{ n += $1 } END { print n + 0 }')
[ "$swept" = "$interrupted" ] || fail "the starts swept $swept attempts, the database has $interrupted interrupted"
mid_write=$(cat "$work"/jigd.err.[0-9]* | grep -c '"phase":"write"')
[ "$mid_write" -gt 0 ] || fail "no kill came during the writes"
units=$(db "SELECT count(*) FROM units")
[ "$units" -gt 8 ] || fail "only $units units: the new boards were not given serials"
"$tool" audit-verify "$work/station.db" > /dev/null || fail "the audit chain does not verify"
# The boards in the jig now: each carries the serial its MAC has.
for i in $(seq 1 8); do
    f="$work/flash/board$i.bin"
    serial=$("$tool" nvs-get "$f" 0x9000 0x6000 factory serial) || fail "board $i's NVS does not read"
    nvs_mac=$("$tool" nvs-get "$f" 0x9000 0x6000 factory mac)
    [ "$(db "SELECT serial FROM units WHERE mac = '$nvs_mac' AND voided = 0")" = "$serial" ] \
        || fail "board $i carries $serial but the database gives $nvs_mac another serial"
done
echo "ok (kill_test): $kills kills, $units units, $interrupted interrupted attempts," \
     "$(db "SELECT count(*) FROM attempts WHERE result = 'ok'") passed"
