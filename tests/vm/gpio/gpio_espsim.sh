#!/usr/bin/env bash
# reset = gpio end to end: in a QEMU guest, jigflash --reset gpio drives
# fixtures/fake_gpiochip's EN and IO0 lines, gpio_to_espsim.sh carries each
# change over a second guest serial port (ttyS1, QEMU connected to espsim's
# control socket) to the board as "pins 1 en=.. io0=..", and jigflash writes
# the board over the guest's FTDI tty. The board starts running its
# firmware, so only the GPIO reset can bring it into the ROM loader: a wrong
# sequence, a line left out or a bridge that drops changes fails the write.
# The host compares the board's flash with what was written.
#
#
# usage: gpio_espsim.sh ESPSIM JIGFLASH VM_RUN
set -euo pipefail
espsim=$1 jigflash=$2 vm_run=$3
here=$(cd "$(dirname "$0")" && pwd)

. "$here/../vm_rig.sh"
vm_rig_init gpio_sim
vm_rig_module
vm_rig_espsim
vm_rig_expect_ok "pins 1 release"
vm_rig_expect_ok "reset 1 boot"

head -c 16384 /dev/urandom > "$work/data.bin"
cat > "$work/guest.sh" <<'EOF'
wait_for /dev/ttyUSB0 15 || { echo "guest: no /dev/ttyUSB0"; exit 10; }
wait_for /dev/gpiochip0 5 || { echo "guest: no /dev/gpiochip0"; exit 10; }
sh /gpio_to_espsim.sh 1 /dev/ttyS1 &
echo "guest: write with reset = gpio, the lines wired to the board"
jigflash --port /dev/ttyUSB0 --baud 0 --no-stub -q --reset gpio --gpio-chip /dev/gpiochip0 \
    --gpio-en 0 --gpio-io0 1 write 0x8000 /data.bin || exit 11
echo "guest: written"
EOF

vm_rig_boot JIGGPIO2 --timeout 150 --module-file "$module" \
    --bin "$jigflash" --file "$work/data.bin:/data.bin" \
    --file "$here/gpio_to_espsim.sh:/gpio_to_espsim.sh" \
    --qemu-arg -chardev --qemu-arg "socket,id=pins,host=127.0.0.1,port=$control" \
    --qemu-arg -serial --qemu-arg chardev:pins

cmp <(dd if="$work/flash/board1.bin" bs=4096 skip=8 count=4 status=none) "$work/data.bin" \
    || fail "the board's flash at 0x8000 differs from what was written"
echo "ok: jigflash reset the board into its loader through GPIO lines and wrote it"
