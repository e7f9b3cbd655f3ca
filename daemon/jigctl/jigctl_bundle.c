/* jigctl bundle load | show: the firmware bundle the station flashes, as
 * jigd has it. (bundle import, which works without jigd, is
 * jigctl_bundle_import.c.) */
#include "jigctl.h"

#include <limits.h>
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

const struct jigctl_command jigctl_bundle_commands[] = {
    {"bundle load", "<path>", "make the bundle at <path> the one to flash", load, NULL},
    {"bundle show", NULL, "what the active bundle holds", show, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
