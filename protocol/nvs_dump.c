/* nvs_tool.py's "minimal" listing (see nvs_dump.h). Unlike nvs_reader it
 * shows what is stored, page by page as in flash, without the device's
 * validity rules: it walks entries by their span whatever their state, as
 * the tool does, and prints the WRITTEN ones. */
#include "nvs_dump.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/base64.h>

#include "nvs_page.h"
#include "le_bytes.h"

struct text {
    char *out;
    size_t cap, len;
};

static void put(struct text *t, const void *s, size_t n)
{
    if (t->len < t->cap) {
        size_t k = t->cap - t->len < n ? t->cap - t->len : n;
        memcpy(t->out + t->len, s, k);
    }
    t->len += n;
}

static void puts_(struct text *t, const char *s) { put(t, s, strlen(s)); }

static const char *status_name(uint32_t st)
{
    switch (st) {
    case 0xFFFFFFFFu: return "Empty";
    case 0xFFFFFFFEu: return "Active";
    case 0xFFFFFFFCu: return "Full";
    case 0xFFFFFFF8u: return "Erasing";
    case 0x00000000u: return "Corrupted";
    default: return "Invalid";
    }
}

static bool is_int_code(uint8_t t) { return nvs_type_is_int(t); }

/* The integer's bits, sign-extended for signed types. */
static uint64_t int_value(const uint8_t *e)
{
    unsigned w = nvs_int_width(e[1]);
    uint64_t v = 0;
    for (unsigned i = 0; i < w; i++)
        v |= (uint64_t)e[24 + i] << (8 * i);
    if (nvs_int_signed(e[1]) && w < 8 && (v >> (8 * w - 1)) & 1)
        v |= ~(uint64_t)0 << (8 * w);
    return v;
}

static void put_int(struct text *t, const uint8_t *e)
{
    uint64_t v = int_value(e);
    char num[32];
    if (nvs_int_signed(e[1])) {
        snprintf(num, sizeof num, "%" PRId64, (int64_t)v);
    } else {
        snprintf(num, sizeof num, "%" PRIu64, v);
    }
    puts_(t, num);
}

/* Python's repr() of a bytes object. */
static void put_bytes_repr(struct text *t, const uint8_t *d, size_t n)
{
    bool sq = memchr(d, '\'', n) != NULL, dq = memchr(d, '"', n) != NULL;
    char quote = sq && !dq ? '"' : '\'';
    put(t, "b", 1);
    put(t, &quote, 1);
    for (size_t i = 0; i < n; i++) {
        char buf[5];
        uint8_t c = d[i];
        if (c == (uint8_t)quote || c == '\\')
            snprintf(buf, sizeof buf, "\\%c", c);
        else if (c == '\t')
            snprintf(buf, sizeof buf, "\\t");
        else if (c == '\n')
            snprintf(buf, sizeof buf, "\\n");
        else if (c == '\r')
            snprintf(buf, sizeof buf, "\\r");
        else if (c < 0x20 || c >= 0x7F)
            snprintf(buf, sizeof buf, "\\x%02x", c);
        else
            snprintf(buf, sizeof buf, "%c", c);
        puts_(t, buf);
    }
    put(t, &quote, 1);
}

/* The namespace name for index idx: the last written ns-0 entry holding
 * it, searched over every page in flash order (the tool's dict). */
static const uint8_t *namespace_entry(const uint8_t *part, size_t pages,
                                      uint8_t idx)
{
    const uint8_t *found = NULL;
    for (size_t p = 0; p < pages; p++) {
        const uint8_t *page = part + p * NVS_PAGE_SIZE;
        for (unsigned i = 0; i < NVS_ENTRIES_PER_PAGE;) {
            const uint8_t *e = nvs_entry_at_const(page, i);
            unsigned span = e[2] == 0 || e[2] == 0xFF ? 1 : e[2];
            size_t kn;
            if (nvs_entry_state_get(page, i) == NVS_ENTRY_WRITTEN &&
                e[0] == 0 && is_int_code(e[1]) && nvs_entry_key_ascii(e, &kn)) {
                if (int_value(e) == idx)
                    found = e;
            }
            i += span;
        }
    }
    return found;
}

