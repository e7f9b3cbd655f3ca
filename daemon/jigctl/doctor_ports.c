/* Each slot's port, as jigd will find it: there, a serial device the
 * kernel lists (libserialport opens nothing else), open to jigd's user, and
 * not the same adapter as another slot's under another name (jig position
 * 2 would then flash position 1's board). jigd.conf's parser already
 * refuses the same name twice; two names for one device only the file
 * system knows. */
#include "doctor.h"
#include "tty_names.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define FIX_NAME "plug the adapter in, and check the name against ls -l /dev/serial/by-path/ " \
                 "(one entry per USB socket; docs/deploy.md, 2. Name the jig positions)"
#define FIX_DIALOUT "usermod -aG dialout %s, then restart jigd; deploy/99-jigd-serial.rules " \
                    "(in /etc/udev/rules.d) gives group dialout read and write on jig adapters"

struct seen {
    int slot;
    char real[PATH_MAX + 256];
};

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* usb-serial:SN names the adapter whose by-id link carries _SN-if, the way
 * udev spells a USB serial number there. */
static bool find_by_serial(const struct doctor *d, const char *sn, char *out, size_t cap)
{
    char dir[PATH_MAX], want[CONFIG_PATH_MAX + 8];
    snprintf(dir, sizeof dir, "%s/serial/by-id", d->roots.dev);
    snprintf(want, sizeof want, "_%s-if", sn);
    DIR *dh = opendir(dir);
    if (!dh)
        return false;
    bool found = false;
    for (const struct dirent *e; !found && (e = readdir(dh));)
        if (strstr(e->d_name, want)) {
            snprintf(out, cap, "%s/%s", dir, e->d_name);
            found = true;
        }
    closedir(dh);
    return found;
}

/* Appends one link to a list for the eye, "a, b" (a name past 1000 bytes
 * may be cut). */
struct name_list {
    char *out;
    size_t cap;
};

static void add_name(const char *link, void *ctx)
{
    struct name_list *l = ctx;
    size_t used = strlen(l->out);
    snprintf(l->out + used, l->cap - used, "%s%.1000s", used ? ", " : "", link);
}

/* The stable names udev made for the device `real`, as "a, b". */
static void stable_names(const struct doctor *d, const char *real, char *out, size_t cap)
{
    struct name_list l = {out, cap};
    out[0] = '\0';
    tty_each_link(d->roots.dev, "by-path", real, add_name, &l);
    tty_each_link(d->roots.dev, "by-id", real, add_name, &l);
}

/* A port under /dev as it is on this machine: below the dev root when a
 * test gives one (jigd.conf accepts only /dev/... names). */
static void local_path(const struct doctor *d, const char *port, char *out, size_t cap)
{
    if (starts_with(port, "/dev/") && strcmp(d->roots.dev, "/dev"))
        snprintf(out, cap, "%s%s", d->roots.dev, port + strlen("/dev"));
    else
        snprintf(out, cap, "%s", port);
}

static void check_access(struct doctor *d, int slot, const char *port, const struct stat *st)
{
    if (doctor_user_may(&d->user, st, true))
        return;
    char owner[64], group[64], fix[512];
    doctor_owner_name(st->st_uid, owner, sizeof owner);
    doctor_group_name(st->st_gid, group, sizeof group);
    snprintf(fix, sizeof fix, FIX_DIALOUT, d->user.name);
    doctor_problem(d, fix, "slot %d: user %s may not read and write %s (owner %s, group %s, "
                   "mode %04o)", slot, d->user.name, port, owner, group,
                   (unsigned)(st->st_mode & 07777));
}

