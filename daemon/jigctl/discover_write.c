/* What discover writes: one [slot N] section per adapter found, in jig
 * order, to stdout or appended to -o FILE. Appending never replaces a
 * section the engineer wrote: a file that already has one of the slot
 * numbers is refused, saying which, before the first adapter is plugged
 * (so no plugging is wasted) and again just before writing (the file may
 * have been edited meanwhile). */
#include "discover.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#define HINT_TAKEN "remove those sections (deploy/jigd.conf's [slot N] are examples), or give " \
                   "--start past them (with --count to fill a gap)"

/* N of a "[slot N]" line (spaces allowed where jigd.conf's parser allows
 * them), else 0. */
static int slot_header(const char *line)
{
    const char *s = line + strspn(line, " \t");
    if (*s++ != '[')
        return 0;
    s += strspn(s, " \t");
    if (strncasecmp(s, "slot", 4) || !isspace((unsigned char)s[4]))
        return 0;
    s += 4;
    s += strspn(s, " \t");
    int n = 0;
    while (isdigit((unsigned char)*s) && n <= CONFIG_MAX_SLOTS)
        n = n * 10 + (*s++ - '0');
    s += strspn(s, " \t");
    return *s == ']' ? n : 0;
}

int discover_check_file(const struct discover *d, int first, int last, char *err,
                        size_t errlen)
{
    FILE *f = d->file ? fopen(d->file, "r") : NULL;
    if (!f) {
        if (!d->file || errno == ENOENT)
            return 0;       /* stdout, or a new file */
        snprintf(err, errlen, "cannot read %s: %s", d->file, strerror(errno));
        return -1;
    }
    char line[4096];
    size_t used = 0;
    err[0] = '\0';
    for (int no = 1; fgets(line, sizeof line, f); no++) {
        int n = slot_header(line);
        if (n >= first && n <= last && used < errlen)
            used += (size_t)snprintf(err + used, errlen - used, "%s[slot %d] (line %d)",
                                     used ? ", " : "", n, no);
    }
    fclose(f);
    if (!err[0])
        return 0;
    char taken[1024];
    snprintf(taken, sizeof taken, "%s", err);
    snprintf(err, errlen, "%s already has %s; discover writes slots %d to %d and never "
             "replaces a section: %s", d->file, taken, first, last, HINT_TAKEN);
    return -1;
}

static void write_slot(FILE *out, int slot, const struct discover_adapter *a,
                       enum discover_by by)
{
    fprintf(out, "\n[slot %d]\n# %s%s%s, %s%s\n", slot, a->tty, a->driver[0] ? ", driver " : "",
            a->driver, a->serial[0] ? "serial " : "no USB serial number", a->serial);
    if (by == DISCOVER_BY_SERIAL) {
        if (a->by_path[0])
            fprintf(out, "# found at /dev/serial/by-path/%s\n", a->by_path);
        fprintf(out, "port = usb-serial:%s\n", a->serial);
    } else {
        if (a->by_id[0])
            fprintf(out, "# /dev/serial/by-id/%s\n", a->by_id);
        fprintf(out, "port = /dev/serial/by-path/%s\n", a->by_path);
    }
    fprintf(out, "trigger = auto\n");
}

static void write_sections(FILE *out, const struct discover *d)
{
    fprintf(out, "# jigctl slots discover --by %s: slots %d to %d, in the order their "
            "adapters were plugged in\n", d->by == DISCOVER_BY_SERIAL ? "serial" : "path",
            d->start, d->start + d->n_found - 1);
    for (int i = 0; i < d->n_found; i++)
        write_slot(out, d->start + i, &d->found[i], d->by);
}

/* Whether the file ends without a newline (so the next line would join
 * its last one). */
static bool ends_mid_line(FILE *f)
{
    if (fseek(f, -1, SEEK_END) != 0)
        return false;       /* empty */
    return fgetc(f) != '\n';
}

static int append(const struct discover *d, char *err, size_t errlen)
{
    FILE *f = fopen(d->file, "a+");
    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", d->file, strerror(errno));
        return -1;
    }
    bool mid = ends_mid_line(f);
    bool empty = ftell(f) <= 0;
    fseek(f, 0, SEEK_END);
    fprintf(f, "%s%s", mid ? "\n" : "", empty ? "" : "\n");
    write_sections(f, d);
    if (fclose(f) != 0) {
        snprintf(err, errlen, "writing %s: %s", d->file, strerror(errno));
        return -1;
    }
    fprintf(stderr, "wrote [slot %d] to [slot %d] at the end of %s\n", d->start,
            d->start + d->n_found - 1, d->file);
    return 0;
}

int discover_write(const struct discover *d, char *err, size_t errlen)
{
    if (!d->file) {
        write_sections(stdout, d);
        return fflush(stdout) == 0 ? 0 : -1;
    }
    if (discover_check_file(d, d->start, d->start + d->n_found - 1, err, errlen))
        return -1;
    return append(d, err, errlen);
}
