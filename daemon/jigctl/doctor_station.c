/* The clock and the API: what jigd checks per unit (the clock), and who
 * may reach and drive the station: a network listen with no token yet
 * (jigd answers only itself then), or a manual slot nobody may start. */
#include "doctor.h"

#include <limits.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cert_clock.h"
#include "station_db.h"

#define DB_FILE "station.db"            /* db/: the station database in data_dir */

/* The configure time of this build, as jigd's (CMake's TIMESTAMP): a
 * clock before it is wrong, and so is one before the station CA's
 * notBefore (jigd holds the clock against both before every unit). */
#ifndef JIGD_BUILD_EPOCH
#define JIGD_BUILD_EPOCH 0
#endif

#define CA_CERT_FILE "station-ca.pem"   /* identity/: the CA jigd makes in data_dir */

/* The CA's notBefore, or 0 when there is no CA yet (jigd makes one at
 * first start, dated by the clock it then has). */
static time_t ca_not_before(struct doctor *d)
{
    const struct jigd_config *c = d->cfg;
    char path[PATH_MAX], why[PATH_MAX + 128];
    if (c->identity.ca_cert[0])
        snprintf(path, sizeof path, "%s", c->identity.ca_cert);
    else
        snprintf(path, sizeof path, "%s/%s", c->station.data_dir, CA_CERT_FILE);
    time_t from = 0;
    if (cert_file_not_before(path, &from, why, sizeof why) < 0)
        doctor_problem(d, "restore the station's CA certificate from its backup, or correct "
                       "ca_cert", "the station CA: %s: jigd refuses to start", why);
    return from;
}

void doctor_check_clock(struct doctor *d)
{
    char why[256];
    time_t ca_from = ca_not_before(d);
    if (cert_clock_check(d->now, (time_t)JIGD_BUILD_EPOCH, ca_from, why, sizeof why) < 0)
        doctor_problem(d, "set the clock (timedatectl set-time, or make NTP reachable: "
                       "timedatectl set-ntp true)", "%s", why);
    else
        doctor_ok(d, "the clock is after this build's date%s",
                  ca_from ? " and the station CA's notBefore" : "");
}

static bool any_manual_slot(const struct jigd_config *c, int *slot)
{
    for (size_t i = 0; i < c->n_slots; i++)
        if (c->slots[i].enabled && c->slots[i].trigger == SLOT_TRIGGER_MANUAL) {
            *slot = c->slots[i].index;
            return true;
        }
    return false;
}

/* The named tokens in data_dir's station.db, read only (doctor never makes
 * or migrates a database); -1 when there is none to read yet. */
static long named_tokens(const struct doctor *d)
{
    char path[PATH_MAX], err[300];
    snprintf(path, sizeof path, "%s/%s", d->cfg->station.data_dir, DB_FILE);
    if (access(path, R_OK) != 0)
        return -1;
    struct sdb_options o = {.read_only = true};
    struct station_db *db = NULL;
    struct sdb_token *rows = NULL;
    size_t n = 0;
    long count = -1;
    if (sdb_open(path, &o, &db, err, sizeof err) == SDB_OK
        && sdb_tokens_active(db, &rows, &n) == SDB_OK)
        count = (long)n;
    free(rows);
    sdb_close(db);
    return count;
}

void doctor_check_api(struct doctor *d)
{
    const struct station_config *s = &d->cfg->station;
    int manual;
    long named = named_tokens(d);
    bool tokens = s->api_token_file[0] || named > 0;
    if (tokens)
        doctor_ok(d, "API at %s:%u, every request needs a token (%ld named%s)", s->listen_host,
                  (unsigned)s->listen_port, named > 0 ? named : 0,
                  s->api_token_file[0] ? ", and api_token_file's" : "");
    else if (!config_host_is_loopback(s->listen_host))
        doctor_problem(d, "jigctl token add NAME --role ROLE for each client (docs/api.md, "
                       "Tokens and roles), or listen on 127.0.0.1",
                       "listen = %s:%u is reachable from the network but the station has no "
                       "API token: jigd answers programs on this machine only",
                       s->listen_host, (unsigned)s->listen_port);
    else if (s->api_trust_local)
        doctor_ok(d, "API at %s:%u, programs on this machine act without a token "
                  "(api_trust_local)", s->listen_host, (unsigned)s->listen_port);
    else if (any_manual_slot(d->cfg, &manual))
        doctor_problem(d, "jigctl token add NAME --role operator (docs/api.md, Tokens and "
                       "roles), or api_trust_local = yes, or trigger = auto",
                       "slot %d has trigger = manual, but without an API token or "
                       "api_trust_local the API is read-only: nobody can start it", manual);
    else
        doctor_note(d, "API at %s:%u is read-only (no API token, no api_trust_local): "
                    "jigctl start, abort and bundle load are refused", s->listen_host,
                    (unsigned)s->listen_port);
}
