/* The growing text buffer of label_buf.h. */
#include "label_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool room(struct label_buf *b, size_t more)
{
    if (b->oom)
        return false;
    if (b->n + more + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 512;
    while (cap < b->n + more + 1)
        cap *= 2;
    char *np = realloc(b->p, cap);
    if (!np) {
        b->oom = true;
        return false;
    }
    b->p = np;
    b->cap = cap;
    b->p[b->n] = '\0';     /* an empty buffer taken is "" too */
    return true;
}

void label_buf_put(struct label_buf *b, const char *s, size_t n)
{
    if (!room(b, n))
        return;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void label_buf_printf(struct label_buf *b, const char *fmt, ...)
{
    char small[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        label_buf_put(b, small, (size_t)n);
        return;
    }
    if (!room(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

char *label_buf_take(struct label_buf *b, size_t *len)
{
    if (!b->oom && !b->p)
        room(b, 0);
    char *p = b->oom ? NULL : b->p;
    if (b->oom)
        free(b->p);
    if (len)
        *len = p ? b->n : 0;
    *b = (struct label_buf){0};
    return p;
}
