/* How doctor prints a finding: one line saying what it found, and for a
 * problem a second line with the fix, so the engineer never has to work
 * out what to do from what is wrong. The words `problem`, `ok` and `note`
 * start the lines so a script (or the test) can pick them out. */
#include "doctor.h"

#include <stdarg.h>

static void line(struct doctor *d, const char *word, const char *fmt, va_list ap)
{
    fprintf(d->out, "%-8s", word);
    vfprintf(d->out, fmt, ap);
    fputc('\n', d->out);
}

void doctor_problem(struct doctor *d, const char *fix, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    line(d, "problem", fmt, ap);
    va_end(ap);
    fprintf(d->out, "%-8s%s\n", "  fix:", fix);
    d->problems++;
}

void doctor_ok(struct doctor *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    line(d, "ok", fmt, ap);
    va_end(ap);
}

void doctor_note(struct doctor *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    line(d, "note", fmt, ap);
    va_end(ap);
}
