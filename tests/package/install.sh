#!/usr/bin/env bash
# The Debian package installed like a station would install it, without a
# container: dpkg's alternate root (--root, --force-script-chrootless, so
# the maintainer scripts run here with DPKG_ROOT set and must act on the
# root only). Then the installed jigd is run with the installed unit's
# ExecStart and flashes a simulated board; then the same package with a
# higher version goes over a root whose jigd.conf the operator edited and
# whose station.db holds a unit: both survive, and so do they a purge.
#
# usage: install.sh BUILD_DIR ESPSIM VECTORS_DIR STUB_DIR
#   BUILD_DIR  a configured and built tree (its CPackConfig.cmake is packed
#              into this test's own folder, twice, with two versions)
set -uo pipefail
bin=$1 espsim=$2 vectors=$3 stub_dir=$4
here=$(cd "$(dirname "$0")" && pwd)

work=$(mktemp -d /tmp/jigd_package.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL (package/install): $*" >&2
    tail -n 20 "$work/jigd.err" >&2 2>/dev/null
    exit 1
}
. "$here/../jigd/station_rig.sh"

# No silent skip: without dpkg's tools this test proves nothing.
for tool in dpkg-deb dpkg dpkg-query cpack sqlite3 curl jq systemd-analyze; do
    command -v "$tool" > /dev/null || fail "$tool is missing (apt-get install dpkg cmake sqlite3 curl jq systemd)"
done
[ "$(id -u)" = 0 ] || fail "dpkg --root needs root to give files their owners (run make test as root)"

# --- the two packages -------------------------------------------------------
for v in 1.0.0 1.0.1; do
    cpack -G DEB --config "$bin/CPackConfig.cmake" -B "$work/pkg-$v" \
        -D CPACK_PACKAGE_VERSION=$v > "$work/cpack-$v.log" 2>&1 \
        || { cat "$work/cpack-$v.log" >&2; fail "cpack $v"; }
done
deb1=$(ls "$work"/pkg-1.0.0/jigd_1.0.0_*.deb) || fail "no jigd_1.0.0 .deb"
deb2=$(ls "$work"/pkg-1.0.1/jigd_1.0.1_*.deb) || fail "no jigd_1.0.1 .deb"

dpkg-deb -c "$deb1" | awk '{print $1, $6}' > "$work/contents"
has() {            # MODE PATH: a file of the package with that mode
    grep -qx -- "$1 ./${2#/}" "$work/contents" || fail "the package lacks $2 with mode $1"
}
for p in jigd jigctl jigflash; do has -rwxr-xr-x /usr/bin/$p; done
has -rw-r--r-- /etc/jigd/jigd.conf
has -rw-r--r-- /lib/systemd/system/jigd.service
has -rw-r--r-- /lib/udev/rules.d/99-jigd-serial.rules
has -rw-r--r-- /usr/share/jigd/web-ui/index.html
has -rw-r--r-- /usr/share/doc/jigd/jigd.md
! grep -q "stub_flasher\|/stubs/\|esp32.json" "$work/contents" \
    || fail "the package ships flasher stubs (they are Espressif's, not ours)"
[ "$(dpkg-deb -f "$deb1" Version)" = 1.0.0 ] || fail "version $(dpkg-deb -f "$deb1" Version)"
dpkg-deb -I "$deb1" conffiles | grep -qx /etc/jigd/jigd.conf \
    || fail "jigd.conf is not a conffile"
depends=$(dpkg-deb -f "$deb1" Depends)
for d in libuv1 libsqlite3-0 libmicrohttpd12 libserialport0 libsystemd0 passwd; do
    grep -q "\b$d\b" <<< "$depends" || fail "Depends lacks $d: $depends"
done

# --- a root with just what dpkg and useradd need ----------------------------
R=$work/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/etc"
: > "$R/var/lib/dpkg/status"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$R/etc/passwd"
printf 'root:x:0:\ndialout:x:20:\n' > "$R/etc/group"
printf 'root:*:19000:0:99999:7:::\n' > "$R/etc/shadow"
printf 'root:*::\ndialout:*::\n' > "$R/etc/gshadow"
cp /etc/login.defs "$R/etc/" 2>/dev/null
dpkg_r() {
    dpkg --root="$R" --admindir="$R/var/lib/dpkg" --force-script-chrootless \
        --force-depends --force-confold "$@"
}
dpkg_r -i "$deb1" > "$work/dpkg1.log" 2>&1 || { cat "$work/dpkg1.log" >&2; fail "dpkg -i 1.0.0"; }
[ "$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Version} ${Status}' jigd)" \
    = "1.0.0 install ok installed" ] || fail "jigd 1.0.0 is not installed in the root"

