/* The REST API's backend made of the station: the one place that knows
 * both sides. The station answers in its own words (station_answer, a
 * refusal with error and hint); this adapter turns them into HTTP statuses
 * and puts every request, refused ones too, in the audit log.
 *
 * Refusals are counted, not logged one row each (sdb_audit_refusal); a
 * timer on the loop puts each count on record once its minute is over
 * (sdb_audit_flush_due), so a flood followed by silence is not held in
 * memory until the next write, where a SIGKILL would lose it. */
#ifndef JIGD_STATION_API_H
#define JIGD_STATION_API_H

#include <stdbool.h>

#include <uv.h>

#include "api_backend.h"

struct api_token_sync;
struct station;
struct station_metrics;
struct unit_services;

/* What the backend works on; its owner (jigd.c) keeps it alive as long as
 * the API, and until the loop has closed its timer. */
struct station_api {
    struct station *st;
    struct unit_services *units;    /* NULL: nothing is audited */
    struct api_token_sync *tokens;  /* told when the API changed the tokens */
    struct station_metrics *metrics;    /* GET /metrics; NULL: the API's own only */
    uv_timer_t refusals;            /* the next count of refusals due */
    bool timer_open;
    bool flush_failing;             /* said so in the log already */
};

/* Sets the adapter up on the loop. */
void station_api_init(struct station_api *a, uv_loop_t *loop, struct station *st,
                      struct unit_services *units);
/* Closes its timer: after the API has stopped, before the database closes
 * (which appends whatever is still counted). */
void station_api_close(struct station_api *a);

struct api_backend station_api_backend(struct station_api *a);

/* station_records.c: the backend's records (api_backend.h), ctx the adapter.
 * station_no_database: the answer when jigd keeps no database.
 * station_db_answer: a database refusal as the API says it -- refused 400,
 * conflict 409, not found 404 (each with `hint`), anything else 500 with
 * the log to look at; API_OK for SDB_OK. */
enum api_status station_no_database(struct api_error *err);
struct station_db;
enum api_status station_db_answer(struct station_db *db, int rc, const char *hint,
                                  struct api_error *err);
enum api_status station_records_attempts(void *ctx, const struct api_attempt_query *q,
                                         cJSON **rows, struct api_error *err);
enum api_status station_records_unit(void *ctx, const char *serial_or_mac, cJSON **out,
                                     struct api_error *err);
enum api_status station_records_units(void *ctx, const struct api_unit_query *q, cJSON **rows,
                                      struct api_error *err);
enum api_status station_records_report(void *ctx, const char *name, const char *from,
                                       const char *to, bool by_phase, cJSON **out,
                                       struct api_error *err);
char *station_records_csv(void *ctx, const cJSON *rows);
enum api_status station_records_audit_verify(void *ctx, cJSON **out, struct api_error *err);
enum api_status station_records_serial_void(void *ctx, const char *serial, const char *reason,
                                            const char *actor, struct api_error *err);
enum api_status station_records_work_orders(void *ctx, const struct api_page *page,
                                            cJSON **rows, struct api_error *err);
enum api_status station_records_work_order(void *ctx, const char *id, cJSON **out,
                                           struct api_error *err);
enum api_status station_records_work_order_create(void *ctx, const struct api_work_order_new *w,
                                                  const char *actor, struct api_error *err);
enum api_status station_records_work_order_close(void *ctx, const char *id, const char *reason,
                                                 const char *actor, struct api_error *err);

/* station_tokens.c: the named tokens over the API (api_backend.h). */
enum api_status station_tokens_list(void *ctx, cJSON **out, struct api_error *err);
enum api_status station_tokens_add(void *ctx, const char *name, const char *role,
                                   const char *actor, char **token, struct api_error *err);
enum api_status station_tokens_revoke(void *ctx, const char *name, const char *actor,
                                      struct api_error *err);

#endif
