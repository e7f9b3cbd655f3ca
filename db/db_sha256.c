/* SHA-256 for the audit chain, through mbedTLS (already a jigd dependency). */
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#include "db_internal.h"

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define sha256_starts mbedtls_sha256_starts
#define sha256_update mbedtls_sha256_update
#define sha256_finish mbedtls_sha256_finish
#else
#define sha256_starts mbedtls_sha256_starts_ret
#define sha256_update mbedtls_sha256_update_ret
#define sha256_finish mbedtls_sha256_finish_ret
#endif

void db_sha256_hex(const void *a, size_t a_len, const void *b, size_t b_len, char out[65])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char sum[32];
    mbedtls_sha256_context ctx;
    mbedtls_sha256_init(&ctx);
    sha256_starts(&ctx, 0);
    sha256_update(&ctx, a, a_len);
    sha256_update(&ctx, b, b_len);
    sha256_finish(&ctx, sum);
    mbedtls_sha256_free(&ctx);
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[sum[i] >> 4];
        out[2 * i + 1] = digits[sum[i] & 15];
    }
    out[64] = '\0';
}
