#!/usr/bin/env bash
# jigctl bundle import, the real binary: an ESP-IDF build folder (made here
# from the golden ESP32-C3 images) becomes a bundle whose manifest names the
# app's project and version; importing into an existing folder is refused
# and leaves it alone; a build without flasher_args.json is refused; a
# part that reaches outside the build (a `..` path, a symlink) or is not a
# plain file (a FIFO) is refused at once, naming why, and leaves no
# `.importing-*` folder behind.
# usage: jigctl_bundle_import.sh JIGCTL SHARED_DIR
set -euo pipefail
jigctl=$1 vectors=$2/vectors
work=$(mktemp -d "${TMPDIR:-/tmp}/jigctl-import.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

make_build() {     # DIR: the golden C3 images laid out as ESP-IDF does
    build=$1
    mkdir -p "$build/bootloader" "$build/partition_table"
    cp "$vectors/image/boot_c3.bin" "$build/bootloader/bootloader.bin"
    cp "$vectors/partition/singleapp.bin" "$build/partition_table/partition-table.bin"
    cp "$vectors/image/app_c3.bin" "$build/jigd_factory_app.bin"
    cat > "$build/flasher_args.json" <<'JSON'
{
  "flash_settings": {"flash_mode": "dio", "flash_size": "4MB", "flash_freq": "80m"},
  "flash_files": {"0x0": "bootloader/bootloader.bin", "0x8000": "partition_table/partition-table.bin",
                  "0x10000": "jigd_factory_app.bin"},
  "bootloader": {"offset": "0x0", "file": "bootloader/bootloader.bin", "encrypted": "false"},
  "app": {"offset": "0x10000", "file": "jigd_factory_app.bin", "encrypted": "false"},
  "partition-table": {"offset": "0x8000", "file": "partition_table/partition-table.bin", "encrypted": "false"},
  "extra_esptool_args": {"after": "hard-reset", "before": "default-reset", "stub": true, "chip": "esp32c3"}
}
JSON
}
make_build "$work/idf-build"

out=$("$jigctl" bundle import "$build" "$work/acme") || fail "import of a good build failed: $out"
grep -q "jigctl bundle load $work/acme" <<< "$out" || fail "no hint how to activate: $out"
manifest=$work/acme/manifest.json
[ -f "$manifest" ] || fail "no manifest.json in the bundle"
grep -q '"jigd_factory_app"' "$manifest" || fail "manifest lacks the app's project name"
grep -q '"1.4.2-golden"' "$manifest" || fail "manifest lacks the app's version"
cmp -s "$work/acme/$(cd "$work/acme" && ls | grep -m1 -i app)" "$vectors/image/app_c3.bin" \
    || fail "the app in the bundle differs from the build's"

before=$(ls -l --time-style=full-iso "$work/acme" | md5sum)
if err=$("$jigctl" bundle import "$build" "$work/acme" 2>&1); then
    fail "importing into an existing bundle folder succeeded"
fi
[ "$(ls -l --time-style=full-iso "$work/acme" | md5sum)" = "$before" ] || fail "the existing bundle was touched"

rm "$build/flasher_args.json"
if err=$("$jigctl" bundle import "$build" "$work/other" 2>&1); then
    fail "a build without flasher_args.json was imported"
fi
grep -q "flasher_args.json" <<< "$err" || fail "the refusal does not name flasher_args.json: $err"
[ ! -e "$work/other" ] || fail "a refused import left $work/other behind"

# What a mistaken (or hostile) build folder can point at: a key the station
# keeps, here a valid app so that only the path can refuse it.
cp "$vectors/image/app_c3.bin" "$work/secret.key"
expect_refused() {  # BUILD REASON: refused in time, with REASON, nothing left
    local out=$work/bundles/refused err rc=0
    mkdir -p "$work/bundles"
    err=$(timeout 10 "$jigctl" bundle import "$1" "$out" 2>&1) || rc=$?
    [ "$rc" != 124 ] || fail "import of $1 still running after 10 s (expected: $2)"
    [ "$rc" != 0 ] || fail "import of $1 succeeded (expected: $2)"
    grep -qF -- "$2" <<< "$err" || fail "refusal does not say \"$2\": $err"
    [ ! -e "$out" ] || fail "a refused import left $out behind"
    ! ls -a "$work/bundles" | grep -q importing || fail "a refused import left $(ls -a "$work/bundles")"
    rm -rf "$1"
}
make_build "$work/dotdot"
sed -i 's|"jigd_factory_app.bin"|"../secret.key"|g' "$work/dotdot/flasher_args.json"
expect_refused "$work/dotdot" '"../secret.key" is outside the build folder'

make_build "$work/symlink"
ln -sf "$work/secret.key" "$work/symlink/jigd_factory_app.bin"
expect_refused "$work/symlink" "jigd_factory_app.bin is a symbolic link"

make_build "$work/linked-dir"
mv "$work/linked-dir/bootloader" "$work/outside-bootloader"
ln -s "$work/outside-bootloader" "$work/linked-dir/bootloader"
expect_refused "$work/linked-dir" "bootloader is a symbolic link"

make_build "$work/fifo"
rm "$work/fifo/jigd_factory_app.bin" && mkfifo "$work/fifo/jigd_factory_app.bin"
expect_refused "$work/fifo" "jigd_factory_app.bin is a FIFO (named pipe), not a regular file"

make_build "$work/absolute"
sed -i "s|\"jigd_factory_app.bin\"|\"$work/secret.key\"|g" "$work/absolute/flasher_args.json"
expect_refused "$work/absolute" "is outside the build folder"
echo "jigctl bundle import: ok"
