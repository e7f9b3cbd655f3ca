/* jigctl slots discover: the line engineer plugs the jig's USB-UART
 * adapters in one at a time, in jig order; each new tty becomes the next
 * [slot N], named so that it keeps its slot across replugs and reboots
 * (its hub socket's by-path link, or the adapter's USB serial number).
 * Shared between jigctl_discover.c (the command), discover_watch.c (seeing
 * a new tty), discover_take.c (whether it can be a slot) and
 * discover_write.c (the sections and the file). */
#ifndef JIGD_DISCOVER_H
#define JIGD_DISCOVER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"

/* One adapter as found. Links are kept as their names inside
 * /dev/serial/by-*, so what is written never carries a test's root. */
struct discover_adapter {
    char tty[64];               /* ttyUSB0 */
    char by_path[NAME_MAX + 1]; /* "" when udev made none */
    char by_id[NAME_MAX + 1];
    char driver[64];            /* "" when sysfs does not say */
    char serial[128];           /* the USB serial number, "" when none */
};

enum discover_by { DISCOVER_BY_PATH, DISCOVER_BY_SERIAL };

struct discover {
    const char *dev, *sys;      /* JIGD_DOCTOR_DEV, JIGD_DOCTOR_SYS or the machine's */
    enum discover_by by;
    int start;                  /* the first slot number */
    int count;                  /* stop after this many; 0 = until Ctrl-C or --wait */
    int wait_s;                 /* stop after this long without a new adapter; 0 = never */
    const char *file;           /* -o FILE, or NULL for stdout */
    struct discover_adapter found[CONFIG_MAX_SLOTS];
    int n_found;
    int refused;                /* adapters explained and not given a slot */
    bool timed_out, interrupted;
};

/* The last slot number this run may write. */
int discover_last_slot(const struct discover *d);

/* discover_watch.c: waits for new ttys and hands each to discover_take,
 * until --count adapters have a slot, --wait passes or Ctrl-C. */
void discover_watch(struct discover *d);

/* discover_take.c: gives the adapter the next slot, or explains on stderr
 * why it cannot have one (and counts it refused). */
void discover_take(struct discover *d, const struct discover_adapter *a);

/* discover_write.c: refuses (with which, in err) when d->file already has
 * a [slot N] among the numbers from `first` to `last`. */
int discover_check_file(const struct discover *d, int first, int last, char *err,
                        size_t errlen);
/* The sections of what was found: to stdout, or appended to d->file. */
int discover_write(const struct discover *d, char *err, size_t errlen);

#endif
