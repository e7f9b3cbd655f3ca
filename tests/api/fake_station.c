/* fake_station: see fake_station.h. A stand-in, not the station. */
#include "fake_station.h"
#include "metrics_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct fake_slot *find(struct fake_station *fs, int slot)
{
    return slot >= 1 && slot <= FAKE_SLOTS ? &fs->slots[slot - 1] : NULL;
}

void fake_station_init(struct fake_station *fs, struct event_bus *bus)
{
    memset(fs, 0, sizeof *fs);
    fs->bus = bus;
    fs->wo_active = -1;
    for (int i = 0; i < FAKE_SLOTS; i++) {
        struct fake_slot *s = &fs->slots[i];
        s->slot = i + 1;
        snprintf(s->port, sizeof s->port, "/dev/ttyUSB%d", i);
        s->state = SLOT_IDLE;
    }
    struct fake_slot *s2 = &fs->slots[1];
    s2->state = SLOT_PASSED;
    snprintf(s2->serial, sizeof s2->serial, "SN000123");
    snprintf(s2->mac, sizeof s2->mac, "24:0a:c4:12:34:56");
    snprintf(s2->last_result, sizeof s2->last_result, "pass");
    struct fake_slot *s3 = &fs->slots[2];
    s3->state = SLOT_FAILED;
    snprintf(s3->last_result, sizeof s3->last_result, "fail");
    s3->error_phase = PHASE_VERIFY;
    snprintf(s3->cause, sizeof s3->cause, "MD5 of app differs after writing");
    snprintf(s3->advice, sizeof s3->advice, "reseat the board; check the flash chip");
}

static void add_nonempty(cJSON *o, const char *key, const char *v)
{
    if (v && v[0])
        cJSON_AddStringToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

static cJSON *slot_to_json(const struct fake_slot *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "slot", s->slot);
    cJSON_AddStringToObject(o, "port", s->port);
    cJSON_AddBoolToObject(o, "enabled", 1);
    cJSON_AddStringToObject(o, "state", slot_state_name(s->state));
    add_nonempty(o, "phase", phase_name(s->phase));
    cJSON_AddNumberToObject(o, "bytes_done", (double)s->bytes_done);
    cJSON_AddNumberToObject(o, "bytes_total", (double)s->bytes_total);
    add_nonempty(o, "serial", s->serial);
    add_nonempty(o, "mac", s->mac);
    add_nonempty(o, "last_result", s->last_result);
    if (s->cause[0]) {
        cJSON *e = cJSON_AddObjectToObject(o, "error");
        cJSON_AddStringToObject(e, "phase", phase_name(s->error_phase));
        cJSON_AddStringToObject(e, "cause", s->cause);
        cJSON_AddStringToObject(e, "advice", s->advice);
    } else {
        cJSON_AddNullToObject(o, "error");
    }
    return o;
}

static cJSON *bundle_summary(const struct fake_station *fs)
{
    if (!fs->bundle_loaded)
        return cJSON_CreateNull();
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "name", "fake-product");
    cJSON_AddStringToObject(b, "version", "1.4.0");
    return b;
}

static cJSON *station_json(void *ctx)
{
    struct fake_station *fs = ctx;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", "fake-line");
    cJSON_AddStringToObject(o, "version", "test");
    cJSON_AddNumberToObject(o, "slots", FAKE_SLOTS);
    cJSON_AddItemToObject(o, "bundle", bundle_summary(fs));
    return o;
}

static cJSON *slots_json(void *ctx)
{
    struct fake_station *fs = ctx;
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < FAKE_SLOTS; i++)
        cJSON_AddItemToArray(a, slot_to_json(&fs->slots[i]));
    return a;
}

static cJSON *slot_json(void *ctx, int slot)
{
    struct fake_slot *s = find(ctx, slot);
    return s ? slot_to_json(s) : NULL;
}

static void publish_slot(struct fake_station *fs, const struct fake_slot *s)
{
    struct jig_event ev = {.kind = EVENT_SLOT, .slot = s->slot, .state = s->state,
                           .phase = s->phase, .rate = -1};
    event_bus_publish(fs->bus, &ev);
}

