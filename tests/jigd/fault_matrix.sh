#!/usr/bin/env bash
# The fault matrix (issue 11): one station of 8 slots runs round after round
# of 8 new boards, and each round brings one fault. A fault of one board
# (corrupt, drop, silent, brownout, broken strap, pulled adapter, wrong chip,
# small flash, espsim killed) hits one slot, a different one each round; the
# other seven must pass, byte for byte, with their unit on record. A fault of
# the station (jigd SIGKILL, disk full, database read-only, slow fsync) hits
# every slot at once; then every board must end byte-exact and on record
# once the fault is gone, and no slot may say "pass" before its record is
# durable. Afterwards: no serial on two units, every attempt ended,
# integrity_check ok, the audit chain verifies. docs/jigd.md ("What the
# station promises on each fault") says what each round shows.
#
# Every slot's board is its own espsim (one board each), so that a slot's
# adapter can be pulled or its simulator killed alone. Over RFC 2217 both
# look the same to jigd (the TCP connection ends); the pulled adapter is
# SIGTERM, the killed simulator SIGKILL.
#
# usage: fault_matrix.sh ESPSIM JIGD VECTORS_DIR STUB_DIR
# environment: UNIT_DB_TOOL, SLOW_FSYNC (bench/libslow_fsync.so). Needs root
# (data_dir is a small loop-mounted ext4 for the disk rounds); fails without.
set -uo pipefail
case_name=fault_matrix espsim=$1 jigd=$2 vectors=$3 stub_dir=$4

. "$(dirname "$0")/jigd_rig.sh"
[ -f "${SLOW_FSYNC:-}" ] || fail "SLOW_FSYNC must name bench/libslow_fsync.so"

# ---- one espsim per slot --------------------------------------------------------

sim_ctl() { echo $((api_port + 1 + $1)); }    # slot N's control port (block + 2..9)

declare -A sim_pid fresh_sim
board_mac() {      # SLOT ROUND: each round's boards have MACs never seen before
    printf '24:0a:c4:%02x:00:%02x' "$2" "$1"
}

# The slot's adapter and a blank board in it, for round ROUND; the next
# begin_round uses that board instead of swapping it (fresh_sim).
start_sim() {      # SLOT ROUND [BOARD KNOBS]
    local i=$1 mac knobs=${3:-}
    mac=$(board_mac "$i" "$2")
    mkdir -p "$work/sim$i" "$work/flash"
    rm -f "$work/sim$i/board1.bin"
    "$espsim" --boards 1 --chip esp32 --base-port $((board_port + i - 1)) \
        --control-port "$(sim_ctl "$i")" --flash-dir "$work/sim$i" \
        --board "1:mac=$mac${knobs:+,$knobs}" > "$work/sim$i.out" 2>> "$work/espsim.err" &
    sim_pid[$i]=$!
    pids+=($!)
    wait_for 10 "slot $i's espsim" grep -q ready "$work/sim$i.out"
    # check_flash and check_unit_on_board read $work/flash/boardN.bin.
    ln -sfn "../sim$i/board1.bin" "$work/flash/board$i.bin"
    fresh_sim[$i]=1
}

stop_sim() {       # SLOT SIGNAL
    kill -"$2" "${sim_pid[$1]}" 2>/dev/null
    wait "${sim_pid[$1]}" 2>/dev/null
}

sim() {            # SLOT COMMAND...: one control command to the slot's espsim
    local i=$1; shift
    ctl_port=$(sim_ctl "$i") control "$@"
}

new_board() {      # SLOT: the board taken out, a blank one with a new MAC put in
    local i=$1 mac
    mac=$(board_mac "$i" "$round")
    sim "$i" remove 1 > /dev/null
    sim "$i" insert 1 blank "mac=$mac" | grep -q '^ok' || fail "slot $i: no new board"
}

slot_is() {        # SLOT STATE
    [ "$(slot_field "$1" .state)" = "$2" ]
}

slots_ready() {    # SLOT...: each can take a start (idle, or showing its last result)
    slots_all '.state | IN("idle", "passed", "failed")' "$@"
}

# ---- jigd, restarted between some rounds ----------------------------------------

runs=0
run_jigd() {       # [NAME=VALUE...] for jigd; its earlier logs are kept
    [ ! -f "$work/jigd.err" ] || cat "$work/jigd.err" >> "$work/jigd.log"
    jigd_env=("$@")
    start_jigd
    runs=$((runs + 1))
}

restart_jigd() {   # [NAME=VALUE...]
    stop_jigd
    run_jigd "$@"
}

# ---- a round --------------------------------------------------------------------

