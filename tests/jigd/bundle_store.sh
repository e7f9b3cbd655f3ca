#!/usr/bin/env bash
# The MES's bundles and work orders over the API, on a station at work
# (docs/api.md, "Bundles" and "Work orders"): jigd and espsim as a station
# runs them, archives made here with tar and Python's tarfile/zipfile.
#
# usage: bundle_store.sh CASE ESPSIM JIGD VECTORS_DIR STUB_DIR
# env:   JIGCTL
#
# cases:
#   upload        a .tar (one top folder), a .tar.gz and a .zip are stored and
#                 listed, a repeat is "held"; each unsafe member kind (.., an
#                 absolute path, a symlink, a hard link, a device, a FIFO; in
#                 tar and zip) is refused 422 and nothing is written outside
#                 the store, nor left in it; a bundle whose part does not
#                 match its manifest is refused naming the file; too big is
#                 413, another Content-Type 415; a stored bundle activated by
#                 a prefix of its id is flashed, and is still the active one
#                 after a restart; jigctl bundle upload | list | activate; the
#                 same bundle from two clients at once: stored once, held once
#   work_order    a work order with its own bundle and serial format: not
#                 activated while a slot flashes; activated, it loads its
#                 bundle and its units get its serials; it is still the
#                 station's after a restart; its quantity refuses the next
#                 board; jigd.conf's work_order edited afterwards wins; jigctl
#                 work-order create --bundle --serial-format and activate
set -uo pipefail
case_name=$1 espsim=$2 jigd=$3 vectors=$4 stub_dir=$5
. "$(dirname "$0")/jigd_rig.sh"

store=$work/bundles

upload() {          # FILE CONTENT-TYPE OUT: prints the HTTP status
    curl -s -o "$3" -w '%{http_code}' -X POST -H "Content-Type: $2" --data-binary "@$1" \
        "http://127.0.0.1:$api_port/api/v1/bundles"
}

post() {            # PATH OUT [JSON]: prints the HTTP status
    curl -s -o "$2" -w '%{http_code}' -X POST "${json[@]}" -d "${3:-{\}}" \
        "http://127.0.0.1:$api_port$1"
}

manifest_id() { sha256sum "$1/manifest.json" | cut -c1-64; }

active_version() { api GET /api/v1/station | jq -r '.bundle.version // empty'; }
is_active() { [ "$(active_version)" = "$1" ]; }

# The second bundle: other data, version 1.0.2.
make_second_bundle() {
    identity_bundle "$work/two" "$vectors" 64 2 || fail "the second bundle"
    two=$work/two/bundle1
    two_id=$(manifest_id "$two")
}

# A tar or zip from Python's standard library, with members a tar or zip
# tool would not write: KIND NAME... where each NAME is file:PATH,
# dotdot, absolute, symlink, hardlink, chardev, fifo.
hostile() {         # OUT FORMAT MEMBER-KIND
    python3 - "$1" "$2" "$3" "$work/bundle1" "$work" <<'EOF'
import io, os, sys, tarfile, zipfile, stat
out, fmt, kind, bundle, work = sys.argv[1:6]
files = [(n, open(os.path.join(bundle, n), "rb").read()) for n in sorted(os.listdir(bundle))]
escape = {"dotdot": "../../escape-dotdot.txt", "absolute": work + "/escape-absolute.txt"}
if fmt == "tar":
    with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as t:
        for n, data in files:
            ti = tarfile.TarInfo(n); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
        ti = tarfile.TarInfo(escape.get(kind, "extra"))
        if kind in ("dotdot", "absolute"):
            data = b"escaped\n"; ti.size = len(data); t.addfile(ti, io.BytesIO(data)); sys.exit()
        ti.type = {"symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
                   "chardev": tarfile.CHRTYPE, "fifo": tarfile.FIFOTYPE}[kind]
        if kind in ("symlink", "hardlink"):
            ti.linkname = "/etc/passwd" if kind == "symlink" else "manifest.json"
        ti.devmajor, ti.devminor = 1, 3
        t.addfile(ti)
else:
    with zipfile.ZipFile(out, "w") as z:
        for n, data in files:
            z.writestr(n, data)
        if kind in ("dotdot", "absolute"):
            zi = zipfile.ZipInfo("x"); zi.filename = escape[kind]
            z.writestr(zi, b"escaped\n")
        else:
            zi = zipfile.ZipInfo("extra")
            zi.create_system = 3
            zi.external_attr = (stat.S_IFLNK | 0o777) << 16
            z.writestr(zi, b"/etc/passwd")
EOF
}

