#!/usr/bin/env bash
# jigctl nvs generate | dump (text, JSON, --check) through the real jigctl
# binary, on every golden NVS vector, run from the vectors' folder as
# vectors/README.md's commands were.
# usage: jigctl_binary.sh JIGCTL VECTOR_DIR
set -euo pipefail
jigctl=$(realpath "$1") vec=$2
if ! "$jigctl" --help 2>&1 | grep -q "nvs generate"; then
  echo "FAIL: jigctl --help does not list 'nvs generate': the nvs group is not registered" >&2
  exit 1
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$vec"
fail=0
check() {   # golden csv size [--version N]
  local golden=$1 csv=$2 size=$3; shift 3
  "$jigctl" nvs generate "$csv" "$out/$golden" "$size" "$@" >/dev/null
  if ! cmp -s "$out/$golden" "$golden"; then echo "FAIL: $golden differs"; fail=1; fi
  local stem=${golden%.bin}
  if ! "$jigctl" nvs dump "$golden" | cmp -s - "$stem.minimal.txt"; then
    echo "FAIL: nvs dump $golden differs from $stem.minimal.txt"; fail=1; fi
  if ! "$jigctl" nvs dump "$golden" --format json | cmp -s - "$stem.minimal.json"; then
    echo "FAIL: nvs dump --format json $golden differs from $stem.minimal.json"; fail=1; fi
  if ! "$jigctl" nvs dump "$golden" --check >/dev/null; then
    echo "FAIL: nvs dump --check $golden reports a problem"; fail=1; fi
}
check nvs_ints.bin ints.csv 0x3000
check nvs_ints_v1.bin ints.csv 0x3000 --version 1
check nvs_strings.bin strings.csv 0x3000
check nvs_blobs.bin blobs.csv 0x6000
check nvs_blobs_v1.bin blobs_v1.csv 0x3000 --version 1
check nvs_factory_0x3000.bin factory.csv 0x3000
check nvs_factory_0x6000.bin factory.csv 0x6000
check nvs_factory_0x10000.bin factory.csv 0x10000
# A bad row: exit 1, file and line on stderr, no output file.
printf 'key,type,encoding,value\nns,namespace,,\nbig,data,u8,300\n' > "$out/bad.csv"
if "$jigctl" nvs generate "$out/bad.csv" "$out/bad.bin" 0x3000 2>"$out/err"; then
  echo "FAIL: a u8 of 300 was accepted"; fail=1
elif ! grep -q "bad.csv:3:" "$out/err" || [[ -e "$out/bad.bin" ]]; then
  echo "FAIL: refusal without file:line, or an output file left"; fail=1
fi
# A bad CRC: --check exits 1 and names it.
head -c 4096 nvs_ints.bin > "$out/bad_crc.bin"
printf '\x00' | dd of="$out/bad_crc.bin" bs=1 seek=20 conv=notrunc status=none
if "$jigctl" nvs dump "$out/bad_crc.bin" --check >"$out/check" 2>/dev/null; then
  echo "FAIL: nvs dump --check passed a page whose header CRC is wrong"; fail=1
elif ! grep -q "^Page no. 0 Original CRC32: " "$out/check"; then
  echo "FAIL: nvs dump --check did not name the bad page header"; fail=1
fi
[[ $fail == 0 ]] && echo "jigctl nvs: every vector byte-exact, every listing identical"
exit $fail