# Each slot's unit of this round: its MAC, the serial it was given and that
# the database holds it. A healthy slot's board passes byte for byte.
expect_recorded_pass() {   # SLOT
    local i=$1 mac serial
    expect_pass "$i" "$work/bundle1"
    check_unit_on_board "$i"
    mac=$(slot_field "$i" .mac)
    serial=$(slot_field "$i" .serial)
    [ "$mac" = "$(board_mac "$i" "$round")" ] \
        || fail "round $round: slot $i flashed $mac, not this round's board"
    [ "$(db "SELECT a.result FROM attempts a JOIN units u ON u.id = a.unit_id
             WHERE a.slot = $i AND u.mac = '$mac' ORDER BY a.id DESC LIMIT 1")" = ok ] \
        || fail "round $round: slot $i passed $serial but its attempt is not ok in the database"
}

# The faulted board: either the retries cured it (then it is checked as any
# pass) or it failed, saying in which phase and what to do, and its attempt
# is ended as failed.
expect_cured_or_failed() {   # SLOT
    local i=$1 j
    j=$(api GET "/api/v1/slots/$i")
    if [ "$(jq -r .last_result <<< "$j")" = pass ]; then
        expect_recorded_pass "$i"
        return
    fi
    [ "$(jq -r .last_result <<< "$j")" = fail ] || fail "round $round: slot $i has no result: $j"
    [ -n "$(jq -r '.error.phase // empty' <<< "$j")" ] || fail "round $round: slot $i failed without a phase: $j"
    [ -n "$(jq -r '.error.advice // empty' <<< "$j")" ] || fail "round $round: slot $i failed without advice: $j"
    [ "$(db "SELECT result FROM attempts WHERE slot = $i ORDER BY id DESC LIMIT 1")" = failed ] \
        || fail "round $round: slot $i's failure is not on record as failed"
}

others() {         # SLOT: the seven other slots
    local i
    for i in $eight; do [ "$i" = "$1" ] || printf '%s ' "$i"; done
}

begin_round() {    # NAME: new boards in every slot, every slot idle
    round=$((round + 1)) fault=$1
    echo "round $round: $fault ($(date +%T))" >&2
    local i
    for i in $eight; do
        [ -n "${fresh_sim[$i]:-}" ] || new_board "$i"
    done
    fresh_sim=()
    wait_for 30 "every slot ready" slots_ready $eight
}

end_board_round() {   # FAULTED-SLOT: the seven pass, the one passes or fails
    local s=$1 i
    wait_for 90 "round $round ($fault) to finish" all_done $eight
    expect_no_unrecorded_pass $eight
    for i in $(others "$s"); do expect_recorded_pass "$i"; done
    expect_cured_or_failed "$s"
}

knob_round() {     # NAME KNOBS: a live espsim fault knob on one slot's board
    local s=$(( round % 8 + 1 ))
    begin_round "$1"
    sim "$s" fault 1 "$2" | grep -q '^ok' || fail "espsim refused fault $2"
    start_slots $eight
    end_board_round "$s"
    sim "$s" fault 1 "corrupt=0,drop=0,silent-after=-1,brownout-after=-1,strap=auto" > /dev/null
}

board_round() {    # NAME KNOBS: a board that is wrong from the start (chip, flash)
    local s=$(( round % 8 + 1 ))
    stop_sim "$s" TERM
    start_sim "$s" $((round + 1)) "$2"
    begin_round "$1"
    start_slots $eight
    end_board_round "$s"
    stop_sim "$s" TERM
    start_sim "$s" $((round + 1))
}

adapter_round() {  # NAME SIGNAL: the slot's adapter goes away mid-write
    local s=$(( round % 8 + 1 ))
    begin_round "$1"
    start_slots $eight
    wait_for 40 "slot $s to write" slots_writing "$s"
    stop_sim "$s" "$2"
    wait_for 30 "slot $s to lose its port" slot_is "$s" no-port
    wait_for 90 "round $round ($fault): the other seven" all_done $(others "$s")
    for i in $(others "$s"); do expect_recorded_pass "$i"; done
    [ "$(slot_field "$s" .last_result)" = fail ] || fail "round $round: slot $s did not record the failure"
    [ "$(db "SELECT result FROM attempts WHERE slot = $s ORDER BY id DESC LIMIT 1")" = failed ] \
        || fail "round $round: slot $s's lost unit is not on record as failed"
    # A new adapter and board: the slot comes back by itself.
    start_sim "$s" $((round + 1))
}

station_round_start() {   # NAME: every slot writing when the fault comes
    begin_round "$1"
    start_slots $eight
    wait_for 40 "every slot to write" slots_writing $eight
}

# After a station fault is gone: every board passes, byte for byte, on record.
station_round_end() {
    local i
    wait_for 90 "round $round ($fault): every held result recorded" all_done $eight
    expect_no_unrecorded_pass $eight
    for i in $eight; do expect_recorded_pass "$i"; done
}

