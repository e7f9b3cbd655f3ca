/* Reading a zip archive from memory: members stored or deflated, as zip,
 * Info-ZIP, Python's zipfile, Windows and macOS write them.
 *
 * The central directory at the end is the list that counts: it is found
 * through the End of Central Directory record, and each of its entries
 * says where its member's local header is and how big the member is. Its
 * sizes and CRC are the ones used (the local header may defer them to a
 * data descriptor); the local header must agree on the name, so that no
 * other tool reading the same archive sees another file there. A member
 * is inflated into exactly the bytes it declares, and refused the moment
 * it would need one more: a zip bomb costs at most the limit. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "bundle_archive_internal.h"

#define EOCD_SIG 0x06054b50u            /* End of Central Directory */
#define EOCD_LEN 22u
#define EOCD_SEARCH (EOCD_LEN + 65535u) /* the record and the longest comment */
#define ZIP64_LOCATOR_SIG 0x07064b50u
#define ZIP64_LOCATOR_LEN 20u
#define CENTRAL_SIG 0x02014b50u
#define CENTRAL_LEN 46u
#define LOCAL_SIG 0x04034b50u
#define LOCAL_LEN 30u
#define ZIP64_EXTRA 0x0001u
#define FLAG_ENCRYPTED 0x0001u
#define FLAG_STRONG_ENCRYPTION 0x0040u
#define METHOD_STORED 0
#define METHOD_DEFLATE 8
#define METHOD_AES 99
#define HOST_UNIX 3
#define MODE_TYPE 0170000u              /* st_mode as Unix stores it */
#define MODE_FILE 0100000u
#define MODE_DIR 0040000u

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* A central directory entry, its fields read. */
struct central {
    const char *name;
    size_t name_len;
    uint16_t made_by, flags, method;
    uint32_t crc, csize, usize, external, local;
    const uint8_t *extra;
    size_t extra_len;
};

static bool has_zip64_extra(const struct central *c)
{
    for (size_t at = 0; c->extra_len - at >= 4;) {
        uint16_t id = le16(c->extra + at), n = le16(c->extra + at + 2);
        if (id == ZIP64_EXTRA)
            return true;
        if (n > c->extra_len - at - 4)
            return false;
        at += 4u + n;
    }
    return false;
}

/* What the entry is, from the name and the Unix mode (when the archive
 * was made on Unix): -1 for anything but a file or a folder, with err. */
static int kind_of(struct archive_list *l, const struct central *c, bool *dir)
{
    *dir = c->name_len && c->name[c->name_len - 1] == '/';
    if (c->made_by >> 8 != HOST_UNIX)
        return 0;
    uint32_t type = (c->external >> 16) & MODE_TYPE;
    static const struct { uint32_t type; const char *what; } refused[] = {
        { 0120000u, "a symbolic link is refused (it could lead to any file on the "
                    "station); put the file itself in the archive (zip without -y)" },
        { 0020000u, "a character device is refused; a bundle holds only files and folders" },
        { 0060000u, "a block device is refused; a bundle holds only files and folders" },
        { 0010000u, "a FIFO (named pipe) is refused; a bundle holds only files and folders" },
        { 0140000u, "a socket is refused; a bundle holds only files and folders" },
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (type == refused[i].type)
            return archive_refuse(l, c->name, c->name_len, "%s", refused[i].what);
    if (type && type != MODE_FILE && type != MODE_DIR)
        return archive_refuse(l, c->name, c->name_len, "its Unix mode 0%o is neither a "
                              "file nor a folder; a bundle holds only files and "
                              "folders", (unsigned)(c->external >> 16));
    *dir = *dir || type == MODE_DIR;
    return 0;
}

/* The rest of what a member may not be, before anything is read. */
static int check_central(struct archive_list *l, const struct central *c)
{
    if (c->csize == UINT32_MAX || c->usize == UINT32_MAX || c->local == UINT32_MAX ||
        has_zip64_extra(c))
        return archive_refuse(l, c->name, c->name_len, "zip64 is refused (a bundle is "
                              "far below 4 GiB); pack it with plain zip");
    if (c->flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION) || c->method == METHOD_AES)
        return archive_refuse(l, c->name, c->name_len, "an encrypted member is refused; "
                              "pack the bundle without a password");
    if (c->method != METHOD_STORED && c->method != METHOD_DEFLATE)
        return archive_refuse(l, c->name, c->name_len, "compression method %u is "
                              "refused; use deflate (zip's default) or none (zip -0)",
                              c->method);
    return 0;
}

/* Inflates exactly c->usize bytes into a new buffer held by e. */
static int inflate_member(struct archive_list *l, const struct central *c,
                          const uint8_t *src, struct archive_entry *e)
{
    uint8_t *out = malloc(c->usize ? c->usize : 1);
    z_stream z = { 0 };
    if (!out || inflateInit2(&z, -MAX_WBITS) != Z_OK) {
        free(out);
        return archive_refuse(l, c->name, c->name_len, "out of memory inflating it");
    }
    z.next_in = (Bytef *)(uintptr_t)src;
    z.avail_in = c->csize;
    z.next_out = out;
    z.avail_out = c->usize;
    int rc = inflate(&z, Z_FINISH);
    uLong made = z.total_out;
    bool full = z.avail_out == 0;
    inflateEnd(&z);
    if (rc == Z_STREAM_END && full) {
        e->owned = out;
        e->data = out;
        e->size = c->usize;
        return 0;
    }
    free(out);
    if (rc == Z_STREAM_END)
        return archive_refuse(l, c->name, c->name_len, "it inflates to %lu bytes, not "
                              "the %lu declared; the zip is damaged: upload it again",
                              (unsigned long)made, (unsigned long)c->usize);
    if (full)
        return archive_refuse(l, c->name, c->name_len, "it inflates to more than the "
                              "%lu bytes declared (a zip bomb?); the zip is damaged or "
                              "crafted", (unsigned long)c->usize);
    return archive_refuse(l, c->name, c->name_len, "its deflate stream is damaged or "
                          "cut short; upload the archive again");
}

