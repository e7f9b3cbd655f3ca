/* jigctl bundle load | show | list | upload | activate: the firmware
 * bundle the station flashes, and the bundles it holds, as jigd has them.
 * (bundle import, which works without jigd, is jigctl_bundle_import.c.) */
#include "jigctl.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int load(struct jigctl *ctl, int argc, char **argv)
{
    if (argc != 1) {
        jigctl_error("usage: jigctl bundle load <path>");
        return JIGCTL_EXIT_USAGE;
    }
    /* jigd resolves paths on the station, not in our working directory:
     * make a relative path absolute here, where the user meant it. */
    char abs[PATH_MAX + 1];
    const char *path = argv[0];
    if (path[0] != '/') {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd) ||
            snprintf(abs, sizeof abs, "%s/%s", cwd, path) >= (int)sizeof abs) {
            jigctl_error("cannot make '%s' an absolute path; give one", path);
            return JIGCTL_EXIT_USAGE;
        }
        path = abs;
    }
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "path", path);
    cJSON *o = NULL;
    int r = jigctl_post(ctl, "/api/v1/bundle/load", body, &o);
    cJSON_Delete(body);
    if (r)
        return r;
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "bundle");
    if (b)
        printf("loaded %s %s from %s\n", jigctl_str(b, "name", "bundle"),
               jigctl_str(b, "version", ""), path);
    else
        printf("loading %s (jigctl watch shows when it is ready)\n", path);
    cJSON_Delete(o);
    return JIGCTL_EXIT_OK;
}

static void print_parts(const cJSON *parts)
{
    if (!cJSON_IsArray(parts) || !cJSON_GetArraySize(parts))
        return;
    printf("\n%-24s  %-10s  %10s  %s\n", "PART", "OFFSET", "SIZE", "MD5");
    const cJSON *p;
    cJSON_ArrayForEach(p, parts) {
        printf("%-24s  0x%08lx  %10.0f  %s\n", jigctl_str(p, "file", "-"),
               (unsigned long)jigctl_num(p, "offset", 0), jigctl_num(p, "size", 0),
               jigctl_str(p, "md5", "-"));
    }
}

static int show(struct jigctl *ctl, int argc, char **argv)
{
    if (argc) {
        jigctl_error("usage: jigctl bundle show");
        return JIGCTL_EXIT_USAGE;
    }
    cJSON *b = NULL;
    int r = jigctl_get(ctl, "/api/v1/bundle", &b);
    if (r)
        return r;
    /* Scalars first, in the order jigd sent them; parts as a table. */
    const cJSON *item;
    cJSON_ArrayForEach(item, b) {
        if (cJSON_IsString(item))
            printf("%-10s %s\n", item->string, item->valuestring);
        else if (cJSON_IsNumber(item))
            printf("%-10s %.0f\n", item->string, item->valuedouble);
        else if (cJSON_IsBool(item))
            printf("%-10s %s\n", item->string, cJSON_IsTrue(item) ? "yes" : "no");
    }
    print_parts(cJSON_GetObjectItemCaseSensitive(b, "parts"));
    cJSON_Delete(b);
    return JIGCTL_EXIT_OK;
}

static int list(struct jigctl *ctl, int argc, char **argv)
{
    (void)argv;
    if (argc) {
        jigctl_error("usage: jigctl bundle list");
        return JIGCTL_EXIT_USAGE;
    }
    cJSON *o = NULL;
    int r = jigctl_get(ctl, "/api/v1/bundles", &o);
    if (r)
        return r;
    printf("%-12s  %-24s  %-16s  %-10s  %s\n", "ID", "NAME", "VERSION", "CHIP", "ACTIVE");
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(o, "bundles"))
        printf("%-12.12s  %-24s  %-16s  %-10s  %s\n", jigctl_str(b, "id", "?"),
               jigctl_str(b, "name", "?"), jigctl_str(b, "version", "?"),
               jigctl_str(b, "chip", "?"),
               cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "active")) ? "yes" : "");
    printf("(held in %s on the station)\n", jigctl_str(o, "store", "?"));
    cJSON_Delete(o);
    return JIGCTL_EXIT_OK;
}

