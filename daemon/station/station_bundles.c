/* What the MES chooses over the API besides single boards: bundles it
 * uploads into the store and activates, and the work order the next boards
 * count against (with that work order's bundle). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "bundle_store.h"
#include "station.h"
#include "station_alarms.h"
#include "station_internal.h"
#include "unit_services.h"
#include "unit_work_order.h"

static void store_path(const struct station *st, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", st->cfg->station.data_dir, BUNDLE_STORE_DIR);
}

cJSON *station_bundles_json(const struct station *st)
{
    char store[BUNDLE_STORE_PATH_MAX];
    store_path(st, store, sizeof store);
    cJSON *list = bundle_store_list(store);
    if (!list)
        return NULL;
    cJSON *e;
    cJSON_ArrayForEach(e, list) {
        const char *id = cJSON_GetObjectItem(e, "id")->valuestring;
        cJSON_AddBoolToObject(e, "active", st->bundle && !strcmp(st->bundle->id, id));
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "store", store);
    cJSON_AddItemToObject(o, "bundles", list);
    return o;
}

int station_find_stored_bundle(const struct station *st, const char *id,
                               struct bundle_store_entry *out, char *why, size_t whylen)
{
    char store[BUNDLE_STORE_PATH_MAX];
    store_path(st, store, sizeof store);
    return bundle_store_find(store, id, out, why, whylen);
}

void station_sweep_uploads(const struct station *st)
{
    char store[BUNDLE_STORE_PATH_MAX];
    store_path(st, store, sizeof store);
    bundle_store_sweep(store);
}

/* ---- uploads ------------------------------------------------------------- */

struct upload {
    uv_work_t work;
    struct station *st;
    const uint8_t *data;
    size_t len;
    station_upload_done done;
    void *arg;
    char store[BUNDLE_STORE_PATH_MAX];
    struct bundle_store_added added;
};

/* The station's own rules for a bundle (its NVS template and secure-cert
 * partition fit), so a stored bundle is one that activates. The unit
 * services are only read here, from the worker. */
static int station_rules(const struct bundle *b, void *arg, char *err, size_t errlen)
{
    const struct unit_services *u = arg;
    return u ? unit_services_check_bundle(u, b, err, errlen) : 0;
}

static void upload_work(uv_work_t *w)
{
    struct upload *up = w->data;
    bundle_store_add(up->store, up->data, up->len, station_rules, up->st->units, &up->added);
}

static void upload_done(uv_work_t *w, int status)
{
    struct upload *up = w->data;
    struct station *st = up->st;
    if (status == UV_ECANCELED) {
        up->added.result = BUNDLE_STORE_FAILED;
        snprintf(up->added.err, sizeof up->added.err, "jigd stopped before the upload was "
                 "stored");
    }
    up->done(up->arg, &up->added);
    free(up);
    st->uploads_pending--;
    station_maybe_stopped(st);
}

int station_upload_bundle(struct station *st, const uint8_t *data, size_t len,
                          station_upload_done done, void *arg, struct slot_refusal *why)
{
    struct upload *up = st->stopping ? NULL : calloc(1, sizeof *up);
    if (!up) {
        snprintf(why->error, sizeof why->error, st->stopping ? "the station is stopping"
                                                             : "jigd is out of memory");
        snprintf(why->hint, sizeof why->hint, "upload the bundle again after jigd restarts");
        return -1;
    }
    *up = (struct upload){.st = st, .data = data, .len = len, .done = done, .arg = arg};
    up->work.data = up;
    store_path(st, up->store, sizeof up->store);
    int r = uv_queue_work(st->loop, &up->work, upload_work, upload_done);
    if (r < 0) {
        free(up);
        snprintf(why->error, sizeof why->error, "cannot start unpacking: %s", uv_strerror(r));
        snprintf(why->hint, sizeof why->hint, "upload the bundle again");
        return -1;
    }
    st->uploads_pending++;
    return 0;
}

/* ---- activating ---------------------------------------------------------- */

static enum station_answer load_entry(struct station *st, const struct bundle_store_entry *b,
                                      struct slot_refusal *why)
{
    if (station_load_bundle_as(st, b->dir, true, why->error, sizeof why->error) < 0) {
        snprintf(why->hint, sizeof why->hint, "upload the bundle again");
        return STATION_NO_SUCH_BUNDLE;
    }
    return STATION_ACCEPTED;
}

