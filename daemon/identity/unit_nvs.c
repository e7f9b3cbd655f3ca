/* Per-unit NVS images from a template (see unit_nvs.h and docs/nvs.md).
 * The CSV is parsed by protocol/nvs_csv; placeholders are filled through
 * its value filter (unit_nvs_placeholders.c), so they only ever change the
 * value of the row they sit in. This file writes: the proof at load, the
 * check against a partition table, and each board's image. */
#include "unit_nvs_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvs_writer.h"

void unit_nvs_set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void unit_nvs_free_wiped(void *p, size_t n)
{
    if (p)
        explicit_bzero(p, n);
    free(p);
}

/* ---- writing ------------------------------------------------------------ */

/* "line N: reason" from nvs_csv -> "name:N: reason". */
void unit_nvs_csv_err(const struct unit_nvs_template *t,
                      const struct nvs_csv_error *e, const char *prefix,
                      char *err, size_t errlen)
{
    const char *msg = e->msg;
    if (e->line && strncmp(msg, "line ", 5) == 0) {
        const char *colon = strstr(msg, ": ");
        if (colon)
            msg = colon + 2;
    }
    /* Values are never quoted once filled in; this is the last guard. */
    if (strstr(msg, "PRIVATE KEY"))
        msg = "the value does not fit its encoding";
    if (e->line)
        unit_nvs_set_err(err, errlen, "%s:%u: %s%s", t->name, e->line, prefix, msg);
    else
        unit_nvs_set_err(err, errlen, "%s: %s%s", t->name, prefix, msg);
}

/* Writes the template into buf (size bytes) with f's values. */
static int write_image(const struct unit_nvs_template *t, struct unit_nvs_fill *f,
                       uint8_t *buf, size_t size, size_t *len,
                       struct nvs_csv_error *e)
{
    struct nvs_writer w;
    memset(e, 0, sizeof *e);
    if (nvs_writer_init(&w, buf, size, t->version) < 0) {
        snprintf(e->msg, sizeof e->msg, "%s", w.error);
        return -1;
    }
    const struct nvs_file_loader files = {unit_nvs_cached_load, NULL, (void *)t};
    const struct nvs_value_filter values = {unit_nvs_fill_value, unit_nvs_fill_release, f};
    const struct nvs_csv_options opts = {.values = &values};
    if (nvs_csv_generate_opts(t->text, t->len, &w, &files, &opts, e) < 0)
        return -1;
    *len = nvs_writer_finish(&w);
    return 0;
}

int unit_nvs_prove(struct unit_nvs_template *t, size_t size, unsigned *uses,
                   struct nvs_csv_error *e)
{
    struct unit_nvs_fill f;
    unit_nvs_fill_init(&f, t, NULL);
    uint8_t *buf = malloc(size);
    int rc = -1;
    if (!buf || unit_nvs_fill_dummies(&f) < 0) {
        snprintf(e->msg, sizeof e->msg, "out of memory");
        e->line = 0;
    } else {
        size_t len;
        rc = write_image(t, &f, buf, size, &len, e);
        if (uses)
            *uses = f.uses;
    }
    unit_nvs_fill_free(&f);
    free(buf);
    return rc;
}

/* ---- against a partition table, and per board ---------------------------- */

/* The partition the template names, if it can hold an NVS image. */
static const struct pt_entry *find_partition(const struct unit_nvs_template *t,
                                             const struct pt_table *table,
                                             char *err, size_t errlen)
{
    const struct pt_entry *p = pt_find_name(table, t->partition);
    if (!p) {
        unit_nvs_set_err(err, errlen, "%s: the partition table has no partition '%s' "
                         "(set nvs_partition in the template to one of its NVS "
                         "partitions)", t->name, t->partition);
        return NULL;
    }
    if (p->type != PT_TYPE_DATA || p->subtype != PT_DATA_NVS) {
        unit_nvs_set_err(err, errlen, "%s: partition '%s' is %s/%s, not data/nvs; "
                         "refusing to write NVS over it", t->name, t->partition,
                         pt_type_name(p->type) ? pt_type_name(p->type) : "?",
                         pt_subtype_name(p->type, p->subtype)
                             ? pt_subtype_name(p->type, p->subtype) : "?");
        return NULL;
    }
    if (p->size < NVS_PAGE_SIZE || p->size % NVS_PAGE_SIZE) {
        unit_nvs_set_err(err, errlen, "%s: partition '%s' is 0x%" PRIx32 " bytes; NVS "
                         "needs a multiple of 0x1000", t->name, t->partition, p->size);
        return NULL;
    }
    return p;
}

int unit_nvs_template_check(const struct unit_nvs_template *t,
                            const struct pt_table *table, char *err,
                            size_t errlen)
{
    const struct pt_entry *p = find_partition(t, table, err, errlen);
    if (!p)
        return -1;
    struct nvs_csv_error e;
    char prefix[160];
    snprintf(prefix, sizeof prefix, "partition '%s' (0x%" PRIx32 " bytes) is "
             "too small for the template's data: ", t->partition, p->size);
    if (unit_nvs_prove((struct unit_nvs_template *)t, p->size, NULL, &e) < 0) {
        unit_nvs_csv_err(t, &e, prefix, err, errlen);
        return -1;
    }
    return 0;
}

int unit_nvs_generate(const struct unit_nvs_template *t,
                      const struct pt_table *table,
                      const struct unit_nvs_values *v,
                      struct unit_nvs_image *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const struct pt_entry *p = find_partition(t, table, err, errlen);
    if (!p)
        return -1;
    uint8_t *buf = malloc(p->size);
    if (!buf) {
        unit_nvs_set_err(err, errlen, "out of memory for the NVS image");
        return -1;
    }
    struct unit_nvs_fill f;
    unit_nvs_fill_init(&f, t, v);
    struct nvs_csv_error e;
    size_t len;
    /* The template's cache is complete after load: nothing is read here. */
    if (write_image((struct unit_nvs_template *)t, &f, buf, p->size, &len,
                    &e) < 0) {
        unit_nvs_free_wiped(buf, p->size);
        unit_nvs_csv_err(t, &e, "", err, errlen);
        return -1;
    }
    out->data = buf;
    out->len = len;
    out->offset = p->offset;
    out->partition_size = p->size;
    snprintf(out->partition, sizeof out->partition, "%s", p->name);
    return 0;
}

void unit_nvs_image_free(struct unit_nvs_image *img)
{
    if (!img)
        return;
    unit_nvs_free_wiped(img->data, img->partition_size);
    memset(img, 0, sizeof *img);
}
