# Plumbing shared by the VM tests (sourced): a work folder cleaned up on exit,
# espsim with one board behind a pty (what QEMU's emulated adapter talks to),
# its control socket, the test GPIO chip module, and the guest's console.
#
#   vm_rig_init NAME              work folder $work, cleanup trap, fail()
#   vm_rig_espsim [OPTIONS...]    espsim, ESP32 boards ($vm_rig_espsim_boards, 1 by
#                                 default): sets $pty (board 1's), $control
#   vm_rig_qmp JSON               one QMP command to the guest's QEMU
#   vm_rig_jigd_conf              $work/jigd.conf's [station] part (slots follow)
#   vm_rig_jigd_files             vm_run options for a jigd guest ($jigd_files)
#   vm_rig_check_flash N          every part of $work/bundle on board N
#   vm_rig_control CMD            one control-socket command; prints the reply
#   vm_rig_expect_ok CMD          the same, failing the test unless "ok ..."
#   vm_rig_module                 builds fixtures/fake_gpiochip: sets $module
#   vm_rig_show_guest             what the guest printed (kernel lines left out)
#   vm_rig_boot SERIAL [OPTS...]  the guest, with an FTDI adapter on $pty (below)

vm_rig_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
sim_pid=""

fail() { echo "FAIL: $*" >&2; exit 1; }

vm_rig_cleanup() {
    [ -n "$sim_pid" ] && { kill "$sim_pid"; wait "$sim_pid"; } 2>/dev/null || true
    [ -n "${vm_rig_extra_cleanup:-}" ] && $vm_rig_extra_cleanup
    rm -rf "$work"
}

vm_rig_init() {
    work=$(mktemp -d "/tmp/jigd_vm_$1.XXXXXX")
    trap vm_rig_cleanup EXIT
}

# Ports as the station tests pick them: a free block below the ephemeral
# range, so parallel tests and outgoing connections do not meet.
. "$vm_rig_dir/../jigd/station_rig.sh"

vm_rig_espsim() {
    pick_station_ports
    control=$ctl_port
    mkdir -p "$work/flash"
    "$espsim" --boards "${vm_rig_espsim_boards:-1}" --chip esp32 --base-port "$board_port" --control-port "$control" \
        --flash-dir "$work/flash" --pty "$@" > "$work/espsim.out" 2> "$work/espsim.err" &
    sim_pid=$!
    wait_for 10 "espsim to be ready" grep "ready" "$work/espsim.out"
    pty=$(sed -n 's/^espsim: board 1 pty //p' "$work/espsim.out")
    [ -n "$pty" ] || fail "espsim gave no pty: $(cat "$work/espsim.err")"
}

vm_rig_control() {
    local reply
    exec 3<>"/dev/tcp/127.0.0.1/$control"
    echo "$1" >&3
    read -r reply <&3
    exec 3>&-
    echo "$reply"
}

vm_rig_expect_ok() {
    local reply
    reply=$(vm_rig_control "$1")
    [[ $reply == ok* ]] || fail "espsim refused '$1': $reply"
}

# vm_rig_qmp JSON: sends one command to QEMU's QMP socket on $qmp_port (boot
# with --qemu-arg -qmp --qemu-arg tcp:127.0.0.1:$qmp_port,server=on,wait=off)
# and fails unless QEMU returns success. One connection per command: QMP
# greets, wants qmp_capabilities, and may send events before the reply.
vm_rig_qmp() {
    local line
    exec 8<>"/dev/tcp/127.0.0.1/$qmp_port" || { echo "no QMP socket on port $qmp_port" >&2; return 1; }
    read -r -t 10 line <&8 || { exec 8>&-; echo "QMP did not greet" >&2; return 1; }
    printf '{"execute":"qmp_capabilities"}\n%s\n' "$1" >&8
    local replies=0
    while read -r -t 10 line <&8; do
        case $line in
        *'"error"'*) exec 8>&-; echo "QMP refused $1: $line" >&2; return 1 ;;
        *'"return"'*) replies=$((replies + 1)); [ $replies = 2 ] && { exec 8>&-; return 0; } ;;
        esac
    done
    exec 8>&-
    echo "QMP gave no answer to $1" >&2
    return 1
}

# A jigd guest: jigd, its config and bundle, the stub and the guest-side
# helpers (guest_jigd.sh, which expects this [station] part).
vm_rig_jigd_conf() {
    cat > "$work/jigd.conf" <<EOF
[station]
name = vm-line
listen = 127.0.0.1:8080
api_trust_local = yes
data_dir = /tmp/jigd
bundle = /bundle
stub_dir = /stub
boot_log_seconds = 1
max_baud = 460800
EOF
}

vm_rig_jigd_files() {
    jigd_files=(--bin "$jigd" --file "$work/jigd.conf:/jigd.conf" --file "$work/bundle:/bundle"
                --file "$stub_dir/esp32.json:/stub/esp32.json"
                --file "$vm_rig_dir/guest_jigd.sh:/guest_jigd.sh")
}

vm_rig_check_flash() {
    local board=$1 off file size
    while read -r off file; do
        size=$(stat -c %s "$work/bundle/$file")
        cmp -s -n "$size" -i "0:$((off))" "$work/bundle/$file" "$work/flash/board$board.bin" \
            || fail "board $board's flash at $off differs from $file"
    done < <(jq -r '.parts[] | "\(.offset) \(.file)"' "$work/bundle/manifest.json")
}

vm_rig_module() {
    module=$("$vm_rig_dir/../../fixtures/fake_gpiochip/build.sh" "$work/module") \
        || fail "cannot build the test GPIO chip module"
}

vm_rig_show_guest() {
    [ -f "$work/vm/console.log" ] || return 0
    sed -n '/guest:/,$p' "$work/vm/console.log" | grep -a -v -E '^\[ *[0-9]+\.[0-9]+\]' \
        | head -n 60
}

# vm_rig_boot SERIAL [vm_run options...]: boots the guest ($work/guest.sh)
# with QEMU's FTDI adapter (USB serial number SERIAL) wired to $pty and its
# drivers loaded; shows what the guest printed and fails the test unless the
# guest script succeeded. The USB controller sits at PCI address 00:04.0,
# so /dev/serial/by-path/ names are known before the guest boots.
vm_rig_boot() {
    local serial=$1 rc=0
    shift
    "$vm_run" --out "$work/vm" --guest-script "$work/guest.sh" \
        --module xhci_pci --module ftdi_sio \
        --qemu-arg -device --qemu-arg qemu-xhci,id=xhci,addr=4 \
        --qemu-arg -chardev --qemu-arg "serial,id=adapter,path=$pty" \
        --qemu-arg -device --qemu-arg "usb-serial,bus=xhci.0,chardev=adapter,serial=$serial" \
        "$@" || rc=$?
    vm_rig_show_guest
    [ $rc = 0 ] || fail "the guest failed (status $rc)"
}
