/* Randomness for keys, serial numbers and ECDSA signatures. */
#include "identity_rng.h"

#include <stdio.h>
#include <string.h>

int identity_rng_init(struct identity_rng *r, const char *purpose, char *err, size_t errlen)
{
    mbedtls_entropy_init(&r->entropy);
    mbedtls_ctr_drbg_init(&r->drbg);
    int rc = mbedtls_ctr_drbg_seed(&r->drbg, mbedtls_entropy_func, &r->entropy,
                                   (const unsigned char *)purpose, strlen(purpose));
    if (rc != 0) {
        snprintf(err, errlen, "cannot seed the random generator from the system's entropy "
                 "(mbedTLS -0x%04x): check that getrandom() or /dev/urandom works", -rc);
        identity_rng_free(r);
        return -1;
    }
    return 0;
}

int identity_rng_random(void *rng, unsigned char *out, size_t len)
{
    struct identity_rng *r = rng;
    return mbedtls_ctr_drbg_random(&r->drbg, out, len);
}

void identity_rng_free(struct identity_rng *r)
{
    mbedtls_ctr_drbg_free(&r->drbg);    /* both zeroise their state */
    mbedtls_entropy_free(&r->entropy);
}
