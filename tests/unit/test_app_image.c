/* App/bootloader image codec against esptool v4.8.1's golden images: the
 * parser reads exactly what image_info prints (both output versions, every
 * line), the flash-parameter patch reproduces merge_bin byte for byte, and
 * the writer rebuilds every image from its own segments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app_image.h"
#include "app_image_text.h"
#include "mbedtls_compat.h"
#include "vector_files.h"

static const char *const images[] = {
    "app_c3", "boot_c3", "fmt_esp32", "fmt_esp32_boot", "fmt_esp32s3",
    "fmt_esp32c6", "tiny_c3", "tiny_c3_dio_40m_4MB", "tiny_c3_nodigest",
    "merged_c3_keep", "merged_c3_dout_40m_4MB",
};
#define N_IMAGES (sizeof images / sizeof *images)

static uint8_t *load(const char *rel, size_t *len)
{
    uint8_t *b = read_vector(rel, len);
    assert_non_null(b);
    return b;
}

static uint8_t *load_image(const char *stem, size_t *len)
{
    char rel[128];
    snprintf(rel, sizeof rel, "image/%s.bin", stem);
    return load(rel, len);
}

/* Drops NUL bytes (esptool prints descriptor strings with their padding). */
static size_t strip_nuls(char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i])
            s[k++] = s[i];
    s[k] = '\0';
    return k;
}

static void expect_text(const char *what, const char *got, const char *want)
{
    if (strcmp(got, want) == 0)
        return;
    size_t i = 0;
    while (got[i] && got[i] == want[i])
        i++;
    size_t line_start = i;
    while (line_start > 0 && want[line_start - 1] != '\n')
        line_start--;
    fail_msg("%s differs at byte %zu\n got: %.80s\nwant: %.80s", what, i,
             got + line_start, want + line_start);
}

static void parse_ok(const uint8_t *b, size_t n, struct app_image_info *info)
{
    char why[256] = "";
    enum app_image_status st = app_image_parse(b, n, info, why, sizeof why);
    if (st != APP_IMAGE_OK)
        fail_msg("parse failed (%d): %s", st, why);
}

/* image_info --version 2, every line after the tool's banner. */
static void matches_image_info_v2(void **s)
{
    for (size_t i = 0; i < N_IMAGES; i++) {
        size_t n = 0, tn = 0;
        uint8_t *b = load_image(images[i], &n);
        char rel[128];
        snprintf(rel, sizeof rel, "image/%s.image_info_v2.txt", images[i]);
        char *want = (char *)load(rel, &tn);
        strip_nuls(want, tn);
        const char *body = strchr(want, '\n') + 1;   /* skip "esptool.py v…" */

        struct app_image_info info;
        parse_ok(b, n, &info);
        size_t need = app_image_describe(&info, NULL, 0);
        char *got = malloc(need + 1);
        assert_int_equal(app_image_describe(&info, got, need + 1), need);
        expect_text(images[i], got, body);
        free(got);
        free(want);
        free(b);
    }
}

/* The classic image_info output, rendered here from the parsed fields. */
static char *render_v1(const struct app_image_info *in)
{
    size_t cap = 4096, n = 0;
    char *t = malloc(cap);
    n += (size_t)snprintf(t + n, cap - n, "esptool.py v4.8.1\nFile size: %zu "
                          "(bytes)\nImage version: 1\nEntry point: %8x\n%u "
                          "segments\n\n", in->file_size, in->entry,
                          in->segment_count);
    for (unsigned i = 0; i < in->segment_count; i++) {
        char types[160];
        app_image_mem_types_str(in->chip_id, in->seg[i].mem_types, ",", types,
                                sizeof types);
        n += (size_t)snprintf(t + n, cap - n, "Segment %u: len 0x%05x load "
                              "0x%08x file_offs 0x%08x [%s]\n", i + 1,
                              in->seg[i].data_len, in->seg[i].load_addr,
                              in->seg[i].header_offset, types);
    }
    n += (size_t)snprintf(t + n, cap - n, "Checksum: %02x (%s)\n",
                          in->checksum_stored,
                          in->checksum_valid ? "valid" : "invalid");
    if (in->hash_appended) {
        n += (size_t)snprintf(t + n, cap - n, "Validation Hash: ");
        for (int k = 0; k < 32; k++)
            n += (size_t)snprintf(t + n, cap - n, "%02x", in->digest_calc[k]);
        snprintf(t + n, cap - n, " (%s)\n", in->digest_valid ? "valid"
                                                             : "invalid");
    }
    return t;
}

