/* Which work order the station flashes against, and with which serial
 * format.
 *
 * jigd.conf's [unit] work_order and serial_format say it at first. The MES
 * may activate another work order over the API (POST
 * /api/v1/work-orders/{id}/activate): that choice is kept in the station
 * database and outlives a restart, until an engineer edits jigd.conf's
 * work_order, which is then the newer word and wins again (the same rule
 * as for the bundle, docs/config.md). A work order with its own serial
 * format gives its units that format; else they get jigd.conf's. */
#ifndef JIGD_UNIT_WORK_ORDER_H
#define JIGD_UNIT_WORK_ORDER_H

#include <stddef.h>

struct unit_services;

/* Sets u->work_order, u->serial_format and u->work_order_why from
 * jigd.conf and the saved choice. -1 with err when jigd.conf names a work
 * order the database does not know. */
int unit_work_order_at_start(struct unit_services *u, char *err, size_t errlen);

/* Makes `id` the station's work order for the next boards, on record by
 * `actor`. Returns an SDB_ status (sdb_errmsg says why when not SDB_OK). */
int unit_work_order_activate(struct unit_services *u, const char *id, const char *actor);

#endif
