/* A bundle uploaded as an archive (.tar, .tar.gz or .zip, held in memory)
 * turned into a folder, refusing anything unsafe (docs/bundle.md, "Bundle
 * archives (upload)").
 *
 * The bytes come from the network, so every length and offset in them is
 * checked before it is used, nothing is allocated on an archive's word
 * beyond the limits, and only regular files and folders with plain
 * relative names ever reach the disk: no link, device or FIFO, no "..",
 * no absolute path. The folder made is then checked with bundle_load()
 * like any other before it is used.
 *
 *     char err[512];
 *     if (bundle_archive_unpack(body, len, "/var/lib/jigd/bundles/.upload-1",
 *                               NULL, err, sizeof err) < 0)
 *         answer 422 with err;            // nothing was left on disk
 */
#ifndef JIGD_BUNDLE_ARCHIVE_H
#define JIGD_BUNDLE_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

struct bundle_archive_limits {
    size_t max_members;        /* 0 = 256 */
    uint64_t max_member_size;  /* bytes, 0 = 32 MiB: one part's file */
    uint64_t max_total_size;   /* bytes unpacked, 0 = 128 MiB */
};

#define BUNDLE_ARCHIVE_MAX_MEMBERS 256u
#define BUNDLE_ARCHIVE_MAX_MEMBER_SIZE (32ull << 20)
#define BUNDLE_ARCHIVE_MAX_TOTAL_SIZE (128ull << 20)
#define BUNDLE_ARCHIVE_NAME_MAX 255     /* bytes of a member's name */

/* One regular file of the archive, its name made relative and checked. */
struct bundle_archive_member {
    const char *name;          /* "manifest.json", "parts/app.bin"; a single
                                * top-level folder holding everything is
                                * stripped, and so is a "./" prefix */
    const uint8_t *data;
    size_t size;
};

/* Called once for each regular file, in archive order, only after the
 * whole archive has been read and checked. Nonzero stops the walk. */
typedef int (*bundle_archive_member_fn)(const struct bundle_archive_member *m,
                                        void *arg);

/* Which format the bytes are (by magic, not by a name). */
enum bundle_archive_kind {
    BUNDLE_ARCHIVE_UNKNOWN,
    BUNDLE_ARCHIVE_TAR,        /* ustar or GNU tar */
    BUNDLE_ARCHIVE_TAR_GZ,     /* any gzip stream; its contents must be a tar */
    BUNDLE_ARCHIVE_ZIP,
};
enum bundle_archive_kind bundle_archive_kind(const uint8_t *data, size_t len);

/* Reads every member from memory, checks it, and calls fn for each regular
 * file. Opens no file (so it is fuzzed as it is). lim may be NULL (all
 * defaults). Returns 0, or -1 with err saying in words which member and
 * why ("member '../../etc/passwd': a path that climbs out of the bundle
 * ('..') is refused; ..."). When fn stops the walk, -1 is returned and err
 * is what fn wrote there (it is "" on entry), or says the walk was stopped. */
int bundle_archive_walk(const uint8_t *data, size_t len,
                        const struct bundle_archive_limits *lim,
                        bundle_archive_member_fn fn, void *arg, char *err,
                        size_t errlen);

/* bundle_archive_walk, writing each file under `dest`, a folder that must
 * not exist yet (created 0755; its parent must exist). Files are 0644,
 * created with O_EXCL|O_NOFOLLOW and synced; subfolders (0755) are made as
 * needed, never through a symbolic link. On failure nothing is left: dest
 * is removed with everything in it (unless it existed before, which is
 * refused and left alone). Returns 0, or -1 with err. */
int bundle_archive_unpack(const uint8_t *data, size_t len, const char *dest,
                          const struct bundle_archive_limits *lim, char *err,
                          size_t errlen);

#endif
