/* The preview of a unit's label that the dashboard shows: an SVG drawn by
 * jigd, its text lines (serial, MAC, board code, work order, date and
 * station) and the QR code of the serial, each dark module a rect, made
 * with libqrencode at the level the default template asks the printer for
 * (Q). It shows what the label carries, not a configured template's
 * layout: that is the printer's to draw.
 *
 * Safe to put in a page: every value is escaped for XML (a byte outside
 * printable ASCII shows as '?'), and the SVG holds no script, link, style
 * or reference to anything outside it. */
#ifndef JIGD_LABEL_SVG_H
#define JIGD_LABEL_SVG_H

#include <stddef.h>

#include "label_template.h"

/* The SVG text to free() (its length in *len, may be NULL); NULL when the
 * serial is empty, too long for a QR code, or memory ran out. The QR
 * group is <g class="qr" data-modules="N">, N modules a side. */
char *label_svg(const struct label_values *v, size_t *len);

#endif
