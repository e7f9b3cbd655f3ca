/* The station: slots, the active bundle and the bundles being loaded. */
#include "station.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bundle.h"
#include "bundle_choice.h"
#include "slot.h"
#include "station_alarms.h"
#include "station_labels.h"
#include "station_internal.h"
#include "station_production.h"
#include "unit_services.h"


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

static void publish_bundle_event(struct station *st, const char *message, const char *cause,
                                 const char *advice)
{
    struct jig_event ev = {.kind = EVENT_BUNDLE, .message = message, .cause = cause,
                           .advice = advice, .rate = -1};
    event_bus_publish(st->bus, &ev);
}

struct station *station_new(uv_loop_t *loop, const struct jigd_config *cfg,
                            struct event_bus *bus, char *err, size_t errlen)
{
    for (size_t i = 0; i < cfg->n_slots; i++)
        if (check_slot_config(&cfg->slots[i], err, errlen) < 0)
            return NULL;
    struct station *st = calloc(1, sizeof *st);
    if (!st || !(st->baud = slot_baud_memory_new()) || !(st->alarms = station_alarms_new(bus))
        || !(st->slots = calloc(cfg->n_slots ? cfg->n_slots : 1, sizeof *st->slots))) {
        station_free(st);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    st->loop = loop;
    st->cfg = cfg;
    st->bus = bus;
    if (station_labels_open(loop, cfg, bus, st->alarms, &st->labels, err, errlen) < 0) {
        station_free(st);
        return NULL;
    }
    st->labels_open = st->labels != NULL;
    st->env = (struct slot_env){
        .loop = loop,
        .bus = bus,
        .bundle = &st->bundle,
        .bundles_loading = &st->loads_pending,
        .stub_dir = cfg->station.stub_dir[0] ? cfg->station.stub_dir : NULL,
        .boot_log_ms = cfg->station.boot_log_seconds * 1000u,
        .board_code = cfg->station.board_code,
        .baud = st->baud,
        .alarms = st->alarms,
        .labels = st->labels,
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

/* What every slot shares changed (a bundle in, a load over): each resting
 * slot says what still keeps it from flashing, the manual ones too. */
static void review_slots(struct station *st)
{
    for (size_t i = 0; i < st->n_slots; i++)
        slot_review(st->slots[i]);
}

void station_start(struct station *st)
{
    struct jig_event ev = {.kind = EVENT_STATION, .message = "station started", .rate = -1};
    event_bus_publish(st->bus, &ev);
    for (size_t i = 0; i < st->n_slots; i++)
        slot_begin(st->slots[i]);
    station_sweep_uploads(st);
    char dir[CONFIG_PATH_MAX], why[3 * CONFIG_PATH_MAX + 400];
    bundle_choice_at_start(st->cfg, dir, sizeof dir, why, sizeof why);
    publish_bundle_event(st, why, NULL, NULL);
    if (!dir[0]) {
        review_slots(st);
        return;
    }
    char err[CONFIG_PATH_MAX + 64];
    if (station_load_bundle(st, dir, err, sizeof err) == 0)
        return;
    const char *conf = st->cfg->station.bundle;
    if (conf[0] && strcmp(dir, conf)) {
        /* The chosen folder is gone: jigd.conf's is better than none. */
        publish_bundle_event(st, "the bundle chosen over the API cannot be loaded", err,
                             "loading jigd.conf's bundle instead; choose again with "
                             "jigctl bundle load");
        if (station_load_bundle(st, conf, err, sizeof err) == 0)
            return;
    }
    publish_bundle_event(st, "no bundle loaded", err, "fix jigd.conf's bundle or choose one "
                         "with jigctl bundle load");
    review_slots(st);
}

/* ---- bundles ----------------------------------------------------------- */


/* One load in flight: its number, and whether it is the operator's
 * choice (asked over the API) to be remembered across restarts. */
struct bundle_request {
    struct station *st;
    uint64_t number;
    bool from_api;
};

static void take_bundle(struct station *st, struct bundle *b, const char *err, bool latest,
                        bool from_api);

static void on_bundle_ready(struct bundle *b, const char *err, void *arg)
{
    struct bundle_request *req = arg;
    struct station *st = req->st;
    bool latest = req->number == st->loads_asked, from_api = req->from_api;
    free(req);
    st->loads_pending--;
    if (st->stopping) {
        bundle_unref(b);
        station_maybe_stopped(st);
        return;
    }
    take_bundle(st, b, err, latest, from_api);
    review_slots(st);
}

/* A load is over: refused, outrun by a later one, or now the active one. */
static void take_bundle(struct station *st, struct bundle *b, const char *err, bool latest,
                        bool from_api)
{
    char why[600];
    if (b && st->units && unit_services_check_bundle(st->units, b, why, sizeof why) < 0) {
        bundle_unref(b);
        b = NULL;
        err = why;
    }
    if (!b) {
        publish_bundle_event(st, "bundle refused", err,
                             st->bundle ? "the active bundle stays in use; fix the bundle "
                                          "and load it again"
                                        : "fix the bundle and load it again");
        return;
    }
    char msg[2 * CONFIG_PATH_MAX + 200];
    if (!latest) {
        /* Two loads asked back to back: the operator's last word wins,
         * even when this earlier one took longer to load. */
        snprintf(msg, sizeof msg, "bundle %s loaded but not made active: %s was asked "
                 "for after it", b->dir, st->last_asked);
        bundle_unref(b);
        publish_bundle_event(st, msg, NULL, NULL);
        return;
    }
    snprintf(msg, sizeof msg, "bundle %s %s for %s loaded from %s (id %.12s)", b->name,
             b->version, b->chip->name, b->dir, b->id);
    bundle_swap(&st->bundle, b);
    publish_bundle_event(st, msg, NULL, NULL);
    if (from_api && bundle_choice_save(st->cfg, b->dir, b->id, why, sizeof why) < 0)
        publish_bundle_event(st, "the bundle is active but the choice could not be saved",
                             why, "until it is, a restart of jigd loads jigd.conf's bundle: "
                             "check data_dir, then load the bundle again");
}

int station_load_bundle_as(struct station *st, const char *dir, bool from_api, char *err,
                           size_t errlen)
{
    struct stat sb;
    if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
        snprintf(err, errlen, "no bundle folder at %s", dir);
        return -1;
    }
    struct bundle_request *req = malloc(sizeof *req);
    if (!req) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *req = (struct bundle_request){.st = st, .number = st->loads_asked + 1,
                                   .from_api = from_api};
    int r = bundle_load_async(st->loop, dir, on_bundle_ready, req);
    if (r < 0) {
        free(req);
        snprintf(err, errlen, "cannot start loading %s: %s", dir, uv_strerror(r));
        return -1;
    }
    st->loads_asked = req->number;
    snprintf(st->last_asked, sizeof st->last_asked, "%s", dir);
    st->loads_pending++;
    char msg[CONFIG_PATH_MAX + 32];
    snprintf(msg, sizeof msg, "loading bundle %s", dir);
    publish_bundle_event(st, msg, NULL, NULL);
    return 0;
}

int station_load_bundle(struct station *st, const char *dir, char *err, size_t errlen)
{
    return station_load_bundle_as(st, dir, false, err, errlen);
}

/* ---- what the API asks --------------------------------------------------- */

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

cJSON *station_json(const struct station *st)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", st->cfg->station.name);
    cJSON_AddStringToObject(o, "version", JIGD_VERSION);
    cJSON_AddNumberToObject(o, "slots", (double)st->n_slots);
    cJSON_AddItemToObject(o, "bundle", bundle_summary(st->bundle));
    cJSON_AddBoolToObject(o, "bundle_loading", st->loads_pending > 0);
    cJSON_AddNumberToObject(o, "uptime_s", (double)(uv_now(st->loop) - st->started_ms) / 1e3);
    cJSON *production = st->units ? station_production_json(st->units, time(NULL)) : NULL;
    cJSON_AddItemToObject(o, "production", production ? production : cJSON_CreateNull());
    return o;
}

cJSON *station_slots_json(const struct station *st)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < st->n_slots; i++)
        cJSON_AddItemToArray(a, slot_to_json(st->slots[i]));
    return a;
}

