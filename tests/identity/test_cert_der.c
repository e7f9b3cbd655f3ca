/* The certificates jigd writes are DER to the letter, read by a walker of
 * our own (x509_strict.c) rather than by the libraries that wrote or verify
 * them: the station CA's, a unit's with an EC P-256 key and with an RSA-2048
 * key, and a unit's signed by a configured RSA CA. For an ECDSA signature
 * the AlgorithmIdentifier holds the OID only (RFC 5758 §3.2); for an RSA
 * one it keeps its NULL (RFC 4055 §5); either way the signature covers the
 * tbsCertificate exactly as it is in the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <mbedtls/pem.h>

#include "ca_fixture.h"
#include "mbedtls_compat.h"
#include "station_ca.h"
#include "unit_cert.h"
#include "x509_strict.h"

static void issue(struct fixture *f, enum unit_key_type type, const char *serial,
                  struct unit_cert *uc)
{
    char err[512];
    struct unit_key *key = unit_key_generate(type, err, sizeof err);
    if (!key)
        fail_msg("%s", err);
    struct unit_cert_request req = {.serial = serial};
    memcpy(req.mac, test_mac, 6);
    if (unit_cert_issue(f->ca, key, &req, uc, err, sizeof err) != 0)
        fail_msg("%s", err);
    unit_key_free(key);
}

static void openssl_ok(const char *args)
{
    char cmd[sizeof OPENSSL_CLI + 2048];   /* the command and any args[2048] */
    snprintf(cmd, sizeof cmd, OPENSSL_CLI " %s", args);
    int status = -1;
    char *out = run_capture(cmd, &status);
    if (status != 0)
        fail_msg("%s: exit %d: %s", cmd, status, out ? out : "");
    free(out);
}

/* The PEM's base64 decoded as it is: no DER parser between the file and the
 * walker, so bytes after the certificate would be seen. */
struct der {
    mbedtls_pem_context pem;
    const uint8_t *p;
    size_t len;
};

static void der_from_pem(const char *pem, struct der *d)
{
    size_t used = 0;
    mbedtls_pem_init(&d->pem);
    int rc = mbedtls_pem_read_buffer(&d->pem, "-----BEGIN CERTIFICATE-----",
                                     "-----END CERTIFICATE-----",
                                     (const unsigned char *)pem, NULL, 0, &used);
    if (rc != 0)
        fail_msg("not a PEM certificate (mbedTLS -0x%04x)", -rc);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    d->p = mbedtls_pem_get_buffer(&d->pem, &d->len);
#else
    d->p = d->pem.buf;
    d->len = d->pem.buflen;
#endif
}

static void assert_signed_by(const struct x509_strict_info *info, mbedtls_pk_context *issuer)
{
    unsigned char hash[32];
    assert_int_equal(sha256_once(info->tbs, info->tbs_len, hash), 0);
    int rc = mbedtls_pk_verify(issuer, MBEDTLS_MD_SHA256, hash, sizeof hash, info->sig_value,
                               info->sig_len);
    if (rc != 0)
        fail_msg("the signature does not cover the tbsCertificate as written "
                 "(mbedTLS -0x%04x)", -rc);
}

/* Walks the certificate strictly, checks what it was meant to hold, and
 * that `issuer` signed exactly its tbsCertificate. */
static void assert_strict(const char *what, const char *pem, mbedtls_pk_context *issuer,
                          enum x509_strict_sig sig, enum x509_strict_key key)
{
    struct der d;
    der_from_pem(pem, &d);
    struct x509_strict_info info;
    char why[256];
    if (x509_strict_check(d.p, d.len, &info, why, sizeof why) != 0)
        fail_msg("%s certificate: %s", what, why);
    assert_int_equal(info.sig, sig);
    assert_int_equal(info.key, key);
    if (key == X509_STRICT_KEY_RSA)
        assert_int_equal(info.rsa_bits, 2048);
    assert_true(info.extensions >= 4);
    assert_signed_by(&info, issuer);
    mbedtls_pem_free(&d.pem);
}

static void station_ca_certificate_is_strict_der(void **state)
{
    struct fixture *f = *state;
    ca_fixture_open_ca(f);
    assert_strict("station CA", station_ca_cert_pem(f->ca), station_ca_key(f->ca),
                  X509_STRICT_SIG_ECDSA_SHA256, X509_STRICT_KEY_EC_P256);
    char args[1400];
    snprintf(args, sizeof args, "verify -CAfile %s %s", station_ca_cert_path(f->ca),
             station_ca_cert_path(f->ca));
    openssl_ok(args);
}

static void ec_unit_certificate_is_strict_der(void **state)
{
    struct fixture *f = *state;
    ca_fixture_open_ca(f);
    struct unit_cert uc;
    issue(f, UNIT_KEY_EC_P256, "ACME-2647-000101", &uc);
    assert_strict("EC unit", uc.cert_pem, station_ca_key(f->ca), X509_STRICT_SIG_ECDSA_SHA256,
                  X509_STRICT_KEY_EC_P256);
    unit_cert_free(&uc);
}

