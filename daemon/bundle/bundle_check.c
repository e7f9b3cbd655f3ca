/* The rules a bundle must pass before any board sees it (docs/bundle.md):
 * each image parses and is for the bundle's chip, the partition table is
 * intact, every part lies inside the flash and inside the partition meant
 * for it, nothing overlaps, and the board will boot the app the bundle
 * writes. The checks run in the order a person would fix them: parts that
 * are broken on their own first, then the layout. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "app_image.h"
#include "bundle_internal.h"
#include "otadata.h"
#include "partition_table.h"

struct checker {
    struct bundle *b;
    const struct bundle_manifest *m;
    struct pt_table *table;
    int patch_mode, patch_size, patch_freq;     /* -1: leave as built */
    char *err;
    size_t errlen;
};

static int fail(struct checker *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(struct checker *c, const char *fmt, ...)
{
    int n = snprintf(c->err, c->errlen, "bundle %s: ", c->b->dir);
    if (n < 0 || (size_t)n >= c->errlen)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static struct bundle_part *only_part(struct checker *c, enum bundle_role role,
                                     size_t *count)
{
    struct bundle_part *found = NULL;
    *count = 0;
    for (size_t i = 0; i < c->b->n_parts; i++) {
        if (c->b->parts[i].role == role) {
            if (!found)
                found = &c->b->parts[i];
            (*count)++;
        }
    }
    return found;
}

/* ---- images ------------------------------------------------------------ */

static int check_image(struct checker *c, const struct bundle_part *p, bool is_app,
                       struct app_image_info *info)
{
    char why[256];
    const char *what = is_app ? "app" : "bootloader";
    enum app_image_status st = app_image_parse(p->region.data, p->region.size,
                                               info, why, sizeof why);
    if (st != APP_IMAGE_OK)
        return fail(c, "%s (%s at 0x%x) is not a valid image: %s", p->file, what,
                    p->region.offset, why);
    if (info->hash_appended && !info->digest_valid)
        return fail(c, "%s: the appended SHA-256 does not match the image; "
                    "the file is damaged", p->file);
    int want = c->b->chip->image_chip_id;
    if (info->chip_id != want) {
        const char *name = app_image_chip_name(info->chip_id);
        return fail(c, "%s is built for chip id %u (%s) but the bundle is for "
                    "%s (chip id %d); rebuild with the right target or fix "
                    "\"chip\"", p->file, info->chip_id, name ? name : "unknown",
                    c->b->chip->name, want);
    }
    return 0;
}

static int check_bootloader(struct checker *c, struct app_image_info *info)
{
    size_t n;
    struct bundle_part *p = only_part(c, BUNDLE_ROLE_BOOTLOADER, &n);
    uint32_t want = c->b->chip->bootloader_offset;
    if (n == 0)
        return fail(c, "no bootloader part; %s needs its 2nd-stage bootloader "
                    "(bootloader.bin) at 0x%x", c->b->chip->name, want);
    if (n > 1)
        return fail(c, "%zu bootloader parts; a bundle has exactly one", n);
    if (p->region.offset != want)
        return fail(c, "bootloader %s is at 0x%x but %s boots from 0x%x",
                    p->file, p->region.offset, c->b->chip->name, want);
    return check_image(c, p, false, info);
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src);
}

static int check_apps(struct checker *c)
{
    bool first = true;
    for (size_t i = 0; i < c->b->n_parts; i++) {
        struct bundle_part *p = &c->b->parts[i];
        if (p->role != BUNDLE_ROLE_APP)
            continue;
        struct app_image_info info;
        if (check_image(c, p, true, &info))
            return -1;
        if (first && info.app.present) {
            struct bundle_app_info *a = &c->b->app;
            a->present = true;
            copy_str(a->project_name, sizeof a->project_name, info.app.project_name);
            copy_str(a->version, sizeof a->version, info.app.version);
            copy_str(a->idf_ver, sizeof a->idf_ver, info.app.idf_ver);
            a->secure_version = info.app.secure_version;
        }
        if (first) {
            c->b->app.min_rev_full = info.min_rev_full;
            c->b->app.max_rev_full = info.max_rev_full;
        }
        first = false;
    }
    if (first)
        return fail(c, "no app part; add the application image (role \"app\")");
    return 0;
}

/* ---- partition table --------------------------------------------------- */

static int check_table(struct checker *c)
{
    size_t n;
    struct bundle_part *p = only_part(c, BUNDLE_ROLE_PARTITION_TABLE, &n);
    if (n == 0)
        return fail(c, "no partition-table part; add partition-table.bin");
    if (n > 1)
        return fail(c, "%zu partition-table parts; a bundle has exactly one", n);
    struct pt_options o;
    struct pt_error e;
    pt_options_default(&o);
    o.table_offset = p->region.offset;
    if (pt_parse_binary(p->region.data, p->region.size, &o, c->table, &e))
        return fail(c, "%s (partition table at 0x%x): %s", p->file,
                    p->region.offset, e.msg);
    if (c->table->n == 0)
        return fail(c, "%s (partition table at 0x%x) has no partitions", p->file,
                    p->region.offset);
    return 0;
}

/* The generator's own rules (alignment, overlaps, one otadata...), once
 * the flash size is settled: a table edited by hand or built by another
 * tool gets the same scrutiny as gen_esp32part gives a CSV. */
static int verify_table(struct checker *c)
{
    size_t n;
    const struct bundle_part *p = only_part(c, BUNDLE_ROLE_PARTITION_TABLE, &n);
    struct pt_options o;
    struct pt_error e;
    pt_options_default(&o);
    o.table_offset = p->region.offset;
    o.flash_size = c->b->flash_size;
    if (pt_verify(c->table, &o, &e))
        return fail(c, "%s (partition table at 0x%x): %s", p->file,
                    p->region.offset, e.msg);
    return 0;
}

/* ---- layout ------------------------------------------------------------ */

static int check_flash_fit(struct checker *c)
{
    const struct bundle *b = c->b;
    for (size_t i = 0; i < b->n_parts; i++) {
        const struct loader_region *r = &b->parts[i].region;
        uint64_t end = (uint64_t)r->offset + r->size;
        if (end > b->flash_size)
            return fail(c, "%s at 0x%x..0x%llx runs past the end of the %u MB "
                        "flash", b->parts[i].file, r->offset,
                        (unsigned long long)end, b->flash_size >> 20);
        if (i + 1 < b->n_parts && end > b->parts[i + 1].region.offset)
            return fail(c, "%s (0x%x..0x%llx) overlaps %s (from 0x%x)",
                        b->parts[i].file, r->offset, (unsigned long long)end,
                        b->parts[i + 1].file, b->parts[i + 1].region.offset);
    }
    for (size_t i = 0; i < c->table->n; i++) {
        const struct pt_entry *t = &c->table->e[i];
        if ((uint64_t)t->offset + t->size > b->flash_size)
            return fail(c, "partition '%s' (0x%x, %u KB) ends past the %u MB "
                        "flash; the bootloader would refuse the table",
                        t->name, t->offset, t->size >> 10, b->flash_size >> 20);
    }
    return 0;
}

static const char *role_wants(enum bundle_role r)
{
    switch (r) {
    case BUNDLE_ROLE_APP: return "an app partition";
    case BUNDLE_ROLE_OTADATA: return "the otadata (data/ota) partition";
    case BUNDLE_ROLE_NVS: return "an nvs partition";
    default: return "a partition";
    }
}

static bool partition_suits(const struct pt_entry *t, enum bundle_role r)
{
    switch (r) {
    case BUNDLE_ROLE_APP: return t->type == PT_TYPE_APP;
    case BUNDLE_ROLE_OTADATA:
        return t->type == PT_TYPE_DATA && t->subtype == PT_DATA_OTA;
    case BUNDLE_ROLE_NVS:
        return t->type == PT_TYPE_DATA && t->subtype == PT_DATA_NVS;
    default: return true;
    }
}

/* Apps, otadata and nvs images start exactly at their partition (an app
 * moved inside its partition breaks the MMU mapping); plain data only has
 * to lie inside one. */
static int check_part_home(struct checker *c, struct bundle_part *p)
{
    const struct loader_region *r = &p->region;
    bool exact = p->role != BUNDLE_ROLE_DATA;
    for (size_t i = 0; i < c->table->n; i++) {
        const struct pt_entry *t = &c->table->e[i];
        bool at = exact ? r->offset == t->offset
                        : r->offset >= t->offset && r->offset < t->offset + t->size;
        if (!at)
            continue;
        if (!partition_suits(t, p->role))
            return fail(c, "%s (%s) is at 0x%x, which is partition '%s', not %s",
                        p->file, bundle_role_name(p->role), r->offset, t->name,
                        role_wants(p->role));
        if ((uint64_t)r->offset + r->size > (uint64_t)t->offset + t->size)
            return fail(c, "%s is %zu bytes but partition '%s' holds only %u "
                        "from 0x%x", p->file, r->size, t->name,
                        (unsigned)(t->offset + t->size - r->offset), r->offset);
        copy_str(p->label, sizeof p->label, t->name);
        return 0;
    }
    return fail(c, "%s (%s) at 0x%x is not at the start of %s in the partition "
                "table", p->file, bundle_role_name(p->role), r->offset,
                role_wants(p->role));
}

static int check_homes(struct checker *c, uint32_t table_offset)
{
    for (size_t i = 0; i < c->b->n_parts; i++) {
        struct bundle_part *p = &c->b->parts[i];
        if (p->role == BUNDLE_ROLE_PARTITION_TABLE)
            continue;
        if (p->role == BUNDLE_ROLE_BOOTLOADER) {
            if (p->region.offset + p->region.size > table_offset)
                return fail(c, "bootloader %s (%zu bytes from 0x%x) runs into "
                            "the partition table at 0x%x", p->file,
                            p->region.size, p->region.offset, table_offset);
            continue;
        }
        if (check_part_home(c, p))
            return -1;
    }
    return 0;
}

/* ---- flash settings ---------------------------------------------------- */

/* The manifest's flash settings win over what the bootloader was built
 * with, exactly as esptool's --flash-mode/--flash-freq/--flash-size do. */
static int settle_flash(struct checker *c, const struct app_image_info *boot)
{
    const struct bundle_flash *f = &c->m->flash;
    uint16_t chip_id = (uint16_t)c->b->chip->image_chip_id;
    int size_code = -1, freq_code = -1;
    if (f->freq_mhz != BUNDLE_KEEP) {
        char name[8];
        snprintf(name, sizeof name, "%dm", f->freq_mhz);
        freq_code = app_image_flash_freq_code(chip_id, name);
        if (freq_code < 0)
            return fail(c, "flash.freq %s is not a flash frequency of %s", name,
                        c->b->chip->name);
    }
    if (f->size) {
        char name[8];
        snprintf(name, sizeof name, "%uMB", f->size >> 20);
        size_code = app_image_flash_size_code(name);
        if (size_code < 0)
            return fail(c, "flash.size %s cannot be written into the bootloader "
                        "header", name);
        c->b->flash_size = f->size;
    } else {
        c->b->flash_size = app_image_flash_size_bytes(boot->flash_size_code);
        if (!c->b->flash_size)
            return fail(c, "the bootloader's flash size code %u is unknown; set "
                        "flash.size in the manifest", boot->flash_size_code);
    }
    c->b->flash_mode = f->mode != BUNDLE_KEEP ? f->mode : boot->flash_mode;
    c->b->flash_freq_mhz = f->freq_mhz;
    const char *built = app_image_flash_freq_name(chip_id, boot->flash_freq_code);
    if (f->freq_mhz == BUNDLE_KEEP && built)
        bundle_flash_freq_parse(built, &c->b->flash_freq_mhz);
    c->patch_mode = f->mode != BUNDLE_KEEP && f->mode != boot->flash_mode ? f->mode : -1;
    c->patch_size = size_code >= 0 && size_code != boot->flash_size_code ? size_code : -1;
    c->patch_freq = freq_code >= 0 && freq_code != boot->flash_freq_code ? freq_code : -1;
    return 0;
}

static int patch_bootloader(struct checker *c)
{
    if (c->patch_mode < 0 && c->patch_size < 0 && c->patch_freq < 0)
        return 0;
    size_t n;
    struct bundle_part *p = only_part(c, BUNDLE_ROLE_BOOTLOADER, &n);
    char why[256];
    if (app_image_patch_flash_params((uint8_t *)p->region.data, p->region.size,
                                     c->patch_mode, c->patch_size, c->patch_freq,
                                     why, sizeof why))
        return fail(c, "cannot set the flash settings in %s: %s", p->file, why);
    p->patched = true;
    return 0;
}

/* ---- what the board boots --------------------------------------------- */

static unsigned ota_slot_count(const struct pt_table *t)
{
    unsigned n = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->e[i].type == PT_TYPE_APP && t->e[i].subtype >= PT_APP_OTA_0 &&
            t->e[i].subtype < PT_APP_OTA_0 + OTADATA_MAX_SLOTS)
            n++;
    return n;
}

