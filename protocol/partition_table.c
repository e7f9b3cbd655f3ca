/* Partition tables as gen_esp32part.py 1.3 reads and writes them (see
 * partition_table.h). Field parsing copies the tool's parse_int():
 * a K/M suffix, then Python int(x, 0), then a keyword. */
#include "partition_table.h"
#include "le_bytes.h"
#include "mbedtls_compat.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct keyword {
    const char *name;
    uint8_t value;
};

/* Dictionary order of the tool, which decides the name printed for a
 * value (first match wins). */
static const struct keyword type_words[] = {
    {"bootloader", 2}, {"partition_table", 3}, {"app", 0}, {"data", 1},
};
static const struct keyword app_words[] = {
    {"factory", 0x00}, {"test", 0x20}, {"ota_0", 0x10}, {"ota_1", 0x11},
    {"ota_2", 0x12}, {"ota_3", 0x13}, {"ota_4", 0x14}, {"ota_5", 0x15},
    {"ota_6", 0x16}, {"ota_7", 0x17}, {"ota_8", 0x18}, {"ota_9", 0x19},
    {"ota_10", 0x1A}, {"ota_11", 0x1B}, {"ota_12", 0x1C}, {"ota_13", 0x1D},
    {"ota_14", 0x1E}, {"ota_15", 0x1F},
};
static const struct keyword data_words[] = {
    {"ota", 0x00}, {"phy", 0x01}, {"nvs", 0x02}, {"coredump", 0x03},
    {"nvs_keys", 0x04}, {"efuse", 0x05}, {"undefined", 0x06},
    {"esphttpd", 0x80}, {"fat", 0x81}, {"spiffs", 0x82}, {"littlefs", 0x83},
};
static const struct keyword boot_words[] = {{"ota", 0x01}};

static const struct keyword *subtype_words(uint8_t type, size_t *n)
{
    switch (type) {
    case PT_TYPE_APP: *n = N(app_words); return app_words;
    case PT_TYPE_DATA: *n = N(data_words); return data_words;
    case PT_TYPE_BOOTLOADER:
    case PT_TYPE_PARTITION_TABLE: *n = N(boot_words); return boot_words;
    default: *n = 0; return NULL;
    }
}

const char *pt_type_name(uint8_t type)
{
    for (size_t i = 0; i < N(type_words); i++)
        if (type_words[i].value == type)
            return type_words[i].name;
    return NULL;
}

const char *pt_subtype_name(uint8_t type, uint8_t subtype)
{
    size_t n;
    const struct keyword *w = subtype_words(type, &n);
    for (size_t i = 0; i < n; i++)
        if (w[i].value == subtype)
            return w[i].name;
    return NULL;
}

static int fail(struct pt_error *err, unsigned line, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    err->line = line;
    if (line)
        snprintf(err->msg, sizeof err->msg, "line %u: %s", line, msg);
    else
        snprintf(err->msg, sizeof err->msg, "%s", msg);
    return -1;
}

void pt_options_default(struct pt_options *o)
{
    memset(o, 0, sizeof *o);
    o->table_offset = PT_DEFAULT_OFFSET;
    o->md5 = true;
}

/* ---- field parsing ---- */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
           c == '\f';
}

static int digit_of(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'z') return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    return 99;
}

/* Python int(s, 0): blanks around, sign, 0x/0o/0b prefixes, underscores
 * between digits, no leading zeros on a non-zero decimal. */
static bool py_int0(const char *s, size_t n, int64_t *out)
{
    while (n && is_blank(*s)) { s++; n--; }
    while (n && is_blank(s[n - 1])) n--;
    bool neg = false;
    if (n && (*s == '+' || *s == '-')) {
        neg = *s == '-';
        s++;
        n--;
    }
    int base = 10;
    if (n >= 2 && s[0] == '0' && strchr("xXoObB", s[1])) {
        char p = (char)(s[1] | 0x20);
        base = p == 'x' ? 16 : p == 'o' ? 8 : 2;
        s += 2;
        n -= 2;
        if (n && *s == '_') { s++; n--; }
    }
    if (n == 0 || s[n - 1] == '_')
        return false;
    if (base == 10 && s[0] == '0')
        for (size_t i = 0; i < n; i++)
            if (s[i] != '0' && s[i] != '_')
                return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '_') {
            if (s[i + 1] == '_' || i == 0)
                return false;
            continue;
        }
        int d = digit_of(s[i]);
        if (d >= base)
            return false;
        if (v > (UINT64_MAX >> 8))
            return false;   /* far beyond anything a table can hold */
        v = v * (uint64_t)base + (uint64_t)d;
    }
    *out = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

