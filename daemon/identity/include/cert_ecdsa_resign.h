/* Taking the NULL out of an ECDSA certificate's AlgorithmIdentifiers.
 *
 * mbedTLS 2.28 writes ecdsa-with-SHA256 as `30 0C 06 08 <oid> 05 00`, with
 * a NULL parameter, in both the tbsCertificate's signature field and the
 * certificate's signatureAlgorithm: mbedtls_x509write_crt_der and
 * mbedtls_x509_write_sig go through mbedtls_asn1_write_algorithm_identifier,
 * which writes a NULL whenever there are no parameters, and neither has an
 * option to leave it out. RFC 5758 §3.2 says the encoding must omit the
 * parameters (the AlgorithmIdentifier is a SEQUENCE of the OID alone), and
 * strict verifiers reject the certificate otherwise.
 *
 * So jigd lets mbedTLS write the certificate as usual, then rebuilds it:
 * the tbsCertificate with the OID-only AlgorithmIdentifier, signed again
 * with the issuer's key (the first signature covered the old bytes and is
 * thrown away: one ECDSA signature more, about a millisecond), and the same
 * AlgorithmIdentifier as signatureAlgorithm. Everything else is copied byte
 * for byte. RSA's sha256WithRSAEncryption keeps its NULL (RFC 4055 §5 wants
 * it present) and, like DER that is already right (a newer mbedTLS), passes
 * through unchanged. */
#ifndef JIGD_CERT_ECDSA_RESIGN_H
#define JIGD_CERT_ECDSA_RESIGN_H

#include <stddef.h>

#include <mbedtls/pk.h>

/* Writes into out[0..cap) the certificate der[0..len) with any ECDSA
 * AlgorithmIdentifier's NULL parameter removed and the tbsCertificate
 * signed again by `issuer`, or an unchanged copy when there is no such
 * NULL; *out_len gets its length. out must not overlap der. Returns 0, or
 * a negative mbedTLS error: DER not shaped like a certificate, out too
 * small, or the signature failed. */
int cert_ecdsa_resign(const unsigned char *der, size_t len, mbedtls_pk_context *issuer,
                      int (*f_rng)(void *, unsigned char *, size_t), void *p_rng,
                      unsigned char *out, size_t cap, size_t *out_len);

#endif
