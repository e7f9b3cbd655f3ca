#!/usr/bin/env bash
# The named tokens over the REST API (an admin's): a token made by
# POST /api/v1/tokens works at once and is shown only in that answer;
# GET lists it without any hash; a viewer or operator may not manage
# tokens (403); a revoked token is refused at once (401), and its event
# stream ends; the audit log names the admin token as the actor, and the
# token's text is nowhere in the database or the log.
# usage: tokens_over_api.sh ESPSIM JIGD JIGCTL VECTORS_DIR STUB_DIR
set -uo pipefail
case_name=tokens_over_api espsim=$1 jigd=$2 jigctl=$3 vectors=$4 stub_dir=$5

. "$(dirname "$0")/jigd_rig.sh"

status() {   # TOKEN METHOD PATH [JSON]: the HTTP status only
    local data=()
    [ $# -ge 4 ] && data=(-H 'Content-Type: application/json' -d "$4")
    curl -s -o "$work/answer.json" -w '%{http_code}' -X "$2" -H "Authorization: Bearer $1" \
        "${data[@]}" "http://127.0.0.1:$api_port$3"
}

make_bundle bundle1 0 1
start_espsim 1
write_conf 1 manual
station_key "led_gpio = 2"
start_jigd
# jigctl writes the station's files as jigd does, for its user only,
# whatever the shell's umask.
admin=$(umask 022 && "$jigctl" token add boss --role admin --db "$data_dir/station.db") \
    || fail "jigctl token add"
open=$(find "$data_dir" -maxdepth 1 -name 'station.db*' -perm /077 -printf '%f %m\n')
[ -z "$open" ] || fail "jigctl token add left files others may read: $open"
api_token=$admin
wait_for 10 "jigd to know the admin token" bash -c "[ \"\$(curl -s -H 'Authorization: Bearer $admin' http://127.0.0.1:$api_port/api/v1/whoami | jq -r .actor)\" = boss ]"

code=$(status "$admin" POST /api/v1/tokens '{"name":"line-op","role":"operator"}')
[ "$code" = 201 ] || fail "POST /api/v1/tokens answered $code: $(cat "$work/answer.json")"
op=$(jq -r .token "$work/answer.json")
[[ "$op" =~ ^jigd_[0-9a-f]{64}$ ]] || fail "the answer holds no token: $(cat "$work/answer.json")"
# In force at once: no waiting for the token watch's second.
[ "$(status "$op" GET /api/v1/whoami)" = 200 ] && [ "$(jq -r .actor "$work/answer.json")" = line-op ] \
    || fail "the new token is not taken at once: $(cat "$work/answer.json")"
[ "$(status "$op" POST /api/v1/slots/1/identify '{}')" = 202 ] || fail "the operator may not identify"
code=$(status "$op" GET /api/v1/tokens)
[ "$code" = 403 ] && grep -q "needs role admin" "$work/answer.json" \
    || fail "an operator listed the tokens ($code)"
[ "$(status "$op" POST /api/v1/tokens '{"name":"x","role":"admin"}')" = 403 ] \
    || fail "an operator made a token"

[ "$(status "$admin" GET /api/v1/tokens)" = 200 ] || fail "GET /api/v1/tokens"
jq -e '.tokens | map(.name) | index("line-op") != null' "$work/answer.json" > /dev/null \
    || fail "the list lacks line-op: $(cat "$work/answer.json")"
grep -q '"hash"' "$work/answer.json" && fail "the list shows a hash"
code=$(status "$admin" POST /api/v1/tokens '{"name":"line-op","role":"viewer"}')
[ "$code" = 409 ] || fail "a second active line-op answered $code"
code=$(status "$admin" POST /api/v1/tokens '{"name":"bad name","role":"viewer"}')
[ "$code" = 400 ] || fail "a bad name answered $code"
code=$(status "$admin" POST /api/v1/tokens '{"name":"v1","role":"root"}')
[ "$code" = 400 ] || fail "a bad role answered $code"

# Revoked: refused at once, and its open event stream ends.
curl -sN -H "Authorization: Bearer $op" "http://127.0.0.1:$api_port/api/v1/events" \
    > "$work/stream.out" 2>&1 &
stream=$!
sleep 1
code=$(status "$admin" POST /api/v1/tokens/line-op/revoke '{}')
[ "$code" = 200 ] || fail "revoke answered $code: $(cat "$work/answer.json")"
[ "$(status "$op" GET /api/v1/whoami)" = 401 ] || fail "the revoked token still works"
wait_for 5 "the revoked token's stream to end" bash -c "! kill -0 $stream"
[ "$(status "$admin" POST /api/v1/tokens/line-op/revoke '{}')" = 404 ] \
    || fail "revoking it again was not a 404"

[ "$(db "SELECT count(*) FROM audit_events WHERE actor = 'boss' AND action IN ('token.add', 'token.revoke')")" = 2 ] \
    || fail "the audit log does not name the admin token: $(db "SELECT actor, action, details FROM audit_events ORDER BY id DESC LIMIT 8")"
stop_jigd
db .dump | grep -F "$op" > /dev/null && fail "the token's text is in the database"
grep -qF "$op" "$work/jigd.err" && fail "the token's text is in jigd's log"
exit 0