static bool keyword_value(const struct keyword *w, size_t n, const char *s,
                          size_t len, int64_t *out)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(w[i].name) == len && strncasecmp(w[i].name, s, len) == 0) {
            *out = w[i].value;
            return true;
        }
    return false;
}

/* parse_int(v, keywords): a k/m suffix multiplies, then int(v, 0), then a
 * keyword. */
static int parse_value(const char *s, size_t n, const struct keyword *w,
                       size_t nw, int64_t *out, struct pt_error *err,
                       unsigned line)
{
    if (n && (s[n - 1] == 'k' || s[n - 1] == 'K' || s[n - 1] == 'm' ||
              s[n - 1] == 'M')) {
        int64_t mul = (s[n - 1] == 'k' || s[n - 1] == 'K') ? 1024 : 1048576;
        if (parse_value(s, n - 1, w, nw, out, err, line) < 0)
            return -1;
        if (*out > INT64_MAX / mul || *out < INT64_MIN / mul)
            return fail(err, line, "value '%.*s' is too large", (int)n, s);
        *out *= mul;
        return 0;
    }
    if (py_int0(s, n, out))
        return 0;
    if (nw == 0)
        return fail(err, line, "Invalid field value %.*s", (int)n, s);
    if (keyword_value(w, nw, s, n, out))
        return 0;
    char known[400] = "";
    size_t k = 0;
    for (size_t i = 0; i < nw && k < sizeof known; i++)
        k += (size_t)snprintf(known + k, sizeof known - k, "%s%s",
                              i ? ", " : "", w[i].name);
    return fail(err, line, "Value '%.*s' is not valid. Known keywords: %s",
                (int)n, s, known);
}

/* ---- CSV ---- */

struct field {
    const char *s;
    size_t n;
};

/* Splits on ',' (the tool does no quoting) and strips each field; missing
 * trailing fields are empty, extra ones ignored. */
static void split_fields(const char *s, size_t n, struct field f[6])
{
    size_t k = 0;
    bool more = true;
    for (int i = 0; i < 6; i++) {
        size_t start = k;
        while (more && k < n && s[k] != ',')
            k++;
        const char *p = s + start;
        size_t m = more ? k - start : 0;
        while (m && is_blank(*p)) { p++; m--; }
        while (m && is_blank(p[m - 1])) m--;
        f[i].s = p;
        f[i].n = m;
        if (k < n)
            k++;            /* past the comma */
        else
            more = false;
    }
}

static int parse_flags(struct field f, struct pt_entry *e,
                       struct pt_error *err, unsigned line)
{
    size_t k = 0;
    while (k <= f.n) {
        size_t start = k;
        while (k < f.n && f.s[k] != ':')
            k++;
        size_t m = k - start;
        const char *p = f.s + start;
        if (m == 9 && strncmp(p, "encrypted", 9) == 0)
            e->flags |= PT_FLAG_ENCRYPTED;
        else if (m == 8 && strncmp(p, "readonly", 8) == 0)
            e->flags |= PT_FLAG_READONLY;
        else if (m > 0)
            return fail(err, line, "CSV flag column contains unknown flag "
                        "'%.*s'", (int)m, p);
        k++;
    }
    return 0;
}

