/* [label] in jigd.conf: off without the section, a printer (port 9100 when
 * none is given) or a folder, and each mistake named at its line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "config.h"

#define SLOT "[slot 1]\nport = /dev/serial/by-id/usb-a\n"

static char err[512];

static struct jigd_config *parse(const char *text)
{
    err[0] = '\0';
    return config_parse(text, strlen(text), "/etc/jigd/jigd.conf", err, sizeof err);
}

static void test_no_section_no_labels(void **state)
{
    (void)state;
    struct jigd_config *c = parse(SLOT);
    assert_non_null(c);
    assert_false(c->label.enabled);
    assert_int_equal(c->label.timeout_ms, 5000);
    config_free(c);
}

static void test_printer_and_its_keys(void **state)
{
    (void)state;
    struct jigd_config *c = parse(SLOT "[label]\nprinter = tcp://10.0.0.5:9101\n"
                                  "template = label.zpl\ntimeout_ms = 1500\n");
    assert_non_null(c);
    assert_true(c->label.enabled);
    assert_int_equal(c->label.line, 3);
    assert_string_equal(c->label.printer_host, "10.0.0.5");
    assert_int_equal(c->label.printer_port, 9101);
    assert_string_equal(c->label.folder, "");
    assert_string_equal(c->label.template_path, "/etc/jigd/label.zpl");
    assert_int_equal(c->label.template_line, 5);
    assert_int_equal(c->label.timeout_ms, 1500);
    config_free(c);

    c = parse(SLOT "[label]\nprinter = tcp://zebra-3\n");     /* the raw port by default */
    assert_non_null(c);
    assert_string_equal(c->label.printer_host, "zebra-3");
    assert_int_equal(c->label.printer_port, 9100);
    config_free(c);
    c = parse(SLOT "[label]\nprinter = tcp://[fd00::5]\n");
    assert_non_null(c);
    assert_string_equal(c->label.printer_host, "fd00::5");
    config_free(c);
}

static void test_folder(void **state)
{
    (void)state;
    struct jigd_config *c = parse("[label]\nfolder = labels\n" SLOT);
    assert_non_null(c);
    assert_string_equal(c->label.folder, "/etc/jigd/labels");
    assert_string_equal(c->label.printer_host, "");
    config_free(c);
}

static void expect_error(const char *text, const char *want)
{
    struct jigd_config *c = parse(text);
    if (c || !strstr(err, want))
        fail_msg("expected '%s', got '%s'", want, c ? "(accepted)" : err);
}

static void test_mistakes_name_their_line(void **state)
{
    (void)state;
    expect_error(SLOT "[label]\n", "jigd.conf:3: [label] names no printer and no folder; "
                 "add printer = tcp://10.0.0.5:9100");
    expect_error(SLOT "[label]\nprinter = tcp://p:9100\nfolder = /x\n",
                 "jigd.conf:5: [label] has a printer (line 4) and a folder");
    expect_error(SLOT "[label]\nprinter = 10.0.0.5:9100\n",
                 "jigd.conf:4: printer = '10.0.0.5:9100' is not tcp://HOST:PORT");
    expect_error(SLOT "[label]\nprinter = tcp://p:99999\n", "jigd.conf:4: printer =");
    expect_error(SLOT "[label]\nfolder = /x\ntimeout_ms = 5\n", "jigd.conf:5: timeout_ms = '5'");
    expect_error(SLOT "[label]\nfolder = /x\n[label]\n", "jigd.conf:5: [label] appears twice");
    expect_error(SLOT "[label]\nfolder = /x\nprinterr = a\n",
                 "unknown key 'printerr' in [label]; known keys: printer, folder, template, "
                 "timeout_ms");
    expect_error(SLOT "[labels]\n", "known sections: [station], [identity], [unit], [label]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_section_no_labels),
        cmocka_unit_test(test_printer_and_its_keys),
        cmocka_unit_test(test_folder),
        cmocka_unit_test(test_mistakes_name_their_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
