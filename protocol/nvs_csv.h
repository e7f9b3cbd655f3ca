/* NVS partition from a CSV in the format of Espressif's NVS partition
 * generator (formats.md §5.1): header "key,type,encoding,value", then
 * namespace rows ("name,namespace,,") and item rows ("key,data|file,
 * encoding,value"). Encodings: u8 i8 u16 i16 u32 i32 u64 i64 (decimal),
 * string, hex2bin, base64, binary, blob_fill(N;0xPP), blob_sz_fill(N;0xPP).
 *
 * No I/O: rows of type "file" name a file that the caller's loader
 * supplies. Allocation: temporary buffers for cells and decoded values are
 * malloc'd and freed before the call returns; the output is the caller's
 * nvs_writer buffer.
 *
 * Deliberate refusals where Espressif's tool would silently write something
 * else than the CSV says: a namespace declared twice, a key repeated in one
 * namespace, non-ASCII text in a "binary" cell, and by default the Wi-Fi
 * keys the tool extends with hidden entries (ap.ssid, ap.passwd,
 * ap.authmode, sta.ssid, sta.pswd; see nvs_csv_options). */
#ifndef JIGD_NVS_CSV_H
#define JIGD_NVS_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nvs_writer.h"

struct nvs_file_loader {
    /* Returns the bytes of the named file (as written in the CSV, relative
     * to wherever the caller decides), valid until release() is called, or
     * NULL with a reason in why. */
    const uint8_t *(*load)(void *ctx, const char *name, size_t *len,
                           char *why, size_t why_cap);
    void (*release)(void *ctx, const uint8_t *data);   /* may be NULL */
    void *ctx;
};

struct nvs_csv_error {
    unsigned line;      /* 1-based CSV line of the offending row, 0 = none */
    char msg[300];      /* includes "line N: " when line != 0 */
};

/* Writes every row of `csv` into w (already nvs_writer_init'ed); the caller
 * then calls nvs_writer_finish(). files may be NULL if no row needs one.
 * Returns 0, or -1 with err filled in. */
int nvs_csv_generate(const char *csv, size_t len, struct nvs_writer *w,
                     const struct nvs_file_loader *files,
                     struct nvs_csv_error *err);

struct nvs_value_filter;

struct nvs_csv_options {
    /* Do what generator 0.2.0 does for the Wi-Fi driver's keys instead of
     * refusing them: after the first sta.ssid/sta.pswd row add sta.apinfo
     * (140 x FF), sta.pmk (32 x 00) and sta.apsw (2 x 00); once ap.ssid,
     * ap.passwd and a non-"0" ap.authmode have been seen, write ap.pmk_info
     * (100 zero bytes + PBKDF2-HMAC-SHA1(passwd, ssid, 4096, 32)) before
     * each further ap.* row. Those rows must be "data" rows (the tool would
     * use a file row's path as the value). */
    bool wifi_extras;
    /* May replace each data row's value cell, as parsed, before it is
     * decoded (jigd's per-unit placeholders): substitution works on values,
     * never on CSV text, so a value cannot change the rows around it. NULL
     * = values as written. */
    const struct nvs_value_filter *values;
};

struct nvs_value_filter {
    /* Called for every "data" row with its value cell. Returns 0 and may
     * point *value and *len at a replacement (NUL-terminated at len, valid until
     * release); or -1 with a reason in why, reported with the row's line
     * and key. A replaced value is never quoted in error messages (it may
     * be secret). */
    int (*filter)(void *ctx, unsigned line, const char *key, const char *enc,
                  const char **value, size_t *len, char *why, size_t why_cap);
    /* Called once the row that got a replacement is written (or failed). */
    void (*release)(void *ctx, const char *value);      /* may be NULL */
    void *ctx;
};

int nvs_csv_generate_opts(const char *csv, size_t len, struct nvs_writer *w,
                          const struct nvs_file_loader *files,
                          const struct nvs_csv_options *opts,
                          struct nvs_csv_error *err);

#endif
