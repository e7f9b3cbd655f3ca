/* `jigctl bundle import`: an ESP-IDF build folder becomes a bundle.
 *
 * The build's flasher_args.json (formats.md §7.1) lists what `idf.py flash`
 * writes: flash_files (offset -> path) plus one named object per image that
 * says what it is. The bundle is assembled in a scratch folder beside the
 * destination, proven with bundle_load, and only then renamed into place,
 * so an import that fails half-way leaves nothing that looks like a bundle. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bundle_internal.h"
#include "mbedtls_compat.h"

#define FLASHER_ARGS "flasher_args.json"

struct import_src {
    char path[BUNDLE_MAX_PARTS][1024];  /* relative to the build folder */
};

/* Offsets and the encrypted flag are strings in flasher_args.json. */
static int hex_offset(const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 16);
    if (errno || end == s || *end || v > 0xFFFFFFFFull || strncasecmp(s, "0x", 2))
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/* The named objects say what each offset holds; anything unnamed is data. */
static enum bundle_role role_at(const cJSON *root, uint32_t offset, bool *encrypted)
{
    static const struct { const char *key; enum bundle_role role; } named[] = {
        {"bootloader", BUNDLE_ROLE_BOOTLOADER},
        {"partition-table", BUNDLE_ROLE_PARTITION_TABLE},
        {"app", BUNDLE_ROLE_APP},
        {"otadata", BUNDLE_ROLE_OTADATA},
        {"nvs", BUNDLE_ROLE_NVS},
    };
    *encrypted = false;
    for (const cJSON *it = root->child; it; it = it->next) {
        const cJSON *off = cJSON_GetObjectItemCaseSensitive(it, "offset");
        uint32_t o;
        if (!cJSON_IsObject(it) || !cJSON_IsString(off) || hex_offset(off->valuestring, &o) ||
            o != offset)
            continue;
        const cJSON *enc = cJSON_GetObjectItemCaseSensitive(it, "encrypted");
        *encrypted = cJSON_IsTrue(enc) ||
                     (cJSON_IsString(enc) && !strcmp(enc->valuestring, "true"));
        for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
            if (!strcmp(it->string, named[i].key))
                return named[i].role;
        return BUNDLE_ROLE_DATA;
    }
    return BUNDLE_ROLE_DATA;
}

static int read_settings(const cJSON *root, struct bundle_manifest *m, char *err,
                         size_t errlen)
{
    const cJSON *fs = cJSON_GetObjectItemCaseSensitive(root, "flash_settings");
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(fs, "flash_mode");
    const cJSON *freq = cJSON_GetObjectItemCaseSensitive(fs, "flash_freq");
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(fs, "flash_size");
    if (!cJSON_IsString(mode) || bundle_flash_mode_parse(mode->valuestring, &m->flash.mode) ||
        !cJSON_IsString(freq) || bundle_flash_freq_parse(freq->valuestring, &m->flash.freq_mhz) ||
        !cJSON_IsString(size) || bundle_flash_size_parse(size->valuestring, &m->flash.size)) {
        snprintf(err, errlen, "flash_settings needs flash_mode, flash_freq and "
                 "flash_size strings like \"dio\", \"80m\", \"4MB\"");
        return -1;
    }
    const cJSON *extra = cJSON_GetObjectItemCaseSensitive(root, "extra_esptool_args");
    const cJSON *chip = cJSON_GetObjectItemCaseSensitive(extra, "chip");
    m->chip = cJSON_IsString(chip) ? chip_by_name(chip->valuestring) : NULL;
    if (!m->chip || m->chip->image_chip_id < 0) {
        snprintf(err, errlen, "extra_esptool_args.chip is missing or not a chip "
                 "jigd flashes (e.g. \"esp32c3\")");
        return -1;
    }
    return 0;
}

/* flasher_args.json paths are relative to the build folder; one that
 * climbs out of it (or starts at /) could name any file on the station, a
 * CA key included, and it would be flashed onto every board. */
static bool inside_build(const char *path)
{
    if (path[0] == '/')
        return false;
    for (const char *c = path;;) {
        const char *slash = strchr(c, '/');
        size_t n = slash ? (size_t)(slash - c) : strlen(c);
        if (n == 2 && c[0] == '.' && c[1] == '.')
            return false;
        if (!slash)
            return true;
        c = slash + 1;
    }
}