static void matches_image_info_v1(void **s)
{
    for (size_t i = 0; i < N_IMAGES; i++) {
        size_t n = 0, tn = 0;
        uint8_t *b = load_image(images[i], &n);
        char rel[128];
        snprintf(rel, sizeof rel, "image/%s.image_info.txt", images[i]);
        char *want = (char *)load(rel, &tn);
        struct app_image_info info;
        parse_ok(b, n, &info);
        char *got = render_v1(&info);
        expect_text(images[i], got, want);
        free(got);
        free(want);
        free(b);
    }
}

static void sha256(const uint8_t *d, size_t n, uint8_t out[32])
{
    sha256_once(d, n, out);
}

static void app_descriptor_fields(void **s)
{
    size_t n = 0, en = 0;
    uint8_t *b = load_image("app_c3", &n);
    uint8_t *elf = load("image/app_c3.elf", &en);
    struct app_image_info info;
    parse_ok(b, n, &info);
    assert_true(info.app.present);
    assert_false(info.boot.present);
    assert_string_equal(info.app.version, "1.4.2-golden");
    assert_string_equal(info.app.project_name, "jigd_factory_app");
    assert_string_equal(info.app.idf_ver, "v5.4.2");
    assert_int_equal(info.app.secure_version, 1);
    uint8_t elf_sha[32];
    sha256(elf, en, elf_sha);
    assert_memory_equal(info.app.app_elf_sha256, elf_sha, 32);
    assert_memory_equal(b + 0xB0, elf_sha, 32);
    assert_int_equal(info.chip_id, 5);
    assert_int_equal(info.min_rev_full, 3);
    assert_int_equal(info.max_rev_full, 199);
    assert_int_equal(info.flash_mode, APP_FLASH_DIO);
    assert_int_equal(info.checksum_stored, 0xB1);
    assert_int_equal(info.image_len, n);
    assert_int_equal(info.seg[3].mem_types, APP_MEM_PADDING);
    assert_int_equal(info.seg[4].data_offset % 0x10000,
                     info.seg[4].load_addr % 0x10000);
    /* Encoding the parsed descriptor gives back the image's bytes. */
    uint8_t desc[APP_DESC_LEN];
    app_desc_encode(&info.app, desc);
    assert_memory_equal(desc, b + 0x20, APP_DESC_LEN);
    free(elf);
    free(b);
}

/* A DROM segment too short for esp_app_desc_t: no descriptor, no failure
 * (esptool 4.8.1 itself crashes on these). */
static void tiny_images_have_no_descriptor(void **s)
{
    const char *tiny[] = {"tiny_c3", "tiny_c3_dio_40m_4MB", "tiny_c3_nodigest"};
    for (int i = 0; i < 3; i++) {
        size_t n;
        uint8_t *b = load_image(tiny[i], &n);
        struct app_image_info info;
        parse_ok(b, n, &info);
        assert_false(info.app.present);
        assert_false(info.boot.present);
        assert_int_equal(info.seg[0].data_len, 0x28);
        free(b);
    }
    size_t n;
    uint8_t *b = load_image("boot_c3", &n);
    struct app_image_info info;
    parse_ok(b, n, &info);
    assert_true(info.boot.present);
    assert_int_equal(info.boot.version, 1);
    assert_string_equal(info.boot.idf_ver, "v5.4.2");
    assert_string_equal(info.boot.date_time, "Nov 23 2026 12:00:00");
    uint8_t desc[BOOTLOADER_DESC_LEN];
    bootloader_desc_encode(&info.boot, desc);
    assert_memory_equal(desc, b + 0x20, BOOTLOADER_DESC_LEN);
    free(b);
}

/* merge_bin as esptool does it: parts at offsets, gaps 0xFF. */
static uint8_t *merge(size_t total, const char *const *parts,
                      const size_t *offsets, size_t n)
{
    uint8_t *m = malloc(total);
    memset(m, 0xFF, total);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        uint8_t *p = load(parts[i], &len);
        assert_true(offsets[i] + len <= total);
        memcpy(m + offsets[i], p, len);
        free(p);
    }
    return m;
}

