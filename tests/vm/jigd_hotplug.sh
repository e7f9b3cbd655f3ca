#!/usr/bin/env bash
# Boards plugged and pulled on a real kernel: in a QEMU guest, jigd's slot 1
# is `trigger = hotplug` on a /dev/serial/by-path/ name (a board with its own
# USB-UART, plugged into the same hub port each time), slot 2 a fixed adapter
# (`usb-serial:JIGHOT02`, manual start). The host plugs and pulls slot 1's
# adapter on QEMU's USB bus (QMP device_add / device_del: the guest's xhci
# driver sees a real connect and disconnect, ftdi_sio binds and hangs up the
# tty) when the guest asks for it on the console:
#
#   1. plug board A: slot 1 starts by itself and passes, then waits for
#      the board to go; pull it: the slot re-arms;
#   2. start slot 2 (at 115200 baud, so its write lasts); plug board B
#      (another serial number, same hub port, so the same by-path name), and
#      pull it when espsim's board has taken half the data part: slot 1 fails
#      in its write phase, saying the adapter went away, and does not retry
#      a port that is gone; slot 2, mid-write at that moment, passes;
#   3. plug board C: slot 1 passes again.
#
# jigd then stops on SIGTERM with sanitizers quiet, and the host compares
# every bundle part on both boards.
#
# What is faked, and why it is fair: the guest has no udev, so a shell loop
# makes the /dev/serial/by-path/ links from sysfs as udev's rules would. Each
# "board" behind slot 1's adapter is espsim's board 1 (its pty outlives the
# USB device), which the host re-inserts blank with a new MAC before each
# plug and puts into its loader, since QEMU's chardev passes no DTR/RTS
# (reset = none: the operator holds BOOT).
#
# usage: jigd_hotplug.sh ESPSIM JIGD VECTORS STUB_DIR VM_RUN
set -euo pipefail
espsim=$1 jigd=$2 vectors=$3 stub_dir=$4 vm_run=$5
here=$(cd "$(dirname "$0")" && pwd)

. "$here/vm_rig.sh"
vm_rig_init hotplug
data_kib=192
mid_write_bytes=$((data_kib * 1024 / 2))
bash "$here/../jigd/make_bundle.sh" "$vectors" "$work/bundle" "$data_kib" 11 > /dev/null \
    || fail "cannot make the bundle"
vm_rig_espsim_boards=2 vm_rig_espsim
pty1=$pty
pty2=$(sed -n 's/^espsim: board 2 pty //p' "$work/espsim.out")
[ -n "$pty2" ] || fail "espsim gave no pty for board 2"
qmp_port=$((api_port + 2))      # inside the block pick_station_ports chose
vm_rig_expect_ok "reset 2 download"

# The host's half: plug and pull slot 1's adapter when the guest says so.
plugged=0
plug() {                # a new board: blank flash, its own MAC, held in its loader
    plugged=$((plugged + 1))
    vm_rig_expect_ok "remove 1"
    vm_rig_expect_ok "insert 1 blank mac=7c:df:a1:00:10:0$plugged"
    vm_rig_expect_ok "reset 1 download"
    vm_rig_qmp "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"usb-serial\",\"id\":\"hot1\",\"bus\":\"xhci.0\",\"port\":\"4\",\"chardev\":\"adapter1\",\"serial\":\"$1\"}}"
}
pull() { vm_rig_qmp '{"execute":"device_del","arguments":{"id":"hot1"}}'; }
rx_bytes() { vm_rig_control "status $1" | grep -o '"rx_bytes":[0-9]*' | cut -d: -f2; }
# Pulls board 1 once it has taken MID bytes (inside the data part, whose
# write is the bulk of the bundle), and says where board 2's transfer stood.
pull_mid_write() {
    local n=0
    until [ "$(rx_bytes 1)" -ge $mid_write_bytes ]; do
        n=$((n + 1))
        [ $n -lt 3000 ] || { echo "board 1 never took $mid_write_bytes bytes"; return 1; }
        sleep 0.02
    done
    pull && echo "host: pulled board 1 at $(rx_bytes 1) bytes; board 2 had $(rx_bytes 2)"
}
host_hands() {
    local line
    while IFS= read -r line; do
        line=${line%$'\r'}
        case $line in
        *"HOST: plug "*) plug "${line##*HOST: plug }" && echo "host: plugged ${line##*HOST: plug }" ;;
        *"HOST: pull mid-write"*) pull_mid_write ;;
        *"HOST: pull"*) pull && echo "host: pulled" ;;
        esac
    done < <(tail -n +1 -s 0.1 -F --pid=$$ "$work/vm/console.log" 2> /dev/null)
}
mkdir -p "$work/vm"
: > "$work/vm/console.log"
host_hands > "$work/host.log" 2>&1 &
hands_pid=$!
stop_hands() {          # and show what the host's hands did (ctest prints it on a failure)
    kill "$hands_pid" 2> /dev/null || true
    sed 's/^/hands: /' "$work/host.log" >&2
}
vm_rig_extra_cleanup=stop_hands

