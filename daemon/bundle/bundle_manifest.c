/* manifest.json reader and writer. Every complaint names the JSON path of
 * the offending value, because whoever reads it is looking at the file. */
#include "bundle_manifest.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "hex.h"

static const char *const role_names[] = {
    [BUNDLE_ROLE_BOOTLOADER] = "bootloader",
    [BUNDLE_ROLE_PARTITION_TABLE] = "partition-table",
    [BUNDLE_ROLE_APP] = "app",
    [BUNDLE_ROLE_OTADATA] = "otadata",
    [BUNDLE_ROLE_NVS] = "nvs",
    [BUNDLE_ROLE_DATA] = "data",
};

#define N_ROLES (sizeof role_names / sizeof role_names[0])

const char *bundle_role_name(enum bundle_role r)
{
    return (unsigned)r < N_ROLES ? role_names[r] : "?";
}

int bundle_role_from_name(const char *s)
{
    for (size_t i = 0; i < N_ROLES; i++)
        if (!strcmp(s, role_names[i]))
            return (int)i;
    return -1;
}

static const char *const mode_names[] = {"qio", "qout", "dio", "dout"};

const char *bundle_flash_mode_name(int mode)
{
    return mode >= 0 && mode < 4 ? mode_names[mode] : "keep";
}

int bundle_flash_mode_parse(const char *s, int *mode)
{
    if (!strcmp(s, "keep")) {
        *mode = BUNDLE_KEEP;
        return 0;
    }
    for (int i = 0; i < 4; i++) {
        if (!strcasecmp(s, mode_names[i])) {
            *mode = i;
            return 0;
        }
    }
    return -1;
}

/* "80m" as esptool spells it; which ones a chip takes is checked at load. */
int bundle_flash_freq_parse(const char *s, int *freq_mhz)
{
    if (!strcmp(s, "keep")) {
        *freq_mhz = BUNDLE_KEEP;
        return 0;
    }
    int n = 0, used = 0;
    if (sscanf(s, "%3d%n", &n, &used) != 1 || used < 1 || strcasecmp(s + used, "m"))
        return -1;
    if (n < 10 || n > 120)
        return -1;
    *freq_mhz = n;
    return 0;
}

/* "4MB" (1MB .. 128MB, powers of two), "keep"; "detect" is treated as keep
 * because a bundle cannot know the board's flash: the bootloader's own
 * header value stands. */
int bundle_flash_size_parse(const char *s, uint32_t *size)
{
    if (!strcmp(s, "keep") || !strcmp(s, "detect")) {
        *size = 0;
        return 0;
    }
    for (uint32_t mb = 1; mb <= 128; mb *= 2) {
        char name[8];
        snprintf(name, sizeof name, "%uMB", mb);
        if (!strcasecmp(s, name)) {
            *size = mb << 20;
            return 0;
        }
    }
    return -1;
}

bool bundle_file_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= BUNDLE_FILE_MAX || name[0] == '/')
        return false;
    const char *component = name;
    for (const char *s = name;; s++) {
        if (*s == '/' || *s == '\0') {
            /* no "", ".", "..", ".hidden" components */
            if (s == component || *component == '.')
                return false;
            if (*s == '\0')
                return true;
            component = s + 1;
        } else if (!isgraph((unsigned char)*s) || *s == '\\') {
            return false;
        }
    }
}

/* ---- reading ----------------------------------------------------------- */

struct reader {
    char *err;
    size_t errlen;
};

