/* Firmware bundles built in the test from the golden vectors
 * (vectors/image, vectors/partition): a valid bundle loads, each rule has a
 * failing case that names its reason, the bootloader header patch matches
 * esptool's own output byte for byte, compressed parts inflate back, and a
 * refused bundle never replaces the active one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <uv.h>
#include <zlib.h>

#include "bundle.h"
#include "mbedtls_compat.h"

#define VEC JIGD_SHARED_DIR "/vectors/"

/* ---- fixture: a bundle folder made from vector files ------------------- */

struct fx_part {
    const char *vector;     /* path under vectors/ */
    uint32_t offset;
    enum bundle_role role;
    const char *file;       /* name in the bundle */
};

struct fx {
    char dir[64];
    struct bundle_manifest m;
};

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void write_all(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void fx_path(const struct fx *x, const char *file, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", x->dir, file);
}

static void fx_write_part(struct fx *x, size_t i, const uint8_t *data, size_t n)
{
    char path[256];
    fx_path(x, x->m.parts[i].file, path, sizeof path);
    write_all(path, data, n);
    sha256_once(data, n, x->m.parts[i].sha256);
}

static void fx_write_manifest(struct fx *x)
{
    char path[256];
    char *text = bundle_manifest_format(&x->m);
    assert_non_null(text);
    fx_path(x, "manifest.json", path, sizeof path);
    write_all(path, text, strlen(text));
    free(text);
}

/* Makes the folder, copies the vectors in, writes a correct manifest. */
static void fx_make(struct fx *x, const char *chip, const char *mode,
                    const char *freq, const char *size,
                    const struct fx_part *parts, size_t n)
{
    memset(x, 0, sizeof *x);
    snprintf(x->dir, sizeof x->dir, "/tmp/jigd_bundle_XXXXXX");
    assert_non_null(mkdtemp(x->dir));
    x->m.format = BUNDLE_FORMAT;
    snprintf(x->m.name, sizeof x->m.name, "test");
    snprintf(x->m.version, sizeof x->m.version, "1");
    x->m.chip = chip_by_name(chip);
    assert_non_null(x->m.chip);
    assert_int_equal(bundle_flash_mode_parse(mode, &x->m.flash.mode), 0);
    assert_int_equal(bundle_flash_freq_parse(freq, &x->m.flash.freq_mhz), 0);
    assert_int_equal(bundle_flash_size_parse(size, &x->m.flash.size), 0);
    x->m.n_parts = n;
    for (size_t i = 0; i < n; i++) {
        char path[256];
        size_t len;
        x->m.parts[i].offset = parts[i].offset;
        x->m.parts[i].role = parts[i].role;
        snprintf(x->m.parts[i].file, sizeof x->m.parts[i].file, "%s", parts[i].file);
        snprintf(path, sizeof path, VEC "%s", parts[i].vector);
        uint8_t *data = read_all(path, &len);
        fx_write_part(x, i, data, len);
        free(data);
    }
    fx_write_manifest(x);
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[512];
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (!lstat(path, &st) && S_ISDIR(st.st_mode))
            remove_dir(path);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static const struct fx_part c3_parts[] = {
    {"image/boot_c3.bin", 0x0, BUNDLE_ROLE_BOOTLOADER, "bootloader.bin"},
    {"partition/singleapp.bin", 0x8000, BUNDLE_ROLE_PARTITION_TABLE, "partition-table.bin"},
    {"image/app_c3.bin", 0x10000, BUNDLE_ROLE_APP, "app.bin"},
};
#define N_C3 (sizeof c3_parts / sizeof c3_parts[0])

static void make_c3(struct fx *x)
{
    fx_make(x, "esp32c3", "dio", "80m", "4MB", c3_parts, N_C3);
}

static void expect_refused(struct fx *x, const char *reason)
{
    struct bundle *b = NULL;
    char err[1024] = "";
    int rc = bundle_load(x->dir, &b, err, sizeof err);
    if (rc == 0) {
        bundle_unref(b);
        fail_msg("bundle accepted; expected: %s", reason);
    }
    assert_null(b);
    if (!strstr(err, reason))
        fail_msg("\n  got    %s\n  wanted %s", err, reason);
    if (!strstr(err, x->dir))
        fail_msg("message does not name the bundle: %s", err);
    remove_dir(x->dir);
}

static struct bundle *expect_loads(struct fx *x)
{
    struct bundle *b = NULL;
    char err[1024] = "";
    if (bundle_load(x->dir, &b, err, sizeof err))
        fail_msg("refused: %s", err);
    return b;
}

/* Replaces a part's file (keeping the manifest's SHA-256 in step). */
static uint8_t *fx_edit(struct fx *x, size_t i, size_t *len)
{
    char path[256];
    fx_path(x, x->m.parts[i].file, path, sizeof path);
    return read_all(path, len);
}

static void fx_commit(struct fx *x, size_t i, uint8_t *data, size_t len)
{
    fx_write_part(x, i, data, len);
    free(data);
    fx_write_manifest(x);
}

/* ---- valid bundles ------------------------------------------------------ */

static void test_valid_c3_bundle_loads(void **state)
{
    struct fx x;
    make_c3(&x);
    struct bundle *b = expect_loads(&x);
    assert_ptr_equal(b->chip, chip_by_kind(CHIP_ESP32C3));
    assert_string_equal(b->name, "test");
    assert_int_equal(b->flash_size, 4u << 20);
    assert_int_equal(b->n_parts, 3);
    assert_true(b->app.present);
    assert_string_equal(b->app.project_name, "jigd_factory_app");
    assert_string_equal(b->app.version, "1.4.2-golden");
    assert_int_equal(b->app.secure_version, 1);

    const struct bundle_part *app = bundle_find_part(b, BUNDLE_ROLE_APP);
    assert_non_null(app);
    assert_int_equal(app->region.offset, 0x10000);
    assert_string_equal(app->label, "factory");
    assert_false(app->patched);
    size_t len;
    uint8_t *orig = read_all(VEC "image/app_c3.bin", &len);
    assert_int_equal(app->region.size, len);
    assert_memory_equal(app->region.data, orig, len);
    uint8_t md5[16];
    md5_once(orig, len, md5);
    assert_memory_equal(app->md5, md5, 16);
    free(orig);

    /* boot_c3.bin was built for 2MB: the manifest's 4MB is written in */
    assert_true(bundle_find_part(b, BUNDLE_ROLE_BOOTLOADER)->patched);
    assert_null(app->region.zdata);
    assert_false(b->compressed);
    bundle_unref(b);
    remove_dir(x.dir);
}

/* esptool merge_bin --flash_mode dout --flash_freq 40m --flash_size 4MB wrote
 * the patched bootloader into this merged image: ours must be identical. */
static void test_bootloader_patch_matches_esptool_c3(void **state)
{
    struct fx x;
    fx_make(&x, "esp32c3", "dout", "40m", "4MB", c3_parts, N_C3);
    struct bundle *b = expect_loads(&x);
    const struct bundle_part *boot = bundle_find_part(b, BUNDLE_ROLE_BOOTLOADER);
    assert_true(boot->patched);
    size_t len;
    uint8_t *merged = read_all(VEC "image/merged_c3_dout_40m_4MB.bin", &len);
    assert_memory_equal(boot->region.data, merged, boot->region.size);
    uint8_t md5[16];
    md5_once(merged, boot->region.size, md5);
    assert_memory_equal(boot->md5, md5, 16);    /* MD5 of what is written */
    assert_int_equal(b->flash_mode, BUNDLE_MODE_DOUT);
    free(merged);
    bundle_unref(b);
    remove_dir(x.dir);
}

static const struct fx_part esp32_parts[] = {
    {"image/fmt_esp32_boot.bin", 0x1000, BUNDLE_ROLE_BOOTLOADER, "bootloader.bin"},
    {"partition/singleapp.bin", 0x8000, BUNDLE_ROLE_PARTITION_TABLE, "partition-table.bin"},
    {"image/fmt_esp32.bin", 0x10000, BUNDLE_ROLE_APP, "app.bin"},
};

static void test_esp32_bundle_patch_matches_esptool(void **state)
{
    struct fx x;
    fx_make(&x, "esp32", "qio", "80m", "4MB", esp32_parts, 3);
    struct bundle *b = expect_loads(&x);
    const struct bundle_part *boot = bundle_find_part(b, BUNDLE_ROLE_BOOTLOADER);
    assert_int_equal(boot->region.offset, 0x1000);
    size_t len;
    uint8_t *merged = read_all(VEC "image/merged_esp32_qio_80m_4MB.bin", &len);
    assert_memory_equal(boot->region.data, merged + 0x1000, boot->region.size);
    assert_false(b->app.present);   /* fmt images carry no descriptor */
    free(merged);
    bundle_unref(b);
    remove_dir(x.dir);
}

static void test_keep_leaves_bootloader_as_built(void **state)
{
    struct fx x;
    fx_make(&x, "esp32c3", "keep", "keep", "keep", c3_parts, N_C3);
    struct bundle *b = expect_loads(&x);
    const struct bundle_part *boot = bundle_find_part(b, BUNDLE_ROLE_BOOTLOADER);
    assert_false(boot->patched);
    size_t len;
    uint8_t *orig = read_all(VEC "image/boot_c3.bin", &len);
    assert_memory_equal(boot->region.data, orig, len);
    assert_int_equal(b->flash_size, 2u << 20);  /* the bootloader's own */
    assert_int_equal(b->flash_freq_mhz, 80);
    assert_int_equal(b->flash_mode, BUNDLE_MODE_DIO);
    free(orig);
    bundle_unref(b);
    remove_dir(x.dir);
}

static void test_nvs_and_otadata_in_their_partitions_load(void **state)
{
    const struct fx_part parts[] = {
        c3_parts[0],
        {"partition/factory_two_ota.bin", 0x8000, BUNDLE_ROLE_PARTITION_TABLE, "pt.bin"},
        {"nvs/nvs_factory_0x3000.bin", 0x9000, BUNDLE_ROLE_NVS, "nvs.bin"},
        {"otadata/otadata_blank.bin", 0xD000, BUNDLE_ROLE_OTADATA, "otadata.bin"},
        c3_parts[2],
        {"image/app_c3.bin", 0x110000, BUNDLE_ROLE_APP, "ota0.bin"},
    };
    struct fx x;
    fx_make(&x, "esp32c3", "dio", "80m", "4MB", parts, 6);
    struct bundle *b = expect_loads(&x);
    assert_int_equal(b->n_parts, 6);
    assert_string_equal(bundle_find_part(b, BUNDLE_ROLE_NVS)->label, "nvs");
    assert_string_equal(bundle_find_part(b, BUNDLE_ROLE_OTADATA)->label, "otadata");
    assert_string_equal(b->parts[4].label, "factory");
    assert_string_equal(b->parts[5].label, "ota_0");
    for (size_t i = 1; i < b->n_parts; i++)     /* sorted by offset */
        assert_true(b->parts[i - 1].region.offset < b->parts[i].region.offset);
    bundle_unref(b);
    remove_dir(x.dir);
}

/* ---- each rule refuses -------------------------------------------------- */

static void test_refuses_bad_image_checksum(void **state)
{
    struct fx x;
    make_c3(&x);
    size_t len;
    uint8_t *app = fx_edit(&x, 2, &len);
    app[0x40] ^= 0x01;      /* a byte of segment 0's data */
    fx_commit(&x, 2, app, len);
    expect_refused(&x, "app.bin (app at 0x10000) is not a valid image");
}

static void test_refuses_wrong_chip_id(void **state)
{
    const struct fx_part parts[] = {
        c3_parts[0], c3_parts[1],
        {"image/fmt_esp32s3.bin", 0x10000, BUNDLE_ROLE_APP, "app.bin"},
    };
    struct fx x;
    fx_make(&x, "esp32c3", "dio", "80m", "4MB", parts, 3);
    expect_refused(&x, "app.bin is built for chip id 9 (ESP32-S3) but the bundle "
                       "is for ESP32-C3 (chip id 5)");
}

static void test_refuses_sha256_mismatch(void **state)
{
    struct fx x;
    make_c3(&x);
    char path[256];
    fx_path(&x, "partition-table.bin", path, sizeof path);
    size_t len;
    uint8_t *pt = read_all(path, &len);
    pt[len - 1] = 0x00;     /* padding byte: the table itself stays valid */
    write_all(path, pt, len);
    free(pt);
    expect_refused(&x, "partition-table.bin: SHA-256 is ");
}

static void test_refuses_overlap(void **state)
{
    const struct fx_part parts[] = {
        c3_parts[0], c3_parts[1], c3_parts[2],
        /* 0x6000 bytes from 0xD000 run into the app at 0x10000 */
        {"nvs/nvs_factory_0x6000.bin", 0xD000, BUNDLE_ROLE_DATA, "big.bin"},
    };
    struct fx x;
    fx_make(&x, "esp32c3", "dio", "80m", "4MB", parts, 4);
    expect_refused(&x, "big.bin (0xd000..0x13000) overlaps app.bin (from 0x10000)");
}

static void test_refuses_part_outside_flash(void **state)
{
    /* singleapp's factory partition ends at 0x110000: a 1MB flash cannot
     * hold it; a part placed at the very end shows the part rule first */
    const struct fx_part parts[] = {
        c3_parts[0], c3_parts[1], c3_parts[2],
        {"nvs/nvs_factory_0x3000.bin", 0xFF000, BUNDLE_ROLE_DATA, "tail.bin"},
    };
    struct fx x;
    fx_make(&x, "esp32c3", "dio", "80m", "1MB", parts, 4);
    expect_refused(&x, "tail.bin at 0xff000..0x102000 runs past the end of the 1 MB flash");
}

static void test_refuses_partition_outside_flash(void **state)
{
    struct fx x;
    fx_make(&x, "esp32c3", "dio", "80m", "1MB", c3_parts, N_C3);
    expect_refused(&x, "partition 'factory' (0x10000, 1024 KB) ends past the 1 MB flash");
}

static void test_refuses_missing_bootloader(void **state)
{
    struct fx x;
    fx_make(&x, "esp32c3", "dio", "80m", "4MB", c3_parts + 1, 2);
    expect_refused(&x, "no bootloader part; ESP32-C3 needs its 2nd-stage "
                       "bootloader (bootloader.bin) at 0x0");
}

static void test_refuses_bootloader_at_wrong_offset(void **state)
{
    const struct fx_part parts[] = {
        {"image/fmt_esp32_boot.bin", 0x0, BUNDLE_ROLE_BOOTLOADER, "bootloader.bin"},
        esp32_parts[1], esp32_parts[2],
    };
    struct fx x;
    fx_make(&x, "esp32", "dio", "40m", "4MB", parts, 3);
    expect_refused(&x, "bootloader bootloader.bin is at 0x0 but ESP32 boots from 0x1000");
}

static void test_refuses_missing_file(void **state)
{
    struct fx x;
    make_c3(&x);
    char path[256];
    fx_path(&x, "app.bin", path, sizeof path);
    unlink(path);
    expect_refused(&x, "app.bin: cannot open: No such file or directory");
}

static void test_refuses_bad_manifest_json(void **state)
{
    struct fx x;
    make_c3(&x);
    char path[256];
    fx_path(&x, "manifest.json", path, sizeof path);
    write_all(path, "{\n  \"format\": 1,\n  \"name\": \"x\",\n  \"parts\": [\n", 44);
    expect_refused(&x, "manifest.json: manifest is not valid JSON (near line");
}

static void test_refuses_missing_manifest(void **state)
{
    struct fx x;
    make_c3(&x);
    char path[256];
    fx_path(&x, "manifest.json", path, sizeof path);
    unlink(path);
    expect_refused(&x, "manifest.json: cannot open");
}

/* ---- files that are not what they claim to be ---------------------------
 * A bundle folder is trusted to hold plain files. A FIFO would block the
 * worker thread forever (and with it every later load and jigd's stop); a
 * symlink could carry any file on the station (a private key) onto every
 * board. Each load runs in a child with a deadline, so a hang fails the
 * test instead of blocking the run. */

#define LOAD_DEADLINE_S 5

/* bundle_load in a child process; returns its rc, or -2 when it was still
 * loading after the deadline. err gets the child's message. */
static int load_with_deadline(const char *dir, char *err, size_t cap)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        alarm(LOAD_DEADLINE_S);
        struct bundle *b = NULL;
        char why[1024] = "";
        int rc = bundle_load(dir, &b, why, sizeof why);
        if (write(fds[1], why, strlen(why)) < 0)
            _exit(3);
        _exit(rc ? 1 : 0);
    }
    close(fds[1]);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < cap && (r = read(fds[0], err + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    err[n] = '\0';
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        return -2;
    return WEXITSTATUS(status) ? -1 : 0;
}

static void expect_refused_in_time(struct fx *x, const char *reason)
{
    char err[1024];
    time_t t0 = time(NULL);
    int rc = load_with_deadline(x->dir, err, sizeof err);
    if (rc == -2)
        fail_msg("bundle_load was still blocked after %d s (expected: %s)",
                 LOAD_DEADLINE_S, reason);
    if (rc == 0)
        fail_msg("bundle accepted; expected: %s", reason);
    if (time(NULL) - t0 > 2)
        fail_msg("refusing took %lld s", (long long)(time(NULL) - t0));
    if (!strstr(err, reason))
        fail_msg("\n  got    %s\n  wanted %s", err, reason);
    if (!strstr(err, x->dir))
        fail_msg("message does not name the bundle: %s", err);
    remove_dir(x->dir);
}

static void test_refuses_fifo_manifest(void **state)
{
    struct fx x;
    make_c3(&x);
    char path[256];
    fx_path(&x, "manifest.json", path, sizeof path);
    unlink(path);
    assert_int_equal(mkfifo(path, 0644), 0);
    expect_refused_in_time(&x, "manifest.json is a FIFO (named pipe), not a regular file");
}

static void test_refuses_fifo_part(void **state)
{
    struct fx x;
    make_c3(&x);
    char path[256];
    fx_path(&x, "app.bin", path, sizeof path);
    unlink(path);
    assert_int_equal(mkfifo(path, 0644), 0);
    expect_refused_in_time(&x, "app.bin is a FIFO (named pipe), not a regular file");
}

/* The bytes are right (the manifest's SHA-256 matches the target), so only
 * the kind of file can refuse it. */
static void test_refuses_symlinked_part(void **state)
{
    struct fx x;
    make_c3(&x);
    char path[256], outside[256];
    fx_path(&x, "app.bin", path, sizeof path);
    snprintf(outside, sizeof outside, "%s-outside.bin", x.dir);
    assert_int_equal(rename(path, outside), 0);
    assert_int_equal(symlink(outside, path), 0);
    expect_refused_in_time(&x, "app.bin is a symbolic link");
    unlink(outside);
}

static void test_refuses_part_in_symlinked_folder(void **state)
{
    struct fx x;
    make_c3(&x);
    char path[256], outside[128], link[256];
    snprintf(outside, sizeof outside, "%s-outside", x.dir);
    assert_int_equal(mkdir(outside, 0755), 0);
    fx_path(&x, "app.bin", path, sizeof path);
    snprintf(link, sizeof link, "%s/app.bin", outside);
    assert_int_equal(rename(path, link), 0);
    fx_path(&x, "fw", link, sizeof link);
    assert_int_equal(symlink(outside, link), 0);
    snprintf(x.m.parts[2].file, sizeof x.m.parts[2].file, "fw/app.bin");
    fx_write_manifest(&x);
    expect_refused_in_time(&x, "fw is a symbolic link");
    remove_dir(outside);
}

static void test_refuses_part_path_with_dotdot(void **state)
{
    struct fx x;
    make_c3(&x);
    char path[256], outside[256];
    fx_path(&x, "app.bin", path, sizeof path);
    snprintf(outside, sizeof outside, "%s-app.bin", x.dir);
    assert_int_equal(rename(path, outside), 0);
    /* the manifest writer checks nothing, so it writes what a hand would */
    snprintf(x.m.parts[2].file, sizeof x.m.parts[2].file, "../%s",
             strrchr(outside, '/') + 1);
    fx_write_manifest(&x);
    expect_refused_in_time(&x, "file must be a file name inside the bundle folder");
    unlink(outside);
}

static void test_refuses_directory_as_part(void **state)
{
    struct fx x;
    make_c3(&x);
    char path[256];
    fx_path(&x, "app.bin", path, sizeof path);
    unlink(path);
    assert_int_equal(mkdir(path, 0755), 0);
    expect_refused_in_time(&x, "app.bin is a directory, not a regular file");
}

static void test_refuses_partition_table_md5_wrong(void **state)
{
    struct fx x;
    make_c3(&x);
    size_t len;
    uint8_t *pt = fx_edit(&x, 1, &len);
    pt[3 * 32 + 16] ^= 0xFF;    /* first byte of the MD5 in the EB EB record */
    fx_commit(&x, 1, pt, len);
    expect_refused(&x, "partition-table.bin (partition table at 0x8000): "
                       "partition table MD5 does not match its entries");
}

/* gen_esp32part --disable-md5sum: nothing to check, nothing to refuse. */
static void test_table_without_md5_record_loads(void **state)
{
    const struct fx_part parts[] = {
        c3_parts[0],
        {"partition/factory_two_ota_nomd5.bin", 0x8000, BUNDLE_ROLE_PARTITION_TABLE, "pt.bin"},
        {"otadata/otadata_blank.bin", 0xD000, BUNDLE_ROLE_OTADATA, "otadata.bin"},
        c3_parts[2],
    };
    struct fx x;
    fx_make(&x, "esp32c3", "dio", "80m", "4MB", parts, 4);
    struct bundle *b = expect_loads(&x);
    assert_false(b->table.has_md5);
    assert_int_equal(b->table.n, 6);
    assert_non_null(pt_find_name(&b->table, "ota_1"));
    bundle_unref(b);
    remove_dir(x.dir);
}

static void test_refuses_app_not_at_app_partition(void **state)
{
    const struct fx_part parts[] = {
        c3_parts[0], c3_parts[1],
        {"image/app_c3.bin", 0x20000, BUNDLE_ROLE_APP, "app.bin"},
    };
    struct fx x;
    fx_make(&x, "esp32c3", "dio", "80m", "4MB", parts, 3);
    expect_refused(&x, "app.bin (app) at 0x20000 is not at the start of an app "
                       "partition in the partition table");
}

static void test_refuses_nvs_role_in_phy_partition(void **state)
{
    const struct fx_part parts[] = {
        c3_parts[0], c3_parts[1], c3_parts[2],
        /* any 3 KB file will do: the partition's type is what is wrong */
        {"partition/factory_two_ota.bin", 0xF000, BUNDLE_ROLE_NVS, "nvs.bin"},
    };
    struct fx x;
    fx_make(&x, "esp32c3", "dio", "80m", "4MB", parts, 4);
    expect_refused(&x, "nvs.bin (nvs) is at 0xf000, which is partition 'phy_init', "
                       "not an nvs partition");
}

static void test_refuses_image_larger_than_partition(void **state)
{
    const struct fx_part parts[] = {
        c3_parts[0],
        {"partition/factory_two_ota.bin", 0x8000, BUNDLE_ROLE_PARTITION_TABLE, "pt.bin"},
        {"nvs/nvs_factory_0x6000.bin", 0x9000, BUNDLE_ROLE_NVS, "nvs.bin"},
        c3_parts[2],
    };
    struct fx x;
    fx_make(&x, "esp32c3", "dio", "80m", "4MB", parts, 4);
    expect_refused(&x, "nvs.bin is 24576 bytes but partition 'nvs' holds only "
                       "16384 from 0x9000");
}

static void test_refuses_missing_app_and_table(void **state)
{
    struct fx x;
    const struct fx_part no_app[] = {c3_parts[0], c3_parts[1]};
    fx_make(&x, "esp32c3", "dio", "80m", "4MB", no_app, 2);
    expect_refused(&x, "no app part");
    const struct fx_part no_table[] = {c3_parts[0], c3_parts[2]};
    fx_make(&x, "esp32c3", "dio", "80m", "4MB", no_table, 2);
    expect_refused(&x, "no partition-table part");
}

static void test_refuses_frequency_the_chip_lacks(void **state)
{
    struct fx x;
    fx_make(&x, "esp32c3", "dio", "48m", "4MB", c3_parts, N_C3);
    expect_refused(&x, "flash.freq 48m is not a flash frequency of ESP32-C3");
}

/* ---- the board boots what the bundle writes ----------------------------- */

static void make_two_ota(struct fx *x, const char *otadata, uint32_t app_at)
{
    struct fx_part parts[4] = {
        c3_parts[0],
        {"partition/factory_two_ota.bin", 0x8000, BUNDLE_ROLE_PARTITION_TABLE, "pt.bin"},
    };
    size_t n = 2;
    if (otadata)
        parts[n++] = (struct fx_part){otadata, 0xD000, BUNDLE_ROLE_OTADATA, "otadata.bin"};
    parts[n++] = (struct fx_part){"image/app_c3.bin", app_at, BUNDLE_ROLE_APP, "app.bin"};
    fx_make(x, "esp32c3", "dio", "80m", "4MB", parts, n);
}

static void test_otadata_selecting_the_app_loads(void **state)
{
    struct fx x;
    make_two_ota(&x, "otadata/otadata_ota0.bin", 0x110000);    /* ota_0 */
    struct bundle *b = expect_loads(&x);
    assert_string_equal(bundle_find_part(b, BUNDLE_ROLE_APP)->label, "ota_0");
    bundle_unref(b);
    remove_dir(x.dir);
}

static void test_refuses_otadata_selecting_a_slot_without_app(void **state)
{
    struct fx x;
    make_two_ota(&x, "otadata/otadata_ota1.bin", 0x10000);     /* factory */
    expect_refused(&x, "the board would boot partition 'ota_1' at 0x210000 "
                       "(selected by otadata.bin) but the bundle writes no app there");
    make_two_ota(&x, "otadata/otadata_blank.bin", 0x110000);   /* ota_0 only */
    expect_refused(&x, "the board would boot partition 'factory' at 0x10000 "
                       "(otadata.bin selects no OTA slot)");
}

static void test_refuses_missing_or_short_otadata(void **state)
{
    struct fx x;
    make_two_ota(&x, NULL, 0x10000);
    expect_refused(&x, "the partition table has an otadata partition at 0xd000 "
                       "but the bundle writes none");
    make_two_ota(&x, "partition/singleapp.bin", 0x10000);      /* 3 KB */
    expect_refused(&x, "otadata.bin is 3072 bytes; an otadata image is exactly 0x2000");
}

static void test_app_revision_window(void **state)
{
    struct fx x;
    make_c3(&x);
    struct bundle *b = expect_loads(&x);
    char why[256] = "";
    assert_int_equal(b->app.min_rev_full, 3);     /* elf2image --min-rev-full 3 */
    assert_int_equal(b->app.max_rev_full, 199);
    assert_true(bundle_app_fits_revision(b, 3, why, sizeof why));
    assert_true(bundle_app_fits_revision(b, 199, why, sizeof why));
    assert_false(bundle_app_fits_revision(b, 2, why, sizeof why));
    assert_non_null(strstr(why, "chip revision v0.2 is older than test 1 accepts (v0.3 or later)"));
    assert_false(bundle_app_fits_revision(b, 200, why, sizeof why));
    assert_non_null(strstr(why, "chip revision v2.0 is newer than test 1 accepts (v1.99 at most)"));
    bundle_unref(b);
    remove_dir(x.dir);
}

/* ---- manifest text ------------------------------------------------------ */

struct manifest_case {
    const char *json;
    const char *reason;
};

#define SHA "\"0000000000000000000000000000000000000000000000000000000000000000\""
#define HEAD "{\"format\":1,\"name\":\"n\",\"version\":\"1\",\"chip\":\"esp32c3\"," \
             "\"flash\":{\"mode\":\"dio\",\"freq\":\"80m\",\"size\":\"4MB\"},"

static const struct manifest_case manifest_cases[] = {
    {"[]", "the manifest is not a JSON object"},
    {"{\"format\":2}", "manifest format 2 is not supported"},
    {"{\"name\":\"x\"}", "\"format\" is missing"},
    {"{\"format\":1,\"name\":\"\",\"version\":\"1\"}", "\"name\" must be 1 to 63 characters"},
    {"{\"format\":1,\"name\":\"n\",\"version\":\"1\",\"chip\":\"esp99\"}", "\"chip\" is missing or not a known chip"},
    {"{\"format\":1,\"name\":\"n\",\"version\":\"1\",\"chip\":\"esp8266\"}", "has no ESP-IDF image format"},
    {"{\"format\":1,\"nmae\":\"n\"}", "manifest: unknown key \"nmae\""},
    {HEAD "\"parts\":[]}", "\"parts\" is missing or empty"},
    {HEAD "\"parts\":[{\"offset\":\"0x800\",\"role\":\"app\",\"file\":\"a\",\"sha256\":" SHA "}]}",
     "parts[0].offset 0x800 is not on a 4 KiB flash sector"},
    {HEAD "\"parts\":[{\"offset\":\"10000\",\"role\":\"app\",\"file\":\"a\",\"sha256\":" SHA "}]}",
     "parts[0].offset must be a hex string"},
    {HEAD "\"parts\":[{\"offset\":\"0x0\",\"role\":\"apps\",\"file\":\"a\",\"sha256\":" SHA "}]}",
     "parts[0].role must be one of"},
    {HEAD "\"parts\":[{\"offset\":\"0x0\",\"role\":\"app\",\"file\":\"../etc/passwd\",\"sha256\":" SHA "}]}",
     "parts[0].file must be a file name inside the bundle folder"},
    {HEAD "\"parts\":[{\"offset\":\"0x0\",\"role\":\"app\",\"file\":\"/abs\",\"sha256\":" SHA "}]}",
     "parts[0].file must be a file name inside the bundle folder"},
    {HEAD "\"parts\":[{\"offset\":\"0x0\",\"role\":\"app\",\"file\":\"a\",\"sha256\":\"12\"}]}",
     "parts[0].sha256 must be 64 hex digits"},
    {HEAD "\"parts\":[{\"offset\":\"0x0\",\"role\":\"app\",\"file\":\"a\",\"sha256\":" SHA ",\"x\":1}]}",
     "parts[0]: unknown key \"x\""},
    {HEAD "\"parts\":[{\"offset\":\"0x0\",\"role\":\"app\",\"file\":\"a\",\"sha256\":" SHA "},"
     "{\"offset\":0,\"role\":\"data\",\"file\":\"b\",\"sha256\":" SHA "}]}",
     "parts[0] and parts[1] both start at 0x0"},
    {HEAD "\"parts\":[{\"offset\":\"0x0\",\"role\":\"app\",\"file\":\"a\",\"sha256\":" SHA "},"
     "{\"offset\":\"0x1000\",\"role\":\"data\",\"file\":\"a\",\"sha256\":" SHA "}]}",
     "parts[0] and parts[1] both use file \"a\""},
    {"{\"format\":1,\"name\":\"n\",\"version\":\"1\",\"chip\":\"esp32c3\",\"flash\":"
     "{\"mode\":\"fast\",\"freq\":\"80m\",\"size\":\"4MB\"}}", "flash.mode must be"},
    {"{\"format\":1,\"name\":\"n\",\"version\":\"1\",\"chip\":\"esp32c3\",\"flash\":"
     "{\"mode\":\"dio\",\"freq\":\"80\",\"size\":\"4MB\"}}", "flash.freq must be"},
    {"{\"format\":1,\"name\":\"n\",\"version\":\"1\",\"chip\":\"esp32c3\",\"flash\":"
     "{\"mode\":\"dio\",\"freq\":\"80m\",\"size\":\"3MB\"}}", "flash.size must be"},
};

static void test_manifest_mistakes_are_named(void **state)
{
    for (size_t i = 0; i < sizeof manifest_cases / sizeof manifest_cases[0]; i++) {
        struct bundle_manifest m;
        char err[512] = "";
        const char *j = manifest_cases[i].json;
        if (!bundle_manifest_parse(j, strlen(j), &m, err, sizeof err))
            fail_msg("case %zu accepted: %s", i, j);
        if (!strstr(err, manifest_cases[i].reason))
            fail_msg("case %zu:\n  got    %s\n  wanted %s", i, err,
                     manifest_cases[i].reason);
    }
}

static void test_manifest_round_trips(void **state)
{
    static const char json[] = HEAD "\"comment\":\"hand made\",\"parts\":["
        "{\"offset\":\"0x10000\",\"role\":\"app\",\"file\":\"fw/app.bin\",\"sha256\":"
        "\"00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF\"},"
        "{\"offset\":36864,\"role\":\"nvs\",\"file\":\"nvs.bin\",\"sha256\":" SHA "}]}";
    struct bundle_manifest m, again;
    char err[256];
    assert_int_equal(bundle_manifest_parse(json, strlen(json), &m, err, sizeof err), 0);
    assert_int_equal(m.n_parts, 2);
    assert_int_equal(m.parts[0].offset, 0x10000);
    assert_int_equal(m.parts[1].offset, 0x9000);     /* number form accepted */
    assert_int_equal(m.parts[1].role, BUNDLE_ROLE_NVS);
    assert_int_equal(m.parts[0].sha256[15], 0xFF);
    assert_int_equal(m.flash.freq_mhz, 80);
    assert_int_equal(m.flash.size, 4u << 20);
    char *text = bundle_manifest_format(&m);
    assert_non_null(strstr(text, "\"offset\":\t\"0x9000\""));
    assert_int_equal(bundle_manifest_parse(text, strlen(text), &again, err, sizeof err), 0);
    assert_memory_equal(&m, &again, sizeof m);
    free(text);
}

/* The newer chips, however a build or a person spells them, are found and
 * written back in the table's lower-case form (docs/bundle.md). */
static void test_manifest_names_the_newer_chips(void **state)
{
    const struct {
        const char *typed, *written;
        enum chip_kind kind;
    } cases[] = {
        {"esp32c5", "esp32c5", CHIP_ESP32C5},
        {"ESP32-P4", "esp32p4", CHIP_ESP32P4},
        {"esp32-c61", "esp32c61", CHIP_ESP32C61},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char json[512], want[64], err[256];
        snprintf(json, sizeof json, "{\"format\":1,\"name\":\"n\",\"version\":\"1\","
                 "\"chip\":\"%s\",\"flash\":{\"mode\":\"dio\",\"freq\":\"40m\","
                 "\"size\":\"4MB\"},\"parts\":[{\"offset\":\"0x10000\",\"role\":\"app\","
                 "\"file\":\"a\",\"sha256\":" SHA "}]}", cases[i].typed);
        struct bundle_manifest m;
        assert_int_equal(bundle_manifest_parse(json, strlen(json), &m, err, sizeof err), 0);
        assert_int_equal(m.chip->kind, cases[i].kind);
        char *text = bundle_manifest_format(&m);
        snprintf(want, sizeof want, "\"chip\":\t\"%s\"", cases[i].written);
        assert_non_null(strstr(text, want));
        free(text);
    }
}

/* ---- compression -------------------------------------------------------- */

static void test_compressed_parts_inflate_to_the_originals(void **state)
{
    struct fx x;
    make_c3(&x);
    struct bundle *b = expect_loads(&x);
    char err[256];
    assert_int_equal(bundle_compress(b, err, sizeof err), 0);
    assert_true(b->compressed);
    for (size_t i = 0; i < b->n_parts; i++) {
        const struct loader_region *r = &b->parts[i].region;
        assert_non_null(r->zdata);
        uLongf out_len = (uLongf)r->size;
        uint8_t *out = malloc(r->size);
        assert_int_equal(uncompress(out, &out_len, r->zdata, (uLong)r->zsize), Z_OK);
        assert_int_equal(out_len, r->size);
        assert_memory_equal(out, r->data, r->size);
        free(out);
    }
    /* the app's 0xFE40-byte padding segment makes it very compressible */
    const struct bundle_part *app = bundle_find_part(b, BUNDLE_ROLE_APP);
    assert_true(app->region.zsize < app->region.size / 4);
    assert_true(b->total_zsize < b->total_size);
    bundle_unref(b);
    remove_dir(x.dir);
}

/* ---- description for the API ------------------------------------------ */

static void test_describe_names_the_exact_firmware(void **state)
{
    struct fx x;
    make_c3(&x);
    struct bundle *b = expect_loads(&x);
    char err[256], path[256];
    assert_int_equal(bundle_compress(b, err, sizeof err), 0);

    size_t len;
    fx_path(&x, "manifest.json", path, sizeof path);
    uint8_t *manifest = read_all(path, &len);
    uint8_t sum[32];
    char hex[65];
    sha256_once(manifest, len, sum);
    for (int i = 0; i < 32; i++)
        sprintf(hex + 2 * i, "%02x", sum[i]);
    free(manifest);
    assert_string_equal(b->id, hex);

    char *text = bundle_describe_json(b);
    cJSON *o = cJSON_Parse(text);
    assert_non_null(o);
    assert_string_equal(cJSON_GetObjectItem(o, "id")->valuestring, hex);
    assert_string_equal(cJSON_GetObjectItem(o, "chip")->valuestring, "ESP32-C3");
    const cJSON *app = cJSON_GetObjectItem(o, "app");
    assert_string_equal(cJSON_GetObjectItem(app, "version")->valuestring, "1.4.2-golden");
    const cJSON *parts = cJSON_GetObjectItem(o, "parts");
    assert_int_equal(cJSON_GetArraySize(parts), 3);
    const cJSON *p2 = cJSON_GetArrayItem(parts, 2);
    assert_int_equal(cJSON_GetObjectItem(p2, "offset")->valuedouble, 0x10000);
    assert_string_equal(cJSON_GetObjectItem(p2, "partition")->valuestring, "factory");
    assert_int_equal(cJSON_GetObjectItem(p2, "size")->valuedouble, 65680);
    assert_int_equal(cJSON_GetObjectItem(p2, "compressed_size")->valuedouble,
                     b->parts[2].region.zsize);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(parts, 0),
                                                 "header_patched")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "partitions")), 3);
    cJSON_Delete(o);
    free(text);
    bundle_unref(b);
    remove_dir(x.dir);
}

