/* A CTR-DRBG seeded from the operating system's entropy: one per thread
 * that needs randomness (a DRBG context must not be shared between
 * threads without a lock, and key generation runs on several). */
#ifndef JIGD_IDENTITY_RNG_H
#define JIGD_IDENTITY_RNG_H

#include <stddef.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

struct identity_rng {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
};

/* `purpose` personalises the DRBG ("jigd unit key"). Returns 0, or -1 with
 * the reason in err (the system's entropy source failed). */
int identity_rng_init(struct identity_rng *r, const char *purpose, char *err, size_t errlen);

/* The f_rng of mbedTLS calls, with the identity_rng as p_rng. */
int identity_rng_random(void *rng, unsigned char *out, size_t len);

void identity_rng_free(struct identity_rng *r);

#endif
