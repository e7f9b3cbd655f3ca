/* The API token: read from the station's api_token_file in one careful
 * place, refused if others may read it, never quoted in a message. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int token_file_error(const char *path, char *err, size_t errlen,
                            const char *what)
{
    snprintf(err, errlen, "api_token_file %s: %s", path, what);
    return -1;
}

/* Trims the token read into buf and says what is wrong with it, or NULL. */
static const char *check_token(char *buf, size_t cap, ssize_t n)
{
    if (n < 0)
        return "cannot read";
    buf[n] = '\0';
    while (n > 0 && isspace((unsigned char)buf[n - 1]))
        buf[--n] = '\0';
    if ((size_t)n >= cap - 1)
        return "token too long";
    if (n < 16)
        return "holds no token of at least 16 characters; write one, e.g. "
               "from `head -c 32 /dev/urandom | base64`";
    for (ssize_t i = 0; i < n; i++)
        if (!isgraph((unsigned char)buf[i]))
            return "token holds spaces or control characters; keep it on one line";
    return NULL;
}

int config_read_api_token(const struct jigd_config *c, char *buf, size_t cap,
                          char *err, size_t errlen)
{
    const char *path = c->station.api_token_file;
    char why[160];
    if (cap < 2)
        return token_file_error(path, err, errlen, "no room for a token");
    memset(buf, 0, cap);    /* on any failure the caller sees an empty token */
    if (!path[0])
        return token_file_error("(none)", err, errlen,
                                "not set in [station]; set api_token_file");
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        snprintf(why, sizeof why, "cannot open: %s", strerror(errno));
        return token_file_error(path, err, errlen, why);
    }
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return token_file_error(path, err, errlen, "is not a regular file");
    }
    if (st.st_mode & 077) {
        close(fd);
        snprintf(why, sizeof why, "others can read it (mode %03o); run "
                 "chmod 600 on it", (unsigned)(st.st_mode & 0777));
        return token_file_error(path, err, errlen, why);
    }
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    const char *problem = check_token(buf, cap, n);
    if (problem) {
        memset(buf, 0, cap);    /* a rejected token must not linger */
        return token_file_error(path, err, errlen, problem);
    }
    return 0;
}