/* One CSV row. Offset or size left empty come back as has_* = false. */
static int parse_row(const char *s, size_t n, unsigned line,
                     struct pt_entry *e, bool *has_offset, int64_t *offset,
                     int64_t *size, struct pt_error *err)
{
    struct field f[6];
    split_fields(s, n, f);
    memset(e, 0, sizeof *e);
    e->line = line;
    if (f[0].n > PT_NAME_MAX)
        return fail(err, line, "partition name '%.*s' is longer than 16 "
                    "bytes (the tool would silently cut it)", (int)f[0].n,
                    f[0].s);
    memcpy(e->name, f[0].s, f[0].n);
    int64_t v;
    if (f[1].n == 0)
        return fail(err, line, "Field 'type' can't be left empty.");
    if (parse_value(f[1].s, f[1].n, type_words, N(type_words), &v, err,
                    line) < 0)
        return -1;
    if (v < 0 || v > 0xFE)
        return fail(err, line, "type %lld is out of range 0..0xFE",
                    (long long)v);
    e->type = (uint8_t)v;
    if (f[2].n == 0) {
        if (e->type == PT_TYPE_APP)
            return fail(err, line, "App partition cannot have an empty "
                        "subtype");
        v = PT_DATA_UNDEFINED;
    } else {
        size_t nw;
        const struct keyword *w = subtype_words(e->type, &nw);
        if (parse_value(f[2].s, f[2].n, w, nw, &v, err, line) < 0)
            return -1;
        if (v < 0 || v > 0xFF)
            return fail(err, line, "subtype %lld is out of range 0..0xFF",
                        (long long)v);
    }
    e->subtype = (uint8_t)v;
    *has_offset = f[3].n != 0;
    if (*has_offset &&
        parse_value(f[3].s, f[3].n, NULL, 0, offset, err, line) < 0)
        return -1;
    if (f[4].n == 0)
        return fail(err, line, "Size field can't be empty");
    if (parse_value(f[4].s, f[4].n, NULL, 0, size, err, line) < 0)
        return -1;
    return parse_flags(f[5], e, err, line);
}

static bool has_env_reference(const char *s, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (s[i] == '$' && (i == 0 || s[i - 1] != '\\') &&
            (s[i + 1] == '_' || s[i + 1] == '{' ||
             ((s[i + 1] | 0x20) >= 'a' && (s[i + 1] | 0x20) <= 'z')))
            return true;
    return false;
}

/* Offsets left empty follow the previous partition, rounded up to 64 KiB
 * for apps and 4 KiB otherwise; a negative size means "up to there". */
static int place(struct pt_entry *e, bool first, bool has_offset,
                 int64_t offset, int64_t size, int64_t *last_end,
                 uint32_t table_offset, struct pt_error *err)
{
    if (has_offset && offset < *last_end) {
        if (first)
            return fail(err, e->line, "Partitions overlap. Partition sets "
                        "offset 0x%llx. But partition table occupies the "
                        "whole sector 0x%x. Use a free offset 0x%llx or "
                        "higher.", (long long)offset, table_offset,
                        (long long)*last_end);
        return fail(err, e->line, "Partitions overlap. Partition sets offset "
                    "0x%llx. Previous partition ends 0x%llx",
                    (long long)offset, (long long)*last_end);
    }
    if (!has_offset) {
        int64_t align = e->type == PT_TYPE_APP ? 0x10000 : 0x1000;
        if (*last_end % align)
            *last_end += align - *last_end % align;
        offset = *last_end;
    }
    if (size < 0)
        size = -size - offset;
    if (offset > 0xFFFFFFFFll || size < 0 || size > 0xFFFFFFFFll ||
        offset + size > 0x100000000ll)
        return fail(err, e->line, "partition '%s' at 0x%llx size 0x%llx does "
                    "not fit in a 32-bit address space", e->name,
                    (long long)offset, (long long)size);
    e->offset = (uint32_t)offset;
    e->size = (uint32_t)size;
    *last_end = offset + size;
    return 0;
}