# A WAL that has grown over the rounds takes many commits without a new
# block, so a full disk would not show in one round: checkpointed down to
# nothing (as jigd's own checkpoints leave it after a quiet spell), every
# commit of the round needs room.
truncate_wal() {
    db "PRAGMA wal_checkpoint(TRUNCATE)" | grep -q '^0|0|0$' \
        || fail "cannot checkpoint the WAL to nothing: $(db "PRAGMA wal_checkpoint(TRUNCATE)")"
}

held_round() {     # NAME CAUSE-REGEX MAKE-FAULT CLEAR-FAULT
    local i held=0
    truncate_wal
    station_round_start "$1"
    $3
    wait_for 60 "every slot to settle" settled_or_dead $eight
    expect_alive
    expect_no_unrecorded_pass $eight
    for i in $eight; do
        slot_is "$i" unrecorded || continue
        held=$((held + 1))
        slot_field "$i" '.alarm.cause // empty' | grep -Eq "$2" \
            || fail "round $round: slot $i's alarm does not match /$2/: $(slot_field "$i" .alarm)"
    done
    [ "$held" -gt 0 ] || fail "round $round ($fault): no slot was holding its result: the fault came too late"
    $4
    station_round_end
}

fill_disk() { fill_data_dir; }
free_disk() { rm -f "$data_dir"/filler*; }
freeze_db() {
    sync "$data_dir"/station.db*
    chattr +i "$data_dir"/station.db "$data_dir"/station.db-wal "$data_dir"/station.db-shm \
        || fail "chattr +i refused"
}
thaw_db() { chattr -i "$data_dir"/station.db*; }

kill_round() {     # jigd SIGKILLed while every slot writes, then started again
    local i before
    station_round_start "jigd SIGKILL"
    before=$(db "SELECT max(id) FROM attempts")
    kill -KILL "$jigd_pid"
    wait "$jigd_pid" 2>/dev/null
    run_jigd
    # The units cut off are ended as interrupted, not failed by the board.
    [ "$(db "SELECT count(*) FROM attempts WHERE id > $before - 8 AND result = 'interrupted'")" = 8 ] \
        || fail "round $round: the killed units are not all interrupted: $(db "SELECT id, slot, result FROM attempts WHERE id > $before - 8")"
    # The same boards are still in the jig: flashed again, they keep their serials.
    declare -A serial_before
    for i in $eight; do
        serial_before[$i]=$(db "SELECT u.serial FROM units u JOIN attempts a ON a.unit_id = u.id
                                WHERE a.slot = $i ORDER BY a.id DESC LIMIT 1")
    done
    for i in $eight; do fresh_sim[$i]=1; done
    round=$((round - 1))
    begin_round "jigd SIGKILL (the same boards again)"
    start_slots $eight
    station_round_end
    for i in $eight; do
        [ "$(slot_field "$i" .serial)" = "${serial_before[$i]}" ] \
            || fail "slot $i's board was ${serial_before[$i]} before the kill and is $(slot_field "$i" .serial) now"
    done
}

slow_fsync_round() {   # every fsync of jigd 50 ms slower, as on a bad SD card
    restart_jigd LD_PRELOAD="$SLOW_FSYNC" SLOW_FSYNC_MS=50 \
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
    # (Its units start one after another: each start waits on its fsyncs.)
    begin_round "slow fsync (50 ms each)"
    start_slots $eight
    station_round_end
    restart_jigd
    grep -q '^slow_fsync: .*50 ms added' "$work/jigd.log" || fail "slow_fsync did not slow jigd's fsyncs"
}

# ---- the matrix -----------------------------------------------------------------

small_data_dir 64
make_identity_bundle 256
round=0
for i in $eight; do start_sim "$i" 1; done
identity_conf 8 manual "" "key_pool_size = 8"
station_key "min_free_mb = 8"
run_jigd

knob_round corrupt "corrupt-rx=3000"
knob_round drop "drop=3000"
knob_round "silent board" "silent-after=40000"
knob_round brownout "brownout-after=30000"
knob_round "broken strap" "strap=broken"
adapter_round "pulled adapter" TERM
board_round "wrong chip" "chip=esp32c3"
board_round "small flash" "flash-size=1MB"
kill_round
adapter_round "espsim killed" KILL
held_round "disk full" "full" fill_disk free_disk
held_round "database read-only" "read-only|immutable" freeze_db thaw_db
slow_fsync_round

stop_jigd
cat "$work/jigd.err" >> "$work/jigd.log"
[ "$(db "SELECT count(*) FROM attempts WHERE ended_at IS NULL OR result = 'running'")" = 0 ] \
    || fail "attempts without an end: $(db "SELECT id, slot, result FROM attempts WHERE ended_at IS NULL")"
[ -z "$(db "SELECT mac FROM units GROUP BY mac HAVING count(*) > 1")" ] || fail "a board has two units"
expect_whole_database
echo "ok (fault_matrix: $round rounds, $(db "SELECT count(*) FROM attempts") attempts, $(db "SELECT count(*) FROM units") units)"