void station_on_alarm(struct station *st, void (*fn)(void *ctx, const cJSON *alarm), void *ctx)
{
    station_alarms_on_raise(st->alarms, fn, ctx);
}

cJSON *station_alarms_list_json(const struct station *st)
{
    return station_alarms_json(st->alarms);
}

enum station_answer station_ack_alarm(struct station *st, uint64_t id, const char *actor,
                                      struct slot_refusal *why)
{
    switch (station_alarms_ack(st->alarms, id, actor)) {
    case ALARM_ACKED:
        return STATION_ACCEPTED;
    case ALARM_ACK_ALREADY:
        snprintf(why->error, sizeof why->error, "alarm %llu is acknowledged already",
                 (unsigned long long)id);
        snprintf(why->hint, sizeof why->hint, "GET /api/v1/alarms says by whom and when");
        return STATION_NOT_NOW;
    case ALARM_ACK_NO_SUCH:
        break;
    }
    snprintf(why->error, sizeof why->error, "there is no alarm %llu", (unsigned long long)id);
    snprintf(why->hint, sizeof why->hint, "GET /api/v1/alarms lists the standing ones; one "
             "acknowledged whose cause is over is gone");
    return STATION_NO_SUCH_ALARM;
}

cJSON *station_bundle_json(const struct station *st)
{
    return st->bundle ? bundle_describe(st->bundle) : NULL;
}

