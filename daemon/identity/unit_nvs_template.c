/* Loading a per-unit NVS template (see unit_nvs.h): its front-matter, the
 * files its rows name (read once, here), and the proof with dummy values
 * that refuses a bad template at start. */
#include "unit_nvs_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PROOF_SIZE 0x40000u     /* 64 pages: far above any factory NVS */
#define FILE_MAX (16u << 20)
#define DEFAULT_CERT_PEM 1000u
#define DEFAULT_KEY_PEM 300u
#define DEFAULT_CA_PEM 1000u
#define FRONT_MATTER "#@"

/* ---- front-matter ------------------------------------------------------- */

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) { (*s)++; (*n)--; }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' ||
                  (*s)[*n - 1] == '\r'))
        (*n)--;
}

static bool valid_partition_name(const char *s, size_t n)
{
    if (n == 0 || n > PT_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] <= ' ' || s[i] > '~' || s[i] == ',')
            return false;
    return true;
}

static int front_matter_line(struct unit_nvs_template *t, unsigned line,
                             const char *s, size_t n, char *err,
                             size_t errlen)
{
    const char *eq = memchr(s, '=', n);
    if (!eq) {
        unit_nvs_set_err(err, errlen, "%s:%u: front-matter line needs 'name = value' "
                         "(nvs_partition = NAME, nvs_version = 1|2)", t->name, line);
        return -1;
    }
    const char *k = s, *v = eq + 1;
    size_t kn = (size_t)(eq - s), vn = n - kn - 1;
    trim(&k, &kn);
    trim(&v, &vn);
    if (kn == 13 && memcmp(k, "nvs_partition", 13) == 0) {
        if (!valid_partition_name(v, vn)) {
            unit_nvs_set_err(err, errlen, "%s:%u: nvs_partition must be a partition "
                             "name of 1 to %u characters as in the partition table",
                             t->name, line, PT_NAME_MAX);
            return -1;
        }
        memcpy(t->partition, v, vn);
        t->partition[vn] = '\0';
        return 0;
    }
    if (kn == 11 && memcmp(k, "nvs_version", 11) == 0) {
        if (vn == 1 && (v[0] == '1' || v[0] == '2')) {
            t->version = v[0] == '1' ? NVS_VERSION_1 : NVS_VERSION_2;
            return 0;
        }
        unit_nvs_set_err(err, errlen, "%s:%u: nvs_version must be 1 or 2 (as the "
                         "generator's --version)", t->name, line);
        return -1;
    }
    unit_nvs_set_err(err, errlen, "%s:%u: unknown front-matter setting '%.*s' "
                     "(known: nvs_partition, nvs_version)", t->name, line,
                     (int)(kn > 40 ? 40 : kn), k);
    return -1;
}

/* "#@ name = value" lines before the CSV header. A "#@" line further down
 * is refused rather than ignored: it would look like it applies. */
static int read_front_matter(struct unit_nvs_template *t, char *err,
                             size_t errlen)
{
    const char *p = t->text, *end = t->text + t->len;
    unsigned line = 1;
    bool in_csv = false;
    for (; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n >= 2 && memcmp(p, FRONT_MATTER, 2) == 0) {
            if (in_csv) {
                unit_nvs_set_err(err, errlen, "%s:%u: front-matter ('#@' lines) must "
                                 "come before the header line", t->name, line);
                return -1;
            }
            if (front_matter_line(t, line, p + 2, n - 2, err, errlen) < 0)
                return -1;
        } else if (n && p[0] != '#') {
            in_csv = true;
        }
        p += n + 1;
    }
    return 0;
}

/* ---- files -------------------------------------------------------------- */

static int read_file(const char *path, uint8_t **data, size_t *len,
                     char *why, size_t why_cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        unit_nvs_set_err(why, why_cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size > FILE_MAX) {
        unit_nvs_set_err(why, why_cap, "%s is not a regular file of at most %u bytes",
                         path, FILE_MAX);
        fclose(f);
        return -1;
    }
    size_t n = (size_t)st.st_size;
    *data = malloc(n ? n : 1);
    if (!*data || fread(*data, 1, n, f) != n) {
        unit_nvs_set_err(why, why_cap, "cannot read %s", path);
        free(*data);
        *data = NULL;
        fclose(f);
        return -1;
    }
    fclose(f);
    *len = n;
    return 0;
}

/* File rows are read once, at load, and served from memory for every unit:
 * a template's files cannot change under a running line. */