enum station_answer station_activate_bundle(struct station *st, const char *id,
                                            struct slot_refusal *why)
{
    if (station_refused_stopping(st, "activate the bundle", why))
        return STATION_STOPPING;
    struct bundle_store_entry b;
    if (station_find_stored_bundle(st, id, &b, why->error, sizeof why->error) < 0) {
        snprintf(why->hint, sizeof why->hint, "GET /api/v1/bundles lists the bundles held");
        return STATION_NO_SUCH_BUNDLE;
    }
    return load_entry(st, &b, why);
}

/* A board in flight took its work order's serial when it identified; the
 * switch waits for the slots to rest so no unit straddles two orders. */
static int busy_slot(const struct station *st)
{
    for (size_t i = 0; i < st->n_slots; i++)
        if (slot_busy(st->slots[i]))
            return slot_index(st->slots[i]);
    return 0;
}

static enum station_answer refuse_work_order(struct station *st, const char *id,
                                             struct slot_refusal *why)
{
    if (station_refused_stopping(st, "activate the work order", why))
        return STATION_STOPPING;
    if (!st->units) {
        snprintf(why->error, sizeof why->error, "this station keeps no records, so it has no "
                 "work orders");
        snprintf(why->hint, sizeof why->hint, "see the jigd log for why its database is not "
                 "open");
        return STATION_NOT_NOW;
    }
    int busy = busy_slot(st);
    if (busy) {
        snprintf(why->error, sizeof why->error, "slot %d is flashing a board: work order %.64s "
                 "is not activated while a unit is under way", busy, id);
        snprintf(why->hint, sizeof why->hint, "activate it again once the slots are at rest "
                 "(GET /api/v1/slots)");
        return STATION_NOT_NOW;
    }
    return STATION_ACCEPTED;
}

/* The work order's bundle, when it names one that is not the active one:
 * 1 (in *b), 0 (nothing to load), -1 (not in the store: why says). */
static int bundle_to_load(struct station *st, const struct sdb_work_order *w,
                          struct bundle_store_entry *b, struct slot_refusal *why)
{
    if (!w->bundle_sha256[0] || (st->bundle && !strcmp(st->bundle->id, w->bundle_sha256)))
        return 0;
    if (station_find_stored_bundle(st, w->bundle_sha256, b, why->error,
                                   sizeof why->error) == 0)
        return 1;
    snprintf(why->hint, sizeof why->hint, "upload bundle %.12s (POST /api/v1/bundles), "
             "then activate the work order again", w->bundle_sha256);
    return -1;
}

enum station_answer station_activate_work_order(struct station *st, const char *id,
                                                const char *actor, struct slot_refusal *why)
{
    enum station_answer ans = refuse_work_order(st, id, why);
    if (ans != STATION_ACCEPTED)
        return ans;
    struct sdb_work_order w;
    struct bundle_store_entry b;
    int load = 0;
    int rc = sdb_work_order_get(st->units->db, id, &w);
    /* Its bundle first: a work order that cannot have its firmware is not
     * activated at all. */
    if (rc == SDB_OK && (load = bundle_to_load(st, &w, &b, why)) < 0)
        return STATION_NOT_NOW;
    if (rc == SDB_OK)
        rc = unit_work_order_activate(st->units, id, actor);
    if (rc != SDB_OK) {
        snprintf(why->error, sizeof why->error, "%s", sdb_errmsg(st->units->db));
        snprintf(why->hint, sizeof why->hint, rc == SDB_NOT_FOUND
                 ? "GET /api/v1/work-orders lists them; create it first (POST /api/v1/work-orders)"
                 : "activate an open work order with serials left (GET /api/v1/work-orders)");
        return rc == SDB_NOT_FOUND ? STATION_NO_SUCH_WORK_ORDER : STATION_NOT_NOW;
    }
    /* The order that was complete is no longer the one in use. */
    station_alarms_over(st->alarms, ALARM_KIND_WORK_ORDER, 0);
    char msg[160];
    snprintf(msg, sizeof msg, "work order %.64s activated by %.64s", id, actor);
    struct jig_event ev = {.kind = EVENT_STATION, .message = msg, .rate = -1};
    event_bus_publish(st->bus, &ev);
    return load ? load_entry(st, &b, why) : STATION_ACCEPTED;
}
