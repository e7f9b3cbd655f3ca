/* The fixture of the identity tests that issue certificates: a scratch
 * data_dir, an identity configuration for station "line3-east" of "Acme",
 * and the station CA opened in it (by ca_fixture_setup, or later by
 * ca_fixture_open_ca once a test has changed the configuration). Header
 * only: each tests/identity/test_*.c is one program. */
#ifndef JIGD_CA_FIXTURE_H
#define JIGD_CA_FIXTURE_H

#include "identity_test_util.h"
#include "station_ca.h"

struct fixture {
    char *dir;
    struct identity_config cfg;
    struct station_ca *ca;
};

static const uint8_t test_mac[6] = {0x7c, 0xdf, 0xa1, 0xb2, 0xc3, 0xd4};

static inline void ca_fixture_open_ca(struct fixture *f)
{
    char err[512];
    f->ca = station_ca_open(&f->cfg, 0, err, sizeof err);
    if (!f->ca)
        fail_msg("%s", err);
}

/* The configuration only: the test opens the CA itself. */
static inline int ca_fixture_setup_without_ca(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->dir = scratch_dir();
    assert_non_null(f->dir);
    identity_config_defaults(&f->cfg);
    f->cfg.station_name = "line3-east";
    f->cfg.organization = "Acme";
    f->cfg.data_dir = f->dir;
    *state = f;
    return 0;
}

static inline int ca_fixture_setup(void **state)
{
    ca_fixture_setup_without_ca(state);
    ca_fixture_open_ca(*state);
    return 0;
}

static inline int ca_fixture_teardown(void **state)
{
    struct fixture *f = *state;
    station_ca_free(f->ca);
    scratch_remove(f->dir);
    free(f);
    return 0;
}

#endif
