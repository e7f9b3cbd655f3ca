/* image_info --version 2 style text (see app_image_text.h). Python's
 * "{:#07x}" keeps the 0x for zero where C's "%#07x" drops it, hence the
 * explicit "0x%05x" forms. */
#include "app_image_text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hex.h"

struct text {
    char *out;
    size_t cap, len;
};

static void add(struct text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->out ? t->out + (t->len < t->cap ? t->len : t->cap)
                             : NULL,
                      t->len < t->cap ? t->cap - t->len : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len += (size_t)n;
}

/* "ESP32-C3" -> "ESP32C3", as esptool upper-cases its chip argument. */
static void chip_title(uint16_t id, char *out, size_t cap)
{
    const char *name = app_image_chip_name(id);
    size_t k = 0;
    for (const char *p = name ? name : "UNKNOWN"; *p && k + 1 < cap; p++)
        if (*p != '-')
            out[k++] = *p;
    out[k] = '\0';
}

static void title(struct text *t, const char *s)
{
    add(t, "%s\n", s);
    for (size_t i = 0; s[i]; i++)
        add(t, "=");
    add(t, "\n");
}

static void header_part(struct text *t, const struct app_image_info *in,
                        const char *chip)
{
    char s[64];
    snprintf(s, sizeof s, "%s image header", chip);
    title(t, s);
    add(t, "Image version: 1\n");
    if (in->entry)
        add(t, "Entry point: 0x%x\n", in->entry);
    else
        add(t, "Entry point not set\n");
    add(t, "Segments: %u\n", in->segment_count);
    const char *size = app_image_flash_size_name(in->flash_size_code);
    if (size)
        add(t, "Flash size: %s\n", size);
    else
        add(t, "WARNING: Invalid flash size (0x%x)\n",
            in->flash_size_code << 4);
    const char *freq = app_image_flash_freq_name(in->chip_id,
                                                 in->flash_freq_code);
    if (freq)
        add(t, "Flash freq: %s\n", freq);
    else
        add(t, "WARNING: Invalid flash frequency (0x%x)\n",
            in->flash_freq_code);
    const char *mode = app_image_flash_mode_name(in->flash_mode);
    if (mode)
        add(t, "Flash mode: %s\n", mode);
    else
        add(t, "WARNING: Invalid flash mode (%u)\n", in->flash_mode);
}

static void extended_part(struct text *t, const struct app_image_info *in,
                          const char *chip)
{
    char s[64];
    snprintf(s, sizeof s, "%s extended image header", chip);
    add(t, "\n");
    title(t, s);
    add(t, "WP pin: 0x%x%s\n", in->wp_pin,
        in->wp_pin == APP_IMAGE_WP_DISABLED ? " (disabled)" : "");
    add(t, "Flash pins drive settings: clk_drv: 0x%x, q_drv: 0x%x, "
           "d_drv: 0x%x, cs0_drv: 0x%x, hd_drv: 0x%x, wp_drv: 0x%x\n",
        in->clk_drv, in->q_drv, in->d_drv, in->cs_drv, in->hd_drv, in->wp_drv);
    const char *name = app_image_chip_name(in->chip_id);
    add(t, "Chip ID: %u (%s)\n", in->chip_id, name ? name : "Unknown ID");
    add(t, "Minimal chip revision: v%u.%u, (legacy min_rev = %u)\n",
        in->min_rev_full / 100, in->min_rev_full % 100, in->min_rev_legacy);
    add(t, "Maximal chip revision: v%u.%u\n", in->max_rev_full / 100,
        in->max_rev_full % 100);
}

static void segments_part(struct text *t, const struct app_image_info *in)
{
    add(t, "\n");
    title(t, "Segments information");
    add(t, "Segment   Length   Load addr   File offs  Memory types\n");
    add(t, "-------  -------  ----------  ----------  ------------\n");
    for (unsigned i = 0; i < in->segment_count; i++) {
        const struct app_image_segment *s = &in->seg[i];
        char types[160];
        app_image_mem_types_str(in->chip_id, s->mem_types, ", ", types,
                                sizeof types);
        add(t, "%7u  0x%05x  0x%08x  0x%08x  %s\n", i, s->data_len,
            s->load_addr, s->header_offset, types);
    }
}

static void footer_part(struct text *t, const struct app_image_info *in,
                        const char *chip)
{
    char s[64];
    snprintf(s, sizeof s, "%s image footer", chip);
    add(t, "\n");
    title(t, s);
    if (in->checksum_valid)
        add(t, "Checksum: 0x%x (valid)\n", in->checksum_stored);
    else
        add(t, "Checksum: 0x%x (invalid - calculated %02x)\n",
            in->checksum_stored, in->checksum_calc);
    if (in->hash_appended) {
        char digest[HEX_LEN(32)];
        add(t, "Validation hash: %s (%s)\n", hex_encode(in->digest_calc, 32, digest),
            in->digest_valid ? "valid" : "invalid");
    }
}

static void descriptor_part(struct text *t, const struct app_image_info *in)
{
    if (in->app.present) {
        const struct app_desc *a = &in->app;
        char elf_sha[HEX_LEN(32)];
        add(t, "\n");
        title(t, "Application information");
        add(t, "Project name: %s\n", a->project_name);
        add(t, "App version: %s\n", a->version);
        add(t, "Compile time: %s %s\n", a->date, a->time);
        add(t, "ELF file SHA256: %s\n", hex_encode(a->app_elf_sha256, 32, elf_sha));
        add(t, "ESP-IDF: %s\n", a->idf_ver);
        add(t, "Secure version: %u\n", a->secure_version);
    } else if (in->boot.present) {
        const struct bootloader_desc *b = &in->boot;
        add(t, "\n");
        title(t, "Bootloader information");
        add(t, "Bootloader version: %u\n", b->version);
        add(t, "ESP-IDF: %s\n", b->idf_ver);
        add(t, "Compile time: %s\n", b->date_time);
    }
}

size_t app_image_describe(const struct app_image_info *info, char *out,
                          size_t cap)
{
    struct text t = {out, cap, 0};
    if (cap)
        out[0] = '\0';
    char chip[32];
    chip_title(info->chip_id, chip, sizeof chip);
    add(&t, "File size: %zu (bytes)\n\n", info->file_size);
    header_part(&t, info, chip);
    extended_part(&t, info, chip);
    segments_part(&t, info);
    footer_part(&t, info, chip);
    descriptor_part(&t, info);
    return t.len;
}