/* One member: checked, then found through its local header, then read. */
static int read_member(struct archive_list *l, const struct central *c,
                       const uint8_t *data, size_t data_end)
{
    bool dir;
    if (kind_of(l, c, &dir) < 0 || check_central(l, c) < 0)
        return -1;
    struct archive_entry *e = archive_add(l, c->name, c->name_len, dir, c->usize);
    if (!e)
        return -1;
    const uint8_t *h = data + c->local;
    if (c->local > data_end || data_end - c->local < LOCAL_LEN || le32(h) != LOCAL_SIG)
        return archive_refuse(l, c->name, c->name_len, "its local header (at byte %lu) "
                              "is missing; the zip is damaged: upload it again",
                              (unsigned long)c->local);
    size_t at = c->local + LOCAL_LEN, name_len = le16(h + 26), extra_len = le16(h + 28);
    if (name_len + extra_len > data_end - at || name_len != c->name_len ||
        memcmp(data + at, c->name, name_len))
        return archive_refuse(l, c->name, c->name_len, "its local header names another "
                              "file than the central directory; the zip is damaged "
                              "or crafted");
    at += name_len + extra_len;
    if (c->csize > data_end - at)
        return archive_refuse(l, c->name, c->name_len, "its %lu bytes run past the end "
                              "of the members; the zip is cut short: upload it again",
                              (unsigned long)c->csize);
    if (dir)
        return 0;
    if (c->method == METHOD_STORED) {
        if (c->csize != c->usize)
            return archive_refuse(l, c->name, c->name_len, "stored with %lu bytes but "
                                  "%lu declared; the zip is damaged",
                                  (unsigned long)c->csize, (unsigned long)c->usize);
        e->data = data + at;
        e->size = c->usize;
    } else if (inflate_member(l, c, data + at, e) < 0) {
        return -1;
    }
    if (crc32(0, e->data, (uInt)e->size) != c->crc)
        return archive_refuse(l, c->name, c->name_len, "its CRC-32 does not match; the "
                              "file is damaged: upload the archive again");
    return 0;
}

static int find_eocd(struct archive_list *l, const uint8_t *data, size_t len,
                     size_t *eocd)
{
    size_t stop = len > EOCD_SEARCH ? len - EOCD_SEARCH : 0;
    for (size_t i = len >= EOCD_LEN ? len - EOCD_LEN + 1 : 0; i-- > stop;) {
        if (le32(data + i) == EOCD_SIG && len - i - EOCD_LEN == le16(data + i + 20)) {
            *eocd = i;
            return 0;
        }
    }
    return archive_fail(l, "the zip has no end of central directory record; it is "
                        "cut short or damaged: upload it again");
}

int archive_read_zip(struct archive_list *l, const uint8_t *data, size_t len)
{
    size_t eocd = 0;
    if (find_eocd(l, data, len, &eocd) < 0)
        return -1;
    const uint8_t *r = data + eocd;
    uint16_t disk = le16(r + 4), cd_disk = le16(r + 6), here = le16(r + 8), n = le16(r + 10);
    uint32_t cd_size = le32(r + 12), cd_off = le32(r + 16);
    if (n == UINT16_MAX || cd_size == UINT32_MAX || cd_off == UINT32_MAX ||
        (eocd >= ZIP64_LOCATOR_LEN && le32(r - ZIP64_LOCATOR_LEN) == ZIP64_LOCATOR_SIG))
        return archive_fail(l, "zip64 is refused (a bundle is far below 4 GiB); pack "
                            "it with plain zip");
    if (disk || cd_disk || here != n)
        return archive_fail(l, "a zip split over several files is refused; pack the "
                            "bundle in one archive");
    if (n > l->lim.max_members)
        return archive_fail(l, "the archive has %u members, more than the %zu allowed; "
                            "a bundle is a manifest and its parts, pack only the "
                            "bundle folder", n, l->lim.max_members);
    if (cd_off > eocd || cd_size > eocd - cd_off)
        return archive_fail(l, "the zip's central directory lies outside it; it is "
                            "cut short or damaged: upload it again");
    size_t at = cd_off, end = (size_t)cd_off + cd_size;
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *p = data + at;
        if (end - at < CENTRAL_LEN || le32(p) != CENTRAL_SIG)
            return archive_fail(l, "entry %u of the zip's central directory is damaged; "
                                "upload the archive again", i + 1);
        struct central c = {
            .name = (const char *)p + CENTRAL_LEN, .name_len = le16(p + 28),
            .made_by = le16(p + 4), .flags = le16(p + 8), .method = le16(p + 10),
            .crc = le32(p + 16), .csize = le32(p + 20), .usize = le32(p + 24),
            .external = le32(p + 38), .local = le32(p + 42),
            .extra = p + CENTRAL_LEN + le16(p + 28), .extra_len = le16(p + 30),
        };
        size_t more = c.name_len + c.extra_len + le16(p + 32);
        if (more > end - at - CENTRAL_LEN)
            return archive_fail(l, "entry %u of the zip's central directory is damaged; "
                                "upload the archive again", i + 1);
        if (read_member(l, &c, data, cd_off) < 0)
            return -1;
        at += CENTRAL_LEN + more;
    }
    return 0;
}
