/* Flasher stubs (<stub_dir>/<chip>.json, see protocol/stub_image.h), read
 * and decoded once per file and shared read-only by every job that uploads
 * one: a station flashing boards of one chip all day reads its stub once.
 *
 * A job holds the stub it uploads from stub_cache_acquire until
 * stub_cache_release, because the loader points into it for the whole
 * upload. Each acquire compares the file's identity (device, inode, size,
 * modification time) with the one decoded: a stub reinstalled under a
 * running jigd (`npm ci`) is read again, and jobs still holding the old one
 * keep it until they let go. A missing or unusable file is not remembered:
 * the next job tries again and gets the same message.
 *
 * Loop thread only, like every job: no locks. */
#ifndef JIGD_STUB_CACHE_H
#define JIGD_STUB_CACHE_H

#include <stddef.h>

#include "chip.h"
#include "stub_image.h"

/* <stub_dir>/<stub_name>.json, read now or already decoded; stub_name is
 * one chip_stub_name() or chip_stub_names() gave for chip (the P4's
 * depends on its revision), chip names the board in messages. NULL with
 * what is wrong in err (the file and why) if it is missing or unusable;
 * what to do is the caller's to say, as jigd (stub_dir =) and jigflash
 * (--no-stub) turn stubs off differently. */
const struct stub_image *stub_cache_acquire(const char *stub_dir, const struct chip_desc *chip,
                                            const char *stub_name, char *err, size_t errlen);

/* Lets go of a stub acquire returned (NULL is fine). */
void stub_cache_release(const struct stub_image *stub);

/* At exit: forgets every stub, freeing those no job holds (the others go
 * with their last release). */
void stub_cache_clear(void);

#endif