static void put_item(struct text *t, const uint8_t *part, size_t pages,
                     const uint8_t *page, unsigned i)
{
    const uint8_t *e = nvs_entry_at_const(page, i);
    size_t kn;
    uint8_t type = e[1];
    if (type == NVS_TYPE_BLOB_IDX || !nvs_entry_key_ascii(e, &kn))
        return;
    const uint8_t *ns = namespace_entry(part, pages, e[0]);
    if (!ns)
        return;
    size_t nsn = 0;
    nvs_entry_key_ascii(ns, &nsn);
    put(t, " ", 1);
    put(t, ns + 8, nsn);
    put(t, ":", 1);
    put(t, e + 8, kn);
    if (is_int_code(type)) {
        puts_(t, " = ");
        put_int(t, e);
    } else if (type == NVS_TYPE_SZ || type == NVS_TYPE_BLOB ||
               type == NVS_TYPE_BLOB_DATA) {
        /* The data is what the span holds on this page, cut to size. */
        unsigned span = e[2] == 0 || e[2] == 0xFF ? 1 : e[2];
        size_t avail = (size_t)(span - 1) * NVS_ENTRY_SIZE;
        size_t room = (size_t)(NVS_ENTRIES_PER_PAGE - i - 1) * NVS_ENTRY_SIZE;
        if (avail > room)
            avail = room;
        size_t size = (size_t)(e[24] | e[25] << 8);
        if (size > avail)
            size = avail;
        const uint8_t *d = e + NVS_ENTRY_SIZE;
        if (type == NVS_TYPE_BLOB_DATA) {
            char idx[16];
            snprintf(idx, sizeof idx, "[%u] = ",
                     e[3] >= 128 ? e[3] - 128u : e[3]);
            puts_(t, idx);
        } else if (type == NVS_TYPE_SZ) {
            puts_(t, " = ");
            put(t, d, size);
        } else {
            puts_(t, " = ");
            put_bytes_repr(t, d, size);
        }
    } else {
        puts_(t, " = None");
    }
    put(t, "\n", 1);
}

