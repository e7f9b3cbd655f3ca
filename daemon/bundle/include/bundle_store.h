/* The bundles a station holds: data_dir/bundles, one folder per bundle.
 *
 * A bundle comes in as an archive over the API (POST /api/v1/bundles). It
 * is unpacked beside the store (bundle_archive.h: unsafe members refused),
 * proven with bundle_load exactly as a folder given to `bundle load` is,
 * and only then renamed into place as <name>-<version>-<first 12 hex of
 * its id>. So the store never shows half an upload or a bundle that would
 * not load, and two uploads of the same bytes keep one folder. Activating
 * a stored bundle is loading its folder. */
#ifndef JIGD_BUNDLE_STORE_H
#define JIGD_BUNDLE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "bundle_manifest.h"

struct bundle;
struct cJSON;

#define BUNDLE_STORE_DIR "bundles"      /* under data_dir */
#define BUNDLE_STORE_PATH_MAX 4096

/* [{id, name, version, chip, path}] of every bundle in the store, by name
 * then version; a folder whose manifest cannot be read is left out (it
 * cannot be activated either). An empty array when there is no store yet;
 * NULL if memory ran out. */
struct cJSON *bundle_store_list(const char *store);

/* A stored bundle as its manifest names it. */
struct bundle_store_entry {
    char id[65];
    char name[BUNDLE_LABEL_MAX];
    char version[BUNDLE_LABEL_MAX];
    char dir[BUNDLE_STORE_PATH_MAX];
};

/* The stored bundle whose id is `id`, or starts with it (at least 8 hex
 * digits, and only one bundle may match). 0, or -1 with why. */
int bundle_store_find(const char *store, const char *id, struct bundle_store_entry *out,
                      char *why, size_t whylen);

/* What the station asks of a bundle beyond its own rules (its NVS template
 * fits, ...): 0, or -1 with the reason. */
typedef int (*bundle_store_check_fn)(const struct bundle *b, void *arg, char *err,
                                     size_t errlen);

enum bundle_store_result {
    BUNDLE_STORE_ADDED,         /* a new folder in the store */
    BUNDLE_STORE_HELD,          /* the same bundle was there already */
    BUNDLE_STORE_REFUSED,       /* not a safe archive, or not a valid bundle */
    BUNDLE_STORE_FAILED,        /* the station could not write it (disk) */
};

struct bundle_store_added {
    enum bundle_store_result result;
    char dir[BUNDLE_STORE_PATH_MAX];    /* the bundle's folder (ADDED, HELD) */
    char id[65];
    char name[BUNDLE_LABEL_MAX];
    char version[BUNDLE_LABEL_MAX];
    char chip[24];
    char err[800];                      /* why (REFUSED, FAILED) */
};

/* Unpacks, proves and stores an archive (.tar, .tar.gz or .zip). Blocking
 * file work: call it from a worker thread. `check` may be NULL. */
void bundle_store_add(const char *store, const uint8_t *data, size_t len,
                      bundle_store_check_fn check, void *check_arg,
                      struct bundle_store_added *out);

/* Removes what uploads cut short by a crash left (hidden .upload-*
 * folders). For the start, before any upload runs. */
void bundle_store_sweep(const char *store);

#endif
