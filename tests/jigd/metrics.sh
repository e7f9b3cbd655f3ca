#!/usr/bin/env bash
# GET /metrics on a station at work (docs/api.md, "Metrics"): four boards,
# board 3 with a reset circuit that does nothing (espsim strap=broken, so
# it fails at connect), a [webhook] receiver that is not there (its backlog
# grows), one event stream open. The scrape is read by promtool, Prometheus'
# own parser and linter, which must have nothing to say; then every counter
# is held to what the station database recorded (attempts by slot and
# result, failures by phase, bytes written, phase rows and their
# durations, the webhook outbox) and every gauge to what the API says
# (slot states, baud rates, the shift's units, event streams). A viewer's
# token reads it once the station has tokens, none is refused 401 (and
# counted); after a restart the process counters start again at 0 while
# the database's figures stay.
#
# usage: metrics.sh ESPSIM JIGD JIGCTL VECTORS_DIR STUB_DIR
set -uo pipefail
case_name=metrics espsim=$1 jigd=$2 jigctl=$3 vectors=$4 stub_dir=$5

. "$(dirname "$0")/jigd_rig.sh"

command -v promtool > /dev/null \
    || fail "promtool is missing: it comes with Debian's prometheus package (deploy/setup.sh installs it)"

# GET /metrics into FILE (with TOKEN if given), its type checked, and
# promtool's parse and lint passed without a remark.
scrape() {         # FILE [TOKEN]
    local out=$1 auth=()
    [ -z "${2:-}" ] || auth=(-H "Authorization: Bearer $2")
    curl -sf "${auth[@]}" -D "$out.head" -o "$out" "http://127.0.0.1:$api_port/metrics" \
        || fail "GET /metrics failed"
    tr -d '\r' < "$out.head" | grep -ix 'Content-Type: text/plain; version=0.0.4; charset=utf-8' > /dev/null \
        || fail "GET /metrics has the wrong type: $(grep -i content-type "$out.head")"
    promtool check metrics < "$out" > "$out.lint" 2>&1 || fail "promtool refused the scrape: $(cat "$out.lint")"
    [ ! -s "$out.lint" ] || fail "promtool has remarks on the scrape: $(cat "$out.lint")"
}

# The value of one series, spelled as jigd writes it: name{label="v",...}.
value() {          # FILE SERIES
    awk -v k="$2" '$1 == k { print $2; found = 1 } END { exit !found }' "$1"
}

expect_value() {   # FILE SERIES WANT WHO-SAYS-SO
    local got
    got=$(value "$1" "$2") || fail "the scrape has no series $2"
    [ "$got" = "$3" ] || fail "$2 is $got; $4 says $3"
}

# Every series of a family, one per line as "labels value" (labels as
# written, without the braces), for the loops below.
series() {         # FILE NAME
    sed -n "s/^$2{\(.*\)} \(.*\)\$/\1 \2/p" "$1"
}

label() {          # LABELS NAME: one label's value
    sed -n "s/.*\b$2=\"\([^\"]*\)\".*/\1/p" <<< "$1"
}

# ---- a station at work -------------------------------------------------------

make_bundle bundle1 64 1
start_espsim 4 --board 3:strap=broken
write_conf 4 manual
head -c 32 /dev/urandom | base64 > "$work/hook.secret"
chmod 600 "$work/hook.secret"
# Nothing listens there: every delivery fails and stays owed.
printf '[webhook mes]\nurl = http://127.0.0.1:%s/hook\nsecret_file = %s\nevents = all\n' \
    "$((api_port + 2))" "$work/hook.secret" >> "$work/jigd.conf"
start_jigd
curl -sN "http://127.0.0.1:$api_port/api/v1/events" > "$work/events.sse" &
pids+=($!)
start_slots 1 2 3 4
wait_for 60 "all four slots to finish" all_done 1 2 3 4
for i in 1 2 4; do expect_pass "$i" "$work/bundle1"; done
expect_fail 3 connect "."
for _ in 1 2 3; do
    curl -s -o /dev/null "http://127.0.0.1:$api_port/api/v1/no/such/thing"
done
scrape "$work/m1"

# ---- counters against the station database -----------------------------------

n=0
while read -r labels v; do
    slot=$(label "$labels" slot) result=$(label "$labels" result)
    want=$(db "SELECT count(*) FROM attempts WHERE slot = $slot AND result = '$result'")
    [ "$v" = "$want" ] || fail "jigd_attempts_total{$labels} is $v; station.db has $want"
    n=$((n + 1))
done < <(series "$work/m1" jigd_attempts_total)
[ "$n" = 12 ] || fail "jigd_attempts_total has $n series, not 4 slots x 3 results"
expect_value "$work/m1" 'jigd_attempts_total{slot="3",result="failed"}' 1 "slot 3's failure"
[ "$(db "SELECT count(*) FROM attempts")" = 4 ] || fail "station.db does not hold 4 attempts"

while read -r labels v; do
    phase=$(label "$labels" phase)
    want=$(db "SELECT count(*) FROM attempts WHERE result = 'failed' AND failed_phase = '$phase'")
    [ "$v" = "$want" ] || fail "jigd_attempt_failures_total{$labels} is $v; station.db has $want"
done < <(series "$work/m1" jigd_attempt_failures_total)
expect_value "$work/m1" 'jigd_attempt_failures_total{phase="connect"}' 1 "slot 3's failure"

for i in 1 2 3 4; do
    expect_value "$work/m1" "jigd_bytes_written_total{slot=\"$i\"}" \
        "$(db "SELECT coalesce(sum(bytes_written), 0) FROM attempts WHERE slot = $i")" "station.db"
