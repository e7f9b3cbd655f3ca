/* The webhooks in jigd (the wiring beside jigd.c): the sender started on
 * the station database's outbox, alarms owed as they are raised, and the
 * lanes nudged when a unit's result has just been owed. */
#ifndef JIGD_WEBHOOK_WIRING_H
#define JIGD_WEBHOOK_WIRING_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include "config.h"

struct station;
struct unit_services;
struct webhooks;

struct webhook_wiring {
    struct webhooks *sender;            /* NULL: no [webhook] configured */
    struct unit_services *units;
    const char *station_name;
    void (*stopped)(void *ctx);         /* webhook_wiring_stop's `done` */
    void *stopped_ctx;
};

/* Nothing to do without [webhook] sections. -1 with why in err (a secret
 * file others may read, ...): jigd does not start then. */
int webhook_wiring_start(struct webhook_wiring *ww, uv_loop_t *loop,
                         const struct jigd_config *cfg, struct unit_services *units,
                         char *err, size_t errlen);
/* From now on the station's alarms are owed to the receivers that want them. */
void webhook_wiring_hear_alarms(struct webhook_wiring *ww, struct station *st);
/* A unit's result went on record: its delivery may go now. */
void webhook_wiring_kick(struct webhook_wiring *ww);
/* `done` runs once the sender has let go (at once without one). */
void webhook_wiring_stop(struct webhook_wiring *ww, void (*done)(void *ctx), void *ctx);

#endif
