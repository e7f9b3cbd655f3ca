#!/usr/bin/env bash
# jigctl audit verify's exit status through the real binary, as a script that
# watches a station would see it: 0 intact, 4 the log was tampered with,
# 1 nothing to check (no database, not a database), 2 a wrong command line;
# and `jigctl audit --help` says which.
# usage: jigctl_audit_exit.sh JIGCTL UNIT_DB_TOOL
set -uo pipefail
jigctl=$(realpath "$1") tool=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
expect() {   # STATUS WHAT COMMAND...
  local want=$1 what=$2; shift 2
  "$@" > "$work/out" 2> "$work/err"
  local got=$?
  if [[ $got != "$want" ]]; then
    echo "FAIL: $what: exit $got, expected $want"; cat "$work/out" "$work/err"; fail=1
  fi
}
"$tool" work-order "$work/station.db" WO-1 5 || { echo "FAIL: cannot make a database"; exit 1; }
expect 0 "an intact log" "$jigctl" audit verify --db "$work/station.db"
expect 1 "a missing database" "$jigctl" audit verify --db "$work/missing.db"
printf 'not a database, only text that is long enough to have a header\n' > "$work/junk.db"
expect 1 "a file that is not a database" "$jigctl" audit verify --db "$work/junk.db"
expect 2 "an unknown option" "$jigctl" audit verify --db "$work/station.db" --frobnicate
# The last event deleted with its sqlite_sequence entry, the guard trigger
# put back word for word: the chain left is whole, only the anchor file
# knows it was longer.
guard=$(sqlite3 -batch "$work/station.db" \
  "SELECT sql FROM sqlite_schema WHERE name = 'audit_events_no_delete'")
sqlite3 -batch "$work/station.db" "DROP TRIGGER audit_events_no_delete;
  DELETE FROM audit_events WHERE id = (SELECT max(id) FROM audit_events);
  UPDATE sqlite_sequence SET seq = seq - 1 WHERE name = 'audit_events';
  $guard;" \
  || { echo "FAIL: cannot edit the database"; exit 1; }
expect 4 "a log cut short" "$jigctl" audit verify --db "$work/station.db"
grep -q "deleted from the end of the log" "$work/out" \
  || { echo "FAIL: the cut is not named:"; cat "$work/out"; fail=1; }
"$jigctl" audit --help | grep "audit verify" | grep -q "exit 4 if tampered with, 1 if no database" \
  || { echo "FAIL: jigctl audit --help does not give verify's exit codes"; fail=1; }
"$jigctl" audit verify --help | grep -q "^exit status: 0 intact; 4 the log was tampered with" \
  || { echo "FAIL: jigctl audit verify --help does not give its exit codes"; fail=1; }
[[ $fail == 0 ]] && echo "jigctl audit verify: 0 intact, 4 tampered, 1 no database, 2 usage"
exit $fail
