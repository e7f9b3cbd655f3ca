/* Per-unit NVS from a template. The strongest check: a template with
 * placeholders, filled with the values of Espressif's factory vector, gives
 * exactly the partition the official generator made from the literal CSV.
 * Then every refusal the brief names (file, line, reason, before any board),
 * the partition lookup, and that the unit's key never shows in a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nvs_reader.h"
#include "partition_table.h"
#include "unit_nvs.h"

#define VEC JIGD_SHARED_DIR "/vectors/nvs"

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    b[*len] = '\0';
    fclose(f);
    return b;
}

/* A bundle-like table: the app's nvs, a 0x3000 fctry, a 0x1000 read-only
 * one, an app. */
static struct pt_table table;

static int setup_table(void **state)
{
    static const char csv[] =
        "nvs,data,nvs,0x9000,0x6000,\n"
        "fctry,data,nvs,0xf000,0x3000,\n"
        "tiny,data,nvs,0x12000,0x1000,readonly\n"
        "phy_init,data,phy,0x13000,0x1000,\n"
        "factory,app,factory,0x20000,1M,\n";
    struct pt_options o;
    struct pt_error e;
    pt_options_default(&o);
    if (pt_parse_csv(csv, sizeof csv - 1, &o, &table, &e) != 0) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    return 0;
}

static struct unit_nvs_template *parse(const char *text, const char *base, char *err,
                                       size_t errlen)
{
    return unit_nvs_template_parse(text, strlen(text), "t.csv", base, NULL, err, errlen);
}

/* factory.csv with placeholders where a station would put per-unit data. */
static const char factory_template[] =
    "# per-unit data for the ACME board\n"
    "#@ nvs_partition = fctry\n"
    "key,type,encoding,value\n"
    "factory,namespace,,\n"
    "serial,data,string,{serial}\n"
    "mac,data,hex2bin,{mac_hex}\n"
    "hw_rev,data,u8,3\n"
    "cert,data,string,{cert_pem}\n"
    "priv_key,data,string,{key_pem}\n"
    "ap,namespace,,\n"
    "count,data,u8,0\n"
    "ssid0,data,string,\n" "pass0,data,string,\n" "ssid1,data,string,\n" "pass1,data,string,\n"
    "ssid2,data,string,\n" "pass2,data,string,\n" "ssid3,data,string,\n" "pass3,data,string,\n";

