/* Base64 a character at a time, decoded by mbedTLS (see base64_stream.h). */
#include "base64_stream.h"

#include <string.h>

#include <mbedtls/base64.h>

bool base64_is_alphabet(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
}

void base64_stream_init(struct base64_stream *s, uint8_t *out, size_t cap)
{
    memset(s, 0, sizeof *s);
    s->out = out;
    s->cap = cap;
}

/* A full quantum, padding included, into out. The pushes have already
 * checked the room and the characters, so mbedTLS has nothing to refuse. */
static int decode_quantum(struct base64_stream *s)
{
    size_t n = 0;
    if (mbedtls_base64_decode(s->out + s->len, s->cap - s->len, &n,
                              (const unsigned char *)s->quantum, 4) != 0)
        return -1;
    s->len += n;
    s->held = 0;
    return 0;
}

int base64_stream_push(struct base64_stream *s, char c)
{
    /* Every character completes the bytes its 6 bits finish: 0, 1, 1, 1
     * for the four of a quantum. */
    if (s->len + (6 * (s->held + 1)) / 8 > s->cap)
        return -1;
    s->quantum[s->held++] = c;
    return s->held == 4 ? decode_quantum(s) : 0;
}

/* Re-encoding the decoded bytes gives back the same characters only if the
 * unused bits were zero. */
static bool tail_is_exact(const struct base64_stream *s, size_t bytes)
{
    unsigned char text[5];
    size_t n = 0;
    return mbedtls_base64_encode(text, sizeof text, &n, s->out + s->len - bytes, bytes) == 0
        && n == 4 && memcmp(text, s->quantum, 4) == 0;
}

int base64_stream_end(struct base64_stream *s, bool *exact)
{
    if (exact)
        *exact = true;
    if (s->held == 0)
        return 0;
    if (s->held == 1)
        return -1;
    size_t bytes = s->held - 1;     /* 2 characters carry 1 byte, 3 carry 2 */
    memset(s->quantum + s->held, '=', 4 - s->held);
    if (decode_quantum(s) < 0)
        return -1;
    if (exact)
        *exact = tail_is_exact(s, bytes);
    return 0;
}
