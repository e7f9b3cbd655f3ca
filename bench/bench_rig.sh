# The set-up the station bench and the soak share: a work folder, espsim and
# jigd stopped at exit (by their $sim_pid and $jigd_pid), and fail(), which
# says what went wrong with the tails of both logs. Source it, then call
# bench_rig NAME (bench/NAME.sh is what fail() calls itself).

bench_rig() {      # NAME
    bench_name=$1
    work=$(mktemp -d "${TMPDIR:-/tmp}/bench-$1.XXXXXX")
    sim_pid= jigd_pid=
    trap bench_cleanup EXIT
}

stop() {           # PID: SIGTERM, then wait for it
    [ -n "$1" ] || return 0
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

bench_cleanup() {
    stop "$jigd_pid"
    stop "$sim_pid"
    rm -rf "$work"
}

fail() {
    echo "bench/$bench_name.sh: $*" >&2
    for f in jigd.err espsim.err; do
        [ -s "$work/$f" ] && { echo "--- $f (tail) ---" >&2; tail -n 15 "$work/$f" >&2; }
    done
    exit 1
}
