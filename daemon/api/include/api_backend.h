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

#include <stdint.h>

#include <cjson/cJSON.h>

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

/* Filled in by the backend when it refuses: both in words for the operator. */
struct api_error {
    char error[256];    /* what happened */
    char hint[256];     /* what to check or do */
};

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
    /* {"alarms": [...]}: what needs a person (station_alarms.h). */
    cJSON *(*alarms_json)(void *ctx);
    /* Someone has seen alarm `id`: API_OK, API_NOT_FOUND, API_CONFLICT. */
    enum api_status (*alarm_ack)(void *ctx, uint64_t id, const char *actor,
                                 struct api_error *err);
};

#endif
