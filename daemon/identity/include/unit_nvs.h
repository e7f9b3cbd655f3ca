/* Per-unit NVS: a template CSV in the format of Espressif's NVS partition
 * generator whose data values may hold placeholders ({serial}, {mac},
 * {mac_hex}, {cert_pem}, {key_pem}, {ca_pem}, {station}, {work_order},
 * {time}, {unix_time}; docs/nvs.md). Front-matter comment lines name the
 * partition it is written to:
 *
 *     #@ nvs_partition = fctry
 *     key,type,encoding,value
 *     factory,namespace,,
 *     serial,data,string,{serial}
 *
 * A template is loaded once at start and proven with dummy values of each
 * placeholder's shape (unit_nvs_template_load), then checked against the
 * bundle's partition table (unit_nvs_template_check), so a bad template is
 * refused with file, line and reason before any board is touched. Per board,
 * unit_nvs_generate fills the placeholders in the parsed values (never in
 * the CSV text) and returns the partition image and where to write it.
 *
 * THE KEY. {key_pem} is substituted in memory only: every buffer that held
 * it is zeroised before it is freed, the image is zeroised by
 * unit_nvs_image_free, and no error message quotes a value. */
#ifndef JIGD_UNIT_NVS_H
#define JIGD_UNIT_NVS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "nvs_page.h"
#include "partition_table.h"

#define UNIT_NVS_DEFAULT_PARTITION "nvs"

/* Placeholders a template uses (unit_nvs_template_uses). */
enum unit_nvs_placeholder {
    UNIT_NVS_SERIAL = 1u << 0,
    UNIT_NVS_MAC = 1u << 1,         /* {mac} and {mac_hex} */
    UNIT_NVS_CERT_PEM = 1u << 2,
    UNIT_NVS_KEY_PEM = 1u << 3,
    UNIT_NVS_CA_PEM = 1u << 4,
    UNIT_NVS_STATION = 1u << 5,
    UNIT_NVS_WORK_ORDER = 1u << 6,
    UNIT_NVS_TIME = 1u << 7,        /* {time} and {unix_time} */
};

struct unit_nvs_template_options {
    /* Overrides the front-matter's nvs_partition (e.g. from jigd.conf);
     * NULL = the front-matter's, else UNIT_NVS_DEFAULT_PARTITION. */
    const char *partition;
    /* Sizes the dummy PEMs take in the load-time proof, so a partition that
     * real certificates and keys would overflow is refused at start. 0 =
     * an EC P-256 unit (cert 1000, key 300 bytes); RSA-2048 units need
     * about 1400 and 1800. */
    size_t cert_pem_max, key_pem_max, ca_pem_max;
};

struct unit_nvs_template;

/* Reads the template at path; "file" rows name files relative to the
 * template's folder, read now and kept. Parses the CSV and writes it once
 * with dummy values. Returns NULL with "path:line: reason" in err. */
struct unit_nvs_template *unit_nvs_template_load(
    const char *path, const struct unit_nvs_template_options *o, char *err,
    size_t errlen);

/* The same from text in memory; `name` is used in messages; file rows are
 * read relative to base_dir (NULL: a file row is refused). */
struct unit_nvs_template *unit_nvs_template_parse(
    const char *text, size_t len, const char *name, const char *base_dir,
    const struct unit_nvs_template_options *o, char *err, size_t errlen);

void unit_nvs_template_free(struct unit_nvs_template *t);

const char *unit_nvs_template_partition(const struct unit_nvs_template *t);
enum nvs_version unit_nvs_template_version(const struct unit_nvs_template *t);
unsigned unit_nvs_template_uses(const struct unit_nvs_template *t);

/* The template against a partition table (the bundle's): the partition
 * exists, is a data/nvs partition of a size NVS can use, and holds the data
 * with dummy values. Returns 0, or -1 with the reason in err. Call at start
 * and whenever the bundle changes. */
int unit_nvs_template_check(const struct unit_nvs_template *t,
                            const struct pt_table *table, char *err,
                            size_t errlen);

/* One board's values. Strings the template does not use may be NULL. */
struct unit_nvs_values {
    const char *serial;
    uint8_t mac[6];
    const char *cert_pem;
    const char *key_pem;        /* SECRET */
    const char *ca_pem;
    const char *station;
    const char *work_order;     /* NULL = "" */
    time_t now;                 /* 0 = the clock */
};

struct unit_nvs_image {
    uint8_t *data;              /* holds the key if the template uses it */
    size_t len;                 /* bytes to write */
    uint32_t offset;            /* flash offset of the partition */
    uint32_t partition_size;
    char partition[PT_NAME_MAX + 1];
};

/* Fills in the template for one board at the size of its partition in
 * `table`. Returns 0 with *out set (free with unit_nvs_image_free), or -1
 * with "template:line: reason" in err (never a value). */
int unit_nvs_generate(const struct unit_nvs_template *t,
                      const struct pt_table *table,
                      const struct unit_nvs_values *v,
                      struct unit_nvs_image *out, char *err, size_t errlen);

/* Zeroises and frees the image; a zeroed struct is fine. */
void unit_nvs_image_free(struct unit_nvs_image *img);

#endif
