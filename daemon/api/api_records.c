/* The station database's records over the API, the same queries as
 * jigctl audit: a page of attempts (filters from the query, a cursor, JSON
 * or CSV), a unit's whole story, and the reports over many units. */
#include "api_routes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT_DEFAULT 100
#define LIMIT_MAX 1000

/* A query parameter, NULL when absent or empty. */
static const char *param(struct http_request *req, const char *name)
{
    const char *v = http_request_query(req, name);
    return v && v[0] ? v : NULL;
}

/* A whole number in [min, max] from the query, or `dflt` when absent; -1
 * (and the reply said) when malformed. */
static int number(struct http_request *req, const char *name, long long min, long long max,
                  long long dflt, int64_t *out)
{
    const char *v = param(req, name);
    *out = dflt;
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (v[0] < '0' || v[0] > '9' || *end || errno || n < min || n > max) {
        http_reply_error(req, 400, "see docs/api.md: limit is 1 to 1000, cursor the "
                         "next_cursor of the page before",
                         "%s = '%.40s' is not a whole number from %lld to %lld", name, v, min,
                         max);
        return -1;
    }
    *out = n;
    return 0;
}

int api_read_page(struct http_request *req, struct api_page *p, bool *csv)
{
    const char *order = param(req, "order"), *format = param(req, "format");
    if ((order && strcmp(order, "newest") && strcmp(order, "oldest")) ||
        (format && strcmp(format, "json") && strcmp(format, "csv"))) {
        http_reply_error(req, 400, "order is newest (the default) or oldest; format is json "
                         "(the default) or csv", "order '%.20s' or format '%.20s' is not known",
                         order ? order : "", format ? format : "");
        return -1;
    }
    p->newest_first = !order || !strcmp(order, "newest");
    *csv = format && !strcmp(format, "csv");
    if (number(req, "limit", 1, LIMIT_MAX, LIMIT_DEFAULT, &p->limit) < 0 ||
        number(req, "cursor", 1, INT64_MAX, 0, &p->cursor) < 0)
        return -1;
    return 0;
}

static int read_query(struct http_request *req, struct api_attempt_query *q, bool *csv)
{
    *q = (struct api_attempt_query){.from = param(req, "from"), .to = param(req, "to"),
                                    .result = param(req, "result"),
                                    .work_order = param(req, "work_order"),
                                    .unit = param(req, "unit"), .phase = param(req, "phase"),
                                    .slot = -1};
    const char *slot = param(req, "slot");
    if (slot && api_route_parse_slot(slot, strlen(slot), &q->slot) < 0) {
        http_reply_error(req, 400, "a slot number as in jigd.conf, e.g. slot=3",
                         "slot = '%.40s' is not a slot number", slot);
        return -1;
    }
    struct api_page p;
    if (api_read_page(req, &p, csv) < 0)
        return -1;
    q->newest_first = p.newest_first;
    q->limit = p.limit;
    q->cursor = p.cursor;
    return 0;
}

static void reply_csv(struct http_request *req, const struct api_backend *be, const cJSON *rows)
{
    char *text = be->rows_csv(be->ctx, rows);
    if (!text) {
        http_reply_error(req, 503, "the station is short of memory", "out of memory");
        return;
    }
    http_reply_bytes(req, 200, "text/csv; charset=utf-8", text, strlen(text));
    free(text);
}

/* The page's last row id (`key`) when the page is full: where the next begins. */
static void add_next_cursor(cJSON *o, const cJSON *rows, int64_t limit, const char *key)
{
    const cJSON *last = cJSON_GetArrayItem(rows, cJSON_GetArraySize(rows) - 1);
    const cJSON *id = last ? cJSON_GetObjectItemCaseSensitive(last, key) : NULL;
    if (cJSON_GetArraySize(rows) == limit && cJSON_IsNumber(id))
        cJSON_AddNumberToObject(o, "next_cursor", id->valuedouble);
    else
        cJSON_AddNullToObject(o, "next_cursor");
}

