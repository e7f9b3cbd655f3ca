/* The station: the configuration, the active bundle, the event bus and one
 * slot per [slot N], all on one libuv loop. It is what the REST API calls
 * (station_backend) and what jigd's main starts and stops. */
#ifndef JIGD_STATION_H
#define JIGD_STATION_H

#include <stddef.h>

#include <uv.h>

#include "api_backend.h"
#include "config.h"
#include "event_bus.h"

struct station;
struct slot;
struct unit_services;

/* Checks what the configuration asks of this build (reset = gpio needs
 * libgpiod, hotplug needs a device path) and makes the slots, not yet
 * running. `cfg` and `bus` must outlive the station. NULL with a sentence
 * in err. */
struct station *station_new(uv_loop_t *loop, const struct jigd_config *cfg,
                            struct event_bus *bus, char *err, size_t errlen);

/* Gives every unit its identity and records it (unit_services.h); call
 * before station_start. Without it the station flashes the bundle only.
 * `u` must outlive the station. */
void station_set_unit_services(struct station *st, struct unit_services *u);

/* Starts the slots and, when the configuration names one, loads the bundle
 * on the thread pool (its outcome is an event). */
void station_start(struct station *st);

/* The REST API's view of the station. */
struct api_backend station_backend(struct station *st);

/* Loads the bundle in `dir` in the background; when it checks out it
 * becomes the active one (units already running keep theirs). Returns 0,
 * or -1 with the reason in err. */
int station_load_bundle(struct station *st, const char *dir, char *err, size_t errlen);

size_t station_slot_count(const struct station *st);
struct slot *station_slot(struct station *st, int index);  /* [slot index] or NULL */

/* Aborts running units, stops every slot and waits for bundle loads in
 * flight; `done` runs when nothing of the station is left on the loop.
 * Then station_free. */
void station_stop(struct station *st, void (*done)(void *ctx), void *ctx);
void station_free(struct station *st);

#endif