static void patch_reproduces_merge_bin_c3(void **s)
{
    const char *parts[] = {"image/boot_c3.bin", "partition/singleapp.bin",
                           "image/app_c3.bin"};
    const size_t offs[] = {0x0, 0x8000, 0x10000};
    size_t kn = 0, dn = 0;
    uint8_t *keep = load("image/merged_c3_keep.bin", &kn);
    uint8_t *dout = load("image/merged_c3_dout_40m_4MB.bin", &dn);
    uint8_t *m = merge(kn, parts, offs, 3);
    assert_memory_equal(m, keep, kn);

    char why[200];
    assert_int_equal(app_image_patch_flash_params(
                         m, kn, app_image_flash_mode_code("dout"),
                         app_image_flash_size_code("4MB"),
                         app_image_flash_freq_code(5, "40m"), why, sizeof why),
                     0);
    assert_int_equal(dn, kn);
    assert_memory_equal(m, dout, dn);
    size_t diff = 0;
    for (size_t i = 0; i < kn; i++)
        diff += keep[i] != dout[i];
    assert_int_equal(diff, 34);
    /* "keep" for everything changes nothing but is still a valid call. */
    assert_int_equal(app_image_patch_flash_params(m, kn, -1, -1, -1, why,
                                                  sizeof why), 0);
    assert_memory_equal(m, dout, dn);
    free(m);
    free(dout);
    free(keep);
}

/* ESP32: the bootloader sits at 0x1000, so that is where the patch goes. */
static void patch_reproduces_merge_bin_esp32(void **s)
{
    const char *parts[] = {"image/fmt_esp32_boot.bin",
                           "partition/singleapp.bin", "image/fmt_esp32.bin"};
    const size_t offs[] = {0x1000, 0x8000, 0x10000};
    size_t wn;
    uint8_t *want = load("image/merged_esp32_qio_80m_4MB.bin", &wn);
    uint8_t *m = merge(wn, parts, offs, 3);
    char why[200];
    assert_int_equal(app_image_patch_flash_params(
                         m + 0x1000, wn - 0x1000, APP_FLASH_QIO,
                         app_image_flash_size_code("4MB"),
                         app_image_flash_freq_code(0, "80m"), why, sizeof why),
                     0);
    assert_memory_equal(m, want, wn);
    assert_int_equal(m[0x1002], 0x00);
    assert_int_equal(m[0x1003], 0x2F);
    free(m);
    free(want);
}

static void patch_refuses_non_images(void **s)
{
    uint8_t junk[64];
    memset(junk, 0xE9, sizeof junk);   /* magic byte, then nonsense */
    uint8_t copy[64];
    memcpy(copy, junk, sizeof junk);
    char why[200];
    assert_int_equal(app_image_patch_flash_params(junk, sizeof junk, 3, 2, 0,
                                                  why, sizeof why), -1);
    assert_memory_equal(junk, copy, sizeof junk);
}

static void params_from(const struct app_image_info *in,
                        struct app_image_params *p)
{
    app_image_params_default(p, in->chip_id);
    p->flash_mode = in->flash_mode;
    p->flash_size_code = in->flash_size_code;
    p->flash_freq_code = in->flash_freq_code;
    p->entry = in->entry;
    p->min_rev_legacy = in->min_rev_legacy;
    p->min_rev_full = in->min_rev_full;
    p->max_rev_full = in->max_rev_full;
    p->append_digest = in->hash_appended;
}

/* Writing the parsed segments back gives the same bytes. */
static void writer_round_trips_every_image(void **s)
{
    for (size_t i = 0; i < N_IMAGES; i++) {
        size_t n;
        uint8_t *b = load_image(images[i], &n);
        struct app_image_info info;
        parse_ok(b, n, &info);
        struct app_image_params p;
        params_from(&info, &p);
        struct app_image_seg_in segs[APP_IMAGE_MAX_SEGMENTS];
        for (unsigned k = 0; k < info.segment_count; k++) {
            segs[k].load_addr = info.seg[k].load_addr;
            segs[k].data = b + info.seg[k].data_offset;
            segs[k].len = info.seg[k].data_len;
        }
        uint8_t *out = malloc(n);
        size_t len = app_image_write(&p, segs, info.segment_count, out, n);
        assert_int_equal(len, info.image_len);
        if (memcmp(out, b, len) != 0)
            fail_msg("%s: rewritten image differs", images[i]);
        assert_int_equal(app_image_write(&p, segs, info.segment_count, out,
                                         len - 1), 0);
        free(out);
        free(b);
    }
}

/* The elf2image layout from the real segments only (padding dropped, RAM
 * segments given whole): esptool's placement is reproduced, including the
 * RAM segments it moves in front of the IROM segment of app_c3. */
