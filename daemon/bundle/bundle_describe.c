/* What the REST API and the audit log say about a bundle. Offsets and
 * sizes are JSON numbers here (for programs), unlike the manifest's hex
 * strings (for people). One function so
 * the dashboard, jigctl and the records all name a bundle the same way. */
#include <stdio.h>

#include <cjson/cJSON.h>

#include "bundle_internal.h"
#include "hex.h"

static void add_hex(cJSON *o, const char *key, const uint8_t *p, size_t n)
{
    char text[HEX_LEN(32)];
    cJSON_AddStringToObject(o, key, hex_encode(p, n, text));
}

static cJSON *describe_part(const struct bundle_part *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "offset", p->region.offset);
    cJSON_AddStringToObject(o, "role", bundle_role_name(p->role));
    cJSON_AddStringToObject(o, "file", p->file);
    cJSON_AddStringToObject(o, "partition", p->label);
    cJSON_AddNumberToObject(o, "size", (double)p->region.size);
    if (p->region.zdata)
        cJSON_AddNumberToObject(o, "compressed_size", (double)p->region.zsize);
    add_hex(o, "sha256", p->sha256, 32);
    add_hex(o, "md5", p->md5, 16);
    cJSON_AddBoolToObject(o, "header_patched", p->patched);
    return o;
}

static void add_code(cJSON *o, const char *key, const char *name, unsigned code)
{
    if (name) {
        cJSON_AddStringToObject(o, key, name);
    } else {
        char text[8];
        snprintf(text, sizeof text, "0x%02x", code);
        cJSON_AddStringToObject(o, key, text);
    }
}

static cJSON *describe_partition(const struct pt_entry *t)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", t->name);
    add_code(o, "type", pt_type_name(t->type), t->type);
    add_code(o, "subtype", pt_subtype_name(t->type, t->subtype), t->subtype);
    cJSON_AddNumberToObject(o, "offset", t->offset);
    cJSON_AddNumberToObject(o, "size", t->size);
    cJSON_AddBoolToObject(o, "encrypted", t->flags & PT_FLAG_ENCRYPTED);
    cJSON_AddBoolToObject(o, "readonly", t->flags & PT_FLAG_READONLY);
    return o;
}

static cJSON *describe_app(const struct bundle_app_info *a)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "project_name", a->project_name);
    cJSON_AddStringToObject(o, "version", a->version);
    cJSON_AddStringToObject(o, "idf_ver", a->idf_ver);
    cJSON_AddNumberToObject(o, "secure_version", a->secure_version);
    return o;
}

cJSON *bundle_describe(const struct bundle *b)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "id", b->id);
    cJSON_AddStringToObject(o, "name", b->name);
    cJSON_AddStringToObject(o, "version", b->version);
    cJSON_AddStringToObject(o, "chip", b->chip->name);
    cJSON_AddStringToObject(o, "dir", b->dir);
    cJSON *flash = cJSON_AddObjectToObject(o, "flash");
    cJSON_AddStringToObject(flash, "mode", bundle_flash_mode_name(b->flash_mode));
    cJSON_AddNumberToObject(flash, "size", b->flash_size);
    if (b->flash_freq_mhz != BUNDLE_KEEP)
        cJSON_AddNumberToObject(flash, "freq_mhz", b->flash_freq_mhz);
    if (b->app.present)
        cJSON_AddItemToObject(o, "app", describe_app(&b->app));
    cJSON *parts = cJSON_AddArrayToObject(o, "parts");
    for (size_t i = 0; i < b->n_parts; i++)
        cJSON_AddItemToArray(parts, describe_part(&b->parts[i]));
    cJSON *table = cJSON_AddArrayToObject(o, "partitions");
    for (size_t i = 0; i < b->table.n; i++)
        cJSON_AddItemToArray(table, describe_partition(&b->table.e[i]));
    cJSON_AddNumberToObject(o, "total_size", (double)b->total_size);
    if (b->compressed)
        cJSON_AddNumberToObject(o, "total_compressed_size", (double)b->total_zsize);
    return o;
}

char *bundle_describe_json(const struct bundle *b)
{
    cJSON *o = bundle_describe(b);
    char *text = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return text;
}
