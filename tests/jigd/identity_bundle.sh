# The identity plumbing that a script running jigd with the full identity
# pipeline (serials, keys, certificates, per-unit NVS, esp_secure_cert)
# needs: a bundle whose partition table has room for the per-unit
# partitions, the per-unit NVS template, and the [identity] / [unit] lines
# of jigd.conf. Source it; nothing here runs on its own.
#
# Used by bench/soak.sh and tests/jigd/jigd_rig.sh (so the jigd tests, the
# fault matrix and the soak agree on what "a unit with an identity" means).
#
#   identity_bundle WORK VECTORS [DATA_KIB [SEED]]
#       WORK/bundle1: tests/jigd/make_bundle.sh's ESP32 bundle (DATA_KIB of
#       seeded random data at 0x20000, default none) with the partition
#       table below; WORK/unit.csv: the per-unit NVS template. Returns
#       non-zero (and says why on stderr) if a step fails.
#   identity_partition_table OUT
#       the table alone: nvs 0x9000 (16 KiB), esp_secure_cert 0xd000
#       (8 KiB), phy_init 0xf000, factory app 0x10000 (1 MB)
#   identity_conf_lines [UNIT_LINES [IDENTITY_LINES]]
#       the [identity] and [unit] sections on stdout, to append to a
#       jigd.conf kept in WORK (nvs_template is found beside the config).
#       Extra lines may hold \n; IDENTITY_LINES defaults to
#       "key_pool_size = 4".

# Where make_bundle.sh is, whoever sources this and from wherever.
identity_bundle_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# An ESP-IDF partition table in its binary form: one 32-byte entry per
# partition (magic AA 50, type, subtype, offset and size little-endian, a
# 16-byte label, flags), then the MD5 entry (EB EB, 14 bytes FF, the MD5 of
# the entries), then 0xFF to the table's 3 KiB. jigd finds the per-unit
# partitions by their labels and types here, as the firmware will.
identity_partition_table() {   # OUT
    local out=$1
    _it_le32() {
        printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) \
                  $((($1 >> 16) & 255)) $((($1 >> 24) & 255)))"
    }
    _it_entry() {              # TYPE SUBTYPE OFFSET SIZE LABEL
        printf '\xaa\x50'
        printf "$(printf '\\x%02x\\x%02x' "$1" "$2")"
        _it_le32 "$3"
        _it_le32 "$4"
        printf '%s' "$5"
        head -c $((16 - ${#5})) /dev/zero
        _it_le32 0
    }
    {
        _it_entry 1 2 $((0x9000)) $((0x4000)) nvs              # data, nvs
        _it_entry $((0x3f)) 0 $((0xd000)) $((0x2000)) esp_secure_cert
        _it_entry 1 1 $((0xf000)) $((0x1000)) phy_init         # data, phy
        _it_entry 0 0 $((0x10000)) $((0x100000)) factory       # app, factory
    } > "$out.entries" || return 1
    {
        cat "$out.entries"
        printf '\xeb\xeb'
        head -c 14 /dev/zero | tr '\0' '\377'
        md5sum "$out.entries" | cut -c1-32 | xxd -r -p
    } > "$out" || return 1
    rm -f "$out.entries"
    head -c $((3072 - $(stat -c %s "$out"))) /dev/zero | tr '\0' '\377' >> "$out"
}

identity_bundle() {            # WORK VECTORS [DATA_KIB [SEED]]
    local work=$1 vectors=$2 kib=${3:-0} seed=${4:-1}
    local bundle="$work/bundle1" sha
    bash "$identity_bundle_dir/make_bundle.sh" "$vectors" "$bundle" "$kib" "$seed" \
        || { echo "identity_bundle: make_bundle.sh failed" >&2; return 1; }
    identity_partition_table "$bundle/partition-table.bin" \
        || { echo "identity_bundle: cannot write the partition table" >&2; return 1; }
    # The manifest names every part's SHA-256: the table changed, so must it.
    sha=$(sha256sum "$bundle/partition-table.bin" | cut -d' ' -f1)
    jq --arg s "$sha" '(.parts[] | select(.file == "partition-table.bin") | .sha256) = $s' \
        "$bundle/manifest.json" > "$bundle/manifest.json.new" \
        && mv "$bundle/manifest.json.new" "$bundle/manifest.json" \
        || { echo "identity_bundle: cannot update the manifest" >&2; return 1; }
    # Everything a unit is given that a test or an operator would look for
    # on the board: its serial and MAC, its certificate and key, and the
    # station that made it (docs/nvs.md has the placeholders).
    cat > "$work/unit.csv" <<'CSV'
#@ nvs_partition = nvs
key,type,encoding,value
factory,namespace,,
serial,data,string,{serial}
mac,data,string,{mac}
cert,data,string,{cert_pem}
key,data,string,{key_pem}
station,data,string,{station}
CSV
}

identity_conf_lines() {        # [UNIT_LINES [IDENTITY_LINES]]
    # Five digits of serial: room for 99,999 units, the soak's 10,000 too.
    printf '[identity]\norganization = Jig Test\n%b\n' "${2:-key_pool_size = 4}"
    printf '[unit]\nserial_format = T-{seq:05}\nnvs_template = unit.csv\nsecure_cert = yes\n%b\n' "${1:-}"
}