static void template_gives_the_official_factory_partition(void **state)
{
    char err[512] = "";
    struct unit_nvs_template *t = parse(factory_template, NULL, err, sizeof err);
    if (!t)
        fail_msg("%s", err);
    assert_string_equal(unit_nvs_template_partition(t), "fctry");
    assert_int_equal(unit_nvs_template_uses(t),
                     UNIT_NVS_SERIAL | UNIT_NVS_MAC | UNIT_NVS_CERT_PEM | UNIT_NVS_KEY_PEM);
    assert_int_equal(unit_nvs_template_check(t, &table, err, sizeof err), 0);
    size_t cn, kn, gn;
    char *cert = read_all(VEC "/unit_cert.pem", &cn), *key = read_all(VEC "/unit_key.pem", &kn);
    char *golden = read_all(VEC "/nvs_factory_0x3000.bin", &gn);
    struct unit_nvs_values v = {
        .serial = "ACME-2611-000042", .mac = {0x7c, 0xdf, 0xa1, 0xb2, 0xc3, 0xd4},
        .cert_pem = cert, .key_pem = key,
    };
    struct unit_nvs_image img;
    if (unit_nvs_generate(t, &table, &v, &img, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(img.offset, 0xf000);
    assert_int_equal(img.partition_size, 0x3000);
    assert_string_equal(img.partition, "fctry");
    assert_int_equal(img.len, gn);
    assert_memory_equal(img.data, golden, gn);
    unit_nvs_image_free(&img);
    assert_null(img.data);
    free(cert);
    free(key);
    free(golden);
    unit_nvs_template_free(t);
}

static void every_placeholder_is_filled_per_unit(void **state)
{
    static const char text[] =
        "key,type,encoding,value\n"
        "id,namespace,,\n"
        "serial,data,string,SN={serial}\n"
        "mac,data,string,{mac}\n"
        "mac_bin,data,hex2bin,{mac_hex}\n"
        "station,data,string,{station}\n"
        "wo,data,string,{work_order}\n"
        "made,data,string,{time}\n"
        "made_unix,data,u64,{unix_time}\n"
        "ca,data,string,{ca_pem}\n"
        "braces,data,string,{{\"sn\":\"{serial}\"}}\n";
    char err[512] = "";
    struct unit_nvs_template *t = parse(text, NULL, err, sizeof err);
    if (!t)
        fail_msg("%s", err);
    assert_string_equal(unit_nvs_template_partition(t), "nvs");   /* the default */
    struct unit_nvs_values v = {
        .serial = "ACME-2648-000007", .mac = {0x24, 0x0a, 0xc4, 0x01, 0x02, 0xfe},
        .station = "line3", .work_order = "WO-77", .ca_pem = "-----BEGIN CERTIFICATE-----\nCA\n",
        .now = 1795429566,      /* 2026-11-23T10:26:06Z */
    };
    struct unit_nvs_image img;
    if (unit_nvs_generate(t, &table, &v, &img, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(img.offset, 0x9000);
    assert_int_equal(img.len, 0x6000);
    static const struct { const char *key, *want; } strs[] = {
        {"serial", "SN=ACME-2648-000007"}, {"mac", "24:0a:c4:01:02:fe"}, {"station", "line3"},
        {"wo", "WO-77"}, {"made", "2026-11-23T10:26:06Z"},
        {"ca", "-----BEGIN CERTIFICATE-----\nCA\n"}, {"braces", "{\"sn\":\"ACME-2648-000007\"}"},
    };
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        char buf[128];
        size_t n;
        assert_int_equal(nvs_read_str(img.data, img.len, "id", strs[i].key, buf, sizeof buf, &n),
                         NVS_READ_OK);
        assert_string_equal(buf, strs[i].want);
    }
    uint8_t mac[6], type;
    size_t n;
    uint64_t when;
    assert_int_equal(nvs_read_blob(img.data, img.len, "id", "mac_bin", mac, sizeof mac, &n),
                     NVS_READ_OK);
    assert_int_equal(n, 6);
    assert_memory_equal(mac, v.mac, 6);
    assert_int_equal(nvs_read_int(img.data, img.len, "id", "made_unix", &type, &when), NVS_READ_OK);
    assert_int_equal(when, 1795429566);
    unit_nvs_image_free(&img);
    /* A value the template needs and the unit lacks is named. */
    v.ca_pem = NULL;
    assert_int_equal(unit_nvs_generate(t, &table, &v, &img, err, sizeof err), -1);
    assert_non_null(strstr(err, "t.csv:10:"));
    assert_non_null(strstr(err, "{ca_pem}"));
    assert_null(img.data);
    unit_nvs_template_free(t);
}

/* Each bad template is refused at load with file:line and the reason. */
static void bad_templates_are_refused_at_load(void **state)
{
    static const struct { const char *body, *want; } bad[] = {
        {"a,data,u8,300\n", "t.csv:3: value 300 is out of range for u8"},
        {"a,data,float,1\n", "t.csv:3: 'a': unknown encoding \"float\""},
        {"a,blob,u8,1\n", "t.csv:3: 'a': unknown type \"blob\""},
        {"a_key_too_long_16,data,u8,1\n", "t.csv:3: key 'a_key_too_long_16' is longer than 15"},
        {"a,data,string,{serail}\n", "t.csv:3: 'a': unknown placeholder {serail}"},
        {"a,data,string,x}\n", "t.csv:3: 'a': a lone '}'"},
        {"a,data,string,{serial\n", "t.csv:3: 'a': unknown placeholder"},
        {"a,data,u32,{serial}\n", "t.csv:3: 'a': the value is not a decimal integer"},
        {"a,data,hex2bin,{mac}0\n", "t.csv:3: 'a': hex2bin value has a character"},
        {"a,file,binary,x.bin\n", "t.csv:3: 'a': cannot read file \"x.bin\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256], err[512] = "";
        snprintf(text, sizeof text, "key,type,encoding,value\nns,namespace,,\n%s", bad[i].body);
        struct unit_nvs_template *t = parse(text, NULL, err, sizeof err);
        if (t || !strstr(err, bad[i].want))
            fail_msg("case %zu: got '%s', want '%s'", i, t ? "(accepted)" : err, bad[i].want);
    }
    static const struct { const char *text, *want; } front[] = {
        {"#@ nvs_partiton = fctry\nkey,type,encoding,value\n", "t.csv:1: unknown front-matter setting 'nvs_partiton'"},
        {"#@ nvs_partition = a_name_longer_than_16\nkey,type,encoding,value\n", "t.csv:1: nvs_partition must be"},
        {"# c\n#@ nvs_version = 3\nkey,type,encoding,value\n", "t.csv:2: nvs_version must be 1 or 2"},
        {"key,type,encoding,value\n#@ nvs_partition = fctry\n", "t.csv:2: front-matter ('#@' lines) must come before"},
    };
    for (size_t i = 0; i < sizeof front / sizeof front[0]; i++) {
        char err[512] = "";
        struct unit_nvs_template *t = parse(front[i].text, NULL, err, sizeof err);
        if (t || !strstr(err, front[i].want))
            fail_msg("front %zu: got '%s', want '%s'", i, t ? "(accepted)" : err, front[i].want);
    }
}

static void the_partition_is_checked_against_the_table(void **state)
{
    char err[512] = "";
    static const struct { const char *text, *want; } cases[] = {
        {"#@ nvs_partition = cal\nkey,type,encoding,value\n", "no partition 'cal'"},
        {"#@ nvs_partition = factory\nkey,type,encoding,value\n", "is app/factory, not data/nvs"},
        {"#@ nvs_partition = phy_init\nkey,type,encoding,value\n", "is data/phy, not data/nvs"},
        /* 0x3000 keeps one page free: two pages of 126 entries hold less
         * than three 3000-byte blobs. */
        {"#@ nvs_partition = fctry\nkey,type,encoding,value\nns,namespace,,\n"
         "a,data,blob_fill(3000;0x00),\nb,data,blob_fill(3000;0x00),\nc,data,blob_fill(3000;0x00),\n",
         "t.csv:6: partition 'fctry' (0x3000 bytes) is too small for the template's data"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct unit_nvs_template *t = parse(cases[i].text, NULL, err, sizeof err);
        if (!t)
            fail_msg("case %zu: %s", i, err);
        assert_int_equal(unit_nvs_template_check(t, &table, err, sizeof err), -1);
        if (!strstr(err, cases[i].want))
            fail_msg("case %zu: got '%s', want '%s'", i, err, cases[i].want);
        struct unit_nvs_values v = {.serial = "S"};
        struct unit_nvs_image img;
        assert_int_equal(unit_nvs_generate(t, &table, &v, &img, err, sizeof err), -1);
        unit_nvs_template_free(t);
    }
    /* The caller's override (a config key) wins over the front-matter. */
    struct unit_nvs_template_options o = {.partition = "tiny"};
    static const char one_row[] =
        "#@ nvs_partition = fctry\nkey,type,encoding,value\nns,namespace,,\nx,data,u8,1\n";
    struct unit_nvs_template *t = unit_nvs_template_parse(one_row, strlen(one_row), "t.csv",
                                                          NULL, &o, err, sizeof err);
    assert_non_null(t);
    assert_string_equal(unit_nvs_template_partition(t), "tiny");
    assert_int_equal(unit_nvs_template_check(t, &table, err, sizeof err), 0);
    struct unit_nvs_values v = {0};
    struct unit_nvs_image img;
    assert_int_equal(unit_nvs_generate(t, &table, &v, &img, err, sizeof err), 0);
    assert_int_equal(img.offset, 0x12000);
    assert_int_equal(img.len, 0x1000);      /* read-only: the pages used */
    unit_nvs_image_free(&img);
    unit_nvs_template_free(t);
}

/* A unit whose real key does not fit where the dummy did: the failure is
 * reported with file and line, and nothing of the key. */
static void a_failing_unit_never_shows_its_key(void **state)
{
    char text[512], err[1024] = "";
    /* read-only 0x1000: one page, 126 entries; the filler leaves room for a
     * key of about 300 bytes but not for 1700. */
    snprintf(text, sizeof text,
             "#@ nvs_partition = tiny\nkey,type,encoding,value\nns,namespace,,\n"
             "fill,data,blob_fill(3400;0x00),\nkey,data,string,{key_pem}\n");
    struct unit_nvs_template *t = parse(text, NULL, err, sizeof err);
    if (!t)
        fail_msg("%s", err);
    assert_int_equal(unit_nvs_template_check(t, &table, err, sizeof err), 0);
    char *key = malloc(2000);
    strcpy(key, "-----BEGIN RSA PRIVATE KEY-----\n");
    size_t n = strlen(key);
    while (n < 1740) {
        memcpy(key + n, "MIIEowIBAAKCAQEAsecretsecretsecretsecretsecretsecretsecretsecretQ\n", 65);
        n += 65;
    }
    strcpy(key + n, "-----END RSA PRIVATE KEY-----\n");
    struct unit_nvs_values v = {.key_pem = key};
    struct unit_nvs_image img;
    assert_int_equal(unit_nvs_generate(t, &table, &v, &img, err, sizeof err), -1);
    assert_non_null(strstr(err, "t.csv:5:"));
    assert_null(strstr(err, "PRIVATE KEY"));
    assert_null(strstr(err, "secret"));
    assert_null(strstr(err, "MIIE"));
    /* The same key fits a larger partition, and is really written. */
    struct unit_nvs_template_options o = {.partition = "fctry"};
    struct unit_nvs_template *t2 = unit_nvs_template_parse(text, strlen(text), "t.csv", NULL, &o,
                                                           err, sizeof err);
    assert_non_null(t2);
    assert_int_equal(unit_nvs_generate(t2, &table, &v, &img, err, sizeof err), 0);
    char *back = malloc(2048);
    size_t bn;
    assert_int_equal(nvs_read_str(img.data, img.len, "ns", "key", back, 2048, &bn), NVS_READ_OK);
    assert_string_equal(back, key);
    explicit_bzero(back, 2048);
    free(back);
    unit_nvs_image_free(&img);
    explicit_bzero(key, 2000);
    free(key);
    unit_nvs_template_free(t2);
    unit_nvs_template_free(t);
}

/* File rows are read relative to the template's folder, once, at load. */
static void file_rows_are_read_once_from_the_template_folder(void **state)
{
    char dir[] = "/tmp/unit-nvs-XXXXXX", path[128], blob[128], err[512] = "";
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/fctry.csv", dir);
    snprintf(blob, sizeof blob, "%s/logo.bin", dir);
    FILE *f = fopen(blob, "wb");
    fwrite("\x01\x02\x03\x04", 1, 4, f);
    fclose(f);
    f = fopen(path, "w");
    fputs("key,type,encoding,value\nns,namespace,,\nlogo,file,binary,logo.bin\nsn,data,string,{serial}\n", f);
    fclose(f);
    struct unit_nvs_template *t = unit_nvs_template_load(path, NULL, err, sizeof err);
    if (!t)
        fail_msg("%s", err);
    unlink(blob);
    unlink(path);
    rmdir(dir);
    struct unit_nvs_values v = {.serial = "X1"};
    struct unit_nvs_image img;
    if (unit_nvs_generate(t, &table, &v, &img, err, sizeof err) != 0)
        fail_msg("%s", err);
    uint8_t b[8];
    size_t n;
    assert_int_equal(nvs_read_blob(img.data, img.len, "ns", "logo", b, sizeof b, &n), NVS_READ_OK);
    assert_int_equal(n, 4);
    assert_memory_equal(b, "\x01\x02\x03\x04", 4);
    unit_nvs_image_free(&img);
    unit_nvs_template_free(t);
    /* A missing template file is named. */
    assert_null(unit_nvs_template_load("/nonexistent/t.csv", NULL, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/t.csv"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(template_gives_the_official_factory_partition),
        cmocka_unit_test(every_placeholder_is_filled_per_unit),
        cmocka_unit_test(bad_templates_are_refused_at_load),
        cmocka_unit_test(the_partition_is_checked_against_the_table),
        cmocka_unit_test(a_failing_unit_never_shows_its_key),
        cmocka_unit_test(file_rows_are_read_once_from_the_template_folder),
    };
    return cmocka_run_group_tests(tests, setup_table, NULL);
}