static enum api_status slot_start(void *ctx, int slot, const char *actor, struct api_error *err)
{
    struct fake_station *fs = ctx;
    snprintf(fs->last_actor, sizeof fs->last_actor, "%s", actor);
    struct fake_slot *s = find(fs, slot);
    if (s->state == SLOT_RUNNING) {
        snprintf(err->error, sizeof err->error, "slot %d is already flashing", slot);
        snprintf(err->hint, sizeof err->hint, "wait for it, or abort it (jigctl abort %d)",
                 slot);
        return API_CONFLICT;
    }
    s->state = SLOT_RUNNING;
    s->phase = PHASE_CONNECT;
    s->cause[0] = '\0';
    publish_slot(fs, s);
    return API_ACCEPTED;
}

static enum api_status slot_abort(void *ctx, int slot, const char *actor, struct api_error *err)
{
    struct fake_station *fs = ctx;
    snprintf(fs->last_actor, sizeof fs->last_actor, "%s", actor);
    struct fake_slot *s = find(fs, slot);
    if (s->state != SLOT_RUNNING) {
        snprintf(err->error, sizeof err->error, "slot %d is %s; there is nothing to abort",
                 slot, slot_state_name(s->state));
        snprintf(err->hint, sizeof err->hint, "jigctl status shows what each slot does");
        return API_CONFLICT;
    }
    s->state = SLOT_IDLE;
    s->phase = PHASE_NONE;
    publish_slot(fs, s);
    return API_ACCEPTED;
}

static enum api_status slot_identify(void *ctx, int slot, const char *actor, struct api_error *err)
{
    struct fake_station *fs = ctx;
    snprintf(fs->last_actor, sizeof fs->last_actor, "%s", actor);
    fs->identify_count++;
    return API_OK;
}

static enum api_status bundle_load(void *ctx, const char *path, const char *actor,
                                   struct api_error *err)
{
    struct fake_station *fs = ctx;
    snprintf(fs->last_actor, sizeof fs->last_actor, "%s", actor);
    if (strncmp(path, "/bundles/", 9)) {
        snprintf(err->error, sizeof err->error, "no bundle at %s", path);
        snprintf(err->hint, sizeof err->hint, "give the folder of an imported bundle");
        return API_NOT_FOUND;
    }
    fs->bundle_loaded = true;
    snprintf(fs->bundle_path, sizeof fs->bundle_path, "%s", path);
    struct jig_event ev = {.kind = EVENT_BUNDLE, .message = "bundle loaded", .rate = -1};
    event_bus_publish(fs->bus, &ev);
    return API_OK;
}

static cJSON *bundle_json(void *ctx)
{
    struct fake_station *fs = ctx;
    if (!fs->bundle_loaded)
        return NULL;
    cJSON *b = bundle_summary(fs);
    cJSON_AddStringToObject(b, "path", fs->bundle_path);
    cJSON_AddStringToObject(b, "chip", "ESP32-S3");
    cJSON *parts = cJSON_AddArrayToObject(b, "parts");
    /* The real bundle names each part by its file (bundle_describe). */
    static const struct { const char *file; unsigned offset, size; } p[] = {
        {"bootloader.bin", 0x0, 21000}, {"partition-table.bin", 0x8000, 3072},
        {"app.bin", 0x10000, 912384},
    };
    for (size_t i = 0; i < 3; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "file", p[i].file);
        cJSON_AddNumberToObject(o, "offset", p[i].offset);
        cJSON_AddNumberToObject(o, "size", p[i].size);
        cJSON_AddStringToObject(o, "md5", "00112233445566778899aabbccddeeff");
        cJSON_AddItemToArray(parts, o);
    }
    return b;
}

/* One standing alarm, id 1, until acknowledged. */
static cJSON *alarms_json(void *ctx)
{
    struct fake_station *fs = ctx;
    cJSON *o = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(o, "alarms");
    cJSON *a = cJSON_CreateObject();
    cJSON_AddNumberToObject(a, "id", 1);
    cJSON_AddStringToObject(a, "kind", "failing");
    cJSON_AddBoolToObject(a, "acknowledged", fs->alarm_acked);
    cJSON_AddItemToArray(list, a);
    return o;
}

