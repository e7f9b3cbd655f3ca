/* Opening the station database for jigctl's offline commands
 * (station_db_path.h), and who they act as. */
#include "station_db_path.h"

#include <errno.h>
#include <pwd.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jigctl_command.h"
#include "station_db.h"

struct station_db *station_db_open_offline(const char *db_opt, const char *config, bool write,
                                           const char *command)
{
    char path[STATION_DB_PATH_MAX], err[512];
    if (station_db_path(db_opt, config, path, sizeof path) < 0)
        return NULL;
    if (access(path, F_OK) != 0) {
        jigctl_error("no station database at %s: jigd makes it at its first start "
                     "(systemctl start jigd); or give its path with --db, or the station's "
                     "config with --config", path);
        return NULL;
    }
    if (access(path, write ? R_OK | W_OK : R_OK) != 0) {
        jigctl_error("cannot %s the station database %s (%s): run this as root or as jigd "
                     "(sudo -u jigd jigctl %s ...)", write ? "write" : "read", path,
                     strerror(errno), command);
        return NULL;
    }
    /* What jigctl writes beside jigd (the database's WAL, the audit anchor
     * file it rewrites) is the station's record: for jigd's user only,
     * whatever umask the shell had, as jigd itself does. */
    if (write)
        umask(umask(0) | 077);
    struct sdb_options o = {.read_only = !write, .beside_jigd = write};
    struct station_db *db = NULL;
    if (sdb_open(path, &o, &db, err, sizeof err) != SDB_OK) {
        jigctl_error("%s", err);
        return NULL;
    }
    return db;
}

void station_db_actor(char *out, size_t cap)
{
    struct passwd *pw = getpwuid(geteuid());
    if (pw)
        snprintf(out, cap, "jigctl:%s", pw->pw_name);
    else
        snprintf(out, cap, "jigctl:uid-%u", (unsigned)geteuid());
}
