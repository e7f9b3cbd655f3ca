/* Loading a bundle: manifest, then every file with its SHA-256, then the
 * rules of bundle_check.c. The result is a new object; nothing global is
 * touched, so a refused bundle leaves the active one as it was. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle_internal.h"
#include "hex.h"
#include "mbedtls_compat.h"

int bundle_read_manifest(const char *dir, struct bundle_manifest *m, char id[65], char *err,
                         size_t errlen)
{
    char path[4096], why[400];
    snprintf(path, sizeof path, "%s/%s", dir, BUNDLE_MANIFEST_NAME);
    size_t len;
    uint8_t *text = bundle_read_file(path, BUNDLE_MANIFEST_NAME, BUNDLE_MAX_MANIFEST,
                                     &len, why, sizeof why);
    if (!text) {
        snprintf(err, errlen, "bundle %s: %s", dir, why);
        return -1;
    }
    int rc = bundle_manifest_parse((const char *)text, len, m, why, sizeof why);
    uint8_t sum[32];
    sha256_once(text, len, sum);
    hex_encode(sum, 32, id);
    free(text);
    if (rc)
        snprintf(err, errlen, "bundle %s: %s: %s", dir, BUNDLE_MANIFEST_NAME, why);
    return rc;
}

/* A file whose bytes differ from the manifest is the one failure that
 * most often means "copied half-way" or "edited by hand": say both sums. */
static int load_part(struct bundle *b, const struct manifest_part *mp,
                     struct bundle_part *p, size_t limit, char *err, size_t errlen)
{
    char why[400];
    size_t len;
    uint8_t *data = bundle_read_beneath(b->dir, mp->file, limit, &len, why, sizeof why);
    if (!data) {
        snprintf(err, errlen, "bundle %s: %s", b->dir, why);
        return -1;
    }
    p->region.offset = mp->offset;
    p->region.data = data;
    p->region.size = len;
    p->role = mp->role;
    memcpy(p->file, mp->file, sizeof p->file);
    uint8_t sum[32];
    sha256_once(data, len, sum);
    memcpy(p->sha256, sum, 32);
    if (memcmp(sum, mp->sha256, 32)) {
        char want[HEX_LEN(32)], got[HEX_LEN(32)];
        snprintf(err, errlen, "bundle %s: %s: SHA-256 is %s but the manifest "
                 "says %s; the file was changed or copied incompletely",
                 b->dir, mp->file, hex_encode(sum, 32, got),
                 hex_encode(mp->sha256, 32, want));
        return -1;
    }
    if (len == 0) {
        snprintf(err, errlen, "bundle %s: %s is empty", b->dir, mp->file);
        return -1;
    }
    return 0;
}

static int by_offset(const void *a, const void *b)
{
    uint32_t x = ((const struct bundle_part *)a)->region.offset;
    uint32_t y = ((const struct bundle_part *)b)->region.offset;
    return (x > y) - (x < y);
}

static int load_parts(struct bundle *b, const struct bundle_manifest *m,
                      char *err, size_t errlen)
{
    size_t limit = m->flash.size ? m->flash.size : BUNDLE_MAX_FLASH;
    for (size_t i = 0; i < m->n_parts; i++)
        if (load_part(b, &m->parts[i], &b->parts[i], limit, err, errlen))
            return -1;
    qsort(b->parts, b->n_parts, sizeof b->parts[0], by_offset);
    b->total_size = 0;
    for (size_t i = 0; i < b->n_parts; i++)
        b->total_size += b->parts[i].region.size;
    return 0;
}

int bundle_load(const char *dir, struct bundle **out, char *err, size_t errlen)
{
    struct bundle_manifest *m = malloc(sizeof *m);
    if (!m) {
        snprintf(err, errlen, "bundle %s: out of memory", dir);
        return -1;
    }
    struct bundle *b = NULL;
    char id[65];
    int rc = bundle_read_manifest(dir, m, id, err, errlen);
    if (!rc) {
        b = bundle_new(dir, m->n_parts);
        rc = b ? 0 : -1;
        if (!b)
            snprintf(err, errlen, "bundle %s: out of memory", dir);
    }
    if (!rc) {
        memcpy(b->id, id, sizeof b->id);
        memcpy(b->name, m->name, sizeof b->name);
        memcpy(b->version, m->version, sizeof b->version);
        b->chip = m->chip;
        rc = load_parts(b, m, err, errlen);
    }
    if (!rc)
        rc = bundle_check(b, m, err, errlen);
    if (!rc)
        for (size_t i = 0; i < b->n_parts; i++)
            md5_once(b->parts[i].region.data, b->parts[i].region.size, b->parts[i].md5);
    free(m);
    if (rc) {
        bundle_free(b);
        return -1;
    }
    *out = b;
    return 0;
}
