/* token_secret.h: a token from getrandom(2), and its SHA-256 in hex. */
#include "token_secret.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "hex.h"
#include "mbedtls_compat.h"

/* getrandom may return fewer bytes when a signal arrives, and blocks only
 * until the kernel's generator is first seeded (early at boot). */
static int random_bytes(uint8_t *out, size_t n, char *err, size_t err_size)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(out + got, n - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            snprintf(err, err_size, "the kernel gave no random bytes (getrandom: %s); "
                     "no token was made", r < 0 ? strerror(errno) : "no data");
            return -1;
        }
        got += (size_t)r;
    }
    return 0;
}

int token_make(char text[TOKEN_TEXT_LEN + 1], char hash[TOKEN_HASH_LEN + 1], char *err,
               size_t err_size)
{
    uint8_t raw[TOKEN_RANDOM_BYTES], digest[32];
    if (random_bytes(raw, sizeof raw, err, err_size) < 0)
        return -1;
    memcpy(text, TOKEN_PREFIX, sizeof TOKEN_PREFIX - 1);
    hex_encode(raw, sizeof raw, text + sizeof TOKEN_PREFIX - 1);
    explicit_bzero(raw, sizeof raw);
    if (sha256_once(text, TOKEN_TEXT_LEN, digest) != 0) {
        explicit_bzero(text, TOKEN_TEXT_LEN + 1);
        snprintf(err, err_size, "SHA-256 failed in mbedTLS; no token was made");
        return -1;
    }
    hex_encode(digest, sizeof digest, hash);
    return 0;
}
