/* Fuzzes the bundle manifest parser (daemon/bundle/bundle_manifest.c): any bytes
 * give a manifest that keeps the parser's promises, or a reason. A parsed
 * manifest must also survive being written out and read back unchanged. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bundle_manifest.h"

static void check_promises(const struct bundle_manifest *m)
{
    if (!m->chip || m->n_parts == 0 || m->n_parts > BUNDLE_MAX_PARTS)
        abort();
    for (size_t i = 0; i < m->n_parts; i++) {
        if (m->parts[i].offset % BUNDLE_SECTOR || !bundle_file_name_ok(m->parts[i].file))
            abort();
        for (size_t j = 0; j < i; j++)
            if (m->parts[j].offset == m->parts[i].offset)
                abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bundle_manifest m, again;
    char err[512];
    err[0] = '\0';
    if (bundle_manifest_parse((const char *)data, size, &m, err, sizeof err)) {
        if (!err[0])
            abort();    /* a refusal always says why */
        return 0;
    }
    check_promises(&m);
    char *text = bundle_manifest_format(&m);
    if (!text)
        abort();
    if (bundle_manifest_parse(text, strlen(text), &again, err, sizeof err))
        abort();
    if (memcmp(&m, &again, sizeof m))
        abort();        /* writing and reading back changes nothing */
    free(text);
    return 0;
}
