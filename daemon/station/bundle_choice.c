/* The operator's bundle choice in data_dir/active_bundle.json (see
 * bundle_choice.h for why it exists and when it wins). */
#include "bundle_choice.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#define CHOICE_MAX 16384    /* a few paths; anything bigger is not ours */

static void choice_path(const struct jigd_config *cfg, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", cfg->station.data_dir, BUNDLE_CHOICE_FILE);
}

/* The file as text, or NULL (errno ENOENT: there is none). */
static char *read_choice(const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    char *text = NULL;
    if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_size < CHOICE_MAX
        && (text = malloc((size_t)st.st_size + 1))) {
        ssize_t n = read(fd, text, (size_t)st.st_size);
        if (n != st.st_size) {
            free(text);
            text = NULL;
        } else {
            text[n] = '\0';
        }
    }
    close(fd);
    if (!text)
        errno = EINVAL;
    return text;
}

static const char *string_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

void bundle_choice_at_start(const struct jigd_config *cfg, char *dir, size_t dircap,
                            char *why, size_t whycap)
{
    const char *conf = cfg->station.bundle;
    char path[CONFIG_PATH_MAX + 32];
    choice_path(cfg, path, sizeof path);
    snprintf(dir, dircap, "%s", conf);
    char *text = read_choice(path);
    if (!text) {
        if (errno == ENOENT && conf[0])
            snprintf(why, whycap, "bundle %s: jigd.conf's (no bundle chosen over the "
                     "API is on record)", conf);
        else if (errno == ENOENT)
            snprintf(why, whycap, "no bundle yet: jigd.conf names none and none was "
                     "chosen over the API (jigctl bundle import makes one, jigctl "
                     "bundle load activates it)");
        else
            snprintf(why, whycap, "%s is unreadable or not a saved choice; using "
                     "jigd.conf's bundle %s instead (load the right one again with "
                     "jigctl bundle load)", path, conf[0] ? conf : "(none)");
        return;
    }
    cJSON *o = cJSON_Parse(text);
    free(text);
    const char *chosen = string_of(o, "bundle"), *then = string_of(o, "config_bundle");
    const char *when = string_of(o, "chosen_at");
    if (!chosen || !chosen[0] || !then || strlen(chosen) >= dircap) {
        snprintf(why, whycap, "%s is unreadable or not a saved choice; using "
                 "jigd.conf's bundle %s instead (load the right one again with "
                 "jigctl bundle load)", path, conf[0] ? conf : "(none)");
    } else if (strcmp(then, conf)) {
        snprintf(why, whycap, "bundle %s: jigd.conf's bundle changed (from %s) after "
                 "%s was chosen over the API%s%s, so jigd.conf's wins and that "
                 "choice is forgotten", conf[0] ? conf : "(none)",
                 then[0] ? then : "(none)", chosen, when ? " at " : "", when ? when : "");
        unlink(path);
    } else {
        snprintf(dir, dircap, "%s", chosen);
        snprintf(why, whycap, "bundle %s: chosen over the API%s%s (%s), in place of "
                 "jigd.conf's %s; jigctl bundle load chooses another, deleting that "
                 "file goes back to jigd.conf's", chosen, when ? " at " : "",
                 when ? when : "", path, conf[0] ? conf : "(none)");
    }
    cJSON_Delete(o);
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* temp + fsync + rename + fsync of the folder: the rename is the moment
 * the new choice exists, and it is durable once the folder is synced. */
static int replace_file(const char *dir, const char *path, const char *text)
{
    char tmp[CONFIG_PATH_MAX + 48];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    int rc = write_all(fd, text, strlen(text));
    rc |= fsync(fd);
    rc |= close(fd);
    if (rc || rename(tmp, path)) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        rc = fsync(dfd);
        close(dfd);
    }
    return dfd < 0 ? -1 : rc;
}

int bundle_choice_save(const struct jigd_config *cfg, const char *dir, const char *id,
                       char *err, size_t errlen)
{
    /* A relative folder (from the API) means the client's idea of jigd's
     * working folder: pin it down now, while it still resolves. */
    char abs[PATH_MAX];
    if (dir[0] != '/' && realpath(dir, abs))
        dir = abs;
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "bundle", dir);
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "config_bundle", cfg->station.bundle);
    cJSON_AddStringToObject(o, "chosen_at", when);
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    char path[CONFIG_PATH_MAX + 32];
    choice_path(cfg, path, sizeof path);
    if (!text) {
        snprintf(err, errlen, "out of memory writing %s", path);
        return -1;
    }
    int rc = replace_file(cfg->station.data_dir, path, text);
    free(text);
    if (rc)
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    return rc;
}
