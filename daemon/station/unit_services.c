/* The station's identity and record services, opened once at start. */
#include "unit_services.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "bundle.h"
#include "cert_clock.h"
#include "key_pool.h"
#include "secure_cert_tlv.h"
#include "serial_format.h"
#include "station_ca.h"
#include "station_db.h"
#include "unit_key.h"
#include "unit_nvs.h"
#include "unit_work_order.h"
#include "log_line.h"

/* "jigd.conf:12: " when the line is known, else "jigd.conf: ". */
static int where(const struct jigd_config *cfg, int line, char *out, size_t cap)
{
    return line > 0 ? snprintf(out, cap, "%s:%d: ", cfg->path, line)
                    : snprintf(out, cap, "%s: ", cfg->path);
}

/* jigd never makes data_dir itself: a jigd started by hand with the
 * wrong configuration (or none of its own: /etc/jigd/jigd.conf as root)
 * would otherwise begin a second station in silence, with a new CA whose
 * boards verify against nothing the plant knows. Whoever installs the
 * station makes it once (systemd's StateDirectory= does). */
static int require_data_dir(const char *dir, char *err, size_t errlen)
{
    struct stat sb;
    if (stat(dir, &sb) == 0) {
        if (S_ISDIR(sb.st_mode))
            return 0;
        snprintf(err, errlen, "data_dir %s is not a folder", dir);
        return -1;
    }
    if (errno == ENOENT)
        snprintf(err, errlen, "data_dir %s does not exist, and jigd does not create it (a "
                 "new one would start a new station, with its own CA and database); create "
                 "it for the user jigd runs as (install -d -m 700 -o jigd %s; the systemd "
                 "unit's StateDirectory= does this), or set data_dir in [station]", dir, dir);
    else
        snprintf(err, errlen, "data_dir %s: %s", dir, strerror(errno));
    return -1;
}

static int open_db(struct unit_services *u, char *err, size_t errlen)
{
    const struct station_config *st = &u->cfg->station;
    char path[CONFIG_PATH_MAX + 32], why[600];
    snprintf(path, sizeof path, "%s/%s", st->data_dir, UNIT_SERVICES_DB_FILE);
    /* The receivers the station owes events: the outbox rows are written
     * with the facts (db/outbox.c), whoever sends them. */
    struct sdb_webhook hooks[CONFIG_MAX_WEBHOOKS];
    const struct jigd_config *c = u->cfg;
    for (size_t i = 0; i < c->n_webhooks; i++) {
        unsigned e = c->webhooks[i].events;
        hooks[i] = (struct sdb_webhook){
            .name = c->webhooks[i].name,
            .events = (e & WEBHOOK_UNIT_RESULT ? SDB_HOOK_UNIT_RESULT : 0u)
                    | (e & WEBHOOK_WORK_ORDER ? SDB_HOOK_WORK_ORDER : 0u)
                    | (e & WEBHOOK_ALARM ? SDB_HOOK_ALARM : 0u)};
    }
    struct sdb_options o = {.station = st->name, .webhooks = hooks,
                            .n_webhooks = c->n_webhooks};
    if (sdb_open(path, &o, &u->db, why, sizeof why) != SDB_OK) {
        /* Name the file even when the database's own message does not. */
        if (strstr(why, path))
            snprintf(err, errlen, "station database: %s", why);
        else
            snprintf(err, errlen, "station database %s: %s", path, why);
        return -1;
    }
    u->interrupted_at_open = sdb_interrupted_at_open(u->db);
    return 0;
}

static int check_serial_format(struct unit_services *u, char *err, size_t errlen)
{
    struct serial_format f;
    char why[300];
    if (serial_format_parse(u->cfg->unit.serial_format, &f, why, sizeof why))
        return 0;
    int n = where(u->cfg, u->cfg->unit.serial_format_line, err, errlen);
    snprintf(err + n, errlen - (size_t)n, "serial_format = %s: %s%s",
             u->cfg->unit.serial_format, why,
             u->cfg->unit.serial_format_line ? "" : " (the default, with this station "
             "name; set serial_format in [unit])");
    return -1;
}

