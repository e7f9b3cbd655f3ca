/* A firmware bundle: the product's flash parts, checked once and shared
 * read-only by every slot (docs/bundle.md).
 *
 * Lifecycle. A bundle is loaded into a new object and only then made
 * active, so a bad bundle never disturbs the one in use:
 *
 *     bundle_load_async(loop, dir, on_bundle_ready, station);
 *     ...
 *     static void on_bundle_ready(struct bundle *b, const char *err, void *arg)
 *     {
 *         struct station *st = arg;
 *         if (!b) { log("bundle refused: %s", err); return; }  // old one stays
 *         bundle_swap(&st->bundle, b);     // old one freed when its last user lets go
 *     }
 *
 * A slot starting a board takes its own reference (bundle_ref) and drops it
 * (bundle_unref) when the board is done, so a swap in the middle of a flash
 * never pulls the bytes from under it. Everything in a loaded bundle is
 * immutable; reference counting is atomic, so a worker thread may hold one. */
#ifndef JIGD_BUNDLE_H
#define JIGD_BUNDLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "bundle_manifest.h"
#include "chip.h"
#include "loader.h"
#include "partition_table.h"

struct bundle_part {
    /* offset, data (the bytes to write, bootloader already patched), size,
     * and zdata/zsize once compressed (NULL before): ready to hand to
     * loader_start_write. */
    struct loader_region region;
    enum bundle_role role;
    char file[BUNDLE_FILE_MAX]; /* name inside the bundle folder */
    char label[17];             /* partition table label holding it, or "" */
    uint8_t sha256[32];         /* of the file as stored (the manifest's) */
    uint8_t md5[16];            /* of data: SPI_FLASH_MD5 verify / skip */
    bool patched;               /* bootloader header rewritten at load */
};

struct bundle_app_info {        /* of the first app part */
    bool present;               /* the image has an esp_app_desc_t: */
    char project_name[33];
    char version[33];
    char idf_ver[33];
    uint32_t secure_version;
    /* from the image header, always set: the chip revisions the app runs
     * on (major*100+minor; max 0 or 0xFFFF = no limit). Check a board with
     * app_image_fits_chip semantics before writing anything. */
    uint16_t min_rev_full, max_rev_full;
};

struct bundle {
    atomic_int refs;
    char *dir;
    char id[65];                /* SHA-256 of manifest.json: names this exact
                                 * firmware in attempt records and the API */
    char name[BUNDLE_LABEL_MAX];
    char version[BUNDLE_LABEL_MAX];
    const struct chip_desc *chip;
    uint32_t flash_size;        /* bytes: the manifest's, or the bootloader's */
    int flash_mode;             /* what the bootloader header says after load */
    int flash_freq_mhz;
    struct bundle_app_info app;
    struct bundle_part *parts;  /* sorted by offset */
    size_t n_parts;
    struct pt_table table;      /* where per-unit parts (NVS, certs) go:
                                 * pt_find_name(&b->table, "nvs") */
    bool compressed;            /* every part's region.zdata is set */
    size_t total_size, total_zsize;
};

/* Reads and checks the bundle in `dir` (see docs/bundle.md for the rules).
 * On success *out is a new bundle holding one reference, not yet
 * compressed. On failure returns -1 and err says why; *out is untouched. */
int bundle_load(const char *dir, struct bundle **out, char *err, size_t errlen);

/* Only the manifest of the bundle in `dir`, parsed, and the bundle's id
 * (the manifest's SHA-256 in hex): what a list of bundles shows, without
 * reading the parts. 0, or -1 with err. */
int bundle_read_manifest(const char *dir, struct bundle_manifest *m, char id[65], char *err,
                         size_t errlen);

/* Compresses every part with zlib level 9 (CPU-heavy: call from a worker).
 * Returns 0 or -1 (out of memory). */
int bundle_compress(struct bundle *b, char *err, size_t errlen);

/* bundle_load + bundle_compress on a libuv worker thread; `cb` runs on the
 * loop thread with the new bundle (the callee owns that reference), or NULL
 * and the reason. Returns 0, or a libuv error if the work could not be
 * queued (cb is then never called). */
typedef void (*bundle_ready_cb)(struct bundle *b, const char *err, void *arg);
int bundle_load_async(uv_loop_t *loop, const char *dir, bundle_ready_cb cb,
                      void *arg);

struct bundle *bundle_ref(struct bundle *b);
void bundle_unref(struct bundle *b);    /* frees on the last reference; NULL ok */

/* Makes `next` the bundle in *active (taking over the caller's reference)
 * and drops the reference *active held. */
void bundle_swap(struct bundle **active, struct bundle *next);

/* Whether a board whose chip revision is `rev` (major*100+minor, as the
 * loader reports it) may run the bundle's app; if not, why says so in
 * words for the operator. */
bool bundle_app_fits_revision(const struct bundle *b, int rev, char *why,
                              size_t cap);

/* The part of the given role (the first, for app), or NULL. */
const struct bundle_part *bundle_find_part(const struct bundle *b,
                                           enum bundle_role role);

/* A description for the API and the audit log: id, name, version, chip,
 * dir, flash {mode, size, freq_mhz}, app {project_name, version, idf_ver,
 * secure_version}, parts [{offset, role, file, partition, size,
 * compressed_size, sha256, md5, header_patched}], partitions [{name, type,
 * subtype, offset, size, encrypted, readonly}], total sizes. Offsets and
 * sizes are numbers. As a cJSON object (caller deletes) or as text
 * (malloc'd); NULL if out of memory. */
struct cJSON *bundle_describe(const struct bundle *b);
char *bundle_describe_json(const struct bundle *b);

/* Makes a bundle in `out_dir` (which must not exist yet) from an ESP-IDF
 * build folder: reads its flasher_args.json, copies the files, writes
 * manifest.json and loads the result to prove it. Name and version come
 * from the app's descriptor. Nothing is left behind on failure. */
int bundle_import(const char *build_dir, const char *out_dir, char *err,
                  size_t errlen);

#endif
