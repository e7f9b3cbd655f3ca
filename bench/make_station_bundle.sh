#!/usr/bin/env bash
# make_station_bundle.sh VECTORS_DIR OUT_DIR TOTAL_KIB [SEED]
#
# The station bench's bundle: tests/jigd/make_bundle.sh's bundle (golden
# bootloader, partition table and app, plus seeded random data at 0x20000)
# grown to TOTAL_KIB in all, for an 8 MB board. Random data because it does
# not compress: what crosses the wire is the bundle's size, whichever client
# compresses it.
#
# Two changes make room for up to ~8 MB: the manifest sets the flash size to
# 8MB (the bootloader header is patched by the flasher, as with esptool's
# --flash_size), and the single-app table's factory partition (1 MB) is
# stretched to the end of flash (0x10000 + 0x7F0000) so the data part lies
# inside a partition, as bundle validation demands. The table keeps its MD5
# entry, recomputed.
set -euo pipefail
vectors=$1 out=$2 total_kib=$3 seed=${4:-1}
here=$(cd "$(dirname "$0")" && pwd)

# bootloader + partition table + app are 4000 bytes: under 4 KiB.
bash "$here/../tests/jigd/make_bundle.sh" "$vectors" "$out" $((total_kib - 4)) "$seed"

table="$out/partition-table.bin"
# Entry 3 (factory) starts at 0x40; its size is the u32 LE at 0x48.
printf '\x00\x00\x7f\x00' | dd of="$table" bs=1 seek=$((0x48)) conv=notrunc status=none
# The MD5 entry: 0xEBEB, 14 bytes 0xFF, then MD5 of the entries before it.
head -c $((0x60)) "$table" | md5sum | cut -c1-32 | xxd -r -p \
    | dd of="$table" bs=1 seek=$((0x70)) conv=notrunc status=none

sha=$(sha256sum "$table" | cut -d' ' -f1)
sed -i -e 's/"size": "keep"/"size": "8MB"/' \
    -e "/partition-table.bin/s/\"sha256\": \"[0-9a-f]*\"/\"sha256\": \"$sha\"/" "$out/manifest.json"