static int read_files(const cJSON *root, struct bundle_manifest *m,
                      struct import_src *src, char *err, size_t errlen)
{
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(root, "flash_files");
    if (!cJSON_IsObject(files) || !files->child) {
        snprintf(err, errlen, "flash_files is missing or empty");
        return -1;
    }
    m->n_parts = 0;
    for (const cJSON *it = files->child; it; it = it->next) {
        if (m->n_parts == BUNDLE_MAX_PARTS) {
            snprintf(err, errlen, "more than %d flash_files", BUNDLE_MAX_PARTS);
            return -1;
        }
        struct manifest_part *p = &m->parts[m->n_parts];
        if (hex_offset(it->string, &p->offset) || !cJSON_IsString(it) ||
            !it->valuestring[0] || strlen(it->valuestring) >= sizeof src->path[0]) {
            snprintf(err, errlen, "flash_files entry \"%s\" is not \"0xOFFSET\": "
                     "\"path\"", it->string);
            return -1;
        }
        if (!inside_build(it->valuestring)) {
            snprintf(err, errlen, "flash_files entry %s: \"%.200s\" is outside the build "
                     "folder; a bundle takes only files the build made", it->string,
                     it->valuestring);
            return -1;
        }
        bool encrypted;
        p->role = role_at(root, p->offset, &encrypted);
        if (encrypted) {
            snprintf(err, errlen, "%s is flagged encrypted (flash encryption "
                     "development mode); jigd flashes plain images only",
                     it->valuestring);
            return -1;
        }
        snprintf(src->path[m->n_parts], sizeof src->path[0], "%s", it->valuestring);
        m->n_parts++;
    }
    return 0;
}

/* Bundle files are flat: the base name, made unique with the offset when
 * two build files share one (bootloader/x.bin and x.bin). */
static int name_parts(struct bundle_manifest *m, const struct import_src *src,
                      char *err, size_t errlen)
{
    for (size_t i = 0; i < m->n_parts; i++) {
        const char *slash = strrchr(src->path[i], '/');
        const char *base = slash ? slash + 1 : src->path[i];
        char *name = m->parts[i].file;
        size_t cap = sizeof m->parts[i].file;
        if (strlen(base) + 12 >= cap || !bundle_file_name_ok(base)) {
            snprintf(err, errlen, "file name \"%.60s\" is too long or unusual "
                     "for a bundle; rename it in the build", base);
            return -1;
        }
        memcpy(name, base, strlen(base) + 1);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(m->parts[j].file, name))
                snprintf(name, cap, "0x%x-%.*s", m->parts[i].offset,
                         (int)(cap - 12), base);
    }
    return 0;
}

static int parse_flasher_args(const char *build_dir, struct bundle_manifest *m,
                              struct import_src *src, char *err, size_t errlen)
{
    char path[4096], why[400];
    snprintf(path, sizeof path, "%s/%s", build_dir, FLASHER_ARGS);
    size_t len;
    uint8_t *text = bundle_read_file(path, path, BUNDLE_MAX_MANIFEST, &len, why,
                                     sizeof why);
    if (!text) {
        snprintf(err, errlen, "%s; is %s an ESP-IDF build folder (after idf.py "
                 "build)?", why, build_dir);
        return -1;
    }
    cJSON *root = cJSON_ParseWithLength((const char *)text, len);
    free(text);
    int rc = -1;
    if (!cJSON_IsObject(root))
        snprintf(why, sizeof why, "not valid JSON");
    else if (!read_settings(root, m, why, sizeof why) &&
             !read_files(root, m, src, why, sizeof why))
        rc = 0;
    cJSON_Delete(root);
    if (!rc)
        rc = name_parts(m, src, why, sizeof why);
    if (rc)
        snprintf(err, errlen, "%s: %s", path, why);
    return rc;
}

/* ---- writing the bundle folder ----------------------------------------- */

static int write_file(const char *path, const void *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    if (bundle_write_all(fd, data, n) < 0) {
        close(fd);
        return -1;
    }
    /* The bundle must survive a power cut right after the import. */
    int rc = fsync(fd);
    return close(fd) | rc;
}