static void builder_reproduces_elf2image_layout(void **s)
{
    const char *stems[] = {"tiny_c3", "tiny_c3_dio_40m_4MB",
                           "tiny_c3_nodigest", "app_c3", "boot_c3",
                           "fmt_esp32", "fmt_esp32_boot", "fmt_esp32s3",
                           "fmt_esp32c6"};
    for (size_t i = 0; i < sizeof stems / sizeof *stems; i++) {
        size_t n;
        uint8_t *b = load_image(stems[i], &n);
        struct app_image_info info;
        parse_ok(b, n, &info);
        struct app_image_params p;
        params_from(&info, &p);
        struct app_image_seg_in segs[APP_IMAGE_MAX_SEGMENTS];
        size_t ns = 0;
        /* Reverse order on purpose: the builder must sort. */
        for (int k = info.segment_count - 1; k >= 0; k--) {
            if (info.seg[k].load_addr == 0)
                continue;
            segs[ns].load_addr = info.seg[k].load_addr;
            segs[ns].data = b + info.seg[k].data_offset;
            segs[ns].len = info.seg[k].data_len;
            ns++;
        }
        uint8_t *out = malloc(n + 64);
        char why[200];
        size_t len = app_image_build(&p, segs, ns, out, n + 64, why,
                                     sizeof why);
        if (len == 0)
            fail_msg("%s: %s", stems[i], why);
        assert_int_equal(len, n);
        if (memcmp(out, b, n) != 0)
            fail_msg("%s: built image differs", stems[i]);
        free(out);
        free(b);
    }
}

static void expect_status(uint8_t *b, size_t n, enum app_image_status want,
                          const char *needle)
{
    struct app_image_info info;
    char why[256] = "";
    enum app_image_status st = app_image_parse(b, n, &info, why, sizeof why);
    if (st != want)
        fail_msg("status %d, want %d (%s)", st, want, why);
    if (!strstr(why, needle))
        fail_msg("message \"%s\" lacks \"%s\"", why, needle);
}

static void corrupted_images_are_refused(void **s)
{
    size_t n;
    uint8_t *orig = load_image("app_c3", &n);
    uint8_t *b = malloc(n);

    memcpy(b, orig, n);
    b[0x200] ^= 0x10;                       /* padding segment data */
    expect_status(b, n, APP_IMAGE_BAD_CHECKSUM,
                  "checksum mismatch (stored 0xb1, computed 0xa1)");

    memcpy(b, orig, n);
    b[3] = 0x1F;                            /* header: digest now wrong */
    expect_status(b, n, APP_IMAGE_BAD_DIGEST, "SHA-256");

    memcpy(b, orig, n);
    b[n - 1] ^= 1;                          /* the digest itself */
    expect_status(b, n, APP_IMAGE_BAD_DIGEST, "rebuild");

    expect_status(orig, n - 1, APP_IMAGE_TRUNCATED, "digest is missing");
    expect_status(orig, 0x10010, APP_IMAGE_TRUNCATED, "segment 3 (load 0x00000000");
    expect_status(orig, 0x10030, APP_IMAGE_TRUNCATED, "segment 4 (load 0x42010020");
    expect_status(orig, 0x100, APP_IMAGE_TRUNCATED, "segment 0");
    expect_status(orig, 20, APP_IMAGE_TRUNCATED, "header");
    expect_status(orig, 0, APP_IMAGE_EMPTY, "empty");

    memcpy(b, orig, n);
    b[0] = 0xEA;
    expect_status(b, n, APP_IMAGE_BAD_MAGIC, "0xea");
    memcpy(b, orig, n);
    b[1] = 17;
    expect_status(b, n, APP_IMAGE_BAD_HEADER, "17 segments");
    memcpy(b, orig, n);
    b[23] = 2;
    expect_status(b, n, APP_IMAGE_BAD_HEADER, "digest flag");
    memcpy(b, orig, n);
    b[0x1C] = 0x51;                         /* segment 0 length 0x151 */
    expect_status(b, n, APP_IMAGE_BAD_SEGMENT, "multiple of 4");

    size_t tn;
    uint8_t *t = load_image("tiny_c3_nodigest", &tn);
    t[0x30] ^= 0xFF;
    expect_status(t, tn, APP_IMAGE_BAD_CHECKSUM, "damaged");
    free(t);
    free(b);
    free(orig);
}