int pt_parse_csv(const char *csv, size_t len, const struct pt_options *o,
                 struct pt_table *t, struct pt_error *err)
{
    memset(t, 0, sizeof *t);
    err->line = 0;
    err->msg[0] = '\0';
    if (len >= 3 && memcmp(csv, "\xEF\xBB\xBF", 3) == 0) {
        csv += 3;
        len -= 3;
    }
    int64_t last_end = (int64_t)o->table_offset + PT_SECTOR_SIZE;
    unsigned line = 0;
    size_t pos = 0;
    while (pos < len) {
        size_t start = pos;
        while (pos < len && csv[pos] != '\n' && csv[pos] != '\r')
            pos++;
        const char *s = csv + start;
        size_t n = pos - start;
        if (pos < len)
            pos += (csv[pos] == '\r' && pos + 1 < len && csv[pos + 1] == '\n')
                       ? 2 : 1;
        line++;
        while (n && is_blank(*s)) { s++; n--; }
        while (n && is_blank(s[n - 1])) n--;
        if (n == 0 || s[0] == '#')
            continue;
        if (memchr(s, '\0', n))
            return fail(err, line, "NUL byte in CSV text");
        if (has_env_reference(s, n))
            return fail(err, line, "'$' variable references are not "
                        "expanded here; expand them before");
        if (t->n == PT_MAX_ENTRIES)
            return fail(err, line, "too many partitions (a table holds at "
                        "most %u)", PT_MAX_ENTRIES);
        struct pt_entry *e = &t->e[t->n];
        bool has_offset = false;
        int64_t offset = 0, size = 0;
        if (parse_row(s, n, line, e, &has_offset, &offset, &size, err) < 0 ||
            place(e, t->n == 0, has_offset, offset, size, &last_end,
                  o->table_offset, err) < 0)
            return -1;
        t->n++;
    }
    return 0;
}

/* ---- binary ---- */

static bool all_ff(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0xFF)
            return false;
    return true;
}

int pt_parse_binary(const uint8_t *bin, size_t len, const struct pt_options *o,
                    struct pt_table *t, struct pt_error *err)
{
    memset(t, 0, sizeof *t);
    err->line = 0;
    err->msg[0] = '\0';
    for (size_t off = 0; off < len; off += PT_ENTRY_LEN) {
        const uint8_t *r = bin + off;
        if (len - off < PT_ENTRY_LEN)
            return fail(err, 0, "partition table length is not a multiple of "
                        "32 bytes and has no end marker");
        if (all_ff(r, PT_ENTRY_LEN))
            return 0;
        if (o->md5 && r[0] == 0xEB && r[1] == 0xEB) {
            uint8_t md5[16];
            md5_once(bin, off, md5);
            if (memcmp(md5, r + 16, 16) != 0)
                return fail(err, 0, "partition table MD5 does not match its "
                            "entries: the table is damaged; rebuild it");
            t->has_md5 = true;
            continue;
        }
        if (r[0] != 0xAA || r[1] != 0x50)
            return fail(err, 0, "partition table record %zu has invalid magic "
                        "bytes %02x %02x (expected AA 50): not a partition "
                        "table, or damaged", off / PT_ENTRY_LEN, r[0], r[1]);
        if (t->n == PT_MAX_ENTRIES)
            return fail(err, 0, "partition table has more than %u entries",
                        PT_MAX_ENTRIES);
        struct pt_entry *e = &t->e[t->n++];
        memset(e, 0, sizeof *e);
        e->type = r[2];
        e->subtype = r[3];
        e->offset = le32_get(r + 4);
        e->size = le32_get(r + 8);
        size_t k = 0;
        while (k < PT_NAME_MAX && r[12 + k])
            k++;
        memcpy(e->name, r + 12, k);
        e->flags = le32_get(r + 28);
    }
    return fail(err, 0, "partition table is missing its end-of-table marker");
}

/* ---- validation ---- */