static int copy_parts(const char *build_dir, const char *tmp,
                      struct bundle_manifest *m, const struct import_src *src,
                      char *err, size_t errlen)
{
    for (size_t i = 0; i < m->n_parts; i++) {
        char to[4096 + BUNDLE_FILE_MAX + 1], why[1200];
        size_t len;
        uint8_t *data = bundle_read_beneath(build_dir, src->path[i], BUNDLE_MAX_FLASH,
                                            &len, why, sizeof why);
        if (!data) {
            snprintf(err, errlen, "%s: %s (listed in %s)", build_dir, why, FLASHER_ARGS);
            return -1;
        }
        sha256_once(data, len, m->parts[i].sha256);
        int n = snprintf(to, sizeof to, "%s/%s", tmp, m->parts[i].file);
        if (n < 0 || (size_t)n >= sizeof to) {
            free(data);
            snprintf(err, errlen, "cannot write %s into %s: the path is too long",
                     m->parts[i].file, tmp);
            return -1;
        }
        int rc = write_file(to, data, len);
        free(data);
        if (rc) {
            snprintf(err, errlen, "cannot write %s: %s", to, strerror(errno));
            return -1;
        }
    }
    return 0;
}

static int write_manifest(const char *dir, const struct bundle_manifest *m,
                          bool replace, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, BUNDLE_MANIFEST_NAME);
    char *text = bundle_manifest_format(m);
    if (!text) {
        snprintf(err, errlen, "out of memory writing the manifest");
        return -1;
    }
    if (replace)
        unlink(path);
    size_t n = strlen(text);
    text[n] = '\n';     /* cJSON_Print leaves room only for the NUL: add it back */
    int rc = write_file(path, text, n + 1);
    free(text);
    if (rc)
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    return rc;
}

/* Name and version for the manifest: the app's own descriptor, which is
 * what the factory app will report at boot. */
static void name_from_app(struct bundle_manifest *m, const struct bundle *b)
{
    if (b->app.present && b->app.project_name[0])
        snprintf(m->name, sizeof m->name, "%s", b->app.project_name);
    if (b->app.present && b->app.version[0])
        snprintf(m->version, sizeof m->version, "%s", b->app.version);
}

static int assemble(const char *build_dir, const char *tmp, const char *out_dir,
                    struct bundle_manifest *m, const struct import_src *src,
                    char *err, size_t errlen)
{
    snprintf(m->name, sizeof m->name, "unnamed");
    snprintf(m->version, sizeof m->version, "0");
    m->format = BUNDLE_FORMAT;
    if (copy_parts(build_dir, tmp, m, src, err, errlen) ||
        write_manifest(tmp, m, false, err, errlen))
        return -1;
    struct bundle *b;
    char why[600];
    if (bundle_load(tmp, &b, why, sizeof why)) {
        snprintf(err, errlen, "the build does not make a valid bundle: %s", why);
        return -1;
    }
    name_from_app(m, b);
    bundle_unref(b);
    if (write_manifest(tmp, m, true, err, errlen))
        return -1;
    if (rename(tmp, out_dir)) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, out_dir,
                 strerror(errno));
        return -1;
    }
    return 0;
}

int bundle_import(const char *build_dir, const char *out_dir, char *err,
                  size_t errlen)
{
    struct stat st;
    if (!lstat(out_dir, &st)) {
        snprintf(err, errlen, "%s already exists; give the new bundle another "
                 "folder name (e.g. with its version)", out_dir);
        return -1;
    }
    struct bundle_manifest *m = calloc(1, sizeof *m);
    struct import_src *src = calloc(1, sizeof *src);
    char tmp[4096];
    int rc = -1;
    if (!m || !src) {
        snprintf(err, errlen, "out of memory");
    } else if (!parse_flasher_args(build_dir, m, src, err, errlen)) {
        snprintf(tmp, sizeof tmp, "%s.importing-XXXXXX", out_dir);
        if (!mkdtemp(tmp)) {
            snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        } else {
            chmod(tmp, 0755);   /* mkdtemp makes it private */
            rc = assemble(build_dir, tmp, out_dir, m, src, err, errlen);
            if (rc)
                bundle_remove_tree(tmp);
        }
    }
    free(m);
    free(src);
    return rc;
}
