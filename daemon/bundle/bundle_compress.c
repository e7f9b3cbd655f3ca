/* Compress once: every part of a bundle is deflated a single time (zlib
 * level 9, protocol/zimage.h) and the streams are shared by all slots.
 * Level 9 costs seconds per megabyte on a Raspberry Pi, which is why this
 * runs on a worker thread (bundle_load_async) and never per board. */
#include <stdio.h>

#include "bundle.h"
#include "zimage.h"

int bundle_compress(struct bundle *b, char *err, size_t errlen)
{
    if (b->compressed)
        return 0;
    b->total_zsize = 0;
    for (size_t i = 0; i < b->n_parts; i++) {
        struct loader_region *r = &b->parts[i].region;
        if (r->zdata)
            continue;
        size_t zsize;
        uint8_t *z = zimage_compress(r->data, r->size, &zsize);
        if (!z) {
            snprintf(err, errlen, "%s: out of memory compressing %s (%zu bytes)",
                     b->dir, b->parts[i].file, r->size);
            return -1;
        }
        r->zdata = z;
        r->zsize = zsize;
    }
    for (size_t i = 0; i < b->n_parts; i++)
        b->total_zsize += b->parts[i].region.zsize;
    b->compressed = true;
    return 0;
}
