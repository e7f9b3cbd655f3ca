/* Unit keys (see unit_key.h). */
#include "unit_key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/base64.h>
#include <mbedtls/ecp.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>

#include "identity_rng.h"

#define RSA_BITS 2048
#define RSA_EXPONENT 65537
#define KEY_PEM_MAX 4096    /* an RSA-2048 PKCS#1 PEM is about 1.7 KB */

struct unit_key {
    enum unit_key_type type;
    mbedtls_pk_context pk;
};

static int generate_into(struct unit_key *k, struct identity_rng *rng)
{
    if (k->type == UNIT_KEY_RSA_2048) {
        int rc = mbedtls_pk_setup(&k->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA));
        return rc ? rc : mbedtls_rsa_gen_key(mbedtls_pk_rsa(k->pk), identity_rng_random, rng,
                                             RSA_BITS, RSA_EXPONENT);
    }
    int rc = mbedtls_pk_setup(&k->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
    return rc ? rc : mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(k->pk),
                                         identity_rng_random, rng);
}

struct unit_key *unit_key_generate(enum unit_key_type type, char *err, size_t errlen)
{
    struct unit_key *k = calloc(1, sizeof *k);
    if (!k) {
        snprintf(err, errlen, "out of memory for a %s key", unit_key_type_name(type));
        return NULL;
    }
    k->type = type;
    mbedtls_pk_init(&k->pk);
    struct identity_rng rng;
    if (identity_rng_init(&rng, "jigd unit key", err, errlen) != 0) {
        unit_key_free(k);
        return NULL;
    }
    int rc = generate_into(k, &rng);
    identity_rng_free(&rng);
    if (rc != 0) {
        snprintf(err, errlen, "generating a %s key failed (mbedTLS -0x%04x)",
                 unit_key_type_name(type), -rc);
        unit_key_free(k);
        return NULL;
    }
    return k;
}

void unit_key_free(struct unit_key *k)
{
    if (!k)
        return;
    mbedtls_pk_free(&k->pk);
    mbedtls_platform_zeroize(k, sizeof *k);
    free(k);
}

enum unit_key_type unit_key_type(const struct unit_key *k)
{
    return k->type;
}

mbedtls_pk_context *unit_key_pk(struct unit_key *k)
{
    return &k->pk;
}

/* mbedTLS's own PEM writer leaves copies of the key in buffers it does not
 * wipe; this one does every step in buffers it zeroises. */
static size_t append_pem_body(char *out, size_t at, const unsigned char *b64, size_t n)
{
    for (size_t i = 0; i < n; i += 64) {
        size_t line = n - i < 64 ? n - i : 64;
        memcpy(out + at, b64 + i, line);
        at += line;
        out[at++] = '\n';
    }
    return at;
}

char *unit_key_pem_of(mbedtls_pk_context *pk, size_t *len)
{
    unsigned char der[KEY_PEM_MAX], b64[KEY_PEM_MAX];
    char *pem = NULL;
    const char *label = mbedtls_pk_get_type(pk) == MBEDTLS_PK_RSA ? "RSA PRIVATE KEY"
                                                                   : "EC PRIVATE KEY";
    int n = mbedtls_pk_write_key_der(pk, der, sizeof der);
    size_t b64_len = 0;
    if (n > 0 && mbedtls_base64_encode(b64, sizeof b64, &b64_len, der + sizeof der - n,
                                       (size_t)n) == 0) {
        size_t cap = 2 * strlen(label) + 40 + b64_len + b64_len / 64 + 1;
        pem = malloc(cap);
        if (pem) {
            size_t at = (size_t)snprintf(pem, cap, "-----BEGIN %s-----\n", label);
            at = append_pem_body(pem, at, b64, b64_len);
            at += (size_t)snprintf(pem + at, cap - at, "-----END %s-----\n", label);
            if (len)
                *len = at;
        }
    }
    mbedtls_platform_zeroize(der, sizeof der);
    mbedtls_platform_zeroize(b64, sizeof b64);
    return pem;
}

char *unit_key_pem(struct unit_key *k, size_t *len)
{
    return unit_key_pem_of(&k->pk, len);
}

void unit_key_pem_free(char *pem)
{
    if (!pem)
        return;
    mbedtls_platform_zeroize(pem, strlen(pem));
    free(pem);
}

const char *unit_key_type_name(enum unit_key_type t)
{
    return t == UNIT_KEY_RSA_2048 ? "rsa-2048" : "ec-p256";
}

int unit_key_type_parse(const char *name, enum unit_key_type *t)
{
    if (strcmp(name, "ec-p256") == 0)
        *t = UNIT_KEY_EC_P256;
    else if (strcmp(name, "rsa-2048") == 0)
        *t = UNIT_KEY_RSA_2048;
    else
        return -1;
    return 0;
}
