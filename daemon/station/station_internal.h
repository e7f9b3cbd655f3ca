/* The station as its own files see it (station.c, station_bundles.c);
 * the rest of jigd has station.h. */
#ifndef JIGD_STATION_INTERNAL_H
#define JIGD_STATION_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "config.h"
#include "slot.h"

struct event_bus;
struct slot_baud_memory;
struct station_alarms;
struct station_labels;

struct station {
    uv_loop_t *loop;
    const struct jigd_config *cfg;
    struct event_bus *bus;
    struct bundle *bundle;              /* the active one, or NULL */
    struct slot_baud_memory *baud;
    struct station_alarms *alarms;      /* what needs a person */
    struct station_labels *labels;      /* [label]; NULL = no labels */
    bool labels_open, labels_closing;   /* its printer not closed yet; closing */
    struct unit_services *units;        /* NULL: bundle only, no records */
    struct slot_env env;                /* what every slot shares */
    struct slot **slots;
    size_t n_slots;
    int loads_pending;
    int uploads_pending;                /* archives being unpacked on a worker */
    /* Loads are numbered as asked; only the result of the last one asked
     * for may become active, however long an earlier one takes. */
    uint64_t loads_asked;
    char last_asked[CONFIG_PATH_MAX];
    bool stopping;
    size_t slots_open;
    void (*stopped_cb)(void *ctx);
    void *stopped_ctx;
    uint64_t started_ms;
};

/* Loads the bundle in `dir` on the thread pool; when it checks out it
 * becomes the active one. from_api: the operator's or the MES's choice,
 * remembered across restarts (bundle_choice.h). 0, or -1 with err. */
int station_load_bundle_as(struct station *st, const char *dir, bool from_api, char *err,
                           size_t errlen);

/* A request that cannot be taken while jigd stops: true (why filled in:
 * `action` after jigd has restarted) when stopping. */
bool station_refused_stopping(const struct station *st, const char *action,
                              struct slot_refusal *why);

/* Removes what uploads a crash cut short left in the bundle store. */
void station_sweep_uploads(const struct station *st);

/* Once stopping, calls the stop callback when nothing is in flight any
 * more (slots, bundle loads, uploads, the label printer). */
void station_maybe_stopped(struct station *st);

#endif
