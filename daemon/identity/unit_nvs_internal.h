/* What the per-unit NVS files share; not for other parts of jigd (see
 * unit_nvs.h).
 *
 *   unit_nvs_template.c      loading a template: front-matter, file rows
 *   unit_nvs_placeholders.c  filling in {serial}, {mac}, ... (or dummies)
 *   unit_nvs.c               writing an image: the load-time proof, the
 *                            check against a partition table, one board's */
#ifndef JIGD_UNIT_NVS_INTERNAL_H
#define JIGD_UNIT_NVS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hex.h"
#include "mac_text.h"
#include "nvs_csv.h"
#include "unit_nvs.h"

struct cached_file {
    char *name;                 /* as written in the CSV */
    uint8_t *data;
    size_t len;
};

struct unit_nvs_template {
    char *name;                 /* for messages: the path */
    char *base_dir;             /* file rows are relative to it; NULL none */
    char *text;
    size_t len;
    char partition[PT_NAME_MAX + 1];
    enum nvs_version version;
    unsigned uses;
    size_t cert_pem_max, key_pem_max, ca_pem_max;
    struct cached_file *files;
    size_t n_files;
};

void unit_nvs_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Zeroises n bytes at p (it may have held the key), then frees it. */
void unit_nvs_free_wiped(void *p, size_t n);

/* ---- unit_nvs_template.c ----------------------------------------------- */

/* The nvs_file_loader of a template: file rows from its cache. */
const uint8_t *unit_nvs_cached_load(void *ctx, const char *name, size_t *len, char *why,
                                    size_t why_cap);

/* ---- unit_nvs_placeholders.c -------------------------------------------- */

struct unit_nvs_fill {
    const struct unit_nvs_template *t;
    const struct unit_nvs_values *v;    /* NULL: dummy values (the proof) */
    unsigned uses;
    char mac[MAC_TEXT_SIZE], mac_hex[HEX_LEN(6)], time_iso[24], unix_time[24];
    char *dummy_cert, *dummy_key, *dummy_ca;
};

/* v NULL: the dummy values of the load-time proof (unit_nvs_fill_dummies
 * makes the PEMs). fill_value and fill_release are the nvs_value_filter. */
void unit_nvs_fill_init(struct unit_nvs_fill *f, const struct unit_nvs_template *t,
                        const struct unit_nvs_values *v);
int unit_nvs_fill_dummies(struct unit_nvs_fill *f);
void unit_nvs_fill_free(struct unit_nvs_fill *f);
int unit_nvs_fill_value(void *ctx, unsigned line, const char *key, const char *enc,
                        const char **value, size_t *len, char *why, size_t why_cap);
void unit_nvs_fill_release(void *ctx, const char *value);

/* ---- unit_nvs.c ----------------------------------------------------------- */

/* Writes the template with dummy values at `size`; the placeholders it
 * uses into *uses (may be NULL). 0, or -1 with e. */
int unit_nvs_prove(struct unit_nvs_template *t, size_t size, unsigned *uses,
                   struct nvs_csv_error *e);
/* An nvs_csv error as "template:line: prefix reason", never quoting a value. */
void unit_nvs_csv_err(const struct unit_nvs_template *t, const struct nvs_csv_error *e,
                      const char *prefix, char *err, size_t errlen);

#endif