static int open_ca(struct unit_services *u, char *err, size_t errlen)
{
    const struct jigd_config *cfg = u->cfg;
    struct identity_config *c = &u->identity;
    identity_config_defaults(c);
    c->station_name = cfg->station.name;
    c->organization = cfg->identity.organization;
    c->data_dir = cfg->station.data_dir;
    c->ca_cert_path = cfg->identity.ca_cert[0] ? cfg->identity.ca_cert : NULL;
    c->ca_key_path = cfg->identity.ca_key[0] ? cfg->identity.ca_key : NULL;
    c->ca_years = cfg->identity.ca_years;
    c->cert_years = cfg->identity.cert_years;
    c->pool_size = cfg->identity.key_pool_size;
    c->pool_workers = cfg->identity.key_pool_workers;
    if (unit_key_type_parse(cfg->identity.key_type, &c->key_type) < 0) {
        snprintf(err, errlen, "%s: key_type %s is unknown", cfg->path, cfg->identity.key_type);
        return -1;
    }
    char why[600];
    u->ca = station_ca_open(c, 0, why, sizeof why);
    if (u->ca)
        return 0;
    int line = cfg->identity.ca_cert_line;
    if (c->ca_key_path && strstr(why, c->ca_key_path) && !strstr(why, c->ca_cert_path))
        line = cfg->identity.ca_key_line;
    int n = where(cfg, line, err, errlen);
    snprintf(err + n, errlen - (size_t)n, "station CA: %s", why);
    return -1;
}

static int open_template(struct unit_services *u, char *err, size_t errlen)
{
    const struct unit_settings *us = &u->cfg->unit;
    if (!us->nvs_template[0])
        return 0;
    struct unit_nvs_template_options o = {0};
    if (u->identity.key_type == UNIT_KEY_RSA_2048) {
        o.cert_pem_max = 1400;
        o.key_pem_max = 1800;
    }
    char why[600];
    u->nvs = unit_nvs_template_load(us->nvs_template, &o, why, sizeof why);
    if (u->nvs)
        return 0;
    /* The template's own file:line comes first; the config line says who
     * named it. */
    int n = where(u->cfg, us->nvs_template_line, err, errlen);
    snprintf(err + n, errlen - (size_t)n, "nvs_template: %s", why);
    return -1;
}

static int open_pool(struct unit_services *u, uv_loop_t *loop, char *err, size_t errlen)
{
    struct key_pool_options o = {.type = u->identity.key_type,
                                 .size = u->identity.pool_size,
                                 .workers = u->identity.pool_workers};
    char why[300];
    u->keys = key_pool_new(loop, &o, why, sizeof why);
    if (u->keys)
        return 0;
    snprintf(err, errlen, "%s: key pool: %s", u->cfg->path, why);
    return -1;
}

static void free_now(struct unit_services *u)
{
    unit_nvs_template_free(u->nvs);
    station_ca_free(u->ca);
    sdb_close(u->db);
    free(u);
}

static void on_pool_closed_at_open(void *data)
{
    free_now(data);
}

struct unit_services *unit_services_open(uv_loop_t *loop, const struct jigd_config *cfg,
                                         char *err, size_t errlen)
{
    struct unit_services *u = calloc(1, sizeof *u);
    if (!u) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    u->cfg = cfg;
    /* Cheapest and most likely mistakes first; the database last of the
     * files so that a refused start leaves no new database behind. */
    if (check_serial_format(u, err, errlen) < 0 || open_template(u, err, errlen) < 0
        || require_data_dir(cfg->station.data_dir, err, errlen) < 0
        || open_ca(u, err, errlen) < 0 || open_db(u, err, errlen) < 0
        || open_pool(u, loop, err, errlen) < 0) {
        free_now(u);
        return NULL;
    }
    if (unit_work_order_at_start(u, err, errlen) < 0) {
        u->closed_cb = NULL;
        key_pool_close(u->keys, on_pool_closed_at_open, u);
        return NULL;
    }
    return u;
}

/* ---- bundles -------------------------------------------------------------- */

const struct pt_entry *unit_services_secure_cert_partition(const struct pt_table *t)
{
    const struct pt_entry *e = pt_find_name(t, SECURE_CERT_PARTITION_LABEL);
    return e ? e : pt_find_type(t, SECURE_CERT_PARTITION_TYPE, 0);
}