done
[ "$(value "$work/m1" 'jigd_bytes_written_total{slot="1"}')" -gt 65536 ] \
    || fail "slot 1 wrote less than its bundle's data part"

# Each phase row is one observation: the count and the seconds summed.
phases=0
while read -r labels v; do
    phase=$(label "$labels" phase)
    want=$(db "SELECT count(*) FROM attempt_phases WHERE phase = '$phase'")
    [ "$v" = "$want" ] || fail "jigd_phase_duration_seconds_count{$labels} is $v; station.db has $want rows"
    sum=$(value "$work/m1" "jigd_phase_duration_seconds_sum{$labels}") || fail "no _sum for $phase"
    ms=$(db "SELECT coalesce(sum(duration_ms), 0) FROM attempt_phases WHERE phase = '$phase'")
    awk -v s="$sum" -v ms="$ms" 'BEGIN { d = s - ms / 1000; exit !(d < 0.0005 && d > -0.0005) }' \
        || fail "jigd_phase_duration_seconds_sum{$labels} is $sum s; station.db has $ms ms"
    inf=$(value "$work/m1" "jigd_phase_duration_seconds_bucket{$labels,le=\"+Inf\"}")
    [ "$inf" = "$v" ] || fail "phase $phase: the +Inf bucket ($inf) is not the count ($v)"
    [ "$v" = 0 ] || phases=$((phases + 1))
done < <(series "$work/m1" jigd_phase_duration_seconds_count)
[ "$phases" -ge 8 ] || fail "only $phases phases observed; a flashed board has connect to boot-log"

expect_value "$work/m1" 'jigd_webhook_backlog{receiver="mes"}' \
    "$(db "SELECT count(*) FROM webhook_outbox WHERE receiver = 'mes' AND delivered_at IS NULL")" \
    "station.db's outbox"
[ "$(value "$work/m1" 'jigd_webhook_backlog{receiver="mes"}')" -ge 4 ] \
    || fail "the four results are not owed to the receiver that is not there"

full=$(value "$work/m1" 'jigd_db_commit_seconds_count{sync="full"}') || fail "no commit latency"
[ "$full" -ge 8 ] || fail "only $full durable commits timed for four attempts"
expect_value "$work/m1" 'jigd_db_commit_seconds_bucket{sync="full",le="+Inf"}' "$full" "its count"

# ---- gauges against the API -------------------------------------------------

for i in 1 2 3 4; do
    state=$(slot_field "$i" .state)
    ones=$(series "$work/m1" jigd_slot_state | awk -v s="slot=\"$i\"" 'index($1, s) == 1 && $2 == 1' | wc -l)
    [ "$ones" = 1 ] || fail "slot $i is in $ones states at once"
    expect_value "$work/m1" "jigd_slot_state{slot=\"$i\",state=\"$state\"}" 1 "GET /api/v1/slots/$i"
    expect_value "$work/m1" "jigd_slot_baud{slot=\"$i\"}" "$(slot_field "$i" .baud)" \
        "GET /api/v1/slots/$i"
done
[ "$(value "$work/m1" 'jigd_slot_baud{slot="1"}')" = 921600 ] || fail "slot 1 did not climb to 921600"
expect_value "$work/m1" jigd_shift_units "$(api GET /api/v1/station | jq .production.shift.units)" \
    "GET /api/v1/station"
expect_value "$work/m1" jigd_shift_first_pass_units 3 "three boards passing first time"
expect_value "$work/m1" jigd_sse_clients 1 "the one curl -N"
size=$(value "$work/m1" jigd_key_pool_size) && ready=$(value "$work/m1" jigd_key_pool_keys) \
    || fail "no key pool gauges"
[ "$size" -gt 0 ] && [ "$ready" -le "$size" ] || fail "the key pool holds $ready of $size"

# Requests by route pattern, never by the path as sent.
expect_value "$work/m1" 'jigd_http_requests_total{method="POST",route="/api/v1/slots/{slot}/start",code="202"}' \
    4 "the four starts"
expect_value "$work/m1" 'jigd_http_requests_total{method="GET",route="unmatched",code="404"}' 3 \
    "the three requests for no endpoint"
grep -q 'no/such' "$work/m1" && fail "a path as sent became a label"

# ---- a viewer's token, then a restart ----------------------------------------

# (umask: jigctl rewrites station.db.anchor, which only jigd's user may read.)
token=$(umask 077 && "$jigctl" token add prometheus --role viewer --db "$data_dir/station.db") \
    || fail "jigctl token add"
refused() {
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$api_port/metrics")" = 401 ]
}
wait_for 10 "jigd to ask for a token" refused
scrape "$work/m2" "$token"
value "$work/m2" 'jigd_http_requests_total{method="GET",route="/metrics",code="401"}' > /dev/null \
    || fail "the refused scrape is not counted under its route"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer jigd_wrong' \
      "http://127.0.0.1:$api_port/metrics")" = 401 ] || fail "a wrong token read the metrics"

api_token=$token
shift_units=$(value "$work/m1" jigd_shift_units)
stop_jigd
start_jigd
scrape "$work/m3" "$token"
while read -r labels v; do
    [ "$v" = 0 ] || fail "after a restart jigd_attempts_total{$labels} is $v, not 0"
done < <(series "$work/m3" jigd_attempts_total)
expect_value "$work/m3" jigd_shift_units "$shift_units" "the scrape before the restart (station.db)"
expect_value "$work/m3" 'jigd_webhook_backlog{receiver="mes"}' \
    "$(db "SELECT count(*) FROM webhook_outbox WHERE receiver = 'mes' AND delivered_at IS NULL")" \
    "station.db's outbox"
stop_jigd
echo "ok ($case_name)"
