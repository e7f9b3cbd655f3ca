/* The station: slots, the active bundle and the bundles being loaded. */
#include "station.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bundle.h"
#include "slot.h"
#include "unit_services.h"

struct station {
    uv_loop_t *loop;
    const struct jigd_config *cfg;
    struct event_bus *bus;
    struct bundle *bundle;              /* the active one, or NULL */
    struct slot_baud_memory *baud;
    struct unit_services *units;        /* NULL: bundle only, no records */
    struct slot_env env;                /* what every slot shares */
    struct slot **slots;
    size_t n_slots;
    int loads_pending;
    bool stopping;
    size_t slots_open;
    void (*stopped_cb)(void *ctx);
    void *stopped_ctx;
    uint64_t started_ms;
};

/* What jigd cannot do in this build or with this port, said at start-up
 * rather than at the first board. */
static int check_slot_config(const struct slot_config *c, char *err, size_t errlen)
{
    if (!c->enabled)
        return 0;
    if (c->trigger == SLOT_TRIGGER_HOTPLUG && c->port[0] != '/') {
        snprintf(err, errlen, "[slot %d] (line %d): trigger = hotplug watches a device node "
                 "appear, but port = %s is not a device path: use trigger = auto for a "
                 "remote port", c->index, c->line, c->port);
        return -1;
    }
    return 0;
}

struct station *station_new(uv_loop_t *loop, const struct jigd_config *cfg,
                            struct event_bus *bus, char *err, size_t errlen)
{
    for (size_t i = 0; i < cfg->n_slots; i++)
        if (check_slot_config(&cfg->slots[i], err, errlen) < 0)
            return NULL;
    struct station *st = calloc(1, sizeof *st);
    if (!st || !(st->baud = slot_baud_memory_new())
        || !(st->slots = calloc(cfg->n_slots ? cfg->n_slots : 1, sizeof *st->slots))) {
        station_free(st);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    st->loop = loop;
    st->cfg = cfg;
    st->bus = bus;
    st->env = (struct slot_env){
        .loop = loop,
        .bus = bus,
        .bundle = &st->bundle,
        .stub_dir = cfg->station.stub_dir[0] ? cfg->station.stub_dir : NULL,
        .boot_log_ms = cfg->station.boot_log_seconds * 1000u,
        .baud = st->baud,
    };
    for (size_t i = 0; i < cfg->n_slots; i++) {
        st->slots[i] = slot_new(&st->env, &cfg->slots[i], err, errlen);
        if (!st->slots[i]) {
            st->n_slots = i;
            station_free(st);
            return NULL;
        }
    }
    st->n_slots = cfg->n_slots;
    st->started_ms = uv_now(loop);
    return st;
}

void station_set_unit_services(struct station *st, struct unit_services *u)
{
    st->units = u;
    for (size_t i = 0; i < st->n_slots; i++)
        slot_set_unit_services(st->slots[i], u);
}

void station_start(struct station *st)
{
    struct jig_event ev = {.kind = EVENT_STATION, .message = "station started", .rate = -1};
    event_bus_publish(st->bus, &ev);
    for (size_t i = 0; i < st->n_slots; i++)
        slot_begin(st->slots[i]);
    if (st->cfg->station.bundle[0]) {
        char err[300];
        if (station_load_bundle(st, st->cfg->station.bundle, err, sizeof err) < 0)
            fprintf(stderr, "jigd: %s\n", err);
    }
}

/* ---- bundles ----------------------------------------------------------- */

static void maybe_stopped(struct station *st);

static void on_bundle_ready(struct bundle *b, const char *err, void *arg)
{
    struct station *st = arg;
    st->loads_pending--;
    if (st->stopping) {
        bundle_unref(b);
        maybe_stopped(st);
        return;
    }
    char why[600];
    if (b && st->units && unit_services_check_bundle(st->units, b, why, sizeof why) < 0) {
        bundle_unref(b);
        b = NULL;
        err = why;
    }
    if (!b) {
        struct jig_event ev = {.kind = EVENT_BUNDLE, .message = "bundle refused",
                               .cause = err,
                               .advice = st->bundle ? "the active bundle stays in use; fix "
                                                      "the bundle and load it again"
                                                    : "fix the bundle and load it again",
                               .rate = -1};
        event_bus_publish(st->bus, &ev);
        return;
    }
    char msg[300];
    snprintf(msg, sizeof msg, "bundle %s %s for %s loaded from %s (id %.12s)", b->name,
             b->version, b->chip->name, b->dir, b->id);
    bundle_swap(&st->bundle, b);
    struct jig_event ev = {.kind = EVENT_BUNDLE, .message = msg, .rate = -1};
    event_bus_publish(st->bus, &ev);
}

int station_load_bundle(struct station *st, const char *dir, char *err, size_t errlen)
{
    struct stat sb;
    if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
        snprintf(err, errlen, "no bundle folder at %s", dir);
        return -1;
    }
    int r = bundle_load_async(st->loop, dir, on_bundle_ready, st);
    if (r < 0) {
        snprintf(err, errlen, "cannot start loading %s: %s", dir, uv_strerror(r));
        return -1;
    }
    st->loads_pending++;
    char msg[CONFIG_PATH_MAX + 32];
    snprintf(msg, sizeof msg, "loading bundle %s", dir);
    struct jig_event ev = {.kind = EVENT_BUNDLE, .message = msg, .rate = -1};
    event_bus_publish(st->bus, &ev);
    return 0;
}

