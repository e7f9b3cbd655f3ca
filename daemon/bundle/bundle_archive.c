/* Walking an uploaded bundle archive: which format it is, the rules every
 * member's name and size are held to, gunzip, and the one top folder
 * stripped.
 *
 * The readers of the two formats (bundle_archive_tar.c, bundle_archive_zip.c)
 * hand each member to archive_add as soon as they know its name, kind and
 * declared size, so a bad one is refused before a byte of it is read or
 * inflated. Only once the whole archive has passed does the caller see a
 * single file: a half-checked archive never leaves half a bundle on disk. */
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "bundle_archive_internal.h"

/* What a tar may hold beyond its files' bytes, for bounding a gunzip: per
 * member a header, a pax or long-name record with its own header, and the
 * padding to 512; at the end the two zero blocks and the padding of the
 * last 10240-byte record (GNU tar's default blocking). */
#define TAR_MEMBER_OVERHEAD 4096u
#define TAR_TAIL_OVERHEAD 20480u

enum bundle_archive_kind bundle_archive_kind(const uint8_t *data, size_t len)
{
    if (len >= 4 && data[0] == 'P' && data[1] == 'K' &&
        ((data[2] == 3 && data[3] == 4) || (data[2] == 5 && data[3] == 6)))
        return BUNDLE_ARCHIVE_ZIP;      /* a local header, or an empty zip */
    if (len >= 2 && data[0] == 0x1f && data[1] == 0x8b)
        return BUNDLE_ARCHIVE_TAR_GZ;
    if (len >= 512 && !memcmp(data + 257, "ustar", 5))
        return BUNDLE_ARCHIVE_TAR;
    return BUNDLE_ARCHIVE_UNKNOWN;
}

/* ---- refusals ------------------------------------------------------------- */

/* The raw name as it can be shown to the operator: control and non-ASCII
 * bytes as \xNN, cut short with "..." when long. */
static void printable(const char *raw, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 8 < cap; i++) {
        unsigned char c = (unsigned char)raw[i];
        if (c < 0x20 || c >= 0x7f || c == '\\')
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
        if (i + 1 < n && o + 8 >= cap)
            o += (size_t)snprintf(out + o, cap - o, "...");
    }
    out[o] = '\0';
}

int archive_refuse(struct archive_list *l, const char *raw, size_t rawlen,
                   const char *fmt, ...)
{
    char shown[160], why[512];
    printable(raw, rawlen, shown, sizeof shown);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (l->errlen)
        snprintf(l->err, l->errlen, "member '%s': %s", shown, why);
    return -1;
}

