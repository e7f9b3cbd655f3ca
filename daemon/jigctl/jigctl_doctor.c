/* jigctl doctor: everything that keeps this station from flashing, found
 * here without jigd (it may be the thing that will not start), each with
 * its fix. Reads jigd.conf with jigd's own parser, so doctor and jigd
 * never disagree about what the file says. Exit 0: ready; 1: a problem;
 * 2: a wrong command line. */
#include "jigctl_command.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "doctor.h"
#include "tty_names.h"

#define DEFAULT_CONFIG "/etc/jigd/jigd.conf"

struct doctor_args {
    const char *config;
    const char *user;
};

static int usage(void)
{
    jigctl_error("usage: jigctl doctor [-c FILE] [-u USER]");
    return JIGCTL_EXIT_USAGE;
}

static int parse_args(int argc, char **argv, struct doctor_args *a)
{
    a->config = DEFAULT_CONFIG;
    a->user = NULL;
    for (int i = 0; i < argc; i++) {
        bool config = !strcmp(argv[i], "-c") || !strcmp(argv[i], "--config");
        bool user = !strcmp(argv[i], "-u") || !strcmp(argv[i], "--user");
        if ((!config && !user) || i + 1 >= argc || !argv[i + 1][0]) {
            jigctl_error("doctor: '%s' is not an option here", argv[i]);
            return -1;
        }
        *(config ? &a->config : &a->user) = argv[++i];
    }
    return 0;
}

/* The clock, or for a test JIGD_DOCTOR_NOW in seconds since 1970 (UTC), so
 * a station whose clock is wrong can be made up (daemon/jigctl/README.md). */
static int clock_now(time_t *now)
{
    const char *v = tty_root("JIGD_DOCTOR_NOW", "");
    if (!v[0]) {
        *now = time(NULL);
        return 0;
    }
    char *end;
    errno = 0;
    long long t = strtoll(v, &end, 10);
    if (errno || *end || t <= 0) {
        jigctl_error("doctor: JIGD_DOCTOR_NOW = '%s' is not seconds since 1970", v);
        return -1;
    }
    *now = (time_t)t;
    return 0;
}

static void run_checks(struct doctor *d)
{
    for (size_t i = 0; i < d->cfg->n_warnings; i++)
        doctor_note(d, "%s", d->cfg->warnings[i]);
    doctor_check_ports(d);
    doctor_check_grabbers(d);
    doctor_check_data_dir(d);
    doctor_check_secrets(d);
    doctor_check_firmware(d);
    doctor_check_clock(d);
    doctor_check_api(d);
}

static int finish(struct doctor *d)
{
    if (d->problems == 0) {
        fprintf(d->out, "the station is ready\n");
        return JIGCTL_EXIT_OK;
    }
    fprintf(d->out, "%d problem%s: the station is not ready\n", d->problems,
            d->problems == 1 ? "" : "s");
    return JIGCTL_EXIT_FAILED;
}

static int doctor(struct jigctl *ctl, int argc, char **argv)
{
    (void)ctl;
    struct doctor_args a;
    if (parse_args(argc, argv, &a) < 0)
        return usage();
    struct doctor d = {
        .out = stdout,
        .roots = {tty_root("JIGD_DOCTOR_DEV", "/dev"), tty_root("JIGD_DOCTOR_SYS", "/sys"),
                  tty_root("JIGD_DOCTOR_PROC", "/proc"),
                  tty_root("JIGD_DOCTOR_UDEV", "/etc/udev/rules.d")},
    };
    char err[2048];
    if (clock_now(&d.now) < 0)
        return JIGCTL_EXIT_USAGE;
    if (doctor_user_find(a.user, &d.user, err, sizeof err) < 0) {
        jigctl_error("doctor: %s", err);
        return JIGCTL_EXIT_USAGE;
    }
    struct jigd_config *cfg = config_load(a.config, err, sizeof err);
    if (!cfg) {
        /* jigd would refuse to start: nothing else can be checked. */
        doctor_problem(&d, "edit the line it names as it says (docs/config.md lists every "
                       "key); jigd refuses to start until then", "%s", err);
        return finish(&d);
    }
    fprintf(d.out, "jigctl doctor: %s, for user %s\n", a.config, d.user.name);
    d.cfg = cfg;
    run_checks(&d);
    config_free(cfg);
    return finish(&d);
}

const struct jigctl_command jigctl_doctor_commands[] = {
    {"doctor", "[-c FILE] [-u USER]",
     "what keeps this station from flashing, each with its fix", doctor,
     "Reads jigd.conf (-c FILE, default " DEFAULT_CONFIG ") with jigd's own parser and\n"
     "checks, without jigd and without opening a port: each slot's port (there,\n"
     "a serial device, open to jigd's user; two slots on one adapter; the\n"
     "adapter's stable names, its type and highest baud against max_baud, an\n"
     "FTDI latency timer above 1 ms), ModemManager and\n"
     "brltty, data_dir (owner, mode, free space), the database, CA key and API\n"
     "token files, the bundle and its chip's flasher stub, the clock (not before\n"
     "this build's date nor the station CA's notBefore), and whether\n"
     "the API lets anyone start a manual slot.\n"
     "Lines start with 'problem' (followed by '  fix:'), 'ok' or 'note'.\n"
     "-u USER: the user jigd runs as (default: jigd if it exists, else you).\n"
     "Exit status: 0 the station is ready, 1 a problem was found (or jigd.conf\n"
     "is refused), 2 a wrong command line."},
    {NULL, NULL, NULL, NULL, NULL},
};
