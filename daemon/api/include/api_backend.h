/* What the REST API needs from the station: a narrow table of functions so
 * the real station (slots, pipeline, bundle store) plugs in without the API
 * knowing its insides, and tests plug in a fake.
 *
 * Everything is called on the loop thread and must not block: an action
 * that takes time (flashing, loading a bundle) is started and answered with
 * API_ACCEPTED; its progress and outcome go out on the event bus.
 *
 * JSON shapes (documented in docs/api.md) are the backend's to build; the
 * API adds nothing to them and frees what it is given. */
#ifndef JIGD_API_BACKEND_H
#define JIGD_API_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct metrics_text;

enum api_status {
    API_OK,             /* 200: done */
    API_ACCEPTED,       /* 202: started; watch the events */
    API_BAD_REQUEST,    /* 400: the request makes no sense */
    API_NOT_FOUND,      /* 404: no such slot / file */
    API_CONFLICT,       /* 409: not now (slot busy, disabled, no bundle) */
    API_INVALID,        /* 422: understood but refused (not a valid bundle) */
    API_UNAVAILABLE,    /* 503: the station cannot do it at the moment */
    API_FAILED,         /* 500: it went wrong inside the station */
};

/* GET /api/v1/attempts's filters, as the query gave them (docs/api.md). */
struct api_attempt_query {
    const char *from, *to;      /* UTC times; NULL = unbounded */
    const char *result;         /* ok, failed, interrupted, running; NULL = any */
    const char *work_order;     /* NULL = any */
    const char *unit;           /* a serial or a MAC; NULL = any */
    const char *phase;          /* the phase a failed attempt failed in; NULL = any */
    int slot;                   /* -1 = any */
    int64_t limit;              /* 1.. */
    int64_t cursor;             /* 0 = the first page */
    bool newest_first;
};

/* A page of a list: limit and cursor as GET /api/v1/attempts takes them (docs/api.md). */
struct api_page {
    int64_t limit;              /* 1.. */
    int64_t cursor;             /* 0 = the first page */
    bool newest_first;
};

/* GET /api/v1/units's filters. */
struct api_unit_query {
    const char *from, *to;      /* first seen, UTC; NULL = unbounded */
    const char *work_order;     /* NULL = any */
    const char *state;          /* allocated, completed, voided; NULL = any */
    int64_t limit;              /* 1.. */
    int64_t cursor;             /* 0 = the first page */
    bool newest_first;
};

/* Filled in by the backend when it refuses: both in words for the operator. */
struct api_error {
    char error[512];    /* what happened */
    char hint[256];     /* what to check or do */
};

/* POST /api/v1/work-orders's body. */
struct api_work_order_new {
    const char *id;
    int64_t quantity;
    const char *bundle;         /* a stored bundle's id (or 8+ hex of it); NULL = any */
    const char *serial_format;  /* NULL = the station's */
};

/* The answer to an upload, later, on the loop thread: status, and the body
 * (out, the callee's to free) or why (err). */
typedef void (*api_upload_done)(void *arg, enum api_status st, cJSON *out,
                                const struct api_error *err);

