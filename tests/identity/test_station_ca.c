/* The station CA: created once with a private key file (0600 whatever the
 * umask), reused after, refused with path and reason when its files are
 * missing, exposed or mismatched; a CA made by openssl can be configured. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "identity_test_util.h"
#include "station_ca.h"

struct fixture {
    char *dir;
    char data_dir[512];
    struct identity_config cfg;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->dir = scratch_dir();
    assert_non_null(f->dir);
    snprintf(f->data_dir, sizeof f->data_dir, "%s/data", f->dir);
    identity_config_defaults(&f->cfg);
    f->cfg.station_name = "line3-east";
    f->cfg.organization = "Acme Devices, Inc.";
    f->cfg.data_dir = f->data_dir;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    scratch_remove(f->dir);
    free(f);
    return 0;
}

static void path_in(const struct fixture *f, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", f->data_dir, name);
}

static void created_with_a_private_key_file_and_reused(void **state)
{
    struct fixture *f = *state;
    char err[512] = "";
    mode_t old = umask(0);      /* the most permissive umask must not matter */
    struct station_ca *ca = station_ca_open(&f->cfg, 0, err, sizeof err);
    umask(old);
    assert_non_null(ca);
    assert_true(station_ca_created(ca));

    char key[600], cert[600];
    path_in(f, STATION_CA_KEY_FILE, key, sizeof key);
    path_in(f, STATION_CA_CERT_FILE, cert, sizeof cert);
    struct stat st;
    assert_int_equal(stat(key, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(stat(cert, &st), 0);
    char leftover[700];
    snprintf(leftover, sizeof leftover, "%s.new", key);
    assert_int_not_equal(access(leftover, F_OK), 0);

    char fingerprint[CERT_FINGERPRINT_LEN + 1];
    strcpy(fingerprint, station_ca_facts(ca)->fingerprint_sha256);
    assert_non_null(strstr(station_ca_cert_pem(ca), "-----BEGIN CERTIFICATE-----"));
    station_ca_free(ca);

    ca = station_ca_open(&f->cfg, 0, err, sizeof err);
    assert_non_null(ca);
    assert_false(station_ca_created(ca));
    assert_string_equal(station_ca_facts(ca)->fingerprint_sha256, fingerprint);
    station_ca_free(ca);
}

/* openssl reads the created CA as the brief asks: self-signed, CA:TRUE,
 * keyCertSign and cRLSign, EC P-256, the station's name in the CN. */
static void created_ca_reads_right_in_openssl(void **state)
{
    struct fixture *f = *state;
    char err[512];
    struct station_ca *ca = station_ca_open(&f->cfg, 0, err, sizeof err);
    assert_non_null(ca);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, OPENSSL_CLI " x509 -noout -text -in %s", station_ca_cert_path(ca));
    int status;
    char *text = run_capture(cmd, &status);
    assert_int_equal(status, 0);
    assert_non_null(strstr(text, "CN = line3-east jigd station CA"));
    assert_non_null(strstr(text, "O = \"Acme Devices, Inc.\""));
    assert_non_null(strstr(text, "CA:TRUE"));
    assert_non_null(strstr(text, "Certificate Sign, CRL Sign"));
    assert_non_null(strstr(text, "prime256v1"));
    assert_non_null(strstr(text, "X509v3 Subject Key Identifier"));
    free(text);

    snprintf(cmd, sizeof cmd, OPENSSL_CLI " verify -CAfile %s %s", station_ca_cert_path(ca),
             station_ca_cert_path(ca));
    text = run_capture(cmd, &status);
    assert_int_equal(status, 0);
    assert_non_null(strstr(text, ": OK"));
    free(text);
    station_ca_free(ca);
}

static void one_file_of_two_is_refused(void **state)
{
    struct fixture *f = *state;
    char err[512];
    station_ca_free(station_ca_open(&f->cfg, 0, err, sizeof err));
    char cert[600];
    path_in(f, STATION_CA_CERT_FILE, cert, sizeof cert);
    assert_int_equal(unlink(cert), 0);

    assert_null(station_ca_open(&f->cfg, 0, err, sizeof err));
    assert_non_null(strstr(err, cert));
    assert_non_null(strstr(err, "missing"));
    /* and no new CA was made behind the operator's back */
    assert_int_not_equal(access(cert, F_OK), 0);
}

static void exposed_key_is_refused(void **state)
{
    struct fixture *f = *state;
    char err[512];
    station_ca_free(station_ca_open(&f->cfg, 0, err, sizeof err));
    char key[600];
    path_in(f, STATION_CA_KEY_FILE, key, sizeof key);
    assert_int_equal(chmod(key, 0640), 0);
    assert_null(station_ca_open(&f->cfg, 0, err, sizeof err));
    assert_non_null(strstr(err, key));
    assert_non_null(strstr(err, "chmod 600"));
}

