/* Shared by the archive readers (bundle_archive_tar.c, bundle_archive_zip.c)
 * and the walk that holds their members (bundle_archive.c). */
#ifndef JIGD_BUNDLE_ARCHIVE_INTERNAL_H
#define JIGD_BUNDLE_ARCHIVE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bundle_archive.h"

struct archive_entry {
    char *name;                 /* checked, no "./", no trailing '/' */
    bool dir;
    const uint8_t *data;        /* into the input, or `owned` */
    size_t size;
    uint8_t *owned;             /* inflated here (zip), freed with the list */
};

/* Every member read so far, and the rules they are held to. A reader calls
 * archive_add for each member as soon as it knows the name, kind and
 * declared size, and before it reads or inflates a byte of it; the list
 * then refuses a bad name, a name met before, one member too many, or a
 * size over the limits, with err set. */
struct archive_list {
    struct archive_entry *e;
    size_t n, cap;
    size_t members;             /* every member counted, "./" included */
    uint64_t total;             /* bytes of the files so far */
    struct bundle_archive_limits lim;   /* defaults filled in */
    char *err;
    size_t errlen;
    struct archive_entry root;  /* where a "./" member's data goes, unkept */
};

/* Checks a member (raw name of rawlen bytes, as the archive spells it) and
 * appends it without data. Returns the entry (data to be set by the
 * reader), or NULL with err set. A "./" member (the archive's root)
 * passes and returns a throwaway entry that is not kept. */
struct archive_entry *archive_add(struct archive_list *l, const char *raw,
                                  size_t rawlen, bool dir, uint64_t size);

/* Sets err to "member '<raw, made printable>': <reason>" and returns -1. */
int archive_refuse(struct archive_list *l, const char *raw, size_t rawlen,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Sets err to the reason (no member named) and returns -1. */
int archive_fail(struct archive_list *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The readers: every member of a tar (already gunzipped) or a zip into l.
 * 0, or -1 with l->err set. */
int archive_read_tar(struct archive_list *l, const uint8_t *data, size_t len);
int archive_read_zip(struct archive_list *l, const uint8_t *data, size_t len);

#endif
