/* Bytes as lowercase hexadecimal text: how jigd shows digests, certificate
 * serial numbers and MACs written without separators, in JSON, logs and
 * error messages alike. */
#ifndef JIGD_HEX_H
#define JIGD_HEX_H

#include <stddef.h>

/* Room hex_encode needs for n bytes: two digits each, then the NUL. */
#define HEX_LEN(n) (2 * (n) + 1)

/* Writes the 2n digits of data[0..n) and a NUL into out (HEX_LEN(n)
 * bytes). Returns out, so a call can be a printf argument. */
char *hex_encode(const void *data, size_t n, char *out);

/* The value of one hexadecimal digit, either case; -1 for anything else.
 * The one reader of hex digits: MD5 answers, %XX escapes, NVS cells,
 * manifest offsets, the ROM's boot banner. */
int hex_digit(int c);

#endif