int archive_fail(struct archive_list *l, const char *fmt, ...)
{
    if (l->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(l->err, l->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- names ---------------------------------------------------------------- */

/* Checks a member's name and writes it as it will be used into out
 * (BUNDLE_ARCHIVE_NAME_MAX + 1 bytes): "./" prefixes and a folder's
 * trailing '/' dropped. "" for the archive's root ("./"). */
static int check_name(struct archive_list *l, const char *raw, size_t n, bool dir,
                      char *out)
{
    if (n == 0)
        return archive_refuse(l, raw, n, "an empty name is refused; pack the bundle "
                              "folder again with tar or zip");
    if (n > BUNDLE_ARCHIVE_NAME_MAX)
        return archive_refuse(l, raw, n, "a name of %zu bytes is refused (at most "
                              "%d); shorten the file or folder names", n,
                              BUNDLE_ARCHIVE_NAME_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)raw[i];
        if (c == 0)
            return archive_refuse(l, raw, n, "a NUL byte inside the name is refused; "
                                  "the archive is damaged or crafted");
        if (c < 0x20 || c == 0x7f)
            return archive_refuse(l, raw, n, "a name with a control character (byte "
                                  "0x%02x) is refused; rename the file", c);
        if (c == '\\')
            return archive_refuse(l, raw, n, "a backslash in a name is refused (a "
                                  "Windows path?); folders are separated by '/'");
    }
    if (raw[0] == '/')
        return archive_refuse(l, raw, n, "an absolute path is refused; pack the "
                              "bundle from inside its folder (tar -C <folder> -czf "
                              "bundle.tar.gz .)");
    size_t at = 0, o = 0;
    bool leading = true;
    while (at < n) {
        const char *slash = memchr(raw + at, '/', n - at);
        size_t end = slash ? (size_t)(slash - raw) : n, k = end - at;
        const char *c = raw + at;      /* k == 0: "a//b" (a trailing '/' ends the loop) */
        if (k == 2 && c[0] == '.' && c[1] == '.')
            return archive_refuse(l, raw, n, "a path that climbs out of the bundle "
                                  "('..') is refused; archive only the bundle "
                                  "folder's own files");
        if (k == 0)
            return archive_refuse(l, raw, n, "an empty folder name ('//') is refused; "
                                  "pack the bundle folder again with tar or zip");
        if (k == 1 && c[0] == '.') {
            if (!leading)
                return archive_refuse(l, raw, n, "a '.' inside the path is refused; "
                                      "pack the bundle folder again with tar or zip");
        } else {
            leading = false;
            if (o)
                out[o++] = '/';
            memcpy(out + o, c, k);
            o += k;
        }
        at = end + 1;
        if (slash && at == n && !dir)
            return archive_refuse(l, raw, n, "a file name ending in '/' is refused");
    }
    out[o] = '\0';
    if (!o && !dir)
        return archive_refuse(l, raw, n, "a file that names the bundle folder itself "
                              "is refused");
    return 0;
}

/* ---- the members ---------------------------------------------------------- */

static bool under(const char *name, const char *folder)
{
    size_t n = strlen(folder);
    return !strncmp(name, folder, n) && name[n] == '/';
}

/* A member against those before it: the same name twice, or a file where
 * another member has a folder. */
static int check_against(struct archive_list *l, const char *name, bool dir,
                         const char *raw, size_t rawlen)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct archive_entry *e = &l->e[i];
        if (!strcmp(e->name, name) && e->dir == dir)
            return archive_refuse(l, raw, rawlen, "the name '%s' is in the archive "
                                  "twice; pack each file once", name);
        if (!strcmp(e->name, name) || (!dir && under(e->name, name)) ||
            (!e->dir && under(name, e->name)))
            return archive_refuse(l, raw, rawlen, "'%s' is both a file and a folder "
                                  "in the archive; rename one of them",
                                  under(name, e->name) ? e->name : name);
    }
    return 0;
}

struct archive_entry *archive_add(struct archive_list *l, const char *raw,
                                  size_t rawlen, bool dir, uint64_t size)
{
    if (++l->members > l->lim.max_members) {
        archive_fail(l, "the archive has more than %zu members; a bundle is a "
                     "manifest and its parts, pack only the bundle folder",
                     l->lim.max_members);
        return NULL;
    }
    char name[BUNDLE_ARCHIVE_NAME_MAX + 1];
    if (check_name(l, raw, rawlen, dir, name) < 0)
        return NULL;
    if (!name[0]) {
        memset(&l->root, 0, sizeof l->root);
        return &l->root;
    }
    if (!dir && (size > l->lim.max_member_size || size > SIZE_MAX)) {
        archive_refuse(l, raw, rawlen, "%llu bytes, more than the %llu allowed for "
                       "one file of a bundle", (unsigned long long)size,
                       (unsigned long long)l->lim.max_member_size);
        return NULL;
    }
    if (!dir && size > l->lim.max_total_size - l->total) {
        archive_refuse(l, raw, rawlen, "with its %llu bytes the files add up to "
                       "more than the %llu allowed for a bundle",
                       (unsigned long long)size,
                       (unsigned long long)l->lim.max_total_size);
        return NULL;
    }
    if (check_against(l, name, dir, raw, rawlen) < 0)
        return NULL;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        struct archive_entry *e = realloc(l->e, cap * sizeof *e);
        if (!e) {
            archive_fail(l, "out of memory reading the archive");
            return NULL;
        }
        l->e = e;
        l->cap = cap;
    }
    char *copy = strdup(name);
    if (!copy) {
        archive_fail(l, "out of memory reading the archive");
        return NULL;
    }
    if (!dir)
        l->total += size;
    struct archive_entry *e = &l->e[l->n++];
    *e = (struct archive_entry){ .name = copy, .dir = dir };
    return e;
}

