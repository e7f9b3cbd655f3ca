/* Compress a flash region once, for every slot (rom-protocol.md §9.3,
 * §15): a zlib stream at level 9, the form FLASH_DEFL_DATA carries.
 * Level 9 is deterministic, so the same bundle always gives the same
 * stream. This is the one place in protocol/ that allocates, and it says
 * so: the caller owns the result. Run it off the I/O loop (it is CPU work). */
#ifndef JIGD_ZIMAGE_H
#define JIGD_ZIMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "loader.h"

/* Returns a malloc'd zlib stream of data[0..size) and its length in
 * *zsize; the caller frees it with free(). NULL on failure (out of memory,
 * or size too large for zlib). */
uint8_t *zimage_compress(const uint8_t *data, size_t size, size_t *zsize);

/* Fills *r for writing data[0..size) at offset, with a fresh compressed
 * copy in r->zdata (malloc'd: free((void *)r->zdata) when no slot uses it
 * any more). Returns 0, or -1 with r->zdata NULL (the region then writes
 * uncompressed). */
int zimage_region(struct loader_region *r, uint32_t offset, const uint8_t *data,
                  size_t size);

#endif
