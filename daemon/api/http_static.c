/* The dashboard's files; http_static.h says what is served and why it is
 * safe. */
#include "http_internal.h"
#include "http_static.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAME_MAX_LEN 64

struct http_static {
    int dirfd;                  /* -1: no folder */
};

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".json", "application/json"},
};

const char *http_static_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return NULL;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(dot, types[i].ext))
            return types[i].type;
    return NULL;
}

bool http_static_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > NAME_MAX_LEN || name[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

static void not_found(struct http_request *req, const struct http_static *st,
                      const char *name)
{
    if (st->dirfd < 0)
        http_reply_error(req, 404, "set web_ui in [station] of jigd.conf to the installed "
                         "web-ui folder (docs/config.md)",
                         "this jigd has no dashboard: no web-ui folder was found");
    else
        http_reply_error(req, 404, "the dashboard is at /", "the dashboard has no file '%s'",
                         name);
}

/* Reads the whole of a regular file opened inside the folder; NULL (with
 * errno) for anything else: a link, a folder, a FIFO, too big. */
static char *read_file(int dirfd, const char *name, size_t *len)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat sb;
    char *buf = NULL;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && (size_t)sb.st_size <= HTTP_STATIC_MAX_FILE)
        buf = malloc((size_t)sb.st_size + 1);
    size_t got = 0;
    while (buf && got < (size_t)sb.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)sb.st_size - got);
        if (r <= 0) {
            free(buf);
            buf = NULL;
            break;
        }
        got += (size_t)r;
    }
    close(fd);
    *len = got;
    return buf;
}

static void serve(struct http_request *req, struct http_static *st, const char *name)
{
    const char *type = http_static_type(name);
    size_t len = 0;
    char *body = NULL;
    if (st->dirfd >= 0 && type && http_static_name_ok(name))
        body = read_file(st->dirfd, name, &len);
    if (!body) {
        not_found(req, st, name);
        return;
    }
    http_reply_bytes(req, 200, type, body, len);
    free(body);
}

static void get_index(struct http_request *req, void *ctx)
{
    serve(req, ctx, "index.html");
}

static void get_file(struct http_request *req, void *ctx)
{
    const char *name = api_route_param(http_request_params(req), "file");
    serve(req, ctx, name ? name : "");
}

struct http_static *http_static_register(struct http_server *srv, const char *dir,
                                         bool *found)
{
    static const struct http_route routes[] = {
        {"GET", "/", get_index, .public_file = true},
        {"HEAD", "/", get_index, .public_file = true},
        {"GET", "/ui/{file}", get_file, .public_file = true},
        {"HEAD", "/ui/{file}", get_file, .public_file = true},
    };
    struct http_static *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->dirfd = dir && dir[0] ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    *found = st->dirfd >= 0;
    if (http_server_add_routes(srv, routes, sizeof routes / sizeof routes[0], st)) {
        http_static_free(st);
        return NULL;
    }
    return st;
}

void http_static_free(struct http_static *st)
{
    if (!st)
        return;
    if (st->dirfd >= 0)
        close(st->dirfd);
    free(st);
}
