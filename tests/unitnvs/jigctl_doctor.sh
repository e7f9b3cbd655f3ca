#!/usr/bin/env bash
# jigctl doctor through the binary, on a made-up machine in a temporary
# folder (/dev, /sys, /proc and the udev rules folder given by the
# JIGD_DOCTOR_* variables): a clean station is ready (exit 0), and each
# problem of the list is named with its fix (exit 1).
# usage: jigctl_doctor.sh JIGCTL VECTORS_DIR STUB_DIR  (env UNIT_DB_TOOL)
set -uo pipefail
jigctl=$(realpath "$1") vectors=$(realpath "$2") stubs=$(realpath "$3")
here=$(dirname "$(realpath "$0")")
w=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$w"' EXIT
fail=0
me=$(id -un)
[ -r "$stubs/esp32.json" ] || { echo "SKIP: no flasher stubs in $stubs (npm ci)"; exit 77; }
bash "$here/../jigd/make_bundle.sh" "$vectors" "$w/bundle" > /dev/null \
  || { echo "FAIL: cannot make a bundle"; exit 1; }

# A fresh machine and station for each case: nothing running, no adapters.
fresh() {
  rm -rf "$w/m" && mkdir -p "$w/m/dev/serial/by-id" "$w/m/dev/serial/by-path" "$w/m/proc" \
    "$w/m/sys/class/tty" "$w/m/udev" && install -d -m 700 "$w/m/data"
  data_dir=$w/m/data stub_dir=$stubs listen=127.0.0.1:8080 trigger=auto
  slot1= slot2="rfc2217://127.0.0.1:4002" max_baud= station_baud= now= token_file= min_free= ca_cert_file=
}
conf() {
  cat > "$w/m/jigd.conf" <<CONF
[station]
data_dir = $data_dir
bundle = $w/bundle
stub_dir = $stub_dir
listen = $listen
${station_baud:+max_baud = $station_baud}
${token_file:+api_token_file = $token_file}
${min_free:+min_free_mb = $min_free}
${ca_cert_file:+[identity]
ca_cert = $ca_cert_file
ca_key = $ca_cert_file.key}
[slot 1]
port = ${slot1:-rfc2217://127.0.0.1:4001}
trigger = $trigger
[slot 2]
port = $slot2
${max_baud:+max_baud = $max_baud}
CONF
}
doctor() {   # runs doctor on the current machine into $w/out; its exit in $got
  conf
  JIGD_DOCTOR_DEV=$w/m/dev JIGD_DOCTOR_SYS=$w/m/sys JIGD_DOCTOR_PROC=$w/m/proc \
    JIGD_DOCTOR_UDEV=$w/m/udev JIGD_DOCTOR_NOW=$now \
    "$jigctl" doctor -c "$w/m/jigd.conf" -u "${as_user:-$me}" > "$w/out" 2>&1
  got=$?
}
# expect WHAT STATUS PROBLEM_REGEX FIX_REGEX: the problem line is followed by its fix.
expect() {
  local what=$1 want=$2 problem=$3 fix=$4
  doctor
  if [[ $got != "$want" ]]; then
    echo "FAIL: $what: exit $got, expected $want"; cat "$w/out"; fail=1; return
  fi
  if ! grep -A1 -E "^problem +$problem" "$w/out" | grep -qE "^  fix: +.*$fix"; then
    echo "FAIL: $what: no 'problem $problem' with fix '$fix':"; cat "$w/out"; fail=1
  fi
}

fresh
doctor
[[ $got == 0 ]] && grep -q "^the station is ready" "$w/out" \
  && grep -q "^note .*slot 2: rfc2217://127.0.0.1:4002 is a remote port: doctor cannot check" \
       "$w/out" && ! grep -q "^problem" "$w/out" \
  || { echo "FAIL: a clean station with remote ports is not ready (exit $got):"; cat "$w/out"; fail=1; }

fresh; slot2=/dev/serial/by-path/pci-0000:00:14.0-usb-0:2.1:1.0-port0
expect "a missing port" 1 "slot 2: port .*by-path/pci-0000:00:14.0-usb-0:2.1:1.0-port0: does not exist" \
  "ls -l /dev/serial/by-path/"

# Two names for one device: udev's relative links to one node, here a
# link out to /dev/null, a character device the made-up kernel lists.
fresh; mkdir "$w/m/sys/class/tty/null"; ln -s /dev/null "$w/m/dev/ttyS5"
ln -s ../../ttyS5 "$w/m/dev/serial/by-id/usb-FTDI_FT232R_A1-if00-port0"
ln -s ../../ttyS5 "$w/m/dev/serial/by-path/pci-0000:00:14.0-usb-0:2.2:1.0-port0"
slot2=/dev/serial/by-id/usb-FTDI_FT232R_A1-if00-port0
slot1=/dev/serial/by-path/pci-0000:00:14.0-usb-0:2.2:1.0-port0
expect "one adapter named by two slots" 1 "slot 2: port .*usb-FTDI_FT232R_A1-if00-port0 is the same device as slot 1's \(/dev/null\)" \
  "each slot needs its own adapter"
grep -q "^1 problem:" "$w/out" || { echo "FAIL: two names for one device is not the only problem:"; cat "$w/out"; fail=1; }

fresh; : > "$w/m/dev/plain"; slot2=/dev/plain
expect "a regular file as port" 1 "slot 2: port /dev/plain is a regular file, not a serial device" \
  "must name the adapter's device node"

fresh; chmod 755 "$w/m/data"
expect "data_dir mode 0755" 1 "data_dir .*/data has mode 0755" "chmod 700 .*/data"

fresh; data_dir=$w/m/nodata
expect "data_dir missing" 1 "data_dir .*/nodata: No such file or directory: jigd refuses to start" \
  "install -d -m 700 -o $me .*/nodata"

fresh; echo key > "$w/m/data/station-ca.key"; chmod 644 "$w/m/data/station-ca.key"
expect "a world-readable CA key" 1 "CA key .*/station-ca.key has mode 0644: every user may read it" \
  "chmod 600 .*/station-ca.key"

fresh; stub_dir=$w/m/nostubs
expect "a missing stub folder" 1 "stub_dir .*/nostubs is not a folder" "npm ci"

fresh; listen=0.0.0.0:8080
expect "a network listen without token" 1 \
  "listen = 0.0.0.0:8080 is reachable from the network but the station has no API token" \
  "jigctl token add NAME --role ROLE"
# A named token in station.db is a token: the same listen is then fine.
# (jigctl token never makes a database: jigd's first start does; here
# unit_db_tool stands in for that start.)
"$UNIT_DB_TOOL" work-order "$w/m/data/station.db" WO-1 1 > /dev/null && chmod 600 "$w/m/data/station.db" \
  || { echo "FAIL: cannot make a station database"; fail=1; }
"$jigctl" token add line-mes --role mes --db "$w/m/data/station.db" > /dev/null 2>&1 \
  || { echo "FAIL: jigctl token add"; fail=1; }
doctor
[[ $got == 0 ]] && grep -q "^ok .*every request needs a token (1 named)" "$w/out" \
  || { echo "FAIL: a network listen with a named token is not ready:"; cat "$w/out"; fail=1; }

fresh; trigger=manual
expect "a manual slot nobody may start" 1 "slot 1 has trigger = manual, but .* nobody can start it" \
  "jigctl token add NAME --role operator"

# An FTDI adapter as sysfs shows it, its latency timer at the default.
fresh; : > "$w/m/dev/ttyUSB0"
ln -s ../../ttyUSB0 "$w/m/dev/serial/by-id/usb-FTDI_FT232R_A10KX3Y7-if00-port0"
mkdir -p "$w/m/sys/class/tty/ttyUSB0/device" "$w/m/sys/bus/usb-serial/drivers/ftdi_sio"
ln -s "$w/m/sys/bus/usb-serial/drivers/ftdi_sio" "$w/m/sys/class/tty/ttyUSB0/device/driver"
echo 16 > "$w/m/sys/class/tty/ttyUSB0/device/latency_timer"
slot2=usb-serial:A10KX3Y7
expect "an FTDI latency timer of 16 ms" 1 "slot 2: the FTDI latency timer of ttyUSB0 is 16 ms" \
  "99-jigd-serial.rules in /etc/udev/rules.d"
grep -q "^ok .*slot 2: .*usb-FTDI_FT232R_A10KX3Y7-if00-port0 is ttyUSB0" "$w/out" \
  && grep -q "^ok .*ttyUSB0 is driven by ftdi_sio" "$w/out" \
  || { echo "FAIL: the adapter behind usb-serial:A10KX3Y7 is not named:"; cat "$w/out"; fail=1; }

# An adapter on USB as sysfs shows it, as slot 2's port: the tty's device
# (the usb-serial port, or for ttyACM the interface) two folders below the
# USB device with its ids. usb_adapter TTY VID PID [PRODUCT]
usb_adapter() {
  local usb=$w/m/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2
  mkdir -p "$usb/1-2:1.0/$1" "$w/m/sys/class/tty/$1" && echo "$2" > "$usb/idVendor" \
    && echo "$3" > "$usb/idProduct" && { [ -z "${4:-}" ] || echo "$4" > "$usb/product"; }
  ln -s "$usb/1-2:1.0/$1" "$w/m/sys/class/tty/$1/device" && : > "$w/m/dev/$1"
  slot2=/dev/$1
}
# expect_line WHAT REGEX: the last run printed a line matching REGEX and no
# problem about max_baud.
expect_line() {
  grep -qE "$2" "$w/out" && ! grep -q "^problem .*max_baud" "$w/out" \
    || { echo "FAIL: $1: no line '$2', or a max_baud problem:"; cat "$w/out"; fail=1; }
}

fresh; usb_adapter ttyUSB0 0403 6001 "FT232R USB UART"; max_baud=4000000
expect "max_baud above an FT232R's 3 Mbaud" 1 \
  "slot 2: max_baud 4000000 is above what the FTDI FT232R \(0403:6001, \"FT232R USB UART\"\) on ttyUSB0 carries: up to 3000000 baud" \
  "set max_baud = 3000000 in \[slot 2\]"

# The station's max_baud is the slot's when the slot has none; a CP2102
# and a CP2102N share their ids, so the CP2102's 921600 judges.
fresh; usb_adapter ttyUSB0 10c4 ea60; station_baud=3000000
expect "the station's max_baud above a CP210x" 1 \
  "slot 2: max_baud 3000000 is above what the Silicon Labs CP210x \(10c4:ea60\) on ttyUSB0 carries: up to 921600 \(CP2102\) or 3000000 \(CP2102N\) baud" \
  "set max_baud = 921600 in \[slot 2\]"

fresh; usb_adapter ttyUSB0 1a86 7523 "USB Serial"; max_baud=921600; doctor
expect_line "a CH340 at 921600" \
  '^ok .*slot 2: ttyUSB0: WCH CH340 \(1a86:7523, "USB Serial"\), up to 2000000 baud; max_baud 921600 is within it'

fresh; usb_adapter ttyACM0 303a 1001 "USB JTAG/serial debug unit"; max_baud=5000000; doctor
expect_line "Espressif's USB-Serial/JTAG" \
  '^ok .*slot 2: ttyACM0: Espressif USB-Serial/JTAG \(303a:1001, .*\), native USB: no baud limit'

fresh; usb_adapter ttyUSB0 1234 5678; max_baud=5000000; doctor
expect_line "an adapter doctor does not know" \
  '^note .*slot 2: ttyUSB0: USB adapter 1234:5678, whose baud limit doctor does not know; max_baud 5000000 is not checked'

# A station booted without a battery-backed clock, before NTP set it.
fresh; now=$(date -u -d 2001-01-01 +%s)
expect "a clock before the build date" 1 \
  "the clock says 2001-01-01 00:00 UTC, before this jigd was built \(20[0-9]{2}-[0-9]{2}-[0-9]{2} " \
  "set the clock .*timedatectl set-ntp true"
grep -q "^1 problem:" "$w/out" || { echo "FAIL: the clock is not the only problem:"; cat "$w/out"; fail=1; }
# A station CA dated after the clock (a CA brought from another station
# whose clock ran ahead): every certificate issued now would not verify.
future_ca() {   # PEM_OUT: a self-signed CA valid from 2099-01-01, by openssl ca
  local d=$w/ca
  rm -rf "$d" && mkdir -p "$d/new" && : > "$d/index" && echo 01 > "$d/serial"
  printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s/index\nnew_certs_dir = %s/new\nserial = %s/serial\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n' \
    "$d" "$d" "$d" > "$d/ca.cnf"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/key" \
      -subj /CN=future-ca -out "$d/csr" 2> "$d/err" \
    && openssl ca -batch -notext -config "$d/ca.cnf" -selfsign -keyfile "$d/key" -in "$d/csr" \
      -startdate 20990101000000Z -enddate 21000101000000Z -out "$1" 2>> "$d/err" \
    || { echo "FAIL: openssl could not make the future CA:"; cat "$d/err"; fail=1; }
}
fresh; future_ca "$w/m/data/station-ca.pem"
expect "a clock before the station CA's notBefore" 1 \
  "the clock says [0-9-]+ [0-9:]+ UTC, before the station CA is valid \(2099-01-01 00:00 UTC\)" \
  "set the clock"
fresh; ca_cert_file=$w/m/ca.pem; echo "not a certificate" > "$ca_cert_file"
expect "a configured CA file that is no certificate" 1 \
  "the station CA: .*/ca.pem is not a readable X.509 certificate" "restore the station's CA certificate"
fresh; doctor
grep -q "^ok .*the clock is after this build's date$" "$w/out" \
  || { echo "FAIL: without a CA doctor does not judge the clock by the build alone:"; cat "$w/out"; fail=1; }
fresh; now=soon; doctor
[[ $got == 2 ]] && grep -q "JIGD_DOCTOR_NOW = 'soon' is not seconds since 1970" "$w/out" \
  || { echo "FAIL: a wrong JIGD_DOCTOR_NOW is not exit 2 (exit $got):"; cat "$w/out"; fail=1; }

fresh; mkdir "$w/m/proc/412"; echo ModemManager > "$w/m/proc/412/comm"
expect "ModemManager running" 1 "ModemManager is running \(pid 412\) and no 99-jigd-serial.rules" \
  "systemctl disable --now ModemManager"
: > "$w/m/udev/99-jigd-serial.rules"; doctor
[[ $got == 0 ]] && grep -q "^note .*ModemManager is running (pid 412); .*keeps it away" "$w/out" \
  || { echo "FAIL: ModemManager kept away by the rule is still a problem:"; cat "$w/out"; fail=1; }

fresh; mkdir "$w/m/proc/77"; echo brltty > "$w/m/proc/77/comm"
expect "brltty running" 1 "brltty is running \(pid 77\)" "apt-get remove brltty"

# The station's record and its secrets: readable by others, or not jigd's.
fresh; echo db > "$w/m/data/station.db"; chmod 644 "$w/m/data/station.db"
expect "a world-readable database" 1 "database .*/data/station.db has mode 0644: every user may read it" \
  "chmod 600 .*/data/station.db"
fresh; head -c 32 /dev/urandom | base64 > "$w/m/token"; chmod 640 "$w/m/token"; token_file=$w/m/token
expect "a token file its group may read" 1 "API token \(api_token_file\) .*/token has mode 0640: its group may read it" \
  "chmod 600 .*/token"
fresh; echo db > "$w/m/data/station.db"; chmod 600 "$w/m/data/station.db"; as_user=nobody
expect "a database jigd's user cannot read" 1 "database .*/data/station.db belongs to root \(mode 0600\): jigd, running as nobody, cannot read it" \
  "chown nobody .*/data/station.db"
as_user=
fresh; min_free=1000000
expect "less room than min_free_mb" 1 "data_dir .*/data has [0-9.]+ MiB free, below min_free_mb = 1000000: no unit starts" \
  "free space there"

# A port only root and group dialout may use, judged for a user outside
# dialout (jigd's own user before `usermod -aG dialout`): named, with the fix.
fresh; mkdir "$w/m/sys/class/tty/ttyUSB7"
mknod -m 0660 "$w/m/dev/ttyUSB7" c 1 3 && chgrp dialout "$w/m/dev/ttyUSB7" \
  || { echo "FAIL: cannot make a device node for the dialout case (needs root)"; fail=1; }
slot2=/dev/ttyUSB7 as_user=nobody
expect "a port outside the user's groups" 1 "slot 2: user nobody may not read and write .*ttyUSB7" \
  "usermod -aG dialout nobody"
as_user=

# --help says what doctor does and its exit codes, and checks nothing.
"$jigctl" doctor --help -c "$w/none.conf" > "$w/out" 2>&1
[[ $? == 0 ]] && grep -q "0 the station is ready, 1 a problem" "$w/out" && ! grep -q "^problem" "$w/out" \
  || { echo "FAIL: jigctl doctor --help:"; cat "$w/out"; fail=1; }
"$jigctl" doctor --frobnicate > "$w/out" 2>&1
[[ $? == 2 ]] || { echo "FAIL: a wrong option is not exit 2:"; cat "$w/out"; fail=1; }

[[ $fail == 0 ]] && echo "PASS: jigctl doctor"
exit $fail
