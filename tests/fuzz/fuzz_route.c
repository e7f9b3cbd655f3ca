/* Fuzzes the REST route matcher and slot-number parser (daemon/api/api_route.c)
 * with arbitrary request paths: never a crash, a {slot} that matches is
 * always 1..API_ROUTE_SLOT_MAX in its one spelling, and a captured segment
 * never holds a '/'. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_route.h"

static const char *const patterns[] = {
    "/api/v1/station", "/api/v1/slots", "/api/v1/slots/{slot}",
    "/api/v1/slots/{slot}/start", "/api/v1/units/{serial}/attempts/{n}",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int slot;
    if (api_route_parse_slot((const char *)data, size, &slot) == 0) {
        char again[8];
        int n = snprintf(again, sizeof again, "%d", slot);
        if (slot < 1 || slot > API_ROUTE_SLOT_MAX || (size_t)n != size ||
            memcmp(again, data, size))
            abort();
    }
    char *path = malloc(size + 1);
    if (!path)
        return 0;
    memcpy(path, data, size);
    path[size] = '\0';
    for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
        struct api_route_params p;
        enum api_route_match m = api_route_match(patterns[i], path, &p);
        if (m != API_ROUTE_MATCH)
            continue;
        if (strstr(patterns[i], "{slot}") && (p.slot < 1 || p.slot > API_ROUTE_SLOT_MAX))
            abort();
        for (size_t k = 0; k < p.n; k++)
            if (strchr(p.value[k], '/') || !p.value[k][0])
                abort();
    }
    free(path);
    return 0;
}
