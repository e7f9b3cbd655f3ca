#!/usr/bin/env bash
# jigctl slots discover through the binary, on a made-up machine in a
# temporary folder (/dev and /sys given by JIGD_DOCTOR_DEV and
# JIGD_DOCTOR_SYS): discover is started, then adapters are "plugged" one at
# a time as the kernel and udev would show them (the tty in sysfs first,
# the /dev node and its by-path and by-id links a moment later), and the
# sections written are checked byte for byte, then read by jigd's parser
# (through jigctl doctor -c).
# usage: jigctl_discover.sh JIGCTL
set -uo pipefail
jigctl=$(realpath "$1")
w=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$w"' EXIT
fail=0
m=$w/m
export JIGD_DOCTOR_DEV=$m/dev JIGD_DOCTOR_SYS=$m/sys JIGD_DOCTOR_PROC=$m/proc JIGD_DOCTOR_UDEV=$m/udev

# A machine with a serial UART (ttyS0) and a console (tty0) already there:
# neither is an adapter being plugged in.
fresh() {
  rm -rf "$m" && mkdir -p "$m/dev/serial/by-id" "$m/dev/serial/by-path" "$m/proc" "$m/udev" \
    "$m/sys/class/tty/tty0" "$m/sys/devices/platform/serial8250/tty/ttyS0" \
    "$m/sys/bus/usb-serial/drivers/ftdi_sio" "$m/sys/bus/usb-serial/drivers/cp210x"
  ln -s "$m/sys/devices/platform/serial8250" "$m/sys/devices/platform/serial8250/tty/ttyS0/device"
  ln -s "$m/sys/devices/platform/serial8250/tty/ttyS0" "$m/sys/class/tty/ttyS0"
}

# plug N SOCKET SERIAL DRIVER: ttyUSBN appears in hub socket 2.SOCKET, as
# sysfs lays out a USB-serial adapter (tty -> usb-serial port -> interface
# -> USB device with idVendor and serial); SERIAL "-" for none.
plug() {
  local n=$1 pos=$2 sn=$3 drv=$4
  local usb=$m/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2.$pos
  local port=$usb/1-2.$pos:1.0/ttyUSB$n
  mkdir -p "$port/tty/ttyUSB$n" && echo 0403 > "$usb/idVendor"
  [[ $sn == - ]] || echo "$sn" > "$usb/serial"
  ln -s "$m/sys/bus/usb-serial/drivers/$drv" "$port/driver"
  ln -s "$port" "$port/tty/ttyUSB$n/device"
  ln -s "$port/tty/ttyUSB$n" "$m/sys/class/tty/ttyUSB$n"     # the kernel lists it
  sleep 0.3                                                    # udev's moment
  : > "$m/dev/ttyUSB$n"
  [[ ${NO_BY_PATH:-} ]] ||
    ln -s ../../ttyUSB$n "$m/dev/serial/by-path/pci-0000:00:14.0-usb-0:2.$pos:1.0-port0"
  ln -s ../../ttyUSB$n "$m/dev/serial/by-id/usb-Acme_UART_${sn/-/none}_$n-if00-port0"
}

