/* jigctl slots discover: jig positions named by plugging their adapters in,
 * one at a time, in order (discover.h). Offline: jigd need not run, and
 * nothing is opened as a port (opening one resets a board). Exit 0: every
 * adapter asked for has a slot; 1: fewer (a refusal, --wait, Ctrl-C before
 * --count), or the file already has those slots; 2: a wrong command line. */
#include "jigctl_command.h"

#include <stdlib.h>
#include <string.h>

#include "discover.h"
#include "tty_names.h"

static int usage(void)
{
    jigctl_error("usage: jigctl slots discover [-o FILE] [--by path|serial] [--start N] "
                 "[--count N] [--wait SECONDS]");
    return JIGCTL_EXIT_USAGE;
}

int discover_last_slot(const struct discover *d)
{
    return d->count ? d->start + d->count - 1 : CONFIG_MAX_SLOTS;
}

/* A whole number from min to max, or -1. */
static int number(const char *s, int min, int max)
{
    char *end;
    long v = strtol(s, &end, 10);
    return *s && !*end && v >= min && v <= max ? (int)v : -1;
}

static int parse_by(const char *v, struct discover *d)
{
    if (!strcmp(v, "path"))
        d->by = DISCOVER_BY_PATH;
    else if (!strcmp(v, "serial"))
        d->by = DISCOVER_BY_SERIAL;
    else
        return -1;
    return 0;
}

/* One option and its value; -1 with the reason printed. */
static int parse_option(const char *opt, const char *v, struct discover *d)
{
    int bad = 0;
    if (!strcmp(opt, "-o") || !strcmp(opt, "--output"))
        d->file = v;
    else if (!strcmp(opt, "--by"))
        bad = parse_by(v, d);
    else if (!strcmp(opt, "--start"))
        bad = (d->start = number(v, 1, CONFIG_MAX_SLOTS)) < 0;
    else if (!strcmp(opt, "--count"))
        bad = (d->count = number(v, 1, CONFIG_MAX_SLOTS)) < 0;
    else if (!strcmp(opt, "--wait"))
        bad = (d->wait_s = number(v, 1, 86400)) < 0;
    else {
        jigctl_error("slots discover: '%s' is not an option here", opt);
        return -1;
    }
    if (bad)
        jigctl_error("slots discover: %s '%s': expected %s", opt, v,
                     !strcmp(opt, "--by") ? "path or serial"
                     : !strcmp(opt, "--wait") ? "seconds, 1 to 86400"
                                              : "a slot count or number, 1 to 64");
    return bad ? -1 : 0;
}

static int parse_args(int argc, char **argv, struct discover *d)
{
    for (int i = 0; i < argc; i += 2) {
        if (i + 1 >= argc || !argv[i + 1][0]) {
            jigctl_error("slots discover: '%s' needs a value", argv[i]);
            return -1;
        }
        if (parse_option(argv[i], argv[i + 1], d))
            return -1;
    }
    if (d->count && discover_last_slot(d) > CONFIG_MAX_SLOTS) {
        jigctl_error("slots discover: --start %d --count %d goes past slot %d", d->start,
                     d->count, CONFIG_MAX_SLOTS);
        return -1;
    }
    return 0;
}

/* Why the run ended, and its exit status. */
static int outcome(const struct discover *d)
{
    bool short_of = d->count && d->n_found < d->count;
    if (d->timed_out)
        fprintf(stderr, "no new adapter for %d s (--wait): stopping\n", d->wait_s);
    if (short_of)
        fprintf(stderr, "found %d of the %d adapters asked for (--count)\n", d->n_found,
                d->count);
    if (d->refused)
        fprintf(stderr, "%d adapter%s refused (above, each with its fix)\n", d->refused,
                d->refused == 1 ? "" : "s");
    return short_of || d->refused || !d->n_found ? JIGCTL_EXIT_FAILED : JIGCTL_EXIT_OK;
}

static int discover(struct jigctl *ctl, int argc, char **argv)
{
    (void)ctl;
    static struct discover d;
    d = (struct discover){.dev = tty_root("JIGD_DOCTOR_DEV", "/dev"),
                          .sys = tty_root("JIGD_DOCTOR_SYS", "/sys"), .start = 1};
    if (parse_args(argc, argv, &d))
        return usage();
    char err[4096];
    if (discover_check_file(&d, d.start, discover_last_slot(&d), err, sizeof err)) {
        jigctl_error("slots discover: %s", err);
        return JIGCTL_EXIT_FAILED;
    }
    discover_watch(&d);
    if (!d.n_found) {
        fprintf(stderr, "no adapter was given a slot: nothing written\n");
        return outcome(&d);
    }
    if (discover_write(&d, err, sizeof err)) {
        jigctl_error("slots discover: %s", err);
        return JIGCTL_EXIT_FAILED;
    }
    return outcome(&d);
}

const struct jigctl_command jigctl_discover_commands[] = {
    {"slots discover", "[-o FILE] [--by path|serial] [--start N] [--count N] [--wait S]",
     "name the jig positions by plugging their adapters in, one at a time", discover,
     "Plug the jig's USB-UART adapters in one at a time, in jig order. Each new\n"
     "serial port (seen in /sys/class/tty) is shown with its driver, USB serial\n"
     "number and /dev/serial names, and becomes the next slot (from --start N,\n"
     "default 1). At the end one [slot N] section per adapter is written, with\n"
     "trigger = auto and a port that keeps the slot across replugs and reboots:\n"
     "  --by path    port = /dev/serial/by-path/... (default): the hub socket names\n"
     "               the slot; keep the hub's cabling, swap adapters freely.\n"
     "  --by serial  port = usb-serial:SERIAL: the adapter names the slot, in any\n"
     "               socket; every adapter needs a serial number of its own.\n"
     "An adapter that cannot be named so is refused, with what to do.\n"
     "-o FILE: append to FILE (e.g. /etc/jigd/jigd.conf) instead of stdout; refused\n"
     "when FILE already has one of the slot numbers (without --count: any from\n"
     "--start up to 64). --count N: stop after N adapters. --wait S: stop when no\n"
     "adapter has come for S seconds. Ctrl-C stops too; what was found is written.\n"
     "Offline: jigd need not run, and no port is opened (that would reset a board).\n"
     "Exit status: 0 every adapter asked for has a slot, 1 fewer (a refusal, --wait,\n"
     "Ctrl-C before --count) or FILE has those slots, 2 a wrong command line."},
    {NULL, NULL, NULL, NULL, NULL},
};
