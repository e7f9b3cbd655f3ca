/* The CRC32 that ESP-IDF uses for otadata, NVS, nvs_keys and esp_secure_cert
 * (formats.md §0.2): esp_rom_crc32_le(prev, buf, len), always started with
 * prev = 0xFFFFFFFF. It is NOT the standard CRC-32 (that one starts the shift
 * register at 0xFFFFFFFF; this one starts it at 0). */
#ifndef JIGD_CRC32_ESP_H
#define JIGD_CRC32_ESP_H

#include <stddef.h>
#include <stdint.h>

#define CRC32_ESP_INIT 0xFFFFFFFFu

/* Chainable: crc32_esp(crc32_esp(INIT, a, n), b, m) == CRC of a‖b.
 * crc32_esp(INIT, "123456789", 9) == 0xD202D277; empty input gives INIT. */
uint32_t crc32_esp(uint32_t prev, const void *data, size_t n);

#endif