# start ARGS...: discover in the background, once it has taken its first look.
start() {
  "$jigctl" slots discover "$@" > "$w/out" 2> "$w/err" & pid=$!
  for _ in $(seq 100); do grep -q "^plug in the adapter" "$w/err" 2>/dev/null && return; sleep 0.05; done
  echo "FAIL: discover $* never asked for an adapter:"; cat "$w/err"; fail=1
}
# taken N: waits until discover has given slot N an adapter, so the next
# one is plugged in after it, as a person does (a loaded machine may take a
# while to see each one).
taken() {
  for _ in $(seq 200); do grep -q "^slot $1: " "$w/err" 2>/dev/null && return; sleep 0.05; done
}
finish() {   # waits for discover; its exit in $got
  wait "$pid"; got=$?
}
check_file() {   # WHAT FILE EXPECTED_FILE
  cmp -s "$2" "$3" || { echo "FAIL: $1: written differs:"; diff "$3" "$2"; cat "$w/err"; fail=1; }
}
# The written slots must pass jigd's parser: doctor -c says "jigctl doctor:
# FILE" only once jigd.conf is accepted (the fake ports being regular files
# is a problem doctor names, not a syntax error).
parses() {   # WHAT SLOTS_FILE
  { printf '[station]\ndata_dir = %s\n' "$w"; cat "$2"; } > "$w/jigd.conf"
  "$jigctl" doctor -c "$w/jigd.conf" > "$w/doctor" 2>&1
  grep -q "^jigctl doctor: $w/jigd.conf" "$w/doctor" && ! grep -q "edit the line it names" "$w/doctor" \
    || { echo "FAIL: $1: jigd's parser refuses what discover wrote:"; cat "$w/doctor"; fail=1; }
}

# --by path (the default), to stdout: three adapters, slots 1 to 3.
fresh; start --count 3 --wait 20
plug 0 1 A10KX3Y7 ftdi_sio; taken 1; plug 1 2 A10KX3Y8 ftdi_sio; taken 2; plug 2 4 0042 cp210x
finish
cat > "$w/want" <<'WANT'
# jigctl slots discover --by path: slots 1 to 3, in the order their adapters were plugged in

[slot 1]
# ttyUSB0, driver ftdi_sio, serial A10KX3Y7
# /dev/serial/by-id/usb-Acme_UART_A10KX3Y7_0-if00-port0
port = /dev/serial/by-path/pci-0000:00:14.0-usb-0:2.1:1.0-port0
trigger = auto

[slot 2]
# ttyUSB1, driver ftdi_sio, serial A10KX3Y8
# /dev/serial/by-id/usb-Acme_UART_A10KX3Y8_1-if00-port0
port = /dev/serial/by-path/pci-0000:00:14.0-usb-0:2.2:1.0-port0
trigger = auto

[slot 3]
# ttyUSB2, driver cp210x, serial 0042
# /dev/serial/by-id/usb-Acme_UART_0042_2-if00-port0
port = /dev/serial/by-path/pci-0000:00:14.0-usb-0:2.4:1.0-port0
trigger = auto
WANT
[[ $got == 0 ]] || { echo "FAIL: --by path: exit $got"; cat "$w/err"; fail=1; }
check_file "--by path" "$w/out" "$w/want"
grep -q "^slot 3: ttyUSB2, driver cp210x, serial 0042" "$w/err" \
  || { echo "FAIL: --by path: slot 3's adapter not shown:"; cat "$w/err"; fail=1; }
parses "--by path" "$w/out"

# --by serial, appended to a file that has a [station] and no final newline.
fresh; printf '[station]\nname = line3' > "$w/slots.conf"
start --by serial --start 5 --count 3 --wait 20 -o "$w/slots.conf"
plug 0 3 A10KX3Y7 ftdi_sio; taken 5; plug 1 1 A10KX3Y8 ftdi_sio; taken 6; plug 2 2 0042 cp210x
finish
cat > "$w/want" <<'WANT'
[station]
name = line3

# jigctl slots discover --by serial: slots 5 to 7, in the order their adapters were plugged in

[slot 5]
# ttyUSB0, driver ftdi_sio, serial A10KX3Y7
# found at /dev/serial/by-path/pci-0000:00:14.0-usb-0:2.3:1.0-port0
port = usb-serial:A10KX3Y7
trigger = auto

[slot 6]
# ttyUSB1, driver ftdi_sio, serial A10KX3Y8
# found at /dev/serial/by-path/pci-0000:00:14.0-usb-0:2.1:1.0-port0
port = usb-serial:A10KX3Y8
trigger = auto

