/* The stub JSON reader against every real esptool-js stub file, and
 * against malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>

#include <cmocka.h>

#include "chip.h"
#include "stub_image.h"

static char *slurp(const char *path, size_t *len)
{
    *len = 0;       /* defined on every path: a failed read is an empty one */
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

/* An independent base64 encoder, so a decoded segment can be compared with
 * the text of the file. */
static char *base64_encode(const uint8_t *p, size_t n)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
    assert_non_null(out);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n) v |= p[i + 2];
        *o++ = abc[v >> 18 & 63];
        *o++ = abc[v >> 12 & 63];
        *o++ = i + 1 < n ? abc[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? abc[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

/* The first occurrence of "key": "..." — in esptool's files the top-level
 * keys come before any nested table, so this finds the top-level value. */
static void find_string_value(const char *json, const char *key, const char **v,
                              size_t *vlen)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *k = strstr(json, pat);
    assert_non_null(k);
    const char *q = strchr(k + strlen(pat), '"');
    assert_non_null(q);
    const char *end = strchr(q + 1, '"');
    assert_non_null(end);
    *v = q + 1;
    *vlen = (size_t)(end - q - 1);
}

static uint32_t find_number_value(const char *json, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *k = strstr(json, pat);
    assert_non_null(k);
    const char *colon = strchr(k, ':');
    assert_non_null(colon);
    return (uint32_t)strtoul(colon + 1, NULL, 10);
}

static void assert_segment_matches_file(const char *json, const char *key,
                                        const uint8_t *seg, size_t seg_len)
{
    const char *v;
    size_t vlen;
    find_string_value(json, key, &v, &vlen);
    char *enc = base64_encode(seg, seg_len);
    assert_int_equal(strlen(enc), vlen);
    assert_memory_equal(enc, v, vlen);
    free(enc);
}

static void check_stub_file(const char *path, struct stub_image *img)
{
    size_t len;
    char *json = slurp(path, &len);
    assert_non_null(json);
    uint8_t *storage = malloc(len);
    char err[160];
    int rc = stub_image_parse(json, len, storage, len, img, err, sizeof err);
    if (rc != 0)
        fail_msg("%s: %s", path, err);

    assert_int_equal(img->entry, find_number_value(json, "entry"));
    assert_int_equal(img->text_start, find_number_value(json, "text_start"));
    assert_true(img->text_len > 1000);
    assert_true(img->entry >= img->text_start &&
                img->entry < img->text_start + img->text_len);
    assert_segment_matches_file(json, "text", img->text, img->text_len);
    if (strstr(json, "\"data\"")) {
        assert_non_null(img->data);
        assert_int_equal(img->data_start, find_number_value(json, "data_start"));
        assert_segment_matches_file(json, "data", img->data, img->data_len);
    }
    /* Segments live in the caller's storage, one after the other. */
    assert_true(img->text >= storage && img->text + img->text_len <= storage + len);
    free(storage);
    free(json);
}

static void test_every_real_stub_parses(void **state)
{
    DIR *dir = opendir(JIGD_STUB_DIR);
    if (!dir)
        fail_msg("no stub directory at %s: run npm ci", JIGD_STUB_DIR);
    int files = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", JIGD_STUB_DIR, e->d_name);
        struct stub_image img;
        check_stub_file(path, &img);
        files++;
    }
    closedir(dir);
    assert_true(files >= 8);
}

/* Every stub the table names for a chip, for any revision, is in the
 * package and parses; a chip may go without only if the table says it has
 * none (today every chip has at least one). */
static void test_every_chip_has_a_stub(void **state)
{
    size_t n;
    const struct chip_desc *t = chip_table(&n);
    for (size_t i = 0; i < n; i++) {
        const char *names[CHIP_MAX_STUBS];
        size_t stubs = chip_stub_names(&t[i], names);
        assert_true(stubs >= 1);
        for (size_t k = 0; k < stubs; k++) {
            char path[1024];
            snprintf(path, sizeof path, "%s/%s.json", JIGD_STUB_DIR, names[k]);
            struct stub_image img;
            check_stub_file(path, &img);
        }
    }
}

/* Figures quoted in rom-protocol.md §9.5 for the stub release esptool-js
 * 0.7.0 ships (package-lock pins it). */