static void chip_and_revision_checks(void **s)
{
    size_t n;
    uint8_t *b = load_image("app_c3", &n);
    struct app_image_info info;
    parse_ok(b, n, &info);
    char why[256];
    assert_true(app_image_fits_chip(&info, 5, 3, true, why, sizeof why));
    assert_true(app_image_fits_chip(&info, 5, 199, true, why, sizeof why));
    assert_true(app_image_fits_chip(&info, 5, -1, true, why, sizeof why));
    assert_false(app_image_fits_chip(&info, 0, 3, true, why, sizeof why));
    assert_non_null(strstr(why, "built for ESP32-C3 (chip id 5)"));
    assert_non_null(strstr(why, "board is ESP32 (chip id 0)"));
    assert_false(app_image_fits_chip(&info, 5, 2, true, why, sizeof why));
    assert_non_null(strstr(why, "v0.3 or later, this chip is v0.2"));
    assert_false(app_image_fits_chip(&info, 5, 200, true, why, sizeof why));
    assert_non_null(strstr(why, "up to v1.99"));
    /* The maximum applies to apps only. */
    assert_true(app_image_fits_chip(&info, 5, 200, false, why, sizeof why));
    free(b);

    const char *by_chip[][2] = {{"fmt_esp32", "0"}, {"fmt_esp32s3", "9"},
                                {"fmt_esp32c6", "13"}, {"tiny_c3", "5"}};
    for (int i = 0; i < 4; i++) {
        b = load_image(by_chip[i][0], &n);
        parse_ok(b, n, &info);
        assert_int_equal(info.chip_id, atoi(by_chip[i][1]));
        free(b);
    }
}

static void flash_names_and_codes(void **s)
{
    assert_string_equal(app_image_flash_freq_name(13, 0), "80m");
    assert_int_equal(app_image_flash_freq_code(13, "40m"), 0);
    assert_string_equal(app_image_flash_freq_name(5, 0xF), "80m");
    assert_string_equal(app_image_flash_freq_name(12, 0xF), "60m");
    assert_string_equal(app_image_flash_freq_name(16, 0), "24m");
    assert_int_equal(app_image_flash_size_code("16MB"), 4);
    assert_int_equal(app_image_flash_size_bytes(2), 4u << 20);
    assert_int_equal(app_image_flash_mode_code("DOUT"), 3);
    assert_int_equal(app_image_flash_mode_code("opi"), -1);
    assert_null(app_image_flash_size_name(9));
}

/* The newer chips' ids are known by name, frequency and (C5, P4) memory
 * map, so a bootloader's descriptor in DRAM is found on them too. */
static void newer_chips_are_known(void **s)
{
    assert_string_equal(app_image_chip_name(23), "ESP32-C5");
    assert_string_equal(app_image_chip_name(18), "ESP32-P4");
    assert_string_equal(app_image_chip_name(20), "ESP32-C61");
    assert_string_equal(app_image_flash_freq_name(23, 0xF), "80m");
    assert_string_equal(app_image_flash_freq_name(20, 0x2), "20m");
    assert_string_equal(app_image_flash_freq_name(18, 0x1), "26m");
    uint32_t c5 = app_image_mem_types(23, 0x42000020);
    assert_true((c5 & APP_MEM_DROM) && (c5 & APP_MEM_IROM));
    assert_true(app_image_mem_types(23, 0x40810000) & APP_MEM_DRAM);
    assert_true(app_image_mem_types(18, 0x4FF10000) & APP_MEM_DRAM);
    assert_true(app_image_mem_types(18, 0x40000020) & APP_MEM_DROM);
    assert_int_equal(app_image_mem_types(20, 0x40810000), 0);  /* no C61 map yet */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matches_image_info_v2),
        cmocka_unit_test(matches_image_info_v1),
        cmocka_unit_test(app_descriptor_fields),
        cmocka_unit_test(tiny_images_have_no_descriptor),
        cmocka_unit_test(patch_reproduces_merge_bin_c3),
        cmocka_unit_test(patch_reproduces_merge_bin_esp32),
        cmocka_unit_test(patch_refuses_non_images),
        cmocka_unit_test(writer_round_trips_every_image),
        cmocka_unit_test(builder_reproduces_elf2image_layout),
        cmocka_unit_test(corrupted_images_are_refused),
        cmocka_unit_test(chip_and_revision_checks),
        cmocka_unit_test(flash_names_and_codes),
        cmocka_unit_test(newer_chips_are_known),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
