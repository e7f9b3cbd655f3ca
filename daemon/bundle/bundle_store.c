/* The station's bundle store (see bundle_store.h for what it promises). */
#include "bundle_store.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bundle.h"
#include "bundle_archive.h"
#include "bundle_internal.h"

#define ID_PREFIX_MIN 8

/* ---- reading the store -------------------------------------------------- */

static cJSON *entry_json(const char *dir, const struct bundle_manifest *m, const char *id)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "name", m->name);
    cJSON_AddStringToObject(o, "version", m->version);
    cJSON_AddStringToObject(o, "chip", m->chip ? m->chip->name : "?");
    cJSON_AddStringToObject(o, "path", dir);
    return o;
}

/* Calls fn for each bundle folder of the store whose manifest reads;
 * stops when fn returns nonzero. Hidden folders are uploads under way. */
typedef int (*each_fn)(const char *dir, const struct bundle_manifest *m, const char *id,
                       void *arg);

static int each_bundle(const char *store, each_fn fn, void *arg)
{
    DIR *d = opendir(store);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    struct bundle_manifest *m = malloc(sizeof *m);
    int rc = m ? 0 : -1;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char dir[BUNDLE_STORE_PATH_MAX], id[65], why[600];
        struct stat sb;
        if ((size_t)snprintf(dir, sizeof dir, "%s/%s", store, e->d_name) >= sizeof dir
            || lstat(dir, &sb) || !S_ISDIR(sb.st_mode)
            || bundle_read_manifest(dir, m, id, why, sizeof why))
            continue;
        rc = fn(dir, m, id, arg);
    }
    free(m);
    closedir(d);
    return rc < 0 ? -1 : 0;
}

static int add_to_list(const char *dir, const struct bundle_manifest *m, const char *id,
                       void *arg)
{
    cJSON *o = entry_json(dir, m, id);
    if (!o)
        return -1;
    cJSON_AddItemToArray(arg, o);
    return 0;
}

static int by_name_then_version(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    const char *keys[] = {"name", "version", "id"};
    for (size_t i = 0; i < 3; i++) {
        int c = strcmp(cJSON_GetObjectItem(x, keys[i])->valuestring,
                       cJSON_GetObjectItem(y, keys[i])->valuestring);
        if (c)
            return c;
    }
    return 0;
}

static cJSON *sorted(cJSON *list)
{
    int n = cJSON_GetArraySize(list);
    if (n < 2)
        return list;
    cJSON **items = calloc((size_t)n, sizeof *items);
    if (!items) {
        cJSON_Delete(list);
        return NULL;
    }
    for (int i = n - 1; i >= 0; i--)
        items[i] = cJSON_DetachItemFromArray(list, i);
    qsort(items, (size_t)n, sizeof *items, by_name_then_version);
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(list, items[i]);
    free(items);
    return list;
}

cJSON *bundle_store_list(const char *store)
{
    cJSON *list = cJSON_CreateArray();
    if (!list || each_bundle(store, add_to_list, list) < 0) {
        cJSON_Delete(list);
        return NULL;
    }
    return sorted(list);
}

struct search {
    const char *id;
    size_t n;
    int found;
    struct bundle_store_entry *out;
};

static int match(const char *dir, const struct bundle_manifest *m, const char *id, void *arg)
{
    struct search *s = arg;
    if (strncasecmp(id, s->id, s->n) || s->found++)
        return 0;
    snprintf(s->out->id, sizeof s->out->id, "%s", id);
    snprintf(s->out->name, sizeof s->out->name, "%s", m->name);
    snprintf(s->out->version, sizeof s->out->version, "%s", m->version);
    snprintf(s->out->dir, sizeof s->out->dir, "%s", dir);
    return 0;
}