void api_reply_page(struct http_request *req, const struct api_backend *be, cJSON *rows,
                    bool csv, int64_t limit, const char *name, const char *id_key)
{
    if (csv) {
        reply_csv(req, be, rows);
        cJSON_Delete(rows);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    add_next_cursor(o, rows, limit, id_key);
    cJSON_AddItemToObject(o, name, rows);
    http_reply_json(req, 200, o);
}

void api_get_attempts(struct http_request *req, void *ctx)
{
    const struct api_backend *be = api_routes_backend(ctx);
    struct api_attempt_query q;
    bool csv;
    if (read_query(req, &q, &csv) < 0)
        return;
    cJSON *rows = NULL;
    struct api_error err = {{0}, {0}};
    enum api_status st = be->attempts(be->ctx, &q, &rows, &err);
    if (st != API_OK) {
        api_reply_refusal(req, st, &err, "the attempts could not be read");
        return;
    }
    api_reply_page(req, be, rows, csv, q.limit, "attempts", "attempt_id");
}

void api_get_units(struct http_request *req, void *ctx)
{
    const struct api_backend *be = api_routes_backend(ctx);
    struct api_page p;
    bool csv;
    if (api_read_page(req, &p, &csv) < 0)
        return;
    struct api_unit_query q = {.from = param(req, "from"), .to = param(req, "to"),
                               .work_order = param(req, "work_order"),
                               .state = param(req, "state"), .limit = p.limit,
                               .cursor = p.cursor, .newest_first = p.newest_first};
    cJSON *rows = NULL;
    struct api_error err = {{0}, {0}};
    enum api_status st = be->units(be->ctx, &q, &rows, &err);
    if (st != API_OK) {
        api_reply_refusal(req, st, &err, "the units could not be read");
        return;
    }
    api_reply_page(req, be, rows, csv, q.limit, "units", "unit_id");
}

void api_get_unit(struct http_request *req, void *ctx)
{
    const struct api_backend *be = api_routes_backend(ctx);
    const char *key = api_route_param(http_request_params(req), "key");
    cJSON *out = NULL;
    struct api_error err = {{0}, {0}};
    enum api_status st = be->unit_story(be->ctx, key ? key : "", &out, &err);
    if (st != API_OK) {
        api_reply_refusal(req, st, &err, "the unit could not be read");
        return;
    }
    http_reply_json(req, 200, out);
}

void api_get_report(struct http_request *req, void *ctx)
{
    const struct api_backend *be = api_routes_backend(ctx);
    const char *name = api_route_param(http_request_params(req), "name");
    const char *by = param(req, "by"), *format = param(req, "format");
    bool csv = format && !strcmp(format, "csv");
    if ((by && strcmp(by, "phase")) || (format && !csv && strcmp(format, "json"))) {
        http_reply_error(req, 400, "by=phase groups the Pareto by phase only; format is json "
                         "(the default) or csv", "by '%.20s' or format '%.20s' is not known",
                         by ? by : "", format ? format : "");
        return;
    }
    cJSON *out = NULL;
    struct api_error err = {{0}, {0}};
    enum api_status st = be->report(be->ctx, name ? name : "", param(req, "from"),
                                    param(req, "to"), by != NULL, &out, &err);
    if (st != API_OK) {
        api_reply_refusal(req, st, &err, "the report could not be made");
        return;
    }
    if (!cJSON_IsArray(out)) {                  /* yield: one object */
        if (csv) {
            cJSON_Delete(out);
            http_reply_error(req, 400, "ask for JSON, or for the per-day rows with "
                             "jigctl audit yield --format csv", "the %s report is one "
                             "object, not rows: it has no CSV here", name);
            return;
        }
        http_reply_json(req, 200, out);
        return;
    }
    if (csv) {
        reply_csv(req, be, out);
        cJSON_Delete(out);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "rows", out);
    http_reply_json(req, 200, o);
}

/* The audit log checked: an admin's question (it reads the whole log). */
void api_get_audit_verify(struct http_request *req, void *ctx)
{
    const struct api_backend *be = api_routes_backend(ctx);
    cJSON *out = NULL;
    struct api_error err = {{0}, {0}};
    enum api_status st = be->audit_verify(be->ctx, &out, &err);
    if (st != API_OK) {
        api_reply_refusal(req, st, &err, "the audit log could not be read");
        return;
    }
    http_reply_json(req, 200, out);
}