/* ---- the API backend ---------------------------------------------------- */

size_t station_slot_count(const struct station *st)
{
    return st->n_slots;
}

struct slot *station_slot(struct station *st, int index)
{
    for (size_t i = 0; i < st->n_slots; i++)
        if (slot_index(st->slots[i]) == index)
            return st->slots[i];
    return NULL;
}

static cJSON *bundle_summary(const struct bundle *b)
{
    if (!b)
        return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", b->id);
    cJSON_AddStringToObject(o, "name", b->name);
    cJSON_AddStringToObject(o, "version", b->version);
    cJSON_AddStringToObject(o, "chip", b->chip->name);
    cJSON_AddStringToObject(o, "path", b->dir);
    return o;
}

static cJSON *api_station_json(void *ctx)
{
    struct station *st = ctx;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", st->cfg->station.name);
    cJSON_AddStringToObject(o, "version", "0.1");
    cJSON_AddNumberToObject(o, "slots", (double)st->n_slots);
    cJSON_AddItemToObject(o, "bundle", bundle_summary(st->bundle));
    cJSON_AddBoolToObject(o, "bundle_loading", st->loads_pending > 0);
    cJSON_AddNumberToObject(o, "uptime_s", (double)(uv_now(st->loop) - st->started_ms) / 1e3);
    return o;
}

static cJSON *api_slots_json(void *ctx)
{
    struct station *st = ctx;
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < st->n_slots; i++)
        cJSON_AddItemToArray(a, slot_to_json(st->slots[i]));
    return a;
}

static cJSON *api_slot_json(void *ctx, int index)
{
    struct slot *s = station_slot(ctx, index);
    return s ? slot_to_json(s) : NULL;
}

static struct slot *api_slot(struct station *st, int index, struct api_error *err)
{
    struct slot *s = station_slot(st, index);
    if (!s) {
        snprintf(err->error, sizeof err->error, "this station has no slot %d", index);
        snprintf(err->hint, sizeof err->hint, "GET /api/v1/slots lists the slots");
    }
    return s;
}

/* Who asked: the API has one bearer token and no user names, so "api". */
#define API_ACTOR "api"

/* Every API action goes to the audit log, refused ones too (with why). */
static enum api_status audited(struct station *st, const char *action, int slot,
                               enum api_status r, const struct api_error *err)
{
    if (st->units)
        unit_services_audit(st->units, API_ACTOR, action, slot,
                            r == API_ACCEPTED || r == API_OK ? NULL : err->error);
    return r;
}

