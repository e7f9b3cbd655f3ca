/* Where jigctl's offline commands find the station database: --db PATH;
 * else the data_dir of --config PATH, or of /etc/jigd/jigd.conf when that
 * exists; else /var/lib/jigd/station.db. `audit` and `token` share it (the
 * library jigctl_station_db_path), so both always find the same file. */
#ifndef JIGD_STATION_DB_PATH_H
#define JIGD_STATION_DB_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Holds any path the rule makes: data_dir + "/station.db". */
#define STATION_DB_PATH_MAX (CONFIG_PATH_MAX + 32)

/* db, config: the --db and --config given (NULL when not). Returns 0, or
 * -1 when jigd.conf could not be read (said through jigctl_error). */
int station_db_path(const char *db, const char *config, char *path, size_t cap);

struct station_db;
/* Opens the database that rule finds, for `jigctl <command>`: read-only, or
 * (write) for a write beside a running jigd (sdb_options.beside_jigd). It
 * never creates one: jigd makes it at its first start (as root, jigctl
 * would leave a file jigd cannot open). NULL after saying why. */
struct station_db *station_db_open_offline(const char *db, const char *config, bool write,
                                           const char *command);
/* Who runs jigctl, as the audit log names them: "jigctl:<login>". */
void station_db_actor(char *out, size_t cap);

#endif
