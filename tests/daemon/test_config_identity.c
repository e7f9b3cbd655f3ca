/* jigd.conf's [identity] and [unit] sections: every key, every default (the
 * identity part's own defaults, kept in step by hand), and each mistake
 * reported at its own line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define SLOT "[slot 1]\nport = rfc2217://127.0.0.1:4000\n"

static struct jigd_config *parse(const char *text, char *err, size_t errlen)
{
    err[0] = '\0';
    return config_parse(text, strlen(text), "/etc/jigd/jigd.conf", err, errlen);
}

static void test_defaults(void **state)
{
    (void)state;
    char err[512];
    struct jigd_config *c = parse(SLOT, err, sizeof err);
    assert_non_null(c);
    assert_string_equal(c->path, "/etc/jigd/jigd.conf");
    assert_string_equal(c->identity.ca_cert, "");
    assert_string_equal(c->identity.ca_key, "");
    assert_string_equal(c->identity.organization, "");
    assert_int_equal(c->identity.ca_years, 30);     /* IDENTITY_DEFAULT_CA_YEARS */
    assert_int_equal(c->identity.cert_years, 20);   /* IDENTITY_DEFAULT_CERT_YEARS */
    assert_string_equal(c->identity.key_type, "ec-p256");
    assert_int_equal(c->identity.key_pool_size, 8);
    assert_int_equal(c->identity.key_pool_workers, 1);
    assert_string_equal(c->unit.serial_format, CONFIG_DEFAULT_SERIAL_FORMAT);
    assert_int_equal(c->unit.serial_format_line, 0);
    assert_string_equal(c->unit.nvs_template, "");
    assert_false(c->unit.secure_cert);
    assert_string_equal(c->unit.work_order, "");
    config_free(c);
}

static void test_every_key(void **state)
{
    (void)state;
    char err[512];
    struct jigd_config *c = parse("[identity]\n"
                                  "ca_cert = pki/ca.pem\n"
                                  "ca_key = /etc/jigd/ca.key\n"
                                  "organization = ACME Sensors (Line 3)\n"
                                  "ca_years = 10\n"
                                  "cert_years = 5\n"
                                  "key_type = rsa-2048\n"
                                  "key_pool_size = 16\n"
                                  "key_pool_workers = 2\n"
                                  "[unit]\n"
                                  "serial_format = ACME-{yy}{ww}-{seq:06}\n"
                                  "nvs_template = unit.csv\n"
                                  "secure_cert = yes\n"
                                  "work_order = WO-2026-0042\n" SLOT,
                                  err, sizeof err);
    assert_non_null(c);
    /* Relative paths are anchored at the configuration's folder. */
    assert_string_equal(c->identity.ca_cert, "/etc/jigd/pki/ca.pem");
    assert_int_equal(c->identity.ca_cert_line, 2);
    assert_string_equal(c->identity.ca_key, "/etc/jigd/ca.key");
    assert_int_equal(c->identity.ca_key_line, 3);
    assert_string_equal(c->identity.organization, "ACME Sensors (Line 3)");
    assert_int_equal(c->identity.ca_years, 10);
    assert_int_equal(c->identity.cert_years, 5);
    assert_string_equal(c->identity.key_type, "rsa-2048");
    assert_int_equal(c->identity.key_pool_size, 16);
    assert_int_equal(c->identity.key_pool_workers, 2);
    assert_string_equal(c->unit.serial_format, "ACME-{yy}{ww}-{seq:06}");
    assert_int_equal(c->unit.serial_format_line, 11);
    assert_string_equal(c->unit.nvs_template, "/etc/jigd/unit.csv");
    assert_int_equal(c->unit.nvs_template_line, 12);
    assert_true(c->unit.secure_cert);
    assert_string_equal(c->unit.work_order, "WO-2026-0042");
    config_free(c);
}

/* Each mistake: the text, and what the message must say (line included). */
static const struct {
    const char *text;
    const char *says;
} mistakes[] = {
    {"[identity]\nkey_type = ed25519\n" SLOT, "jigd.conf:2: key_type = 'ed25519'"},
    {"[identity]\nca_years = 0\n" SLOT, "jigd.conf:2: ca_years = '0' is not a number of years"},
    {"[identity]\ncert_years = 101\n" SLOT, "jigd.conf:2: cert_years = '101'"},
    {"[identity]\nkey_pool_size = 0\n" SLOT, "jigd.conf:2: key_pool_size = '0'"},
    {"[identity]\nkey_pool_workers = 5\n" SLOT, "jigd.conf:2: key_pool_workers = '5'"},
    {"[identity]\norganization = ACME, Inc\n" SLOT, "jigd.conf:2: organization 'ACME, Inc' holds ','"},
    {"[identity]\nca_cert = ca.pem\n" SLOT, "jigd.conf:2: [identity] sets ca_cert but not ca_key"},
    {"[identity]\n\nca_key = ca.key\n" SLOT, "jigd.conf:3: [identity] sets ca_key but not ca_cert"},
    {"[identity]\ncolour = red\n" SLOT, "jigd.conf:2: unknown key 'colour' in [identity]"},
    {"[identity]\n[identity]\n" SLOT, "jigd.conf:2: [identity] appears twice (first at line 1)"},
    {"[unit]\nserial_format = ACME-{yy}\n" SLOT, "jigd.conf:2: serial_format = 'ACME-{yy}' has no {seq}"},
    {"[unit]\nserial_format =\n" SLOT, "jigd.conf:2: 'serial_format' has no value"},
    {"[unit]\nsecure_cert = maybe\n" SLOT, "jigd.conf:2: secure_cert = 'maybe' is not yes or no"},
    {"[unit]\nwork_order = WO 7\n" SLOT, "jigd.conf:2: work_order 'WO 7' holds a space"},
    {"[unit]\nserial = 1\n" SLOT, "jigd.conf:2: unknown key 'serial' in [unit]"},
};

static void test_mistakes_name_their_line(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof mistakes / sizeof mistakes[0]; i++) {
        char err[512];
        struct jigd_config *c = parse(mistakes[i].text, err, sizeof err);
        if (c || !strstr(err, mistakes[i].says)) {
            print_error("case %zu: got '%s', expected it to say '%s'\n", i, err,
                        mistakes[i].says);
            config_free(c);
            fail();
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_key),
        cmocka_unit_test(test_mistakes_name_their_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
