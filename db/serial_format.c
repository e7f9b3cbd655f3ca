/* Serial number formats: parsing, ISO week dates and expansion. */
#include "serial_format.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static bool is_serial_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '/';
}

bool serial_station_valid(const char *station)
{
    size_t n = strlen(station);
    if (n == 0 || n > 32)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_serial_char(station[i]) || station[i] == '/')
            return false;
    return true;
}

static const struct {
    const char *name;
    enum serial_field field;
} field_names[] = {
    {"yy", SERIAL_YY},     {"yyyy", SERIAL_YYYY}, {"mm", SERIAL_MM},
    {"dd", SERIAL_DD},     {"ww", SERIAL_WW},     {"station", SERIAL_STATION},
    {"seq", SERIAL_SEQ},
};

/* Parses the inside of {...}: a field name, or seq:N. */
static bool parse_field(const char *name, size_t len, struct serial_segment *seg,
                        char *err, size_t err_size)
{
    if (len > 4 && memcmp(name, "seq:", 4) == 0) {
        int width = 0;
        for (size_t i = 4; i < len; i++) {
            if (name[i] < '0' || name[i] > '9' || width > SERIAL_SEQ_WIDTH_MAX) {
                width = -1;
                break;
            }
            width = width * 10 + (name[i] - '0');
        }
        if (width < 1 || width > SERIAL_SEQ_WIDTH_MAX) {
            snprintf(err, err_size, "{%.*s}: the width of {seq:N} must be 1 to %d digits",
                     (int)len, name, SERIAL_SEQ_WIDTH_MAX);
            return false;
        }
        seg->field = SERIAL_SEQ;
        seg->width = (uint8_t)width;
        return true;
    }
    for (size_t i = 0; i < sizeof field_names / sizeof field_names[0]; i++) {
        if (strlen(field_names[i].name) == len && memcmp(field_names[i].name, name, len) == 0) {
            seg->field = field_names[i].field;
            seg->width = 0;
            return true;
        }
    }
    snprintf(err, err_size,
             "unknown field {%.*s}: use {yy} {yyyy} {mm} {dd} {ww} {station} {seq} or {seq:N}",
             (int)(len > 32 ? 32 : len), name);
    return false;
}

static bool add_segment(struct serial_format *f, struct serial_segment seg, char *err,
                        size_t err_size)
{
    if (f->n_seg == SERIAL_SEGMENTS_MAX) {
        snprintf(err, err_size, "too many fields (at most %d)", SERIAL_SEGMENTS_MAX);
        return false;
    }
    f->seg[f->n_seg++] = seg;
    return true;
}

bool serial_format_parse(const char *text, struct serial_format *out, char *err,
                         size_t err_size)
{
    memset(out, 0, sizeof *out);
    size_t n = strlen(text);
    if (n == 0 || n > SERIAL_FORMAT_MAX) {
        snprintf(err, err_size, "a serial format is 1 to %d characters long", SERIAL_FORMAT_MAX);
        return false;
    }
    memcpy(out->text, text, n + 1);
    int seqs = 0;
    size_t i = 0;
    while (i < n) {
        struct serial_segment seg = {.field = SERIAL_LITERAL, .start = (uint16_t)i};
        if (text[i] == '{') {
            const char *close = memchr(text + i, '}', n - i);
            if (!close) {
                snprintf(err, err_size, "position %zu: '{' is never closed by '}'", i + 1);
                return false;
            }
            size_t len = (size_t)(close - text) - i - 1;
            if (!parse_field(text + i + 1, len, &seg, err, err_size))
                return false;
            seqs += seg.field == SERIAL_SEQ;
            out->has_week |= seg.field == SERIAL_WW;
            i += len + 2;
        } else {
            while (i < n && text[i] != '{') {
                if (!is_serial_char(text[i])) {
                    snprintf(err, err_size,
                             "position %zu: '%c' cannot be in a serial; use letters, digits, - _ . /",
                             i + 1, (text[i] >= 0x20 && text[i] < 0x7f) ? text[i] : '?');
                    return false;
                }
                i++;
            }
            seg.len = (uint16_t)(i - seg.start);
        }
        if (!add_segment(out, seg, err, err_size))
            return false;
    }
    if (seqs != 1) {
        snprintf(err, err_size,
                 "a serial format needs exactly one {seq} or {seq:N} (it has %d)", seqs);
        return false;
    }
    return true;
}

/* ISO 8601 weeks start on Monday; week 1 holds the year's first Thursday. */
static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int weeks_in_iso_year(int y)
{
    /* A year has 53 weeks when it starts on a Thursday, or is a leap year
     * starting on a Wednesday. jan1: 0 = Sunday .. 6 = Saturday. */
    int p = y - 1;
    int jan1 = (1 + 5 * (p % 4) + 4 * (p % 100) + 6 * (p % 400)) % 7;
    return (jan1 == 4 || (jan1 == 3 && is_leap(y))) ? 53 : 52;
}

