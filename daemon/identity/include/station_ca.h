/* The station CA: the key that signs every unit certificate.
 *
 * Either configured (identity_config.ca_cert_path and ca_key_path, e.g. an
 * intermediate CA the plant's PKI issued) or created at first start in the
 * data dir: an EC P-256 key in station-ca.key (mode 0600 from the moment
 * it exists) and a self-signed certificate in station-ca.pem, CN
 * "<station> jigd station CA", basicConstraints CA:TRUE pathlen:0, keyUsage
 * keyCertSign|cRLSign. Later starts reuse them.
 *
 * Signing uses mbedTLS contexts that are not thread-safe: use one
 * station_ca from one thread (the loop's). */
#ifndef JIGD_STATION_CA_H
#define JIGD_STATION_CA_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "cert_build.h"
#include "identity_config.h"
#include "identity_rng.h"

#define STATION_CA_CERT_FILE "station-ca.pem"
#define STATION_CA_KEY_FILE "station-ca.key"

struct station_ca;

/* Opens the configured CA, or the data dir's one, creating it there if
 * neither file exists. `now` dates a created CA (0 = the clock). Refuses,
 * with the path and what to do in err: a missing or unreadable file, a key
 * that group or others may read, a key that does not belong to the
 * certificate, a certificate that is not a CA or has expired, only one of
 * the two data-dir files present. The config's strings must outlive the
 * CA (the organization and validity are used for every unit). */
struct station_ca *station_ca_open(const struct identity_config *c, time_t now, char *err,
                                   size_t errlen);

/* Zeroises the key and frees; NULL is fine. */
void station_ca_free(struct station_ca *ca);

/* True when this open created the CA (say so in the log: a new CA means
 * boards issued before will not verify against it). */
bool station_ca_created(const struct station_ca *ca);

/* The CA certificate, PEM with NUL (the esp_secure_cert CA_CERT record,
 * the NVS template's placeholder, the MES's trust anchor). */
const char *station_ca_cert_pem(const struct station_ca *ca);
const char *station_ca_cert_path(const struct station_ca *ca);
const struct cert_facts *station_ca_facts(const struct station_ca *ca);
/* The certificate's notBefore (cert_clock.h compares the clock with it). */
time_t station_ca_not_before(const struct station_ca *ca);

/* For unit_cert: the certificate, key, RNG and issuing policy. */
mbedtls_x509_crt *station_ca_crt(struct station_ca *ca);
mbedtls_pk_context *station_ca_key(struct station_ca *ca);
struct identity_rng *station_ca_rng(struct station_ca *ca);
const struct identity_config *station_ca_config(const struct station_ca *ca);

#endif