/* ---- loading on a worker and swapping ---------------------------------- */

struct station_fake {
    struct bundle *active;
    int calls;
    char last_err[1024];
};

static void on_ready(struct bundle *b, const char *err, void *arg)
{
    struct station_fake *st = arg;
    st->calls++;
    if (!b) {
        snprintf(st->last_err, sizeof st->last_err, "%s", err);
        return;
    }
    bundle_swap(&st->active, b);
}

static void run_load(uv_loop_t *loop, const char *dir, struct station_fake *st)
{
    assert_int_equal(bundle_load_async(loop, dir, on_ready, st), 0);
    assert_int_equal(uv_run(loop, UV_RUN_DEFAULT), 0);
}

static void test_swap_keeps_the_old_bundle_on_failure(void **state)
{
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    struct station_fake st = {0};
    struct fx good, bad, newer;
    make_c3(&good);

    run_load(&loop, good.dir, &st);
    assert_int_equal(st.calls, 1);
    assert_non_null(st.active);
    assert_true(st.active->compressed);     /* compressed on the worker */
    struct bundle *first = st.active;

    /* a slot is flashing a board with the first bundle */
    struct bundle *in_use = bundle_ref(st.active);

    make_c3(&bad);
    char path[256];
    fx_path(&bad, "app.bin", path, sizeof path);
    unlink(path);
    run_load(&loop, bad.dir, &st);
    assert_int_equal(st.calls, 2);
    assert_ptr_equal(st.active, first);     /* untouched */
    assert_non_null(strstr(st.last_err, "app.bin: cannot open"));

    fx_make(&newer, "esp32c3", "dout", "40m", "4MB", c3_parts, N_C3);
    run_load(&loop, newer.dir, &st);
    assert_int_equal(st.calls, 3);
    assert_ptr_not_equal(st.active, first);
    assert_int_equal(st.active->flash_mode, BUNDLE_MODE_DOUT);

    /* the slot still reads the first bundle's bytes until it lets go */
    const struct bundle_part *app = bundle_find_part(in_use, BUNDLE_ROLE_APP);
    assert_int_equal(app->region.data[0], 0xE9);
    assert_int_equal(atomic_load(&in_use->refs), 1);
    bundle_unref(in_use);   /* last user: freed here (ASan would see a leak) */

    bundle_swap(&st.active, NULL);
    assert_int_equal(uv_loop_close(&loop), 0);
    remove_dir(good.dir);
    remove_dir(bad.dir);
    remove_dir(newer.dir);
}

