#!/usr/bin/env bash
# The local-tty path through libserialport, on a real kernel driver: Debian's
# kernel in QEMU, whose emulated FTDI adapter (USB serial number JIGTTY01)
# the guest's ftdi_sio driver makes into /dev/ttyUSB0, with its sysfs entry
# and modem-line ioctls. Its data goes to espsim's pty for board 1 on the
# host. jigflash in the guest finds the adapter by serial number
# (usb-serial:JIGTTY01, libserialport's port list), connects, uploads the
# stub, moves to 460800 baud, writes and verifies; two runs before it write
# through the ROM loader at 115200, naming the device by path and by a
# /dev/serial/by-id/ link as udev makes one. The host then compares the
# board's flash byte for byte.
#
# What is not real: DTR/RTS stop at QEMU (its chardev has no modem lines to
# pass on), so the board is put into its loader from espsim's control
# socket and jigflash runs with --reset none. The reset sequences are tested
# over RFC 2217 against espsim's reset circuit (tests/jigd, tests/integration).
#
# usage: tty_espsim.sh ESPSIM JIGFLASH STUB_DIR VM_RUN
set -euo pipefail
espsim=$1 jigflash=$2 stub_dir=$3 vm_run=$4

. "$(dirname "$0")/vm_rig.sh"
vm_rig_init tty
vm_rig_espsim

head -c 65536 /dev/urandom > "$work/data.bin"
head -c 8192 /dev/urandom > "$work/small.bin"
head -c 4096 /dev/urandom > "$work/link.bin"
cp "$stub_dir/esp32.json" "$work/esp32.json"

# The ROM-loader run comes first: with --reset none the board is left as the
# run leaves it, and the ROM loader stays at 115200 for the second run.
cat > "$work/guest.sh" <<'EOF'
wait_for /dev/ttyUSB0 15 || { echo "guest: no /dev/ttyUSB0"; dmesg | tail; exit 10; }
echo "guest: adapter serial $(cat /sys/class/tty/ttyUSB0/device/../../serial)"
echo "guest: write by device path, ROM loader, 115200"
jigflash --port /dev/ttyUSB0 --reset none --baud 0 --no-stub \
    write 0x3000 /small.bin || exit 11
# What udev makes for the adapter (the guest has no udev): the name an
# operator copies from `ls -l /dev/serial/by-id/`, as jigd's errors suggest.
byid=/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_JIGTTY01-if00-port0
mkdir -p /dev/serial/by-id && ln -s ../../ttyUSB0 "$byid"
echo "guest: write by /dev/serial/by-id/ link, ROM loader, 115200"
jigflash --port "$byid" --reset none --baud 0 --no-stub \
    write 0x7000 /link.bin || exit 12
echo "guest: write by USB serial number, stub, 460800"
jigflash --port usb-serial:JIGTTY01 --reset none --baud 460800 --stub-dir /stub \
    write 0x10000 /data.bin || exit 13
echo "guest: all three writes verified"
EOF
vm_rig_expect_ok "reset 1 download"

vm_rig_boot JIGTTY01 --timeout 150 --bin "$jigflash" \
    --file "$work/data.bin:/data.bin" --file "$work/small.bin:/small.bin" \
    --file "$work/link.bin:/link.bin" --file "$work/esp32.json:/stub/esp32.json"

cmp <(dd if="$work/flash/board1.bin" bs=4096 skip=16 count=16 status=none) "$work/data.bin" \
    || fail "board flash at 0x10000 differs from what was written"
cmp <(dd if="$work/flash/board1.bin" bs=4096 skip=3 count=2 status=none) "$work/small.bin" \
    || fail "board flash at 0x3000 differs from what was written"
cmp <(dd if="$work/flash/board1.bin" bs=4096 skip=7 count=1 status=none) "$work/link.bin" \
    || fail "board flash at 0x7000 differs from what was written"
echo "ok: flashed over a real ftdi_sio tty three ways; flash matches byte for byte"