expect_nothing_escaped() {
    local found
    found=$(find / -xdev -name 'escape-*.txt' -newer "$work/jigd.conf" 2>/dev/null | head -3)
    [ -z "$found" ] || fail "an archive member was written outside the store: $found"
    found=$(find "$store" -mindepth 1 -maxdepth 1 -name '.*')
    [ -z "$found" ] || fail "an upload left $found in the store"
}

case $case_name in
upload)
    make_identity_bundle 64
    make_second_bundle
    start_espsim 1
    identity_conf 1 manual
    station_key "api_max_upload_mb = 1"
    start_jigd
    one_id=$(manifest_id "$work/bundle1")
    [ "$(api GET /api/v1/bundles | jq -c '.bundles')" = "[]" ] || fail "a new store is not empty"
    # A tar of the bundle's folder (as a person makes one): stored whole.
    tar -C "$work/two" -cf "$work/two.tar" bundle1
    code=$(upload "$work/two.tar" application/x-tar "$work/up.json")
    [ "$code" = 200 ] && [ "$(jq -r '.result + " " + .bundle.id' "$work/up.json")" = "stored $two_id" ] \
        || fail "the tar answered $code: $(cat "$work/up.json")"
    held=$(jq -r .bundle.path "$work/up.json")
    [[ "$held" == "$store/"*"-1.0.2-${two_id:0:12}" ]] || fail "stored as $held"
    cmp "$two/data.bin" "$held/data.bin" || fail "the stored data.bin is not the uploaded one"
    # The same bundle gzipped: held already, not stored twice.
    gzip -c "$work/two.tar" > "$work/two.tar.gz"
    code=$(upload "$work/two.tar.gz" application/gzip "$work/up.json")
    [ "$code" = 200 ] && [ "$(jq -r .result "$work/up.json")" = held ] \
        || fail "the repeat answered $code: $(cat "$work/up.json")"
    # A zip with the files at its top, through jigctl.
    (cd "$work/bundle1" && python3 -m zipfile -c "$work/one.zip" ./*) || fail "zip"
    jc() { "$JIGCTL" --url "http://127.0.0.1:$api_port" "$@"; }
    jc bundle upload "$work/one.zip" > "$work/jc.out" || fail "jigctl bundle upload: $(cat "$work/jc.out")"
    grep -q "^stored .*id $one_id" "$work/jc.out" || fail "jigctl bundle upload said: $(cat "$work/jc.out")"
    list=$(api GET /api/v1/bundles)
    [ "$(jq -c '[.bundles[] | [.id, .active]] | sort' <<< "$list")" \
      = "$(jq -nc --arg a "$one_id" --arg b "$two_id" '[[$a, true], [$b, false]] | sort')" ] \
        || fail "the store lists $list"
    jc bundle list | grep -q "^${two_id:0:12} .*1\.0\.2" || fail "jigctl bundle list: $(jc bundle list)"
    # Unsafe archives: refused, nothing written anywhere.
    for fmt in tar zip; do
        for kind in dotdot absolute symlink hardlink chardev fifo; do
            [ "$fmt" = zip ] && [[ "$kind" =~ hardlink|chardev|fifo ]] && continue
            hostile "$work/bad.$fmt" "$fmt" "$kind" || fail "python3 made no $fmt archive"
            code=$(upload "$work/bad.$fmt" application/octet-stream "$work/up.json")
            [ "$code" = 422 ] || fail "a $fmt with a $kind member answered $code: $(cat "$work/up.json")"
            jq -e '.error | length > 0' "$work/up.json" > /dev/null || fail "no reason for the $kind refusal"
        done
    done
    expect_nothing_escaped
    # A bundle whose part is not what its manifest says: named, not stored.
    cp -r "$two" "$work/spoilt" && printf 'X' | dd of="$work/spoilt/data.bin" bs=1 seek=10 conv=notrunc 2> /dev/null
    tar -C "$work/spoilt" -cf "$work/spoilt.tar" .
    code=$(upload "$work/spoilt.tar" application/x-tar "$work/up.json")
    [ "$code" = 422 ] && jq -r .error "$work/up.json" | grep -q "data.bin.*SHA-256" \
        || fail "a spoilt part answered $code: $(cat "$work/up.json")"
    head -c 1100000 /dev/urandom > "$work/big.tar"
    code=$(upload "$work/big.tar" application/x-tar "$work/up.json")
    [ "$code" = 413 ] || fail "an upload over api_max_upload_mb answered $code"
    code=$(upload "$work/two.tar" text/plain "$work/up.json")
    [ "$code" = 415 ] || fail "an upload as text/plain answered $code"
    [ "$(find "$store" -mindepth 1 -maxdepth 1 | wc -l)" = 2 ] || fail "the store holds $(ls -A "$store")"
    expect_nothing_escaped
    # Activated by a prefix of its id: the slots flash it, across a restart.
    code=$(post "/api/v1/bundles/${two_id:0:10}/activate" "$work/act.json")
    [ "$code" = 202 ] || fail "activating answered $code: $(cat "$work/act.json")"
    wait_for 30 "the stored bundle to be active" is_active 1.0.2
    code=$(post "/api/v1/bundles/00000000/activate" "$work/act.json")
    [ "$code" = 404 ] || fail "activating an unknown bundle answered $code"
    uploads=$(db "SELECT json_extract(details, '$.detail') FROM audit_events WHERE action = 'bundle.upload' AND actor = 'local' AND json_extract(details, '$.detail') LIKE 'jigd-test %' ORDER BY id")
    [ "$(wc -l <<< "$uploads")" = 3 ] && grep -q "held already" <<< "$uploads" \
        || fail "the uploads are not all in the audit log: $uploads / $(db "SELECT action, details FROM audit_events")"
    stop_jigd
    start_jigd
    wait_for 30 "the stored bundle after a restart" is_active 1.0.2
    start_slots 1
    wait_for 60 "slot 1" all_done 1
    expect_pass 1 "$two"
    jc bundle activate "${one_id:0:12}" | grep -q "activating bundle" || fail "jigctl bundle activate"
    wait_for 30 "the first bundle again" is_active 1.0.1
    # The same new bundle from two clients at once: one stores it, the
    # other finds it held (whichever of the two checks sees the other's).
    identity_bundle "$work/three" "$vectors" 16 3 || fail "the third bundle"
    tar -C "$work/three/bundle1" -cf "$work/three.tar" .
    upload "$work/three.tar" application/x-tar "$work/up1.json" > "$work/code1" &
    upload "$work/three.tar" application/x-tar "$work/up2.json" > "$work/code2"
    wait $!
    [ "$(cat "$work/code1") $(cat "$work/code2")" = "200 200" ] \
        || fail "two uploads at once answered $(cat "$work/code1" "$work/code2"): $(cat "$work/up1.json" "$work/up2.json")"
    [ "$(jq -r .result "$work/up1.json" "$work/up2.json" | sort | tr '\n' ' ')" = "held stored " ] \
        || fail "two uploads at once: $(cat "$work/up1.json" "$work/up2.json")"
    [ "$(find "$store" -mindepth 1 -maxdepth 1 | wc -l)" = 3 ] || fail "the store holds $(ls -A "$store")"
    stop_jigd
    ;;
work_order)
    make_identity_bundle 64
    make_second_bundle
    start_espsim 4
    identity_conf 4 manual
    start_jigd
    tar -C "$two" -cf "$work/two.tar" .
    [ "$(upload "$work/two.tar" application/x-tar "$work/up.json")" = 200 ] || fail "upload"
    code=$(post /api/v1/work-orders "$work/wo.json" \
        "{\"id\":\"WO-A\",\"quantity\":2,\"bundle\":\"${two_id:0:12}\",\"serial_format\":\"ACME-{seq:04}\"}")
    [ "$code" = 201 ] && [ "$(jq -c '[.bundle, .serial_format, .active]' "$work/wo.json")" \
                           = "[\"$two_id\",\"ACME-{seq:04}\",false]" ] \
        || fail "creating WO-A answered $code: $(cat "$work/wo.json")"
    code=$(post /api/v1/work-orders "$work/wo.json" '{"id":"WO-X","quantity":2,"bundle":"0123456789ab"}')
    [ "$code" = 422 ] || fail "a work order with a bundle the store lacks answered $code"
    code=$(post /api/v1/work-orders "$work/wo.json" '{"id":"WO-X","quantity":2,"serial_format":"NO-SEQ"}')
    [ "$code" = 400 ] && jq -r .error "$work/wo.json" | grep -q seq \
        || fail "a serial format without {seq} answered $code: $(cat "$work/wo.json")"
    # Not while a board is under way.
    start_slots 1
    wait_for 10 "slot 1 to run" bash -c "[ \"\$(curl -sf http://127.0.0.1:$api_port/api/v1/slots/1 | jq -r .state)\" = running ]"
    code=$(post /api/v1/work-orders/WO-A/activate "$work/act.json")
    [ "$code" = 409 ] && jq -r .error "$work/act.json" | grep -q "slot 1 is flashing" \
        || fail "activating mid-board answered $code: $(cat "$work/act.json")"
    wait_for 60 "slot 1" all_done 1
    expect_pass 1 "$work/bundle1"
    [[ "$(slot_field 1 .serial)" == T-* ]] || fail "slot 1's unit got $(slot_field 1 .serial)"
    # Between boards: its bundle is loaded and its serials begin.
    code=$(post /api/v1/work-orders/WO-A/activate "$work/act.json")
    [ "$code" = 200 ] && [ "$(jq -r .active "$work/act.json")" = true ] \
        || fail "activating WO-A answered $code: $(cat "$work/act.json")"
    wait_for 30 "WO-A's bundle" is_active 1.0.2
    [ "$(db "SELECT actor FROM audit_events WHERE action = 'work_order.activate' AND json_extract(details, '$.work_order') = 'WO-A'")" = local ] \
        || fail "the activation is not in the audit log: $(db "SELECT actor, action, details FROM audit_events WHERE action LIKE 'work_order%'")"
    start_slots 2
    wait_for 60 "slot 2" all_done 2
    expect_pass 2 "$two"
    [ "$(slot_field 2 .serial)" = ACME-0001 ] || fail "WO-A's first unit is $(slot_field 2 .serial)"
    # A restart goes on with WO-A.
    stop_jigd
    start_jigd
    grep -q "work order WO-A: activated over the API by local" "$work/jigd.err" \
        || fail "the log does not say WO-A was activated over the API"
    [ "$(api GET /api/v1/work-orders/WO-A | jq -r .active)" = true ] || fail "WO-A is not active after a restart"
    wait_for 30 "WO-A's bundle after a restart" is_active 1.0.2
    start_slots 3
    wait_for 60 "slot 3" all_done 3
    [ "$(slot_field 3 .serial)" = ACME-0002 ] || fail "WO-A's second unit is $(slot_field 3 .serial)"
    [ "$(db "SELECT count(*) FROM attempts WHERE work_order = 'WO-A' AND result = 'ok'")" = 2 ] \
        || fail "the attempts do not count against WO-A"
    # Full: the next new board is refused, and so is activating it again.
    start_slots 4
    wait_for 60 "slot 4 beyond the quantity" all_done 4
    expect_fail 4 identify "WO-A has all 2 of its serials"
    expect_untouched 4
    code=$(post /api/v1/work-orders/WO-A/activate "$work/act.json")
    [ "$code" = 409 ] && jq -r .error "$work/act.json" | grep -q "all 2 of its serials" \
        || fail "activating a full work order answered $code: $(cat "$work/act.json")"
    # An engineer edits jigd.conf's work_order afterwards: it wins.
    [ "$(post /api/v1/work-orders "$work/wo.json" '{"id":"WO-B","quantity":5}')" = 201 ] || fail "WO-B"
    stop_jigd
    sed -i 's/^\[unit\]$/[unit]\nwork_order = WO-B/' "$work/jigd.conf"
    start_jigd
    grep -q "jigd.conf's work_order changed (from '' to 'WO-B') after local activated WO-A" "$work/jigd.err" \
        || fail "the log does not say jigd.conf's work_order won"
    [ "$(api GET /api/v1/work-orders/WO-B | jq -r .active)" = true ] || fail "WO-B is not active"
    jc() { "$JIGCTL" --url "http://127.0.0.1:$api_port" "$@"; }
    jc work-order create WO-C --quantity 3 --bundle "${two_id:0:10}" --serial-format 'C-{seq:03}' \
        > "$work/jc.out" || fail "jigctl work-order create --bundle: $(cat "$work/jc.out")"
    [ "$(api GET /api/v1/work-orders/WO-C | jq -c '[.bundle, .serial_format]')" = "[\"$two_id\",\"C-{seq:03}\"]" ] \
        || fail "WO-C from jigctl: $(api GET /api/v1/work-orders/WO-C)"
    jc work-order activate WO-A 2> "$work/jc.err" && fail "jigctl activated a full work order"
    grep -q "all 2 of its serials" "$work/jc.err" || fail "jigctl does not say why: $(cat "$work/jc.err")"
    stop_jigd
    ;;
*)
    fail "unknown case $case_name"
    ;;
esac
echo "ok: $case_name"
