/* The user jigd runs as, and what the mode bits of a file let it do.
 * doctor usually runs as root (or as the engineer), who may open what jigd
 * may not: so the question is asked for jigd's user from the bits, never
 * with access(2), which answers for whoever runs doctor. */
#include "doctor.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#define JIGD_USER "jigd"    /* deploy/jigd.service's User= */

static int fill(const struct passwd *pw, struct doctor_user *u, char *err, size_t errlen)
{
    snprintf(u->name, sizeof u->name, "%s", pw->pw_name);
    u->uid = pw->pw_uid;
    u->gid = pw->pw_gid;
    u->n_groups = (int)(sizeof u->groups / sizeof u->groups[0]);
    if (getgrouplist(pw->pw_name, pw->pw_gid, u->groups, &u->n_groups) < 0) {
        snprintf(err, errlen, "user %s is in more than %d groups", pw->pw_name, u->n_groups);
        return -1;
    }
    return 0;
}

int doctor_user_find(const char *name, struct doctor_user *u, char *err, size_t errlen)
{
    const struct passwd *pw;
    if (name) {
        pw = getpwnam(name);
        if (!pw) {
            snprintf(err, errlen, "there is no user '%s' on this machine", name);
            return -1;
        }
        return fill(pw, u, err, errlen);
    }
    /* The packaged station runs as jigd; a station started by hand runs as
     * whoever starts it. */
    pw = getpwnam(JIGD_USER);
    if (!pw)
        pw = getpwuid(geteuid());
    if (!pw) {
        snprintf(err, errlen, "who am I? uid %u has no passwd entry", (unsigned)geteuid());
        return -1;
    }
    return fill(pw, u, err, errlen);
}

bool doctor_user_in_group(const struct doctor_user *u, gid_t gid)
{
    for (int i = 0; i < u->n_groups; i++)
        if (u->groups[i] == gid)
            return true;
    return u->gid == gid;
}

bool doctor_user_may(const struct doctor_user *u, const struct stat *st, bool write)
{
    if (u->uid == 0)
        return true;
    mode_t want = write ? 06 : 04;
    if (st->st_uid == u->uid)
        return ((st->st_mode >> 6) & want) == want;
    if (doctor_user_in_group(u, st->st_gid))
        return ((st->st_mode >> 3) & want) == want;
    return (st->st_mode & want) == want;
}

void doctor_owner_name(uid_t uid, char *buf, size_t cap)
{
    const struct passwd *pw = getpwuid(uid);
    if (pw)
        snprintf(buf, cap, "%s", pw->pw_name);
    else
        snprintf(buf, cap, "uid %u", (unsigned)uid);
}

void doctor_group_name(gid_t gid, char *buf, size_t cap)
{
    const struct group *gr = getgrgid(gid);
    if (gr)
        snprintf(buf, cap, "%s", gr->gr_name);
    else
        snprintf(buf, cap, "gid %u", (unsigned)gid);
}
