#!/usr/bin/env bash
# make_bundle.sh VECTORS_DIR OUT_DIR [DATA_KIB [SEED]]
#
# Synthesises an ESP32 firmware bundle from the shared golden vectors (all
# made by Espressif's own tools): fmt_esp32_boot.bin at 0x1000, the
# singleapp partition table at 0x8000, fmt_esp32.bin as the factory app at
# 0x10000. Flash settings are "keep", so nothing is patched and each part is
# what lands in flash byte for byte. With DATA_KIB, a data part of that many
# KiB of seeded random bytes goes at 0x20000 (inside the 1 MB factory
# partition, after the app) to give the wire something to carry.
set -euo pipefail
vectors=$1 out=$2 data_kib=${3:-0} seed=${4:-1}
mkdir -p "$out"
cp "$vectors/image/fmt_esp32_boot.bin" "$out/bootloader.bin"
cp "$vectors/partition/singleapp.bin" "$out/partition-table.bin"
cp "$vectors/image/fmt_esp32.bin" "$out/app.bin"
chmod u+w "$out"/*.bin
sha() { sha256sum "$out/$1" | cut -d' ' -f1; }
data_entry=""
if [ "$data_kib" -gt 0 ]; then
    # Seeded so that two bundles with the same seed hold the same bytes.
    openssl enc -aes-128-ctr -nosalt -pass "pass:jigd-$seed" -pbkdf2 \
        < <(head -c $((data_kib * 1024)) /dev/zero) 2>/dev/null > "$out/data.bin"
    data_entry=",
    { \"offset\": \"0x20000\", \"role\": \"data\", \"file\": \"data.bin\", \"sha256\": \"$(sha data.bin)\" }"
fi
cat > "$out/manifest.json" <<JSON
{
  "format": 1,
  "name": "jigd-test",
  "version": "1.0.$seed",
  "chip": "esp32",
  "flash": { "mode": "keep", "freq": "keep", "size": "keep" },
  "parts": [
    { "offset": "0x1000", "role": "bootloader", "file": "bootloader.bin", "sha256": "$(sha bootloader.bin)" },
    { "offset": "0x8000", "role": "partition-table", "file": "partition-table.bin", "sha256": "$(sha partition-table.bin)" },
    { "offset": "0x10000", "role": "app", "file": "app.bin", "sha256": "$(sha app.bin)" }$data_entry
  ]
}
JSON