mode() { stat -c '%A %U:%G' "$1" 2>/dev/null; }
[ "$(mode "$R/usr/bin/jigd")" = "-rwxr-xr-x root:root" ] || fail "jigd: $(mode "$R/usr/bin/jigd")"
[ "$(mode "$R/etc/jigd/jigd.conf")" = "-rw-r--r-- root:root" ] || fail "jigd.conf: $(mode "$R/etc/jigd/jigd.conf")"
# The maintainer scripts worked on the root, not on this machine.
user=$(grep '^jigd:' "$R/etc/passwd") || fail "postinst made no jigd user in the root"
uid=$(cut -d: -f3 <<< "$user") gid=$(cut -d: -f4 <<< "$user")
grep -q '^dialout:.*\bjigd\b' "$R/etc/group" || fail "jigd is not in dialout: $(grep dialout "$R/etc/group")"
[ "$(stat -c '%a %u:%g' "$R/var/lib/jigd")" = "700 $uid:$gid" ] \
    || fail "/var/lib/jigd: $(stat -c '%a %u:%g' "$R/var/lib/jigd"), want 700 $uid:$gid"
[ -z "$(ls -A "$R/var/lib/jigd")" ] || fail "postinst put something into /var/lib/jigd"
# The shipped config points at the documented stub folder, and the unit's
# Documentation= is a file the package installs.
grep -qx "stub_dir = /usr/local/share/jigd/stubs" "$R/etc/jigd/jigd.conf" \
    || fail "the installed jigd.conf's stub_dir is not /usr/local/share/jigd/stubs"
unit=$R/lib/systemd/system/jigd.service
doc=$(sed -n 's/^Documentation=file://p' "$unit")
[ -f "$R$doc" ] || fail "the unit's Documentation=$doc is not installed"
grep -qx "Type=notify" "$unit" && grep -q "^WatchdogSec=" "$unit" \
    || fail "the installed unit is not Type=notify with a watchdog"

