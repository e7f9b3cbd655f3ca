/* Reading a file of a bundle or of a build folder, trusting nothing about
 * what sits at the path.
 *
 * A FIFO would block the reading thread until someone writes to it (a
 * worker of libuv's pool: every later load, and jigd's stop, waits behind
 * it); a device node may do something on open (a tty raises DTR); a
 * symbolic link may lead anywhere on the station, a CA key included, whose
 * bytes would then be flashed onto every board. So a path is looked at
 * (lstat) before it is opened, opened without following a link and without
 * waiting for a writer, and looked at again through the descriptor, which
 * is what is read: a file swapped between the two looks is still caught. */
#include <errno.h>
#include <dirent.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle_internal.h"

#define OPEN_FLAGS (O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)

static const char *kind_of(mode_t mode)
{
    if (S_ISREG(mode)) return "a regular file";
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISLNK(mode)) return "a symbolic link";
    if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    return "of an unknown kind";
}

/* Why `name` (a path component, shown as `shown`) is not what was wanted. */
static void say_not(const char *shown, mode_t mode, bool want_dir, char *err,
                    size_t errlen)
{
    if (S_ISLNK(mode))
        snprintf(err, errlen, "%s is a symbolic link; copy the file itself "
                 "(a link could lead to any file on the station)", shown);
    else
        snprintf(err, errlen, "%s is %s, not a %s", shown, kind_of(mode),
                 want_dir ? "folder" : "regular file");
}

/* Opens `name` in the folder `dirfd` as a regular file (or a folder),
 * never through a symbolic link, never waiting. -1 with err. */
static int open_entry(int dirfd, const char *name, const char *shown, bool want_dir,
                      char *err, size_t errlen)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", shown, strerror(errno));
        return -1;
    }
    if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
        say_not(shown, st.st_mode, want_dir, err, errlen);
        return -1;
    }
    int fd = openat(dirfd, name, OPEN_FLAGS | (want_dir ? O_DIRECTORY : 0));
    if (fd < 0) {
        if (errno == ELOOP || errno == ENOTDIR)     /* replaced since fstatat */
            snprintf(err, errlen, "%s changed while being opened; try again", shown);
        else
            snprintf(err, errlen, "%s: cannot open: %s", shown, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) < 0 || (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))) {
        say_not(shown, st.st_mode, want_dir, err, errlen);
        close(fd);
        return -1;
    }
    return fd;
}

int bundle_open_beneath(const char *dir, const char *rel, char *err, size_t errlen)
{
    if (rel[0] == '/' || !rel[0]) {
        snprintf(err, errlen, "\"%s\" is outside the folder %s", rel, dir);
        return -1;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open the folder: %s", dir, strerror(errno));
        return -1;
    }
    char shown[1024];
    size_t at = 0;
    const char *name = rel;
    for (;;) {
        const char *slash = strchr(name, '/');
        size_t n = slash ? (size_t)(slash - name) : strlen(name);
        if (n == 0 || (n == 1 && name[0] == '.')) {    /* "a//b", "./a" */
            if (!slash) {                               /* "a/", "a/." */
                snprintf(err, errlen, "\"%s\" names a folder, not a file", rel);
                close(fd);
                return -1;
            }
            name = slash + 1;
            continue;
        }
        if (n == 2 && name[0] == '.' && name[1] == '.') {
            snprintf(err, errlen, "\"%s\" is outside the folder %s (\"..\")", rel, dir);
            close(fd);
            return -1;
        }
        char comp[256];
        if (n >= sizeof comp || at + n + 1 >= sizeof shown) {
            snprintf(err, errlen, "\"%.80s...\" is too long a path", rel);
            close(fd);
            return -1;
        }
        memcpy(comp, name, n);
        comp[n] = '\0';
        at += (size_t)snprintf(shown + at, sizeof shown - at, "%s%s", at ? "/" : "", comp);
        int next = open_entry(fd, comp, shown, slash != NULL, err, errlen);
        close(fd);
        if (next < 0)
            return -1;
        fd = next;
        if (!slash)
            return fd;
        name = slash + 1;
    }
}

/* Reads what fstat promised, and not a byte more: a file still being
 * written (or cut short) is refused rather than half taken. */
static uint8_t *read_fd(int fd, const char *shown, size_t limit, size_t *len,
                        char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) < 0) {
        snprintf(err, errlen, "%s: %s", shown, strerror(errno));
        return NULL;
    }
    if ((uint64_t)st.st_size > limit) {
        snprintf(err, errlen, "%s: %lld bytes, more than the %zu allowed",
                 shown, (long long)st.st_size, limit);
        return NULL;
    }
    size_t n = (size_t)st.st_size, got = 0;
    uint8_t *buf = malloc(n + 1);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory (%zu bytes)", shown, n);
        return NULL;
    }
    bool failed = false;
    for (;;) {      /* up to n + 1: one byte more means it grew */
        ssize_t r = read(fd, buf + got, n + 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, errlen, "%s: cannot read: %s", shown, strerror(errno));
            failed = true;
            break;
        }
        got += (size_t)r;
        if (r == 0 || got > n)
            break;
    }
    if (!failed && got == n) {
        *len = n;
        return buf;
    }
    if (!failed)
        snprintf(err, errlen, "%s %s while being read; wait until it is completely "
                 "copied and try again", shown, got > n ? "grew" : "shrank");
    free(buf);
    return NULL;
}

uint8_t *bundle_read_beneath(const char *dir, const char *rel, size_t limit,
                             size_t *len, char *err, size_t errlen)
{
    int fd = bundle_open_beneath(dir, rel, err, errlen);
    if (fd < 0)
        return NULL;
    uint8_t *data = read_fd(fd, rel, limit, len, err, errlen);
    close(fd);
    return data;
}

uint8_t *bundle_read_file(const char *path, const char *shown, size_t limit,
                          size_t *len, char *err, size_t errlen)
{
    /* The folder is the operator's path (it may well be a link); the file
     * in it is not followed. */
    char dir[4096];
    const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", shown, strerror(errno));
        return NULL;
    }
    int fd = open_entry(dirfd, name, shown, false, err, errlen);
    close(dirfd);
    if (fd < 0)
        return NULL;
    uint8_t *data = read_fd(fd, shown, limit, len, err, errlen);
    close(fd);
    return data;
}

#define TREE_DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* Everything inside the folder dirfd, links removed as links (never
 * followed), folders emptied first. */
void bundle_remove_contents(int dirfd)
{
    int fd = dup(dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        struct stat st;
        if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISDIR(st.st_mode)) {
            int sub = openat(dirfd, e->d_name, TREE_DIR_FLAGS);
            if (sub >= 0) {
                bundle_remove_contents(sub);
                close(sub);
            }
            unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
        } else {
            unlinkat(dirfd, e->d_name, 0);
        }
    }
    closedir(d);
}

void bundle_remove_tree(const char *dir)
{
    int fd = open(dir, TREE_DIR_FLAGS);
    if (fd >= 0) {
        bundle_remove_contents(fd);
        close(fd);
    }
    rmdir(dir);
}

int bundle_write_all(int fd, const void *data, size_t n)
{
    const uint8_t *p = data;
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
