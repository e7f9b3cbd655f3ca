#!/usr/bin/env bash
# The label of a passing unit ([label] in jigd.conf; docs/label.md): jigd
# and espsim as a station runs them, a loopback listener as the printer.
#
# usage: label_print.sh CASE ESPSIM JIGD VECTORS_DIR STUB_DIR
#
# cases:
#   print           a board passes: its label reaches the listener on a raw
#                   TCP port and holds the unit's serial (as the database has
#                   it), its MAC and the QR command with the serial; the
#                   preview is SVG with the serial; a reprint sends the same
#                   label again and is audited
#   no_printer      nobody listens on the printer's port: the board passes
#                   all the same, the `printer` alarm says the connection was
#                   refused, the slot flashes the next board; once a printer
#                   listens, a reprint gets through and the alarm is over
#   silent_printer  the printer does not answer (its SYN dropped): the alarm
#                   says it did not answer in timeout_ms, the slot went on
#                   without waiting for it
#   folder          folder = ...: <serial>.zpl written there, nothing else;
#                   a template with an unknown placeholder refuses the start
#                   with the template's line and column
set -uo pipefail
case_name=$1 espsim=$2 jigd=$3 vectors=$4 stub_dir=$5
. "$(dirname "$0")/jigd_rig.sh"

printer_port=$((api_port + 2))
port_taken "$printer_port" && fail "the printer's port $printer_port is taken"
labels=$work/printed

start_listener() {    # [--silent]
    rm -f "$labels/listening"
    python3 "$tests_dir/label_listener.py" "$printer_port" "$labels" "$@" \
        2> "$work/listener.err" &
    pids+=($!)
    wait_for 10 "the label listener" test -e "$labels/listening"
}

label_conf() {        # [label] lines...
    make_identity_bundle 64
    start_espsim 1
    identity_conf 1 manual
    { echo "[label]"; printf '%s\n' "$@"; } >> "$work/jigd.conf"
}

pass_once() {         # starts slot 1 and waits for its pass
    start_slots 1
    wait_for 60 "slot 1 to finish" all_done 1
    expect_pass 1 "$work/bundle1"
}

printer_alarm() {     # JQ-FIELD: of the printer alarm
    api GET /api/v1/alarms | jq -r "[.alarms[] | select(.kind == \"printer\")][0] | $1"
}

alarm_active_is() {   # true|false
    [ "$(printer_alarm .active)" = "$1" ]
}

expect_printer_alarm() {   # CAUSE-REGEX
    wait_for 20 "the printer alarm" alarm_active_is true
    printer_alarm .cause | grep -E "$1" > /dev/null \
        || fail "the printer alarm's cause does not match /$1/: $(printer_alarm .cause)"
    printer_alarm .advice | grep -F "POST /api/v1/units/$(slot_field 1 .serial)/label" \
        > /dev/null || fail "the printer alarm does not say how to reprint: $(printer_alarm .advice)"
    [ "$(printer_alarm .slot)" = 0 ] || fail "the printer alarm is not the station's"
}

# The slot goes on: the same board again passes (a rework keeps its serial).
expect_slot_goes_on() {
    pass_once
    [ "$(slot_field 1 .passed)" = 2 ] || fail "slot 1 did not pass a second unit"
}

