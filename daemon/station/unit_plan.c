/* A unit's write plan (unit_plan.h). */
#include "unit_plan.h"

#include <stdlib.h>
#include <string.h>

#include "bundle.h"

static bool overlaps(const struct loader_region *r, const struct pt_entry *e)
{
    return r->offset < e->offset + e->size && e->offset < r->offset + r->size;
}

static bool replaced_by_unit_part(const struct loader_region *r,
                                  const struct pt_entry *const *unit_parts, size_t n_unit)
{
    for (size_t k = 0; k < n_unit; k++)
        if (overlaps(r, unit_parts[k]))
            return true;
    return false;
}

static void sum_bytes(struct unit_plan *p)
{
    p->bytes_total = 0;
    for (size_t i = 0; i < p->n; i++)
        p->bytes_total += p->regions[i].region.size;
}

int unit_plan_make(struct unit_plan *p, const struct bundle *b,
                   const struct pt_entry *const *unit_parts, size_t n_unit)
{
    memset(p, 0, sizeof *p);
    size_t cap = b->n_parts + n_unit;
    p->regions = calloc(cap ? cap : 1, sizeof *p->regions);
    p->info = calloc(cap ? cap : 1, sizeof *p->info);
    if (!p->regions || !p->info) {
        unit_plan_free(p);
        return -1;
    }
    for (size_t i = 0; i < b->n_parts; i++) {
        if (replaced_by_unit_part(&b->parts[i].region, unit_parts, n_unit))
            continue;
        p->regions[p->n].region = b->parts[i].region;
        /* Hashed once at bundle load: no board pays for it again. */
        memcpy(p->regions[p->n].md5, b->parts[i].md5, sizeof p->regions[p->n].md5);
        p->regions[p->n].md5_known = true;
        p->info[p->n].part = &b->parts[i];
        p->info[p->n++].name = b->parts[i].file;
    }
    for (size_t k = 0; k < n_unit; k++) {
        p->regions[p->n].region.offset = unit_parts[k]->offset;
        p->regions[p->n].region.size = unit_parts[k]->size;
        p->regions[p->n].late = true;
        p->info[p->n].name = unit_parts[k]->name;
        p->info[p->n++].per_unit = true;
    }
    sum_bytes(p);
    return 0;
}

void unit_plan_place(struct unit_plan *p, const char *name, const uint8_t *data, size_t size,
                     uint32_t offset)
{
    for (size_t i = 0; i < p->n; i++) {
        if (!p->info[i].per_unit || strcmp(p->info[i].name, name))
            continue;
        p->regions[i].region.data = data;
        p->regions[i].region.size = size;
        p->regions[i].region.offset = offset;
    }
    sum_bytes(p);
}

uint64_t unit_plan_bytes_before(const struct unit_plan *p, size_t index)
{
    uint64_t n = 0;
    for (size_t i = 0; i < index && i < p->n; i++)
        n += p->regions[i].region.size;
    return n;
}

void unit_plan_free(struct unit_plan *p)
{
    free(p->regions);
    free(p->info);
    memset(p, 0, sizeof *p);
}
