# Guest-side helpers for the VM tests that run jigd (sourced by the guest
# script from /guest_jigd.sh; busybox sh, no jq). jigd listens on
# 127.0.0.1:8080 and reads /jigd.conf.
#
#   jigd_start                 starts jigd; its stderr goes to /tmp/jigd.err
#   slot N                     slot N's JSON from the REST API, on one line
#   field N KEY                one scalar of it (the first KEY in the JSON)
#   show N                     prints slot N's JSON
#   until_field N KEY V SECS   waits until KEY is V; exits 11 if it is not
#   expect N KEY V             exits 12 unless KEY is V now
#   jigd_stop                  SIGTERM; exits 13 unless jigd ends with 0 and
#                              the sanitizers said nothing

jigd_start() {
    ip link set lo up
    mkdir -p /tmp/jigd
    jigd -c /jigd.conf 2> /tmp/jigd.err &
    jigd_pid=$!
}

slot() { wget -q -O - "http://127.0.0.1:8080/api/v1/slots/$1" 2>/dev/null | tr -d '\n\t'; }
field() { slot "$1" | grep -o "\"$2\": *[^,}]*" | head -n 1 | cut -d: -f2- | tr -d '" '; }
show() { echo "guest: slot $1: $(slot "$1")"; }

until_field() {
    i=0
    while [ "$(field "$1" "$2")" != "$3" ]; do
        i=$((i + 1))
        if [ $i -gt $(($4 * 10)) ] || ! kill -0 $jigd_pid 2>/dev/null; then
            echo "guest: slot $1 $2 is '$(field "$1" "$2")', not '$3' after $4 s"
            show 1; show 2; tail -n 30 /tmp/jigd.err; exit 11
        fi
        sleep 0.1
    done
}

expect() {
    [ "$(field "$1" "$2")" = "$3" ] && return 0
    echo "guest: slot $1 $2 is '$(field "$1" "$2")', expected '$3'"; show 1; show 2; exit 12
}

jigd_stop() {
    kill -TERM $jigd_pid
    wait $jigd_pid
    rc=$?
    if grep -E "AddressSanitizer|LeakSanitizer|runtime error" /tmp/jigd.err; then
        exit 13
    fi
    [ $rc = 0 ] || { echo "guest: jigd exited with $rc after SIGTERM"; tail -n 20 /tmp/jigd.err; exit 13; }
    echo "guest: jigd stopped cleanly"
}
