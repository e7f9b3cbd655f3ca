#!/usr/bin/env bash
# A flood of refused requests against a running jigd, then silence.
#
# jigd logs the first refusal of a kind at once and only counts its repeats
# (db/README.md, "Refusals are counted, not logged one row each"). The count
# must reach station.db once its minute is over, by jigd's own timer: no
# other request, no other write, jigd still running. (Before the timer it
# waited in memory for the next write or for the close, however long that
# took, and a SIGKILL lost it.)
#
# Checked on station.db itself, read beside the running jigd:
#   - right after the flood: the first refusal is on record, the repeats not;
#   - within the minute plus a margin: one audit.repeated row whose count is
#     every other refused request, written no earlier than a minute after
#     the first refusal, and nothing else written;
#   - at SIGTERM nothing is left to add, and the audit log verifies.
# usage: refusal_flood.sh ESPSIM JIGD JIGCTL VECTORS_DIR STUB_DIR
set -uo pipefail
case_name=refusal_flood espsim=$1 jigd=$2 jigctl=$3 vectors=$4 stub_dir=$5

# db/audit_refusals.c counts a kind's repeats for this long from its first
# refusal; the timer puts the count on record then.
WINDOW_S=60
# How long after the window the count may take to appear: the timer's own
# slack is 50 ms, the rest is for a loaded machine.
MARGIN_S=60
# The flood stops after this many requests or this long, whichever is first,
# so it always fits in one window however slow the machine.
FLOOD_REQUESTS=200
FLOOD_MAX_S=30

. "$(dirname "$0")/jigd_rig.sh"

# Read-only, beside the running jigd (WAL): reading is no request to it.
db() { sqlite3 -batch -readonly "$data_dir/station.db" "$@"; }

# On a failure, what the flood left in the audit log too (the rig's fail
# calls this).
fail_extra() {
    echo "--- audit log since the flood ---" >&2
    db "SELECT id, at, action, details FROM audit_events WHERE id > ${before:-0}" >&2 2>/dev/null
}

# One idle slot, manual trigger: nothing on this station writes to its
# database unless asked.
make_bundle bundle1 0 1
start_espsim 1
write_conf 1 manual
start_jigd
before=$(db "SELECT coalesce(max(id), 0) FROM audit_events")

# The flood: abort on an idle slot, refused (409) every time, each refusal
# audited. Only what jigd answered 409 counts.
flood_start=$SECONDS
refused=0 sent=0
while [ "$sent" -lt "$FLOOD_REQUESTS" ] && [ $((SECONDS - flood_start)) -lt "$FLOOD_MAX_S" ]; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
           "http://127.0.0.1:$api_port/api/v1/slots/1/abort")
    sent=$((sent + 1))
    [ "$code" != 409 ] || refused=$((refused + 1))
done
[ "$refused" -ge 10 ] || fail "only $refused of $sent aborts of an idle slot were refused (409)"

# The first refusal is on record at once; its repeats are only counted.
first=$(db "SELECT id FROM audit_events WHERE id > $before AND action = 'slot.abort'
            AND json_extract(details, '$.refused') IS NOT NULL")
[ -n "$first" ] || fail "the first refusal is not in the audit log"
[ "$(db "SELECT count(*) FROM audit_events WHERE id > $before")" = 1 ] \
    || fail "the flood wrote more than its first refusal at once"

# Silence. The count must appear by itself a minute after the first refusal.
summary_written() {
    [ "$(db "SELECT count(*) FROM audit_events WHERE id > $first AND action = 'audit.repeated'")" -ge 1 ]
}
wait_for $((flood_start + WINDOW_S + MARGIN_S - SECONDS)) \
    "the count of $((refused - 1)) repeated refusals in station.db (jigd writes nothing else)" \
    summary_written
kill -0 "$jigd_pid" 2>/dev/null || fail "jigd is gone: the count was not written by a running jigd"

[ "$(db "SELECT count(*) FROM audit_events WHERE id > $before")" = 2 ] \
    || fail "besides the first refusal and its count, something else was written"
summary=$(db "SELECT json_extract(details, '$.repeats') || ' ' || json_extract(details, '$.of')
              || ' ' || actor FROM audit_events WHERE action = 'audit.repeated' AND id > $first")
[ "$summary" = "$((refused - 1)) slot.abort local" ] \
    || fail "the count says '$summary', expected '$((refused - 1)) slot.abort local'"
# Not before the minute was over.
early=$(db "SELECT (julianday(s.at) - julianday(f.at)) * 86400 < $WINDOW_S - 0.1
            FROM audit_events s, audit_events f WHERE f.id = $first AND s.id = $first + 1")
[ "$early" = 0 ] || fail "the count was written before its minute was over"
! grep -q "could not be recorded" "$work/jigd.err" || fail "jigd could not record a refusal"

# A clean stop has nothing left to add; the log is whole.
stop_jigd
[ "$(db "SELECT count(*) FROM audit_events WHERE action = 'audit.repeated'")" = 1 ] \
    || fail "jigd's stop appended another count: it had been held back"
"$jigctl" audit verify --db "$work/station.db" > "$work/verify.out" \
    || fail "the audit log does not verify: $(cat "$work/verify.out")"
echo "ok (refusal_flood): $refused refused requests, 1 row at once, their count" \
     "$((refused - 1)) on record $(db "SELECT printf('%.1f', (julianday(s.at) - julianday(f.at)) * 86400)
        FROM audit_events s, audit_events f WHERE f.id = $first AND s.id = $first + 1") s" \
     "after the first, with no other request"
