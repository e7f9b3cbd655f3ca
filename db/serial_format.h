/* Serial number formats such as 'ACME-{yy}{ww}-{seq:06}': parsing and
 * expansion. Pure functions (no database, no clock) so they are fuzzed on
 * their own; serials.c turns them into committed allocations.
 *
 * Fields: {yy} {yyyy} {mm} {dd} {ww} {station} {seq} {seq:N}. Literal text
 * is letters, digits and - _ . / so a serial is safe in a file name, an NVS
 * string, a certificate subject and a barcode. */
#ifndef JIGD_SERIAL_FORMAT_H
#define JIGD_SERIAL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERIAL_FORMAT_MAX 128
#define SERIAL_TEXT_MAX 64
#define SERIAL_SEGMENTS_MAX 64
#define SERIAL_SEQ_WIDTH_MAX 18     /* 10^18 - 1 still fits SQLite's int64 */
#define SERIAL_SEQ_LIMIT 999999999999999999LL

enum serial_field {
    SERIAL_LITERAL,
    SERIAL_YY,
    SERIAL_YYYY,
    SERIAL_MM,
    SERIAL_DD,
    SERIAL_WW,
    SERIAL_STATION,
    SERIAL_SEQ,
};

struct serial_segment {
    enum serial_field field;
    uint16_t start, len;    /* SERIAL_LITERAL: the bytes of the format text */
    uint8_t width;          /* SERIAL_SEQ: 0 = as many digits as needed */
};

struct serial_format {
    char text[SERIAL_FORMAT_MAX + 1];
    struct serial_segment seg[SERIAL_SEGMENTS_MAX];
    size_t n_seg;
    bool has_week;          /* years follow the ISO week-based year */
};

/* The calendar facts a format can use, for one instant (UTC). */
struct serial_date {
    int year, month, day;   /* calendar */
    int iso_year, iso_week; /* ISO 8601 week date */
};

/* Returns false and a message naming the position and the fix on error. */
bool serial_format_parse(const char *text, struct serial_format *out,
                         char *err, size_t err_size);

void serial_date_from_ms(int64_t ms_since_epoch, struct serial_date *out);

/* True when a station name can appear in a serial. */
bool serial_station_valid(const char *station);

/* The counter scope: the serial with every field but {seq} expanded and the
 * sequence written as '{seq}'. Returns false if it would not fit. */
bool serial_format_scope(const struct serial_format *f, const struct serial_date *d,
                         const char *station, char *out, size_t size);

/* The largest sequence number the format can hold. */
int64_t serial_format_max_seq(const struct serial_format *f);

/* The serial for sequence number seq (1..max). Returns false if seq does not
 * fit the width, or the serial would exceed SERIAL_TEXT_MAX. */
bool serial_format_expand(const struct serial_format *f, const struct serial_date *d,
                          const char *station, int64_t seq, char *out, size_t size);

#endif
