/* The parts of writing an X.509 v3 certificate that the station CA and the
 * unit certificates share, on top of mbedTLS 2.28's x509write (which has
 * no helpers for subjectAltName or extendedKeyUsage, so those are encoded
 * here in DER), and the facts a record keeps about a written certificate. */
#ifndef JIGD_CERT_BUILD_H
#define JIGD_CERT_BUILD_H

#include <stddef.h>
#include <time.h>

#include <mbedtls/x509_crt.h>

#include "identity_rng.h"

#define CERT_CLOCK_SKEW_SECONDS 3600    /* notBefore = now - 1 h */
#define CERT_NAME_MAX 64                /* X.520 upper bound of CN and O */
#define CERT_FINGERPRINT_LEN 64         /* hex digits of a SHA-256 */

/* What the station records about a certificate (all public). */
struct cert_facts {
    char fingerprint_sha256[CERT_FINGERPRINT_LEN + 1]; /* lower-case hex of the DER's SHA-256 */
    char subject[256];              /* "CN=ACME-2647-000001, O=Acme" as mbedTLS prints it */
    char issuer[256];
    char serial_number[41];         /* hex */
    char not_before[21];            /* "2026-11-23T09:52:05Z" */
    char not_after[21];
};

/* Validity from now - CERT_CLOCK_SKEW_SECONDS to the same calendar date
 * `years` later, but never past `limit` (a time_t; 0 = no limit). */
int cert_set_validity(mbedtls_x509write_cert *w, time_t now, unsigned years, time_t limit);

/* A random 16-byte positive serial number: the top bit is cleared (so it
 * is positive) and the next one set (so its DER is always 16 bytes). */
int cert_set_random_serial(mbedtls_x509write_cert *w, struct identity_rng *rng);

/* subjectAltName with one uniformResourceIdentifier (non-critical). */
int cert_set_san_uri(mbedtls_x509write_cert *w, const char *uri);

/* extendedKeyUsage = clientAuth (non-critical). */
int cert_set_eku_client_auth(mbedtls_x509write_cert *w);

/* Appends ",<attr>=<value>" (no comma when out is empty) to a name string
 * for mbedtls_x509write_crt_set_*_name, escaping commas. Refuses (returns
 * -1) values longer than CERT_NAME_MAX, empty ones, ones that start or end
 * with a space, and characters outside printable ASCII or a backslash
 * (mbedTLS 2.28 cannot escape them). */
int cert_name_append(char *out, size_t cap, const char *attr, const char *value);

/* Signs and writes the certificate as PEM (NUL-terminated, malloc'd, free
 * with free()), parses it back and fills *facts. NULL with err on failure.
 * An ECDSA signature's AlgorithmIdentifier is the OID alone, without the
 * NULL mbedTLS 2.28 writes (cert_ecdsa_resign.h). */
char *cert_write_pem(mbedtls_x509write_cert *w, struct identity_rng *rng,
                     struct cert_facts *facts, char *err, size_t errlen);

/* Fills *facts from a parsed certificate. */
void cert_facts_get(const mbedtls_x509_crt *crt, struct cert_facts *facts);

/* A certificate time as time_t (UTC). */
time_t cert_time(const mbedtls_x509_time *t);

#endif
