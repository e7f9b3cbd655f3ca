#!/usr/bin/env bash
# make_bundle.sh VECTORS_DIR OUT_DIR [DATA_KIB [SEED [MIN_REV_FULL]]]
#
# Synthesises an ESP32 firmware bundle from the shared golden vectors (all
# made by Espressif's own tools): fmt_esp32_boot.bin at 0x1000, the
# singleapp partition table at 0x8000, fmt_esp32.bin as the factory app at
# 0x10000. Flash settings are "keep", so nothing is patched and each part is
# what lands in flash byte for byte. With DATA_KIB, a data part of that many
# KiB of seeded random bytes goes at 0x20000 (inside the 1 MB factory
# partition, after the app) to give the wire something to carry. With
# MIN_REV_FULL (major*100+minor) the app's header asks for at least that
# chip revision (its appended SHA-256 recomputed, so the image stays valid).
set -euo pipefail
vectors=$1 out=$2 data_kib=${3:-0} seed=${4:-1} min_rev=${5:-}
mkdir -p "$out"
cp "$vectors/image/fmt_esp32_boot.bin" "$out/bootloader.bin"
cp "$vectors/partition/singleapp.bin" "$out/partition-table.bin"
cp "$vectors/image/fmt_esp32.bin" "$out/app.bin"
chmod u+w "$out"/*.bin
if [ -n "$min_rev" ]; then
    # min_chip_rev_full is the little-endian u16 at byte 15 of the header;
    # the image's last 32 bytes are the SHA-256 of everything before them.
    app="$out/app.bin" size=$(stat -c %s "$out/app.bin")
    printf "$(printf '\\x%02x\\x%02x' $((min_rev & 255)) $((min_rev >> 8)))" \
        | dd of="$app" bs=1 seek=15 conv=notrunc status=none
    head -c $((size - 32)) "$app" | sha256sum | cut -c1-64 | xxd -r -p \
        | dd of="$app" bs=1 seek=$((size - 32)) conv=notrunc status=none
fi
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