vm_rig_jigd_conf
cat >> "$work/jigd.conf" <<'EOF'

[slot 1]
port = /dev/serial/by-path/pci-0000:00:04.0-usb-0:4:1.0-port0
trigger = hotplug
reset = none

[slot 2]
port = usb-serial:JIGHOT02
trigger = manual
reset = none
max_baud = 115200
EOF

cat > "$work/guest.sh" <<'EOF'
. /guest_jigd.sh
echo 1 > /proc/sys/kernel/printk       # no kernel lines inside the requests
mkdir -p /dev/serial/by-path

# udev's stand-in: /dev/serial/by-path/ links for every USB tty, from sysfs.
by_path() {
    while :; do
        for t in /sys/class/tty/ttyUSB*; do
            [ -e "$t/device" ] || continue
            d=$(readlink -f "$t/device")          # .../0000:00:04.0/usbN/N-P/N-P:1.0/ttyUSBn
            intf=$(basename "$(dirname "$d")")    # N-P:1.0
            pci=$(echo "$d" | grep -o '/0000:[0-9a-f:.]*/usb' | tail -n 1)
            pci=${pci#/}; pci=${pci%/usb}
            link=/dev/serial/by-path/pci-$pci-usb-0:${intf#*-}-port0
            [ -e "$link" ] || ln -sfn "../../${t##*/}" "$link"
        done
        for l in /dev/serial/by-path/*; do [ -e "$l" ] || rm -f "$l"; done
        sleep 0.1
    done
}
by_path &
error_of() { slot "$1" | sed -n 's/.*"error": *{\([^}]*\)}.*/\1/p'; }

wait_for /dev/ttyUSB0 15 || { echo "guest: no slot 2 adapter"; exit 10; }
jigd_start
until_field 1 state armed 20
sleep 1
expect 1 failed 0                      # nothing in the hub port yet: it waits

echo "HOST: plug BOARDA01"
until_field 1 passed 1 120
expect 1 waiting_for_removal true
echo "guest: board A passed; slot 1 waits for it to go"
echo "HOST: pull"
until_field 1 waiting_for_removal false 20
expect 1 state armed
echo "guest: board A pulled; slot 1 re-armed"

# Slot 2 (at 115200, so its write lasts) is writing when board B goes.
wget -q -O - --header 'Content-Type: application/json' --post-data '{}' \
    http://127.0.0.1:8080/api/v1/slots/2/start > /dev/null \
    || { echo "guest: slot 2 would not start"; exit 14; }
until_field 2 phase write 60
echo "HOST: plug BOARDB02"
echo "HOST: pull mid-write"
until_field 1 failed 1 120
err=$(error_of 1)
echo "guest: board B pulled mid-write: $err"
echo "$err" | grep -q '"phase": *"write"' || { echo "guest: the failure is not in the write phase"; exit 15; }
echo "$err" | grep -q 'unplugged' || { echo "guest: the cause does not say the adapter went away"; exit 15; }
expect 1 passed 1
until_field 2 passed 1 120
expect 2 failed 0
echo "guest: slot 2 passed while slot 1 lost its board"
sleep 2
expect 1 failed 1                      # the port is gone: no retries against it
echo "HOST: plug BOARDC03"
until_field 1 passed 2 120
expect 1 failed 1
echo "guest: board C passed on the same by-path name"

jigd_stop
EOF

vm_rig_jigd_files
pty=$pty2 vm_rig_boot JIGHOT02 --timeout 400 "${jigd_files[@]}" \
    --qemu-arg -chardev --qemu-arg "serial,id=adapter1,path=$pty1" \
    --qemu-arg -qmp --qemu-arg "tcp:127.0.0.1:$qmp_port,server=on,wait=off"
[ "$(grep -c "host: plugged" "$work/host.log")" = 3 ] || fail "the host did not plug three boards"
# Slot 2 was mid-transfer when slot 1's board went: it had taken some bytes
# and not yet the whole bundle.
board2_rx=$(sed -n 's/.*board 2 had \([0-9]*\)$/\1/p' "$work/host.log")
[ -n "$board2_rx" ] && [ "$board2_rx" -gt 0 ] && [ "$board2_rx" -lt $((data_kib * 1024)) ] \
    || fail "slot 2 was not writing when board B was pulled (board 2 had taken '${board2_rx}' bytes)"

vm_rig_check_flash 1
vm_rig_check_flash 2
echo "ok: plugged, pulled mid-write and re-plugged on a real kernel; only slot 1 noticed; both boards match the bundle"