[slot 7]
# ttyUSB2, driver cp210x, serial 0042
# found at /dev/serial/by-path/pci-0000:00:14.0-usb-0:2.2:1.0-port0
port = usb-serial:0042
trigger = auto
WANT
[[ $got == 0 ]] && [[ ! -s $w/out ]] || { echo "FAIL: --by serial -o: exit $got, or stdout used"; cat "$w/err"; fail=1; }
check_file "--by serial -o" "$w/slots.conf" "$w/want"
sed 1,2d "$w/slots.conf" > "$w/slots-only.conf"; parses "--by serial" "$w/slots-only.conf"

# Two adapters with one serial number: the second is refused, with the fix.
fresh; start --by serial --count 2 --wait 6
plug 0 1 0001 cp210x; taken 1; plug 1 2 0001 cp210x
finish
[[ $got == 1 ]] && grep -A1 "^refused ttyUSB1 has USB serial number 0001, like slot 1's adapter (ttyUSB0): usb-serial:0001 cannot tell the two apart" "$w/err" \
    | grep -q "^  fix: .*--by path" && grep -q "^\[slot 1\]" "$w/out" && ! grep -q "^\[slot 2\]" "$w/out" \
  || { echo "FAIL: a shared serial number (exit $got):"; cat "$w/err" "$w/out"; fail=1; }

# No serial number under --by serial, no by-path name under --by path.
fresh; start --by serial --count 1 --wait 6; plug 0 1 - ch341
finish
grep -A1 "^refused ttyUSB0, driver ch341 reports no USB serial number" "$w/err" | grep -q "^  fix: .*--by path" \
  && [[ $got == 1 && ! -s $w/out ]] || { echo "FAIL: an adapter without a serial number (exit $got):"; cat "$w/err"; fail=1; }
fresh; start --count 1 --wait 8; NO_BY_PATH=1 plug 0 1 A1 ftdi_sio; finish
grep -A1 "^refused udev made no /dev/serial/by-path/ name for ttyUSB0" "$w/err" | grep -q "^  fix: .*--by serial" \
  && [[ $got == 1 ]] || { echo "FAIL: an adapter without a by-path name (exit $got):"; cat "$w/err"; fail=1; }

# A file that already has one of the slot numbers is refused before any
# plugging, naming the section, and left as it was.
fresh; printf '[slot 1]\nport = usb-serial:X\n\n[ Slot 3 ]\nport = usb-serial:Y\n' > "$w/taken.conf"
cp "$w/taken.conf" "$w/taken.before"
timeout 5 "$jigctl" slots discover --start 2 --count 2 -o "$w/taken.conf" > "$w/out" 2> "$w/err"; got=$?
[[ $got == 1 ]] && grep -q "taken.conf already has \[slot 3\] (line 4); discover writes slots 2 to 3 and never replaces" "$w/err" \
  && ! grep -q "plug in" "$w/err" || { echo "FAIL: an existing slot number (exit $got):"; cat "$w/err"; fail=1; }
check_file "a refused file" "$w/taken.conf" "$w/taken.before"

# Ctrl-C ends the wait and keeps what was found.
fresh; start
plug 0 1 A1 ftdi_sio
taken 1; kill -INT "$pid"; finish
[[ $got == 0 ]] && grep -q "^port = /dev/serial/by-path/pci-0000:00:14.0-usb-0:2.1:1.0-port0" "$w/out" \
  || { echo "FAIL: Ctrl-C after one adapter (exit $got):"; cat "$w/err" "$w/out"; fail=1; }

# --help says what discover does, and waits for nothing.
timeout 5 "$jigctl" slots discover --help --count 3 > "$w/out" 2>&1
[[ $? == 0 ]] && grep -q "Exit status: 0 every adapter asked for has a slot" "$w/out" \
  || { echo "FAIL: jigctl slots discover --help:"; cat "$w/out"; fail=1; }
"$jigctl" slots discover --by socket > "$w/out" 2>&1
[[ $? == 2 ]] || { echo "FAIL: a wrong --by is not exit 2:"; cat "$w/out"; fail=1; }

[[ $fail == 0 ]] && echo "PASS: jigctl slots discover"
exit $fail