/* A local device node: everything but its adapter. 0 when it is one. */
static int check_node(struct doctor *d, int slot, const char *port, const char *path,
                      const char *real)
{
    struct stat st;
    char pts[PATH_MAX];
    snprintf(pts, sizeof pts, "%s/pts/", d->roots.dev);
    if (stat(path, &st) < 0) {
        doctor_problem(d, FIX_NAME, "slot %d: port %s: %s", slot, port,
                       errno == ENOENT ? "does not exist" : strerror(errno));
        return -1;
    }
    if (!S_ISCHR(st.st_mode)) {
        doctor_problem(d, "port = must name the adapter's device node, e.g. "
                       "/dev/serial/by-path/...; " FIX_NAME,
                       "slot %d: port %s is %s, not a serial device", slot, port,
                       S_ISDIR(st.st_mode) ? "a folder" : "a regular file");
        return -1;
    }
    if (starts_with(real, "/dev/pts/") || starts_with(real, pts)) {
        doctor_problem(d, "flash a simulated board through espsim over RFC 2217 "
                       "(port = rfc2217://127.0.0.1:PORT) instead",
                       "slot %d: port %s is a pseudo-terminal, which jigd's serial library "
                       "cannot open", slot, port);
        return -1;
    }
    char class_dir[2 * PATH_MAX];
    const char *base = strrchr(real, '/') ? strrchr(real, '/') + 1 : real;
    snprintf(class_dir, sizeof class_dir, "%s/class/tty/%s", d->roots.sys, base);
    struct stat cs;
    if (stat(class_dir, &cs) < 0) {
        doctor_problem(d, FIX_NAME, "slot %d: port %s (%s) is not a serial port the kernel "
                       "lists in %s/class/tty", slot, port, real, d->roots.sys);
        return -1;
    }
    check_access(d, slot, port, &st);
    return 0;
}

static void check_twice(struct doctor *d, struct seen *seen, size_t n, int slot,
                        const char *port, const char *real)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(seen[i].real, real))
            doctor_problem(d, "each slot needs its own adapter: correct one of the two port "
                           "lines in jigd.conf",
                           "slot %d: port %s is the same device as slot %d's (%s)", slot, port,
                           seen[i].slot, real);
}

/* ttyUSB and ttyACM nodes are numbered in plug order: name the stable
 * names, and look at the adapter behind it (when there is something). */
static void check_usb_names(struct doctor *d, const struct slot_config *s, const char *port,
                            const char *path, const char *real)
{
    int slot = s->index;
    const char *base = strrchr(real, '/') ? strrchr(real, '/') + 1 : real;
    const char *given = strrchr(port, '/') ? strrchr(port, '/') + 1 : port;
    struct stat st;
    if ((!starts_with(base, "ttyUSB") && !starts_with(base, "ttyACM")) || lstat(path, &st) < 0)
        return;
    char names[2048];
    stable_names(d, real, names, sizeof names);
    if (!strcmp(given, base))
        doctor_note(d, "slot %d: %s changes with plug order; stable names for it: %s", slot,
                    port, names[0] ? names : "none (is udev running?)");
    else
        doctor_ok(d, "slot %d: %s is %s%s%s", slot, port, base, names[0] ? ", also " : "",
                  names);
    doctor_check_adapter(d, s, base);
}

static void check_slot(struct doctor *d, const struct slot_config *s, struct seen *seen,
                       size_t *n_seen)
{
    const char *port = s->port;
    char found[PATH_MAX + 256], real[PATH_MAX + 256], path[PATH_MAX + 256];
    if (starts_with(port, "rfc2217://")) {
        doctor_note(d, "slot %d: %s is a remote port: doctor cannot check it from here "
                    "(the serial server's machine has the adapter)", s->index, port);
        return;
    }
    if (starts_with(port, "usb-serial:")) {
        if (!find_by_serial(d, port + strlen("usb-serial:"), found, sizeof found)) {
            doctor_problem(d, "plug that adapter in, or correct the serial number (ls -l "
                           "/dev/serial/by-id/ shows the ones plugged in)",
                           "slot %d: no adapter with USB serial number %s is plugged in",
                           s->index, port + strlen("usb-serial:"));
            return;
        }
        port = found;
    }
    local_path(d, port, path, sizeof path);
    if (!realpath(path, real))
        snprintf(real, sizeof real, "%s", path);
    int node = check_node(d, s->index, port, path, real);
    check_twice(d, seen, *n_seen, s->index, port, real);
    seen[*n_seen].slot = s->index;
    snprintf(seen[*n_seen].real, sizeof seen[*n_seen].real, "%s", real);
    ++*n_seen;
    check_usb_names(d, s, port, path, real);
    if (node == 0)
        doctor_ok(d, "slot %d: port %s", s->index, port);
}

void doctor_check_ports(struct doctor *d)
{
    static struct seen seen[CONFIG_MAX_SLOTS];
    size_t n_seen = 0;
    for (size_t i = 0; i < d->cfg->n_slots; i++) {
        const struct slot_config *s = &d->cfg->slots[i];
        if (!s->enabled)
            doctor_note(d, "slot %d: enabled = no, not checked", s->index);
        else
            check_slot(d, s, seen, &n_seen);
    }
}
