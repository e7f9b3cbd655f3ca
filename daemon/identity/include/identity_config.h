/* What the station's identity part needs from the configuration: where the
 * station CA lives (or where to create it), what goes into certificates,
 * and how the key pool runs. The jigd.conf parser fills this in; the
 * strings are the caller's and must outlive the objects made from them. */
#ifndef JIGD_IDENTITY_CONFIG_H
#define JIGD_IDENTITY_CONFIG_H

#include "unit_key.h"

#define IDENTITY_DEFAULT_CA_YEARS 30u
#define IDENTITY_DEFAULT_CERT_YEARS 20u
#define IDENTITY_DEFAULT_POOL_SIZE 8u
#define IDENTITY_DEFAULT_POOL_WORKERS 1u
#define IDENTITY_MAX_YEARS 100u

struct identity_config {
    const char *station_name;   /* CN of a created CA: "<name> jigd station CA" */
    const char *organization;   /* O= of a created CA and of every unit; NULL/"" none */
    const char *data_dir;       /* a created CA is kept here (station-ca.pem/.key) */
    const char *ca_cert_path;   /* a configured CA: both paths set, or neither */
    const char *ca_key_path;
    unsigned ca_years;          /* validity of a created CA */
    unsigned cert_years;        /* validity of unit certificates (cut at the CA's end) */
    enum unit_key_type key_type;
    unsigned pool_size;         /* keys kept ready */
    unsigned pool_workers;      /* keys generated at once on the libuv thread pool */
};

/* Fills the defaults above; the three strings stay NULL. */
void identity_config_defaults(struct identity_config *c);

#endif
