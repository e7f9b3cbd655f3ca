/* A strict DER walker for the certificates jigd writes, for the tests only.
 *
 * It reads the whole certificate with its own code (not mbedTLS's, not
 * OpenSSL's), so that an encoding both libraries happen to accept cannot
 * pass unnoticed. It checks what RFC 5280 and X.690's DER rules ask of the
 * kinds of certificate jigd makes:
 *   - every length definite and in its shortest form, nothing left over in
 *     any container, no bytes after the certificate;
 *   - version [0] v3, a positive serial of at most 20 octets;
 *   - the two signature AlgorithmIdentifiers byte-identical:
 *     ecdsa-with-SHA256 with no parameters (RFC 5758 §3.2) or
 *     sha256WithRSAEncryption with a NULL (RFC 4055 §5);
 *   - names made of non-empty string attributes;
 *   - validity as UTCTime through 2049 and GeneralizedTime from 2050
 *     (RFC 5280 §4.1.2.5), notBefore before notAfter;
 *   - the key: id-ecPublicKey with the namedCurve prime256v1 and an
 *     uncompressed point, or rsaEncryption with a NULL and a positive
 *     modulus and exponent;
 *   - extensions: at least one, no OID twice, critical only as TRUE (FALSE
 *     is the default and must be left out), each value one DER element, and
 *     basicConstraints, keyUsage, extendedKeyUsage, subjectAltName and the
 *     key identifiers shaped as RFC 5280 §4.2.1 says;
 *   - an ECDSA signature value that is a SEQUENCE of two positive INTEGERs.
 * It does not check the signature itself: x509_strict_info gives the test
 * the signed bytes and the signature to verify with the issuer's key. */
#ifndef JIGD_TEST_X509_STRICT_H
#define JIGD_TEST_X509_STRICT_H

#include <stddef.h>
#include <stdint.h>

enum x509_strict_sig {
    X509_STRICT_SIG_ECDSA_SHA256,
    X509_STRICT_SIG_RSA_SHA256,
};

enum x509_strict_key {
    X509_STRICT_KEY_EC_P256,
    X509_STRICT_KEY_RSA,
};

struct x509_strict_info {
    const uint8_t *tbs;         /* the TBSCertificate element, header included */
    size_t tbs_len;
    enum x509_strict_sig sig;
    const uint8_t *sig_value;   /* the signature, BIT STRING's unused-bits byte skipped */
    size_t sig_len;
    enum x509_strict_key key;
    unsigned rsa_bits;          /* the modulus size, for an RSA key */
    unsigned extensions;
};

/* 0 when der[0..len) is exactly one certificate that passes every check
 * above (and *info is filled in), else -1 with the first problem and its
 * byte offset in why. */
int x509_strict_check(const uint8_t *der, size_t len, struct x509_strict_info *info,
                      char *why, size_t whylen);

#endif
