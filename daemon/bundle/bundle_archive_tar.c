/* Reading a tar archive from memory: ustar and GNU tar as GNU tar, bsdtar
 * and Python's tarfile write them, long names as pax `path` records or GNU
 * 'L' records.
 *
 * A tar is a run of 512-byte blocks: a header, then the member's bytes
 * padded to a block, and two zero blocks at the end. Nothing in a header
 * is believed before it is checked: the checksum, then every number, then
 * the member's name, kind and size (archive_add), and only then whether
 * its bytes are really there. Only files and folders pass; a link, device
 * or FIFO is refused by its type, whatever its name. */
#include <stdbool.h>
#include <string.h>

#include "bundle_archive_internal.h"

#define BLOCK 512u
#define H_NAME 0                /* offsets in a header, and field sizes */
#define H_NAME_LEN 100
#define H_SIZE 124
#define H_SIZE_LEN 12
#define H_CHKSUM 148
#define H_CHKSUM_LEN 8
#define H_TYPE 156
#define H_MAGIC 257             /* "ustar\0" + "00" (POSIX), "ustar  \0" (GNU) */
#define H_PREFIX 345            /* POSIX only: GNU keeps other fields there */
#define H_PREFIX_LEN 155

/* A long name (pax `path`, GNU 'L') or pax size waiting for its member's
 * header; each applies to the next member only. */
struct pending {
    const char *name;
    size_t name_len;
    bool has_size;
    uint64_t size;
};

static bool zero_block(const uint8_t *b)
{
    for (size_t i = 0; i < BLOCK; i++)
        if (b[i])
            return false;
    return true;
}

/* A numeric field: octal digits after optional spaces, ended by a space,
 * a NUL or the field's end; or GNU's base-256 (first byte 0x80) for
 * numbers too big for octal. -1 for anything else (negative included). */
static int number(const uint8_t *f, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (f[0] & 0x80) {
        if (f[0] != 0x80)
            return -1;
        for (size_t i = 1; i < n; i++) {
            if (v >> 56)
                return -1;
            v = v << 8 | f[i];
        }
        *out = v;
        return 0;
    }
    size_t i = 0, digits = 0;
    while (i < n && f[i] == ' ')
        i++;
    for (; i < n && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
        if (v >> 60)
            return -1;
        v = v * 8 + (uint64_t)(f[i] - '0');
    }
    if (!digits || (i < n && f[i] != ' ' && f[i] != '\0'))
        return -1;
    *out = v;
    return 0;
}

/* The header's checksum: the sum of its bytes with the checksum field
 * counted as spaces (unsigned, or signed as some old writers made it). */
static bool checksum_ok(const uint8_t *h)
{
    uint64_t stored;
    if (number(h + H_CHKSUM, H_CHKSUM_LEN, &stored) < 0)
        return false;
    uint64_t u = 0;
    int64_t s = 0;
    for (size_t i = 0; i < BLOCK; i++) {
        bool in_field = i >= H_CHKSUM && i < H_CHKSUM + H_CHKSUM_LEN;
        uint8_t c = in_field ? ' ' : h[i];
        u += c;
        s += (int8_t)c;
    }
    return stored == u || (int64_t)stored == s;
}

static size_t field_len(const uint8_t *f, size_t n)
{
    const uint8_t *nul = memchr(f, 0, n);
    return nul ? (size_t)(nul - f) : n;
}

/* The name in the header itself: POSIX ustar's prefix "/" name. */
static size_t header_name(const uint8_t *h, char *out)
{
    size_t n = field_len(h + H_NAME, H_NAME_LEN), p = 0;
    if (!memcmp(h + H_MAGIC, "ustar\0", 6)) {
        p = field_len(h + H_PREFIX, H_PREFIX_LEN);
        memcpy(out, h + H_PREFIX, p);
        if (p)
            out[p++] = '/';
    }
    memcpy(out + p, h + H_NAME, n);
    return p + n;
}

/* The records of a pax extended header ("<len> <key>=<value>\n" each):
 * `path` and `size` are taken for the next member, GNU sparse files are
 * refused (their bytes are a map, not the file), the rest (times, owners,
 * extended attributes) are of no use to a bundle. */
static int read_pax(struct archive_list *l, const uint8_t *p, size_t n, size_t where,
                    struct pending *next)
{
    size_t at = 0;
    while (at < n) {
        size_t i = at;
        uint64_t rec = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9' && rec <= n)
            rec = rec * 10 + (uint64_t)(p[i++] - '0');
        const uint8_t *kv = p + i + 1;
        const uint8_t *eq = i < n && rec <= n - at && rec > i - at + 2 ?
                            memchr(kv, '=', at + (size_t)rec - i - 1) : NULL;
        if (i == at || !eq || p[i] != ' ' || p[at + rec - 1] != '\n')
            return archive_fail(l, "the pax header at byte %zu of the tar is malformed; "
                                "the archive is damaged: pack it again", where);
        const uint8_t *newline = p + at + rec - 1;
        const char *key = (const char *)kv, *val = (const char *)eq + 1;
        size_t key_len = (size_t)(eq - kv), val_len = (size_t)(newline - eq - 1);
        if (key_len == 4 && !memcmp(key, "path", 4)) {
            next->name = val;
            next->name_len = val_len;
        } else if (key_len == 4 && !memcmp(key, "size", 4)) {
            uint64_t v = 0;
            size_t d = 0;
            for (; d < val_len && val[d] >= '0' && val[d] <= '9' && !(v >> 59); d++)
                v = v * 10 + (uint64_t)(val[d] - '0');
            if (!d || d != val_len)
                return archive_fail(l, "the pax header at byte %zu of the tar has a "
                                    "bad size; the archive is damaged", where);
            next->has_size = true;
            next->size = v;
        } else if (key_len > 11 && !memcmp(key, "GNU.sparse.", 11)) {
            return archive_fail(l, "a sparse file (pax header at byte %zu) is refused; "
                                "pack the bundle without --sparse", where);
        }
        at += (size_t)rec;
    }
    return 0;
}

