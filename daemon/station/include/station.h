/* The station: the configuration, the active bundle, the event bus and one
 * slot per [slot N], all on one libuv loop. jigd's main starts and stops
 * it; the REST API reaches it through the adapter daemon/station_api.c,
 * which turns the answers below into HTTP statuses. */
#ifndef JIGD_STATION_H
#define JIGD_STATION_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "event_bus.h"
#include "slot.h"
#include "station_db.h"

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

/* What the operator and the MES see (docs/api.md has the shapes). */
cJSON *station_json(const struct station *st);
cJSON *station_slots_json(const struct station *st);
cJSON *station_bundle_json(const struct station *st);      /* NULL: none loaded */
/* Each alarm raised, as its object (station_alarms_on_raise). */
void station_on_alarm(struct station *st, void (*fn)(void *ctx, const cJSON *alarm), void *ctx);
/* The alarms that need a person (station_alarms.h): {"alarms": [...]}. */
cJSON *station_alarms_list_json(const struct station *st);

enum station_request { STATION_START, STATION_ABORT, STATION_IDENTIFY };

enum station_answer {
    STATION_ACCEPTED,           /* started: its progress and outcome are events */
    STATION_BAD_INPUT,          /* what was sent makes no sense (why says) */
    STATION_NO_SUCH_SLOT,
    STATION_NOT_NOW,            /* the slot refuses now (busy, disabled, no bundle) */
    STATION_NO_SUCH_BUNDLE,     /* no bundle folder at that path */
    STATION_NO_SUCH_ALARM,
    STATION_NO_LABEL,           /* no labels here, or none of that slot or serial */
    STATION_STOPPING,
    STATION_NO_SUCH_WORK_ORDER,
};

/* A request for slot `index`; anything but ACCEPTED comes with why. */
enum station_answer station_ask_slot(struct station *st, int index, enum station_request req,
                                     struct slot_refusal *why);
/* A person has seen alarm `id` (actor: the token's name). */
enum station_answer station_ack_alarm(struct station *st, uint64_t id, const char *actor,
                                      struct slot_refusal *why);
/* A board code (the PCB label the line's scanner read) for slot `slot`'s
 * next board, or, with slot 0, for the slot that suits it best (a board
 * waiting for its label first, then the lowest-numbered resting slot).
 * `actor`: who scanned (the token's name). */
struct station_scan {
    int slot;                                   /* the slot that took it */
    char replaced[SDB_BOARD_CODE_MAX + 1];      /* the code it had waiting; "" none */
    char owner[SDB_SERIAL_MAX + 1];             /* the unit that bears it already; "" none */
};
enum station_answer station_scan_board_code(struct station *st, const char *code, int slot,
                                            const char *actor, struct station_scan *out,
                                            struct slot_refusal *why);

/* Load the bundle at `path` (on the station) and make it the active one. */
enum station_answer station_ask_bundle(struct station *st, const char *path,
                                       struct slot_refusal *why);

/* Loads the bundle in `dir` in the background; when it checks out it
 * becomes the active one (units already running keep theirs). Returns 0,
 * or -1 with the reason in err. */
int station_load_bundle(struct station *st, const char *dir, char *err, size_t errlen);

/* ---- the bundle store and the work order (station_bundles.c) ---------- */

/* {"store", "bundles": [{id, name, version, chip, path, active}]}: what
 * data_dir/bundles holds (bundle_store.h). NULL if memory ran out. */
cJSON *station_bundles_json(const struct station *st);

/* An archive uploaded (POST /api/v1/bundles): unpacked, proven and stored
 * on a worker thread; `done` runs on the loop with the outcome. `data`
 * must stay valid until then. 0, or -1 (stopping, out of memory; done
 * never called) with why. */
struct bundle_store_added;
typedef void (*station_upload_done)(void *arg, const struct bundle_store_added *added);
int station_upload_bundle(struct station *st, const uint8_t *data, size_t len,
                          station_upload_done done, void *arg, struct slot_refusal *why);

/* The stored bundle `id` (or a unique prefix of 8+ hex digits): its full
 * id, name, version and folder. 0, or -1 with why. */
struct bundle_store_entry;
int station_find_stored_bundle(const struct station *st, const char *id,
                               struct bundle_store_entry *out, char *why, size_t whylen);

/* Loads the stored bundle `id` (or a unique prefix of 8+ hex digits) and
 * makes it the active one, as station_ask_bundle does with a folder. */
enum station_answer station_activate_bundle(struct station *st, const char *id,
                                            struct slot_refusal *why);

/* Makes work order `id` the one the next boards count against, with its
 * serial format, and loads its bundle if it names one that is not active
 * (from the store). Refused while a slot flashes a board. ACCEPTED when
 * done; `actor` goes on record. */
enum station_answer station_activate_work_order(struct station *st, const char *id,
                                                const char *actor, struct slot_refusal *why);

/* [label] (docs/label.md): the SVG preview of slot `index`'s last label
 * (to free()), and a unit's label sent to the printer again. */
enum station_answer station_label_preview(const struct station *st, int index, char **svg,
                                          struct slot_refusal *why);
enum station_answer station_label_reprint(struct station *st, const char *serial,
                                          struct slot_refusal *why);

size_t station_slot_count(const struct station *st);
struct slot *station_slot(struct station *st, int index);  /* [slot index] or NULL */

/* Aborts running units, stops every slot and waits for bundle loads in
 * flight; `done` runs when nothing of the station is left on the loop.
 * Then station_free. */
void station_stop(struct station *st, void (*done)(void *ctx), void *ctx);
void station_free(struct station *st);

#endif
