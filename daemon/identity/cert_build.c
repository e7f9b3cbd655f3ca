/* Shared certificate writing (see cert_build.h). */
#include "cert_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/asn1write.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>

#include "cert_ecdsa_resign.h"
#include "hex.h"
#include "mbedtls_compat.h"

#define WRITER_ISSUER_KEY(w) ((w)->MBEDTLS_MEMBER(issuer_key))

#define SERIAL_LEN 16
#define CERT_DER_MAX 4096   /* what mbedtls_x509write_crt_pem itself allows */
#define CERT_PEM_MAX 8192
#define PEM_BEGIN "-----BEGIN CERTIFICATE-----\n"
#define PEM_END "-----END CERTIFICATE-----\n"

/* YYYYMMDDhhmmss, as mbedtls_x509write_crt_set_validity takes it; -1 for a
 * year X.509 cannot write in four digits. */
static int mbedtls_time_string(const struct tm *t, char out[15])
{
    int n = snprintf(out, 15, "%04d%02d%02d%02d%02d%02d", t->tm_year + 1900, t->tm_mon + 1,
                     t->tm_mday, t->tm_hour, t->tm_min, t->tm_sec);
    return n == 14 ? 0 : -1;
}

int cert_set_validity(mbedtls_x509write_cert *w, time_t now, unsigned years, time_t limit)
{
    time_t from = now - CERT_CLOCK_SKEW_SECONDS;
    struct tm tb, ta;
    gmtime_r(&from, &tb);
    gmtime_r(&now, &ta);
    ta.tm_year += (int)years;
    time_t until = timegm(&ta);     /* 29 February rolls over to 1 March */
    if (limit && until > limit)
        until = limit;
    gmtime_r(&until, &ta);
    char nb[15], na[15];
    if (mbedtls_time_string(&tb, nb) < 0 || mbedtls_time_string(&ta, na) < 0)
        return MBEDTLS_ERR_X509_BAD_INPUT_DATA;
    return mbedtls_x509write_crt_set_validity(w, nb, na);
}

int cert_set_random_serial(mbedtls_x509write_cert *w, struct identity_rng *rng)
{
    unsigned char b[SERIAL_LEN];
    int rc = identity_rng_random(rng, b, sizeof b);
    if (rc)
        return rc;
    b[0] = (unsigned char)((b[0] & 0x7F) | 0x40);
    mbedtls_mpi serial;
    mbedtls_mpi_init(&serial);
    rc = mbedtls_mpi_read_binary(&serial, b, sizeof b);
    if (!rc)
        rc = mbedtls_x509write_crt_set_serial(w, &serial);
    mbedtls_mpi_free(&serial);
    return rc;
}

/* DER is written back to front by mbedTLS's asn1write: the value first,
 * then its length and tag in front of it. */
int cert_set_san_uri(mbedtls_x509write_cert *w, const char *uri)
{
    unsigned char buf[256];
    unsigned char *p = buf + sizeof buf;
    size_t len = 0, n = strlen(uri);
    int ret;
    MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_raw_buffer(&p, buf,
                                                            (const unsigned char *)uri, n));
    MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(&p, buf, n));
    /* GeneralName uniformResourceIdentifier: [6] IMPLICIT IA5String */
    MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 6));
    MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(&p, buf, len));
    MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED |
                                                                  MBEDTLS_ASN1_SEQUENCE));
    return mbedtls_x509write_crt_set_extension(w, MBEDTLS_OID_SUBJECT_ALT_NAME,
                                               MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME),
                                               0, p, len);
}

int cert_set_eku_client_auth(mbedtls_x509write_cert *w)
{
    unsigned char buf[32];
    unsigned char *p = buf + sizeof buf;
    size_t len = 0;
    int ret;
    MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_oid(&p, buf, MBEDTLS_OID_CLIENT_AUTH,
                                                     MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)));
    MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(&p, buf, len));
    MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED |
                                                                  MBEDTLS_ASN1_SEQUENCE));
    return mbedtls_x509write_crt_set_extension(w, MBEDTLS_OID_EXTENDED_KEY_USAGE,
                                               MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE),
                                               0, p, len);
}

static int name_value_ok(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > CERT_NAME_MAX || v[0] == ' ' || v[n - 1] == ' ')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] < 0x20 || v[i] > 0x7E || v[i] == '\\')
            return 0;
    return 1;
}

int cert_name_append(char *out, size_t cap, const char *attr, const char *value)
{
    if (!name_value_ok(value))
        return -1;
    size_t len = strlen(out);
    int n = snprintf(out + len, cap - len, "%s%s=", len ? "," : "", attr);
    if (n < 0 || (size_t)n >= cap - len)
        return -1;
    len += (size_t)n;
    for (const char *c = value; *c; c++) {
        if (len + 3 > cap)
            return -1;
        if (*c == ',')
            out[len++] = '\\';
        out[len++] = *c;
    }
    out[len] = '\0';
    return 0;
}

