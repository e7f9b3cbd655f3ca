/* The label template (daemon/label): placeholders filled, values that
 * cannot become ZPL commands, every mistake named with its line and
 * column; and the SVG preview: the QR code libqrencode makes of the serial,
 * at its size, and text escaped for XML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <qrencode.h>

#include "label_svg.h"
#include "label_template.h"

static char err[300];

static char *fill(const char *tmpl, const struct label_values *v)
{
    struct label_template *t = label_template_parse(tmpl, strlen(tmpl), "t.zpl", err,
                                                    sizeof err);
    assert_non_null(t);
    size_t len;
    char *out = label_template_fill(t, v, &len);
    assert_non_null(out);
    assert_int_equal(len, strlen(out));
    label_template_free(t);
    return out;
}

static void expect_error_n(const char *tmpl, size_t len, const char *want)
{
    err[0] = '\0';
    struct label_template *t = label_template_parse(tmpl, len, "t.zpl", err, sizeof err);
    if (t || !strstr(err, want))
        fail_msg("template %s: expected an error with '%s', got '%s'", tmpl, want,
                 t ? "(accepted)" : err);
}

static void expect_error(const char *tmpl, const char *want)
{
    expect_error_n(tmpl, strlen(tmpl), want);
}

static const struct label_values unit = {
    .serial = "T-00042", .mac = "24:0a:c4:00:00:01", .board_code = "PCB-7",
    .date = "2026-12-07", .work_order = "WO-1", .station = "line3",
};

static void test_fills_every_placeholder(void **state)
{
    (void)state;
    char *out = fill("^XA^FO1,1^FD{serial}|{mac}|{board_code}|{date}|{work_order}|"
                     "{station}^FS^XZ", &unit);
    /* A field holding a value is written with ^FH (label_template.h). */
    assert_string_equal(out, "^XA^FO1,1^FH^FDT-00042|24:0a:c4:00:00:01|PCB-7|2026-12-07|"
                             "WO-1|line3^FS^XZ");
    free(out);
}

/* Found by fuzz_label_template: the filled text of an empty template was
 * not terminated. */
static void test_empty_template_fills_to_empty_text(void **state)
{
    (void)state;
    char *out = fill("", &unit);
    assert_string_equal(out, "");
    free(out);
}

static void test_text_without_placeholders_is_kept(void **state)
{
    (void)state;
    /* A field with no value keeps its '_' and gets no ^FH. */
    char *out = fill("^XA^FO1,1^FDlot_A^FS^FO2,2^FD{serial}^FS^XZ", &unit);
    assert_string_equal(out, "^XA^FO1,1^FDlot_A^FS^FO2,2^FH^FDT-00042^FS^XZ");
    free(out);
}

static void test_braces_and_empty_values(void **state)
{
    (void)state;
    struct label_values v = {.serial = "S1"};       /* no board code: printed without */
    char *out = fill("^FD{{x}} {board_code}[{serial}]^FS", &v);
    assert_string_equal(out, "^FH^FD{x} [S1]^FS");
    free(out);
}

/* A board code or work order holding ^ or ~ must print as text, never
 * run as a command: ^XZ would end the label, ~JA would cancel the
 * printer's queue. The template's own '_' in that field is escaped too. */
static void test_values_cannot_inject_zpl(void **state)
{
    (void)state;
    struct label_values v = {.serial = "S_1", .board_code = "A^XZ~JA", .work_order = "x\ny"};
    char *out = fill("^FO1,1^FDbc_{board_code}_{work_order}^FS\n^FO1,1^FDQA,{serial}^FS", &v);
    assert_string_equal(out, "^FO1,1^FH^FDbc_5FA_5EXZ_7EJA_5Fx_0Ay^FS\n"
                             "^FO1,1^FH^FDQA,S_5F1^FS");
    assert_null(strstr(out, "^XZ"));
    assert_null(strchr(out, '~'));
    free(out);
}

static void test_non_ascii_goes_as_hex(void **state)
{
    (void)state;
    struct label_values v = {.serial = "S", .work_order = "\xc3\xa9"};
    char *out = fill("^FD{work_order}^FS", &v);
    assert_string_equal(out, "^FH^FD_C3_A9^FS");
    free(out);
}

static void test_unknown_placeholder_names_line_and_column(void **state)
{
    (void)state;
    expect_error("^XA\n^FO1,1^FD{serail}^FS", "t.zpl:2:10: unknown placeholder {serail}; "
                 "known placeholders: {serial}");
}

static void test_mistakes_are_named(void **state)
{
    (void)state;
    expect_error("^XA\n{serial}^XZ", "t.zpl:2:1: {serial} stands outside a field's data");
    expect_error("^FO1,1^FD{serial", "t.zpl:1:10: '{' opens no placeholder");
    expect_error("^FDa}b^FS", "t.zpl:1:5: a lone '}'");
    expect_error("^FO1,1^FH^FD{serial}^FS", "t.zpl:1:13: the field of {serial} brings its "
                 "own ^FH");
    expect_error("^XA^CC+", "t.zpl:1:4: ^CC changes ZPL's command prefix");
    expect_error("~ct+", "t.zpl:1:1: ~ct changes");
    expect_error_n("^FDa\0b", 6, "t.zpl:1:5: a NUL byte");
    /* After the field's data ends (any command), a value is outside again. */
    expect_error("^FDa^FS {mac}", "{mac} stands outside");
    expect_error("^FDa^FO1,1{mac}", "{mac} stands outside");
}