/* ---- import ------------------------------------------------------------- */

static void copy_vector(const char *vector, const char *to)
{
    size_t len;
    char from[256];
    snprintf(from, sizeof from, VEC "%s", vector);
    uint8_t *d = read_all(from, &len);
    write_all(to, d, len);
    free(d);
}

/* A build folder shaped like ESP-IDF's: files in subfolders, flash_files
 * not sorted, offsets and "encrypted" as strings. The images stand in for a
 * real build's (fake_idf_build). */
static void make_fake_idf_build_extra(char *dir, const char *chip,
                                      const char *encrypted, const char *extra);

static void make_fake_idf_build(char *dir, const char *chip, const char *encrypted)
{
    make_fake_idf_build_extra(dir, chip, encrypted, "");
}

/* `extra` is more flash_files entries, e.g. ", \"0xf000\": \"phy/x.bin\"" */
static void make_fake_idf_build_extra(char *dir, const char *chip,
                                      const char *encrypted, const char *extra)
{
    snprintf(dir, 64, "/tmp/jigd_fake_idf_build_XXXXXX");
    assert_non_null(mkdtemp(dir));
    char p[256];
    snprintf(p, sizeof p, "%s/bootloader", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/partition_table", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/bootloader/bootloader.bin", dir);
    copy_vector("image/boot_c3.bin", p);
    snprintf(p, sizeof p, "%s/partition_table/partition-table.bin", dir);
    copy_vector("partition/singleapp.bin", p);
    snprintf(p, sizeof p, "%s/jigd_factory_app.bin", dir);
    copy_vector("image/app_c3.bin", p);
    char json[2048];
    snprintf(json, sizeof json,
        "{\n"
        "  \"write_flash_args\": [\"--flash-mode\", \"dio\", \"--flash-size\", \"4MB\", \"--flash-freq\", \"80m\"],\n"
        "  \"flash_settings\": {\"flash_mode\": \"dio\", \"flash_size\": \"4MB\", \"flash_freq\": \"80m\"},\n"
        "  \"flash_files\": {\"0x10000\": \"jigd_factory_app.bin\", \"0x0\": \"bootloader/bootloader.bin\",\n"
        "                    \"0x8000\": \"partition_table/partition-table.bin\"%s},\n"
        "  \"bootloader\": {\"offset\": \"0x0\", \"file\": \"bootloader/bootloader.bin\", \"encrypted\": \"false\"},\n"
        "  \"app\": {\"offset\": \"0x10000\", \"file\": \"jigd_factory_app.bin\", \"encrypted\": \"%s\"},\n"
        "  \"partition-table\": {\"offset\": \"0x8000\", \"file\": \"partition_table/partition-table.bin\", \"encrypted\": \"false\"},\n"
        "  \"extra_esptool_args\": {\"after\": \"hard-reset\", \"before\": \"default-reset\", \"stub\": true, \"chip\": \"%s\"}\n"
        "}\n", extra, encrypted, chip);
    snprintf(p, sizeof p, "%s/flasher_args.json", dir);
    write_all(p, json, strlen(json));
}

