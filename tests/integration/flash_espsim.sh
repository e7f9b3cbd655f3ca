#!/usr/bin/env bash
# jigflash against espsim boards over RFC 2217: one case per run.
#
# usage: flash_espsim.sh CASE ESPSIM JIGFLASH STUB_DIR
#
#   esp32_stub, esp32c3_stub   1 MiB of random data at 0x10000 through the
#   esp32_rom,  esp32c3_rom    flasher stub / the ROM loader at 921600; the
#                              board's flash file must then hold exactly the
#                              image at that offset, and the rest stay erased.
#   silent_mid_write           the board is pulled part-way through the write:
#                              jigflash must fail in the write phase, exit 4.
#   device_refuses             the link corrupts host->device bytes, so the
#                              board answers with a failure status: jigflash
#                              must report the refusal and the status, exit 1.
#   broken_reset               the auto-reset circuit does nothing: "no answer
#                              from the ROM loader", exit 4, within 60 s.
#   job_lifecycle TEST_BIN     runs test_flash_job (the flash job's own
#                              promises) against a fresh board.
set -euo pipefail

case_name=$1 espsim=$2 jigflash=$3 stub_dir=$4 test_bin=${5:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/jigflash-it.XXXXXX")
sim_pid=
cleanup() {
    if [[ -n $sim_pid ]]; then
        kill "$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "FAIL ($case_name): $*" >&2
    echo "--- jigflash stderr:" >&2
    cat "$work/err" >&2 2>/dev/null || true
    echo "--- espsim log:" >&2
    cat "$work/sim.log" >&2 2>/dev/null || true
    exit 1
}

# Starts espsim with one board on a free port; extra args go to espsim.
# Port numbers are guessed and retried, since another test may hold one.
start_board() {
    local chip=$1
    shift
    mkdir -p "$work/flash"
    for attempt in 1 2 3 4 5 6 7 8; do
        port=$((20000 + RANDOM % 40000))
        # espsim writes to sockets the client may have closed; keep SIGPIPE
        # from ending it (libuv leaves that to the program).
        (trap '' PIPE; exec "$espsim" --boards 1 --chip "$chip" --base-port "$port" \
            --flash-dir "$work/flash" "$@") >"$work/sim.log" 2>&1 &
        sim_pid=$!
        for _ in $(seq 50); do
            grep -q "espsim: ready" "$work/sim.log" && return 0
            kill -0 "$sim_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill "$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
        sim_pid=
    done
    fail "espsim did not start"
}

run_jigflash() {
    set +e
    timeout 60 "$jigflash" --port "rfc2217://127.0.0.1:$port" --baud 921600 "$@" \
        >"$work/out" 2>"$work/err"
    rc=$?
    set -e
    [[ $rc -ne 124 ]] || fail "jigflash did not end within 60 s"
}

expect_error() {
    local want_rc=$1 want_text=$2
    [[ $rc -eq $want_rc ]] || fail "exit status $rc, expected $want_rc"
    grep -qF -- "$want_text" "$work/err" || fail "error does not say '$want_text'"
}

# The flash file must hold the image at `offset` and 0xFF everywhere else.
check_flash() {
    local image=$1 offset=$2
    local flash="$work/flash/board1.bin"
    local size
    size=$(stat -c %s "$image")
    cmp <(tail -c +$((offset + 1)) "$flash" | head -c "$size") "$image" ||
        fail "flash at $offset differs from the image"
    cmp <(head -c "$offset" "$flash") <(head -c "$offset" /dev/zero | tr '\0' '\377') ||
        fail "flash below the image was touched"
    local after=$((offset + size))
    local rest=$(( $(stat -c %s "$flash") - after ))
    cmp <(tail -c "$rest" "$flash") <(head -c "$rest" /dev/zero | tr '\0' '\377') ||
        fail "flash above the image was touched"
}

head -c $((1024 * 1024)) /dev/urandom >"$work/image.bin"

case $case_name in
esp32_stub | esp32c3_stub | esp32_rom | esp32c3_rom)
    chip=${case_name%_*}
    path=${case_name#*_}
    start_board "$chip"
    if [[ $path == stub ]]; then
        run_jigflash --stub-dir "$stub_dir" write 0x10000 "$work/image.bin"
        grep -q "^stub upload" "$work/err" || fail "the stub was not uploaded"
    else
        run_jigflash --no-stub write 0x10000 "$work/image.bin"
        ! grep -q "^stub upload" "$work/err" || fail "the stub was used on the ROM path"
    fi
    [[ $rc -eq 0 ]] || fail "jigflash exit status $rc"
    grep -q "^verify 0x00010000" "$work/err" || fail "no verify step"
    check_flash "$work/image.bin" $((0x10000))
    ;;
silent_mid_write)
    # About a third of the way into the 1 MiB write.
    start_board esp32 --board 1:silent-after=400000
    run_jigflash --stub-dir "$stub_dir" write 0x10000 "$work/image.bin"
    expect_error 4 "write failed:"
    ;;
device_refuses)
    start_board esp32 --board 1:corrupt-rx=3000
    run_jigflash --stub-dir "$stub_dir" write 0x10000 "$work/image.bin"
    expect_error 1 "device refused"
    grep -q "(status [0-9a-f][0-9a-f] [0-9a-f][0-9a-f])" "$work/err" ||
        fail "the device's status bytes are not reported"
    ;;
broken_reset)
    start_board esp32 --board 1:strap=broken
    run_jigflash --stub-dir "$stub_dir" write 0x10000 "$work/image.bin"
    expect_error 4 "connect failed: no answer from the ROM loader"
    ;;
job_lifecycle)
    start_board esp32
    timeout 60 "$test_bin" "rfc2217://127.0.0.1:$port" "$stub_dir" >"$work/err" 2>&1 ||
        fail "test_flash_job failed (status $?)"
    cat "$work/err"
    ;;
*)
    echo "unknown case $case_name" >&2
    exit 2
    ;;
esac
echo "ok ($case_name)"
