#!/usr/bin/env bash
# jigctl token through the real binary, on a station database made by
# unit_db_tool: add prints the token alone on stdout and stores only its
# SHA-256 (the token is nowhere in the database's files), also while a jigd
# holds the station's lock; list shows names and roles and never a hash;
# revoke marks it revoked, a second revoke is refused; a wrong role is a
# usage error naming the four; --help changes nothing; the audit log
# verifies after it all.
# usage: jigctl_token.sh JIGCTL UNIT_DB_TOOL
set -uo pipefail
jigctl=$(realpath "$1") tool=$(realpath "$2")
w=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$w"' EXIT
db=$w/station.db
fail=0
say_fail() { echo "FAIL: $*"; fail=1; }
run() {   # runs jigctl into $w/out and $w/err; its exit in $got
  "$jigctl" "$@" > "$w/out" 2> "$w/err"
  got=$?
}
expect() {   # STATUS WHAT: the last run's exit
  [[ $got == "$1" ]] || { say_fail "$2: exit $got, expected $1"; cat "$w/out" "$w/err"; }
}
files_sum() { cat "$db" "$db-wal" "$db.anchor" 2>/dev/null | sha256sum; }

"$tool" work-order "$db" WO-1 5 || { echo "FAIL: cannot make a database"; exit 1; }

# add: the token alone on stdout, a warning on stderr, its hash in the table.
# flock holds station.db.lock as a running jigd does: add works beside it.
flock -n "$db.lock" "$jigctl" token add mes1 --role mes --db "$db" > "$w/out" 2> "$w/err"
got=$?
expect 0 "token add"
tok=$(cat "$w/out")
[[ $(wc -l < "$w/out") == 1 && $tok =~ ^jigd_[0-9a-f]{64}$ ]] \
  || say_fail "stdout is not one token line: $(cat "$w/out")"
grep -q "shown only this once and is not stored" "$w/err" \
  || say_fail "stderr does not say the token is shown only once: $(cat "$w/err")"
[[ $(wc -l < "$w/err") == 1 ]] || say_fail "stderr is not one line: $(cat "$w/err")"
grep -q "${tok:-no token}" "$w/err" && say_fail "the token is on stderr too"
want=$(printf %s "$tok" | sha256sum | cut -d' ' -f1)
have=$(sqlite3 -readonly "$db" "SELECT hash FROM api_tokens WHERE name = 'mes1'")
[[ $have == "$want" ]] || say_fail "api_tokens.hash is '$have', not the token's sha256 $want"
role=$(sqlite3 -readonly "$db" "SELECT role || ' ' || created_by FROM api_tokens")
[[ $role == "mes jigctl:$(id -un)" ]] || say_fail "role and creator are '$role'"
for f in "$db" "$db-wal" "$db.anchor"; do
  [[ -e $f ]] || continue
  n=$(grep -c -a -F "${tok#jigd_}" "$f")
  [[ $n == 0 ]] || say_fail "the token is in $(basename "$f") ($n lines)"
done
run token add op1 --role operator --db "$db"
expect 0 "a second token"
tok2=$(cat "$w/out")

# list: names and roles, never a hash or a token.
for format in table json; do
  run token list --db "$db" --format "$format"
  expect 0 "token list --format $format"
  grep -qw "mes1" "$w/out" && grep -qw "mes" "$w/out" && grep -qw "op1" "$w/out" \
    && grep -qw "operator" "$w/out" || say_fail "list ($format) lacks a name or role: $(cat "$w/out")"
  grep -q -F -e "$want" -e "${tok#jigd_}" -e "${tok2#jigd_}" "$w/out" \
    && say_fail "list ($format) shows a hash or a token"
  grep -q -E "[0-9a-f]{64}" "$w/out" && say_fail "list ($format) shows 64 hex digits"
done
run token list --db "$db"
head -1 "$w/out" | grep -q "^NAME  *ROLE  *CREATED  *BY  *REVOKED$" \
  || say_fail "the table's titles: $(head -1 "$w/out")"

# revoke, then list says so; a second revoke is refused.
run token revoke mes1 --db "$db"
expect 0 "token revoke"
grep -q "^token mes1 revoked: a running jigd stops accepting it within 2 seconds$" "$w/out" \
  || say_fail "revoke says: $(cat "$w/out" "$w/err")"