static bool dir_has_leftovers(const char *parent, const char *prefix)
{
    DIR *d = opendir(parent);
    struct dirent *e;
    bool found = false;
    while (d && (e = readdir(d)))
        found |= !strncmp(e->d_name, prefix, strlen(prefix));
    if (d)
        closedir(d);
    return found;
}

static void test_import_from_idf_build(void **state)
{
    char build[64], out[128], err[1024];
    make_fake_idf_build(build, "esp32c3", "false");
    snprintf(out, sizeof out, "%s/bundles", build);
    mkdir(out, 0755);
    snprintf(out, sizeof out, "%s/bundles/acme-1.4.2", build);
    if (bundle_import(build, out, err, sizeof err))
        fail_msg("%s", err);

    struct bundle *b;
    if (bundle_load(out, &b, err, sizeof err))
        fail_msg("%s", err);
    assert_string_equal(b->name, "jigd_factory_app");
    assert_string_equal(b->version, "1.4.2-golden");
    assert_ptr_equal(b->chip, chip_by_kind(CHIP_ESP32C3));
    assert_int_equal(b->n_parts, 3);
    assert_string_equal(b->parts[0].file, "bootloader.bin");
    assert_int_equal(b->parts[0].role, BUNDLE_ROLE_BOOTLOADER);
    assert_string_equal(b->parts[1].file, "partition-table.bin");
    assert_int_equal(b->parts[1].role, BUNDLE_ROLE_PARTITION_TABLE);
    assert_string_equal(b->parts[2].file, "jigd_factory_app.bin");
    assert_int_equal(b->parts[2].role, BUNDLE_ROLE_APP);
    assert_int_equal(b->flash_size, 4u << 20);
    bundle_unref(b);

    /* never over an existing bundle */
    assert_int_equal(bundle_import(build, out, err, sizeof err), -1);
    assert_non_null(strstr(err, "already exists"));
    remove_dir(build);
}

