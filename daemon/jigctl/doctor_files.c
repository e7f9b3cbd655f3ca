/* data_dir and the secrets in and beside it. jigd refuses to start without
 * data_dir (it never makes one, so a typo cannot found a second station
 * with a new CA) and refuses a CA key or token file others may read; the
 * database holds every unit's record. All are checked for jigd's user,
 * since doctor usually runs as someone else. */
#include "doctor.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/statvfs.h>

#define DB_FILE "station.db"            /* db/: the station database in data_dir */
#define CA_KEY_FILE "station-ca.key"    /* identity/: the CA jigd makes in data_dir */
#define MIB (1024.0 * 1024.0)

static void check_owner(struct doctor *d, const char *what, const char *path,
                        const struct stat *st, bool write)
{
    if (doctor_user_may(&d->user, st, write))
        return;
    char owner[64], fix[PATH_MAX + 128];
    doctor_owner_name(st->st_uid, owner, sizeof owner);
    snprintf(fix, sizeof fix, "chown %s %s", d->user.name, path);
    doctor_problem(d, fix, "%s %s belongs to %s (mode %04o): jigd, running as %s, cannot %s it",
                   what, path, owner, (unsigned)(st->st_mode & 07777), d->user.name,
                   write ? "write" : "read");
}

static void check_room(struct doctor *d, const char *dir)
{
    struct statvfs vfs;
    if (statvfs(dir, &vfs) < 0 || d->cfg->station.min_free_mb == 0)
        return;
    double free_mb = (double)vfs.f_bavail * (double)vfs.f_frsize / MIB;
    if (free_mb < d->cfg->station.min_free_mb)
        doctor_problem(d, "free space there (old logs, backups, bundles), or lower min_free_mb",
                       "data_dir %s has %.1f MiB free, below min_free_mb = %u: no unit starts",
                       dir, free_mb, d->cfg->station.min_free_mb);
    else
        doctor_ok(d, "data_dir %s: %.0f MiB free (min_free_mb = %u)", dir, free_mb,
                  d->cfg->station.min_free_mb);
}

void doctor_check_data_dir(struct doctor *d)
{
    const char *dir = d->cfg->station.data_dir;
    char fix[PATH_MAX + 128];
    struct stat st;
    int there = stat(dir, &st);
    if (there < 0 || !S_ISDIR(st.st_mode)) {
        const char *why = there < 0 ? strerror(errno) : "is not a folder";
        snprintf(fix, sizeof fix, "install -d -m 700 -o %s %s (the systemd unit's "
                 "StateDirectory= does this), or correct data_dir", d->user.name, dir);
        doctor_problem(d, fix, "data_dir %s: %s: jigd refuses to start", dir, why);
        return;
    }
    check_owner(d, "data_dir", dir, &st, true);
    if (st.st_mode & 07) {
        snprintf(fix, sizeof fix, "chmod 700 %s", dir);
        doctor_problem(d, fix, "data_dir %s has mode %04o: every user may look at the "
                       "station's records and keys", dir, (unsigned)(st.st_mode & 07777));
    }
    check_room(d, dir);
}

/* A file only jigd's user should read. `missing` is what its absence
 * means: NULL for a problem (it was configured), else a note. 0 when it
 * is there and nobody else may read it. */
static int check_secret(struct doctor *d, const char *what, const char *path,
                         const char *missing, mode_t forbidden)
{
    struct stat st;
    char fix[PATH_MAX + 64];
    if (stat(path, &st) < 0) {
        if (missing)
            doctor_note(d, "%s %s: not there yet; %s", what, path, missing);
        else
            doctor_problem(d, "correct the path in jigd.conf, or restore the file from its "
                           "backup", "%s %s: %s", what, path, strerror(errno));
        return -1;
    }
    check_owner(d, what, path, &st, false);
    if (st.st_mode & forbidden) {
        snprintf(fix, sizeof fix, "chmod 600 %s", path);
        doctor_problem(d, fix, "%s %s has mode %04o: %s may read it", what, path,
                       (unsigned)(st.st_mode & 07777),
                       (st.st_mode & 07) ? "every user" : "its group");
        return -1;
    }
    doctor_ok(d, "%s %s (mode %04o)", what, path, (unsigned)(st.st_mode & 07777));
    return 0;
}

void doctor_check_secrets(struct doctor *d)
{
    const struct jigd_config *c = d->cfg;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", c->station.data_dir, DB_FILE);
    (void)check_secret(d, "database", path, "jigd creates it at first start", 07);
    if (c->identity.ca_key[0]) {
        (void)check_secret(d, "CA key (ca_key)", c->identity.ca_key, NULL, 077);
    } else {
        snprintf(path, sizeof path, "%s/%s", c->station.data_dir, CA_KEY_FILE);
        (void)check_secret(d, "CA key", path, "jigd creates the station CA at first start; back "
                     "it up then", 077);
    }
    if (!c->station.api_token_file[0])
        return;
    /* The mode is said above; config's reader says what else is wrong. */
    if (check_secret(d, "API token (api_token_file)", c->station.api_token_file, NULL, 077))
        return;
    char token[512], err[512];
    if (config_read_api_token(c, token, sizeof token, err, sizeof err) < 0)
        doctor_problem(d, "write one line of at least 16 printable characters (head -c 32 "
                       "/dev/urandom | base64 > FILE; chmod 600 FILE)", "%s", err);
    memset(token, 0, sizeof token);
}
