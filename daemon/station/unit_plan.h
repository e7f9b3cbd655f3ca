/* A unit's write plan: the bundle's parts, then the per-unit partitions
 * (bytes made for this board after identify). The flash job writes the
 * plan's regions in order; the names and flags beside them are for events
 * and records. Pure data: no loop, no database. */
#ifndef JIGD_UNIT_PLAN_H
#define JIGD_UNIT_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flash_job.h"

struct bundle;
struct bundle_part;
struct pt_entry;

/* What a region of the plan is. */
struct unit_plan_info {
    const char *name;               /* bundle file, or partition label */
    bool per_unit;
    const struct bundle_part *part; /* the bundle's part; NULL when per_unit */
};

struct unit_plan {
    struct flash_job_region *regions;
    struct unit_plan_info *info;
    size_t n;
    uint64_t bytes_total;
};

/* The bundle's parts and, after them, the partitions in `unit_parts`
 * (their bytes come later, unit_plan_place). A bundle part inside a
 * per-unit partition (a bundle that ships its own nvs.bin) is left out: the
 * board's own wins. -1 when memory ran out. */
int unit_plan_make(struct unit_plan *p, const struct bundle *b,
                   const struct pt_entry *const *unit_parts, size_t n_unit);

/* Points the per-unit region named `name` at bytes made for this board. */
void unit_plan_place(struct unit_plan *p, const char *name, const uint8_t *data, size_t size,
                     uint32_t offset);

/* Bytes before region `index`: where a write's progress starts. */
uint64_t unit_plan_bytes_before(const struct unit_plan *p, size_t index);

void unit_plan_free(struct unit_plan *p);

#endif
