#!/usr/bin/env bash
# A jigd slot as on a Raspberry Pi jig, on a real kernel: in a QEMU guest,
# jigd's slot 1 has its port on the kernel's ftdi_sio tty (named by the
# adapter's USB serial number) and `reset = gpio` on fixtures/fake_gpiochip's
# lines; trigger = auto. jigd takes the lines at start-up, its auto probe
# resets through them and syncs, and the unit is flashed, verified and hard
# reset; the guest reads the result from jigd's REST API, stops jigd with
# SIGTERM (it must exit 0, sanitizers quiet), and the host compares every
# bundle part on the board's flash.
#
# As in gpio_reset.sh, the lines reach no board (the fake chip has none), so
# espsim's control socket puts the board in its loader; the waveform itself
# is checked there.
#
# usage: jigd_tty_gpio.sh ESPSIM JIGD VECTORS STUB_DIR VM_RUN
set -euo pipefail
espsim=$1 jigd=$2 vectors=$3 stub_dir=$4 vm_run=$5
here=$(cd "$(dirname "$0")" && pwd)

. "$here/../vm_rig.sh"
vm_rig_init jigd
vm_rig_module
bash "$here/../../jigd/make_bundle.sh" "$vectors" "$work/bundle" 64 7 > /dev/null \
    || fail "cannot make the bundle"
vm_rig_espsim
vm_rig_expect_ok "reset 1 download"

vm_rig_jigd_conf
cat >> "$work/jigd.conf" <<'EOF'

[slot 1]
port = usb-serial:JIGJIGD1
trigger = auto
reset = gpio
gpio_chip = gpiochip0
gpio_en = 0
gpio_io0 = 1
EOF

cat > "$work/guest.sh" <<'EOF'
. /guest_jigd.sh
wait_for /dev/ttyUSB0 15 || { echo "guest: no /dev/ttyUSB0"; exit 10; }
wait_for /dev/gpiochip0 5 || { echo "guest: no /dev/gpiochip0"; exit 10; }
jigd_start
until_field 1 last_result pass 90
echo "guest: slot 1 passed: $(field 1 passed)"
gpioinfo gpiochip0 | grep -E '"EN"|"IO0"'
jigd_stop
EOF

vm_rig_jigd_files
vm_rig_boot JIGJIGD1 --timeout 200 --module-file "$module" --bin "$(command -v gpioinfo)" \
    "${jigd_files[@]}"
vm_rig_check_flash 1
echo "ok: a jigd slot on a local tty with reset = gpio flashed the board; every part matches"
