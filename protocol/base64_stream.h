/* Base64 text that arrives one character at a time (from inside a JSON
 * string, from a CSV cell), decoded by mbedTLS's mbedtls_base64_decode one
 * four-character quantum at a time, straight into the caller's buffer.
 *
 * protocol/'s inputs disagree on the rules around the alphabet: the stub
 * JSON is strict, NVS CSV cells are read as Python's lenient binascii reads
 * them. So the callers apply their rules (what to skip, what padding means)
 * and push only alphabet characters; this keeps the quantum being filled
 * and where its bytes go. No allocation, no I/O. */
#ifndef JIGD_BASE64_STREAM_H
#define JIGD_BASE64_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct base64_stream {
    uint8_t *out;
    size_t cap;
    size_t len;             /* bytes decoded into out so far */
    char quantum[4];
    unsigned held;          /* characters waiting in quantum: 0 to 3 */
};

/* A-Z, a-z, 0-9, '+' and '/': the characters base64_stream_push takes. */
bool base64_is_alphabet(char c);

/* out may be NULL if cap is 0: every byte is then refused. */
void base64_stream_init(struct base64_stream *s, uint8_t *out, size_t cap);

/* Adds one alphabet character; the fourth of a quantum decodes it into out.
 * Returns -1, adding nothing, if the bytes the characters so far complete
 * would not fit in cap: so a caller learns of the overflow at the character
 * that causes it. */
int base64_stream_push(struct base64_stream *s, char c);

/* Ends the text: two or three held characters decode as if padded ("QQ"
 * as "QQ=="). Returns -1 for one held character, which no encoder leaves.
 * If exact is not NULL, it says whether the bits of the last character that
 * fall outside the last byte were zero, as an encoder leaves them ("QR=="
 * decodes like "QQ==" but is not exact). */
int base64_stream_end(struct base64_stream *s, bool *exact);

#endif