int unit_services_check_bundle(const struct unit_services *u, const struct bundle *b,
                               char *err, size_t errlen)
{
    char why[400];
    if (u->nvs && unit_nvs_template_check(u->nvs, &b->table, why, sizeof why) < 0) {
        snprintf(err, errlen, "the NVS template does not fit this bundle: %s", why);
        return -1;
    }
    if (u->cfg->unit.secure_cert && !unit_services_secure_cert_partition(&b->table)) {
        snprintf(err, errlen, "secure_cert = yes but the bundle's partition table has no "
                 "%s partition (type 0x%02x); add one (0x2000 bytes) or set secure_cert = "
                 "no", SECURE_CERT_PARTITION_LABEL, SECURE_CERT_PARTITION_TYPE);
        return -1;
    }
    return 0;
}

/* ---- room for the records ----------------------------------------------- */

static void format_size(uint64_t bytes, char *out, size_t size)
{
    if (bytes < (1u << 20))
        snprintf(out, size, "%.0f KiB", (double)bytes / 1024);
    else if (bytes < (1u << 30))
        snprintf(out, size, "%.1f MiB", (double)bytes / (1 << 20));
    else
        snprintf(out, size, "%.1f GiB", (double)bytes / (1 << 30));
}

int unit_services_room(const struct unit_services *u, char *why, size_t whylen,
                       char *advice, size_t advicelen)
{
    const struct station_config *st = &u->cfg->station;
    if (st->min_free_mb == 0)
        return 0;
    struct statvfs fs;
    if (statvfs(st->data_dir, &fs) != 0) {
        snprintf(why, whylen, "cannot tell the free space of %.200s (data_dir): %s",
                 st->data_dir, strerror(errno));
        snprintf(advice, advicelen, "check that the folder and its disk are there");
        return -1;
    }
    uint64_t free_bytes = (uint64_t)fs.f_bavail * fs.f_frsize;
    if (free_bytes >= (uint64_t)st->min_free_mb << 20)
        return 0;
    char text[32];
    format_size(free_bytes, text, sizeof text);
    snprintf(why, whylen, "%s free in %.160s (data_dir), below min_free_mb = %u: no unit "
             "starts", text, st->data_dir, st->min_free_mb);
    snprintf(advice, advicelen, "free space in %.160s (old logs, backups, bundles); units "
             "start again once there is room", st->data_dir);
    return -1;
}

/* ---- the clock ------------------------------------------------------------ */

/* The configure time of this build (CMake's TIMESTAMP, which honours
 * SOURCE_DATE_EPOCH): no real clock is earlier. 0 when built without it. */
#ifndef JIGD_BUILD_EPOCH
#define JIGD_BUILD_EPOCH 0
#endif

int unit_services_clock(const struct unit_services *u, char *why, size_t whylen, char *advice,
                        size_t advicelen)
{
    if (cert_clock_check(time(NULL), (time_t)JIGD_BUILD_EPOCH, station_ca_not_before(u->ca),
                         why, whylen) == 0)
        return 0;
    snprintf(advice, advicelen, "set the clock (timedatectl; is NTP reachable?); units start "
             "by themselves once it is right");
    return -1;
}

/* ---- closing --------------------------------------------------------------- */

static void on_pool_closed(void *data)
{
    struct unit_services *u = data;
    void (*cb)(void *) = u->closed_cb;
    void *ctx = u->closed_ctx;
    free_now(u);
    if (cb)
        cb(ctx);
}

void unit_services_close(struct unit_services *u, void (*done)(void *ctx), void *ctx)
{
    u->closed_cb = done;
    u->closed_ctx = ctx;
    key_pool_close(u->keys, on_pool_closed, u);
}

void unit_services_audit(struct unit_services *u, const char *actor, const char *action,
                         int slot, const char *detail)
{
    cJSON *d = cJSON_CreateObject();
    if (slot > 0)
        cJSON_AddNumberToObject(d, "slot", slot);
    if (detail)
        cJSON_AddStringToObject(d, "detail", detail);
    if (sdb_audit_append(u->db, actor, action, d) != SDB_OK)
        log_line("jigd: audit log: %s could not be recorded: %s", action,
                 sdb_errmsg(u->db));
    cJSON_Delete(d);
}