static enum api_status alarm_ack(void *ctx, uint64_t id, const char *actor, struct api_error *err)
{
    struct fake_station *fs = ctx;
    snprintf(fs->last_actor, sizeof fs->last_actor, "%s", actor);
    if (id != 1) {
        snprintf(err->error, sizeof err->error, "there is no alarm %llu", (unsigned long long)id);
        snprintf(err->hint, sizeof err->hint, "GET /api/v1/alarms lists them");
        return API_NOT_FOUND;
    }
    if (fs->alarm_acked) {
        snprintf(err->error, sizeof err->error, "alarm 1 is acknowledged already");
        snprintf(err->hint, sizeof err->hint, "GET /api/v1/alarms says by whom");
        return API_CONFLICT;
    }
    fs->alarm_acked = true;
    return API_OK;
}

/* Attempts 1..n_attempts, every one on slot 1 and failed: paged as asked
 * (the filters themselves are the database's: tests/db/test_reports.c). */
static enum api_status attempts(void *ctx, const struct api_attempt_query *q, cJSON **rows,
                                struct api_error *err)
{
    struct fake_station *fs = ctx;
    fs->last_query = *q;
    snprintf(fs->last_phase, sizeof fs->last_phase, "%s", q->phase ? q->phase : "");
    fs->last_query.from = fs->last_query.to = fs->last_query.result = NULL;
    fs->last_query.work_order = fs->last_query.unit = fs->last_query.phase = NULL;  /* not kept */
    if (q->from && !strcmp(q->from, "yesterday")) {
        snprintf(err->error, sizeof err->error, "'yesterday' is not a time");
        snprintf(err->hint, sizeof err->hint, "times are UTC");
        return API_BAD_REQUEST;
    }
    *rows = cJSON_CreateArray();
    int64_t id = q->cursor ? q->cursor : (q->newest_first ? fs->n_attempts + 1 : 0);
    for (int64_t n = 0; n < q->limit; n++) {
        id += q->newest_first ? -1 : 1;
        if (id < 1 || id > fs->n_attempts)
            break;
        cJSON *r = cJSON_CreateObject();
        cJSON_AddNumberToObject(r, "attempt_id", (double)id);
        cJSON_AddStringToObject(r, "result", "failed");
        cJSON_AddStringToObject(r, "cause", "a \"quoted\", cause");
        cJSON_AddItemToArray(*rows, r);
    }
    return API_OK;
}

static enum api_status unit_story(void *ctx, const char *key, cJSON **out, struct api_error *err)
{
    (void)ctx;
    if (strcmp(key, "SN000123")) {
        snprintf(err->error, sizeof err->error, "no unit has serial or MAC '%.64s'", key);
        snprintf(err->hint, sizeof err->hint, "search by serial or MAC");
        return API_NOT_FOUND;
    }
    *out = cJSON_Parse("{\"units\":[{\"unit\":{\"serial\":\"SN000123\"}}]}");
    return API_OK;
}

/* yield is an object, rate rows; nothing else exists. */
static enum api_status report(void *ctx, const char *name, const char *from, const char *to,
                              bool by_phase, cJSON **out, struct api_error *err)
{
    (void)ctx, (void)from, (void)to, (void)by_phase;
    if (!strcmp(name, "yield")) {
        *out = cJSON_Parse("{\"units\":4,\"first_pass\":3,\"percent\":75,\"per_day\":[]}");
        return API_OK;
    }
    if (!strcmp(name, "rate")) {
        *out = cJSON_Parse("[{\"hour\":\"2026-12-07T10:00Z\",\"units\":4}]");
        return API_OK;
    }
    snprintf(err->error, sizeof err->error, "there is no report '%.32s'", name);
    snprintf(err->hint, sizeof err->hint, "GET /api/v1/reports/yield, for one");
    return API_NOT_FOUND;
}

/* Serial SN000123 exists (slot 2's), once. */
static enum api_status serial_void(void *ctx, const char *serial, const char *reason,
                                   const char *actor, struct api_error *err)
{
    struct fake_station *fs = ctx;
    (void)reason;
    snprintf(fs->last_actor, sizeof fs->last_actor, "%s", actor);
    if (strcmp(serial, "SN000123")) {
        snprintf(err->error, sizeof err->error, "serial %.64s is unknown", serial);
        snprintf(err->hint, sizeof err->hint, "a serial this station allocated");
        return API_NOT_FOUND;
    }
    if (fs->serial_voided) {
        snprintf(err->error, sizeof err->error, "serial %s is already voided", serial);
        snprintf(err->hint, sizeof err->hint, "GET /api/v1/units/%s shows why", serial);
        return API_CONFLICT;
    }
    fs->serial_voided = true;
    return API_OK;
}

