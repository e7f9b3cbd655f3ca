/* Re-signing an ECDSA certificate without the NULL parameter (see
 * cert_ecdsa_resign.h). */
#include "cert_ecdsa_resign.h"

#include <stdlib.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/version.h>

#define DER_SEQUENCE (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)
#define DER_VERSION (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0)

/* Where the parts of the tbsCertificate lie in the DER mbedTLS wrote. */
struct tbs_parts {
    const unsigned char *body, *end;    /* the tbsCertificate's contents */
    const unsigned char *alg, *alg_end; /* its signature AlgorithmIdentifier, whole */
    mbedtls_asn1_buf oid, params;       /* the algorithm and its parameters (tag 0: none) */
};

/* mbedTLS 2.28's parser takes non-const pointers although it never writes
 * through them; the casts below are only for its signatures. */
static int find_tbs_parts(const unsigned char *der, size_t len, struct tbs_parts *t)
{
    unsigned char *p = (unsigned char *)der;
    const unsigned char *end = der + len;
    size_t n;
    int rc;
    if ((rc = mbedtls_asn1_get_tag(&p, end, &n, DER_SEQUENCE)) != 0)   /* Certificate */
        return rc;
    if (p + n != end)
        return MBEDTLS_ERR_ASN1_LENGTH_MISMATCH;
    if ((rc = mbedtls_asn1_get_tag(&p, end, &n, DER_SEQUENCE)) != 0)   /* tbsCertificate */
        return rc;
    t->body = p;
    t->end = p + n;
    rc = mbedtls_asn1_get_tag(&p, t->end, &n, DER_VERSION);
    if (rc != 0 && rc != MBEDTLS_ERR_ASN1_UNEXPECTED_TAG)
        return rc;
    p += rc == 0 ? n : 0;
    if ((rc = mbedtls_asn1_get_tag(&p, t->end, &n, MBEDTLS_ASN1_INTEGER)) != 0)  /* serial */
        return rc;
    p += n;
    t->alg = p;
    if ((rc = mbedtls_asn1_get_alg(&p, t->end, &t->oid, &t->params)) != 0)
        return rc;
    t->alg_end = p;
    return 0;
}

/* An ECDSA algorithm followed by a NULL; *md gets its hash. */
static int has_ecdsa_null(const struct tbs_parts *t, mbedtls_md_type_t *md)
{
    mbedtls_pk_type_t pk;
    return mbedtls_oid_get_sig_alg(&t->oid, md, &pk) == 0 && pk == MBEDTLS_PK_ECDSA &&
           t->params.tag == MBEDTLS_ASN1_NULL && t->params.len == 0;
}

/* asn1write writes back to front, each call in front of the last. */
static int write_alg_oid_only(unsigned char **c, unsigned char *start,
                              const mbedtls_asn1_buf *oid)
{
    size_t len = 0;
    int ret;
    MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_oid(c, start, (const char *)oid->p, oid->len));
    MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(c, start, len));
    MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(c, start, DER_SEQUENCE));
    return (int)len;
}

/* The tbsCertificate again: the fields after the AlgorithmIdentifier, the
 * OID-only AlgorithmIdentifier, the fields before it, the header. */
static int write_tbs(unsigned char **c, unsigned char *start, const struct tbs_parts *t)
{
    size_t len = 0;
    int ret;
    MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_raw_buffer(c, start, t->alg_end,
                                                            (size_t)(t->end - t->alg_end)));
    MBEDTLS_ASN1_CHK_ADD(len, write_alg_oid_only(c, start, &t->oid));
    MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_raw_buffer(c, start, t->body,
                                                            (size_t)(t->alg - t->body)));
    MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(c, start, len));
    MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(c, start, DER_SEQUENCE));
    return (int)len;
}

static int sign(mbedtls_pk_context *key, mbedtls_md_type_t md, const unsigned char *tbs,
                size_t tbs_len, unsigned char sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE],
                size_t *sig_len, int (*f_rng)(void *, unsigned char *, size_t), void *p_rng)
{
    unsigned char hash[MBEDTLS_MD_MAX_SIZE];
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(md);
    if (!info)
        return MBEDTLS_ERR_MD_FEATURE_UNAVAILABLE;
    int rc = mbedtls_md(info, tbs, tbs_len, hash);
    if (rc != 0)
        return rc;
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    return mbedtls_pk_sign(key, md, hash, mbedtls_md_get_size(info), sig,
                           MBEDTLS_PK_SIGNATURE_MAX_SIZE, sig_len, f_rng, p_rng);
#else
    return mbedtls_pk_sign(key, md, hash, mbedtls_md_get_size(info), sig, sig_len, f_rng,
                           p_rng);
#endif
}

/* Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm,
 * signatureValue BIT STRING }, written at the end of out and moved to its
 * start. */
static int write_certificate(unsigned char *out, size_t cap, const unsigned char *tbs,
                             size_t tbs_len, const mbedtls_asn1_buf *oid,
                             const unsigned char *sig, size_t sig_len)
{
    unsigned char *c = out + cap;
    size_t len = 0;
    int ret;
    MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_bitstring(&c, out, sig, sig_len * 8));
    MBEDTLS_ASN1_CHK_ADD(len, write_alg_oid_only(&c, out, oid));
    MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_raw_buffer(&c, out, tbs, tbs_len));
    MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(&c, out, len));
    MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(&c, out, DER_SEQUENCE));
    memmove(out, c, len);
    return (int)len;
}

/* The new tbsCertificate is built in a scratch buffer first: the signature
 * has to exist before asn1write can put the certificate together, and the
 * old DER's length bounds the new tbsCertificate (two octets shorter). */
static int resign(const struct tbs_parts *t, size_t der_len, mbedtls_md_type_t md,
                  mbedtls_pk_context *issuer, int (*f_rng)(void *, unsigned char *, size_t),
                  void *p_rng, unsigned char *out, size_t cap, size_t *out_len)
{
    unsigned char *scratch = malloc(der_len);
    if (!scratch)
        return MBEDTLS_ERR_ASN1_ALLOC_FAILED;
    unsigned char *c = scratch + der_len;
    unsigned char sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
    size_t sig_len = 0;
    int n = write_tbs(&c, scratch, t);
    int rc = n < 0 ? n : sign(issuer, md, c, (size_t)n, sig, &sig_len, f_rng, p_rng);
    int written = rc == 0 ? write_certificate(out, cap, c, (size_t)n, &t->oid, sig, sig_len)
                          : rc;
    free(scratch);
    if (written < 0)
        return written;
    *out_len = (size_t)written;
    return 0;
}

int cert_ecdsa_resign(const unsigned char *der, size_t len, mbedtls_pk_context *issuer,
                      int (*f_rng)(void *, unsigned char *, size_t), void *p_rng,
                      unsigned char *out, size_t cap, size_t *out_len)
{
    struct tbs_parts t;
    mbedtls_md_type_t md;
    int rc = find_tbs_parts(der, len, &t);
    if (rc != 0)
        return rc;
    if (has_ecdsa_null(&t, &md))
        return resign(&t, len, md, issuer, f_rng, p_rng, out, cap, out_len);
    if (len > cap)
        return MBEDTLS_ERR_ASN1_BUF_TOO_SMALL;
    memcpy(out, der, len);
    *out_len = len;
    return 0;
}