/* The fields of a parsed certificate are in range (mbedTLS checks them);
 * as unsigned, each also provably fits its digits, so out cannot overflow. */
static void iso_time(const mbedtls_x509_time *t, char out[21])
{
    snprintf(out, 21, "%04u-%02u-%02uT%02u:%02u:%02uZ", (unsigned)t->year % 10000u,
             (unsigned)t->mon % 100u, (unsigned)t->day % 100u, (unsigned)t->hour % 100u,
             (unsigned)t->min % 100u, (unsigned)t->sec % 100u);
}

time_t cert_time(const mbedtls_x509_time *t)
{
    struct tm tm = {
        .tm_year = t->year - 1900, .tm_mon = t->mon - 1, .tm_mday = t->day,
        .tm_hour = t->hour, .tm_min = t->min, .tm_sec = t->sec,
    };
    return timegm(&tm);
}

void cert_facts_get(const mbedtls_x509_crt *crt, struct cert_facts *f)
{
    unsigned char digest[32];
    sha256_once(crt->raw.p, crt->raw.len, digest);
    hex_encode(digest, sizeof digest, f->fingerprint_sha256);
    if (mbedtls_x509_dn_gets(f->subject, sizeof f->subject, &crt->subject) < 0)
        f->subject[0] = '\0';
    if (mbedtls_x509_dn_gets(f->issuer, sizeof f->issuer, &crt->issuer) < 0)
        f->issuer[0] = '\0';
    size_t n = crt->serial.len < 20 ? crt->serial.len : 20;
    hex_encode(crt->serial.p, n, f->serial_number);
    iso_time(&crt->valid_from, f->not_before);
    iso_time(&crt->valid_to, f->not_after);
}

/* The certificate as DER in der[0..CERT_DER_MAX): mbedTLS writes and
 * signs it, then cert_ecdsa_resign takes the NULL out of an ECDSA
 * AlgorithmIdentifier and signs again (see cert_ecdsa_resign.h). */
static int write_der(mbedtls_x509write_cert *w, struct identity_rng *rng, unsigned char *der,
                     size_t *len, char *err, size_t errlen)
{
    unsigned char *raw = malloc(CERT_DER_MAX);
    if (!raw) {
        snprintf(err, errlen, "out of memory writing a certificate");
        return -1;
    }
    int n = mbedtls_x509write_crt_der(w, raw, CERT_DER_MAX, identity_rng_random, rng);
    int rc = n < 0 ? n
                   : cert_ecdsa_resign(raw + CERT_DER_MAX - n, (size_t)n, WRITER_ISSUER_KEY(w),
                                       identity_rng_random, rng, der, CERT_DER_MAX, len);
    free(raw);
    if (rc != 0) {
        snprintf(err, errlen, "signing the certificate failed (mbedTLS -0x%04x)", -rc);
        return -1;
    }
    return 0;
}

/* PEM as mbedtls_x509write_crt_pem writes it, NUL-terminated, malloc'd. */
static char *der_to_pem(const unsigned char *der, size_t len, char *err, size_t errlen)
{
    unsigned char *buf = malloc(CERT_PEM_MAX);
    size_t olen = 0;
    if (!buf || mbedtls_pem_write_buffer(PEM_BEGIN, PEM_END, der, len, buf, CERT_PEM_MAX,
                                         &olen) != 0) {
        snprintf(err, errlen, "cannot encode the certificate as PEM");
        free(buf);
        return NULL;
    }
    char *pem = realloc(buf, olen);
    return pem ? pem : (char *)buf;
}

char *cert_write_pem(mbedtls_x509write_cert *w, struct identity_rng *rng,
                     struct cert_facts *facts, char *err, size_t errlen)
{
    unsigned char der[CERT_DER_MAX];
    size_t der_len = 0;
    if (write_der(w, rng, der, &der_len, err, errlen) != 0)
        return NULL;
    char *pem = der_to_pem(der, der_len, err, errlen);
    if (!pem)
        return NULL;
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    int rc = mbedtls_x509_crt_parse(&crt, (const unsigned char *)pem, strlen(pem) + 1);
    if (rc != 0) {
        snprintf(err, errlen, "the certificate just written does not parse (mbedTLS -0x%04x)",
                 -rc);
        free(pem);
        pem = NULL;
    } else {
        cert_facts_get(&crt, facts);
    }
    mbedtls_x509_crt_free(&crt);
    return pem;
}