run token list --db "$db"
grep -E "^mes1 .* by jigctl:$(id -un)$" "$w/out" | grep -q -E "[0-9]{4}-[0-9]{2}-[0-9]{2}T" \
  || say_fail "list does not show mes1 revoked: $(cat "$w/out")"
grep -E "^op1 " "$w/out" | grep -q -E " -$" || say_fail "op1 is not shown active: $(cat "$w/out")"
[[ $(sqlite3 -readonly "$db" "SELECT count(*) FROM api_tokens WHERE revoked_at IS NOT NULL") == 1 ]] \
  || say_fail "the table does not have one revoked token"
run token revoke mes1 --db "$db"
expect 1 "revoking it again"
grep -q "no active token named mes1 (jigctl token list)" "$w/err" \
  || say_fail "a second revoke says: $(cat "$w/err")"

# A wrong role is a usage error that names the four; nothing is stored.
run token add x --role root --db "$db"
expect 2 "a wrong role"
grep -q "viewer, operator, mes or admin" "$w/err" || say_fail "a wrong role says: $(cat "$w/err")"
[[ -s $w/out ]] && say_fail "a wrong role printed a token"
run token add x --db "$db"
expect 2 "no role"
run token add op1 --role viewer --db "$db"
expect 1 "a name in use"
grep -q "a token named op1 is active already" "$w/err" || say_fail "a taken name says: $(cat "$w/err")"
[[ -s $w/out ]] && say_fail "a taken name printed a token"
run token list --db "$db" --format csv
expect 2 "an unknown format"

# A token that cannot be delivered is not left holding its name.
"$jigctl" token add lost --role mes --db "$db" >&- 2> "$w/err"
got=$?
expect 1 "add with stdout closed"
grep -q "could not write the token to stdout.*it was revoked again" "$w/err" \
  || say_fail "an undelivered token says: $(cat "$w/err")"
[[ $(sqlite3 -readonly "$db" "SELECT count(*) FROM api_tokens WHERE name = 'lost'
     AND revoked_at IS NOT NULL") == 1 ]] || say_fail "the undelivered token is not revoked"
run token add lost --role mes --db "$db"
expect 0 "the name of an undelivered token again"

# --help prints usage and does nothing else: the database is untouched, and
# no file appears where --db points at nothing.
before=$(files_sum)
for cmd in "add mes2 --role mes" "list" "revoke op1"; do
  # shellcheck disable=SC2086
  run token $cmd --db "$db" --help
  expect 0 "token $cmd --help"
  grep -q "^usage: jigctl token ${cmd%% *}" "$w/out" || say_fail "token $cmd --help: $(cat "$w/out")"
  run token $cmd --db "$w/none/station.db" --help
  expect 0 "token $cmd --help on no database"
done
[[ $(files_sum) == "$before" ]] || say_fail "--help changed the database"
[[ -e $w/none ]] && say_fail "--help made $w/none"

# No database: said, and not made (as root it would be a file jigd cannot open).
run token add mes2 --role mes --db "$w/station2.db"
expect 1 "add without a database"
grep -q "no station database at $w/station2.db" "$w/err" || say_fail "no database says: $(cat "$w/err")"
[[ -e $w/station2.db ]] && say_fail "add made a database"
run token list --db "$w/station2.db"
expect 1 "list without a database"

# What was done is on record, and the log is whole.
n=$(sqlite3 -readonly "$db" "SELECT count(*) FROM audit_events WHERE action IN ('token.add',
  'token.revoke') AND actor = 'jigctl:$(id -un)'")
[[ $n == 6 ]] || say_fail "$n token events in the audit log, expected 6"
sqlite3 -readonly "$db" "SELECT details FROM audit_events" | grep -q -F -e "$want" -e "${tok#jigd_}" \
  && say_fail "the audit log holds a hash or a token"
run audit verify --db "$db"
expect 0 "audit verify after the token commands"

[[ $fail == 0 ]] && echo "jigctl token: add prints once and stores the hash, list, revoke, usage, help"
exit $fail
