/* The alarms that need a person: what stops a slot with no board to blame
 * (its slot alarm: no adapter, clock, no bundle, no stub, disk nearly full,
 * database unwritable), a slot failing three units in a row, a work order
 * complete, boards waiting for keys (the key pool empty), a label the
 * printer did not take. Each stands out on the dashboard until someone acknowledges it
 * (an operator's token; the name goes to the audit log); an acknowledged
 * alarm whose cause is over goes. One alarm per kind and slot at a time:
 * the same cause again refreshes it, it does not stack. */
#ifndef JIGD_STATION_ALARMS_H
#define JIGD_STATION_ALARMS_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct event_bus;
struct station_alarms;

#define STATION_ALARMS_MAX 64       /* beyond it the oldest acknowledged one goes */

/* The kinds (`kind` in GET /api/v1/alarms, docs/api.md). */
#define ALARM_KIND_SLOT "slot"                  /* the slot's own alarm */
#define ALARM_KIND_FAILING "failing"            /* FAILING_STREAK units failed in a row */
#define ALARM_KIND_WORK_ORDER "work-order"      /* the work order is complete */
#define ALARM_KIND_KEY_POOL "key-pool"          /* a board waits for its key */
#define ALARM_KIND_PRINTER "printer"            /* a unit's label did not go out */

#define FAILING_STREAK 3

struct station_alarms *station_alarms_new(struct event_bus *bus);
/* Told of each alarm raised (new, or its cause changed), with its object
 * as GET /api/v1/alarms shows it: the webhooks' way to hear of alarms. */
typedef void (*station_alarm_fn)(void *ctx, const cJSON *alarm);
void station_alarms_on_raise(struct station_alarms *a, station_alarm_fn fn, void *ctx);
void station_alarms_free(struct station_alarms *a);

/* The cause of (kind, slot) stands: a new alarm, or the standing one's
 * words refreshed. slot 0 = the station. */
void station_alarms_raise(struct station_alarms *a, const char *kind, int slot,
                          const char *cause, const char *advice);
/* The cause of (kind, slot) is over: once acknowledged, the alarm goes. */
void station_alarms_over(struct station_alarms *a, const char *kind, int slot);

enum station_alarm_ack { ALARM_ACKED, ALARM_ACK_NO_SUCH, ALARM_ACK_ALREADY };
/* `actor`: who acknowledges (the token's name). */
enum station_alarm_ack station_alarms_ack(struct station_alarms *a, uint64_t id,
                                          const char *actor);

/* {"alarms": [...]}, unacknowledged first, newest first. */
cJSON *station_alarms_json(const struct station_alarms *a);
/* One alarm's object, or NULL. */
cJSON *station_alarm_json(const struct station_alarms *a, uint64_t id);

#endif