static enum station_answer no_such_slot(int index, struct slot_refusal *why)
{
    snprintf(why->error, sizeof why->error, "this station has no slot %d", index);
    snprintf(why->hint, sizeof why->hint, "GET /api/v1/slots lists the slots");
    return STATION_NO_SUCH_SLOT;
}

enum station_answer station_ask_slot(struct station *st, int index, enum station_request req,
                                     struct slot_refusal *why)
{
    struct slot *s = station_slot(st, index);
    if (!s)
        return no_such_slot(index, why);
    bool ok = false;
    switch (req) {
    case STATION_START: ok = slot_request_start(s, why); break;
    case STATION_ABORT: ok = slot_request_abort(s, why); break;
    case STATION_IDENTIFY: ok = slot_request_identify(s, why); break;
    }
    return ok ? STATION_ACCEPTED : STATION_NOT_NOW;
}

/* The slot a scan that names none goes to; NULL with why when none. */
static struct slot *slot_for_scan(struct station *st, struct slot_refusal *why)
{
    struct slot *best = NULL;
    int best_rank = -1;
    for (size_t i = 0; i < st->n_slots; i++) {
        int rank = slot_board_code_rank(st->slots[i]);
        if (rank >= 0 && (best_rank < 0 || rank < best_rank)) {
            best = st->slots[i];
            best_rank = rank;
        }
    }
    if (!best) {
        snprintf(why->error, sizeof why->error, "no slot waits for a board code: each has one "
                 "scanned already, is flashing, or still holds its last board");
        snprintf(why->hint, sizeof why->hint, "take the finished boards out, or tap a slot "
                 "on the dashboard and scan again for that slot");
    }
    return best;
}

/* The slot whose next board waits with this code already, or NULL. */
static struct slot *slot_with_code(struct station *st, const char *code)
{
    for (size_t i = 0; i < st->n_slots; i++) {
        const char *pending = slot_board_code_pending(st->slots[i]);
        if (pending && !strcmp(pending, code))
            return st->slots[i];
    }
    return NULL;
}

