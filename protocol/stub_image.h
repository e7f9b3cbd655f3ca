/* A flasher stub in esptool's JSON format (rom-protocol.md §9.5):
 * {"entry": N, "text": base64, "text_start": N, "data": base64,
 *  "data_start": N, "bss_start": N, ...}. Stubs are never committed here:
 * jigd loads them at run time from the esptool-js npm package. */
#ifndef JIGD_STUB_IMAGE_H
#define JIGD_STUB_IMAGE_H

#include <stddef.h>
#include <stdint.h>

struct stub_image {
    uint32_t entry;
    uint32_t text_start;
    const uint8_t *text;    /* point into the caller's storage */
    size_t text_len;
    uint32_t data_start;
    const uint8_t *data;    /* NULL when the stub has no data segment */
    size_t data_len;
};

/* Parses the JSON text; decoded segments are written to `storage` (cap
 * bytes; the JSON length is always enough). Returns 0, or -1 with a reason
 * in err (errlen bytes) for malformed input. */
int stub_image_parse(const char *json, size_t len, uint8_t *storage, size_t cap,
                     struct stub_image *out, char *err, size_t errlen);

#endif
