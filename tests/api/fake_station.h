/* fake_station: a FAKE station backend for the API tests. It is not the
 * real station: no ports, no boards, no flashing. It keeps a few slots in
 * memory with the JSON shapes docs/api.md promises, answers actions the way
 * the real station is meant to (202 on start, 409 when busy, 404 for a
 * missing bundle) and publishes the matching events, so the HTTP layer can
 * be tested end to end. */
#ifndef JIGD_TESTS_FAKE_STATION_H
#define JIGD_TESTS_FAKE_STATION_H

#include <stdbool.h>
#include <stdint.h>

#include "api_backend.h"
#include "event_bus.h"

#define FAKE_SLOTS 3
#define FAKE_BUNDLE_ID "fa4e0000fa4e0000fa4e0000fa4e0000fa4e0000fa4e0000fa4e0000fa4e0000"

struct fake_slot {
    int slot;
    char port[64];
    enum slot_state state;
    enum phase phase;
    uint64_t bytes_done, bytes_total;
    char serial[32], mac[24], last_result[8];
    enum phase error_phase;
    char cause[128], advice[128];
};

struct fake_station {
    struct event_bus *bus;
    struct fake_slot slots[FAKE_SLOTS];
    bool bundle_loaded;
    char bundle_path[256];
    int identify_count;
    char last_actor[65];        /* who asked the last action (http_check.h) */
    bool alarm_acked;           /* the one alarm (id 1) */
    struct api_attempt_query last_query;    /* the last GET /attempts, as parsed */
    char last_phase[32];                    /* its phase filter ("" = none) */
    char wo_id[4][65];                      /* work orders made ("" = a free place) */
    bool serial_voided;                     /* SN000123 */
    int64_t wo_quantity[4];
    int64_t n_attempts;         /* attempts 1..n_attempts "exist" */
    bool bad_metrics;           /* GET /metrics: write a family the format refuses */
    bool bundle_stored;         /* an upload was taken (the FAKE store holds one) */
    size_t upload_len;          /* the last upload's size as the backend got it */
    int wo_active;              /* the work order activated; -1 none */
};

/* Slot 1 idle and empty; slot 2 has just passed (SN000123); slot 3 failed
 * in verify. Bundle paths under /bundles/ "exist"; others do not. */
void fake_station_init(struct fake_station *fs, struct event_bus *bus);
struct api_backend fake_station_backend(struct fake_station *fs);

/* Publishes a progress event for `slot` (as the pipeline would). */
uint64_t fake_station_progress(struct fake_station *fs, int slot, uint64_t done,
                               uint64_t total);

#endif