enum station_answer station_scan_board_code(struct station *st, const char *code, int slot,
                                            const char *actor, struct station_scan *out,
                                            struct slot_refusal *why)
{
    *out = (struct station_scan){0};
    if (!sdb_board_code_valid(code)) {
        snprintf(why->error, sizeof why->error, "'%.80s' is not a board code: 1 to %d "
                 "printable characters", code, SDB_BOARD_CODE_MAX);
        snprintf(why->hint, sizeof why->hint, "scan the label again; if it reads like this "
                 "every time, check the scanner's settings (no prefix, Enter at the end)");
        return STATION_BAD_INPUT;
    }
    if (st->cfg->station.board_code == BOARD_CODE_NONE) {
        snprintf(why->error, sizeof why->error, "this station takes no board codes "
                 "(board_code = none)");
        snprintf(why->hint, sizeof why->hint, "%s", BOARD_CODE_NONE_HINT);
        return STATION_NOT_NOW;
    }
    struct slot *s = slot ? station_slot(st, slot) : slot_for_scan(st, why);
    if (slot && !s)
        return no_such_slot(slot, why);
    if (!s)
        return STATION_NOT_NOW;
    struct slot *holder = slot_with_code(st, code);
    if (holder && holder != s) {
        snprintf(why->error, sizeof why->error, "board code %s waits already for the board in "
                 "slot %d", code, slot_index(holder));
        snprintf(why->hint, sizeof why->hint, "a label names one board: scan the label of the "
                 "board in this slot");
        return STATION_NOT_NOW;
    }
    if (st->units && sdb_board_code_owner(st->units->db, code, out->owner) != SDB_OK)
        out->owner[0] = '\0';
    if (!slot_request_board_code(s, code, actor, out->replaced, why))
        return STATION_NOT_NOW;
    out->slot = slot_index(s);
    return STATION_ACCEPTED;
}

enum station_answer station_label_preview(const struct station *st, int index, char **svg,
                                          struct slot_refusal *why)
{
    if (!station_slot((struct station *)st, index))
        return no_such_slot(index, why);
    return station_labels_preview(st->labels, index, svg, why);
}

enum station_answer station_label_reprint(struct station *st, const char *serial,
                                          struct slot_refusal *why)
{
    return station_labels_reprint(st->labels, serial, why);
}

enum station_answer station_ask_bundle(struct station *st, const char *path,
                                       struct slot_refusal *why)
{
    if (station_refused_stopping(st, "load the bundle", why))
        return STATION_STOPPING;
    if (station_load_bundle_as(st, path, true, why->error, sizeof why->error) < 0) {
        snprintf(why->hint, sizeof why->hint, "give the folder of a bundle on the station "
                 "(jigctl bundle import makes one)");
        return STATION_NO_SUCH_BUNDLE;
    }
    return STATION_ACCEPTED;
}

bool station_refused_stopping(const struct station *st, const char *action,
                              struct slot_refusal *why)
{
    if (!st->stopping)
        return false;
    snprintf(why->error, sizeof why->error, "the station is stopping");
    snprintf(why->hint, sizeof why->hint, "%s after jigd has restarted", action);
    return true;
}

/* ---- stopping ----------------------------------------------------------- */

static void on_labels_closed(void *ctx)
{
    struct station *st = ctx;
    st->labels_open = false;
    station_maybe_stopped(st);
}

/* The label printer goes last: a unit that passes while its slot closes
 * still has its label sent (or said not sent). */
void station_maybe_stopped(struct station *st)
{
    if (!st->stopping || st->slots_open || st->loads_pending || st->uploads_pending
        || !st->stopped_cb)
        return;
    if (st->labels_open) {
        if (!st->labels_closing) {
            st->labels_closing = true;
            station_labels_close(st->labels, on_labels_closed, st);
        }
        return;
    }
    void (*cb)(void *) = st->stopped_cb;
    st->stopped_cb = NULL;
    cb(st->stopped_ctx);
}

static void on_slot_closed(void *ctx)
{
    struct station *st = ctx;
    st->slots_open--;
    station_maybe_stopped(st);
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
    station_maybe_stopped(st);
}

void station_free(struct station *st)
{
    if (!st)
        return;
    for (size_t i = 0; st->slots && i < st->n_slots; i++)
        slot_free(st->slots[i]);
    free(st->slots);
    slot_baud_memory_free(st->baud);
    station_labels_free(st->labels);
    station_alarms_free(st->alarms);
    bundle_unref(st->bundle);
    free(st);
}
