/* Unit certificates: verified against the station CA by mbedTLS and by the
 * openssl command line; subject, SAN, key usages, serial and fingerprint
 * as openssl reads them; the key PEM is the certificate's key; RSA works;
 * nothing meant for logs or the database carries key material; and the
 * esp_secure_cert image holds exactly these PEMs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>

#include "ca_fixture.h"
#include "mbedtls_compat.h"
#include "secure_cert_tlv.h"
#include "station_ca.h"
#include "unit_cert.h"

static void issue(struct fixture *f, enum unit_key_type type, const char *serial,
                  time_t now, struct unit_cert *uc)
{
    char err[512];
    struct unit_key *key = unit_key_generate(type, err, sizeof err);
    if (!key)
        fail_msg("%s", err);
    struct unit_cert_request req = {.serial = serial, .now = now};
    memcpy(req.mac, test_mac, 6);
    if (unit_cert_issue(f->ca, key, &req, uc, err, sizeof err) != 0)
        fail_msg("%s", err);
    unit_key_free(key);
}

static char *openssl_out(const char *args, int want_status)
{
    char cmd[sizeof OPENSSL_CLI + 2048];   /* the command and any args[2048] */
    snprintf(cmd, sizeof cmd, OPENSSL_CLI " %s", args);
    int status = -1;
    char *out = run_capture(cmd, &status);
    assert_non_null(out);
    if (status != want_status)
        fail_msg("%s: exit %d: %s", cmd, status, out);
    return out;
}

static void save_unit(const struct fixture *f, const struct unit_cert *uc, char *path,
                      size_t cap)
{
    snprintf(path, cap, "%s/unit.pem", f->dir);
    write_text(path, uc->cert_pem);
}

static void verify_with_mbedtls(struct fixture *f, const struct unit_cert *uc)
{
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    assert_int_equal(mbedtls_x509_crt_parse(&crt, (const unsigned char *)uc->cert_pem,
                                            uc->cert_pem_len + 1), 0);
    uint32_t flags = 0;
    int rc = mbedtls_x509_crt_verify(&crt, station_ca_crt(f->ca), NULL, NULL, &flags, NULL,
                                     NULL);
    assert_int_equal(rc, 0);
    assert_int_equal(flags, 0);
    mbedtls_x509_crt_free(&crt);
}

static void verify_with_openssl(struct fixture *f, const struct unit_cert *uc)
{
    char unit[600], args[1400];
    save_unit(f, uc, unit, sizeof unit);
    snprintf(args, sizeof args, "verify -CAfile %s %s", station_ca_cert_path(f->ca), unit);
    char *out = openssl_out(args, 0);
    char want[700];
    snprintf(want, sizeof want, "%s: OK", unit);
    assert_non_null(strstr(out, want));
    free(out);
    /* The same, as the client certificate of a TLS connection. */
    snprintf(args, sizeof args, "verify -purpose sslclient -CAfile %s %s",
             station_ca_cert_path(f->ca), unit);
    out = openssl_out(args, 0);
    assert_non_null(strstr(out, want));
    free(out);
}

static void ec_unit_verifies_against_the_ca(void **state)
{
    struct fixture *f = *state;
    struct unit_cert uc;
    issue(f, UNIT_KEY_EC_P256, "ACME-2647-000001", 0, &uc);
    verify_with_mbedtls(f, &uc);
    verify_with_openssl(f, &uc);
    assert_non_null(strstr(uc.key_pem, "-----BEGIN EC PRIVATE KEY-----"));
    unit_cert_free(&uc);
}

static void rsa_unit_verifies_against_the_ca(void **state)
{
    struct fixture *f = *state;
    struct unit_cert uc;
    issue(f, UNIT_KEY_RSA_2048, "ACME-2647-000002", 0, &uc);
    verify_with_mbedtls(f, &uc);
    verify_with_openssl(f, &uc);
    assert_non_null(strstr(uc.key_pem, "-----BEGIN RSA PRIVATE KEY-----"));
    char unit[600], args[800];
    save_unit(f, &uc, unit, sizeof unit);
    snprintf(args, sizeof args, "x509 -noout -text -in %s", unit);
    char *out = openssl_out(args, 0);
    assert_non_null(strstr(out, "Public-Key: (2048 bit)"));
    free(out);
    unit_cert_free(&uc);
}