void serial_date_from_ms(int64_t ms, struct serial_date *out)
{
    /* Clamp to years 1970..9999 so {yyyy} is always four digits. */
    if (ms < 0)
        ms = 0;
    if (ms > 253402300799999LL)
        ms = 253402300799999LL;
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    out->year = tm.tm_year + 1900;
    out->month = tm.tm_mon + 1;
    out->day = tm.tm_mday;
    int weekday = tm.tm_wday == 0 ? 7 : tm.tm_wday;   /* Monday 1 .. Sunday 7 */
    int week = (tm.tm_yday + 1 - weekday + 10) / 7;
    out->iso_year = out->year;
    if (week < 1) {
        out->iso_year--;
        week = weeks_in_iso_year(out->iso_year);
    } else if (week > weeks_in_iso_year(out->year)) {
        out->iso_year++;
        week = 1;
    }
    out->iso_week = week;
}

/* Appends text to out; false if it would not fit. */
static bool put(char *out, size_t size, size_t *pos, const char *text, size_t len)
{
    if (*pos + len >= size)
        return false;
    memcpy(out + *pos, text, len);
    *pos += len;
    out[*pos] = '\0';
    return true;
}

static bool put_number(char *out, size_t size, size_t *pos, int64_t v, int width)
{
    char buf[32];
    int len = snprintf(buf, sizeof buf, "%0*lld", width, (long long)v);
    return len > 0 && put(out, size, pos, buf, (size_t)len);
}

/* Expands every field; seq < 0 writes the '{seq}' placeholder. */
static bool expand(const struct serial_format *f, const struct serial_date *d,
                   const char *station, int64_t seq, char *out, size_t size)
{
    size_t pos = 0;
    int year = f->has_week ? d->iso_year : d->year;
    if (size == 0)
        return false;
    out[0] = '\0';
    for (size_t i = 0; i < f->n_seg; i++) {
        const struct serial_segment *s = &f->seg[i];
        bool ok;
        switch (s->field) {
        case SERIAL_LITERAL: ok = put(out, size, &pos, f->text + s->start, s->len); break;
        case SERIAL_YY: ok = put_number(out, size, &pos, year % 100, 2); break;
        case SERIAL_YYYY: ok = put_number(out, size, &pos, year, 4); break;
        case SERIAL_MM: ok = put_number(out, size, &pos, d->month, 2); break;
        case SERIAL_DD: ok = put_number(out, size, &pos, d->day, 2); break;
        case SERIAL_WW: ok = put_number(out, size, &pos, d->iso_week, 2); break;
        case SERIAL_STATION: ok = put(out, size, &pos, station, strlen(station)); break;
        case SERIAL_SEQ:
            ok = seq < 0 ? put(out, size, &pos, "{seq}", 5)
                         : put_number(out, size, &pos, seq, s->width);
            break;
        default: ok = false;
        }
        if (!ok) {
            out[0] = '\0';     /* never leave half a serial behind */
            return false;
        }
    }
    return true;
}

static bool uses_station(const struct serial_format *f)
{
    for (size_t i = 0; i < f->n_seg; i++)
        if (f->seg[i].field == SERIAL_STATION)
            return true;
    return false;
}

bool serial_format_scope(const struct serial_format *f, const struct serial_date *d,
                         const char *station, char *out, size_t size)
{
    if (uses_station(f) && !serial_station_valid(station))
        return false;
    /* Room for a full-length serial plus the placeholder's own characters. */
    return expand(f, d, station, -1, out, size);
}

int64_t serial_format_max_seq(const struct serial_format *f)
{
    for (size_t i = 0; i < f->n_seg; i++) {
        if (f->seg[i].field != SERIAL_SEQ || f->seg[i].width == 0)
            continue;
        int64_t max = 9;
        for (int w = 1; w < f->seg[i].width; w++)
            max = max * 10 + 9;
        return max;
    }
    return SERIAL_SEQ_LIMIT;
}

bool serial_format_expand(const struct serial_format *f, const struct serial_date *d,
                          const char *station, int64_t seq, char *out, size_t size)
{
    if (size > 0)
        out[0] = '\0';
    if (seq < 1 || seq > serial_format_max_seq(f))
        return false;
    if (uses_station(f) && !serial_station_valid(station))
        return false;
    if (size > SERIAL_TEXT_MAX + 1)
        size = SERIAL_TEXT_MAX + 1;
    return expand(f, d, station, seq, out, size);
}
