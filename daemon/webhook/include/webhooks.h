/* The webhook sender: delivers what the station database's outbox owes each
 * [webhook NAME] receiver (db/outbox.c), in order, signed, with retries.
 *
 * Each receiver has its own lane: its oldest undelivered item is POSTed
 * (on libuv's thread pool, so no slot and no API request ever waits for a
 * receiver), marked delivered on a 2xx, else tried again after a backoff
 * that doubles up to 5 minutes. A receiver down for a day only grows its
 * backlog; the others go on. docs/api.md, "Webhooks", has the wire format. */
#ifndef JIGD_WEBHOOKS_H
#define JIGD_WEBHOOKS_H

#include <stddef.h>

#include <uv.h>

#include "config.h"
#include "station_db.h"

struct webhooks;

/* Reads every receiver's secret (refusing a file others may read) and
 * starts the lanes. NULL with why in err. `cfg` and `db` must outlive it. */
struct webhooks *webhooks_start(uv_loop_t *loop, const struct jigd_config *cfg,
                                struct station_db *db, char *err, size_t errlen);
/* Something new is owed: the idle lanes look now, not at their next poll. */
void webhooks_kick(struct webhooks *w);
/* Stops the lanes (a POST under way is cut short, its item stays owed);
 * `done` runs once nothing of it is left on the loop. Then webhooks_free. */
void webhooks_stop(struct webhooks *w, void (*done)(void *ctx), void *ctx);
void webhooks_free(struct webhooks *w);

#endif