#define UPLOAD_MAX (1024L * 1024 * 1024)   /* jigd refuses far less; this bounds our memory */

/* The whole file, or NULL with the reason said. */
static unsigned char *read_archive(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    long n = -1;
    if (f && !fseek(f, 0, SEEK_END))
        n = ftell(f);
    unsigned char *data = n >= 0 && n < UPLOAD_MAX ? malloc((size_t)n + 1) : NULL;
    if (data && (fseek(f, 0, SEEK_SET) || fread(data, 1, (size_t)n, f) != (size_t)n)) {
        free(data);
        data = NULL;
    }
    if (!data)
        jigctl_error("cannot read the archive %s: %s", path,
                     !f ? strerror(errno) : n >= UPLOAD_MAX ? "larger than 1 GiB"
                                                            : "read error");
    if (f)
        fclose(f);
    *len = data ? (size_t)n : 0;
    return data;
}

/* Told by its first bytes, as jigd tells it: zip, gzip, else tar. */
static const char *archive_type(const unsigned char *d, size_t n)
{
    if (n >= 4 && !memcmp(d, "PK\003\004", 4))
        return "application/zip";
    if (n >= 2 && d[0] == 0x1f && d[1] == 0x8b)
        return "application/gzip";
    return "application/x-tar";
}

static int upload(struct jigctl *ctl, int argc, char **argv)
{
    if (argc != 1) {
        jigctl_error("usage: jigctl bundle upload <archive.tar|.tar.gz|.zip>");
        return JIGCTL_EXIT_USAGE;
    }
    size_t len;
    unsigned char *data = read_archive(argv[0], &len);
    if (!data)
        return JIGCTL_EXIT_USAGE;
    cJSON *o = NULL;
    int r = jigctl_upload(ctl, "/api/v1/bundles", data, len, archive_type(data, len), &o);
    free(data);
    if (r)
        return r;
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "bundle");
    printf("%s %s %s (id %s) in %s; activate it with: jigctl bundle activate %.12s\n",
           strcmp(jigctl_str(o, "result", ""), "held") ? "stored" : "held already:",
           jigctl_str(b, "name", "?"), jigctl_str(b, "version", "?"), jigctl_str(b, "id", "?"),
           jigctl_str(b, "path", "?"), jigctl_str(b, "id", "?"));
    cJSON_Delete(o);
    return JIGCTL_EXIT_OK;
}

static int activate(struct jigctl *ctl, int argc, char **argv)
{
    if (argc != 1 || strpbrk(argv[0], "/?#% ")) {
        jigctl_error("usage: jigctl bundle activate <id> (as jigctl bundle list shows it)");
        return JIGCTL_EXIT_USAGE;
    }
    char path[160];
    snprintf(path, sizeof path, "/api/v1/bundles/%.80s/activate", argv[0]);
    cJSON *o = NULL;
    int r = jigctl_post(ctl, path, NULL, &o);
    if (r)
        return r;
    printf("activating bundle %s (jigctl watch shows when it is ready)\n", argv[0]);
    cJSON_Delete(o);
    return JIGCTL_EXIT_OK;
}

const struct jigctl_command jigctl_bundle_commands[] = {
    {"bundle load", "<path>", "make the bundle at <path> the one to flash", load, NULL},
    {"bundle show", NULL, "what the active bundle holds", show, NULL},
    {"bundle list", NULL, "the bundles the station holds (its store)", list, NULL},
    {"bundle upload", "<archive>", "put a bundle (.tar, .tar.gz, .zip) in the station's store",
     upload, NULL},
    {"bundle activate", "<id>", "make a stored bundle the one to flash", activate, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
