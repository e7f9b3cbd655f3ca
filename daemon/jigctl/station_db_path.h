/* Where jigctl's offline commands find the station database: --db PATH;
 * else the data_dir of --config PATH, or of /etc/jigd/jigd.conf when that
 * exists; else /var/lib/jigd/station.db. `audit` and `token` share it (the
 * library jigctl_station_db_path), so both always find the same file. */
#ifndef JIGD_STATION_DB_PATH_H
#define JIGD_STATION_DB_PATH_H

#include <stddef.h>

#include "config.h"

/* Holds any path the rule makes: data_dir + "/station.db". */
#define STATION_DB_PATH_MAX (CONFIG_PATH_MAX + 32)

/* db, config: the --db and --config given (NULL when not). Returns 0, or
 * -1 when jigd.conf could not be read (said through jigctl_error). */
int station_db_path(const char *db, const char *config, char *path, size_t cap);

#endif
