/* The USB adapter behind a ttyUSB/ttyACM node, from sysfs: its driver,
 * what it is and the highest baud it carries (a slot's max_baud above it
 * fails at the baud change, on every board), and for FTDI its latency
 * timer. FTDI chips hold received bytes up to
 * latency_timer ms (16 by default) before sending them on; the flash
 * write waits for a reply after every block, so each block pays it
 * (about 9 % of throughput at 921600, docs/deploy.md). The udev rule in
 * deploy/ sets 1 ms; a 16 here means the rule is not installed. */
#include "doctor.h"
#include "tty_names.h"
#include "usb_adapter.h"

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

/* The slot's max_baud (its own, or the station's: the parser has already
 * resolved which) against the adapter's highest. */
static void check_baud(struct doctor *d, const struct slot_config *s, const char *name)
{
    struct tty_usb_ids ids;
    if (!tty_usb_ids(d->roots.sys, name, &ids))
        return;
    char what[256];
    snprintf(what, sizeof what, "%04x:%04x%s%.128s%s", ids.vendor, ids.product,
             ids.product_name[0] ? ", \"" : "", ids.product_name,
             ids.product_name[0] ? "\"" : "");
    const struct usb_adapter *a = usb_adapter_find(ids.vendor, ids.product);
    if (!a) {
        doctor_note(d, "slot %d: %s: USB adapter %s, whose baud limit doctor does not know; "
                    "max_baud %u is not checked against it", s->index, name, what,
                    (unsigned)s->max_baud);
        return;
    }
    if (!a->max_baud) {
        doctor_ok(d, "slot %d: %s: %s (%s), native USB: no baud limit", s->index, name,
                  a->name, what);
        return;
    }
    char limit[96];
    snprintf(limit, sizeof limit, "%s", a->limit_text ? a->limit_text : "");
    if (!limit[0])
        snprintf(limit, sizeof limit, "%u", (unsigned)a->max_baud);
    if (s->max_baud <= a->max_baud) {
        doctor_ok(d, "slot %d: %s: %s (%s), up to %s baud; max_baud %u is within it",
                  s->index, name, a->name, what, limit, (unsigned)s->max_baud);
        return;
    }
    char fix[128];
    snprintf(fix, sizeof fix, "set max_baud = %u in [slot %d]", (unsigned)a->max_baud,
             s->index);
    doctor_problem(d, fix, "slot %d: max_baud %u is above what the %s (%s) on %s carries: "
                   "up to %s baud", s->index, (unsigned)s->max_baud, a->name, what, name,
                   limit);
}

void doctor_check_adapter(struct doctor *d, const struct slot_config *s, const char *name)
{
    int slot = s->index;
    char driver[64], path[PATH_MAX];
    tty_driver(d->roots.sys, name, driver, sizeof driver);
    if (driver[0])
        doctor_ok(d, "slot %d: %s is driven by %s", slot, name, driver);
    check_baud(d, s, name);
    long ms = latency_of(d, name, path, sizeof path);
    if (ms > 1)
        doctor_problem(d, FIX_LATENCY, "slot %d: the FTDI latency timer of %s is %ld ms (%s): "
                       "every flash block waits for it; 1 ms is what jigd expects", slot, name,
                       ms, path);
    else if (ms >= 0)
        doctor_ok(d, "slot %d: FTDI latency timer of %s is %ld ms", slot, name, ms);
}