static int verify_entry(const struct pt_entry *e, const struct pt_options *o,
                        struct pt_error *err)
{
    uint32_t align = e->type == PT_TYPE_APP ? 0x10000 : 0x1000;
    if (e->offset % align)
        return fail(err, e->line, "Partition %s invalid: Offset 0x%x is not "
                    "aligned to 0x%x", e->name, e->offset, align);
    uint32_t size_align = o->secure_v1 ? 0x10000 : 0x1000;
    if (e->type == PT_TYPE_APP && e->size % size_align)
        return fail(err, e->line, "Partition %s invalid: Size 0x%x is not "
                    "aligned to 0x%x", e->name, e->size, size_align);
    if (e->type == PT_TYPE_DATA && (e->flags & PT_FLAG_READONLY) &&
        (e->subtype == PT_DATA_OTA || e->subtype == PT_DATA_COREDUMP))
        return fail(err, e->line, "Partition %s invalid: '%s' partition of "
                    "type %u and subtype %u is always read-write and cannot "
                    "be read-only", e->name, e->name, e->type, e->subtype);
    if (e->type == PT_TYPE_DATA && e->subtype == PT_DATA_NVS &&
        !(e->flags & PT_FLAG_READONLY) && e->size < 0x3000)
        return fail(err, e->line, "Partition %s invalid: a read/write NVS "
                    "partition needs at least 0x3000 bytes (this one has "
                    "0x%x); enlarge it or flag it readonly", e->name,
                    e->size);
    return 0;
}

int pt_verify(const struct pt_table *t, const struct pt_options *o,
              struct pt_error *err)
{
    err->line = 0;
    err->msg[0] = '\0';
    for (size_t i = 0; i < t->n; i++)
        if (verify_entry(&t->e[i], o, err) < 0)
            return -1;
    for (size_t i = 0; i < t->n; i++)
        for (size_t j = i + 1; j < t->n; j++)
            if (strcmp(t->e[i].name, t->e[j].name) == 0)
                return fail(err, t->e[j].line, "Partition names must be "
                            "unique: '%s' appears twice", t->e[j].name);
    /* Overlaps, in address order (stable, like Python's sort). */
    size_t order[PT_MAX_ENTRIES];
    for (size_t i = 0; i < t->n; i++) {
        size_t k = i;
        while (k > 0 && t->e[order[k - 1]].offset > t->e[i].offset) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = i;
    }
    uint64_t table_end = (uint64_t)o->table_offset + PT_SECTOR_SIZE;
    for (size_t k = 0; k < t->n; k++) {
        const struct pt_entry *p = &t->e[order[k]];
        if (p->offset < table_end)
            return fail(err, p->line, "Partition offset 0x%x is below 0x%llx "
                        "(the partition table's sector ends there)",
                        p->offset, (unsigned long long)table_end);
        if (k > 0) {
            const struct pt_entry *q = &t->e[order[k - 1]];
            if (p->offset < (uint64_t)q->offset + q->size)
                return fail(err, p->line, "Partition at 0x%x overlaps "
                            "0x%x-0x%llx", p->offset, q->offset,
                            (unsigned long long)q->offset + q->size - 1);
        }
    }
    const struct pt_entry *ota = NULL;
    for (size_t i = 0; i < t->n; i++) {
        const struct pt_entry *e = &t->e[i];
        if (e->type != PT_TYPE_DATA || e->subtype != PT_DATA_OTA)
            continue;
        if (ota)
            return fail(err, e->line, "Found multiple otadata partitions. "
                        "Only one partition can be defined with "
                        "type=\"data\"(1) and subtype=\"ota\"(0).");
        ota = e;
    }
    if (ota && ota->size != 0x2000)
        return fail(err, ota->line, "otadata partition must have size = "
                    "0x2000");
    uint32_t need = pt_flash_needed(t);
    if (o->flash_size && need > o->flash_size) {
        const struct pt_entry *last = &t->e[order[t->n - 1]];
        return fail(err, last->line, "Partitions tables occupies %.1fMB of "
                    "flash (%u bytes) which does not fit in configured flash "
                    "size %uMB (partition '%s' ends at 0x%x); use a larger "
                    "flash or a smaller layout", need / 1048576.0, need,
                    o->flash_size >> 20, last->name, need);
    }
    return 0;
}

uint32_t pt_flash_needed(const struct pt_table *t)
{
    const struct pt_entry *last = NULL;
    for (size_t i = 0; i < t->n; i++)
        if (!last || t->e[i].offset >= last->offset)
            last = &t->e[i];
    return last ? last->offset + last->size : 0;
}

