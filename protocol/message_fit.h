/* Error messages into fixed buffers, ending cleanly. snprintf cuts a
 * message that does not fit wherever the buffer ends, often inside a word
 * and with nothing to show that more was meant; an operator then reads
 * "check the ho" and guesses. message_fit cuts after the last whole word
 * that fits and marks the cut with "…", so what is shown is true as far as
 * it goes and says that it stops early.
 *
 * Sizing the buffer for the whole message is still the first fix; this is
 * for buffers a caller chose. */
#ifndef JIGD_MESSAGE_FIT_H
#define JIGD_MESSAGE_FIT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* U+2026, what a cut message ends with. */
#define MESSAGE_ELLIPSIS "\xe2\x80\xa6"

/* Formats like snprintf into buf (cap bytes, cap >= 1). Returns true if the
 * whole message fitted; false if it was cut: after the last whole word
 * (trailing spaces and ",:;(" dropped) and then "…"; a message with no
 * space to cut at is cut between two UTF-8 characters instead. */
bool message_fit(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool message_vfit(char *buf, size_t cap, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#endif
