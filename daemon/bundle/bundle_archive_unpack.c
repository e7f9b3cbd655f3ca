/* Writing a checked archive's files into a new folder, and leaving nothing
 * behind when anything fails.
 *
 * The walk has already refused every unsafe name, so what is written here
 * stays in the folder by construction; the file system calls still refuse
 * to follow a link or to reuse a file (O_NOFOLLOW, O_EXCL), so that even a
 * mistake in those rules, or something else writing into the folder at the
 * same time, cannot make this write outside it. Every folder is reached
 * from the one above through a descriptor, never by a path string. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle_archive.h"
#include "bundle_internal.h"

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#define FILE_FLAGS (O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC)

struct unpack {
    int root;                   /* dest */
    const char *dest;
    char *err;
    size_t errlen;
};

/* The folder `name` in `dirfd`, made (0755, whatever the umask) if it is
 * not there yet; -1 with errno. */
static int enter(int dirfd, const char *name)
{
    bool made = mkdirat(dirfd, name, 0755) == 0;
    if (!made && errno != EEXIST)
        return -1;
    int fd = openat(dirfd, name, DIR_FLAGS);
    if (fd >= 0 && made && (fchmod(fd, 0755) < 0 || fsync(dirfd) < 0)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One file, synced with the folder entry naming it (the bundle must survive
 * a power cut once it is renamed into the store). */
static int write_file(int dirfd, const char *name, const uint8_t *data, size_t n)
{
    int fd = openat(dirfd, name, FILE_FLAGS, 0644);
    if (fd < 0)
        return -1;
    int rc = fchmod(fd, 0644) | bundle_write_all(fd, data, n) | fsync(fd);
    int saved = errno;
    rc |= close(fd);
    if (rc == 0)
        rc = fsync(dirfd);
    else
        errno = saved;
    return rc;
}

static int write_member(const struct bundle_archive_member *m, void *arg)
{
    struct unpack *u = arg;
    char path[BUNDLE_ARCHIVE_NAME_MAX + 1];
    snprintf(path, sizeof path, "%s", m->name);
    int fd = u->root, rc = 0;
    char *name = path;
    for (char *slash; rc == 0 && (slash = strchr(name, '/')); name = slash + 1) {
        *slash = '\0';
        int next = enter(fd, name);
        if (next < 0) {
            snprintf(u->err, u->errlen, "member '%s': cannot make the folder '%s' in "
                     "%s: %s", m->name, path, u->dest, strerror(errno));
            rc = -1;
        }
        *slash = '/';
        if (fd != u->root)
            close(fd);
        fd = next;
    }
    if (rc == 0 && write_file(fd, name, m->data, m->size) < 0) {
        snprintf(u->err, u->errlen, "member '%s': cannot write it into %s: %s",
                 m->name, u->dest, strerror(errno));
        rc = -1;
    }
    if (fd >= 0 && fd != u->root)
        close(fd);
    return rc;
}

int bundle_archive_unpack(const uint8_t *data, size_t len, const char *dest,
                          const struct bundle_archive_limits *lim, char *err,
                          size_t errlen)
{
    if (mkdir(dest, 0755) < 0) {
        if (errno == EEXIST)
            snprintf(err, errlen, "%s already exists; the archive is unpacked only into "
                     "a new folder", dest);
        else
            snprintf(err, errlen, "cannot make the folder %s: %s", dest, strerror(errno));
        return -1;
    }
    struct unpack u = { .root = open(dest, DIR_FLAGS), .dest = dest, .err = err,
                        .errlen = errlen };
    int rc;
    if (u.root < 0 || fchmod(u.root, 0755) < 0) {
        snprintf(err, errlen, "cannot open the new folder %s: %s", dest, strerror(errno));
        rc = -1;
    } else {
        rc = bundle_archive_walk(data, len, lim, write_member, &u, err, errlen);
    }
    if (rc < 0) {
        if (u.root >= 0)
            bundle_remove_contents(u.root);
        rmdir(dest);
    }
    if (u.root >= 0)
        close(u.root);
    return rc;
}
