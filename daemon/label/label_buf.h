/* A growing text buffer, shared by the template filler and the SVG writer
 * (private to daemon/label). Out of memory is remembered, not checked at
 * every call: label_buf_take then gives NULL. */
#ifndef JIGD_LABEL_BUF_H
#define JIGD_LABEL_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct label_buf {
    char *p;
    size_t n, cap;
    bool oom;
};

void label_buf_put(struct label_buf *b, const char *s, size_t n);
void label_buf_printf(struct label_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The text, NUL-terminated, to free() (its length in *len, may be NULL);
 * NULL if memory ran out. The buffer is empty after. */
char *label_buf_take(struct label_buf *b, size_t *len);

#endif