static void test_known_stub_figures(void **state)
{
    struct stub_image img;
    check_stub_file(JIGD_STUB_DIR "/esp32.json", &img);
    assert_int_equal(img.text_len, 6456);
    assert_int_equal(img.text_start, 0x400A8000);
    assert_int_equal(img.entry, 0x400A902C);
    assert_int_equal(img.data_len, 212);
    assert_int_equal(img.data_start, 0x3FFDED6C);

    check_stub_file(JIGD_STUB_DIR "/esp32c3.json", &img);
    assert_int_equal(img.text_len, 5880);
    assert_int_equal(img.text_start, 0x40380000);
    assert_int_equal(img.entry, 0x40380E9A);

    check_stub_file(JIGD_STUB_DIR "/esp8266.json", &img);
    assert_int_equal(img.text_len, 11456);
    assert_int_equal(img.text_start, 0x4010C500);
    assert_int_equal(img.entry, 0x4010C504);
}

/* esp8266-chips-improv.md §2.3: the newer chips' stubs, and the P4's two
 * builds, one per memory map. */
static void test_newer_chips_stub_figures(void **state)
{
    const struct {
        const char *file;
        uint32_t text_len, text_start;
    } want[] = {
        {"/esp32c5.json", 8028, 0x40800000},
        {"/esp32c61.json", 6552, 0x40800000},
        {"/esp32p4-rev1.json", 8176, 0x4FF10000},
        {"/esp32p4.json", 8176, 0x4FF50000},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s%s", JIGD_STUB_DIR, want[i].file);
        struct stub_image img;
        check_stub_file(path, &img);
        assert_int_equal(img.text_len, want[i].text_len);
        assert_int_equal(img.text_start, want[i].text_start);
    }
}

static int parse(const char *json, struct stub_image *img, char *err, size_t errlen)
{
    static uint8_t storage[4096];
    return stub_image_parse(json, strlen(json), storage, sizeof storage, img, err, errlen);
}

static void test_minimal_and_skipped_keys(void **state)
{
    struct stub_image img;
    char err[160];
    assert_int_equal(parse("{\"entry\":1,\"text\":\"QUJD\",\"text_start\":2}", &img,
                           err, sizeof err), 0);
    assert_int_equal(img.entry, 1);
    assert_int_equal(img.text_start, 2);
    assert_int_equal(img.text_len, 3);
    assert_memory_equal(img.text, "ABC", 3);
    assert_null(img.data);
    assert_int_equal(img.data_len, 0);

    /* Unknown keys of every JSON type, a nested "text" that must not win,
     * whitespace everywhere, "\/" in base64, and padding. */
    const char *j =
        " {\n \"bss_start\" : 1073528832 ,\n"
        "  \"plugins\": {\"nand\": {\"text\": \"AAAA\", \"text_start\": 9,"
        "              \"handlers\": {\"0xD5\": 1728}}},\n"
        "  \"list\": [1, -2.5e3, true, false, null, \"s\\\"\\u00e9\", [], {}],\n"
        "  \"text\": \"\\/w==\", \"entry\": 4294967295, \"text_start\": 0,\n"
        "  \"data\": \"QUI=\", \"data_start\": 1073605996\n} \n";
    assert_int_equal(parse(j, &img, err, sizeof err), 0);
    assert_int_equal(img.text_len, 1);
    assert_int_equal(img.text[0], 0xFF);
    assert_int_equal(img.entry, 0xFFFFFFFF);
    assert_int_equal(img.text_start, 0);
    assert_int_equal(img.data_len, 2);
    assert_memory_equal(img.data, "AB", 2);
    assert_int_equal(img.data_start, 1073605996);
}

struct bad_case {
    const char *json;
    const char *reason;     /* expected in the error text */
};

