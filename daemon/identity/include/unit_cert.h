/* A unit's certificate: X.509 v3, signed by the station CA, for the key the
 * key pool made for the board.
 *
 *   subject          O=<organization>, CN=<serial number>
 *   subjectAltName   URI urn:dev:mac:<12 lower-case hex digits> (RFC 9039)
 *   serial number    16 random bytes, positive
 *   validity         now - 1 h (clock skew) .. now + cert_years (cut at the CA's end)
 *   keyUsage         digitalSignature (critical)
 *   extKeyUsage      clientAuth
 *   basicConstraints CA:FALSE; subject and authority key identifiers
 *
 * THE PRIVATE KEY. unit_cert.key_pem is the only copy of the board's key
 * outside the board. The caller puts it into the board's NVS and/or
 * esp_secure_cert image and nowhere else: never into a log, the database,
 * an event or an API answer. unit_cert_free zeroises it; so must the caller
 * zeroise every buffer it copied the key into (the partition images). What
 * may be logged or stored is unit_cert_record / unit_cert_describe, which
 * hold no key material. */
#ifndef JIGD_UNIT_CERT_H
#define JIGD_UNIT_CERT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cert_build.h"
#include "station_ca.h"
#include "unit_key.h"

#define UNIT_CERT_SAN_PREFIX "urn:dev:mac:"

struct unit_cert_request {
    const char *serial;     /* the unit's serial number: the CN */
    uint8_t mac[6];         /* the chip's base MAC */
    time_t now;             /* 0 = the clock */
};

struct unit_cert {
    char *cert_pem;         /* PEM + NUL; public */
    size_t cert_pem_len;    /* without the NUL */
    char *key_pem;          /* PEM + NUL; SECRET (see above) */
    size_t key_pem_len;
    char san_uri[32];       /* "urn:dev:mac:7cdfa1b2c3d4" */
    struct cert_facts facts;
};

/* Issues a certificate for `key`. Call on the station CA's thread (the
 * loop): with an EC P-256 CA it costs two signatures, about two
 * milliseconds (cert_ecdsa_resign.h says why two). Returns 0, or -1
 * with the reason in err (a serial that cannot be a CN names the rule). */
int unit_cert_issue(struct station_ca *ca, struct unit_key *key,
                    const struct unit_cert_request *req, struct unit_cert *out, char *err,
                    size_t errlen);

/* Zeroises the key PEM and frees both PEMs. */
void unit_cert_free(struct unit_cert *c);

/* What the database keeps (db's sdb_certificate takes these fields as they
 * are): no key material, pointers into *c. */
struct unit_cert_record {
    const char *fingerprint_sha256;
    const char *subject;
    const char *issuer;
    const char *serial_number;
    const char *san_uri;
    const char *not_before;
    const char *not_after;
    const char *pem;
};
void unit_cert_record(const struct unit_cert *c, struct unit_cert_record *r);

/* One line for the log: subject, SAN, fingerprint, validity. Like snprintf. */
size_t unit_cert_describe(const struct unit_cert *c, char *out, size_t cap);

/* The unit's esp_secure_cert partition image in part[0..size): CA_CERT (the
 * station CA; NULL ca_pem leaves it out), DEV_CERT, PRIV_KEY, INTEGRITY,
 * rest erased. The image holds the key: zeroise it after writing it to the
 * board. Returns 0, or -1 with "does not fit" and the sizes in err. */
int unit_cert_secure_cert_image(const struct unit_cert *c, const char *ca_pem, uint8_t *part,
                                size_t size, char *err, size_t errlen);

#endif
