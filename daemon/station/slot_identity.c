/* A board's identity, made in its slot between identify and the first
 * write: the unit and its serial (committed before anything reaches the
 * board), a key from the pool, the certificate the station CA signs for
 * it, and the per-unit partitions (NVS from the template, esp_secure_cert)
 * that join the bundle's parts in the write plan.
 *
 * The key is the one secret here. It lives in the certificate's key PEM
 * and in the partition images, all zeroised by slot_identity_release once
 * the board has them; nothing of it goes to an event, the log or the
 * database. */
#include "slot_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/platform_util.h>

#include "bundle.h"
#include "station_ca.h"
#include "unit_services.h"

bool slot_identity_wanted(const struct slot *s)
{
    return s->env.units != NULL;
}

size_t slot_identity_partitions(const struct slot *s, const struct bundle *b,
                                const struct pt_entry *out[2])
{
    const struct unit_services *u = s->env.units;
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

static void format_mac(const uint8_t m[6], char out[18])
{
    snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static bool fail_identity(struct slot *s, const char *advice, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail_identity(struct slot *s, const char *advice, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->id.cause, sizeof s->id.cause, fmt, ap);
    va_end(ap);
    snprintf(s->id.advice, sizeof s->id.advice, "%s", advice);
    s->id.failed = true;
    return false;
}

/* Points the plan's per-unit regions at the images just made. */
static void fill_regions(struct slot *s)
{
    const char *nvs_name = s->id.nvs.data ? s->id.nvs.partition : NULL;
    s->bytes_total = 0;
    for (size_t i = 0; i < s->n_regions; i++) {
        struct flash_job_region *r = &s->regions[i];
        if (s->region_info[i].per_unit) {
            if (nvs_name && !strcmp(s->region_info[i].name, nvs_name)) {
                r->region.data = s->id.nvs.data;
                r->region.size = s->id.nvs.len;
                r->region.offset = s->id.nvs.offset;
            } else {
                r->region.data = s->id.secure_cert;
                r->region.size = s->id.secure_cert_len;
                r->region.offset = s->id.secure_cert_offset;
            }
        }
        s->bytes_total += r->region.size;
    }
}

static bool make_nvs(struct slot *s, const struct unit_services *u)
{
    if (!u->nvs)
        return true;
    struct unit_nvs_values v = {
        .serial = s->id.unit.serial,
        .cert_pem = s->id.cert.cert_pem,
        .key_pem = s->id.cert.key_pem,
        .ca_pem = station_ca_cert_pem(u->ca),
        .station = u->cfg->station.name,
        .work_order = u->cfg->unit.work_order,
    };
    memcpy(v.mac, s->chip.mac, 6);
    char err[300];
    if (unit_nvs_generate(u->nvs, &s->bundle->table, &v, &s->id.nvs, err, sizeof err) < 0)
        return fail_identity(s, "fix the NVS template (docs/nvs.md) and restart jigd",
                             "the unit's NVS partition could not be made: %s", err);
    return true;
}

static bool make_secure_cert(struct slot *s, const struct unit_services *u)
{
    const struct pt_entry *e = unit_services_secure_cert_partition(&s->bundle->table);
    if (!u->cfg->unit.secure_cert || !e)
        return true;    /* the bundle check refuses a bundle without one */
    s->id.secure_cert = malloc(e->size);
    if (!s->id.secure_cert)
        return fail_identity(s, "restart jigd", "out of memory for the esp_secure_cert image");
    s->id.secure_cert_len = e->size;
    s->id.secure_cert_offset = e->offset;
    char err[300];
    if (unit_cert_secure_cert_image(&s->id.cert, station_ca_cert_pem(u->ca), s->id.secure_cert,
                                    e->size, err, sizeof err) < 0)
        return fail_identity(s, "make the esp_secure_cert partition larger in the bundle's "
                             "partition table", "the esp_secure_cert image: %s", err);
    return true;
}

static bool store_certificate(struct slot *s, const struct unit_services *u)
{
    struct unit_cert_record r;
    unit_cert_record(&s->id.cert, &r);
    snprintf(s->id.fingerprint, sizeof s->id.fingerprint, "%s", r.fingerprint_sha256);
    snprintf(s->fingerprint, sizeof s->fingerprint, "%s", r.fingerprint_sha256);
    struct sdb_certificate c = {.unit_id = s->id.unit.id,
                                .fingerprint_sha256 = r.fingerprint_sha256,
                                .subject = r.subject, .not_before = r.not_before,
                                .not_after = r.not_after, .pem = r.pem};
    int64_t id;
    if (sdb_certificate_insert(u->db, &c, &id) != SDB_OK)
        return fail_identity(s, "check the disk of the station (data_dir) and run the board "
                             "again", "the certificate could not be recorded: %s",
                             sdb_errmsg(u->db));
    return true;
}

/* Certificate, record, partitions; then the regions point at them. */
static bool make_identity(struct slot *s, struct unit_key *key)
{
    const struct unit_services *u = s->env.units;
    struct unit_cert_request req = {.serial = s->id.unit.serial};
    memcpy(req.mac, s->chip.mac, 6);
    char err[300];
    int r = unit_cert_issue(u->ca, key, &req, &s->id.cert, err, sizeof err);
    unit_key_free(key);
    if (r != 0)
        return fail_identity(s, "check [identity] in jigd.conf and the serial_format",
                             "the unit certificate could not be issued: %s", err);
    if (!store_certificate(s, u) || !make_nvs(s, u) || !make_secure_cert(s, u))
        return false;
    s->id.made = true;
    fill_regions(s);
    int64_t now = slot_wall_ms();
    slot_record_phase(s, "identity", (int64_t)s->id.started_ms, now - (int64_t)s->id.started_ms,
                      0);
    slot_record_parts(s);
    char msg[SLOT_TEXT];
    snprintf(msg, sizeof msg, "certificate %s for %s", s->id.fingerprint, s->id.unit.serial);
    struct jig_event ev = {.kind = EVENT_SLOT, .state = "running", .phase = "identity",
                           .serial = s->id.unit.serial, .message = msg, .rate = -1};
    slot_publish(s, &ev);
    return true;
}

static void on_unit_key(struct key_pool_req *req, struct unit_key *key, const char *err)
{
    struct slot *s = req->data;
    s->id.key_waiting = false;
    if (!s->job) {
        unit_key_free(key);
        return;
    }
    if (!key)
        fail_identity(s, "restart jigd", "no key for the unit: %s", err ? err : "?");
    else if (make_identity(s, key)) {
        flash_job_resume(s->job);
        return;
    }
    flash_job_cancel(s->job);
}

/* The unit this board is: its serial kept (rework) or a new one committed. */
static bool find_unit(struct slot *s, struct loader_error *why)
{
    struct unit_services *u = s->env.units;
    const struct loader_chip_info *c = &s->chip;
    char rev[16];
    snprintf(rev, sizeof rev, "v%d.%d", c->revision / 100, c->revision % 100);
    struct sdb_board board = {.chip = c->chip ? c->chip->name : "?", .revision = rev,
                              .flash_id = c->flash_id, .flash_size = c->flash_size};
    memcpy(board.mac, c->mac, 6);
    const char *wo = u->cfg->unit.work_order[0] ? u->cfg->unit.work_order : NULL;
    int rc = sdb_unit_identify(u->db, &board, u->cfg->unit.serial_format, wo, &s->id.unit,
                               &s->id.reworked);
    if (rc == SDB_OK)
        return true;
    snprintf(why->message, sizeof why->message, "%s", sdb_errmsg(u->db));
    if (rc == SDB_REFUSED && wo)
        snprintf(s->refusal_advice, sizeof s->refusal_advice, "work order %s takes no more "
                 "units: take the board out, and set the next work order (work_order in "
                 "[unit]) before flashing more", wo);
    else
        snprintf(s->refusal_advice, sizeof s->refusal_advice, "check the station database "
                 "(data_dir) and its disk, then run the board again");
    return false;
}

static void announce_unit(struct slot *s)
{
    snprintf(s->serial, sizeof s->serial, "%s", s->id.unit.serial);
    char mac[18], msg[SLOT_TEXT];
    format_mac(s->chip.mac, mac);
    snprintf(msg, sizeof msg, "%s %s", s->id.reworked ? "rework: keeps serial" : "new serial",
             s->id.unit.serial);
    struct jig_event ev = {.kind = EVENT_SLOT, .state = "running", .phase = "unit",
                           .serial = s->id.unit.serial, .mac = mac, .message = msg,
                           .rate = -1};
    slot_publish(s, &ev);
}

bool slot_identity_on_identified(struct slot *s, struct flash_job *j,
                                 struct loader_error *why)
{
    struct unit_services *u = s->env.units;
    if (!u)
        return true;
    if (s->id.made) {
        /* A retry of this attempt: the same board must be in the jig. */
        char mac[18];
        format_mac(s->chip.mac, mac);
        if (!strcasecmp(mac, s->id.unit.mac)) {
            fill_regions(s);
            snprintf(s->serial, sizeof s->serial, "%s", s->id.unit.serial);
            snprintf(s->fingerprint, sizeof s->fingerprint, "%s", s->id.fingerprint);
            return true;
        }
        snprintf(why->message, sizeof why->message, "board %s answered the retry, but this "
                 "attempt identified %s (serial %s)", mac, s->id.unit.mac, s->id.unit.serial);
        snprintf(s->refusal_advice, sizeof s->refusal_advice, "leave a board in the jig "
                 "until its slot has finished");
        return false;
    }
    if (!find_unit(s, why))
        return false;
    if (s->attempt_id && sdb_attempt_set_unit(u->db, s->attempt_id, s->id.unit.id) != SDB_OK)
        fprintf(stderr, "jigd: slot %d: attempt %lld: %s\n", s->cfg.index,
                (long long)s->attempt_id, sdb_errmsg(u->db));
    announce_unit(s);
    s->id.started_ms = (uint64_t)slot_wall_ms();
    s->id.key_req.data = s;
    struct unit_key *key = key_pool_take(u->keys, &s->id.key_req, on_unit_key);
    if (!key) {
        /* The pool is empty: the board waits in its loader, the loop goes on. */
        s->id.key_waiting = true;
        flash_job_hold(j);
        struct jig_event ev = {.kind = EVENT_SLOT, .state = "running", .phase = "identity",
                               .message = "waiting for a key from the pool", .rate = -1};
        slot_publish(s, &ev);
        return true;
    }
    if (!make_identity(s, key)) {
        snprintf(why->message, sizeof why->message, "%s", s->id.cause);
        return false;
    }
    return true;
}

void slot_identity_release(struct slot *s)
{
    if (s->id.key_waiting)
        key_pool_cancel(&s->id.key_req);
    unit_cert_free(&s->id.cert);
    unit_nvs_image_free(&s->id.nvs);
    if (s->id.secure_cert) {
        mbedtls_platform_zeroize(s->id.secure_cert, s->id.secure_cert_len);
        free(s->id.secure_cert);
    }
    memset(&s->id, 0, sizeof s->id);
}