static void subject_and_san_as_openssl_reads_them(void **state)
{
    struct fixture *f = *state;
    struct unit_cert uc;
    issue(f, UNIT_KEY_EC_P256, "ACME-2647-000003", 0, &uc);
    char unit[600], args[800];
    save_unit(f, &uc, unit, sizeof unit);
    snprintf(args, sizeof args, "x509 -noout -subject -ext subjectAltName -in %s", unit);
    char *out = openssl_out(args, 0);
    assert_non_null(strstr(out, "subject=O = Acme, CN = ACME-2647-000003"));
    assert_non_null(strstr(out, "URI:urn:dev:mac:7cdfa1b2c3d4"));
    free(out);
    assert_string_equal(uc.san_uri, "urn:dev:mac:7cdfa1b2c3d4");
    assert_string_equal(uc.facts.subject, "O=Acme, CN=ACME-2647-000003");

    snprintf(args, sizeof args, "x509 -noout -text -in %s", unit);
    out = openssl_out(args, 0);
    assert_non_null(strstr(out, "Version: 3 (0x2)"));
    assert_non_null(strstr(out, "Digital Signature"));
    assert_non_null(strstr(out, "TLS Web Client Authentication"));
    assert_non_null(strstr(out, "CA:FALSE"));
    assert_non_null(strstr(out, "X509v3 Subject Key Identifier"));
    assert_non_null(strstr(out, "X509v3 Authority Key Identifier"));
    assert_non_null(strstr(out, "ecdsa-with-SHA256"));
    assert_non_null(strstr(out, "Issuer: O = Acme, CN = line3-east jigd station CA"));
    free(out);
    unit_cert_free(&uc);
}

/* openssl prints "sha256 Fingerprint=AB:CD:..." */
static void fingerprint_and_serial_match_openssl(void **state)
{
    struct fixture *f = *state;
    struct unit_cert uc;
    issue(f, UNIT_KEY_EC_P256, "ACME-2647-000004", 0, &uc);
    char unit[600], args[800];
    save_unit(f, &uc, unit, sizeof unit);
    snprintf(args, sizeof args, "x509 -noout -fingerprint -sha256 -serial -in %s", unit);
    char *out = openssl_out(args, 0);
    const char *fp = strstr(out, "Fingerprint=");
    assert_non_null(fp);
    char hex[CERT_FINGERPRINT_LEN + 1];
    size_t n = 0;
    for (fp += strlen("Fingerprint="); *fp && *fp != '\n' && n < CERT_FINGERPRINT_LEN; fp++)
        if (*fp != ':')
            hex[n++] = (char)tolower((unsigned char)*fp);
    hex[n] = '\0';
    assert_string_equal(hex, uc.facts.fingerprint_sha256);

    /* 16 bytes, positive, no leading zero byte: 32 hex digits, first < 8. */
    const char *serial = strstr(out, "serial=");
    assert_non_null(serial);
    serial += strlen("serial=");
    assert_int_equal(strcspn(serial, "\n"), 32);
    assert_true(serial[0] >= '4' && serial[0] <= '7');
    assert_int_equal(strncasecmp(serial, uc.facts.serial_number, 32), 0);
    free(out);
    unit_cert_free(&uc);
}

static void serials_differ_between_units(void **state)
{
    struct fixture *f = *state;
    struct unit_cert a, b;
    issue(f, UNIT_KEY_EC_P256, "ACME-1", 0, &a);
    issue(f, UNIT_KEY_EC_P256, "ACME-2", 0, &b);
    assert_string_not_equal(a.facts.serial_number, b.facts.serial_number);
    assert_string_not_equal(a.facts.fingerprint_sha256, b.facts.fingerprint_sha256);
    assert_string_not_equal(a.key_pem, b.key_pem);
    unit_cert_free(&a);
    unit_cert_free(&b);
}

static void validity_follows_the_config(void **state)
{
    struct fixture *f = *state;
    /* 2026-11-23 10:00:00 UTC */
    struct tm t = {.tm_year = 126, .tm_mon = 10, .tm_mday = 23, .tm_hour = 10};
    time_t now = timegm(&t);
    f->cfg.cert_years = 5;
    struct unit_cert uc;
    issue(f, UNIT_KEY_EC_P256, "ACME-5Y", now, &uc);
    assert_string_equal(uc.facts.not_before, "2026-11-23T09:00:00Z");
    assert_string_equal(uc.facts.not_after, "2031-11-23T10:00:00Z");
    unit_cert_free(&uc);

    /* Never past the CA's own end. */
    f->cfg.cert_years = IDENTITY_MAX_YEARS;
    issue(f, UNIT_KEY_EC_P256, "ACME-LONG", 0, &uc);
    assert_string_equal(uc.facts.not_after, station_ca_facts(f->ca)->not_after);
    unit_cert_free(&uc);
}

