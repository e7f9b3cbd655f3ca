# Shared plumbing for scripts that run espsim + jigd on this machine (the jigd
# tests, the kill test, the station bench, the demo). Source it; the caller
# defines fail() (what to say, then exit non-zero).

# Picks a free block of ports below the kernel's ephemeral range (32768+), so
# parallel runs and outgoing connections do not meet, and sets api_port (jigd's
# REST API), ctl_port (espsim's control socket) and board_port (board 1).
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_station_ports() {
    local base=$((10000 + (RANDOM % 400) * 50))
    while port_taken "$base" || port_taken "$((base + 1))" || port_taken "$((base + 10))"; do
        base=$((10000 + (RANDOM % 400) * 50))
    done
    api_port=$base ctl_port=$((base + 1)) board_port=$((base + 10))
}

wait_for() {       # SECONDS WHAT COMMAND...: poll COMMAND until it succeeds
    local secs=$1 what=$2; shift 2
    local end=$((SECONDS + secs))
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $end ] || fail "timed out after ${secs}s waiting for $what"
        sleep 0.2
    done
}

control() {        # one espsim control-socket command; prints the reply
    exec 9<>"/dev/tcp/127.0.0.1/$ctl_port" || return 1
    printf '%s\n' "$*" >&9
    local reply
    read -r -t 5 reply <&9
    exec 9>&-
    printf '%s\n' "$reply"
}
