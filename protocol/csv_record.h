/* A CSV record reader with the rules of Python's csv module in its default
 * ("excel") dialect, which Espressif's generators use: comma separated,
 * double-quote quoting with "" for a literal quote, quoted cells may span
 * lines, nothing stripped. Lines end in LF, CRLF or CR (read as LF, as
 * Python's text mode does). Optionally, physical lines starting with '#'
 * are dropped before parsing (the NVS generator's comment rule).
 *
 * Allocation: the reader keeps one growing malloc'd buffer for the current
 * record's cells; csv_reader_free() releases it. */
#ifndef JIGD_CSV_RECORD_H
#define JIGD_CSV_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#define CSV_MAX_FIELDS 16

struct csv_reader {
    const char *pos, *end;
    unsigned next_line;         /* physical line number at pos (1-based) */
    bool drop_hash_lines;
    char *buf;
    size_t cap, len;
    size_t offs[CSV_MAX_FIELDS];
    size_t lens[CSV_MAX_FIELDS];
    /* The current record, valid until the next call: */
    unsigned line;              /* line where the record starts */
    size_t nfields;             /* cells in the record (beyond MAX dropped) */
    size_t total_fields;        /* cells counted, including dropped ones */
    const char *field[CSV_MAX_FIELDS]; /* NUL-terminated */
    size_t field_len[CSV_MAX_FIELDS];
};

/* A leading UTF-8 byte-order mark is skipped. */
void csv_reader_init(struct csv_reader *r, const char *text, size_t len,
                     bool drop_hash_lines);

/* Reads the next non-empty record. Returns 1 with the record filled in,
 * 0 at the end of the text, or -1 with a message in err (a NUL byte, an
 * unterminated quoted cell, out of memory). */
int csv_reader_next(struct csv_reader *r, char *err, size_t err_cap);

void csv_reader_free(struct csv_reader *r);

#endif
