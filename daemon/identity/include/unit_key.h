/* A unit's private key: EC P-256 (the default: small, fast to make, what
 * ESP-IDF's TLS stacks handle best) or RSA-2048 (for clouds that want RSA).
 *
 * Key material stays inside this object and the PEM buffers the caller
 * asks for; unit_key_free zeroises it (mbedTLS wipes its big numbers on
 * free) and unit_key_pem_free zeroises a PEM before freeing it. Nothing
 * here logs. */
#ifndef JIGD_UNIT_KEY_H
#define JIGD_UNIT_KEY_H

#include <stddef.h>

#include <mbedtls/pk.h>

enum unit_key_type {
    UNIT_KEY_EC_P256,
    UNIT_KEY_RSA_2048,
};

struct unit_key;

/* Makes a key. Slow for RSA (up to seconds): call it on a worker thread
 * (key_pool does). Safe to call from several threads at once. Returns NULL
 * with the reason in err. */
struct unit_key *unit_key_generate(enum unit_key_type type, char *err, size_t errlen);

/* Zeroises and frees; NULL is fine. */
void unit_key_free(struct unit_key *k);

enum unit_key_type unit_key_type(const struct unit_key *k);

/* The mbedTLS key, for signing a certificate request for it. */
mbedtls_pk_context *unit_key_pk(struct unit_key *k);

/* The key as PEM in the traditional form configure_esp_secure_cert.py
 * writes ("EC PRIVATE KEY" SEC1 / "RSA PRIVATE KEY" PKCS#1), NUL-terminated,
 * in a buffer of its own. SECRET: never log it or store it on the station;
 * free it with unit_key_pem_free. NULL on failure. */
char *unit_key_pem(struct unit_key *k, size_t *len);
/* The same for any mbedTLS private key (the station CA's). */
char *unit_key_pem_of(mbedtls_pk_context *pk, size_t *len);
void unit_key_pem_free(char *pem);

/* "ec-p256" / "rsa-2048", and back (0, or -1 for an unknown name). */
const char *unit_key_type_name(enum unit_key_type t);
int unit_key_type_parse(const char *name, enum unit_key_type *t);

#endif
