# Checks the fake chip's trace of one `jigflash --reset gpio` write against
# the sequence of protocol/loader_connect.c (LOADER_RESET_GPIO, first
# attempt) and loader_reset.c. Input: "<ns> <line> <value>", line 0 = EN,
# 1 = IO0, value 0 = held low. Durations are checked against the nominal
# time: up to 25 ms short (a wait runs from when the loader asks for the
# change; the port work the flash job does just before it, such as flushing
# the FTDI adapter's input over emulated USB, comes out of it) and up to
# 300 ms long (the guest is emulated, and slow). A reset needs EN low for
# microseconds; IO0 only has to stay low past EN's rise.
function expect(i, line, value, what) {
    if (ln[i] != line || val[i] != value) {
        printf "change %d: expected %s (line %d -> %d), got line %d -> %d\n",
               i, what, line, value, ln[i], val[i]
        bad = 1
    }
}
function gap(i, j, ms, what,   d) {
    d = (t[j] - t[i]) / 1e6
    if (d < ms - 25 || d > ms + 300) {
        printf "%s lasted %.1f ms, expected %d ms\n", what, d, ms
        bad = 1
    }
}
{ n++; t[n] = $1; ln[n] = $2; val[n] = $3 }
END {
    if (n != 8) {
        printf "expected 8 line changes, got %d\n", n
        exit 1
    }
    expect(1, 0, 1, "EN requested released")
    expect(2, 1, 1, "IO0 requested released")
    expect(3, 0, 0, "EN held low")
    expect(4, 1, 0, "IO0 held low")
    expect(5, 0, 1, "EN released, IO0 still low")
    expect(6, 1, 1, "IO0 released")
    expect(7, 0, 0, "hard reset: EN low")
    expect(8, 0, 1, "hard reset: EN released")
    gap(3, 4, 100, "EN low before IO0 low")
    gap(5, 6, 50, "IO0 low after EN released")
    gap(7, 8, 100, "the hard-reset EN pulse")
    if (!bad)
        printf "waveform ok: %d changes as the loader orders them\n", n
    exit bad
}