static const struct {
    char type;
    const char *what;
} REFUSED[] = {
    { '1', "a hard link is refused; put the file itself in the archive "
           "(tar --hard-dereference)" },
    { '2', "a symbolic link is refused (it could lead to any file on the "
           "station); put the file itself in the archive (tar -h)" },
    { '3', "a character device is refused; a bundle holds only files and folders" },
    { '4', "a block device is refused; a bundle holds only files and folders" },
    { '6', "a FIFO (named pipe) is refused; a bundle holds only files and folders" },
    { 'S', "a sparse file is refused; pack the bundle without --sparse" },
    { 'M', "a multi-volume archive is refused; pack the bundle in one archive" },
};

static int refuse_type(struct archive_list *l, const char *name, size_t n, char type)
{
    for (size_t i = 0; i < sizeof REFUSED / sizeof REFUSED[0]; i++)
        if (REFUSED[i].type == type)
            return archive_refuse(l, name, n, "%s", REFUSED[i].what);
    if (type > 0x20 && type < 0x7f)
        return archive_refuse(l, name, n, "a tar member of type '%c' is refused; a "
                              "bundle holds only files and folders", type);
    return archive_refuse(l, name, n, "a tar member of type 0x%02x is refused; a "
                          "bundle holds only files and folders", (uint8_t)type);
}

/* The end of the blocks: two zero blocks, or one at the very end. */
static int read_end(struct archive_list *l, const uint8_t *data, size_t len,
                    size_t at, const struct pending *next)
{
    if (at + BLOCK < len && !zero_block(data + at + BLOCK))
        return archive_fail(l, "a lone zero block at byte %zu of the tar; the "
                            "archive is damaged: pack it again", at);
    if (next->name || next->has_size)
        return archive_fail(l, "the tar ends after a long-name or pax record, before "
                            "its member; the archive is cut short: upload it again");
    return 0;
}

int archive_read_tar(struct archive_list *l, const uint8_t *data, size_t len)
{
    if (len % BLOCK)
        return archive_fail(l, "the tar is %zu bytes, not a whole number of 512-byte "
                            "blocks; it is cut short: upload it again", len);
    struct pending next = { 0 };
    for (size_t at = 0; at < len;) {
        const uint8_t *h = data + at;
        if (zero_block(h))
            return read_end(l, data, len, at, &next);
        char own[H_PREFIX_LEN + 1 + H_NAME_LEN];
        size_t own_len = header_name(h, own);
        if (memcmp(h + H_MAGIC, "ustar", 5))
            return archive_fail(l, "the block at byte %zu of the tar is not a tar "
                                "header (a damaged archive, or the old v7 format: "
                                "pack it again with GNU tar or bsdtar)", at);
        if (!checksum_ok(h))
            return archive_refuse(l, own, own_len, "its tar header (at byte %zu) has "
                                  "a wrong checksum; the archive is damaged: upload "
                                  "it again", at);
        uint64_t size;
        if (number(h + H_SIZE, H_SIZE_LEN, &size) < 0)
            return archive_refuse(l, own, own_len, "its size is not a number; the "
                                  "archive is damaged: upload it again");
        if (next.has_size)
            size = next.size;
        const char *name = next.name ? next.name : own;
        size_t name_len = next.name ? next.name_len : own_len;
        char type = (char)h[H_TYPE];
        bool member = type == '0' || type == '\0' || type == '5';
        if (!member && type != 'x' && type != 'g' && type != 'L' && type != 'K')
            return refuse_type(l, name, name_len, type);
        struct archive_entry *e = NULL;
        if (member && !(e = archive_add(l, name, name_len, type == '5', size)))
            return -1;
        size_t body = at + BLOCK;
        if (size > len - body)
            return archive_refuse(l, name, name_len, "the tar ends inside it (%llu "
                                  "bytes declared, %zu there); the archive is cut "
                                  "short: upload it again", (unsigned long long)size,
                                  len - body);
        at = body + (((size_t)size + BLOCK - 1) & ~(size_t)(BLOCK - 1));
        if (member) {
            e->data = data + body;
            e->size = type == '5' ? 0 : (size_t)size;
            next = (struct pending){ 0 };
        } else if (type == 'x') {
            if (read_pax(l, data + body, (size_t)size, body - BLOCK, &next) < 0)
                return -1;
        } else if (type == 'L') {       /* the name, and (usually) a NUL */
            next.name = (const char *)data + body;
            next.name_len = (size_t)size;
            if (size && data[body + size - 1] == '\0')
                next.name_len--;
        }                               /* 'g', 'K': nothing a bundle needs */
    }
    if (next.name || next.has_size)
        return read_end(l, data, len, len, &next);
    return 0;
}
