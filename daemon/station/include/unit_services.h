/* What the unit pipeline needs besides the bundle: the station database
 * (data_dir/station.db), the station CA, the key pool and the per-unit NVS
 * template. jigd opens them all at start, before any slot runs, so that a
 * missing CA file, a bad template or a database from a newer jigd stops the
 * station with "file:line: reason" before a board is touched.
 *
 * Everything here is used from the loop thread only (the key pool does its
 * generation on libuv's workers by itself). */
#ifndef JIGD_UNIT_SERVICES_H
#define JIGD_UNIT_SERVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "config.h"
#include "identity_config.h"

struct bundle;
struct key_pool;
struct station_ca;
struct station_db;
struct unit_nvs_template;

#define UNIT_SERVICES_DB_FILE "station.db"

struct unit_services {
    const struct jigd_config *cfg;
    struct station_db *db;
    struct station_ca *ca;
    struct key_pool *keys;
    struct unit_nvs_template *nvs;      /* NULL: no nvs_template configured */
    struct identity_config identity;    /* strings point into cfg */
    int interrupted_at_open;            /* attempts a dead jigd left running */
    /* The work order units count against ("" = none) and the serial format
     * they get: jigd.conf's, or the work order the MES activated over the
     * API (its own format, if it has one). See unit_work_order.h. */
    char work_order[CONFIG_WORK_ORDER_MAX];
    char serial_format[CONFIG_PATH_MAX];
    char work_order_why[400];           /* which, and why: for the log at start */
    void (*closed_cb)(void *ctx);
    void *closed_ctx;
};

/* Opens the database (data_dir must exist: jigd never creates it), the CA (created at first
 * start), the NVS template and the key pool. NULL with the reason in err,
 * prefixed with the configuration's file and line where one is to blame. */
struct unit_services *unit_services_open(uv_loop_t *loop, const struct jigd_config *cfg,
                                         char *err, size_t errlen);

/* Whether a bundle can carry the per-unit parts: the template's partition
 * and (secure_cert = yes) an esp_secure_cert partition in its table, each
 * big enough. Returns 0, or -1 with the reason. */
int unit_services_check_bundle(const struct unit_services *u, const struct bundle *b,
                               char *err, size_t errlen);

/* The bundle's esp_secure_cert partition: by its label, else by its type
 * (0x3f), as esp_secure_cert_mgr finds it; NULL if none. */
struct pt_table;
struct pt_entry;
const struct pt_entry *unit_services_secure_cert_partition(const struct pt_table *t);

/* Whether data_dir has the free space min_free_mb asks for before a unit
 * starts, so that a filling disk stops the line between boards rather than
 * in the middle of one. 0, or -1 with what is short (naming the free space
 * and the folder) and what to do. */
int unit_services_room(const struct unit_services *u, char *why, size_t whylen,
                       char *advice, size_t advicelen);

/* Whether the clock can date a unit certificate (cert_clock.h): not before
 * this build, nor before the CA's notBefore. Asked before every unit, as a
 * station without a hardware clock is often set by NTP only after jigd has
 * started. 0, or -1 with what is wrong and what to do. */
int unit_services_clock(const struct unit_services *u, char *why, size_t whylen, char *advice,
                        size_t advicelen);

/* Closes the key pool (zeroising every key; waits for generations in
 * flight), then the CA and the database; `done` runs on the loop when all
 * is gone. The loop must keep running until then. */
void unit_services_close(struct unit_services *u, void (*done)(void *ctx), void *ctx);

/* Appends an operator/API action to the audit log; failures go to stderr
 * (an action is never refused because its record could not be written). */
void unit_services_audit(struct unit_services *u, const char *actor, const char *action,
                         int slot, const char *detail);

#endif