static int fail(struct reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(struct reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, r->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int check_keys(struct reader *r, const cJSON *obj, const char *where,
                      const char *const *known)
{
    for (const cJSON *it = obj->child; it; it = it->next) {
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++)
            ok = !strcmp(it->string, *k);
        if (!ok)
            return fail(r, "%s: unknown key \"%s\"", where, it->string);
    }
    return 0;
}

static int get_label(struct reader *r, const cJSON *obj, const char *key,
                     char *out, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsString(v))
        return fail(r, "\"%s\" is missing or not a string", key);
    size_t n = strlen(v->valuestring);
    if (n == 0 || n >= cap)
        return fail(r, "\"%s\" must be 1 to %zu characters", key, cap - 1);
    for (const char *s = v->valuestring; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return fail(r, "\"%s\" holds a control character", key);
    memcpy(out, v->valuestring, n + 1);
    return 0;
}

static int read_flash(struct reader *r, const cJSON *root, struct bundle_flash *f)
{
    static const char *const known[] = {"mode", "freq", "size", NULL};
    const cJSON *flash = cJSON_GetObjectItemCaseSensitive(root, "flash");
    if (!cJSON_IsObject(flash))
        return fail(r, "\"flash\" is missing or not an object like "
                    "{\"mode\": \"dio\", \"freq\": \"80m\", \"size\": \"4MB\"}");
    if (check_keys(r, flash, "flash", known))
        return -1;
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(flash, "mode");
    const cJSON *freq = cJSON_GetObjectItemCaseSensitive(flash, "freq");
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(flash, "size");
    if (!cJSON_IsString(mode) || bundle_flash_mode_parse(mode->valuestring, &f->mode))
        return fail(r, "flash.mode must be \"qio\", \"qout\", \"dio\", \"dout\" or \"keep\"");
    if (!cJSON_IsString(freq) || bundle_flash_freq_parse(freq->valuestring, &f->freq_mhz))
        return fail(r, "flash.freq must be like \"80m\", \"40m\" or \"keep\"");
    if (!cJSON_IsString(size) || bundle_flash_size_parse(size->valuestring, &f->size))
        return fail(r, "flash.size must be \"1MB\" ... \"128MB\" or \"keep\"");
    return 0;
}

/* "0x10000" (canonical) or a plain JSON number. */
static int read_offset(const cJSON *v, uint32_t *out)
{
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d < 0 || d > 0xFFFFFFFFu || d != (double)(uint32_t)d)
            return -1;
        *out = (uint32_t)d;
        return 0;
    }
    if (!cJSON_IsString(v))
        return -1;
    const char *s = v->valuestring;
    if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !s[2])
        return -1;
    uint64_t n = 0;
    for (s += 2; *s; s++) {
        if (!isxdigit((unsigned char)*s))
            return -1;
        n = n * 16 + (uint64_t)(isdigit((unsigned char)*s) ? *s - '0'
                                : (tolower((unsigned char)*s) - 'a' + 10));
        if (n > 0xFFFFFFFFu)
            return -1;
    }
    *out = (uint32_t)n;
    return 0;
}

static int read_sha256(const cJSON *v, uint8_t out[32])
{
    if (!cJSON_IsString(v) || strlen(v->valuestring) != 64)
        return -1;
    for (int i = 0; i < 32; i++) {
        unsigned int byte;
        char two[3] = {v->valuestring[2 * i], v->valuestring[2 * i + 1], 0};
        if (!isxdigit((unsigned char)two[0]) || !isxdigit((unsigned char)two[1]) ||
            sscanf(two, "%2x", &byte) != 1)
            return -1;
        out[i] = (uint8_t)byte;
    }
    return 0;
}

static int read_part(struct reader *r, const cJSON *obj, size_t i,
                     struct manifest_part *p)
{
    static const char *const known[] = {"offset", "file", "role", "sha256", NULL};
    char where[32];
    snprintf(where, sizeof where, "parts[%zu]", i);
    if (!cJSON_IsObject(obj))
        return fail(r, "%s is not an object", where);
    if (check_keys(r, obj, where, known))
        return -1;
    if (read_offset(cJSON_GetObjectItemCaseSensitive(obj, "offset"), &p->offset))
        return fail(r, "%s.offset must be a hex string like \"0x10000\"", where);
    if (p->offset % BUNDLE_SECTOR)
        return fail(r, "%s.offset 0x%x is not on a 4 KiB flash sector", where,
                    p->offset);
    const cJSON *role = cJSON_GetObjectItemCaseSensitive(obj, "role");
    int rv = cJSON_IsString(role) ? bundle_role_from_name(role->valuestring) : -1;
    if (rv < 0)
        return fail(r, "%s.role must be one of bootloader, partition-table, app, "
                    "otadata, nvs, data", where);
    p->role = (enum bundle_role)rv;
    const cJSON *file = cJSON_GetObjectItemCaseSensitive(obj, "file");
    if (!cJSON_IsString(file) || !bundle_file_name_ok(file->valuestring))
        return fail(r, "%s.file must be a file name inside the bundle folder "
                    "(relative, no \"..\")", where);
    memcpy(p->file, file->valuestring, strlen(file->valuestring) + 1);
    if (read_sha256(cJSON_GetObjectItemCaseSensitive(obj, "sha256"), p->sha256))
        return fail(r, "%s.sha256 must be 64 hex digits (sha256sum of the file)",
                    where);
    return 0;
}

static int read_parts(struct reader *r, const cJSON *root, struct bundle_manifest *m)
{
    const cJSON *parts = cJSON_GetObjectItemCaseSensitive(root, "parts");
    if (!cJSON_IsArray(parts) || cJSON_GetArraySize(parts) == 0)
        return fail(r, "\"parts\" is missing or empty");
    if (cJSON_GetArraySize(parts) > BUNDLE_MAX_PARTS)
        return fail(r, "\"parts\" has more than %d entries", BUNDLE_MAX_PARTS);
    m->n_parts = 0;
    for (const cJSON *it = parts->child; it; it = it->next) {
        struct manifest_part *p = &m->parts[m->n_parts];
        if (read_part(r, it, m->n_parts, p))
            return -1;
        for (size_t j = 0; j < m->n_parts; j++) {
            if (m->parts[j].offset == p->offset)
                return fail(r, "parts[%zu] and parts[%zu] both start at 0x%x",
                            j, m->n_parts, p->offset);
            if (!strcmp(m->parts[j].file, p->file))
                return fail(r, "parts[%zu] and parts[%zu] both use file \"%s\"",
                            j, m->n_parts, p->file);
        }
        m->n_parts++;
    }
    return 0;
}