static void rsa_unit_certificate_is_strict_der(void **state)
{
    struct fixture *f = *state;
    ca_fixture_open_ca(f);
    struct unit_cert uc;
    issue(f, UNIT_KEY_RSA_2048, "ACME-2647-000102", &uc);
    assert_strict("RSA unit", uc.cert_pem, station_ca_key(f->ca), X509_STRICT_SIG_ECDSA_SHA256,
                  X509_STRICT_KEY_RSA);
    unit_cert_free(&uc);
}

/* A plant's RSA CA configured as the station CA: its units are signed with
 * sha256WithRSAEncryption, whose NULL parameter stays. */
static void rsa_issuer_keeps_the_null(void **state)
{
    struct fixture *f = *state;
    char cert[600], key[600], unit[600], args[2048];
    snprintf(cert, sizeof cert, "%s/plant-ca.pem", f->dir);
    snprintf(key, sizeof key, "%s/plant-ca.key", f->dir);
    snprintf(args, sizeof args, "req -x509 -newkey rsa:2048 -nodes -subj '/O=Acme/CN=Acme "
             "plant CA' -days 3650 -keyout %s -out %s -addext "
             "basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign", key, cert);
    openssl_ok(args);
    chmod(key, 0600);
    f->cfg.ca_cert_path = cert;
    f->cfg.ca_key_path = key;
    ca_fixture_open_ca(f);
    struct unit_cert uc;
    issue(f, UNIT_KEY_EC_P256, "ACME-2647-000103", &uc);
    assert_strict("RSA-signed unit", uc.cert_pem, station_ca_key(f->ca),
                  X509_STRICT_SIG_RSA_SHA256, X509_STRICT_KEY_EC_P256);
    snprintf(unit, sizeof unit, "%s/unit.pem", f->dir);
    write_text(unit, uc.cert_pem);
    snprintf(args, sizeof args, "verify -CAfile %s %s", cert, unit);
    openssl_ok(args);
    unit_cert_free(&uc);
}

/* The walker itself: a certificate OpenSSL made passes, and each of a few
 * small breaks of DER is caught where it is. */
static void expect_refused(const uint8_t *der, size_t len, const char *want)
{
    struct x509_strict_info info;
    char why[256];
    assert_int_equal(x509_strict_check(der, len, &info, why, sizeof why), -1);
    if (!strstr(why, want))
        fail_msg("refused for \"%s\", expected \"%s\"", why, want);
}

static void the_walker_catches_what_it_should(void **state)
{
    struct fixture *f = *state;
    char cert[600], key[600], args[2048];
    snprintf(cert, sizeof cert, "%s/openssl.pem", f->dir);
    snprintf(key, sizeof key, "%s/openssl.key", f->dir);
    snprintf(args, sizeof args, "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
             "-subj '/O=Acme/CN=walker' -days 30 -keyout %s -out %s", key, cert);
    openssl_ok(args);
    char *pem = read_text(cert);
    assert_non_null(pem);
    struct der d;
    der_from_pem(pem, &d);
    struct x509_strict_info info;
    char why[256];
    if (x509_strict_check(d.p, d.len, &info, why, sizeof why) != 0)
        fail_msg("OpenSSL's certificate: %s", why);
    assert_int_equal(info.sig, X509_STRICT_SIG_ECDSA_SHA256);
    assert_int_equal(d.p[1], 0x82);     /* a length in two octets: 30 82 hh ll */

    uint8_t *buf = malloc(d.len + 1);
    memcpy(buf, d.p, d.len);
    buf[d.len] = 0x00;
    expect_refused(buf, d.len + 1, "bytes after the certificate");

    /* 30 82 hh ll → 30 83 00 hh ll: the same length, not in its shortest form */
    uint8_t *longer = malloc(d.len + 1);
    longer[0] = 0x30;
    longer[1] = 0x83;
    longer[2] = 0x00;
    memcpy(longer + 3, d.p + 2, d.len - 2);
    expect_refused(longer, d.len + 1, "leading zero octet");

    /* critical TRUE (01 01 ff) → 01 01 01: a BOOLEAN that is not DER's TRUE */
    memcpy(buf, d.p, d.len);
    uint8_t *crit = NULL;
    for (size_t i = 0; i + 3 <= d.len && !crit; i++)
        if (buf[i] == 0x01 && buf[i + 1] == 0x01 && buf[i + 2] == 0xFF)
            crit = buf + i;
    assert_non_null(crit);
    crit[2] = 0x01;
    expect_refused(buf, d.len, "DER's TRUE");
    free(longer);
    free(buf);
    mbedtls_pem_free(&d.pem);
    free(pem);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, ca_fixture_setup_without_ca, ca_fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(the_walker_catches_what_it_should),
        T(station_ca_certificate_is_strict_der),
        T(ec_unit_certificate_is_strict_der),
        T(rsa_unit_certificate_is_strict_der),
        T(rsa_issuer_keeps_the_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
