/* The one place jigd spells the differences between mbedTLS 2.x (Debian 12,
 * Raspberry Pi OS) and 3.x, so no other file needs an #if on the version.
 *
 * 3.0 renamed the one-shot hashes (mbedtls_md5_ret -> mbedtls_md5), made
 * struct members private, and gave the key parsing and pair checking calls
 * a random number generator. Header-only: protocol/ (hashes) and daemon/
 * (certificates and keys) include it alike; the key macros expand to calls
 * the including file's own mbedtls/pk.h declares. */
#ifndef JIGD_MBEDTLS_COMPAT_H
#define JIGD_MBEDTLS_COMPAT_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/md5.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#include <mbedtls/private_access.h>
#endif

/* MD5 of data[0..n) into out; 0, or an mbedTLS error (hardware backends). */
static inline int md5_once(const void *data, size_t n, uint8_t out[16])
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    return mbedtls_md5(data, n, out);
#else
    return mbedtls_md5_ret(data, n, out);
#endif
}

/* SHA-256 (not SHA-224) of data[0..n) into out; 0 or an mbedTLS error. */
static inline int sha256_once(const void *data, size_t n, uint8_t out[32])
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    return mbedtls_sha256(data, n, out, 0);
#else
    return mbedtls_sha256_ret(data, n, out, 0);
#endif
}

/* A struct member 3.x made private (x509 certificate and writer fields jigd
 * needs); 2.x has no such macro, its members are plain. */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define MBEDTLS_MEMBER(member) MBEDTLS_PRIVATE(member)
#else
#define MBEDTLS_MEMBER(member) member
#endif

/* mbedtls_pk_parse_key of an unencrypted key and mbedtls_pk_check_pair:
 * 3.x uses the generator to blind the private-key operations, 2.x takes
 * none (its arguments are then not evaluated). */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define pk_parse_key_compat(pk, key, keylen, f_rng, p_rng) \
    mbedtls_pk_parse_key((pk), (key), (keylen), NULL, 0, (f_rng), (p_rng))
#define pk_check_pair_compat(pub, prv, f_rng, p_rng) \
    mbedtls_pk_check_pair((pub), (prv), (f_rng), (p_rng))
#else
#define pk_parse_key_compat(pk, key, keylen, f_rng, p_rng) \
    mbedtls_pk_parse_key((pk), (key), (keylen), NULL, 0)
#define pk_check_pair_compat(pub, prv, f_rng, p_rng) \
    mbedtls_pk_check_pair((pub), (prv))
#endif

#endif