/* macOS's Finder packs a __MACOSX/ folder of resource forks beside the
 * folder it zips: never part of a bundle, and a second top folder that
 * would keep the real one from being stripped. */
static void drop_finder_metadata(struct archive_list *l)
{
    size_t kept = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (!strcmp(l->e[i].name, "__MACOSX") || under(l->e[i].name, "__MACOSX"))
            free(l->e[i].name);
        else
            l->e[kept++] = l->e[i];
    }
    l->n = kept;
}

/* When every member lies in one folder X ("acme-1.4/manifest.json", as
 * `tar -cf b.tar acme-1.4` makes it), the names start below X. */
static void strip_top_folder(struct archive_list *l)
{
    if (!l->n)
        return;
    size_t k = strcspn(l->e[0].name, "/");
    bool inside = false;
    for (size_t i = 0; i < l->n; i++) {
        const char *name = l->e[i].name;
        if (strncmp(name, l->e[0].name, k))
            return;
        if (name[k] == '/')
            inside = true;
        else if (name[k] != '\0' || !l->e[i].dir)
            return;
    }
    if (!inside)
        return;
    size_t kept = 0;
    for (size_t i = 0; i < l->n; i++) {
        struct archive_entry e = l->e[i];
        if (!e.name[k]) {               /* X itself */
            free(e.name);
            continue;
        }
        memmove(e.name, e.name + k + 1, strlen(e.name + k + 1) + 1);
        l->e[kept++] = e;
    }
    l->n = kept;
}

static void free_list(struct archive_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->e[i].name);
        free(l->e[i].owned);
    }
    free(l->e);
}

/* ---- gzip ----------------------------------------------------------------- */

/* The tar inside a gzip stream, in a malloc'd buffer no larger than the
 * limits allow a tar to be (whatever the stream claims), or NULL with err. */
static uint8_t *gunzip(struct archive_list *l, const uint8_t *data, size_t len,
                       size_t *out_len)
{
    uint64_t cap64 = l->lim.max_total_size + TAR_TAIL_OVERHEAD +
                     (uint64_t)l->lim.max_members * TAR_MEMBER_OVERHEAD;
    size_t cap = cap64 > SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)cap64;
    size_t size = len < cap / 4 ? 4 * len : cap, fed = 0;
    if (size < 65536)
        size = cap < 65536 ? cap : 65536;
    z_stream z = { 0 };
    uint8_t *buf = malloc(size);
    if (!buf || inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
        free(buf);
        archive_fail(l, "out of memory unpacking the gzip stream");
        return NULL;
    }
    z.next_out = buf;
    z.avail_out = (uInt)(size > UINT_MAX ? UINT_MAX : size);
    const char *why = NULL;
    for (;;) {
        if (!z.avail_in && fed < len) {
            size_t chunk = len - fed > UINT_MAX ? UINT_MAX : len - fed;
            z.next_in = (Bytef *)(uintptr_t)(data + fed);
            z.avail_in = (uInt)chunk;
            fed += chunk;
        }
        size_t made = (size_t)(z.next_out - buf);
        if (!z.avail_out) {
            if (made >= cap) {
                why = "it unpacks to more than a bundle may hold (the limit for "
                      "all files plus the tar headers)";
                break;
            }
            size_t next = made > cap / 2 ? cap : 2 * made;
            uint8_t *grown = realloc(buf, next);
            if (!grown) {
                why = "out of memory";
                break;
            }
            buf = grown;
            size = next;
            z.next_out = buf + made;
            z.avail_out = (uInt)(size - made > UINT_MAX ? UINT_MAX : size - made);
        }
        int rc = inflate(&z, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            size_t rest = z.avail_in + (len - fed);
            const uint8_t *next = z.avail_in ? z.next_in : data + fed;
            if (!rest) {
                *out_len = (size_t)(z.next_out - buf);
                inflateEnd(&z);
                return buf;
            }
            if (rest < 2 || next[0] != 0x1f || next[1] != 0x8b) {
                why = "there are bytes after its end";
                break;
            }
            inflateReset(&z);               /* another gzip member follows */
        } else if (rc == Z_BUF_ERROR && z.avail_out && (z.avail_in || fed == len)) {
            why = z.avail_in ? "it is damaged" : "it is cut short (the upload was "
                                                 "truncated?)";
            break;
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            why = z.msg ? z.msg : "it is damaged";
            break;
        }
    }
    archive_fail(l, "the gzip stream is refused: %s; upload the archive again", why);
    inflateEnd(&z);
    free(buf);
    return NULL;
}