static void test_malformed_inputs(void **state)
{
    const struct bad_case cases[] = {
        {"", "'{'"},
        {"[]", "'{'"},
        {"{", "string"},
        {"{\"entry\": 1", "'}'"},
        {"{\"entry\" 1}", "':'"},
        {"{\"entry\":1,\"text_start\":2}", "\"text\""},
        {"{\"text\":\"QUJD\",\"text_start\":2}", "\"entry\""},
        {"{\"entry\":1,\"text\":\"QUJD\"}", "\"text_start\""},
        {"{\"entry\":1,\"text\":\"\",\"text_start\":2}", "\"text\""},
        {"{\"entry\":1,\"text\":\"QUJD\",\"text_start\":2,\"data\":\"QUJD\"}", "data_start"},
        {"{\"entry\":1,\"entry\":2,\"text\":\"QUJD\",\"text_start\":2}", "twice"},
        {"{\"entry\":1,\"text\":\"QU*D\",\"text_start\":2}", "base64"},
        {"{\"entry\":1,\"text\":\"QUJDR\",\"text_start\":2}", "base64"},
        {"{\"entry\":1,\"text\":\"QQ=\",\"text_start\":2}", "padding"},
        {"{\"entry\":1,\"text\":\"QQ==QQ==\",\"text_start\":2}", "padding"},
        {"{\"entry\":1,\"text\":\"QU\\nJD\\t\",\"text_start\":2}", "escape"},
        {"{\"entry\":-1,\"text\":\"QUJD\",\"text_start\":2}", "non-negative"},
        {"{\"entry\":1.5,\"text\":\"QUJD\",\"text_start\":2}", "integer"},
        {"{\"entry\":4294967296,\"text\":\"QUJD\",\"text_start\":2}", "32 bits"},
        {"{\"entry\":01,\"text\":\"QUJD\",\"text_start\":2}", "leading zero"},
        {"{\"entry\":\"1\",\"text\":\"QUJD\",\"text_start\":2}", "integer"},
        {"{\"entry\":1,\"text\":\"QUJD\",\"text_start\":2} x", "after"},
        {"{\"entry\":1,\"text\":\"QUJD,\"text_start\":2}", "base64"},
        {"{\"entry\":1,\"text\":\"QUJD", "unterminated"},
        {"{\"entry\":1,\"text\":\"QU\nJD\",\"text_start\":2}", "control"},
        {"{\"x\":[1,2,}", "unexpected"},
        {"{\"x\":tru}", "unexpected"},
        {"{\"x\":-}", "number"},
        {"{\"x\":\"\\q\"}", "escape"},
        {"{\"x\":\"\\u12g4\"}", "\\u"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct stub_image img;
        char err[160];
        memset(&img, 0x5A, sizeof img);
        int rc = parse(cases[i].json, &img, err, sizeof err);
        if (rc != -1)
            fail_msg("case %zu accepted: %s", i, cases[i].json);
        if (!strstr(err, cases[i].reason))
            fail_msg("case %zu: error \"%s\" does not mention %s", i, err, cases[i].reason);
        assert_null(img.text);      /* nothing half-filled on failure */
        assert_int_equal(img.text_len, 0);
    }
}

static void test_deep_nesting_is_refused(void **state)
{
    char j[512];
    size_t n = 0;
    n += (size_t)snprintf(j, sizeof j, "{\"x\":");
    for (int i = 0; i < 100; i++)
        j[n++] = '[';
    for (int i = 0; i < 100; i++)
        j[n++] = ']';
    n += (size_t)snprintf(j + n, sizeof j - n, "}");
    struct stub_image img;
    char err[160];
    assert_int_equal(parse(j, &img, err, sizeof err), -1);
    assert_non_null(strstr(err, "nested"));
}

static void test_storage_too_small(void **state)
{
    const char *j = "{\"entry\":1,\"text\":\"QUJDREVG\",\"text_start\":2,"
                    "\"data\":\"QUI=\",\"data_start\":3}";
    uint8_t storage[8];
    struct stub_image img;
    char err[160];
    /* text 6 + data 2 fits exactly; one byte less does not. */
    assert_int_equal(stub_image_parse(j, strlen(j), storage, 8, &img, err, sizeof err), 0);
    assert_ptr_equal(img.data, storage + 6);
    assert_int_equal(stub_image_parse(j, strlen(j), storage, 7, &img, err, sizeof err), -1);
    assert_non_null(strstr(err, "storage"));
    assert_int_equal(stub_image_parse(j, strlen(j), NULL, 0, &img, err, sizeof err), -1);
}

/* The length argument bounds the parse: no reading past it, and a tiny or
 * absent error buffer is fine. */
static void test_length_and_error_buffer_bounds(void **state)
{
    const char *j = "{\"entry\":1,\"text\":\"QUJD\",\"text_start\":2}";
    char *exact = malloc(strlen(j));    /* no terminating NUL */
    memcpy(exact, j, strlen(j));
    uint8_t storage[64];
    struct stub_image img;
    char err[8];
    assert_int_equal(stub_image_parse(exact, strlen(j), storage, sizeof storage, &img,
                                      err, sizeof err), 0);
    for (size_t cut = 0; cut < strlen(j); cut++) {
        assert_int_equal(stub_image_parse(exact, cut, storage, sizeof storage, &img,
                                          err, sizeof err), -1);
        assert_true(strlen(err) < sizeof err);
        assert_int_equal(stub_image_parse(exact, cut, storage, sizeof storage, &img,
                                          NULL, 0), -1);
    }
    free(exact);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_real_stub_parses),
        cmocka_unit_test(test_every_chip_has_a_stub),
        cmocka_unit_test(test_known_stub_figures),
        cmocka_unit_test(test_newer_chips_stub_figures),
        cmocka_unit_test(test_minimal_and_skipped_keys),
        cmocka_unit_test(test_malformed_inputs),
        cmocka_unit_test(test_deep_nesting_is_refused),
        cmocka_unit_test(test_storage_too_small),
        cmocka_unit_test(test_length_and_error_buffer_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