static enum api_status api_start(void *ctx, int index, struct api_error *err)
{
    struct slot *s = api_slot(ctx, index, err);
    return audited(ctx, "slot.start", index, s ? slot_request_start(s, err) : API_NOT_FOUND,
                   err);
}

static enum api_status api_abort(void *ctx, int index, struct api_error *err)
{
    struct slot *s = api_slot(ctx, index, err);
    return audited(ctx, "slot.abort", index, s ? slot_request_abort(s, err) : API_NOT_FOUND,
                   err);
}

static enum api_status api_identify(void *ctx, int index, struct api_error *err)
{
    struct slot *s = api_slot(ctx, index, err);
    return audited(ctx, "slot.identify", index,
                   s ? slot_request_identify(s, err) : API_NOT_FOUND, err);
}

static enum api_status load_bundle_for_api(struct station *st, const char *path,
                                   struct api_error *err);

static enum api_status api_bundle_load(void *ctx, const char *path, struct api_error *err)
{
    struct station *st = ctx;
    enum api_status r = load_bundle_for_api(st, path, err);
    if (st->units)
        unit_services_audit(st->units, API_ACTOR, "bundle.load", 0,
                            r == API_ACCEPTED ? path : err->error);
    return r;
}

static enum api_status load_bundle_for_api(struct station *st, const char *path,
                                   struct api_error *err)
{
    if (st->stopping) {
        snprintf(err->error, sizeof err->error, "the station is stopping");
        snprintf(err->hint, sizeof err->hint, "load the bundle after jigd has restarted");
        return API_UNAVAILABLE;
    }
    if (station_load_bundle(st, path, err->error, sizeof err->error) < 0) {
        snprintf(err->hint, sizeof err->hint, "give the folder of a bundle on the station "
                 "(jigctl bundle import makes one)");
        return API_NOT_FOUND;
    }
    return API_ACCEPTED;
}

static cJSON *api_bundle_json(void *ctx)
{
    struct station *st = ctx;
    return st->bundle ? bundle_describe(st->bundle) : NULL;
}

struct api_backend station_backend(struct station *st)
{
    return (struct api_backend){
        .ctx = st,
        .station_json = api_station_json,
        .slots_json = api_slots_json,
        .slot_json = api_slot_json,
        .slot_start = api_start,
        .slot_abort = api_abort,
        .slot_identify = api_identify,
        .bundle_load = api_bundle_load,
        .bundle_json = api_bundle_json,
    };
}

/* ---- stopping ----------------------------------------------------------- */

static void maybe_stopped(struct station *st)
{
    if (!st->stopping || st->slots_open || st->loads_pending || !st->stopped_cb)
        return;
    void (*cb)(void *) = st->stopped_cb;
    st->stopped_cb = NULL;
    cb(st->stopped_ctx);
}

static void on_slot_closed(void *ctx)
{
    struct station *st = ctx;
    st->slots_open--;
    maybe_stopped(st);
}

void station_stop(struct station *st, void (*done)(void *ctx), void *ctx)
{
    st->stopping = true;
    st->stopped_cb = done;
    st->stopped_ctx = ctx;
    struct jig_event ev = {.kind = EVENT_STATION, .message = "station stopping", .rate = -1};
    event_bus_publish(st->bus, &ev);
    st->slots_open = st->n_slots;
    for (size_t i = 0; i < st->n_slots; i++)
        slot_close(st->slots[i], on_slot_closed, st);
    maybe_stopped(st);
}

void station_free(struct station *st)
{
    if (!st)
        return;
    for (size_t i = 0; st->slots && i < st->n_slots; i++)
        slot_free(st->slots[i]);
    free(st->slots);
    slot_baud_memory_free(st->baud);
    bundle_unref(st->bundle);
    free(st);
}
