#!/usr/bin/env bash
# jigctl bundle import, the real binary: an ESP-IDF build folder (made here
# from the golden ESP32-C3 images) becomes a bundle whose manifest names the
# app's project and version; importing into an existing folder is refused
# and leaves it alone; a build without flasher_args.json is refused.
# usage: jigctl_bundle_import.sh JIGCTL SHARED_DIR
set -euo pipefail
jigctl=$1 vectors=$2/vectors
work=$(mktemp -d "${TMPDIR:-/tmp}/jigctl-import.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

build=$work/idf-build
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
echo "jigctl bundle import: ok"
