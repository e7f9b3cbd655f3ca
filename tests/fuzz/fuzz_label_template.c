/* Fuzzes the label template (daemon/label): the ZPL scanner and the
 * placeholders. Properties: a template either loads or says where it is
 * wrong (file:line:col); a loaded one filled with values full of '^', '~',
 * '_' and control bytes holds exactly as many '^' and '~' as when filled
 * with harmless values, so no value ever adds a ZPL command; and the SVG
 * preview of any values is printable ASCII. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "label_svg.h"
#include "label_template.h"

static size_t prefixes(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '^' || *s == '~';
    return n;
}

static void check_fill(const struct label_template *t)
{
    static const struct label_values nasty = {
        .serial = "S^XZ~JA_1", .mac = "^FS~", .board_code = "_5E^FD\n\x7f\xff",
        .date = "~", .work_order = "^^^", .station = "_"};
    static const struct label_values plain = {
        .serial = "S1", .mac = "m", .board_code = "b", .date = "d", .work_order = "w",
        .station = "s"};
    size_t a_len, b_len;
    char *a = label_template_fill(t, &nasty, &a_len);
    char *b = label_template_fill(t, &plain, &b_len);
    if (!a || !b || strlen(a) != a_len || strlen(b) != b_len || prefixes(a) != prefixes(b))
        abort();
    free(a);
    free(b);
}

/* The input as the values of a unit (split at NUL bytes). */
static void check_svg(const uint8_t *data, size_t size)
{
    char buf[512];
    size_t n = size < sizeof buf - 1 ? size : sizeof buf - 1;
    memcpy(buf, data, n);
    buf[n] = '\0';
    const char *parts[6] = {buf, "", "", "", "", ""};
    for (size_t i = 0, k = 1; i < n && k < 6; i++)
        if (!buf[i])
            parts[k++] = buf + i + 1;
    struct label_values v = {parts[0], parts[1], parts[2], parts[3], parts[4], parts[5]};
    char *svg = label_svg(&v, NULL);
    for (const char *s = svg; s && *s; s++)
        if ((*s < 0x20 && *s != '\n') || *s > 0x7e)
            abort();
    free(svg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[400];
    err[0] = '\0';
    struct label_template *t = label_template_parse((const char *)data, size, "f.zpl", err,
                                                    sizeof err);
    if (!t) {
        if (strncmp(err, "f.zpl:", 6))
            abort();        /* every refusal names the template */
    } else {
        check_fill(t);
        label_template_free(t);
    }
    check_svg(data, size);
    return 0;
}