static void key_pem_belongs_to_the_certificate(void **state)
{
    struct fixture *f = *state;
    struct unit_cert uc;
    issue(f, UNIT_KEY_EC_P256, "ACME-PAIR", 0, &uc);
    mbedtls_x509_crt crt;
    mbedtls_pk_context key;
    mbedtls_x509_crt_init(&crt);
    mbedtls_pk_init(&key);
    assert_int_equal(mbedtls_x509_crt_parse(&crt, (const unsigned char *)uc.cert_pem,
                                            uc.cert_pem_len + 1), 0);
    assert_int_equal(pk_parse_key_compat(&key, (const unsigned char *)uc.key_pem,
                                         uc.key_pem_len + 1, identity_rng_random,
                                         station_ca_rng(f->ca)), 0);
    assert_int_equal(pk_check_pair_compat(&crt.pk, &key, identity_rng_random,
                                          station_ca_rng(f->ca)), 0);
    mbedtls_pk_free(&key);
    mbedtls_x509_crt_free(&crt);

    /* and openssl agrees: the key's public half is the certificate's */
    char keyfile[600], unit[600], args[1400];
    save_unit(f, &uc, unit, sizeof unit);
    snprintf(keyfile, sizeof keyfile, "%s/unit.key", f->dir);
    write_text(keyfile, uc.key_pem);
    snprintf(args, sizeof args, "pkey -pubout -in %s", keyfile);
    char *from_key = openssl_out(args, 0);
    snprintf(args, sizeof args, "x509 -noout -pubkey -in %s", unit);
    char *from_cert = openssl_out(args, 0);
    assert_string_equal(from_key, from_cert);
    free(from_key);
    free(from_cert);
    unlink(keyfile);
    unit_cert_free(&uc);
}

/* Our zeroising PEM writer gives exactly what mbedTLS's own writes (SEC1 /
 * PKCS#1, 64-character lines), for both key types. */
static void key_pem_is_the_traditional_form(void **state)
{
    char err[200];
    const char *begin[] = {"-----BEGIN EC PRIVATE KEY-----\n",
                           "-----BEGIN RSA PRIVATE KEY-----\n"};
    enum unit_key_type types[] = {UNIT_KEY_EC_P256, UNIT_KEY_RSA_2048};
    for (size_t i = 0; i < 2; i++) {
        struct unit_key *k = unit_key_generate(types[i], err, sizeof err);
        assert_non_null(k);
        static unsigned char want[4096];
        assert_int_equal(mbedtls_pk_write_key_pem(unit_key_pk(k), want, sizeof want), 0);
        size_t len = 0;
        char *pem = unit_key_pem(k, &len);
        assert_non_null(pem);
        assert_int_equal(len, strlen(pem));
        assert_string_equal(pem, (const char *)want);
        assert_int_equal(strncmp(pem, begin[i], strlen(begin[i])), 0);
        unit_key_pem_free(pem);
        unit_key_free(k);
    }
}

static void nothing_for_logs_or_database_holds_the_key(void **state)
{
    struct fixture *f = *state;
    struct unit_cert uc;
    issue(f, UNIT_KEY_EC_P256, "ACME-LOG", 0, &uc);
    /* a line of the key's base64, to catch key bytes without the armour */
    char key_line[65];
    const char *body = strchr(uc.key_pem, '\n') + 1;
    snprintf(key_line, sizeof key_line, "%.*s", (int)strcspn(body, "\n"), body);
    assert_true(strlen(key_line) > 20);

    struct unit_cert_record r;
    unit_cert_record(&uc, &r);
    const char *fields[] = {r.fingerprint_sha256, r.subject, r.issuer, r.serial_number,
                            r.san_uri, r.not_before, r.not_after, r.pem};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        assert_non_null(fields[i]);
        assert_null(strstr(fields[i], "PRIVATE KEY"));
        assert_null(strstr(fields[i], key_line));
    }
    assert_string_equal(r.pem, uc.cert_pem);
    assert_int_equal(strlen(r.fingerprint_sha256), 64);

    char line[1024];
    size_t n = unit_cert_describe(&uc, line, sizeof line);
    assert_true(n > 0 && n < sizeof line);
    assert_non_null(strstr(line, "CN=ACME-LOG"));
    assert_non_null(strstr(line, uc.facts.fingerprint_sha256));
    assert_null(strstr(line, "PRIVATE KEY"));
    assert_null(strstr(line, key_line));

    unit_cert_free(&uc);
    assert_null(uc.key_pem);
    assert_int_equal(uc.key_pem_len, 0);
}

