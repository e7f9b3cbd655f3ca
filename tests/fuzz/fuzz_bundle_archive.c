/* Fuzzes the reader of uploaded bundle archives (daemon/bundle/bundle_archive*.c):
 * any bytes, as a tar, a tar.gz or a zip, are refused with a reason, or give
 * only files whose names keep the walk's promises: relative, no "..", no
 * empty or "." component, no backslash or control byte, at most 255 bytes,
 * each name once and none both a file and a folder; and never more files or
 * bytes than the (small) limits. The error buffer's size varies with the
 * input, so a reason cut short must still be terminated. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bundle_archive.h"

#define MAX_MEMBERS 16
#define MAX_MEMBER (64u << 10)
#define MAX_TOTAL (256u << 10)

struct seen {
    char names[MAX_MEMBERS][BUNDLE_ARCHIVE_NAME_MAX + 1];
    size_t n;
    uint64_t total;
};

static bool name_ok(const char *name)
{
    size_t n = strlen(name);
    if (!n || n > BUNDLE_ARCHIVE_NAME_MAX || name[0] == '/' || name[n - 1] == '/')
        return false;
    for (const char *c = name; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '\\')
            return false;
    for (const char *c = name; c;) {
        const char *slash = strchr(c, '/');
        size_t k = slash ? (size_t)(slash - c) : strlen(c);
        if (!k || (k == 1 && c[0] == '.') || (k == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        c = slash ? slash + 1 : NULL;
    }
    return true;
}

static bool inside(const char *name, const char *folder)
{
    size_t n = strlen(folder);
    return !strncmp(name, folder, n) && name[n] == '/';
}

static int check_member(const struct bundle_archive_member *m, void *arg)
{
    struct seen *s = arg;
    if (!name_ok(m->name) || m->size > MAX_MEMBER || s->n == MAX_MEMBERS)
        abort();
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->names[i], m->name) || inside(s->names[i], m->name) ||
            inside(m->name, s->names[i]))
            abort();    /* twice, or a file where another has a folder */
    s->total += m->size;
    if (s->total > MAX_TOTAL)
        abort();
    if (m->size) {      /* every byte readable (ASan watches) */
        volatile uint8_t sink = m->data[0] ^ m->data[m->size - 1];
        (void)sink;
    }
    strcpy(s->names[s->n++], m->name);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct bundle_archive_limits lim = {
        .max_members = MAX_MEMBERS, .max_member_size = MAX_MEMBER,
        .max_total_size = MAX_TOTAL,
    };
    static struct seen seen;
    char err[300];
    size_t errlen = 1 + size % sizeof err;
    memset(&seen, 0, sizeof seen);
    memset(err, 'X', sizeof err);
    int rc = bundle_archive_walk(data, size, &lim, check_member, &seen, err, errlen);
    if (!memchr(err, '\0', errlen))
        abort();        /* always terminated within errlen */
    if (rc == 0 ? err[0] != '\0' || !seen.n : errlen > 1 && !err[0])
        abort();        /* success says nothing and gives a file; a refusal says why */
    if (bundle_archive_kind(data, size) == BUNDLE_ARCHIVE_UNKNOWN && rc == 0)
        abort();
    return 0;
}
