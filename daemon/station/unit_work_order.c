/* The station's work order: jigd.conf's or the MES's choice (see
 * unit_work_order.h for which wins). */
#include "unit_work_order.h"

#include <stdio.h>
#include <string.h>

#include "station_db.h"
#include "unit_services.h"

/* The work order's own serial format, else jigd.conf's. */
static void take(struct unit_services *u, const struct sdb_work_order *w)
{
    const char *conf = u->cfg->unit.serial_format;
    snprintf(u->work_order, sizeof u->work_order, "%s", w ? w->id : "");
    snprintf(u->serial_format, sizeof u->serial_format, "%s",
             w && w->serial_format[0] ? w->serial_format : conf);
}

/* The saved choice, if it still stands: 1 taken, 0 none (or overtaken by
 * jigd.conf, then forgotten), -1 the database failed. */
static int saved_choice(struct unit_services *u)
{
    const char *conf = u->cfg->unit.work_order;
    struct sdb_work_order_choice c;
    int rc = sdb_work_order_choice_get(u->db, &c);
    if (rc == SDB_NOT_FOUND)
        return 0;
    if (rc != SDB_OK)
        return -1;
    if (strcmp(c.config_work_order, conf)) {
        snprintf(u->work_order_why, sizeof u->work_order_why, "jigd.conf's work_order changed "
                 "(from '%.64s' to '%.64s') after %.64s activated %.64s, so jigd.conf's wins",
                 c.config_work_order, conf, c.chosen_by, c.work_order);
        return sdb_work_order_choice_forget(u->db) == SDB_OK ? 0 : -1;
    }
    struct sdb_work_order w;
    if (sdb_work_order_get(u->db, c.work_order, &w) != SDB_OK)
        return -1;
    take(u, &w);
    snprintf(u->work_order_why, sizeof u->work_order_why, "work order %.64s: activated over "
             "the API by %.64s at %s, in place of jigd.conf's '%.64s'", w.id, c.chosen_by,
             c.chosen_at, conf);
    return 1;
}

int unit_work_order_at_start(struct unit_services *u, char *err, size_t errlen)
{
    const char *conf = u->cfg->unit.work_order;
    u->work_order_why[0] = '\0';
    int saved = saved_choice(u);
    if (saved == 1)
        return 0;
    if (saved < 0) {
        snprintf(err, errlen, "station database: the work order choice: %s", sdb_errmsg(u->db));
        return -1;
    }
    if (!conf[0]) {
        take(u, NULL);
        return 0;
    }
    struct sdb_work_order w;
    if (sdb_work_order_get(u->db, conf, &w) != SDB_OK) {
        snprintf(err, errlen, "%s: work_order %s: %s; create it first (the MES, or jigctl "
                 "work-order create) or remove work_order from [unit]", u->cfg->path, conf,
                 sdb_errmsg(u->db));
        return -1;
    }
    take(u, &w);
    if (!u->work_order_why[0])
        snprintf(u->work_order_why, sizeof u->work_order_why, "work order %.64s: jigd.conf's",
                 conf);
    return 0;
}

int unit_work_order_activate(struct unit_services *u, const char *id, const char *actor)
{
    int rc = sdb_work_order_choose(u->db, id, u->cfg->unit.work_order, actor);
    struct sdb_work_order w;
    if (rc == SDB_OK)
        rc = sdb_work_order_get(u->db, id, &w);
    if (rc == SDB_OK)
        take(u, &w);
    return rc;
}
