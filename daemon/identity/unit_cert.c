/* Unit certificates (see unit_cert.h). */
#include "unit_cert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/platform.h>
#include <mbedtls/platform_util.h>

#include "hex.h"
#include "mbedtls_compat.h"
#include "secure_cert_tlv.h"

static int copy_buf(mbedtls_asn1_buf *to, const mbedtls_asn1_buf *from)
{
    to->tag = from->tag;
    to->len = from->len;
    to->p = mbedtls_calloc(1, from->len ? from->len : 1);
    if (!to->p)
        return -1;
    memcpy(to->p, from->p, from->len);
    return 0;
}

/* The issuer name is the CA's subject copied attribute for attribute (same
 * string types, same order), so that chain building never depends on how
 * a name prints. mbedTLS writes its name list last entry first, so the
 * copy is built in reverse. */
static int copy_issuer(mbedtls_x509write_cert *w, const mbedtls_x509_crt *ca)
{
    for (const mbedtls_x509_name *n = &ca->subject; n && n->oid.p; n = n->next) {
        mbedtls_asn1_named_data *d = mbedtls_calloc(1, sizeof *d);
        if (!d)
            return -1;
        d->next = w->MBEDTLS_MEMBER(issuer);
        w->MBEDTLS_MEMBER(issuer) = d;
        if (copy_buf(&d->oid, &n->oid) || copy_buf(&d->val, &n->val))
            return -1;
    }
    return 0;
}

static void format_san(const uint8_t mac[6], char out[32])
{
    char digits[HEX_LEN(6)];
    snprintf(out, 32, UNIT_CERT_SAN_PREFIX "%s", hex_encode(mac, 6, digits));
}

static int unit_subject(const struct identity_config *c, const char *serial, char *out,
                        size_t cap, char *err, size_t errlen)
{
    out[0] = '\0';
    if (c->organization && *c->organization && cert_name_append(out, cap, "O", c->organization)) {
        snprintf(err, errlen, "the organization \"%s\" cannot go into a certificate: use at "
                 "most %d printable ASCII characters, no backslash", c->organization,
                 CERT_NAME_MAX);
        return -1;
    }
    if (cert_name_append(out, cap, "CN", serial)) {
        snprintf(err, errlen, "the serial number \"%s\" cannot be a certificate's CN: it needs "
                 "1 to %d printable ASCII characters, no backslash, no space at either end",
                 serial, CERT_NAME_MAX);
        return -1;
    }
    return 0;
}

static int fill_writer(mbedtls_x509write_cert *w, struct station_ca *ca, struct unit_key *key,
                       const char *subject, const char *san, time_t now)
{
    mbedtls_x509_crt *crt = station_ca_crt(ca);
    mbedtls_x509write_crt_set_version(w, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(w, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(w, unit_key_pk(key));
    mbedtls_x509write_crt_set_issuer_key(w, station_ca_key(ca));
    int rc;
    if ((rc = mbedtls_x509write_crt_set_subject_name(w, subject)) ||
        (rc = copy_issuer(w, crt)) ||
        (rc = cert_set_random_serial(w, station_ca_rng(ca))) ||
        (rc = cert_set_validity(w, now, station_ca_config(ca)->cert_years,
                                cert_time(&crt->valid_to))) ||
        (rc = mbedtls_x509write_crt_set_basic_constraints(w, 0, -1)) ||
        (rc = mbedtls_x509write_crt_set_key_usage(w, MBEDTLS_X509_KU_DIGITAL_SIGNATURE)) ||
        (rc = cert_set_eku_client_auth(w)) ||
        (rc = cert_set_san_uri(w, san)) ||
        (rc = mbedtls_x509write_crt_set_subject_key_identifier(w)) ||
        (rc = mbedtls_x509write_crt_set_authority_key_identifier(w)))
        return rc;
    return 0;
}

int unit_cert_issue(struct station_ca *ca, struct unit_key *key,
                    const struct unit_cert_request *req, struct unit_cert *out, char *err,
                    size_t errlen)
{
    memset(out, 0, sizeof *out);
    char subject[256];
    if (!req->serial ||
        unit_subject(station_ca_config(ca), req->serial, subject, sizeof subject, err, errlen))
        return -1;
    format_san(req->mac, out->san_uri);
    time_t now = req->now ? req->now : time(NULL);

    mbedtls_x509write_cert w;
    mbedtls_x509write_crt_init(&w);
    int rc = fill_writer(&w, ca, key, subject, out->san_uri, now);
    if (rc)
        snprintf(err, errlen, "cannot build the certificate for %s (mbedTLS -0x%04x)",
                 req->serial, rc < 0 ? -rc : rc);
    else
        out->cert_pem = cert_write_pem(&w, station_ca_rng(ca), &out->facts, err, errlen);
    mbedtls_x509write_crt_free(&w);
    if (!out->cert_pem)
        return -1;
    out->cert_pem_len = strlen(out->cert_pem);
    out->key_pem = unit_key_pem(key, &out->key_pem_len);
    if (!out->key_pem) {
        snprintf(err, errlen, "cannot encode the key for %s as PEM", req->serial);
        unit_cert_free(out);
        return -1;
    }
    return 0;
}

void unit_cert_free(struct unit_cert *c)
{
    unit_key_pem_free(c->key_pem);
    free(c->cert_pem);
    mbedtls_platform_zeroize(c, sizeof *c);
}

void unit_cert_record(const struct unit_cert *c, struct unit_cert_record *r)
{
    r->fingerprint_sha256 = c->facts.fingerprint_sha256;
    r->subject = c->facts.subject;
    r->issuer = c->facts.issuer;
    r->serial_number = c->facts.serial_number;
    r->san_uri = c->san_uri;
    r->not_before = c->facts.not_before;
    r->not_after = c->facts.not_after;
    r->pem = c->cert_pem;
}

size_t unit_cert_describe(const struct unit_cert *c, char *out, size_t cap)
{
    int n = snprintf(out, cap, "certificate %s, %s, sha256 %s, valid %s to %s, issuer %s",
                     c->facts.subject, c->san_uri, c->facts.fingerprint_sha256,
                     c->facts.not_before, c->facts.not_after, c->facts.issuer);
    return n < 0 ? 0 : (size_t)n;
}

static const char *record_name(int type)
{
    const char *name = secure_cert_tlv_type_name((uint8_t)type);
    return name ? name : "record";
}

int unit_cert_secure_cert_image(const struct unit_cert *c, const char *ca_pem, uint8_t *part,
                                size_t size, char *err, size_t errlen)
{
    struct secure_cert_tlv_writer w;
    secure_cert_tlv_writer_init(&w, part, size);
    int failed = -1;
    int rc = secure_cert_tlv_build_identity(&w, ca_pem, c->cert_pem, c->key_pem, true, &failed);
    if (rc == SECURE_CERT_TLV_OK)
        return 0;
    size_t need = secure_cert_tlv_record_size(c->cert_pem_len + 1) +
                  secure_cert_tlv_record_size(c->key_pem_len + 1) +
                  secure_cert_tlv_record_size(32) + 4 +
                  (ca_pem ? secure_cert_tlv_record_size(strlen(ca_pem) + 1) : 0);
    snprintf(err, errlen, "esp_secure_cert: the %s record does not fit: the unit's records "
             "need %zu bytes, the partition has %zu (%s)", record_name(failed), need, size,
             secure_cert_tlv_strerror(rc));
    mbedtls_platform_zeroize(part, size);
    return -1;
}
