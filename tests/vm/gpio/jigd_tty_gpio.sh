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

cat > "$work/jigd.conf" <<'EOF'
[station]
name = vm-line
listen = 127.0.0.1:8080
data_dir = /tmp/jigd
bundle = /bundle
stub_dir = /stub
boot_log_seconds = 1
max_baud = 460800

[slot 1]
port = usb-serial:JIGJIGD1
trigger = auto
reset = gpio
gpio_chip = gpiochip0
gpio_en = 0
gpio_io0 = 1
EOF

cat > "$work/guest.sh" <<'EOF'
ip link set lo up
wait_for /dev/ttyUSB0 15 || { echo "guest: no /dev/ttyUSB0"; exit 10; }
wait_for /dev/gpiochip0 5 || { echo "guest: no /dev/gpiochip0"; exit 10; }
mkdir -p /tmp/jigd
jigd -c /jigd.conf 2> /tmp/jigd.err &
jigd_pid=$!
slot() { wget -q -O - http://127.0.0.1:8080/api/v1/slots/1 2>/dev/null; }
i=0
until slot | grep -E '"last_result": ?"pass"' > /dev/null; do
    i=$((i + 1))
    if [ $i -gt 900 ] || ! kill -0 $jigd_pid 2>/dev/null; then
        echo "guest: slot 1 did not pass"; slot; echo; tail -n 30 /tmp/jigd.err; exit 11
    fi
    sleep 0.1
done
echo "guest: slot 1 passed: $(slot | grep -o '"passed": *[0-9]*')"
gpioinfo gpiochip0 | grep -E '"EN"|"IO0"'
kill -TERM $jigd_pid
wait $jigd_pid
rc=$?
grep -E "AddressSanitizer|LeakSanitizer|runtime error" /tmp/jigd.err && exit 12
[ $rc = 0 ] || { echo "guest: jigd exited with $rc after SIGTERM"; tail -n 20 /tmp/jigd.err; exit 13; }
echo "guest: jigd stopped cleanly"
EOF

vm_rig_boot JIGJIGD1 --timeout 200 --module-file "$module" \
    --bin "$jigd" --bin "$(command -v gpioinfo)" \
    --file "$work/jigd.conf:/jigd.conf" --file "$work/bundle:/bundle" \
    --file "$stub_dir/esp32.json:/stub/esp32.json"

while read -r off file; do
    size=$(stat -c %s "$work/bundle/$file")
    cmp -s -n "$size" -i "0:$((off))" "$work/bundle/$file" "$work/flash/board1.bin" \
        || fail "the board's flash at $off differs from $file"
done < <(jq -r '.parts[] | "\(.offset) \(.file)"' "$work/bundle/manifest.json")
echo "ok: a jigd slot on a local tty with reset = gpio flashed the board; every part matches"
