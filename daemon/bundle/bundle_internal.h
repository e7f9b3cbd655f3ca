/* Shared between the bundle files; not for other parts of jigd. */
#ifndef JIGD_BUNDLE_INTERNAL_H
#define JIGD_BUNDLE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "bundle.h"

#define BUNDLE_MANIFEST_NAME "manifest.json"
#define BUNDLE_MAX_FLASH (128u << 20)

struct bundle *bundle_new(const char *dir, size_t n_parts);
void bundle_free(struct bundle *b);

/* Reading files (bundle_file.c). Only a regular file is read, never
 * through a symbolic link, never waiting on a FIFO or a device; one that
 * grows or shrinks while read is refused.
 *
 * bundle_read_file: a whole file of at most `limit` bytes (its last path
 * component must not be a link; the folders above it may be) into a
 * malloc'd buffer. NULL with the reason (naming `shown`) in err.
 * bundle_read_beneath: the same for `rel` inside `dir`, where no component
 * of rel may be a link, "..", or absolute: the file is in that folder.
 * bundle_open_beneath: that file open for reading (O_NONBLOCK), or -1. */
uint8_t *bundle_read_file(const char *path, const char *shown, size_t limit,
                          size_t *len, char *err, size_t errlen);
uint8_t *bundle_read_beneath(const char *dir, const char *rel, size_t limit,
                             size_t *len, char *err, size_t errlen);
int bundle_open_beneath(const char *dir, const char *rel, char *err, size_t errlen);

/* Removes a folder this module made (an import or an upload that did not
 * make it) with everything in it, following no link. Best effort. */
void bundle_remove_tree(const char *dir);
/* The same for everything inside the open folder dirfd. */
void bundle_remove_contents(int dirfd);

/* Writes all n bytes to fd (retrying short writes and EINTR); 0, or -1
 * with errno. */
int bundle_write_all(int fd, const void *data, size_t n);

/* The rules that need the part bytes: images, partition table, layout,
 * then the bootloader header patch. Fills flash_size, flash_mode/freq,
 * app info and part labels. Returns 0 or -1 with err. */
int bundle_check(struct bundle *b, const struct bundle_manifest *m, char *err,
                 size_t errlen);


#endif
