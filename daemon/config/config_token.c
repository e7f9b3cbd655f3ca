/* The station's secrets -- the API token, each webhook's signing secret --
 * read from their files in one careful place: refused if others may read
 * them, never quoted in a message. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int secret_file_error(const char *key, const char *path, char *err, size_t errlen,
                             const char *what)
{
    snprintf(err, errlen, "%s %s: %s", key, path, what);
    return -1;
}

/* Trims the secret read into buf and says what is wrong with it, or NULL. */
static const char *check_secret(char *buf, size_t cap, ssize_t n)
{
    if (n < 0)
        return "cannot read";
    buf[n] = '\0';
    while (n > 0 && isspace((unsigned char)buf[n - 1]))
        buf[--n] = '\0';
    if ((size_t)n >= cap - 1)
        return "the secret in it is too long";
    if (n < 16)
        return "holds no secret of at least 16 characters; write one, e.g. "
               "from `head -c 32 /dev/urandom | base64`";
    for (ssize_t i = 0; i < n; i++)
        if (!isgraph((unsigned char)buf[i]))
            return "the secret holds spaces or control characters; keep it on one line";
    return NULL;
}

int config_read_secret_file(const char *key, const char *path, char *buf, size_t cap,
                            char *err, size_t errlen)
{
    char why[160];
    if (cap < 2)
        return secret_file_error(key, path, err, errlen, "no room for a secret");
    memset(buf, 0, cap);    /* on any failure the caller sees an empty secret */
    if (!path[0])
        return secret_file_error(key, "(none)", err, errlen, "not set");
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        snprintf(why, sizeof why, "cannot open: %s", strerror(errno));
        return secret_file_error(key, path, err, errlen, why);
    }
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return secret_file_error(key, path, err, errlen, "is not a regular file");
    }
    if (st.st_mode & 077) {
        close(fd);
        snprintf(why, sizeof why, "others can read it (mode %03o); run "
                 "chmod 600 on it", (unsigned)(st.st_mode & 0777));
        return secret_file_error(key, path, err, errlen, why);
    }
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    const char *problem = check_secret(buf, cap, n);
    if (problem) {
        memset(buf, 0, cap);    /* a rejected secret must not linger */
        return secret_file_error(key, path, err, errlen, problem);
    }
    return 0;
}

int config_read_api_token(const struct jigd_config *c, char *buf, size_t cap,
                          char *err, size_t errlen)
{
    if (!c->station.api_token_file[0]) {
        memset(buf, 0, cap);
        return secret_file_error("api_token_file", "(none)", err, errlen,
                                 "not set in [station]; set api_token_file");
    }
    return config_read_secret_file("api_token_file", c->station.api_token_file, buf, cap, err,
                                   errlen);
}