static enum api_status audit_verify(void *ctx, cJSON **out, struct api_error *err)
{
    (void)ctx, (void)err;
    *out = cJSON_Parse("{\"ok\":true,\"rows\":12}");
    return API_OK;
}

/* Up to four work orders, kept as made. */
static int wo_find(struct fake_station *fs, const char *id)
{
    for (int i = 0; i < 4; i++)
        if (fs->wo_id[i][0] && !strcmp(fs->wo_id[i], id))
            return i;
    return -1;
}

static cJSON *wo_json(struct fake_station *fs, int i)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", fs->wo_id[i]);
    cJSON_AddNumberToObject(o, "quantity", (double)fs->wo_quantity[i]);
    cJSON_AddBoolToObject(o, "active", fs->wo_active == i);
    return o;
}

static enum api_status work_orders(void *ctx, const struct api_page *page, cJSON **rows,
                                   struct api_error *err)
{
    (void)err;
    struct fake_station *fs = ctx;
    *rows = cJSON_CreateArray();
    for (int i = 0; i < 4; i++) {
        if (!fs->wo_id[i][0] || (page->cursor && i + 1 <= page->cursor)
            || cJSON_GetArraySize(*rows) == page->limit)
            continue;
        cJSON *o = wo_json(fs, i);
        cJSON_AddNumberToObject(o, "seq", i + 1);
        cJSON_AddItemToArray(*rows, o);
    }
    return API_OK;
}

static enum api_status work_order(void *ctx, const char *id, cJSON **out, struct api_error *err)
{
    struct fake_station *fs = ctx;
    int i = wo_find(fs, id);
    if (i < 0) {
        snprintf(err->error, sizeof err->error, "work order %.64s is unknown", id);
        snprintf(err->hint, sizeof err->hint, "GET /api/v1/work-orders lists them");
        return API_NOT_FOUND;
    }
    *out = wo_json(fs, i);
    return API_OK;
}

static enum api_status work_order_create(void *ctx, const struct api_work_order_new *w,
                                         const char *actor, struct api_error *err)
{
    struct fake_station *fs = ctx;
    const char *id = w->id;
    snprintf(fs->last_actor, sizeof fs->last_actor, "%s", actor);
    int i = 0;
    while (i < 4 && fs->wo_id[i][0])
        i++;
    if (wo_find(fs, id) >= 0 || i == 4) {
        snprintf(err->error, sizeof err->error, "work order %.64s already exists", id);
        snprintf(err->hint, sizeof err->hint, "GET /api/v1/work-orders/%.64s shows it", id);
        return API_CONFLICT;
    }
    snprintf(fs->wo_id[i], sizeof fs->wo_id[i], "%s", id);
    fs->wo_quantity[i] = w->quantity;
    return API_OK;
}

/* The FAKE bundle store: an upload whose bytes begin "BUNDLE" is stored
 * (as fake-1.0, id FAKE_BUNDLE_ID), anything else refused as the real
 * store refuses an unsafe archive. The answer is given at once, before the
 * handler returns: the early end of what a deferred answer may do. */
static cJSON *bundles_json(void *ctx)
{
    struct fake_station *fs = ctx;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "store", "/var/lib/jigd/bundles");
    cJSON *list = cJSON_AddArrayToObject(o, "bundles");
    if (fs->bundle_stored) {
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "id", FAKE_BUNDLE_ID);
        cJSON_AddStringToObject(b, "name", "fake");
        cJSON_AddStringToObject(b, "version", "1.0");
        cJSON_AddStringToObject(b, "chip", "ESP32");
        cJSON_AddStringToObject(b, "path", "/var/lib/jigd/bundles/fake-1.0");
        cJSON_AddBoolToObject(b, "active", false);
        cJSON_AddItemToArray(list, b);
    }
    return o;
}

static enum api_status bundle_upload(void *ctx, const uint8_t *data, size_t len,
                                     const char *actor, api_upload_done done, void *arg,
                                     struct api_error *err)
{
    struct fake_station *fs = ctx;
    snprintf(fs->last_actor, sizeof fs->last_actor, "%s", actor);
    fs->upload_len = len;
    bool good = len >= 6 && !memcmp(data, "BUNDLE", 6);
    if (!good) {
        snprintf(err->error, sizeof err->error, "member '../x': a path that climbs out of "
                 "the bundle is refused");
        snprintf(err->hint, sizeof err->hint, "nothing was stored");
        done(arg, API_INVALID, NULL, err);
        return API_ACCEPTED;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "result", fs->bundle_stored ? "held" : "stored");
    fs->bundle_stored = true;
    cJSON *store = bundles_json(fs);
    cJSON_AddItemToObject(o, "bundle", cJSON_DetachItemFromArray(
        cJSON_GetObjectItem(store, "bundles"), 0));
    cJSON_Delete(store);
    done(arg, API_OK, o, NULL);
    return API_ACCEPTED;
}

