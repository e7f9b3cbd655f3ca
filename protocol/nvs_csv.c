/* CSV front end of the NVS generator (see nvs_csv.h). Value parsing follows
 * what the Python tool does with each cell: int() for integers, strip() +
 * a2b_hex for hex2bin, a2b_base64 for base64, UTF-8 for strings. */
#include "nvs_csv.h"
#include "hex.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/md.h>
#include <mbedtls/pkcs5.h>

#include "base64_stream.h"
#include "csv_record.h"

struct seen_key {
    uint8_t ns;
    char key[NVS_KEY_MAX + 1];
};

struct csv_job {
    struct nvs_writer *w;
    const struct nvs_file_loader *files;
    struct nvs_csv_error *err;
    unsigned line;
    int col_key, col_type, col_enc, col_value;
    char (*ns_names)[NVS_KEY_MAX + 1];
    size_t ns_n;
    struct seen_key *keys;
    size_t keys_n, keys_cap;
    bool wifi_extras;
    bool sta_extras_done;
    char ap_ssid[65], ap_passwd[129];
    bool ap_authmode;
    const struct nvs_value_filter *values;
    bool value_replaced;        /* do not quote the value in messages */
};

#define WIFI_AP_SSID_MAX 64u
#define WIFI_AP_PASSWD_MAX 128u

static int fail(struct csv_job *j, const char *fmt, ...)
{
    char msg[240];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    j->err->line = j->line;
    if (j->line)
        snprintf(j->err->msg, sizeof j->err->msg, "line %u: %s", j->line, msg);
    else
        snprintf(j->err->msg, sizeof j->err->msg, "%s", msg);
    return -1;
}

/* Decoded values may come from secrets (a key PEM put in by a value
 * filter): clear them before the memory goes back to the allocator. */
static void free_wiped(void *p, size_t n)
{
    if (p)
        explicit_bzero(p, n);
    free(p);
}

