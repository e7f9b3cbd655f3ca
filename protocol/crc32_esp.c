/* CRC32-ESP (formats.md §0.2). zlib's crc32() inverts its seed on the way in
 * and the result on the way out, exactly like esp_rom_crc32_le, so passing
 * the ESP seed straight through gives the ESP value. */
#include "crc32_esp.h"

#include <zlib.h>

uint32_t crc32_esp(uint32_t prev, const void *data, size_t n)
{
    if (n == 0)
        return prev;
    return (uint32_t)crc32_z(prev, (const Bytef *)data, n);
}
