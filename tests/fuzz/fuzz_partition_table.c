/* Fuzzes partition tables, binary and CSV. The first byte picks the path.
 * Property: a CSV that verifies turns into a binary that parses back to the
 * same entries and verifies again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "partition_table.h"

static void round_trip(const struct pt_table *t, const struct pt_options *o)
{
    uint8_t bin[PT_MAX_LEN];
    struct pt_error err;
    if (pt_to_binary(t, o, bin, &err) != 0)
        return;     /* too many entries for the 0xC00 bytes */
    struct pt_table back;
    if (pt_parse_binary(bin, sizeof bin, o, &back, &err) != 0 ||
        back.n != t->n || pt_verify(&back, o, &err) != 0)
        abort();
    for (size_t i = 0; i < t->n; i++)
        if (back.e[i].type != t->e[i].type ||
            back.e[i].subtype != t->e[i].subtype ||
            back.e[i].offset != t->e[i].offset ||
            back.e[i].size != t->e[i].size ||
            back.e[i].flags != t->e[i].flags ||
            strncmp(back.e[i].name, t->e[i].name, PT_NAME_MAX) != 0)
            abort();
    char csv[8192];
    pt_to_csv(&back, csv, sizeof csv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct pt_options o;
    pt_options_default(&o);
    o.md5 = (data[0] & 2) == 0;
    o.flash_size = (data[0] & 4) ? 4u << 20 : 0;
    struct pt_table t;
    struct pt_error err;
    if (data[0] & 1) {
        if (pt_parse_binary(data + 1, size - 1, &o, &t, &err) != 0)
            return 0;
        char csv[8192];
        pt_to_csv(&t, csv, sizeof csv);
        if (pt_verify(&t, &o, &err) == 0)
            round_trip(&t, &o);
        return 0;
    }
    if (pt_parse_csv((const char *)data + 1, size - 1, &o, &t, &err) != 0 ||
        pt_verify(&t, &o, &err) != 0)
        return 0;
    round_trip(&t, &o);
    return 0;
}