/* ---- the walk ------------------------------------------------------------- */

static void fill_limits(struct bundle_archive_limits *to,
                        const struct bundle_archive_limits *from)
{
    if (from)
        *to = *from;
    if (!to->max_members)
        to->max_members = BUNDLE_ARCHIVE_MAX_MEMBERS;
    if (!to->max_member_size)
        to->max_member_size = BUNDLE_ARCHIVE_MAX_MEMBER_SIZE;
    if (!to->max_total_size)
        to->max_total_size = BUNDLE_ARCHIVE_MAX_TOTAL_SIZE;
}

static int read_members(struct archive_list *l, const uint8_t *data, size_t len,
                        uint8_t **tar)
{
    switch (bundle_archive_kind(data, len)) {
    case BUNDLE_ARCHIVE_TAR:
        return archive_read_tar(l, data, len);
    case BUNDLE_ARCHIVE_TAR_GZ: {
        size_t n;
        *tar = gunzip(l, data, len, &n);
        return *tar ? archive_read_tar(l, *tar, n) : -1;
    }
    case BUNDLE_ARCHIVE_ZIP:
        return archive_read_zip(l, data, len);
    case BUNDLE_ARCHIVE_UNKNOWN:
        break;
    }
    return archive_fail(l, "not a tar, tar.gz or zip archive (by its first bytes); "
                        "upload the bundle folder packed with tar -czf or zip -r");
}

int bundle_archive_walk(const uint8_t *data, size_t len,
                        const struct bundle_archive_limits *lim,
                        bundle_archive_member_fn fn, void *arg, char *err,
                        size_t errlen)
{
    struct archive_list l = { .err = err, .errlen = errlen };
    if (errlen)
        err[0] = '\0';
    fill_limits(&l.lim, lim);
    uint8_t *tar = NULL;
    int rc = read_members(&l, data, len, &tar);
    size_t files = 0;
    for (size_t i = 0; rc == 0 && i < l.n; i++)
        files += !l.e[i].dir;
    if (rc == 0 && !files)
        rc = archive_fail(&l, "the archive holds no file; pack the bundle folder "
                          "with its manifest.json");
    if (rc == 0) {
        drop_finder_metadata(&l);
        strip_top_folder(&l);
    }
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        if (l.e[i].dir)
            continue;
        struct bundle_archive_member m = { l.e[i].name, l.e[i].data, l.e[i].size };
        if (fn(&m, arg)) {
            if (errlen && !err[0])
                snprintf(err, errlen, "member '%s': the walk was stopped", m.name);
            rc = -1;
        }
    }
    free_list(&l);
    free(tar);
    return rc;
}
