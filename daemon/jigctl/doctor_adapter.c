/* The USB adapter behind a ttyUSB/ttyACM node, from sysfs: its driver,
 * and for FTDI its latency timer. FTDI chips hold received bytes up to
 * latency_timer ms (16 by default) before sending them on; the flash
 * write waits for a reply after every block, so each block pays it
 * (about 9 % of throughput at 921600, docs/deploy.md). The udev rule in
 * deploy/ sets 1 ms; a 16 here means the rule is not installed. */
#include "doctor.h"
#include "tty_names.h"

#include <limits.h>
#include <string.h>

#define FIX_LATENCY "install deploy/99-jigd-serial.rules in /etc/udev/rules.d, then udevadm " \
                    "control --reload && udevadm trigger --subsystem-match=tty (it sets 1 ms " \
                    "on every FTDI adapter, now and at each plug)"

/* The latency timer in ms, or -1 when there is none (not FTDI). */
static long latency_of(const struct doctor *d, const char *name, char *path, size_t cap)
{
    snprintf(path, cap, "%s/class/tty/%s/device/latency_timer", d->roots.sys, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long ms = -1;
    if (fscanf(f, "%ld", &ms) != 1)
        ms = -1;
    fclose(f);
    return ms;
}

void doctor_check_adapter(struct doctor *d, int slot, const char *name)
{
    char driver[64], path[PATH_MAX];
    tty_driver(d->roots.sys, name, driver, sizeof driver);
    if (driver[0])
        doctor_ok(d, "slot %d: %s is driven by %s", slot, name, driver);
    long ms = latency_of(d, name, path, sizeof path);
    if (ms > 1)
        doctor_problem(d, FIX_LATENCY, "slot %d: the FTDI latency timer of %s is %ld ms (%s): "
                       "every flash block waits for it; 1 ms is what jigd expects", slot, name,
                       ms, path);
    else if (ms >= 0)
        doctor_ok(d, "slot %d: FTDI latency timer of %s is %ld ms", slot, name, ms);
}