static void configured_files_missing_or_wrong_are_refused(void **state)
{
    struct fixture *f = *state;
    char err[512], cert[600], key[600];
    snprintf(cert, sizeof cert, "%s/nope-ca.pem", f->dir);
    snprintf(key, sizeof key, "%s/nope-ca.key", f->dir);
    f->cfg.ca_cert_path = cert;
    f->cfg.ca_key_path = key;
    assert_null(station_ca_open(&f->cfg, 0, err, sizeof err));
    assert_non_null(strstr(err, cert));
    assert_non_null(strstr(err, "No such file"));

    /* A folder where the file should be. */
    assert_int_equal(mkdir(cert, 0700), 0);
    assert_null(station_ca_open(&f->cfg, 0, err, sizeof err));
    assert_non_null(strstr(err, cert));
    assert_non_null(strstr(err, "not a regular file"));
    rmdir(cert);

    /* Text that is no certificate. */
    write_text(cert, "hello\n");
    assert_null(station_ca_open(&f->cfg, 0, err, sizeof err));
    assert_non_null(strstr(err, "not an X.509 certificate"));

    /* Only one of the pair configured. */
    f->cfg.ca_key_path = NULL;
    assert_null(station_ca_open(&f->cfg, 0, err, sizeof err));
    assert_non_null(strstr(err, "go together"));
}

static int openssl(const char *args)
{
    char cmd[sizeof OPENSSL_CLI + 2048];   /* the command and any args[2048] */
    snprintf(cmd, sizeof cmd, OPENSSL_CLI " %s", args);
    int status;
    free(run_capture(cmd, &status));
    return status;
}

static void configured_openssl_ca_is_used_and_checked(void **state)
{
    struct fixture *f = *state;
    char err[512], cert[600], key[600], other[600], args[2048];
    snprintf(cert, sizeof cert, "%s/plant-ca.pem", f->dir);
    snprintf(key, sizeof key, "%s/plant-ca.key", f->dir);
    snprintf(other, sizeof other, "%s/other.key", f->dir);
    snprintf(args, sizeof args, "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
             "-subj '/O=Acme/CN=Acme plant CA' -days 3650 -keyout %s -out %s "
             "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign",
             key, cert);
    assert_int_equal(openssl(args), 0);
    chmod(key, 0600);
    f->cfg.ca_cert_path = cert;
    f->cfg.ca_key_path = key;
    struct station_ca *ca = station_ca_open(&f->cfg, 0, err, sizeof err);
    assert_non_null(ca);
    assert_false(station_ca_created(ca));
    assert_string_equal(station_ca_facts(ca)->subject, "O=Acme, CN=Acme plant CA");
    station_ca_free(ca);
    /* nothing was created in the data dir */
    char kept[600];
    path_in(f, STATION_CA_KEY_FILE, kept, sizeof kept);
    assert_int_not_equal(access(kept, F_OK), 0);

    /* A key of another pair. */
    snprintf(args, sizeof args, "ecparam -name prime256v1 -genkey -noout -out %s", other);
    assert_int_equal(openssl(args), 0);
    chmod(other, 0600);
    f->cfg.ca_key_path = other;
    assert_null(station_ca_open(&f->cfg, 0, err, sizeof err));
    assert_non_null(strstr(err, "does not belong"));

    /* A certificate that is not a CA. */
    snprintf(args, sizeof args, "req -x509 -key %s -nodes -subj '/CN=leaf' -days 30 -out %s "
             "-addext basicConstraints=critical,CA:FALSE", other, cert);
    assert_int_equal(openssl(args), 0);
    assert_null(station_ca_open(&f->cfg, 0, err, sizeof err));
    assert_non_null(strstr(err, "may not sign"));
}

static void expired_ca_is_refused(void **state)
{
    struct fixture *f = *state;
    char err[512];
    f->cfg.ca_years = 1;
    time_t long_ago = time(NULL) - 3 * 365 * 24 * 3600;
    station_ca_free(station_ca_open(&f->cfg, long_ago, err, sizeof err));
    assert_null(station_ca_open(&f->cfg, 0, err, sizeof err));
    assert_non_null(strstr(err, "expired"));
}

static void validity_out_of_range_is_refused(void **state)
{
    struct fixture *f = *state;
    char err[512];
    f->cfg.cert_years = 0;
    assert_null(station_ca_open(&f->cfg, 0, err, sizeof err));
    assert_non_null(strstr(err, "cert_years = 0"));
    f->cfg.cert_years = 10;
    f->cfg.ca_years = IDENTITY_MAX_YEARS + 1;
    assert_null(station_ca_open(&f->cfg, 0, err, sizeof err));
    assert_non_null(strstr(err, "1 to 100 years"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(created_with_a_private_key_file_and_reused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(created_ca_reads_right_in_openssl, setup, teardown),
        cmocka_unit_test_setup_teardown(one_file_of_two_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(exposed_key_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(configured_files_missing_or_wrong_are_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(configured_openssl_ca_is_used_and_checked, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(expired_ca_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(validity_out_of_range_is_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
