#!/usr/bin/env bash
# jigctl token adding and revoking tokens while jigd flashes eight boards:
# two processes appending to one audit log, each anchoring its own rows
# (db/README.md, "Two writers, one anchor").
#
# Checked on station.db once jigd has stopped:
#   - every token command succeeded, and each is in the log once (the
#     rig's own requests carry an admin token made first: with tokens,
#     jigd asks every request for one);
#   - the boards all passed: jigd was never held up for long;
#   - no audit.anchor event: neither writer took the other's rows for rows
#     appended behind its back, however their commits and anchors fell;
#   - jigctl audit verify: the log is whole and ends where the anchor says;
#   - a second start of jigd still finds its anchor current.
# usage: tokens_beside_jigd.sh ESPSIM JIGD JIGCTL VECTORS_DIR STUB_DIR
set -uo pipefail
case_name=tokens_beside_jigd espsim=$1 jigd=$2 jigctl=$3 vectors=$4 stub_dir=$5

# Rounds of eight boards, and token commands run during each.
ROUNDS=2
TOKENS_PER_ROUND=12

. "$(dirname "$0")/jigd_rig.sh"

# Adds and revokes tokens, one command at a time, as fast as they go.
token_churn() {   # ROUND
    local i name
    for i in $(seq 1 "$TOKENS_PER_ROUND"); do
        name=r$1-t$i
        "$jigctl" token add "$name" --role viewer --db "$data_dir/station.db" > /dev/null \
            2>> "$work/token.err" || { echo "add $name failed" >> "$work/token.err"; return 1; }
        "$jigctl" token revoke "$name" --db "$data_dir/station.db" > /dev/null \
            2>> "$work/token.err" || { echo "revoke $name failed" >> "$work/token.err"; return 1; }
    done
}

make_bundle bundle1 128 1
start_espsim 8
write_conf 8 manual
start_jigd
# Once the station has a token, jigd asks every request for one (within a
# second of the first add): the rig's own requests carry an admin token,
# made before the churn so that it is in every set jigd reads.
api_token=$("$jigctl" token add rig --role admin --db "$data_dir/station.db") \
    || fail "cannot add the rig's token"
wait_for 10 "jigd to require a token" bash -c \
    "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$api_port/api/v1/station)\" = 401 ]"
api GET /api/v1/station > /dev/null || fail "jigd refuses the rig's admin token"
for round in $(seq 1 "$ROUNDS"); do
    token_churn "$round" &
    churn=$!
    start_slots $eight
    wait_for 90 "round $round's eight boards to finish" all_done $eight
    wait "$churn" || fail "a token command failed: $(cat "$work/token.err")"
    for i in $eight; do
        [ "$(slot_field "$i" .last_result)" = pass ] \
            || fail "round $round: slot $i did not pass: $(slot_field "$i" .error)"
    done
done
stop_jigd

events=$(db "SELECT count(*) FROM audit_events WHERE action IN ('token.add', 'token.revoke')")
[ "$events" = $((ROUNDS * TOKENS_PER_ROUND * 2 + 1)) ] \
    || fail "$events token events in the log, expected $((ROUNDS * TOKENS_PER_ROUND * 2 + 1))"
findings=$(db "SELECT id || ' ' || details FROM audit_events WHERE action = 'audit.anchor'")
[ -z "$findings" ] || fail "a writer found the log's end not where its anchor was: $findings"
"$jigctl" audit verify --db "$data_dir/station.db" > "$work/verify.out" \
    || fail "the audit log does not verify: $(cat "$work/verify.out")"

# jigd's next start finds the anchor the last writer left.
start_jigd
stop_jigd
findings=$(db "SELECT count(*) FROM audit_events WHERE action = 'audit.anchor'")
[ "$findings" = 0 ] || fail "jigd's restart found the anchor behind"
"$jigctl" audit verify --db "$data_dir/station.db" > "$work/verify.out" \
    || fail "after a restart, the audit log does not verify: $(cat "$work/verify.out")"
echo "ok ($case_name): $ROUNDS rounds of 8 boards, $events token events beside them," \
     "one log, no anchor finding"
