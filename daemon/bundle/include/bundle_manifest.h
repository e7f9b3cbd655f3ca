/* manifest.json: the description of a firmware bundle (docs/bundle.md).
 *
 * Parsing and writing only: no file is opened here, so the parser can be
 * fuzzed and the checks that need the part files live in bundle_load.c. */
#ifndef JIGD_BUNDLE_MANIFEST_H
#define JIGD_BUNDLE_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chip.h"

#define BUNDLE_FORMAT 1
#define BUNDLE_MAX_PARTS 32
#define BUNDLE_FILE_MAX 128     /* part file name inside the bundle folder */
#define BUNDLE_LABEL_MAX 64     /* name, version */
#define BUNDLE_MAX_MANIFEST (256u * 1024u)
#define BUNDLE_SECTOR 0x1000u   /* parts start on a flash sector */

enum bundle_role {
    BUNDLE_ROLE_BOOTLOADER,
    BUNDLE_ROLE_PARTITION_TABLE,
    BUNDLE_ROLE_APP,
    BUNDLE_ROLE_OTADATA,
    BUNDLE_ROLE_NVS,
    BUNDLE_ROLE_DATA,           /* any other partition image (phy, fat, ...) */
};

/* A flash setting that the bundle may leave as the image has it. */
#define BUNDLE_KEEP (-1)

enum bundle_flash_mode { BUNDLE_MODE_QIO, BUNDLE_MODE_QOUT, BUNDLE_MODE_DIO,
                         BUNDLE_MODE_DOUT };   /* image header byte 2 */

struct bundle_flash {
    int mode;               /* enum bundle_flash_mode, or BUNDLE_KEEP */
    int freq_mhz;           /* e.g. 80, or BUNDLE_KEEP */
    uint32_t size;          /* bytes, or 0 = keep the bootloader's */
};

struct manifest_part {
    uint32_t offset;
    enum bundle_role role;
    char file[BUNDLE_FILE_MAX]; /* relative to the bundle folder */
    uint8_t sha256[32];
};

struct bundle_manifest {
    int format;
    char name[BUNDLE_LABEL_MAX];
    char version[BUNDLE_LABEL_MAX];
    const struct chip_desc *chip;
    struct bundle_flash flash;
    struct manifest_part parts[BUNDLE_MAX_PARTS];   /* in manifest order */
    size_t n_parts;
};

/* Parses manifest JSON text (need not be NUL-terminated). Returns 0, or -1
 * with the reason in err ("parts[2].sha256: ..."). Checks everything that
 * the text alone can show: types, known roles, chip, flash settings, sector
 * alignment, safe file names, no two parts at one offset. */
int bundle_manifest_parse(const char *json, size_t len, struct bundle_manifest *m,
                          char *err, size_t errlen);

/* The manifest as indented JSON text (malloc'd, caller frees), or NULL. */
char *bundle_manifest_format(const struct bundle_manifest *m);

const char *bundle_role_name(enum bundle_role r);
/* "app", "partition-table", ...; -1 if unknown. */
int bundle_role_from_name(const char *s);

/* Flash setting spellings, as in flasher_args.json: "dio", "80m", "4MB",
 * and "keep". Return 0, or -1 for an unknown spelling. */
int bundle_flash_mode_parse(const char *s, int *mode);
int bundle_flash_freq_parse(const char *s, int *freq_mhz);
int bundle_flash_size_parse(const char *s, uint32_t *size);
const char *bundle_flash_mode_name(int mode);

/* A file name that stays inside the bundle folder: relative, no "..",
 * no empty or hidden components, printable. */
bool bundle_file_name_ok(const char *name);

#endif
