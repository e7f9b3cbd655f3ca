/* A new API token, and the one form of it the station keeps. The token is
 * "jigd_" and 64 lowercase hex digits: 32 bytes from the kernel's random
 * generator (getrandom(2)), 256 bits no one guesses, in characters that
 * survive a shell, an HTTP header and a YAML file alike; the prefix lets a
 * secret scanner, or a person, tell what a leaked one is for. What
 * station.db stores is the SHA-256 of the token's text, in hex: what jigd
 * compares a presented token's hash against. */
#ifndef JIGD_TOKEN_SECRET_H
#define JIGD_TOKEN_SECRET_H

#include <stddef.h>

#define TOKEN_PREFIX "jigd_"
#define TOKEN_RANDOM_BYTES 32
#define TOKEN_TEXT_LEN (sizeof TOKEN_PREFIX - 1 + 2 * TOKEN_RANDOM_BYTES)
#define TOKEN_HASH_LEN 64

/* Makes a token into text and its hash into hash. Returns 0, or -1 with the
 * reason in err. */
int token_make(char text[TOKEN_TEXT_LEN + 1], char hash[TOKEN_HASH_LEN + 1], char *err,
               size_t err_size);

#endif
