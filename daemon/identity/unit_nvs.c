/* Per-unit NVS from a template (see unit_nvs.h and docs/nvs.md). The CSV
 * is parsed by protocol/nvs_csv; placeholders are filled through its value
 * filter, so they only ever change the value of the row they sit in. */
#include "unit_nvs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hex.h"
#include "mac_text.h"
#include "nvs_csv.h"
#include "nvs_writer.h"

/* The load-time proof writes at this size, so a type error is told apart
 * from a partition that is too small (checked later against the table). */
#define PROOF_SIZE 0x40000u     /* 64 pages: far above any factory NVS */
#define FILE_MAX (16u << 20)
#define DEFAULT_CERT_PEM 1000u
#define DEFAULT_KEY_PEM 300u
#define DEFAULT_CA_PEM 1000u
#define FRONT_MATTER "#@"

struct cached_file {
    char *name;                 /* as written in the CSV */
    uint8_t *data;
    size_t len;
};

struct unit_nvs_template {
    char *name;                 /* for messages: the path */
    char *base_dir;             /* file rows are relative to it; NULL none */
    char *text;
    size_t len;
    char partition[PT_NAME_MAX + 1];
    enum nvs_version version;
    unsigned uses;
    size_t cert_pem_max, key_pem_max, ca_pem_max;
    struct cached_file *files;
    size_t n_files;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void free_wiped(void *p, size_t n)
{
    if (p)
        explicit_bzero(p, n);
    free(p);
}

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
        set_err(err, errlen, "%s:%u: front-matter line needs 'name = value' "
                "(nvs_partition = NAME, nvs_version = 1|2)", t->name, line);
        return -1;
    }
    const char *k = s, *v = eq + 1;
    size_t kn = (size_t)(eq - s), vn = n - kn - 1;
    trim(&k, &kn);
    trim(&v, &vn);
    if (kn == 13 && memcmp(k, "nvs_partition", 13) == 0) {
        if (!valid_partition_name(v, vn)) {
            set_err(err, errlen, "%s:%u: nvs_partition must be a partition "
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
        set_err(err, errlen, "%s:%u: nvs_version must be 1 or 2 (as the "
                "generator's --version)", t->name, line);
        return -1;
    }
    set_err(err, errlen, "%s:%u: unknown front-matter setting '%.*s' "
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
                set_err(err, errlen, "%s:%u: front-matter ('#@' lines) must "
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
        set_err(why, why_cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size > FILE_MAX) {
        set_err(why, why_cap, "%s is not a regular file of at most %u bytes",
                path, FILE_MAX);
        fclose(f);
        return -1;
    }
    size_t n = (size_t)st.st_size;
    *data = malloc(n ? n : 1);
    if (!*data || fread(*data, 1, n, f) != n) {
        set_err(why, why_cap, "cannot read %s", path);
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
static const uint8_t *cached_load(void *ctx, const char *name, size_t *len,
                                  char *why, size_t why_cap)
{
    struct unit_nvs_template *t = ctx;
    for (size_t i = 0; i < t->n_files; i++)
        if (strcmp(t->files[i].name, name) == 0) {
            *len = t->files[i].len;
            return t->files[i].data;
        }
    if (!t->base_dir) {
        set_err(why, why_cap, "file rows cannot be read here (no folder)");
        return NULL;
    }
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", name[0] == '/' ? "" : t->base_dir,
                 name) >= (int)sizeof path) {
        set_err(why, why_cap, "path too long");
        return NULL;
    }
    const char *p = name[0] == '/' ? name : path;
    struct cached_file *nf = realloc(t->files, (t->n_files + 1) * sizeof *nf);
    if (!nf) {
        set_err(why, why_cap, "out of memory");
        return NULL;
    }
    t->files = nf;
    struct cached_file *c = &t->files[t->n_files];
    if (read_file(p, &c->data, &c->len, why, why_cap) < 0)
        return NULL;
    c->name = strdup(name);
    if (!c->name) {
        free(c->data);
        set_err(why, why_cap, "out of memory");
        return NULL;
    }
    t->n_files++;
    *len = c->len;
    return c->data;
}

/* ---- placeholders ------------------------------------------------------- */

struct fill {
    const struct unit_nvs_template *t;
    const struct unit_nvs_values *v;    /* NULL: dummy values (the proof) */
    unsigned uses;
    char mac[MAC_TEXT_SIZE], mac_hex[HEX_LEN(6)], time_iso[24], unix_time[24];
    char *dummy_cert, *dummy_key, *dummy_ca;
};

static const struct {
    const char *name;
    unsigned flag;
} placeholders[] = {
    {"serial", UNIT_NVS_SERIAL},       {"mac", UNIT_NVS_MAC},
    {"mac_hex", UNIT_NVS_MAC},         {"cert_pem", UNIT_NVS_CERT_PEM},
    {"key_pem", UNIT_NVS_KEY_PEM},     {"ca_pem", UNIT_NVS_CA_PEM},
    {"station", UNIT_NVS_STATION},     {"work_order", UNIT_NVS_WORK_ORDER},
    {"time", UNIT_NVS_TIME},           {"unix_time", UNIT_NVS_TIME},
};

#define N_PLACEHOLDERS (sizeof placeholders / sizeof placeholders[0])

/* A PEM-shaped dummy of exactly `size` bytes. */
static char *dummy_pem(const char *label, size_t size)
{
    char head[64], tail[64];
    int hn = snprintf(head, sizeof head, "-----BEGIN %s-----\n", label);
    int tn = snprintf(tail, sizeof tail, "-----END %s-----\n", label);
    size_t min = (size_t)hn + (size_t)tn;
    if (size < min)
        size = min;
    char *p = malloc(size + 1);
    if (!p)
        return NULL;
    memcpy(p, head, (size_t)hn);
    size_t body = size - min;
    for (size_t i = 0; i < body; i++)
        p[hn + i] = (i % 65 == 64 || i + 1 == body) ? '\n' : 'A';
    memcpy(p + hn + body, tail, (size_t)tn);
    p[size] = '\0';
    return p;
}

static const char *value_of(struct fill *f, size_t k, char *why,
                            size_t why_cap)
{
    const char *name = placeholders[k].name;
    const struct unit_nvs_values *v = f->v;
    const char *s = NULL;
    if (!strcmp(name, "mac")) return f->mac;
    if (!strcmp(name, "mac_hex")) return f->mac_hex;
    if (!strcmp(name, "time")) return f->time_iso;
    if (!strcmp(name, "unix_time")) return f->unix_time;
    if (!strcmp(name, "serial")) s = v ? v->serial : "DUMMY-0000000000001";
    else if (!strcmp(name, "cert_pem")) s = v ? v->cert_pem : f->dummy_cert;
    else if (!strcmp(name, "key_pem")) s = v ? v->key_pem : f->dummy_key;
    else if (!strcmp(name, "ca_pem")) s = v ? v->ca_pem : f->dummy_ca;
    else if (!strcmp(name, "station")) s = v ? v->station : "station";
    else if (!strcmp(name, "work_order"))
        s = v ? (v->work_order ? v->work_order : "") : "WO-000001";
    if (!s)
        set_err(why, why_cap, "the template uses {%s} but this unit has no "
                "value for it", name);
    return s;
}

struct growbuf {
    char *p;
    size_t len, cap;
};

static int grow_put(struct growbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *np = malloc(cap);
        if (!np)
            return -1;
        if (b->p)
            memcpy(np, b->p, b->len);
        free_wiped(b->p, b->cap);   /* may already hold the key */
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

/* {name} -> its value, {{ -> {, }} -> } (as Python's str.format). */
static int expand(struct fill *f, const char *s, size_t n, struct growbuf *out,
                  char *why, size_t why_cap)
{
    for (size_t i = 0; i < n;) {
        if (s[i] == '}') {
            if (i + 1 < n && s[i + 1] == '}') {
                if (grow_put(out, "}", 1) < 0) goto oom;
                i += 2;
                continue;
            }
            set_err(why, why_cap, "a lone '}' (write '}}' for a literal one)");
            return -1;
        }
        if (s[i] != '{') {
            size_t run = i;
            while (run < n && s[run] != '{' && s[run] != '}')
                run++;
            if (grow_put(out, s + i, run - i) < 0) goto oom;
            i = run;
            continue;
        }
        if (i + 1 < n && s[i + 1] == '{') {
            if (grow_put(out, "{", 1) < 0) goto oom;
            i += 2;
            continue;
        }
        const char *close = memchr(s + i, '}', n - i);
        size_t nn = close ? (size_t)(close - s) - i - 1 : 0;
        size_t k = 0;
        for (; close && k < N_PLACEHOLDERS; k++)
            if (strlen(placeholders[k].name) == nn &&
                memcmp(placeholders[k].name, s + i + 1, nn) == 0)
                break;
        if (!close || k == N_PLACEHOLDERS) {
            set_err(why, why_cap, "unknown placeholder {%.*s (known: {serial} "
                    "{mac} {mac_hex} {cert_pem} {key_pem} {ca_pem} {station} "
                    "{work_order} {time} {unix_time}; write {{ for a literal "
                    "'{')", close && nn <= 32 ? (int)nn + 1 : 8, s + i + 1);
            return -1;
        }
        f->uses |= placeholders[k].flag;
        const char *val = value_of(f, k, why, why_cap);
        if (!val)
            return -1;
        if (grow_put(out, val, strlen(val)) < 0) goto oom;
        i = (size_t)(close - s) + 1;
    }
    return 0;
oom:
    set_err(why, why_cap, "out of memory");
    return -1;
}

static int fill_value(void *ctx, unsigned line, const char *key,
                      const char *enc, const char **value, size_t *len,
                      char *why, size_t why_cap)
{
    struct fill *f = ctx;
    if (!memchr(*value, '{', *len) && !memchr(*value, '}', *len))
        return 0;
    struct growbuf out = {0};
    if (grow_put(&out, "", 0) < 0 ||
        expand(f, *value, *len, &out, why, why_cap) < 0) {
        free_wiped(out.p, out.cap);
        return -1;
    }
    *value = out.p;
    *len = out.len;
    return 0;
}

static void release_value(void *ctx, const char *value)
{
    free_wiped((char *)value, strlen(value) + 1);
}

static void fill_init(struct fill *f, const struct unit_nvs_template *t,
                      const struct unit_nvs_values *v)
{
    memset(f, 0, sizeof *f);
    f->t = t;
    f->v = v;
    static const uint8_t dummy_mac[6] = {0xa0, 0xb1, 0xc2, 0xd3, 0xe4, 0xf5};
    const uint8_t *m = v ? v->mac : dummy_mac;
    mac_text(m, f->mac);
    hex_encode(m, 6, f->mac_hex);
    time_t now = v ? (v->now ? v->now : time(NULL)) : (time_t)1767225600;
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(f->time_iso, sizeof f->time_iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(f->unix_time, sizeof f->unix_time, "%" PRId64, (int64_t)now);
}

static int fill_dummies(struct fill *f)
{
    const struct unit_nvs_template *t = f->t;
    f->dummy_cert = dummy_pem("CERTIFICATE", t->cert_pem_max);
    f->dummy_key = dummy_pem("PRIVATE KEY", t->key_pem_max);
    f->dummy_ca = dummy_pem("CERTIFICATE", t->ca_pem_max);
    return f->dummy_cert && f->dummy_key && f->dummy_ca ? 0 : -1;
}

static void fill_free(struct fill *f)
{
    free(f->dummy_cert);
    free(f->dummy_key);
    free(f->dummy_ca);
}

/* ---- writing ------------------------------------------------------------ */

/* "line N: reason" from nvs_csv -> "name:N: reason". */
static void csv_err(const struct unit_nvs_template *t,
                    const struct nvs_csv_error *e, const char *prefix,
                    char *err, size_t errlen)
{
    const char *msg = e->msg;
    if (e->line && strncmp(msg, "line ", 5) == 0) {
        const char *colon = strstr(msg, ": ");
        if (colon)
            msg = colon + 2;
    }
    /* Values are never quoted once filled in; this is the last guard. */
    if (strstr(msg, "PRIVATE KEY"))
        msg = "the value does not fit its encoding";
    if (e->line)
        set_err(err, errlen, "%s:%u: %s%s", t->name, e->line, prefix, msg);
    else
        set_err(err, errlen, "%s: %s%s", t->name, prefix, msg);
}

/* Writes the template into buf (size bytes) with f's values. */
static int write_image(const struct unit_nvs_template *t, struct fill *f,
                       uint8_t *buf, size_t size, size_t *len,
                       struct nvs_csv_error *e)
{
    struct nvs_writer w;
    memset(e, 0, sizeof *e);
    if (nvs_writer_init(&w, buf, size, t->version) < 0) {
        snprintf(e->msg, sizeof e->msg, "%s", w.error);
        return -1;
    }
    const struct nvs_file_loader files = {cached_load, NULL, (void *)t};
    const struct nvs_value_filter values = {fill_value, release_value, f};
    const struct nvs_csv_options opts = {.values = &values};
    if (nvs_csv_generate_opts(t->text, t->len, &w, &files, &opts, e) < 0)
        return -1;
    *len = nvs_writer_finish(&w);
    return 0;
}

static int prove(struct unit_nvs_template *t, size_t size, unsigned *uses,
                 struct nvs_csv_error *e)
{
    struct fill f;
    fill_init(&f, t, NULL);
    uint8_t *buf = malloc(size);
    int rc = -1;
    if (!buf || fill_dummies(&f) < 0) {
        snprintf(e->msg, sizeof e->msg, "out of memory");
        e->line = 0;
    } else {
        size_t len;
        rc = write_image(t, &f, buf, size, &len, e);
        if (uses)
            *uses = f.uses;
    }
    fill_free(&f);
    free(buf);
    return rc;
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
        set_err(err, errlen, "out of memory reading the NVS template");
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
            set_err(err, errlen, "%s: '%s' cannot be a partition name", t->name,
                    o->partition);
            unit_nvs_template_free(t);
            return NULL;
        }
        snprintf(t->partition, sizeof t->partition, "%s", o->partition);
    }
    struct nvs_csv_error e;
    if (prove(t, PROOF_SIZE, &t->uses, &e) < 0) {
        csv_err(t, &e, "", err, errlen);
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
        set_err(err, errlen, "cannot read the NVS template %s", why);
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

/* The partition the template names, if it can hold an NVS image. */
static const struct pt_entry *find_partition(const struct unit_nvs_template *t,
                                             const struct pt_table *table,
                                             char *err, size_t errlen)
{
    const struct pt_entry *p = pt_find_name(table, t->partition);
    if (!p) {
        set_err(err, errlen, "%s: the partition table has no partition '%s' "
                "(set nvs_partition in the template to one of its NVS "
                "partitions)", t->name, t->partition);
        return NULL;
    }
    if (p->type != PT_TYPE_DATA || p->subtype != PT_DATA_NVS) {
        set_err(err, errlen, "%s: partition '%s' is %s/%s, not data/nvs; "
                "refusing to write NVS over it", t->name, t->partition,
                pt_type_name(p->type) ? pt_type_name(p->type) : "?",
                pt_subtype_name(p->type, p->subtype)
                    ? pt_subtype_name(p->type, p->subtype) : "?");
        return NULL;
    }
    if (p->size < NVS_PAGE_SIZE || p->size % NVS_PAGE_SIZE) {
        set_err(err, errlen, "%s: partition '%s' is 0x%" PRIx32 " bytes; NVS "
                "needs a multiple of 0x1000", t->name, t->partition, p->size);
        return NULL;
    }
    return p;
}

int unit_nvs_template_check(const struct unit_nvs_template *t,
                            const struct pt_table *table, char *err,
                            size_t errlen)
{
    const struct pt_entry *p = find_partition(t, table, err, errlen);
    if (!p)
        return -1;
    struct nvs_csv_error e;
    char prefix[160];
    snprintf(prefix, sizeof prefix, "partition '%s' (0x%" PRIx32 " bytes) is "
             "too small for the template's data: ", t->partition, p->size);
    if (prove((struct unit_nvs_template *)t, p->size, NULL, &e) < 0) {
        csv_err(t, &e, prefix, err, errlen);
        return -1;
    }
    return 0;
}

int unit_nvs_generate(const struct unit_nvs_template *t,
                      const struct pt_table *table,
                      const struct unit_nvs_values *v,
                      struct unit_nvs_image *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const struct pt_entry *p = find_partition(t, table, err, errlen);
    if (!p)
        return -1;
    uint8_t *buf = malloc(p->size);
    if (!buf) {
        set_err(err, errlen, "out of memory for the NVS image");
        return -1;
    }
    struct fill f;
    fill_init(&f, t, v);
    struct nvs_csv_error e;
    size_t len;
    /* The template's cache is complete after load: nothing is read here. */
    if (write_image((struct unit_nvs_template *)t, &f, buf, p->size, &len,
                    &e) < 0) {
        free_wiped(buf, p->size);
        csv_err(t, &e, "", err, errlen);
        return -1;
    }
    out->data = buf;
    out->len = len;
    out->offset = p->offset;
    out->partition_size = p->size;
    snprintf(out->partition, sizeof out->partition, "%s", p->name);
    return 0;
}

void unit_nvs_image_free(struct unit_nvs_image *img)
{
    if (!img)
        return;
    free_wiped(img->data, img->partition_size);
    memset(img, 0, sizeof *img);
}