# systemd's own reading of the installed unit, in the root: no unknown key,
# ExecStart an executable there, and the hardening judged by systemd
# ("OK" or better: this test machine has no systemd as PID 1 to start it).
# The root gets the targets a real system's systemd package brings, which
# the unit's default dependencies name.
cp -n /lib/systemd/system/*.target "$R/lib/systemd/system/"
systemd-analyze verify --root="$R" /lib/systemd/system/jigd.service > "$work/verify.log" 2>&1 \
    || { cat "$work/verify.log" >&2; fail "systemd-analyze verify refuses the installed unit"; }
[ -s "$work/verify.log" ] && { cat "$work/verify.log" >&2; fail "systemd-analyze verify warns"; }
systemd-analyze security --offline=yes --root="$R" jigd.service > "$work/security.log" 2>&1
exposure=$(sed -n 's/.*Overall exposure level for jigd.service: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p' \
    "$work/security.log")
case $exposure in
    *" OK"|*" SAFE") echo "systemd-analyze security: exposure $exposure" ;;
    *) cat "$work/security.log" >&2; fail "the unit's exposure is '$exposure', not OK or SAFE" ;;
esac

# --- the installed jigd, by the unit's command line -------------------------
pick_station_ports
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
[ "$exec_start" = "/usr/bin/jigd -c /etc/jigd/jigd.conf" ] || fail "ExecStart=$exec_start"
read -r -a cmd <<< "$exec_start"
cmd[0]=$R${cmd[0]}
for i in "${!cmd[@]}"; do [[ "${cmd[$i]}" == /etc/* ]] && cmd[$i]=$R${cmd[$i]}; done

# The documented stub step (docs/setup.md, step 2), into the root.
mkdir -p "$R/usr/local/share/jigd"
cp -r "$stub_dir" "$R/usr/local/share/jigd/stubs"
mkdir -p "$work/flash"
"$espsim" --boards 1 --chip esp32 --base-port "$board_port" --flash-dir "$work/flash" \
    --control-port "$ctl_port" > "$work/espsim.out" 2> "$work/espsim.err" &
pids+=($!)
wait_for 10 "espsim ready" grep -q "ready" "$work/espsim.out"
bash "$here/../jigd/make_bundle.sh" "$vectors" "$work/bundle" || fail "make_bundle"
# The operator's edit: the station's own settings and its one jig position.
{
    printf '# edited at the station\n[station]\nname = pkg-test\nlisten = 127.0.0.1:%d\n' "$api_port"
    printf 'api_trust_local = yes\ndata_dir = %s\nstub_dir = %s\n' \
        "$R/var/lib/jigd" "$R/usr/local/share/jigd/stubs"
    printf 'bundle = %s\nboot_log_seconds = 1\n' "$work/bundle"
    printf '[slot 1]\nport = rfc2217://127.0.0.1:%d\n' "$board_port"
} > "$R/etc/jigd/jigd.conf"

api() { curl -sf "http://127.0.0.1:$api_port$1"; }
run_jigd() {
    "${cmd[@]}" 2> "$work/jigd.err" &
    jigd_pid=$!
    pids+=($jigd_pid)
    wait_for 15 "the installed jigd's API" api /api/v1/station
}
stop_jigd() {
    kill -TERM "$jigd_pid"
    local rc=0
    wait "$jigd_pid" || rc=$?
    [ "$rc" = 0 ] || fail "jigd exited with $rc after SIGTERM"
}
run_jigd
api / | grep -qi "<html" || fail "the installed dashboard is not served"
grep -qF "files from $R/usr/bin/../share/jigd/web-ui" "$work/jigd.err" \
    || fail "jigd did not find the installed web-ui beside its binary"
wait_for 60 "slot 1 to pass" bash -c "[ \"\$(curl -sf http://127.0.0.1:$api_port/api/v1/slots/1 | jq -r .last_result)\" = pass ]"
stop_jigd
units=$(sqlite3 -batch "$R/var/lib/jigd/station.db" 'SELECT count(*) FROM units')
[ "$units" -ge 1 ] || fail "no unit in station.db after a pass"
ca_sum=$(cat "$R"/var/lib/jigd/station-ca.* | sha256sum)
conf_sum=$(sha256sum < "$R/etc/jigd/jigd.conf")

# --- the upgrade ------------------------------------------------------------
dpkg_r -i "$deb2" > "$work/dpkg2.log" 2>&1 || { cat "$work/dpkg2.log" >&2; fail "dpkg -i 1.0.1"; }
[ "$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Version}' jigd)" = 1.0.1 ] \
    || fail "the upgrade did not install 1.0.1"
[ "$(sha256sum < "$R/etc/jigd/jigd.conf")" = "$conf_sum" ] \
    || fail "the upgrade changed the operator's jigd.conf"
[ "$(sqlite3 -batch "$R/var/lib/jigd/station.db" 'SELECT count(*) FROM units')" = "$units" ] \
    || fail "the upgrade lost units"
[ "$(cat "$R"/var/lib/jigd/station-ca.* | sha256sum)" = "$ca_sum" ] || fail "the upgrade touched the CA"
[ "$(grep -c '^jigd:' "$R/etc/passwd")" = 1 ] || fail "the upgrade made a second jigd user"
run_jigd      # the upgraded jigd opens the same database and CA
grep -q "station CA .*created now" "$work/jigd.err" && fail "the upgraded jigd made a new CA"
stop_jigd

# --- purge keeps the factory record -----------------------------------------
dpkg_r --purge jigd > "$work/purge.log" 2>&1 || { cat "$work/purge.log" >&2; fail "dpkg --purge"; }
[ ! -e "$R/usr/bin/jigd" ] || fail "purge left /usr/bin/jigd"
[ ! -e "$R/etc/jigd/jigd.conf" ] || fail "purge left the conffile"
[ "$(sqlite3 -batch "$R/var/lib/jigd/station.db" 'SELECT count(*) FROM units')" = "$units" ] \
    || fail "purge lost the station database"
grep -q "/var/lib/jigd .* is kept" "$work/purge.log" || fail "purge does not say the database is kept"
echo "ok (package/install)"
