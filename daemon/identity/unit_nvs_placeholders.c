/* The placeholders of a per-unit NVS template, filled in the parsed value
 * of each row (never in the CSV text), with one board's values or, for the
 * proof at load, dummies of each value's largest shape. */
#include "unit_nvs_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static const char *value_of(struct unit_nvs_fill *f, size_t k, char *why,
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
        unit_nvs_set_err(why, why_cap, "the template uses {%s} but this unit has no "
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
        unit_nvs_free_wiped(b->p, b->cap);   /* may already hold the key */
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

/* {name} -> its value, {{ -> {, }} -> } (as Python's str.format). */
static int expand(struct unit_nvs_fill *f, const char *s, size_t n, struct growbuf *out,
                  char *why, size_t why_cap)
{
    for (size_t i = 0; i < n;) {
        if (s[i] == '}') {
            if (i + 1 < n && s[i + 1] == '}') {
                if (grow_put(out, "}", 1) < 0) goto oom;
                i += 2;
                continue;
            }
            unit_nvs_set_err(why, why_cap, "a lone '}' (write '}}' for a literal one)");
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
            unit_nvs_set_err(why, why_cap, "unknown placeholder {%.*s (known: {serial} "
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
    unit_nvs_set_err(why, why_cap, "out of memory");
    return -1;
}

int unit_nvs_fill_value(void *ctx, unsigned line, const char *key,
                        const char *enc, const char **value, size_t *len,
                        char *why, size_t why_cap)
{
    struct unit_nvs_fill *f = ctx;
    if (!memchr(*value, '{', *len) && !memchr(*value, '}', *len))
        return 0;
    struct growbuf out = {0};
    if (grow_put(&out, "", 0) < 0 ||
        expand(f, *value, *len, &out, why, why_cap) < 0) {
        unit_nvs_free_wiped(out.p, out.cap);
        return -1;
    }
    *value = out.p;
    *len = out.len;
    return 0;
}

void unit_nvs_fill_release(void *ctx, const char *value)
{
    unit_nvs_free_wiped((char *)value, strlen(value) + 1);
}

void unit_nvs_fill_init(struct unit_nvs_fill *f, const struct unit_nvs_template *t,
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

int unit_nvs_fill_dummies(struct unit_nvs_fill *f)
{
    const struct unit_nvs_template *t = f->t;
    f->dummy_cert = dummy_pem("CERTIFICATE", t->cert_pem_max);
    f->dummy_key = dummy_pem("PRIVATE KEY", t->key_pem_max);
    f->dummy_ca = dummy_pem("CERTIFICATE", t->ca_pem_max);
    return f->dummy_cert && f->dummy_key && f->dummy_ca ? 0 : -1;
}

void unit_nvs_fill_free(struct unit_nvs_fill *f)
{
    free(f->dummy_cert);
    free(f->dummy_key);
    free(f->dummy_ca);
}