/* ---- output ---- */

int pt_to_binary(const struct pt_table *t, const struct pt_options *o,
                 uint8_t out[PT_MAX_LEN], struct pt_error *err)
{
    size_t len = t->n * PT_ENTRY_LEN + (o->md5 ? PT_ENTRY_LEN : 0);
    if (len >= PT_MAX_LEN)
        return fail(err, 0, "Binary partition table length (%zu) longer than "
                    "max: at most %u partitions fit%s", len,
                    o->md5 ? 94 : 95, o->md5 ? " with the MD5 record" : "");
    memset(out, 0xFF, PT_MAX_LEN);
    for (size_t i = 0; i < t->n; i++) {
        const struct pt_entry *e = &t->e[i];
        uint8_t *r = out + i * PT_ENTRY_LEN;
        r[0] = 0xAA;
        r[1] = 0x50;
        r[2] = e->type;
        r[3] = e->subtype;
        le32_put(r + 4, e->offset);
        le32_put(r + 8, e->size);
        memset(r + 12, 0, PT_NAME_MAX);
        memcpy(r + 12, e->name, strnlen(e->name, PT_NAME_MAX));
        le32_put(r + 28, e->flags);
    }
    if (o->md5) {
        uint8_t *r = out + t->n * PT_ENTRY_LEN;
        r[0] = r[1] = 0xEB;
        md5_once(out, t->n * PT_ENTRY_LEN, r + 16);
    }
    return 0;
}

static size_t size_text(uint32_t v, char *buf, size_t cap)
{
    if (v % 0x100000 == 0)
        return (size_t)snprintf(buf, cap, "%uM", v / 0x100000);
    if (v % 0x400 == 0)
        return (size_t)snprintf(buf, cap, "%uK", v / 0x400);
    return (size_t)snprintf(buf, cap, "0x%x", v);
}

size_t pt_to_csv(const struct pt_table *t, char *out, size_t cap)
{
    size_t len = 0;
#define ADD(...)                                                            \
    do {                                                                    \
        int n_ = snprintf(out ? out + (len < cap ? len : cap) : NULL,       \
                          len < cap ? cap - len : 0, __VA_ARGS__);          \
        if (n_ > 0)                                                         \
            len += (size_t)n_;                                              \
    } while (0)
    if (cap)
        out[0] = '\0';
    ADD("# ESP-IDF Partition Table\n# Name, Type, SubType, Offset, Size, "
        "Flags\n");
    for (size_t i = 0; i < t->n; i++) {
        const struct pt_entry *e = &t->e[i];
        char type[16], sub[16], size[24];
        const char *tn = pt_type_name(e->type);
        const char *sn = pt_subtype_name(e->type, e->subtype);
        snprintf(type, sizeof type, "%u", e->type);
        snprintf(sub, sizeof sub, "%u", e->subtype);
        size_text(e->size, size, sizeof size);
        const char *flags = (e->flags & 3) == 3 ? "encrypted:readonly"
                            : (e->flags & 1)    ? "encrypted"
                            : (e->flags & 2)    ? "readonly"
                                                : "";
        ADD("%s,%s,%s,0x%x,%s,%s\n", e->name, tn ? tn : type, sn ? sn : sub,
            e->offset, size, flags);
    }
#undef ADD
    return len;
}

int pt_csv_to_binary(const char *csv, size_t len, const struct pt_options *o,
                     uint8_t out[PT_MAX_LEN], struct pt_error *err)
{
    struct pt_table t;
    if (pt_parse_csv(csv, len, o, &t, err) < 0 || pt_verify(&t, o, err) < 0)
        return -1;
    return pt_to_binary(&t, o, out, err);
}

const struct pt_entry *pt_find_name(const struct pt_table *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->e[i].name, name) == 0)
            return &t->e[i];
    return NULL;
}

const struct pt_entry *pt_find_type(const struct pt_table *t, uint8_t type,
                                    uint8_t subtype)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->e[i].type == type && t->e[i].subtype == subtype)
            return &t->e[i];
    return NULL;
}
