# The rig of the jigd tests that drive a running jigd against espsim through
# its REST API (jigd_espsim.sh, one case per run; fault_matrix.sh): a
# temporary work folder cleaned up at exit, espsim and jigd started and
# stopped, the API, and the checks on boards' flash, units and the station
# database that those scripts share. Source it after setting case_name,
# espsim, jigd, vectors and stub_dir; it defines fail() and picks the ports.
work=$(mktemp -d /tmp/jigd_test.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    if [ -n "${mounted:-}" ]; then
        chattr -i "$mounted"/station.db* 2>/dev/null
        umount "$mounted" 2>/dev/null || umount -l "$mounted"
    fi
    # JIGD_TEST_LOG=file keeps jigd's log of the run for a look afterwards.
    [ -z "${JIGD_TEST_LOG:-}" ] || cp "$work/jigd.err" "$JIGD_TEST_LOG" 2>/dev/null
    [ -z "${JIGD_TEST_LOG:-}" ] || cp "$work/events.json" "$JIGD_TEST_LOG.events" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

data_dir=$work     # where jigd keeps station.db (small_data_dir moves it)

fail() {
    echo "FAIL ($case_name): $*" >&2
    echo "--- jigd log (tail) ---" >&2
    tail -n 40 "$work/jigd.err" >&2 2>/dev/null
    echo "--- espsim stderr (tail) ---" >&2
    tail -n 15 "$work/espsim.err" >&2 2>/dev/null
    # A script may say more about its own case.
    ! declare -F fail_extra > /dev/null || fail_extra
    exit 1
}

. "$(dirname "${BASH_SOURCE[0]}")/station_rig.sh"
pick_station_ports

start_espsim() {   # N [espsim options...]
    local n=$1; shift
    mkdir -p "$work/flash"
    "$espsim" --boards "$n" --chip esp32 --base-port "$board_port" --flash-dir "$work/flash" \
        --control-port "$ctl_port" "$@" > "$work/espsim.out" 2> "$work/espsim.err" &
    pids+=($!)
    espsim_pid=$!
    wait_for 10 "espsim ready" grep -q "ready" "$work/espsim.out"
}

write_conf() {     # N TRIGGER [extra station lines]
    local n=$1 trigger=$2 extra=${3:-}
    {
        echo "[station]"
        echo "name = test-line"
        echo "listen = 127.0.0.1:$api_port"
        # The rig and its client (curl) share one machine, as on a bench
        # station: trusted-local mode instead of a token (docs/config.md).
        echo "api_trust_local = yes"
        echo "data_dir = $data_dir"
        echo "bundle = $work/bundle1"
        echo "stub_dir = $stub_dir"
        echo "boot_log_seconds = 1"
        echo "max_baud = 921600"
        printf '%b\n' "$extra"
        for i in $(seq 1 "$n"); do
            echo "[slot $i]"
            echo "port = rfc2217://127.0.0.1:$((board_port + i - 1))"
            echo "trigger = $trigger"
        done
    } > "$work/jigd.conf"
}

# The station database (and its WAL) hold every unit's record, the CA key
# signs every unit: only jigd's user may read them, whatever the umask of
# the shell that started jigd. (The CA certificate is public: 0644.)
expect_private_data() {
    local open
    open=$(find "$work" -maxdepth 1 \( -name 'station.db*' -o -name 'station-ca.key' \) \
                -perm /077 -printf '%f %m\n')
    [ -z "$open" ] || fail "others may read jigd's data: $open"
}

jigd_env=()        # NAME=VALUE... for jigd alone (say, a preloaded library)
start_jigd() {
    env "${jigd_env[@]}" "$jigd" -c "$work/jigd.conf" 2> "$work/jigd.err" &
    jigd_pid=$!
    pids+=($jigd_pid)
    wait_for 10 "jigd's API" api GET /api/v1/station
    wait_for 20 "the bundle to load" bundle_loaded
    expect_private_data
}

stop_jigd() {      # SIGTERM must end it cleanly, sanitizers quiet
    expect_private_data     # (the WAL exists by now)
    kill -TERM "$jigd_pid"
    local rc=0
    wait "$jigd_pid" || rc=$?
    [ "$rc" = 0 ] || fail "jigd exited with $rc after SIGTERM"
    if grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$work/jigd.err"; then
        fail "sanitizer report in jigd's log"
    fi
}

api_token=
json=(-H 'Content-Type: application/json')  # jigd acts on nothing without it
api() {            # METHOD PATH [JSON]; with $api_token when the station has one
    local auth=() type=()
    [ -z "$api_token" ] || auth=(-H "Authorization: Bearer $api_token")
    [ "$1" = GET ] || type=("${json[@]}")
    if [ $# -ge 3 ]; then
        curl -sf -X "$1" "${auth[@]}" "${type[@]}" -d "$3" "http://127.0.0.1:$api_port$2"
    else
        curl -sf -X "$1" "${auth[@]}" "${type[@]}" "http://127.0.0.1:$api_port$2"
    fi
}

slot_field() {     # SLOT JQ-EXPR
    api GET "/api/v1/slots/$1" | jq -r "$2"
}

bundle_loaded() {
    [ "$(api GET /api/v1/station | jq -r '.bundle.version // empty')" != "" ]
}

# true when every slot named has a JSON for which the jq predicate holds;
# one request for all of them (the waits poll it five times a second).
slots_all() {      # JQ-PREDICATE SLOT...
    local pred=$1 want; shift
    want=$(IFS=,; echo "[$*]")
    api GET /api/v1/slots | jq -e --argjson want "$want" \
        "[.slots[] | select(.slot | IN(\$want[]))] | length == (\$want | length) and all($pred)" \
        > /dev/null
}

all_done() {       # SLOT...: each passed or failed, and not running
    slots_all '.state == "passed" or .state == "failed"' "$@"
}

start_slots() {
    for i in "$@"; do
        api POST "/api/v1/slots/$i/start" > /dev/null || fail "start of slot $i refused"
    done
}

# The board's flash must hold every part of the bundle at its offset.
check_flash() {    # BOARD BUNDLE_DIR
    local board=$1 dir=$2 f="$work/flash/board$1.bin"
    local parts
    parts=$(jq -r '.parts[] | "\(.offset) \(.file)"' "$dir/manifest.json")
    while read -r off file; do
        # A part the unit's own partition replaces is not on the board.
        [ "$file" = "${unit_owned_part:-}" ] && continue
        local size
        size=$(stat -c %s "$dir/$file")
        cmp -s -n "$size" -i "0:$((off))" "$dir/$file" "$f" \
            || fail "board $board: flash at $off differs from $file"
    done <<< "$parts"
}

expect_pass() {    # SLOT BUNDLE
    [ "$(slot_field "$1" .last_result)" = pass ] \
        || fail "slot $1 did not pass: $(slot_field "$1" .error)"
    check_flash "$1" "$2"
}

expect_fail() {    # SLOT PHASE CAUSE-REGEX
    local j
    j=$(api GET "/api/v1/slots/$1")
    [ "$(jq -r .last_result <<< "$j")" = fail ] || fail "slot $1 should have failed: $j"
    [ "$(jq -r .error.phase <<< "$j")" = "$2" ] \
        || fail "slot $1 failed in $(jq -r .error.phase <<< "$j"), expected $2: $j"
    jq -r .error.cause <<< "$j" | grep -E "$3" > /dev/null \
        || fail "slot $1's cause does not match /$3/: $(jq -r .error.cause <<< "$j")"
    [ -n "$(jq -r '.error.advice // empty' <<< "$j")" ] || fail "slot $1's failure has no advice"
}

# A board refused at identify must not have been written: espsim makes a
# fresh board's flash all 0xFF, so the first 128 KiB must still be.
expect_untouched() {  # BOARD
    local f="$work/flash/board$1.bin"
    cmp -s -n 131072 "$f" <(head -c 131072 /dev/zero | tr '\0' '\377') \
        || fail "board $1 was refused but its flash was written"
}

tests_dir=$(dirname "${BASH_SOURCE[0]}")
make_bundle() {    # NAME DATA_KIB SEED
    bash "$tests_dir/make_bundle.sh" "$vectors" "$work/$1" "$2" "$3" || fail "make_bundle"
}

eight=$(seq 1 8)

# ---- unit identity ---------------------------------------------------------

db() { sqlite3 -batch "$data_dir/station.db" "$@"; }

# bundle1 with a partition table that has NVS and esp_secure_cert
# partitions, and the unit NVS template (tests/jigd/identity_bundle.sh).
. "$tests_dir/identity_bundle.sh"
make_identity_bundle() {
    identity_bundle "$work" "$vectors" "${1:-0}" 1 || fail "make_identity_bundle"
}

identity_conf() {     # N TRIGGER [extra [unit] lines [[identity] lines]]
    write_conf "$1" "$2"
    identity_conf_lines "${3:-}" "${4:-key_pool_size = 4}" >> "$work/jigd.conf"
}

nvs_get() {           # BOARD KEY
    "$UNIT_DB_TOOL" nvs-get "$work/flash/board$1.bin" 0x9000 0x4000 factory "$2"
}

# The rows of every table (the schema itself names 'PRIVATE KEY' in the
# CHECKs that refuse it). Into a variable first: with pipefail, grep -q
# closing the pipe early would make a match look like a failure.
db_rows() {
    local dump
    dump=$(db .dump) || fail "cannot dump the station database"
    grep '^INSERT' <<< "$dump"
}

# No private key anywhere the station keeps or says things.
expect_no_key_leak() {
    local line lines=0 dump
    dump=$(db_rows)
    grep -q "INSERT INTO certificates" <<< "$dump" || fail "the dump holds no certificate rows"
    grep -q "PRIVATE KEY" <<< "$dump" && fail "a private key is in the station database"
    grep -q "PRIVATE KEY" "$work/jigd.err" && fail "a private key is in jigd's log"
    # ... nor any line of a key that went to a board.
    while read -r line; do
        lines=$((lines + 1))
        grep -qF "$line" "$work/jigd.err" && fail "a line of board $1's key is in jigd's log"
        grep -qF "$line" <<< "$dump" && fail "a line of board $1's key is in the database"
    done < <(nvs_get "$1" key | grep -v -- '-----')
    [ "$lines" -gt 0 ] || fail "board $1's key could not be read to look for it"
    return 0
}

# The board holds the unit the database and the slot say it is.
check_unit_on_board() {   # SLOT [KEY TYPE: EC (default) | RSA]
    local i=$1 serial mac cert
    serial=$(slot_field "$i" .serial)
    mac=$(slot_field "$i" .mac)
    [ -n "$serial" ] && [ "$serial" != null ] || fail "slot $i has no serial"
    [ "$(nvs_get "$i" serial)" = "$serial" ] || fail "board $i's NVS serial is $(nvs_get "$i" serial), slot says $serial"
    [ "$(nvs_get "$i" mac)" = "$mac" ] || fail "board $i's NVS MAC is $(nvs_get "$i" mac), slot says $mac"
    [ "$(nvs_get "$i" station)" = test-line ] || fail "board $i's NVS station is wrong"
    nvs_get "$i" key | grep "BEGIN ${2:-EC} PRIVATE KEY" > /dev/null || fail "board $i's NVS holds no key"
    [ "$(db "SELECT mac FROM units WHERE serial = '$serial'")" = "$mac" ] \
        || fail "the database does not have $serial on $mac"
    fp=$(slot_field "$i" .cert_fingerprint)
    cert=$(db "SELECT pem FROM certificates WHERE fingerprint_sha256 = '$fp'")
    [ -n "$cert" ] || fail "certificate $fp of slot $i is not in the database"
    [ "$(nvs_get "$i" cert)" = "$cert" ] || fail "board $i's NVS certificate is not its recorded one"
    printf '%s\n' "$cert" > "$work/unit$i.pem"
    openssl verify -CAfile "$data_dir/station-ca.pem" "$work/unit$i.pem" > /dev/null 2>&1 \
        || fail "openssl does not verify slot $i's certificate against the station CA"
    openssl x509 -in "$work/unit$i.pem" -noout -subject | grep "CN *= *$serial" > /dev/null \
        || fail "slot $i's certificate is not for $serial"
    # esp_secure_cert at 0xd000: the TLV magic, then the device certificate.
    [ "$(xxd -p -s $((0xd000)) -l 4 "$work/flash/board$i.bin")" = 11ba5eba ] \
        || fail "board $i has no esp_secure_cert records at 0xd000"
    dd if="$work/flash/board$i.bin" bs=4096 skip=13 count=2 status=none | grep -aF "$(sed -n 2p "$work/unit$i.pem")" > /dev/null \
        || fail "board $i's esp_secure_cert partition lacks its certificate"
}

# ---- the station's own disk ---------------------------------------------------

# data_dir on a small ext4 file system of its own (a loop-mounted image), so a
# case can fill it or make the database immutable under a running jigd.
# Mounting needs root: without it the case fails, so it cannot pass unrun.
mounted=
small_data_dir() {    # MIB
    [ "$(id -u)" = 0 ] || fail "this case loop-mounts a small ext4 file system for data_dir and needs root; run it as root"
    truncate -s "${1}M" "$work/disk.img" && mkfs.ext4 -q -F -m 0 "$work/disk.img" \
        || fail "cannot make an ext4 image with mkfs.ext4"
    mkdir -p "$work/disk"
    mount -o loop "$work/disk.img" "$work/disk" || fail "cannot loop-mount $work/disk.img"
    mounted=$work/disk data_dir=$work/disk
}

# Takes every free block of data_dir's file system, so the database's next
# write that needs a block fails with ENOSPC.
fill_data_dir() {
    local free
    free=$(( $(stat -f -c '%a * %S' "$data_dir") ))
    [ "$free" -le $((1 << 20)) ] || fallocate -l $((free - (1 << 20))) "$data_dir/filler" \
        || fail "cannot fill data_dir"
    dd if=/dev/zero of="$data_dir/filler.last" bs="$(stat -f -c %S "$data_dir")" status=none 2>/dev/null
    [ "$(stat -f -c %a "$data_dir")" = 0 ] || fail "data_dir still has $(stat -f -c %a "$data_dir") free blocks"
}

station_key() {       # LINE: one more key in [station]
    sed -i "/^\[station\]/a $1" "$work/jigd.conf"
}

slots_in() {          # STATE SLOT...: every slot is in STATE
    local st=$1; shift
    slots_all ".state == \"$st\"" "$@"
}

slots_writing() {     # SLOT...: every slot is past identity, writing
    slots_all '.phase == "write" and .bytes_done > 0' "$@"
}

# true once no slot is running any more, or once jigd is gone (the caller
# then says how it died).
settled_or_dead() {   # SLOT...
    kill -0 "$jigd_pid" 2>/dev/null || return 0
    slots_all '.state != "running"' "$@"
}

expect_alive() {
    if ! kill -0 "$jigd_pid" 2>/dev/null; then
        local rc=0
        wait "$jigd_pid" || rc=$?
        [ "$rc" -gt 128 ] && fail "jigd died of SIG$(kill -l $((rc - 128)))"
        fail "jigd exited with status $rc"
    fi
    api GET /api/v1/station > /dev/null || fail "jigd is alive but its API does not answer"
}

# No slot says "pass" (state, last result or a result event) for a board
# whose attempt the database does not hold as ok.
expect_no_unrecorded_pass() {   # SLOT...
    local i j serial passes oks
    for i in "$@"; do
        j=$(api GET "/api/v1/slots/$i") || fail "slot $i does not answer"
        serial=$(jq -r .serial <<< "$j")
        passes=$(grep '"kind":"result"' "$work/jigd.err" | grep "\"slot\":$i," | grep -c '"result":"pass"')
        oks=$(db "SELECT count(*) FROM attempts WHERE slot = $i AND result = 'ok'")
        [ "$passes" -le "$oks" ] \
            || fail "slot $i sent $passes pass results but the database holds $oks ok attempts for it"
        if [ "$(jq -r .state <<< "$j")" = passed ] || [ "$(jq -r .last_result <<< "$j")" = pass ]; then
            [ "$(db "SELECT a.result FROM attempts a JOIN units u ON u.id = a.unit_id WHERE a.slot = $i AND u.serial = '$serial' ORDER BY a.id DESC LIMIT 1")" = ok ] \
                || fail "slot $i reports a pass for $serial, whose attempt is not ok in the database: $(db "SELECT id, result FROM attempts WHERE slot = $i")"
        fi
    done
}

expect_held() {       # CAUSE-REGEX SLOT...
    local cause=$1 i j; shift
    for i in "$@"; do
        j=$(api GET "/api/v1/slots/$i")
        [ "$(jq -r .state <<< "$j")" = unrecorded ] || fail "slot $i is not holding its result: $j"
        jq -r '.alarm.cause // empty' <<< "$j" | grep -E "$cause" > /dev/null \
            || fail "slot $i's alarm does not match /$cause/: $(jq -c .alarm <<< "$j")"
        [ -n "$(jq -r '.alarm.advice // empty' <<< "$j")" ] || fail "slot $i's alarm has no advice"
        grep '"kind":"error"' "$work/jigd.err" | grep "\"slot\":$i," | grep '"state":"unrecorded"' \
            | grep -E "$cause" > /dev/null || fail "slot $i sent no unrecorded event matching /$cause/"
    done
    expect_no_unrecorded_pass "$@"
    [ "$(db "SELECT count(*) FROM attempts WHERE result = 'running'")" = $# ] \
        || fail "not $# attempts running while held: $(db "SELECT slot, result FROM attempts")"
}

# Once the held results are in: every board passed and is on record, and the
# database is whole.
expect_recorded() {   # SLOT...
    local i
    wait_for 30 "the held results to be recorded" all_done "$@"
    for i in "$@"; do
        expect_pass "$i" "$work/bundle1"
        check_unit_on_board "$i"
    done
    expect_no_unrecorded_pass "$@"
    [ "$(db "SELECT count(*) FROM attempts WHERE result = 'ok'")" = $# ] \
        || fail "not $# ok attempts: $(db "SELECT slot, result FROM attempts")"
    [ "$(db "SELECT count(*) FROM serial_allocations WHERE state = 'completed'")" = $# ] \
        || fail "not $# serials completed: $(db "SELECT serial, state FROM serial_allocations")"
    [ "$(db "SELECT count(*) FROM attempt_phases p JOIN attempts a ON a.id = p.attempt_id WHERE p.phase = 'write' AND p.bytes > 0")" = $# ] \
        || fail "the write phases of the held attempts are not on record"
}

expect_whole_database() {
    [ "$(db 'PRAGMA integrity_check')" = ok ] || fail "integrity_check: $(db 'PRAGMA integrity_check')"
    [ "$(db "SELECT count(*) FROM attempts WHERE result = 'running'")" = 0 ] || fail "an attempt was left running"
    [ -z "$(db "SELECT serial FROM units GROUP BY serial HAVING count(*) > 1")" ] || fail "a serial is on two units"
    [ -z "$(db "SELECT serial FROM serial_allocations GROUP BY serial HAVING count(*) > 1")" ] \
        || fail "a serial was allocated twice"
    "$UNIT_DB_TOOL" audit-verify "$data_dir/station.db" > /dev/null || fail "the audit chain does not verify"
}