case "$case_name" in
print)
    label_conf "printer = tcp://127.0.0.1:$printer_port"
    station_key "board_code = optional"
    start_listener
    start_jigd
    # A scanned code with ZPL's command characters: printed, never obeyed.
    api POST /api/v1/board_codes '{"code": "PCB^XZ~1", "slot": 1}' > /dev/null \
        || fail "the scan was refused"
    pass_once
    serial=$(db "SELECT serial FROM units")
    mac=$(slot_field 1 .mac)
    [ -n "$serial" ] && [ "$serial" = "$(slot_field 1 .serial)" ] \
        || fail "the database's serial '$serial' is not the slot's"
    wait_for 20 "the label at the listener" test -e "$labels/label-1.zpl"
    zpl=$(cat "$labels/label-1.zpl")
    grep -F "^FH^FD$serial^FS" <<< "$zpl" > /dev/null || fail "the label lacks serial $serial: $zpl"
    grep -F "^FH^FDMAC $mac^FS" <<< "$zpl" > /dev/null || fail "the label lacks MAC $mac: $zpl"
    grep -F "^BQN,2,6^FH^FDQA,$serial^FS" <<< "$zpl" > /dev/null \
        || fail "the label has no QR code of $serial: $zpl"
    [[ "$zpl" == "^XA"* ]] || fail "the label does not start a ZPL format: $zpl"
    grep -F "PCB_5EXZ_7E1" <<< "$zpl" > /dev/null || fail "the label lacks the board code, escaped: $zpl"
    [ "$(grep -o '\^XZ' <<< "$zpl" | wc -l)" = 1 ] || fail "the board code ended the label early: $zpl"
    [ "$(slot_field 1 .label_serial)" = "$serial" ] || fail "slot 1's label_serial is not $serial"
    svg=$(api GET /api/v1/slots/1/label) || fail "GET /api/v1/slots/1/label failed"
    grep -F ">$serial</text>" <<< "$svg" > /dev/null || fail "the preview lacks $serial: $svg"
    grep -F 'data-modules="' <<< "$svg" > /dev/null || fail "the preview has no QR code"
    ctype=$(curl -s -o /dev/null -w '%{content_type}' "http://127.0.0.1:$api_port/api/v1/slots/1/label")
    [ "$ctype" = image/svg+xml ] || fail "the preview is served as $ctype"
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$api_port/api/v1/slots/9/label")
    [ "$code" = 404 ] || fail "a slot that does not exist gave $code for its label"
    [ "$(printer_alarm .kind)" = null ] || fail "a printer alarm with a printer that took the label"
    grep -F "label of $serial sent to 127.0.0.1:$printer_port" "$work/jigd.err" > /dev/null \
        || fail "jigd's log does not say the label was sent"
    api POST "/api/v1/units/$serial/label" > /dev/null || fail "the reprint was refused"
    wait_for 20 "the reprinted label" test -e "$labels/label-2.zpl"
    cmp -s "$labels/label-1.zpl" "$labels/label-2.zpl" || fail "the reprint differs from the label"
    [ "$(db "SELECT count(*) FROM audit_events WHERE action = 'label.reprint' AND actor = 'local'")" = 1 ] \
        || fail "the reprint is not in the audit log"
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
           "http://127.0.0.1:$api_port/api/v1/units/NO-SUCH/label")
    [ "$code" = 404 ] || fail "a reprint of an unknown serial gave $code"
    stop_jigd
    ;;
no_printer)
    label_conf "printer = tcp://127.0.0.1:$printer_port"
    start_jigd
    pass_once
    expect_printer_alarm "the label printer at 127.0.0.1:$printer_port refused the connection"
    expect_slot_goes_on
    serial=$(slot_field 1 .serial)
    start_listener
    api POST "/api/v1/units/$serial/label" > /dev/null || fail "the reprint was refused"
    wait_for 20 "the reprinted label" test -e "$labels/label-1.zpl"
    grep -F "^FH^FD$serial^FS" "$labels/label-1.zpl" > /dev/null || fail "the reprint lacks $serial"
    wait_for 10 "the printer alarm to be over" alarm_active_is false
    stop_jigd
    ;;
silent_printer)
    label_conf "printer = tcp://127.0.0.1:$printer_port" "timeout_ms = 1000"
    start_listener --silent
    start_jigd
    pass_once
    expect_printer_alarm "the label printer at 127.0.0.1:$printer_port did not answer in 1 s"
    expect_slot_goes_on
    stop_jigd
    ;;
folder)
    mkdir -p "$work/labels"
    label_conf "folder = $work/labels"
    start_jigd
    pass_once
    serial=$(slot_field 1 .serial)
    wait_for 20 "the label file" test -e "$work/labels/$serial.zpl"
    grep -F "^FH^FDQA,$serial^FS" "$work/labels/$serial.zpl" > /dev/null \
        || fail "$serial.zpl has no QR code of $serial"
    [ "$(ls -A "$work/labels")" = "$serial.zpl" ] || fail "the folder holds more: $(ls -A "$work/labels")"
    stop_jigd
    # A template's mistake refuses the start: no board is touched.
    printf '^XA\n^FO20,20^FD{serail}^FS\n^XZ\n' > "$work/label.zpl"
    echo "template = label.zpl" >> "$work/jigd.conf"
    rc=0
    timeout 20 "$jigd" -c "$work/jigd.conf" 2> "$work/jigd.err" || rc=$?
    [ "$rc" = 2 ] || fail "jigd started (status $rc) with an unknown placeholder in its template"
    grep -F "label.zpl:2:12: unknown placeholder {serail}" "$work/jigd.err" > /dev/null \
        || fail "the refusal does not name the template's line and column"
    ;;
*)
    fail "unknown case $case_name"
    ;;
esac
echo "PASS ($case_name)"
