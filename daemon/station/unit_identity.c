/* A board's identity (unit_identity.h). */
#include "unit_identity.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>

#include "bundle.h"
#include "station_ca.h"
#include "unit_advice.h"
#include "unit_plan.h"
#include "unit_record.h"
#include "unit_services.h"

size_t unit_identity_partitions(const struct unit_services *u, const struct bundle *b,
                                const struct pt_entry *out[2])
{
    size_t n = 0;
    if (!u)
        return 0;
    if (u->nvs) {
        const struct pt_entry *e = pt_find_name(&b->table, unit_nvs_template_partition(u->nvs));
        if (e)
            out[n++] = e;
    }
    if (u->cfg->unit.secure_cert) {
        const struct pt_entry *e = unit_services_secure_cert_partition(&b->table);
        if (e)
            out[n++] = e;
    }
    return n;
}

static enum unit_identity_made fail(struct unit_identity *id, const char *advice,
                                    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static enum unit_identity_made fail(struct unit_identity *id, const char *advice,
                                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(id->cause, sizeof id->cause, fmt, ap);
    va_end(ap);
    snprintf(id->advice, sizeof id->advice, "%s", advice);
    id->failed = true;
    return UNIT_IDENTITY_FAILED;
}

/* The serial or the certificate could not be committed: nothing has been
 * written to the board yet, and the database says why. */
void unit_identity_storage_advice(const struct unit_services *u, char *advice,
                                  size_t advicelen)
{
    char remedy[200];
    unit_advice_storage(sdb_last_fault(u->db), u->cfg->station.data_dir, remedy, sizeof remedy);
    snprintf(advice, advicelen, "nothing was written to the board: %s, then run it again",
             remedy);
}

bool unit_identity_find(struct unit_identity *id, const struct bundle *b,
                        const struct loader_chip_info *chip, char *why, size_t whylen,
                        char *advice, size_t advicelen)
{
    struct unit_services *u = id->units;
    id->bundle = b;
    id->chip = *chip;
    char rev[16];
    snprintf(rev, sizeof rev, "v%d.%d", chip->revision / 100, chip->revision % 100);
    struct sdb_board board = {.chip = chip->chip ? chip->chip->name : "?", .revision = rev,
                              .flash_id = chip->flash_id, .flash_size = chip->flash_size};
    memcpy(board.mac, chip->mac, 6);
    const char *wo = u->work_order[0] ? u->work_order : NULL;
    int rc = sdb_unit_identify(u->db, &board, u->serial_format, wo, &id->unit,
                               &id->reworked);
    if (rc == SDB_OK)
        return true;
    snprintf(why, whylen, "%s", sdb_errmsg(u->db));
    if (rc == SDB_REFUSED && wo)
        snprintf(advice, advicelen, "work order %s takes no more units: take the board out, "
                 "and activate the next work order (jigctl work-order activate, the MES) before "
                 "flashing more", wo);
    else
        unit_identity_storage_advice(u, advice, advicelen);
    return false;
}

static enum unit_identity_made make_nvs(struct unit_identity *id)
{
    const struct unit_services *u = id->units;
    if (!u->nvs)
        return UNIT_IDENTITY_READY;
    struct unit_nvs_values v = {
        .serial = id->unit.serial,
        .cert_pem = id->cert.cert_pem,
        .key_pem = id->cert.key_pem,
        .ca_pem = station_ca_cert_pem(u->ca),
        .station = u->cfg->station.name,
        .work_order = u->work_order,
    };
    memcpy(v.mac, id->chip.mac, 6);
    char err[300];
    if (unit_nvs_generate(u->nvs, &id->bundle->table, &v, &id->nvs, err, sizeof err) < 0)
        return fail(id, "fix the NVS template (docs/nvs.md) and restart jigd",
                    "the unit's NVS partition could not be made: %s", err);
    return UNIT_IDENTITY_READY;
}

static enum unit_identity_made make_secure_cert(struct unit_identity *id)
{
    const struct unit_services *u = id->units;
    const struct pt_entry *e = unit_services_secure_cert_partition(&id->bundle->table);
    if (!u->cfg->unit.secure_cert || !e)
        return UNIT_IDENTITY_READY;     /* the bundle check refuses a bundle without one */
    id->secure_cert = malloc(e->size);
    if (!id->secure_cert)
        return fail(id, "restart jigd", "out of memory for the esp_secure_cert image");
    id->secure_cert_len = e->size;
    id->secure_cert_offset = e->offset;
    id->secure_cert_name = e->name;
    char err[300];
    if (unit_cert_secure_cert_image(&id->cert, station_ca_cert_pem(u->ca), id->secure_cert,
                                    e->size, err, sizeof err) < 0)
        return fail(id, "make the esp_secure_cert partition larger in the bundle's "
                    "partition table", "the esp_secure_cert image: %s", err);
    return UNIT_IDENTITY_READY;
}

static enum unit_identity_made store_certificate(struct unit_identity *id)
{
    struct unit_cert_record r;
    unit_cert_record(&id->cert, &r);
    snprintf(id->fingerprint, sizeof id->fingerprint, "%s", r.fingerprint_sha256);
    struct sdb_certificate c = {.unit_id = id->unit.id,
                                .fingerprint_sha256 = r.fingerprint_sha256,
                                .subject = r.subject, .not_before = r.not_before,
                                .not_after = r.not_after, .pem = r.pem};
    int64_t row;
    if (sdb_certificate_insert(id->units->db, &c, &row) != SDB_OK) {
        char advice[UNIT_IDENTITY_TEXT];
        unit_identity_storage_advice(id->units, advice, sizeof advice);
        return fail(id, advice, "the certificate could not be recorded: %s",
                    sdb_errmsg(id->units->db));
    }
    return UNIT_IDENTITY_READY;
}

/* Certificate, its record, the partitions. */
static enum unit_identity_made make_with_key(struct unit_identity *id, struct unit_key *key)
{
    struct unit_cert_request req = {.serial = id->unit.serial};
    memcpy(req.mac, id->chip.mac, 6);
    char err[300];
    int r = unit_cert_issue(id->units->ca, key, &req, &id->cert, err, sizeof err);
    unit_key_free(key);
    if (r != 0)
        return fail(id, "check [identity] in jigd.conf and the serial_format",
                    "the unit certificate could not be issued: %s", err);
    if (store_certificate(id) != UNIT_IDENTITY_READY || make_nvs(id) != UNIT_IDENTITY_READY
        || make_secure_cert(id) != UNIT_IDENTITY_READY)
        return UNIT_IDENTITY_FAILED;
    id->made = true;
    return UNIT_IDENTITY_READY;
}

static void on_unit_key(struct key_pool_req *req, struct unit_key *key, const char *err)
{
    struct unit_identity *id = req->data;
    id->key_waiting = false;
    bool ok;
    if (!key)
        ok = fail(id, "restart jigd", "no key for the unit: %s", err ? err : "?")
             == UNIT_IDENTITY_READY;
    else
        ok = make_with_key(id, key) == UNIT_IDENTITY_READY;
    id->key_done(id->ctx, ok);
}

enum unit_identity_made unit_identity_make(struct unit_identity *id)
{
    id->started_ms = unit_record_wall_ms();
    id->key_req.data = id;
    struct unit_key *key = key_pool_take(id->units->keys, &id->key_req, on_unit_key);
    if (!key) {
        /* The pool is empty: the board waits in its loader, the loop goes on. */
        id->key_waiting = true;
        return UNIT_IDENTITY_WAITING;
    }
    return make_with_key(id, key);
}

void unit_identity_place(const struct unit_identity *id, struct unit_plan *plan)
{
    if (id->nvs.data)
        unit_plan_place(plan, id->nvs.partition, id->nvs.data, id->nvs.len, id->nvs.offset);
    if (id->secure_cert)
        unit_plan_place(plan, id->secure_cert_name, id->secure_cert, id->secure_cert_len,
                        id->secure_cert_offset);
}

void unit_identity_release(struct unit_identity *id)
{
    if (id->key_waiting)
        key_pool_cancel(&id->key_req);
    unit_cert_free(&id->cert);
    unit_nvs_image_free(&id->nvs);
    if (id->secure_cert) {
        mbedtls_platform_zeroize(id->secure_cert, id->secure_cert_len);
        free(id->secure_cert);
    }
    struct unit_services *u = id->units;
    void (*key_done)(void *, bool) = id->key_done;
    void *ctx = id->ctx;
    memset(id, 0, sizeof *id);
    id->units = u;
    id->key_done = key_done;
    id->ctx = ctx;
}