static void test_import_keeps_same_named_files_apart(void **state)
{
    char build[64], out[128], err[1024], p[256];
    make_fake_idf_build_extra(build, "esp32c3", "false",
                              ", \"0xf000\": \"phy/bootloader.bin\"");
    snprintf(p, sizeof p, "%s/phy", build);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/phy/bootloader.bin", build);
    copy_vector("partition/singleapp.bin", p);      /* any 3 KB stands in */
    snprintf(out, sizeof out, "%s/out", build);
    if (bundle_import(build, out, err, sizeof err))
        fail_msg("%s", err);
    struct bundle *b;
    if (bundle_load(out, &b, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(b->n_parts, 4);
    const struct bundle_part *phy = &b->parts[2];
    assert_int_equal(phy->region.offset, 0xF000);
    assert_int_equal(phy->role, BUNDLE_ROLE_DATA);  /* no named object: data */
    assert_string_equal(phy->file, "0xf000-bootloader.bin");
    assert_string_equal(phy->label, "phy_init");
    assert_string_equal(b->parts[0].file, "bootloader.bin");
    bundle_unref(b);
    remove_dir(build);
}

static void test_failed_import_leaves_nothing(void **state)
{
    char build[64], out[128], err[1024];
    make_fake_idf_build(build, "esp32s3", "false");    /* images are C3 */
    snprintf(out, sizeof out, "%s/new-bundle", build);
    assert_int_equal(bundle_import(build, out, err, sizeof err), -1);
    assert_non_null(strstr(err, "does not make a valid bundle"));
    assert_non_null(strstr(err, "but the bundle is for ESP32-S3"));
    struct stat st;
    assert_int_equal(lstat(out, &st), -1);
    assert_false(dir_has_leftovers(build, "new-bundle"));
    remove_dir(build);

    make_fake_idf_build(build, "esp32c3", "true");
    snprintf(out, sizeof out, "%s/new-bundle", build);
    assert_int_equal(bundle_import(build, out, err, sizeof err), -1);
    assert_non_null(strstr(err, "flagged encrypted"));
    assert_false(dir_has_leftovers(build, "new-bundle"));
    remove_dir(build);

    assert_int_equal(bundle_import("/nonexistent-build", "/tmp/never", err, sizeof err), -1);
    assert_non_null(strstr(err, "flasher_args.json: cannot open"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_c3_bundle_loads),
        cmocka_unit_test(test_bootloader_patch_matches_esptool_c3),
        cmocka_unit_test(test_esp32_bundle_patch_matches_esptool),
        cmocka_unit_test(test_keep_leaves_bootloader_as_built),
        cmocka_unit_test(test_nvs_and_otadata_in_their_partitions_load),
        cmocka_unit_test(test_refuses_bad_image_checksum),
        cmocka_unit_test(test_refuses_wrong_chip_id),
        cmocka_unit_test(test_refuses_sha256_mismatch),
        cmocka_unit_test(test_refuses_overlap),
        cmocka_unit_test(test_refuses_part_outside_flash),
        cmocka_unit_test(test_refuses_partition_outside_flash),
        cmocka_unit_test(test_refuses_missing_bootloader),
        cmocka_unit_test(test_refuses_bootloader_at_wrong_offset),
        cmocka_unit_test(test_refuses_missing_file),
        cmocka_unit_test(test_refuses_bad_manifest_json),
        cmocka_unit_test(test_refuses_missing_manifest),
        cmocka_unit_test(test_refuses_fifo_manifest),
        cmocka_unit_test(test_refuses_fifo_part),
        cmocka_unit_test(test_refuses_symlinked_part),
        cmocka_unit_test(test_refuses_part_in_symlinked_folder),
        cmocka_unit_test(test_refuses_part_path_with_dotdot),
        cmocka_unit_test(test_refuses_directory_as_part),
        cmocka_unit_test(test_refuses_partition_table_md5_wrong),
        cmocka_unit_test(test_table_without_md5_record_loads),
        cmocka_unit_test(test_refuses_app_not_at_app_partition),
        cmocka_unit_test(test_refuses_nvs_role_in_phy_partition),
        cmocka_unit_test(test_refuses_image_larger_than_partition),
        cmocka_unit_test(test_refuses_missing_app_and_table),
        cmocka_unit_test(test_refuses_frequency_the_chip_lacks),
        cmocka_unit_test(test_otadata_selecting_the_app_loads),
        cmocka_unit_test(test_refuses_otadata_selecting_a_slot_without_app),
        cmocka_unit_test(test_refuses_missing_or_short_otadata),
        cmocka_unit_test(test_app_revision_window),
        cmocka_unit_test(test_manifest_mistakes_are_named),
        cmocka_unit_test(test_manifest_round_trips),
        cmocka_unit_test(test_manifest_names_the_newer_chips),
        cmocka_unit_test(test_compressed_parts_inflate_to_the_originals),
        cmocka_unit_test(test_describe_names_the_exact_firmware),
        cmocka_unit_test(test_swap_keeps_the_old_bundle_on_failure),
        cmocka_unit_test(test_import_from_idf_build),
        cmocka_unit_test(test_import_keeps_same_named_files_apart),
        cmocka_unit_test(test_failed_import_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
