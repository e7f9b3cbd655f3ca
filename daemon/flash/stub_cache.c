/* The flasher stub cache (see stub_cache.h): one entry per stub file, in a
 * list as short as the number of chip types a station sees. */
#include "stub_cache.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct cached_stub {
    struct stub_image image;    /* points into storage */
    uint8_t *storage;
    char *path;
    dev_t dev;                  /* the file decoded, to notice a new one */
    ino_t ino;
    off_t size;
    struct timespec mtime;
    unsigned users;             /* jobs holding image */
    bool stale;                 /* out of the list: freed by its last release */
    struct cached_stub *next;
};

static struct cached_stub *stubs;

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static bool same_file(const struct cached_stub *c, const struct stat *st)
{
    return c->dev == st->st_dev && c->ino == st->st_ino && c->size == st->st_size &&
           c->mtime.tv_sec == st->st_mtim.tv_sec && c->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static struct cached_stub *find(const char *path)
{
    for (struct cached_stub *c = stubs; c; c = c->next)
        if (!strcmp(c->path, path))
            return c;
    return NULL;
}

static void free_stub(struct cached_stub *c)
{
    free(c->storage);
    free(c->path);
    free(c);
}

/* Takes c out of the list; it lives on while a job holds it. */
static void retire(struct cached_stub *c)
{
    for (struct cached_stub **p = &stubs; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    c->next = NULL;
    c->stale = true;
    if (c->users == 0)
        free_stub(c);
}

/* The whole of f, or NULL when memory runs out. */
static char *read_all(FILE *f, size_t *len)
{
    char *text = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            char *grown = realloc(text, cap);
            if (!grown) {
                free(text);
                return NULL;
            }
            text = grown;
        }
        size_t got = fread(text + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    *len = n;
    return text;
}

/* The open file's identity and decoded stub into c. The JSON's own length
 * always holds the segments, so that is the storage. Returns 0, or -1 with
 * the reason in why. */
static int fill(struct cached_stub *c, FILE *f, const char *path, char *why, size_t whylen)
{
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        set_err(why, whylen, "%s", strerror(errno));
        return -1;
    }
    c->dev = st.st_dev;
    c->ino = st.st_ino;
    c->size = st.st_size;
    c->mtime = st.st_mtim;
    size_t len = 0;
    char *json = read_all(f, &len);
    c->storage = malloc(len ? len : 1);
    c->path = strdup(path);
    int rc = -1;
    if (!json || !c->storage || !c->path)
        set_err(why, whylen, "out of memory");
    else
        rc = stub_image_parse(json, len, c->storage, len, &c->image, why, whylen);
    free(json);
    return rc;
}

/* Reads and decodes path into a new entry, or NULL with err. */
static struct cached_stub *load(const char *path, const struct chip_desc *chip, char *err,
                                size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_err(err, errlen, "no flasher stub for %s: cannot open %s (%s)", chip->name, path,
                strerror(errno));
        return NULL;
    }
    struct cached_stub *c = calloc(1, sizeof *c);
    char why[200] = "out of memory";
    int rc = c ? fill(c, f, path, why, sizeof why) : -1;
    fclose(f);
    if (rc < 0) {
        set_err(err, errlen, "the flasher stub %s is unusable (%s)", path, why);
        if (c)
            free_stub(c);
        return NULL;
    }
    return c;
}

const struct stub_image *stub_cache_acquire(const char *stub_dir, const struct chip_desc *chip,
                                            const char *stub_name, char *err, size_t errlen)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/%s.json", stub_dir, stub_name);
    if (n < 0 || (size_t)n >= sizeof path) {
        set_err(err, errlen, "no flasher stub for %s: the stub_dir %s is too long a path",
                chip->name, stub_dir);
        return NULL;
    }
    struct cached_stub *c = find(path);
    struct stat st;
    if (c && stat(path, &st) == 0 && same_file(c, &st)) {
        c->users++;
        return &c->image;
    }
    struct cached_stub *fresh = load(path, chip, err, errlen);
    if (!fresh)
        return NULL;
    if (c)
        retire(c);
    fresh->next = stubs;
    stubs = fresh;
    fresh->users = 1;
    return &fresh->image;
}

void stub_cache_release(const struct stub_image *stub)
{
    if (!stub)
        return;
    struct cached_stub *c = (struct cached_stub *)((char *)stub -
                                                   offsetof(struct cached_stub, image));
    if (--c->users == 0 && c->stale)
        free_stub(c);
}

void stub_cache_clear(void)
{
    while (stubs)
        retire(stubs);
}