struct api_backend {
    void *ctx;
    /* The station: name, version, slot count, active bundle, counters. */
    cJSON *(*station_json)(void *ctx);
    /* An array of slot objects. */
    cJSON *(*slots_json)(void *ctx);
    /* One slot object, or NULL when the station has no such slot. */
    cJSON *(*slot_json)(void *ctx, int slot);
    /* `actor`: who asked (the token's name; http_check.h), for the audit log. */
    enum api_status (*slot_start)(void *ctx, int slot, const char *actor, struct api_error *err);
    enum api_status (*slot_abort)(void *ctx, int slot, const char *actor, struct api_error *err);
    /* Blink the board's LED (or the jig position's) so the operator can find it. */
    enum api_status (*slot_identify)(void *ctx, int slot, const char *actor,
                                     struct api_error *err);
    /* Makes the bundle at `path` (a path on the station) the active one. */
    enum api_status (*bundle_load)(void *ctx, const char *path, const char *actor,
                                   struct api_error *err);
    /* The active bundle, or NULL when none is loaded. */
    cJSON *(*bundle_json)(void *ctx);
    /* The bundles the station holds ({"store", "bundles": [...]}), or NULL. */
    cJSON *(*bundles_json)(void *ctx);
    /* An archive to store as a bundle, answered through `done` once it is
     * unpacked and proven (API_OK: stored, or held already; API_INVALID:
     * refused, and why). `data` stays valid until done is called. Returns
     * API_ACCEPTED when under way, else the refusal (done never called). */
    enum api_status (*bundle_upload)(void *ctx, const uint8_t *data, size_t len,
                                     const char *actor, api_upload_done done, void *arg,
                                     struct api_error *err);
    /* Loads a stored bundle by id and makes it the active one (API_ACCEPTED;
     * API_NOT_FOUND when the store lacks it). */
    enum api_status (*bundle_activate)(void *ctx, const char *id, const char *actor,
                                       struct api_error *err);
    /* The station database's records, as jigctl audit reads them: a page of
     * attempts (rows: a JSON array of flat objects), and everything about
     * the unit(s) of a serial or MAC ({"units": [...]}, API_NOT_FOUND for
     * none). API_BAD_REQUEST with why for a filter the database refuses. */
    enum api_status (*attempts)(void *ctx, const struct api_attempt_query *q, cJSON **rows,
                                struct api_error *err);
    enum api_status (*unit_story)(void *ctx, const char *serial_or_mac, cJSON **out,
                                  struct api_error *err);
    /* A page of units, one row each (rows: a JSON array), as the query says. */
    enum api_status (*units)(void *ctx, const struct api_unit_query *q, cJSON **rows,
                             struct api_error *err);
    /* A report over many units by name (rate, yield, pareto, duplicates), as
     * jigctl audit prints it: rows (an array), or yield's object. by_phase:
     * the Pareto by phase only. API_NOT_FOUND for an unknown name. */
    enum api_status (*report)(void *ctx, const char *name, const char *from, const char *to,
                              bool by_phase, cJSON **out, struct api_error *err);
    /* Work orders: a page of them (rows: an array, each with its "seq", the
     * cursor), one by id (API_NOT_FOUND),
     * and a new one (API_CONFLICT when the id exists, API_BAD_REQUEST for a bad
     * id or quantity); `actor` goes to the audit log. */
    enum api_status (*work_orders)(void *ctx, const struct api_page *page, cJSON **rows,
                                   struct api_error *err);
    enum api_status (*work_order)(void *ctx, const char *id, cJSON **out, struct api_error *err);
    enum api_status (*work_order_create)(void *ctx, const struct api_work_order_new *w,
                                         const char *actor, struct api_error *err);
    /* Makes it the work order the next boards count against (with its
     * bundle, its serial format): API_OK, or API_ACCEPTED while its bundle
     * loads; API_NOT_FOUND; API_CONFLICT when it is closed or full, its
     * bundle is not held, or a slot is flashing. */
    enum api_status (*work_order_activate)(void *ctx, const char *id, const char *actor,
                                           struct api_error *err);
    /* Closes one for good (API_NOT_FOUND; API_CONFLICT when closed already). */
    enum api_status (*work_order_close)(void *ctx, const char *id, const char *reason,
                                        const char *actor, struct api_error *err);
    /* Voids a serial for good (its board gets a new one when next flashed):
     * API_NOT_FOUND for no such serial, API_CONFLICT when voided already. */
    enum api_status (*serial_void)(void *ctx, const char *serial, const char *reason,
                                   const char *actor, struct api_error *err);
    /* The audit log checked, as jigctl audit verify --format json gives it
     * ({"ok", ...}: a broken log is an answer, not an error). */
    enum api_status (*audit_verify)(void *ctx, cJSON **out, struct api_error *err);
    /* Rows as CSV text (RFC 4180, a header line), the same writer as
     * jigctl audit's; NULL when memory ran out. free() it. */
    char *(*rows_csv)(void *ctx, const cJSON *rows);
    /* {"alarms": [...]}: what needs a person (station_alarms.h). */
    cJSON *(*alarms_json)(void *ctx);
    /* A scanned PCB label for slot `slot`'s next board (0: the station picks
     * the slot): API_OK with {code, slot, result, replaced?, unit, by};
     * API_BAD_REQUEST for what is no code, API_NOT_FOUND for no such slot,
     * API_CONFLICT when no slot takes it now (or another waits with it). */
    enum api_status (*board_code_scan)(void *ctx, const char *code, int slot,
                                       const char *actor, cJSON **out, struct api_error *err);
    /* The named API tokens (admin): every one ({"tokens": [...]}, never a
     * hash); a new one, its text in *token (shown this once; API_CONFLICT
     * for a name active already, API_BAD_REQUEST for a bad name or role);
     * one revoked (API_NOT_FOUND when no active token has the name). In
     * force at once, and `actor` goes to the audit log. */
    enum api_status (*tokens)(void *ctx, cJSON **out, struct api_error *err);
    enum api_status (*token_add)(void *ctx, const char *name, const char *role,
                                 const char *actor, char **token, struct api_error *err);
    enum api_status (*token_revoke)(void *ctx, const char *name, const char *actor,
                                    struct api_error *err);
    /* Someone has seen alarm `id`: API_OK, API_NOT_FOUND, API_CONFLICT. */
    enum api_status (*alarm_ack)(void *ctx, uint64_t id, const char *actor,
                                 struct api_error *err);
    /* [label] (docs/label.md): the SVG preview of a slot's last label into
     * *svg (to free()), API_NOT_FOUND when there is none; a unit's label
     * sent to the printer again (API_ACCEPTED: the printer's answer is an
     * event). NULL: the station prints no labels. */
    enum api_status (*label_svg)(void *ctx, int slot, char **svg, struct api_error *err);
    enum api_status (*label_reprint)(void *ctx, const char *serial, const char *actor,
                                     struct api_error *err);
    /* GET /metrics: the station's families written into `out`
     * (metrics_text.h): its slots, attempts, phases, key pool, database
     * and webhooks. The API adds its own (requests, event streams) after
     * them. NULL: the API's own only. */
    void (*metrics)(void *ctx, struct metrics_text *out);
};

#endif
