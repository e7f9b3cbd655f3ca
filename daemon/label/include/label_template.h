/* A ZPL label template with placeholders, and the label it makes for one
 * unit (docs/label.md).
 *
 * A template is the ZPL text the label printer takes, with {serial}, {mac},
 * {board_code}, {date}, {work_order} and {station} where the unit's values
 * go; {{ and }} are a literal brace. Parsing is where every mistake is
 * found, with the line and column: an unknown placeholder, a brace left
 * open, a placeholder outside a field's data (between ^FD and the next
 * command), a field that brings its own ^FH, a change of the command
 * prefixes (^CC, ^CT).
 *
 * Escaping: a value must never become a ZPL command, so every field that
 * holds a placeholder is written with ZPL's field hex escape: "^FH" goes
 * before its ^FD, the template's own '_' in that field becomes "_5F", and
 * in the values every '^', '~', '_' and every byte outside printable ASCII
 * becomes "_XX" (its hex). The printer prints the value as it is (the QR
 * code holds the serial byte for byte); nothing is dropped or replaced.
 *
 * Pure: no I/O, no clock; the caller gives the text and the values. */
#ifndef JIGD_LABEL_TEMPLATE_H
#define JIGD_LABEL_TEMPLATE_H

#include <stddef.h>

#define LABEL_TEMPLATE_MAX (64u * 1024u)   /* a label is a few hundred bytes */

/* The unit's values; NULL counts as "" (a board with no board code prints
 * its label without one). */
struct label_values {
    const char *serial;
    const char *mac;            /* aa:bb:cc:dd:ee:ff */
    const char *board_code;     /* the scanned PCB label */
    const char *date;           /* the station's local date, YYYY-MM-DD */
    const char *work_order;
    const char *station;        /* the station's name */
};

struct label_template;

/* Parses `len` bytes of `text`. NULL with "name:line:col: what is wrong;
 * what to write" in err (or "out of memory"). */
struct label_template *label_template_parse(const char *text, size_t len, const char *name,
                                            char *err, size_t errlen);

/* The template jigd prints with when none is configured: the serial large,
 * MAC, board code, work order, date and station, and a QR code of the
 * serial drawn by the printer itself (^BQN,2,5 with ^FDQA,{serial}). */
extern const char label_default_zpl[];
struct label_template *label_template_default(char *err, size_t errlen);

/* The label for one unit: NUL-terminated ZPL (its length in *len), to
 * free(); NULL when memory ran out. */
char *label_template_fill(const struct label_template *t, const struct label_values *v,
                          size_t *len);

void label_template_free(struct label_template *t);

#endif
