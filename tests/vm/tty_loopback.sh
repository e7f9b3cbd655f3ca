#!/usr/bin/env bash
# daemon/port_tty's loopback test (tests/integration/test_port_tty.c) on a
# real driver: in a QEMU guest, an emulated FTDI adapter (ftdi_sio, serial
# JIGLOOP1) whose bytes a host process echoes back, as a USB-UART with TX
# wired to RX would. Checks write/read-back, a baud change and DTR/RTS as the
# driver reports them (TIOCMGET).
#
# usage: tty_loopback.sh TEST_PORT_TTY VM_RUN
set -euo pipefail
test_bin=$1 vm_run=$2

. "$(dirname "$0")/vm_rig.sh"
vm_rig_init loop
echo_pid=""
stop_echo() { [ -n "$echo_pid" ] && { kill "$echo_pid"; wait "$echo_pid"; } 2>/dev/null || true; }
vm_rig_extra_cleanup=stop_echo

# The far end of the wire: a pty whose master sends back what it reads.
python3 -u - > "$work/echo.out" 2>&1 <<'EOF' &
import os, pty, sys, tty
master, slave = pty.openpty()
tty.setraw(slave)
print(os.ttyname(slave), flush=True)
while True:
    data = os.read(master, 4096)
    os.write(master, data)
EOF
echo_pid=$!
for _ in $(seq 50); do
    [ -s "$work/echo.out" ] && break
    sleep 0.1
done
pty=$(head -n 1 "$work/echo.out")
[ -c "$pty" ] || fail "the echo process gave no pty: $(cat "$work/echo.out")"

cat > "$work/guest.sh" <<'EOF'
wait_for /dev/ttyUSB0 15 || { echo "guest: no /dev/ttyUSB0"; exit 10; }
node=""
# The adapter by its node: test_port_tty checks the modem lines through it.
for t in /sys/class/tty/ttyUSB*; do
    [ "$(cat "$t/device/../../serial")" = JIGLOOP1 ] && node=/dev/$(basename "$t")
done
echo "guest: loopback adapter at $node"
test_port_tty || exit 13
JIGD_TEST_TTY=$node test_port_tty --loopback || exit 11
JIGD_TEST_TTY=usb-serial:JIGLOOP1 test_port_tty --loopback || exit 12
echo "guest: loopback passed by node and by serial number"
EOF

vm_rig_boot JIGLOOP1 --timeout 120 --bin "$test_bin"

grep -a "PASSED.*4 test" "$work/vm/console.log" > /dev/null || fail "test_port_tty did not run its 4 open-error tests"
[ "$(grep -ac "PASSED.*1 test" "$work/vm/console.log")" = 2 ] || fail "the loopback test did not pass twice"
grep -a "SKIPPED" "$work/vm/console.log" > /dev/null && fail "the loopback test was skipped in the guest"
echo "ok: port_tty loopback on ftdi_sio"
