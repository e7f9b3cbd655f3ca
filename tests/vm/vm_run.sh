#!/usr/bin/env bash
# Boots Debian's own kernel in QEMU with a throw-away initramfs and runs one
# guest script in it: the harness of the tests that need a real kernel driver
# (a USB serial adapter with modem lines and sysfs, a GPIO character device),
# which a container cannot give. See tests/vm/README.md.
#
# usage: vm_run.sh --out DIR --guest-script PATH [--module NAME]...
#                  [--module-file PATH.ko]... [--bin PATH]... [--file SRC:DEST]...
#                  [--qemu-arg ARG]... [--env K=V]... [--timeout SECONDS]
#
# Exits with the guest script's status; 124 when the guest did not finish in
# time; 1 when it ended without saying (the console is in DIR/console.log).
# KVM is used when a probe guest runs under it, else TCG; VM_NO_KVM=1
# forces TCG.
set -euo pipefail

out="" script="" timeout=120
modules=() module_files=() bins=() files=() qemu_args=() envs=()
while [ $# -gt 0 ]; do
    case "$1" in
    --out) out=$2 ;;
    --guest-script) script=$2 ;;
    --module) modules+=("$2") ;;
    --module-file) module_files+=("$2") ;;
    --bin) bins+=("$2") ;;
    --file) files+=("$2") ;;
    --qemu-arg) qemu_args+=("$2") ;;
    --env) envs+=("$2") ;;
    --timeout) timeout=$2 ;;
    *) echo "vm_run: unknown option $1" >&2; exit 2 ;;
    esac
    shift 2
done
[ -n "$out" ] && [ -f "$script" ] || { echo "vm_run: --out DIR and --guest-script FILE are required" >&2; exit 2; }

die() { echo "vm_run: $*" >&2; exit 1; }

# Debian's kernel as installed by deploy/setup.sh (linux-image-amd64); the
# host may run another kernel, so never `uname -r`.
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$kernel" ] || die "no kernel in /boot: run deploy/setup.sh (it installs linux-image-amd64)"
kver=${kernel#/boot/vmlinuz-}
moddir=/lib/modules/$kver
[ -f "$moddir/modules.dep" ] || die "no $moddir/modules.dep for $kernel: run deploy/setup.sh"
[ -r "$kernel" ] || die "$kernel is not readable"
command -v qemu-system-x86_64 > /dev/null || die "qemu-system-x86_64 missing: run deploy/setup.sh"
busybox=$(command -v busybox || true)
# ldd fails on a static program: that is the one we want.
[ -n "$busybox" ] && ! ldd "$busybox" > /dev/null 2>&1 \
    || die "busybox-static missing (a static busybox is the guest's shell): run deploy/setup.sh"

root=$out/root
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib/modules,etc}
cp "$busybox" "$root/bin/busybox"

# Kernel modules in load order: each module after what it depends on.
declare -A seen=()
load_order=()
add_module_path() {     # path relative to $moddir
    local rel=$1 dep
    [ -n "${seen[$rel]:-}" ] && return
    seen[$rel]=1
    for dep in $(grep -E "^$rel:" "$moddir/modules.dep" | cut -d: -f2); do
        add_module_path "$dep"
    done
    load_order+=("$rel")
}
for m in "${modules[@]+"${modules[@]}"}"; do
    rel=$(grep -E "/${m//_/[-_]}\.ko(\.[a-z]+)?:" "$moddir/modules.dep" | head -n 1 | cut -d: -f1)
    [ -n "$rel" ] || die "kernel $kver has no module $m"
    add_module_path "$rel"
done
: > "$root/etc/modules"
for rel in "${load_order[@]+"${load_order[@]}"}"; do
    cp "$moddir/$rel" "$root/lib/modules/"
    echo "/lib/modules/$(basename "$rel")" >> "$root/etc/modules"
done
for f in "${module_files[@]+"${module_files[@]}"}"; do
    cp "$f" "$root/lib/modules/"
    echo "/lib/modules/$(basename "$f")" >> "$root/etc/modules"
done

# Programs with every shared library they load, at the same paths.
copy_with_libs() {
    local bin=$1 lib
    cp "$bin" "$root/bin/"
    for lib in $(ldd "$bin" 2>/dev/null | grep -oE '/[^ ]+\.so[^ ]*' | sort -u); do
        [ -e "$root$lib" ] && continue
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
    done
}
for b in "${bins[@]+"${bins[@]}"}"; do
    [ -x "$b" ] || die "--bin $b is not an executable"
    copy_with_libs "$b"