static void secure_cert_image_holds_exactly_the_pems(void **state)
{
    struct fixture *f = *state;
    struct unit_cert uc;
    issue(f, UNIT_KEY_EC_P256, "ACME-TLV", 0, &uc);
    uint8_t part[SECURE_CERT_PARTITION_SIZE];
    char err[512];
    assert_int_equal(unit_cert_secure_cert_image(&uc, station_ca_cert_pem(f->ca), part,
                                                 sizeof part, err, sizeof err), 0);
    assert_int_equal(secure_cert_tlv_verify(part, sizeof part, err, sizeof err), 4);
    struct secure_cert_tlv_record r;
    assert_int_equal(secure_cert_tlv_find(part, sizeof part, SECURE_CERT_DEV_CERT, 0, &r), 1);
    assert_int_equal(r.length, uc.cert_pem_len + 1);
    assert_memory_equal(r.value, uc.cert_pem, r.length);
    assert_int_equal(secure_cert_tlv_find(part, sizeof part, SECURE_CERT_CA_CERT, 0, &r), 1);
    assert_string_equal((const char *)r.value, station_ca_cert_pem(f->ca));
    assert_int_equal(secure_cert_tlv_find(part, sizeof part, SECURE_CERT_PRIV_KEY, 0, &r), 1);
    assert_string_equal((const char *)r.value, uc.key_pem);

    /* A partition too small for the unit's records: refused, sizes named,
     * and the half-built image wiped (it held the key). */
    uint8_t small[1024];
    assert_int_equal(unit_cert_secure_cert_image(&uc, station_ca_cert_pem(f->ca), small,
                                                 sizeof small, err, sizeof err), -1);
    assert_non_null(strstr(err, "does not fit"));
    assert_non_null(strstr(err, "1024"));
    for (size_t i = 0; i < sizeof small; i++)
        assert_int_equal(small[i], 0);
    unit_cert_free(&uc);
}

static void bad_serials_are_refused_with_the_rule(void **state)
{
    struct fixture *f = *state;
    char err[512];
    struct unit_key *key = unit_key_generate(UNIT_KEY_EC_P256, err, sizeof err);
    assert_non_null(key);
    const char *bad[] = {"", " ACME", "back\\slash", "tab\there",
                         "0123456789012345678901234567890123456789012345678901234567890123456"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct unit_cert uc;
        struct unit_cert_request req = {.serial = bad[i]};
        assert_int_equal(unit_cert_issue(f->ca, key, &req, &uc, err, sizeof err), -1);
        assert_non_null(strstr(err, "cannot be a certificate's CN"));
        assert_null(uc.cert_pem);
        assert_null(uc.key_pem);
    }
    /* A comma is escaped, not a second attribute. */
    struct unit_cert uc;
    struct unit_cert_request req = {.serial = "ACME,7"};
    assert_int_equal(unit_cert_issue(f->ca, key, &req, &uc, err, sizeof err), 0);
    char unit[600], args[800];
    save_unit(f, &uc, unit, sizeof unit);
    snprintf(args, sizeof args, "x509 -noout -subject -nameopt RFC2253 -in %s", unit);
    char *out = openssl_out(args, 0);
    assert_non_null(strstr(out, "CN=ACME\\,7,O=Acme"));
    free(out);
    unit_cert_free(&uc);
    unit_key_free(key);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, ca_fixture_setup, ca_fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(ec_unit_verifies_against_the_ca),
        T(rsa_unit_verifies_against_the_ca),
        T(subject_and_san_as_openssl_reads_them),
        T(fingerprint_and_serial_match_openssl),
        T(serials_differ_between_units),
        T(validity_follows_the_config),
        T(key_pem_belongs_to_the_certificate),
        T(key_pem_is_the_traditional_form),
        T(nothing_for_logs_or_database_holds_the_key),
        T(secure_cert_image_holds_exactly_the_pems),
        T(bad_serials_are_refused_with_the_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