/* Which app partition the bootloader will start (formats.md §3.2), given
 * the otadata the bundle writes; `why` says how it was chosen. */
static const struct pt_entry *boot_partition(struct checker *c,
                                             const struct bundle_part *ota,
                                             char *why, size_t cap)
{
    const struct pt_table *t = c->table;
    const struct pt_entry *factory = pt_find_type(t, PT_TYPE_APP, PT_APP_FACTORY);
    if (!ota) {
        snprintf(why, cap, "no otadata partition");
        return factory;
    }
    struct otadata od;
    otadata_read(ota->region.data, ota->region.size, &od);
    int slot = otadata_boot_slot(&od, ota_slot_count(t));
    if (slot >= 0) {
        snprintf(why, cap, "selected by %s", ota->file);
        return pt_find_type(t, PT_TYPE_APP, (uint8_t)(PT_APP_OTA_0 + slot));
    }
    snprintf(why, cap, "%s selects no OTA slot", ota->file);
    return factory ? factory : pt_find_type(t, PT_TYPE_APP, PT_APP_OTA_0);
}

/* A board must boot the firmware the bundle writes. Without otadata in
 * the bundle a reworked board would keep its old OTA choice and boot
 * whatever an earlier firmware left in that slot. */
static int check_boot_app(struct checker *c)
{
    size_t n;
    const struct bundle_part *ota = only_part(c, BUNDLE_ROLE_OTADATA, &n);
    const struct pt_entry *home = pt_find_type(c->table, PT_TYPE_DATA, PT_DATA_OTA);
    char why[160];
    if (home && !ota)
        return fail(c, "the partition table has an otadata partition at 0x%x but "
                    "the bundle writes none, so a reworked board keeps its old "
                    "OTA choice; add ota_data_initial.bin (0x%x bytes of 0xFF) "
                    "with role \"otadata\"", home->offset, OTADATA_SIZE);
    if (ota && ota->region.size != OTADATA_SIZE)
        return fail(c, "%s is %zu bytes; an otadata image is exactly 0x%x (both "
                    "copies), or a stale second copy survives", ota->file,
                    ota->region.size, OTADATA_SIZE);
    const struct pt_entry *boot = boot_partition(c, ota, why, sizeof why);
    if (!boot)
        return fail(c, "the board would find no app partition to boot (%s)", why);
    for (size_t i = 0; i < c->b->n_parts; i++)
        if (c->b->parts[i].role == BUNDLE_ROLE_APP &&
            c->b->parts[i].region.offset == boot->offset)
            return 0;
    return fail(c, "the board would boot partition '%s' at 0x%x (%s) but the "
                "bundle writes no app there", boot->name, boot->offset, why);
}

int bundle_check(struct bundle *b, const struct bundle_manifest *m, char *err,
                 size_t errlen)
{
    struct checker c = {.b = b, .m = m, .table = &b->table, .err = err,
                        .errlen = errlen};
    struct app_image_info boot;
    size_t n;
    if (check_bootloader(&c, &boot) || check_apps(&c) || check_table(&c) ||
        settle_flash(&c, &boot) || check_flash_fit(&c) || verify_table(&c))
        return -1;
    if (only_part(&c, BUNDLE_ROLE_OTADATA, &n) && n > 1)
        return fail(&c, "%zu otadata parts; a bundle has at most one", n);
    uint32_t table_offset = only_part(&c, BUNDLE_ROLE_PARTITION_TABLE, &n)->region.offset;
    if (check_homes(&c, table_offset) || check_boot_app(&c))
        return -1;
    return patch_bootloader(&c);
}
