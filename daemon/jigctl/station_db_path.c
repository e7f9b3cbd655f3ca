/* The rule station_db_path.h states, read the way jigd reads its data_dir:
 * through config/'s own parser. */
#include "station_db_path.h"

#include <stdio.h>
#include <unistd.h>

#include "jigctl_command.h"

#define DEFAULT_CONFIG "/etc/jigd/jigd.conf"
#define DB_FILE "station.db"

int station_db_path(const char *db, const char *config, char *path, size_t cap)
{
    if (db) {
        snprintf(path, cap, "%s", db);
        return 0;
    }
    const char *conf = config;
    if (!conf && access(DEFAULT_CONFIG, R_OK) == 0)
        conf = DEFAULT_CONFIG;
    if (!conf) {
        snprintf(path, cap, "%s/%s", CONFIG_DEFAULT_DATA_DIR, DB_FILE);
        return 0;
    }
    char err[512];
    struct jigd_config *c = config_load(conf, err, sizeof err);
    if (!c) {
        jigctl_error("%s", err);
        return -1;
    }
    snprintf(path, cap, "%s/%s", c->station.data_dir, DB_FILE);
    config_free(c);
    return 0;
}