static bool hex_text(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

int bundle_store_find(const char *store, const char *id, struct bundle_store_entry *out,
                      char *why, size_t whylen)
{
    size_t n = strlen(id);
    if (n < ID_PREFIX_MIN || n > 64 || !hex_text(id, n)) {
        snprintf(why, whylen, "'%.80s' is not a bundle id: give its id (64 hex digits, or "
                 "the first %d or more of them) as GET /api/v1/bundles lists it", id,
                 ID_PREFIX_MIN);
        return -1;
    }
    struct search s = {.id = id, .n = n, .out = out};
    if (each_bundle(store, match, &s) < 0) {
        snprintf(why, whylen, "cannot read the bundle store %s: %s", store, strerror(errno));
        return -1;
    }
    if (s.found == 1)
        return 0;
    if (s.found == 0)
        snprintf(why, whylen, "no bundle %.64s is held in %s: upload it first (POST "
                 "/api/v1/bundles, jigctl bundle upload)", id, store);
    else
        snprintf(why, whylen, "%d bundles have ids that start with %s: give more of the id",
                 s.found, id);
    return -1;
}

/* ---- adding to the store ------------------------------------------------ */

/* A folder name from the manifest's words: letters, digits, '.', '-', '_'. */
static void safe_word(const char *in, char *out, size_t cap)
{
    size_t j = 0;
    for (size_t i = 0; in[i] && j + 1 < cap; i++) {
        unsigned char c = (unsigned char)in[i];
        out[j++] = isalnum(c) || c == '.' || c == '-' || c == '_' ? (char)c : '_';
    }
    out[j] = '\0';
    if (!j || out[0] == '.')
        snprintf(out, cap, "bundle");
}

/* The error of bundle_load names the folder it read, which here is a
 * hidden temporary one: the client knows it as "the archive". */
static void shown_as_archive(char *err, size_t cap, const char *dir)
{
    static const char prefix[] = "the archive's bundle: ";
    size_t n = strlen(dir);
    if (strncmp(err, "bundle ", 7) || strncmp(err + 7, dir, n) || strncmp(err + 7 + n, ": ", 2))
        return;
    /* "bundle DIR: why" becomes "the archive's bundle: why", in place. */
    const char *why = err + 7 + n + 2;
    size_t len = strlen(why);
    if (sizeof prefix - 1 + len + 1 > cap)
        len = cap - sizeof prefix;
    memmove(err + sizeof prefix - 1, why, len);
    memcpy(err, prefix, sizeof prefix - 1);
    err[sizeof prefix - 1 + len] = '\0';
}

static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static void say(struct bundle_store_added *out, enum bundle_store_result r, const char *what,
                const char *path)
{
    out->result = r;
    snprintf(out->err, sizeof out->err, "%s %.600s: %s", what, path, strerror(errno));
}

/* Whether the store has this bundle (by its whole id) already: then that
 * folder is the answer. */
static bool held_already(const char *store, struct bundle_store_added *out)
{
    struct bundle_store_entry held;
    char why[300];
    if (bundle_store_find(store, out->id, &held, why, sizeof why))
        return false;
    snprintf(out->dir, sizeof out->dir, "%s", held.dir);
    out->result = BUNDLE_STORE_HELD;
    return true;
}

/* The unpacked folder proven, then renamed to its name in the store. */
static void prove_and_place(const char *store, const char *tmp, bundle_store_check_fn check,
                            void *check_arg, struct bundle_store_added *out)
{
    struct bundle *b = NULL;
    if (bundle_load(tmp, &b, out->err, sizeof out->err)
        || (check && check(b, check_arg, out->err, sizeof out->err))) {
        bundle_unref(b);
        shown_as_archive(out->err, sizeof out->err, tmp);
        out->result = BUNDLE_STORE_REFUSED;
        return;
    }
    snprintf(out->id, sizeof out->id, "%s", b->id);
    snprintf(out->name, sizeof out->name, "%s", b->name);
    snprintf(out->version, sizeof out->version, "%s", b->version);
    snprintf(out->chip, sizeof out->chip, "%s", b->chip->name);
    bundle_unref(b);
    char name[BUNDLE_LABEL_MAX], version[BUNDLE_LABEL_MAX];
    safe_word(out->name, name, sizeof name);
    safe_word(out->version, version, sizeof version);
    snprintf(out->dir, sizeof out->dir, "%s/%s-%s-%.12s", store, name, version, out->id);
    if (held_already(store, out))
        return;
    if (rename(tmp, out->dir)) {
        int e = errno;
        /* The same bundle uploaded twice at once: the other got there first. */
        if ((e == ENOTEMPTY || e == EEXIST) && held_already(store, out))
            return;
        errno = e;
        say(out, BUNDLE_STORE_FAILED, "cannot put the bundle in place as", out->dir);
        return;
    }
    sync_dir(store);
    out->err[0] = '\0';
    out->result = BUNDLE_STORE_ADDED;
}

void bundle_store_add(const char *store, const uint8_t *data, size_t len,
                      bundle_store_check_fn check, void *check_arg,
                      struct bundle_store_added *out)
{
    memset(out, 0, sizeof *out);
    if (mkdir(store, 0755) && errno != EEXIST) {
        say(out, BUNDLE_STORE_FAILED, "cannot create the bundle store", store);
        return;
    }
    /* Unpacked beside its final place (one file system: the rename is
     * atomic), in a hidden folder the list and a restart pass over. */
    char work[BUNDLE_STORE_PATH_MAX], tmp[BUNDLE_STORE_PATH_MAX + 16];
    snprintf(work, sizeof work, "%s/.upload-XXXXXX", store);
    if (!mkdtemp(work)) {
        say(out, BUNDLE_STORE_FAILED, "cannot make a folder in the bundle store", store);
        return;
    }
    snprintf(tmp, sizeof tmp, "%s/b", work);
    if (bundle_archive_unpack(data, len, tmp, NULL, out->err, sizeof out->err))
        out->result = BUNDLE_STORE_REFUSED;
    else
        prove_and_place(store, tmp, check, check_arg, out);
    bundle_remove_tree(work);
}

void bundle_store_sweep(const char *store)
{
    DIR *d = opendir(store);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        char dir[BUNDLE_STORE_PATH_MAX];
        if (!strncmp(e->d_name, ".upload-", 8)
            && (size_t)snprintf(dir, sizeof dir, "%s/%s", store, e->d_name) < sizeof dir)
            bundle_remove_tree(dir);
    }
    closedir(d);
}
