/* The clock and the API: what jigd checks per unit (the clock) or has
 * already refused at load (a listen address the network reaches without a
 * token: config's own rule, so a config doctor could load passed it). What
 * is left is whether anybody may start a manual slot. */
#include "doctor.h"

#include <limits.h>
#include <time.h>

#include "cert_clock.h"

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

void doctor_check_api(struct doctor *d)
{
    const struct station_config *s = &d->cfg->station;
    int manual;
    if (s->api_token_file[0])
        doctor_ok(d, "API at %s:%u, every request needs the token", s->listen_host,
                  (unsigned)s->listen_port);
    else if (s->api_trust_local)
        doctor_ok(d, "API at %s:%u, programs on this machine act without a token "
                  "(api_trust_local)", s->listen_host, (unsigned)s->listen_port);
    else if (any_manual_slot(d->cfg, &manual))
        doctor_problem(d, "set api_token_file (docs/deploy.md, 3. Who may drive the station) "
                       "or api_trust_local = yes, or trigger = auto",
                       "slot %d has trigger = manual, but without api_token_file or "
                       "api_trust_local the API is read-only: nobody can start it", manual);
    else
        doctor_note(d, "API at %s:%u is read-only (no api_token_file, no api_trust_local): "
                    "jigctl start, abort and bundle load are refused", s->listen_host,
                    (unsigned)s->listen_port);
}