static enum api_status bundle_activate(void *ctx, const char *id, const char *actor,
                                       struct api_error *err)
{
    struct fake_station *fs = ctx;
    snprintf(fs->last_actor, sizeof fs->last_actor, "%s", actor);
    if (fs->bundle_stored && strlen(id) >= 8 && !strncmp(FAKE_BUNDLE_ID, id, strlen(id)))
        return API_ACCEPTED;
    snprintf(err->error, sizeof err->error, "no bundle %.64s is held", id);
    snprintf(err->hint, sizeof err->hint, "GET /api/v1/bundles lists the bundles held");
    return API_NOT_FOUND;
}

static enum api_status work_order_activate(void *ctx, const char *id, const char *actor,
                                           struct api_error *err)
{
    struct fake_station *fs = ctx;
    snprintf(fs->last_actor, sizeof fs->last_actor, "%s", actor);
    int i = wo_find(fs, id);
    if (i < 0) {
        snprintf(err->error, sizeof err->error, "work order %.64s is unknown", id);
        snprintf(err->hint, sizeof err->hint, "GET /api/v1/work-orders lists them");
        return API_NOT_FOUND;
    }
    fs->wo_active = i;
    return API_OK;
}

/* A FAKE of the station's CSV writer: just enough to see it reached. */
static char *rows_csv(void *ctx, const cJSON *rows)
{
    (void)ctx;
    char *text = malloc(64);
    if (text)
        snprintf(text, 64, "attempt_id,result\n%d rows\n", cJSON_GetArraySize(rows));
    return text;
}

/* GET /metrics' station side: one FAKE gauge per slot, or (bad_metrics) a
 * counter not named *_total, which the writer refuses. */
static void metrics(void *ctx, struct metrics_text *out)
{
    struct fake_station *fs = ctx;
    metrics_family(out, METRICS_GAUGE, "fake_slot_bytes_done", "A FAKE station's progress.");
    for (int i = 0; i < FAKE_SLOTS; i++) {
        char slot[8];
        snprintf(slot, sizeof slot, "%d", fs->slots[i].slot);
        metrics_count(out, (const struct metrics_label[]){{"slot", slot}}, 1,
                      fs->slots[i].bytes_done);
    }
    if (fs->bad_metrics)
        metrics_family(out, METRICS_COUNTER, "fake_things", "no _total");
}

struct api_backend fake_station_backend(struct fake_station *fs)
{
    return (struct api_backend){
        .ctx = fs,
        .station_json = station_json,
        .slots_json = slots_json,
        .slot_json = slot_json,
        .slot_start = slot_start,
        .slot_abort = slot_abort,
        .slot_identify = slot_identify,
        .bundle_load = bundle_load,
        .bundle_json = bundle_json,
        .metrics = metrics,
        .alarms_json = alarms_json,
        .alarm_ack = alarm_ack,
        .attempts = attempts,
        .unit_story = unit_story,
        .rows_csv = rows_csv,
        .report = report,
        .audit_verify = audit_verify,
        .serial_void = serial_void,
        .work_orders = work_orders,
        .work_order = work_order,
        .work_order_create = work_order_create,
        .work_order_activate = work_order_activate,
        .bundles_json = bundles_json,
        .bundle_upload = bundle_upload,
        .bundle_activate = bundle_activate,
    };
}

uint64_t fake_station_progress(struct fake_station *fs, int slot, uint64_t done,
                               uint64_t total)
{
    struct fake_slot *s = find(fs, slot);
    if (s) {
        s->bytes_done = done;
        s->bytes_total = total;
        s->phase = PHASE_WRITE;
    }
    struct jig_event ev = {.kind = EVENT_PROGRESS, .slot = slot, .phase = PHASE_WRITE,
                           .bytes_done = done, .bytes_total = total, .rate = 460800};
    return event_bus_publish(fs->bus, &ev);
}
