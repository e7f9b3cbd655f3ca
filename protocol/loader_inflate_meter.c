/* How many bytes each compressed block will put on flash.
 *
 * The device's time to answer a FLASH_DEFL_DATA block grows with what it
 * must erase and write, i.e. with the block's *uncompressed* size (§9.2):
 * 16 KiB of a zeroed partition can inflate to megabytes. Like esptool 4 we
 * inflate each block as it is sent, only to count its output. zlib gets its
 * memory from an arena inside the loader, so nothing is allocated; should
 * the stream fail to inflate, the overall ratio gives an estimate instead. */
#include "loader_internal.h"

#include <string.h>

static voidpf arena_alloc(voidpf opaque, uInt items, uInt size)
{
    struct loader_inflate_meter *m = opaque;
    size_t n = ((size_t)items * size + 15) & ~(size_t)15;
    if (items != 0 && n / items < size)
        return Z_NULL;
    if (n > sizeof m->arena - m->used)
        return Z_NULL;
    void *p = m->arena + m->used;
    m->used += n;
    return p;
}

static void arena_free(voidpf opaque, voidpf p)
{
    (void)opaque;
    (void)p;    /* the arena is reset as a whole at the next start */
}

void loader_meter_start(struct loader *l)
{
    struct loader_inflate_meter *m = &l->meter;
    memset(&m->zs, 0, sizeof m->zs);
    m->used = 0;
    m->zs.zalloc = arena_alloc;
    m->zs.zfree = arena_free;
    m->zs.opaque = m;
    m->ok = inflateInit(&m->zs) == Z_OK;
}

static uint64_t estimate(const struct loader *l, size_t len)
{
    const struct loader_region *r = &l->region;
    if (r->zsize == 0)
        return len;
    return ((uint64_t)r->size * len + r->zsize - 1) / r->zsize;
}

static uint64_t inflate_count(struct loader *l, const uint8_t *z, size_t len)
{
    struct loader_inflate_meter *m = &l->meter;
    uint64_t out = 0;
    m->zs.next_in = (Bytef *)(uintptr_t)z;
    m->zs.avail_in = (uInt)len;
    for (;;) {
        m->zs.next_out = l->scratch;
        m->zs.avail_out = sizeof l->scratch;
        int rc = inflate(&m->zs, Z_NO_FLUSH);
        out += sizeof l->scratch - m->zs.avail_out;
        if (rc == Z_STREAM_END)
            break;
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            m->ok = false;
            break;
        }
        if (rc == Z_BUF_ERROR || (m->zs.avail_in == 0 && m->zs.avail_out != 0))
            break;
    }
    return out;
}

uint64_t loader_meter_block(struct loader *l, const uint8_t *z, size_t len)
{
    if (l->meter.ok) {
        uint64_t out = inflate_count(l, z, len);
        if (l->meter.ok)
            return out;
    }
    return estimate(l, len);
}

void loader_meter_end(struct loader *l)
{
    if (l->meter.ok)
        inflateEnd(&l->meter.zs);
    l->meter.ok = false;
}
