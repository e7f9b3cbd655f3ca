/* Serial number formats: parse anything, and whatever parses must expand to
 * serials that fit their scope.
 *
 * Input layout: bytes 0..7 are the time (ms since the epoch, clamped by the
 * date code), byte 8 picks the station name, the rest is the format text.
 * The invariants: a refusal always says why; an accepted format's serials
 * are at most SERIAL_TEXT_MAX safe characters; two sequence numbers never
 * give the same serial; and every serial is its scope with '{seq}' replaced
 * by the sequence number's digits, which is what makes one counter per
 * scope enough for uniqueness. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serial_format.h"

static const char *const stations[] = {"line3", "a", "", "bad name", "x-y_z.1",
                                       "abcdefghijklmnopqrstuvwxyz012345"};

static int serial_char_ok(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '/';
}

/* serial == scope with "{seq}" replaced by seq's decimal digits (any zero padding). */
static void check_fits_scope(const char *serial, const char *scope, int64_t seq)
{
    const char *mark = strstr(scope, "{seq}");
    if (!mark || strstr(mark + 1, "{seq}"))
        abort();
    size_t pre = (size_t)(mark - scope), post = strlen(mark + 5), len = strlen(serial);
    if (len < pre + post + 1 || memcmp(serial, scope, pre) != 0 ||
        strcmp(serial + len - post, mark + 5) != 0)
        abort();
    int64_t v = 0;
    for (size_t i = pre; i < len - post; i++) {
        if (serial[i] < '0' || serial[i] > '9')
            abort();
        v = v * 10 + (serial[i] - '0');
    }
    if (v != seq)
        abort();
}

static void check_serial(const struct serial_format *f, const struct serial_date *d,
                         const char *station, const char *scope, int64_t seq, char *out)
{
    if (!serial_format_expand(f, d, station, seq, out, SERIAL_TEXT_MAX + 1))
        return;
    size_t n = strlen(out);
    if (n == 0 || n > SERIAL_TEXT_MAX)
        abort();
    for (size_t i = 0; i < n; i++)
        if (!serial_char_ok(out[i]))
            abort();
    if (scope)
        check_fits_scope(out, scope, seq);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 9 || size > 9 + 2 * SERIAL_FORMAT_MAX)
        return 0;
    int64_t ms = 0;
    memcpy(&ms, data, 8);
    const char *station = stations[data[8] % (sizeof stations / sizeof stations[0])];
    char text[2 * SERIAL_FORMAT_MAX + 1];
    memcpy(text, data + 9, size - 9);
    text[size - 9] = '\0';

    struct serial_format f;
    struct serial_date d;
    char err[160] = "";
    if (!serial_format_parse(text, &f, err, sizeof err)) {
        if (err[0] == '\0')
            abort();
        return 0;
    }
    serial_date_from_ms(ms, &d);
    if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31 || d.iso_week < 1 ||
        d.iso_week > 53 || d.year < 1970 || d.year > 9999 || abs(d.iso_year - d.year) > 1)
        abort();
    char scope[SERIAL_FORMAT_MAX + SERIAL_TEXT_MAX + 8];
    const char *sc = serial_format_scope(&f, &d, station, scope, sizeof scope) ? scope : NULL;
    int64_t max = serial_format_max_seq(&f);
    char a[SERIAL_TEXT_MAX + 1] = "", b[SERIAL_TEXT_MAX + 1] = "", c[SERIAL_TEXT_MAX + 1];
    check_serial(&f, &d, station, sc, 1, a);
    if (max >= 2) {
        check_serial(&f, &d, station, sc, 2, b);
        if (a[0] && b[0] && strcmp(a, b) == 0)
            abort();
    }
    check_serial(&f, &d, station, sc, max, c);
    if (max < SERIAL_SEQ_LIMIT && serial_format_expand(&f, &d, station, max + 1, c, sizeof c))
        abort();
    if (serial_format_expand(&f, &d, station, 0, c, sizeof c))
        abort();
    return 0;
}
