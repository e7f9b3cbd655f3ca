/* Test helper: reads golden files from the shared vectors folder
 * (JIGD_SHARED_DIR/vectors/...). Header-only so each test program can use
 * it without a library of its own. */
#ifndef JIGD_TEST_VECTOR_FILES_H
#define JIGD_TEST_VECTOR_FILES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef JIGD_SHARED_DIR
#error "JIGD_SHARED_DIR must point at the shared/ folder"
#endif

/* Whole file, malloc'd with a NUL after the data (so text can be used as a
 * C string); NULL if it cannot be read. */
static inline uint8_t *read_file_bytes(const char *path, size_t *len)
{
    *len = 0;       /* defined on every path: a failed read is an empty one */
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        *len = n;
    }
    return buf;
}

/* A file under vectors/, e.g. read_vector("nvs/ints.csv", &n). */
static inline uint8_t *read_vector(const char *rel, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/vectors/%s", JIGD_SHARED_DIR, rel);
    uint8_t *b = read_file_bytes(path, len);
    if (!b)
        fprintf(stderr, "cannot read golden vector %s\n", path);
    return b;
}

#endif
