/* One-time compression of a flash region (see zimage.h). */
#include "zimage.h"

#include <stdlib.h>
#include <zlib.h>

uint8_t *zimage_compress(const uint8_t *data, size_t size, size_t *zsize)
{
    *zsize = 0;
    if (size > (uLong)-1 || (!data && size))
        return NULL;
    uLong cap = compressBound((uLong)size);
    uint8_t *out = malloc(cap ? cap : 1);
    if (!out)
        return NULL;
    uLongf len = cap;
    if (compress2(out, &len, data, (uLong)size, Z_BEST_COMPRESSION) != Z_OK) {
        free(out);
        return NULL;
    }
    /* Give back the slack: bundles are held for the whole shift. */
    uint8_t *fit = realloc(out, len ? len : 1);
    *zsize = len;
    return fit ? fit : out;
}

int zimage_region(struct loader_region *r, uint32_t offset, const uint8_t *data,
                  size_t size)
{
    size_t zsize;
    uint8_t *z = zimage_compress(data, size, &zsize);
    *r = (struct loader_region){
        .offset = offset, .data = data, .size = size, .zdata = z, .zsize = z ? zsize : 0,
    };
    return z ? 0 : -1;
}