static bool utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t more;
        uint32_t cp;
        if (c < 0x80) { i++; continue; }
        if ((c & 0xE0) == 0xC0) { more = 1; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { more = 2; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { more = 3; cp = c & 0x07; }
        else return false;
        for (size_t k = 1; k <= more; k++) {
            if (i + k >= n || (s[i + k] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if ((more == 1 && cp < 0x80) || (more == 2 && cp < 0x800) ||
            (more == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += more + 1;
    }
    return true;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

static void strip(const char **s, size_t *n)
{
    while (*n && is_space(**s)) { (*s)++; (*n)--; }
    while (*n && is_space((*s)[*n - 1])) (*n)--;
}

/* Python int(text): blanks around, a sign, decimal digits with single
 * underscores between them. */
static bool parse_decimal(const char *s, size_t n, bool *neg, uint64_t *mag,
                          bool *overflow)
{
    strip(&s, &n);
    *neg = false;
    *overflow = false;
    *mag = 0;
    if (n && (*s == '+' || *s == '-')) {
        *neg = *s == '-';
        s++;
        n--;
    }
    if (n == 0 || s[0] == '_' || s[n - 1] == '_')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '_') {
            if (s[i + 1] == '_')
                return false;
            continue;
        }
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (*mag > (UINT64_MAX - d) / 10)
            *overflow = true;
        else
            *mag = *mag * 10 + d;
    }
    return true;
}


/* out must hold n/2 bytes. */
static const char *decode_hex(const char *s, size_t n, uint8_t *out,
                              size_t *out_len)
{
    strip(&s, &n);
    if (n % 2)
        return "hex2bin value has an odd number of hex digits";
    for (size_t i = 0; i < n; i += 2) {
        int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);
        if (hi < 0 || lo < 0)
            return "hex2bin value has a character that is not a hex digit";
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    *out_len = n / 2;
    return NULL;
}

/* binascii.a2b_base64 (non-strict), which the generator uses: characters
 * outside the alphabet are skipped, and decoding stops at the padding that
 * completes a quantum, whatever follows. out holds n bytes. */
static const char *decode_base64(const char *s, size_t n, uint8_t *out,
                                 size_t *out_len)
{
    struct base64_stream d;
    base64_stream_init(&d, out, n);     /* n characters never make n bytes */
    unsigned pads = 0;
    bool padded = false;
    for (size_t i = 0; i < n && !padded; i++) {
        if (s[i] == '=') {
            /* binascii counts '=' only once two characters began a quantum */
            padded = d.held >= 2 && d.held + ++pads >= 4;
            continue;
        }
        if (!base64_is_alphabet(s[i]))
            continue;
        pads = 0;
        base64_stream_push(&d, s[i]);
    }
    if (!padded && d.held == 1)
        return "base64 value has one character too many (length is 1 more "
               "than a multiple of 4)";
    if (!padded && d.held != 0)
        return "base64 value has incorrect padding";
    base64_stream_end(&d, NULL);
    *out_len = d.len;
    return NULL;
}

static bool is_wifi_ap_key(const char *key)
{
    return strcmp(key, "ap.ssid") == 0 || strcmp(key, "ap.passwd") == 0 ||
           strcmp(key, "ap.authmode") == 0;
}

static bool is_wifi_sta_key(const char *key)
{
    return strcmp(key, "sta.ssid") == 0 || strcmp(key, "sta.pswd") == 0;
}

static int int_type_of(const char *enc, uint8_t *type)
{
    static const struct { const char *name; uint8_t type; } t[] = {
        {"u8", NVS_TYPE_U8}, {"i8", NVS_TYPE_I8}, {"u16", NVS_TYPE_U16},
        {"i16", NVS_TYPE_I16}, {"u32", NVS_TYPE_U32}, {"i32", NVS_TYPE_I32},
        {"u64", NVS_TYPE_U64}, {"i64", NVS_TYPE_I64},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (strcmp(enc, t[i].name) == 0) {
            *type = t[i].type;
            return 0;
        }
    return -1;
}

static int put_int(struct csv_job *j, const char *key, uint8_t type,
                   const char *v, size_t n)
{
    bool neg, overflow;
    uint64_t mag;
    if (!parse_decimal(v, n, &neg, &mag, &overflow)) {
        if (j->value_replaced)
            return fail(j, "'%s': the value is not a decimal integer", key);
        return fail(j, "'%s': \"%.*s\" is not a decimal integer (the "
                       "generator reads integers in decimal only)", key,
                    (int)(n > 40 ? 40 : n), v);
    }
    const char *tn = nvs_type_name(type);
    if (overflow)
        return fail(j, "'%s': value out of range for %s", key, tn);
    uint64_t u = 0;
    int64_t s = 0;
    if (nvs_int_signed(type)) {
        if (neg ? mag > (uint64_t)INT64_MAX + 1 : mag > (uint64_t)INT64_MAX)
            return fail(j, "'%s': value out of range for %s", key, tn);
        s = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN
                                                  : -(int64_t)mag)
                : (int64_t)mag;
    } else {
        if (neg && mag != 0)
            return fail(j, "'%s': value out of range for %s (negative)", key,
                        tn);
        u = mag;
    }
    if (nvs_writer_int(j->w, key, type, u, s) < 0)
        return fail(j, "%s", j->w->error);
    return 0;
}

/* blob_fill(N;0xPP) / blob_sz_fill(N;0xPP): a prefix match, as the tool's
 * re.match is. */
static bool parse_fill(const char *enc, bool *with_size, size_t *len,
                       uint8_t *fill)
{
    const char *p;
    if (strncmp(enc, "blob_fill(", 10) == 0) {
        *with_size = false;
        p = enc + 10;
    } else if (strncmp(enc, "blob_sz_fill(", 13) == 0) {
        *with_size = true;
        p = enc + 13;
    } else {
        return false;
    }
    if (*p < '0' || *p > '9')
        return false;
    size_t n = 0;
    while (*p >= '0' && *p <= '9') {
        if (n > 0x1000000)
            return false;
        n = n * 10 + (size_t)(*p++ - '0');
    }
    if (p[0] != ';' || p[1] != '0' || p[2] != 'x' || hex_digit(p[3]) < 0 ||
        hex_digit(p[4]) < 0 || p[5] != ')')
        return false;
    *len = n;
    *fill = (uint8_t)(hex_digit(p[3]) << 4 | hex_digit(p[4]));
    return true;
}

static int put_fill(struct csv_job *j, const char *key, const char *enc,
                    bool is_file, const char *v, size_t n)
{
    bool with_size;
    size_t len;
    uint8_t fill;
    if (!parse_fill(enc, &with_size, &len, &fill))
        return fail(j, "'%s': encoding \"%s\" is not blob_fill(N;0xPP) or "
                       "blob_sz_fill(N;0xPP)", key, enc);
    if (is_file)
        return fail(j, "'%s': %s takes its value from the cell, not from a "
                       "file", key, enc);
    if (n > len)
        return fail(j, "'%s': value is %zu bytes, longer than the %zu of %s",
                    key, n, len, enc);
    size_t total = len + (with_size ? 4 : 0);
    uint8_t *b = malloc(total ? total : 1);
    if (!b)
        return fail(j, "out of memory");
    uint8_t *d = b;
    if (with_size) {
        for (int i = 0; i < 4; i++)
            d[i] = (uint8_t)(n >> (8 * i));
        d += 4;
    }
    memcpy(d, v, n);
    memset(d + n, fill, len - n);
    int rc = nvs_writer_blob(j->w, key, b, total);
    free_wiped(b, total ? total : 1);
    return rc < 0 ? fail(j, "%s", j->w->error) : 0;
}

static int put_value(struct csv_job *j, const char *key, const char *enc,
                     bool is_file, const char *v, size_t n)
{
    uint8_t type;
    if (int_type_of(enc, &type) == 0)
        return put_int(j, key, type, v, n);
    if (strcmp(enc, "string") == 0) {
        if (!utf8_valid((const uint8_t *)v, n))
            return fail(j, "'%s': string is not valid UTF-8", key);
        if (nvs_writer_string(j->w, key, v, n) < 0)
            return fail(j, "%s", j->w->error);
        return 0;
    }
    if (strcmp(enc, "binary") == 0) {
        if (!is_file)
            for (size_t i = 0; i < n; i++)
                if ((unsigned char)v[i] >= 0x80)
                    return fail(j, "'%s': a binary cell must be ASCII (the "
                                   "generator counts characters, not bytes); "
                                   "use hex2bin or a file", key);
        if (nvs_writer_blob(j->w, key, (const uint8_t *)v, n) < 0)
            return fail(j, "%s", j->w->error);
        return 0;
    }
    if (strcmp(enc, "hex2bin") == 0 || strcmp(enc, "base64") == 0) {
        uint8_t *b = malloc(n ? n : 1);
        if (!b)
            return fail(j, "out of memory");
        size_t len = 0;
        const char *why = enc[0] == 'h' ? decode_hex(v, n, b, &len)
                                        : decode_base64(v, n, b, &len);
        int rc = why ? fail(j, "'%s': %s", key, why)
                     : nvs_writer_blob(j->w, key, b, len);
        free_wiped(b, n ? n : 1);
        if (rc < 0 && !why)
            return fail(j, "%s", j->w->error);
        return rc;
    }
    if (strncmp(enc, "blob_", 5) == 0)
        return put_fill(j, key, enc, is_file, v, n);
    return fail(j, "'%s': unknown encoding \"%s\" (expected u8, i8, u16, "
                   "i16, u32, i32, u64, i64, string, hex2bin, base64, binary)",
                key, enc);
}

static int put_file(struct csv_job *j, const char *key, const char *enc,
                    const char *name)
{
    if (name[0] == '\0')
        return fail(j, "'%s': type file needs a file name in the value column",
                    key);
    if (!j->files || !j->files->load)
        return fail(j, "'%s': file \"%s\" cannot be read here", key, name);
    char why[160] = "";
    size_t len = 0;
    const uint8_t *data = j->files->load(j->files->ctx, name, &len, why,
                                         sizeof why);
    if (!data)
        return fail(j, "'%s': cannot read file \"%s\": %s", key, name,
                    why[0] ? why : "no reason given");
    int rc = put_value(j, key, enc, true, (const char *)data, len);
    if (j->files->release)
        j->files->release(j->files->ctx, data);
    return rc;
}

static int remember_key(struct csv_job *j, const char *key)
{
    uint8_t ns = j->w->ns_index;
    for (size_t i = 0; i < j->keys_n; i++)
        if (j->keys[i].ns == ns && strcmp(j->keys[i].key, key) == 0)
            return fail(j, "key '%s' appears twice in namespace '%s'", key,
                        j->ns_names[ns - 1]);
    if (j->keys_n == j->keys_cap) {
        size_t cap = j->keys_cap ? j->keys_cap * 2 : 32;
        struct seen_key *nk = realloc(j->keys, cap * sizeof *nk);
        if (!nk)
            return fail(j, "out of memory");
        j->keys = nk;
        j->keys_cap = cap;
    }
    j->keys[j->keys_n].ns = ns;
    snprintf(j->keys[j->keys_n].key, sizeof j->keys[0].key, "%s", key);
    j->keys_n++;
    return 0;
}

static int put_namespace(struct csv_job *j, const char *name)
{
    for (size_t i = 0; i < j->ns_n; i++)
        if (strcmp(j->ns_names[i], name) == 0)
            return fail(j, "namespace '%s' is declared a second time; "
                           "Espressif's generator would file the following "
                           "rows under the wrong namespace, so list each "
                           "namespace once", name);
    if (nvs_writer_namespace(j->w, name) < 0)
        return fail(j, "%s", j->w->error);
    snprintf(j->ns_names[j->ns_n++], NVS_KEY_MAX + 1, "%s", name);
    return 0;
}

/* The generator remembers ap.* values as written in the CSV and, once all
 * three are set, writes the PMK entry the Wi-Fi driver expects. */
static int wifi_ap_row(struct csv_job *j, const char *key, const char *val,
                       size_t n)
{
    if (strcmp(key, "ap.ssid") == 0 || strcmp(key, "ap.passwd") == 0) {
        bool ssid = key[3] == 's';
        size_t max = ssid ? WIFI_AP_SSID_MAX : WIFI_AP_PASSWD_MAX;
        if (n > max)
            return fail(j, "'%s' is longer than %zu bytes", key, max);
        char *dst = ssid ? j->ap_ssid : j->ap_passwd;
        memcpy(dst, val, n);
        dst[n] = '\0';
    } else if (strcmp(val, "0") != 0) {
        j->ap_authmode = true;
    }
    if (!j->ap_ssid[0] || !j->ap_passwd[0] || !j->ap_authmode)
        return 0;
    uint8_t info[100 + 32] = {0};
    mbedtls_md_context_t md;
    mbedtls_md_init(&md);
    int rc = mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA1),
                              1);
    if (rc == 0)
        rc = mbedtls_pkcs5_pbkdf2_hmac(
            &md, (const unsigned char *)j->ap_passwd, strlen(j->ap_passwd),
            (const unsigned char *)j->ap_ssid, strlen(j->ap_ssid), 4096, 32,
            info + 100);
    mbedtls_md_free(&md);
    if (rc != 0)
        return fail(j, "cannot derive the Wi-Fi PMK (mbedtls error %d)", rc);
    if (nvs_writer_blob(j->w, "ap.pmk_info", info, sizeof info) < 0)
        return fail(j, "%s", j->w->error);
    return 0;
}

static int wifi_sta_extras(struct csv_job *j)
{
    uint8_t apinfo[140], zeros[32] = {0};
    memset(apinfo, 0xFF, sizeof apinfo);
    j->sta_extras_done = true;
    if (nvs_writer_blob(j->w, "sta.apinfo", apinfo, sizeof apinfo) < 0 ||
        nvs_writer_blob(j->w, "sta.pmk", zeros, 32) < 0 ||
        nvs_writer_blob(j->w, "sta.apsw", zeros, 2) < 0)
        return fail(j, "%s", j->w->error);
    return 0;
}

static const char *cell(const struct csv_reader *r, int col, size_t *n)
{
    if (col < 0 || (size_t)col >= r->nfields) {
        *n = 0;
        return NULL;
    }
    *n = r->field_len[col];
    return r->field[col];
}

static int do_row(struct csv_job *j, const struct csv_reader *r)
{
    size_t kn, tn, en, vn;
    const char *key = cell(r, j->col_key, &kn);
    const char *type = cell(r, j->col_type, &tn);
    const char *enc = cell(r, j->col_enc, &en);
    const char *val = cell(r, j->col_value, &vn);
    if (!key || kn == 0)
        return fail(j, "empty key");
    if (kn > NVS_KEY_MAX)
        return fail(j, "key '%s' is longer than %u characters", key,
                    NVS_KEY_MAX);
    bool ap = is_wifi_ap_key(key), sta = is_wifi_sta_key(key);
    if ((ap || sta) && !j->wifi_extras)
        return fail(j, "key '%s' is special to Espressif's generator (it adds "
                       "hidden Wi-Fi entries next to it); rename it, or ask "
                       "for the generator's Wi-Fi extras", key);
    if (!type)
        return fail(j, "'%s' has no type (namespace, data or file)", key);
    if ((ap || sta) && strcmp(type, "data") != 0)
        return fail(j, "'%s' must be a data row (Espressif's generator would "
                       "not read a file for it)", key);
    if (strcmp(type, "namespace") == 0)
        return put_namespace(j, key);
    bool is_file = strcmp(type, "file") == 0;
    if (!is_file && strcmp(type, "data") != 0)
        return fail(j, "'%s': unknown type \"%s\" (expected namespace, data "
                       "or file)", key, type);
    if (j->w->ns_index == 0)
        return fail(j, "'%s' comes before the first namespace row", key);
    if (!enc || en == 0)
        return fail(j, "'%s' has no encoding", key);
    if (!val)
        return fail(j, "'%s' has no value column", key);
    if (remember_key(j, key) < 0)
        return -1;
    if (is_file)    /* never a Wi-Fi key: refused above */
        return put_file(j, key, enc, val);
    const char *orig = val;
    if (j->values && j->values->filter) {
        char why[200] = "";
        if (j->values->filter(j->values->ctx, j->line, key, enc, &val, &vn,
                              why, sizeof why) < 0)
            return fail(j, "'%s': %s", key, why[0] ? why : "value refused");
    }
    j->value_replaced = val != orig;
    int rc = ap ? wifi_ap_row(j, key, val, vn) : 0;
    if (rc == 0)
        rc = put_value(j, key, enc, false, val, vn);
    if (j->value_replaced && j->values->release)
        j->values->release(j->values->ctx, val);
    j->value_replaced = false;
    if (rc < 0)
        return -1;
    if (sta && !j->sta_extras_done)
        return wifi_sta_extras(j);
    return 0;
}

static int find_columns(struct csv_job *j, const struct csv_reader *r)
{
    j->col_key = j->col_type = j->col_enc = j->col_value = -1;
    for (size_t i = 0; i < r->nfields; i++) {
        const char *f = r->field[i];
        int *col = strcmp(f, "key") == 0        ? &j->col_key
                   : strcmp(f, "type") == 0     ? &j->col_type
                   : strcmp(f, "encoding") == 0 ? &j->col_enc
                   : strcmp(f, "value") == 0    ? &j->col_value
                                                : NULL;
        if (col && *col < 0)
            *col = (int)i;
    }
    if (j->col_key < 0 || j->col_type < 0 || j->col_enc < 0 ||
        j->col_value < 0)
        return fail(j, "the first line must be the header "
                       "\"key,type,encoding,value\"");
    return 0;
}

int nvs_csv_generate(const char *csv, size_t len, struct nvs_writer *w,
                     const struct nvs_file_loader *files,
                     struct nvs_csv_error *err)
{
    const struct nvs_csv_options defaults = {.wifi_extras = false};
    return nvs_csv_generate_opts(csv, len, w, files, &defaults, err);
}

int nvs_csv_generate_opts(const char *csv, size_t len, struct nvs_writer *w,
                          const struct nvs_file_loader *files,
                          const struct nvs_csv_options *opts,
                          struct nvs_csv_error *err)
{
    struct csv_job j = {.w = w, .files = files, .err = err,
                        .wifi_extras = opts && opts->wifi_extras,
                        .values = opts ? opts->values : NULL};
    char names[NVS_MAX_NAMESPACES][NVS_KEY_MAX + 1];
    j.ns_names = names;
    err->line = 0;
    err->msg[0] = '\0';
    if (!utf8_valid((const uint8_t *)csv, len))
        return fail(&j, "the CSV is not valid UTF-8 text");
    struct csv_reader r;
    csv_reader_init(&r, csv, len, true);
    char why[160];
    int rc = 0;
    bool header = true;
    for (;;) {
        int got = csv_reader_next(&r, why, sizeof why);
        if (got == 0)
            break;
        if (got < 0) {
            j.line = 0;     /* the reader's message names its line */
            rc = fail(&j, "%s", why);
            err->line = r.next_line > 1 ? r.next_line - 1 : 1;
            break;
        }
        j.line = r.line;
        rc = header ? find_columns(&j, &r) : do_row(&j, &r);
        header = false;
        if (rc < 0)
            break;
    }
    if (rc == 0 && header)
        rc = fail(&j, "the CSV is empty (no \"key,type,encoding,value\" "
                      "header)");
    csv_reader_free(&r);
    free(j.keys);
    return rc;
}