done
for f in "${files[@]+"${files[@]}"}"; do
    src=${f%%:*} dest=${f#*:}
    mkdir -p "$root$(dirname "$dest")"
    cp -r "$src" "$root$dest"
done
cp "$script" "$root/guest.sh"
{
    for e in "${envs[@]+"${envs[@]}"}"; do printf 'export %q\n' "$e"; done
} > "$root/etc/guest.env"

cat > "$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
while read -r m; do
    insmod "$m" || echo "vm: insmod $m failed"
done < /etc/modules
# wait_for PATH SECONDS: a device the guest script needs (USB enumerates late)
wait_for() {
    i=0
    while [ ! -e "$1" ] && [ $i -lt $(($2 * 10)) ]; do sleep 0.1; i=$((i + 1)); done
    [ -e "$1" ]
}
. /etc/guest.env
# A subshell: the script may `exit`, and init must not.
(. /guest.sh) > /dev/console 2>&1
echo "VM-EXIT $?" > /dev/console
sync
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/initramfs.gz"

# KVM when it really runs a guest, else software emulation (TCG). /dev/kvm
# being there is not enough: inside this workplace's own virtual machines
# nested KVM aborts QEMU (-cpu host: "failed to set MSR") or hangs the guest
# in SeaBIOS (the default CPU model). So a 64 KiB firmware image whose reset
# vector writes 0x2a to QEMU's isa-debug-exit port is booted first: QEMU
# exits with (0x2a << 1) | 1 = 85 only if the guest code ran. It costs well
# under a second either way. VM_NO_KVM=1 skips the try.
kvm_runs_guests() {
    [ -z "${VM_NO_KVM:-}" ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
    local probe=$out/kvm-probe.bin rc
    head -c 65536 /dev/zero | tr '\0' '\364' > "$probe"     # hlt everywhere
    # mov al, 0x2a; out 0xf4, al; hlt -- at the reset vector (offset 0xfff0)
    printf '\260\052\346\364\364' | dd of="$probe" bs=1 seek=$((0xfff0)) conv=notrunc status=none
    # in a subshell whose stderr is dropped: bash's "Aborted" notice is noise
    rc=$( (timeout 10 qemu-system-x86_64 -accel kvm -cpu host -machine pc -nodefaults \
        -display none -monitor none -serial none -bios "$probe" \
        -device isa-debug-exit,iobase=0xf4,iosize=1 > "$out/kvm-probe.out" 2>&1
        echo $?) 2> /dev/null)
    if [ $rc != 85 ]; then
        echo "vm_run: KVM did not run a probe guest (qemu status $rc, $out/kvm-probe.out); using TCG" >&2
        return 1
    fi
    kvm_boots_kernel
}

# Some hosts run that probe under KVM and still hang a real kernel in
# SeaBIOS ("Booting from ROM..." and nothing after): so the kernel itself is
# booted once under KVM with no initramfs, to the panic it reaches within a
# second or two, and its banner looked for. The answer is kept for this boot
# of the host and this kernel, so each VM test does not pay for it again.
kvm_boots_kernel() {
    local boot_id cache log
    boot_id=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown)
    cache=${TMPDIR:-/tmp}/jigd-vm-kvm-$kver-$boot_id
    if [ -f "$cache" ]; then
        [ "$(cat "$cache")" = yes ] && return 0
        echo "vm_run: KVM hangs this kernel on this host (found before); using TCG" >&2
        return 1
    fi
    log=$out/kvm-kernel-probe.log
    timeout 20 qemu-system-x86_64 -accel kvm -cpu host -m 256 -nographic -no-reboot \
        -kernel "$kernel" -append "console=ttyS0 panic=-1" -serial "file:$log" \
        -monitor none -display none -nic none < /dev/null > /dev/null 2>&1
    if grep -aq "Linux version" "$log"; then
        echo yes > "$cache"
        return 0
    fi
    echo no > "$cache"
    echo "vm_run: KVM ran the probe but hung the kernel ($log); using TCG" >&2
    return 1
}
accel=(-accel tcg) accel_name=TCG
if kvm_runs_guests; then
    accel=(-accel kvm -cpu host) accel_name=KVM
fi

console=$out/console.log
: > "$console"
rc=0
timeout "$timeout" qemu-system-x86_64 "${accel[@]}" -m 1024 -smp 1 -nographic -no-reboot \
    -kernel "$kernel" -initrd "$out/initramfs.gz" \
    -append "console=ttyS0 quiet panic=-1 rdinit=/init" \
    -serial "file:$console" -monitor none -display none -nic none \
    "${qemu_args[@]+"${qemu_args[@]}"}" < /dev/null > "$out/qemu.out" 2>&1 || rc=$?
if [ $rc = 124 ]; then
    echo "vm_run: the guest did not finish within ${timeout}s; console:" >&2
    tail -n 40 "$console" >&2
    exit 124
fi
status=$(grep -a -oE "VM-EXIT [0-9]+" "$console" | tail -n 1 | cut -d' ' -f2 || true)
if [ -z "$status" ]; then
    echo "vm_run: the guest ended without a result (qemu status $rc); qemu said:" >&2
    cat "$out/qemu.out" >&2
    echo "--- console ---" >&2
    tail -n 40 "$console" >&2
    exit 1
fi
echo "vm_run: guest finished with status $status ($accel_name, $SECONDS s)"
exit "$status"