static void test_fh_of_an_earlier_field_does_not_count(void **state)
{
    (void)state;
    char *out = fill("^FH^FDx_41^FS^FO1,1^FD{serial}^FS", &unit);
    assert_string_equal(out, "^FH^FDx_41^FS^FO1,1^FH^FDT-00042^FS");
    free(out);
}

static void test_comment_may_hold_braces(void **state)
{
    (void)state;
    char *out = fill("^FXuses {serial} below^FS^FD{serial}^FS", &unit);
    assert_string_equal(out, "^FXuses {serial} below^FS^FH^FDT-00042^FS");
    free(out);
}

static void test_default_template_has_the_qr_of_the_serial(void **state)
{
    (void)state;
    struct label_template *t = label_template_default(err, sizeof err);
    assert_non_null(t);
    size_t len;
    char *out = label_template_fill(t, &unit, &len);
    assert_non_null(out);
    assert_non_null(strstr(out, "^BQN,2,6^FH^FDQA,T-00042^FS"));
    assert_non_null(strstr(out, "^FH^FDMAC 24:0a:c4:00:00:01^FS"));
    assert_non_null(strstr(out, "PCB-7"));
    assert_non_null(strstr(out, "2026-12-07  line3"));
    assert_int_equal(strncmp(out, "^XA", 3), 0);
    free(out);
    label_template_free(t);
}

/* ---- the preview ---------------------------------------------------------- */

static int count_dark(const QRcode *qr)
{
    int n = 0;
    for (int i = 0; i < qr->width * qr->width; i++)
        n += qr->data[i] & 1;
    return n;
}

/* The rects in the QR group: their widths add up to the dark modules. */
static int svg_dark(const char *svg)
{
    const char *g = strstr(svg, "<g class=\"qr\"");
    assert_non_null(g);
    int n = 0;
    for (const char *r = strstr(g, "<rect "); r; r = strstr(r + 1, "<rect ")) {
        const char *w = strstr(r, "width=\"");
        assert_non_null(w);
        n += atoi(w + 7);
    }
    return n;
}

static void test_svg_holds_the_qr_of_the_serial(void **state)
{
    (void)state;
    size_t len;
    char *svg = label_svg(&unit, &len);
    assert_non_null(svg);
    assert_int_equal(len, strlen(svg));
    QRcode *qr = QRcode_encodeString(unit.serial, 0, QR_ECLEVEL_Q, QR_MODE_8, 1);
    assert_non_null(qr);
    assert_int_equal(qr->width, 21);        /* version 1: 7 characters fit */
    assert_non_null(strstr(svg, "data-modules=\"21\""));
    assert_int_equal(svg_dark(svg), count_dark(qr));
    assert_non_null(strstr(svg, ">T-00042</text>"));
    assert_non_null(strstr(svg, ">MAC 24:0a:c4:00:00:01</text>"));
    assert_non_null(strstr(svg, ">board PCB-7</text>"));
    QRcode_free(qr);
    free(svg);

    /* A longer serial needs a larger code. */
    struct label_values v = {.serial = "ACME-LINE3-2649-000123-REWORKED"};
    svg = label_svg(&v, NULL);
    qr = QRcode_encodeString(v.serial, 0, QR_ECLEVEL_Q, QR_MODE_8, 1);
    char want[40];
    snprintf(want, sizeof want, "data-modules=\"%d\"", qr->width);
    assert_true(qr->width > 21);
    assert_non_null(strstr(svg, want));
    assert_int_equal(svg_dark(svg), count_dark(qr));
    QRcode_free(qr);
    free(svg);
}

static void test_svg_escapes_text(void **state)
{
    (void)state;
    struct label_values v = {.serial = "S1", .board_code = "<script>&\"'",
                             .work_order = "a\x01\xff"};
    char *svg = label_svg(&v, NULL);
    assert_non_null(svg);
    assert_null(strstr(svg, "<script"));
    assert_non_null(strstr(svg, ">board &lt;script&gt;&amp;&quot;&#39;</text>"));
    assert_non_null(strstr(svg, ">WO a?" "?</text>"));
    /* No board code, no work order: their lines are left out. */
    free(svg);
    struct label_values bare = {.serial = "S1", .mac = "m"};
    svg = label_svg(&bare, NULL);
    assert_null(strstr(svg, "board "));
    assert_null(strstr(svg, "WO "));
    free(svg);
    struct label_values none = {.serial = ""};
    assert_null(label_svg(&none, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fills_every_placeholder),
        cmocka_unit_test(test_empty_template_fills_to_empty_text),
        cmocka_unit_test(test_text_without_placeholders_is_kept),
        cmocka_unit_test(test_braces_and_empty_values),
        cmocka_unit_test(test_values_cannot_inject_zpl),
        cmocka_unit_test(test_non_ascii_goes_as_hex),
        cmocka_unit_test(test_unknown_placeholder_names_line_and_column),
        cmocka_unit_test(test_mistakes_are_named),
        cmocka_unit_test(test_fh_of_an_earlier_field_does_not_count),
        cmocka_unit_test(test_comment_may_hold_braces),
        cmocka_unit_test(test_default_template_has_the_qr_of_the_serial),
        cmocka_unit_test(test_svg_holds_the_qr_of_the_serial),
        cmocka_unit_test(test_svg_escapes_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
