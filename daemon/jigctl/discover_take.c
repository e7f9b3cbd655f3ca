/* Whether a new adapter can be the next slot under the naming asked for,
 * and what it was found to be. A slot's name must find this adapter and
 * no other, for as long as it sits in the jig: an adapter that cannot be
 * named so is refused here, with what to do, rather than written into a
 * jigd.conf that would flash one position's board as another's. */
#include "discover.h"

#include <ctype.h>
#include <stdarg.h>
#include <string.h>

static void found(const struct discover *d, int slot, const struct discover_adapter *a)
{
    fprintf(stderr, "slot %d: %s%s%s%s%s\n", slot, a->tty, a->driver[0] ? ", driver " : "",
            a->driver, a->serial[0] ? ", serial " : ", no USB serial number", a->serial);
    if (a->by_path[0])
        fprintf(stderr, "        /dev/serial/by-path/%s\n", a->by_path);
    if (a->by_id[0])
        fprintf(stderr, "        /dev/serial/by-id/%s\n", a->by_id);
    if (!d->count || d->n_found < d->count)
        fprintf(stderr, "plug in the adapter of slot %d (Ctrl-C ends, keeping what was "
                "found)\n", slot + 1);
}

/* "refused  what", then "  fix:  what to do", as doctor writes a problem. */
__attribute__((format(printf, 3, 4)))
static void refuse(struct discover *d, const char *fix, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%-8s", "refused");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%-8s%s\n", "  fix:", fix);
    d->refused++;
}

/* The slot this adapter's socket (or serial number) already has in this
 * run, or 0. */
static int slot_of(const struct discover *d, const struct discover_adapter *a, bool serial)
{
    for (int i = 0; i < d->n_found; i++) {
        const struct discover_adapter *f = &d->found[i];
        if (serial ? !strcmp(f->serial, a->serial) : !strcmp(f->by_path, a->by_path))
            return d->start + i;
    }
    return 0;
}

static bool printable(const char *s)
{
    for (; *s; s++)
        if (!isgraph((unsigned char)*s))
            return false;
    return true;
}

static void refuse_shared_serial(struct discover *d, const struct discover_adapter *a, int slot)
{
    refuse(d, "unplug it and plug in an adapter with another serial number; or run "
           "discover again with --by path (a fixed hub: the socket names the slot); or "
           "give one of the two a serial number of its own (FTDI: ftdi_eeprom, CP210x: the "
           "vendor's tool)",
           "%s has USB serial number %s, like slot %d's adapter (%s): usb-serial:%s cannot "
           "tell the two apart", a->tty, a->serial, slot, d->found[slot - d->start].tty,
           a->serial);
}

/* usb-serial:SN finds the first adapter with that number: it must have one,
 * jigd.conf must be able to hold it, and no other adapter may share it. */
static bool serial_usable(struct discover *d, const struct discover_adapter *a)
{
    if (!a->serial[0])
        refuse(d, "run discover again with --by path (a fixed hub: the socket names the "
               "slot), or use adapters that carry a serial number (FTDI, CP210x)",
               "%s%s%s reports no USB serial number (CH340 chips have none), so "
               "usb-serial: cannot name it", a->tty, a->driver[0] ? ", driver " : "",
               a->driver);
    else if (!printable(a->serial))
        refuse(d, "run discover again with --by path",
               "%s's USB serial number '%s' holds a space or control character, which "
               "jigd.conf's usb-serial: cannot carry", a->tty, a->serial);
    else if (slot_of(d, a, true))
        refuse_shared_serial(d, a, slot_of(d, a, true));
    else
        return true;
    return false;
}

static bool path_usable(struct discover *d, const struct discover_adapter *a)
{
    if (a->by_path[0])
        return true;
    refuse(d, "check that udev runs (systemctl status systemd-udevd) and that the adapter "
           "is a USB one; or run discover again with --by serial, or write its port by "
           "hand (docs/config.md, Port names)",
           "udev made no /dev/serial/by-path/ name for %s, so its hub socket cannot name "
           "the slot", a->tty);
    return false;
}

void discover_take(struct discover *d, const struct discover_adapter *a)
{
    int again = a->by_path[0] ? slot_of(d, a, false) : 0;
    if (again) {
        /* Pulled out and plugged back: not a new jig position. */
        fprintf(stderr, "note    %s is in the socket of slot %d again; not counted: plug "
                "in the adapter of slot %d\n", a->tty, again, d->start + d->n_found);
        return;
    }
    bool ok = d->by == DISCOVER_BY_SERIAL ? serial_usable(d, a) : path_usable(d, a);
    if (!ok)
        return;
    d->found[d->n_found++] = *a;
    found(d, d->start + d->n_found - 1, a);
}
