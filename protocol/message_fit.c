/* Error messages into fixed buffers, cut after a whole word. See message_fit.h. */
#include "message_fit.h"

#include <stdio.h>
#include <string.h>

/* Characters that may not end a cut message: a dangling separator or an
 * opening bracket reads as if something were still to come. */
static bool dangles(char c)
{
    return c == ' ' || c == ',' || c == ':' || c == ';' || c == '(';
}

/* Where to cut buf (text that went on past `limit`) so that it ends after
 * a whole word: at the last space at or before limit. 0 if there is none. */
static size_t word_end(const char *buf, size_t limit)
{
    for (size_t i = limit; i > 0; i--)
        if (buf[i] == ' ')
            return i;
    return 0;
}

/* The longest prefix of buf[0, len) that ends with a whole UTF-8
 * character: a lead byte whose sequence would run past len goes. */
static size_t whole_chars(const char *buf, size_t len)
{
    size_t lead = len;
    while (lead > 0 && ((unsigned char)buf[lead - 1] & 0xC0) == 0x80)
        lead--;
    if (lead == 0)
        return 0;
    unsigned char b = (unsigned char)buf[--lead];
    size_t need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
    return len - lead >= need ? len : lead;
}

bool message_vfit(char *buf, size_t cap, const char *fmt, va_list ap)
{
    int n = vsnprintf(buf, cap, fmt, ap);
    if (n < 0) {
        buf[0] = '\0';      /* an encoding error: nothing sure to show */
        return false;
    }
    if ((size_t)n < cap)
        return true;

    const size_t mark = sizeof MESSAGE_ELLIPSIS - 1;
    if (cap <= mark + 1) {
        buf[whole_chars(buf, cap - 1)] = '\0';  /* no room to say it was cut */
        return false;
    }
    /* buf holds cap - 1 bytes of the message; the text goes on after it. */
    size_t limit = cap - 1 - mark;
    size_t end = word_end(buf, limit);
    if (end == 0)
        end = whole_chars(buf, limit);
    while (end > 0 && dangles(buf[end - 1]))
        end--;
    memcpy(buf + end, MESSAGE_ELLIPSIS, mark + 1);
    return false;
}

bool message_fit(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool whole = message_vfit(buf, cap, fmt, ap);
    va_end(ap);
    return whole;
}
