/* Labels as files: a folder's <serial>.zpl written whole or not at all, and
 * a template read from its file (label_printer.h). Blocking calls: the
 * printer runs label_file_write on the thread pool, the station reads the
 * template once at start. */
#include "label_printer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "label_template.h"

void label_file_name(const char *serial, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (const char *s = serial; *s && n + 4 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (plain) {
            out[n++] = (char)c;
        } else {
            out[n++] = '%';
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 15];
        }
    }
    snprintf(out + n, cap - n, ".zpl");
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t w = write(fd, data, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        data += w;
        len -= (size_t)w;
    }
    return 0;
}

/* The folder's own entry must reach the disk too, or a power cut can lose
 * a renamed file. */
static int sync_folder(const char *folder)
{
    int fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int label_file_write(const char *folder, const char *name, const char *data, size_t len,
                     char *err, size_t errlen)
{
    char tmp[4200], path[4200];
    snprintf(path, sizeof path, "%s/%s", folder, name);
    /* A dot file: whoever watches the folder for *.zpl never sees it half-written. */
    snprintf(tmp, sizeof tmp, "%s/.%s.%ld.tmp", folder, name, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    int rc = write_all(fd, data, len) < 0 || fsync(fd) < 0 ? -1 : 0;
    int e = errno;
    if (close(fd) < 0 && rc == 0) {
        rc = -1;
        e = errno;
    }
    if (rc == 0 && rename(tmp, path) < 0) {
        rc = -1;
        e = errno;
    }
    if (rc < 0) {
        unlink(tmp);
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
        return -1;
    }
    if (sync_folder(folder) < 0) {
        snprintf(err, errlen, "wrote %s but cannot sync the folder: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

char *label_file_read(const char *path, size_t *len, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    char *buf = malloc(LABEL_TEMPLATE_MAX + 1);
    size_t n = 0;
    ssize_t r = 1;
    while (buf && n <= LABEL_TEMPLATE_MAX && r > 0) {
        r = read(fd, buf + n, LABEL_TEMPLATE_MAX + 1 - n);
        if (r < 0 && errno == EINTR)
            r = 1;
        else if (r > 0)
            n += (size_t)r;
    }
    int e = errno;
    close(fd);
    if (!buf || r < 0 || n > LABEL_TEMPLATE_MAX) {
        snprintf(err, errlen, "%s: %s", path, !buf ? "out of memory" : r < 0 ? strerror(e)
                 : "larger than 64 KiB; is this a label template?");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}