const uint8_t *unit_nvs_cached_load(void *ctx, const char *name, size_t *len,
                                    char *why, size_t why_cap)
{
    struct unit_nvs_template *t = ctx;
    for (size_t i = 0; i < t->n_files; i++)
        if (strcmp(t->files[i].name, name) == 0) {
            *len = t->files[i].len;
            return t->files[i].data;
        }
    if (!t->base_dir) {
        unit_nvs_set_err(why, why_cap, "file rows cannot be read here (no folder)");
        return NULL;
    }
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", name[0] == '/' ? "" : t->base_dir,
                 name) >= (int)sizeof path) {
        unit_nvs_set_err(why, why_cap, "path too long");
        return NULL;
    }
    const char *p = name[0] == '/' ? name : path;
    struct cached_file *nf = realloc(t->files, (t->n_files + 1) * sizeof *nf);
    if (!nf) {
        unit_nvs_set_err(why, why_cap, "out of memory");
        return NULL;
    }
    t->files = nf;
    struct cached_file *c = &t->files[t->n_files];
    if (read_file(p, &c->data, &c->len, why, why_cap) < 0)
        return NULL;
    c->name = strdup(name);
    if (!c->name) {
        free(c->data);
        unit_nvs_set_err(why, why_cap, "out of memory");
        return NULL;
    }
    t->n_files++;
    *len = c->len;
    return c->data;
}

/* ---- the template ------------------------------------------------------- */

void unit_nvs_template_free(struct unit_nvs_template *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_files; i++) {
        free(t->files[i].name);
        free(t->files[i].data);
    }
    free(t->files);
    free(t->name);
    free(t->base_dir);
    free(t->text);
    free(t);
}

struct unit_nvs_template *unit_nvs_template_parse(
    const char *text, size_t len, const char *name, const char *base_dir,
    const struct unit_nvs_template_options *o, char *err, size_t errlen)
{
    struct unit_nvs_template *t = calloc(1, sizeof *t);
    if (!t || !(t->name = strdup(name ? name : "template")) ||
        (base_dir && !(t->base_dir = strdup(base_dir))) ||
        !(t->text = malloc(len ? len : 1))) {
        unit_nvs_set_err(err, errlen, "out of memory reading the NVS template");
        unit_nvs_template_free(t);
        return NULL;
    }
    memcpy(t->text, text, len);
    t->len = len;
    t->version = NVS_VERSION_2;
    snprintf(t->partition, sizeof t->partition, "%s", UNIT_NVS_DEFAULT_PARTITION);
    t->cert_pem_max = o && o->cert_pem_max ? o->cert_pem_max : DEFAULT_CERT_PEM;
    t->key_pem_max = o && o->key_pem_max ? o->key_pem_max : DEFAULT_KEY_PEM;
    t->ca_pem_max = o && o->ca_pem_max ? o->ca_pem_max : DEFAULT_CA_PEM;
    if (read_front_matter(t, err, errlen) < 0) {
        unit_nvs_template_free(t);
        return NULL;
    }
    if (o && o->partition) {
        if (!valid_partition_name(o->partition, strlen(o->partition))) {
            unit_nvs_set_err(err, errlen, "%s: '%s' cannot be a partition name", t->name,
                             o->partition);
            unit_nvs_template_free(t);
            return NULL;
        }
        snprintf(t->partition, sizeof t->partition, "%s", o->partition);
    }
    struct nvs_csv_error e;
    if (unit_nvs_prove(t, PROOF_SIZE, &t->uses, &e) < 0) {
        unit_nvs_csv_err(t, &e, "", err, errlen);
        unit_nvs_template_free(t);
        return NULL;
    }
    return t;
}

struct unit_nvs_template *unit_nvs_template_load(
    const char *path, const struct unit_nvs_template_options *o, char *err,
    size_t errlen)
{
    uint8_t *text;
    size_t len;
    char why[512];
    if (read_file(path, &text, &len, why, sizeof why) < 0) {
        unit_nvs_set_err(err, errlen, "cannot read the NVS template %s", why);
        return NULL;
    }
    char *dir = strdup(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    struct unit_nvs_template *t = unit_nvs_template_parse(
        (const char *)text, len, path, slash ? dir : ".", o, err, errlen);
    free(dir);
    free(text);
    return t;
}

const char *unit_nvs_template_partition(const struct unit_nvs_template *t)
{
    return t->partition;
}

enum nvs_version unit_nvs_template_version(const struct unit_nvs_template *t)
{
    return t->version;
}

unsigned unit_nvs_template_uses(const struct unit_nvs_template *t)
{
    return t->uses;
}
