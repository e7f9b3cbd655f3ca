/* The text exposition format, 0.0.4 (metrics_text.h). */
#include "metrics_text.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INITIAL_CAP 4096

static const char *const type_names[] = {
    [METRICS_COUNTER] = "counter",
    [METRICS_GAUGE] = "gauge",
    [METRICS_HISTOGRAM] = "histogram",
};

void metrics_text_init(struct metrics_text *m)
{
    *m = (struct metrics_text){.type = METRICS_GAUGE};
}

void metrics_text_free(struct metrics_text *m)
{
    free(m->text);
    metrics_text_init(m);
}

static void fail(struct metrics_text *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail(struct metrics_text *m, const char *fmt, ...)
{
    if (m->failed)
        return;         /* the first mistake is the one worth reading */
    m->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->why, sizeof m->why, fmt, ap);
    va_end(ap);
}

/* ---- the growing text --------------------------------------------------- */

static void put_bytes(struct metrics_text *m, const char *p, size_t n)
{
    if (m->failed)
        return;
    if (m->len + n + 1 > m->cap) {
        size_t cap = m->cap ? m->cap : INITIAL_CAP;
        while (cap < m->len + n + 1)
            cap *= 2;
        char *t = realloc(m->text, cap);
        if (!t) {
            fail(m, "out of memory after %zu bytes", m->len);
            return;
        }
        m->text = t;
        m->cap = cap;
    }
    memcpy(m->text + m->len, p, n);
    m->len += n;
    m->text[m->len] = '\0';
}

static void put(struct metrics_text *m, const char *s)
{
    put_bytes(m, s, strlen(s));
}

/* ---- names -------------------------------------------------------------- */

static bool name_char(char c, bool first, bool colon)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
        return true;
    if (colon && c == ':')
        return true;
    return !first && c >= '0' && c <= '9';
}

/* A metric name (colons allowed) or a label name. */
static bool valid_name(const char *s, bool colon)
{
    if (!s || !s[0] || strlen(s) > METRICS_NAME_MAX)
        return false;
    for (size_t i = 0; s[i]; i++)
        if (!name_char(s[i], i == 0, colon))
            return false;
    return true;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && !memcmp(s + n - t, tail, t);
}

/* ---- escaping ----------------------------------------------------------- */

/* The length of the UTF-8 sequence at p (at most `left` bytes), or 0 when
 * it is not one: overlong forms, surrogates and code points past U+10FFFF
 * included, as Go's decoder (Prometheus') refuses them. */
