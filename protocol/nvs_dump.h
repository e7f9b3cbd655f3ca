/* Text listing of an NVS partition in the format of ESP-IDF's nvs_tool.py
 * "-d minimal" output (v5.4.2): per page in flash order either
 * "Page no. N, Status: S" or "Page Empty", then one
 * " namespace:key = value" line per written item, then a blank line.
 * Strings are printed with their NUL, v1 blobs as Python bytes literals,
 * v2 blob chunks as "key[chunk] = " with no value (the tool's own output).
 *
 * The text may contain NUL bytes (from strings), so use the returned
 * length, not strlen. */
#ifndef JIGD_NVS_DUMP_H
#define JIGD_NVS_DUMP_H

#include <stddef.h>
#include <stdint.h>

/* Writes at most `cap` bytes into out (out may be NULL when cap is 0) and
 * returns the full length of the listing, like snprintf without the NUL.
 * `len` should be a multiple of 4096; a partial page at the end is
 * ignored. */
size_t nvs_dump_minimal(const uint8_t *part, size_t len, char *out,
                        size_t cap);

/* The same items as nvs_tool.py "-f json -d minimal" prints them (Python's
 * json.dumps with indent 4 and ASCII escapes: everything outside ' '..'~',
 * DEL included, as \uXXXX): namespace, key, encoding ("uint8_t" ...
 * "int64_t", "string", "blob", "blob_data", or "0x24" for a type code the
 * tool does not know), data (a number, the string without its trailing
 * NULs, blob bytes in base64, or null for an unknown type), state,
 * is_empty. Bytes of a string that are not UTF-8 (the tool stops with an
 * exception there) come out as U+FFFD.
 * Returns the full length like nvs_dump_minimal; the text has no NULs. */
size_t nvs_dump_minimal_json(const uint8_t *part, size_t len, char *out,
                             size_t cap);

#endif