static void put_page(struct text *t, const uint8_t *part, size_t pages,
                     size_t p)
{
    const uint8_t *page = part + p * NVS_PAGE_SIZE;
    static const uint8_t blank[32] = {
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    if (memcmp(page, blank, 32) == 0) {
        puts_(t, "Page Empty\n");
    } else {
        char head[80];
        snprintf(head, sizeof head, "Page no. %" PRIu32 ", Status: %s\n",
                 le32_get(page + 4), status_name(le32_get(page)));
        puts_(t, head);
    }
    for (unsigned i = 0; i < NVS_ENTRIES_PER_PAGE;) {
        const uint8_t *e = nvs_entry_at_const(page, i);
        unsigned span = e[2] == 0 || e[2] == 0xFF ? 1 : e[2];
        if (nvs_entry_state_get(page, i) == NVS_ENTRY_WRITTEN && e[0] != 0)
            put_item(t, part, pages, page, i);
        i += span;
    }
    put(t, "\n", 1);
}

size_t nvs_dump_minimal(const uint8_t *part, size_t len, char *out,
                        size_t cap)
{
    struct text t = {out, cap, 0};
    size_t pages = len / NVS_PAGE_SIZE;
    for (size_t p = 0; p < pages; p++)
        put_page(&t, part, pages, p);
    return t.len;
}

/* ---- JSON ---------------------------------------------------------------- */

/* nvs_parser's item_type names; NULL for a code it does not know. */
static const char *json_encoding(uint8_t type)
{
    switch (type) {
    case NVS_TYPE_U8: return "uint8_t";
    case NVS_TYPE_I8: return "int8_t";
    case NVS_TYPE_U16: return "uint16_t";
    case NVS_TYPE_I16: return "int16_t";
    case NVS_TYPE_U32: return "uint32_t";
    case NVS_TYPE_I32: return "int32_t";
    case NVS_TYPE_U64: return "uint64_t";
    case NVS_TYPE_I64: return "int64_t";
    case NVS_TYPE_SZ: return "string";
    case NVS_TYPE_BLOB: return "blob";
    case NVS_TYPE_BLOB_DATA: return "blob_data";
    default: return NULL;
    }
}

/* A code nvs_parser does not know is shown as f'0x{type:02x}'. */
static void put_json_encoding(struct text *t, uint8_t type)
{
    char hex[8];
    const char *name = json_encoding(type);
    if (!name) {
        snprintf(hex, sizeof hex, "0x%02x", type);
        name = hex;
    }
    put(t, "\"", 1);
    puts_(t, name);
    put(t, "\"", 1);
}

static void put_json_codepoint(struct text *t, uint32_t cp)
{
    char buf[16];
    if (cp >= 0x10000) {
        cp -= 0x10000;
        snprintf(buf, sizeof buf, "\\u%04x\\u%04x", 0xD800u + (cp >> 10),
                 0xDC00u + (cp & 0x3FFu));
    } else {
        snprintf(buf, sizeof buf, "\\u%04x", cp);
    }
    puts_(t, buf);
}

/* Length of the UTF-8 sequence at s (1..4) with its code point, or 0 if
 * the bytes there are not one. */
static size_t utf8_next(const uint8_t *s, size_t n, uint32_t *cp)
{
    size_t more;
    uint8_t c = s[0];
    if (c < 0x80) { *cp = c; return 1; }
    if ((c & 0xE0) == 0xC0) { more = 1; *cp = c & 0x1Fu; }
    else if ((c & 0xF0) == 0xE0) { more = 2; *cp = c & 0x0Fu; }
    else if ((c & 0xF8) == 0xF0) { more = 3; *cp = c & 0x07u; }
    else return 0;
    if (more >= n)
        return 0;
    for (size_t k = 1; k <= more; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        *cp = *cp << 6 | (s[k] & 0x3Fu);
    }
    if ((more == 1 && *cp < 0x80) || (more == 2 && *cp < 0x800) ||
        (more == 3 && (*cp < 0x10000 || *cp > 0x10FFFF)) ||
        (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return more + 1;
}

static void put_json_string(struct text *t, const uint8_t *s, size_t n)
{
    put(t, "\"", 1);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = utf8_next(s + i, n - i, &cp);
        if (k == 0) {
            cp = 0xFFFD;
            k = 1;
        }
        i += k;
        switch (cp) {
        case '"': puts_(t, "\\\""); continue;
        case '\\': puts_(t, "\\\\"); continue;
        case '\n': puts_(t, "\\n"); continue;
        case '\r': puts_(t, "\\r"); continue;
        case '\t': puts_(t, "\\t"); continue;
        case '\b': puts_(t, "\\b"); continue;
        case '\f': puts_(t, "\\f"); continue;
        default: break;
        }
        if (cp < 0x20 || cp > 0x7E) {
            put_json_codepoint(t, cp);     /* DEL too: ensure_ascii keeps ' '..'~' only */
        } else {
            char c = (char)cp;
            put(t, &c, 1);
        }
    }
    put(t, "\"", 1);
}

/* mbedTLS encodes, three bytes at a time, so the text grows in place
 * without a buffer the size of the blob. */
static void put_base64(struct text *t, const uint8_t *d, size_t n)
{
    put(t, "\"", 1);
    for (size_t i = 0; i < n; i += 3) {
        unsigned char q[5];     /* four characters and mbedTLS's NUL */
        size_t len = 0;
        mbedtls_base64_encode(q, sizeof q, &len, d + i, n - i < 3 ? n - i : 3);
        put(t, q, len);
    }
    put(t, "\"", 1);
}

/* The bytes a string or blob entry holds on its page, cut to its size (as
 * the text listing reads them). */
static const uint8_t *entry_data(const uint8_t *e, unsigned i, size_t *size)
{
    unsigned span = e[2] == 0 || e[2] == 0xFF ? 1 : e[2];
    size_t avail = (size_t)(span - 1) * NVS_ENTRY_SIZE;
    size_t room = (size_t)(NVS_ENTRIES_PER_PAGE - i - 1) * NVS_ENTRY_SIZE;
    if (avail > room)
        avail = room;
    *size = (size_t)(e[24] | e[25] << 8);
    if (*size > avail)
        *size = avail;
    return e + NVS_ENTRY_SIZE;
}

static void put_json_item(struct text *t, const uint8_t *part, size_t pages,
                          const uint8_t *page, unsigned i, bool *first)
{
    const uint8_t *e = nvs_entry_at_const(page, i);
    size_t kn, nsn = 0;
    uint8_t type = e[1];
    if (type == NVS_TYPE_BLOB_IDX || !nvs_entry_key_ascii(e, &kn))
        return;
    const uint8_t *ns = namespace_entry(part, pages, e[0]);
    if (!ns)
        return;
    nvs_entry_key_ascii(ns, &nsn);
    puts_(t, *first ? "\n    {\n" : ",\n    {\n");
    *first = false;
    puts_(t, "        \"namespace\": ");
    put_json_string(t, ns + 8, nsn);
    puts_(t, ",\n        \"key\": ");
    put_json_string(t, e + 8, kn);
    puts_(t, ",\n        \"encoding\": ");
    put_json_encoding(t, type);
    puts_(t, ",\n        \"data\": ");
    if (is_int_code(type)) {
        put_int(t, e);
    } else if (type == NVS_TYPE_SZ) {
        size_t size;
        const uint8_t *d = entry_data(e, i, &size);
        while (size && d[size - 1] == 0)    /* rstrip(b'\x00'): every trailing NUL */
            size--;
        put_json_string(t, d, size);
    } else if (type == NVS_TYPE_BLOB || type == NVS_TYPE_BLOB_DATA) {
        size_t size;
        const uint8_t *d = entry_data(e, i, &size);
        put_base64(t, d, size);
    } else {
        puts_(t, "null");
    }
    puts_(t, ",\n        \"state\": \"Written\",\n        \"is_empty\": false\n    }");
}

size_t nvs_dump_minimal_json(const uint8_t *part, size_t len, char *out,
                             size_t cap)
{
    struct text t = {out, cap, 0};
    size_t pages = len / NVS_PAGE_SIZE;
    bool first = true;
    puts_(&t, "[");
    for (size_t p = 0; p < pages; p++) {
        const uint8_t *page = part + p * NVS_PAGE_SIZE;
        for (unsigned i = 0; i < NVS_ENTRIES_PER_PAGE;) {
            const uint8_t *e = nvs_entry_at_const(page, i);
            unsigned span = e[2] == 0 || e[2] == 0xFF ? 1 : e[2];
            if (nvs_entry_state_get(page, i) == NVS_ENTRY_WRITTEN && e[0] != 0)
                put_json_item(&t, part, pages, page, i, &first);
            i += span;
        }
    }
    puts_(&t, first ? "]\n" : "\n]\n");
    return t.len;
}