static int read_root(struct reader *r, const cJSON *root, struct bundle_manifest *m)
{
    static const char *const known[] = {"format", "name", "version", "chip",
                                        "flash", "parts", "source", "comment", NULL};
    if (!cJSON_IsObject(root))
        return fail(r, "the manifest is not a JSON object");
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
    if (!cJSON_IsNumber(format))
        return fail(r, "\"format\" is missing; this manifest format is %d",
                    BUNDLE_FORMAT);
    if (format->valuedouble != BUNDLE_FORMAT)
        return fail(r, "manifest format %g is not supported (this jigd reads "
                    "format %d); update jigd or re-import the bundle",
                    format->valuedouble, BUNDLE_FORMAT);
    m->format = BUNDLE_FORMAT;
    if (check_keys(r, root, "manifest", known))
        return -1;
    if (get_label(r, root, "name", m->name, sizeof m->name) ||
        get_label(r, root, "version", m->version, sizeof m->version))
        return -1;
    const cJSON *chip = cJSON_GetObjectItemCaseSensitive(root, "chip");
    m->chip = cJSON_IsString(chip) ? chip_by_name(chip->valuestring) : NULL;
    if (!m->chip)
        return fail(r, "\"chip\" is missing or not a known chip (e.g. \"esp32c3\")");
    if (m->chip->image_chip_id < 0)
        return fail(r, "chip %s has no ESP-IDF image format; bundles support "
                    "the ESP32 family", m->chip->name);
    if (read_flash(r, root, &m->flash))
        return -1;
    return read_parts(r, root, m);
}

int bundle_manifest_parse(const char *json, size_t len, struct bundle_manifest *m,
                          char *err, size_t errlen)
{
    struct reader r = {err, errlen};
    memset(m, 0, sizeof *m);
    if (len > BUNDLE_MAX_MANIFEST)
        return fail(&r, "manifest is larger than %u bytes", BUNDLE_MAX_MANIFEST);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, false);
    if (!root) {
        size_t at = end && end >= json ? (size_t)(end - json) : 0;
        int line = 1;
        for (size_t i = 0; i < at && i < len; i++)
            line += json[i] == '\n';
        return fail(&r, "manifest is not valid JSON (near line %d, byte %zu)",
                    line, at);
    }
    int rc = read_root(&r, root, m);
    cJSON_Delete(root);
    return rc;
}

/* ---- writing ----------------------------------------------------------- */

static cJSON *format_flash(const struct bundle_flash *f)
{
    char freq[8], size[8];
    cJSON *o = cJSON_CreateObject();
    if (f->freq_mhz == BUNDLE_KEEP)
        snprintf(freq, sizeof freq, "keep");
    else
        snprintf(freq, sizeof freq, "%dm", f->freq_mhz);
    if (f->size == 0)
        snprintf(size, sizeof size, "keep");
    else
        snprintf(size, sizeof size, "%uMB", f->size >> 20);
    cJSON_AddStringToObject(o, "mode", bundle_flash_mode_name(f->mode));
    cJSON_AddStringToObject(o, "freq", freq);
    cJSON_AddStringToObject(o, "size", size);
    return o;
}

static cJSON *format_part(const struct manifest_part *p)
{
    char offset[16], sha[HEX_LEN(32)];
    cJSON *o = cJSON_CreateObject();
    snprintf(offset, sizeof offset, "0x%x", p->offset);
    cJSON_AddStringToObject(o, "offset", offset);
    cJSON_AddStringToObject(o, "role", bundle_role_name(p->role));
    cJSON_AddStringToObject(o, "file", p->file);
    cJSON_AddStringToObject(o, "sha256", hex_encode(p->sha256, 32, sha));
    return o;
}

char *bundle_manifest_format(const struct bundle_manifest *m)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    cJSON_AddNumberToObject(root, "format", BUNDLE_FORMAT);
    cJSON_AddStringToObject(root, "name", m->name);
    cJSON_AddStringToObject(root, "version", m->version);
    cJSON_AddStringToObject(root, "chip", m->chip ? m->chip->stub_name : "");
    cJSON_AddItemToObject(root, "flash", format_flash(&m->flash));
    cJSON *parts = cJSON_AddArrayToObject(root, "parts");
    for (size_t i = 0; i < m->n_parts; i++)
        cJSON_AddItemToArray(parts, format_part(&m->parts[i]));
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    return text;
}
