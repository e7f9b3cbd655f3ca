#!/usr/bin/env bash
# reset = gpio on a real kernel: in a QEMU guest, fixtures/fake_gpiochip
# gives a GPIO chip (/dev/gpiochip0, lines EN = 0 and IO0 = 1) and jigflash
# --reset gpio drives it through libgpiod while it writes an espsim board over
# the guest's FTDI tty (as tests/vm/tty_espsim.sh). The chip records every
# line change with the kernel's clock; the host checks the waveform: lines
# requested released, then EN low, IO0 low 100 ms later, EN released, IO0
# released 50 ms after that (the chip samples the strap meanwhile), and at
# the end the hard reset's 100 ms EN pulse. Also: a line the chip does not
# have, and a line already held by another program, are refused with
# jigflash's reason before any byte is sent.
#
# The GPIO lines go nowhere: the fake chip has no board on its pins, so the
# board is put in its loader from espsim's control socket. The sequence's
# effect on a chip is tested where a chip is modelled: the loader's unit
# tests (tests/unit/test_loader_connect.c, a straight-wired fake device).
#
# usage: gpio_reset.sh ESPSIM JIGFLASH VM_RUN
set -euo pipefail
espsim=$1 jigflash=$2 vm_run=$3
here=$(cd "$(dirname "$0")" && pwd)

. "$here/../vm_rig.sh"
vm_rig_init gpio
vm_rig_module
vm_rig_espsim
vm_rig_expect_ok "reset 1 download"

head -c 16384 /dev/urandom > "$work/data.bin"
cat > "$work/guest.sh" <<'EOF2'
wait_for /dev/ttyUSB0 15 || { echo "guest: no /dev/ttyUSB0"; exit 10; }
wait_for /dev/gpiochip0 5 || { echo "guest: no /dev/gpiochip0"; exit 10; }
echo "guest: $(gpiodetect)"
flash() { jigflash --port /dev/ttyUSB0 --baud 0 --no-stub -q "$@" write 0x8000 /data.bin; }
echo "guest: a line the chip lacks"
flash --reset gpio --gpio-chip /dev/gpiochip0 --gpio-en 0 --gpio-io0 9 2> /tmp/err && exit 11
cat /tmp/err
grep "has lines 0..7, not 9" /tmp/err > /dev/null || exit 12
echo "guest: a line another program holds"
gpioset --mode=signal gpiochip0 1=1 &
holder=$!
sleep 1
flash --reset gpio --gpio-chip /dev/gpiochip0 --gpio-en 0 --gpio-io0 1 2> /tmp/err && exit 13
kill $holder; wait $holder
cat /tmp/err
grep "line 1 (IO0) is already in use by 'gpioset'" /tmp/err > /dev/null || exit 14
n_before=$(wc -l < /sys/kernel/debug/fake_gpiochip/trace)
echo "guest: write with reset = gpio"
flash --reset gpio --gpio-chip /dev/gpiochip0 --gpio-en 0 --gpio-io0 1 || exit 15
tail -n +$((n_before + 1)) /sys/kernel/debug/fake_gpiochip/trace | sed 's/^/TRACE /'
echo "guest: done"
EOF2

vm_rig_boot JIGGPIO1 --timeout 150 --module-file "$module" \
    --bin "$jigflash" --bin "$(command -v gpioset)" --bin "$(command -v gpiodetect)" \
    --file "$work/data.bin:/data.bin"

# The waveform: "<ns> <line> <value>", line 0 = EN, 1 = IO0.
grep -a "^TRACE " "$work/vm/console.log" | tr -d '\r' | cut -d' ' -f2- > "$work/trace"
awk -f "$here/check_waveform.awk" "$work/trace" || fail "the GPIO waveform is wrong"
cmp <(dd if="$work/flash/board1.bin" bs=4096 skip=8 count=4 status=none) "$work/data.bin" \
    || fail "the board's flash at 0x8000 differs from what was written"
echo "ok: reset = gpio through libgpiod on a kernel GPIO chip; board written"
