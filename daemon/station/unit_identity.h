/* A board's identity, made between identify and the first write: the unit
 * and its serial (committed before anything reaches the board), a key from
 * the pool, the certificate the station CA signs for it, and the per-unit
 * partitions (NVS from the template, esp_secure_cert) that join the
 * bundle's parts in the write plan.
 *
 * The key is the one secret here. It lives in the certificate's key PEM
 * and in the partition images, all zeroised by unit_identity_release once
 * the board has them; nothing of it goes to an event, the log or the
 * database. */
#ifndef JIGD_UNIT_IDENTITY_H
#define JIGD_UNIT_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "key_pool.h"
#include "loader.h"
#include "station_db.h"
#include "unit_cert.h"
#include "unit_nvs.h"

struct bundle;
struct pt_entry;
struct unit_plan;
struct unit_services;

#define UNIT_IDENTITY_TEXT 256

/* Kept across a retry at a lower baud rate, so the board gets one serial
 * and one key. */
struct unit_identity {
    struct unit_services *units;
    const struct bundle *bundle;    /* the run's reference */
    struct loader_chip_info chip;
    bool made;                      /* unit, certificate and images are ready */
    bool key_waiting;               /* key_req is queued in the pool */
    struct key_pool_req key_req;
    struct sdb_unit unit;
    bool reworked;
    struct unit_cert cert;          /* holds the key PEM: zeroised by release */
    char fingerprint[65];
    struct unit_nvs_image nvs;      /* SECRET when the template uses {key_pem} */
    uint8_t *secure_cert;           /* SECRET: the esp_secure_cert image */
    size_t secure_cert_len;
    uint32_t secure_cert_offset;
    const char *secure_cert_name;   /* its partition's label */
    int64_t started_ms;             /* wall clock, for the identity phase */
    bool failed;                    /* making it failed: cause below */
    char cause[UNIT_IDENTITY_TEXT], advice[UNIT_IDENTITY_TEXT];
    /* A key that was not ready came and the identity was made (ok) or not. */
    void (*key_done)(void *ctx, bool ok);
    void *ctx;
};

enum unit_identity_made {
    UNIT_IDENTITY_READY,
    UNIT_IDENTITY_WAITING,      /* for a key from the pool: key_done follows */
    UNIT_IDENTITY_FAILED,       /* cause and advice say why */
};

/* Per-unit partitions of the bundle's table: NVS, esp_secure_cert. */
size_t unit_identity_partitions(const struct unit_services *u, const struct bundle *b,
                                const struct pt_entry *out[2]);

/* The unit this board is: its serial kept (rework) or a new one committed.
 * false with the reason in why and what to do in advice. */
bool unit_identity_find(struct unit_identity *id, const struct bundle *b,
                        const struct loader_chip_info *chip, char *why, size_t whylen,
                        char *advice, size_t advicelen);

/* What to do when the database refused a write before the board was
 * written: "nothing was written to the board: <remedy>, then run it again". */
void unit_identity_storage_advice(const struct unit_services *u, char *advice,
                                  size_t advicelen);

/* The key, certificate and partitions of the unit found. */
enum unit_identity_made unit_identity_make(struct unit_identity *id);

/* Points the plan's per-unit regions at the images made. */
void unit_identity_place(const struct unit_identity *id, struct unit_plan *plan);

/* Zeroises and frees everything, and forgets the unit. */
void unit_identity_release(struct unit_identity *id);

#endif