static size_t utf8_length(const unsigned char *p, size_t left)
{
    if (p[0] < 0x80)
        return 1;
    size_t n;
    uint32_t cp, min;
    if ((p[0] & 0xe0) == 0xc0) {
        n = 2, cp = p[0] & 0x1f, min = 0x80;
    } else if ((p[0] & 0xf0) == 0xe0) {
        n = 3, cp = p[0] & 0x0f, min = 0x800;
    } else if ((p[0] & 0xf8) == 0xf0) {
        n = 4, cp = p[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n > left)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* Text with backslash and newline escaped, and the double quote too in a
 * label value (HELP text keeps its quotes as they are). */
static void put_escaped(struct metrics_text *m, const char *s, bool quote)
{
    static const char replacement[] = "\xef\xbf\xbd";   /* U+FFFD */
    const unsigned char *p = (const unsigned char *)s;
    size_t left = strlen(s);
    while (left) {
        size_t n = utf8_length(p, left);
        if (n == 0) {
            put(m, replacement);
            n = 1;
        } else if (*p == '\\') {
            put(m, "\\\\");
        } else if (*p == '\n') {
            put(m, "\\n");
        } else if (*p == '"' && quote) {
            put(m, "\\\"");
        } else {
            put_bytes(m, (const char *)p, n);
        }
        p += n;
        left -= n;
    }
}

/* ---- numbers ------------------------------------------------------------ */

void metrics_number(double v, char out[METRICS_NUMBER_MAX])
{
    if (isnan(v)) {
        snprintf(out, METRICS_NUMBER_MAX, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(out, METRICS_NUMBER_MAX, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    /* Whole numbers in full (921600, not 9.216e+05) while a double holds
     * them exactly. */
    if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        snprintf(out, METRICS_NUMBER_MAX, "%.0f", v);
        return;
    }
    /* 0.1 as "0.1", not "0.10000000000000001": the fewest digits that
     * read back as the same double (17 always do). */
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(out, METRICS_NUMBER_MAX, "%.*g", digits, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

/* ---- families and samples ----------------------------------------------- */

void metrics_family(struct metrics_text *m, enum metrics_type type, const char *name,
                    const char *help)
{
    if (!valid_name(name, true)) {
        fail(m, "'%s' is not a metric name", name ? name : "(null)");
        return;
    }
    if ((unsigned)type > METRICS_HISTOGRAM) {
        fail(m, "%s: no such metric type", name);
        return;
    }
    /* promtool's lint, kept here so a new counter cannot slip past it. */
    if (type == METRICS_COUNTER && !ends_with(name, "_total")) {
        fail(m, "counter %s: a counter's name ends in _total", name);
        return;
    }
    snprintf(m->family, sizeof m->family, "%s", name);
    m->type = type;
    put(m, "# HELP ");
    put(m, name);
    put(m, " ");
    put_escaped(m, help ? help : "", false);
    put(m, "\n# TYPE ");
    put(m, name);
    put(m, " ");
    put(m, type_names[type]);
    put(m, "\n");
}

static bool labels_ok(struct metrics_text *m, const struct metrics_label *labels, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *name = labels[i].name;
        if (!valid_name(name, false) || !strncmp(name, "__", 2)) {
            fail(m, "%s: '%s' is not a label name", m->family, name ? name : "(null)");
            return false;
        }
        if (m->type == METRICS_HISTOGRAM && !strcmp(name, "le")) {
            fail(m, "%s: 'le' is the histogram's own label", m->family);
            return false;
        }
        if (!labels[i].value) {
            fail(m, "%s: label %s has no value", m->family, name);
            return false;
        }
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(labels[j].name, name)) {
                fail(m, "%s: label %s given twice", m->family, name);
                return false;
            }
        }
    }
    return true;
}

/* One line: name+suffix{labels[,le="..."]} value */
static void line(struct metrics_text *m, const char *suffix, const struct metrics_label *labels,
                 size_t n, const char *le, const char *value)
{
    put(m, m->family);
    put(m, suffix);
    if (n || le) {
        put(m, "{");
        for (size_t i = 0; i < n; i++) {
            if (i)
                put(m, ",");
            put(m, labels[i].name);
            put(m, "=\"");
            put_escaped(m, labels[i].value, true);
            put(m, "\"");
        }
        if (le) {
            put(m, n ? ",le=\"" : "le=\"");
            put(m, le);
            put(m, "\"");
        }
        put(m, "}");
    }
    put(m, " ");
    put(m, value);
    put(m, "\n");
}

/* A counter's or gauge's sample may come now, with these labels. */
static bool plain_sample_ok(struct metrics_text *m, const struct metrics_label *labels, size_t n)
{
    if (m->failed)
        return false;
    if (!m->family[0]) {
        fail(m, "a sample before any family");
        return false;
    }
    if (m->type == METRICS_HISTOGRAM) {
        fail(m, "%s is a histogram: write it with metrics_histogram", m->family);
        return false;
    }
    return labels_ok(m, labels, n);
}

void metrics_value(struct metrics_text *m, const struct metrics_label *labels, size_t n,
                   double value)
{
    if (!plain_sample_ok(m, labels, n))
        return;
    if (m->type == METRICS_COUNTER && !(value >= 0)) {
        fail(m, "%s: a counter cannot be negative or NaN", m->family);
        return;
    }
    char text[METRICS_NUMBER_MAX];
    metrics_number(value, text);
    line(m, "", labels, n, NULL, text);
}

void metrics_count(struct metrics_text *m, const struct metrics_label *labels, size_t n,
                   uint64_t value)
{
    if (!plain_sample_ok(m, labels, n))
        return;
    char text[24];
    snprintf(text, sizeof text, "%" PRIu64, value);
    line(m, "", labels, n, NULL, text);
}

void metrics_histogram(struct metrics_text *m, const struct metrics_label *labels, size_t n,
                       const struct metrics_histogram *h)
{
    if (m->failed)
        return;
    if (!m->family[0] || m->type != METRICS_HISTOGRAM) {
        fail(m, "%s is not a histogram family", m->family[0] ? m->family : "(none)");
        return;
    }
    if (!labels_ok(m, labels, n))
        return;
    if (!h->bounds) {
        fail(m, "%s: a histogram without bounds", m->family);
        return;
    }
    char le[METRICS_NUMBER_MAX], value[24];
    uint64_t below = 0;
    for (size_t i = 0; i < h->n_bounds; i++) {
        below += h->in[i];
        metrics_number(h->bounds[i], le);
        snprintf(value, sizeof value, "%" PRIu64, below);
        line(m, "_bucket", labels, n, le, value);
    }
    snprintf(value, sizeof value, "%" PRIu64, below + h->in[h->n_bounds]);
    line(m, "_bucket", labels, n, "+Inf", value);
    char sum[METRICS_NUMBER_MAX];
    metrics_number(h->sum, sum);
    line(m, "_sum", labels, n, NULL, sum);
    snprintf(value, sizeof value, "%" PRIu64, h->count);
    line(m, "_count", labels, n, NULL, value);
}

const char *metrics_text_result(const struct metrics_text *m, size_t *len)
{
    if (m->failed)
        return NULL;
    if (len)
        *len = m->len;
    return m->text ? m->text : "";
}
